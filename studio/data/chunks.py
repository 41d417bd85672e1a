"""Reading a CSV file larger than memory a chunk of rows at a time, each chunk a `CsvTable` of its own.

`CsvChunks(path, dialect)` cuts the file's bytes at row ends (a newline outside quotes), reads each piece with the
whole-file reader's parser (`parse_table`) under the file's header, and gives every row its line in the file, so a
broken row in chunk N is reported with its file line as the whole-file reader reports it. The first pass records
where each chunk starts (`Chunk`), so later passes can read any chunk again by seeking to it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from studio.data.csv_reader import CsvDialect, CsvError, CsvTable, as_utf8, detect_dialect, parse_table
from studio.data.text_encoding import WIDE_ENCODINGS

CHUNK_BYTES = 8 << 20
"""Bytes read per chunk (about 120,000 rows of ten columns); tests lower it."""

STREAM_THRESHOLD = 512 << 20
"""Files larger than this many bytes are streamed in chunks rather than read whole (Edit > Preferences)."""


@dataclass(frozen=True)
class Chunk:
    """Where a chunk's rows are in the file: byte span and the file line of its first byte."""

    start: int
    stop: int
    first_line: int


def should_stream(path: str | os.PathLike, threshold: int | None = None) -> bool:
    """True when the file at `path` is larger than `threshold` bytes (default `STREAM_THRESHOLD`)."""
    limit = STREAM_THRESHOLD if threshold is None else threshold
    try:
        return limit > 0 and os.path.getsize(path) > limit
    except OSError:
        return False


def stream_problem(dialect: CsvDialect) -> str | None:
    """Why a file with this layout cannot be read in chunks (UTF-16/32 text), or None."""
    if dialect.encoding.lower().replace("_", "-") in WIDE_ENCODINGS:
        return f"a {dialect.encoding} file is read whole"
    return None


class CsvChunks:
    """The chunks of one CSV file. Iterating reads them in order (and records them in `chunks`); `read(chunk)`
    reads one again. `progress(fraction)` hears how far the iteration has come through the file."""

    def __init__(self, path: str | os.PathLike, dialect: CsvDialect | None = None, chunk_bytes: int | None = None):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise CsvError(f"{self.path}: no such file")
        self.dialect = dialect or detect_dialect(self.path)
        problem = stream_problem(self.dialect)
        if problem:
            raise CsvError(f"{self.path}: cannot be read in chunks: {problem}")
        self.chunk_bytes = max(1024, int(chunk_bytes or CHUNK_BYTES))
        self.size = os.path.getsize(self.path)
        self._stamp = _stamp(self.path)
        self.header, self.data_start, self.data_line = self._find_header()
        self.chunks: list[Chunk] = []

    def __iter__(self) -> Iterator[CsvTable]:
        return self.tables()

    def tables(self, progress: Callable[[float], None] | None = None) -> Iterator[CsvTable]:
        """Every chunk that holds rows as a table, in file order; the chunk list is recorded on the way."""
        chunks = []
        self.check_unchanged()
        with open(self.path, "rb") as f:
            for chunk, raw in self._cut(f):
                table = self._parse(raw, chunk)
                if progress:
                    progress(chunk.stop / max(1, self.size))
                if table is not None:  # chunks of blank lines only are left out: chunk k is table k
                    chunks.append(chunk)
                    yield table
        self.chunks = chunks

    def read(self, chunk: Chunk) -> CsvTable | None:
        """The rows of one recorded chunk (None when it holds only blank lines)."""
        self.check_unchanged()
        with open(self.path, "rb") as f:
            f.seek(chunk.start)
            return self._parse(f.read(chunk.stop - chunk.start), chunk)

    def check_unchanged(self) -> None:
        """CsvError when the file is no longer the one whose chunks (and fitted preprocessing) were found."""
        try:
            same = _stamp(self.path) == self._stamp
        except OSError:
            raise CsvError(f"{self.path}: the file is gone (it was being read in chunks)") from None
        if not same:
            raise CsvError(f"{self.path}: the file changed while it was being read in chunks; open the project "
                           "again so that its rows and preprocessing are read anew")

    # -- cutting -----------------------------------------------------------------------------------
    def _find_header(self) -> tuple[bytes, int, int]:
        """(the header row's bytes, b"" without a header; the byte where data rows start; the file line there)."""
        head = b""
        with open(self.path, "rb") as f:
            while True:
                more = f.read(1 << 20)
                head += more
                if b"\n" not in head and b"\r" in head:
                    raise CsvError(f"{self.path}: cannot be read in chunks: its lines end in a lone carriage return")
                found = self._header_in(head, complete=not more)
                if found is not None:
                    return found

    def _header_in(self, head: bytes, complete: bool) -> tuple[bytes, int, int] | None:
        """What `_find_header` returns, from the file's first bytes `head`; None when more bytes are needed. The
        dialect's leading lines are skipped, then blank lines before the header, as the whole-file reader does."""
        pos, line = 0, 1
        quote = self.dialect.quotechar.encode()
        for _ in range(self.dialect.skip_lines):
            end = _row_end(head, pos, quote)
            if end is None:
                return None if not complete else (b"", len(head), line)
            line += head.count(b"\n", pos, end + 1)
            pos = end + 1
        if not self.dialect.has_header:
            return b"", pos, line
        while True:
            end = _row_end(head, pos, quote)
            if end is None:
                if not complete:
                    return None
                end = len(head)  # a header without a newline at the end of the file
            after = line + head.count(b"\n", pos, end + 1)
            if head[pos:end].strip():
                return head[pos:end] + b"\n", min(end + 1, len(head)), after
            if end >= len(head):
                return b"", len(head), line
            pos, line = end + 1, after

    def _cut(self, f) -> Iterator[tuple[Chunk, bytes]]:
        """(chunk, its bytes) from the data start to the end of the file, each ending at a row end."""
        f.seek(self.data_start)
        pos, line, carry = self.data_start, self.data_line, b""
        quote = self.dialect.quotechar.encode()
        while True:
            block = f.read(self.chunk_bytes)
            raw = carry + block
            if not raw:
                return
            if block:
                cut = _last_row_end(raw, quote)
                if cut is None:  # one row longer than a chunk: read on
                    carry = raw
                    continue
                raw, carry = raw[:cut + 1], raw[cut + 1:]
            else:
                carry = b""
            yield Chunk(pos, pos + len(raw), line), raw
            pos += len(raw)
            line += raw.count(b"\n")
            if not block:
                return

    def _parse(self, raw: bytes, chunk: Chunk) -> CsvTable | None:
        if not raw.strip():
            return None
        try:
            if not raw.isascii():  # ASCII decodes in every encoding read in chunks: no second decode of it
                raw.decode(self.dialect.encoding)
        except UnicodeDecodeError as e:  # named by its line in the file, not in the chunk
            line = chunk.first_line + raw[:e.start].count(b"\n")
            raise CsvError(f"{self.path}: line {line} cannot be decoded as {self.dialect.encoding}") from None
        except LookupError:
            raise CsvError(f"{self.path}: unknown text encoding {self.dialect.encoding!r}") from None
        buf = as_utf8(self.path, raw, self.dialect, strict=True)
        if self.header:
            buf = as_utf8(self.path, self.header, self.dialect, strict=True) + buf
        return parse_table(self.path, buf, self.dialect, chunk.first_line - (1 if self.header else 0))


def _stamp(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def _row_end(buf: bytes, start: int, quote: bytes) -> int | None:
    """The newline ending the row that starts at `start` (quoted newlines skipped), or None."""
    pos, inside = start, False
    while True:
        nl = buf.find(b"\n", pos)
        if nl < 0:
            return None
        if quote:
            inside ^= buf.count(quote, pos, nl) % 2 == 1
        if not inside:
            return nl
        pos = nl + 1


def _last_row_end(raw: bytes, quote: bytes) -> int | None:
    """The last newline of `raw` outside quotes (`raw` starts at a row start), or None."""
    arr = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    if newlines.size == 0:
        return None
    if quote and quote in raw:
        quotes = np.flatnonzero(arr == quote[0])
        outside = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
        return int(outside[-1]) if outside.size else None
    return int(newlines[-1])
