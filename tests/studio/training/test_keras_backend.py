"""Training with real Keras 3 behind the one training core: the same numbers as the engine from the same weights,
the core's rules (NaN, stop) inside Keras's `fit`, the weights back in the engine model, and clear words when
Keras or one of its backends is missing or cannot run a layer."""

import copy
import importlib.util
import threading
from types import SimpleNamespace

import numpy as np
import pytest

import engine
from studio.training.backends import BackendError, EngineBackend, backend_for
from studio.training.core import (
    Listener,
    RunControl,
    Trainer,
    begin_segment,
    early_stopping,
    end_segment,
    new_run,
)
from studio.training.keras_backend import keras_unavailable
from studio.training.run import FINISHED, NAN, STOPPED, TrainingRun, TrainingSettings

SGD = {"optimizer": {"name": "sgd", "config": {"learning_rate": 0.05}}, "loss": "mean_squared_error",
       "metrics": ["mae"]}


def hide(monkeypatch, *packages):
    """Make `packages` look uninstalled to the availability check."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr("studio.training.keras_backend.importlib.util.find_spec",
                        lambda name, *a, **k: None if name in packages else real(name, *a, **k))


def test_without_keras_the_message_names_what_to_install(monkeypatch):
    hide(monkeypatch, "keras")
    reason = keras_unavailable()
    assert reason.startswith("Keras is not installed: pip install keras torch")
    with pytest.raises(BackendError, match="pip install keras torch"):
        backend_for("keras", SGD)
    assert isinstance(backend_for("engine", SGD), EngineBackend)


def test_a_missing_keras_backend_package_is_named(monkeypatch):
    pytest.importorskip("keras")
    hide(monkeypatch, "jax")
    assert keras_unavailable("jax") == ("Keras's jax backend needs jax: pip install jax (or set KERAS_BACKEND to a "
                                        "backend that is installed).")
    assert "cannot train" in keras_unavailable("numpy")


def regression(rows=64, seed=0, nan_row=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    if nan_row is not None:
        y[nan_row] = np.nan
    return split(x, y)


def classes(rows=64, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)).astype("float32")
    return split(x, (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5))


def split(x, y):
    """The last 16 rows validate."""
    part = lambda a, b: SimpleNamespace(x=x[a:b], y=y[a:b])  # noqa: E731
    return SimpleNamespace(train=part(0, len(x) - 16), validation=part(len(x) - 16, len(x)))


def engine_model(seed=3, units=1, activation=None):
    engine.utils.set_random_seed(seed)
    model = engine.Sequential([engine.Input((3,)), engine.layers.Dense(8, activation="tanh"),
                               engine.layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def keras_trainer(model, data, epochs=1, compile_settings=SGD, **kwargs):
    settings = TrainingSettings(epochs=epochs, batch_size=16, shuffle=False, backend="keras")
    return Trainer(model, data, settings, 0, epochs, backend=backend_for("keras", compile_settings), **kwargs)


ADAM = {"optimizer": {"name": "adam", "config": {"learning_rate": 0.01}}, "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"]}


@pytest.mark.parametrize("compile_settings, data, output", [(SGD, regression, (1, None)),
                                                            (ADAM, classes, (3, "softmax"))], ids=["sgd", "adam"])
def test_engine_and_keras_give_the_same_first_epoch_from_the_same_weights(compile_settings, data, output):
    pytest.importorskip("keras")
    from studio.training.compile_settings import build_compile_args

    data = data()
    ours, theirs = engine_model(*(3, *output)), engine_model(*(3, *output))
    for model in (ours, theirs):
        model.compile(**build_compile_args(compile_settings))
    np.testing.assert_array_equal(ours.get_weights()[0], theirs.get_weights()[0])
    logs = {}
    settings = TrainingSettings(epochs=1, batch_size=16, shuffle=False)
    engine_outcome = Trainer(ours, data, settings, 0, 1,
                             listener=Listener(epoch=lambda _, values: logs.update(engine=values))).fit()
    keras_outcome = keras_trainer(theirs, data, compile_settings=compile_settings,
                                  listener=Listener(epoch=lambda _, values: logs.update(keras=values))).fit()
    assert engine_outcome.status == keras_outcome.status == FINISHED
    metric = compile_settings["metrics"][0]
    assert set(logs["keras"]) == set(logs["engine"]) == {"loss", metric, "val_loss", f"val_{metric}"}
    for key, value in logs["engine"].items():
        assert logs["keras"][key] == pytest.approx(value, rel=1e-4), key
    for mine, keras_weights in zip(engine_outcome.weights, keras_outcome.weights):
        np.testing.assert_allclose(mine, keras_weights, rtol=1e-4, atol=1e-6)
    assert keras_outcome.backend["name"] == "keras" and keras_outcome.backend["keras_backend"]
    for in_model, outcome in zip(theirs.get_weights(), keras_outcome.weights):  # back in the engine model
        np.testing.assert_array_equal(in_model, outcome)


def test_a_nan_loss_in_keras_keeps_the_weights_of_the_last_finite_batch():
    keras = pytest.importorskip("keras")

    class Before(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.weights = []

        def on_train_batch_begin(self, batch, logs=None):
            self.weights.append(self.model.get_weights())

    model, before = engine_model(), Before()
    data = regression(nan_row=20)  # the second batch of 16 holds it
    outcome = keras_trainer(model, data, epochs=3, callbacks=[before]).fit()
    assert outcome.status == NAN and outcome.nan_at == {"epoch": 0, "batch": 1, "value": "NaN"}
    assert outcome.batches == 2 and len(before.weights) == 2
    # The weights before batch 1 gave NaN, those before batch 0 the last finite loss: those are back, also in
    # the engine model.
    for kept, expected in zip(model.get_weights(), before.weights[0]):
        np.testing.assert_array_equal(kept, expected)

    run = new_run([], SGD, TrainingSettings(backend="keras"))
    begin_segment(run, 3)
    end_segment(run, outcome)
    assert run.status == NAN and run.segments[-1]["backend"]["name"] == "keras"
    assert TrainingRun.from_dict(copy.deepcopy(run.to_dict())).segments == run.segments


def test_stop_acts_between_keras_batches():
    pytest.importorskip("keras")
    control = RunControl()
    batches = []

    def on_batch(info):
        batches.append(info["batch"])
        if len(batches) == 2:
            control.stop()

    outcome = keras_trainer(engine_model(), regression(), epochs=5, control=control,
                            listener=Listener(batch=on_batch)).fit()
    assert outcome.status == STOPPED and batches == [0, 1] and outcome.batches == 2


def test_a_layer_keras_cannot_run_here_is_named():
    keras = pytest.importorskip("keras")
    if keras.config.backend() == "tensorflow":
        pytest.skip("Keras's string layers run on TensorFlow")
    model = engine.Sequential([engine.Input((1,), dtype="string"),
                               engine.layers.StringLookup(vocabulary=["a", "b"], name="species_lookup")])
    outcome = keras_trainer(model, regression()).fit()
    assert outcome.status == "error"
    backend = keras.config.backend()
    if importlib.util.find_spec("tensorflow") is None:  # Keras's string layers need TensorFlow on every backend
        assert outcome.message.startswith(f"Keras on {backend} cannot run layer 'species_lookup' "
                                          "(StringLookup): Layer StringLookup requires TensorFlow.")
    else:  # the layer runs, but the backend's tensors cannot hold the strings it takes
        assert outcome.message.startswith(f"Keras on {backend} cannot take text inputs (Input '"), outcome.message


def test_keras_trains_on_a_csv_read_in_chunks_as_the_engine_does_on_the_whole_file(tmp_path):
    pytest.importorskip("keras")
    from dataclasses import replace

    from studio.data import DataSpec, prepare, read_csv
    from studio.data.streamed import prepare_streamed
    from studio.training.compile_settings import build_compile_args
    from tests.studio.data.test_streamed_data import CHUNK, write_mixed_csv

    path = write_mixed_csv(tmp_path / "mixed.csv")
    spec = DataSpec.from_table(read_csv(path))
    spec = replace(spec, split=replace(spec.split, shuffle=False))
    whole = prepare(spec).for_loss(ADAM["loss"])
    streamed = prepare_streamed(spec, chunk_bytes=CHUNK).for_loss(ADAM["loss"])
    n_features = whole.preprocessor.n_features
    settings = TrainingSettings(epochs=2, batch_size=37, shuffle=False)
    models = []
    for _ in range(2):
        engine.utils.set_random_seed(3)
        model = engine.Sequential([engine.Input((n_features,)), engine.layers.Dense(8, activation="relu"),
                                   engine.layers.Dense(3, activation="softmax")])
        model.compile(**build_compile_args(ADAM))
        models.append(model)
    ours = Trainer(models[0], whole, settings, 0, 2).fit()
    theirs = Trainer(models[1], streamed, settings, 0, 2, backend=backend_for("keras", ADAM)).fit()
    assert ours.status == theirs.status == FINISHED, theirs.message
    for a, b in zip(ours.weights, theirs.weights, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_a_continued_keras_run_carries_its_optimizer_on_like_one_longer_run():
    pytest.importorskip("keras")
    data = regression()
    settings = TrainingSettings(epochs=2, batch_size=16, shuffle=False, backend="keras")
    adam = {**SGD, "optimizer": {"name": "adam", "config": {"learning_rate": 0.01}}}
    whole = Trainer(engine_model(), data, settings, 0, 4, backend=backend_for("keras", adam)).fit()
    model, backend = engine_model(), backend_for("keras", adam)
    assert Trainer(model, data, settings, 0, 2, backend=backend).fit().status == FINISHED
    continued = Trainer(model, data, settings, 2, 4, backend=backend).fit()  # Continue: the same backend
    assert continued.status == FINISHED
    for a, b in zip(whole.weights, continued.weights, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)


def test_pause_waits_between_keras_batches_and_early_stopping_is_keras_own():
    keras = pytest.importorskip("keras")
    control, events = RunControl(), []

    def on_batch(info):
        events.append(("batch", info["epoch"], info["batch"]))
        if len(events) == 1:
            control.pause()
            threading.Timer(0.2, control.resume).start()

    listener = Listener(batch=on_batch, paused=lambda: events.append("paused"),
                        resumed=lambda: events.append("resumed"))
    settings = TrainingSettings(epochs=50, batch_size=16, shuffle=False, backend="keras", early_stopping=True,
                                monitor="val_loss", patience=0, min_delta=10.0)  # no change is big enough
    trainer = Trainer(engine_model(), regression(), settings, 0, 50, control=control, listener=listener,
                      backend=backend_for("keras", SGD))
    outcome = trainer.fit()
    assert events[:3] == [("batch", 0, 0), "paused", "resumed"] and events[3] == ("batch", 0, 1)
    assert outcome.status == "early_stopped" and outcome.batches == 2 * 3  # stopped after its second epoch
    assert isinstance(early_stopping(settings, True, trainer.backend)[0], keras.callbacks.EarlyStopping)


def test_two_outputs_with_their_own_losses_train_alike_on_keras_and_the_engine():
    pytest.importorskip("keras")
    from studio.training.compile_settings import build_compile_args

    settings = {**ADAM, "outputs": {
        "species": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "loss_weight": 1.0},
        "size": {"loss": "mean_squared_error", "metrics": ["mae"], "loss_weight": 0.5}}}

    def model():
        engine.utils.set_random_seed(1)
        features = engine.Input((3,), name="features")
        hidden = engine.layers.Dense(8, activation="relu", name="hidden")(features)
        outputs = [engine.layers.Dense(3, activation="softmax", name="species")(hidden),
                   engine.layers.Dense(1, name="size")(hidden)]
        built = engine.Model(features, outputs)
        built.compile(**build_compile_args(settings))
        return built

    x = classes().train.x
    ys = [(x[:, 0] > 0).astype("int64"), 2 * x[:, 1:2]]
    part = lambda a, b: SimpleNamespace(x=x[a:b], y=[y[a:b] for y in ys])  # noqa: E731
    data = SimpleNamespace(train=part(0, 32), validation=part(32, 48))
    logs = {}
    for backend in ("engine", "keras"):
        Trainer(model(), data, TrainingSettings(epochs=1, batch_size=16, shuffle=False), 0, 1,
                backend=backend_for(backend, settings),
                listener=Listener(epoch=lambda _, values, b=backend: logs.update({b: values}))).fit()
    assert "val_size_mae" in logs["keras"] and set(logs["keras"]) == set(logs["engine"])
    for key, value in logs["engine"].items():
        assert logs["keras"][key] == pytest.approx(value, rel=1e-4), key
