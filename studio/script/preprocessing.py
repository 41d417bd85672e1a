"""The project's fitted preprocessing as engine preprocessing layers, one per feature column and per scaled
target: the one description the script's layer constructors are written from (`layer_expr(layer)` reads
their `get_config()`).

Numeric columns standardize through `Normalization(mean, variance)`; categorical columns one-hot encode
through `StringLookup(vocabulary, num_oov_indices=0, output_mode="one_hot")` (no out-of-vocabulary index:
an unseen category is an error, as in the studio's Predict); a standardized regression target through
`Normalization`. The same layers as `studio.inference_model` builds.
"""

from __future__ import annotations

import re

from engine import layers
from studio.data.preprocess import REGRESSION, FeatureState, Preprocessor, TargetState


def layer_name(text: str, suffix: str) -> str:
    """A Keras-valid layer name made from a column name ("sepal length (cm)" -> "sepal_length_cm_scaled")."""
    return (re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "column") + suffix


def feature_layer(preprocessor: Preprocessor, feature: FeatureState):
    """The layer encoding one feature column, or None for a number taken as it is (no scaling)."""
    if feature.type == "categorical":
        return layers.StringLookup(vocabulary=list(feature.categories), num_oov_indices=0, output_mode="one_hot",
                                   name=layer_name(feature.name, "_one_hot"))
    if feature.type == "numeric" and preprocessor.scaling == "standard":
        return layers.Normalization(mean=[feature.mean], variance=[feature.std ** 2],
                                    name=layer_name(feature.name, "_standardized"))
    return None


def target_layer(target: TargetState):
    """The layer standardizing a regression target, or None (classes, or a target learned as it is)."""
    if target.task != REGRESSION or (target.mean == 0.0 and target.std == 1.0):
        return None
    return layers.Normalization(mean=[target.mean], variance=[target.std ** 2],
                                name=layer_name(target.name, "_standardized"))
