"""The side panel of the import dialog: what the selected column holds — a histogram of its numbers or the
counts of its classes, its range, missing values, and why it is proposed to be left out."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.data.profile import ColumnProfile


class ColumnPanel(QWidget):
    """Shows one column's profile; `show_profile(name, profile, reason)`, `clear()`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Select a column to see what it holds.")
        self.title.setWordWrap(True)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(160)
        self.bars: pg.BarGraphItem | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        layout.addWidget(self.plot, 1)
        self.setMinimumWidth(260)

    def clear(self) -> None:
        self.title.setText("Select a column to see what it holds.")
        self.facts.clear()
        self._set_bars(None)

    def show_profile(self, name: str, profile: ColumnProfile, reason: str | None = None) -> None:
        kind = "histogram" if profile.numeric else "most frequent values"
        self.title.setText(f"<b>{name}</b> — {kind}")
        lines = list(profile.facts)
        if reason:
            lines.append(f"<span style='color:#b35c00'>Proposed to ignore: {reason}.</span>")
        self.facts.setText("<br>".join(lines))
        if not profile.counts:
            self._set_bars(None)
            return
        if profile.numeric:
            edges = profile.edges
            centers = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
            width = (edges[-1] - edges[0]) / max(1, len(profile.counts)) * 0.9 or 0.9
            self._set_bars(pg.BarGraphItem(x=centers, height=profile.counts, width=width, brush="#4c78a8"))
            self.plot.getAxis("left").setTicks(None)
            self.plot.getAxis("bottom").setTicks(None)
            self.plot.setLabel("left", "rows")
        else:
            n = len(profile.counts)
            ys = list(range(n))[::-1]  # most frequent on top
            self._set_bars(pg.BarGraphItem(x0=0, y=ys, height=0.7, width=profile.counts, brush="#f58518"))
            self.plot.getAxis("left").setTicks([[(y, _short(label)) for y, label in zip(ys, profile.labels)]])
            self.plot.getAxis("bottom").setTicks(None)
            self.plot.setLabel("left", "")
        self.plot.autoRange()

    def _set_bars(self, bars: pg.BarGraphItem | None) -> None:
        if self.bars is not None:
            self.plot.removeItem(self.bars)
        self.bars = bars
        if bars is not None:
            self.plot.addItem(bars)


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
