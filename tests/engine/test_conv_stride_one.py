"""Stride-1 convolutions on the filters' side (engine/ops/conv_stride_one.py): as many filters as channels
takes the input gradient as a transposed convolution of the output gradient, fewer filters the flipped
columns; both against finite differences in 1-D to 3-D and in float32 against float64."""

import numpy as np
import pytest
from gradcheck import check_gradients

from engine import ops
from engine.autodiff import gradients
from engine.variables import Variable

CASES = [  # spatial sizes, kernel size, padding, dilation
    ((7,), (3,), "same", (1,)),
    ((6, 5), (3, 2), "same", (1, 2)),
    ((5, 6), (2, 3), "valid", (2, 1)),
    ((4, 3, 5), (3, 2, 3), "same", (1, 1, 1)),
    ((4, 5, 4), (2, 3, 2), "valid", (1, 1, 2)),
]


@pytest.mark.parametrize("channels,filters", [(3, 3), (3, 2)])
@pytest.mark.parametrize("sizes,kernel_size,padding,dilation", CASES)
def test_gradients_match_finite_differences(sizes, kernel_size, padding, dilation, channels, filters):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, *sizes, channels))
    kernel = rng.normal(size=(*kernel_size, channels, filters))
    check_gradients(lambda x, k: ops.conv(x, k, 1, padding, dilation_rate=dilation), x, kernel)


@pytest.mark.parametrize("channels,filters", [(4, 4), (4, 1)])
@pytest.mark.parametrize("sizes,kernel_size,padding,dilation", CASES)
def test_float32_gradients_agree_with_float64(sizes, kernel_size, padding, dilation, channels, filters):
    rng = np.random.default_rng(2)
    values = [rng.normal(size=(3, *sizes, channels)), rng.normal(size=(*kernel_size, channels, filters)),
              rng.normal(size=filters)]
    found = {}
    for dtype in ("float32", "float64"):
        variables = [Variable(v.astype(dtype), dtype=dtype) for v in values]
        out = ops.conv(*variables[:2], 1, padding, dilation_rate=dilation, bias=variables[2], activation="relu")
        projection = np.random.default_rng(3).normal(size=out.shape).astype(dtype)
        found[dtype] = [np.asarray(out)] + gradients(out, variables, output_gradient=projection)
    for low, high in zip(found["float32"], found["float64"]):
        assert low.dtype == np.float32 and low.shape == high.shape
        np.testing.assert_allclose(low, high, rtol=1e-4, atol=1e-4)
