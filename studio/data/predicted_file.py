"""Predicting every usable row of a new CSV file and writing them after the file's own columns, read whole or, above
the streaming size, a chunk at a time (the file is then never held whole). Shared by `layerstudio predict` and the
window's Predict; no Qt.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from engine.utils.file_utils import atomic_write
from studio.data.chunks import CsvChunks, should_stream, stream_problem
from studio.data.csv_reader import CsvTable
from studio.data.dataset import new_csv_dialect, read_new_csv
from studio.data.errors import DataError
from studio.data.predictions import DecodedOutput, decode_outputs, prediction_table
from studio.data.preprocess import Preprocessor
from studio.data.transformed import RowNotes

Progress = Callable[[float], None]


@dataclass
class WrittenPredictions:
    """What `write_predictions` wrote: `count` rows, `notes` on rows that did not go in as they were, and the
    first `kept` rows for a table: their predictions per output (`decoded`), file `lines` and the file's own
    target value per output (`actual`; None for a target the file does not have)."""

    count: int
    notes: list[str]
    chunked: bool
    decoded: list[DecodedOutput] = field(default_factory=list)
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    actual: list[list | None] = field(default_factory=list)


def streams(csv_path: str, preprocessor: Preprocessor, threshold: int | None = None) -> bool:
    """True when `write_predictions` reads this file in chunks: above `threshold` bytes (default the streaming
    size) and in a text encoding that can be cut at newlines."""
    return should_stream(csv_path, threshold) and not stream_problem(new_csv_dialect(csv_path, preprocessor))


def new_tables(csv_path: str, preprocessor: Preprocessor, threshold: int | None = None,
               progress: Progress | None = None) -> Iterator[CsvTable]:
    """The new CSV file as one table, or a chunk at a time when `streams`."""
    if streams(csv_path, preprocessor, threshold):
        yield from CsvChunks(csv_path, new_csv_dialect(csv_path, preprocessor)).tables(progress)
    else:
        yield read_new_csv(csv_path, preprocessor, progress=progress)


def write_predictions(model, preprocessor: Preprocessor, feed, csv_path: str, out_path: str,
                      threshold: int | None = None, progress: Progress | None = None, keep: int = 0
                      ) -> WrittenPredictions:
    """Predict every usable row of `csv_path` (rows are predicted whether or not the file has the target) and write
    the file's columns plus every output's predictions to `out_path`, atomically. `keep` rows are kept for a
    table. DataError naming the file, line and column for what cannot be predicted."""
    count, parts, kept = 0, [], []
    chunked = streams(csv_path, preprocessor, threshold)
    with atomic_write(out_path, newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        for table in new_tables(csv_path, preprocessor, threshold, progress):
            transformed = preprocessor.transform(table, with_target=False)
            parts.append(transformed.row_notes())
            if not len(transformed.rows):
                continue
            outputs = model.predict(feed.x(transformed.x) if feed is not None else transformed.x, verbose=0)
            decoded = decode_outputs(preprocessor, feed, outputs)
            extra, values = prediction_table(decoded)
            if count == 0:
                writer.writerow(list(table.names) + extra)
            columns = table.columns
            for k, r in enumerate(transformed.rows):
                writer.writerow([col[r] for col in columns] + [_text(v) for v in values[k]])
            count += len(transformed.rows)
            room = keep - sum(len(piece[1]) for piece in kept)
            if room > 0:
                kept.append(_first_rows(table, transformed, decoded, room))
        if count == 0:
            raise DataError(f"{csv_path}: no row can be predicted (every row misses a value).")
    taken_as = feed.unseen_taken_as(preprocessor) if feed is not None else None
    out = WrittenPredictions(count, RowNotes.combined(parts).notes(taken_as), chunked)
    if kept:
        out.decoded = [_joined([piece[0][j] for piece in kept]) for j in range(len(kept[0][0]))]
        out.lines = np.concatenate([piece[1] for piece in kept])
        out.actual = [None if kept[0][2][j] is None else [v for piece in kept for v in piece[2][j]]
                      for j in range(len(kept[0][2]))]
    return out


def _first_rows(table: CsvTable, transformed, decoded: list[DecodedOutput], n: int) -> tuple:
    """(decoded, lines, actual per output) of the first `n` predicted rows of one table."""
    rows = transformed.actual_rows()[:n]  # a window's actual value is its target's, `horizon` rows after it
    actual = [[table.column(d.target.name)[r] if r >= 0 else "" for r in rows] if d.target.name in table.names
              else None for d in decoded]
    firsts = [DecodedOutput(d.name, d.target, d.index, list(d.labels[:n]),
                            None if d.probs is None else d.probs[:n]) for d in decoded]
    return firsts, transformed.lines[:n], actual


def _joined(pieces: list[DecodedOutput]) -> DecodedOutput:
    first = pieces[0]
    probs = None if first.probs is None else np.concatenate([p.probs for p in pieces])
    return DecodedOutput(first.name, first.target, first.index, [v for p in pieces for v in p.labels], probs)


def _text(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def default_output_path(csv_path: str) -> str:
    """Where the predictions of `csv_path` are proposed to go: beside it, as <name>_predictions.csv."""
    stem, _ = os.path.splitext(csv_path)
    return stem + "_predictions.csv"
