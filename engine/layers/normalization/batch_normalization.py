"""`BatchNormalization`: normalize with batch statistics in training, with moving averages in inference."""

from __future__ import annotations

import numpy as np

from engine import backend, constraints, initializers, ops, regularizers
from engine.autodiff import Tensor
from engine.layers.input_spec import InputSpec
from engine.layers.layer import Layer
from engine.ops.normalization import batch_normalization, normalize_batch


class BatchNormalization(Layer):
    """Keras 3's batch norm: weights gamma, beta, moving_mean, moving_variance (the last two non-trainable).

    In a training call (`training=True` and `layer.trainable`) the output uses the batch's mean and
    variance and the moving statistics move towards them by `1 - momentum`; otherwise the moving
    statistics are used and nothing changes. As in Keras, `trainable=False` means inference mode.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        if synchronized:
            raise ValueError("Argument synchronized=True is only supported with the TensorFlow backend.")
        self.synchronized = synchronized
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = renorm
        if renorm:
            renorm_clipping = renorm_clipping or {}
            unknown = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if unknown:
                raise ValueError(f"Received invalid keys for `renorm_clipping` argument: {renorm_clipping}. "
                                 "Supported values: ['rmax', 'rmin', 'dmax'].")
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in ("rmax", "rmin", "dmax"))
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(f"rmax should be greater than rmin in the `renorm_clipping` argument. "
                                 f"Received: rmax={rmax}, rmin={rmin}.")
            if dmax is not None and dmax < 0:
                raise ValueError(f"dmax should be non-negative in the `renorm_clipping` argument. "
                                 f"Received: dmax={dmax}.")
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.supports_masking = True
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self._reduction_axes = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} is out of bounds for input shape "
                             f"{tuple(input_shape)}")
        size = input_shape[self.axis]
        if size is None:
            raise ValueError(f"BatchNormalization '{self.name}': the normalized axis {self.axis} of the input must "
                             f"have a known size; received input_shape={tuple(input_shape)}")
        shape = (size,)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                         trainable=True, autocast=False)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        trainable=True, autocast=False)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer, trainable=False,
                                               autocast=False)
        if self.renorm:
            # Batch renormalization tracks standard deviations, initialized as sqrt(moving variance init).
            def stddev_initializer(shape, dtype=None):
                return np.sqrt(_fresh(self.moving_variance_initializer)(shape, dtype=dtype))

            self.moving_stddev = self.add_weight(shape=shape, name="moving_stddev", initializer=stddev_initializer,
                                                 trainable=False, autocast=False)
            self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean",
                                               initializer=_fresh(self.moving_mean_initializer), trainable=False,
                                               autocast=False)
            self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev", initializer=stddev_initializer,
                                                 trainable=False, autocast=False)
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: size})
        self._reduction_axes = [i for i in range(ndim) if i != self.axis % ndim]
        self.built = True

    def compute_output_shape(self, input_shape):
        if self.axis >= len(input_shape) or self.axis < -len(input_shape):
            raise ValueError(f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}. "
                             f"Received: axis={self.axis}")
        return tuple(input_shape)

    def call(self, inputs, training=None, mask=None):
        x = inputs if inputs.dtype.kind == "f" and inputs.dtype.itemsize >= 4 else ops.cast(inputs, "float32")
        if mask is not None and len(np.shape(mask)) != x.ndim - 1:
            raise ValueError("The mask provided should be one dimension less than the inputs. Received: "
                             f"mask.shape={tuple(np.shape(mask))}, inputs.shape={tuple(x.shape)}")
        gamma, beta = self.gamma, self.beta
        if not (training and self.trainable):
            outputs = batch_normalization(x, self.moving_mean, self.moving_variance, self.axis, offset=beta,
                                          scale=gamma, epsilon=self.epsilon)
        elif mask is not None:
            mean, variance = self._masked_moments(x, mask)
            self._update_moving_statistics(mean.value, variance.value)
            outputs = batch_normalization(x, mean, variance, self.axis, offset=beta, scale=gamma,
                                          epsilon=self.epsilon)
        elif self.renorm:
            outputs = self._renorm_call(x, gamma, beta)
        else:
            outputs, mean, variance = normalize_batch(x, self.axis, scale=gamma, offset=beta, epsilon=self.epsilon)
            self._update_moving_statistics(mean.value, variance.value)
        return outputs if outputs.dtype == self.dtype else ops.cast(outputs, self.dtype)

    # -- training-mode helpers --------------------------------------------------------------------
    def _update_moving_statistics(self, mean: np.ndarray, variance: np.ndarray) -> None:
        m = self.momentum
        self.moving_mean.assign(self.moving_mean.value * m + mean * (1.0 - m))
        self.moving_variance.assign(self.moving_variance.value * m + variance * (1.0 - m))

    def _masked_moments(self, x, mask):
        """Mean and variance over the positions where `mask` is true (a weighted, differentiable form)."""
        weights = np.broadcast_to(np.expand_dims(np.asarray(ops.value_of(mask), dtype=bool), -1), x.shape)
        weights = Tensor(weights.astype(x.dtype))
        axes = tuple(self._reduction_axes)
        total = ops.sum(weights, axis=axes) + backend.epsilon()
        mean = ops.sum(x * weights, axis=axes) / total
        shape = [1] * x.ndim
        shape[self.axis] = x.shape[self.axis]
        centered = (x - ops.reshape(mean, shape)) * weights
        variance = ops.sum(ops.square(centered), axis=axes) / total
        return mean, variance

    def _renorm_call(self, x, gamma, beta):
        """Batch renormalization: correct the batch statistics by (r, d) towards the renorm moving statistics."""
        _, mean, variance = normalize_batch(x, self.axis, epsilon=self.epsilon)
        mean, variance = mean.value, variance.value
        stddev = np.sqrt(variance + self.epsilon)
        renorm_stddev = np.maximum(self.renorm_stddev.value, np.sqrt(self.epsilon))
        r = stddev / renorm_stddev
        d = (mean - self.renorm_mean.value) / renorm_stddev
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = np.maximum(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = np.minimum(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = np.clip(d, -clip["dmax"], clip["dmax"])
        r, d = r.astype(x.dtype), d.astype(x.dtype)
        if gamma is not None:
            scale, offset = ops.multiply(gamma, r), ops.multiply(gamma, d)
        else:
            scale, offset = Tensor(r), Tensor(d)
        if beta is not None:
            offset = ops.add(offset, beta)
        outputs, _, _ = normalize_batch(x, self.axis, scale=scale, offset=offset, epsilon=self.epsilon)

        rm = self.renorm_momentum
        self.renorm_mean.assign(self.renorm_mean.value * rm + mean * (1.0 - rm))
        self.renorm_stddev.assign(self.renorm_stddev.value * rm + stddev * (1.0 - rm))
        m = self.momentum
        self.moving_mean.assign(self.moving_mean.value * m + mean * (1.0 - m))
        new_stddev = self.moving_stddev.value * m + stddev * (1.0 - m)
        self.moving_stddev.assign(new_stddev)
        self.moving_variance.assign(np.maximum(new_stddev * new_stddev - self.epsilon, 0.0))
        return outputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


def _fresh(initializer):
    """A copy of a configurable initializer (so a seeded one is not reused), else the initializer itself."""
    return initializer.clone() if isinstance(initializer, initializers.Initializer) else initializer
