"""Predictions as plain data: a table of rows (file line, actual, predicted, confidence) for one output, and the
CSV file with every output's columns."""

from __future__ import annotations

import csv

import numpy as np

from engine.utils.file_utils import atomic_write
from studio.data import REGRESSION, CsvTable, Preprocessor
from studio.data.predictions import DecodedOutput, output_header, output_values, prediction_table


def prediction_rows(decoded: DecodedOutput, lines: np.ndarray, actual: list | None = None) -> tuple[list[str],
                                                                                                   list[list]]:
    """(header, rows) for the predictions table of one output: line, [actual], predicted, then the class
    probabilities of a classification head."""
    header = ["line"] + (["actual"] if actual is not None else []) + output_header(decoded, several=False)
    rows = [[int(line)] + ([actual[i]] if actual is not None else []) + output_values(decoded, i)
            for i, line in enumerate(lines)]
    return header, rows


def actual_values(preprocessor: Preprocessor, y: np.ndarray, target: int = 0) -> list:
    """Encoded targets (of target number `target`) back in the file's words: class names or numbers."""
    t = preprocessor.targets[target]
    if t.task == REGRESSION:
        return preprocessor.target_values(y, target).tolist()
    return [t.classes[j] for j in preprocessor.labels_of(y)]


def save_predictions(path: str, table: CsvTable, rows_used: np.ndarray, decoded: list[DecodedOutput]) -> None:
    """The input file's columns plus every output's prediction columns, one line per predicted row; atomically."""
    header, rows = prediction_table(decoded)
    with atomic_write(path, newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(list(table.names) + header)
        for r, row in zip(rows_used, rows):
            values = [col[r] for col in table.columns]
            writer.writerow(values + [_fmt(v) for v in row])


def save_predictions_by_line(path: str, lines: np.ndarray, decoded: list[DecodedOutput]) -> None:
    """Every output's prediction columns after the file line of each predicted row (data read in chunks, whose
    table is not in memory); atomically."""
    header, rows = prediction_table(decoded)
    with atomic_write(path, newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["line", *header])
        for line, row in zip(lines.tolist(), rows):
            writer.writerow([line] + [_fmt(v) for v in row])


def _fmt(value):
    return f"{value:.6g}" if isinstance(value, float) else value
