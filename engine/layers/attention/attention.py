"""`Attention` (dot-product, Luong-style) and the shared machinery `AdditiveAttention` reuses."""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.layers.layer import Layer
from engine.symbolic import KerasTensor


class Attention(Layer):
    """Dot-product attention over `[query, value]` or `[query, value, key]`: `softmax(query . key^T) . value`."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Invalid value for argument score_mode. Expected one of {{'dot', 'concat'}}. "
                             f"Received: score_mode={score_mode}")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self._generator = np.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True
        self.scale = self.concat_score_weight = None

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones")
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        summed = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            summed = ops.multiply(self.scale, summed)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(summed), axis=-1))

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._calculate_scores(query, key)
        keep = self._score_mask(scores.shape, value_mask, use_causal_mask)
        if keep is not None:
            big = 65504.0 if scores.dtype == np.float16 else 1.0e9
            scores = ops.where(np.logical_not(keep), ops.subtract(scores, big), scores)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.dropout(weights, self.dropout, seed=self._generator)
        output = ops.matmul(weights, value)
        if query_mask is not None:
            output = ops.where(np.expand_dims(_bool(query_mask), -1), output, 0.0)
        return (output, weights) if return_attention_scores else output

    @staticmethod
    def _score_mask(score_shape, value_mask, use_causal_mask: bool):
        keep = None if value_mask is None else np.expand_dims(_bool(value_mask), -2)
        if use_causal_mask:
            causal = np.tril(np.ones(score_shape[-2:], dtype=bool))[None]
            keep = causal if keep is None else keep & causal
        return keep

    def compute_mask(self, inputs, previous_mask):
        if not previous_mask or previous_mask[0] is None:
            return None
        return _bool(previous_mask[0])

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        key = inputs[2] if len(inputs) > 2 else inputs[1]
        output = KerasTensor(self.compute_output_shape([inputs[0].shape, inputs[1].shape]), dtype=self.dtype)
        if return_attention_scores:
            return output, KerasTensor((*inputs[0].shape[:-1], key.shape[-2]), dtype=self.dtype)
        return output

    def _validate_inputs(self, inputs, mask=None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, list):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: inputs={inputs}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                             f"[query, value, key]. Received length: {len(inputs)}.")
        if mask is not None and (not isinstance(mask, list) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                             f"Received: mask={mask}.")

    def get_config(self) -> dict:
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


def _bool(mask) -> np.ndarray:
    return np.asarray(getattr(mask, "value", mask)).astype(bool)
