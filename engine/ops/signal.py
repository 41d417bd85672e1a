"""Fourier transforms and framing of `keras.ops.math`: `fft`, `fft2`, `ifft2`, `rfft`, `irfft` on (real, imag)
pairs as Keras passes them, each with its gradient (they are linear), plus `extract_sequences`, `cdist` and the
complex views."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.autodiff import Tensor, make
from engine.ops.core import value_of

__all__ = ["cdist", "extract_sequences", "fft", "fft2", "ifft2", "irfft", "rfft", "view_as_complex", "view_as_real"]


def _float(x) -> np.ndarray:
    a = np.asarray(value_of(x))
    return a if a.dtype.kind == "f" else a.astype(backend.floatx())


def _pair(x, op: str) -> tuple[np.ndarray, np.ndarray, tuple]:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{op} takes a tuple (real, imag) of two tensors, as Keras's; got {type(x).__name__}")
    real, imag = _float(x[0]), _float(x[1])
    if real.shape != imag.shape:
        raise ValueError(f"{op}: the real part {real.shape} and imaginary part {imag.shape} differ in shape")
    return real, imag, tuple(x)


def _complex_outputs(z: np.ndarray, dtype, parents: tuple, backward) -> tuple[Tensor, Tensor]:
    """(real, imag) outputs of one linear map, sharing one vector-Jacobian product `backward(g_complex)`."""
    joint = make(np.stack([z.real, z.imag]).astype(dtype), parents,
                 lambda g: backward(g[0].astype(np.float64) + 1j * g[1].astype(np.float64)))
    from engine.ops.array import get_item
    return get_item(joint, 0), get_item(joint, 1)


def _split(grad: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    return grad.real.astype(dtype), grad.imag.astype(dtype)


def fft(x) -> tuple[Tensor, Tensor]:
    real, imag, parents = _pair(x, "fft")
    n = real.shape[-1]
    return _complex_outputs(np.fft.fft(real + 1j * imag), real.dtype, parents,
                            lambda g: _split(np.fft.ifft(g) * n, real.dtype))


def fft2(x) -> tuple[Tensor, Tensor]:
    real, imag, parents = _pair(x, "fft2")
    n = real.shape[-1] * real.shape[-2]
    return _complex_outputs(np.fft.fft2(real + 1j * imag), real.dtype, parents,
                            lambda g: _split(np.fft.ifft2(g) * n, real.dtype))


def ifft2(x) -> tuple[Tensor, Tensor]:
    real, imag, parents = _pair(x, "ifft2")
    n = real.shape[-1] * real.shape[-2]
    return _complex_outputs(np.fft.ifft2(real + 1j * imag), real.dtype, parents,
                            lambda g: _split(np.fft.fft2(g) / n, real.dtype))


def rfft(x, fft_length=None) -> tuple[Tensor, Tensor]:
    a = _float(x)
    n = a.shape[-1] if fft_length is None else int(fft_length)

    def backward(g):
        full = np.zeros(a.shape[:-1] + (n,), dtype=np.complex128)
        full[..., :g.shape[-1]] = g
        grad = (np.fft.ifft(full) * n).real  # d/dx_t of sum_k Re(conj(g_k) y_k)
        out = np.zeros(a.shape, dtype=np.float64)
        m = min(n, a.shape[-1])
        out[..., :m] = grad[..., :m]
        return (out.astype(a.dtype),)

    z = np.fft.rfft(a, n=n)
    joint = make(np.stack([z.real, z.imag]).astype(a.dtype), (x,),
                 lambda g: backward(g[0].astype(np.float64) + 1j * g[1].astype(np.float64)))
    from engine.ops.array import get_item
    return get_item(joint, 0), get_item(joint, 1)


def irfft(x, fft_length=None) -> Tensor:
    real, imag, parents = _pair(x, "irfft")
    m = real.shape[-1]
    n = 2 * (m - 1) if fft_length is None else int(fft_length)
    out = np.fft.irfft(real + 1j * imag, n=n)

    def vjp(g):
        spectrum = np.fft.rfft(g.astype(np.float64), n=n)  # sum_t g_t e^{-2 pi i k t / n}
        weights = np.full(n // 2 + 1, 2.0 / n)
        weights[0] = 1.0 / n
        if n % 2 == 0:
            weights[-1] = 1.0 / n
        grad_real = spectrum.real * weights
        grad_imag = spectrum.imag * weights
        grad_imag[..., 0] = 0  # the DC (and for even n the Nyquist) imaginary parts are ignored
        if n % 2 == 0:
            grad_imag[..., -1] = 0
        gr = np.zeros(real.shape, dtype=real.dtype)
        gi = np.zeros(real.shape, dtype=real.dtype)
        k = min(m, n // 2 + 1)
        gr[..., :k], gi[..., :k] = grad_real[..., :k], grad_imag[..., :k]
        return gr, gi

    return make(out.astype(real.dtype), parents, vjp)


def view_as_real(x) -> Tensor:
    a = np.asarray(value_of(x))
    return Tensor(np.stack([a.real, a.imag], axis=-1))


def view_as_complex(x) -> Tensor:
    a = np.asarray(value_of(x))
    if a.shape[-1] != 2:
        raise ValueError(f"view_as_complex needs a last axis of size 2, got shape {a.shape}")
    return Tensor(a[..., 0] + 1j * a[..., 1])


def extract_sequences(x, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of `sequence_length` along the last axis, every `sequence_stride` samples."""
    from engine.ops.array import take
    n = np.shape(value_of(x))[-1]
    count = 1 + (n - sequence_length) // sequence_stride
    index = np.arange(count)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return take(x, index, axis=-1)


def cdist(x, y) -> Tensor:
    """Euclidean distances between the rows of x (..., P, M) and of y (..., R, M): (..., P, R)."""
    from engine import ops
    difference = ops.subtract(ops.expand_dims(x, -2), ops.expand_dims(y, -3))
    return ops.sqrt(ops.sum(ops.square(difference), axis=-1))
