"""Lion: the sign of an interpolated momentum as the update."""

from __future__ import annotations

import numpy as np

from engine.optimizers.base import Optimizer
from engine.variables import Variable


class Lion(Optimizer):
    """`w -= lr * sign(beta_1 * m + (1 - beta_1) * g); m = beta_2 * m + (1 - beta_2) * g`."""

    _scratch_count = 2

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates "
                             f"to SignSGD. Received: beta_1={beta_1}.")

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        c, s = self._scratch(variable)
        m = self._momentums[self._get_variable_index(variable)].value
        np.multiply(m, self.beta_1, out=c)
        np.multiply(gradient, 1.0 - self.beta_1, out=s)
        c += s
        np.sign(c, out=s)  # not in place: NumPy's in-place sign is ten times slower
        s *= learning_rate
        w = variable.value
        w -= s
        m *= self.beta_2
        np.multiply(gradient, 1.0 - self.beta_2, out=s)
        m += s

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
