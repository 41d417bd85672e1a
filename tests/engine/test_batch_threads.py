"""Convolution and pooling split the batch over threads (engine/ops/windows.py `_over_batch`, `_in_chunks`):
two threads give one thread's numbers, forward and backward, in float32 and float64."""

import numpy as np
import pytest

from engine import config, ops
from engine.autodiff import gradients
from engine.variables import Variable


@pytest.fixture
def restore_threads():
    before = config.get_num_threads()
    yield
    config.set_num_threads(before)


def _conv_pool(x, kernel, bias, pointwise_kernel, pointwise_bias):
    """Big enough that every op splits its batch (a quarter of a million elements per thread)."""
    y = ops.conv(x, kernel, bias=bias, activation="relu")
    y = ops.max_pool(y, 2)
    y = ops.conv(y, pointwise_kernel, bias=pointwise_bias, activation="tanh")
    return ops.average_pool(y, 3, 2, "same")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_two_threads_give_the_numbers_of_one(restore_threads, dtype):
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(64, 34, 34, 8)), rng.normal(size=(3, 3, 8, 16)) * 0.3, rng.normal(size=16) * 0.1,
              rng.normal(size=(1, 1, 16, 32)) * 0.3, rng.normal(size=32) * 0.1]
    results = []
    for threads in (1, 2):
        config.set_num_threads(threads)
        variables = [Variable(v.astype(dtype), dtype=dtype) for v in values]
        out = _conv_pool(*variables)
        g = np.random.default_rng(1).normal(size=out.shape).astype(dtype)
        results.append([np.asarray(out).copy()] + [d.copy() for d in gradients(out, variables, output_gradient=g)])
    # the kernel gradients sum 65,536 rows in another order: float32 rounding differs in the last bits
    tolerance = 1e-4 if dtype == "float32" else 1e-12
    for one, two in zip(*results):
        assert one.dtype == dtype
        np.testing.assert_allclose(two, one, rtol=tolerance, atol=tolerance * np.abs(one).max())
