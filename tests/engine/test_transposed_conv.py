"""ops.conv_transpose (engine/ops/transposed_conv.py and its kernels): values against Keras and against the
definition, gradients against finite differences, in 1-D, 2-D and 3-D, float32 and float64."""

import itertools
import os

import numpy as np
import pytest
from gradcheck import check_gradients

from engine import config, ops
from engine.autodiff import gradients
from engine.ops.transposed_conv import transpose_padding
from engine.variables import Variable


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def by_definition(x, kernel, strides, padding, output_padding, dilation):
    """Every input pixel times the kernel, added at i * stride + k * dilation in the full result, then cropped
    as Keras pads: a plain loop over pixels and kernel offsets."""
    rank = x.ndim - 2
    spans = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:rank], dilation)]
    pads = [transpose_padding(span, s, padding, e) for span, s, e in zip(spans, strides, output_padding)]
    full_sizes = [(n - 1) * s + span for n, s, span in zip(x.shape[1:-1], strides, spans)]
    outs = [(n - 1) * s + lo + hi - span + 2 for n, s, span, (lo, hi) in zip(x.shape[1:-1], strides, spans, pads)]
    crops = [span - 1 - lo for span, (lo, _) in zip(spans, pads)]
    shift = [max(0, -c) for c in crops]  # a negative crop: the output starts before the full result
    size = [max(f + s, o + c + s) for f, o, c, s in zip(full_sizes, outs, crops, shift)]
    full = np.zeros((x.shape[0], *size, kernel.shape[-2]))
    for i in itertools.product(*(range(n) for n in x.shape[1:-1])):
        for k in itertools.product(*(range(n) for n in kernel.shape[:rank])):
            at = tuple(a * s + b * d + h for a, s, b, d, h in zip(i, strides, k, dilation, shift))
            full[(slice(None), *at)] += x[(slice(None), *i)] @ kernel[k].T
    window = tuple(slice(c + h, c + h + o) for c, h, o in zip(crops, shift, outs))
    return full[(slice(None), *window)]


CASES = [  # rank, input size, kernel size, strides, padding, output_padding, dilation
    (1, (5,), (3,), (2,), "same", None, (1,)),
    (1, (4,), (2,), (3,), "valid", (2,), (1,)),
    (1, (6,), (3,), (1,), "valid", None, (2,)),
    (2, (3, 5), (3, 2), (2, 3), "same", (1, 2), (1, 1)),
    (2, (4, 3), (3, 3), (2, 2), "same", None, (1, 1)),
    (2, (3, 3), (1, 2), (3, 1), "valid", None, (1, 1)),  # kernel smaller than the stride
    (2, (5, 4), (3, 3), (1, 1), "same", (0, 0), (2, 1)),
    (3, (3, 2, 3), (3, 2, 2), (2, 1, 3), "same", (1, 0, 2), (1, 1, 1)),
    (3, (2, 3, 2), (2, 3, 3), (1, 2, 2), "valid", None, (1, 1, 1)),
]


def _case_arrays(rank, sizes, kernel_size, seed, dtype="float64"):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, *sizes, 3)).astype(dtype)
    kernel = rng.normal(size=(*kernel_size, 2, 3)).astype(dtype)
    bias = rng.normal(size=2).astype(dtype)
    return x, kernel, bias


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_values_match_the_definition(case, dtype):
    rank, sizes, kernel_size, strides, padding, output_padding, dilation = case
    x, kernel, bias = _case_arrays(rank, sizes, kernel_size, 1, dtype)
    ours = ops.conv_transpose(x, kernel, strides, padding, output_padding, dilation_rate=dilation, bias=bias)
    expected = by_definition(x.astype("float64"), kernel.astype("float64"), strides, padding,
                             output_padding or (None,) * rank, dilation) + bias
    assert ours.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours, expected, rtol=1e-4 if dtype == "float32" else 1e-12, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_values_match_keras(keras, case):
    rank, sizes, kernel_size, strides, padding, output_padding, dilation = case
    if any(s > 1 for s in strides) and any(d > 1 for d in dilation):
        pytest.skip("Keras refuses strides with dilation")
    x, kernel, _ = _case_arrays(rank, sizes, kernel_size, 2, "float32")
    ours = ops.conv_transpose(x, kernel, strides, padding, output_padding, dilation_rate=dilation)
    theirs = keras.ops.conv_transpose(x, kernel, strides, padding, output_padding, dilation_rate=dilation)
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), atol=2e-5)


@pytest.mark.parametrize("activation", ["tanh", "relu"])  # relu runs in the kernels, the others after them
@pytest.mark.parametrize("case", CASES)
def test_gradients_match_finite_differences(case, activation):
    rank, sizes, kernel_size, strides, padding, output_padding, dilation = case
    x, kernel, bias = _case_arrays(rank, sizes, kernel_size, 3)
    check_gradients(lambda x, k, b: ops.conv_transpose(x, k, strides, padding, output_padding, dilation_rate=dilation,
                                                       bias=b, activation=activation), x, kernel, bias)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", None])
def test_float32_gradients_agree_with_float64(activation):
    rank, sizes, kernel_size, strides, padding, _, dilation = CASES[3]
    values = _case_arrays(rank, sizes, kernel_size, 4)
    found = {}
    for dtype in ("float32", "float64"):
        variables = [Variable(v.astype(dtype), dtype=dtype) for v in values]
        out = ops.conv_transpose(*variables[:2], strides, padding, (1, 2), dilation_rate=dilation,
                                 bias=variables[2], activation=activation)
        projection = np.random.default_rng(5).normal(size=out.shape).astype(dtype)
        found[dtype] = gradients(out, variables, output_gradient=projection)
    for low, high in zip(found["float32"], found["float64"]):
        assert low.dtype == np.float32
        np.testing.assert_allclose(low, high, rtol=1e-4, atol=1e-4)


def test_channels_first_is_channels_last_with_the_channel_axis_moved():
    x, kernel, bias = _case_arrays(*CASES[4][:3], 6, "float32")
    last = ops.conv_transpose(x, kernel, 2, "same", bias=bias, activation="relu")
    first = ops.conv_transpose(np.moveaxis(x, -1, 1), kernel, 2, "same", data_format="channels_first", bias=bias,
                               activation="relu")
    np.testing.assert_allclose(np.moveaxis(np.asarray(first), 1, -1), last, rtol=1e-6)


def test_more_than_three_spatial_axes_are_refused_by_name():
    with pytest.raises(ValueError, match="1 to 3 spatial axes"):
        ops.conv_transpose(np.zeros((1, 2, 2, 2, 2, 1)), np.zeros((1, 1, 1, 1, 1, 1)))


def test_relu_keeps_nan_as_numpy_does():
    """A NaN must reach the loss (training stops on it) rather than be clamped to zero by the fused relu."""
    x, kernel, _ = _case_arrays(*CASES[4][:3], 7, "float32")
    x[0, 1, 1, 0] = np.nan
    out = np.asarray(ops.conv_transpose(x, kernel, 2, "same", activation="relu"))
    assert np.isnan(out[0]).any() and not np.isnan(out[1]).any()


@pytest.fixture
def restore_threads():
    before = config.get_num_threads()
    yield
    config.set_num_threads(before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_two_threads_give_the_numbers_of_one(restore_threads, dtype):
    """Big enough (16 * 256 pixels * 144 products, over twice 2 ** 18) that the batch is split over two
    threads, whose kernel and bias gradients are summed."""
    rng = np.random.default_rng(8)
    values = [rng.normal(size=(16, 16, 16, 16)), rng.normal(size=(3, 3, 16, 16)) * 0.3, rng.normal(size=16) * 0.1,
              rng.normal(size=(3, 3, 16, 4)) * 0.3]
    results = []
    for threads in (1, 2):
        config.set_num_threads(threads)
        x, kernel, bias, last = [Variable(v.astype(dtype), dtype=dtype) for v in values]
        up = ops.conv_transpose(x, kernel, 2, "same", bias=bias, activation="relu")
        out = ops.conv(up, last, 1, "same")  # 16 channels -> 4 filters: on the filters' side
        g = np.random.default_rng(9).normal(size=out.shape).astype(dtype)
        found = gradients(out, [x, kernel, bias, last], output_gradient=g)
        results.append([np.asarray(out).copy()] + [d.copy() for d in found])
    tolerance = 1e-4 if dtype == "float32" else 1e-12
    for one, two in zip(*results):
        assert one.dtype == dtype
        np.testing.assert_allclose(two, one, rtol=tolerance, atol=tolerance * np.abs(one).max())
