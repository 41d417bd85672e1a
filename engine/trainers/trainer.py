"""`compile`, `fit`, `evaluate`, `predict`: the Keras 3 training API, mixed into `Model`."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from engine import metrics as metrics_module
from engine import optimizers as optimizers_module
from engine.autodiff import gradients, no_grad
from engine.symbolic import flatten, pack_like
from engine.trainers import compile_utils, data_adapter, generator_adapter


def _quiet_numpy(step):
    """Overflow in a diverging run shows as a NaN/inf loss (see TerminateOnNaN), not as NumPy warnings."""
    @functools.wraps(step)
    def quiet(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return step(*args, **kwargs)
    return quiet


class Trainer:
    """Training-loop methods; `self` is a Model."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compiled_loss = None
        self._compiled_metrics = None
        self._loss_tracker = None
        self._compile_config = None

    # -- compile --------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True) -> None:
        """Choose the optimizer, the loss and the metrics (strings, objects or functions, as in Keras).

        `run_eagerly`, `auto_scale_loss` change nothing here (the engine always runs eagerly, in float32);
        `jit_compile=True` and `steps_per_execution > 1` are not available and are reported with a warning."""
        if jit_compile is True:
            warnings.warn("compile(jit_compile=True) is not supported by the engine (it runs NumPy eagerly); "
                          "the model is compiled without XLA/JIT.", stacklevel=2)
        if steps_per_execution != 1:
            warnings.warn(f"compile(steps_per_execution={steps_per_execution}) is not supported by the engine; "
                          "each batch runs one step (steps_per_execution=1), with callbacks after every batch.",
                          stacklevel=2)
        output_names = self._output_names()
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        self._compiled_loss = compile_utils.CompiledLoss(loss, loss_weights, output_names) if loss is not None \
            else None
        self._compiled_metrics = compile_utils.CompiledMetrics(metrics, weighted_metrics, output_names)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics}
        self.compiled = True
        self.stop_training = False

    def _output_names(self) -> list[str]:
        """What compile arguments, targets and history keys call the outputs: a dict's keys, else layer names."""
        structure = getattr(self, "_outputs_struct", None)
        if isinstance(structure, dict) and all(isinstance(k, str) for k in structure):
            return list(structure)
        names = getattr(self, "output_names", None)
        if isinstance(names, list) and names:
            return names
        layers = getattr(self, "layers", [])
        return [layers[-1].name] if layers else ["output"]

    @property
    def metrics(self) -> list:
        """Loss tracker, the compiled metrics (one object, as Keras 3), then per-output loss trackers."""
        if not self.compiled:
            return []
        out = [self._loss_tracker]
        if self._compile_config["metrics"] is not None or self._compile_config["weighted_metrics"] is not None:
            out.append(self._compiled_metrics)
        if self._compiled_loss is not None:
            out.extend(self._compiled_loss.trackers)
        return out

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self) -> dict:
        """Every metric's current value by name (the compiled metrics' dict flattened), as Keras logs them."""
        return logs_of({metric.name: metric.result() for metric in self.metrics})

    _logs = get_metrics_result

    def _metrics_result_or_logs(self, logs) -> dict:
        """Keras's rule for epoch logs: the metrics' results when a step returned exactly those names, else
        what the step returned."""
        metric_logs = self.get_metrics_result()
        logs = logs_of(logs) if isinstance(logs, dict) else {}
        return metric_logs if set(logs) == set(metric_logs) or not logs else logs

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before `{what}()`.")

    # -- one step -------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss over all outputs plus the layers' regularization losses."""
        outputs = flatten(y_pred)
        names = self._output_names()
        targets = compile_utils.match_targets(y, names, y_pred)
        weights = compile_utils.per_output_weights(sample_weight, len(names))
        total = None
        if self._compiled_loss is not None:
            total = self._compiled_loss(targets, outputs, weights)
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Update the compiled metrics with one batch; returns every metric's value so far."""
        if self._compiled_metrics is not None:
            self._compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    @_quiet_numpy
    def train_step(self, data) -> dict:
        """One batch: `data` is `x`, `(x, y)` or `(x, y, sample_weight)`, as Keras passes it."""
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        self._loss_tracker.update_state(float(np.asarray(loss)), sample_weight=_batch_size(x))
        variables = self.trainable_weights
        if variables:
            self.optimizer.apply(gradients(self.optimizer.scale_loss(loss), variables), variables)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    @_quiet_numpy
    def test_step(self, data) -> dict:
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(float(np.asarray(loss)), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    @_quiet_numpy
    def predict_step(self, data):
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data)
        with no_grad():
            out = self(x, training=False)
        return out

    # -- loops ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto", callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch: int = 0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq: int = 1):
        """Train for `epochs` epochs; returns a `History` whose `.history` holds per-epoch values."""
        from engine.callbacks import CallbackList
        self._require_compiled("fit")
        if generator_adapter.is_batch_source(x):
            if validation_split:
                raise ValueError("`validation_split` is only supported for arrays, not for a PyDataset or a "
                                 "generator; pass `validation_data` instead.")
            if y is not None or sample_weight is not None:
                raise ValueError("With a PyDataset or a generator, `y` and `sample_weight` come from its batches; "
                                 "do not pass them to `fit()`.")
            batches = generator_adapter.GeneratorBatches(x, steps_per_epoch, "fit")
        else:
            x, y, sample_weight = self._prepare(x, y, sample_weight, "fit")
            if validation_data is None and validation_split:
                (x, y, sample_weight), validation_data = data_adapter.split_validation(x, y, sample_weight,
                                                                                     validation_split)
            if class_weight is not None:
                if len(self._output_names()) > 1:
                    raise ValueError("`class_weight` is only supported for models with a single output.")
                sample_weight = data_adapter.class_weights_to_sample_weights(y, class_weight)
            batches = data_adapter.ArrayBatches(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        val = validation_data if generator_adapter.is_batch_source(validation_data) else \
            self._unpack_validation(validation_data)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=epochs,
            steps=batches.num_batches)
        self.stop_training = False
        callback_list.on_train_begin()
        epoch_logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            logs: dict = {}
            for step, batch in enumerate(batches):
                callback_list.on_train_batch_begin(step)
                logs = logs_of(self.train_step(batch))
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(self._metrics_result_or_logs(logs))
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_x, val_y, val_w = (val, None, None) if generator_adapter.is_batch_source(val) else val
                val_logs = self.evaluate(val_x, val_y, sample_weight=val_w,
                                         batch_size=validation_batch_size or batches.batch_size,
                                         steps=validation_steps, callbacks=callback_list, return_dict=True,
                                         verbose=0, _checked=True)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.on_train_end(epoch_logs)
        return self.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict: bool = False, _checked: bool = False):
        """Loss and metrics on the data: `[loss, *metrics]`, a scalar with no metrics, or a dict."""
        from engine.callbacks import CallbackList
        self._require_compiled("evaluate")
        if generator_adapter.is_batch_source(x):
            batches = generator_adapter.GeneratorBatches(x, steps, "evaluate")
        else:
            if not _checked:
                x, y, sample_weight = self._prepare(x, y, sample_weight, "evaluate")
            batches = data_adapter.ArrayBatches(x, y, sample_weight, batch_size, False, steps)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=batches.num_batches)
        self.reset_metrics()
        callback_list.on_test_begin()
        logs: dict = {}
        for step, batch in enumerate(batches):
            callback_list.on_test_batch_begin(step)
            logs = logs_of(self.test_step(batch))
            callback_list.on_test_batch_end(step, logs)
        logs = self._metrics_result_or_logs(logs)
        callback_list.on_test_end(logs)
        return logs if return_dict else _flat_logs(self, logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None) -> np.ndarray:
        """Model outputs for `x`, computed batch by batch without recording gradients."""
        from engine.callbacks import CallbackList
        if generator_adapter.is_batch_source(x):
            batches = generator_adapter.GeneratorBatches(x, steps, "predict")
        else:
            x = data_adapter.to_arrays(x)
            data_adapter.num_samples(x)
            batches = data_adapter.ArrayBatches(x, None, None, batch_size, False, steps)
        verbose = 1 if verbose == "auto" else verbose
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=batches.num_batches)
        callback_list.on_predict_begin()
        pieces: list = []
        for step, batch in enumerate(batches):
            callback_list.on_predict_batch_begin(step)
            out = self.predict_step(batch)
            leaves = [np.asarray(o) for o in flatten(out)]
            pieces.append(leaves)
            callback_list.on_predict_batch_end(step, {"outputs": out})
        callback_list.on_predict_end()
        if not pieces and generator_adapter.is_batch_source(x):
            raise ValueError("`predict()`: the PyDataset or generator produced no batches.")
        if not pieces:  # 0 rows: one row of zeros tells the outputs' shapes, then none of it is kept
            one_row = pack_like(x, [np.zeros((1,) + leaf.shape[1:], leaf.dtype) for leaf in flatten(x)]) \
                if isinstance(x, (list, tuple, dict)) else np.zeros((1,) + x.shape[1:], x.dtype)
            out = self.predict_step(data_adapter.pack_x_y_sample_weight(one_row))
            pieces.append([np.asarray(o)[:0] for o in flatten(out)])
        joined = [np.concatenate([p[i] for p in pieces]) for i in range(len(pieces[0]))]
        return pack_like(out, joined) if isinstance(out, (list, tuple, dict)) else joined[0]

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict: bool = False):
        self._require_compiled("train_on_batch")
        x, y, sample_weight = self._prepare(x, y, sample_weight, "train_on_batch")
        if class_weight is not None:
            sample_weight = data_adapter.class_weights_to_sample_weights(y, class_weight)
        self.reset_metrics()
        logs = self._metrics_result_or_logs(self.train_step(data_adapter.pack_x_y_sample_weight(x, y, sample_weight)))
        return logs if return_dict else _flat_logs(self, logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        self._require_compiled("test_on_batch")
        x, y, sample_weight = self._prepare(x, y, sample_weight, "test_on_batch")
        self.reset_metrics()
        logs = self._metrics_result_or_logs(self.test_step(data_adapter.pack_x_y_sample_weight(x, y, sample_weight)))
        return logs if return_dict else _flat_logs(self, logs)

    def predict_on_batch(self, x):
        out = self.predict_step(data_adapter.pack_x_y_sample_weight(data_adapter.to_arrays(x)))
        leaves = [np.asarray(o) for o in flatten(out)]
        return leaves[0] if len(leaves) == 1 and not isinstance(out, (list, tuple, dict)) else leaves

    # -- helpers --------------------------------------------------------------------------
    def _prepare(self, x, y, sample_weight, where: str):
        if x is None:
            raise ValueError(f"`{where}()` needs input data `x`.")
        x, y, sample_weight = (data_adapter.to_arrays(v) for v in (x, y, sample_weight))
        if data_adapter.num_samples(x, y, sample_weight) == 0:
            call = where if "(" in where else f"{where}()"
            raise ValueError(f"`{call}` received empty data: `x` has 0 rows. Training and evaluation need "
                             "at least one sample.")
        data_adapter.check_finite(x, "x")
        data_adapter.check_finite(y, "y")
        return x, y, sample_weight

    def _unpack_validation(self, validation_data):
        if validation_data is None:
            return None
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight)"
                             f"; received {type(validation_data).__name__} of length "
                             f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}")
        vx, vy = validation_data[0], validation_data[1]
        vw = validation_data[2] if len(validation_data) == 3 else None
        return self._prepare(vx, vy, vw, "fit (validation_data)")


def logs_of(logs) -> dict:
    """Step results as callbacks and `History` see them: nested dicts (the compiled metrics) flattened,
    tensors and variables made Python floats (or lists)."""
    out: dict = {}
    for name, value in (logs or {}).items():
        if isinstance(value, dict):
            out.update(logs_of(value))
            continue
        array = np.asarray(value)
        out[name] = float(array) if array.ndim == 0 else array.tolist()
    return out


def _batch_size(x) -> int:
    return len(next(leaf for leaf in flatten(x) if leaf is not None))


def _flat_logs(model, logs: dict):
    """Keras's order: the metrics named in `metrics_names`, then the other logs sorted by name."""
    names = []
    for metric in model.metrics:
        if isinstance(metric, compile_utils.CompiledMetrics):
            names += [m.name for m in metric.metrics if m.name in logs]
        elif metric.name in logs:
            names.append(metric.name)
    names += sorted(name for name in logs if name not in names)
    values = [logs[name] for name in names]
    return values[0] if len(values) == 1 else values
