"""`TerminateOnNaN`: stops training as soon as a batch loss is NaN or infinite."""

from __future__ import annotations

import numpy as np

from engine.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Watches each training batch's `loss`; on NaN or inf stops training (or raises).

    Args:
        raise_error: False sets `model.stop_training`, so training ends normally and every callback's
            `on_train_end` runs; True raises a RuntimeError at once, skipping that cleanup.
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or not (np.isnan(loss) or np.isinf(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
        self.model.stop_training = True
