"""`TimeDistributed`: applies a layer to every step of a sequence, with the same weights at every step."""

from __future__ import annotations

from engine import ops
from engine.layers.layer import Layer
from engine.layers.normalization.batch_normalization import BatchNormalization
from engine.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


class TimeDistributed(Layer):
    """Applies the wrapped layer to every step of a sequence, with the same weights at every step.

    The steps of (batch, steps, ...) inputs are folded into the batch, so one call does them all (a
    BatchNormalization in training goes step by step, as Keras's loop does)."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        self.layer = layer
        self.supports_masking = True

    def _inner_shape(self, input_shape) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                             f"dimensions, received: {input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        inner = self._inner_shape(input_shape)
        if not self.layer.built:
            self.layer._build(inner)
        self.built = True

    def compute_output_shape(self, input_shape):
        inner = tuple(self.layer.compute_output_shape(self._inner_shape(input_shape)))
        return (input_shape[0], input_shape[1], *inner[1:])

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        if mask is not None and tuple(mask.shape[:2]) != (batch, steps):
            raise ValueError("`TimeDistributed` Layer should be passed a `mask` of shape (batch_size, timesteps, "
                             f"...), received: mask.shape={tuple(mask.shape)}")
        kwargs = {"training": training} if self.layer._call_has_training_arg else {}
        if training and isinstance(self.layer, BatchNormalization):
            outputs = [self.layer(inputs[:, i], **kwargs) for i in range(steps)]
            return ops.stack(outputs, axis=1)
        folded = ops.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        out = self.layer(folded, **kwargs)
        return ops.reshape(out, (batch, steps, *out.shape[1:]))

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        config["layer"] = deserialize_keras_object(config["layer"], custom_objects=custom_objects)
        return cls(**config)
