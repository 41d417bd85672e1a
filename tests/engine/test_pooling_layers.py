"""Pooling ops and layers: the layer contract, finite differences, Keras's outputs and configs, errors."""

import os

import numpy as np
import pytest
from gradcheck import check_gradients
from layer_test_utils import run_layer_test

from engine import layers, ops
from engine.autodiff import gradients
from engine.ops.conv import same_padding
from engine.variables import Variable


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


# -- the ops ---------------------------------------------------------------------------------------

POOLS = [(2, None, "valid"), (2, 1, "valid"), (3, 2, "valid"), (2, None, "same"), (3, 1, "same"), (3, 2, "same"),
         ((2, 3), (1, 2), "same")]


@pytest.mark.parametrize("pool_size,strides,padding", POOLS)
def test_pool_op_gradients(pool_size, strides, padding):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6, 2))
    check_gradients(lambda x: ops.max_pool(x, pool_size, strides, padding), x)
    check_gradients(lambda x: ops.average_pool(x, pool_size, strides, padding), x)
    if isinstance(pool_size, int):
        line = rng.normal(size=(2, 7, 3))
        check_gradients(lambda x: ops.max_pool(x, pool_size, strides, padding), line)
        check_gradients(lambda x: ops.average_pool(x, pool_size, strides, padding), line)


def test_max_pool_gradient_goes_to_the_first_maximum_of_each_window():
    x = Variable(np.array([[3., 3., 1., 1.],
                           [1., 3., 1., 1.],
                           [0., 0., 5., 2.],
                           [0., 0., 5., 5.]], "float32").reshape(1, 4, 4, 1))
    out = ops.max_pool(x, 2)
    np.testing.assert_array_equal(np.asarray(out).ravel(), [3, 1, 0, 5])
    grad = gradients(out, [x], output_gradient=np.array([1., 2., 3., 4.], "float32").reshape(1, 2, 2, 1))[0]
    np.testing.assert_array_equal(grad[0, :, :, 0], [[1, 0, 2, 0],
                                                     [0, 0, 0, 0],
                                                     [3, 0, 4, 0],
                                                     [0, 0, 0, 0]])
    overlapping = gradients(ops.sum(ops.max_pool(x, 2, 1)), [x])[0]
    np.testing.assert_array_equal(overlapping[0, :, :, 0], [[1, 1, 1, 0],  # one unit per window, to its first max
                                                            [0, 1, 0, 0],
                                                            [1, 0, 4, 0],
                                                            [0, 0, 0, 0]])


def test_average_pool_same_padding_does_not_count_the_padding():
    """TF/JAX semantics: pool 4, stride 1 on [1..5] pads 1 before and 2 after; windows average real values."""
    x = np.arange(1, 6, dtype="float32").reshape(1, 5, 1)
    np.testing.assert_allclose(np.asarray(ops.average_pool(x, 4, 1, "same")).ravel(), [2, 2.5, 3.5, 4, 4.5])
    np.testing.assert_allclose(np.asarray(ops.max_pool(x, 4, 1, "same")).ravel(), [3, 4, 5, 5, 5])


def test_pool_keeps_float32_and_records_nothing_without_gradients():
    x = np.random.default_rng(1).random((2, 4, 4, 3), dtype=np.float32)
    for op in (ops.max_pool, ops.average_pool):
        out = op(x, 2)
        assert out.dtype == np.float32 and not out.requires_grad


@pytest.mark.parametrize("pool_size,strides,padding", POOLS)
def test_pool_ops_match_keras(keras, pool_size, strides, padding):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")
    np.testing.assert_allclose(ops.max_pool(x, pool_size, strides, padding),
                               keras.ops.max_pool(x, pool_size, strides, padding), atol=1e-6)
    if _symmetric_padding(x.shape[1:3], pool_size, strides, padding):
        # Keras's torch backend pads uneven "same" average pools by replicating edge values; TF and JAX (and
        # we) leave the padding out of the count, which test_average_pool_same_padding... checks
        np.testing.assert_allclose(ops.average_pool(x, pool_size, strides, padding),
                                   keras.ops.average_pool(x, pool_size, strides, padding), atol=1e-6)
    first = np.moveaxis(x, -1, 1)
    np.testing.assert_allclose(ops.max_pool(first, pool_size, strides, padding, "channels_first"),
                               keras.ops.max_pool(first, pool_size, strides, padding, "channels_first"), atol=1e-6)


def _symmetric_padding(sizes, pool_size, strides, padding) -> bool:
    pools = pool_size if isinstance(pool_size, tuple) else (pool_size,) * len(sizes)
    strides = pools if strides is None else strides if isinstance(strides, tuple) else (strides,) * len(sizes)
    if padding == "valid":
        return True
    return all(lo == hi for lo, hi in map(same_padding, sizes, pools, strides))


# -- the layers ------------------------------------------------------------------------------------

LAYER_CASES = [
    (layers.MaxPooling1D, {}, (2, 5, 3), (2, 2, 3)),
    (layers.MaxPooling1D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 5, 2), (2, 5, 2)),
    (layers.MaxPooling2D, {}, (2, 5, 5, 2), (2, 2, 2, 2)),
    (layers.MaxPooling2D, {"pool_size": (3, 2), "strides": (2, 1), "padding": "same"}, (2, 5, 4, 2), (2, 3, 4, 2)),
    (layers.MaxPooling2D, {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 4, 5), (2, 3, 2, 2)),
    (layers.AveragePooling1D, {"pool_size": 2}, (2, 5, 2), (2, 2, 2)),
    (layers.AveragePooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 2), (2, 4, 2)),
    (layers.AveragePooling2D, {"pool_size": 2, "strides": 1}, (2, 4, 4, 2), (2, 3, 3, 2)),
    (layers.AveragePooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 5, 5, 2), (2, 3, 3, 2)),
    (layers.GlobalAveragePooling1D, {}, (2, 4, 3), (2, 3)),
    (layers.GlobalAveragePooling1D, {"data_format": "channels_first", "keepdims": True}, (2, 4, 3), (2, 4, 1)),
    (layers.GlobalAveragePooling2D, {"keepdims": True}, (2, 3, 4, 2), (2, 1, 1, 2)),
    (layers.GlobalAveragePooling2D, {"data_format": "channels_first"}, (2, 3, 4, 2), (2, 3)),
    (layers.GlobalMaxPooling1D, {"keepdims": True}, (2, 4, 3), (2, 1, 3)),
    (layers.GlobalMaxPooling2D, {}, (2, 3, 3, 2), (2, 2)),
    (layers.GlobalMaxPooling2D, {"data_format": "channels_first", "keepdims": True}, (2, 3, 3, 2), (2, 3, 1, 1)),
]


def _case_id(case):
    cls, kwargs, _, _ = case
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_layer_contract_and_gradients(case):
    cls, kwargs, input_shape, output_shape = case
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_layers_match_keras_outputs_and_configs(keras, case):
    cls, kwargs, input_shape, _ = case
    x = np.random.default_rng(3).normal(size=input_shape).astype("float32")
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    ours = cls(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), keras.ops.convert_to_numpy(theirs(x)), atol=1e-6)
    symbolic = (None, *input_shape[1:])
    assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == {
        k: v for k, v in theirs.get_config().items() if k != "name"}


def test_masked_global_average_pooling_counts_only_unmasked_steps():
    x = np.arange(12, dtype="float32").reshape(2, 3, 2)
    mask = np.array([[True, True, False], [True, False, False]])
    out = np.asarray(layers.GlobalAveragePooling1D()(x, mask=mask))
    np.testing.assert_allclose(out, [[1, 2], [6, 7]])
    x[0, 2] = np.nan  # a masked step is left out as Keras's `where` leaves it, not multiplied by 0
    x[1, 1] = np.inf
    np.testing.assert_allclose(np.asarray(layers.GlobalAveragePooling1D()(x, mask=mask)), [[1, 2], [6, 7]])
    keras = pytest.importorskip("keras")
    np.testing.assert_allclose(np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask=mask)), [[1, 2], [6, 7]])


def test_output_shapes_keep_unknown_dimensions_and_aliases():
    assert layers.MaxPooling2D().compute_output_shape((None, None, 9, 4)) == (None, None, 4, 4)
    assert layers.AveragePooling1D(3, padding="same").compute_output_shape((None, 7, 2)) == (None, 3, 2)
    assert layers.GlobalMaxPooling2D(keepdims=True).compute_output_shape((None, None, None, 5)) == (None, 1, 1, 5)
    assert layers.MaxPooling1D()(layers.Input((None, 3))).shape == (None, None, 3)
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.GlobalAvgPool1D is layers.GlobalAveragePooling1D
    assert layers.MaxPooling2D().name.startswith("max_pooling2d")
    assert layers.GlobalAveragePooling2D().name.startswith("global_average_pooling2d")


# -- bad input -----------------------------------------------------------------------------------

def test_pool_larger_than_a_valid_input_names_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r'MaxPooling2D "max_pooling2d.*": max_pool: the pool \(4, 4\).*'
                                         r"spatial shape \(3, 3\).*inputs.shape=\(1, 3, 3, 1\)"):
        layers.MaxPooling2D(4)(np.zeros((1, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r"AveragePooling1D 'average_pooling1d.*': the pool \(5,\).*\(None, 3, 2\)"):
        layers.AveragePooling1D(5)(layers.Input((3, 2)))


def test_wrong_rank_and_invalid_arguments():
    with pytest.raises(ValueError, match=r'layer "max_pooling2d.*expected ndim=4, found ndim=3'):
        layers.MaxPooling2D()(np.zeros((2, 4, 4), "float32"))
    with pytest.raises(ValueError, match=r'layer "global_average_pooling1d.*expected ndim=3, found ndim=4'):
        layers.GlobalAveragePooling1D()(np.zeros((2, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="`pool_size` argument must be a tuple of 2 integers"):
        layers.MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="`strides` argument"):
        layers.AveragePooling2D(2, strides=0)
    with pytest.raises(ValueError, match="The `padding` argument must be one of"):
        layers.MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match="`data_format` argument must be one of"):
        layers.GlobalMaxPooling2D(data_format="NHWC")


@pytest.mark.parametrize("pool_size,strides,padding", [(2, None, "valid"), (3, 1, "same")])
def test_relu_then_max_pool_gradients(pool_size, strides, padding):
    """A fused conv+relu feeding a max pool, alone or with a second consumer of the relu's output."""
    rng = np.random.default_rng(4)
    x, kernel = rng.normal(size=(2, 5, 5, 2)), rng.normal(size=(2, 2, 2, 3))

    def only_pool(x, k):
        return ops.max_pool(ops.conv(x, k, 1, "same", activation="relu"), pool_size, strides, padding)

    def pool_and_more(x, k):
        y = ops.conv(x, k, 1, "same", activation="relu")
        return ops.add(ops.sum(ops.max_pool(y, pool_size, strides, padding)), ops.sum(ops.multiply(y, y)))

    check_gradients(only_pool, x, kernel)
    check_gradients(pool_and_more, x, kernel)
