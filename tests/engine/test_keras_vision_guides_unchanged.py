"""Code paths of the Keras 3 vision guides ("Image classification from scratch", "Image classification via
fine-tuning": augmentation layers in front of a convnet) and of the training guide's TensorBoard callback, run
unchanged with `import engine as keras` and compared with real Keras where it is installed.

Augmentation draws differ between libraries (NumPy vs torch generators), so training is compared with factor
ranges of one value (the same draw every time) and no dropout; the guides' own random settings are run as
written and compared at inference, where the augmentation layers pass images through in both.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import engine
from engine.callbacks.event_file import read_event_file

os.environ.setdefault("KERAS_BACKEND", "torch")


def _keras():
    return pytest.importorskip("keras")


def _images(n=24, size=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, size=(n, size, size, 3)).astype("float32")
    y = (x[:, :, : size // 2].mean(axis=(1, 2, 3)) > x[:, :, size // 2:].mean(axis=(1, 2, 3))).astype("int64")
    return x, y


def make_model(lib, input_shape, num_classes, fixed=False):
    """"Image classification from scratch": augmentation as a function over layers, Rescaling, a small
    residual convnet (sizes cut down), dropout before the classifier."""
    layers = lib.layers
    if fixed:
        data_augmentation_layers = [layers.RandomRotation((0.1, 0.1)), layers.RandomZoom((0.2, 0.2)),
                                    layers.RandomTranslation((0.1, 0.1), (-0.1, -0.1)),
                                    layers.RandomContrast((-0.3, 0.3))]
    else:
        data_augmentation_layers = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]

    def data_augmentation(images):
        for layer in data_augmentation_layers:
            images = layer(images)
        return images

    inputs = lib.Input(shape=input_shape)
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [16]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.GlobalAveragePooling2D()(x)
    units = 1 if num_classes == 2 else num_classes
    x = layers.Dropout(0.0 if fixed else 0.25)(x)
    outputs = layers.Dense(units, activation=None)(x)
    return lib.Model(inputs, outputs)


def _compile(lib, model):
    model.compile(optimizer=lib.optimizers.Adam(3e-3), loss=lib.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[lib.metrics.BinaryAccuracy(name="acc")])


def test_image_classification_from_scratch_runs_unchanged():
    x, y = _images()
    ours = make_model(engine, (12, 12, 3), 2)
    _compile(engine, ours)
    history = ours.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
    assert np.all(np.isfinite(history.history["loss"]))
    keras = _keras()
    theirs = make_model(keras, (12, 12, 3), 2)
    _compile(keras, theirs)
    theirs.set_weights(ours.get_weights())
    # inference: the augmentation passes images through in both libraries
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), atol=1e-5)


def test_training_through_fixed_augmentation_matches_keras():
    keras = _keras()
    x, y = _images()
    ours, theirs = make_model(engine, (12, 12, 3), 2, fixed=True), make_model(keras, (12, 12, 3), 2, fixed=True)
    theirs.set_weights(ours.get_weights())
    _compile(engine, ours)
    _compile(keras, theirs)
    ours_history = ours.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    theirs_history = theirs.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    for key in ("loss", "acc"):
        np.testing.assert_allclose(ours_history.history[key], theirs_history.history[key], atol=1e-5, err_msg=key)
    # (predictions after training are not compared: the convolution biases feeding BatchNormalization get
    # gradients that are rounding noise, which Adam scales up to steps of the learning rate in either library)


def test_fine_tuning_guide_augmentation_pipeline_saves_for_keras(tmp_path):
    """"Image classification via fine-tuning": a list of augmentation layers applied in a loop, then saved."""
    layers = engine.layers
    img_augmentation_layers = [layers.RandomRotation(factor=0.15), layers.RandomTranslation(height_factor=0.1,
                               width_factor=0.1), layers.RandomFlip(), layers.RandomContrast(factor=0.1)]

    def img_augmentation(images):
        for layer in img_augmentation_layers:
            images = layer(images)
        return images

    inputs = engine.Input((10, 10, 3))
    outputs = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling2D()(img_augmentation(inputs)))
    model = engine.Model(inputs, outputs)
    x, _ = _images(n=4, size=10)
    augmented = np.asarray(img_augmentation(x))
    assert augmented.shape == x.shape and not np.allclose(augmented, x)
    model.save(tmp_path / "augmented.keras")
    keras = _keras()
    loaded = keras.saving.load_model(tmp_path / "augmented.keras")
    assert [type(layer).__name__ for layer in loaded.layers[1:5]] == ["RandomRotation", "RandomTranslation",
                                                                       "RandomFlip", "RandomContrast"]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


def test_training_guide_tensorboard_callback(tmp_path):
    """"Training & evaluation with the built-in methods": the TensorBoard callback as the guide writes it."""
    keras = engine
    x, y = _images(n=16)
    model = make_model(keras, (12, 12, 3), 2)
    _compile(keras, model)
    tensorboard_cbk = keras.callbacks.TensorBoard(
        log_dir=str(tmp_path / "logs"),
        histogram_freq=0,  # How often to log histogram visualizations
        embeddings_freq=0,  # How often to log embedding visualizations
        update_freq="epoch",
    )  # How often to write logs (default: once per epoch)
    history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, callbacks=[tensorboard_cbk], verbose=0)
    train_dir = tmp_path / "logs" / "train"
    summaries = [s for f in sorted(os.listdir(train_dir)) for s in read_event_file(train_dir / f)]
    losses = [s.value for s in summaries if s.tag == "epoch_loss"]
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-6)
