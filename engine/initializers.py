"""Weight initializers with Keras's names, defaults and formulas (`glorot_uniform`, `he_normal`, ...)."""

from __future__ import annotations

import math

import numpy as np

from engine import backend
from engine.serialization import get_object, serialize_object


class Initializer:
    """Callable `(shape, dtype) -> ndarray`."""

    def __call__(self, shape, dtype=None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


class RandomInitializer(Initializer):
    def __init__(self, seed=None):
        self.seed = seed
        self._generator = np.random.default_rng(seed) if isinstance(seed, int) else None

    @property
    def generator(self) -> np.random.Generator:
        return self._generator or backend.rng()

    def get_config(self) -> dict:
        return {"seed": self.seed}


def _dtype(dtype) -> str:
    return dtype or backend.floatx()


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape; received shape={tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class RandomNormal(RandomInitializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return self.generator.normal(self.mean, self.stddev, size=shape).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


def _truncated_normal(generator, shape, mean, stddev):
    """Normal samples redrawn until within two standard deviations, as Keras's truncated_normal."""
    out = generator.normal(size=shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = generator.normal(size=int(bad.sum()))
        bad = np.abs(out) > 2
    return mean + stddev * out


class TruncatedNormal(RandomInitializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _truncated_normal(self.generator, shape, self.mean, self.stddev).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return self.generator.uniform(self.minval, self.maxval, size=shape).astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape; conv kernels count their receptive field. Explicit axes override."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(RandomInitializer):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        if scale <= 0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode!r}; expected fan_in, fan_out or fan_avg")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, denominator)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            out = _truncated_normal(self.generator, shape, 0.0, stddev)
        elif self.distribution == "untruncated_normal":
            out = self.generator.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            out = self.generator.uniform(-limit, limit, size=shape)
        return out.astype(_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config(), "input_axes": self.input_axes, "output_axes": self.output_axes}


def _preset(name: str, scale: float, mode: str, distribution: str):
    class Preset(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed, input_axes=input_axes,
                             output_axes=output_axes)

        def get_config(self):
            return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    Preset.__name__ = Preset.__qualname__ = name
    Preset.__doc__ = f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})."
    return Preset


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. Received: shape={shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self.generator.normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


_ALL = [Zeros, Ones, Constant, Identity, RandomNormal, TruncatedNormal, RandomUniform, VarianceScaling,
        GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal]
REGISTRY: dict = {cls.__name__: cls for cls in _ALL}
REGISTRY.update({backend.to_snake_case(cls.__name__): cls for cls in _ALL})
REGISTRY.update({"normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros,
                 "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal})

# Keras's lowercase aliases for the classes
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, truncated_normal, random_uniform = RandomNormal, TruncatedNormal, RandomUniform
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal, orthogonal, variance_scaling = LecunUniform, LecunNormal, Orthogonal, VarianceScaling


def get(identifier):
    """An initializer from a name (`"he_normal"`), a config dict, a class, an instance or a callable."""
    if isinstance(identifier, (np.ndarray, list)) and not isinstance(identifier, dict):
        value = np.asarray(identifier)
        return lambda shape, dtype=None: np.broadcast_to(value, shape).astype(_dtype(dtype))
    return get_object(identifier, REGISTRY, "initializer")


def serialize(initializer) -> dict | str | None:
    return serialize_object(initializer, "keras.initializers")


def deserialize(config):
    return get(config)
