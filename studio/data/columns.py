"""What a column holds (numeric, categorical, free text) and what it is for (feature, target, ignored)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "missing"})
MAX_CATEGORIES = 50
"""A non-numeric column with more distinct values than this (and than half its rows) is free text."""


class ColumnType(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    TEXT = "text"  # free text: a feature only as token sequences (studio/data/text.py)
    IMAGE = "image"  # paths of image files (studio/data/images.py)


class ColumnRole(StrEnum):
    FEATURE = "feature"
    TARGET = "target"
    IGNORE = "ignore"


def is_missing(value: str) -> bool:
    return value.strip().lower() in MISSING_TOKENS


def missing_mask(values: list[str]) -> np.ndarray:
    """True where a value is missing; each distinct string is looked at once (columns repeat a lot)."""
    missing = [u for u in set(values) if is_missing(u)]
    if not missing:
        return np.zeros(len(values), dtype=bool)
    missing_set = set(missing)
    return np.fromiter((v in missing_set for v in values), dtype=bool, count=len(values))


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


def summarize(name: str, values: list[str]) -> ColumnSummary:
    """Count missing, numeric and distinct values of a column and infer its type."""
    present = [(i, v) for i, v in enumerate(values) if not is_missing(v)]
    numbers, first_bad, n_bad = [], None, 0
    for i, v in present:
        x = parse_number(v)
        if x is None:
            n_bad += 1
            if first_bad is None:
                first_bad = (i, v)
        else:
            numbers.append(x)
    counts = Counter(v for _, v in present)
    n_unique = len(counts)
    if not present:
        kind = ColumnType.NUMERIC
    elif n_bad == 0:
        kind = ColumnType.NUMERIC
    elif n_bad <= 0.05 * len(present) and len(numbers) > n_bad:
        # Mostly numbers with a few stray words: a numeric column with bad cells, reported when used.
        kind = ColumnType.NUMERIC
    elif n_unique <= MAX_CATEGORIES or n_unique <= 0.5 * len(present):
        kind = ColumnType.CATEGORICAL
    else:
        kind = ColumnType.TEXT
    return ColumnSummary(name=name, inferred_type=kind, n_missing=len(values) - len(present),
                         n_values=len(values), n_unique=n_unique, non_numeric=n_bad, first_non_numeric=first_bad,
                         top_values=counts.most_common(5),
                         all_integers=bool(numbers) and all(x.is_integer() for x in numbers))


def default_role(summary: ColumnSummary, is_last: bool) -> ColumnRole:
    """Target for the last usable column, feature for numeric and categorical ones, ignore otherwise."""
    if summary.all_missing or summary.inferred_type == ColumnType.TEXT:
        return ColumnRole.IGNORE
    return ColumnRole.TARGET if is_last else ColumnRole.FEATURE


def looks_like_class_labels(summary: ColumnSummary) -> bool:
    """A numeric column of a few integers (0/1, 1..5) that is better read as classes when it is the target."""
    return summary.integer_valued and 2 <= summary.n_unique <= 10
