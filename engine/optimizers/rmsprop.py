"""RMSprop: divide the gradient by a moving root mean square of recent gradients."""

from __future__ import annotations

import numpy as np

from engine.kernels.optimizer_steps import rmsprop_step
from engine.optimizers.base import Optimizer
from engine.variables import Variable


class RMSprop(Optimizer):
    """`v = rho * v + (1 - rho) * g**2; w -= lr * g / sqrt(v + epsilon)` (epsilon inside the root, as Keras);
    `centered` subtracts the squared moving mean of g under the root; `momentum` accumulates the increments."""

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum > 0 else []
        self._average_gradients = self.add_optimizer_variables(variables, "average_gradient") if self.centered else []

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        use_momentum = self.momentum > 0
        self._run_step(rmsprop_step, variable, gradient,
                       (self._velocities[i], self._momentums[i] if use_momentum else None,
                        self._average_gradients[i] if self.centered else None),
                       (learning_rate, self.rho, 1 - self.rho, self.momentum, self.epsilon),
                       (use_momentum, bool(self.centered)))

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
