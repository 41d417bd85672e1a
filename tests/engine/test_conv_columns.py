"""Convolution's im2col product and its compiled col2im (engine/kernels/windows.py) against a plain NumPy
reference in float32 and float64: ranks 1 to 3, odd sizes, strides, dilation, "same" padding, channels_first."""

import itertools

import numpy as np
import pytest

from engine import ops
from engine.autodiff import gradients
from engine.ops.windows import same_padding
from engine.variables import Variable

CASES = [  # input shape, kernel size, filters, strides, dilation, padding
    ((2, 9, 3), (3,), 4, (2,), (1,), "valid"),
    ((2, 7, 5), (2,), 3, (1,), (2,), "same"),
    ((3, 7, 6, 3), (3, 3), 5, (1, 1), (1, 1), "valid"),
    ((2, 8, 7, 2), (3, 2), 4, (2, 3), (1, 1), "same"),
    ((2, 9, 8, 3), (2, 3), 6, (1, 1), (2, 1), "same"),
    ((2, 5, 6, 4, 2), (2, 3, 2), 3, (1, 2, 1), (1, 1, 2), "valid"),
]


def _offset_slices(kernel, dilation, outs, strides):
    for offset in itertools.product(*(range(k) for k in kernel)):
        yield offset, (slice(None),) + tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                                             for o, d, n, s in zip(offset, dilation, outs, strides))


def _reference(x, kernel, bias, g, strides, dilation, padding):
    """(relu(conv(x) + bias), gradient of sum(output * g) by x), one kernel offset at a time in float64."""
    size = kernel.shape[:-2]
    spans = [(k - 1) * d + 1 for k, d in zip(size, dilation)]
    pads = [same_padding(n, span, s) if padding == "same" else (0, 0)
            for n, span, s in zip(x.shape[1:-1], spans, strides)]
    xp = np.pad(x.astype(np.float64), [(0, 0), *pads, (0, 0)])
    outs = [(n - span) // s + 1 for n, span, s in zip(xp.shape[1:-1], spans, strides)]
    z = np.zeros((x.shape[0], *outs, kernel.shape[-1])) + bias
    for offset, index in _offset_slices(size, dilation, outs, strides):
        z += xp[index] @ kernel[offset].astype(np.float64)
    out = np.maximum(z, 0)
    dz = g * (z > 0)
    dxp = np.zeros(xp.shape)
    for offset, index in _offset_slices(size, dilation, outs, strides):
        dxp[index] += dz @ kernel[offset].astype(np.float64).T
    inner = (slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[1:-1]))
    return out, dxp[inner]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,size,filters,strides,dilation,padding", CASES)
def test_conv_and_its_input_gradient_match_the_reference(dtype, shape, size, filters, strides, dilation, padding):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    kernel = rng.normal(size=(*size, shape[-1], filters)).astype(dtype)
    bias = rng.normal(size=filters).astype(dtype)
    v = Variable(x, dtype=dtype)
    out = ops.conv(v, kernel, strides, padding, dilation_rate=dilation, bias=bias, activation="relu")
    g = rng.normal(size=out.shape).astype(dtype)
    expected, expected_grad = _reference(x, kernel, bias, g, strides, dilation, padding)
    tolerance = 1e-4 if dtype == "float32" else 1e-10
    assert out.dtype == dtype
    np.testing.assert_allclose(np.asarray(out), expected, rtol=tolerance, atol=tolerance)
    grad = gradients(out, [v], output_gradient=g)[0]
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, expected_grad, rtol=tolerance, atol=tolerance)


def test_channels_first_conv_gradient_matches_channels_last():
    rng = np.random.default_rng(1)
    x, kernel = rng.normal(size=(2, 3, 7, 6)).astype("float32"), rng.normal(size=(3, 3, 3, 5)).astype("float32")
    first, last = Variable(x), Variable(np.moveaxis(x, 1, -1))
    out_first = ops.conv(first, kernel, 2, "same", "channels_first")
    out_last = ops.conv(last, kernel, 2, "same")
    np.testing.assert_allclose(np.asarray(out_first), np.moveaxis(np.asarray(out_last), -1, 1), rtol=1e-6)
    g = rng.normal(size=out_last.shape).astype("float32")
    grad_first = gradients(out_first, [first], output_gradient=np.moveaxis(g, -1, 1))[0]
    grad_last = gradients(out_last, [last], output_gradient=g)[0]
    np.testing.assert_allclose(grad_first, np.moveaxis(grad_last, -1, 1), rtol=1e-5, atol=1e-6)
