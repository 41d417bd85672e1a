"""Train, evaluate and predict with a project without the window (the command line uses these); no Qt.

Training runs the training core (studio/training/core.py) directly, the window runs it on a thread: the same
rules (run ids, early stopping, last finite weights on NaN, continue). Each epoch is reported through a callback,
and the run is recorded in `project.runs` (settings, history, final weights), together with the fitted
preprocessing in the data section.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from studio.document.project import Project
from studio.exchange import (
    ExchangeError,
    data_spec,
    fitted_preprocessor,
    last_trained_run,
    model_feed,
    output_tasks,
    trained_model,
)
from studio.training.core import Listener, Trainer, begin_segment, end_segment, new_run
from studio.training.run import ERROR, TrainingRun, TrainingSettings

EpochReport = Callable[[int, int, dict], None]  # (epoch counted from 1, last epoch, logs)


def prepared_data(project: Project):
    """The project's CSV read, split and preprocessed as for training (`PreparedData`)."""
    from studio.data import DataError
    from studio.data.streamed import prepare_file

    spec = data_spec(project)
    try:
        return prepare_file(spec)  # a file above the streaming threshold is read in chunks
    except (DataError, OSError) as err:
        raise ExchangeError(f"Cannot prepare the project's data: {err}") from None


def compile_settings_for(project: Project, data, feed) -> dict:
    """The project's compile settings, or the proposed ones for its outputs' tasks (then stored in the project)."""
    from studio.training.compile_settings import check_settings, default_settings

    tasks = output_tasks(feed, data.preprocessor)
    if not project.compile:
        project.compile = default_settings(tasks)
    try:
        check_settings(project.compile, tasks)
    except (KeyError, TypeError, ValueError) as err:
        raise ExchangeError(f"The project's compile settings do not fit its data: {err}") from None
    return project.compile


def train(project: Project, epochs: int | None = None, continue_last: bool = False,
          report: EpochReport | None = None, backend: str | None = None,
          keras_backend: str | None = None) -> TrainingRun:
    """Train the project's model (a new run, or more epochs of the last run with `continue_last`) with the
    training core's rules, and record the run in `project.runs`; the caller saves the project. A run that
    diverges is recorded with its last finite weights; a failure raises ExchangeError and records nothing.
    `backend` ("engine" or "keras", default: the project's training setting) says who trains; `keras_backend`
    which backend Keras runs on (default: KERAS_BACKEND)."""
    from studio.training.backends import BackendError, backend_for
    from studio.training.compile_settings import build_compile_args

    chosen = backend or TrainingSettings.from_dict(project.training or {}).backend
    try:  # before reading any data: a missing library is said at once
        backend_for(chosen, {}, keras_backend)
    except BackendError as err:
        chosen_by = "" if backend else f" (the project's training setting says {chosen}; --backend engine trains here)"
        raise ExchangeError(f"{err}{chosen_by}") from None
    data = prepared_data(project)
    feed = model_feed(project, data.spec, data.preprocessor)
    settings_dict = compile_settings_for(project, data, feed)
    settings = TrainingSettings.from_dict(project.training) if project.training else \
        TrainingSettings.proposed(len(data.train))
    if epochs is not None:
        settings.epochs = int(epochs)
    settings.backend = chosen
    try:
        settings.validate()
    except ValueError as err:
        raise ExchangeError(str(err)) from None
    previous = last_trained_run(project) if continue_last else None
    if continue_last and previous is None:
        raise ExchangeError("There is no trained run to continue: train without --continue first.")
    if previous is not None and fitted_preprocessor(project) is not None:
        data, _ = evaluation_data(project, encode=False)  # more epochs on the statistics the model learned on
    if previous is not None:
        model = trained_model(project)
        run = previous
        settings_dict = previous.compile_settings or settings_dict
    else:
        from studio.exchange import untrained_model
        model = untrained_model(project)
        run = new_run(project.runs, settings_dict, settings)
    fit_data = feed.apply(data, settings_dict)
    _check_input(model, fit_data)
    if previous is None:
        model.compile(**build_compile_args(settings_dict))
    initial, last_epoch = begin_segment(run, settings.epochs)

    def on_epoch(epoch: int, logs: dict) -> None:
        run.add_epoch(logs)
        if report:
            report(epoch + 1, last_epoch, dict(logs))

    trainer_backend = backend_for(chosen, settings_dict, keras_backend)
    outcome = Trainer(model, fit_data, settings, initial, last_epoch, listener=Listener(epoch=on_epoch),
                      backend=trainer_backend).fit()
    if outcome.status == ERROR:
        raise ExchangeError(outcome.message)
    end_segment(run, outcome)
    if previous is not None:
        _drop_run(project, previous.run_id)
    project.runs.append(run.to_dict())
    _store_preprocessor(project, data.preprocessor)
    return run


def _check_input(model, data) -> None:
    """ExchangeError naming the Input whose shape does not fit the columns bound to it."""
    shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
    x = data.train.sample_x() if hasattr(data.train, "sample_x") else data.train.x
    arrays = x if isinstance(x, list) else [x]
    names = getattr(model, "input_names", None) or [getattr(model.layers[0], "name", "input")] * len(shapes)
    for name, shape, x in zip(names, shapes, arrays):
        if tuple(shape[1:]) != tuple(x.shape[1:]):
            raise ExchangeError(f"The model's input '{name}' has shape {tuple(shape[1:])} but the columns bound to it "
                                f"give samples of shape {tuple(x.shape[1:])}: set the Input node's shape to match.")


def _drop_run(project: Project, run_id: int) -> None:
    project.runs = [r for r in project.runs if not (isinstance(r, dict) and r.get("run_id") == run_id)]


def _store_preprocessor(project: Project, preprocessor) -> None:
    data = project.data
    data["preprocessor"] = preprocessor.to_dict()


def evaluation_data(project: Project, encode: bool = True):
    """(data cut for the model's inputs and outputs and encoded for the trained model's losses, the preprocessor
    the model was trained with); with `encode` False, the prepared data as it is (one matrix of features)."""
    from studio.data import DataError

    data = prepared_data(project)
    saved = fitted_preprocessor(project)
    run = last_trained_run(project)
    settings = (run.compile_settings if run else None) or project.compile or None
    if saved is not None and data.table is None:  # read in chunks: each chunk is transformed with the saved fit
        from dataclasses import replace

        data = replace(data, preprocessor=saved)
    elif saved is not None:  # transform with the saved fit: the model learned on those statistics
        from dataclasses import replace

        try:
            full = saved.transform(data.table, with_target=True)
        except DataError as err:
            raise ExchangeError(str(err)) from None
        position = {int(r): k for k, r in enumerate(full.rows)}

        def redo(split):
            if split is None:
                return None
            k = np.array([position[int(r)] for r in split.rows], dtype=np.int64)
            y = [y[k] for y in full.y] if isinstance(full.y, list) else full.y[k]
            return replace(split, x=full.x[k], y=y)

        data = replace(data, preprocessor=saved,
                       train=redo(data.train), validation=redo(data.validation), test=redo(data.test))
    if not encode:
        return data, data.preprocessor
    feed = model_feed(project, data.spec, data.preprocessor)
    return feed.apply(data, settings), data.preprocessor


def evaluate(project: Project) -> dict[str, dict[str, float]]:
    """{"train": {metric: value}, "validation": ..., "test": ...} for the parts the project has."""
    model = trained_model(project)
    if not getattr(model, "compiled", False):
        raise ExchangeError("The project has no compile settings, so there is no loss or metric to evaluate.")
    data, _ = evaluation_data(project)
    out = {}
    for name in ("train", "validation", "test"):
        part = data.part(name)
        if part is not None and len(part):
            y = None if hasattr(part, "batches") else part.y  # batches read in chunks carry their targets
            values = model.evaluate(part.x, y, verbose=0, return_dict=True)
            out[name] = {k: float(v) for k, v in values.items()}
    return out


def predict_csv(project: Project, csv_path: str, out_path: str, notes: list[str] | None = None) -> int:
    """Predict every usable row of `csv_path` and write the file's columns plus the predictions to `out_path`
    (atomically); returns the number of rows predicted. A file above the streaming threshold is read, predicted
    and written a chunk at a time. `notes` receives what happened to rows that did not go in as they were
    (skipped for a missing value, a category not seen in training)."""
    from studio.data import DataError
    from studio.data.predicted_file import write_predictions

    model = trained_model(project, compiled=False)
    preprocessor = fitted_preprocessor(project)
    if preprocessor is None:
        preprocessor = prepared_data(project).preprocessor
    feed = model_feed(project, data_spec(project), preprocessor)
    folder = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(folder):
        raise ExchangeError(f"Cannot write {out_path}: the folder {folder} does not exist.")
    try:
        written = write_predictions(model, preprocessor, feed, csv_path, out_path)
    except DataError as err:
        raise ExchangeError(str(err)) from None
    if notes is not None:
        notes.extend(written.notes)
    return written.count
