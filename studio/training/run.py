"""Training settings and the record of one training run (settings, history, final weights), JSON-able."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field

import numpy as np

# How a run ended.
RUNNING, FINISHED, STOPPED, EARLY_STOPPED, NAN, ERROR = "running", "finished", "stopped", "early_stopped", "nan", \
    "error"
# How a run's status reads, in the window and on the command line ("nan" is kept in saved files).
STATUS_WORDS = {FINISHED: "finished", STOPPED: "stopped", EARLY_STOPPED: "stopped early",
                NAN: "diverged (the loss was not finite)", ERROR: "failed", RUNNING: "running"}

BACKEND_NAMES = ("engine", "keras")  # who can train a run (studio/training/backends.py)

# What the training panel offers; a project file's settings outside these are refused when it is opened.
SETTING_LIMITS = {"epochs": (1, 100_000), "batch_size": (1, 1_000_000), "patience": (0, 10_000),
                  "min_delta": (0.0, 1e6)}


@dataclass
class TrainingSettings:
    epochs: int = 50
    batch_size: int = 32
    shuffle: bool = True
    early_stopping: bool = False
    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    restore_best_weights: bool = True
    backend: str = "engine"  # who trains: "engine" (LayerStudio's) or "keras" (real Keras 3; training/backends.py)

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> TrainingSettings:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (d or {}).items() if k in known})

    @classmethod
    def checked(cls, d: dict) -> TrainingSettings:
        """`from_dict` for settings read from a file: ValueError naming the first setting of the wrong kind or
        outside what the training panel offers (`SETTING_LIMITS`)."""
        settings = cls.from_dict(d)
        for name, kind in (("shuffle", bool), ("early_stopping", bool), ("restore_best_weights", bool),
                           ("monitor", str), ("backend", str)):
            if not isinstance(getattr(settings, name), kind):
                raise ValueError(f"'{name}' must be {'true or false' if kind is bool else 'a text'}, "
                                 f"not {getattr(settings, name)!r}.")
        if settings.backend not in BACKEND_NAMES:
            raise ValueError(f"'backend' must be one of {', '.join(BACKEND_NAMES)}, not {settings.backend!r}.")
        for name, (low, high) in SETTING_LIMITS.items():
            value = getattr(settings, name)
            whole = name != "min_delta"
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
                    or not low <= value <= high:
                raise ValueError(f"'{name}' must be a {'whole ' if whole else ''}number from {low} to {high:,}, "
                                 f"not {value!r}.")
        return settings

    def validate(self) -> None:
        if int(self.epochs) < 1:
            raise ValueError(f"Epochs must be at least 1, not {self.epochs}.")
        if int(self.batch_size) < 1:
            raise ValueError(f"Batch size must be at least 1, not {self.batch_size}.")
        if self.early_stopping and int(self.patience) < 0:
            raise ValueError(f"Patience must be 0 or more, not {self.patience}.")

    @classmethod
    def proposed(cls, n_train: int, epochs: int | None = None, batch_size: int | None = None) -> TrainingSettings:
        """Defaults sized to the data (small tables get small batches and more epochs), unless the user's
        preferred `epochs` or `batch_size` are given."""
        if n_train < 1000:
            sized = cls(epochs=100, batch_size=16)
        elif n_train < 20000:
            sized = cls(epochs=30, batch_size=32)
        else:
            sized = cls(epochs=10, batch_size=128)
        return cls(epochs=epochs or sized.epochs, batch_size=batch_size or sized.batch_size)


@dataclass
class TrainingRun:
    """One run: started by Train, extended by Continue. `history[key][i]` is epoch i + 1 of the run."""

    run_id: int
    compile_settings: dict
    settings: dict
    history: dict[str, list[float]] = field(default_factory=dict)
    status: str = RUNNING
    message: str = ""
    weights: list[np.ndarray] | None = None
    segments: list[dict] = field(default_factory=list)  # one per fit call: {"initial_epoch", "epochs"}

    @property
    def epochs_done(self) -> int:
        return len(self.history.get("loss", []))

    def add_epoch(self, logs: dict) -> None:
        """Append one epoch's logs; a key first seen late is padded with NaN so every list lines up."""
        n = self.epochs_done
        for key, value in logs.items():
            values = self.history.setdefault(key, [math.nan] * n)
            values.append(float(value))
        for values in self.history.values():
            if len(values) < n + 1:
                values.append(math.nan)

    def best(self, key: str = "val_loss") -> tuple[int, float] | None:
        """(epoch counted from 1, value) of the best finite value of `key`; higher is better for accuracy-like keys."""
        values = [(i + 1, v) for i, v in enumerate(self.history.get(key, [])) if math.isfinite(v)]
        if not values:
            return None
        higher = any(w in key for w in ("accuracy", "auc", "precision", "recall"))
        return max(values, key=lambda p: p[1]) if higher else min(values, key=lambda p: p[1])

    def to_dict(self, include_weights: bool = True) -> dict:
        """JSON-able; NaN and infinity become None (JSON has neither); each weight array as
        `{"dtype", "shape", "base64"}` (exact and compact; `from_dict` also reads nested lists)."""
        return {"run_id": self.run_id, "compile_settings": self.compile_settings, "settings": self.settings,
                "history": {k: [v if math.isfinite(v) else None for v in vs] for k, vs in self.history.items()},
                "status": self.status, "message": self.message, "segments": list(self.segments),
                "weights": [encode_array(w) for w in self.weights] if include_weights and self.weights is not None
                else None}

    @classmethod
    def from_dict(cls, d: dict) -> TrainingRun:
        """A run saved by `to_dict`; KeyError, TypeError or ValueError when a part of it is damaged."""
        if not isinstance(d.get("run_id"), int) or isinstance(d.get("run_id"), bool):
            raise ValueError(f"its run_id {d.get('run_id')!r} is not a whole number")
        history, weights = d.get("history") or {}, d.get("weights")
        if not isinstance(history, dict) or not all(isinstance(v, list) for v in history.values()):
            raise ValueError("its history is not a list of values per metric")
        if weights is not None and not isinstance(weights, list):
            raise ValueError("its weights are not a list of arrays")
        return cls(run_id=int(d["run_id"]), compile_settings=dict(d.get("compile_settings") or {}),
                   settings=dict(d.get("settings") or {}),
                   history={k: [math.nan if v is None else float(v) for v in vs]
                            for k, vs in (d.get("history") or {}).items()},
                   status=str(d.get("status", FINISHED)), message=str(d.get("message", "")),
                   weights=[decode_array(w) for w in weights] if weights is not None else None,
                   segments=list(d.get("segments") or []))


def encode_array(array: np.ndarray) -> dict:
    a = np.ascontiguousarray(array)
    return {"dtype": a.dtype.str, "shape": list(a.shape), "base64": base64.b64encode(a.tobytes()).decode("ascii")}


def decode_array(value) -> np.ndarray:
    """An array from `encode_array`'s dict, or from nested lists (float32)."""
    if isinstance(value, dict):
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in "fiub":
            raise ValueError(f"Saved weights have dtype {dtype}, not a number type.")
        shape = tuple(value["shape"])
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise ValueError(f"Saved weights have the shape {list(shape)}, not a list of sizes.")
        expected = dtype.itemsize * math.prod(shape)
        text = value["base64"]
        size = len(text) * 3 // 4 - (len(text) - len(text.rstrip("=")))  # known before decoding anything
        if size != expected:
            raise ValueError(f"Saved weights of shape {shape} hold {size} bytes, not {expected}.")
        data = base64.b64decode(text, validate=True)
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    return np.asarray(value, dtype=np.float32)
