"""`EarlyStopping`: stops training when a monitored quantity has stopped improving."""

from __future__ import annotations

import warnings

from engine.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Sets `model.stop_training` after `patience` epochs without improvement of `monitor`.

    Args:
        monitor: quantity to watch, e.g. "val_loss" or "accuracy".
        min_delta: an improvement must beat the best value by more than this.
        patience: epochs without improvement to tolerate before stopping.
        verbose: 1 prints a line when stopping and when restoring weights.
        mode: "min", "max" or "auto" (see `MonitorCallback`).
        baseline: training also stops if the quantity does not beat this value within `patience` epochs.
        restore_best_weights: at the end of training (stopped early or not), set the weights of the best
            epoch back on the model.
        start_from_epoch: epochs of warm-up during which nothing is watched.
    """

    def __init__(self, monitor: str = "val_loss", min_delta=0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline=None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # Reset, so one instance can serve several fit calls. The baseline is not the starting best:
        # it only decides whether an improvement also resets the patience counter.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first watched epoch is the best so far.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only when the value beats the baseline as well as the previous best.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.",
                      flush=True)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs.keys())}",
                stacklevel=2,
            )
        return value
