"""Objects to and from Keras 3's config dicts. Only registered classes are built: nothing executes code
(except a `Lambda` layer's lambda when the caller turns safe mode off, see `safe_mode.py`).

A layer or model is written as `{"module", "class_name", "config", "registered_name", "build_config"}`
(models also get `compile_config`). Reading looks the class up by name, rejects Python code (`__lambda__`
functions), drops the few keys newer Keras versions add with a no-op value, and reports any other unknown
argument with the layer's name.
"""

from __future__ import annotations

import contextlib
import inspect
import threading

_CUSTOM_OBJECTS: dict[str, type] = {}
_scope = threading.local()

# Keys newer Keras versions write that change nothing when they have these values: drop them if the
# class does not take them. Any other value means a feature the engine does not have (an error).
_HARMLESS_LAYER_KEYS = {
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "synchronized": (False,),
    "optional": (False,),
}


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator making a custom class loadable by name (`"package>Name"` or plain `Name`)."""
    def decorate(cls):
        key = f"{package}>{name or cls.__name__}"
        _CUSTOM_OBJECTS[key] = cls
        _CUSTOM_OBJECTS[name or cls.__name__] = cls
        cls._registered_name = key
        return cls
    return decorate


def get_registered_name(obj) -> str:
    cls = obj if inspect.isclass(obj) else type(obj)
    return getattr(cls, "_registered_name", cls.__name__)


def get_registered_object(name: str, custom_objects: dict | None = None):
    """The class registered (or passed in `custom_objects`, or in an open `custom_object_scope`) under
    `name`, or None."""
    return (custom_objects or {}).get(name) or _scoped_objects().get(name) or _CUSTOM_OBJECTS.get(name)


def _scoped_objects() -> dict:
    merged: dict = {}
    for objects in getattr(_scope, "stack", []):
        merged.update(objects)
    return merged


@contextlib.contextmanager
def custom_object_scope(*dicts):
    """Within this block, deserializing finds the classes and functions of `dicts` by name (as Keras)."""
    stack = getattr(_scope, "stack", [])
    _scope.stack = [*stack, {k: v for d in dicts for k, v in (d or {}).items()}]
    try:
        yield
    finally:
        _scope.stack = stack


CustomObjectScope = custom_object_scope


def registered_and_scoped_objects() -> dict:
    """Every custom object findable by name now: the registered ones, then those of open scopes."""
    return {**_CUSTOM_OBJECTS, **_scoped_objects()}


def get_custom_objects() -> dict:
    """The registry `register_keras_serializable` fills (a live dict, as in Keras)."""
    return _CUSTOM_OBJECTS


def _module_and_registered_name(obj) -> tuple[str, str | None]:
    from engine.layers.layer import Layer
    from engine.models.functional import Functional
    from engine.models.sequential import Sequential
    cls = type(obj)
    if getattr(cls, "is_keras_operation", False):
        return cls._keras_module, cls.__name__
    private = cls.__dict__.get("_keras_private_module")
    if private is not None:  # a class Keras keeps private (FeatureSpace's TFDConcat): its module and name
        return private, cls.__name__
    custom = getattr(cls, "_registered_name", None)
    if custom is not None:
        return cls.__module__, custom
    if cls is Sequential:
        return "keras", None
    if cls is Functional:
        return "keras.src.models.functional", "Functional"
    if isinstance(obj, Layer) and cls.__module__.startswith("engine.") and cls in builtin_classes().values():
        return "keras.layers", None
    return cls.__module__, cls.__name__


def serialize_keras_object(obj) -> dict:
    """`{"module", "class_name", "config", "registered_name", "build_config"[, "compile_config"]}` as Keras."""
    if not _is_layer_or_model(obj):
        from engine.serialization import serialize_object
        return serialize_object(obj, _NON_LAYER_MODULES.get(_kind_of(obj), "keras"))
    module, registered = _module_and_registered_name(obj)
    config = {"module": module, "class_name": type(obj).__name__, "config": _serialize_nested(obj.get_config()),
              "registered_name": registered}
    build_config = obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if build_config is not None:
        config["build_config"] = build_config
    compile_config = obj.get_compile_config() if hasattr(obj, "get_compile_config") else None
    if compile_config is not None:
        config["compile_config"] = compile_config
    return config


_NON_LAYER_MODULES = {"optimizer": "keras.optimizers", "loss": "keras.losses", "metric": "keras.metrics",
                      "initializer": "keras.initializers", "regularizer": "keras.regularizers",
                      "constraint": "keras.constraints"}


def _is_layer_or_model(obj) -> bool:
    from engine.layers.layer import Layer
    return isinstance(obj, Layer)


def _kind_of(obj) -> str | None:
    from engine import constraints, initializers, losses, metrics, optimizers, regularizers
    for kind, base in (("optimizer", optimizers.Optimizer), ("loss", losses.Loss), ("metric", metrics.Metric),
                       ("initializer", initializers.Initializer), ("regularizer", regularizers.Regularizer),
                       ("constraint", constraints.Constraint)):
        if isinstance(obj, base):
            return kind
    return None


def _serialize_nested(value):
    """A layer's config with the objects it holds (a wrapped layer, a function...) written as configs, as
    Keras's `serialize_dict` does, so a custom layer may return its inner layers from `get_config`."""
    if isinstance(value, dict):
        return {k: _serialize_nested(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_serialize_nested(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if _is_layer_or_model(value) or _kind_of(value) is not None or inspect.isfunction(value):
        return serialize_keras_object(value)
    return value


def _deserialize_non_layer(config: dict, custom_objects: dict | None):
    """An optimizer, loss, metric, initializer, regularizer, constraint or function from its config, found
    by the config's module (`keras.optimizers`...) or, failing that, by trying each kind."""
    from engine import activations, constraints, initializers, losses, metrics, optimizers, regularizers
    from engine.serialization import deserialize_object
    readers = {
        "optimizers": lambda c: optimizers.deserialize(c, custom_objects),
        "losses": lambda c: losses.deserialize(c, custom_objects),
        "metrics": lambda c: metrics.deserialize_function(c, custom_objects),
        "initializers": lambda c: deserialize_object(c, initializers.REGISTRY, "initializer", custom_objects),
        "regularizers": lambda c: deserialize_object(c, regularizers.REGISTRY, "regularizer",
                                                     custom_objects),
        "constraints": lambda c: deserialize_object(c, constraints.REGISTRY, "constraint", custom_objects),
        "activations": lambda c: deserialize_object(c, activations.REGISTRY, "activation function", custom_objects),
    }
    module = str(config.get("module", ""))
    named = [kind for kind in readers if module.endswith(kind) or f".{kind}." in module]
    for kind in named + [k for k in readers if k not in named]:
        try:
            return readers[kind](config)
        except (ValueError, TypeError, KeyError):
            continue
    return None


def builtin_classes() -> dict[str, type]:
    """The classes a config may name: every engine layer and model."""
    from engine import layers, models
    from engine.layers.layer import Layer
    classes = {name: obj for name in dir(layers)
               if inspect.isclass(obj := getattr(layers, name)) and issubclass(obj, Layer)}
    classes.update({"Sequential": models.Sequential, "Functional": models.Functional, "Model": models.Model})
    from engine.layers.preprocessing.feature_space import TFDConcat, TFDIdentity
    classes.update({"TFDConcat": TFDConcat, "TFDIdentity": TFDIdentity})  # Keras's private FeatureSpace layers
    return classes


def _describe(config: dict) -> str:
    inner = config.get("config")
    name = inner.get("name") if isinstance(inner, dict) else None
    return f"layer '{name}' ({config.get('class_name')})" if name else f"class '{config.get('class_name')}'"


def _is_layer_config(value) -> bool:
    """A nested layer config (a Bidirectional's layer, an RNN's cell): checked when it is deserialized."""
    return isinstance(value, dict) and value.get("module") == "keras.layers" and "class_name" in value


def _reject_code(value, where: str) -> None:
    """Refuse Python code in a layer's config (lambdas are stored as marshalled bytecode)."""
    if isinstance(value, dict):
        if value.get("class_name") == "__lambda__":
            raise ValueError(f"The config of {where} contains a Python lambda. Loading never executes code from "
                             "a file, so lambdas are not supported; replace it with a named built-in or a "
                             "registered function.")
        for item in value.values():
            if not _is_layer_config(item):
                _reject_code(item, where)
    elif isinstance(value, list):
        for item in value:
            if not _is_layer_config(item):
                _reject_code(item, where)


def _init_parameters(cls) -> set[str] | None:
    """Argument names `cls(...)` accepts, following `**kwargs` up to `Layer.__init__`; None if unknowable."""
    from engine.layers.layer import Layer
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters
        names.update(p for p, v in parameters.items() if v.kind in kinds)
        if klass is Layer:
            return names | {"input_dim", "input_shape", "batch_input_shape"}
        if not any(v.kind == inspect.Parameter.VAR_KEYWORD for v in parameters.values()):
            return names
    return None


def _checked_layer_config(cls, config: dict) -> tuple[dict, list[str]]:
    """The inner config without harmless new keys, and the keys `cls.__init__` does not name.

    A class may still take such a key through `**kwargs` (e.g. a deprecated argument it pops), so they
    are passed on; if building then fails, the error names them.
    """
    from engine.models.model import Model
    inner = dict(config.get("config") or {})
    if issubclass(cls, Model):  # a model's layers are checked one by one as they are built
        return inner, []
    accepted = _init_parameters(cls)
    if accepted is None:
        return inner, []
    for key in [k for k in inner if k not in accepted]:
        if key in _HARMLESS_LAYER_KEYS and inner[key] in _HARMLESS_LAYER_KEYS[key]:
            del inner[key]
    return inner, [k for k in inner if k not in accepted]


def _without_null_masks(layer_config):
    """Keras records `mask=None` in the calls of nested models; the engine's models take no `mask`."""
    if not isinstance(layer_config, dict) or not isinstance(layer_config.get("inbound_nodes"), list):
        return layer_config
    nodes = []
    for node in layer_config["inbound_nodes"]:
        kwargs = node.get("kwargs") if isinstance(node, dict) else None
        if isinstance(kwargs, dict) and "mask" in kwargs and kwargs["mask"] is None:
            node = {**node, "kwargs": {k: v for k, v in kwargs.items() if k != "mask"}}
        nodes.append(node)
    return {**layer_config, "inbound_nodes": nodes}


def deserialize_keras_object(config: dict, custom_objects: dict | None = None):
    """Build the object a config describes, build its weights from `build_config`, compile from
    `compile_config`."""
    from engine.models.model import Model
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Not a Keras object config (expected a dict with 'class_name'): {config!r:.200}")
    class_name = config["class_name"]
    where = _describe(config)
    registered = config.get("registered_name")
    custom = {**_CUSTOM_OBJECTS, **_scoped_objects(), **(custom_objects or {})}
    if str(config.get("module", "")).startswith("keras.src.ops."):
        from engine.ops.symbolic_calls import class_for_keras_name
        from engine.saving.keras_operations import OPERATIONS
        cls = custom.get(registered) or class_for_keras_name(class_name) or OPERATIONS.get(class_name)
        if cls is None:
            raise ValueError(f"The model uses the Keras operation '{class_name}' ({config.get('module')}) as a "
                             f"graph node ({where}); engine.ops has no such operation.")
    else:
        cls = custom.get(registered) or custom.get(class_name) or builtin_classes().get(class_name)
    if cls is None and class_name != "Lambda":
        found = _deserialize_non_layer(config, {**_scoped_objects(), **(custom_objects or {})})
        if found is not None:
            return found
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{class_name}' ({where}). If it is a custom layer, pass it in `custom_objects` "
            "or decorate it with `@engine.saving.register_keras_serializable()`.")
    if not issubclass(cls, Model) and class_name != "Lambda":  # Lambda refuses lambdas itself, in safe mode
        _reject_code(config.get("config"), where)
    inner, unnamed = _checked_layer_config(cls, config)
    if isinstance(inner.get("layers"), list):
        inner["layers"] = [_without_null_masks(layer) for layer in inner["layers"]]
    try:
        if hasattr(cls, "from_config"):
            if "custom_objects" in inspect.signature(cls.from_config).parameters:
                obj = cls.from_config(inner, custom_objects=custom_objects)
            else:
                obj = cls.from_config(inner)
        else:
            obj = cls(**inner)
    except (TypeError, ValueError) as err:
        if unnamed:
            listed = ", ".join(f"'{k}'={inner[k]!r:.60}" for k in unnamed)
            raise ValueError(f"The config of {where} has argument(s) this engine does not know: {listed}. The "
                             "file may come from a newer Keras version, or use a feature the engine does not "
                             f"have. ({err})") from err
        if inner.get("name") and f"'{inner['name']}'" in str(err):
            raise  # the message already names the layer (e.g. a nested layer's own error)
        raise ValueError(f"Could not create {where} from its config: {err}") from err
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config") and not getattr(obj, "built", False):
        obj.build_from_config(build_config)
    compile_config = config.get("compile_config")
    if compile_config and hasattr(obj, "compile_from_config"):
        try:
            obj.compile_from_config(compile_config, custom_objects=custom_objects)
        except (TypeError, ValueError) as err:
            raise ValueError(f"Cannot compile {where} from its compile_config: {err} (load it with compile=False "
                             "to skip compiling).") from err
    return obj
