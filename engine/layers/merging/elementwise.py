"""Elementwise merges: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum` and their functions."""

from __future__ import annotations

import numpy as np

from engine import ops
from engine.layers.merging.base_merge import Merge


class Add(Merge):
    """The sum of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


class Subtract(Merge):
    """`inputs[0] - inputs[1]`; exactly two inputs."""

    max_inputs = 2

    def _merge_function(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """The elementwise product of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.multiply(output, x)
        return output


class Average(Merge):
    """The elementwise mean of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return ops.divide(output, len(inputs))


def _merge_skipping_masked(op, inputs):
    """Keras's rule for Maximum/Minimum: where an input is masked, the other inputs' values stand in."""
    output = output_mask = None
    for x in inputs:
        mask = getattr(x, "_keras_mask", None)
        if mask is not None:
            mask = np.broadcast_to(np.expand_dims(mask, -1), x.shape)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = ops.where(mask, x, output)
        if output_mask is not None:
            output = ops.where(output_mask, output, x)
        output_mask = np.logical_or(output_mask, mask) if mask is not None and output_mask is not None else None
        output = op(output, x)
    if output_mask is not None:
        output._keras_mask = np.any(output_mask, axis=-1)
    return output


class Maximum(Merge):
    """The elementwise maximum of the inputs."""

    def _merge_function(self, inputs):
        return _merge_skipping_masked(ops.maximum, inputs)


class Minimum(Merge):
    """The elementwise minimum of the inputs."""

    def _merge_function(self, inputs):
        return _merge_skipping_masked(ops.minimum, inputs)


def add(inputs, **kwargs):
    """Functional interface to `Add`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional interface to `Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional interface to `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional interface to `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional interface to `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional interface to `Minimum`."""
    return Minimum(**kwargs)(inputs)
