"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

import numpy as np

from engine.kernels.optimizer_steps import sgd_step
from engine.optimizers.base import Optimizer
from engine.variables import Variable


class SGD(Optimizer):
    """`w -= lr * g`; with momentum `v = momentum * v - lr * g; w += v`
    (Nesterov: `w += momentum * v - lr * g`)."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum != 0 else []

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        use_momentum = self.momentum != 0
        m = self.momentums[self._get_variable_index(variable)] if use_momentum else None
        self._run_step(sgd_step, variable, gradient, (m,), (learning_rate, self.momentum),
                       (use_momentum, bool(self.nesterov)))

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
