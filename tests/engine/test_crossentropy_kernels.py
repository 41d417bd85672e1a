"""The compiled sparse cross-entropy (engine/kernels/crossentropy.py) gives the values and logit gradients of
the one-hot formula (`categorical_crossentropy`), in float32 and float64, for softmax outputs and for logits."""

from __future__ import annotations

import numpy as np
import pytest

from engine import ops
from engine.autodiff import gradients
from engine.variables import Variable


def _logits(shape, dtype, seed=0, scale=3.0):
    z = scale * np.random.default_rng(seed).normal(size=shape)
    z[(0,) * (len(shape) - 1)] = [40.0] + [0.0] * (shape[-1] - 1)  # one row whose softmax is clipped at 1 - eps
    return z.astype(dtype)


def _loss_and_grad(loss_fn, z: np.ndarray, from_logits: bool):
    variable = Variable(z, dtype=z.dtype)
    output = variable if from_logits else ops.softmax(variable)
    loss = loss_fn(output)
    (grad,) = gradients(ops.sum(loss), [variable])
    return loss.value, grad


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-6), ("float64", 1e-13)])
@pytest.mark.parametrize("from_logits", [False, True], ids=["softmax", "logits"])
@pytest.mark.parametrize("shape", [(16, 5), (4, 3, 7)])
def test_sparse_matches_the_one_hot_formula(dtype, tolerance, from_logits, shape):
    z = _logits(shape, dtype)
    labels = np.random.default_rng(1).integers(0, shape[-1], size=shape[:-1])
    one_hot = np.eye(shape[-1], dtype=dtype)[labels]
    got_loss, got_grad = _loss_and_grad(
        lambda out: ops.sparse_categorical_crossentropy(labels, out, from_logits=from_logits), z, from_logits)
    want_loss, want_grad = _loss_and_grad(
        lambda out: ops.categorical_crossentropy(one_hot, out, from_logits=from_logits), z, from_logits)
    assert got_loss.dtype == got_grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got_loss, want_loss, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(got_grad, want_grad, rtol=tolerance, atol=tolerance)
    if not from_logits:  # the clipped row: the loss is -log(1 - eps) and no gradient flows
        first = (0,) * (len(shape) - 1)
        if labels[first] == 0:
            assert not np.any(got_grad[first])


def test_float16_outputs_are_computed_through_float32():
    z = _logits((8, 4), "float16", scale=1.0)
    labels = np.arange(8) % 4
    loss, grad = _loss_and_grad(lambda out: ops.sparse_categorical_crossentropy(labels, out, from_logits=True),
                                z, True)
    want, want_grad = _loss_and_grad(
        lambda out: ops.sparse_categorical_crossentropy(labels, out, from_logits=True), z.astype("float32"), True)
    assert loss.dtype == grad.dtype == np.float16
    np.testing.assert_allclose(loss, want, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(grad, want_grad, rtol=2e-3, atol=2e-3)


def test_nan_probabilities_give_nan_loss_and_gradient():
    probs = np.full((2, 3), np.nan, "float32")
    logits = Variable(np.zeros((2, 3), "float32"))
    output = ops.softmax(logits)
    output.value[...] = probs  # a diverged model: the softmax gave NaN
    loss = ops.sparse_categorical_crossentropy(np.array([0, 2]), output)
    (grad,) = gradients(ops.sum(loss), [logits])
    assert np.isnan(loss.value).all() and np.isnan(grad).all()


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-6), ("float64", 1e-13)])
def test_binary_of_sigmoid_outputs_matches_the_formula_on_probabilities(dtype, tolerance):
    z = _logits((6, 4, 3), dtype)  # the first sigmoid is clipped at 1 - eps
    target = (np.random.default_rng(2).random((6, 4, 3)) < 0.5).astype(dtype)
    variable = Variable(z, dtype=dtype)
    output = ops.sigmoid(variable)
    loss = ops.binary_crossentropy(target, output)
    (grad,) = gradients(ops.sum(loss), [variable])
    p = output.value
    eps = 1e-7
    clipped = np.clip(p, eps, 1 - eps)
    want = -(target * np.log(clipped) + (1 - target) * np.log(1 - clipped))
    assert loss.value.dtype == grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(loss.value, want, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(grad, (p - target) * ((p >= eps) & (p <= 1 - eps)), rtol=tolerance, atol=tolerance)
    assert grad[0, 0, 0] == 0  # outside the clip no gradient flows


def test_binary_of_nan_sigmoid_outputs_is_nan():
    logits = Variable(np.zeros((2, 2), "float32"))
    output = ops.sigmoid(logits)
    output.value[...] = np.nan
    loss = ops.binary_crossentropy(np.ones((2, 2), "float32"), output)
    (grad,) = gradients(ops.sum(loss), [logits])
    assert np.isnan(loss.value).all() and np.isnan(grad).all()
