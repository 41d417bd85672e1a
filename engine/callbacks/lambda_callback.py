"""`LambdaCallback`: a callback made of plain functions, one per hook."""

from __future__ import annotations

from engine.callbacks.callback import Callback


class LambdaCallback(Callback):
    """Calls the given functions at the matching hooks.

    Epoch hooks get `(epoch, logs)`, train begin/end get `(logs)`, batch hooks get `(batch, logs=...)`.
    Any other hook can be given by its name as a keyword, e.g. `on_test_end=fn`.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
