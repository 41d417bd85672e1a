"""Nadam: Adam with Nesterov momentum (Dozat's momentum schedule)."""

from __future__ import annotations

import numpy as np

from engine.kernels.optimizer_steps import nadam_step
from engine.optimizers.base import Optimizer
from engine.variables import Variable


class Nadam(Optimizer):
    """Adam whose first moment looks one step ahead, with `mu_t = beta_1 * (1 - 0.5 * 0.96**t)`."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables) -> None:
        if self.built:
            return
        variables = list(variables)
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        dtype = variables[0].dtype if variables else None
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="variable")

    def _mu(self, t: int, dt):
        # Scalars in the variable's dtype, as Keras computes them.
        return dt(self.beta_1) * (dt(1) - dt(0.5) * dt(0.96) ** dt(t))

    def _backend_update_step(self, grads, variables, learning_rate: float) -> None:
        # The product of the mu's up to this step is shared by all variables: update it once per step.
        u_product = self._u_product.value
        u_product *= self._mu(self._step + 1, u_product.dtype.type)
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        dt = np.float32 if variable.dtype == np.float16 else variable.dtype.type
        t = self._step + 1
        u_t, u_t_1 = self._mu(t, dt), self._mu(t + 1, dt)
        u_product_t = dt(self._u_product.value)
        one = dt(1)
        self._run_step(nadam_step, variable, gradient, (self._momentums[i], self._velocities[i]),
                       (learning_rate, 1 - self.beta_1, 1 - self.beta_2, u_t_1, one - u_product_t * u_t_1,
                        one - u_t, one - u_product_t, one - dt(self.beta_2) ** dt(t), self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}

