"""Training throughput of a small LSTM model (sequences 50x16 -> LSTM 64 -> Dense 10 softmax; sparse
categorical cross-entropy, RMSprop, batch 128, 2,048 random samples): our engine side by side with PyTorch
eager CPU (torch.nn.LSTM, batch_first) and Keras (torch backend) when installed.

Each measurement runs in a fresh process, so that one framework's idle worker threads (OpenMP and OpenBLAS
spin for a while after their last job) do not slow down the next one on a small machine.

Run: python tests/benchmarks/bench_lstm.py [--samples 2048] [--epochs 1] [--repeats 5] [--threads N] [--profile]
[--manual]. `--threads N` gives every framework N threads (BLAS, OpenMP, torch); the default lets each use all
cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from harness import batch_timer, profile_engine_fit, time_engine_fit

# this checkout's engine, even when another copy is installed
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

STEPS, FEATURES, UNITS, CLASSES, BATCH = 50, 16, 64, 10, 128


def data(samples: int):
    rng = np.random.default_rng(0)
    return rng.standard_normal((samples, STEPS, FEATURES), dtype=np.float32), rng.integers(0, CLASSES, samples)


def build_engine_model():
    import engine as keras
    from engine import layers

    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layers.LSTM(UNITS),
                              layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy")
    return model


def bench_engine(x, y, epochs: int) -> dict:
    return time_engine_fit(build_engine_model(), x, y, epochs, BATCH)


def bench_engine_manual(x, y, epochs: int) -> dict:
    """The same training without the trainer: forward, `gradients`, an RMSprop update written out."""
    import engine as keras
    from engine import layers, ops
    from engine.autodiff import gradients

    lstm, dense = layers.LSTM(UNITS), layers.Dense(CLASSES, activation="softmax")
    weights = None
    caches = None

    def step(xb, yb):
        nonlocal weights, caches
        loss = ops.mean(keras.ops.sparse_categorical_crossentropy(yb, dense(lstm(xb))))
        if weights is None:
            weights = lstm.trainable_weights + dense.trainable_weights
            caches = [np.zeros_like(w.value) for w in weights]
        for w, g, cache in zip(weights, gradients(loss, weights), caches):
            cache *= 0.9
            cache += 0.1 * g * g
            w.value -= 1e-3 * g / (np.sqrt(cache) + 1e-7)

    times: list[float] = []

    def run(n_epochs: int, limit: int):
        for _ in range(n_epochs):
            order = np.random.permutation(limit)
            for start in range(0, limit, BATCH):
                idx = order[start:start + BATCH]
                began = time.perf_counter()
                step(x[idx], y[idx])
                times.append(time.perf_counter() - began)

    run(1, BATCH * 2)
    times.clear()
    start = time.perf_counter()
    run(epochs, len(x))
    return {"total": time.perf_counter() - start, "batches": times}


def bench_torch(x, y, epochs: int) -> dict | None:
    try:
        import torch
    except ImportError:
        return None
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(FEATURES, UNITS, batch_first=True)
            self.dense = nn.Linear(UNITS, CLASSES)

        def forward(self, inputs):
            _, (h, _) = self.lstm(inputs)
            return self.dense(h[-1])

    if os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    net = Net()
    # Keras's RMSprop: rho 0.9, epsilon 1e-7 (torch adds it outside the square root: a negligible difference)
    optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits, as Keras fuses them
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

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
    layers = keras.layers
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layers.LSTM(UNITS),
                              layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy")
    model.fit(x[:BATCH * 2], y[:BATCH * 2], batch_size=BATCH, epochs=1, verbose=0)
    timer = batch_timer(keras.callbacks.Callback)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
    return {"total": time.perf_counter() - start, "batches": timer.times}


def profile_engine(x, y, epochs: int, top: int = 25) -> None:
    profile_engine_fit(build_engine_model(), x, y, epochs, BATCH, top)


BENCHES = {"engine": bench_engine, "manual": bench_engine_manual, "torch": bench_torch, "keras": bench_keras}


def measure(name: str, args) -> dict | None:
    """One framework's run in a fresh Python process: {"total": seconds, "batches": [seconds, ...]}."""
    command = [sys.executable, __file__, "--worker", name, "--samples", str(args.samples),
               "--epochs", str(args.epochs)]
    env = dict(os.environ)
    if args.threads:
        env.update({name: str(args.threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                         "MKL_NUM_THREADS")})
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{name} benchmark failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="rounds; each runs every framework once")
    parser.add_argument("--threads", type=int, default=None, help="threads for every framework (default: all)")
    parser.add_argument("--profile", action="store_true", help="profile our engine's fit instead")
    parser.add_argument("--manual", action="store_true",
                        help="time our engine with a hand-written loop instead of model.fit")
    parser.add_argument("--worker", choices=sorted(BENCHES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    x, y = data(args.samples)
    if args.worker:
        print(json.dumps(BENCHES[args.worker](x, y, args.epochs)))
        return
    if args.profile:
        profile_engine(x, y, args.epochs)
        return
    ours = "manual" if args.manual else "engine"
    runs: dict[str, list[dict]] = {"engine": [], "torch": [], "keras": []}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every framework alike
        for name, worker in (("engine", ours), ("torch", "torch"), ("keras", "keras")):
            result = measure(worker, args)
            if result is not None:
                runs[name].append(result)
    how = "manual loop" if args.manual else "model.fit"
    print(f"LSTM {STEPS}x{FEATURES} -> LSTM {UNITS} -> dense {CLASSES}, batch {BATCH}, {args.samples} samples x "
          f"{args.epochs} epochs, engine via {how}, {args.threads or 'all'} thread(s), {args.repeats} rounds")
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
