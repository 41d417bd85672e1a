"""`MultiHeadAttention`: Keras 3's layer, weight for weight.

Query, key and value are projected by `EinsumDense` sublayers (`query_dense`, `key_dense`, `value_dense`:
kernels (features, heads, key_dim) and biases (heads, key_dim)), attended head by head, then projected
back by `output_dense` (kernel (heads, value_dim, features)). Over the usual (batch, steps, features)
inputs without dropout the attention is one fused op (`ops.dot_product_attention`); other attention axes,
dropout or `return_attention_scores` go through einsum and a masked `Softmax`, as Keras does.
"""

from __future__ import annotations

import math
import string

import numpy as np

from engine import constraints, initializers, ops, regularizers
from engine.autodiff import Tensor
from engine.layers.activations.softmax import Softmax
from engine.layers.core.einsum_dense import EinsumDense
from engine.layers.layer import Layer, shape_of
from engine.layers.regularization.dropout import Dropout
from engine.symbolic import KerasTensor


class MultiHeadAttention(Layer):
    """Multi-head attention ("Attention is all you need"): each query step attends over the value's steps.

    Called as `layer(query, value)` (self-attention: `layer(x, x)`), optionally with `key`, `attention_mask`,
    `use_causal_mask` and `return_attention_scores`.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        for name, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Received an invalid value for argument `{name}`, expected a positive integer. "
                                 f"Received: {name}={value}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError("Received an invalid value for argument `value_dim`, expected a positive integer or "
                             f"`None`. Received: value_dim={value_dim}")
        if flash_attention:
            raise ValueError("flash_attention is not available in this engine; leave it None")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self._output_shape = output_shape or None
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._mha_activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: attention_axes="
                             f"{attention_axes}")
        self._attention_axes = tuple(attention_axes) if attention_axes else None
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window}")
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))
        self._shapes_dict = None

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": None if self._attention_axes is None else list(self._attention_axes),
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._mha_activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }

    # -- building ---------------------------------------------------------------------------
    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise ValueError(f"MultiHeadAttention '{self.name}' needs a `value` (for self-attention call it as "
                             "`layer(x, x)`).")
        if not self.built:
            self.build(shape_of(query), shape_of(value), None if key is None else shape_of(key))
        args = (query, value) if key is None else (query, value, key)
        return super().__call__(*args, **kwargs)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the projections for inputs of these shapes (value defaults to the query's shape)."""
        query_shape, value_shape = tuple(query_shape), tuple(value_shape or query_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3 or shape[-1] is None:
                raise ValueError(f"MultiHeadAttention '{self.name}': the {what} must be (batch, steps..., features) "
                                 f"with known features; received shape {shape}")
        self._shapes_dict = {"query_shape": list(query_shape), "value_shape": list(value_shape)}
        if key_shape != value_shape:
            self._shapes_dict["key_shape"] = list(key_shape)
        heads_key, heads_value = [self._num_heads, self._key_dim], [self._num_heads, self._value_dim]
        self._query_dense = self._projection(len(query_shape), heads_key, "query", query_shape)
        self._key_dense = self._projection(len(key_shape), heads_key, "key", key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(len(query_shape), heads_value, "gate", query_shape,
                                                activation="sigmoid")
        self._value_dense = self._projection(len(value_shape), heads_value, "value", value_shape)
        rank = len(query_shape) + 1
        self._build_attention(rank)
        out_dims = list(self._output_shape) if self._output_shape else [query_shape[-1]]
        equation, bias_axes, out_rank = _projection_equation(len(query_shape) - 1, 2, len(out_dims))
        self._output_dense = EinsumDense(equation, output_shape=[None] * (out_rank - 1 - len(out_dims)) + out_dims,
                                         bias_axes=bias_axes if self._use_bias else None, name="attention_output",
                                         **self._sublayer_kwargs())
        self._output_dense._build((*query_shape[:-1], self._num_heads, self._value_dim))
        self.built = True

    def _projection(self, rank: int, last_dims: list, name: str, shape, activation=None) -> EinsumDense:
        equation, bias_axes, out_rank = _projection_equation(rank - 1, 1, 2)
        layer = EinsumDense(equation, output_shape=[None] * (out_rank - 1 - len(last_dims)) + last_dims,
                            bias_axes=bias_axes if self._use_bias else None, activation=activation, name=name,
                            **self._sublayer_kwargs())
        layer._build(shape)
        return layer

    def _sublayer_kwargs(self) -> dict:
        return {"kernel_initializer": initializers.get(initializers.serialize(self._kernel_initializer)),
                "bias_initializer": initializers.get(initializers.serialize(self._bias_initializer)),
                "kernel_regularizer": self._kernel_regularizer, "bias_regularizer": self._bias_regularizer,
                "activity_regularizer": self._mha_activity_regularizer,
                "kernel_constraint": self._kernel_constraint, "bias_constraint": self._bias_constraint,
                "dtype": self.dtype}

    def _build_attention(self, rank: int) -> None:
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(
            rank, self._attention_axes)
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype, seed=self.seed)

    def get_build_config(self) -> dict | None:
        return None if self._shapes_dict is None else {"shapes_dict": self._shapes_dict}

    def build_from_config(self, config: dict) -> None:
        if config and not self.built:
            shapes = config.get("shapes_dict") or {}
            self.build(*(shapes.get(k) for k in ("query_shape", "value_shape", "key_shape")))

    # -- calling ----------------------------------------------------------------------------
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        query_mask = _mask_of(query) if query_mask is None else query_mask
        value_mask = _mask_of(value) if value_mask is None else value_mask
        if key is not None and key_mask is None:
            key_mask = _mask_of(key)
        key = value if key is None else key
        for x in (query, value, key):  # the masks are used here, as in Keras, not passed to the projections
            if isinstance(x, Tensor):
                x._keras_mask = None
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        query, key, value = self._query_dense(query), self._key_dense(key), self._value_dense(value)
        fused = self._dropout == 0.0 and not return_attention_scores and len(query.shape) == 4
        if fused:
            if mask is not None:
                mask = np.asarray(mask).reshape((mask.shape[0], 1, *mask.shape[1:])) if mask.ndim == 3 else mask
            output = ops.dot_product_attention(query, key, value, mask=mask, scale=self._inverse_sqrt_key_dim)
            scores = None
        else:
            output, scores = self._compute_attention(query, key, value, mask, training)
        output = self._output_dense(output if gate is None else ops.multiply(output, gate))
        if query_mask is not None:
            output._keras_mask = np.asarray(getattr(query_mask, "value", query_mask)).astype(bool)
        return (output, scores) if return_attention_scores else output

    def _compute_attention(self, query, key, value, mask, training):
        """Attention by einsum over any attention axes, with Keras's masked Softmax and dropout."""
        query = ops.multiply(query, np.asarray(self._inverse_sqrt_key_dim, dtype=query.dtype))
        scores = ops.einsum(self._dot_product_equation, key, query)
        if mask is not None:
            expand_axis = -len(self._attention_axes) * 2 - 1
            while mask.ndim < scores.ndim:
                mask = np.expand_dims(mask, axis=expand_axis)
        scores = self._softmax(scores, mask=mask)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0.0 else scores
        return ops.einsum(self._combine_equation, dropped, value), scores

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """One boolean (batch, T, S) mask from the inputs' masks, the causal and sliding-window bands and
        `attention_mask` (None if nothing masks)."""
        masks = []
        if query_mask is not None:
            masks.append(np.expand_dims(_bool(query_mask), -1))
        for m in (value_mask, key_mask):
            if m is not None:
                masks.append(np.expand_dims(_bool(m), -2))
        steps_q, steps_v = query.shape[1], value.shape[1]
        rows, cols = np.arange(steps_q)[:, None], np.arange(steps_v)[None, :]
        if use_causal_mask:
            masks.append((rows >= cols)[None])
        if self._sliding_window is not None:
            masks.append((np.abs(rows - cols) < self._sliding_window)[None])
        if attention_mask is not None:
            masks.append(_bool(attention_mask))
        if not masks:
            return None
        combined = masks[0]
        for m in masks[1:]:
            combined = combined & m
        return combined

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None and key_shape is not None and tuple(value_shape)[1:-1] != tuple(key_shape)[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={tuple(value_shape)} and key_shape={tuple(key_shape)}")
        return query_shape[:-1] + self._output_shape if self._output_shape else query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        shape = self.compute_output_shape(query.shape, value.shape, None if key is None else key.shape)
        output = KerasTensor(shape, dtype=self.dtype)
        if return_attention_scores:
            steps = query.shape[1]
            return output, KerasTensor((query.shape[0], self._num_heads, steps, value.shape[1]), dtype=self.dtype)
        return output


def _mask_of(x):
    return getattr(x, "_keras_mask", None) if isinstance(x, Tensor) else None


def _bool(mask) -> np.ndarray:
    return np.asarray(getattr(mask, "value", mask)).astype(bool)


def _attention_equations(rank: int, attn_axes: tuple) -> tuple[str, str, int]:
    """Keras's einsum equations for (scores from key and query, output from scores and value)."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_dims = tuple(np.delete(range(rank), attn_axes + (rank - 1,)))
    offset, source = rank, ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _projection_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str, int]:
    """Keras's projection equation (e.g. "abc,cde->abde"), its bias axes and the output rank."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    out = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims
