"""What a layer accepts: rank and fixed axis sizes, checked on every call with a clear message."""

from __future__ import annotations

import numpy as np

from engine.symbolic import flatten


class InputSpec:
    """Rank (`ndim`, `min_ndim`, `max_ndim`) and fixed sizes (`axes={-1: 4}`) an input must have."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.name = name
        self.optional = optional

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}


def check_input_spec(layer, inputs) -> None:
    """Raise a ValueError naming the layer, the expectation and the shape received."""
    specs = layer.input_spec
    if specs is None:
        return
    tensors = flatten(inputs)
    specs = specs if isinstance(specs, (list, tuple)) else [specs]
    if len(specs) > 1 and len(tensors) != len(specs):
        raise ValueError(
            f'Layer "{layer.name}" expects {len(specs)} input(s), but it received {len(tensors)} input tensors.')
    for index, (spec, x) in enumerate(zip(specs, tensors)):
        if spec is None:
            continue
        shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
        ndim = len(shape)
        where = f'Input {index} of layer "{layer.name}" is incompatible with the layer:'
        if spec.ndim is not None and ndim != spec.ndim:
            raise ValueError(f"{where} expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where} expected max_ndim={spec.max_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where} expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        for axis, value in spec.axes.items():
            if value is None or -ndim > axis or axis >= ndim:
                continue
            if shape[axis] not in (value, None):
                raise ValueError(f"{where} expected axis {axis} of input shape to have value {value}, "
                                 f"but received input with shape {shape}")
        if spec.shape is not None:
            for expected, got in zip(spec.shape, shape):
                if expected is not None and got is not None and expected != got:
                    raise ValueError(f"{where} expected shape={spec.shape}, found shape={shape}")
