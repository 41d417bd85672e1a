"""Adagrad: per-parameter learning rates from the sum of all past squared gradients."""

from __future__ import annotations

import numpy as np

from engine.kernels.optimizer_steps import adagrad_step
from engine.optimizers.base import Optimizer
from engine.variables import Variable


class Adagrad(Optimizer):
    """`acc += g**2; w -= lr * g / sqrt(acc + epsilon)`, acc starting at `initial_accumulator_value`."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(variables, "accumulator",
                                                          initializer=float(self.initial_accumulator_value))

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        accumulator = self._accumulators[self._get_variable_index(variable)]
        self._run_step(adagrad_step, variable, gradient, (accumulator,), (learning_rate, self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
