"""Every differentiable op's gradient against central differences (float64)."""

import numpy as np
import pytest
from gradcheck import check_gradients

from engine import ops
from engine.autodiff import Tensor, gradients, no_grad
from engine.variables import Variable

rng = np.random.default_rng(1)


def N(*shape):
    return rng.normal(size=shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


BINARY = {
    "add": (lambda a, b: a + b, (3, 4), (4,)),
    "subtract": (lambda a, b: a - b, (3, 1), (1, 4)),
    "multiply": (lambda a, b: a * b, (2, 3, 4), (3, 1)),
    "divide": (lambda a, b: a / b, (3, 4), None),
    "matmul_2d": (lambda a, b: a @ b, (3, 4), (4, 5)),
    "matmul_batched_by_2d": (lambda a, b: ops.matmul(a, b), (2, 3, 4), (4, 5)),
    "matmul_batched": (lambda a, b: ops.matmul(a, b), (2, 3, 4), (2, 4, 5)),
    "matmul_vector": (lambda a, b: ops.matmul(a, b), (3, 4), (4,)),
    "maximum": (ops.maximum, (3, 4), (3, 4)),
    "minimum": (ops.minimum, (3, 4), (4,)),
    "power": (lambda a, b: ops.power(a, b), None, (3, 4)),
    "einsum": (lambda a, b: ops.einsum("ij,jk->ik", a, b), (3, 4), (4, 2)),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1), (3, 4), (3, 2)),
    "stack": (lambda a, b: ops.stack([a, b], axis=1), (3, 4), (3, 4)),
    "where": (lambda a, b: ops.where(ops.greater(a, 0), a, b), (3, 4), (3, 4)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_gradients(name):
    fn, shape_a, shape_b = BINARY[name]
    a = positive(3, 4) if shape_a is None else N(*shape_a)
    b = positive(3, 4) if shape_b is None else N(*shape_b)
    check_gradients(fn, a, b)


UNARY = {
    "relu": ops.relu, "relu6": lambda x: ops.relu6(x * 4), "sigmoid": ops.sigmoid, "tanh": ops.tanh,
    "elu": ops.elu, "selu": ops.selu, "silu": ops.silu, "gelu_tanh": ops.gelu,
    "gelu_exact": lambda x: ops.gelu(x, approximate=False), "softplus": ops.softplus, "softsign": ops.softsign,
    "mish": ops.mish, "hard_sigmoid": lambda x: ops.hard_sigmoid(x * 2), "hard_silu": lambda x: ops.hard_silu(x * 2),
    "leaky_relu": ops.leaky_relu, "softmax": ops.softmax, "softmax_axis0": lambda x: ops.softmax(x, axis=0),
    "log_softmax": ops.log_softmax, "exp": ops.exp, "square": ops.square, "abs": ops.abs, "negative": ops.negative,
    "sin": ops.sin, "cos": ops.cos, "expm1": ops.expm1, "clip": lambda x: ops.clip(x, -0.5, 0.5),
    "sum_axis": lambda x: ops.sum(x, axis=1), "sum_all": ops.sum, "mean_keepdims": lambda x: ops.mean(x, 0, True),
    "max_axis": lambda x: ops.max(x, axis=1), "min_all": ops.min, "var": lambda x: ops.var(x, axis=1),
    "std": lambda x: ops.std(x, axis=0), "prod": lambda x: ops.prod(x, axis=1),
    "logsumexp": lambda x: ops.logsumexp(x, axis=-1), "cumsum": lambda x: ops.cumsum(x, axis=1),
    "reshape": lambda x: ops.reshape(x, (4, 3)), "transpose": ops.transpose,
    "expand_squeeze": lambda x: ops.squeeze(ops.expand_dims(x, 1) * 2, 1), "slice": lambda x: x[1:, ::2],
    "fancy_index": lambda x: x[np.array([0, 2, 2])], "take": lambda x: ops.take(x, np.array([0, 3, 3]), axis=1),
    "tile": lambda x: ops.tile(x, (2, 3)), "repeat": lambda x: ops.repeat(x, 2, axis=0),
    "flip": lambda x: ops.flip(x, 1), "pad": lambda x: ops.pad(x, ((1, 0), (2, 1))),
    "broadcast_to": lambda x: ops.broadcast_to(x[:1], (3, 4)), "moveaxis": lambda x: ops.moveaxis(x, 0, 1),
    "split": lambda x: ops.split(x, 2, axis=1)[1] * 3, "unstack": lambda x: ops.unstack(x)[2],
    "operators": lambda x: (2 - x) * 3 / (x * x + 1) + (-x) ** 2,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradients(name):
    check_gradients(UNARY[name], N(3, 4))


def test_sqrt_log_gradients():
    check_gradients(lambda x: ops.sqrt(x) + ops.log(x) + ops.log1p(x), positive(3, 4))


@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "tanh", "softmax"])
def test_fused_dense_gradients(activation):
    check_gradients(lambda x, k, b: ops.dense(x, k, b, activation), N(3, 4), N(4, 5), N(5))
    check_gradients(lambda x, k: ops.dense(x, k, None, activation), N(2, 3, 4), N(4, 5))


def test_crossentropy_gradients_through_every_path():
    onehot = np.eye(5)[[0, 2, 1]]
    labels = np.array([0, 2, 1])
    check_gradients(lambda z: ops.categorical_crossentropy(onehot, ops.softmax(z)), N(3, 5))
    check_gradients(lambda z: ops.categorical_crossentropy(onehot, z, from_logits=True), N(3, 5))
    check_gradients(lambda z: ops.categorical_crossentropy(onehot, ops.exp(z)), N(3, 5))
    check_gradients(lambda z: ops.sparse_categorical_crossentropy(labels, z, from_logits=True), N(3, 5))
    check_gradients(lambda z: ops.sparse_categorical_crossentropy(labels, ops.softmax(z)), N(3, 5))
    binary = (rng.random((3, 2)) > 0.5).astype(float)
    check_gradients(lambda z: ops.binary_crossentropy(binary, ops.sigmoid(z)), N(3, 2))
    check_gradients(lambda z: ops.binary_crossentropy(binary, z, from_logits=True), N(3, 2))
    check_gradients(lambda z: ops.binary_crossentropy(binary, ops.exp(z) / (1 + ops.exp(z))), N(3, 2))


def test_fused_crossentropy_values_match_plain_formula():
    z = N(6, 4).astype("float32")
    labels = np.array([0, 1, 3, 2, 2, 0])
    fused = ops.sparse_categorical_crossentropy(labels, ops.softmax(z)).value
    plain = -np.log(np.clip(np.exp(z) / np.exp(z).sum(1, keepdims=True), 1e-7, 1 - 1e-7))[np.arange(6), labels]
    np.testing.assert_allclose(fused, plain, rtol=1e-5)
    p = ops.sigmoid(z)
    t = (z > 0).astype("float32")
    np.testing.assert_allclose(ops.binary_crossentropy(t, p).value,
                               ops.binary_crossentropy(t, Tensor(p.value)).value, rtol=1e-6)


def test_sparse_crossentropy_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match="Label 3 is out of range: the model predicts 3 classes"):
        ops.sparse_categorical_crossentropy(np.array([0, 3]), N(2, 3), from_logits=True)


def test_no_grad_records_nothing():
    w = Variable(N(3, 2))
    with no_grad():
        out = ops.relu(ops.matmul(Tensor(N(4, 3)), w))
    assert out.vjp is None and not out.requires_grad
    assert gradients(out, [w]) == [None]


def test_gradients_accumulate_over_shared_uses():
    w = Variable(np.array([2.0, 3.0]))
    out = ops.sum(w * w + w)
    (g,) = gradients(out, [w])
    np.testing.assert_allclose(g, 2 * w.value + 1)


def test_numpy_interop():
    t = ops.convert_to_tensor([[1.0, 2.0]])
    assert t.dtype == np.float32
    assert np.asarray(t).shape == (1, 2)
    assert float(ops.sum(t)) == 3.0
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.one_hot(np.array([1, 0]), 3)), [[0, 1, 0], [1, 0, 0]])


def test_sparse_crossentropy_on_a_class_axis_other_than_the_last():
    z = N(2, 3, 4)  # classes on axis 1
    labels = np.array([[0, 2, 1, 1], [2, 2, 0, 1]])
    moved = ops.sparse_categorical_crossentropy(labels, np.moveaxis(z, 1, -1), from_logits=True).value
    on_axis_1 = ops.sparse_categorical_crossentropy(labels, z, from_logits=True, axis=1).value
    np.testing.assert_allclose(on_axis_1, moved, rtol=1e-6)
