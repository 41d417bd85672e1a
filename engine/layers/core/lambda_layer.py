"""`Lambda`: wraps a Python function as a layer.

Built in code it works like any layer. In a saved config a Python lambda is marshalled bytecode, as Keras
writes it: loading it runs code from the file, so it is refused unless safe mode is off (Keras's rule and
message); named functions are saved by their registered name instead.
"""

from __future__ import annotations

import base64
import inspect
import marshal
import types

from engine.layers.layer import Layer, map_shapes
from engine.saving.safe_mode import LAMBDA_REFUSED, in_safe_mode


class Lambda(Layer):
    """Applies `function(inputs, **arguments)` (a Python function or lambda written with `engine.ops`)."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda '{self.name}': `function` must be callable; received {function!r}")
        self.function = function
        self.arguments = arguments or {}
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) else output_shape
        parameters = inspect.signature(function).parameters
        self._fn_expects_training_arg = "training" in parameters
        self._fn_expects_mask_arg = "mask" in parameters
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape[0] if isinstance(input_shape, tuple) else input_shape[0][0]
        return map_shapes(lambda shape: (batch, *shape), self._output_shape)

    def compute_mask(self, inputs, previous_mask):
        return self.mask(inputs, previous_mask) if callable(self.mask) else self.mask

    def get_config(self) -> dict:
        config = {"function": _function_config(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_function_config(self._output_shape) if callable(self._output_shape)
                                      else self._output_shape)
        if self.mask is not None:
            config["mask"] = _function_config(self.mask) if callable(self.mask) else self.mask
        config["arguments"] = dict(self.arguments)
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None, safe_mode=None):
        config = dict(config)
        safe = in_safe_mode() if safe_mode is None else safe_mode is not False
        for key in ("function", "output_shape", "mask"):
            if key in config:
                config[key] = _function_from_config(config[key], safe, custom_objects)
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return super().from_config(config)


def _function_config(fn):
    """A lambda as Keras writes it (base64 of its marshalled code, defaults, closure); a named function by name."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
        closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": getattr(fn, "_registered_name", fn.__name__), "registered_name": "function"}


def _function_from_config(value, safe: bool, custom_objects):
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "__lambda__":
        if safe:
            raise ValueError(LAMBDA_REFUSED)
        inner = value["config"]
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))  # noqa: S302 - safe mode is off
        closure = None
        if inner.get("closure") is not None:
            closure = tuple(types.CellType(c) for c in inner["closure"])
        defaults = tuple(inner["defaults"]) if inner.get("defaults") is not None else None
        return types.FunctionType(code, _lambda_globals(), code.co_name, defaults, closure)
    if value.get("class_name") == "function":
        from engine.saving.serialization_lib import get_registered_object
        fn = get_registered_object(value.get("config"), custom_objects)
        if fn is None:
            raise ValueError(f"The Lambda's function '{value.get('config')}' is not registered: pass it in "
                             "`custom_objects` or decorate it with `@engine.saving.register_keras_serializable()`.")
        return fn
    return value


def _lambda_globals() -> dict:
    """What a loaded lambda sees as globals: the engine under Keras's usual names, and NumPy."""
    import numpy as np

    import engine
    return {"keras": engine, "ops": engine.ops, "np": np, "__builtins__": __builtins__}
