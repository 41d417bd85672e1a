"""Reading a CSV file into columns of strings: encoding, delimiter, header and quoting detected.

Python's `csv` module parses (quoted fields, embedded delimiters and newlines); `csv.Sniffer` proposes the
dialect; the encoding is the first of UTF-8 (with or without BOM), cp1252 and Latin-1 that decodes the bytes.
Every problem is raised as `CsvError` naming the file and, where there is one, the line.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from studio.data.errors import DataError

Progress = Callable[[float], None]
"""Called with the fraction done, 0.0 to 1.0; may raise to cancel the read."""

DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
SNIFF_LINES = 200
_CHUNK = 1 << 20
_PROGRESS_ROWS = 20_000


class CsvError(DataError):
    """A CSV file that cannot be read as a table; the message names the file and the place."""


@dataclass
class CsvDialect:
    """How a file is laid out: what `detect_dialect` found, or what the user chose instead."""

    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    has_header: bool = True

    def to_dict(self) -> dict:
        return {"encoding": self.encoding, "delimiter": self.delimiter, "quotechar": self.quotechar,
                "has_header": self.has_header}

    @classmethod
    def from_dict(cls, d: dict) -> CsvDialect:
        return cls(encoding=str(d.get("encoding", "utf-8")), delimiter=str(d.get("delimiter", ",")),
                   quotechar=str(d.get("quotechar", '"')), has_header=bool(d.get("has_header", True)))


@dataclass
class CsvTable:
    """A table of strings: `columns[j][i]` is row i of column j; `line_numbers[i]` its line in the file."""

    path: str
    dialect: CsvDialect
    names: list[str]
    columns: list[list[str]]
    line_numbers: list[int] = field(default_factory=list)
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # parsed columns, by the preprocessor

    @property
    def n_rows(self) -> int:
        return len(self.line_numbers)

    def column(self, name: str) -> list[str]:
        """The values of the column called `name`; CsvError if the file has no such column."""
        try:
            return self.columns[self.names.index(name)]
        except ValueError:
            raise CsvError(f"{self.path}: no column named {name!r}; the file has columns "
                           f"{', '.join(repr(n) for n in self.names)}") from None

    def rows(self, start: int = 0, stop: int | None = None) -> list[list[str]]:
        """Rows `start:stop` as lists of strings (for previews)."""
        stop = self.n_rows if stop is None else min(stop, self.n_rows)
        return [[col[i] for col in self.columns] for i in range(start, stop)]


def detect_encoding(data: bytes) -> str:
    """The first encoding that decodes `data`: utf-8-sig when a BOM is there, utf-8, cp1252, else latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"  # decodes any byte sequence


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _guess_header(sample: str, dialect: type[csv.Dialect] | csv.Dialect) -> bool:
    """True when the first row reads as names: the Sniffer's vote, or names over a numeric column."""
    rows = list(csv.reader(io.StringIO(sample), dialect))
    rows = [r for r in rows if r]
    if len(rows) < 2:
        return bool(rows) and not any(_looks_numeric(v) for v in rows[0])
    first, rest = rows[0], rows[1:]
    names = [v for v in first if v.strip()]
    if not names or any(_looks_numeric(v) for v in names):
        return False
    for j, name in enumerate(first):
        below = [r[j] for r in rest if j < len(r) and r[j].strip()]
        if name.strip() and below and all(_looks_numeric(v) for v in below):
            return True
        distinct = set(below)  # names over a column of a few labels that repeat (a text table's class column)
        if name.strip() and len(below) >= 10 and len(distinct) <= min(20, len(below) // 2) and name not in distinct:
            return True
    try:
        return csv.Sniffer().has_header(sample)
    except csv.Error:
        return True


def detect_dialect(path: str | os.PathLike) -> CsvDialect:
    """Encoding, delimiter, quote character and header of the file at `path`, from its first lines."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head.strip():
        raise CsvError(f"{path}: the file is empty")
    encoding = detect_encoding(head if len(head) < SNIFF_BYTES else _whole_encoding_probe(path, head))
    text = head.decode(encoding, errors="replace")
    lines = text.splitlines(keepends=True)
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # never sniff a cut-off last line
    text = "".join(lines[:SNIFF_LINES])  # the Sniffer's time grows fast with the sample
    try:
        sniffed = csv.Sniffer().sniff(text, delimiters=DELIMITERS)
        delimiter, quotechar = sniffed.delimiter, sniffed.quotechar or '"'
    except csv.Error:
        sniffed, delimiter, quotechar = csv.excel, ",", '"'  # one column, or nothing the sniffer can tell
    dialect = CsvDialect(encoding=encoding, delimiter=delimiter, quotechar=quotechar)
    dialect.has_header = _guess_header(text, _csv_dialect(dialect))
    return dialect


def _whole_encoding_probe(path: str, head: bytes) -> bytes:
    """The whole file when its head is plain UTF-8, so that a cp1252 byte further down is seen."""
    if head.startswith(b"\xef\xbb\xbf"):
        return head
    with open(path, "rb") as f:
        return f.read()


def _csv_dialect(d: CsvDialect) -> type[csv.Dialect]:
    class _Dialect(csv.Dialect):
        delimiter = d.delimiter
        quotechar = d.quotechar
        doublequote = True
        skipinitialspace = True
        lineterminator = "\n"
        quoting = csv.QUOTE_MINIMAL
        strict = False

    return _Dialect


def read_csv(path: str | os.PathLike, dialect: CsvDialect | None = None, progress: Progress | None = None,
             max_rows: int | None = None) -> CsvTable:
    """The file at `path` as a `CsvTable` (dialect detected unless given); `max_rows` reads only a preview.

    Raises CsvError for a missing or empty file, a file with no data rows, and a row whose number of fields
    differs from the header's (naming the line). Blank lines are skipped.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CsvError(f"{path}: no such file")
    dialect = dialect or detect_dialect(path)
    size = os.path.getsize(path) or 1
    raw = bytearray()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            raw += chunk
            if progress:
                progress(0.3 * len(raw) / size)
            if max_rows is not None and raw.count(b"\n") > max_rows + 1:
                break
    try:
        text = bytes(raw).decode(dialect.encoding, errors="strict" if max_rows is None else "replace")
    except UnicodeDecodeError as e:
        line = bytes(raw[: e.start]).count(b"\n") + 1
        raise CsvError(f"{path}: line {line} cannot be decoded as {dialect.encoding}") from None
    except LookupError:
        raise CsvError(f"{path}: unknown text encoding {dialect.encoding!r}") from None
    if not text.strip():
        raise CsvError(f"{path}: the file is empty")
    return _parse(path, text, dialect, progress, max_rows)


def _parse(path: str, text: str, dialect: CsvDialect, progress: Progress | None, max_rows: int | None) -> CsvTable:
    reader = csv.reader(io.StringIO(text, newline=""), _csv_dialect(dialect))
    names: list[str] | None = None
    columns: list[list[str]] = []
    lines: list[int] = []
    # The reader does not expose its offset: progress is the line number over the number of lines.
    total_lines = text.count("\n") + 1 if progress else 1
    end_of_last_row = 0
    try:
        for row in reader:
            start_line, end_of_last_row = end_of_last_row + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if names is None:
                names = _header(row, dialect.has_header)
                columns = [[] for _ in names]
                if dialect.has_header:
                    continue
            if len(row) != len(names):
                if len(row) > len(names) and not any(v.strip() for v in row[len(names):]):
                    row = row[: len(names)]  # a trailing delimiter
                else:
                    raise CsvError(f"{path}: line {start_line} has {len(row)} fields but the "
                                   f"{'header' if dialect.has_header else 'first row'} has {len(names)} "
                                   f"(delimiter {dialect.delimiter!r})")
            for col, value in zip(columns, row):
                col.append(value.strip())
            lines.append(start_line)
            if max_rows is not None and len(lines) >= max_rows:
                break
            if progress and len(lines) % _PROGRESS_ROWS == 0:
                progress(0.3 + 0.7 * min(1.0, reader.line_num / total_lines))
    except csv.Error as e:
        raise CsvError(f"{path}: line {reader.line_num}: {e}") from None
    if names is None:
        raise CsvError(f"{path}: the file is empty")
    if not lines:
        raise CsvError(f"{path}: the file has a header ({', '.join(names)}) but no data rows")
    if progress:
        progress(1.0)
    return CsvTable(path=path, dialect=dialect, names=names, columns=columns, line_numbers=lines)


def _header(row: list[str], has_header: bool) -> list[str]:
    if not has_header:
        return [f"column_{j + 1}" for j in range(len(row))]
    names, seen = [], {}
    for j, raw in enumerate(row):
        name = raw.strip() or f"column_{j + 1}"
        if name in seen:  # keep every column addressable by name
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        names.append(name)
    return names
