"""What the import dialog draws for one column: a histogram of its numbers or the counts of its classes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.data.column_data import ColumnData
from studio.data.columns import ColumnSummary, ColumnType

MAX_BARS = 12


@dataclass
class ColumnProfile:
    """Bars to draw (`labels[k]` with height `counts[k]`) and lines of facts about the column."""

    labels: list[str]
    counts: list[int]
    facts: list[str]
    numeric: bool  # bars are bins of a histogram (else classes, most frequent first)
    edges: list[float] | None = None  # bin edges of a histogram (len(counts) + 1)


def column_profile(data: ColumnData, summary: ColumnSummary, decimal: str = ".", bins: int = MAX_BARS,
                   kind: ColumnType | None = None) -> ColumnProfile:
    """The profile of a column read as `kind` (its inferred type unless given)."""
    kind = kind or summary.inferred_type
    facts = [f"{summary.n_values - summary.n_missing} values, {summary.n_missing} missing, "
             f"{summary.n_unique} distinct"]
    if kind == ColumnType.NUMERIC:
        numbers = data.numbers(decimal)
        numbers = numbers[np.isfinite(numbers)]
        if numbers.size:
            facts.append(f"min {numbers.min():.4g}, mean {numbers.mean():.4g}, max {numbers.max():.4g}, "
                         f"std {numbers.std():.4g}")
            counts, edges = np.histogram(numbers, bins=min(bins, max(1, summary.n_unique)))
            labels = [f"{edges[k]:.3g}–{edges[k + 1]:.3g}" for k in range(len(counts))]
            return ColumnProfile(labels, counts.tolist(), facts, numeric=True, edges=edges.tolist())
        return ColumnProfile([], [], facts, numeric=True)
    if kind == ColumnType.DATETIME and data.distinct_datetimes() is not None:
        times = data.datetimes()
        times = times[~np.isnat(times)]
        if times.size:
            facts.append(f"from {times.min()} to {times.max()}")
    counts = data.distinct_counts()
    present = np.flatnonzero(~data.distinct_missing() & (counts > 0))
    order = present[np.argsort(-counts[present], kind="stable")]
    shown = order[:bins]
    labels = [_text(data.uniques[k]) for k in shown.tolist()]
    values = counts[shown].tolist()
    if order.size > bins:
        labels.append(f"{order.size - bins} others")
        values.append(int(counts[order[bins:]].sum()))
    return ColumnProfile(labels, values, facts, numeric=False)


def _text(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
