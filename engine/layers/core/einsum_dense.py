"""`EinsumDense`: a dense layer whose product is an einsum equation, e.g. "abc,cde->abde" (the projections
of `MultiHeadAttention`). Kernel and bias shapes follow Keras's analysis of the equation."""

from __future__ import annotations

import re

import numpy as np

from engine import activations, constraints, initializers, ops, regularizers
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer


class EinsumDense(Layer):
    """A dense layer over any axes: `activation(einsum(equation, inputs, kernel) + bias)`."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, gptq_unpacked_column_size=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if lora_rank:
            raise ValueError(f"EinsumDense '{self.name}': LoRA (lora_rank={lora_rank}) is not supported by this "
                             "engine")
        if quantization_config is not None:
            raise ValueError(f"EinsumDense '{self.name}': quantized layers are not supported by this engine")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel = self.bias = None
        _split_equation(equation)  # a malformed equation fails here, not at the first call

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(f"EinsumDense '{self.name}': the kernel shape {tuple(kernel_shape)} has unknown sizes "
                             f"for input_shape={tuple(input_shape)}; give them in `output_shape`")
        self.input_spec = InputSpec(ndim=len(input_shape))
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, initializers.VarianceScaling) and (
                kernel_initializer.input_axes is None or kernel_initializer.output_axes is None):
            # fans from the kernel's input and output axes, as Keras computes them for EinsumDense
            config = {**kernel_initializer.get_config(), "input_axes": input_axes, "output_axes": output_axes}
            kernel_initializer = type(kernel_initializer).from_config(config)
        self.kernel = self.add_weight(name="kernel", shape=tuple(kernel_shape), initializer=kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self._as_dense = _dense_form(self.equation, self.bias_axes, len(input_shape))
        self.built = True

    def call(self, inputs):
        if self._as_dense is not None:
            x = self._dense_call(inputs, *self._as_dense)
        else:
            x = ops.einsum(self.equation, inputs, self.kernel)
            if self.bias is not None:
                x = ops.add(x, self.bias)
        return self.activation(x)

    def _dense_call(self, inputs, free: int, bound: int):
        """The equation is a matmul of the input's trailing `bound` axes with the kernel's leading ones:
        one fused dense op on flattened views."""
        shape = inputs.shape
        kernel_shape = self.kernel.shape
        out_dims = kernel_shape[bound:]
        x = ops.reshape(inputs, (*shape[:free], int(np.prod(shape[free:]))))
        kernel = ops.reshape(self.kernel, (int(np.prod(kernel_shape[:bound])), int(np.prod(out_dims))))
        bias = None if self.bias is None else ops.reshape(self.bias, (-1,))
        return ops.reshape(ops.dense(x, kernel, bias), (*shape[:free], *out_dims))

    def compute_output_shape(self, input_shape):
        """Keras's full output shape, with the sizes left None in `output_shape` taken from the input."""
        shape = analyze_einsum(self.equation, self.bias_axes, input_shape, self.partial_output_shape)[2]
        input_spec, _, output_spec, where = _split_equation(self.equation)
        if where is None:
            sizes = dict(zip(input_spec, input_shape))
            shape = [sizes.get(d) if size is None and i else size for i, (d, size) in enumerate(zip(output_spec,
                                                                                                      shape))]
        return tuple(shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }


def _split_equation(equation: str) -> tuple[str, str, str, str | None]:
    """(input, kernel, output, where the ellipsis is: 'left', 'right' or None), as Keras accepts them."""
    text = re.sub(r"\.\.\.", "0", str(equation).replace(" ", ""))
    for pattern, elided in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", None),
                            ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", "left"),
                            ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", "right")):
        match = re.fullmatch(pattern, text)
        if match:
            return match.group(1), match.group(2), match.group(3), elided
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], "
                     "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def analyze_einsum(equation: str, bias_axes, input_shape, output_shape):
    """(kernel shape, bias shape or None, full output shape, the kernel's input axes, its output axes) as Keras's
    `_analyze_split_string` finds them."""
    input_spec, weight_spec, output_spec, where = _split_equation(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = [input_shape[0], *([output_shape] if isinstance(output_shape, int) else list(output_shape))]
    if elided > 0 and where == "left":
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        output_shape.extend(input_shape[len(input_shape) - elided:])
    if where == "left":
        input_map = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        output_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_map = {d: i for i, d in enumerate(input_spec)}
        output_map = {d: i for i, d in enumerate(output_spec)}
    if len(output_shape) != len(output_spec) + max(elided, 0):
        raise ValueError(f"Einsum equation '{equation}': the output spec '{output_spec}' has {len(output_spec)} "
                         f"axes but output_shape gives {len(output_shape) - 1} after the batch")
    for d in input_spec:
        if d in output_map:
            size = output_shape[output_map[d]]
            if size is not None and size != input_shape[input_map[d]]:
                raise ValueError(f"Input shape and output shape do not match at shared dimension '{d}'. Input shape "
                                 f"is {input_shape[input_map[d]]}, and output shape is {size}.")
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(f"Dimension '{d}' was specified in the output '{output_spec}' but has no "
                             f"corresponding dim in the input spec '{input_spec}' or weight spec '{weight_spec}'")
    weight_shape, input_axes, output_axes = [], [], []
    for i, d in enumerate(weight_spec):
        if d in output_map:
            weight_shape.append(output_shape[output_map[d]])
            output_axes.append(i)
        elif d in input_map:
            weight_shape.append(input_shape[input_map[d]])
            input_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{d}' did not have a match in either the input spec '{input_spec}' "
                             f"or the output spec '{output_spec}'. For this layer, the weight must be fully "
                             "specified.")
    bias_shape = None
    if bias_axes is not None:
        left = elided if where == "left" else 0
        sizes = {d: output_shape[i + left] for i, d in enumerate(output_spec)}
        for d in bias_axes:
            if d not in output_spec:
                raise ValueError(f"Bias dimension '{d}' was requested, but is not part of the output spec "
                                 f"'{output_spec}'")
        first = min(output_spec.find(d) for d in bias_axes)
        bias_shape = [sizes[d] if d in bias_axes else 1 for d in output_spec[first:]]
        if where != "left":
            bias_shape.extend([1] * max(elided, 0))
    return weight_shape, bias_shape, output_shape, input_axes, output_axes


def _dense_form(equation: str, bias_axes, rank: int) -> tuple[int, int] | None:
    """(free, bound) when `equation` contracts the input's last `bound` axes with the kernel's first ones and the
    output is the input's free axes then the kernel's other axes (with a bias on those, if any): a plain dense
    product on reshaped tensors. None otherwise."""
    input_spec, weight_spec, output_spec, where = _split_equation(equation)
    if where == "right" or (where is None and len(input_spec) != rank):
        return None
    bound = len(input_spec) - len(set(input_spec) & set(output_spec))
    free_spec, bound_spec = input_spec[:len(input_spec) - bound], input_spec[len(input_spec) - bound:]
    out_spec = weight_spec[bound:]
    if (bound < 1 or weight_spec[:bound] != bound_spec or output_spec != free_spec + out_spec
            or set(bound_spec) & set(output_spec)):
        return None
    if bias_axes is not None and bias_axes != out_spec:
        return None
    return rank - bound, bound
