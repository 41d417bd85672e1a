"""compile / fit / evaluate / predict: data handling, callbacks, errors that come before any weight changes."""

import numpy as np
import pytest

import engine as keras
from engine import callbacks, layers


def _model(units=3, activation="softmax"):
    return keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                             layers.Dense(units, activation=activation)])


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)


def _same(weights_a, weights_b):
    return all(np.array_equal(a, b) for a, b in zip(weights_a, weights_b))


def test_mismatched_x_and_y_lengths_fail_before_training():
    model = _model()
    model.compile("adam", "sparse_categorical_crossentropy")
    before = model.get_weights()
    x, y = _data()
    with pytest.raises(ValueError, match="Data cardinality is ambiguous.*'x' sizes: 64.*'y' sizes: 60"):
        model.fit(x, y[:60], verbose=0)
    assert _same(before, model.get_weights())


def test_nan_in_data_is_named_with_its_row_and_column():
    model = _model()
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = _data()
    x[5, 2] = np.nan
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"`x` contains NaN at row 5, column 2"):
        model.fit(x, y, verbose=0)
    assert _same(before, model.get_weights())


def test_wrong_feature_count_names_the_layer():
    model = _model()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        model.fit(np.zeros((8, 5), "float32"), np.zeros(8), verbose=0)


def test_unknown_string_shortcuts_are_refused_with_suggestions():
    model = _model()
    with pytest.raises(ValueError, match="optimizer.*'adamm'.*Did you mean 'adam'"):
        model.compile("adamm", "mse")
    with pytest.raises(ValueError, match="mean_squared_eror"):
        model.compile("adam", "mean_squared_eror")
    model.compile("adam", "mse", metrics=["acuracy"])
    x, y = _data()
    with pytest.raises(ValueError, match="acuracy"):
        model.fit(x, np.eye(3)[y], verbose=0)


def test_set_weights_checks_count_and_shapes_before_changing_anything():
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="expecting 4 weights"):
        model.set_weights(before[:3])
    bad = [w.copy() for w in before]
    bad[2] = np.zeros((9, 3))
    with pytest.raises(ValueError, match=r"\(8, 3\).*\(9, 3\)"):
        model.set_weights(bad)
    assert _same(before, model.get_weights())


def test_fit_before_compile_is_refused():
    with pytest.raises(ValueError, match="compile"):
        _model().fit(*_data(), verbose=0)


def test_validation_split_takes_the_last_rows_before_shuffling():
    x, y = _data(100)
    seen = []

    class Recorder(callbacks.Callback):
        def on_test_batch_begin(self, batch, logs=None):
            seen.append(batch)

    model = _model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, validation_split=0.2, batch_size=10, epochs=1, verbose=0, callbacks=[Recorder()])
    assert seen == [0, 1]  # 20 validation rows in batches of 10
    expected = model.evaluate(x[80:], y[80:], batch_size=10, verbose=0)
    history = model.fit(x, y, validation_split=0.2, batch_size=10, epochs=1, verbose=0, shuffle=True)
    assert history.history["val_loss"][0] != pytest.approx(expected, abs=0)  # weights moved
    assert len(history.history["val_loss"]) == 1


def test_stop_training_is_honoured_between_batches():
    x, y = _data(64)
    batches = []

    class StopAfterThree(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)
            if batch == 2:
                self.model.stop_training = True

    model = _model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[StopAfterThree()])
    assert batches == [0, 1, 2]
    assert len(history.history["loss"]) == 1


def test_early_stopping_restores_best_weights():
    x, y = _data(64)
    model = _model()
    model.compile(keras.optimizers.SGD(learning_rate=5.0), "sparse_categorical_crossentropy")
    stopper = callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    history = model.fit(x, y, epochs=30, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) <= 30
    assert stopper.best == pytest.approx(min(history.history["loss"]))


def test_terminate_on_nan_stops_the_run():
    x, y = _data(64)
    x[:, 0] *= 1e30
    model = _model(1, None)
    model.compile(keras.optimizers.SGD(learning_rate=1e10), "mse")
    history = model.fit(x, y.astype("float32"), epochs=5, batch_size=8, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) == 1


def test_initial_epoch_and_history_epochs():
    x, y = _data()
    model = _model()
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]


def test_predict_batches_and_records_nothing():
    x, _ = _data(70)
    model = _model()
    out = model.predict(x, batch_size=16, verbose=0)
    assert out.shape == (70, 3)
    np.testing.assert_allclose(out, np.asarray(model(x)), rtol=1e-6)
    assert model(x).vjp is not None  # a plain call records for training...
    from engine.autodiff import no_grad
    with no_grad():
        assert model(x).vjp is None  # ...predict does not


def test_sample_and_class_weights():
    x, y = _data(64)
    model = _model()
    model.compile("sgd", "sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
    zero = model.evaluate(x, y, sample_weight=np.zeros(64), verbose=0, return_dict=True)
    assert zero["loss"] == pytest.approx(0.0)
    history = model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_train_and_test_on_batch():
    x, y = _data(32)
    model = _model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.train_on_batch(x, y)
    assert 0 <= accuracy <= 1 and loss > 0
    assert set(model.test_on_batch(x, y, return_dict=True)) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (32, 3)


def test_regularization_losses_join_the_loss():
    x, y = _data(32)
    plain = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    regularized = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax",
                                                                      kernel_regularizer="l2")])
    regularized.set_weights(plain.get_weights())
    for model in (plain, regularized):
        model.compile("sgd", "sparse_categorical_crossentropy")
    penalty = 0.01 * float(np.sum(np.square(plain.get_weights()[0])))
    assert regularized.evaluate(x, y, verbose=0) == pytest.approx(plain.evaluate(x, y, verbose=0) + penalty,
                                                                   rel=1e-5)
