"""Per-class precision, recall and F1 from a confusion matrix (rows: actual, columns: predicted), as
scikit-learn's classification report computes them (0 where a class was never predicted or never present)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


def class_scores(counts: np.ndarray) -> list[ClassScores]:
    counts = np.asarray(counts, dtype=np.float64)
    hits = np.diag(counts)
    predicted, actual = counts.sum(axis=0), counts.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
    return [ClassScores(float(p), float(r), float(f), int(n)) for p, r, f, n in zip(precision, recall, f1, actual)]


def row_shares(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its total (the share of an actual class predicted as each class); 0 for empty rows."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
