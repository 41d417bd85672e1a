"""Converters of the normalization layers: BatchNormalization (inference: the moving statistics folded
into one scale and one shift), LayerNormalization (ONNX's LayerNormalization over trailing axes, else
the same arithmetic as reductions), Normalization (the adapted or given mean and variance),
GroupNormalization and UnitNormalization (reductions)."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.export.graph import GraphBuilder, Value
from engine.export.registry import converts, unsupported
from engine.layers import BatchNormalization, GroupNormalization, LayerNormalization, Normalization, UnitNormalization


def _along(array: np.ndarray, axes: list[int], rank: int) -> np.ndarray:
    """`array` (sized like the `axes` of a rank-`rank` tensor) reshaped to broadcast against that tensor."""
    shape = [1] * rank
    for axis, size in zip(axes, np.shape(array)):
        shape[axis] = size
    return np.asarray(array).reshape(shape)


@converts(BatchNormalization)
def batch_normalization(graph: GraphBuilder, layer: BatchNormalization, x: Value, mask=None) -> Value:
    """`(x - moving_mean) * gamma / sqrt(moving_variance + epsilon) + beta`, computed as the engine does."""
    dtype = x.dtype
    axis = x.axis(layer.axis)
    variance = layer.moving_variance.value.astype(dtype)
    factor = (1.0 / np.sqrt(variance + dtype.type(layer.epsilon))).astype(dtype)
    if layer.gamma is not None:
        factor = factor * layer.gamma.value.astype(dtype)
    mean = graph.const(_along(layer.moving_mean.value.astype(dtype), [axis], x.rank), "moving_mean")
    y = graph.binary("Mul", graph.binary("Sub", x, mean), graph.const(_along(factor, [axis], x.rank), "factor"))
    if layer.beta is not None:
        y = graph.binary("Add", y, graph.const(_along(layer.beta.value.astype(dtype), [axis], x.rank), "beta"))
    return y


@converts(LayerNormalization)
def layer_normalization(graph: GraphBuilder, layer: LayerNormalization, x: Value) -> Value:
    axes = sorted(x.axis(a) for a in (layer.axis if isinstance(layer.axis, list) else [layer.axis]))
    dtype = x.dtype
    normalized_shape = tuple(x.shape[a] for a in axes)
    gamma = None if layer.gamma is None else layer.gamma.value.astype(dtype).reshape(normalized_shape)
    beta = None if layer.beta is None or layer.rms_scaling else layer.beta.value.astype(dtype).reshape(
        normalized_shape)
    if axes == list(range(axes[0], x.rank)) and not layer.rms_scaling:
        scale = gamma if gamma is not None else np.ones(normalized_shape, dtype=dtype)
        inputs = [x, graph.const(scale, "gamma")]
        if beta is not None:
            inputs.append(graph.const(beta, "beta"))
        return graph.op("LayerNormalization", inputs, x.shape, axis=axes[0], epsilon=float(layer.epsilon))
    # the same arithmetic as reductions (normalized axes not trailing, or Keras's rms_scaling)
    mean = graph.reduce("ReduceMean", x, axes, keepdims=True)
    centered = graph.binary("Sub", x, mean)
    variance = graph.reduce("ReduceMean", graph.binary("Mul", centered, centered), axes, keepdims=True)
    deviation = graph.unary("Sqrt", graph.binary("Add", variance, graph.scalar(layer.epsilon, dtype)))
    y = graph.binary("Div", x if layer.rms_scaling else centered, deviation, shape=x.shape)
    if gamma is not None:
        y = graph.binary("Mul", y, graph.const(_along(gamma, axes, x.rank), "gamma"))
    if beta is not None:
        y = graph.binary("Add", y, graph.const(_along(beta, axes, x.rank), "beta"))
    return y


@converts(Normalization)
def normalization(graph: GraphBuilder, layer: Normalization, x: Value) -> Value:
    """`(x - mean) / max(sqrt(variance), epsilon)`, or `mean + x * max(...)` with `invert=True`."""
    dtype = x.dtype
    mean = np.asarray(layer.mean.value, dtype=dtype)
    scale = np.maximum(np.sqrt(np.asarray(layer.variance.value, dtype=dtype)), dtype.type(backend.epsilon()))
    if layer.invert:
        return graph.binary("Add", graph.binary("Mul", x, graph.const(scale, "scale")), graph.const(mean, "mean"))
    return graph.binary("Div", graph.binary("Sub", x, graph.const(mean, "mean")), graph.const(scale, "scale"))


@converts(GroupNormalization)
def group_normalization(graph: GraphBuilder, layer: GroupNormalization, x: Value) -> Value:
    """Channels split into groups (a reshape), each normalized over its channels and positions, then gamma and
    beta per channel."""
    axis = x.axis(layer.axis)
    dim, groups = x.shape[axis], layer.groups
    if any(d is None for d in x.shape[1:]):
        raise unsupported(layer, "the input needs known sizes (but the batch) to be exported.")
    grouped_shape = (*x.shape[:axis], groups, dim // groups, *x.shape[axis + 1:])
    grouped = graph.reshape(x, [-1, *grouped_shape[1:]], grouped_shape)
    reduce = [i for i in range(1, x.rank + 1) if i != axis]
    mean = graph.reduce("ReduceMean", grouped, reduce, keepdims=True)
    centered = graph.binary("Sub", grouped, mean)
    variance = graph.reduce("ReduceMean", graph.binary("Mul", centered, centered), reduce, keepdims=True)
    y = graph.binary("Div", centered, graph.unary("Sqrt", graph.binary("Add", variance,
                                                                       graph.scalar(layer.epsilon, x.dtype))))
    y = graph.reshape(y, [-1, *x.shape[1:]], x.shape)
    if layer.gamma is not None:
        y = graph.binary("Mul", y, graph.const(_along(layer.gamma.value.astype(x.dtype), [axis], x.rank), "gamma"))
    if layer.beta is not None:
        y = graph.binary("Add", y, graph.const(_along(layer.beta.value.astype(x.dtype), [axis], x.rank), "beta"))
    return y


@converts(UnitNormalization)
def unit_normalization(graph: GraphBuilder, layer: UnitNormalization, x: Value) -> Value:
    """`x * min(1 / sqrt(sum(x^2)), 1e12)` over the axes, as `keras.ops.normalize`."""
    axes = layer.axis if isinstance(layer.axis, list) else [layer.axis]
    square_sum = graph.reduce("ReduceSum", graph.binary("Mul", x, x), axes, keepdims=True)
    inverse = graph.binary("Div", Value(graph.scalar(1.0, x.dtype), (), x.dtype), graph.unary("Sqrt", square_sum),
                           shape=square_sum.shape)
    inverse = graph.binary("Min", inverse, graph.scalar(1e12, x.dtype))
    return graph.binary("Mul", x, inverse)
