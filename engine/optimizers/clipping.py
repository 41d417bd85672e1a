"""Gradient clipping as Keras 3 does it: by each gradient's norm, by the global norm, or by value."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def clip_by_norm(g: np.ndarray, clipnorm: float) -> np.ndarray:
    """`g * clipnorm / max(norm(g), clipnorm)` as Keras computes it per gradient."""
    flat = g.reshape(-1)
    norm = math.sqrt(float(np.dot(flat, flat)))
    if norm <= clipnorm:
        return g
    return g * (clipnorm / norm)


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """The L2 norm of all gradients together."""
    total = 0.0
    for g in grads:
        if g is not None:
            flat = g.reshape(-1)
            total += float(np.dot(flat, flat))
    return math.sqrt(total)


def clip_by_global_norm(grads: Sequence[np.ndarray], clip_norm: float) -> list[np.ndarray]:
    """Scale all gradients by `clip_norm / max(global_norm, clip_norm)`; NaN everywhere if the norm is not finite."""
    norm = global_norm(grads)
    if not math.isfinite(norm):
        scale = math.nan
    elif norm <= clip_norm:
        return list(grads)
    else:
        scale = clip_norm / norm
    return [g * scale if g is not None else None for g in grads]
