"""The compiled passes of `ops.dense` (engine/kernels/dense_relu.py: bias and ReLU forward, the ReLU's derivative
and the bias gradient backward) give NumPy's formulas exactly, in float32 and float64 (finite differences:
tests/engine/test_ops_gradients.py)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import ops
from engine.autodiff import gradients
from engine.variables import Variable


def _run(x, k, b, activation, g):
    variables = [Variable(a, dtype=a.dtype) for a in (x, k) + ((b,) if b is not None else ())]
    out = ops.dense(*variables[:2], variables[2] if b is not None else None, activation)
    return out.value, gradients(out, variables, output_gradient=g)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ["relu", "linear"])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("x_shape", [(7, 5), (2, 3, 5)])
def test_dense_matches_numpy_formulas_exactly(dtype, activation, use_bias, x_shape):
    rng = np.random.default_rng(0)
    x, k, b = (rng.normal(size=s).astype(dtype) for s in (x_shape, (5, 6), (6,)))
    b = b if use_bias else None
    g = rng.normal(size=x_shape[:-1] + (6,)).astype(dtype)
    out, grads = _run(x, k, b, activation, g)
    z = x @ k + (b if use_bias else 0)
    want = np.maximum(z, 0) if activation == "relu" else z
    dz = g * (want > 0) if activation == "relu" else g
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(grads[0], dz @ k.T)
    np.testing.assert_array_equal(grads[1], x.reshape(-1, 5).T @ dz.reshape(-1, 6))
    if use_bias:
        np.testing.assert_array_equal(grads[2], dz.reshape(-1, 6).sum(axis=0))


def test_relu_keeps_nan_and_blocks_the_gradient_of_inactive_units():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [np.nan, 0.0]], "float32")
    k = np.eye(2, dtype="float32")
    b = np.array([0.0, -2.0], "float32")
    out, (gx, gk, gb) = _run(x, k, b, "relu", np.ones((3, 2), "float32"))
    np.testing.assert_array_equal(out[:2], [[1, 0], [0, 0]])
    assert np.isnan(out[2]).all()  # NaN * 0 in the product: NaN in both units
    np.testing.assert_array_equal(gb, [1, 0])  # the second unit never fires; NaN is not positive


def test_float16_dense_goes_through_float32():
    rng = np.random.default_rng(1)
    x, k, b = (rng.normal(size=s).astype("float16") for s in ((4, 3), (3, 5), (5,)))
    g = rng.normal(size=(4, 5)).astype("float16")
    out, grads = _run(x, k, b, "relu", g)
    out32, grads32 = _run(*(a.astype("float32") for a in (x, k, b)), "relu", g.astype("float32"))
    assert out.dtype == np.float16 and all(gr.dtype == np.float16 for gr in grads)
    np.testing.assert_allclose(out, out32, rtol=1e-2, atol=1e-2)
    for got, want in zip(grads, grads32):
        np.testing.assert_allclose(got, want, rtol=2e-2, atol=2e-2)
