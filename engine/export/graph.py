"""The ONNX graph under construction: named values with Keras-style shapes, nodes, constant weights, and
the small tensor helpers (transpose, reshape, slice...) that every converter needs.

Shapes follow Keras: a tuple with `None` for unknown sizes (the batch axis, variable-length steps).
A `Transpose` of a `Transpose` that undoes it gives back the original value, so channels_last models
whose convolutions and poolings run in ONNX's channels_first layout keep no transposes between them.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1


@dataclass(frozen=True)
class Value:
    """A tensor of the graph: its ONNX name, its Keras-style shape and its NumPy dtype."""

    name: str
    shape: tuple
    dtype: np.dtype

    @property
    def rank(self) -> int:
        return len(self.shape)

    def axis(self, axis: int) -> int:
        """`axis` counted from 0 (a negative axis counts from the end, as in Keras)."""
        return axis % self.rank


def tensor_type(dtype) -> int:
    """The ONNX element type of a NumPy dtype."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def value_info(value: Value, batch_name: str = "batch", prefix: str | None = None) -> onnx.ValueInfoProto:
    """A graph input/output declaration: the batch axis is the symbolic `batch`, other unknown sizes are
    named after the tensor."""
    dims = []
    for i, d in enumerate(value.shape):
        if d is not None:
            dims.append(int(d))
        else:
            dims.append(batch_name if i == 0 else f"{prefix or value.name}_dim{i}")
    return helper.make_tensor_value_info(value.name, tensor_type(value.dtype), dims)


class GraphBuilder:
    """Collects nodes and initializers; names are unique and prefixed with the layer being converted."""

    def __init__(self, opset: int = 17):
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.declared: list[Value] = []  # types of values made by operators ONNX's checker has no schema for
        self._names: set[str] = set()
        self._scope: list[str] = []
        self._constants: dict[object, object] = {}  # shared constants and transposes, by key
        self._transposed: dict[str, tuple[Value, tuple[int, ...]]] = {}

    # -- names ------------------------------------------------------------------------------
    def reserve(self, name: str) -> str:
        """`name`, or `name_1`, `name_2`... if it is taken; the result is taken from now on."""
        candidate = name
        for i in itertools.count(1):
            if candidate not in self._names:
                break
            candidate = f"{name}_{i}"
        self._names.add(candidate)
        return candidate

    def fresh(self, hint: str) -> str:
        return self.reserve("/".join([*self._scope, hint]))

    @contextlib.contextmanager
    def scope(self, name: str):
        """Name what is created inside after `name` (the layer being converted)."""
        self._scope.append(name)
        try:
            yield
        finally:
            self._scope.pop()

    # -- nodes and constants ----------------------------------------------------------------
    def node(self, op_type: str, inputs, outputs: int | list[str] = 1, **attributes) -> list[str]:
        """Add a node; `inputs` are Values, names or "" (an omitted optional input). Returns output names."""
        names = [i.name if isinstance(i, Value) else i for i in inputs]
        if isinstance(outputs, int):
            outputs = [self.fresh(op_type) for _ in range(outputs)]
        attributes = {k: v for k, v in attributes.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, names, outputs, name=self.fresh(f"{op_type}_node"),
                                           **attributes))
        return outputs

    def op(self, op_type: str, inputs, shape, dtype=None, **attributes) -> Value:
        """A single-output node as a Value of `shape` (dtype: the first input's unless given)."""
        if dtype is None:
            dtype = next(i.dtype for i in inputs if isinstance(i, Value))
        (name,) = self.node(op_type, inputs, 1, **attributes)
        return Value(name, tuple(shape), np.dtype(dtype))

    def declare(self, value: Value) -> Value:
        """Record `value`'s type in the graph (shape inference needs it after an operator of another domain)."""
        self.declared.append(value)
        return value

    def const(self, array, hint: str = "const", key=None) -> str:
        """An initializer holding `array`; with a `key`, the same key gives the same initializer (shared
        layers keep one copy of their weights)."""
        if key is not None and key in self._constants:
            return self._constants[key]
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        if key is not None:
            self._constants[key] = name
        return name

    def ints(self, values) -> str:
        """An int64 1-D constant (shapes, axes, pads), shared by every node that needs the same one."""
        values = tuple(int(v) for v in values)
        return self.const(np.array(values, dtype=np.int64), "ints", key=("ints", values))

    def scalar(self, number: float, dtype) -> str:
        """A 0-D constant of `dtype`, shared."""
        dtype = np.dtype(dtype)
        return self.const(np.array(number, dtype=dtype), "scalar", key=("scalar", float(number), dtype.str))

    # -- tensor helpers ---------------------------------------------------------------------
    def transpose(self, x: Value, perm) -> Value:
        perm = tuple(int(p) for p in perm)
        if perm == tuple(range(x.rank)):
            return x
        if x.name in self._transposed:
            source, first = self._transposed[x.name]
            combined = tuple(first[p] for p in perm)
            if combined == tuple(range(source.rank)):
                return source
        key = ("transpose", x.name, perm)
        if key not in self._constants:  # one transpose of a value per permutation
            out = self.op("Transpose", [x], tuple(x.shape[p] for p in perm), perm=list(perm))
            self._transposed[out.name] = (x, perm)
            self._constants[key] = out
        return self._constants[key]

    def reshape(self, x: Value, target, shape) -> Value:
        """Reshape to `target` (ONNX rules: 0 copies the input's size, -1 is inferred)."""
        return self.op("Reshape", [x, self.ints(target)], shape)

    def unsqueeze(self, x: Value, axes) -> Value:
        axes = sorted(a % (x.rank + len(axes)) for a in axes)
        shape = list(x.shape)
        for a in axes:
            shape.insert(a, 1)
        return self.op("Unsqueeze", [x, self.ints(axes)], shape)

    def squeeze(self, x: Value, axes) -> Value:
        axes = sorted(x.axis(a) for a in axes)
        return self.op("Squeeze", [x, self.ints(axes)], [d for i, d in enumerate(x.shape) if i not in axes])

    def slice(self, x: Value, axis: int, start: int, stop: int | None, step: int = 1) -> Value:
        """`x[..., start:stop:step, ...]` along `axis` (stop None: to the end in the step's direction)."""
        axis = x.axis(axis)
        if stop is None:
            stop = INT64_MAX if step > 0 else INT64_MIN
        size = x.shape[axis]
        if size is not None:
            size = len(range(size)[slice(start, None if stop in (INT64_MAX, INT64_MIN) else stop, step)])
        shape = (*x.shape[:axis], size, *x.shape[axis + 1:])
        return self.op("Slice", [x, self.ints([start]), self.ints([stop]), self.ints([axis]), self.ints([step])],
                       shape)

    def reverse(self, x: Value, axis: int) -> Value:
        """`x` read backwards along `axis`."""
        return self.slice(x, axis, -1, None, -1)

    def cast(self, x: Value, dtype) -> Value:
        dtype = np.dtype(dtype)
        if x.dtype == dtype:
            return x
        return self.op("Cast", [x], x.shape, dtype, to=tensor_type(dtype))

    def binary(self, op_type: str, a: Value, b: Value | str, shape=None) -> Value:
        """An elementwise op of two tensors (b may be a constant's name); the shape is `a`'s unless given."""
        return self.op(op_type, [a, b], a.shape if shape is None else shape, a.dtype)

    def unary(self, op_type: str, x: Value, **attributes) -> Value:
        return self.op(op_type, [x], x.shape, **attributes)

    def reduce(self, op_type: str, x: Value, axes, keepdims: bool = False, opset: int | None = None) -> Value:
        """`op_type` (ReduceMean, ReduceMax...) over `axes`. Without keepdims, a reduction of a transposed
        tensor reads its source directly when the remaining axes keep their order (global pooling after
        a convolution then needs no transpose back to channels_last)."""
        axes = sorted({x.axis(a) for a in axes})
        shape = [1 if i in axes else d for i, d in enumerate(x.shape) if keepdims or i not in axes]
        if not keepdims and x.name in self._transposed:
            source, perm = self._transposed[x.name]
            kept = [perm[i] for i in range(x.rank) if i not in axes]
            if kept == sorted(kept):
                x, axes = source, sorted(perm[a] for a in axes)
        opset = self.opset if opset is None else opset
        if opset >= 18 or op_type == "ReduceSum":
            return self.op(op_type, [x, self.ints(axes)], shape, keepdims=int(keepdims))
        return self.op(op_type, [x], shape, axes=axes, keepdims=int(keepdims))
