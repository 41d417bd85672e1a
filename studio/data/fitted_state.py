"""The fitted state of each column: a feature's statistics, fill value and categories, a target's task, classes
and scaling. JSON-able, and checked when read back from a project (DataError naming the column)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.data.errors import DataError
from studio.data.spec import MissingStrategy

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"


@dataclass
class FeatureState:
    """A feature column's fitted state: numeric (mean, std) or categorical (categories)."""

    name: str
    type: str  # "numeric", "categorical", or "text" / "image" (encoded by the preprocessor's input encoder)
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


def feature_from_dict(f: dict) -> FeatureState:
    name = str(f["name"])
    state = FeatureState(name=name, type=str(f["type"]), missing=str(f["missing"]), fill=f.get("fill"),
                         mean=float(f.get("mean", 0.0)), std=float(f.get("std", 1.0)),
                         categories=[str(c) for c in f.get("categories", [])])
    where = f"The saved preprocessing of column {name!r}"
    if state.type not in ("numeric", "categorical", "text", "image"):
        raise DataError(f"{where} has an unknown type {state.type!r} (expected 'numeric', 'categorical', 'text' "
                        "or 'image').")
    if state.missing not in set(MissingStrategy):
        raise DataError(f"{where} has an unknown missing-value strategy {state.missing!r}.")
    if state.type == "numeric":
        check_scale(where, state.mean, state.std)
        if state.fill is not None and not (isinstance(state.fill, (int, float)) and np.isfinite(state.fill)):
            raise DataError(f"{where} has the fill value {state.fill!r}, not a finite number.")
    elif state.type == "categorical" and not state.categories:
        raise DataError(f"{where} lists no categories: every value would be unknown.")
    return state


def target_from_dict(t: dict) -> TargetState:
    state = TargetState(name=str(t["name"]), task=str(t["task"]), encoding=str(t["encoding"]),
                        classes=[str(c) for c in t.get("classes", [])], mean=float(t.get("mean", 0.0)),
                        std=float(t.get("std", 1.0)))
    where = f"The saved preprocessing of the target {state.name!r}"
    if state.task not in (BINARY, MULTICLASS, REGRESSION):
        raise DataError(f"{where} has an unknown task {state.task!r}.")
    if state.task == REGRESSION:
        check_scale(where, state.mean, state.std)
    elif len(state.classes) < 2 or (state.task == BINARY) != (len(state.classes) == 2):
        raise DataError(f"{where} lists {len(state.classes)} classes for a {state.task} task: a classifier needs "
                        f"{'two' if state.task == BINARY else 'three or more'}.")
    if state.encoding not in ("integer", "one_hot", "float"):
        raise DataError(f"{where} has an unknown encoding {state.encoding!r}.")
    return state


def check_scale(where: str, mean: float, std: float) -> None:
    if not np.isfinite(mean):
        raise DataError(f"{where} has the mean {mean}, not a finite number.")
    if not np.isfinite(std) or std <= 0:
        raise DataError(f"{where} has the standard deviation {std}: it must be a finite number above 0.")


def target_dict(t: TargetState) -> dict:
    return {"name": t.name, "task": t.task, "encoding": t.encoding, "classes": list(t.classes), "mean": t.mean,
            "std": t.std}


def encode_labels(labels: np.ndarray, target: TargetState) -> np.ndarray:
    """Integer class labels as the target encoding wants them: (n,) ints, (n, 1) 0/1 floats or one-hot rows."""
    if target.encoding == "one_hot":
        return np.eye(len(target.classes), dtype=np.float32)[labels]
    if target.task == BINARY:
        return labels.astype(np.float32).reshape(-1, 1)
    return labels
