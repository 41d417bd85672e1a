"""Model outputs back in the file's words, one block of columns per output: the predicted label or value, and
the class probabilities of a classification head. Shared by the evaluation view and `layerstudio predict`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.data.feed import ModelFeed
from studio.data.preprocess import REGRESSION, Preprocessor, TargetState


@dataclass
class DecodedOutput:
    """One output's predictions: `labels` (class names or values) and `probs` (None for a regression head)."""

    name: str
    target: TargetState
    index: int  # of the target in the preprocessor
    labels: list
    probs: np.ndarray | None

    @property
    def is_regression(self) -> bool:
        return self.target.task == REGRESSION


def decode_outputs(preprocessor: Preprocessor, feed: ModelFeed | None, outputs) -> list[DecodedOutput]:
    """Each model output decoded with its target's classes or scaling (`outputs`: one array or a list)."""
    arrays = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    pairs = feed.outputs if feed is not None else [(preprocessor.target.name if preprocessor.target else "output", 0)]
    decoded = []
    for (name, k), array in zip(pairs, arrays):
        labels, probs = preprocessor.decode(np.asarray(array), target=k)
        decoded.append(DecodedOutput(name, preprocessor.targets[k], k, labels, probs))
    return decoded


def output_header(decoded: DecodedOutput, several: bool) -> list[str]:
    """The column names of one output: "predicted" and "p(class)", prefixed by the target when there are several."""
    prefix = f"{decoded.target.name} " if several else ""
    names = [f"{prefix}predicted"]
    if decoded.probs is not None:
        names += [f"{prefix}p({c})" for c in decoded.target.classes]
    return names


def output_values(decoded: DecodedOutput, i: int) -> list:
    """Row `i`'s values for `output_header`: the label or value, then the probabilities."""
    values = [decoded.labels[i]]
    if decoded.probs is not None:
        values += [float(p) for p in decoded.probs[i]]
    return values


def prediction_table(decoded: list[DecodedOutput]) -> tuple[list[str], list[list]]:
    """(header, rows) with every output's columns side by side."""
    several = len(decoded) > 1
    header = [name for d in decoded for name in output_header(d, several)]
    n = len(decoded[0].labels) if decoded else 0
    rows = [[v for d in decoded for v in output_values(d, i)] for i in range(n)]
    return header, rows
