"""Converters of the reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D,
Cropping1D/2D and UpSampling1D/2D (nearest: repeated cells; bilinear: ONNX Resize with half-pixel
centres, which clamps at the edges as Keras does)."""

from __future__ import annotations

import numpy as np

from engine.export.graph import INT64_MAX, GraphBuilder, Value
from engine.export.layers.spatial import from_channels_first, to_channels_first
from engine.export.registry import converts, unsupported
from engine.layers import (
    Cropping1D,
    Cropping2D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)


@converts(Flatten)
def flatten(graph: GraphBuilder, layer: Flatten, x: Value) -> Value:
    if layer.data_format == "channels_first" and x.rank > 2:
        x = graph.transpose(x, (0, *range(2, x.rank), 1))
    return graph.reshape(x, [0, -1], layer.compute_output_shape(x.shape))


@converts(Reshape)
def reshape(graph: GraphBuilder, layer: Reshape, x: Value) -> Value:
    """ONNX's 0 keeps the batch size; Keras's -1 is ONNX's -1."""
    return graph.reshape(x, [0, *layer.target_shape], layer.compute_output_shape(x.shape))


@converts(Permute)
def permute(graph: GraphBuilder, layer: Permute, x: Value) -> Value:
    return graph.transpose(x, (0, *layer.dims))


def _repeat(graph: GraphBuilder, x: Value, axis: int, times: int, shape) -> Value:
    """Each entry of `x` along `axis` repeated `times` times in a row (a new axis broadcast, then merged)."""
    expanded = graph.unsqueeze(x, [axis + 1])
    counts = [1] * expanded.rank
    counts[axis + 1] = times
    tiled_shape = list(expanded.shape)
    tiled_shape[axis + 1] = times
    tiled = graph.op("Expand", [expanded, graph.ints(counts)], tiled_shape)
    target = [0] * x.rank
    target[axis] = -1
    for i in range(axis + 1, x.rank):
        if x.shape[i] is None:
            raise ValueError(f"axis {i} of the input {x.shape} must have a known size")
        target[i] = x.shape[i]
    return graph.reshape(tiled, target, shape)


@converts(RepeatVector)
def repeat_vector(graph: GraphBuilder, layer: RepeatVector, x: Value) -> Value:
    expanded = graph.unsqueeze(x, [1])
    return graph.op("Expand", [expanded, graph.ints([1, layer.n, 1])], layer.compute_output_shape(x.shape))


@converts(UpSampling1D)
def up_sampling_1d(graph: GraphBuilder, layer: UpSampling1D, x: Value) -> Value:
    try:
        return _repeat(graph, x, 1, layer.size, layer.compute_output_shape(x.shape))
    except ValueError as err:
        raise unsupported(layer, str(err)) from err


@converts(UpSampling2D)
def up_sampling_2d(graph: GraphBuilder, layer: UpSampling2D, x: Value) -> Value:
    """ONNX Resize on channels_first values: "nearest" repeats each cell (asymmetric coordinates, floor),
    "bilinear" interpolates with half-pixel centres."""
    cf = to_channels_first(graph, x, layer.data_format)
    scales = graph.const(np.array([1, 1, *layer.size], dtype=np.float32), "scales", key=("scales", layer.size))
    shape = [cf.shape[0], cf.shape[1], *(None if n is None else n * s for n, s in zip(cf.shape[2:], layer.size))]
    if layer.interpolation == "nearest":
        attributes = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    else:
        attributes = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    y = graph.op("Resize", [cf, "", scales], shape, **attributes)
    return from_channels_first(graph, y, layer.data_format)


def _spatial_axes(layer, rank: int) -> list[int]:
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return list(range(2, rank))
    return list(range(1, rank - 1))


@converts(ZeroPadding1D, ZeroPadding2D)
def zero_padding(graph: GraphBuilder, layer, x: Value) -> Value:
    pairs = [layer.padding] if isinstance(layer, ZeroPadding1D) else list(layer.padding)
    begins, ends = [0] * x.rank, [0] * x.rank
    for axis, (before, after) in zip(_spatial_axes(layer, x.rank), pairs):
        begins[axis], ends[axis] = before, after
    return graph.op("Pad", [x, graph.ints(begins + ends)], layer.compute_output_shape(x.shape), mode="constant")


@converts(Cropping1D, Cropping2D)
def cropping(graph: GraphBuilder, layer, x: Value) -> Value:
    pairs = [layer.cropping] if isinstance(layer, Cropping1D) else list(layer.cropping)
    axes = _spatial_axes(layer, x.rank)
    starts = [before for before, _ in pairs]
    ends = [-after if after else INT64_MAX for _, after in pairs]
    return graph.op("Slice", [x, graph.ints(starts), graph.ints(ends), graph.ints(axes)],
                    layer.compute_output_shape(x.shape))

