"""`TensorBoard`: Keras's callback that logs training for TensorBoard, writing the event files itself (no
TensorFlow needed; see `event_file`).

The layout and tags are Keras 3's: `log_dir/train` gets `epoch_<name>` for every training log and
`epoch_learning_rate`, `log_dir/validation` gets `epoch_<name>` for the `val_` logs (prefix removed) and
`evaluation_<name>_vs_iterations` after each evaluation (step: the optimizer's iterations), both at the epoch as
step. `update_freq="batch"` or N adds `batch_<name>` every N training batches (step: the batch count since
`fit` began). `histogram_freq=N` adds a histogram of every weight (`<weight path>/histogram`) every N epochs,
and with `write_images` the weights Keras can show as images (`<weight path>/image`);
`write_graph` adds the model's config (the "keras" tag TensorBoard's graph tab draws) for Sequential and
functional models. Keras 3 filters epoch and evaluation scalars by the last batch's `update_freq` condition
when `update_freq` is a number; this engine writes them always, as tf.keras 2 did.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from engine.callbacks.callback import Callback
from engine.callbacks.event_file import EventFileWriter, summary_value


class TensorBoard(Callback):
    """Logs epoch (and optionally batch) metrics, weight histograms and the model config for TensorBoard."""

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        if self.update_freq != "epoch" and (not isinstance(self.update_freq, int) or self.update_freq < 1):
            raise ValueError(f'update_freq must be "epoch", "batch" or a positive integer; received '
                             f"update_freq={update_freq!r}")
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        if profile_batch:
            raise ValueError("Profiling is not yet available with this engine (as with Keras's torch backend). "
                             f"Received: profile_batch={profile_batch} (must be 0)")
        if embeddings_freq:
            warnings.warn(f"TensorBoard: embeddings_freq={embeddings_freq!r} is not supported by this engine and is "
                          "ignored (scalars, histograms, weight images and the model graph are written)", stacklevel=2)
        self._writers: dict[str, EventFileWriter] = {}
        self._global_train_batch = 0
        self._global_test_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._previous_epoch_iterations = 0
        self._training = False

    # -- writers ------------------------------------------------------------------------------------
    def set_model(self, model) -> None:
        """Sets the model; starts new event files (one per run) and writes the model config if asked."""
        self._close_writers()
        super().set_model(model)
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        if self.write_graph and type(model).__name__ in ("Functional", "Sequential"):
            self._write_model_config()

    def _writer(self, which: str) -> EventFileWriter:
        if which not in self._writers:
            self._writers[which] = EventFileWriter(self._train_dir if which == "train" else self._val_dir)
        return self._writers[which]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _write_model_config(self) -> None:
        try:
            config = self.model.to_json()
        except Exception as err:  # as Keras: a model that cannot be serialized does not stop training
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {err}", stacklevel=2)
            return
        self._writer("train").write(0, [summary_value("keras", "graph_keras_model", config, content=b"1")])

    # -- hooks --------------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._training = True

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations()
            self._epoch_start_time = time.time()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step, writer = self._global_train_batch, self._writer("train")
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start_time, 1e-9)
            writer.scalar("batch_steps_per_second", 1.0 / elapsed, step)
        for name, value in (logs or {}).items():
            writer.scalar(f"batch_{name}", value, step)

    def on_test_batch_begin(self, batch, logs=None):
        self._global_test_batch += 1

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return
        step = self._iterations()
        for name, value in (logs or {}).items():
            self._writer("validation").scalar(f"evaluation_{name}_vs_iterations", value, step)
        if not self._training:  # a model.evaluate of its own: its files are complete
            self._close_writers()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    # -- what is written ----------------------------------------------------------------------------
    def _iterations(self) -> int:
        return int(self.model.optimizer.iterations.value)

    def _log_epoch_metrics(self, epoch: int, logs) -> None:
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            train_logs["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            train_logs["steps_per_second"] = (self._iterations() - self._previous_epoch_iterations) / elapsed
        for which, values in (("train", train_logs), ("validation", val_logs)):
            for name, value in values.items():
                self._writer(which).scalar(f"epoch_{name}", value, epoch)

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                writer.histogram(f"{name}/histogram", weight.value, epoch)
                if self.write_images:
                    image = weight_image(np.asarray(weight.value))
                    if image is not None:
                        writer.image(f"{name}/image", image, epoch)


def weight_image(weight: np.ndarray) -> np.ndarray | None:
    """A weight as Keras shows it in TensorBoard's image tab: a bias as a 1-pixel-high strip, a dense kernel
    with its longer side across, a convolution kernel as one image per input channel (when it has 1, 3 or 4
    output channels); None for what Keras does not show."""
    image = np.squeeze(weight)
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        image = image.T if image.shape[0] > image.shape[1] else image
        image = image.reshape(1, *image.shape, 1)
    elif image.ndim == 3:
        image = np.transpose(image, (2, 0, 1))
        image = image.reshape(*image.shape, 1)
    return image if image.ndim == 4 and image.shape[-1] in (1, 3, 4) else None
