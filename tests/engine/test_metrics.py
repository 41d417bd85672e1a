"""Metrics: results accumulated over batches against Keras 3 (when installed) and against known values; reset,
result types, names, name resolution and configs."""

from __future__ import annotations

import os

import numpy as np
import pytest

import engine.metrics as metrics
from engine import ops
from engine.variables import Variable

os.environ.setdefault("KERAS_BACKEND", "torch")

BATCH = 8


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def batch(kind: str, seed: int):
    """(y_true, y_pred) for one batch of a kind of problem."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    if kind == "binary":  # (N, 1) labels and probabilities
        return rng.integers(0, 2, (BATCH, 1)).astype(f32), rng.uniform(0, 1, (BATCH, 1)).astype(f32)
    if kind == "binary_flat":  # (N,) labels against (N, 1) predictions
        return rng.integers(0, 2, (BATCH,)).astype(f32), rng.uniform(0, 1, (BATCH, 1)).astype(f32)
    if kind == "grid":  # predictions exactly on thresholds, including 0 and 1
        return (rng.integers(0, 2, (BATCH, 1)).astype(f32),
                (rng.integers(0, 11, (BATCH, 1)) / 10).astype(f32))
    if kind == "logits":
        return rng.integers(0, 2, (BATCH, 1)).astype(f32), (3 * rng.normal(size=(BATCH, 1))).astype(f32)
    if kind == "multilabel":
        return rng.integers(0, 2, (BATCH, 3)).astype(f32), rng.uniform(0, 1, (BATCH, 3)).astype(f32)
    if kind == "multilabel_logits":
        return rng.integers(0, 2, (BATCH, 3)).astype(f32), (2 * rng.normal(size=(BATCH, 3))).astype(f32)
    if kind in ("categorical", "sparse", "sparse_column", "categorical_logits", "sparse_logits"):
        logits = 2 * rng.normal(size=(BATCH, 5))
        labels = rng.integers(0, 5, BATCH)
        pred = logits if kind.endswith("logits") else np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        if kind.startswith("categorical"):
            return np.eye(5, dtype=f32)[labels], pred.astype(f32)
        true = labels[:, None] if kind == "sparse_column" else labels
        return true.astype(f32), pred.astype(f32)
    if kind == "sequence":  # (N, T, C) one-hot targets
        logits = rng.normal(size=(BATCH, 3, 4))
        return (np.eye(4, dtype=f32)[rng.integers(0, 4, (BATCH, 3))],
                (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(f32))
    if kind == "regression":
        return rng.normal(size=(BATCH, 3)).astype(f32), rng.normal(size=(BATCH, 3)).astype(f32)
    if kind == "regression_flat":
        return rng.normal(size=(BATCH,)).astype(f32), rng.normal(size=(BATCH, 1)).astype(f32)
    if kind == "positive":
        return rng.uniform(0.1, 2, (BATCH, 3)).astype(f32), rng.uniform(0.1, 2, (BATCH, 3)).astype(f32)
    if kind == "distribution":
        a, b = rng.uniform(0.05, 1, (2, BATCH, 3))
        return (a / a.sum(-1, keepdims=True)).astype(f32), (b / b.sum(-1, keepdims=True)).astype(f32)
    if kind == "hinge":
        return rng.integers(0, 2, (BATCH, 3)).astype(f32), rng.normal(size=(BATCH, 3)).astype(f32)
    if kind == "exact":  # integer-valued predictions that sometimes equal the labels
        return rng.integers(0, 3, (BATCH, 2)).astype(f32), rng.integers(0, 3, (BATCH, 2)).astype(f32)
    raise ValueError(kind)


# (class name, kwargs, kind of data)
CASES = [
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary_flat"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("CategoricalAccuracy", {}, "sequence"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_column"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("TopKCategoricalAccuracy", {"k": 2}, "sequence"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_column"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanSquaredError", {}, "regression_flat"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression_flat"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("R2Score", {"class_aggregation": None}, "regression"),
    ("R2Score", {"num_regressors": 2}, "regression"),
    ("Hinge", {}, "hinge"),
    ("SquaredHinge", {}, "hinge"),
    ("CategoricalHinge", {}, "categorical_logits"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "categorical_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse"),
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {"thresholds": [0.2, 0.5, 0.8]}, "binary"),
    ("TrueNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "grid"),
    ("FalseNegatives", {"thresholds": 0.3}, "multilabel"),
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.3, 0.6]}, "multilabel"),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, "grid"),
    ("Precision", {"top_k": 2}, "categorical"),
    ("Precision", {"class_id": 1}, "multilabel"),
    ("Precision", {"top_k": 2, "class_id": 3, "thresholds": 0.1}, "categorical"),
    ("Recall", {}, "binary_flat"),
    ("Recall", {"thresholds": [0.25, 0.75]}, "grid"),
    ("Recall", {"top_k": 3}, "categorical"),
    ("Recall", {"class_id": 2}, "multilabel"),
    ("AUC", {}, "binary"),
    ("AUC", {}, "grid"),
    ("AUC", {"num_thresholds": 11}, "grid"),
    ("AUC", {"num_thresholds": 3}, "multilabel"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR"}, "grid"),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "binary"),
    ("AUC", {"summation_method": "majoring"}, "multilabel"),
    ("AUC", {"curve": "PRGAIN"}, "binary"),
    ("AUC", {"thresholds": [0.1, 0.4, 0.5, 0.9]}, "binary"),
    ("AUC", {"thresholds": [0.25, 0.5, 0.75]}, "grid"),
    ("AUC", {"from_logits": True}, "logits"),
    ("AUC", {"multi_label": True}, "multilabel"),
    ("AUC", {"multi_label": True, "num_labels": 3, "label_weights": [0.2, 0.3, 0.5], "curve": "PR"}, "multilabel"),
    ("AUC", {"multi_label": True, "from_logits": True, "num_thresholds": 50}, "multilabel_logits"),
    ("AUC", {"label_weights": [0.2, 0.3, 0.5]}, "multilabel"),
    ("AUC", {"label_weights": [0.2, 0.3, 0.5], "thresholds": [0.3, 0.6]}, "multilabel"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 20}, "multilabel"),
    ("PrecisionAtRecall", {"recall": 0.6}, "binary"),
    ("RecallAtPrecision", {"precision": 0.4, "class_id": 1}, "multilabel"),
    ("F1Score", {}, "categorical"),
    ("F1Score", {"average": "macro", "threshold": 0.5}, "multilabel"),
    ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.4}, "multilabel"),
    ("FBetaScore", {"average": "micro"}, "categorical"),
]


def _case_id(case) -> str:
    name, kwargs, kind = case
    return "-".join([name, kind] + [f"{k}={v}" for k, v in kwargs.items()])


def _weights(y_true: np.ndarray, seed: int):
    return np.random.default_rng(100 + seed).uniform(0, 2, size=(len(y_true),)).astype(np.float32)


def _keras_value(keras, value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_metric_accumulates_as_keras(keras, case):
    name, kwargs, kind = case
    for weighted in (False, True):
        ours = getattr(metrics, name)(**kwargs)
        theirs = getattr(keras.metrics, name)(**kwargs)
        for step in range(3):
            y_true, y_pred = batch(kind, seed=step)
            weight = _weights(y_true, step) if weighted else None
            ours.update_state(y_true, y_pred, sample_weight=weight)
            theirs.update_state(y_true, y_pred, sample_weight=weight)
        expected = _keras_value(keras, theirs.result())
        result = ours.result()
        where = f"{name}{kwargs} on {kind}, weighted={weighted}"
        if expected.ndim == 0:
            assert isinstance(result, float), where
        else:
            assert isinstance(result, np.ndarray) and result.shape == expected.shape, where
        np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6, err_msg=where)
        # reset, then one more batch: as a fresh metric
        ours.reset_state()
        theirs.reset_state()
        np.testing.assert_allclose(ours.result(), _keras_value(keras, theirs.result()), atol=1e-7, err_msg=where)
        y_true, y_pred = batch(kind, seed=9)
        ours.update_state(y_true, y_pred)
        theirs.update_state(y_true, y_pred)
        np.testing.assert_allclose(ours.result(), _keras_value(keras, theirs.result()), rtol=1e-6, atol=1e-6,
                                   err_msg=where + " after reset")


def test_mean_and_sum_as_keras(keras):
    rng = np.random.default_rng(0)
    for values_shape, weight_shape in [((6,), None), ((6,), (6,)), ((6, 3), None), ((6, 3), (6,)),
                                       ((6, 3), (6, 3)), ((6, 3), (6, 1)), ((6, 3, 2), (6, 3)), ((6,), ())]:
        ours = [metrics.Mean(), metrics.Sum()]
        theirs = [keras.metrics.Mean(), keras.metrics.Sum()]
        for _ in range(3):
            values = rng.normal(size=values_shape).astype(np.float32)
            weight = None if weight_shape is None else rng.uniform(0, 2, weight_shape).astype(np.float32)
            for metric in ours + theirs:
                metric.update_state(values, sample_weight=weight)
        for mine, reference in zip(ours, theirs):
            np.testing.assert_allclose(mine.result(), _keras_value(keras, reference.result()), rtol=1e-6,
                                       err_msg=f"{mine.name} {values_shape} weights {weight_shape}")


def test_metric_functions_match_keras(keras):
    for name, kind, kwargs in [("binary_accuracy", "binary", {"threshold": 0.3}),
                               ("categorical_accuracy", "sequence", {}),
                               ("sparse_categorical_accuracy", "sparse_column", {}),
                               ("top_k_categorical_accuracy", "categorical", {"k": 2}),
                               ("sparse_top_k_categorical_accuracy", "sparse", {"k": 2})]:
        y_true, y_pred = batch(kind, seed=4)
        expected = _keras_value(keras, getattr(keras.metrics, name)(y_true, y_pred, **kwargs))
        actual = getattr(metrics, name)(y_true, y_pred, **kwargs)
        assert actual.shape == expected.shape, name
        np.testing.assert_array_equal(actual, expected, err_msg=name)


def test_sorted_ids_top_k(keras):
    y_true = np.array([2, 0, 4, 1], dtype=np.float32)
    ids = np.array([[2, 1, 0], [1, 3, 0], [0, 1, 2], [1, 0, 4]], dtype=np.float32)
    ours = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    theirs = keras.metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    ours.update_state(y_true, ids)
    theirs.update_state(y_true, ids)
    assert ours.result() == pytest.approx(float(_keras_value(keras, theirs.result())))
    assert ours.get_config()["from_sorted_ids"] is True


# -- known values (no Keras needed) --------------------------------------------------------------

def _run(metric, y_true, y_pred, sample_weight=None):
    metric.update_state(np.array(y_true, np.float32), np.array(y_pred, np.float32),
                        sample_weight=None if sample_weight is None else np.array(sample_weight, np.float32))
    return metric.result()


def test_known_values():
    assert _run(metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]) == pytest.approx(0.75)
    assert _run(metrics.AUC(), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]) == pytest.approx(0.75)
    assert _run(metrics.AUC(curve="PR"), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]) == pytest.approx(0.79726744, rel=1e-6)
    assert _run(metrics.Precision(), [0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
    assert _run(metrics.Precision(top_k=2), [0, 0, 1, 1], [0.1, 0.2, 0.9, 0.8]) == pytest.approx(1.0)
    assert _run(metrics.Recall(), [0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0]) == pytest.approx(1.0)
    assert _run(metrics.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]],
                [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]) == pytest.approx(0.5)
    assert _run(metrics.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]) == 0.5
    assert _run(metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]) == 0.75
    assert _run(metrics.R2Score(), [[1], [4], [3]], [[2], [4], [4]]) == pytest.approx(0.57142854, rel=1e-6)
    assert _run(metrics.RootMeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]]) == pytest.approx(0.5)
    assert _run(metrics.MeanAbsoluteError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]]) == pytest.approx(0.25)
    assert _run(metrics.MeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0]) == pytest.approx(0.5)
    np.testing.assert_allclose(
        _run(metrics.F1Score(threshold=0.5), [[1, 1, 1], [1, 0, 0], [1, 1, 0]],
             [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]), [0.5, 0.8, 0.6666667], rtol=1e-6)
    np.testing.assert_allclose(_run(metrics.TruePositives(thresholds=[0.0, 0.5, 1.0]), [1, 1, 0, 1],
                                    [0.0, 0.5, 0.7, 1.0]), [2, 1, 0])  # positive means > threshold
    mean = metrics.Mean()
    mean.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert mean.result() == 2.0


def test_result_types_and_reset():
    precision = metrics.Precision(thresholds=[0.3, 0.7])
    assert isinstance(precision([1, 0, 1], [0.8, 0.4, 0.5]), np.ndarray)
    np.testing.assert_allclose(precision.result(), [2 / 3, 1.0])
    precision.reset_state()
    np.testing.assert_array_equal(precision.result(), [0.0, 0.0])
    accuracy = metrics.BinaryAccuracy()
    assert isinstance(accuracy([1, 0], [0.9, 0.2]), float)
    assert [v.name for v in metrics.AUC().variables] == ["true_positives", "false_positives", "true_negatives",
                                                         "false_negatives"]
    assert all(isinstance(v, Variable) and not v.trainable for v in metrics.Mean().variables)
    assert metrics.Mean().result() == 0.0  # no data: 0, not NaN
    assert metrics.AUC(multi_label=True).result() == 0.0


def test_metrics_do_not_record_gradients():
    """A model output that requires gradients can be fed straight in; no graph is built."""
    y_pred = Variable(np.array([[0.2, 0.8], [0.6, 0.4]]), dtype="float32")
    metric = metrics.MeanSquaredError()
    metric.update_state(np.array([[0.0, 1.0], [1.0, 0.0]]), ops.multiply(y_pred, 1.0))
    assert metric.result() == pytest.approx(0.1)


def test_custom_metric_function_written_with_ops():
    def mean_error(y_true, y_pred):
        return ops.mean(ops.subtract(y_pred, y_true), axis=-1)

    metric = metrics.MeanMetricWrapper(mean_error, name="mean_error")
    metric.update_state([[1.0, 2.0], [3.0, 4.0]], [[2.0, 2.0], [3.0, 6.0]])
    metric.update_state([[0.0, 0.0]], [[1.0, 1.0]], sample_weight=[2.0])
    assert metric.name == "mean_error"
    assert metric.result() == pytest.approx((0.5 + 1.0 + 2 * 1.0) / 4)
    assert metric.get_config()["fn"]["config"] == "mean_error"
    restored = metrics.deserialize(metrics.serialize(metric), custom_objects={"mean_error": mean_error})
    assert restored._fn is mean_error


def test_default_names():
    names = {cls.__name__: cls().name for cls in (
        metrics.BinaryAccuracy, metrics.CategoricalAccuracy, metrics.SparseCategoricalAccuracy,
        metrics.TopKCategoricalAccuracy, metrics.SparseTopKCategoricalAccuracy, metrics.MeanAbsoluteError,
        metrics.MeanSquaredError, metrics.RootMeanSquaredError, metrics.LogCoshError, metrics.R2Score,
        metrics.F1Score, metrics.FBetaScore)}
    assert names == {
        "BinaryAccuracy": "binary_accuracy", "CategoricalAccuracy": "categorical_accuracy",
        "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
        "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
        "SparseTopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy",
        "MeanAbsoluteError": "mean_absolute_error", "MeanSquaredError": "mean_squared_error",
        "RootMeanSquaredError": "root_mean_squared_error", "LogCoshError": "logcosh", "R2Score": "r2_score",
        "F1Score": "f1_score", "FBetaScore": "fbeta_score"}
    # classes without a fixed default take a unique snake_case name, as Keras's auto_name
    for cls, prefix in ((metrics.Precision, "precision"), (metrics.AUC, "auc"),
                        (metrics.TruePositives, "true_positives")):
        first, second = cls().name, cls().name
        assert first.startswith(prefix) and second.startswith(prefix) and first != second


def test_get_resolves_names_as_keras():
    mae = metrics.get("mae")
    assert isinstance(mae, metrics.MeanAbsoluteError) and mae.name == "mean_absolute_error"
    assert isinstance(metrics.get("mean_absolute_error"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("MSE"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("top_k_categorical_accuracy"), metrics.TopKCategoricalAccuracy)
    assert isinstance(metrics.get({"class_name": "Precision", "config": {"thresholds": [0.4]}}), metrics.Precision)
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert metrics.get(None) is None
    with pytest.raises(ValueError) as info:
        metrics.get("mean_absolut_error")
    assert "mean_absolute_error" in str(info.value) and "binary_accuracy" in str(info.value)


def test_get_accepts_the_keras_names_we_implement(keras):
    from keras.src.metrics import ALL_OBJECTS_DICT as keras_names

    not_implemented = {"IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation",
                       "ConcordanceCorrelation"}
    for name, cls in keras_names.items():
        if cls.__name__ in not_implemented:
            continue
        assert metrics.ALL_OBJECTS_DICT[name].__name__ == cls.__name__, name
    assert set(metrics.ALL_OBJECTS_DICT) <= set(keras_names)


CONFIG_CASES = [
    metrics.AUC(num_thresholds=50, curve="PR", multi_label=True, num_labels=2, label_weights=[0.5, 0.5]),
    metrics.AUC(thresholds=[0.2, 0.6]),
    metrics.Precision(thresholds=[0.3, 0.6], name="p"),
    metrics.Recall(top_k=2, class_id=1),
    metrics.TruePositives(thresholds=0.4),
    metrics.BinaryAccuracy(threshold=0.3),
    metrics.TopKCategoricalAccuracy(k=3),
    metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    metrics.SparseCategoricalCrossentropy(ignore_class=0),
    metrics.R2Score(class_aggregation=None, num_regressors=1),
    metrics.SensitivityAtSpecificity(0.4, num_thresholds=10),
    metrics.FBetaScore(beta=2.0, average="macro", threshold=0.5),
    metrics.F1Score(),
    metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc", threshold=0.2),
    metrics.Mean(name="loss"),
]


@pytest.mark.parametrize("metric", CONFIG_CASES, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    config = metric.get_config()
    assert type(metric).from_config(config).get_config() == config
    restored = metrics.deserialize(metrics.serialize(metric))
    assert type(restored) is type(metric) and restored.get_config() == config


@pytest.mark.parametrize("metric", CONFIG_CASES, ids=lambda m: type(m).__name__)
def test_configs_equal_keras(keras, metric):
    name = type(metric).__name__
    config = metric.get_config()
    if name == "MeanMetricWrapper":
        reference = keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, name="acc", threshold=0.2)
    else:
        reference = getattr(keras.metrics, name).from_config(config)
    expected = keras.metrics.serialize(reference)
    weights = expected["config"].get("label_weights")
    if isinstance(weights, dict):  # Keras writes a tensor as {"class_name": "__tensor__", ...}; we write a list
        expected["config"]["label_weights"] = weights["config"]["value"]
    assert metrics.serialize(metric) == expected


def test_keras_configs_load(keras):
    auc = metrics.deserialize(keras.metrics.serialize(keras.metrics.AUC(multi_label=True, label_weights=[1, 3])))
    np.testing.assert_array_equal(auc.label_weights, [1, 3])
    for reference in (keras.metrics.AUC(curve="PR"), keras.metrics.Precision(thresholds=[0.2, 0.5]),
                      keras.metrics.MeanMetricWrapper(keras.losses.mean_squared_error, name="mse_wrapped")):
        restored = metrics.deserialize(keras.metrics.serialize(reference))
        assert restored.get_config() == reference.get_config()


def test_invalid_arguments():
    with pytest.raises(ValueError, match="Threshold"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"\(8, 3\).*\(8, 4\)"):
        metrics.Precision().update_state(np.zeros((8, 3)), np.zeros((8, 4)))
    with pytest.raises(ValueError, match=r"\(8, 3\).*\(8, 4\)"):
        metrics.MeanSquaredError().update_state(np.zeros((8, 3)), np.zeros((8, 4)))
