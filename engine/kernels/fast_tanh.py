"""tanh for compiled kernels: float32 by a rational approximation that Numba vectorizes, float64 exact.

Numba's `math.tanh` calls the C library once per value (~20 ns, no SIMD); NumPy's tanh is SIMD (~0.5 ns a
value) but a call of its own, a pass over memory. Inside a fused kernel `tanh32` gives float32 tanh in a
few multiply-adds and one division, branch-free, so the loop around it stays vectorized: the odd degree-13
over even degree-6 minimax fraction that Eigen and XLA use for float32 tanh, on |x| <= 7.90531 (beyond,
tanh is 1 in float32). Largest error against exact tanh: a few float32 ulp (checked over a dense grid in
tests/engine/test_rnn_kernels.py).
"""

from __future__ import annotations

import numpy as np

from engine.kernels import kernel

__all__ = ["tanh32"]

_f = np.float32
_CLAMP = _f(7.90531110763549805)
_A1, _A3, _A5 = _f(4.89352455891786e-03), _f(6.37261928875436e-04), _f(1.48572235717979e-05)
_A7, _A9 = _f(5.12229709037114e-08), _f(-8.60467152213735e-11)
_A11, _A13 = _f(2.00018790482477e-13), _f(-2.76076847742355e-16)
_B0, _B2, _B4, _B6 = (_f(4.89352518554385e-03), _f(2.26843463243900e-03), _f(1.18534705686654e-04),
                      _f(1.19825839466702e-06))


@kernel
def tanh32(x):
    """tanh of one float32 value in float32 arithmetic (inlined into the kernels that call it)."""
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x2 * _A13 + _A11
    p = x2 * p + _A9
    p = x2 * p + _A7
    p = x2 * p + _A5
    p = x2 * p + _A3
    p = x2 * p + _A1
    q = x2 * _B6 + _B4
    q = x2 * q + _B2
    q = x2 * q + _B0
    return x * p / q
