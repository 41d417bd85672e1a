"""What the Evaluation tab shows, as one thing: the predictions on an evaluated part of the data (with its metrics
and targets), or the predictions for a new CSV file. Everything on the tab (heading, matrix or plot, table, Save)
comes from one `ShownResult`, so nothing of an earlier result stays beside a newer one."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import numpy as np

from studio.data.predictions import DecodedOutput
from studio.ui.evaluation.predictions import save_predictions, save_predictions_by_line


@dataclass
class ShownResult:
    """The predictions shown, and what they are of.

    `part` names the evaluated part ("validation"...), with its `metrics`, encoded `targets` (one array per output)
    and `rows` (indices into the training table, None when the data are read in chunks); otherwise `file` is the new
    CSV file predicted, with its `table` and the rows used, or `written` the file its predictions were written to
    (read in chunks). `model` says which trained model made them ("run 2 (10 epochs)"); `notes` what the rows met
    (skipped rows, unseen categories).
    """

    decoded: list[DecodedOutput]
    actual: list  # per output: the actual values in the file's words, or None when unknown
    lines: np.ndarray
    model: str = ""
    part: str | None = None
    metrics: dict | None = None
    targets: list | None = None
    rows: np.ndarray | None = None
    file: str | None = None
    table: object = None
    written: str | None = None
    count: int = 0
    notes: tuple[str, ...] = ()

    @property
    def is_evaluation(self) -> bool:
        return self.part is not None

    @property
    def subject(self) -> str:
        """What the predictions are of, in words: "the validation part (30 rows)" or "new.csv (150 rows)"."""
        rows = f"{self.count} row{'s' if self.count != 1 else ''}"
        if self.is_evaluation:
            return f"the {self.part} part ({rows})"
        return f"{os.path.basename(self.file or '')} ({rows})"

    def heading(self) -> str:
        """The tab's heading (rich text): what everything under it belongs to."""
        by = f" by {self.model}" if self.model else ""
        if self.is_evaluation:
            values = ", ".join(f"{k} = {v:.4g}" for k, v in (self.metrics or {}).items() if isinstance(v, float))
            return f"<b>Evaluated on {self.subject}</b>{by}: {values}"
        return (f"<b>Predictions for {self.subject}</b>{by}. A new file has no metrics or confusion matrix: "
                "Evaluate shows them for a part of the data.")

    def table_caption(self) -> str:
        if self.is_evaluation:
            return f"Predictions on the {self.part} rows"
        name = os.path.basename(self.file or "")
        caption = f"Predictions for {name}: {self.count} rows"
        if self.written is not None:
            caption += f" written to {os.path.basename(self.written)}"
            if self.count > len(self.lines):
                caption += f" (the first {len(self.lines)} shown)"
        return caption + "".join(f"; {note}" for note in self.notes)

    def save(self, path: str, training_table=None) -> None:
        """Write the predictions as CSV: the file's columns (or the line number) plus every output's predictions.
        `training_table`: the table an evaluated part's rows index (None: read in chunks). OSError as raised."""
        if self.written is not None:  # predictions of a file read in chunks, already written
            if os.path.abspath(path) != os.path.abspath(self.written):
                shutil.copyfile(self.written, path)
        elif self.table is not None:
            save_predictions(path, self.table, self.rows, self.decoded)
        elif training_table is None or self.rows is None:  # read in chunks: rows named by their file line
            save_predictions_by_line(path, self.lines, self.decoded)
        else:
            save_predictions(path, training_table, self.rows, self.decoded)
