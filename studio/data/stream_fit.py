"""Fitting the preprocessing of a CSV file read in chunks, to the same `Preprocessor` as reading it whole.

Two passes over the file. The first finds the usable rows (those with a target and every drop-rows value), the
categories (the union of each chunk's distinct values), the classes and, to stratify, each usable row's class;
the training / validation / test split is then decided by `split_indices` exactly as for the whole file. The
second pass sums the training rows' statistics: means and standard deviations merged chunk by chunk (Chan's
parallel formula, equal to NumPy's whole-column values to rounding), and the most frequent values for filling.
Plain rows of numeric and categorical columns only: windows, text and images are read whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from studio.data.chunks import CsvChunks
from studio.data.column_values import sorted_labels
from studio.data.columns import ColumnType
from studio.data.csv_reader import CsvTable
from studio.data.errors import DataError
from studio.data.preprocess import (
    BINARY,
    MULTICLASS,
    REGRESSION,
    FeatureState,
    Preprocessor,
    TargetState,
    missing_values,
    numeric_values,
    present_categories,
)
from studio.data.spec import DataSpec, MissingStrategy, Scaling, TargetEncoding
from studio.data.split import split_indices

Progress = Callable[[float], None]
TRAIN, VALIDATION, TEST = 0, 1, 2


def spec_problem(spec: DataSpec) -> str | None:
    """Why the spec's data cannot be read in chunks (windows, text, images need the whole file), or None."""
    if spec.sequence is not None:
        return "time-series windows are cut from the whole file"
    if spec.image is not None or any(c.type in (ColumnType.TEXT, ColumnType.IMAGE) for c in spec.features):
        return "text and image samples are read from the whole file"
    return None


@dataclass
class StreamPlan:
    """What the passes learned about the file: its chunks, where each chunk's usable rows start in the usable
    order (`offsets`), which part each usable row belongs to (`part`: TRAIN, VALIDATION or TEST), and where each
    chunk's rows start among the file's rows (`row_offsets`)."""

    chunks: CsvChunks
    offsets: np.ndarray
    part: np.ndarray
    row_offsets: np.ndarray  # where each chunk's rows start among the file's rows
    dropped: dict[str, int] = field(default_factory=dict)
    first_dropped: dict[str, int] = field(default_factory=dict)

    def count(self, which: int) -> int:
        return int(np.count_nonzero(self.part == which))

    def rows_of(self, k: int, table: CsvTable, spec: DataSpec, which: int) -> np.ndarray:
        """The rows of chunk `k` (read as `table`) that belong to part `which`, in file order."""
        usable = np.flatnonzero(usable_mask(table, spec))
        part = self.part[self.offsets[k]:self.offsets[k] + usable.size]
        return usable[part == which]


def usable_mask(table: CsvTable, spec: DataSpec) -> np.ndarray:
    """The rows `preprocess.usable_rows` keeps: a target and a value in every drop-rows column."""
    keep = np.ones(table.n_rows, dtype=bool)
    for c in spec.features + spec.targets:
        if c.role.value == "target" or spec.missing_strategy(c) == MissingStrategy.DROP_ROWS:
            keep &= ~missing_values(table, c.name)
    return keep


class _Moments:
    """Count, mean and sum of squared deviations of a column's values, merged chunk by chunk."""

    def __init__(self):
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, values: np.ndarray) -> None:
        if values.size == 0:
            return
        n, mean = values.size, float(values.mean())
        m2 = float(np.square(values - mean).sum())
        total = self.n + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.n * n / total
        self.n = total

    @property
    def std(self) -> float:
        return float(np.sqrt(self.m2 / self.n)) if self.n else 0.0


def fit_streamed(spec: DataSpec, chunks: CsvChunks, progress: Progress | None = None
                 ) -> tuple[Preprocessor, StreamPlan]:
    """The preprocessor `Preprocessor.fit` would give on the whole file with `prepare`'s split, and the plan of
    the file's parts, from two passes over its chunks. DataError as `prepare` raises it."""
    spec.validate()
    problem = spec_problem(spec)
    if problem:
        raise DataError(f"{chunks.path}: cannot be read in chunks: {problem}")
    report = progress or (lambda fraction: None)
    first = _first_pass(spec, chunks, lambda f: report(0.5 * f))
    s = spec.split
    labels = first.stratify_labels() if spec.is_classification and s.stratify else None
    parts = split_indices(first.n_usable, s.validation_fraction, s.test_fraction, s.seed, labels=labels,
                          shuffle=s.shuffle)
    part = np.full(first.n_usable, -1, dtype=np.int8)
    for which, positions in enumerate(parts):
        part[positions] = which
    plan = StreamPlan(chunks, np.asarray(first.offsets, dtype=np.int64), part,
                      np.cumsum([0, *first.row_counts[:-1]], dtype=np.int64), first.dropped, first.first_dropped)
    preprocessor = _second_pass(spec, plan, first, lambda f: report(0.5 + 0.5 * f))
    return preprocessor, plan


@dataclass
class _FirstPass:
    n_usable: int = 0
    offsets: list[int] = field(default_factory=list)
    row_counts: list[int] = field(default_factory=list)
    present: Counter = field(default_factory=Counter)  # column -> rows with a value (all rows)
    categories: dict[str, set] = field(default_factory=dict)  # categorical feature -> values in any row
    classes: dict[str, set] = field(default_factory=dict)  # class target -> values in usable rows
    labels: list[np.ndarray] = field(default_factory=list)  # the first target's value id per usable row
    label_ids: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    first_dropped: dict[str, int] = field(default_factory=dict)

    def stratify_labels(self) -> np.ndarray:
        """Each usable row's class as its rank among the sorted classes (as the whole file's codes order them)."""
        names = sorted(self.label_ids, key=lambda v: v.encode("utf-8"))
        rank = np.empty(len(names), dtype=np.int64)
        for r, name in enumerate(names):
            rank[self.label_ids[name]] = r
        ids = np.concatenate(self.labels) if self.labels else np.zeros(0, dtype=np.int64)
        return rank[ids]


def _first_pass(spec: DataSpec, chunks: CsvChunks, report: Progress) -> _FirstPass:
    out = _FirstPass()
    categorical = [c.name for c in spec.features if c.type != ColumnType.NUMERIC]
    class_targets = [c.name for c in spec.targets if c.type != ColumnType.NUMERIC]
    for table in chunks.tables(report):
        _check_columns(table, spec)
        keep = np.ones(table.n_rows, dtype=bool)
        for c in spec.features + spec.targets:  # the order `Preprocessor.transform` counts dropped rows in
            miss = missing_values(table, c.name)
            out.present[c.name] += int(miss.size - np.count_nonzero(miss))
            if c.role.value == "target" or spec.missing_strategy(c) == MissingStrategy.DROP_ROWS:
                dropped = miss & keep
                if dropped.any():
                    out.dropped[c.name] = out.dropped.get(c.name, 0) + int(dropped.sum())
                    out.first_dropped.setdefault(c.name, int(table.line_numbers[np.flatnonzero(dropped)[0]]))
                keep &= ~miss
        usable = np.flatnonzero(keep)
        out.offsets.append(out.n_usable)
        out.row_counts.append(table.n_rows)
        out.n_usable += usable.size
        for name in categorical:
            out.categories.setdefault(name, set()).update(present_categories(table, name))
        for name in class_targets:
            out.classes.setdefault(name, set()).update(present_categories(table, name, usable))
        if spec.is_classification and spec.split.stratify:
            data = table.column_data(spec.target.name)  # ids given per distinct value, spread by the codes
            ids = np.array([out.label_ids.setdefault(v, len(out.label_ids)) for v in data.distinct_strings()],
                           dtype=np.int64)
            out.labels.append(ids[data.codes[usable]])
    for c in spec.features + spec.targets:
        if out.present[c.name] == 0:
            raise DataError(f"{chunks.path}: column {c.name!r} has no values at all: set its role to ignore.")
    if out.n_usable == 0:
        raise DataError(f"{chunks.path}: no row is left once rows with missing values are dropped "
                        f"(missing per column: {', '.join(f'{k!r}: {v}' for k, v in out.dropped.items())}). "
                        "Fill missing values instead.")
    return out


def _check_columns(table: CsvTable, spec: DataSpec) -> None:
    for c in spec.features + spec.targets:
        table.column_data(c.name)  # CsvError naming the file's columns when one is not there


def _second_pass(spec: DataSpec, plan: StreamPlan, first: _FirstPass, report: Progress) -> Preprocessor:
    numeric = [c for c in spec.features if c.type == ColumnType.NUMERIC]
    moments = {c.name: _Moments() for c in numeric}
    frequent = {c.name: Counter() for c in numeric if spec.missing_strategy(c) == MissingStrategy.FILL_MOST_FREQUENT}
    fills = {c.name: Counter() for c in spec.features
             if c.type != ColumnType.NUMERIC and spec.missing_strategy(c) != MissingStrategy.DROP_ROWS}
    scaled_targets = [c for c in spec.targets
                      if c.type == ColumnType.NUMERIC and spec.target_scaling == Scaling.STANDARD]
    target_moments = {c.name: _Moments() for c in scaled_targets}
    for k, table in enumerate(plan.chunks.tables(report)):
        rows = plan.rows_of(k, table, spec, TRAIN)
        for name, m in moments.items():
            values = numeric_values(table, name)[rows]
            values = values[~np.isnan(values)]
            m.add(values)
            if name in frequent:
                distinct, counts = np.unique(values, return_counts=True)
                frequent[name].update(dict(zip(distinct.tolist(), counts.tolist())))
        for name, counter in fills.items():
            counter.update(present_categories(table, name, rows))
        for name, m in target_moments.items():
            m.add(numeric_values(table, name)[rows])
    features = []
    for c in spec.features:
        strategy = spec.missing_strategy(c)
        if c.type == ColumnType.NUMERIC:
            m = moments[c.name]
            if m.n == 0:
                raise DataError(f"{plan.chunks.path}: column {c.name!r} has no values in the training rows.")
            fill = m.mean if strategy == MissingStrategy.FILL_MEAN else None
            if c.name in frequent:
                counts = frequent[c.name]
                most = max(counts.values())
                fill = float(min(v for v, n in counts.items() if n == most))
            features.append(FeatureState(c.name, "numeric", strategy.value, fill=fill, mean=m.mean,
                                         std=m.std if m.std > 0 else 1.0))
        else:
            counts = fills.get(c.name)
            ordered = Counter({v: counts[v] for v in sorted(counts)}) if counts else None
            fill = ordered.most_common(1)[0][0] if ordered else None
            features.append(FeatureState(c.name, "categorical", strategy.value, fill=fill,
                                         categories=sorted_labels(first.categories.get(c.name, ()))))
    targets = [_target(spec, c, first, target_moments.get(c.name), plan.chunks.path) for c in spec.targets]
    return Preprocessor(features, targets, spec.scaling.value)


def _target(spec: DataSpec, column, first: _FirstPass, moments: _Moments | None, path: str) -> TargetState:
    if column.type == ColumnType.NUMERIC:
        mean, std = (moments.mean, moments.std or 1.0) if moments is not None else (0.0, 1.0)
        return TargetState(column.name, REGRESSION, "float", mean=mean, std=std)
    classes = sorted_labels(first.classes.get(column.name, ()))
    if len(classes) < 2:
        raise DataError(f"{path}: the target {column.name!r} has a single class ({', '.join(map(repr, classes))}) "
                        "in the usable rows; a classifier needs at least two. Choose another target.")
    task = BINARY if len(classes) == 2 else MULTICLASS
    encoding = "one_hot" if spec.target_encoding == TargetEncoding.ONE_HOT else "integer"
    return TargetState(column.name, task, encoding, classes=classes)
