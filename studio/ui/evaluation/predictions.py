"""Predictions as plain data: a table of rows (file line, actual, predicted, confidence) and its CSV file."""

from __future__ import annotations

import csv

import numpy as np

from engine.utils.file_utils import atomic_write
from studio.data import REGRESSION, CsvTable, Preprocessor


def prediction_rows(preprocessor: Preprocessor, outputs: np.ndarray, lines: np.ndarray,
                    actual: list | None = None) -> tuple[list[str], list[list]]:
    """(header, rows) for the predictions table: line, [actual], predicted, then confidence or class probabilities."""
    labels, probs = preprocessor.decode(outputs)
    header = ["line"] + (["actual"] if actual is not None else []) + ["predicted"]
    classes = preprocessor.class_names
    if probs is not None:
        header += [f"p({c})" for c in classes]
    rows = []
    for i, line in enumerate(lines):
        row = [int(line)] + ([actual[i]] if actual is not None else []) + [labels[i]]
        if probs is not None:
            row += [float(p) for p in probs[i]]
        rows.append(row)
    return header, rows


def actual_values(preprocessor: Preprocessor, y: np.ndarray) -> list:
    """Encoded targets back in the file's words: class names or numbers."""
    if preprocessor.task == REGRESSION:
        return preprocessor.target_values(y).tolist()
    return [preprocessor.class_names[j] for j in preprocessor.labels_of(y)]


def save_predictions(path: str, table: CsvTable, rows_used: np.ndarray, header: list[str], rows: list[list]) -> None:
    """The input file's columns plus the prediction columns, one line per predicted row; written atomically."""
    extra = [h for h in header if h not in ("line", "actual")]
    offset = header.index("predicted")
    with atomic_write(path, newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(list(table.names) + extra)
        for r, row in zip(rows_used, rows):
            values = [col[r] for col in table.columns]
            writer.writerow(values + [_fmt(v) for v in row[offset:]])


def _fmt(value):
    return f"{value:.6g}" if isinstance(value, float) else value
