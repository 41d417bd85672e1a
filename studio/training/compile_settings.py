"""Compile settings as plain data: which losses and metrics fit a task, the optimizer's hyperparameters,
proposed defaults, and the `optimizer`, `loss`, `metrics` arguments of `model.compile` built from them.

The settings dict is JSON-able and is what the project stores:
`{"optimizer": {"name": "adam", "config": {"learning_rate": 0.001, ...}}, "loss": "...", "metrics": [...]}`.
A model with several outputs adds `"outputs": {output name: {"loss", "metrics", "loss_weight"}}` (keyed by the
output layer's name, as Keras keys `compile`'s dicts and its logs); "loss" and "metrics" then repeat the first
output's, so that code reading one loss still reads a sensible one.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass

from studio.data.preprocess import BINARY, MULTICLASS, REGRESSION


@dataclass(frozen=True)
class Choice:
    name: str  # the Keras identifier
    label: str  # what the user reads
    tasks: frozenset[str]
    one_hot: bool = False  # the loss wants one-hot target rows


def _c(name, label, *tasks, one_hot=False) -> Choice:
    return Choice(name, label, frozenset(tasks), one_hot)


LOSSES = [
    _c("binary_crossentropy", "Binary cross-entropy", BINARY),
    _c("binary_focal_crossentropy", "Binary focal cross-entropy", BINARY),
    _c("hinge", "Hinge", BINARY),
    _c("squared_hinge", "Squared hinge", BINARY),
    _c("sparse_categorical_crossentropy", "Sparse categorical cross-entropy (integer labels)", MULTICLASS, BINARY),
    _c("categorical_crossentropy", "Categorical cross-entropy (one-hot labels)", MULTICLASS, BINARY, one_hot=True),
    _c("categorical_focal_crossentropy", "Categorical focal cross-entropy (one-hot labels)", MULTICLASS, BINARY,
       one_hot=True),
    _c("categorical_hinge", "Categorical hinge (one-hot labels)", MULTICLASS, one_hot=True),
    _c("mean_squared_error", "Mean squared error", REGRESSION),
    _c("mean_absolute_error", "Mean absolute error", REGRESSION),
    _c("huber", "Huber", REGRESSION),
    _c("log_cosh", "Log-cosh", REGRESSION),
    _c("mean_squared_logarithmic_error", "Mean squared logarithmic error", REGRESSION),
    _c("mean_absolute_percentage_error", "Mean absolute percentage error", REGRESSION),
    _c("poisson", "Poisson", REGRESSION),
]

METRICS = [
    _c("accuracy", "Accuracy", BINARY, MULTICLASS),
    _c("precision", "Precision", BINARY),
    _c("recall", "Recall", BINARY),
    _c("auc", "AUC (area under the ROC curve)", BINARY),
    _c("top_k_categorical_accuracy", "Top-5 accuracy", MULTICLASS),
    _c("mae", "Mean absolute error", REGRESSION),
    _c("mse", "Mean squared error", REGRESSION),
    _c("root_mean_squared_error", "Root mean squared error", REGRESSION),
    _c("mape", "Mean absolute percentage error", REGRESSION),
]

OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
              "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "Nadam", "lion": "Lion"}

DEFAULT_LOSS = {BINARY: "binary_crossentropy", MULTICLASS: "sparse_categorical_crossentropy",
                REGRESSION: "mean_squared_error"}
DEFAULT_METRICS = {BINARY: ["accuracy"], MULTICLASS: ["accuracy"], REGRESSION: ["mae"]}


def losses_for(task: str) -> list[Choice]:
    return [c for c in LOSSES if task in c.tasks]


def metrics_for(task: str, n_classes: int = 0) -> list[Choice]:
    out = [c for c in METRICS if task in c.tasks]
    if n_classes and n_classes <= 5:  # top-5 accuracy of five classes or fewer is always 1
        out = [c for c in out if c.name != "top_k_categorical_accuracy"]
    return out


def loss_choice(name: str) -> Choice:
    for c in LOSSES:
        if c.name == name:
            return c
    raise ValueError(f"Unknown loss {name!r}; known: {', '.join(c.name for c in LOSSES)}")


def optimizer_class(name: str):
    from engine import optimizers

    try:
        return optimizers.ALL_OBJECTS_DICT[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}") from None


def hyperparameters(name: str) -> dict[str, float | bool]:
    """The optimizer's tunable hyperparameters with Keras's defaults, read from its signature."""
    out: dict[str, float | bool] = {}
    for pname, p in inspect.signature(optimizer_class(name)).parameters.items():
        if pname == "weight_decay" and p.default is None:
            break  # the rest (clipping, EMA, ...) are not shown
        if isinstance(p.default, (bool, int, float)):
            out[pname] = p.default
    return out


Tasks = str | dict[str, str]  # one task, or output name -> task for a model with several outputs


def default_settings(task: Tasks, n_rows: int = 0) -> dict:
    """Proposed compile settings: the usual loss and metric for the task (for each output's task), Adam at
    Keras's learning rate."""
    tasks = task if isinstance(task, dict) else {}
    first = next(iter(tasks.values())) if tasks else task
    settings = {"optimizer": {"name": "adam", "config": hyperparameters("adam")}, "loss": DEFAULT_LOSS[first],
                "metrics": list(DEFAULT_METRICS[first])}
    if len(tasks) > 1:
        settings["outputs"] = {name: {"loss": DEFAULT_LOSS[t], "metrics": list(DEFAULT_METRICS[t]),
                                      "loss_weight": 1.0} for name, t in tasks.items()}
    return settings


def check_form(settings: dict) -> None:
    """ValueError naming the part when saved settings are not what `default_settings` and the compile dialog
    write: known losses and metrics (for each output too), a known optimizer with finite hyperparameters it has."""
    _check_form_of_loss(settings, "")
    outputs = settings.get("outputs") or {}
    if not isinstance(outputs, dict) or not all(isinstance(v, dict) for v in outputs.values()):
        raise ValueError("'outputs' must map output names to their loss and metrics.")
    for name, entry in outputs.items():
        _check_form_of_loss(entry, f"output '{name}': ")
        weight = entry.get("loss_weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 <= weight < math.inf:
            raise ValueError(f"output '{name}': the loss weight must be a finite number of 0 or more, not {weight!r}.")
    optimizer = settings.get("optimizer")
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("name"), str) \
            or not isinstance(optimizer.get("config", {}), dict):
        raise ValueError("'optimizer' must hold a 'name' and a 'config' object.")
    known = hyperparameters(optimizer["name"])
    for key, value in optimizer.get("config", {}).items():
        if key not in known:
            raise ValueError(f"Optimizer {optimizer['name']!r} has no hyperparameter {key!r}.")
        if not isinstance(value, (int, float)) or not math.isfinite(value) \
                or isinstance(value, bool) != isinstance(known[key], bool):
            kind = "true or false" if isinstance(known[key], bool) else "a finite number"
            raise ValueError(f"The optimizer's {key!r} must be {kind}, not {value!r}.")


def _check_form_of_loss(entry: dict, where: str) -> None:
    if not isinstance(entry.get("loss"), str):
        raise ValueError(f"{where}'loss' must be the name of a loss, not {entry.get('loss')!r}.")
    loss_choice(entry["loss"])
    metrics = entry.get("metrics", [])
    known_metrics = {c.name for c in METRICS}
    if not isinstance(metrics, list) or not all(isinstance(m, str) and m in known_metrics for m in metrics):
        raise ValueError(f"{where}'metrics' must list metric names among {', '.join(sorted(known_metrics))}, "
                         f"not {metrics!r}.")


def check_settings(settings: dict, task: Tasks) -> None:
    """ValueError naming the problem (and the output) when the settings do not fit the task of each output."""
    tasks = task if isinstance(task, dict) else {}
    if len(tasks) > 1:
        per_output = settings.get("outputs") or {}
        missing = [name for name in tasks if name not in per_output]
        if missing:
            raise ValueError(f"The model has {len(tasks)} outputs; the compile settings give no loss for output"
                             f"{'s' if len(missing) > 1 else ''} {', '.join(repr(n) for n in missing)}: "
                             "compile again (Model > Compile…).")
        for name, t in tasks.items():
            entry = per_output[name]
            _check_loss_and_metrics(entry["loss"], entry.get("metrics", []), t, f"output '{name}': ")
            weight = entry.get("loss_weight", 1.0)
            if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
                raise ValueError(f"Output '{name}': the loss weight must be a number of 0 or more, not {weight!r}.")
    else:
        first = next(iter(tasks.values())) if tasks else task
        _check_loss_and_metrics(settings["loss"], settings.get("metrics", []), first, "")
    _check_optimizer(settings)


def _check_loss_and_metrics(loss_name: str, metrics: list, task: str, where: str) -> None:
    loss = loss_choice(loss_name)
    if task not in loss.tasks:
        raise ValueError(f"{where}The loss {loss.label!r} does not fit a {task} target; choose one of "
                         f"{', '.join(c.label for c in losses_for(task))}.")
    allowed = {c.name for c in metrics_for(task)}
    wrong = [m for m in metrics if m not in allowed]
    if wrong:
        raise ValueError(f"{where}Metric{'s' if len(wrong) > 1 else ''} {', '.join(wrong)} do not fit a {task} "
                         "target.")


def _check_optimizer(settings: dict) -> None:
    known = hyperparameters(settings["optimizer"]["name"])
    unknown = [k for k in settings["optimizer"].get("config", {}) if k not in known]
    if unknown:
        raise ValueError(f"Optimizer {settings['optimizer']['name']!r} has no hyperparameter "
                         f"{', '.join(unknown)}.")


def log_names(settings: dict | None) -> list[str]:
    """The quantities `fit` logs for these settings, as Keras names them: "loss" and the metrics, and with several
    outputs also each output's loss and metrics prefixed by its name ("species_loss", "species_accuracy")."""
    settings = settings or {}
    per_output = settings.get("outputs") or {}
    if len(per_output) > 1:
        names = ["loss"] + [f"{name}_loss" for name in per_output]
        return names + [f"{name}_{m}" for name, o in per_output.items() for m in o.get("metrics", [])
                        if isinstance(m, str)]
    return ["loss"] + [m for m in settings.get("metrics", []) if isinstance(m, str)]


def build_compile_args(settings: dict, make_optimizer: Callable[[str, dict], object] | None = None) -> dict:
    """`{"optimizer", "loss", "metrics"}` (and `loss_weights` for several outputs) for `model.compile(**args)`:
    a fresh optimizer object each call, the engine's unless `make_optimizer(name, config)` makes another
    library's (real Keras: the names are the same)."""
    opt = settings["optimizer"]
    if make_optimizer is None:
        optimizer = optimizer_class(opt["name"])(**dict(opt.get("config", {})))
    else:
        optimizer = make_optimizer(opt["name"], dict(opt.get("config", {})))
    per_output = settings.get("outputs") or {}
    if len(per_output) > 1:
        return {"optimizer": optimizer, "loss": {n: o["loss"] for n, o in per_output.items()},
                "metrics": {n: list(o.get("metrics", [])) for n, o in per_output.items()},
                "loss_weights": {n: float(o.get("loss_weight", 1.0)) for n, o in per_output.items()}}
    return {"optimizer": optimizer, "loss": settings["loss"], "metrics": list(settings.get("metrics", []))}


def output_layer_for(task: str, n_classes: int, loss: str) -> tuple[int, str]:
    """(units, activation) of the last Dense layer that fits the task and the loss."""
    if task == REGRESSION:
        return 1, "linear"
    if task == BINARY and loss in ("binary_crossentropy", "binary_focal_crossentropy"):
        return 1, "sigmoid"
    if task == BINARY and loss in ("hinge", "squared_hinge"):
        return 1, "tanh"
    return n_classes, "softmax"
