"""Ops called on symbolic tensors build into the functional graph, as in Keras 3.

`ops.relu(layers.Dense(4)(inputs))` where `inputs = engine.Input(...)` returns a `KerasTensor`: the call is
recorded as a graph node (an `OperationNode`, named and configured as Keras's operation class, e.g.
`keras.src.ops.nn.Relu`), whose output shape and dtype come from running the op on sample values. When the
model runs, the node runs the very same op, so gradients flow through it; the model saves and loads such
nodes the way Keras writes them (the constructor arguments in the config, the tensors in the node).
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from engine.autodiff import Tensor, no_grad
from engine.ops.keras_operation_table import KERAS_OPERATIONS
from engine.symbolic import (
    KerasTensor,
    Node,
    deserialize_constant,
    flatten,
    map_structure,
    pack_like,
    serialize_constant,
)

_EAGER: dict[str, object] = {}  # op name -> the plain (eager) function
_CLASSES: dict[str, type] = {}  # Keras class name -> its OperationNode subclass


def _any_symbolic(values) -> bool:
    # on every op call: exact type tests, no allocation (KerasTensor has no subclasses)
    for value in values:
        kind = type(value)
        if kind is KerasTensor:
            return True
        if kind is list or kind is tuple:
            for item in value:
                if type(item) is KerasTensor:
                    return True
    return False


def _has_symbolic(args, kwargs) -> bool:
    return _any_symbolic(args) or (bool(kwargs) and _any_symbolic(kwargs.values()))


def symbolic_aware(name: str, fn):
    """`fn`, which on symbolic tensors records a graph node instead of computing."""
    _EAGER[name] = fn

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if _any_symbolic(args) or (kwargs and _any_symbolic(kwargs.values())):
            return symbolic_call(name, args, kwargs)
        return fn(*args, **kwargs)

    return op


def install(namespace: dict) -> None:
    """Make every op of `namespace` that Keras records as an operation work on symbolic tensors."""
    for name in KERAS_OPERATIONS:
        fn = namespace.get(name)
        if callable(fn) and not inspect.isclass(fn) and name not in _EAGER:
            namespace[name] = symbolic_aware(name, fn)
    _install_operators(namespace)


_OPERATORS = {  # KerasTensor's operators, as Keras's (no __eq__: tensors stay hashable by identity)
    "__add__": ("add", False), "__radd__": ("add", True), "__sub__": ("subtract", False),
    "__rsub__": ("subtract", True), "__mul__": ("multiply", False), "__rmul__": ("multiply", True),
    "__matmul__": ("matmul", False), "__rmatmul__": ("matmul", True), "__truediv__": ("true_divide", False),
    "__rtruediv__": ("true_divide", True), "__pow__": ("power", False), "__rpow__": ("power", True),
    "__floordiv__": ("floor_divide", False), "__rfloordiv__": ("floor_divide", True), "__mod__": ("mod", False),
    "__rmod__": ("mod", True), "__lt__": ("less", False), "__le__": ("less_equal", False),
    "__gt__": ("greater", False), "__ge__": ("greater_equal", False), "__ne__": ("not_equal", False),
    "__and__": ("logical_and", False), "__rand__": ("logical_and", True), "__or__": ("logical_or", False),
    "__ror__": ("logical_or", True), "__xor__": ("logical_xor", False), "__rxor__": ("logical_xor", True),
    "__getitem__": ("get_item", False),
}


def _install_operators(namespace: dict) -> None:
    def binary(op, swapped):
        return (lambda self, other: op(other, self)) if swapped else (lambda self, other: op(self, other))
    for method, (op_name, swapped) in _OPERATORS.items():
        setattr(KerasTensor, method, binary(namespace[op_name], swapped))
    KerasTensor.__neg__ = lambda self: namespace["negative"](self)
    KerasTensor.__abs__ = lambda self: namespace["absolute"](self)
    KerasTensor.__invert__ = lambda self: namespace["logical_not"](self)
    KerasTensor.__round__ = lambda self, ndigits=0: namespace["round"](self, ndigits)
    KerasTensor.__hash__ = object.__hash__
    KerasTensor.__iter__ = _no_iteration  # else __getitem__ would make it iterable without end


def _no_iteration(self):
    raise NotImplementedError(
        "Iterating over a symbolic KerasTensor is not supported (it has no values yet): index it, or use "
        "`ops.unstack`.")


def symbolic_call(name: str, args: tuple, kwargs: dict):
    """Record `ops.<name>(*args, **kwargs)` on symbolic tensors as an operation node and return its outputs."""
    fn = _EAGER[name]
    module, class_name, init_names, call_names = KERAS_OPERATIONS[name]
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as err:
        raise TypeError(f"ops.{name}: {err}") from err
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    config = {}
    for key in init_names:
        if key in arguments:
            value = arguments.pop(key)
            if any(isinstance(v, KerasTensor) for v in flatten(value)):
                raise ValueError(f"ops.{name}: argument `{key}` must be a constant (not a symbolic tensor) when "
                                 "the op is called on symbolic tensors, as in Keras.")
            config[key] = value
    node = operation_class(name, class_name, module)(**config)
    call_args, call_kwargs = [], {}
    parameters = inspect.signature(fn).parameters
    for key in call_names:
        if key not in arguments:
            continue
        value = arguments.pop(key)
        if parameters[key].kind is inspect.Parameter.VAR_POSITIONAL:
            call_args.extend(value)
        elif parameters[key].kind is inspect.Parameter.VAR_KEYWORD:
            call_kwargs.update(value)
        elif parameters[key].kind is inspect.Parameter.KEYWORD_ONLY:
            call_kwargs[key] = value
        else:
            call_args.append(value)
    for key, value in arguments.items():  # arguments the engine has and Keras's call lacks: passed by name
        if parameters[key].kind is inspect.Parameter.VAR_KEYWORD:
            call_kwargs.update(value)
        elif value is not parameters[key].default:
            call_kwargs[key] = value
    return node(*call_args, **call_kwargs)


def operation_class(op_name: str, class_name: str, module: str) -> type:
    """The graph-node class for one Keras operation (`Relu`, `Sum`, `TopK`...), made once."""
    cls = _CLASSES.get(class_name)
    if cls is None:
        cls = type(class_name, (_node_base(),), {"_keras_module": module, "_op_name": op_name,
                                                 "__doc__": f"`ops.{op_name}` as a graph node."})
        _CLASSES[class_name] = cls
    return cls


def class_for_keras_name(class_name: str) -> type | None:
    """The node class for a Keras operation class name read from a config (None if the engine has no such op)."""
    for op_name, (module, name, _, _) in KERAS_OPERATIONS.items():
        if name == class_name and op_name in _EAGER:
            return operation_class(op_name, name, module)
    return None


@functools.cache
def _node_base() -> type:
    from engine.saving.keras_operations import KerasOperation

    class OperationNode(KerasOperation):
        """A `keras.ops` function called on symbolic tensors: a weightless node of the functional graph."""

        _op_name = ""

        def __init__(self, name: str | None = None, **arguments):
            super().__init__(name=name)
            self.arguments = arguments
            self.autocast = False  # ops keep their inputs' dtypes, as Keras's do

        def __call__(self, *args, **kwargs):
            if _has_symbolic(args, kwargs) or any(
                    isinstance(v, KerasTensor) for v in flatten(list(args)) + flatten(kwargs)):
                return self._record(args, kwargs)
            return self.call(*args, **kwargs)

        def call(self, *args, **kwargs):
            fn = _EAGER[self._op_name]
            call_names = KERAS_OPERATIONS[self._op_name][3]
            parameters = inspect.signature(fn).parameters
            values = dict(self.arguments)
            rest = list(args)
            positional = []
            for key in call_names:
                if not rest:
                    break
                if parameters.get(key) is not None and parameters[key].kind is inspect.Parameter.VAR_POSITIONAL:
                    values[key] = tuple(rest)
                    rest = []
                else:
                    values[key] = rest.pop(0)
            values.update(kwargs)
            keywords: dict = {}
            by_name = False  # after a skipped parameter, the rest go by name
            for key, parameter in parameters.items():
                if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                    positional.extend(values.pop(key, ()))
                elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
                    keywords.update(values.pop(key, None) or {})
                elif key not in values:
                    by_name = True
                elif parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and not by_name:
                    positional.append(values.pop(key))
                else:
                    keywords[key] = values.pop(key)
            if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
                values = {}  # Keras-only arguments the engine's op does not take (e.g. sparse=False)
            keywords.update(values)  # anything left is the function's **kwargs
            return fn(*positional, **keywords)

        def _record(self, args, kwargs):
            outputs = self.compute_output_spec(*args, **kwargs)
            leaves = flatten(outputs)
            node = Node(self, args, kwargs, leaves)
            self._inbound_nodes.append(node)
            self.built = True
            for i, leaf in enumerate(leaves):
                leaf.keras_history = (self, len(self._inbound_nodes) - 1, i)
                leaf.name = self.name if len(leaves) == 1 else f"{self.name}_{i}"
            return outputs

        def compute_output_spec(self, *args, **kwargs):
            """Run the op twice on sample values (unknown dims as 2, then 3); dims that changed are None."""
            def run(fill: int):
                def sample(x):
                    if not isinstance(x, KerasTensor):
                        return x
                    return Tensor(_sample_value([fill if d is None else d for d in x.shape], x.dtype))
                with no_grad(), np.errstate(all="ignore"):
                    return self.call(*[map_structure(sample, a) for a in args],
                                     **{k: map_structure(sample, v) for k, v in kwargs.items()})
            try:
                first, second = run(2), run(3)
            except Exception as err:
                raise ValueError(f"ops.{self._op_name} cannot be applied to symbolic inputs "
                                 f"{[getattr(t, 'shape', t) for t in flatten(list(args))]}: {err}") from err
            specs = []
            for a, b in zip(flatten(first), flatten(second)):
                a_shape, b_shape = np.shape(_value(a)), np.shape(_value(b))
                shape = tuple(x if x == y else None for x, y in zip(a_shape, b_shape))
                specs.append(KerasTensor(shape, dtype=str(np.asarray(_value(a)).dtype)))
            return pack_like(first, specs) if isinstance(first, (list, tuple, dict)) else specs[0]

        def compute_output_shape(self, input_shape):
            raise NotImplementedError(f"ops.{self._op_name} infers its output from its inputs' values")

        def get_config(self) -> dict:
            return {"name": self.name, **serialize_constant(self.arguments)}

        @classmethod
        def from_config(cls, config: dict):
            return cls(**deserialize_constant(config))

    return OperationNode


def _value(x):
    return x.value if isinstance(x, Tensor) else x


def _sample_value(shape: list, dtype) -> np.ndarray:
    """Well-behaved sample values: positive floats (square matrices made diagonally dominant), zero indices."""
    kind = np.dtype(dtype).kind if dtype not in (None, "string") else "f"
    if kind == "b":
        return np.ones(shape, dtype=bool)
    if kind in "iu":
        return np.zeros(shape, dtype=dtype)
    rng = np.random.default_rng(0)
    values = rng.uniform(0.5, 1.0, size=shape).astype(dtype or "float32")
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        values = values + np.eye(shape[-1], dtype=values.dtype) * shape[-1]
    return values
