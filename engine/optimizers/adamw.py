"""AdamW: Adam with decoupled weight decay (`w -= w * weight_decay * lr` before each step)."""

from __future__ import annotations

from engine.optimizers.adam import Adam


class AdamW(Adam):
    """Adam plus weight decay (default 0.004), applied as Keras applies it."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
