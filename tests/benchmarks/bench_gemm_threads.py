"""The matrix products of one MLP training step (784-256-128-10, batch 128: forward x @ kernel, backward
x.T @ g and g @ kernel.T) with two threads shared out two ways: the BLAS library's own threads, or the
engine's way of splitting a batch ("one pool": the rows in halves on two Python threads, each product
with a single-threaded BLAS). Decides engine.config's default; each way runs in its own process.

Run: python tests/benchmarks/bench_gemm_threads.py [--steps 300]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

SHAPES = [(784, 256), (256, 128), (128, 10)]
BATCH = 128
WAYS = {"blas, 1 thread": ("blas", 1), "blas, 2 threads": ("blas", 2), "one pool, 2 threads": ("pool", 1)}


def run(way: str, steps: int) -> None:
    """In a worker process: print the median and first-quartile time of `steps` steps, in ms."""
    import numpy as np

    rng = np.random.default_rng(0)
    kernels = [rng.normal(size=s).astype(np.float32) for s in SHAPES]
    inputs = [rng.normal(size=(BATCH, s[0])).astype(np.float32) for s in SHAPES]
    grads = [rng.normal(size=(BATCH, s[1])).astype(np.float32) for s in SHAPES]
    pool = ThreadPoolExecutor(1)

    def rows_in_halves(a, b, out):
        """out = a @ b, the rows of `a` and `out` in halves on two threads."""
        half = len(a) // 2
        other = pool.submit(np.matmul, a[half:], b, out=out[half:])
        np.matmul(a[:half], b, out=out[:half])
        other.result()

    def blas_step():
        for i, (x, k, g) in enumerate(zip(inputs, kernels, grads)):
            x @ k, x.T @ g, (g @ k.T if i else None)

    def pool_step():
        for i, (x, k, g) in enumerate(zip(inputs, kernels, grads)):
            rows_in_halves(x, k, np.empty((BATCH, k.shape[1]), np.float32))
            rows_in_halves(x.T, g, np.empty_like(k))
            if i:
                rows_in_halves(g, k.T, np.empty_like(x))

    step = pool_step if way == "pool" else blas_step
    for _ in range(20):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(f"{np.median(times) * 1e3:.3f} {np.percentile(times, 25) * 1e3:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run(args.worker, args.steps)
        return
    print(f"matrix products of one MLP step, batch {BATCH}, {args.steps} steps; ms per step (median, first quartile)")
    for label, (way, threads) in WAYS.items():
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        done = subprocess.run([sys.executable, __file__, "--worker", way, "--steps", str(args.steps)],
                              capture_output=True, text=True, env=env, check=True)
        median, quartile = done.stdout.split()
        print(f"  {label:22s} {median:>8s} {quartile:>8s}")


if __name__ == "__main__":
    main()
