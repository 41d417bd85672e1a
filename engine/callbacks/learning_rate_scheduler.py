"""`LearningRateScheduler`: sets the optimizer's learning rate from a function of the epoch."""

from __future__ import annotations

import numpy as np

from engine.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """At each epoch start, sets `model.optimizer.learning_rate = schedule(epoch, current_lr)`.

    Args:
        schedule: function of the epoch index (from 0) and the current learning rate returning the new
            rate as a float; a function of the epoch alone is accepted too.
        verbose: 1 prints each update.

    At each epoch end the rate is added to the logs as `learning_rate`, so History records it.
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # a schedule of the epoch alone (the older form)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.floating)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate}")
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.",
                  flush=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}  # as in Keras, an empty logs dict is not written to
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
