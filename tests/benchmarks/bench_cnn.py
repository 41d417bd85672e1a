"""Training throughput of a small CNN (28x28x1 -> Conv2D 32 3x3 relu -> MaxPool 2 -> Conv2D 64 3x3 relu ->
MaxPool 2 -> Flatten -> Dense 10 softmax; sparse categorical cross-entropy, RMSprop, batch 128, 2,048 random
samples): our engine side by side with PyTorch eager CPU and Keras (torch backend) when installed.

Each measurement runs in a fresh process (one framework's idle, spinning worker threads must not slow down
the next on a small machine), and every training batch is timed: the median and fastest-decile batch times
resist a busy machine better than whole epochs.

Run: python tests/benchmarks/bench_cnn.py [--samples 2048] [--epochs 2] [--repeats 3] [--threads N] [--profile]
`--threads N` gives every framework N threads (BLAS, OpenMP, torch); the default lets each use all cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _threads_argument() -> int | None:
    """--threads must act before NumPy and torch load their thread pools, so it is read this early."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return None


THREADS = _threads_argument()
if THREADS:
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_name] = str(THREADS)

import numpy as np  # noqa: E402

# this checkout's engine, even when another copy is installed (e.g. `pip install -e` elsewhere)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from harness import batch_timer, profile_engine_fit, time_engine_fit  # noqa: E402

CLASSES, BATCH = 10, 128


def data(samples: int):
    rng = np.random.default_rng(0)
    return rng.random((samples, 28, 28, 1), dtype=np.float32), rng.integers(0, CLASSES, samples)


def build_engine_model():
    import engine as keras
    from engine import layers

    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy")
    return model


def bench_engine(x, y, epochs: int) -> dict:
    return time_engine_fit(build_engine_model(), x, y, epochs, BATCH)


def bench_torch(x, y, epochs: int) -> dict | None:
    try:
        import torch
    except ImportError:
        return None
    if THREADS:
        torch.set_num_threads(THREADS)
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, CLASSES))
    # Keras's RMSprop: rho 0.9, epsilon 1e-7 (torch adds it outside the square root: a negligible difference)
    optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits, as Keras fuses them
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # NHWC -> NCHW, once
    yt = torch.from_numpy(y)
    times: list[float] = []

    def run(n_epochs: int, limit: int):
        for _ in range(n_epochs):
            order = torch.randperm(limit)
            for start in range(0, limit, BATCH):
                began = time.perf_counter()
                idx = order[start:start + BATCH]
                optimizer.zero_grad()
                loss = loss_fn(net(xt[idx]), yt[idx])
                loss.backward()
                optimizer.step()
                times.append(time.perf_counter() - began)

    run(1, BATCH * 2)
    times.clear()
    start = time.perf_counter()
    run(epochs, len(x))
    return {"total": time.perf_counter() - start, "batches": times}


def bench_keras(x, y, epochs: int) -> dict | None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        return None
    if THREADS:
        import torch
        torch.set_num_threads(THREADS)
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy")
    model.fit(x[:BATCH * 2], y[:BATCH * 2], batch_size=BATCH, epochs=1, verbose=0)
    timer = batch_timer(keras.callbacks.Callback)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
    return {"total": time.perf_counter() - start, "batches": timer.times}


def profile_engine(x, y, epochs: int, top: int = 25) -> None:
    profile_engine_fit(build_engine_model(), x, y, epochs, BATCH, top)


BENCHES = {"engine": bench_engine, "torch": bench_torch, "keras": bench_keras}


def measure(name: str, args) -> dict | None:
    """One framework's run in a fresh Python process: {"total": seconds, "batches": [seconds, ...]}."""
    command = [sys.executable, __file__, "--worker", name, "--samples", str(args.samples),
               "--epochs", str(args.epochs)] + (["--threads", str(args.threads)] if args.threads else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} benchmark failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="rounds; each runs every framework once")
    parser.add_argument("--threads", type=int, default=None, help="threads for every framework (default: all)")
    parser.add_argument("--profile", action="store_true", help="profile our engine's fit instead")
    parser.add_argument("--worker", choices=sorted(BENCHES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    x, y = data(args.samples)
    if args.worker:
        print(json.dumps(BENCHES[args.worker](x, y, args.epochs)))
        return
    if args.profile:
        profile_engine(x, y, args.epochs)
        return
    runs: dict[str, list[dict]] = {"engine": [], "torch": [], "keras": []}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every framework alike
        for name in runs:
            result = measure(name, args)
            if result is not None:
                runs[name].append(result)
    print(f"CNN 28x28x1 conv32-pool-conv64-pool-dense10, batch {BATCH}, {args.samples} samples x {args.epochs} "
          f"epochs, {args.threads or 'all'} thread(s), {args.repeats} rounds")
    print("  samples/s: best epoch, median epoch, and from the median / fastest-decile batch time "
          "(the last two resist a busy machine)")
    rates = {}
    for name, results in runs.items():
        if not results:
            continue
        epochs = [args.samples * args.epochs / r["total"] for r in results]
        batches = np.concatenate([r["batches"] for r in results])
        rates[name] = (max(epochs), float(np.median(epochs)), BATCH / float(np.median(batches)),
                       BATCH / float(np.percentile(batches, 10)))
        print(f"  {name:7s} " + "  ".join(f"{v:8.0f}" for v in rates[name]))
    for other in ("torch", "keras"):
        if other in rates:
            ratios = [a / b for a, b in zip(rates["engine"], rates[other])]
            print(f"  engine / {other}: " + "  ".join(f"{r:7.2f}x" for r in ratios))


if __name__ == "__main__":
    main()
