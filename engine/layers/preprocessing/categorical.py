"""Integer indices to Keras's categorical outputs: `one_hot`, `multi_hot`, `count` (and the shapes they take).

Shared by `CategoryEncoding`, the lookups, `Hashing` and `Discretization`. Indices outside `[0, depth)`
(a dropped mask token, for instance) contribute nothing, as in TensorFlow's one-hot and bincount.
"""

from __future__ import annotations

import numpy as np

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def check_output_mode(output_mode: str, allowed: tuple[str, ...], layer_name: str) -> str:
    """Keras's old names (`binary`, `tf-idf`) mapped to the current ones; anything else not allowed is an error."""
    output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if output_mode not in allowed:
        raise ValueError(f"Invalid value for argument `output_mode` of {layer_name}. Expected one of "
                         f"{list(allowed)}. Received: output_mode={output_mode!r}")
    return output_mode


def one_hot(indices: np.ndarray, depth: int, dtype) -> np.ndarray:
    """`indices` with a new last axis of `depth`; out-of-range indices give all zeros."""
    flat = indices.reshape(-1).astype(np.int64)
    out = np.zeros((flat.size, depth), dtype=dtype)
    valid = (flat >= 0) & (flat < depth)
    out[np.nonzero(valid)[0], flat[valid]] = 1
    return out.reshape(*indices.shape, depth)


def encode(indices: np.ndarray, output_mode: str, depth: int, dtype, count_weights=None) -> np.ndarray:
    """Keras's `encode_categorical_inputs`: `one_hot` encodes each element (a trailing axis of 1 is replaced),
    `multi_hot` / `count` encode each sample (the last axis; a 1-D input is one sample)."""
    indices = np.asarray(indices)
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices.reshape(1)
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices.reshape(indices.shape[:-1])
        return one_hot(indices, depth, dtype)
    if output_mode == "multi_hot":
        return one_hot(indices, depth, dtype).max(axis=-2)
    if output_mode == "count":
        encoded = one_hot(indices, depth, np.float64 if count_weights is not None else dtype)
        if count_weights is not None:
            encoded = encoded * np.asarray(count_weights, dtype=np.float64)[..., None]
        return encoded.sum(axis=-2).astype(dtype)
    raise ValueError(f"Unknown output_mode {output_mode!r}")


def encoded_shape(input_shape: tuple, output_mode: str, depth: int | None) -> tuple:
    """The output shape `encode` gives for inputs of `input_shape` (IndexLookup's rule)."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if len(input_shape) == 0:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)
