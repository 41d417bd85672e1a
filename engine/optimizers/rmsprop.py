"""RMSprop: divide the gradient by a moving root mean square of recent gradients."""

from __future__ import annotations

import numpy as np

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
        (s,) = self._scratch(variable)
        rho = self.rho
        v = self._velocities[i].value
        v *= rho
        np.multiply(gradient, gradient, out=s)
        s *= 1.0 - rho
        v += s
        if self.centered:
            a = self._average_gradients[i].value
            a *= rho
            np.multiply(gradient, 1.0 - rho, out=s)
            a += s
            np.multiply(a, a, out=s)
            np.subtract(v, s, out=s)
            s += self.epsilon
        else:
            np.add(v, self.epsilon, out=s)
        np.sqrt(s, out=s)
        np.divide(gradient, s, out=s)
        s *= learning_rate  # the increment lr * g / sqrt(...)
        if self.momentum > 0:
            m = self._momentums[i].value
            m *= self.momentum
            m += s
            w = variable.value
            w -= m
        else:
            w = variable.value
            w -= s

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
