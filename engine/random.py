"""`engine.random`: random tensors with Keras 3's names and arguments (`keras.random`).

`seed` is as in Keras: an int gives the same numbers on every call, a `SeedGenerator` gives new numbers
on each call that repeat from its initial seed, None draws from the global generator that
`utils.set_random_seed` seeds. The numbers come from NumPy, so they differ from Keras's backends.
"""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor


class SeedGenerator:
    """A seed that advances on every draw: layers and train steps keep one to get fresh, repeatable noise."""

    def __init__(self, seed=None, name: str | None = None, **kwargs):
        self.name = name or backend.unique_name("seed_generator")
        if seed is None:
            seed = int(backend.rng().integers(0, 2**31 - 1))
        elif not isinstance(seed, (int, np.integer)):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self._initial_seed = int(seed)
        self._generator = np.random.default_rng(int(seed))

    def next(self) -> np.random.Generator:
        return self._generator

    def get_config(self) -> dict:
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


def _generator(seed) -> np.random.Generator:
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        return backend.rng()
    if isinstance(seed, (int, np.integer)):
        return np.random.default_rng(int(seed))
    raise ValueError(f"Argument `seed` must be either an integer or an instance of `SeedGenerator`. Received: "
                     f"seed={seed} (of type {type(seed)})")


def _shape(shape) -> tuple:
    return tuple(int(d) for d in (shape if isinstance(shape, (list, tuple)) else (shape,)))


def _float(values, dtype) -> Tensor:
    return Tensor(np.asarray(values, dtype=dtype or backend.floatx()))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Samples from a normal distribution."""
    return _float(_generator(seed).normal(mean, stddev, size=_shape(shape)), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """Samples from a uniform distribution on [minval, maxval)."""
    dtype = dtype or backend.floatx()
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError("`keras.random.uniform` requires a floating point `dtype`. Received: "
                         f"dtype={dtype} (use `keras.random.randint` for integers)")
    return _float(_generator(seed).uniform(minval, maxval, size=_shape(shape)), dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None) -> Tensor:
    """Integers drawn uniformly from [minval, maxval)."""
    return Tensor(_generator(seed).integers(minval, maxval, size=_shape(shape)).astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """A normal distribution whose values beyond two standard deviations are drawn again."""
    generator = _generator(seed)
    shape = _shape(shape)
    values = generator.standard_normal(size=shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(size=int(outside.sum()))
        outside = np.abs(values) > 2
    return _float(mean + stddev * values, dtype)


def categorical(logits, num_samples: int, dtype="int32", seed=None) -> Tensor:
    """Class indices drawn from `softmax(logits)`, one row of `num_samples` per row of `logits`."""
    logits = np.asarray(getattr(logits, "value", logits), dtype="float64")
    if logits.ndim != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. Received: "
                         f"logits.shape={logits.shape}")
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    generator = _generator(seed)
    draws = [generator.choice(logits.shape[1], size=num_samples, p=row) for row in probabilities]
    return Tensor(np.asarray(draws, dtype=dtype))


def dropout(inputs, rate: float, noise_shape=None, seed=None) -> Tensor:
    """Zero each value with probability `rate` and scale the rest by 1 / (1 - rate); differentiable."""
    from engine import ops
    if not 0 <= rate < 1:
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                         f"Received: rate={rate}")
    x = ops.convert_to_tensor(inputs)
    shape = tuple(x.shape) if noise_shape is None else tuple(d if d is not None else s
                                                             for d, s in zip(noise_shape, x.shape))
    keep = (_generator(seed).uniform(size=shape) >= rate).astype(x.dtype) / (1.0 - rate)
    return ops.multiply(x, Tensor(keep))


def shuffle(x, axis: int = 0, seed=None) -> Tensor:
    """`x` with its slices along `axis` in a random order."""
    values = np.asarray(getattr(x, "value", x))
    order = _generator(seed).permutation(values.shape[axis])
    return Tensor(np.take(values, order, axis=axis))


def gamma(shape, alpha, dtype=None, seed=None) -> Tensor:
    """Samples from a gamma distribution with concentration `alpha` (scale 1)."""
    return _float(_generator(seed).gamma(alpha, size=_shape(shape)), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None) -> Tensor:
    return _float(_generator(seed).binomial(counts, probabilities, size=_shape(shape)), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None) -> Tensor:
    return _float(_generator(seed).beta(alpha, beta, size=_shape(shape)), dtype)


__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint", "shuffle",
           "truncated_normal", "uniform"]
