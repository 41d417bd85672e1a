"""What an exported ONNX file tells its reader, and how it is written.

Every ONNX export of a project writes `metadata_props` (onnxruntime: `get_modelmeta().custom_metadata_map`):
`class_names` (JSON list, empty for regression), `target`, `input_columns` (JSON list: the columns of the input
tensor in order, or for raw rows the columns that are the graph's inputs) and `preprocessing` (what the input must
be: prepared features, or raw columns as `studio.onnx_raw` lays them out).
"""

from __future__ import annotations

import json
import os

from studio.data.preprocess import REGRESSION, Preprocessor
from studio.onnx_raw import LAYOUT

PREPARED = ("prepared features in the input_columns order: numeric columns standardized with the training mean "
            "and standard deviation, categories one-hot encoded (columns named column=category)")
RAW = LAYOUT


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


def write_onnx(model, path: str | os.PathLike, props: dict[str, str], opset: int = 17, adapter=None) -> None:
    """Write `model` as ONNX with `props` in its `metadata_props`, atomically (nothing written on error);
    `adapter` (an `engine.export.GraphAdapter`) adds steps around the model."""
    from onnx import helper

    from engine.export import to_onnx_model
    from engine.utils.file_utils import atomic_write

    proto = to_onnx_model(model, opset=opset, adapter=adapter)
    helper.set_model_props(proto, props)
    with atomic_write(os.fspath(path), "wb") as file:
        file.write(proto.SerializeToString())
