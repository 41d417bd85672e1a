"""A model's `compile()` arguments as Keras 3 writes them in `compile_config`, and back.

Strings stay strings ("adam" is resolved first: Keras always writes the optimizer as a full config),
losses, metrics and optimizers become `{"module", "class_name", "config", ...}` dicts, and nested dicts
and lists (one entry per output) keep their structure.
"""

from __future__ import annotations

_KNOWN_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
               "steps_per_execution", "jit_compile", "auto_scale_loss")


def _serialize_tree(value, serialize):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {k: _serialize_tree(v, serialize) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_tree(v, serialize) for v in value]
    return serialize(value)


def serialize_compile_config(model) -> dict:
    """The compile arguments of a compiled `model` in Keras's `compile_config` form."""
    from engine import losses, metrics, optimizers
    args = model._compile_config
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _serialize_tree(args.get("loss"), losses.serialize),
        "loss_weights": _serialize_tree(args.get("loss_weights"), float),
        "metrics": _serialize_tree(args.get("metrics"), metrics.serialize),
        "weighted_metrics": _serialize_tree(args.get("weighted_metrics"), metrics.serialize),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def _is_object_config(value) -> bool:
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _deserialize_tree(value, leaf):
    if _is_object_config(value):
        return leaf(value)
    if isinstance(value, dict):
        return {k: _deserialize_tree(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_tree(v, leaf) for v in value]
    return value


def deserialize_compile_config(config: dict, custom_objects: dict | None = None) -> dict:
    """Keyword arguments for `model.compile(...)` from a `compile_config`."""
    from engine import losses, metrics, optimizers
    unknown = [k for k in config if k not in _KNOWN_KEYS]
    if unknown:
        raise ValueError(f"compile_config has argument(s) this engine does not know: {unknown}")

    def loss_leaf(item):
        return losses.deserialize(item, custom_objects=custom_objects)

    def metric_leaf(item):
        if "losses" in str(item.get("module", "")) and item["class_name"] != "function":
            return losses.deserialize(item, custom_objects=custom_objects)
        if item["class_name"] == "function":
            return metrics.deserialize_function(item, custom_objects=custom_objects)
        return metrics.deserialize(item, custom_objects=custom_objects)

    optimizer = config.get("optimizer", "rmsprop")
    if isinstance(optimizer, dict):
        optimizer = optimizers.deserialize(optimizer, custom_objects=custom_objects)
    kwargs = {"optimizer": optimizer,
              "loss": _deserialize_tree(config.get("loss"), loss_leaf),
              "loss_weights": config.get("loss_weights"),
              "metrics": _deserialize_tree(config.get("metrics"), metric_leaf),
              "weighted_metrics": _deserialize_tree(config.get("weighted_metrics"), metric_leaf)}
    for key in ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"):
        if key in config:
            kwargs[key] = config[key]
    return kwargs
