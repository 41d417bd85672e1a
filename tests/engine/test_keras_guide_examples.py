"""Keras's own guide code, run with `import engine as keras`."""

import numpy as np
import pytest

import engine as keras
from engine import layers, ops


class SimpleDense(keras.layers.Layer):
    """The custom layer from Keras's "Making new layers and models via subclassing" guide."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


def two_gaussian_clouds(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    negatives = rng.multivariate_normal([0, 3], [[1, 0.5], [0.5, 1]], size=n)
    positives = rng.multivariate_normal([3, 0], [[1, 0.5], [0.5, 1]], size=n)
    x = np.vstack([negatives, positives]).astype("float32")
    y = np.vstack([np.zeros((n, 1)), np.ones((n, 1))]).astype("float32")
    return x, y


def test_simple_dense_on_ones():
    layer = SimpleDense(32)
    assert layer(ops.ones((2, 784))).shape == (2, 32)
    assert len(layer.trainable_weights) == 2


def test_sequential_of_custom_layers_builds_on_first_input():
    model = keras.Sequential([SimpleDense(16), layers.Activation("relu"), SimpleDense(1)])
    assert not model.built
    out = model(np.ones((3, 5), "float32"))
    assert out.shape == (3, 1)
    assert model.built and model.count_params() == 5 * 16 + 16 + 16 + 1


def test_linear_classifier_on_two_gaussian_clouds_with_rmsprop_and_binary_accuracy():
    keras.utils.set_random_seed(1)
    x, y = two_gaussian_clouds()
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.BinaryAccuracy()])
    history = model.fit(x, y, batch_size=128, epochs=5, verbose=0)
    assert list(history.history) == ["binary_accuracy", "loss"]
    assert len(history.history["loss"]) == 5
    assert all(isinstance(v, float) for v in history.history["loss"])
    assert history.history["binary_accuracy"][-1] > 0.9
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.9 and loss < history.history["loss"][0]
    predictions = model.predict(x[:10], verbose=0)
    assert isinstance(predictions, np.ndarray) and predictions.shape == (10, 1)


def test_compile_accepts_strings_objects_and_custom_callables():
    x, y = two_gaussian_clouds(200)

    def my_loss(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    def my_metric(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    for optimizer, loss, metrics, keys in [
        ("rmsprop", "mean_squared_error", ["accuracy"], ["accuracy", "loss"]),
        ("adam", "mse", ["mae", "acc"], ["acc", "loss", "mae"]),
        (keras.optimizers.SGD(learning_rate=0.1), keras.losses.MeanSquaredError(), [keras.metrics.AUC(name="auc")],
         ["auc", "loss"]),
        (keras.optimizers.RMSprop(learning_rate=1e-3), my_loss, [my_metric], ["loss", "my_metric"]),
    ]:
        model = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.2)
        assert sorted(history.history) == sorted(keys + [f"val_{k}" for k in keys])


def test_evaluate_shapes_follow_keras():
    x, y = two_gaussian_clouds(100)
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy", "mse"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 3
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["loss", "accuracy", "mse"] or set(as_dict) == {"loss", "accuracy", "mse"}
    assert as_dict["loss"] == pytest.approx(result[0])


def test_custom_training_step_with_gradients():
    """The low-level loop of Keras's guide, with engine's autodiff instead of a GradientTape."""
    from engine.autodiff import gradients
    x, y = two_gaussian_clouds(200)
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    loss_fn = keras.losses.BinaryCrossentropy()
    optimizer = keras.optimizers.SGD(learning_rate=0.5)
    losses = []
    for _ in range(20):
        loss = loss_fn(y, model(x, training=True))
        grads = gradients(loss, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        losses.append(float(loss))
    assert losses[-1] < losses[0] / 2
