"""What `Preprocessor.transform` gives: the model's arrays for the usable rows of a table, and notes on the rows that
did not go in as they were."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Transformed:
    """Model inputs for the usable rows of a table; `rows` index the table, `lines` are file lines.
    `y` is one array per target column: a bare array for one target, a list for several."""

    x: np.ndarray
    y: np.ndarray | list[np.ndarray] | None
    rows: np.ndarray
    lines: np.ndarray
    dropped: dict[str, int] = field(default_factory=dict)  # column name -> rows dropped for a missing value
    first_dropped: dict[str, int] = field(default_factory=dict)  # column name -> file line of its first dropped row
    target_rows: np.ndarray | None = None  # windows: the row each sample's target is on (-1: after the file's end)
    unseen: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # column -> (rows, first line, value)
    # of categories not seen in training, encoded as out of vocabulary (all zeros)

    def row_notes(self) -> RowNotes:
        return RowNotes(dict(self.dropped), dict(self.first_dropped), dict(self.unseen))

    def notes(self, taken_as: dict[str, str] | None = None) -> list[str]:
        """What happened to rows that did not go in as they were (see `RowNotes.notes`)."""
        return self.row_notes().notes(taken_as)

    def actual_rows(self) -> np.ndarray:
        """The table row holding each sample's target: its own row, or for a window the row `horizon` later."""
        return self.rows if self.target_rows is None else self.target_rows


@dataclass
class RowNotes:
    """Rows that did not go in as they were: skipped for a missing value (`dropped`, `first_dropped`: count and
    first file line per column), or holding a category not seen in training (`unseen`: column -> rows, first
    line, first value). Shown by Predict in the window and printed by `layerstudio predict`."""

    dropped: dict[str, int] = field(default_factory=dict)
    first_dropped: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, tuple[int, int, str]] = field(default_factory=dict)

    @classmethod
    def combined(cls, parts: list[RowNotes]) -> RowNotes:
        """The notes of a file read a chunk at a time: counts added up, the first line and value kept."""
        out = cls()
        for part in parts:
            for name, count in part.dropped.items():
                out.dropped[name] = out.dropped.get(name, 0) + count
                if name in part.first_dropped:
                    out.first_dropped.setdefault(name, part.first_dropped[name])
            for name, (count, line, value) in part.unseen.items():
                before = out.unseen.get(name)
                out.unseen[name] = (count, line, value) if before is None else (before[0] + count, *before[1:])
        return out

    def notes(self, taken_as: dict[str, str] | None = None) -> list[str]:
        """One sentence per column, naming the column, how many rows and the first line. `taken_as`: column -> how
        the model takes an unseen category where it is not "unknown (no category)" (`ModelFeed.unseen_taken_as`)."""
        taken_as = taken_as or {}
        notes = []
        for name, count in self.dropped.items():
            first = self.first_dropped.get(name)
            where = "" if first is None else f" (line {first})" if count == 1 else f" (first at line {first})"
            notes.append(f"column {name!r}: {count} row{'s' if count > 1 else ''} skipped for a missing value{where}")
        for name, (count, line, value) in self.unseen.items():
            rows = f"{count} rows hold" if count > 1 else "1 row holds"
            how = taken_as.get(name, "taken as unknown (no category)")
            notes.append(f"column {name!r}: {rows} a category not seen in training (first {value!r}, line {line}), "
                         f"{how}")
        return notes
