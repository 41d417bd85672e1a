"""`engine.metrics`: metric classes and functions named and resolved as in `keras.metrics`.

`get("mae")` and `get("mean_absolute_error")` give a `MeanAbsoluteError()` instance, as in Keras 3
(strings name classes here, by class name or its snake_case; "accuracy"/"acc" are the trainer's to
resolve, since the right accuracy depends on the shapes of the targets).
"""

from __future__ import annotations

from engine.backend import to_snake_case
from engine.losses.hinge import categorical_hinge, hinge, squared_hinge
from engine.losses.probabilistic import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from engine.losses.regression import (
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from engine.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from engine.metrics.auc import AUC
from engine.metrics.confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from engine.metrics.f_score_metrics import F1Score, FBetaScore
from engine.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from engine.metrics.metric import Metric
from engine.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from engine.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from engine.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)
from engine.serialization import deserialize_object, get_object, serialize_object

ALL_OBJECTS = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
)

# The names `keras.metrics.get` accepts: class names, their snake_case, and short aliases (all classes).
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
})

# Per-sample functions a MeanMetricWrapper config may name.
FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, huber, log_cosh, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy, kl_divergence,
    poisson, hinge, squared_hinge, categorical_hinge,
)}


def serialize(metric) -> dict | None:
    """A metric instance (or function) as Keras 3 writes it in a config."""
    return serialize_object(metric, "keras.metrics")


def deserialize(config, custom_objects: dict | None = None):
    """The metric a config dict (or name) describes."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "metric", custom_objects)


def deserialize_function(config, custom_objects: dict | None = None):
    """The per-sample function a config (`{"class_name": "function", "config": name}`) or name describes."""
    return deserialize_object(config, {**ALL_OBJECTS_DICT, **FUNCTIONS}, "metric function", custom_objects)


def get(identifier):
    """Resolve a metric as `keras.metrics.get` does: a name gives an instance of its class, a dict a
    deserialized metric, a class an instance; callables (functions, metrics) pass through."""
    return get_object(identifier, ALL_OBJECTS_DICT, "metric")


__all__ = [cls.__name__ for cls in ALL_OBJECTS] + list(FUNCTIONS) + [
    "serialize", "deserialize", "get", "ALL_OBJECTS_DICT"]
