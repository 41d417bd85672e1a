"""`engine.ops.image`: image ops named as in `keras.ops.image`.

`affine_transform` samples each output pixel from the input at a transformed position, as Keras's
`ops.image.affine_transform` does (scipy/JAX `map_coordinates` semantics: nearest rounds half to even,
bilinear weighs the four neighbours, `fill_mode` says what lies outside). The output is linear in the
images, so gradients flow back to them (not to the transform).
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, make
from engine.ops.conv import standardize_data_format
from engine.ops.core import as_array, value_of

__all__ = ["affine_transform"]

INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _mirror(index: np.ndarray, size: int) -> np.ndarray:
    """(c d c b | a b c d | c b a b): reflect about the centre of the edge pixels."""
    if size == 1:
        return np.zeros_like(index)
    half = size - 1
    return np.abs((index + half) % (2 * half) - half)


def _reflect(index: np.ndarray, size: int) -> np.ndarray:
    """(d c b a | a b c d | d c b a): reflect about the outer edge of the edge pixels."""
    return (_mirror(2 * index + 1, 2 * size + 1) - 1) // 2


_INDEX_FIXERS = {
    "constant": lambda index, size: np.clip(index, 0, size - 1),
    "nearest": lambda index, size: np.clip(index, 0, size - 1),
    "wrap": lambda index, size: index % size,
    "mirror": _mirror,
    "reflect": _reflect,
}


def _sample_points(coordinate: np.ndarray, interpolation: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(integer index, weight) pairs along one axis."""
    if interpolation == "nearest":
        return [(np.round(coordinate).astype(np.int64), np.ones_like(coordinate))]
    lower = np.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.astype(np.int64)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


def _source_coordinates(transform: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each output pixel reads the input: (batch, height, width) rows and columns."""
    a0, a1, a2, b0, b1, b2, c0, c1 = (transform[:, i, None, None] for i in range(8))
    y = np.arange(height, dtype=transform.dtype)[None, :, None]
    x = np.arange(width, dtype=transform.dtype)[None, None, :]
    k = c0 * x + c1 * y + 1
    return (b0 * x + b1 * y + b2) / k, (a0 * x + a1 * y + a2) / k


def affine_transform(images, transform, interpolation: str = "bilinear", fill_mode: str = "constant",
                     fill_value=0, data_format: str | None = None) -> Tensor:
    """Applies `transform` (8 numbers, or one row of 8 per image) to `images` (rank 3 or 4).

    A row `[a0, a1, a2, b0, b1, b2, c0, c1]` maps the output point (x, y) to the input point
    ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1 (the inverse of the image's motion).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {set(INTERPOLATIONS)}. "
                         f"Received: interpolation={interpolation}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected of one {set(FILL_MODES)}. "
                         f"Received: fill_mode={fill_mode}")
    data_format = standardize_data_format(data_format)
    source = np.asarray(as_array(images))
    matrix = np.asarray(value_of(transform))
    if source.ndim not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={source.shape}")
    if matrix.ndim not in (1, 2) or matrix.shape[-1] != 8:
        raise ValueError(f"Invalid transform: expected 8 numbers or a batch of rows of 8. Received input with "
                         f"shape: transform.shape={matrix.shape}")
    single = source.ndim == 3
    batch = source[None] if single else source
    if data_format == "channels_first":
        batch = np.moveaxis(batch, 1, -1)
    n, height, width, channels = batch.shape
    matrix = matrix.astype(np.float32) if matrix.dtype.kind != "f" else matrix
    matrix = np.broadcast_to(matrix.reshape(-1, 8), (n, 8))
    rows, cols = _source_coordinates(matrix, height, width)

    flat = batch.reshape(n * height * width, channels)
    base = (np.arange(n) * height * width)[:, None, None]
    fix = _INDEX_FIXERS[fill_mode]
    rows_at = [(fix(i, height) * width, w, (i >= 0) & (i < height)) for i, w in _sample_points(rows, interpolation)]
    cols_at = [(fix(i, width), w, (i >= 0) & (i < width)) for i, w in _sample_points(cols, interpolation)]
    samples = []  # (flat index, weight) per neighbour; outside points weigh 0 in "constant" mode
    outside = np.zeros(rows.shape, dtype=batch.dtype) if fill_mode == "constant" else None
    for row_offset, row_weight, row_inside in rows_at:
        for col_index, col_weight, col_inside in cols_at:
            weight = (row_weight * col_weight).astype(batch.dtype)
            if outside is not None:
                inside = row_inside & col_inside
                outside += np.where(inside, 0, weight)
                weight = np.where(inside, weight, 0).astype(batch.dtype)
            samples.append((base + row_offset + col_index, weight))

    out_dtype = np.result_type(batch.dtype, np.float32)
    out = np.zeros(batch.shape, dtype=out_dtype)
    for index, weight in samples:
        out += weight[..., None] * np.take(flat, index, axis=0)
    if outside is not None and fill_value != 0:
        out += outside[..., None] * np.asarray(fill_value, dtype=out_dtype)
    if batch.dtype.kind in "iu":
        out = np.round(out)
    out = out.astype(batch.dtype)

    def vjp(g):
        g = np.asarray(g)
        if single:
            g = g[None]
        if data_format == "channels_first":
            g = np.moveaxis(g, 1, -1)
        grad = np.zeros((n * height * width, channels), dtype=g.dtype)
        for index, weight in samples:
            for c in range(channels):
                grad[:, c] += np.bincount(index.ravel(), weights=(weight * g[..., c]).ravel(),
                                          minlength=n * height * width)
        grad = grad.reshape(n, height, width, channels)
        if data_format == "channels_first":
            grad = np.moveaxis(grad, -1, 1)
        return (grad[0] if single else grad,)

    if data_format == "channels_first":
        out = np.moveaxis(out, -1, 1)
    return make(out[0] if single else out, (images,), vjp)
