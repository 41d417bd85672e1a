"""Two tiny kernels for tests/engine/test_kernels.py (Numba caches only functions defined in files)."""

from engine.kernels import kernel


@kernel
def divide(a, b, out):
    for i in range(a.size):
        out[i] = a[i] / b[i]


@kernel
def total(values):
    result = 0.0
    for value in values:
        result += value
    return result
