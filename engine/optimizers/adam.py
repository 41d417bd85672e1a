"""Adam: adaptive estimates of the first and second moments of the gradient."""

from __future__ import annotations

import numpy as np

from engine.kernels.optimizer_steps import adam_step
from engine.optimizers.base import Optimizer
from engine.variables import Variable


class Adam(Optimizer):
    """`m += (1 - beta_1) * (g - m); v += (1 - beta_2) * (g**2 - v);`
    `w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`;
    `amsgrad` uses the running maximum of v."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        # Scalars in the variable's dtype, as Keras computes them (1 - beta**t loses digits in float32).
        dt = np.float32 if variable.dtype == np.float16 else variable.dtype.type
        t = dt(self._step + 1)
        alpha = dt(learning_rate) * np.sqrt(dt(1) - dt(self.beta_2) ** t) / (dt(1) - dt(self.beta_1) ** t)
        self._run_step(adam_step, variable, gradient,
                       (self._momentums[i], self._velocities[i], self._velocity_hats[i] if self.amsgrad else None),
                       (alpha, 1 - self.beta_1, 1 - self.beta_2, self.epsilon), (bool(self.amsgrad),))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}
