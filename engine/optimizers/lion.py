"""Lion: the sign of an interpolated momentum as the update."""

from __future__ import annotations

import numpy as np

from engine.kernels.optimizer_steps import lion_step
from engine.optimizers.base import Optimizer
from engine.variables import Variable


class Lion(Optimizer):
    """`w -= lr * sign(beta_1 * m + (1 - beta_1) * g); m = beta_2 * m + (1 - beta_2) * g`."""

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
        m = self._momentums[self._get_variable_index(variable)]
        dt = np.float32 if variable.dtype == np.float16 else variable.dtype.type  # as Keras computes them
        beta_1, beta_2 = dt(self.beta_1), dt(self.beta_2)
        self._run_step(lion_step, variable, gradient, (m,),
                       (learning_rate, beta_1, 1.0 - beta_1, beta_2, 1.0 - beta_2))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
