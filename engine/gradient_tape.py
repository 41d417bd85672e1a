"""`GradientTape`: the engine's public way to take gradients in a custom training step.

Shaped like `tf.GradientTape` (Keras code written for the TensorFlow backend ports unchanged):

    with engine.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = loss_fn(y, predictions)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))

Variables (layer weights) are always watched; `tape.watch(t)` adds an input tensor. Inside the block
ops record themselves even where recording was off (e.g. in `test_step`). `engine.grad(loss, sources)`
is the one-call form, like `torch.autograd.grad`.
"""

from __future__ import annotations

import numpy as np

from engine import autodiff
from engine.autodiff import Tensor
from engine.symbolic import flatten, pack_like


class GradientTape:
    """Records the ops run inside `with GradientTape() as tape:`; `tape.gradient(target, sources)`."""

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._used = False
        self._previous = None

    def __enter__(self) -> GradientTape:
        self._previous = autodiff.grad_enabled()
        autodiff._state.enabled = True
        return self

    def __exit__(self, *exc) -> None:
        autodiff._state.enabled = self._previous

    def watch(self, tensor) -> None:
        """Also take gradients with respect to `tensor` (an engine tensor, or a list/dict of them)."""
        for leaf in flatten(tensor):
            if not isinstance(leaf, Tensor):
                raise TypeError(f"GradientTape.watch needs engine tensors (e.g. `engine.ops.convert_to_tensor(x)`); "
                                f"received {type(leaf).__name__}.")
            leaf.requires_grad = True

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """d(sum of `target`)/d(source) for each source, in the structure of `sources`; None (or zeros with
        `unconnected_gradients="zero"`) for a source the target does not depend on."""
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                               "(or jacobians)")
        self._used = True
        return grad(target, sources, output_gradients, unconnected_gradients)


def grad(target, sources, output_gradients=None, unconnected_gradients="none"):
    """Gradients of `target` (summed if not a scalar) with respect to `sources` (a tensor, list or dict)."""
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError(f"Unknown value for unconnected_gradients: {unconnected_gradients!r} "
                         "(expected 'none' or 'zero')")
    leaves = flatten(sources)
    seed = None if output_gradients is None else getattr(output_gradients, "value", output_gradients)
    values = autodiff.gradients(target, leaves, seed)
    out = []
    for leaf, value in zip(leaves, values):
        if value is None and unconnected_gradients == "zero":
            value = np.zeros_like(getattr(leaf, "value", leaf))
        out.append(None if value is None else Tensor(value))
    if isinstance(sources, (list, tuple, dict)):
        return pack_like(sources, out)
    return out[0]


__all__ = ["GradientTape", "grad"]
