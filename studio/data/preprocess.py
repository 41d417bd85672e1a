"""`Preprocessor`: the fitted transform from CSV columns to model arrays, and back from predictions to labels.

Fitted once on the training rows (means, standard deviations, fill values) and on the whole file
(categories, class names); its state is JSON-able, so the same transform is applied to new CSV files at
prediction time. Errors name the column and the file line.
"""

from __future__ import annotations

import numpy as np

from studio.data.column_values import (
    category_codes,
    category_values,
    missing_values,
    numeric_values,
    present_categories,
    sorted_labels,
)
from studio.data.columns import ColumnType
from studio.data.csv_reader import CsvTable
from studio.data.errors import DataError
from studio.data.fitted_state import (
    BINARY,
    MULTICLASS,
    REGRESSION,
    FeatureState,
    TargetState,
    encode_labels,
    feature_from_dict,
    target_dict,
    target_from_dict,
)
from studio.data.spec import DataSpec, MissingStrategy, Scaling, TargetEncoding
from studio.data.transformed import RowNotes, Transformed

__all__ = ["BINARY", "MULTICLASS", "REGRESSION", "FeatureState", "Preprocessor", "RowNotes", "TargetState",
           "Transformed", "category_codes", "category_values", "encode_labels", "missing_values", "numeric_values",
           "present_categories", "usable_rows"]


class Preprocessor:
    """Turns a CsvTable into `x` (float32, one-hot and scaled) and `y` (encoded for the loss).

    `targets` is a TargetState, a list of them (a model with several outputs), or None. `encoder` (a fitted
    `TextVectorizer`, `ImageFiles` or `PixelGrid`) turns the feature columns into text token sequences or images;
    `windows` (a `SequenceWindows`) cuts the rows into time-series windows.
    """

    def __init__(self, features: list[FeatureState], targets: TargetState | list[TargetState] | None,
                 scaling: str, encoder=None, windows=None):
        self.features = features
        self.targets: list[TargetState] = [] if targets is None else \
            list(targets) if isinstance(targets, (list, tuple)) else [targets]
        self.scaling = scaling
        self.encoder = encoder
        self.windows = windows
        self._column_inputs = None

    def with_targets(self, targets: TargetState | list[TargetState] | None) -> Preprocessor:
        """The same transform with other target states (e.g. another target encoding)."""
        return Preprocessor(self.features, targets, self.scaling, self.encoder, self.windows)

    @property
    def target(self) -> TargetState | None:
        """The first target (the only one of a one-output model)."""
        return self.targets[0] if self.targets else None

    # -- fitting --------------------------------------------------------------------------------
    @classmethod
    def fit(cls, table: CsvTable, spec: DataSpec, stat_rows: np.ndarray | None = None) -> Preprocessor:
        """Fit on `table`: statistics from `stat_rows` (the training rows), categories and classes from all rows."""
        spec.validate()
        usable = usable_rows(table, spec)
        stat_rows = usable if stat_rows is None else np.asarray(stat_rows)
        features = [_fit_feature(table, spec, c, stat_rows) for c in spec.features]
        targets = [_fit_target(table, spec, c, usable, stat_rows) for c in spec.targets]
        from studio.data.fitting import fit_encoder, fit_windows

        if spec.sequence is not None and spec.sequence.target_history:  # the targets' past values are inputs too
            features += [_fit_feature(table, spec, c, stat_rows) for c in spec.targets]
        encoder = fit_encoder(table, spec, stat_rows)
        scaling = Scaling.NONE.value if spec.image is not None else spec.scaling.value  # images: pixels / max
        return cls(features, targets, scaling, encoder, fit_windows(table, spec, stat_rows))

    # -- questions ------------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        """Names of the columns of `x`: numeric features, then one per category as `name=value`."""
        return [n for f in self.features for n in f.output_names]

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one sample, for the model's Input node."""
        if self.encoder is not None:
            return tuple(self.encoder.shape)
        if self.windows is not None:
            return self.windows.shape(self.n_features)
        return (self.n_features,)

    @property
    def task(self) -> str:
        return self.target.task if self.target else REGRESSION

    @property
    def class_names(self) -> list[str]:
        return list(self.target.classes) if self.target else []

    # -- transforming ---------------------------------------------------------------------------
    def transform(self, table: CsvTable, with_target: bool | None = None,
                  order: np.ndarray | None = None) -> Transformed:
        """Arrays for the rows of `table` that can be used; the target only if `with_target` (default: if present).

        A row missing a value in a drop-rows column is left out and counted in `dropped`; missing values in
        fill columns take the fitted fill value; a category not seen in training is out of vocabulary (all zeros)
        and counted in `unseen`. DataError for a missing column or a text in a numeric column.
        `order` (usable rows) encodes those rows in that order instead, so a split needs no second copy of x.
        """
        missing_cols = [f.name for f in self.features if f.name not in table.names]
        if missing_cols:
            raise DataError(f"{table.path}: the model needs column{'s' if len(missing_cols) > 1 else ''} "
                            f"{', '.join(repr(n) for n in missing_cols)}, which the file does not have "
                            f"(it has {', '.join(repr(n) for n in table.names)}).")
        if with_target is None:
            with_target = bool(self.targets) and all(t.name in table.names for t in self.targets)
        absent = [t.name for t in self.targets if t.name not in table.names] if with_target else []
        if with_target and (not self.targets or absent):
            name = absent[0] if absent else "?"
            raise DataError(f"{table.path}: the target column {name!r} is not in the file.")
        keep = np.ones(table.n_rows, dtype=bool)
        dropped: dict[str, int] = {}
        first: dict[str, int] = {}
        raw = []
        for f in self.features:
            if f.type in ("text", "image"):  # strings for the encoder; an empty text is a text of no words
                miss = missing_values(table, f.name)
                values = ["" if m else v for v, m in zip(table.column(f.name).tolist(), miss.tolist())]
                if f.missing != MissingStrategy.DROP_ROWS:
                    miss = np.zeros(len(values), dtype=bool)
            elif f.type == "numeric":
                values = numeric_values(table, f.name)
                miss = np.isnan(values)
            else:
                values = category_codes(table, f.name, f.categories)
                miss = values == -1
            if f.missing == MissingStrategy.DROP_ROWS and miss.any():
                dropped[f.name] = int((miss & keep).sum())
                _note_first(first, f.name, miss & keep, table)
                keep &= ~miss
            raw.append((f, values, miss))
        y_raw = []
        for t in self.targets if with_target else []:
            values, miss = self._target_values(table, t)
            if miss.any():
                dropped[t.name] = int((miss & keep).sum())
                _note_first(first, t.name, miss & keep, table)
                keep &= ~miss
            y_raw.append(values)
        rows = np.flatnonzero(keep) if order is None else np.asarray(order, dtype=np.int64)
        unseen: dict[str, tuple[int, int, str]] = {}
        lines = np.asarray(table.line_numbers, dtype=np.int64)[rows]
        if self.encoder is not None and self.encoder.kind != "pixels":
            values = raw[0][1]
            x = self.encoder.transform([values[i] for i in rows]) if self.encoder.kind == "text" else \
                self.encoder.transform([values[i] for i in rows], table.path, lines.tolist())
        else:
            x = np.empty((len(rows), self.n_features), dtype=np.float32)  # filled in place: no float64 copy
            start = 0
            for f, values, miss in raw:
                width = len(f.output_names)
                self._encode_feature(table, f, values, miss, rows, x[:, start:start + width], unseen)
                start += width
            if self.encoder is not None:
                x = self.encoder.transform(x)
        y = None
        if with_target:
            ys = [self._encode_target(table, t, values, rows) for t, values in zip(self.targets, y_raw)]
            y = ys[0] if len(ys) == 1 else ys
        target_rows = None
        if self.windows is not None:
            x, y, rows, target_rows = self.windows.windows(table, keep, x, y)
            lines = np.asarray(table.line_numbers, dtype=np.int64)[rows]
        return Transformed(x=x, y=y, rows=rows, lines=lines, dropped={k: v for k, v in dropped.items() if v},
                           first_dropped=first, target_rows=target_rows, unseen=unseen)

    def column_inputs(self) -> dict:
        """The Keras preprocessing layers of each numeric and categorical feature, by column name
        (`studio.data.preprocessing_layers`): what `transform` runs, and what the exported models hold."""
        if self._column_inputs is None:
            from studio.data.preprocessing_layers import table_inputs
            self._column_inputs = {c.name: c for c in table_inputs(self)}
        return self._column_inputs

    def _encode_feature(self, table, f: FeatureState, values, miss, rows, out: np.ndarray, unseen: dict) -> None:
        """Write the feature's columns of x for `rows` into `out`, through the column's preprocessing layers.
        A category not seen in training is out of vocabulary (all zeros), counted in `unseen`."""
        column = self.column_inputs()[f.name]
        if f.type == "numeric":
            col = values[rows]
            if column.fill is not None:
                col = np.where(miss[rows], column.fill, col)
            col = col.astype(np.float32).reshape(-1, 1)
            out[:] = column.encode(col) if column.layers else col
            return
        data = table.column_data(f.name)  # the layers run once per distinct value, then rows take their block
        distinct = np.where(data.distinct_missing(), "", data.distinct_strings()).astype(object)
        blocks = column.encode(distinct.reshape(-1, 1)).astype(np.float32)
        codes = data.codes[rows]
        out[:] = blocks[codes]
        new = np.flatnonzero(values[rows] == -2)
        if new.size:
            i = int(rows[new[0]])
            unseen[f.name] = (int(new.size), int(table.line_numbers[i]), data.string_at(i))

    def _target_values(self, table: CsvTable, t: TargetState):
        if t.task == REGRESSION:
            values = numeric_values(table, t.name)
            return values, np.isnan(values)
        values = category_codes(table, t.name, t.classes)
        return values, values == -1

    def _encode_target(self, table: CsvTable, t: TargetState, values, rows) -> np.ndarray:
        if t.task == REGRESSION:
            return ((values[rows] - t.mean) / t.std).astype(np.float32).reshape(-1, 1)
        labels = values[rows]
        unseen = np.flatnonzero(labels < 0)
        if unseen.size:
            i = int(rows[unseen[0]])
            raise DataError(f"{table.path}: target {t.name!r}, line {table.line_numbers[i]} holds "
                            f"{table.column_data(t.name).string_at(i)!r}, a class not seen in training "
                            f"(known: {_list(t.classes)}).")
        return encode_labels(labels, t)

    # -- predictions back to the user's words ---------------------------------------------------
    def decode(self, predictions: np.ndarray, target: int = 0) -> tuple[list, np.ndarray | None]:
        """(labels or values in the file's units, class probabilities or None) for the outputs that learn
        target number `target`."""
        p = np.asarray(predictions, dtype=np.float64)
        t = self.targets[target] if self.targets else None
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

    def target_values(self, y: np.ndarray, target: int = 0) -> np.ndarray:
        """Regression targets (of target number `target`) back in the file's units."""
        t = self.targets[target]
        return np.asarray(y, dtype=np.float64).reshape(-1) * t.std + t.mean

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"scaling": self.scaling,
                **({"encoder": self.encoder.to_dict()} if self.encoder is not None else {}),
                **({"windows": self.windows.to_dict()} if self.windows is not None else {}),
                "features": [{"name": f.name, "type": f.type, "missing": f.missing, "fill": f.fill,
                              "mean": f.mean, "std": f.std, "categories": list(f.categories)}
                             for f in self.features],
                "target": None if self.target is None else target_dict(self.target),
                **({"targets": [target_dict(t) for t in self.targets]} if len(self.targets) > 1 else {})}

    @classmethod
    def from_dict(cls, d: dict) -> Preprocessor:
        """The state saved by `to_dict`, checked: DataError naming the column whose saved state cannot be used
        (a non-finite mean, a zero or non-finite scale, a classifier without classes, an unknown kind)."""
        try:
            features = [feature_from_dict(f) for f in d["features"]]
            saved = d.get("targets") or ([d["target"]] if d.get("target") is not None else [])
            targets = [target_from_dict(t) for t in saved]
            scaling = str(d.get("scaling", "standard"))
            from studio.data.fitting import encoder_from_dict
            from studio.data.sequences import SequenceWindows

            windows = SequenceWindows.from_dict(d["windows"]) if d.get("windows") else None
            encoder = encoder_from_dict(d["encoder"]) if d.get("encoder") else None
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise DataError(f"The saved preprocessing state is incomplete or damaged ({e}).") from None
        if scaling not in set(Scaling):
            raise DataError(f"The saved preprocessing has an unknown scaling {scaling!r}.")
        return cls(features, targets, scaling, encoder, windows)


def _note_first(first: dict[str, int], name: str, dropped: np.ndarray, table: CsvTable) -> None:
    rows = np.flatnonzero(dropped)
    if rows.size:
        first[name] = int(table.line_numbers[int(rows[0])])


def usable_rows(table: CsvTable, spec: DataSpec) -> np.ndarray:
    """Rows with a target and with a value in every drop-rows feature column; DataError when none is left."""
    keep = np.ones(table.n_rows, dtype=bool)
    reasons = []
    for c in spec.features + spec.targets:
        values = missing_values(table, c.name)
        miss = values
        if miss.all():
            raise DataError(f"{table.path}: column {c.name!r} has no values at all (all {values.size} missing): "
                            f"set its role to ignore.")
        if c.role.value == "target" or c.type == ColumnType.IMAGE or \
                spec.missing_strategy(c) == MissingStrategy.DROP_ROWS:
            if miss.any():
                reasons.append(f"{c.name!r}: {int(miss.sum())}")
            keep &= ~miss
    if not keep.any():
        raise DataError(f"{table.path}: no row is left once rows with missing values are dropped "
                        f"(missing per column: {', '.join(reasons)}). Fill missing values instead.")
    return np.flatnonzero(keep)


def _fit_feature(table: CsvTable, spec: DataSpec, column, stat_rows: np.ndarray) -> FeatureState:
    strategy = spec.missing_strategy(column)
    if column.type in (ColumnType.TEXT, ColumnType.IMAGE):  # an image cannot be filled in; a text can be empty
        kept = MissingStrategy.DROP_ROWS if column.type == ColumnType.IMAGE else strategy
        return FeatureState(column.name, column.type.value, kept.value)
    if column.type == ColumnType.NUMERIC:
        values = numeric_values(table, column.name)
        sample = values[stat_rows]
        sample = sample[~np.isnan(sample)]
        if sample.size == 0:
            raise DataError(f"{table.path}: column {column.name!r} has no values in the training rows.")
        mean, std = float(sample.mean()), float(sample.std())
        fill = mean if strategy == MissingStrategy.FILL_MEAN else None
        if strategy == MissingStrategy.FILL_MOST_FREQUENT:
            distinct, counts = np.unique(sample, return_counts=True)
            fill = float(distinct[np.argmax(counts)])
        return FeatureState(column.name, "numeric", strategy.value, fill=fill, mean=mean, std=std if std > 0 else 1.0)
    categories = sorted_labels(present_categories(table, column.name))
    counts = present_categories(table, column.name, stat_rows)
    fill = counts.most_common(1)[0][0] if strategy != MissingStrategy.DROP_ROWS and counts else None
    return FeatureState(column.name, "categorical", strategy.value, fill=fill, categories=categories)


def _fit_target(table: CsvTable, spec: DataSpec, column, usable: np.ndarray, stat_rows: np.ndarray) -> TargetState:
    if column.type == ColumnType.NUMERIC:
        values = numeric_values(table, column.name)
        mean, std = 0.0, 1.0
        if spec.target_scaling == Scaling.STANDARD:
            sample = values[stat_rows]
            sample = sample[~np.isnan(sample)]
            mean, std = float(sample.mean()), float(sample.std()) or 1.0
        return TargetState(column.name, REGRESSION, "float", mean=mean, std=std)
    classes = sorted_labels(present_categories(table, column.name, usable))
    if len(classes) < 2:
        raise DataError(f"{table.path}: the target {column.name!r} has a single class ({_list(classes)}) in the "
                        "usable rows; a classifier needs at least two. Choose another target.")
    task = BINARY if len(classes) == 2 else MULTICLASS
    encoding = "one_hot" if spec.target_encoding == TargetEncoding.ONE_HOT else "integer"
    return TargetState(column.name, task, encoding, classes=classes)


def _list(items: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(c) for c in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
