"""engine.kernels: lazily compiled loops that release the GIL and keep NumPy's float semantics."""

import threading

import numpy as np
from kernel_samples import divide, total


def test_kernel_compiles_on_first_call_and_gives_numpy_float_semantics():
    a = np.array([1.0, -1.0, 0.0], dtype=np.float32)
    out = np.empty_like(a)
    divide(a, np.zeros_like(a), out)  # a division by zero gives inf / NaN, as NumPy's, instead of raising
    assert np.isposinf(out[0]) and np.isneginf(out[1]) and np.isnan(out[2])
    assert divide.compiled() is divide.compiled()


def test_kernels_run_in_parallel_threads():
    parts = np.arange(4_000, dtype=np.float64).reshape(4, -1)
    results = [0.0] * len(parts)

    def work(i):
        results[i] = total(parts[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(parts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [float(p.sum()) for p in parts]
