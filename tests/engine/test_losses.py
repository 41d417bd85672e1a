"""Losses: values against Keras 3 (when installed) and against known values, gradients against finite differences,
reductions, sample weights, name resolution and configs."""

from __future__ import annotations

import os

import numpy as np
import pytest
from gradcheck import check_gradients

import engine.losses as losses
from engine import ops
from engine.autodiff import gradients
from engine.variables import Variable

os.environ.setdefault("KERAS_BACKEND", "torch")

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def make(kind: str, shape: tuple, seed: int, num_classes: int | None = None) -> np.ndarray:
    """Test data of one kind: real, positive, prob, binary, signed, onehot, softmax, sparse, logits."""
    rng = np.random.default_rng(seed)
    if kind == "real":
        out = rng.normal(size=shape)
    elif kind == "positive":
        out = rng.uniform(0.1, 2.0, size=shape)
    elif kind == "prob":
        out = rng.uniform(0.05, 0.95, size=shape)
    elif kind == "binary":
        out = rng.integers(0, 2, size=shape)
    elif kind == "signed":
        out = rng.choice([-1.0, 1.0], size=shape)
    elif kind == "onehot":
        out = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]
    elif kind == "softmax":
        e = np.exp(rng.normal(size=shape))
        out = e / e.sum(axis=-1, keepdims=True)
    elif kind == "sparse":
        out = rng.integers(0, num_classes, size=shape)
    elif kind == "logits":
        out = 2 * rng.normal(size=shape)
    else:
        raise ValueError(kind)
    return out.astype("float32") if kind != "sparse" else out


REGRESSION_SHAPES = [((8,), (8,)), ((8, 1), (8,)), ((8,), (8, 1)), ((8, 4), (8, 4)), ((4, 3, 5), (4, 3, 5))]
MATRIX_SHAPES = [((8, 4), (8, 4)), ((4, 3, 5), (4, 3, 5))]
BINARY_SHAPES = [((8, 1), (8, 1)), ((8,), (8, 1)), ((8, 4), (8, 4)), ((4, 3, 5), (4, 3, 5))]
SPARSE_SHAPES = [((8,), (8, 4)), ((8, 1), (8, 4)), ((4, 3), (4, 3, 5))]

# (class name, constructor kwargs, y_true kind, y_pred kind, shape pairs)
CASES = [
    ("MeanSquaredError", {}, "real", "real", REGRESSION_SHAPES),
    ("MeanAbsoluteError", {}, "real", "real", REGRESSION_SHAPES),
    ("MeanAbsolutePercentageError", {}, "real", "real", REGRESSION_SHAPES),
    ("MeanSquaredLogarithmicError", {}, "positive", "positive", REGRESSION_SHAPES),
    ("Huber", {}, "real", "real", REGRESSION_SHAPES),
    ("Huber", {"delta": 0.5}, "real", "real", MATRIX_SHAPES),
    ("LogCosh", {}, "real", "real", REGRESSION_SHAPES),
    ("CosineSimilarity", {}, "real", "real", MATRIX_SHAPES),
    ("CosineSimilarity", {"axis": 1}, "real", "real", [((4, 3, 5), (4, 3, 5))]),
    ("Hinge", {}, "binary", "real", MATRIX_SHAPES),
    ("Hinge", {}, "signed", "real", MATRIX_SHAPES),
    ("SquaredHinge", {}, "binary", "real", MATRIX_SHAPES),
    ("CategoricalHinge", {}, "onehot", "real", MATRIX_SHAPES),
    ("KLDivergence", {}, "softmax", "softmax", MATRIX_SHAPES),
    ("Poisson", {}, "positive", "positive", MATRIX_SHAPES),
    ("BinaryCrossentropy", {}, "binary", "prob", BINARY_SHAPES),
    ("BinaryCrossentropy", {"from_logits": True}, "binary", "logits", BINARY_SHAPES),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary", "prob", BINARY_SHAPES[:3]),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "binary", "logits", BINARY_SHAPES[2:]),
    ("BinaryFocalCrossentropy", {}, "binary", "prob", BINARY_SHAPES[:3]),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": True,
                                 "label_smoothing": 0.1}, "binary", "logits", BINARY_SHAPES[2:]),
    ("CategoricalCrossentropy", {}, "onehot", "softmax", MATRIX_SHAPES),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot", "logits", MATRIX_SHAPES),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot", "softmax", MATRIX_SHAPES),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot", "logits", MATRIX_SHAPES),
    ("CategoricalCrossentropy", {}, "softmax", "prob", MATRIX_SHAPES[:1]),  # soft targets, unnormalized preds
    ("CategoricalFocalCrossentropy", {}, "onehot", "softmax", MATRIX_SHAPES),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0, "from_logits": True, "label_smoothing": 0.1},
     "onehot", "logits", MATRIX_SHAPES[:1]),
    ("SparseCategoricalCrossentropy", {}, "sparse", "softmax", SPARSE_SHAPES),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse", "logits", SPARSE_SHAPES),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse", "softmax", SPARSE_SHAPES),
    ("Dice", {}, "binary", "prob", MATRIX_SHAPES),
    ("Dice", {"axis": (1, 2)}, "binary", "prob", MATRIX_SHAPES[1:]),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}, "binary", "prob", MATRIX_SHAPES),
]


def _case_id(case) -> str:
    name, kwargs = case[0], case[1]
    return name + ("" if not kwargs else "-" + "-".join(f"{k}={v}" for k, v in kwargs.items()))


def _inputs(true_kind, pred_kind, true_shape, pred_shape, seed):
    num_classes = pred_shape[-1]
    y_true = make(true_kind, true_shape, seed, num_classes)
    y_pred = make(pred_kind, pred_shape, seed + 1)
    return y_true, y_pred


def _sample_weights(values_shape: tuple, seed: int) -> list:
    rng = np.random.default_rng(seed)
    weights = [None, 0.5, rng.uniform(0, 2, size=values_shape).astype("float32")]
    if len(values_shape) == 2:
        weights.append(rng.uniform(0, 2, size=values_shape[:1] + (1,)).astype("float32"))  # one per sample
    return weights


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_loss_classes_match_keras(keras, case):
    name, kwargs, true_kind, pred_kind, shapes = case
    for index, (true_shape, pred_shape) in enumerate(shapes):
        y_true, y_pred = _inputs(true_kind, pred_kind, true_shape, pred_shape, seed=index)
        values_shape = np.shape(getattr(losses, name)(reduction="none", **kwargs)(y_true, y_pred))
        for weight in _sample_weights(values_shape, seed=index):
            if "ignore_class" in kwargs and weight is not None and np.shape(weight) != values_shape:
                continue  # Keras 3.15 fails on weights smaller than its mask (in-place broadcast in apply_mask)
            for reduction in REDUCTIONS:
                ours = getattr(losses, name)(reduction=reduction, **kwargs)
                theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
                expected = keras.ops.convert_to_numpy(theirs(y_true, y_pred, sample_weight=weight))
                actual = ours(y_true, y_pred, sample_weight=weight)
                where = f"{name}{kwargs} y_true{true_shape} y_pred{pred_shape} weight={np.shape(weight)} {reduction}"
                assert np.shape(actual) == expected.shape, where
                assert np.asarray(actual).dtype == np.float32, where
                np.testing.assert_allclose(np.asarray(actual), expected, rtol=2e-6, atol=2e-6, err_msg=where)


FUNCTIONS = [
    ("mean_squared_error", {}, "real", "real"),
    ("mean_absolute_error", {}, "real", "real"),
    ("mean_absolute_percentage_error", {}, "real", "real"),
    ("mean_squared_logarithmic_error", {}, "positive", "positive"),
    ("cosine_similarity", {}, "real", "real"),
    ("huber", {"delta": 2.0}, "real", "real"),
    ("log_cosh", {}, "real", "real"),
    ("hinge", {}, "binary", "real"),
    ("squared_hinge", {}, "signed", "real"),
    ("categorical_hinge", {}, "onehot", "real"),
    ("kl_divergence", {}, "softmax", "softmax"),
    ("poisson", {}, "positive", "positive"),
    ("binary_crossentropy", {"label_smoothing": 0.1}, "binary", "prob"),
    ("binary_focal_crossentropy", {"gamma": 3.0}, "binary", "prob"),
    ("categorical_crossentropy", {"from_logits": True}, "onehot", "logits"),
    ("categorical_focal_crossentropy", {}, "onehot", "softmax"),
    ("sparse_categorical_crossentropy", {}, "sparse", "softmax"),
    ("dice", {}, "binary", "prob"),
    ("tversky", {}, "binary", "prob"),
]


@pytest.mark.parametrize("name,kwargs,true_kind,pred_kind", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_loss_functions_give_keras_per_sample_values(keras, name, kwargs, true_kind, pred_kind):
    for seed, shape in enumerate([(6, 3), (2, 3, 4)]):
        true_shape = shape[:-1] if true_kind == "sparse" else shape
        y_true, y_pred = _inputs(true_kind, pred_kind, true_shape, shape, seed)
        expected = keras.ops.convert_to_numpy(getattr(keras.losses, name)(y_true, y_pred, **kwargs))
        actual = np.asarray(getattr(losses, name)(y_true, y_pred, **kwargs))
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, rtol=2e-6, atol=2e-6, err_msg=f"{name} {shape}")


def test_losses_of_model_outputs_match_keras(keras):
    """Softmax and sigmoid outputs take the fused path straight to the logits; values stay Keras's."""
    logits = make("logits", (6, 5), 3)
    labels = make("sparse", (6,), 4, 5)
    onehot = np.eye(5, dtype="float32")[labels]
    kops = keras.ops
    for name, y_true in (("CategoricalCrossentropy", onehot), ("SparseCategoricalCrossentropy", labels)):
        expected = kops.convert_to_numpy(getattr(keras.losses, name)()(y_true, kops.softmax(logits)))
        np.testing.assert_allclose(np.asarray(getattr(losses, name)()(y_true, ops.softmax(logits))), expected,
                                   rtol=2e-6)
    binary = make("binary", (6, 5), 5)
    expected = kops.convert_to_numpy(keras.losses.BinaryCrossentropy()(binary, kops.sigmoid(logits)))
    np.testing.assert_allclose(np.asarray(losses.BinaryCrossentropy()(binary, ops.sigmoid(logits))), expected,
                               rtol=2e-6)


# -- known values (no Keras needed) --------------------------------------------------------------

P2 = [[0.6, 0.4], [0.4, 0.6]]
P3 = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
KNOWN = [
    (losses.MeanSquaredError(), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]], None, 0.5),
    (losses.MeanSquaredError(), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]], [0.7, 0.3], 0.25),
    (losses.MeanSquaredError(reduction="sum"), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]], None, 1.0),
    (losses.MeanSquaredError(reduction="none"), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]], None,
     [0.5, 0.5]),
    (losses.MeanAbsoluteError(), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]], None, 0.5),
    (losses.MeanAbsolutePercentageError(), [[2.0, 1.0], [2.0, 3.0]], [[1.0, 1.0], [1.0, 0.0]], None, 50.0),
    (losses.MeanSquaredLogarithmicError(), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]], None, 0.24022643),
    (losses.BinaryCrossentropy(from_logits=True), [0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8], None, 0.865458),
    (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), [0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8],
     None, 1.5897083),
    (losses.BinaryCrossentropy(), [[0, 1], [0, 0]], P2, None, 0.8149245),
    (losses.BinaryFocalCrossentropy(gamma=2.0), [[0, 1], [0, 0]], P2, None, 0.26783153),
    (losses.CategoricalCrossentropy(), [[0, 1, 0], [0, 0, 1]], P3, None, 1.1769392),
    (losses.CategoricalCrossentropy(label_smoothing=0.1), [[0, 1, 0], [0, 0, 1]], P3, None, 1.4591359),
    (losses.CategoricalFocalCrossentropy(), [[0, 1, 0], [0, 0, 1]], P3, None, 0.23315276),
    (losses.SparseCategoricalCrossentropy(), [1, 2], P3, None, 1.1769392),
    (losses.SparseCategoricalCrossentropy(ignore_class=2), [1, 2], P3, None, 0.05129331),
    (losses.SparseCategoricalCrossentropy(ignore_class=2, reduction="none"), [1, 2], P3, None, [0.05129331, 0.0]),
    (losses.Huber(), [[0, 1], [0, 0]], P2, None, 0.155),
    (losses.LogCosh(), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]], None, 0.1084452),
    (losses.Hinge(), [[0.0, 1.0], [0.0, 0.0]], P2, None, 1.3),
    (losses.SquaredHinge(), [[0.0, 1.0], [0.0, 0.0]], P2, None, 1.86),
    (losses.CategoricalHinge(), [[0, 1], [0, 0]], P2, None, 1.4),
    (losses.KLDivergence(), [[0, 1], [0, 0]], P2, None, 0.45814306),
    (losses.Poisson(), [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]], None, 0.5),
    (losses.CosineSimilarity(), [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], None, -0.5),
]


@pytest.mark.parametrize("loss,y_true,y_pred,weight,expected", KNOWN, ids=[f"{k[0].name}-{i}" for i, k in
                                                                          enumerate(KNOWN)])
def test_known_values(loss, y_true, y_pred, weight, expected):
    y_true, y_pred = np.array(y_true, "float32"), np.array(y_pred, "float32")
    weight = None if weight is None else np.array(weight, "float32")
    np.testing.assert_allclose(np.asarray(loss(y_true, y_pred, sample_weight=weight)), expected, rtol=1e-6, atol=1e-7)


def test_reductions_by_hand():
    values = np.array([[1.0, 2.0], [3.0, 5.0]], "float32")  # MSE against zeros -> [2.5, 17]
    zeros = np.zeros_like(values)
    weight = np.array([2.0, 0.0], "float32")
    per_sample = np.array([2.5, 17.0])
    assert float(losses.MeanSquaredError()(zeros, values)) == pytest.approx(per_sample.mean())
    assert float(losses.MeanSquaredError(reduction="sum")(zeros, values, weight)) == pytest.approx(5.0)
    assert float(losses.MeanSquaredError(reduction="mean")(zeros, values, weight)) == pytest.approx(2.5)
    assert float(losses.MeanSquaredError(reduction="mean_with_sample_weight")(zeros, values, weight)) == \
        pytest.approx(2.5)
    # every weight 0: divide_no_nan gives 0, not NaN
    assert float(losses.MeanSquaredError(reduction="mean_with_sample_weight")(zeros, values, weight * 0)) == 0.0
    np.testing.assert_allclose(np.asarray(losses.MeanSquaredError(reduction=None)(zeros, values, weight)), [5.0, 0.0])


def test_averaging_reductions_have_the_gradient_of_sum_over_divisor():
    values = np.array([[1.0, 2.0], [3.0, 5.0]])
    zeros = np.zeros_like(values)
    weight = np.array([2.0, 0.5])
    for reduction in ("sum_over_batch_size", "mean_with_sample_weight"):
        loss = losses.MeanSquaredError(reduction=reduction, dtype="float64")
        check_gradients(lambda p, loss=loss: loss(zeros, p, sample_weight=weight), values)
    variable = Variable(values, dtype="float64")
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight", dtype="float64")
    (grad,) = gradients(loss(zeros, variable, sample_weight=weight * 0), [variable])
    np.testing.assert_array_equal(grad, np.zeros_like(values))  # a zero divisor: value and gradient 0


# -- gradients --------------------------------------------------------------------------------------

GRADIENT_CASES = [
    (losses.MeanSquaredError, {}, "real", "real", (3, 4)),
    (losses.MeanAbsoluteError, {}, "real", "real", (3, 4)),
    (losses.MeanAbsolutePercentageError, {}, "positive", "real", (3, 4)),
    (losses.MeanSquaredLogarithmicError, {}, "positive", "positive", (3, 4)),
    (losses.Huber, {"delta": 0.7}, "real", "real", (3, 4)),
    (losses.LogCosh, {}, "real", "real", (3, 4)),
    (losses.CosineSimilarity, {}, "real", "real", (3, 4)),
    (losses.Hinge, {}, "binary", "real", (3, 4)),
    (losses.SquaredHinge, {}, "signed", "real", (3, 4)),
    (losses.CategoricalHinge, {}, "onehot", "real", (3, 4)),
    (losses.KLDivergence, {}, "softmax", "softmax", (3, 4)),
    (losses.Poisson, {}, "positive", "positive", (3, 4)),
    (losses.BinaryCrossentropy, {}, "binary", "prob", (3, 4)),
    (losses.BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.1}, "binary", "logits", (3, 4)),
    (losses.BinaryFocalCrossentropy, {"apply_class_balancing": True}, "binary", "prob", (3, 4)),
    (losses.BinaryFocalCrossentropy, {"from_logits": True, "gamma": 1.5}, "binary", "logits", (3, 4)),
    (losses.CategoricalCrossentropy, {}, "onehot", "prob", (3, 4)),
    (losses.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.1}, "onehot", "logits", (2, 3, 4)),
    (losses.CategoricalFocalCrossentropy, {}, "onehot", "prob", (3, 4)),
    (losses.CategoricalFocalCrossentropy, {"from_logits": True}, "onehot", "logits", (3, 4)),
    (losses.SparseCategoricalCrossentropy, {}, "sparse", "prob", (3, 4)),
    (losses.SparseCategoricalCrossentropy, {"from_logits": True}, "sparse", "logits", (3, 4)),
    (losses.SparseCategoricalCrossentropy, {"from_logits": True, "ignore_class": 0}, "sparse", "logits", (6, 4)),
    (losses.Dice, {}, "binary", "prob", (3, 4)),
    (losses.Tversky, {"alpha": 0.2, "beta": 0.8}, "binary", "prob", (3, 4)),
]


@pytest.mark.parametrize("cls,kwargs,true_kind,pred_kind,shape", GRADIENT_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(GRADIENT_CASES)])
def test_loss_gradients_match_finite_differences(cls, kwargs, true_kind, pred_kind, shape):
    true_shape = shape[:-1] if true_kind == "sparse" else shape
    y_true, y_pred = _inputs(true_kind, pred_kind, true_shape, shape, seed=7)
    weight = np.random.default_rng(8).uniform(0.5, 2.0, size=shape[:-1])
    for reduction in ("sum_over_batch_size", "sum", "none"):
        loss = cls(reduction=reduction, dtype="float64", **kwargs)
        check_gradients(lambda p, loss=loss: loss(y_true, p, sample_weight=weight), y_pred.astype(np.float64))


def test_gradients_through_softmax_and_sigmoid_outputs():
    """The fused path: d CCE(softmax(z)) / dz = (softmax(z) - y) / batch, and likewise for sigmoid + BCE."""
    y = make("onehot", (4, 5), 1).astype(np.float64)
    labels = np.argmax(y, axis=-1)
    binary = make("binary", (4, 5), 2).astype(np.float64)
    z = make("logits", (4, 5), 3).astype(np.float64)
    cce = losses.CategoricalCrossentropy(dtype="float64")
    scce = losses.SparseCategoricalCrossentropy(dtype="float64")
    bce = losses.BinaryCrossentropy(dtype="float64")
    check_gradients(lambda v: cce(y, ops.softmax(v)), z)
    check_gradients(lambda v: scce(labels, ops.softmax(v)), z)
    check_gradients(lambda v: bce(binary, ops.sigmoid(v)), z)
    variable = Variable(z, dtype="float64")
    (grad,) = gradients(cce(y, ops.softmax(variable)), [variable])
    softmax = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(grad, (softmax - y) / 4, rtol=1e-10)


def test_loss_function_gradients():
    y_true = make("real", (3, 4), 1).astype(np.float64)
    y_pred = make("real", (3, 4), 2).astype(np.float64)
    for fn in (losses.mean_squared_error, losses.mae, losses.huber, losses.log_cosh, losses.cosine_similarity):
        check_gradients(lambda p, fn=fn: fn(y_true, p), y_pred)


# -- behaviour ----------------------------------------------------------------------------------------

def test_defaults_and_names():
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber().name == "huber_loss"
    assert losses.LogCosh().name == "log_cosh"
    assert losses.BinaryCrossentropy().get_config() == {
        "name": "binary_crossentropy", "reduction": "sum_over_batch_size", "from_logits": False,
        "label_smoothing": 0.0, "axis": -1}
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": False,
        "ignore_class": None}

    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)

    assert MyLoss().name.startswith("my_loss")
    assert float(MyLoss()(np.zeros((2, 2)), np.ones((2, 2)))) == 1.0


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


@pytest.mark.parametrize("loss", [losses.MeanSquaredError(), losses.MeanAbsoluteError(), losses.Huber(),
                                  losses.CategoricalCrossentropy(), losses.BinaryCrossentropy(),
                                  losses.CosineSimilarity(), losses.KLDivergence(), losses.CategoricalHinge()],
                         ids=lambda loss: loss.name)
def test_mismatched_shapes_name_both(loss):
    with pytest.raises(ValueError, match=r"\(32, 3\).*\(32, 4\)"):
        loss(np.zeros((32, 3), "float32"), np.full((32, 4), 0.5, "float32"))


def test_mismatched_labels_and_weights():
    with pytest.raises(ValueError, match=r"\(8, 5\).*\(8, 4\)"):
        losses.SparseCategoricalCrossentropy()(np.zeros((8, 5)), np.full((8, 4), 0.25))
    with pytest.raises(ValueError, match="sample_weight"):
        losses.MeanSquaredError()(np.zeros((8, 2)), np.ones((8, 2)), sample_weight=np.ones(5))


def test_custom_function_wrapper_is_differentiable():
    def scaled_error(y_true, y_pred, scale=1.0):
        return ops.mean(ops.multiply(ops.square(ops.subtract(y_pred, y_true)), scale), axis=-1)

    loss = losses.LossFunctionWrapper(scaled_error, name="scaled", scale=3.0, dtype="float64")
    y_true = make("real", (4, 3), 1).astype(np.float64)
    y_pred = make("real", (4, 3), 2).astype(np.float64)
    assert float(loss(y_true, y_pred)) == pytest.approx(3 * np.mean((y_pred - y_true) ** 2))
    check_gradients(lambda p: loss(y_true, p), y_pred)
    config = loss.get_config()
    assert config["fn"] == {"module": "builtins", "class_name": "function", "config": "scaled_error",
                            "registered_name": "function"}
    assert config["scale"] == 3.0
    with pytest.raises(ValueError, match="scaled_error"):
        losses.LossFunctionWrapper.from_config(config)
    restored = losses.deserialize(losses.serialize(loss), custom_objects={"scaled_error": scaled_error})
    assert restored.fn is not None


def test_get_resolves_names_as_keras():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("bce") is losses.binary_crossentropy
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert losses.get("huber") is losses.huber
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits
    custom = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(custom) is custom
    assert losses.get(None) is None
    instance = losses.Huber(delta=2.0)
    assert losses.get(instance) is instance


def test_get_unknown_name_lists_close_and_known_names():
    with pytest.raises(ValueError) as info:
        losses.get("mean_sqared_error")
    message = str(info.value)
    assert "'mean_sqared_error'" in message and "mean_squared_error" in message and "poisson" in message
    with pytest.raises(ValueError, match="crossentropy"):
        losses.get("categorical_crossentropyy")


def test_config_round_trip():
    for loss in (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, reduction="sum", name="bce"),
                 losses.Huber(delta=2.5), losses.CosineSimilarity(axis=1), losses.Tversky(alpha=0.2, beta=0.8),
                 losses.SparseCategoricalCrossentropy(ignore_class=0), losses.BinaryFocalCrossentropy(gamma=3.0),
                 losses.LossFunctionWrapper(losses.huber, delta=0.5, name="wrapped")):
        restored = type(loss).from_config(loss.get_config())
        assert restored.get_config() == loss.get_config()
        again = losses.deserialize(losses.serialize(loss))
        assert type(again) is type(loss) and again.get_config() == loss.get_config()
    wrapped = losses.deserialize(losses.serialize(losses.LossFunctionWrapper(losses.huber, delta=0.5)))
    assert wrapped.fn is losses.huber and wrapped._fn_kwargs == {"delta": 0.5}


def test_serialized_form_matches_keras(keras):
    pairs = [
        (losses.MeanSquaredError(), keras.losses.MeanSquaredError()),
        (losses.CategoricalCrossentropy(from_logits=True), keras.losses.CategoricalCrossentropy(from_logits=True)),
        (losses.SparseCategoricalCrossentropy(), keras.losses.SparseCategoricalCrossentropy()),
        (losses.mean_squared_error, keras.losses.mean_squared_error),
        (losses.categorical_crossentropy, keras.losses.categorical_crossentropy),
    ]
    for ours, theirs in pairs:
        assert losses.serialize(ours) == keras.losses.serialize(theirs)
    from keras.src.losses import LossFunctionWrapper
    assert losses.serialize(losses.LossFunctionWrapper(losses.mean_squared_error, name="x")) == \
        keras.losses.serialize(LossFunctionWrapper(keras.losses.mean_squared_error, name="x"))
    # what Keras writes, we read
    config = keras.losses.serialize(keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2))
    restored = losses.deserialize(config)
    assert isinstance(restored, losses.BinaryCrossentropy) and restored.label_smoothing == 0.2
    # and what we write, Keras reads (Huber keeps its delta with us)
    theirs = keras.losses.deserialize(losses.serialize(losses.Huber(delta=2.0)))
    assert isinstance(theirs, keras.losses.Huber)


def test_get_accepts_every_keras_name_we_implement(keras):
    from keras.src.losses import ALL_OBJECTS_DICT as keras_names

    ours = set(losses.ALL_OBJECTS_DICT)
    missing = {name for name in keras_names if name not in ours}
    assert missing <= {"CTC", "ctc", "Circle", "circle"}, missing
    for name in ours & set(keras_names):
        theirs = keras_names[name]
        assert losses.ALL_OBJECTS_DICT[name].__name__ == theirs.__name__, name


def test_single_class_categorical_warns():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(np.ones((4, 1)), np.ones((4, 1)))
