"""`Preprocessor`: the fitted transform from CSV columns to model arrays, and back from predictions to labels.

Fitted once on the training rows (means, standard deviations, fill values) and on the whole file
(categories, class names); its state is JSON-able, so the same transform is applied to new CSV files at
prediction time. Errors name the column and the file line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from studio.data.columns import ColumnType, missing_mask, parse_number
from studio.data.csv_reader import CsvTable
from studio.data.errors import DataError
from studio.data.spec import DataSpec, MissingStrategy, Scaling, TargetEncoding

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"


@dataclass
class FeatureState:
    """A feature column's fitted state: numeric (mean, std) or categorical (categories)."""

    name: str
    type: str  # "numeric" or "categorical"
    missing: str  # a MissingStrategy value, FILL already resolved
    fill: float | str | None = None
    mean: float = 0.0
    std: float = 1.0
    categories: list[str] = field(default_factory=list)

    @property
    def output_names(self) -> list[str]:
        return [f"{self.name}={c}" for c in self.categories] if self.type == "categorical" else [self.name]


@dataclass
class TargetState:
    name: str
    task: str  # BINARY, MULTICLASS or REGRESSION
    encoding: str  # "integer" or "one_hot" (classification), "float" (regression)
    classes: list[str] = field(default_factory=list)
    mean: float = 0.0  # regression target scaling; identity unless the spec asks for it
    std: float = 1.0


@dataclass
class Transformed:
    """Model inputs for the usable rows of a table; `rows` index the table, `lines` are file lines."""

    x: np.ndarray
    y: np.ndarray | None
    rows: np.ndarray
    lines: np.ndarray
    dropped: dict[str, int] = field(default_factory=dict)  # column name -> rows dropped for a missing value


def numeric_values(table: CsvTable, name: str) -> np.ndarray:
    """The column as float64 with NaN for missing cells; DataError naming the line of the first non-number."""
    key = ("numeric", name)
    if key not in table.cache:
        table.cache[key] = _parse_numeric(table, name)
    return table.cache[key]


def _parse_numeric(table: CsvTable, name: str) -> np.ndarray:
    values = table.column(name)
    miss = missing_values(table, name)
    text = np.asarray(values, dtype=str)
    text[miss] = "nan"
    try:
        out = text.astype(np.float64)  # NumPy parses the strings in C; a bad one raises, then we look closer
    except ValueError:
        out = None
    if out is None or np.isnan(out[~miss]).any():
        out = np.empty(len(values), dtype=np.float64)
        for i, v in enumerate(values):
            x = np.nan if miss[i] else parse_number(v)
            if x is None:
                bad = sum(1 for j, w in enumerate(values) if not miss[j] and parse_number(w) is None)
                raise DataError(f"{table.path}: column {name!r} is numeric but line {table.line_numbers[i]} holds "
                                f"{v!r}" + (f" ({bad} such values in all)" if bad > 1 else "") +
                                ". Fix the file, make the column categorical, or ignore it.")
            out[i] = x
    infinite = np.flatnonzero(np.isinf(out))
    if infinite.size:
        i = int(infinite[0])
        raise DataError(f"{table.path}: column {name!r}, line {table.line_numbers[i]} holds {values[i]!r}, "
                        "which is not a finite number.")
    return out


def missing_values(table: CsvTable, name: str) -> np.ndarray:
    """Where the column's values are missing (computed once per table and column)."""
    key = ("missing", name)
    if key not in table.cache:
        table.cache[key] = missing_mask(table.column(name))
    return table.cache[key]


def category_values(table: CsvTable, name: str) -> list[str | None]:
    miss = missing_values(table, name)
    return [None if m else v for v, m in zip(table.column(name), miss.tolist())]


def _sorted_labels(labels) -> list[str]:
    labels = list(labels)
    numbers = [parse_number(v) for v in labels]
    if all(x is not None for x in numbers):
        return [v for _, v in sorted(zip(numbers, labels))]
    return sorted(labels)


class Preprocessor:
    """Turns a CsvTable into `x` (float32, one-hot and scaled) and `y` (encoded for the loss)."""

    def __init__(self, features: list[FeatureState], target: TargetState | None, scaling: str):
        self.features = features
        self.target = target
        self.scaling = scaling

    # -- fitting --------------------------------------------------------------------------------
    @classmethod
    def fit(cls, table: CsvTable, spec: DataSpec, stat_rows: np.ndarray | None = None) -> Preprocessor:
        """Fit on `table`: statistics from `stat_rows` (the training rows), categories and classes from all rows."""
        spec.validate()
        usable = usable_rows(table, spec)
        stat_rows = usable if stat_rows is None else np.asarray(stat_rows)
        features = [_fit_feature(table, spec, c, stat_rows) for c in spec.features]
        target = _fit_target(table, spec, usable, stat_rows)
        return cls(features, target, spec.scaling.value)

    # -- questions ------------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        """Names of the columns of `x`: numeric features, then one per category as `name=value`."""
        return [n for f in self.features for n in f.output_names]

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def task(self) -> str:
        return self.target.task if self.target else REGRESSION

    @property
    def class_names(self) -> list[str]:
        return list(self.target.classes) if self.target else []

    # -- transforming ---------------------------------------------------------------------------
    def transform(self, table: CsvTable, with_target: bool | None = None) -> Transformed:
        """Arrays for the rows of `table` that can be used; the target only if `with_target` (default: if present).

        A row missing a value in a drop-rows column is left out and counted in `dropped`; missing values in
        fill columns take the fitted fill value. DataError for a missing column or an unseen category.
        """
        missing_cols = [f.name for f in self.features if f.name not in table.names]
        if missing_cols:
            raise DataError(f"{table.path}: the model needs column{'s' if len(missing_cols) > 1 else ''} "
                            f"{', '.join(repr(n) for n in missing_cols)}, which the file does not have "
                            f"(it has {', '.join(repr(n) for n in table.names)}).")
        if with_target is None:
            with_target = self.target is not None and self.target.name in table.names
        if with_target and (self.target is None or self.target.name not in table.names):
            name = self.target.name if self.target else "?"
            raise DataError(f"{table.path}: the target column {name!r} is not in the file.")
        keep = np.ones(table.n_rows, dtype=bool)
        dropped: dict[str, int] = {}
        raw = []
        for f in self.features:
            values = numeric_values(table, f.name) if f.type == "numeric" else category_values(table, f.name)
            miss = np.isnan(values) if f.type == "numeric" else np.array([v is None for v in values], dtype=bool)
            if f.missing == MissingStrategy.DROP_ROWS and miss.any():
                dropped[f.name] = int((miss & keep).sum())
                keep &= ~miss
            raw.append((f, values, miss))
        y_raw = None
        if with_target:
            y_raw, miss = self._target_values(table)
            if miss.any():
                dropped[self.target.name] = int((miss & keep).sum())
                keep &= ~miss
        rows = np.flatnonzero(keep)
        blocks = [self._encode_feature(table, f, values, miss, rows) for f, values, miss in raw]
        x = np.concatenate(blocks, axis=1).astype(np.float32) if blocks else np.zeros((len(rows), 0), np.float32)
        y = self._encode_target(table, y_raw, rows) if with_target else None
        lines = np.asarray(table.line_numbers, dtype=np.int64)[rows]
        return Transformed(x=x, y=y, rows=rows, lines=lines, dropped={k: v for k, v in dropped.items() if v})

    def _encode_feature(self, table, f: FeatureState, values, miss, rows) -> np.ndarray:
        if f.type == "numeric":
            col = np.where(miss, f.fill if f.fill is not None else np.nan, values)[rows]
            if self.scaling == Scaling.STANDARD:
                col = (col - f.mean) / f.std
            return col.reshape(-1, 1)
        index = {c: j for j, c in enumerate(f.categories)}
        out = np.zeros((len(rows), len(f.categories)), dtype=np.float32)
        for k, i in enumerate(rows):
            value = f.fill if values[i] is None else values[i]
            j = index.get(value)
            if j is None:
                raise DataError(f"{table.path}: column {f.name!r}, line {table.line_numbers[i]} holds {value!r}, "
                                f"a category not seen in training (known: {_list(f.categories)}).")
            out[k, j] = 1.0
        return out

    def _target_values(self, table: CsvTable):
        t = self.target
        if t.task == REGRESSION:
            values = numeric_values(table, t.name)
            return values, np.isnan(values)
        values = category_values(table, t.name)
        return values, np.array([v is None for v in values], dtype=bool)

    def _encode_target(self, table: CsvTable, values, rows) -> np.ndarray:
        t = self.target
        if t.task == REGRESSION:
            return ((values[rows] - t.mean) / t.std).astype(np.float32).reshape(-1, 1)
        index = {c: j for j, c in enumerate(t.classes)}
        labels = np.empty(len(rows), dtype=np.int64)
        for k, i in enumerate(rows):
            j = index.get(values[i])
            if j is None:
                raise DataError(f"{table.path}: target {t.name!r}, line {table.line_numbers[i]} holds "
                                f"{values[i]!r}, a class not seen in training (known: {_list(t.classes)}).")
            labels[k] = j
        return encode_labels(labels, t)

    # -- predictions back to the user's words ---------------------------------------------------
    def decode(self, predictions: np.ndarray) -> tuple[list, np.ndarray | None]:
        """(labels or values in the file's units, class probabilities or None) for model outputs."""
        p = np.asarray(predictions, dtype=np.float64)
        t = self.target
        if t is None or t.task == REGRESSION:
            mean, std = (t.mean, t.std) if t else (0.0, 1.0)
            return (p.reshape(len(p), -1)[:, 0] * std + mean).tolist(), None
        p = p.reshape(len(p), -1)
        if p.shape[1] == 1:
            probs = np.concatenate([1.0 - p, p], axis=1)
        else:
            probs = p
        if probs.shape[1] != len(t.classes):
            raise DataError(f"The model gives {probs.shape[1]} outputs per row, but the target {t.name!r} has "
                            f"{len(t.classes)} classes ({_list(t.classes)}): the model's last layer does not fit "
                            "the data.")
        labels = probs.argmax(axis=1)
        return [t.classes[j] for j in labels], probs

    def labels_of(self, y: np.ndarray) -> np.ndarray:
        """Integer class labels from encoded targets (any encoding)."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            return y.argmax(axis=1)
        return np.rint(y.reshape(-1)).astype(np.int64)

    def target_values(self, y: np.ndarray) -> np.ndarray:
        """Regression targets back in the file's units."""
        t = self.target
        return np.asarray(y, dtype=np.float64).reshape(-1) * t.std + t.mean

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"scaling": self.scaling,
                "features": [{"name": f.name, "type": f.type, "missing": f.missing, "fill": f.fill,
                              "mean": f.mean, "std": f.std, "categories": list(f.categories)}
                             for f in self.features],
                "target": None if self.target is None else {
                    "name": self.target.name, "task": self.target.task, "encoding": self.target.encoding,
                    "classes": list(self.target.classes), "mean": self.target.mean, "std": self.target.std}}

    @classmethod
    def from_dict(cls, d: dict) -> Preprocessor:
        """The state saved by `to_dict`, checked: DataError naming the column whose saved state cannot be used
        (a non-finite mean, a zero or non-finite scale, a classifier without classes, an unknown kind)."""
        try:
            features = [_feature_from_dict(f) for f in d["features"]]
            t = d.get("target")
            target = None if t is None else _target_from_dict(t)
            scaling = str(d.get("scaling", "standard"))
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise DataError(f"The saved preprocessing state is incomplete or damaged ({e}).") from None
        if scaling not in set(Scaling):
            raise DataError(f"The saved preprocessing has an unknown scaling {scaling!r}.")
        return cls(features, target, scaling)


def _feature_from_dict(f: dict) -> FeatureState:
    name = str(f["name"])
    state = FeatureState(name=name, type=str(f["type"]), missing=str(f["missing"]), fill=f.get("fill"),
                         mean=float(f.get("mean", 0.0)), std=float(f.get("std", 1.0)),
                         categories=[str(c) for c in f.get("categories", [])])
    where = f"The saved preprocessing of column {name!r}"
    if state.type not in ("numeric", "categorical"):
        raise DataError(f"{where} has an unknown type {state.type!r} (expected 'numeric' or 'categorical').")
    if state.missing not in set(MissingStrategy):
        raise DataError(f"{where} has an unknown missing-value strategy {state.missing!r}.")
    if state.type == "numeric":
        _check_scale(where, state.mean, state.std)
        if state.fill is not None and not (isinstance(state.fill, (int, float)) and np.isfinite(state.fill)):
            raise DataError(f"{where} has the fill value {state.fill!r}, not a finite number.")
    elif not state.categories:
        raise DataError(f"{where} lists no categories: every value would be unknown.")
    return state


def _target_from_dict(t: dict) -> TargetState:
    state = TargetState(name=str(t["name"]), task=str(t["task"]), encoding=str(t["encoding"]),
                        classes=[str(c) for c in t.get("classes", [])], mean=float(t.get("mean", 0.0)),
                        std=float(t.get("std", 1.0)))
    where = f"The saved preprocessing of the target {state.name!r}"
    if state.task not in (BINARY, MULTICLASS, REGRESSION):
        raise DataError(f"{where} has an unknown task {state.task!r}.")
    if state.task == REGRESSION:
        _check_scale(where, state.mean, state.std)
    elif len(state.classes) < 2 or (state.task == BINARY) != (len(state.classes) == 2):
        raise DataError(f"{where} lists {len(state.classes)} classes for a {state.task} task: a classifier needs "
                        f"{'two' if state.task == BINARY else 'three or more'}.")
    if state.encoding not in ("integer", "one_hot", "float"):
        raise DataError(f"{where} has an unknown encoding {state.encoding!r}.")
    return state


def _check_scale(where: str, mean: float, std: float) -> None:
    if not np.isfinite(mean):
        raise DataError(f"{where} has the mean {mean}, not a finite number.")
    if not np.isfinite(std) or std <= 0:
        raise DataError(f"{where} has the standard deviation {std}: it must be a finite number above 0.")


def encode_labels(labels: np.ndarray, target: TargetState) -> np.ndarray:
    """Integer class labels as the target encoding wants them: (n,) ints, (n, 1) 0/1 floats or one-hot rows."""
    if target.encoding == "one_hot":
        return np.eye(len(target.classes), dtype=np.float32)[labels]
    if target.task == BINARY:
        return labels.astype(np.float32).reshape(-1, 1)
    return labels


def usable_rows(table: CsvTable, spec: DataSpec) -> np.ndarray:
    """Rows with a target and with a value in every drop-rows feature column; DataError when none is left."""
    keep = np.ones(table.n_rows, dtype=bool)
    reasons = []
    for c in spec.features + [spec.target]:
        values = table.column(c.name)
        miss = missing_values(table, c.name)
        if miss.all():
            raise DataError(f"{table.path}: column {c.name!r} has no values at all (all {len(values)} missing): "
                            f"set its role to ignore.")
        if c.role.value == "target" or spec.missing_strategy(c) == MissingStrategy.DROP_ROWS:
            if miss.any():
                reasons.append(f"{c.name!r}: {int(miss.sum())}")
            keep &= ~miss
    if not keep.any():
        raise DataError(f"{table.path}: no row is left once rows with missing values are dropped "
                        f"(missing per column: {', '.join(reasons)}). Fill missing values instead.")
    return np.flatnonzero(keep)


def _fit_feature(table: CsvTable, spec: DataSpec, column, stat_rows: np.ndarray) -> FeatureState:
    strategy = spec.missing_strategy(column)
    if column.type == ColumnType.NUMERIC:
        values = numeric_values(table, column.name)
        sample = values[stat_rows]
        sample = sample[~np.isnan(sample)]
        if sample.size == 0:
            raise DataError(f"{table.path}: column {column.name!r} has no values in the training rows.")
        mean, std = float(sample.mean()), float(sample.std())
        fill = mean if strategy == MissingStrategy.FILL_MEAN else None
        if strategy == MissingStrategy.FILL_MOST_FREQUENT:
            fill = float(Counter(sample.tolist()).most_common(1)[0][0])
        return FeatureState(column.name, "numeric", strategy.value, fill=fill, mean=mean, std=std if std > 0 else 1.0)
    values = category_values(table, column.name)
    categories = _sorted_labels({v for v in values if v is not None})
    counts = Counter(values[i] for i in stat_rows if values[i] is not None)
    fill = counts.most_common(1)[0][0] if strategy != MissingStrategy.DROP_ROWS and counts else None
    return FeatureState(column.name, "categorical", strategy.value, fill=fill, categories=categories)


def _fit_target(table: CsvTable, spec: DataSpec, usable: np.ndarray, stat_rows: np.ndarray) -> TargetState:
    column = spec.target
    if column.type == ColumnType.NUMERIC:
        values = numeric_values(table, column.name)
        mean, std = 0.0, 1.0
        if spec.target_scaling == Scaling.STANDARD:
            sample = values[stat_rows]
            sample = sample[~np.isnan(sample)]
            mean, std = float(sample.mean()), float(sample.std()) or 1.0
        return TargetState(column.name, REGRESSION, "float", mean=mean, std=std)
    values = category_values(table, column.name)
    classes = _sorted_labels({values[i] for i in usable})
    if len(classes) < 2:
        raise DataError(f"{table.path}: the target {column.name!r} has a single class ({_list(classes)}) in the "
                        "usable rows; a classifier needs at least two. Choose another target.")
    task = BINARY if len(classes) == 2 else MULTICLASS
    encoding = "one_hot" if spec.target_encoding == TargetEncoding.ONE_HOT else "integer"
    return TargetState(column.name, task, encoding, classes=classes)


def _list(items: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(c) for c in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
