"""`engine.losses`: loss classes and functions named and resolved as in `keras.losses`."""

from __future__ import annotations

from engine.losses.hinge import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from engine.losses.loss import Loss, LossFunctionWrapper
from engine.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from engine.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from engine.losses.segmentation import Dice, Tversky, dice, tversky
from engine.serialization import deserialize_object, get_object, serialize_object

# Short names Keras users know (Keras 3 keeps them as legacy aliases).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy

ALL_OBJECTS = (
    Loss, LossFunctionWrapper,
    KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, SparseCategoricalCrossentropy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    CosineSimilarity, LogCosh, Huber,
    Hinge, SquaredHinge, CategoricalHinge,
    Dice, Tversky,
    kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, sparse_categorical_crossentropy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    cosine_similarity, log_cosh, huber,
    hinge, squared_hinge, categorical_hinge,
    dice, tversky,
)

# The names `keras.losses.get` accepts: class and function names, plus the short aliases.
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
})


def serialize(loss) -> dict | None:
    """A loss instance or function as Keras 3 writes it in a config."""
    return serialize_object(loss, "keras.losses")


def deserialize(config, custom_objects: dict | None = None):
    """The loss instance or function a config dict (or name) describes."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "loss", custom_objects)


def get(identifier):
    """Resolve a loss as `keras.losses.get` does.

    Strings name functions or classes ("mse", "categorical_crossentropy" give functions;
    "MeanSquaredError" gives an instance); dicts are configs; classes are instantiated; callables pass through.
    """
    return get_object(identifier, ALL_OBJECTS_DICT, "loss")


__all__ = [name for name in ALL_OBJECTS_DICT] + ["serialize", "deserialize", "get", "ALL_OBJECTS_DICT"]
