"""`Progbar`: the text progress bar Keras 3 prints during `fit`, `evaluate` and `predict`."""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

# ANSI styles, as Keras draws them: bold counters and times, a green done part, a white rest.
_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_RESET = "\x1b[0m"


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps expected, None if unknown.
        width: width of the bar in characters.
        verbose: 0 silent, 1 a live bar redrawn in place, 2 one line when the bar is finished.
        interval: minimum number of seconds between two redraws of the live bar.
        stateful_metrics: names of metrics shown as given; every other metric is averaged over the
            steps. Give this or `stateless_metrics`, not both.
        stateless_metrics: names of metrics averaged over the steps; every other metric is shown as
            given. With neither argument, all metrics are averaged.
        unit_name: what a step is called in the "ms/step" rate.
    """

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics=None, stateless_metrics=None, unit_name: str = "step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. `stateful_metrics` "
                "is used to make metrics stateless by default (with an exclusion list), while "
                "`stateless_metrics` is used to make metrics stateful by default (with an exclusion list)."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateful_metrics is not None:
            self.stateful_metrics = set(stateful_metrics)
            self.stateless_metrics = None
        elif stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set()
            self.stateless_metrics = None

        # Keras treats every POSIX terminal (and notebooks) as able to redraw a line in place.
        self._dynamic_display = (
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules
            or "posix" in sys.modules
            or "PYCHARM_HOSTED" in os.environ
        )
        self._seen_so_far = 0
        self._values: dict[str, list] = {}  # name -> [weighted sum, weight]
        self._values_order: list[str] = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Moves the bar to step `current`.

        Args:
            current: index of the current step (1-based: the number of steps done).
            values: list of `(name, value_for_last_step)` pairs.
            finalize: whether this is the bar's last update; by default, when `current >= target`.
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        self._record(current, values or [], finalize)
        self._seen_so_far = current

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw_live(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            self._draw_summary(current, now, time_per_unit)
        self._last_update = now

    def add(self, n: int, values=None) -> None:
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    # -- metric bookkeeping -----------------------------------------------------------------
    def _is_stateless(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _record(self, current: int, values, finalize: bool) -> None:
        for name, value in values:
            if name not in self._values_order:
                self._values_order.append(name)
            if self._is_stateless(name) and not finalize:
                # Weight by the steps since the last update; at least 1 so a repeated step still counts.
                weight = max(current - self._seen_so_far, 1)
                if name not in self._values:
                    self._values[name] = [value * weight, weight]
                else:
                    self._values[name][0] += value * weight
                    self._values[name][1] += weight
            else:
                # Shown as given: the final logs already hold each metric's value for the whole run.
                self._values[name] = [value, 1]

    def _average(self, name: str):
        total, count = self._values[name]
        if not isinstance(total, float):
            total = np.mean(total)
        return total / max(1, count)

    # -- drawing ----------------------------------------------------------------------------
    def _draw_live(self, current: int, now: float, time_per_unit: float, finalize: bool) -> None:
        """verbose=1: redraw `12/32 ━━━━━━━───── 1s 3ms/step - loss: 0.2650` over the previous line."""
        message = "\b" * self._prev_total_width + "\r" if self._dynamic_display else "\n"
        invisible = 0  # characters of ANSI codes, which take no room on screen

        if self.target is not None and self.target > 0:
            bar = f"{_BOLD}{_count(current, self.target)}{_RESET} "
            invisible += len(_BOLD) + len(_RESET)
            done = int(self.width * float(current) / self.target)
            if done > 0:
                bar += f"{_GREEN}{'━' * done}{_RESET}"
                invisible += len(_GREEN) + len(_RESET)
            bar += f"{_WHITE}{'━' * (self.width - done)}{_RESET}"
            invisible += len(_WHITE) + len(_RESET)
        else:
            bar = f"{int(current):7d}/Unknown"

        if self.target is not None and self.target > 0 and not finalize:
            info = f" {_BOLD}{_format_eta(time_per_unit * (self.target - current))}{_RESET}"
        else:
            info = f" {_BOLD}{now - self._start:.0f}s{_RESET}"
        invisible += len(_BOLD) + len(_RESET)
        info += _format_rate(time_per_unit, self.unit_name)
        for name in self._values_order:
            info += f" - {name}: {_format_value(self._average(name), signed=True)}"

        total_width = len(bar) + len(info) - invisible
        message += bar + info
        if self._prev_total_width > total_width:
            message += " " * (self._prev_total_width - total_width)
        if finalize:
            message += "\n"
        _write(message)
        self._prev_total_width = total_width

    def _draw_summary(self, current: int, now: float, time_per_unit: float) -> None:
        """verbose=2: one line `32/32 - 0s - 3ms/step - loss: 0.2650 - val_loss: 0.3012`."""
        info = f"{_count(current, self.target)} - {now - self._start:.0f}s"
        info += f" -{_format_rate(time_per_unit, self.unit_name)}"
        for name in self._values_order:
            info += f" - {name}: {_format_value(self._average(name), signed=False)}"
        _write(info + "\n")

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step; after the first step, the first (usually slow) step is left out."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit


def _count(current, target: int) -> str:
    """` 7/32`: the step count, right-aligned to the target's width."""
    width = int(math.log10(target)) + 1
    return f"{int(current):{width}d}/{int(target)}"


def _format_value(value, signed: bool) -> str:
    """4 decimals, or scientific notation for values within 1e-3 of zero.

    Keras's one-line (verbose=2) format tests `value > 1e-3` rather than `abs(value)`, so negative
    values print in scientific notation there; `signed=False` keeps that quirk.
    """
    large = abs(value) > 1e-3 if signed else value > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def _format_eta(eta: float) -> str:
    """`1:02:03`, `2:05` or `42s`."""
    seconds = int(eta)
    if eta > 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if eta > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _format_rate(time_per_unit: float, unit_name: str) -> str:
    """` 3ms/step`: seconds, milliseconds or microseconds per step, whichever reads best."""
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


def _write(message: str) -> None:
    """Writes to stdout; a console that cannot encode the bar character gets "=" instead."""
    try:
        sys.stdout.write(message)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "utf-8"
        message = message.replace("━", "=").encode(encoding, errors="ignore").decode(encoding)
        sys.stdout.write(message)
    sys.stdout.flush()
