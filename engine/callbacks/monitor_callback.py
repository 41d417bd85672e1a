"""`MonitorCallback`: shared base of callbacks that watch one logged quantity for improvement."""

from __future__ import annotations

import warnings

import numpy as np

from engine.callbacks.callback import Callback


def _all_metrics(metrics):
    """Metrics and the metrics inside containers (the compiled-metrics wrapper), depth first."""
    for metric in metrics:
        yield metric
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            yield from _all_metrics(inner)


class MonitorCallback(Callback):
    """Chooses whether the monitored quantity should go down or up, and tells an improvement.

    Args:
        monitor: name of the logged quantity to watch.
        mode: "min", "max" or "auto". "auto" means "min" for `loss`/`val_loss`, otherwise the direction
            of the model's metric of that name (its `_direction`, "up" or "down").
        baseline: initial best value, or None for the first value seen.
        min_delta: smallest change that counts as an improvement.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{self.__class__.__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        """Decided on the first epoch end, when the model's metrics exist; raises if "auto" cannot tell."""
        if self.mode == "min":
            self.monitor_op = np.less
        elif self.mode == "max":
            self.monitor_op = np.greater
        else:
            metric_name = self.monitor.removeprefix("val_")
            if metric_name == "loss":
                self.monitor_op = np.less
            for metric in _all_metrics(getattr(self.model, "metrics", None) or []):
                if getattr(metric, "name", None) == metric_name and hasattr(metric, "_direction"):
                    self.monitor_op = np.greater if metric._direction == "up" else np.less
            if self.monitor_op is None:
                raise ValueError(
                    f"{self.__class__.__name__} callback received monitor={self.monitor}, but Keras isn't "
                    "able to automatically determine whether that metric should be maximized or minimized. "
                    "Pass `mode='max'` in order to monitor based on the highest metric value, or pass "
                    "`mode='min'` in order to use the lowest value."
                )
        if self.monitor_op is np.less:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        # Keras compares through its ops, which turn Python floats into float32: do the same, so
        # differences below float32 precision are not improvements here either.
        return bool(self.monitor_op(np.float32(monitor_value - self.min_delta), np.float32(reference_value)))
