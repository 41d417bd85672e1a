"""What an exported ONNX file tells its reader, and the ONNX model on raw numeric rows.

Every ONNX export of a project writes `metadata_props` (onnxruntime: `get_modelmeta().custom_metadata_map`):
`class_names` (JSON list, empty for regression), `input_columns` (JSON list: the columns of the input tensor,
in order) and `preprocessing` (what the input must be: prepared features or raw columns). The `onnx-raw`
export puts the fitted standardization in the graph (a `Normalization` layer: Sub and Div) in front of the
model, so a raw row of the CSV's numeric feature columns goes in as it is.
"""

from __future__ import annotations

import json
import os

import engine
from engine import layers
from studio.data.preprocess import REGRESSION, Preprocessor

PREPARED = ("prepared features in the input_columns order: numeric columns standardized with the training mean "
            "and standard deviation, categories one-hot encoded (columns named column=category)")
RAW = "raw numeric CSV columns in the input_columns order (the standardization is inside the graph)"


class RawOnnxError(ValueError):
    """A project whose model cannot take raw rows in one ONNX tensor; the message says why."""


def metadata(preprocessor: Preprocessor | None, raw: bool, whole_table: bool = True) -> dict[str, str]:
    """The `metadata_props` of the export: class names, input column order, expected input."""
    if preprocessor is None:
        return {}
    props = {"class_names": json.dumps(preprocessor.class_names if preprocessor.task != REGRESSION else []),
             "target": preprocessor.target.name if preprocessor.target else ""}
    if raw:
        props["input_columns"] = json.dumps([f.name for f in preprocessor.features])
        props["preprocessing"] = RAW
    elif whole_table and preprocessor.encoder is None and preprocessor.windows is None:
        props["input_columns"] = json.dumps(preprocessor.feature_names)
        props["preprocessing"] = PREPARED if preprocessor.scaling == "standard" else PREPARED.replace(
            "standardized with the training mean and standard deviation", "as in the file")
    else:
        props["preprocessing"] = "prepared by LayerStudio's preprocessing (see the project's data settings)"
    return props


def raw_numeric_model(preprocessor: Preprocessor, model):
    """`model` behind the fitted standardization: one float input of the raw numeric feature columns; a
    regression output comes back in the file's units."""
    if preprocessor.encoder is not None or preprocessor.windows is not None:
        raise RawOnnxError("the project's data are not a table of numbers; export the plain ONNX model.")
    others = [f.name for f in preprocessor.features if f.type != "numeric"]
    if others:
        raise RawOnnxError(f"the columns {others} are not numeric; raw rows in one ONNX tensor hold numbers only "
                           "(export the Keras inference model on raw columns, or the plain ONNX model).")
    if len(model.inputs) != 1 or len(model.outputs) != 1 or len(preprocessor.targets) != 1:
        raise RawOnnxError("the model has several inputs or outputs; raw rows are taken by one input and one "
                           "output.")
    width = preprocessor.n_features
    if tuple(model.inputs[0].shape[1:]) != (width,):
        raise RawOnnxError(f"the model's input has shape {model.inputs[0].shape}, not the {width} feature columns.")
    x = engine.Input(shape=(width,), name="raw_features")
    y = x
    if preprocessor.scaling == "standard":
        y = layers.Normalization(mean=[f.mean for f in preprocessor.features],
                                 variance=[f.std ** 2 for f in preprocessor.features], name="standardize")(x)
    y = model(y)
    target = preprocessor.target
    if target.task == REGRESSION and (target.std != 1.0 or target.mean != 0.0):
        y = layers.Rescaling(scale=target.std, offset=target.mean, name="in_file_units")(y)
    return engine.Model(x, y, name=f"{model.name}_raw")


def write_onnx(model, path: str | os.PathLike, props: dict[str, str]) -> None:
    """Write `model` as ONNX with `props` in its `metadata_props`, atomically (nothing written on error)."""
    from onnx import helper

    from engine.export import to_onnx_model
    from engine.utils.file_utils import atomic_write

    proto = to_onnx_model(model)
    helper.set_model_props(proto, props)
    with atomic_write(os.fspath(path), "wb") as file:
        file.write(proto.SerializeToString())
