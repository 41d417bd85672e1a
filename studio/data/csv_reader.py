"""Reading a CSV file into columns held as arrays: encoding, delimiter, header, quoting and decimal mark detected.

`detect_dialect` proposes the layout (`csv.Sniffer` for the delimiter, byte-order marks and zero bytes for
UTF-16/UTF-32, a leading line that is not part of the table, a decimal comma with `;`); `read_csv` splits the
bytes with NumPy (studio/data/tokenizer.py) and keeps each column as codes into its distinct values
(`ColumnData`). Files the fast path cannot read exactly go through Python's `csv` module. Every problem is
raised as `CsvError` naming the file and, where there is one, the line.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from studio.data.column_data import ColumnData, cells_array
from studio.data.errors import DataError
from studio.data.text_encoding import WIDE_ENCODINGS, detect_encoding, looks_binary
from studio.data.tokenizer import Fields, RaggedRow, find_rows, is_blank, positions, split_fields

Progress = Callable[[float], None]
"""Called with the fraction done, 0.0 to 1.0; may raise to cancel the read."""

DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
SNIFF_LINES = 200
_CHUNK = 1 << 20
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_DECIMAL_POINT = re.compile(r"^[-+]?\d*\.\d+$")


class CsvError(DataError):
    """A CSV file that cannot be read as a table; the message names the file and the place."""


@dataclass
class CsvDialect:
    """How a file is laid out: what `detect_dialect` found, or what the user chose instead."""

    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    has_header: bool = True
    skip_lines: int = 0  # lines before the table (a title, or scikit-learn's "150,4,setosa,…" first line)
    decimal: str = "."  # "," in files like "1,5;2,25" (European spreadsheets)

    def to_dict(self) -> dict:
        return {"encoding": self.encoding, "delimiter": self.delimiter, "quotechar": self.quotechar,
                "has_header": self.has_header, "skip_lines": self.skip_lines, "decimal": self.decimal}

    @classmethod
    def from_dict(cls, d: dict) -> CsvDialect:
        return cls(encoding=str(d.get("encoding", "utf-8")), delimiter=str(d.get("delimiter", ",")),
                   quotechar=str(d.get("quotechar", '"')), has_header=bool(d.get("has_header", True)),
                   skip_lines=max(0, int(d.get("skip_lines", 0))), decimal=str(d.get("decimal", ".")))


@dataclass
class CsvTable:
    """A table whose column j is `data[j]` (codes into distinct values); `line_numbers[i]` is row i's file line."""

    path: str
    dialect: CsvDialect
    names: list[str]
    data: list[ColumnData]
    line_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # parsed columns, by the preprocessor

    @property
    def n_rows(self) -> int:
        return len(self.line_numbers)

    @property
    def columns(self) -> list[np.ndarray]:
        """Every column as an array of str (one shared str per distinct value; made once); prefer `column_data`."""
        return [self.column(name) for name in self.names]

    def column_data(self, name: str) -> ColumnData:
        """The column called `name` as arrays; CsvError if the file has no such column."""
        try:
            return self.data[self.names.index(name)]
        except ValueError:
            raise CsvError(f"{self.path}: no column named {name!r}; the file has columns "
                           f"{', '.join(repr(n) for n in self.names)}") from None

    def column(self, name: str) -> np.ndarray:
        """The column called `name` as an array of str (made once); CsvError if there is no such column."""
        key = ("strings", name)
        if key not in self.cache:
            self.cache[key] = self.column_data(name).strings()
        return self.cache[key]

    def rows(self, start: int = 0, stop: int | None = None) -> list[list[str]]:
        """Rows `start:stop` as lists of strings (for previews)."""
        stop = self.n_rows if stop is None else min(stop, self.n_rows)
        return [[d.string_at(i) for d in self.data] for i in range(start, stop)]


def _looks_numeric(text: str, decimal: str = ".") -> bool:
    try:
        float(text.replace(",", ".") if decimal == "," else text)
        return True
    except ValueError:
        return False


def _guess_header(sample: str, dialect: type[csv.Dialect] | csv.Dialect, decimal: str = ".") -> bool:
    """True when the first row reads as names: the Sniffer's vote, or names over a numeric column."""
    rows = list(csv.reader(io.StringIO(sample), dialect))
    rows = [r for r in rows if r]
    if len(rows) < 2:
        return bool(rows) and not any(_looks_numeric(v, decimal) for v in rows[0])
    first, rest = rows[0], rows[1:]
    names = [v for v in first if v.strip()]
    if not names or any(_looks_numeric(v, decimal) for v in names):
        return False
    for j, name in enumerate(first):
        below = [r[j] for r in rest if j < len(r) and r[j].strip()]
        if name.strip() and below and all(_looks_numeric(v, decimal) for v in below):
            return True
        distinct = set(below)  # names over a column of a few labels that repeat (a text table's class column)
        if name.strip() and len(below) >= 10 and len(distinct) <= min(20, len(below) // 2) and name not in distinct:
            return True
    try:
        return csv.Sniffer().has_header(sample)
    except csv.Error:
        return True


def detect_dialect(path: str | os.PathLike) -> CsvDialect:
    """Encoding, delimiter, quote character, header, leading lines to skip and decimal mark of the file at
    `path`, from its first lines. CsvError for an empty file or one that is not text."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head.strip():
        raise CsvError(f"{path}: the file is empty")
    encoding = detect_encoding(head) if len(head) < SNIFF_BYTES else _whole_file_encoding(path, head)
    if encoding is None:
        raise CsvError(f"{path}: not a text file (it holds binary data, like an image, a spreadsheet or an "
                       "archive). Choose a CSV file, or save the sheet as CSV first.")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.splitlines(keepends=True)
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # never sniff a cut-off last line
    text = "".join(lines[:SNIFF_LINES])  # the Sniffer's time grows fast with the sample
    if not text.strip():
        raise CsvError(f"{path}: the file is empty")
    try:
        sniffed = csv.Sniffer().sniff(text, delimiters=DELIMITERS)
        delimiter, quotechar = sniffed.delimiter, sniffed.quotechar or '"'
    except csv.Error:
        delimiter, quotechar = ",", '"'  # one column, or nothing the sniffer can tell
    dialect = CsvDialect(encoding=encoding, delimiter=delimiter, quotechar=quotechar)
    rows = list(csv.reader(io.StringIO(text), _csv_dialect(dialect)))
    dialect.skip_lines = _leading_lines(rows)
    table_text = "".join(lines[dialect.skip_lines:SNIFF_LINES])
    dialect.decimal = _decimal_mark(rows[dialect.skip_lines:], delimiter)
    dialect.has_header = _guess_header(table_text, _csv_dialect(dialect), dialect.decimal)
    return dialect


def _leading_lines(rows: list[list[str]]) -> int:
    """How many first lines have another number of fields than the table under them (at most 5)."""
    counts = [len(r) for r in rows if r]
    if len(counts) < 3:
        return 0
    common, _ = Counter(counts[1:]).most_common(1)[0]
    if common < 2 or sum(c == common for c in counts[1:]) < 0.9 * (len(counts) - 1):
        return 0
    skip = 0
    while skip < min(5, len(counts) - 2) and counts[skip] != common:
        skip += 1
    if skip == 0 and _scikit_learn_first_line(rows[0], common):
        skip = 1
    return skip


def _scikit_learn_first_line(first: list[str], n_fields: int) -> bool:
    """scikit-learn's bundled CSVs begin "n_samples,n_features,class names…" (iris: "150,4,setosa,…")."""
    if len(first) < 3 or not (first[0].strip().isdigit() and first[1].strip().isdigit()):
        return False
    return int(first[1]) == n_fields - 1 and not any(_looks_numeric(v) for v in first[2:])


def _decimal_mark(rows: list[list[str]], delimiter: str) -> str:
    """"," when a file not delimited by commas writes its fractions like 1,5 (and none like 1.5)."""
    if delimiter == ",":
        return "."
    cells = [v.strip() for r in rows for v in r]
    comma = sum(1 for v in cells if _DECIMAL_COMMA.match(v))
    point = sum(1 for v in cells if _DECIMAL_POINT.match(v))
    return "," if comma and not point else "."


def _whole_file_encoding(path: str, head: bytes) -> str | None:
    """`detect_encoding` of the whole file, read a block at a time (a file may be larger than memory): a head of
    plain UTF-8 is UTF-8 only if every later byte is too, so that a cp1252 byte further down is seen."""
    encoding = detect_encoding(head)
    if encoding != "utf-8":
        return encoding
    utf8, cp1252 = codecs.getincrementaldecoder("utf-8")(), True
    with open(path, "rb") as f:
        while block := f.read(_CHUNK * 8):
            try:
                utf8.decode(block)
                continue
            except UnicodeDecodeError:
                break
        else:
            return "utf-8"
        f.seek(0)
        while cp1252 and (block := f.read(_CHUNK * 8)):
            try:
                block.decode("cp1252")
            except UnicodeDecodeError:
                cp1252 = False
    return "cp1252" if cp1252 else "latin-1"


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

    Raises CsvError for a missing, empty or binary file, a file with no data rows, and a row whose number of
    fields differs from the header's (naming the line). Blank lines are skipped.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CsvError(f"{path}: no such file")
    dialect = dialect or detect_dialect(path)
    report = progress or (lambda fraction: None)
    raw, complete = _read_bytes(path, report, max_rows, dialect.skip_lines)
    buf = as_utf8(path, raw, dialect, strict=complete)
    del raw
    if not buf.strip():
        raise CsvError(f"{path}: the file is empty")
    buf, first_line = _skip_lines(buf, dialect.skip_lines)
    report(0.35)
    table = parse_table(path, buf, dialect, first_line, max_rows, complete,
                        lambda fraction: report(0.35 + 0.65 * fraction))
    report(1.0)
    return table


def parse_table(path: str, buf: bytes, dialect: CsvDialect, first_line: int = 1, max_rows: int | None = None,
                complete: bool = True, progress: Progress | None = None) -> CsvTable:
    """The table in `buf` (UTF-8 bytes from the header or first row on, which is file line `first_line`):
    the whole file's after its skipped lines, or one chunk of it (studio/data/chunks.py)."""
    report = progress or (lambda fraction: None)
    fields, names = _split(path, buf, dialect, max_rows, complete, first_line)
    del buf
    report(0.4)
    data = []
    for j, cells in enumerate(fields.cells):
        data.append(ColumnData.from_cells(cells))
        fields.cells[j] = None  # free each column's cells once it is encoded
        report(0.4 + 0.6 * (j + 1) / len(names))
    return CsvTable(path=path, dialect=dialect, names=names, data=data, line_numbers=fields.lines)


def _read_bytes(path: str, report: Progress, max_rows: int | None, skip: int) -> tuple[bytes, bool]:
    """The file's bytes (only the first rows' for a preview) and whether they are the whole file."""
    size = os.path.getsize(path) or 1
    raw = bytearray()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            raw += chunk
            report(0.3 * len(raw) / size)
            if max_rows is not None and raw.count(b"\n") > max_rows + skip + 1:
                return bytes(raw), False
    return bytes(raw), True


def as_utf8(path: str, raw: bytes, dialect: CsvDialect, strict: bool) -> bytes:
    """`raw` decoded as the dialect's encoding and given back as UTF-8 bytes (without a byte-order mark)."""
    encoding = dialect.encoding
    if encoding.lower().replace("_", "-") not in WIDE_ENCODINGS and looks_binary(raw[:8192]):
        raise CsvError(f"{path}: not a text file (it holds binary data, like an image, a spreadsheet or an "
                       "archive). Choose a CSV file, or save the sheet as CSV first.")
    wide = encoding.lower().replace("_", "-") in WIDE_ENCODINGS
    if not wide and raw.isascii():
        buf = raw  # ASCII reads the same in UTF-8, cp1252 and Latin-1: nothing to decode
    else:
        try:
            text = raw.decode(encoding, errors="strict" if strict else "replace")
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            raise CsvError(f"{path}: line {line} cannot be decoded as {encoding}") from None
        except LookupError:
            raise CsvError(f"{path}: unknown text encoding {encoding!r}") from None
        plain_utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8") and strict
        buf = raw if plain_utf8 and not raw.startswith(b"\xef\xbb\xbf") else text.lstrip("\ufeff").encode("utf-8")
        del text
    if b"\n" not in buf and b"\r" in buf:
        buf = buf.replace(b"\r", b"\n")  # old Mac line ends
    return buf


def _skip_lines(buf: bytes, skip: int) -> tuple[bytes, int]:
    """`buf` after its first `skip` lines, and the file line the rest starts on."""
    start = 0
    for _ in range(skip):
        nl = buf.find(b"\n", start)
        if nl < 0:
            return b"", skip + 1
        start = nl + 1
    return buf[start:] if start else buf, skip + 1


def _split(path: str, buf: bytes, dialect: CsvDialect, max_rows: int | None,
           complete: bool, first_line: int = 1) -> tuple[Fields, list[str]]:
    """The data rows' cells and the column names, by the NumPy path or, when it cannot, the csv module."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    quotes = positions(arr, ord(dialect.quotechar)) if dialect.quotechar.encode() in buf else np.zeros(0, np.int32)
    fields = None
    if quotes.size % 2 == 0:
        rows = find_rows(arr, quotes, first_line)
        first = 0
        while first < rows.starts.size and is_blank(buf, rows.starts[first], rows.ends[first]):
            first += 1
        if first == rows.starts.size:
            raise CsvError(f"{path}: the file is empty")
        header = _parse_line(buf[rows.starts[first]:rows.ends[first]], dialect)
        names = _header(header, dialect.has_header)
        data_from = first + 1 if dialect.has_header else first
        stop = rows.starts.size
        if not complete:
            stop = min(stop - 1, data_from + (max_rows or 0))  # the last row of a preview may be cut short
        rows.starts, rows.ends, rows.lines = (a[data_from:stop] for a in (rows.starts, rows.ends, rows.lines))
        try:
            fields = split_fields(buf, rows, len(names), dialect.delimiter, dialect.quotechar, quotes)
        except RaggedRow as e:
            raise _ragged(path, e.line, e.n_fields, names, dialect) from None
    if fields is None:
        text = buf.decode("utf-8", errors="replace")
        fields, names = _parse_with_csv_module(path, text, dialect, first_line)
    if max_rows is not None and fields.lines.size > max_rows:
        fields = Fields([c[:max_rows] for c in fields.cells], fields.lines[:max_rows])
    if fields.lines.size == 0:
        raise CsvError(f"{path}: the file has a header ({', '.join(names)}) but no data rows")
    return fields, names


def _parse_line(line: bytes, dialect: CsvDialect) -> list[str]:
    rows = list(csv.reader(io.StringIO(line.decode("utf-8", errors="replace")), _csv_dialect(dialect)))
    return [v.strip() for v in rows[0]] if rows else []


def _ragged(path: str, line: int, n_fields: int, names: list[str], dialect: CsvDialect) -> CsvError:
    return CsvError(f"{path}: line {line} has {n_fields} fields but the "
                    f"{'header' if dialect.has_header else 'first row'} has {len(names)} "
                    f"(delimiter {dialect.delimiter!r})")


def _parse_with_csv_module(path: str, text: str, dialect: CsvDialect,
                           first_line: int = 1) -> tuple[Fields, list[str]]:
    """The exact reading of Python's csv module (quotes inside unquoted cells, text after closing quotes)."""
    reader = csv.reader(io.StringIO(text, newline=""), _csv_dialect(dialect))
    names: list[str] | None = None
    columns: list[list[bytes]] = []
    lines: list[int] = []
    end_of_last_row = first_line - 1
    try:
        for row in reader:
            start_line, end_of_last_row = end_of_last_row + 1, reader.line_num + first_line - 1
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
                    raise _ragged(path, start_line, len(row), names, dialect)
            for col, value in zip(columns, row):
                col.append(value.strip().encode("utf-8"))
            lines.append(start_line)
    except csv.Error as e:
        raise CsvError(f"{path}: line {reader.line_num + first_line - 1}: {e}") from None
    if names is None:
        raise CsvError(f"{path}: the file is empty")
    return Fields([cells_array(col) for col in columns], np.asarray(lines, dtype=np.int64)), names


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
