"""Which text encoding a file's bytes are in: byte-order marks, UTF-16/UTF-32 without one, UTF-8, cp1252,
Latin-1; and bytes that are no text at all (an image, a spreadsheet, a zip), which are refused."""

from __future__ import annotations

BOMS = [  # UTF-32 first: its little-endian mark begins with UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
]
WIDE_ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")
_CONTROL = set(range(32)) - {9, 10, 12, 13}  # tab, newlines and form feed are text


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of `data` announces, or None."""
    for mark, encoding in BOMS:
        if data.startswith(mark):
            return encoding
    return None


def wide_encoding_without_bom(data: bytes) -> str | None:
    """UTF-16 or UTF-32 (and its byte order) told from where the zero bytes of ASCII characters fall."""
    sample = data[: 4096 - 4096 % 4]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    n = len(sample)
    zeros = [sample[k::4].count(0) / (n / 4) for k in range(4)]  # share of zero bytes at each offset mod 4
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9 and zeros[0] < 0.5:
        return "utf-32-le"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] < 0.5:
        return "utf-32-be"
    odd, even = (zeros[1] + zeros[3]) / 2, (zeros[0] + zeros[2]) / 2
    if odd > 0.7 and even < 0.3:
        return "utf-16-le"
    if even > 0.7 and odd < 0.3:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in a single-byte or UTF-8 encoding: zero bytes or many control codes."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b in _CONTROL)
    return control > 0.05 * max(1, len(sample))


def detect_encoding(data: bytes) -> str | None:
    """The encoding of `data` (a file's first bytes, or all of them): the byte-order mark's, UTF-16/32 told from
    zero bytes, else the first of UTF-8, cp1252 that decodes, else Latin-1. None when the bytes are not text."""
    encoding = bom_encoding(data) or wide_encoding_without_bom(data)
    if encoding:
        return encoding
    if looks_binary(data):
        return None
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError as e:
            if encoding == "utf-8" and e.start >= len(data) - 3 and e.reason == "unexpected end of data":
                return encoding  # a character cut at the end of a sample
            continue
    return "latin-1"  # decodes any byte sequence
