"""Dense, Activation, Dropout, Flatten, Reshape and Input through the shared layer contract."""

import numpy as np
import pytest
from layer_test_utils import run_layer_test

from engine import layers, ops


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax", "gelu", "elu", "selu", "swish"])
def test_dense_contract(activation):
    run_layer_test(layers.Dense, {"units": 3, "activation": activation}, input_shape=(4, 5),
                   expected_output_shape=(4, 3), expected_num_trainable_weights=2)


def test_dense_on_3d_input_and_without_bias():
    run_layer_test(layers.Dense, {"units": 2, "use_bias": False}, input_shape=(2, 3, 4),
                   expected_output_shape=(2, 3, 2), expected_num_trainable_weights=1)


def test_dense_weights_follow_keras_layout():
    layer = layers.Dense(7)
    layer(np.zeros((2, 3), "float32"))
    assert [w.shape for w in layer.weights] == [(3, 7), (7,)]
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    np.testing.assert_array_equal(layer.bias.value, 0)
    limit = np.sqrt(6 / (3 + 7))
    assert np.abs(layer.kernel.value).max() <= limit


def test_dense_rejects_wrong_feature_count_before_changing_anything():
    layer = layers.Dense(2)
    layer(np.zeros((1, 3), "float32"))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r'layer "dense.*expected axis -1 of input shape to have value 3.*\(2, 4\)'):
        layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        layer(np.zeros((3,), "float32"))
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_activation_layer():
    out = run_layer_test(layers.Activation, {"activation": "tanh"}, input_shape=(3, 4))
    assert out.shape == (3, 4)


def test_dropout_is_identity_at_inference_and_scales_in_training():
    x = np.ones((200, 50), "float32")
    layer = layers.Dropout(0.4, seed=1)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    y = np.asarray(layer(x, training=True))
    kept = y != 0
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(y[kept], 1 / 0.6, rtol=1e-6)
    run_layer_test(layers.Dropout, {"rate": 0.3}, input_shape=(2, 3))


def test_flatten_and_reshape():
    run_layer_test(layers.Flatten, {}, input_shape=(2, 3, 4), expected_output_shape=(2, 12))
    run_layer_test(layers.Reshape, {"target_shape": (2, -1)}, input_shape=(3, 6), expected_output_shape=(3, 2, 3))
    with pytest.raises(ValueError, match="cannot reshape"):
        layers.Reshape((4, -1))(np.zeros((1, 6), "float32"))
    assert layers.Reshape((3, 4)).compute_output_shape((None, 12)) == (None, 3, 4)


def test_input_makes_symbolic_tensor():
    x = layers.Input(shape=(5,), name="features")
    assert x.shape == (None, 5)
    y = layers.Dense(3)(x)
    assert y.shape == (None, 3)
    with pytest.raises(TypeError, match="no value"):
        np.asarray(y)


def test_custom_layer_from_keras_guide():
    class SimpleDense(layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    layer = SimpleDense(32)
    assert layer(ops.ones((2, 784))).shape == (2, 32)
    assert layer.count_params() == 784 * 32 + 32
    assert layer.compute_output_shape((None, 784)) == (None, 32)  # found by running `call`


def test_initializer_fans_follow_explicit_axes_like_keras():
    from engine.initializers import GlorotUniform, compute_fans
    assert compute_fans((3, 4, 5)) == (12, 15)
    assert compute_fans((3, 4, 5), input_axes=[0, 1], output_axes=[2]) == (12, 5)
    values = GlorotUniform(seed=0, input_axes=[0], output_axes=[1, 2])((30, 4, 5))
    assert np.abs(values).max() <= np.sqrt(6 / (30 + 20))
