"""The inference model: the trained model with the project's fitted preprocessing in front, taking raw columns.

Its input is a dict with one entry per feature column of the CSV ((n, 1) float32 for numbers and pixels, NaN
where missing; (n, 1) strings for categories and text, "" where missing); the preprocessing in front is the one
the studio trains and predicts with (`studio.data.preprocessing_layers`: `Normalization`, `StringLookup`,
`TextVectorization`, missing numbers filled, pixel columns rescaled into images). Its output is a dict keyed by
class name, each the probability of that class (so the class names are in the saved config), or, for regression,
the target in the file's units. Every layer is a
standard Keras layer, so real Keras opens the exported file and predicts with it (string inputs on its
TensorFlow backend). Bad input as in the studio's Predict (see `studio.data.preprocessing_layers`): a missing
value is filled by the column's rule (in a drop-rows column, where Predict skips the row, the model answers NaN),
a category not seen in training is out of vocabulary (no category; for an Embedding, code 0, the row the studio
gives it); Keras names an absent column.

Not expressed: several inputs or outputs, image files, and time-series windows.
"""

from __future__ import annotations

import numpy as np

import engine
from engine import layers
from studio.data.errors import DataError
from studio.data.preprocess import BINARY, REGRESSION, Preprocessor
from studio.data.preprocessing_layers import layer_name, preprocessing_graph
from studio.data.preprocessing_layers import raw_columns as raw_columns  # noqa: PLC0414 (re-exported)


class InferenceModelError(ValueError):
    """A project whose preprocessing or model the inference model cannot take in; the message says why."""


_layer_name = layer_name


def inference_model(preprocessor: Preprocessor, model, name: str = "inference_model",
                    codes: dict[str, int] | None = None):
    """`model` (one input of the prepared features, one output) behind `preprocessor`'s fitted transform; `codes`:
    the category columns its Input takes as codes for an Embedding (`ModelFeed.code_columns`)."""
    if len(model.inputs) != 1 or len(model.outputs) != 1 or len(preprocessor.targets) != 1:
        raise InferenceModelError("the model has several inputs or outputs; an inference model on raw columns is "
                                  "built for one input (the feature table) and one output.")
    used = {model.name}
    try:
        inputs, features = preprocessing_graph(preprocessor, used, codes)
    except DataError as err:
        raise InferenceModelError(str(err)) from None
    if tuple(model.inputs[0].shape[1:]) != tuple(features.shape[1:]):
        raise InferenceModelError(f"the model's input has shape {model.inputs[0].shape}, not the "
                                  f"{features.shape[-1]} prepared feature columns.")
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

