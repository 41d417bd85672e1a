"""What `compile()` turns its arguments into: one loss per output, and named metrics per output.

Strings resolve as in Keras 3: `"accuracy"` becomes binary, sparse categorical or categorical accuracy
from the shapes of the first batch; a metric keeps the name it was given (`"acc"`, `"mae"`), a metric
object its own name, a function its `__name__`; with several outputs the logs prefix `{output}_`.
"""

from __future__ import annotations

import numpy as np

from engine import losses as losses_module
from engine import metrics as metrics_module
from engine.backend import to_snake_case
from engine.symbolic import flatten


def is_binary_or_sparse_categorical(y_true, y_pred) -> tuple[bool, bool]:
    t_shape, p_shape = np.shape(y_true), np.shape(y_pred)
    is_binary = p_shape[-1] == 1 if p_shape else True
    is_sparse = len(t_shape) < len(p_shape) or (bool(t_shape) and t_shape[-1] == 1 and p_shape[-1] > 1)
    return is_binary, is_sparse


def resolve_metric(identifier, y_true, y_pred):
    """A Metric object for `identifier`, named as Keras names it."""
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    if str(identifier).lower() in ("accuracy", "acc"):
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        if is_binary:
            metric = metrics_module.BinaryAccuracy(name=str(identifier))
        elif is_sparse:
            metric = metrics_module.SparseCategoricalAccuracy(name=str(identifier))
        else:
            metric = metrics_module.CategoricalAccuracy(name=str(identifier))
    else:
        metric = metrics_module.get(identifier)
    if isinstance(identifier, str):
        name = identifier
    elif isinstance(metric, metrics_module.Metric):
        name = metric.name
    else:
        name = to_snake_case(getattr(metric, "__name__", type(metric).__name__))
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric, name=name)
    metric.name = name
    return metric


def resolve_loss(identifier):
    """A Loss object (functions and strings wrapped) that reduces to a scalar."""
    if identifier is None:
        return None
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    if not callable(loss):
        raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
    return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", "loss"))


def per_output(value, output_names: list[str], argument: str) -> list:
    """Spread a compile argument over the outputs: one for all, a list in order, or a dict by name."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in output_names]
        if unknown:
            raise ValueError(f"Expected keys {output_names} in `{argument}` dict, but found {list(value)}: "
                             f"{unknown} name no output of the model.")
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and n > 1:
        if len(value) != n:
            raise ValueError(f"`{argument}` has {len(value)} entries but the model has {n} outputs "
                             f"{output_names}.")
        return list(value)
    return [value] * n


class CompiledLoss:
    """Total loss over the outputs (weighted), with an unweighted tracker per output when there are several."""

    def __init__(self, loss, loss_weights, output_names: list[str]):
        self.output_names = output_names
        if isinstance(loss, (list, tuple)) and len(output_names) == 1 and len(loss) == 1:
            loss = loss[0]
        self.losses = [resolve_loss(item) for item in per_output(loss, output_names, "loss")]
        if loss_weights is None:
            self.weights = [None] * len(output_names)
        elif isinstance(loss_weights, (int, float)) and len(output_names) == 1:
            self.weights = [float(loss_weights)]
        else:
            self.weights = per_output(loss_weights, output_names, "loss_weights")
        self.trackers = []
        if len(output_names) > 1:
            self.trackers = [metrics_module.Mean(name=f"{name}_loss") for name, loss in
                             zip(output_names, self.losses) if loss is not None]

    def __call__(self, y_true: list, y_pred: list, sample_weight: list):
        total = None
        tracker = iter(self.trackers)
        for loss, weight, y_t, y_p, sw in zip(self.losses, self.weights, y_true, y_pred, sample_weight):
            if loss is None:
                continue
            if y_t is None:
                raise ValueError("A loss is set for an output, but no target `y` was given for it.")
            value = loss(y_t, y_p, sample_weight=sw)
            if self.trackers:
                next(tracker).update_state(np.asarray(value), sample_weight=len(y_p))
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        return total


class CompiledMetrics:
    """The compiled metrics of every output, built on the first batch (where shapes decide "accuracy")."""

    name = "compile_metrics"

    def __init__(self, metrics, weighted_metrics, output_names: list[str]):
        self.output_names = output_names
        self._user_metrics = metrics
        self._user_weighted = weighted_metrics
        self.built = False
        self.metrics: list = []
        self._by_output: list[list] = []
        self._weighted_by_output: list[list] = []

    def build(self, y_true: list, y_pred: list) -> None:
        n = len(self.output_names)

        def spread(value, argument):
            if value is None:
                return [[] for _ in range(n)]
            if n == 1:
                if isinstance(value, dict):
                    value = value.get(self.output_names[0], [])
                items = value if isinstance(value, (list, tuple)) else [value]
                return [list(items)]
            if isinstance(value, dict):
                spread_ = per_output(value, self.output_names, argument)
            elif isinstance(value, (list, tuple)) and all(isinstance(v, (list, tuple)) or v is None for v in value):
                spread_ = per_output(list(value), self.output_names, argument)
            else:
                raise ValueError(
                    f"For a model with several outputs {self.output_names}, `{argument}` must be a list of lists "
                    f"(one list per output) or a dict keyed by output name; received {value!r}")
            return [[] if v is None else (list(v) if isinstance(v, (list, tuple)) else [v]) for v in spread_]

        def make(groups):
            built = []
            for i, group in enumerate(groups):
                out_metrics = []
                for identifier in group:
                    out_metrics.append(resolve_metric(identifier, y_true[i], y_pred[i]))
                built.append(out_metrics)
            return built

        self._by_output = make(spread(self._user_metrics, "metrics"))
        self._weighted_by_output = make(spread(self._user_weighted, "weighted_metrics"))
        self.metrics = [m for group in self._by_output for m in group] + \
            [m for group in self._weighted_by_output for m in group]
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Keras's signature: `y_true` and `y_pred` as the model gives them (one array, a list or a dict)."""
        outputs = [np.asarray(o) for o in flatten(y_pred)]
        targets = match_targets(y_true, self.output_names, y_pred)
        weights = per_output_weights(sample_weight, len(self.output_names))
        if not self.built:
            self.build(targets, outputs)
        for i, (y_t, y_p) in enumerate(zip(targets, outputs)):
            if y_t is None:
                continue
            for metric in self._by_output[i]:
                metric.update_state(y_t, y_p)
            for metric in self._weighted_by_output[i]:
                metric.update_state(y_t, y_p, sample_weight=weights[i])

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def result(self) -> dict:
        """Each compiled metric's value by name: `{output}_{metric}` with several outputs, and a `_1`, `_2`...
        suffix when a name repeats, as Keras 3 logs them."""
        results: dict = {}
        counts: dict[str, int] = {}
        for groups in (self._by_output, self._weighted_by_output):
            for i, group in enumerate(groups):
                for metric in group:
                    name = f"{self.output_names[i]}_{metric.name}" if len(self.output_names) > 1 else metric.name
                    if name in counts:
                        counts[name] += 1
                        name = f"{name}_{counts[name] - 1}"
                    else:
                        counts[name] = 1
                    results[name] = metric.result()
        return results


def match_targets(y, output_names: list[str], structure) -> list:
    """Targets in output order: `y` may be one array, a list, or a dict keyed by output name."""
    n = len(output_names)
    if y is None:
        return [None] * n
    if isinstance(y, dict):
        missing = [name for name in output_names if name not in y]
        if missing and n > 1:
            raise ValueError(f"`y` is a dict with keys {list(y)}, but the model's outputs are {output_names}: "
                             f"missing {missing}")
        if n == 1 and len(y) == 1:
            return list(y.values())
        return [y.get(name) for name in output_names]
    if isinstance(y, (list, tuple)):
        if n == 1:
            return [y[0] if len(y) == 1 else y]
        if len(y) != n:
            raise ValueError(f"The model has {n} outputs {output_names} but `y` holds {len(y)} arrays.")
        return list(y)
    if n > 1:
        raise ValueError(f"The model has {n} outputs {output_names}; pass `y` as a list or a dict of {n} arrays.")
    return [y]


def per_output_weights(sample_weight, n: int) -> list:
    """One sample-weight array per output: a list gives one each, anything else is shared."""
    return list(sample_weight) if isinstance(sample_weight, (list, tuple)) and n > 1 else [sample_weight] * n


def flat_outputs(y_pred) -> list:
    return flatten(y_pred)
