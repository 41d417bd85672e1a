"""`Callback`: the base class whose hooks `fit`, `evaluate` and `predict` call as they run."""

from __future__ import annotations


class Callback:
    """Base class for objects that hook into training, evaluation and prediction.

    Subclasses override the `on_*` hooks they need; every hook here does nothing, except the
    train-batch hooks, which forward to the older `on_batch_begin`/`on_batch_end` names as Keras does.
    `params` holds what the trainer passed (`verbose`, `epochs`, `steps`), `model` the model being run.
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self._model = model

    @property
    def model(self):
        return self._model

    # -- training ---------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        """Called once before the first epoch."""

    def on_train_end(self, logs=None):
        """Called once after the last epoch; `logs` are the last epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch `epoch` (0-based), in `fit` only."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its metrics, validation ones prefixed `val_`."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before training batch `batch` of the current epoch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch with the metrics aggregated so far this epoch."""
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        """Older name for `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Older name for `on_train_batch_end`."""

    # -- evaluation (also validation inside fit) -------------------------------------------
    def on_test_begin(self, logs=None):
        """Called before evaluation or validation starts."""

    def on_test_end(self, logs=None):
        """Called after evaluation or validation with its final logs."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before an evaluation or validation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after an evaluation or validation batch with the metrics aggregated so far."""

    # -- prediction -------------------------------------------------------------------------
    def on_predict_begin(self, logs=None):
        """Called before prediction starts."""

    def on_predict_end(self, logs=None):
        """Called after prediction ends."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a prediction batch; `logs["outputs"]` holds the batch's predictions."""
