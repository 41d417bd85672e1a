"""More elementwise ops of `keras.ops`: trigonometry, special functions, float tests, bitwise and logic.

Float functions of integer or boolean input return float32 (floatx), as Keras does; Python numbers become
float32 too. Differentiable ones record a vector-Jacobian product.
"""

from __future__ import annotations

import math

import numpy as np

from engine import backend
from engine.autodiff import Tensor, make, unbroadcast
from engine.ops.core import value_of

__all__ = [
    "allclose", "angle", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift",
    "bitwise_xor", "cbrt", "conj", "conjugate", "cosh", "deg2rad", "divide_no_nan", "erf", "erfc", "erfinv",
    "exp2", "fabs", "fmax", "fmin", "fmod", "gcd", "heaviside", "hypot", "i0", "imag", "isclose", "isinf",
    "isneginf", "isposinf", "isreal", "lcm", "ldexp", "left_shift", "log10", "log2", "logaddexp", "logaddexp2",
    "logical_xor", "nan_to_num", "nextafter", "rad2deg", "real", "reciprocal", "right_shift", "rsqrt",
    "signbit", "sinc", "sinh", "tan", "trunc",
]


def float_array(x) -> np.ndarray:
    """`x` as a float array: integers, booleans and Python numbers become floatx."""
    a = np.asarray(value_of(x))
    if a.dtype.kind not in "fc" or not isinstance(value_of(x), (np.ndarray, np.generic)):
        a = a.astype(backend.floatx())
    return a


def unary(x, forward, derivative=None) -> Tensor:
    """y = forward(x) on a float array; its gradient g * derivative(x, y) (no gradient when None)."""
    a = float_array(x)
    out = np.asarray(forward(a)).astype(a.dtype, copy=False)
    if derivative is None:
        return Tensor(out)
    return make(out, (x,), lambda g: ((g * derivative(a, out)).astype(a.dtype, copy=False),))


def binary(x1, x2, forward, derivatives=None) -> Tensor:
    """y = forward(a, b) on float arrays; gradients g * da(a, b, y) and g * db(a, b, y), unbroadcast."""
    a, b = float_array(x1), float_array(x2)
    dtype = np.result_type(a, b)
    out = np.asarray(forward(a, b)).astype(dtype, copy=False)
    if derivatives is None:
        return Tensor(out)
    da, db = derivatives

    def vjp(g):
        return (unbroadcast((g * da(a, b, out)).astype(dtype, copy=False), a.shape),
                unbroadcast((g * db(a, b, out)).astype(dtype, copy=False), b.shape))

    return make(out, (x1, x2), vjp)


def _array(x) -> np.ndarray:
    return np.asarray(value_of(x))


# -- trigonometric and hyperbolic ------------------------------------------------------------------

def tan(x) -> Tensor:
    return unary(x, np.tan, lambda a, y: 1 + y * y)


def sinh(x) -> Tensor:
    return unary(x, np.sinh, lambda a, y: np.cosh(a))


def cosh(x) -> Tensor:
    return unary(x, np.cosh, lambda a, y: np.sinh(a))


def arcsin(x) -> Tensor:
    return unary(x, np.arcsin, lambda a, y: 1 / np.sqrt(1 - a * a))


def arccos(x) -> Tensor:
    return unary(x, np.arccos, lambda a, y: -1 / np.sqrt(1 - a * a))


def arctan(x) -> Tensor:
    return unary(x, np.arctan, lambda a, y: 1 / (1 + a * a))


def arcsinh(x) -> Tensor:
    return unary(x, np.arcsinh, lambda a, y: 1 / np.sqrt(a * a + 1))


def arccosh(x) -> Tensor:
    return unary(x, np.arccosh, lambda a, y: 1 / np.sqrt(a * a - 1))


def arctanh(x) -> Tensor:
    return unary(x, np.arctanh, lambda a, y: 1 / (1 - a * a))


def arctan2(x1, x2) -> Tensor:
    return binary(x1, x2, np.arctan2, (lambda a, b, y: b / (a * a + b * b), lambda a, b, y: -a / (a * a + b * b)))


def hypot(x1, x2) -> Tensor:
    return binary(x1, x2, np.hypot, (lambda a, b, y: a / y, lambda a, b, y: b / y))


def deg2rad(x) -> Tensor:
    return unary(x, np.deg2rad, lambda a, y: np.pi / 180)


def rad2deg(x) -> Tensor:
    return unary(x, np.rad2deg, lambda a, y: 180 / np.pi)


def sinc(x) -> Tensor:
    def derivative(a, y):
        pa = np.pi * np.where(a == 0, 1, a)
        return np.where(a == 0, 0, (np.cos(pa) * pa - np.sin(pa)) / (pa * np.where(a == 0, 1, a)))
    return unary(x, np.sinc, derivative)


# -- powers, logs, rounding ----------------------------------------------------------------------------

def log2(x) -> Tensor:
    return unary(x, np.log2, lambda a, y: 1 / (a * math.log(2)))


def log10(x) -> Tensor:
    return unary(x, np.log10, lambda a, y: 1 / (a * math.log(10)))


def exp2(x) -> Tensor:
    return unary(x, np.exp2, lambda a, y: y * math.log(2))


def cbrt(x) -> Tensor:
    return unary(x, np.cbrt, lambda a, y: 1 / (3 * y * y))


def reciprocal(x) -> Tensor:
    return unary(x, np.reciprocal, lambda a, y: -y * y)


def rsqrt(x) -> Tensor:
    return unary(x, lambda a: 1 / np.sqrt(a), lambda a, y: -0.5 * y / a)


def logaddexp(x1, x2) -> Tensor:
    return binary(x1, x2, np.logaddexp, (lambda a, b, y: np.exp(a - y), lambda a, b, y: np.exp(b - y)))


def logaddexp2(x1, x2) -> Tensor:
    return binary(x1, x2, np.logaddexp2, (lambda a, b, y: np.exp2(a - y), lambda a, b, y: np.exp2(b - y)))


def fabs(x) -> Tensor:
    return unary(x, np.fabs, lambda a, y: np.sign(a))


def trunc(x) -> Tensor:
    a = _array(x)
    return Tensor(np.trunc(a))


def fmod(x1, x2) -> Tensor:
    a, b = _array(x1), _array(x2)
    return Tensor(np.fmod(a, b))


def fmax(x1, x2) -> Tensor:
    return binary(x1, x2, np.fmax, (lambda a, b, y: (a >= b) | np.isnan(b), lambda a, b, y: (b > a) | np.isnan(a)))


def fmin(x1, x2) -> Tensor:
    return binary(x1, x2, np.fmin, (lambda a, b, y: (a <= b) | np.isnan(b), lambda a, b, y: (b < a) | np.isnan(a)))


def ldexp(x1, x2) -> Tensor:
    a, b = float_array(x1), _array(x2)
    if b.dtype.kind not in "iub":
        raise TypeError(f"ldexp needs integer exponents, got {b.dtype}")
    scale = np.exp2(b).astype(a.dtype)
    return make(np.ldexp(a, b).astype(a.dtype), (x1,), lambda g: (unbroadcast(g * scale, a.shape),))


def nextafter(x1, x2) -> Tensor:
    a, b = float_array(x1), float_array(x2)
    return Tensor(np.nextafter(a, b.astype(a.dtype)))


def heaviside(x1, x2) -> Tensor:
    a, b = float_array(x1), float_array(x2)
    return Tensor(np.heaviside(a, b))


def divide_no_nan(x1, x2) -> Tensor:
    """x1 / x2, and 0 where x2 is 0."""
    def safe(b):
        return np.where(b == 0, 1, b)
    return binary(x1, x2, lambda a, b: np.where(b == 0, 0, a / safe(b)),
                  (lambda a, b, y: np.where(b == 0, 0, 1 / safe(b)),
                   lambda a, b, y: np.where(b == 0, 0, -y / safe(b))))


def gcd(x1, x2) -> Tensor:
    return Tensor(np.gcd(_array(x1), _array(x2)))


def lcm(x1, x2) -> Tensor:
    return Tensor(np.lcm(_array(x1), _array(x2)))


# -- special functions -----------------------------------------------------------------------------

_erf64 = np.frompyfunc(math.erf, 1, 1)
_erfc64 = np.frompyfunc(math.erfc, 1, 1)
_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)


def _erf_values(a: np.ndarray) -> np.ndarray:
    return _erf64(a.astype(np.float64)).astype(np.float64)


def erf(x) -> Tensor:
    return unary(x, _erf_values, lambda a, y: _TWO_OVER_ROOT_PI * np.exp(-a * a))


def erfc(x) -> Tensor:
    return unary(x, lambda a: _erfc64(a.astype(np.float64)).astype(np.float64),
                 lambda a, y: -_TWO_OVER_ROOT_PI * np.exp(-a * a))


def _erfinv_values(y: np.ndarray) -> np.ndarray:
    """Inverse error function: Giles's single-precision approximation, then Newton steps on erf."""
    y = y.astype(np.float64)
    w = -np.log(np.clip((1 - y) * (1 + y), 1e-300, None))
    small = w < 5
    ws, wl = w - 2.5, np.sqrt(w) - 3
    p_small = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
              0.246640727, 1.50140941):
        p_small = c + p_small * ws
    p_large = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
              1.00167406, 2.83297682):
        p_large = c + p_large * wl
    x = np.where(small, p_small, p_large) * y
    inside = np.abs(y) < 1
    for _ in range(2):
        step = (_erf_values(x) - y) / (_TWO_OVER_ROOT_PI * np.exp(-x * x))
        x = np.where(inside, x - step, x)
    return np.where(np.abs(y) == 1, np.sign(y) * np.inf, np.where(np.abs(y) > 1, np.nan, x))


def erfinv(x) -> Tensor:
    return unary(x, _erfinv_values, lambda a, y: np.exp(y.astype(np.float64) ** 2) / _TWO_OVER_ROOT_PI)


def i0(x) -> Tensor:
    return unary(x, np.i0)


# -- complex parts (real inputs) -----------------------------------------------------------------------

def real(x) -> Tensor:
    a = _array(x)
    return make(np.real(a), (x,), lambda g: (g,))


def imag(x) -> Tensor:
    return Tensor(np.imag(_array(x)))


def conj(x) -> Tensor:
    a = _array(x)
    return make(np.conj(a), (x,), lambda g: (np.conj(g),))


conjugate = conj


def angle(x) -> Tensor:
    return unary(x, np.angle)


# -- float tests -------------------------------------------------------------------------------------

def isinf(x) -> Tensor:
    return Tensor(np.isinf(_array(x)))


def isposinf(x) -> Tensor:
    return Tensor(np.isposinf(_array(x)))


def isneginf(x) -> Tensor:
    return Tensor(np.isneginf(_array(x)))


def isreal(x) -> Tensor:
    return Tensor(np.isreal(_array(x)))


def signbit(x) -> Tensor:
    return Tensor(np.signbit(_array(x)))


def isclose(x1, x2, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    return Tensor(np.asarray(np.isclose(_array(x1), _array(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(x1, x2, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    return Tensor(np.asarray(np.allclose(_array(x1), _array(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)))


def nan_to_num(x, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    a = _array(x)
    out = np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)
    if a.dtype.kind != "f":
        return Tensor(out)
    finite = np.isfinite(a)
    return make(out, (x,), lambda g: (g * finite,))


# -- logic and bits --------------------------------------------------------------------------------

def logical_xor(x1, x2) -> Tensor:
    return Tensor(np.asarray(np.logical_xor(_array(x1), _array(x2))))


def _integer(x) -> np.ndarray:
    a = _array(x)
    if a.dtype.kind not in "biu":
        raise TypeError(f"Bitwise operations need integer or boolean tensors, got {a.dtype}")
    return a


def bitwise_and(x, y) -> Tensor:
    return Tensor(np.asarray(np.bitwise_and(_integer(x), _integer(y))))


def bitwise_or(x, y) -> Tensor:
    return Tensor(np.asarray(np.bitwise_or(_integer(x), _integer(y))))


def bitwise_xor(x, y) -> Tensor:
    return Tensor(np.asarray(np.bitwise_xor(_integer(x), _integer(y))))


def bitwise_invert(x) -> Tensor:
    return Tensor(np.asarray(np.invert(_integer(x))))


bitwise_not = bitwise_invert


def bitwise_left_shift(x, y) -> Tensor:
    return Tensor(np.asarray(np.left_shift(_integer(x), _integer(y))))


def bitwise_right_shift(x, y) -> Tensor:
    return Tensor(np.asarray(np.right_shift(_integer(x), _integer(y))))


left_shift, right_shift = bitwise_left_shift, bitwise_right_shift
