"""What a column holds (numeric, categorical, date/time, free text) and what it is for (feature, target, ignored)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from studio.data.column_data import MISSING_TOKENS, ColumnData

__all__ = ["MISSING_TOKENS", "MAX_CATEGORIES", "ColumnRole", "ColumnSummary", "ColumnType", "default_role",
           "is_missing", "looks_like_class_labels", "missing_mask", "parse_number", "summarize",
           "summarize_table"]

MAX_CATEGORIES = 50
"""A non-numeric column with more distinct values than this (and than half its rows) is free text."""


class ColumnType(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    DATETIME = "datetime"  # dates and times: the order of a time series, never a feature as such
    TEXT = "text"  # free text: a feature only as token sequences (studio/data/text.py)
    IMAGE = "image"  # paths of image files (studio/data/images.py)


class ColumnRole(StrEnum):
    FEATURE = "feature"
    TARGET = "target"
    IGNORE = "ignore"


def is_missing(value: str) -> bool:
    return value.strip().lower() in MISSING_TOKENS


def missing_mask(values) -> np.ndarray:
    """True where a value is missing (strings, or a ColumnData)."""
    data = values if isinstance(values, ColumnData) else ColumnData.from_strings(values)
    return data.missing()


def parse_number(value: str) -> float | None:
    """The number in `value`, or None when it is not one (missing tokens included)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return None if np.isnan(number) else number


@dataclass
class ColumnSummary:
    """What a column holds, for the import dialog and for the default type and role."""

    name: str
    inferred_type: ColumnType
    n_missing: int
    n_values: int
    n_unique: int
    non_numeric: int  # values that are neither missing nor numbers
    first_non_numeric: tuple[int, str] | None  # (row index, value) of the first of them
    top_values: list[tuple[str, int]]
    all_integers: bool = False  # every number in the column is a whole number
    value_range: tuple[float, float] | None = None  # smallest and largest number, if any

    @property
    def all_missing(self) -> bool:
        return self.n_values == self.n_missing

    @property
    def integer_valued(self) -> bool:
        return self.inferred_type == ColumnType.NUMERIC and self.all_integers

    def describe(self) -> str:
        """One line for the dialog: type, missing count, distinct values."""
        parts = [self.inferred_type.value]
        if self.all_missing:
            return "all values missing"
        if self.n_missing:
            parts.append(f"{self.n_missing} missing")
        parts.append(f"{self.n_unique} distinct")
        return ", ".join(parts)


def summarize(name: str, values, decimal: str = ".") -> ColumnSummary:
    """Count missing, numeric and distinct values of a column (strings, or a ColumnData) and infer its type.

    The work is done once per distinct value: a million rows of a few hundred values cost a few hundred parses.
    """
    data = values if isinstance(values, ColumnData) else ColumnData.from_strings(values)
    if data.is_plain_numeric:
        return _summarize_numbers(name, data)
    counts = data.distinct_counts()
    missing = data.distinct_missing()
    numbers = data.distinct_numbers(decimal)
    present = ~missing & (counts > 0)
    bad = present & np.isnan(numbers)
    n_present = int(counts[present].sum())
    n_bad = int(counts[bad].sum())
    n_numbers = n_present - n_bad
    n_unique = int(present.sum())
    first_bad = None
    if n_bad:
        row = int(np.flatnonzero(bad[data.codes])[0])
        first_bad = (row, data.string_at(row))
    if n_present == 0 or n_bad == 0:
        kind = ColumnType.NUMERIC
    elif n_bad <= 0.05 * n_present and n_numbers > n_bad:
        # Mostly numbers with a few stray words: a numeric column with bad cells, reported when used.
        kind = ColumnType.NUMERIC
    elif data.distinct_datetimes() is not None:
        kind = ColumnType.DATETIME
    elif n_unique <= MAX_CATEGORIES or n_unique <= 0.5 * n_present:
        kind = ColumnType.CATEGORICAL
    else:
        kind = ColumnType.TEXT
    top = np.flatnonzero(present)
    top = top[np.argsort(-counts[top], kind="stable")[:5]]
    top_values = [(_text(data.uniques[k]), int(counts[k])) for k in top.tolist()]
    numeric = numbers[present & ~np.isnan(numbers)]
    return ColumnSummary(name=name, inferred_type=kind, n_missing=len(data) - n_present, n_values=len(data),
                         n_unique=n_unique, non_numeric=n_bad, first_non_numeric=first_bad, top_values=top_values,
                         all_integers=bool(numeric.size) and bool(np.all(numeric == np.round(numeric))),
                         value_range=_range(numeric))


def _range(numbers: np.ndarray) -> tuple[float, float] | None:
    finite = numbers[np.isfinite(numbers)]
    return (float(finite.min()), float(finite.max())) if finite.size else None


def _summarize_numbers(name: str, data: ColumnData) -> ColumnSummary:
    """The summary of a column of plain numbers, from the numbers (no dictionary of strings is made)."""
    numbers = data.plain_numbers
    present = numbers[~np.isnan(numbers)]
    distinct, first, counts = np.unique(present, return_index=True, return_counts=True)
    rows = np.flatnonzero(~np.isnan(numbers))
    top = np.argsort(-counts, kind="stable")[:5]
    top_values = [(data.string_at(int(rows[first[k]])), int(counts[k])) for k in top.tolist()]
    return ColumnSummary(name=name, inferred_type=ColumnType.NUMERIC, n_missing=len(data) - present.size,
                         n_values=len(data), n_unique=int(distinct.size), non_numeric=0, first_non_numeric=None,
                         top_values=top_values,
                         all_integers=bool(present.size) and bool(np.all(present == np.round(present))),
                         value_range=_range(distinct))


def _text(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def summarize_table(table) -> list[ColumnSummary]:
    """One summary per column of a CsvTable, numbers read with the file's decimal mark."""
    return [summarize(name, data, table.dialect.decimal) for name, data in zip(table.names, table.data)]


def default_role(summary: ColumnSummary, is_last: bool) -> ColumnRole:
    """Target for the last usable column, feature for numeric and categorical ones, ignore otherwise."""
    if summary.all_missing or summary.inferred_type in (ColumnType.TEXT, ColumnType.DATETIME):
        return ColumnRole.IGNORE
    return ColumnRole.TARGET if is_last else ColumnRole.FEATURE


def looks_like_class_labels(summary: ColumnSummary) -> bool:
    """A numeric column of a few integers (0/1, 1..5) that is better read as classes when it is the target."""
    return summary.integer_valued and 2 <= summary.n_unique <= 10
