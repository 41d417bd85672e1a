"""The inference model: the trained model with the project's fitted preprocessing in front, taking raw columns.

Its input is a dict with one entry per feature column of the CSV (numbers as floats, categories as strings);
numeric columns are standardized by `Normalization` layers holding the training mean and variance, categorical
columns one-hot encoded by `StringLookup` layers holding the categories (no OOV index: an unseen category is
an error, as in the studio's Predict). Its output is a dict keyed by class name, each the probability of that
class (so the class names are in the saved config), or, for regression, the target in the file's units.
Every layer is a standard Keras layer, so real Keras opens the exported file and predicts with it.

Not expressed: filling missing values (a NaN in gives a NaN out; the studio's Predict fills or drops such
rows), several inputs or outputs, and text, image or time-series data.
"""

from __future__ import annotations

import re

import numpy as np

import engine
from engine import layers
from studio.data.preprocess import BINARY, REGRESSION, Preprocessor


class InferenceModelError(ValueError):
    """A project whose preprocessing or model the inference model cannot take in; the message says why."""


def _layer_name(text: str, used: set[str]) -> str:
    """A Keras-valid layer name from a column or class name (no '/'), unique among `used`."""
    base = re.sub(r"[^0-9A-Za-z_.-]+", "_", text).strip("_") or "column"
    name, i = base, 1
    while name in used:
        i += 1
        name = f"{base}_{i}"
    used.add(name)
    return name


def inference_model(preprocessor: Preprocessor, model, name: str = "inference_model"):
    """`model` (one input of the prepared feature matrix, one output) behind `preprocessor`'s fitted transform."""
    if preprocessor.encoder is not None or preprocessor.windows is not None:
        kind = "time-series windows" if preprocessor.windows is not None else preprocessor.encoder.kind
        raise InferenceModelError(f"the project's data are {kind.replace('_', ' ')}; an inference model on raw "
                                  "columns is built for tables of numbers and categories only.")
    if len(model.inputs) != 1 or len(model.outputs) != 1 or len(preprocessor.targets) != 1:
        raise InferenceModelError("the model has several inputs or outputs; an inference model on raw columns is "
                                  "built for one input (the feature table) and one output.")
    width = model.inputs[0].shape[-1]
    if len(model.inputs[0].shape) != 2 or width != preprocessor.n_features:
        raise InferenceModelError(f"the model's input has shape {model.inputs[0].shape}, not the "
                                  f"{preprocessor.n_features} prepared feature columns.")
    used = {model.name}
    inputs, encoded = {}, []
    for feature in preprocessor.features:
        column = _layer_name(feature.name, used)
        if feature.type == "numeric":
            x = engine.Input(shape=(1,), name=column)
            if preprocessor.scaling == "standard":
                encoded.append(layers.Normalization(mean=[feature.mean], variance=[feature.std ** 2],
                                                    name=_layer_name(f"{column}_standardized", used))(x))
            else:
                encoded.append(x)
        elif feature.type == "categorical":
            x = engine.Input(shape=(1,), dtype="string", name=column)
            encoded.append(layers.StringLookup(vocabulary=list(feature.categories), num_oov_indices=0,
                                               output_mode="one_hot",
                                               name=_layer_name(f"{column}_one_hot", used))(x))
        else:
            raise InferenceModelError(f"column {feature.name!r} is a {feature.type} feature; only numeric and "
                                      "categorical columns can be taken raw.")
        inputs[feature.name] = x
    features = encoded[0] if len(encoded) == 1 else layers.Concatenate(name=_layer_name("features", used))(encoded)
    output = model(features)
    target = preprocessor.target
    if target.task == REGRESSION:
        value = layers.Rescaling(scale=target.std, offset=target.mean, name=_layer_name(target.name, used))(output)
        return engine.Model(inputs, {target.name: value}, name=name)
    if target.task == BINARY and output.shape[-1] == 1:  # a sigmoid unit: p(first class) = 1 - p(second)
        first = layers.Rescaling(scale=-1.0, offset=1.0, name=_layer_name("complement", used))(output)
        output = layers.Concatenate(name=_layer_name("probabilities", used))([first, output])
    if output.shape[-1] != len(target.classes):
        raise InferenceModelError(f"the model's output has {output.shape[-1]} columns for {len(target.classes)} "
                                  f"classes of {target.name!r}.")
    probabilities = {}
    for i, class_name in enumerate(target.classes):
        pick = layers.Dense(1, use_bias=False, trainable=False, name=_layer_name(f"p_{class_name}", used))
        probabilities[class_name] = pick(output)
        kernel = np.zeros((len(target.classes), 1), dtype="float32")
        kernel[i, 0] = 1.0
        pick.set_weights([kernel])  # picks column i exactly (the other products are zeros)
    return engine.Model(inputs, probabilities, name=name)


def raw_columns(preprocessor: Preprocessor, table) -> dict:
    """The inference model's input for the rows of a CSV table: each feature column as an (n, 1) array."""
    from studio.data.preprocess import category_values, numeric_values
    columns = {}
    for feature in preprocessor.features:
        if feature.type == "numeric":
            columns[feature.name] = numeric_values(table, feature.name).astype("float32").reshape(-1, 1)
        else:
            columns[feature.name] = np.asarray([str(v) for v in category_values(table, feature.name)],
                                               dtype=object).reshape(-1, 1)
    return columns
