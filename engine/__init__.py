"""LayerStudio's deep-learning engine: NumPy underneath, the Keras 3 API on top.

`import engine as keras` runs Keras code that uses the parts implemented here.
"""

from engine import (
    activations,
    backend,
    callbacks,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    regularizers,
    saving,
    utils,
)
from engine.layers import Input, Layer
from engine.models import Model, Sequential
from engine.variables import Variable

__version__ = "0.1.0"

__all__ = [
    "Input", "Layer", "Model", "Sequential", "Variable", "activations", "backend", "callbacks", "constraints",
    "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "regularizers", "saving",
    "utils",
]
