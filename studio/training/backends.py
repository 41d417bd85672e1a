"""Who does the arithmetic of a training run: LayerStudio's engine, or real Keras 3 (studio/training/keras_backend.py).

The training core (studio/training/core.py) keeps the rules of a run — segments, stop and pause between batches,
early stopping, last finite weights on NaN — and asks a backend only for what differs: the model `fit` runs on,
the callback and early-stopping classes of its library, how to copy its state between batches, and how the
trained weights come back into the project's engine model. Plain Python; a backend's library is imported only
when it trains.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from studio.training.run import BACKEND_NAMES
from studio.training.weights import StateSnapshot

ENGINE, KERAS = BACKEND_NAMES


class BackendError(ValueError):
    """A backend cannot train this model here (a library missing, a layer it cannot run); the message says what
    to do."""


class TrainingBackend(Protocol):
    name: str

    def prepare(self, model):
        """The model `fit` runs on, from the project's compiled engine model (BackendError when it cannot)."""

    def callback_base(self) -> type: ...

    def early_stopping_class(self) -> type: ...

    def snapshot(self, variables) -> StateSnapshot: ...

    def batches(self, source):
        """An engine `PyDataset` (data streamed from its file), or None, as the backend's `fit` takes it."""

    def to_numpy(self, value) -> np.ndarray: ...

    def finish(self, model, weights: list) -> None:
        """Put the trained (finite) `weights` into the project's engine `model`."""

    def describe(self) -> dict:
        """What trained the run, saved with its segment (e.g. {"name": "keras", "keras_backend": "torch", ...})."""


class EngineBackend:
    """LayerStudio's own NumPy engine: the project's model trains as it is."""

    name = ENGINE

    def prepare(self, model):
        return model

    def callback_base(self) -> type:
        from engine.callbacks import Callback

        return Callback

    def early_stopping_class(self) -> type:
        from engine.callbacks import EarlyStopping

        return EarlyStopping

    def snapshot(self, variables) -> StateSnapshot:
        return StateSnapshot(variables)

    def to_numpy(self, value) -> np.ndarray:
        return np.asarray(value)

    def batches(self, source):
        return source

    def finish(self, model, weights: list) -> None:
        pass  # the engine trained the model itself

    def describe(self) -> dict:
        return {"name": ENGINE}


def backend_for(name: str, compile_settings: dict, keras_backend: str | None = None) -> TrainingBackend:
    """The backend called `name` ("engine" or "keras"); BackendError naming what to install when Keras is not
    usable here. `keras_backend` ("torch", "jax", "tensorflow") overrides KERAS_BACKEND."""
    if name == ENGINE:
        return EngineBackend()
    if name == KERAS:
        from studio.training.keras_backend import KerasBackend, keras_unavailable

        reason = keras_unavailable(keras_backend)
        if reason:
            raise BackendError(reason)
        return KerasBackend(compile_settings, keras_backend)
    raise BackendError(f"Unknown training backend {name!r}: choose {' or '.join(BACKEND_NAMES)}.")


def backend_words(description: dict | None) -> str:
    """How a segment's backend reads: "the engine" or "Keras 3.15.1 (torch on cpu)"."""
    if not description or description.get("name", ENGINE) == ENGINE:
        return "the engine"
    devices = ", ".join(description.get("devices") or [])
    return (f"Keras {description.get('version', '3')} ({description.get('keras_backend', '?')}"
            + (f" on {devices})" if devices else ")"))


def trained_by(segments: list[dict]) -> str:
    """Who trained a run's segments, briefly: "engine", "Keras (torch)", or both joined by " + "."""
    names: list[str] = []
    for segment in segments or [{}]:
        description = segment.get("backend") if isinstance(segment, dict) else None
        name = "engine" if not description or description.get("name", ENGINE) == ENGINE \
            else f"Keras ({description.get('keras_backend', '?')})"
        if name not in names:
            names.append(name)
    return " + ".join(names)
