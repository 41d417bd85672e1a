"""Global engine state: the default float type, the fuzz factor, layer-name counters, the RNG."""

from __future__ import annotations

import collections
import random
import re

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_NAME_UIDS: collections.defaultdict[str, int] = collections.defaultdict(int)
_rng = np.random.default_rng()


def floatx() -> str:
    """The default float type of weights and inputs ("float32")."""
    return _FLOATX


def set_floatx(value: str) -> None:
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}; expected float16, float32 or float64")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor Keras adds to avoid dividing by zero (1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def get_uid(prefix: str) -> int:
    """Counts how often `prefix` was asked for: 1 the first time, then 2, 3..."""
    _NAME_UIDS[prefix] += 1
    return _NAME_UIDS[prefix]


def unique_name(prefix: str) -> str:
    """`dense`, then `dense_1`, `dense_2`... as Keras names layers."""
    uid = get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def to_snake_case(name: str) -> str:
    """`BatchNormalization` -> `batch_normalization`, `Conv2D` -> `conv2d`, as Keras names layers."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def clear_session() -> None:
    """Forget layer-name counters, as `keras.backend.clear_session()` does."""
    _NAME_UIDS.clear()


def rng() -> np.random.Generator:
    """The engine's random generator (weights, dropout, shuffling)."""
    return _rng


def set_random_seed(seed: int) -> None:
    """Make runs reproducible: seeds Python's, NumPy's and the engine's generators."""
    global _rng
    random.seed(seed)
    np.random.seed(seed)
    _rng = np.random.default_rng(seed)


def standardize_shape(shape) -> tuple:
    """A shape as a tuple of ints or None."""
    if shape is None:
        raise ValueError("Undefined shape: expected a tuple of ints or None, received None")
    if isinstance(shape, int):
        shape = (shape,)
    out = []
    for dim in shape:
        if dim is None:
            out.append(None)
            continue
        if not isinstance(dim, (int, np.integer)) or dim < 0:
            raise ValueError(f"Invalid dimension {dim!r} in shape {tuple(shape)}: expected a non-negative int or None")
        out.append(int(dim))
    return tuple(out)
