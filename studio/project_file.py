"""Opening a project file for the window and the command line: the file read (`load_project`), then every part
checked by the code that will use it, before anything is shown or run.

A damaged data, compile or training section refuses the whole file with one `ProjectFileError` naming the
file and the part ("iris.lsproj: training settings: 'epochs' must be ..."). A damaged run is left out (or
only its damaged weights are) and described in `Project.problems`: the rest of the project opens. Nothing
here writes; the file on disk is never changed by opening it.
"""

from __future__ import annotations

import os
from pathlib import Path

from studio.document.project import Project, ProjectFileError, load_project

_DAMAGE = (KeyError, TypeError, ValueError, AttributeError, OverflowError)


def open_project(path: str | os.PathLike) -> Project:
    """The project at `path` with every part checked; ProjectFileError for a file that cannot be used."""
    project = load_project(path)
    name = Path(path).name
    for part, check in (("data preprocessing", _check_data), ("compile settings", _check_compile),
                        ("training settings", _check_training)):
        try:
            check(project)
        except _DAMAGE as err:  # each check raises these only for a damaged part
            raise ProjectFileError(f"{name}: {part}: {_reason(err)}.") from None
    project.runs, project.problems = checked_runs(project.runs, name)
    return project


def _reason(err: Exception) -> str:
    if isinstance(err, KeyError):
        return f"{err} is missing"
    text = str(err).rstrip(".")
    return text if isinstance(err, ValueError) else f"{type(err).__name__}: {text}"


def _check_data(project: Project) -> None:
    """The fitted preprocessing (a model's inputs depend on it). A data spec that cannot be read is not refused
    here: the project opens and asks for the data again, as it does when the CSV file has moved."""
    from studio.data import Preprocessor

    data = project.data
    if not data:
        return
    if data.get("preprocessor") is not None:
        if not isinstance(data["preprocessor"], dict):
            raise ValueError("'preprocessor' is not an object")
        Preprocessor.from_dict(data["preprocessor"])


def _check_compile(project: Project) -> None:
    from studio.training.compile_settings import check_form

    if project.compile:
        check_form(project.compile)


def _check_training(project: Project) -> None:
    from studio.training.run import TrainingSettings

    if project.training is not None:
        TrainingSettings.checked(project.training)


def checked_runs(runs: list, name: str) -> tuple[list, list[str]]:
    """(the runs that can be used, what was wrong with the others): a run whose weights alone are damaged keeps
    its history without them; a run that cannot be read at all is left out."""
    from studio.training.run import TrainingRun

    kept, problems = [], []
    for i, entry in enumerate(runs):
        label = f"run {entry.get('run_id', i + 1)}" if isinstance(entry, dict) else f"run {i + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{name}: {label} is not an object and was left out.")
            continue
        try:
            TrainingRun.from_dict(entry)
        except _DAMAGE as err:
            reason = _reason(err)
            try:
                TrainingRun.from_dict({**entry, "weights": None})
            except _DAMAGE:
                problems.append(f"{name}: {label} is damaged ({reason}) and was left out.")
                continue
            problems.append(f"{name}: the weights of {label} are damaged ({reason}); its history is kept, "
                            "without a trained model.")
            entry = {**entry, "weights": None}
        kept.append(entry)
    return kept, problems
