"""A table's column read as the model needs it: numbers (NaN where missing), categories, codes, counts. Parsed once
per table and column (cached on the table); a value that is not a number is named with its line."""

from __future__ import annotations

from collections import Counter

import numpy as np

from studio.data.columns import parse_number
from studio.data.csv_reader import CsvTable
from studio.data.errors import DataError


def numeric_values(table: CsvTable, name: str) -> np.ndarray:
    """The column as float64 with NaN for missing cells; DataError naming the line of the first non-number."""
    key = ("numeric", name)
    if key not in table.cache:
        table.cache[key] = _parse_numeric(table, name)
    return table.cache[key]


def _parse_numeric(table: CsvTable, name: str) -> np.ndarray:
    data = table.column_data(name)
    if data.is_plain_numeric:
        values = data.plain_numbers
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            i = int(infinite[0])
            raise DataError(f"{table.path}: column {name!r}, line {table.line_numbers[i]} holds "
                            f"{data.string_at(i)!r}, which is not a finite number.")
        return values
    distinct = data.distinct_numbers(table.dialect.decimal)
    bad = np.isnan(distinct) & ~data.distinct_missing()
    if bad.any():
        rows = np.flatnonzero(bad[data.codes])
        i = int(rows[0])
        raise DataError(f"{table.path}: column {name!r} is numeric but line {table.line_numbers[i]} holds "
                        f"{data.string_at(i)!r}" + (f" ({rows.size} such values in all)" if rows.size > 1 else "") +
                        ". Fix the file, make the column categorical, or ignore it.")
    if np.isinf(distinct).any():
        i = int(np.flatnonzero(np.isinf(distinct)[data.codes])[0])
        raise DataError(f"{table.path}: column {name!r}, line {table.line_numbers[i]} holds {data.string_at(i)!r}, "
                        "which is not a finite number.")
    return distinct[data.codes]


def missing_values(table: CsvTable, name: str) -> np.ndarray:
    """Where the column's values are missing (computed once per table and column)."""
    key = ("missing", name)
    if key not in table.cache:
        table.cache[key] = table.column_data(name).missing()
    return table.cache[key]


def category_values(table: CsvTable, name: str) -> np.ndarray:
    """The column's values as str, None where missing (an object array)."""
    values = table.column(name).copy()
    values[missing_values(table, name)] = None
    return values


def category_codes(table: CsvTable, name: str, categories: list[str]) -> np.ndarray:
    """Each row's index in `categories`; -1 where the value is missing, -2 where it is not among them."""
    data = table.column_data(name)
    index = {c: j for j, c in enumerate(categories)}
    distinct = np.array([index.get(v, -2) for v in data.distinct_strings().tolist()], dtype=np.int64)
    distinct[data.distinct_missing()] = -1
    return distinct[data.codes]


def present_categories(table: CsvTable, name: str, rows: np.ndarray | None = None) -> Counter:
    """How often each non-missing value occurs (in `rows`, or in every row)."""
    data = table.column_data(name)
    codes = data.codes if rows is None else data.codes[rows]
    counts = np.bincount(codes, minlength=data.uniques.size)
    strings, missing = data.distinct_strings(), data.distinct_missing()
    return Counter({strings[k]: int(counts[k]) for k in np.flatnonzero((counts > 0) & ~missing).tolist()})


def sorted_labels(labels) -> list[str]:
    labels = list(labels)
    numbers = [parse_number(v) for v in labels]
    if all(x is not None for x in numbers):
        return [v for _, v in sorted(zip(numbers, labels))]
    return sorted(labels)
