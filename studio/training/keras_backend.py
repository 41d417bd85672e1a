"""Training a project with real Keras 3 on its JAX, torch or TensorFlow backend, on whatever device it uses.

The project's engine model goes to Keras in memory, as a `.keras` file would carry it: its config (the engine
writes Keras's) rebuilt by `keras.saving.deserialize_keras_object`, then its weights, matched by path. Keras
compiles it with the project's compile settings (optimizer, loss and metrics by their Keras names), the training
core runs `fit` with its own callbacks (stop, pause, NaN, early stopping), and the trained weights come back into
the engine model, which evaluates, predicts and exports as after an engine run.

Whether Keras can train here is known without importing it (`keras_unavailable`), so the window can say so at
once; Keras itself is imported when a run starts, in the training thread.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import sys

import numpy as np

from studio.training.backends import KERAS, BackendError
from studio.training.weights import CopySnapshot

# The package each Keras backend needs, and what to install for it.
BACKEND_PACKAGES = {"torch": "torch", "jax": "jax", "tensorflow": "tensorflow"}
INSTALL = "pip install keras torch"


def keras_backend_name(override: str | None = None) -> str:
    """The backend Keras will use, as Keras chooses it: `override`, else KERAS_BACKEND, else the "backend" of
    ~/.keras/keras.json (KERAS_HOME), else TensorFlow. Read without importing Keras."""
    if override:
        return override
    if "keras" in sys.modules:
        try:
            return sys.modules["keras"].config.backend()
        except AttributeError:  # a half-imported or foreign module
            pass
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as f:
            name = json.load(f).get("backend")
        if isinstance(name, str) and name:
            return name
    except (OSError, ValueError, AttributeError):
        pass
    return "tensorflow"


def keras_unavailable(override: str | None = None) -> str | None:
    """Why Keras cannot train here, in one line naming what to install; None when it can."""
    if importlib.util.find_spec("keras") is None:
        return f"Keras is not installed: {INSTALL} (jax or tensorflow also work)."
    try:
        version = importlib.metadata.version("keras")
    except importlib.metadata.PackageNotFoundError:
        version = "3"
    if not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 3:
        return f"Keras {version} is installed; LayerStudio trains with Keras 3: pip install --upgrade keras."
    name = keras_backend_name(override)
    if name == "numpy":
        return ("Keras's numpy backend cannot train (it has no gradients): set KERAS_BACKEND to torch, jax or "
                "tensorflow.")
    package = BACKEND_PACKAGES.get(name)
    if package is None:
        return f"Unknown Keras backend {name!r}: use torch, jax or tensorflow."
    if importlib.util.find_spec(package) is None:
        return (f"Keras's {name} backend needs {package}: pip install {package} (or set KERAS_BACKEND to a backend "
                "that is installed).")
    return None


def short_name(override: str | None = None) -> str:
    """"Keras 3 (torch)": the choice as the training panel shows it."""
    return f"Keras 3 ({keras_backend_name(override)})"


def import_keras(override: str | None = None):
    """The `keras` module on the wanted backend; BackendError saying why not."""
    wanted = keras_backend_name(override)
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = wanted  # read by Keras when it is first imported
    try:
        import keras
    except Exception as err:  # a broken installation: its own message says best what is wrong
        raise BackendError(f"Keras could not be imported on its {wanted} backend: {type(err).__name__}: {err}") \
            from None
    if keras.config.backend() != wanted:
        raise BackendError(f"Keras is already running on {keras.config.backend()} in this process, not {wanted}: "
                           "start LayerStudio again with KERAS_BACKEND set.")
    return keras


class KerasBackend:
    """Trains on real Keras 3. Keeps the Keras model between segments, so that Continue carries its optimizer state
    on (a new run makes a new `KerasBackend`)."""

    name = KERAS

    def __init__(self, compile_settings: dict, keras_backend: str | None = None):
        self.compile_settings = compile_settings
        self.keras_backend = keras_backend
        self.keras = None
        self.model = None  # the Keras model, once built

    def prepare(self, model):
        if self.model is None:
            keras = self.keras = import_keras(self.keras_backend)
            keras_model = to_keras(model, keras)
            keras_model.compile(**keras_compile_args(self.compile_settings, keras))
            self.model = keras_model
        return self.model

    def callback_base(self) -> type:
        return self.keras.callbacks.Callback

    def early_stopping_class(self) -> type:
        return self.keras.callbacks.EarlyStopping

    def snapshot(self, variables) -> CopySnapshot:
        ops = self.keras.ops  # copies stay on the device the model trains on, out of any gradient
        return CopySnapshot(variables, lambda value: ops.stop_gradient(ops.copy(value)))

    def to_numpy(self, value) -> np.ndarray:
        return self.keras.ops.convert_to_numpy(value)

    def batches(self, source):
        return None if source is None else keras_batches(self.keras, source)

    def finish(self, model, weights: list) -> None:
        model.set_weights(in_order(weights, [v.path for v in self.model.weights], [v.path for v in model.weights]))

    def describe(self) -> dict:
        keras = self.keras
        return {"name": KERAS, "version": getattr(keras, "__version__", "?"), "keras_backend": keras.config.backend(),
                "devices": devices(self.model)}


def keras_batches(keras, source):
    """An engine `PyDataset` (a CSV streamed in chunks) as a Keras `PyDataset`: the same batches, in this thread."""

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()

        def __len__(self) -> int:
            return len(source)

        def __getitem__(self, index: int):
            return source[index]

        def on_epoch_end(self) -> None:
            source.on_epoch_end()

    return Batches()


def keras_compile_args(settings: dict, keras) -> dict:
    """The project's compile settings as Keras's `compile` arguments: the same optimizer class and
    hyperparameters, losses and metrics by their Keras names."""
    from studio.training.compile_settings import OPTIMIZERS, build_compile_args

    def optimizer(name: str, config: dict):
        class_name = OPTIMIZERS.get(name.lower())
        if class_name is None or not hasattr(keras.optimizers, class_name):
            raise BackendError(f"Keras has no optimizer {name!r}.")
        return getattr(keras.optimizers, class_name)(**config)

    return build_compile_args(settings, make_optimizer=optimizer)


def to_keras(model, keras):
    """A Keras model with the engine model's layers and weights; BackendError naming the layer Keras cannot
    rebuild or run on its backend."""
    from engine.saving.serialization_lib import serialize_keras_object

    config = json.loads(json.dumps(serialize_keras_object(model)))  # plain JSON, as a .keras file holds it
    try:
        keras_model = keras.saving.deserialize_keras_object(config)
    except Exception as err:
        raise BackendError(_unrunnable(config, keras, err)) from None
    text_inputs = [t.name for t in model.inputs if "string" in str(t.dtype)]
    if text_inputs and keras.config.backend() != "tensorflow":  # torch and jax tensors hold no strings
        raise BackendError(f"Keras on {keras.config.backend()} cannot take text inputs (Input "
                           f"{', '.join(repr(n) for n in text_inputs)} holds strings); Keras feeds strings to a model "
                           "only on its TensorFlow backend. Train it with the engine instead.")
    try:
        keras_model.set_weights(in_order(model.get_weights(), [v.path for v in model.weights],
                                         [v.path for v in keras_model.weights]))
    except ValueError as err:
        raise BackendError(f"The model's weights do not fit the model Keras rebuilt: {err}") from None
    return keras_model


def _unrunnable(config: dict, keras, err: Exception) -> str:
    """Names the first layer of the model's `config` that Keras cannot rebuild on its own; else Keras's error."""
    backend = keras.config.backend()
    for layer in (config.get("config") or {}).get("layers") or []:
        if not isinstance(layer, dict) or layer.get("class_name") == "InputLayer":
            continue
        try:
            keras.saving.deserialize_keras_object(layer)
        except Exception as layer_err:
            name, class_name = (layer.get("config") or {}).get("name", "?"), layer.get("class_name")
            return (f"Keras on {backend} cannot run layer '{name}' ({class_name}): "
                    f"{_first_line(_direct_error(keras, layer) or layer_err)} Train it with the engine instead.")
    return f"Keras on {backend} cannot rebuild the model: {_first_line(err)}"


def _direct_error(keras, layer: dict) -> Exception | None:
    """The layer's own error when Keras makes it from its config (the deserializer's wraps it in generic words)."""
    cls = getattr(keras.layers, str(layer.get("class_name")), None)
    if cls is None:
        return LookupError(f"Keras {keras.__version__} has no layer {layer.get('class_name')}.")
    try:
        cls.from_config(dict(layer.get("config") or {}))
    except Exception as err:
        while (err.__cause__ or err.__context__) is not None:  # Keras wraps the layer's own error: say that one
            err = err.__cause__ or err.__context__
        return err
    return None


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    line = text.splitlines()[0].rstrip() if text else type(err).__name__
    return line if line.endswith(".") else line + "."


def in_order(values: list, source_paths: list[str], target_paths: list[str]) -> list:
    """`values` listed by `source_paths`, reordered to `target_paths` (the same weights, by path). When the paths
    differ, the order is kept and the shapes are checked by `set_weights`."""
    if source_paths == target_paths or sorted(source_paths) != sorted(target_paths) \
            or len(set(source_paths)) != len(source_paths):
        return list(values)
    where = {path: k for k, path in enumerate(source_paths)}
    return [values[where[path]] for path in target_paths]


def devices(model) -> list[str]:
    """The devices the Keras model's weights live on ("cpu", "cuda:0", ...)."""
    found: list[str] = []
    for variable in model.weights[:1]:
        value = variable.value
        device = getattr(value, "device", None)
        if callable(device):  # some array types name it with a method
            device = device()
        if device is None and hasattr(value, "devices"):
            device = ", ".join(sorted(str(d) for d in value.devices()))
        if device is not None:
            found.append(str(device))
    return found
