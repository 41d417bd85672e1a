"""`PReLU`: a leaky ReLU whose negative slope `alpha` is learned, per element or shared along axes."""

from __future__ import annotations

from engine import activations, constraints, initializers, regularizers
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer


class PReLU(Layer):
    """Parametric ReLU: `relu(x) - alpha * relu(-x)`, `alpha` shaped like one sample (1 on `shared_axes`)."""

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU '{self.name}': shared axis {axis} is not an axis of a sample of shape "
                                 f"{tuple(input_shape[1:])} (axes count from 1, after the batch)")
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU '{self.name}': alpha needs known sizes; received input_shape="
                             f"{tuple(input_shape)} (share the unknown axes with `shared_axes`)")
        self.alpha = self.add_weight(shape=param_shape, name="alpha", initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        return activations.relu(inputs) - self.alpha * activations.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
