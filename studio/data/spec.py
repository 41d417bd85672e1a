"""`DataSpec`: what the user chose on import — file, column types and roles, missing values, scaling, split.

Plain data, JSON-able through `to_dict`/`from_dict`; the project stores it under its "data" key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum

from studio.data.bindings import Bindings
from studio.data.columns import ColumnRole, ColumnType, default_role, looks_like_class_labels, summarize_table
from studio.data.csv_reader import CsvDialect, CsvTable
from studio.data.errors import DataError
from studio.data.kinds import ImageSpec, SequenceSpec, TextSpec, propose_kinds, validate_kinds
from studio.data.proposal import choose_target, ignore_reason

SPEC_VERSION = 2  # 2: bindings of columns to Input nodes and of targets to output nodes; several targets


class MissingStrategy(StrEnum):
    DROP_ROWS = "drop_rows"
    FILL = "fill"  # the mean of a numeric column, the most frequent value of a categorical one
    FILL_MEAN = "fill_mean"
    FILL_MOST_FREQUENT = "fill_most_frequent"


class Scaling(StrEnum):
    STANDARD = "standard"  # (x - mean) / std, with mean and std from the training rows
    NONE = "none"


class TargetEncoding(StrEnum):
    AUTO = "auto"  # integer labels for several classes, 0/1 for two
    INTEGER = "integer"
    ONE_HOT = "one_hot"


@dataclass
class ColumnSpec:
    name: str
    type: ColumnType
    role: ColumnRole
    missing: MissingStrategy | None = None  # None: the spec's strategy

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.type.value, "role": self.role.value,
                "missing": self.missing.value if self.missing else None}

    @classmethod
    def from_dict(cls, d: dict) -> ColumnSpec:
        missing = d.get("missing")
        return cls(name=str(d["name"]), type=_enum(ColumnType, d.get("type"), "column type"),
                   role=_enum(ColumnRole, d.get("role"), "column role"),
                   missing=_enum(MissingStrategy, missing, "missing-value strategy") if missing else None)


@dataclass
class SplitSpec:
    """Fractions of the usable rows held out for validation and test; the rest trains."""

    validation_fraction: float = 0.2
    test_fraction: float = 0.0
    seed: int = 0
    stratify: bool = True  # keep class proportions in every part (classification only)
    shuffle: bool = True

    def to_dict(self) -> dict:
        return {"validation_fraction": self.validation_fraction, "test_fraction": self.test_fraction,
                "seed": self.seed, "stratify": self.stratify, "shuffle": self.shuffle}

    @classmethod
    def from_dict(cls, d: dict) -> SplitSpec:
        return cls(validation_fraction=float(d.get("validation_fraction", 0.2)),
                   test_fraction=float(d.get("test_fraction", 0.0)), seed=int(d.get("seed", 0)),
                   stratify=bool(d.get("stratify", True)), shuffle=bool(d.get("shuffle", True)))

    def validate(self) -> None:
        v, t = self.validation_fraction, self.test_fraction
        if not (0.0 <= v < 1.0 and 0.0 <= t < 1.0 and v + t < 1.0):
            raise DataError(f"The split must leave rows to train on: validation {v:.0%} + test {t:.0%} "
                            "must be below 100%, each between 0% and 100%.")


@dataclass
class DataSpec:
    """Everything needed to turn the CSV file into training arrays again, and new files into model inputs."""

    path: str
    columns: list[ColumnSpec]
    dialect: CsvDialect = field(default_factory=CsvDialect)
    missing: MissingStrategy = MissingStrategy.DROP_ROWS
    scaling: Scaling = Scaling.STANDARD
    target_scaling: Scaling = Scaling.NONE  # regression targets only
    target_encoding: TargetEncoding = TargetEncoding.AUTO
    split: SplitSpec = field(default_factory=SplitSpec)
    bindings: Bindings = field(default_factory=Bindings)  # empty: every feature to the one Input, one target
    sequence: SequenceSpec | None = None  # time-series windows (studio/data/sequences.py)
    image: ImageSpec | None = None  # pixel columns or an image-file column as images
    text: TextSpec | None = None  # settings of a text feature column
    # The code of a category's first value for an Input that feeds an Embedding: 1 keeps code 0 for a category not
    # seen in training (Keras's StringLookup index for out-of-vocabulary values; the Embedding needs input_dim
    # categories + 1). Data specs saved before it was kept read as 0: their trained Embeddings have one row per
    # category and no code for an unseen one, which Predict then takes as the first category and says so.
    category_codes_from: int = 1

    @classmethod
    def from_table(cls, table: CsvTable, summaries: list | None = None, sequence_model: bool = False) -> DataSpec:
        """Proposed choices for a freshly read table (studio/data/proposal.py): inferred types, the target chosen by
        name and content, IDs, constants, mostly-missing columns, free text and dates ignored; and windows, images
        or text where the table looks like it (`kinds.propose_kinds`).
        `summaries` (from `summarize`, one per column) are computed unless given."""
        if summaries is None:
            summaries = summarize_table(table)
        target_index = choose_target(summaries)
        columns = []
        for i, s in enumerate(summaries):
            role = ColumnRole.IGNORE if ignore_reason(s) else default_role(s, i == target_index)
            kind = s.inferred_type
            if role == ColumnRole.TARGET and looks_like_class_labels(s):
                kind = ColumnType.CATEGORICAL
            columns.append(ColumnSpec(name=s.name, type=kind, role=role))
        spec = cls(path=table.path, columns=columns, dialect=table.dialect)
        propose_kinds(spec, table, summaries, sequence_model=sequence_model)
        return spec

    # -- questions ---------------------------------------------------------------------------
    @property
    def features(self) -> list[ColumnSpec]:
        return [c for c in self.columns if c.role == ColumnRole.FEATURE]

    @property
    def targets(self) -> list[ColumnSpec]:
        """Every target column, in file order: one per model output."""
        return [c for c in self.columns if c.role == ColumnRole.TARGET]

    @property
    def target(self) -> ColumnSpec | None:
        """The first target (the only one of a one-output model)."""
        targets = self.targets
        return targets[0] if targets else None

    @property
    def is_classification(self) -> bool:
        return self.target is not None and self.target.type == ColumnType.CATEGORICAL

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise DataError(f"The data spec has no column named {name!r}")

    def missing_strategy(self, column: ColumnSpec) -> MissingStrategy:
        """The column's own strategy or the spec's, with FILL resolved to mean or most frequent."""
        strategy = column.missing or self.missing
        if strategy == MissingStrategy.FILL:
            numeric = column.type == ColumnType.NUMERIC
            return MissingStrategy.FILL_MEAN if numeric else MissingStrategy.FILL_MOST_FREQUENT
        return strategy

    def validate(self) -> None:
        """DataError unless there is a target (several for a model with several outputs), at least one feature
        (a forecast may use the target's own past only), and every choice fits its column. Bindings are checked
        against the model by `bindings.resolve_feed`."""
        if not self.targets:
            raise DataError("Choose a target column; none is chosen yet.")
        if not self.features and not (self.sequence is not None and self.sequence.target_history):
            raise DataError("Choose at least one feature column.")
        validate_kinds(self)
        for c in self.columns:
            if c.role != ColumnRole.IGNORE and c.type == ColumnType.DATETIME:
                raise DataError(f"Column {c.name!r} holds dates, which a model cannot take as {c.role.value}: use it "
                                "as the time column of time-series windows, or set its role to ignore (or its type "
                                "to categorical).")
            if c.role == ColumnRole.FEATURE and c.type == ColumnType.CATEGORICAL and \
                    self.missing_strategy(c) == MissingStrategy.FILL_MEAN:
                raise DataError(f"Column {c.name!r} is categorical: its missing values can be filled with the "
                                "most frequent value, not the mean.")
        self.split.validate()

    # -- JSON ---------------------------------------------------------------------------------
    def to_dict(self, relative_to: str | os.PathLike | None = None) -> dict:
        """The spec as JSON-able data; with `relative_to` (the project's folder) the CSV path is written
        relative to it, so that the project and its data can move together."""
        return {"version": SPEC_VERSION, "path": portable_path(self.path, relative_to),
                "dialect": self.dialect.to_dict(),
                "columns": [c.to_dict() for c in self.columns], "missing": self.missing.value,
                "scaling": self.scaling.value, "target_scaling": self.target_scaling.value,
                "target_encoding": self.target_encoding.value, "split": self.split.to_dict(),
                "bindings": self.bindings.to_dict(), "category_codes_from": self.category_codes_from,
                **{key: part.to_dict() for key, part in (("sequence", self.sequence), ("image", self.image),
                                                         ("text", self.text)) if part is not None}}

    @classmethod
    def from_dict(cls, d: dict, base_dir: str | os.PathLike | None = None) -> DataSpec:
        """The spec saved by `to_dict`; a relative CSV path is taken relative to `base_dir` (the project's folder)."""
        if not isinstance(d, dict) or "path" not in d or "columns" not in d:
            raise DataError("The project's data section is not a data spec (it needs 'path' and 'columns').")
        if not isinstance(d.get("version", SPEC_VERSION), int) or d.get("version", SPEC_VERSION) > SPEC_VERSION:
            raise DataError(f"The data spec has version {d['version']}; this LayerStudio reads up to "
                            f"{SPEC_VERSION}.")
        try:
            return cls(path=resolve_path(str(d["path"]), base_dir),
                       columns=[ColumnSpec.from_dict(c) for c in d["columns"]],
                       dialect=CsvDialect.from_dict(d.get("dialect") or {}),
                       missing=_enum(MissingStrategy, d.get("missing", "drop_rows"), "missing-value strategy"),
                       scaling=_enum(Scaling, d.get("scaling", "standard"), "scaling"),
                       target_scaling=_enum(Scaling, d.get("target_scaling", "none"), "target scaling"),
                       target_encoding=_enum(TargetEncoding, d.get("target_encoding", "auto"), "target encoding"),
                       split=SplitSpec.from_dict(d.get("split") or {}),
                       bindings=Bindings.from_dict(d.get("bindings") or {}),  # version 1 has none: the defaults
                       sequence=SequenceSpec.from_dict(d["sequence"]) if d.get("sequence") else None,
                       image=ImageSpec.from_dict(d["image"]) if d.get("image") else None,
                       text=TextSpec.from_dict(d["text"]) if d.get("text") else None,
                       category_codes_from=_codes_from(d.get("category_codes_from", 0)))
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise DataError(f"The project's data section is damaged ({type(e).__name__}: {e}).") from None


def portable_path(path: str, relative_to: str | os.PathLike | None) -> str:
    """`path` relative to the folder `relative_to` (with forward slashes), or as given when there is no folder or
    no relative path (another drive)."""
    if relative_to is None or not path:
        return path
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(relative_to))
    except ValueError:  # another drive on Windows
        return path
    return relative.replace(os.sep, "/")


def resolve_path(path: str, base_dir: str | os.PathLike | None) -> str:
    """An absolute path for `path`: relative paths are taken from `base_dir` (else from the working folder)."""
    if not path or os.path.isabs(path) or base_dir is None:
        return path
    return os.path.normpath(os.path.join(os.path.abspath(base_dir), path))


def _codes_from(value) -> int:
    """The saved `category_codes_from` (absent in older projects: 0); DataError unless 0 or 1."""
    if value not in (0, 1) or isinstance(value, bool):
        raise DataError(f"The data spec's category_codes_from is {value!r}; expected 0 or 1.")
    return int(value)


def _enum(kind, value, what: str):
    try:
        return kind(value)
    except ValueError:
        raise DataError(f"Unknown {what} {value!r}; expected one of "
                        f"{', '.join(repr(m.value) for m in kind)}") from None


def target_encoding_for_loss(loss: str) -> TargetEncoding:
    """The target encoding a Keras loss expects: one-hot rows for the categorical losses, labels otherwise."""
    name = loss.lower()
    if name in ("categorical_crossentropy", "categoricalcrossentropy", "categorical_focal_crossentropy",
                "categorical_hinge", "kl_divergence", "kld"):
        return TargetEncoding.ONE_HOT
    return TargetEncoding.INTEGER if "sparse" in name else TargetEncoding.AUTO
