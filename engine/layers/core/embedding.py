"""`Embedding`: integer indices -> rows of a trainable (input_dim, output_dim) matrix."""

from __future__ import annotations

import warnings

import numpy as np

from engine import constraints, initializers, regularizers
from engine.autodiff import Tensor, make, needs_grad
from engine.layers.layer import Layer


def _check_dim(name: str, value) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value} "
                         f"(of type {type(value).__name__}).")


def embedding_lookup(embeddings, indices: np.ndarray, layer_name: str = "embedding") -> Tensor:
    """`embeddings[indices]`; the gradient adds each output row back into the row it came from."""
    table = embeddings.value
    vocabulary, width = table.shape
    bad = (indices < 0) | (indices >= vocabulary)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"Embedding '{layer_name}': index {int(indices[position])} at position {position} is out of "
                         f"range; indices must be in [0, input_dim) with input_dim={vocabulary}.")
    flat = indices.reshape(-1).astype(np.intp, copy=False)

    def vjp(g):
        if not needs_grad(embeddings):
            return (None,)
        # one bincount over (row, column) pairs sums every repeated row at once
        slots = (flat[:, None] * width + np.arange(width)).reshape(-1)
        summed = np.bincount(slots, weights=g.reshape(-1), minlength=vocabulary * width)
        return (summed.reshape(vocabulary, width).astype(table.dtype, copy=False),)

    return make(table[indices], (embeddings,), vjp)


class Embedding(Layer):
    """Turns positive integers (indices) into dense vectors of fixed size, as Keras's `Embedding`."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        _check_dim("input_dim", input_dim)
        _check_dim("output_dim", output_dim)
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        if lora_rank:
            raise ValueError("Embedding: LoRA (`lora_rank`) is not supported by this engine.")
        if quantization_config is not None:
            raise ValueError("Embedding: quantization (`quantization_config`) is not supported by this engine.")
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        self.lora_rank = None
        self.quantization_config = None
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self._embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), name="embeddings",
                                           initializer=self.embeddings_initializer,
                                           regularizer=self.embeddings_regularizer,
                                           constraint=self.embeddings_constraint)
        self.built = True

    @property
    def embeddings(self):
        if not self.built:
            raise AttributeError("You must build the layer before accessing `embeddings`.")
        return self._embeddings

    def call(self, inputs):
        indices = np.asarray(inputs.value if isinstance(inputs, Tensor) else inputs)
        if indices.dtype not in (np.int32, np.int64):
            indices = indices.astype(np.int32)  # as Keras: floats and other ints are cast to int32
        return embedding_lookup(self._embeddings, indices, self.name)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return np.asarray(inputs.value if isinstance(inputs, Tensor) else inputs) != 0

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {
            **config,
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
