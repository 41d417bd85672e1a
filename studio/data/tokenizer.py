"""Splitting UTF-8 CSV bytes into columns with NumPy: rows, fields and quotes found as byte positions at once.

Delimiters and newlines inside quotes are told apart by the parity of the quote characters before them; each
column's cells are cut out of the byte buffer into one fixed-width bytes array. Anything this fast path cannot
read exactly as Python's `csv` module would (a quote inside an unquoted field, text after a closing quote, an
unclosed quote) returns None, and the caller reads the file with the `csv` module instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.data.column_data import WIDE_CELL

_SPACE = (32, 9, 13)  # what `str.strip` removes from a cell in practice; values are stripped like the csv path
_ROW_BLOCK = 1 << 16  # rows cut out at a time (bounds the index matrix)


class RaggedRow(Exception):
    """A data row whose number of fields differs from the header's."""

    def __init__(self, line: int, n_fields: int):
        super().__init__(line, n_fields)
        self.line, self.n_fields = line, n_fields


@dataclass
class Rows:
    """Where the rows of a buffer are: byte spans and the file line each starts on (1-based, after `first_line`)."""

    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray


@dataclass
class Fields:
    """A table as bytes: `cells[j]` holds column j (fixed-width `S` or object array); `lines` per row."""

    cells: list[np.ndarray]
    lines: np.ndarray


def positions(arr: np.ndarray, byte: int, block: int = 1 << 24) -> np.ndarray:
    """Where `byte` occurs in `arr`, found block by block (int32 offsets when the buffer allows: half the memory)."""
    kind = np.int32 if arr.size < 2**31 else np.int64
    parts = [np.flatnonzero(arr[k:k + block] == byte).astype(kind) + kind(k) for k in range(0, arr.size, block)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=kind)


def find_rows(arr: np.ndarray, quotes: np.ndarray, first_line: int = 1) -> Rows:
    """Row spans of `arr` (uint8): newlines outside quotes end rows; a final row without newline counts."""
    newlines = positions(arr, 10)
    row_ends = newlines if quotes.size == 0 else newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    starts = np.concatenate([[0], row_ends + 1])
    ends = np.concatenate([row_ends, [arr.size]])
    if starts[-1] >= arr.size:
        starts, ends = starts[:-1], ends[:-1]
    if quotes.size == 0:
        lines = np.arange(first_line, first_line + starts.size, dtype=np.int64)
    else:
        lines = np.searchsorted(newlines, starts).astype(np.int64) + first_line
    return Rows(starts, ends, lines)


def is_blank(buf: bytes, start: int, end: int) -> bool:
    return not buf[start:end].strip()


def split_fields(buf: bytes, rows: Rows, n_columns: int, delimiter: str, quotechar: str,
                 quotes: np.ndarray) -> Fields | None:
    """Cells of the data rows `rows` of `buf`, each row holding `n_columns` fields.

    Blank rows are skipped; extra fields that are all empty (a trailing delimiter) are dropped; RaggedRow for
    the first other row with a wrong number of fields. None when the quoting needs the `csv` module.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    delims = positions(arr, ord(delimiter))
    if quotes.size:
        delims = delims[np.searchsorted(quotes, delims) % 2 == 0]
    starts, ends, lines = rows.starts, rows.ends, rows.lines
    first = np.searchsorted(delims, starts)
    counts = np.searchsorted(delims, ends) - first
    wrong = np.flatnonzero(counts != n_columns - 1)
    keep = np.ones(starts.size, dtype=bool)
    for r in wrong.tolist():  # blank lines, trailing delimiters, and the first ragged row
        if counts[r] == 0 and is_blank(buf, starts[r], ends[r]):
            keep[r] = False
        elif counts[r] > n_columns - 1 and not buf[delims[first[r] + n_columns - 1]:ends[r]].replace(
                delimiter.encode(), b"").strip():
            ends[r] = delims[first[r] + n_columns - 1]
        else:
            raise RaggedRow(int(lines[r]), int(counts[r]) + 1)
    if n_columns == 1:  # no delimiters: a blank line holds nothing but spaces ("" is an empty value, kept)
        s, e = _strip(arr, starts, ends)
        keep &= s < e
    if not keep.all():
        starts, ends, lines, first = starts[keep], ends[keep], lines[keep], first[keep]
    cells = []
    for j in range(n_columns):
        s = starts if j == 0 else delims[first + j - 1] + 1
        e = ends if j == n_columns - 1 else delims[first + j]
        column = _cut(buf, arr, s, e, ord(quotechar), quotes)
        if column is None:
            return None
        cells.append(column)
    return Fields(cells, lines)


def _strip(arr: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s, e = s.copy(), e.copy()
    last = arr.size - 1
    for _ in range(64):  # a few passes; cells padded by more spaces than this are rare and stay padded
        b = arr[np.minimum(s, last)]
        lead = np.flatnonzero((s < e) & ((b == 32) | (b == 9) | (b == 13)))
        if lead.size == 0:
            break
        s[lead] += 1
    for _ in range(64):
        b = arr[np.maximum(e - 1, 0)]
        trail = np.flatnonzero((s < e) & ((b == 32) | (b == 9) | (b == 13)))
        if trail.size == 0:
            break
        e[trail] -= 1
    return s, e


def _cut(buf: bytes, arr: np.ndarray, s: np.ndarray, e: np.ndarray, quote: int,
         quotes: np.ndarray) -> np.ndarray | None:
    """One column's cells between byte offsets `s` and `e`, stripped and unquoted; None if the csv module must read."""
    s, e = _strip(arr, s, e)
    quoted = np.zeros(s.size, dtype=bool)
    if quotes.size:
        has_quote = np.searchsorted(quotes, e) > np.searchsorted(quotes, s)
        quoted = has_quote & (arr[np.minimum(s, arr.size - 1)] == quote) & (s < e)
        if (has_quote & ~quoted).any():
            return None  # a quote inside an unquoted cell: literal text to the csv module
    widths = e - s
    width = max(int(widths.max()) if widths.size else 0, 1)
    if width > WIDE_CELL or width > arr.size:
        out = _object_array([buf[a:b] for a, b in zip(s.tolist(), e.tolist())])
    else:
        out = _gather(buf, arr.size, s, widths, width)
    for i in np.flatnonzero(quoted).tolist():
        raw = buf[s[i]:e[i]]
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != quote or bytes([quote]) in inner.replace(bytes([quote]) * 2, b""):
            return None  # text after a closing quote, or an unclosed quote
        out[i] = inner.replace(bytes([quote]) * 2, bytes([quote])).strip()
    return out


def _gather(buf: bytes, size: int, s: np.ndarray, widths: np.ndarray, width: int) -> np.ndarray:
    """Cells as `S{width}`: every `width` bytes from each start copied at once, the bytes past a cell zeroed."""
    windows = np.ndarray(shape=(size - width + 1,), dtype=f"S{width}", buffer=buf, strides=(1,))
    out = np.empty(s.size, dtype=f"S{width}")
    steps = np.arange(width)
    for k in range(0, s.size, _ROW_BLOCK):
        bs, bw = s[k:k + _ROW_BLOCK], widths[k:k + _ROW_BLOCK]
        block = windows[np.minimum(bs, size - width)]
        raw = block.view(np.uint8).reshape(-1, width)
        np.multiply(raw, steps < bw[:, None], out=raw)
        out[k:k + _ROW_BLOCK] = block
    for i in np.flatnonzero(s > size - width).tolist():  # the last cells of the file, shorter than a window
        out[i] = buf[s[i]:s[i] + widths[i]]
    return out


def _object_array(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
