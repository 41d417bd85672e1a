"""The compiled pooling passes (engine/kernels/pooling.py) against a plain NumPy reference: float32 and
float64, ranks 1 to 3, odd sizes, strides, "same" padding, ties, NaN, relu-premasked gradients."""

import itertools

import numpy as np
import pytest

from engine import ops
from engine.autodiff import gradients
from engine.ops.windows import same_padding
from engine.variables import Variable

CASES = [  # input shape, pool, strides, padding
    ((3, 7, 2), (3,), (2,), "valid"),
    ((2, 9, 5), (2,), (1,), "same"),
    ((3, 8, 6, 3), (2, 2), (2, 2), "valid"),  # tiles the input exactly
    ((2, 11, 11, 4), (2, 2), (2, 2), "valid"),  # leaves the last row and column out
    ((2, 7, 5, 3), (3, 2), (1, 2), "same"),
    ((2, 6, 7, 2), (3, 3), (2, 2), "same"),
    ((2, 5, 6, 4, 3), (2, 3, 2), (2, 1, 2), "valid"),
    ((1, 4, 5, 3, 2), (2, 2, 2), (2, 2, 2), "same"),
]


def _offset_slices(pool, outs, strides):
    """(window position, the input slice it reads for every output position), in row-major order."""
    for j, offset in enumerate(itertools.product(*(range(k) for k in pool))):
        yield j, (slice(None),) + tuple(slice(o, o + (n - 1) * s + 1, s) for o, n, s in zip(offset, outs, strides))


def _windows(x, pool, strides, padding, fill):
    """Every window of x (batch, *spatial, channels) as (batch, *out, channels, window_volume), padded with fill."""
    pads = [same_padding(n, k, s) if padding == "same" else (0, 0) for n, k, s in zip(x.shape[1:-1], pool, strides)]
    xp = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=fill)
    outs = [(n - k) // s + 1 for n, k, s in zip(xp.shape[1:-1], pool, strides)]
    windows = np.empty((x.shape[0], *outs, x.shape[-1], int(np.prod(pool))), x.dtype)
    for j, index in _offset_slices(pool, outs, strides):
        windows[..., j] = xp[index]
    return windows, xp.shape, pads


def _reference_max_pool(x, g, pool, strides, padding):
    """(output, input gradient): the gradient of each window goes to its first maximum."""
    windows, padded, pads = _windows(x, pool, strides, padding, -np.inf)
    first = windows.argmax(axis=-1)
    dxp = np.zeros(padded, np.float64)
    outs = windows.shape[1:-2]
    for j, index in _offset_slices(pool, outs, strides):
        dxp[index] += np.where(first == j, g, 0)
    inner = (slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[1:-1]))
    return windows.max(axis=-1), dxp[inner]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,pool,strides,padding", CASES)
def test_max_pool_matches_the_reference_with_ties(dtype, shape, pool, strides, padding):
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, size=shape).astype(dtype)  # few distinct values: many ties in every window
    g = rng.normal(size=_windows(x, pool, strides, padding, 0)[0].shape[:-1]).astype(dtype)
    expected, expected_grad = _reference_max_pool(x, g, pool, strides, padding)
    v = Variable(x, dtype=dtype)
    out = ops.max_pool(v, pool, strides, padding)
    assert out.dtype == dtype
    np.testing.assert_array_equal(np.asarray(out), expected)
    grad = gradients(out, [v], output_gradient=g)[0]
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,pool,strides,padding", CASES)
def test_average_pool_matches_the_reference(dtype, shape, pool, strides, padding):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype(dtype)
    windows, _, _ = _windows(x, pool, strides, padding, np.nan)
    expected = np.nanmean(windows, axis=-1)  # the padding is not counted
    out = ops.average_pool(x, pool, strides, padding)
    assert out.dtype == dtype
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5 if dtype == "float32" else 1e-12)
    # the gradient of sum(out * g) by x: each window's g / count, added over the windows that read x
    v = Variable(x, dtype=dtype)
    g = rng.normal(size=expected.shape).astype(dtype)
    counts = np.sum(~np.isnan(windows), axis=-1)
    _, padded, pads = _windows(x, pool, strides, padding, 0)
    expected_grad = np.zeros(padded)
    for _, index in _offset_slices(pool, expected.shape[1:-1], strides):
        expected_grad[index] += g / counts
    inner = (slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[1:-1]))
    grad = gradients(ops.average_pool(v, pool, strides, padding), [v], output_gradient=g)[0]
    np.testing.assert_allclose(grad, expected_grad[inner], rtol=1e-5 if dtype == "float32" else 1e-12)


def test_max_pool_propagates_nan_and_handles_large_windows():
    x = np.arange(2 * 20 * 20 * 1, dtype="float32").reshape(2, 20, 20, 1)
    x[0, 3, 4, 0] = np.nan
    out = np.asarray(ops.max_pool(x, 16, 4))  # 256 window positions: the winners need more than a byte
    assert np.isnan(out[0, 0, 0, 0]) and not np.isnan(out[1]).any()
    v = Variable(x[1:])
    grad = gradients(ops.sum(ops.max_pool(v, 16, 4)), [v])[0]
    assert grad[0, 15, 15, 0] == 1 and grad[0, 19, 19, 0] == 1 and grad.sum() == 4


def test_max_pool_on_channels_first_input_matches_channels_last():
    x = np.random.default_rng(2).normal(size=(2, 3, 7, 6)).astype("float32")
    first = ops.max_pool(x, 3, 2, "same", "channels_first")
    last = ops.max_pool(np.moveaxis(x, 1, -1), 3, 2, "same")
    np.testing.assert_array_equal(np.asarray(first), np.moveaxis(np.asarray(last), -1, 1))


@pytest.mark.parametrize("pool,strides", [(2, 2), (3, 1)])
def test_relu_premasked_max_pool_gradient_equals_the_unfused_one(pool, strides):
    """A max pool after a fused conv+relu applies the relu's derivative itself (exact, not approximately)."""
    rng = np.random.default_rng(3)
    x, kernel = rng.normal(size=(2, 8, 7, 3)).astype("float32"), rng.normal(size=(3, 3, 3, 4)).astype("float32")
    g = None
    results = []
    for fused in (True, False):
        kv = Variable(kernel)
        z = ops.conv(x, kv, activation="relu") if fused else ops.relu(ops.conv(x, kv))
        out = ops.max_pool(z, pool, strides)
        g = rng.normal(size=out.shape).astype("float32") if g is None else g
        results.append(gradients(out, [kv], output_gradient=g)[0])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)
