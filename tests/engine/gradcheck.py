"""Finite-difference gradient checks for ops and layers."""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, gradients
from engine.variables import Variable


def numeric_gradient(f, values: list[np.ndarray], index: int, projection: np.ndarray, eps: float = 1e-6):
    """Central differences of sum(f(values) * projection) with respect to values[index]."""
    base = values[index]
    grad = np.zeros_like(base)
    it = np.nditer(base, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = base[i]
        base[i] = old + eps
        up = np.sum(np.asarray(f(*values)) * projection)
        base[i] = old - eps
        down = np.sum(np.asarray(f(*values)) * projection)
        base[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def check_gradients(f, *values, rtol: float = 1e-5, atol: float = 1e-6, seed: int = 0, wrt=None):
    """Assert the autodiff gradients of f at `values` (float64 arrays) equal central differences."""
    rng = np.random.default_rng(seed)
    values = [np.array(v, dtype=np.float64) for v in values]
    variables = [Variable(v, dtype="float64") for v in values]
    out = f(*variables)
    projection = rng.normal(size=np.shape(np.asarray(out)))
    grads = gradients(out, variables, output_gradient=projection) if isinstance(out, Tensor) else [None] * len(values)
    indices = range(len(values)) if wrt is None else wrt
    for i in indices:
        expected = numeric_gradient(lambda *vs: f(*[Tensor(v) for v in vs]), values, i, projection)
        actual = grads[i] if grads[i] is not None else np.zeros_like(values[i])
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
