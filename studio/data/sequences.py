"""Time series from a table: rows ordered by a date/time column, cut into windows of `lookback` rows.

A window of rows `s .. s+lookback-1` (in time order) is one sample of shape `(lookback, n_features)`; its
target is the target column `horizon` rows after the window's last row (horizon 0: the last row's own value,
for sequence classification). Windows start every `stride` rows. A sample is named by the window's last row
("as of" that row): that row's index and file line travel with it, for the split, predictions and messages.

The date/time column is parsed (`studio.data.dates`: 2001-01, 2001-01-31 12:00, 31/01/2001...), sorted, and checked:
duplicate times and gaps (a step longer than the series' usual one) are errors that name the file, the lines
and the column, unless gaps are allowed. Calendar features (month of year, day of week, hour of day as sine and
cosine) are added for the parts of the date that vary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.data.columns import is_missing
from studio.data.errors import DataError

CALENDAR_PARTS = ("month", "weekday", "hour")
_PERIOD = {"month": 12, "weekday": 7, "hour": 24}


def parse_times(table, column: str) -> np.ndarray:
    """The time column as datetime64[s] (`studio.data.dates` formats); DataError naming the line of the first
    value that is missing or not a date."""
    from studio.data.dates import parse_datetimes

    times = table.column_data(column).datetimes()
    if times is None:
        for i, v in enumerate(table.column(column).tolist()):
            if not is_missing(v) and parse_datetimes([v.strip()]) is None:
                raise DataError(f"{table.path}: the time column {column!r} holds {v!r} at line "
                                f"{table.line_numbers[i]}, which is not a date or time (expected e.g. 2001-01, "
                                "2001-01-31, 2001-01-31 12:00 or 31/01/2001).")
        raise DataError(f"{table.path}: the time column {column!r} mixes date layouts; write every date the same way.")
    missing = np.flatnonzero(np.isnat(times))
    if missing.size:
        i = int(missing[0])
        raise DataError(f"{table.path}: the time column {column!r} has no value at line {table.line_numbers[i]} "
                        f"({missing.size} rows without a time); every row of a time series needs its time.")
    return times


def time_order(times: np.ndarray, where: str, column: str, lines: list[int], allow_gaps: bool,
               labels: list[str] | None = None) -> np.ndarray:
    """Row indices in time order; DataError for duplicate times, and for gaps unless `allow_gaps`. Messages show
    the times as `labels` (the file's own text) when given."""

    def _fmt(i: int) -> str:
        return labels[i].strip() if labels is not None else _format(times[i])

    order = np.argsort(times, kind="stable")
    if len(order) < 2:
        return order
    sorted_times = times[order]
    same = np.flatnonzero(sorted_times[1:] == sorted_times[:-1])
    if same.size:
        i, j = order[same[0]], order[same[0] + 1]
        raise DataError(f"{where}: the time column {column!r} holds {_fmt(i)} twice, at lines {lines[i]} and "
                        f"{lines[j]} ({same.size} repeated times in all). A time series needs one row per time: "
                        "remove or merge the repeats.")
    if not allow_gaps:
        steps, unit = _steps(sorted_times)
        usual = _mode(steps)
        gaps = np.flatnonzero(steps > usual)
        if gaps.size:
            g = gaps[0]
            i, j = order[g], order[g + 1]
            raise DataError(f"{where}: the time column {column!r} jumps from {_fmt(i)} (line {lines[i]}) to "
                            f"{_fmt(j)} (line {lines[j]}), where the series usually steps by {usual} {unit} "
                            f"({gaps.size} gaps in all). Add the missing rows, or allow gaps if the series skips "
                            "those times on purpose.")
    return order


def _steps(sorted_times: np.ndarray) -> tuple[np.ndarray, str]:
    """Differences between consecutive times: in months when every time is the start of a month, else seconds."""
    months = sorted_times.astype("datetime64[M]")
    if (months.astype("datetime64[s]") == sorted_times).all():
        return np.diff(months.astype(np.int64)), "month(s)"
    return np.diff(sorted_times.astype(np.int64)), "second(s)"


def _mode(values: np.ndarray) -> int:
    unique, counts = np.unique(values, return_counts=True)
    return int(unique[np.argmax(counts)])


def _format(t: np.datetime64) -> str:
    text = str(t)
    return text[:-9] if text.endswith("T00:00:00") else text


def calendar_parts(times: np.ndarray) -> list[str]:
    """The calendar parts that vary over `times` and belong to the series' grain: the month for monthly data,
    the weekday too for daily data, the hour too for data within days."""
    monthly = (times.astype("datetime64[M]").astype(times.dtype) == times).all()
    daily = (times.astype("datetime64[D]").astype(times.dtype) == times).all()
    grain = ["month"] + ([] if monthly else ["weekday"]) + ([] if daily else ["hour"])
    return [p for p in grain if len(np.unique(_part(times, p))) > 1]


def calendar_features(times: np.ndarray, parts: list[str]) -> np.ndarray:
    """(n, 2 * len(parts)) sine and cosine of each part's position in its cycle."""
    columns = []
    for p in parts:
        angle = 2 * np.pi * _part(times, p) / _PERIOD[p]
        columns += [np.sin(angle), np.cos(angle)]
    return np.stack(columns, axis=1) if columns else np.zeros((len(times), 0))


def _part(times: np.ndarray, part: str) -> np.ndarray:
    if part == "month":
        return times.astype("datetime64[M]").astype(np.int64) % 12
    days = times.astype("datetime64[D]").astype(np.int64)
    if part == "weekday":
        return (days + 3) % 7  # 1970-01-01 was a Thursday: Monday is 0
    return (times.astype(np.int64) - days * 86400) // 3600


def window_ends(kept: np.ndarray, lookback: int, horizon: int, stride: int, with_target: bool) -> np.ndarray:
    """Positions (in time order) of the last row of every usable window: windows start every `stride` rows and
    every row from the window's first to its target (or its last, without a target) is kept."""
    n = len(kept)
    reach = lookback + (horizon if with_target else 0)  # rows from the window's start to its target, inclusive
    starts = np.arange(0, n - reach + 1, stride)
    if not starts.size:
        return starts
    bad = np.concatenate([[0], np.cumsum(~kept)])  # bad[i]: dropped rows before position i
    whole = bad[starts + reach] - bad[starts] == 0
    return starts[whole] + lookback - 1


@dataclass
class SequenceWindows:
    """How rows become windows: the fitted part of a time-series spec (calendar parts found in training)."""

    time_column: str | None
    lookback: int
    horizon: int = 1
    stride: int = 1
    allow_gaps: bool = False
    calendar: list[str] = field(default_factory=list)

    kind = "sequence"

    def shape(self, n_row_features: int) -> tuple[int, int]:
        """The shape of one window: (lookback, the row's features plus two per calendar part)."""
        return (self.lookback, n_row_features + 2 * len(self.calendar))

    def order(self, table) -> tuple[np.ndarray, np.ndarray | None]:
        """(row indices in time order, their times or None): file order without a time column."""
        if self.time_column is None:
            return np.arange(table.n_rows), None
        times = parse_times(table, self.time_column)
        order = time_order(times, table.path, self.time_column, table.line_numbers, self.allow_gaps,
                           table.column(self.time_column).tolist())
        return order, times

    def check_length(self, table, n_rows: int, with_target: bool) -> None:
        need = self.lookback + (self.horizon if with_target else 0)
        if n_rows < need:
            what = f"a lookback of {self.lookback}" + (f" and a horizon of {self.horizon}" if with_target else "")
            raise DataError(f"{table.path}: {what} needs at least {need} rows in time order, but the file has "
                            f"{n_rows}. Choose a shorter lookback.")

    def windows(self, table, keep: np.ndarray, x_rows: np.ndarray, y_rows: np.ndarray | None
                ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
        """(x windows, targets or None, the table row of each window's last row, the table row of each window's
        target or -1 where it lies after the file's last row).

        `keep` marks the usable rows of the table, `x_rows` / `y_rows` hold their features / targets in table order.
        """
        order, times = self.order(table)
        self.check_length(table, table.n_rows, y_rows is not None)
        rows = np.flatnonzero(keep)
        position = np.full(table.n_rows, -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        if self.calendar:
            extra = calendar_features(times[rows], self.calendar).astype(x_rows.dtype)
            x_rows = np.concatenate([x_rows, extra], axis=1)
        ends = window_ends(keep[order], self.lookback, self.horizon, self.stride, y_rows is not None)
        steps = ends[:, None] - np.arange(self.lookback - 1, -1, -1)[None, :]
        x = x_rows[position[order[steps]]] if len(ends) else np.zeros((0, self.lookback, x_rows.shape[1]))
        y = None
        if y_rows is not None:  # one target's array, or a list of them (several outputs)
            pick = position[order[ends + self.horizon]]
            y = [t[pick] for t in y_rows] if isinstance(y_rows, list) else y_rows[pick]
        later = ends + self.horizon
        inside = later < len(order)
        target_rows = np.where(inside, order[np.minimum(later, len(order) - 1)], -1)
        return x.astype(np.float32), y, order[ends], target_rows

    def to_dict(self) -> dict:
        return {"kind": self.kind, "time_column": self.time_column, "lookback": self.lookback,
                "horizon": self.horizon, "stride": self.stride, "allow_gaps": self.allow_gaps,
                "calendar": list(self.calendar)}

    @classmethod
    def from_dict(cls, d: dict) -> SequenceWindows:
        time_column = d.get("time_column")
        return cls(None if time_column is None else str(time_column), int(d["lookback"]), int(d.get("horizon", 1)),
                   int(d.get("stride", 1)), bool(d.get("allow_gaps", False)), [str(p) for p in d.get("calendar", [])])


def window_plan(table, windows: SequenceWindows, keep: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the last row of each training-data window, in time order; the rows each window covers up to its target),
    before anything is fitted: for the chronological split and for fitting statistics on training rows only."""
    order, _ = windows.order(table)
    windows.check_length(table, table.n_rows, True)
    ends = window_ends(keep[order], windows.lookback, windows.horizon, windows.stride, True)
    if not len(ends):
        raise DataError(f"{table.path}: no window of {windows.lookback} rows (and its target {windows.horizon} "
                        "rows later) is free of missing values. Fill missing values or choose a shorter lookback.")
    reach = windows.lookback + windows.horizon
    covered = [order[e - windows.lookback + 1:e - windows.lookback + 1 + reach] for e in ends]
    return order[ends], covered
