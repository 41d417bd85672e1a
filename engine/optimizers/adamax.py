"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

import numpy as np

from engine.kernels.optimizer_steps import adamax_step
from engine.optimizers.base import Optimizer
from engine.variables import Variable


class Adamax(Optimizer):
    """`m += (1 - beta_1) * (g - m); u = max(beta_2 * u, |g|); w -= lr / (1 - beta_1**t) * m / (u + epsilon)`."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._m, self._u = self.add_optimizer_variables(variables, ["momentum", "norm"])

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        dt = np.float32 if variable.dtype == np.float16 else variable.dtype.type  # as Keras computes them
        one_minus_beta_1_power = dt(1) - dt(self.beta_1) ** dt(self._step + 1)
        self._run_step(adamax_step, variable, gradient, (self._m[i], self._u[i]),
                       (learning_rate, 1 - self.beta_1, self.beta_2, one_minus_beta_1_power, self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
