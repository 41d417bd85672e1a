"""Live training curves: one plot per quantity (loss, each metric), training and validation on the same axes.

Each curve is created once and updated with `setData`; non-finite values are dropped before plotting (a NaN
loss would otherwise break the line and the axis range). Curves of earlier runs are drawn faded, dashed.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QWidget

from studio.ui.appearance import plot_colors
from studio.ui.canvas import theme

TRAIN_COLOR = (31, 119, 180)
VAL_COLOR = (255, 127, 14)
PREVIOUS_ALPHA = 90
STAGGER_MS = 30  # between two staggered plot redraws, at least
PLOT_INTERVAL_MS = 250  # between two redraws of one plot while training, at least
TITLES = {"loss": "Loss", "accuracy": "Accuracy", "mae": "Mean absolute error", "mse": "Mean squared error"}


def finite_points(values: list[float], first_epoch: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) with the non-finite values left out."""
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(first_epoch, first_epoch + len(y), dtype=np.float64)
    keep = np.isfinite(y)
    return x[keep], y[keep]


def quantities(history_keys) -> list[str]:
    """The plotted quantities, loss first: keys without their `val_` prefix."""
    names = []
    for key in history_keys:
        base = key[4:] if key.startswith("val_") else key
        if base not in names:
            names.append(base)
    return sorted(names, key=lambda n: (n != "loss", n))


class CurvesView(QWidget):
    """A grid of plots; `show_run(history)` draws the current run, `set_previous(runs)` the faded ones."""

    COLUMNS = 2

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        background, foreground = plot_colors(theme.dark)
        pg.setConfigOptions(background=background, foreground=foreground)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, pg.PlotWidget] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}  # "loss", "val_loss", ... of the current run
        self._previous: list[pg.PlotDataItem] = []
        self._previous_histories: list[tuple[int, dict]] = []
        self._pending: dict[str, dict] = {}  # staggered plot updates still to do: plot name -> history to draw
        self._stagger = QTimer(self, singleShot=True)
        self._stagger.timeout.connect(self._show_next)
        self._since_drawn = QElapsedTimer()
        self._since_drawn.start()

    def clear(self) -> None:
        for plot in self.plots.values():
            self._grid.removeWidget(plot)
            plot.deleteLater()
        self.plots, self.curves, self._previous = {}, {}, []

    def _plot(self, name: str) -> pg.PlotWidget:
        plot = self.plots.get(name)
        if plot is not None and plot.isHidden():
            plot.setVisible(True)
        if plot is None:
            plot = pg.PlotWidget()
            plot.setTitle(TITLES.get(name, name.replace("_", " ").capitalize()))
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.25)
            for axis in ("left", "bottom"):  # major grid lines only: the minor ones double the painting time
                plot.getAxis(axis).setStyle(maxTickLevel=0)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            # Before the named curves, so they enter it; losses fall (legend top right), metrics mostly rise.
            plot.addLegend(offset=(-10, 10) if "loss" in name or "error" in name else (-10, -10))
            plot.getPlotItem().getViewBox().setMouseEnabled(x=True, y=True)
            index = len(self.plots)
            self._grid.addWidget(plot, index // self.COLUMNS, index % self.COLUMNS)
            self.plots[name] = plot
            self._draw_previous(name)
        return plot

    def _curve(self, key: str) -> pg.PlotDataItem:
        curve = self.curves.get(key)
        if curve is None:
            base = key[4:] if key.startswith("val_") else key
            validation = key.startswith("val_")
            pen = pg.mkPen(VAL_COLOR if validation else TRAIN_COLOR, width=2)
            curve = self._plot(base).plot([], [], pen=pen, name="validation" if validation else "training",
                                          antialias=True,
                                          symbol="o", symbolSize=4,
                                          symbolBrush=VAL_COLOR if validation else TRAIN_COLOR,
                                          symbolPen=None)
            self.curves[key] = curve
        return curve

    def prepare(self, names: list[str], validation: bool = True) -> None:
        """Create the plots and curves for these quantities now, before training competes for the CPU, and hide
        the plots not named; plots and curves are kept from run to run."""
        for name in names:
            self._plot(name).setVisible(True)
            self._curve(name)
            if validation:
                self._curve("val_" + name)
        for name, plot in self.plots.items():
            if name not in names:
                plot.setVisible(False)

    def show_run(self, history: dict[str, list[float]], stagger: bool = False) -> None:
        """Draw (or update) the current run's curves from its whole history.

        With `stagger` (live training), plots are redrawn one at a time, at least STAGGER_MS apart and each at
        most every PLOT_INTERVAL_MS: no single repaint redraws every plot, and epochs that end faster than that
        (batch size 1) are drawn together, the newest history winning. Every epoch's point still gets drawn.
        """
        names = quantities(history)
        if not stagger:
            self._pending = {}
            self._stagger.stop()
            for name in names:
                self._show(name, history)
            return
        # Plots still waiting keep their turn (with the newer history); the others queue behind them. Restarting
        # the queue at the first plot would starve the last ones while epochs arrive faster than plots are drawn.
        for name in names:
            self._pending[name] = history
        if not self._stagger.isActive():
            self._stagger.start(max(0, self._spacing() - int(self._since_drawn.elapsed())))

    def _spacing(self) -> int:
        """Milliseconds between two staggered plot redraws."""
        shown = sum(1 for plot in self.plots.values() if not plot.isHidden())
        return max(STAGGER_MS, PLOT_INTERVAL_MS // max(1, shown))

    def _show_next(self) -> None:
        if not self._pending:
            return
        name = next(iter(self._pending))
        self._show(name, self._pending.pop(name))
        self._since_drawn.restart()
        if self._pending:
            self._stagger.start(self._spacing())

    def _show(self, name: str, history: dict[str, list[float]]) -> None:
        for key in (name, "val_" + name):
            if key in history:
                self._curve(key).setData(*finite_points(history[key]))

    def start_run(self) -> None:
        """Empty the current run's curves (kept, so that a new run creates nothing)."""
        for curve in self.curves.values():
            curve.setData([], [])

    def set_previous(self, runs: list[tuple[int, dict]]) -> None:
        """Faded curves for earlier runs, as (run id, history) pairs; an empty list removes them."""
        for item in self._previous:
            item.getViewBox() and item.getViewBox().removeItem(item)
        self._previous = []
        self._previous_histories = list(runs)
        for name in list(self.plots):
            self._draw_previous(name)

    def _draw_previous(self, name: str) -> None:
        plot = self.plots[name]
        for run_id, history in self._previous_histories:
            for key, color in ((name, TRAIN_COLOR), ("val_" + name, VAL_COLOR)):
                if key in history and any(math.isfinite(v) for v in history[key]):
                    pen = pg.mkPen((*color, PREVIOUS_ALPHA), width=1, style=Qt.PenStyle.DashLine)
                    item = pg.PlotDataItem(*finite_points(history[key]), pen=pen)
                    item.setToolTip(f"run {run_id}")
                    item.setZValue(-10)
                    plot.addItem(item)
                    self._previous.append(item)

    def point_count(self, key: str) -> int:
        """How many points the current run's curve `key` shows (for tests and status)."""
        curve = self.curves.get(key)
        return 0 if curve is None or curve.xData is None else len(curve.xData)
