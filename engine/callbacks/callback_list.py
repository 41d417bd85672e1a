"""`CallbackList`: calls every hook on a list of callbacks, the way the trainer drives them."""

from __future__ import annotations

import numpy as np

from engine.callbacks.callback import Callback
from engine.callbacks.history import History
from engine.callbacks.progbar_logger import ProgbarLogger


def pythonify_logs(logs) -> dict:
    """Logs as callbacks see them: keys sorted, nested dicts flattened, scalars turned into floats.

    Values that are not scalars (the `outputs` of a predict batch) pass through unchanged.
    """
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
            continue
        result[key] = _to_float(value)
    return result


def _to_float(value):
    """A Python float for numbers, NumPy scalars and 0-d arrays or tensors; anything else unchanged."""
    if isinstance(value, (int, float, np.number, np.bool_)) or getattr(value, "ndim", None) == 0:
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def _flatten(callbacks) -> list:
    if isinstance(callbacks, (list, tuple)):
        return [c for item in callbacks for c in _flatten(item)]
    return [callbacks]


class CallbackList(Callback):
    """Container that forwards each hook to all its callbacks, in order.

    Args:
        callbacks: `Callback` instances (nested lists are flattened).
        add_history: append a `History` unless the list already holds one; it becomes `model.history`.
        add_progbar: append a `ProgbarLogger` unless the list already holds one.
        model: the model the callbacks act on; given to each of them.
        **params: training parameters (`verbose`, `epochs`, `steps`) given to each callback.
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False, model=None,
                 **params):
        super().__init__()
        self.callbacks = _flatten(callbacks) if callbacks else []
        for i, callback in enumerate(self.callbacks):
            if not isinstance(callback, Callback):
                raise TypeError(f"`callbacks` must hold keras Callback instances; item {i} is "
                                f"{type(callback).__name__}: {callback!r}")
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def set_params(self, params) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook: str, *args, **kwargs) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args, **kwargs)

    # Every callback receives the same pythonified dict, so keys a callback adds at epoch end
    # (`learning_rate`) reach the History and the progress bar that come after it.
    def on_train_begin(self, logs=None):
        self._call("on_train_begin", pythonify_logs(logs))

    def on_train_end(self, logs=None):
        self._call("on_train_end", pythonify_logs(logs))

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, pythonify_logs(logs))

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, pythonify_logs(logs))

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=pythonify_logs(logs))

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=pythonify_logs(logs))

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, logs=pythonify_logs(logs))

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, logs=pythonify_logs(logs))

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", pythonify_logs(logs))

    def on_test_end(self, logs=None):
        self._call("on_test_end", pythonify_logs(logs))

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=pythonify_logs(logs))

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=pythonify_logs(logs))

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", pythonify_logs(logs))

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", pythonify_logs(logs))

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=pythonify_logs(logs))

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs=pythonify_logs(logs))
