"""Same initial weights, same data, shuffle=False: the same per-epoch numbers as Keras 3."""

import os

import numpy as np
import pytest

import engine

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")


def _data(task: str, n: int = 96):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 6)).astype("float32")
    if task == "sparse":
        y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)
    elif task == "categorical":
        y = np.eye(3, dtype="float32")[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)]
    elif task == "binary":
        y = (x[:, 0] + x[:, 2] > 0).astype("float32")[:, None]
    else:
        y = (x[:, :2].sum(1, keepdims=True) * 0.5 + 0.1).astype("float32")
    return x, y


def _pair(lib, head: tuple[int, str]):
    units, activation = head
    return lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="relu"),
                           lib.layers.Dense(units, activation=activation)])


OPTIMIZERS = {
    "sgd": lambda lib: lib.optimizers.SGD(learning_rate=0.1),
    "sgd_nesterov": lambda lib: lib.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda lib: lib.optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_centered_momentum": lambda lib: lib.optimizers.RMSprop(learning_rate=0.005, momentum=0.5,
                                                                     centered=True),
    "adam": lambda lib: lib.optimizers.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda lib: lib.optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda lib: lib.optimizers.AdamW(learning_rate=0.01),
    "adagrad": lambda lib: lib.optimizers.Adagrad(learning_rate=0.1),
}

TASKS = {
    "sparse": ((3, "softmax"), "sparse_categorical_crossentropy", ["accuracy"]),
    "categorical": ((3, "softmax"), "categorical_crossentropy", ["accuracy", "AUC"]),
    "binary": ((1, "sigmoid"), "binary_crossentropy", ["accuracy", "precision", "recall"]),
    "regression": ((1, None), "mse", ["mae", "RootMeanSquaredError"]),
}


def _fit_both(optimizer: str, task: str, epochs: int = 4, **fit_kwargs):
    head, loss, metrics = TASKS[task]
    x, y = _data(task)
    ours, theirs = _pair(engine, head), _pair(keras, head)
    ours.set_weights(theirs.get_weights())
    ours.compile(optimizer=OPTIMIZERS[optimizer](engine), loss=loss, metrics=metrics)
    theirs.compile(optimizer=OPTIMIZERS[optimizer](keras), loss=loss, metrics=metrics)
    kwargs = dict(epochs=epochs, batch_size=16, shuffle=False, verbose=0, **fit_kwargs)
    return ours.fit(x, y, **kwargs).history, theirs.fit(x, y, **kwargs).history, ours, theirs, x, y


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_mlp_history_matches_keras_for_each_optimizer(optimizer):
    ours, theirs, *_ = _fit_both(optimizer, "sparse")
    assert list(ours) == list(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-4, atol=1e-4, err_msg=key)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_losses_metrics_and_validation_match_keras(task):
    ours, theirs, model, kmodel, x, y = _fit_both("adam", task, epochs=3, validation_split=0.25)
    assert list(ours) == list(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=2e-4, atol=2e-4, err_msg=key)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), kmodel.evaluate(x, y, verbose=0), rtol=2e-4,
                               atol=2e-4)
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_history_keys_follow_keras_naming():
    x, y = _data("binary")
    histories = []
    for lib in (engine, keras):
        model = _pair(lib, (1, "sigmoid"))
        model.compile("rmsprop", "binary_crossentropy",
                      metrics=[lib.metrics.BinaryAccuracy(), "acc", lib.metrics.AUC(name="auc_roc")])
        histories.append(model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y)).history)
    assert list(histories[0]) == list(histories[1])
