"""`History`: records each epoch's logs; `fit` returns it."""

from __future__ import annotations

from engine.callbacks.callback import Callback


class History(Callback):
    """Collects epoch logs into `history` (name -> list of values) and epoch indices into `epoch`.

    Like Keras, `history` is not cleared by a new `fit`: a History reused across runs keeps growing.
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        # Keep the model pointing at the latest record, as Keras does.
        self.model.history = self
