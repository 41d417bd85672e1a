"""Adadelta: step sizes from moving averages of squared gradients and of squared updates."""

from __future__ import annotations

import numpy as np

from engine.kernels.optimizer_steps import adadelta_step
from engine.optimizers.base import Optimizer
from engine.variables import Variable


class Adadelta(Optimizer):
    """`acc_g = rho * acc_g + (1 - rho) * g**2; d = sqrt(acc_d + eps) / sqrt(acc_g + eps) * g;`
    `acc_d = rho * acc_d + (1 - rho) * d**2; w -= lr * d`."""

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        self._run_step(adadelta_step, variable, gradient, (self._accumulated_grads[i], self._accumulated_delta_vars[i]),
                       (learning_rate, self.rho, 1 - self.rho, self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
