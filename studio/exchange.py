"""Models in and out of a project: the trained model, `.keras` / ONNX / Python script export, `.keras` import.

Plain Python (no Qt): the File menu and the command line both call these. The project's trained model is
its graph built by the engine with the weights of the last run that has weights, compiled with that
run's compile settings (else the project's). Every writer replaces its target only once the new file is
complete; errors are `ExchangeError`s that name the part at fault.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from studio.document.from_model import ImportedModel, ModelImportError, graph_from_model
from studio.document.project import Project
from studio.training.run import FINISHED, TrainingRun
from studio.training.weights import refuse_non_finite

KERAS_SUFFIX, ONNX_SUFFIX, PYTHON_SUFFIX = ".keras", ".onnx", ".py"


class ExchangeError(Exception):
    """An import or export that cannot be done; the message names the file, layer or setting at fault."""


# -- the project's parts ---------------------------------------------------------------------------------------

def last_trained_run(project: Project) -> TrainingRun | None:
    """The newest run that holds weights, or None."""
    for entry in reversed(project.runs or []):
        if isinstance(entry, dict) and entry.get("weights") is not None:
            try:
                return TrainingRun.from_dict(entry)
            except (KeyError, TypeError, ValueError) as err:
                raise ExchangeError(f"Run {entry.get('run_id', '?')} of the project is damaged: {err}") from None
    return None


def has_trained_model(project: Project) -> bool:
    return any(isinstance(e, dict) and e.get("weights") is not None for e in project.runs or [])


def compile_settings(project: Project, run: TrainingRun | None = None) -> dict | None:
    """The run's compile settings when it has them, else the project's (None: not set)."""
    if run is not None and run.compile_settings:
        return run.compile_settings
    return project.compile or None


def data_section(project: Project) -> tuple[dict, dict | None]:
    """(the data spec as saved, the fitted preprocessor's dict or None); ExchangeError when there is no data."""
    data = project.data
    if not isinstance(data, dict) or not data:
        raise ExchangeError("The project has no data yet: import a CSV file (Data > Import CSV) first.")
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else data
    preprocessor = data.get("preprocessor")
    return spec, preprocessor if isinstance(preprocessor, dict) else None


def data_spec(project: Project):
    """The project's `DataSpec`, its CSV path made absolute from the project's folder."""
    from studio.data import DataError, DataSpec

    spec_dict, _ = data_section(project)
    try:
        spec = DataSpec.from_dict(spec_dict)
    except (DataError, KeyError, TypeError, ValueError) as err:
        raise ExchangeError(f"The project's data settings are damaged: {err}") from None
    if spec.path and not os.path.isabs(spec.path) and project.path:
        spec.path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(project.path)), spec.path))
    return spec


def fitted_preprocessor(project: Project):
    """The preprocessor the project's model was trained with (from the project), or None when none is saved."""
    from studio.data import DataError, Preprocessor

    _, state = data_section(project)
    if state is None:
        return None
    try:
        return Preprocessor.from_dict(state)
    except DataError as err:
        raise ExchangeError(str(err)) from None


def model_feed(project: Project, spec, preprocessor):
    """How the project's data reaches its model (`ModelFeed`): the columns of each Input, the target of each
    output; ExchangeError naming the node and column when the bindings do not fit the graph."""
    from studio.data.feed import BindingError, resolve_feed
    from studio.document.model_io import input_slots, output_heads

    graph = project.graph
    try:
        return resolve_feed(spec, preprocessor, input_slots(graph), output_heads(graph))
    except BindingError as err:
        raise ExchangeError(f"The data does not fit the model: {err}") from None


def output_tasks(feed, preprocessor) -> str | dict[str, str]:
    """The task of the model's one output, or output name -> task for several outputs (for compile settings)."""
    if len(feed.outputs) == 1:
        return preprocessor.targets[feed.outputs[0][1]].task
    return {name: preprocessor.targets[k].task for name, k in feed.outputs}


# -- the trained model -----------------------------------------------------------------------------------------

def untrained_model(project: Project, name: str | None = None):
    """A fresh engine model of the project's graph; ExchangeError listing what to fix."""
    from studio.document.build import ModelBuildError, build_model

    try:
        return build_model(project.graph, name=name or _model_name(project))
    except ModelBuildError as err:
        raise ExchangeError(str(err)) from None


def trained_model(project: Project, compiled: bool = True):
    """The graph's model with the last run's weights, compiled as the run was (when settings exist)."""
    run = last_trained_run(project)
    if run is None:
        raise ExchangeError("The project has no trained model yet: train it first (or import a Keras model).")
    model = untrained_model(project)
    try:
        model.set_weights(run.weights)
    except (ValueError, IndexError) as err:
        raise ExchangeError(f"The weights of run {run.run_id} no longer fit the model (the graph was edited since "
                            f"it trained): {err}") from None
    try:
        refuse_non_finite(model, f"run {run.run_id}")
    except ValueError as err:
        raise ExchangeError(str(err)) from None
    settings = compile_settings(project, run)
    if compiled and settings:
        from studio.training.compile_settings import build_compile_args
        try:
            model.compile(**build_compile_args(settings))
        except (KeyError, TypeError, ValueError) as err:
            raise ExchangeError(f"The project's compile settings are damaged: {err}") from None
    return model


def _model_name(project: Project) -> str:
    if project.path:
        stem = Path(project.path).stem
        if stem.replace("_", "").replace("-", "").isalnum():
            return stem
    return "model"


# -- export ----------------------------------------------------------------------------------------------------

def export_keras(project: Project, path: str | os.PathLike) -> str:
    """Write the trained model (weights and compile settings) as a Keras 3 `.keras` file; returns the path."""
    path = _target(path, KERAS_SUFFIX)
    model = trained_model(project)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not getattr(optimizer, "built", True):
        optimizer.build(model.trainable_variables)  # a fresh state, saved whole: Keras loads it without a warning
    try:
        model.save(path)
    except (OSError, ValueError, TypeError) as err:
        raise ExchangeError(f"Cannot write {path}: {err}") from None
    _readable(path)
    return path


def export_inference_keras(project: Project, path: str | os.PathLike) -> str:
    """Write the trained model with the project's fitted preprocessing in front as a `.keras` file that takes
    a dict of raw CSV columns and returns a probability per class name (see `studio.inference_model`)."""
    from studio.inference_model import InferenceModelError, inference_model

    path = _target(path, KERAS_SUFFIX)
    model = trained_model(project, compiled=False)
    preprocessor = fitted_preprocessor(project)
    if preprocessor is None:
        raise ExchangeError("The project's data has no fitted preprocessing saved (train the model once), so the "
                            "inference model cannot take raw columns.")
    feed = model_feed(project, data_spec(project), preprocessor)
    if not _takes_whole_table(feed):
        raise ExchangeError("Cannot export an inference model on raw columns: the model's inputs or outputs take "
                            "parts of the data (several Input or output nodes); export the plain .keras model.")
    try:
        raw = inference_model(preprocessor, model, name=f"{_model_name(project)}_inference",
                              codes=feed.code_columns())
    except InferenceModelError as err:
        raise ExchangeError(f"Cannot export an inference model on raw columns: {err}") from None
    try:
        raw.save(path)
    except (OSError, ValueError, TypeError) as err:
        raise ExchangeError(f"Cannot write {path}: {err}") from None
    _readable(path)
    return path


def _takes_whole_table(feed) -> bool:
    """One Input fed every prepared column in order (one-hot blocks as they are, or as codes for an Embedding) and
    one output."""
    if len(feed.inputs) != 1 or len(feed.outputs) != 1:
        return False
    if feed.inputs[0].whole:
        return True
    position = 0
    for start, width, _ in feed.inputs[0].pieces:
        if start != position:
            return False
        position += width
    return position == feed.n_features


def export_onnx(project: Project, path: str | os.PathLike, raw: bool = False) -> str:
    """Write the trained model as ONNX (opset 17), with class names and input columns in its metadata
    (`studio.exchange_onnx`); `raw`: the project's preprocessing inside the graph, so it takes raw CSV rows
    (`studio.onnx_raw`). ExchangeError naming a layer ONNX cannot express."""
    path = _target(path, ONNX_SUFFIX)
    model = trained_model(project, compiled=False)
    try:
        from engine.export import ONNXExportError
        from studio.exchange_onnx import metadata, write_onnx
        from studio.onnx_raw import RawOnnxError, raw_rows_model
    except ImportError as err:
        raise ExchangeError(f"ONNX export needs the 'onnx' package ({err}); install it with pip install onnx.") \
            from None
    try:
        preprocessor = fitted_preprocessor(project) if project.data or raw else None
        feed = model_feed(project, data_spec(project), preprocessor) if preprocessor is not None else None
        whole = feed is not None and _takes_whole_table(feed)
    except ExchangeError:
        if raw:
            raise
        preprocessor, feed, whole = None, None, False  # the model alone still exports, without the data's metadata
    opset, adapter = 17, None
    if raw:
        if preprocessor is None:
            raise ExchangeError("The project's data has no fitted preprocessing saved (train the model once), so the "
                                "ONNX model cannot take raw rows.")
        try:
            if not whole:
                raise RawOnnxError("the model's inputs or outputs take parts of the data (several Input or output "
                                   "nodes); export the plain ONNX model.")
            model, adapter, opset = raw_rows_model(preprocessor, model, codes=feed.code_columns())
        except RawOnnxError as err:
            raise ExchangeError(f"Cannot export an ONNX model on raw rows: {err}") from None
    try:
        write_onnx(model, path, metadata(preprocessor, raw, whole), opset=opset, adapter=adapter)
    except (ONNXExportError, OSError, ValueError) as err:
        raise ExchangeError(f"Cannot export {path} to ONNX: {err}") from None
    _readable(path)
    return path


def export_raw_onnx(project: Project, path: str | os.PathLike) -> str:
    """Write the trained model as ONNX taking raw CSV rows, one input per column (the project's missing-value rules,
    scaling, category encoding and text vectorization inside the graph)."""
    return export_onnx(project, path, raw=True)


def export_python(project: Project, path: str | os.PathLike) -> list[str]:
    """Write a Keras 3 script and the trained model as `<script name>.keras` beside it. With data, the script
    takes the CSV on its command line (else the training CSV relative to itself), prepares it with the
    project's fitted preprocessing as Keras layers, streams it in batches and continues training, with
    `--backend` and `--distribute` (see `studio.script`). Returns both paths."""
    from engine.export import PythonExportError, export_python_script, python_script

    path = _target(path, PYTHON_SUFFIX)
    model = trained_model(project)
    weights_name = Path(path).stem + KERAS_SUFFIX
    weights_path = str(Path(path).with_name(weights_name))
    sections = _script_sections(project, model, path) if project.data else {}
    try:
        python_script(model, weights_path=weights_name, **sections)  # checks before writing
    except PythonExportError as err:
        raise ExchangeError(str(err)) from None
    try:
        model.save(weights_path)
        export_python_script(model, path, weights_path=weights_name, **sections)
    except (OSError, ValueError) as err:
        raise ExchangeError(f"Cannot write {path}: {err}") from None
    _readable(weights_path)
    return [path, weights_path]


def _script_sections(project: Project, model, path: str) -> dict:
    """The script's command line, data, devices and training code for the project's data."""
    from studio.script.data import csv_beside, data_code
    from studio.script.run import devices_code, fit_code, setup_code, usage
    from studio.training.run import TrainingSettings

    spec = data_spec(project)
    preprocessor = fitted_preprocessor(project)
    if preprocessor is None:
        raise ExchangeError("The project's data has no fitted preprocessing saved (train the model once) so the "
                            "script cannot prepare the CSV as the model was trained.")
    refusal = script_refusal(preprocessor, spec)
    if refusal:
        raise ExchangeError(refusal)
    feed = model_feed(project, spec, preprocessor)
    run = last_trained_run(project)
    settings = compile_settings(project, run) or {}
    losses = feed.target_losses(settings) if settings.get("loss") else [None] * len(preprocessor.targets)
    training = project.training or run.settings
    training_settings = TrainingSettings.from_dict(training or {})
    validation, test = held_out_rows(spec)
    csv_name = csv_beside(spec.path, os.path.dirname(os.path.abspath(path)))
    return {
        "setup_code": setup_code(f"Train the model {model.name!r} (exported by LayerStudio) on a CSV file.",
                                 csv_name, training_settings.epochs, training_settings.batch_size),
        "data_code": data_code(spec, preprocessor, feed, [losses[k] for _, k in feed.outputs], validation, test),
        "devices_code": devices_code(model),
        "fit_code": fit_code(training, has_validation=bool(validation)),
        "usage": usage(os.path.basename(path), csv_name.rsplit("/", 1)[-1]),
    }


def script_refusal(preprocessor, spec) -> str | None:
    """Why the Python script cannot prepare this project's data (None: it can)."""
    if preprocessor.windows is not None:
        return ("The Python script reads tables of rows, but this project's data are time-series windows (cut "
                "from consecutive rows): export the model as .keras or ONNX instead.")
    kind = getattr(preprocessor.encoder, "kind", "pixels")
    if kind != "pixels":
        why = ("Keras's TextVectorization needs TensorFlow on every backend" if kind == "text" else
               "the script reads numbers from the CSV, not image files")
        return (f"The Python script reads tables of numbers, categories and pixel columns, but this project's data "
                f"are {kind.replace('_', ' ')} ({why}): export the model as .keras or ONNX instead.")
    if spec.dialect.encoding.lower().replace("-", "").startswith(("utf16", "utf32")):
        return (f"The Python script streams the CSV line by line, which {spec.dialect.encoding} text does not "
                "allow: save the CSV as UTF-8 and import it again.")
    return None


def held_out_rows(spec) -> tuple[list[int], list[int]]:
    """The data rows (indices in the CSV's table) the project holds out for validation and for test."""
    from studio.data import DataError
    from studio.data.streamed import prepare_file

    try:
        prepared = prepare_file(spec)  # a file above the streaming size is read in chunks
    except (DataError, OSError) as err:
        raise ExchangeError(f"Cannot read the project's data: {err}") from None
    parts = (prepared.validation, prepared.test)
    return tuple([] if part is None else sorted(int(r) for r in part.rows) for part in parts)


def _readable(path: str) -> None:
    """Give an exported file the usual permissions (the engine writes through a private temporary file)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _target(path, suffix: str) -> str:
    path = os.fspath(path)
    if not path.lower().endswith(suffix):
        path += suffix
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ExchangeError(f"Cannot write {path}: the folder {directory} does not exist.")
    return path


# -- import ----------------------------------------------------------------------------------------------------

def import_keras(path: str | os.PathLike) -> ImportedModel:
    """The graph and weights of a `.keras` file (written by Keras 3 or LayerStudio)."""
    from engine.saving import load_model

    path = os.fspath(path)
    if not os.path.exists(path):
        raise ExchangeError(f"{path} does not exist.")
    try:
        model = load_model(path, compile=False)
    except Exception as err:  # the loader's messages name the part of the file at fault
        raise ExchangeError(f"Cannot read the Keras model {os.path.basename(path)}: {err}") from None
    try:
        return graph_from_model(model)
    except ModelImportError as err:
        raise ExchangeError(f"{os.path.basename(path)} cannot be shown on the canvas: {err}") from None


def keras_compile_settings(path: str | os.PathLike) -> dict | None:
    """The studio's compile settings for the `compile_config` of a `.keras` file, or None when the file has
    none or uses what the studio does not offer (a custom loss, loss weights, several losses...)."""
    import json
    import zipfile

    from studio.training.compile_settings import LOSSES, METRICS, OPTIMIZERS, hyperparameters

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json")).get("compile_config") or {}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    optimizer, loss, metrics = config.get("optimizer"), config.get("loss"), config.get("metrics") or []
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer, "config": {}}
    if not isinstance(optimizer, dict) or not isinstance(loss, str) or not isinstance(metrics, list):
        return None
    name = str(optimizer.get("class_name", "")).lower()
    if name not in OPTIMIZERS or loss not in {c.name for c in LOSSES} or config.get("loss_weights") or \
            not all(isinstance(m, str) and m in {c.name for c in METRICS} for m in metrics):
        return None
    known = hyperparameters(name)
    given = optimizer.get("config") or {}
    values = {k: given.get(k, v) for k, v in known.items() if isinstance(given.get(k, v), (bool, int, float))}
    if isinstance(values.get("learning_rate"), float):  # Keras writes the float32 value: 0.0010000000474974513
        values["learning_rate"] = float(np.format_float_positional(np.float32(values["learning_rate"])))
    return {"optimizer": {"name": name, "config": values}, "loss": loss, "metrics": list(metrics)}


def imported_project(imported: ImportedModel, source: str | os.PathLike) -> Project:
    """A new, unsaved project with the imported graph, the file's compile settings when the studio offers
    them, and one finished run holding the imported weights."""
    settings = keras_compile_settings(source) if os.path.exists(os.fspath(source)) else None
    run = TrainingRun(run_id=1, compile_settings=dict(settings or {}), settings={}, status=FINISHED,
                      message=f"Imported from {os.path.basename(os.fspath(source))}",
                      weights=[np.asarray(w) for w in imported.weights])
    return Project(imported.graph, compile=settings, runs=[run.to_dict()])
