"""LayerStudio's deep-learning engine: NumPy underneath, the Keras 3 API on top.

`import engine as keras` runs Keras code that uses the parts implemented here.
"""

from engine import (
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    utils,
)
from engine.gradient_tape import GradientTape, grad
from engine.layers import Input, InputSpec, Layer
from engine.losses import Loss
from engine.metrics import Metric
from engine.models import Model, Sequential
from engine.optimizers import Optimizer
from engine.symbolic import KerasTensor
from engine.variables import Variable

__version__ = "0.1.0"

__all__ = [
    "GradientTape", "Input", "InputSpec", "KerasTensor", "Layer", "Loss", "Metric", "Model", "Optimizer", "Sequential",
    "Variable", "activations", "backend", "callbacks", "config", "constraints", "datasets", "grad", "initializers",
    "layers", "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers", "saving", "utils",
]
