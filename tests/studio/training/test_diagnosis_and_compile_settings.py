"""Diagnosis in words from histories, and compile settings that fit the task and build real compile arguments."""

import json
import math

import numpy as np
import pytest

import engine
from studio.training.compile_settings import (
    build_compile_args,
    check_settings,
    default_settings,
    hyperparameters,
    losses_for,
    metrics_for,
    output_layer_for,
)
from studio.training.diagnosis import diagnose


def kinds(history, **kw):
    return [d.kind for d in diagnose(history, **kw)]


def test_nan_named_with_its_epoch():
    (d,) = diagnose({"loss": [1.0, 0.5, math.nan], "val_loss": [1.0, 0.6, math.nan]})
    assert d.kind == "nan" and d.severity == "error" and "became NaN at epoch 3" in d.message
    (d,) = diagnose({"loss": [1.0, math.inf]})
    assert "became infinite at epoch 2" in d.message


def test_exploding_loss_points_at_the_learning_rate():
    (d,) = diagnose({"loss": [1.0, 0.8, 1.9, 5.0, 40.0]}, learning_rate=0.5)
    assert d.kind == "exploding" and "from 0.8 at epoch 2 up to 40 at epoch 5" in d.message
    assert "learning rate is likely too high (now 0.5; try 0.05)" in d.message


def test_overfitting_names_the_best_epoch():
    history = {"loss": [1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.1], "val_loss": [1.0, 0.8, 0.6, 0.65, 0.7, 0.8, 0.9]}
    (d,) = diagnose(history)
    assert d.kind == "overfitting"
    assert "best value, 0.6 at epoch 3" in d.message and "risen for 4 epochs" in d.message
    # Not yet: validation loss rose for only two epochs.
    assert "overfitting" not in kinds({"loss": history["loss"][:5], "val_loss": history["val_loss"][:5]})


def test_nothing_improving_and_plateau():
    assert kinds({"loss": [0.69, 0.693, 0.691, 0.69, 0.692, 0.69]}) == ["no_progress"]
    flat_end = [2.0, 1.0, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
    assert kinds({"loss": flat_end}) == ["plateau"]
    assert kinds({"loss": [1.0, 0.8, 0.6, 0.5]}) == ["ok"]
    assert diagnose({}) == []


def test_losses_and_metrics_fit_the_task():
    assert [c.name for c in losses_for("binary")][:1] == ["binary_crossentropy"]
    assert "mean_squared_error" not in [c.name for c in losses_for("multiclass")]
    assert "binary_crossentropy" not in [c.name for c in losses_for("regression")]
    assert [c.name for c in metrics_for("multiclass", 3)] == ["accuracy"]
    assert "top_k_categorical_accuracy" in [c.name for c in metrics_for("multiclass", 10)]
    assert {"mae", "mse"} <= {c.name for c in metrics_for("regression")}


def test_defaults_for_a_three_class_target():
    s = default_settings("multiclass")
    assert s["loss"] == "sparse_categorical_crossentropy" and s["metrics"] == ["accuracy"]
    assert s["optimizer"] == {"name": "adam", "config": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                                         "epsilon": 1e-07, "amsgrad": False}}
    assert json.loads(json.dumps(s)) == s
    assert default_settings("regression")["loss"] == "mean_squared_error"
    assert default_settings("binary")["loss"] == "binary_crossentropy"


def test_hyperparameters_read_from_the_optimizers():
    assert hyperparameters("sgd") == {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}
    assert hyperparameters("rmsprop")["rho"] == 0.9
    assert hyperparameters("adamw")["weight_decay"] == 0.004


def test_check_settings_rejects_what_does_not_fit():
    s = default_settings("multiclass")
    check_settings(s, "multiclass")
    with pytest.raises(ValueError, match="does not fit a regression target"):
        check_settings(s, "regression")
    s["metrics"] = ["mae"]
    with pytest.raises(ValueError, match="Metric mae do not fit"):
        check_settings(s, "multiclass")


def test_built_arguments_compile_and_train_a_model():
    s = default_settings("binary")
    s["optimizer"] = {"name": "sgd", "config": {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}}
    args = build_compile_args(s)
    assert isinstance(args["optimizer"], engine.optimizers.SGD) and args["optimizer"].nesterov
    assert build_compile_args(s)["optimizer"] is not args["optimizer"]
    units, activation = output_layer_for("binary", 2, s["loss"])
    model = engine.Sequential([engine.layers.Input((2,)), engine.layers.Dense(units, activation=activation)])
    model.compile(**args)
    x = np.array([[0, 0], [1, 1], [0, 1], [1, 0]] * 8, dtype="float32")
    y = (x.sum(axis=1, keepdims=True) > 0.5).astype("float32")
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert set(history.history) == {"loss", "accuracy"}
    assert output_layer_for("multiclass", 3, "sparse_categorical_crossentropy") == (3, "softmax")
    assert output_layer_for("binary", 2, "sparse_categorical_crossentropy") == (2, "softmax")
    assert output_layer_for("regression", 0, "huber") == (1, "linear")


def test_small_wobbles_of_a_tiny_validation_loss_are_not_overfitting():
    history = {"loss": [0.7, 0.2, 0.06, 0.055, 0.054, 0.053, 0.0521],
               "val_loss": [0.4, 0.05, 0.0061, 0.00599, 0.0062, 0.0063, 0.0064]}
    assert "overfitting" not in kinds(history)
