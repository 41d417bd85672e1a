"""The `Layer` base class: configuration in `__init__`, weights in `build`, computation in `call`.

`__call__` builds the layer on the first input it sees (the shape comes from that input), checks the
input against the layer's `input_spec`, then calls. On symbolic inputs (`engine.Input`) it computes
no values: it infers output shapes and records the call for the functional API.
"""

from __future__ import annotations

import inspect
import threading
import warnings

import numpy as np

from engine import backend, constraints, initializers, regularizers
from engine.autodiff import Tensor, no_grad
from engine.layers.input_spec import InputSpec, check_input_spec
from engine.symbolic import KerasTensor, Node, any_symbolic, flatten, map_structure, pack_like
from engine.variables import Variable

_context = threading.local()


def is_shape(value) -> bool:
    """True for one shape such as (None, 3); False for a list of shapes."""
    return isinstance(value, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


def shape_of(structure):
    """The shape (or nested shapes) of tensors, arrays or KerasTensors."""
    def one(x):
        return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))
    if isinstance(structure, (list, tuple)) and not is_shape(structure):
        return [shape_of(s) for s in structure]
    if isinstance(structure, dict):
        return {k: shape_of(v) for k, v in structure.items()}
    return one(structure)


class Layer:
    """Base class of every layer; subclass it and override `build` and `call`."""

    def __init__(self, *, activity_regularizer=None, trainable: bool = True, dtype=None, autocast: bool = True,
                 name: str | None = None, **kwargs):
        input_dim = kwargs.pop("input_dim", None)
        input_shape = (input_dim,) if input_dim is not None else kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if input_shape is None and batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        if input_shape is not None:
            warnings.warn(
                "Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential models, "
                "prefer using an `Input(shape)` object as the first layer in the model instead.", stacklevel=2)
            self._input_shape_arg = tuple(input_shape)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if not isinstance(trainable, bool):
            raise ValueError(f"Expected `trainable` to be a boolean. Received: trainable={trainable!r}")
        self._trainable_variables: list[Variable] = []
        self._non_trainable_variables: list[Variable] = []
        self._layers: list[Layer] = []
        self._losses: list = []
        self._inbound_nodes: list[Node] = []
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self._trainable = trainable
        self.built = False
        self.autocast = autocast
        self.dtype = _dtype_name(dtype)
        self.input_spec: InputSpec | list | None = None
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._build_shapes = None
        parameters = inspect.signature(self.call).parameters
        self._call_has_training_arg = "training" in parameters
        self._call_has_mask_arg = "mask" in parameters
        self.supports_masking = False

    # -- tracking -------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if not name.startswith("__") and "_layers" in self.__dict__:
            if isinstance(value, Layer) and value is not self:
                if not any(value is layer for layer in self._layers):
                    self._layers.append(value)
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
                for v in value:
                    if not any(v is layer for layer in self._layers):
                        self._layers.append(v)
            elif isinstance(value, Variable):
                self._track_variable(value)
        object.__setattr__(self, name, value)

    def _track_variable(self, variable: Variable) -> None:
        if any(variable is v for v in self._trainable_variables + self._non_trainable_variables):
            return
        pool = self._trainable_variables if variable.trainable else self._non_trainable_variables
        pool.append(variable)
        if not getattr(self, "_trainable", True):
            variable.trainable = False  # a frozen layer's new weights are frozen too, as in Keras

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for variable in self._trainable_variables:
            variable.trainable = self._trainable
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self) -> list[Variable]:
        """Own weights (trainable first, in creation order), then sublayers' weights."""
        out, seen = [], set()
        for w in self._trainable_variables + self._non_trainable_variables:
            if id(w) not in seen:
                out.append(w)
                seen.add(id(w))
        for layer in self._layers:
            for w in layer.weights:
                if id(w) not in seen:
                    out.append(w)
                    seen.add(id(w))
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    non_trainable_variables = non_trainable_weights

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_weights(self) -> list[np.ndarray]:
        return [w.value.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Set all weights at once; count and shapes are checked before anything changes."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of length "
                f"{len(weights)}, but the layer was expecting {len(own)} weights.")
        arrays = [np.asarray(w) for w in weights]
        for variable, value in zip(own, arrays):
            if variable.shape != value.shape:
                raise ValueError(
                    f"Layer {self.name} weight shape {variable.shape} is not compatible with provided "
                    f"weight shape {value.shape} (weight '{variable.path}').")
        for variable, value in zip(own, arrays):
            variable.assign(value)

    def save_own_variables(self, store) -> None:
        """Write this layer's own variables (not its sublayers') as `store["0"]`, `store["1"]`..., as Keras."""
        for i, variable in enumerate(self._trainable_variables + self._non_trainable_variables):
            store[str(i)] = variable.value

    def load_own_variables(self, store) -> None:
        """Read what `save_own_variables` wrote; counts and shapes are checked before anything changes."""
        own = self._trainable_variables + self._non_trainable_variables
        if len(store.keys()) != len(own):
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received {len(store.keys())} "
                             f"variables during loading. Expected: {[v.name for v in own]}")
        values = [store[str(i)] for i in range(len(own))]
        for i, (variable, value) in enumerate(zip(own, values)):
            if tuple(variable.shape) != tuple(np.shape(value)):
                raise ValueError(f"Layer '{self.name}': weight '{variable.name}' (vars/{i}) has shape "
                                 f"{tuple(variable.shape)}, but the saved value has shape {tuple(np.shape(value))}")
        for variable, value in zip(own, values):
            variable.assign(value)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                "You can build it manually via: `layer.build(input_shape)`.")
        return int(sum(w.size for w in self.weights))

    # -- weights --------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable: bool = True, autocast: bool = True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False,
                   name: str | None = None) -> Variable:
        """Create a weight, track it, and return it."""
        shape = () if shape is None else backend.standardize_shape(shape)
        dtype = _dtype_name(dtype) if dtype is not None else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        init = initializers.get(initializer)
        name = name or "variable"
        variable = Variable(init, shape=shape, dtype=dtype, trainable=trainable, name=name)
        variable.path = f"{self.name}/{name}"
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        self._track_variable(variable)
        return variable

    def add_loss(self, loss) -> None:
        """Add a scalar loss (e.g. an activity penalty) to what the model minimizes."""
        self._losses.append(loss)

    @property
    def losses(self) -> list:
        """`add_loss` losses of the last call and the weight-regularization penalties."""
        losses = list(self._losses)
        for layer in self._flat_layers():
            losses.extend(layer._losses)
        for w in self.trainable_weights:
            if w.regularizer is not None:
                losses.append(w.regularizer(w))
        return losses

    def _clear_losses(self) -> None:
        self._losses = []
        for layer in self._layers:
            layer._clear_losses()

    def _flat_layers(self) -> list[Layer]:
        out = []
        for layer in self._layers:
            out.append(layer)
            out.extend(layer._flat_layers())
        return out

    # -- the protocol -----------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of `input_shape`. Layers without weights need not override it."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` method implemented.")

    def compute_output_shape(self, input_shape):
        """Output shape for `input_shape`; by default found by running `call` on small zero inputs."""
        return _probe_output_shape(self, input_shape)

    def compute_output_spec(self, inputs):
        shapes = _as_shape_structure(self.compute_output_shape(shape_of(inputs)))
        return map_shapes(lambda s: KerasTensor(s, dtype=self._output_dtype(inputs)), shapes)

    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype_policy_config(self.dtype)}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name", backend.floatx())
        return cls(**config)

    def get_build_config(self) -> dict | None:
        if self._build_shapes is None:
            return None
        return {"input_shape": _jsonable_shape(self._build_shapes)}

    def build_from_config(self, config: dict) -> None:
        if config and not self.built:
            shape = _as_shape_structure(config["input_shape"])
            self._build(shape)

    # -- calling --------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not args:
            raise ValueError(f"Layer '{self.name}' was called without inputs.")
        inputs = args[0]
        if any_symbolic(args) or any_symbolic(kwargs):
            return self._symbolic_call(args, kwargs)
        inputs = self._convert_inputs(inputs)
        if not self.built:
            self._build(shape_of(inputs))
        check_input_spec(self, inputs)
        training = kwargs.pop("training", None)
        outer = getattr(_context, "training", None)
        if training is None:
            training = outer
        if self._call_has_training_arg and training is not None:
            kwargs["training"] = training
        previous_mask = map_structure(lambda x: getattr(x, "_keras_mask", None), inputs)
        has_mask = any(m is not None for m in flatten(previous_mask))
        if has_mask and self._call_has_mask_arg and kwargs.get("mask") is None:
            kwargs["mask"] = previous_mask
        self._losses = []
        _context.training = training
        try:
            outputs = self.call(inputs, *args[1:], **kwargs)
        finally:
            _context.training = outer
        if self.supports_masking:
            self._set_output_masks(inputs, outputs, previous_mask)
        elif has_mask:
            warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a mask "
                          "attached to it. However, this layer does not support masking and will therefore "
                          "destroy the mask information. Downstream layers will not see the mask.", stacklevel=2)
        if self.activity_regularizer is not None:
            for out in flatten(outputs):
                self.add_loss(self.activity_regularizer(out) / out.shape[0])
        return outputs

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs (by default the inputs' mask, passed through)."""
        return previous_mask

    def _set_output_masks(self, inputs, outputs, previous_mask) -> None:
        leaves = [t for t in flatten(outputs) if isinstance(t, Tensor)]
        if not leaves or all(t._keras_mask is not None for t in leaves):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for tensor, mask in zip(leaves, flatten(masks) if isinstance(masks, (list, tuple)) else [masks]):
            if tensor._keras_mask is None and mask is not None:
                tensor._keras_mask = np.asarray(getattr(mask, "value", mask))

    def _convert_inputs(self, inputs):
        def convert(x):
            if isinstance(x, Tensor):
                if self.autocast and x.dtype.kind == "f" and x.dtype != self.dtype:
                    from engine import ops
                    return ops.cast(x, self.dtype)
                return x
            if x is None or isinstance(x, (bool, str)):
                return x
            arr = np.asarray(x)
            if arr.dtype.kind == "f" and self.autocast and arr.dtype != self.dtype:
                arr = arr.astype(self.dtype)
            return Tensor(arr)
        return map_structure(convert, inputs)

    def _build(self, input_shape) -> None:
        if not self.built:
            self._build_shapes = input_shape
            try:
                self.build(input_shape)
            except TypeError as err:
                raise TypeError(f"Layer '{self.name}' could not be built for input shape {input_shape}: {err}") \
                    from err
            self.built = True

    def _symbolic_call(self, args, kwargs):
        inputs = args[0]
        shapes = shape_of(inputs)
        if not self.built:
            self._build(shapes)
        check_input_spec(self, inputs)
        more_tensors = any_symbolic(args[1:]) or any_symbolic({k: v for k, v in kwargs.items() if k != "training"})
        try:
            if type(self).compute_output_spec is not Layer.compute_output_spec:
                # a layer that defines its own spec gets every call argument, as in Keras
                call_kwargs = {k: v for k, v in kwargs.items() if k != "training"}
                outputs = self.compute_output_spec(*args, **call_kwargs)
            else:
                if more_tensors and type(self).compute_output_shape is Layer.compute_output_shape:
                    out_shapes = _probe_call_shapes(self, args, kwargs)  # e.g. `Endpoint()(targets, logits)`
                else:
                    out_shapes = self.compute_output_shape(shapes)
                dtype = self._output_dtype(inputs)
                outputs = map_shapes(lambda s: KerasTensor(s, dtype=dtype), _as_shape_structure(out_shapes))
        except ValueError as err:
            if f"'{self.name}'" in str(err) or f'"{self.name}"' in str(err):
                raise
            raise ValueError(f"{type(self).__name__} '{self.name}': {err}") from err
        leaves = flatten(outputs)
        node = Node(self, args, {k: v for k, v in kwargs.items() if k != "training"}, leaves)
        self._inbound_nodes.append(node)
        for i, leaf in enumerate(leaves):
            leaf.keras_history = (self, len(self._inbound_nodes) - 1, i)
            leaf.name = self.name if len(leaves) == 1 else f"{self.name}_{i}"
        return outputs

    def _output_dtype(self, inputs) -> str:
        return self.dtype

    @property
    def input(self):
        """The symbolic input of the layer's first call."""
        return self._node_attr("input_tensors")

    @property
    def output(self):
        return self._node_attr("outputs")

    def _node_attr(self, attr: str):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called on a symbolic input.")
        values = getattr(self._inbound_nodes[0], attr)
        return values[0] if len(values) == 1 else values

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def dtype_policy_config(dtype: str) -> dict:
    """The dtype as Keras 3 writes it in a layer config."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype}, "registered_name": None}


def _dtype_name(dtype) -> str:
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, dict):
        return dtype.get("config", {}).get("name", backend.floatx())
    if dtype in ("string", "str", str, bytes) or (not isinstance(dtype, str) and np.dtype(dtype).kind in "USO"):
        return "string"  # Keras's name for text inputs (NumPy unicode, bytes or object arrays)
    return str(np.dtype(dtype))


def map_shapes(fn, structure):
    """Apply fn to each shape in a shape, a list of shapes or a dict of shapes."""
    if is_shape(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: map_shapes(fn, v) for k, v in structure.items()}
    return type(structure)(map_shapes(fn, v) for v in structure)


def _as_shape_structure(value):
    """JSON lists back to shape tuples: [None, 3] -> (None, 3); [[None, 3], [None, 4]] -> list of tuples."""
    if isinstance(value, (list, tuple)):
        if all(d is None or isinstance(d, (int, np.integer)) for d in value):
            return tuple(None if d is None else int(d) for d in value)
        return [_as_shape_structure(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_shape_structure(v) for k, v in value.items()}
    return value


def _jsonable_shape(value):
    if is_shape(value):
        return list(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable_shape(v) for k, v in value.items()}
    return value


def _probe_output_shape(layer: Layer, input_shape):
    """Run `call` on zeros twice (unknown dims as 2, then 3) and mark the dims that changed as None."""
    def run(fill: int):
        def zeros(shape):
            return Tensor(np.zeros([fill if d is None else d for d in shape], dtype=layer.dtype))
        structure = _as_shape_structure(input_shape)
        inputs = zeros(structure) if is_shape(structure) else pack_like(
            structure, [zeros(s) for s in _leaf_shapes(structure)])
        with no_grad():
            kwargs = {"training": False} if layer._call_has_training_arg else {}
            out = layer.call(inputs, **kwargs)
        return out

    return _merged_shapes(run(2), run(3))


def _probe_call_shapes(layer: Layer, args, kwargs):
    """Output shapes of a call with several tensor arguments: `call` on zeros in place of each symbolic
    tensor (unknown dims as 2, then 3), the dims that changed marked None."""
    def run(fill: int):
        def zeros(x):
            if not isinstance(x, KerasTensor):
                return x
            return Tensor(np.zeros([fill if d is None else d for d in x.shape], dtype=x.dtype or layer.dtype))
        call_args = [map_structure(zeros, a) for a in args]
        call_kwargs = {k: map_structure(zeros, v) for k, v in kwargs.items() if k != "training"}
        if layer._call_has_training_arg:
            call_kwargs["training"] = False
        with no_grad():
            out = layer.call(*call_args, **call_kwargs)
        layer._losses = []  # a loss added while probing shapes is not a real one
        return out

    return _merged_shapes(run(2), run(3))


def _merged_shapes(first, second):
    def merge(a, b):
        return tuple(x if x == y else None for x, y in zip(np.shape(a), np.shape(b)))

    firsts, seconds = flatten(first), flatten(second)
    shapes = [merge(a, b) for a, b in zip(firsts, seconds)]
    if len(shapes) == 1 and not isinstance(first, (list, tuple, dict)):
        return shapes[0]
    return pack_like(first, shapes)


def _leaf_shapes(structure) -> list:
    if is_shape(structure):
        return [structure]
    if isinstance(structure, dict):
        return [s for v in structure.values() for s in _leaf_shapes(v)]
    return [s for v in structure for s in _leaf_shapes(v)]
