"""`ColumnData`: one column of a table held as arrays, never as a Python string per cell.

A column of plain numbers (empty cells allowed) keeps its cells (fixed-width bytes) and their float64 values.
Any other column is dictionary-encoded: `codes` (int32, one per row) into `uniques` (its sorted distinct values
as UTF-8 bytes), and every question about it (missing, numbers, dates) is answered once per distinct value and
spread to the rows by the codes. The dictionary of a numeric column is made only when someone asks for it.
"""

from __future__ import annotations

import numpy as np

from studio.data.unique import unique_cells

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "missing"})
WIDE_CELL = 256  # cells longer than this are held in an object array rather than a fixed-width one
_MISSING_BYTES = np.array(sorted(t.encode() for t in MISSING_TOKENS), dtype="S8")
_DATE_PROBE = 50  # distinct values looked at before a column is parsed as dates


class ColumnData:
    """A column's values: `codes` into `uniques` (sorted distinct stripped values, as bytes), and for a numeric
    column also `cells` and `plain_numbers` (NaN where empty)."""

    def __init__(self, codes: np.ndarray | None = None, uniques: np.ndarray | None = None,
                 cells: np.ndarray | None = None, plain_numbers: np.ndarray | None = None):
        self._codes, self._uniques = codes, uniques
        self.cells, self.plain_numbers = cells, plain_numbers
        self._cache: dict = {}

    @classmethod
    def from_cells(cls, cells: np.ndarray) -> ColumnData:
        """From one column's cells (bytes, fixed-width or object)."""
        numbers = _plain_numbers(cells)
        if numbers is not None:
            return cls(cells=cells, plain_numbers=numbers)
        uniques, codes = unique_cells(cells)
        return cls(codes, uniques)

    @classmethod
    def from_strings(cls, values) -> ColumnData:
        """From Python strings (tests, small tables); values are stripped as the reader strips them."""
        return cls.from_cells(cells_array([str(v).strip().encode("utf-8") for v in values]))

    def __len__(self) -> int:
        return (self.cells if self.cells is not None else self._codes).size

    @property
    def is_plain_numeric(self) -> bool:
        """Every cell is a number or empty."""
        return self.plain_numbers is not None

    @property
    def codes(self) -> np.ndarray:
        if self._codes is None:
            self._uniques, self._codes = unique_cells(self.cells)
        return self._codes

    @property
    def uniques(self) -> np.ndarray:
        self.codes  # noqa: B018 - made together with the codes
        return self._uniques

    # -- distinct values ------------------------------------------------------------------------
    def distinct_strings(self) -> np.ndarray:
        """The distinct values as an object array of str (decoded once)."""
        if "strings" not in self._cache:
            self._cache["strings"] = _object_array([_decode(v) for v in self.uniques.tolist()])
        return self._cache["strings"]

    def distinct_missing(self) -> np.ndarray:
        """True for the distinct values that mean "missing" (empty, NA, ?, null, …)."""
        if "missing" not in self._cache:
            u = self.uniques
            if u.dtype.kind == "S":
                self._cache["missing"] = np.isin(np.strings.lower(u), _MISSING_BYTES)
            else:
                self._cache["missing"] = np.array([_decode(v).lower() in MISSING_TOKENS for v in u.tolist()],
                                                  dtype=bool)
        return self._cache["missing"]

    def distinct_numbers(self, decimal: str = ".") -> np.ndarray:
        """Each distinct value as float64; NaN for missing values and for values that are not numbers."""
        key = ("numbers", decimal)
        if key not in self._cache:
            self._cache[key] = _parse_numbers(self.uniques, self.distinct_missing(), decimal)
        return self._cache[key]

    def distinct_datetimes(self) -> np.ndarray | None:
        """Each distinct value as datetime64[s] (NaT where missing); None unless every present one is a date."""
        if "datetimes" not in self._cache:
            from studio.data.dates import DATETIME_UNIT, parse_datetimes

            out = None
            present = np.flatnonzero(~self.distinct_missing())
            probe = [_decode(v) for v in self.uniques[present[:_DATE_PROBE]].tolist()]
            if not self.is_plain_numeric and parse_datetimes(probe) is not None:
                parsed = parse_datetimes(self.distinct_strings()[present].tolist())
                if parsed is not None:
                    out = np.full(self.uniques.size, np.datetime64("NaT"), dtype=DATETIME_UNIT)
                    out[present] = parsed
            self._cache["datetimes"] = out
        return self._cache["datetimes"]

    def distinct_counts(self) -> np.ndarray:
        if "counts" not in self._cache:
            self._cache["counts"] = np.bincount(self.codes, minlength=self.uniques.size)
        return self._cache["counts"]

    # -- per row ---------------------------------------------------------------------------------
    def missing(self) -> np.ndarray:
        if self.is_plain_numeric:
            return np.isnan(self.plain_numbers)
        return self.distinct_missing()[self.codes]

    def numbers(self, decimal: str = ".") -> np.ndarray:
        """Every row as float64; NaN where missing or not a number."""
        if self.is_plain_numeric:
            return self.plain_numbers
        return self.distinct_numbers(decimal)[self.codes]

    def datetimes(self) -> np.ndarray | None:
        """Every row's value as datetime64[s] (NaT where missing); None unless the column holds dates."""
        distinct = self.distinct_datetimes()
        return None if distinct is None else distinct[self.codes]

    def strings(self) -> np.ndarray:
        """Every row's value as str (an object array sharing one str per distinct value)."""
        return self.distinct_strings()[self.codes]

    def string_at(self, row: int) -> str:
        if self.cells is not None:
            return _decode(self.cells[row])
        return _decode(self.uniques[self.codes[row]])


def cells_array(cells: list[bytes]) -> np.ndarray:
    """Cells as one fixed-width bytes array, or an object array when some cell is long text."""
    if max((len(v) for v in cells), default=0) > WIDE_CELL:
        return _object_array(cells)
    return np.array(cells or [b""], dtype="S")[:len(cells)]


def _object_array(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _decode(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _plain_numbers(cells: np.ndarray) -> np.ndarray | None:
    """The cells as float64 (NaN where empty) when every other cell is a number; else None."""
    if cells.dtype.kind != "S" or cells.size == 0:
        return None
    empty = cells == b""
    out = np.full(cells.size, np.nan)
    try:
        if empty.any():
            out[~empty] = cells[~empty].astype(np.float64)
        else:
            out = cells.astype(np.float64)
    except ValueError:
        return None
    return out


def _parse_numbers(uniques: np.ndarray, missing: np.ndarray, decimal: str) -> np.ndarray:
    values = uniques
    if decimal != "." and values.dtype.kind == "S":
        values = np.strings.replace(values, decimal.encode(), b".")
    out = np.full(values.size, np.nan)
    present = np.flatnonzero(~missing)
    if values.dtype.kind == "S":
        try:
            out[present] = values[present].astype(np.float64)  # parsed in C; any word raises, then one by one
            return out
        except ValueError:
            pass
    for i in present.tolist():
        v = values[i]
        text = _decode(v) if decimal == "." or values.dtype.kind == "S" else _decode(v).replace(decimal, ".")
        try:
            out[i] = float(text)
        except ValueError:
            pass
    return out
