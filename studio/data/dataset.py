"""From a `DataSpec` to training arrays: read, fit the preprocessor on the training rows, split."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from studio.data.csv_reader import CsvTable, Progress, read_csv
from studio.data.preprocess import REGRESSION, Preprocessor, Transformed, usable_rows
from studio.data.spec import DataSpec
from studio.data.split import split_indices


@dataclass
class Split:
    """One part of the data: model inputs, encoded targets, and where each row came from in the file.

    `x` and `y` are what the model takes: an array, or a list of one per model input / output (several targets
    give a list of one `y` per target column; `ModelFeed.apply` cuts `x` for several inputs)."""

    x: np.ndarray | list[np.ndarray]
    y: np.ndarray | list[np.ndarray]
    rows: np.ndarray  # indices into the table
    lines: np.ndarray  # line numbers in the file

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class PreparedData:
    spec: DataSpec
    table: CsvTable
    preprocessor: Preprocessor
    train: Split
    validation: Split | None
    test: Split | None
    dropped: dict[str, int] = field(default_factory=dict)
    first_dropped: dict[str, int] = field(default_factory=dict)  # column -> file line of its first dropped row

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one sample, for the model's Input node."""
        return self.preprocessor.input_shape

    def for_loss(self, loss: str | list[str]) -> PreparedData:
        """This data with its targets encoded as `loss` expects (one-hot rows or labels); self if they already are.
        `loss` is one loss for every target, or a list of one per target column."""
        from studio.data.preprocess import encode_labels

        recoded = self.encoded_for(loss)
        if recoded is None:
            return self
        p, (preprocessor, spec) = self.preprocessor, recoded
        targets = preprocessor.targets

        def recode(split: Split | None) -> Split | None:
            if split is None:
                return None
            ys = split.y if isinstance(split.y, list) else [split.y]
            ys = [y if new is old else encode_labels(p.labels_of(y), new)
                  for y, old, new in zip(ys, p.targets, targets)]
            return replace(split, y=ys[0] if len(ys) == 1 else ys)

        return replace(self, spec=spec, preprocessor=preprocessor, train=recode(self.train),
                       validation=recode(self.validation), test=recode(self.test))

    def encoded_for(self, loss: str | list[str]) -> tuple[Preprocessor, DataSpec] | None:
        """(the preprocessor and spec with targets encoded as `loss` expects), or None when they already are."""
        from studio.data.spec import TargetEncoding, target_encoding_for_loss

        p = self.preprocessor
        losses = [loss] * len(p.targets) if isinstance(loss, str) else list(loss)
        targets = list(p.targets)
        for k, (t, name) in enumerate(zip(p.targets, losses)):
            if t.task != REGRESSION:
                wanted = "one_hot" if target_encoding_for_loss(name) == TargetEncoding.ONE_HOT else "integer"
                if wanted != t.encoding:
                    targets[k] = replace(t, encoding=wanted)
        if all(new is old for new, old in zip(targets, p.targets)):
            return None
        spec = replace(self.spec, target_encoding=TargetEncoding(targets[0].encoding)) \
            if targets[0].task != REGRESSION else self.spec
        return p.with_targets(targets), spec

    def part(self, name: str) -> Split | None:
        return {"train": self.train, "validation": self.validation, "test": self.test}[name]

    def summary(self) -> str:
        """One line for the user: rows per part, features, task, and rows dropped."""
        p = self.preprocessor
        parts = [f"{len(self.train)} training rows"]
        if self.validation is not None:
            parts.append(f"{len(self.validation)} validation")
        if self.test is not None:
            parts.append(f"{len(self.test)} test")
        tasks = ["regression" if t.task == REGRESSION else f"{t.task} classification ({len(t.classes)} classes)"
                 for t in p.targets]
        task = tasks[0] if len(tasks) == 1 else \
            f"{len(tasks)} targets: " + ", ".join(f"{t.name} {k}" for t, k in zip(p.targets, tasks))
        if p.windows is not None or p.encoder is not None:
            shape = " x ".join(str(d) for d in p.input_shape)
            what = {"text": "token sequences", "image_files": "images", "pixels": "images"}.get(
                getattr(p.encoder, "kind", ""), "windows")
            parts[0] = parts[0].replace("rows", what)
            text = f"{', '.join(parts)}; inputs {what} of {shape}; {task}"
        else:
            text = f"{', '.join(parts)}; {p.n_features} input features; {task}"
        if self.dropped:
            text += "; rows dropped for missing values: " + ", ".join(
                f"{k} {v}" + (f" (first at line {self.first_dropped[k]})" if k in self.first_dropped else "")
                for k, v in self.dropped.items())
        return text


def prepare(spec: DataSpec, table: CsvTable | None = None, progress: Progress | None = None) -> PreparedData:
    """Read `spec.path` (unless `table` is given), split the usable rows, fit and apply the preprocessor."""
    spec.validate()
    if table is None:
        table = read_csv(spec.path, spec.dialect, progress=(lambda f: progress(0.8 * f)) if progress else None)
    usable = usable_rows(table, spec)
    covered = None
    if spec.sequence is not None:  # samples are windows, split in time order (no shuffling, no stratifying)
        from studio.data.fitting import fit_windows
        from studio.data.sequences import window_plan

        keep = np.zeros(table.n_rows, dtype=bool)
        keep[usable] = True
        usable, covered = window_plan(table, fit_windows(table, spec, usable), keep)
        spec = replace(spec, split=replace(spec.split, shuffle=False, stratify=False))
    labels = None
    if spec.is_classification and spec.split.stratify:
        labels = table.column_data(spec.target.name).codes[usable]
    s = spec.split
    train_pos, val_pos, test_pos = split_indices(len(usable), s.validation_fraction, s.test_fraction, s.seed,
                                                 labels=labels, shuffle=s.shuffle)
    stat_rows = usable[train_pos] if covered is None else \
        np.unique(np.concatenate([covered[k] for k in train_pos]))
    preprocessor = Preprocessor.fit(table, spec, stat_rows=stat_rows)
    if progress:
        progress(0.9)
    order = [usable[pos] for pos in (train_pos, val_pos, test_pos)]
    if spec.sequence is None:  # rows encoded in split order: the parts are views of one x, not copies
        full = preprocessor.transform(table, with_target=True, order=np.concatenate(order))
        bounds = np.cumsum([0] + [len(rows) for rows in order])
        parts = [_take(full, slice(a, b)) if b > a else None for a, b in zip(bounds[:-1], bounds[1:])]
    else:  # windows end on the usable rows, in time order (which need not be the file's)
        full = preprocessor.transform(table, with_target=True)
        position = np.full(table.n_rows, -1, dtype=np.int64)
        position[full.rows] = np.arange(len(full.rows))
        parts = [_take(full, position[rows]) if len(rows) else None for rows in order]
    if progress:
        progress(1.0)
    return PreparedData(spec=spec, table=table, preprocessor=preprocessor, train=parts[0], validation=parts[1],
                        test=parts[2], dropped=full.dropped, first_dropped=full.first_dropped)


def _take(full: Transformed, k: slice | np.ndarray) -> Split:
    y = [y[k] for y in full.y] if isinstance(full.y, list) else full.y[k]
    return Split(x=full.x[k], y=y, rows=full.rows[k], lines=full.lines[k])


def read_new_csv(path: str, preprocessor: Preprocessor, progress: Progress | None = None) -> CsvTable:
    """A new CSV file to predict: read as `read_csv` does, except that a first row holding the columns the model
    needs is taken as the header even where the file alone does not tell (one text column, say)."""
    return read_csv(path, new_csv_dialect(path, preprocessor), progress=progress)


def new_csv_dialect(path: str, preprocessor: Preprocessor):
    """The layout of a new CSV file to predict (see `read_new_csv`)."""
    from studio.data.csv_reader import detect_dialect

    dialect = detect_dialect(path)
    needed = {f.name for f in preprocessor.features}
    if not dialect.has_header:
        first = read_csv(path, replace(dialect, has_header=False), max_rows=1)
        if needed and needed <= {str(first.column(n)[0]).strip() for n in first.names}:
            dialect = replace(dialect, has_header=True)
    return dialect
