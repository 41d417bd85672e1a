"""`AdditiveAttention` (Bahdanau-style): scores `sum(scale * tanh(query + key))` instead of a dot product."""

from __future__ import annotations

from engine import ops
from engine.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive attention over `[query, value]` or `[query, value, key]`, with a learned `scale` per feature."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        summed = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        return ops.sum(summed if self.scale is None else ops.multiply(self.scale, summed), axis=-1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config
