"""Code paths of the public Keras 3 guides, run unchanged with `import engine as keras`, and compared with
real Keras (same initial weights, shuffle=False -> the same numbers) where it is installed.

Each guide is a function of the library (`engine` or `keras`); the Keras side of a custom `train_step`
takes gradients the torch-backend way (`loss.backward()`), the engine side with `engine.GradientTape`.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import engine

os.environ.setdefault("KERAS_BACKEND", "torch")


def _keras():
    return pytest.importorskip("keras")


def _same_weights(source, *targets) -> None:
    for target in targets:
        target.set_weights(source.get_weights())


def _same_weights_by_layer_name(source, target) -> None:
    """Keras orders a dict of outputs by key, the engine by insertion: copy layer by layer instead."""
    for layer in source.layers:
        target.get_layer(layer.name).set_weights(layer.get_weights())


def _histories_match(ours, theirs, decimal=5) -> None:
    assert set(ours.history) == set(theirs.history)
    for key in ours.history:
        np.testing.assert_allclose(ours.history[key], theirs.history[key], rtol=0, atol=10 ** -decimal, err_msg=key)


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = ((x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)).astype("int64")
    return x, y


# -- the functional API guide: several inputs and outputs, losses by output name ----------------------------
def ticket_classifier(lib):
    title_input = lib.Input(shape=(6,), name="title")
    body_input = lib.Input(shape=(10,), name="body")
    tags_input = lib.Input(shape=(4,), name="tags")
    title_features = lib.layers.Embedding(50, 8, name="title_embedding")(title_input)
    body_features = lib.layers.Embedding(50, 8, name="body_embedding")(body_input)
    title_features = lib.layers.LSTM(6, name="title_lstm")(title_features)
    body_features = lib.layers.LSTM(4, name="body_lstm")(body_features)
    x = lib.layers.concatenate([title_features, body_features, tags_input], name="features")
    priority_pred = lib.layers.Dense(1, name="priority")(x)
    department_pred = lib.layers.Dense(3, name="department")(x)
    model = lib.Model(inputs=[title_input, body_input, tags_input], outputs={"priority": priority_pred,
                                                                            "department": department_pred})
    model.compile(optimizer=lib.optimizers.RMSprop(1e-3),
                  loss={"priority": lib.losses.BinaryCrossentropy(from_logits=True),
                        "department": lib.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    return model


def test_functional_api_guide_multi_input_multi_output():
    keras = _keras()
    rng = np.random.default_rng(1)
    title, body = rng.integers(50, size=(16, 6)), rng.integers(50, size=(16, 10))
    tags = rng.integers(2, size=(16, 4)).astype("float32")
    priority, department = rng.random((16, 1)).astype("float32"), rng.integers(2, size=(16, 3)).astype("float32")
    ours, theirs = ticket_classifier(engine), ticket_classifier(keras)
    _same_weights_by_layer_name(theirs, ours)
    fit = dict(epochs=2, batch_size=8, shuffle=False, verbose=0)
    h_ours = ours.fit({"title": title, "body": body, "tags": tags}, {"priority": priority, "department": department},
                      **fit)
    h_theirs = theirs.fit({"title": title, "body": body, "tags": tags},
                          {"priority": priority, "department": department}, **fit)
    _histories_match(h_ours, h_theirs)


# -- "Making new layers and models via subclassing": add_weight, add_loss ------------------------------------
def subclassed_with_add_loss(lib):
    class ActivityRegularizationLayer(lib.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * lib.ops.mean(inputs))
            return inputs

    class Linear(lib.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.w) + self.b

    inputs = lib.Input(shape=(8,))
    x = Linear(16)(inputs)
    x = ActivityRegularizationLayer(0.05)(lib.layers.Activation("relu")(x))
    outputs = lib.layers.Dense(3)(x)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_subclassing_guide_add_weight_and_add_loss():
    keras = _keras()
    x, y = _data()
    ours, theirs = subclassed_with_add_loss(engine), subclassed_with_add_loss(keras)
    _same_weights(theirs, ours)
    h_ours = ours.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    _histories_match(h_ours, h_theirs)
    assert len(ours.losses) == 1


# -- "Training & evaluation with the built-in methods": a custom metric built on comparisons --------------------
def categorical_true_positives(lib):
    ops = lib.ops

    class CategoricalTruePositives(lib.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)

    model = lib.Sequential([lib.Input((8,)), lib.layers.Dense(16, activation="relu"), lib.layers.Dense(3)])
    model.compile(optimizer=lib.optimizers.RMSprop(learning_rate=1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[CategoricalTruePositives()])
    return model


def test_custom_metric_with_comparisons_counts_as_keras():
    x, y = _data(256)
    ours = categorical_true_positives(engine)
    history = ours.fit(x, y[:, None], batch_size=32, epochs=2, shuffle=False, verbose=0)
    counts = history.history["categorical_true_positives"]
    assert all(0 < c <= 256 and float(c).is_integer() for c in counts)  # `==` compared row by row
    keras = _keras()
    theirs = categorical_true_positives(keras)
    _same_weights(theirs, ours := categorical_true_positives(engine))
    _histories_match(ours.fit(x, y[:, None], batch_size=32, epochs=2, shuffle=False, verbose=0),
                     theirs.fit(x, y[:, None], batch_size=32, epochs=2, shuffle=False, verbose=0))


# -- "Customizing what happens in fit()": train_step with a gradient API ---------------------------------------
def custom_train_step_model(lib):
    if lib is engine:
        def gradient_step(model, x, y):
            with engine.GradientTape() as tape:
                y_pred = model(x, training=True)
                loss = model.compute_loss(y=y, y_pred=y_pred)
            gradients = tape.gradient(loss, model.trainable_weights)
            model.optimizer.apply(gradients, model.trainable_weights)
            return loss, y_pred
    else:  # the guide's torch-backend version
        import torch

        def gradient_step(model, x, y):
            model.zero_grad()
            y_pred = model(x, training=True)
            loss = model.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = list(model.trainable_weights)
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                model.optimizer.apply(gradients, trainable_weights)
            return loss, y_pred

    class CustomModel(lib.Model):
        def train_step(self, data):
            x, y = data
            loss, y_pred = gradient_step(self, x, y)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = lib.Input(shape=(8,))
    outputs = lib.layers.Dense(1)(lib.layers.Dense(8, activation="relu")(inputs))
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def test_custom_train_step_with_gradient_tape_trains_as_keras():
    x, _ = _data(96)
    y = (x[:, :2].sum(axis=1, keepdims=True) * 0.5).astype("float32")
    ours = custom_train_step_model(engine)
    assert isinstance(ours, engine.Model) and type(ours).__name__ == "CustomModel"
    keras = _keras()
    theirs = custom_train_step_model(keras)
    _same_weights(theirs, ours)
    h_ours = ours.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    _histories_match(h_ours, h_theirs)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), atol=1e-5)


def test_gan_style_train_step_with_two_optimizers():
    """The GAN guide's shape: two sub-models, two optimizers, a custom compile, tape per sub-model."""
    keras = engine
    latent_dim = 4
    discriminator = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(1)], name="discriminator")
    generator = keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(6)], name="generator")

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def train_step(self, real):
            batch_size = real.shape[0]
            noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
            fake = self.generator(noise)
            combined = keras.ops.concatenate([fake, real], axis=0)
            labels = keras.ops.concatenate([keras.ops.ones((batch_size, 1)), keras.ops.zeros((batch_size, 1))],
                                           axis=0)
            with keras.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(combined))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
            with keras.GradientTape() as tape:
                g_loss = self.loss_fn(keras.ops.zeros((batch_size, 1)), self.discriminator(self.generator(noise)))
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    gan = GAN(discriminator, generator, latent_dim)
    gan.seed_generator = keras.random.SeedGenerator(1337)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                keras.losses.BinaryCrossentropy(from_logits=True))
    d_before, g_before = discriminator.get_weights(), generator.get_weights()
    real = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
    history = gan.fit(real, epochs=2, batch_size=16, verbose=0)
    assert list(history.history) == ["d_loss", "g_loss"] and len(history.history["d_loss"]) == 2
    assert all(np.isfinite(history.history["d_loss"] + history.history["g_loss"]))
    assert not any(np.array_equal(a, b) for a, b in zip(d_before, discriminator.get_weights()))
    assert not any(np.array_equal(a, b) for a, b in zip(g_before, generator.get_weights()))


def test_endpoint_layer_called_with_two_tensors():
    """The guide's LogisticEndpoint: a layer called on (targets, logits), compiled without a loss."""
    def build(lib):
        class LogisticEndpoint(lib.layers.Layer):
            def __init__(self, name=None):
                super().__init__(name=name)
                self.loss_fn = lib.losses.BinaryCrossentropy(from_logits=True)

            def call(self, targets, logits, sample_weights=None):
                self.add_loss(self.loss_fn(targets, logits, sample_weights))
                return lib.ops.softmax(logits)

        inputs = lib.Input(shape=(3,), name="inputs")
        targets = lib.Input(shape=(10,), name="targets")
        logits = lib.layers.Dense(10)(inputs)
        predictions = LogisticEndpoint(name="predictions")(targets, logits)
        model = lib.Model(inputs=[inputs, targets], outputs=predictions)
        model.compile(optimizer="adam")
        return model

    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((12, 3)).astype("float32"), "targets": rng.random((12, 10)).astype("float32")}
    ours = build(engine)
    assert ours.output_shape == (None, 10)
    keras = _keras()
    theirs = build(keras)
    _same_weights(theirs, ours)
    _histories_match(ours.fit(data, epochs=2, batch_size=4, shuffle=False, verbose=0),
                     theirs.fit(data, epochs=2, batch_size=4, shuffle=False, verbose=0))


# -- callbacks: ModelCheckpoint ----------------------------------------------------------------------------------
def _checkpointed_fit(lib, directory):
    x, y = _data(64)
    model = lib.Sequential([lib.Input((8,)), lib.layers.Dense(3, activation="softmax")])
    model.compile(lib.optimizers.SGD(0.5), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, [
        lib.callbacks.ModelCheckpoint(os.path.join(directory, "m-{epoch:02d}-{val_loss:.3f}.keras"),
                                      save_best_only=True),
        lib.callbacks.ModelCheckpoint(os.path.join(directory, "best.weights.h5"), monitor="val_accuracy",
                                      mode="max", save_best_only=True, save_weights_only=True),
        lib.callbacks.ModelCheckpoint(os.path.join(directory, "every", "e{epoch}.weights.h5"),
                                      save_weights_only=True),
    ], x, y


def test_model_checkpoint_writes_the_files_keras_writes(tmp_path):
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    ours, callbacks, x, y = _checkpointed_fit(engine, str(ours_dir))
    history = ours.fit(x, y, epochs=5, validation_split=0.25, batch_size=8, shuffle=False, verbose=0,
                       callbacks=callbacks).history
    assert sorted(p.name for p in (ours_dir / "every").iterdir()) == [f"e{i}.weights.h5" for i in range(1, 6)]
    improved, best = [], np.inf
    for epoch, value in enumerate(history["val_loss"], start=1):
        if value < best:
            improved.append(f"m-{epoch:02d}-{value:.3f}.keras")
            best = value
    assert sorted(p.name for p in ours_dir.glob("*.keras")) == improved
    best_model = engine.saving.load_model(ours_dir / improved[-1])
    val_loss = best_model.evaluate(x[48:], y[48:], verbose=0)[0]
    assert f"{val_loss:.3f}" == improved[-1][5:10]
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        engine.callbacks.ModelCheckpoint(str(tmp_path / "w.keras"), save_weights_only=True)

    keras = _keras()
    theirs, callbacks, _, _ = _checkpointed_fit(keras, str(theirs_dir))
    _same_weights(theirs, fresh := _checkpointed_fit(engine, str(ours_dir / "again"))[0])
    fresh_callbacks = _checkpointed_fit(engine, str(ours_dir / "again"))[1]
    fresh.fit(x, y, epochs=5, validation_split=0.25, batch_size=8, shuffle=False, verbose=0,
              callbacks=fresh_callbacks)
    theirs.fit(x, y, epochs=5, validation_split=0.25, batch_size=8, shuffle=False, verbose=0, callbacks=callbacks)
    assert sorted(p.name for p in (ours_dir / "again").iterdir()) == sorted(p.name for p in theirs_dir.iterdir())
    # Keras opens the engine's best checkpoint and predicts the same
    path = sorted(str(p) for p in (ours_dir / "again").glob("*.keras"))[-1]
    np.testing.assert_allclose(keras.saving.load_model(path).predict(x, verbose=0),
                               engine.saving.load_model(path).predict(x, verbose=0), atol=1e-6)


# -- "Save, serialize, and export models": custom objects ----------------------------------------------------------
def test_saving_guide_custom_objects(tmp_path):
    @engine.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x**2

    @engine.saving.register_keras_serializable(package="MyLayers")
    class CustomLayer(engine.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    def inverse_tanh(x):  # not registered: found through custom_object_scope
        return -engine.ops.tanh(x)

    inputs = engine.Input(shape=(4,))
    x = CustomLayer(0.5)(engine.layers.Dense(3, activation=custom_fn)(inputs))
    model = engine.Model(inputs, engine.layers.Dense(2, activation=inverse_tanh)(x))
    path = tmp_path / "custom.keras"
    model.save(path)
    data = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    with pytest.raises(ValueError, match="inverse_tanh"):
        engine.saving.load_model(path)
    with engine.saving.custom_object_scope({"inverse_tanh": inverse_tanh}):
        reloaded = engine.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(data, verbose=0), model.predict(data, verbose=0), atol=1e-6)
    assert isinstance(reloaded.layers[2], CustomLayer) and reloaded.layers[2].factor == 0.5
    assert reloaded.layers[1].activation is custom_fn

    keras = _keras()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def keras_custom_fn(x):
        return x**2

    @keras.saving.register_keras_serializable(package="MyLayers", name="CustomLayer")
    class KerasCustomLayer(keras.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    def keras_inverse_tanh(x):
        return -ops.tanh(x)

    with keras.saving.custom_object_scope({"inverse_tanh": keras_inverse_tanh}):
        theirs = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs.predict(data, verbose=0)),
                               model.predict(data, verbose=0), atol=1e-6)
