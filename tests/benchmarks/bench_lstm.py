"""Training throughput of a small LSTM model (sequences 50x16 -> LSTM 64 -> Dense 10 softmax; sparse
categorical cross-entropy, RMSprop, batch 128, 2,048 random samples): our engine side by side with PyTorch
eager CPU (torch.nn.LSTM, batch_first) and Keras (torch backend) when installed.

Each measurement runs in a fresh process, so that one framework's idle worker threads (OpenMP and OpenBLAS
spin for a while after their last job) do not slow down the next one on a small machine.

Run: python tests/benchmarks/bench_lstm.py [--samples 2048] [--epochs 1] [--repeats 5] [--profile] [--manual]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time

import numpy as np

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


def bench_engine(x, y, epochs: int) -> float:
    model = build_engine_model()
    model.fit(x[:BATCH * 2], y[:BATCH * 2], batch_size=BATCH, epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True)
    return len(x) * epochs / (time.perf_counter() - start)


def bench_engine_manual(x, y, epochs: int) -> float:
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

    def run(n_epochs: int, limit: int):
        for _ in range(n_epochs):
            order = np.random.permutation(limit)
            for start in range(0, limit, BATCH):
                idx = order[start:start + BATCH]
                step(x[idx], y[idx])

    run(1, BATCH * 2)
    start = time.perf_counter()
    run(epochs, len(x))
    return len(x) * epochs / (time.perf_counter() - start)


def bench_torch(x, y, epochs: int) -> float | None:
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

    net = Net()
    # Keras's RMSprop: rho 0.9, epsilon 1e-7 (torch adds it outside the square root: a negligible difference)
    optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits, as Keras fuses them
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def run(n_epochs: int, limit: int):
        for _ in range(n_epochs):
            order = torch.randperm(limit)
            for start in range(0, limit, BATCH):
                idx = order[start:start + BATCH]
                optimizer.zero_grad()
                loss = loss_fn(net(xt[idx]), yt[idx])
                loss.backward()
                optimizer.step()

    run(1, BATCH * 2)
    start = time.perf_counter()
    run(epochs, len(x))
    return len(x) * epochs / (time.perf_counter() - start)


def bench_keras(x, y, epochs: int) -> float | None:
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
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
    return len(x) * epochs / (time.perf_counter() - start)


def profile_engine(x, y, epochs: int, top: int = 25) -> None:
    """Where our engine's training time goes, by own time."""
    model = build_engine_model()
    model.fit(x[:BATCH * 2], y[:BATCH * 2], batch_size=BATCH, epochs=1, verbose=0)
    profiler = cProfile.Profile()
    profiler.enable()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


BENCHES = {"engine": bench_engine, "manual": bench_engine_manual, "torch": bench_torch, "keras": bench_keras}


def measure(name: str, args) -> float | None:
    """Samples per second of one framework, measured in a fresh Python process."""
    command = [sys.executable, __file__, "--worker", name, "--samples", str(args.samples),
               "--epochs", str(args.epochs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} benchmark failed:\n{done.stderr}")
    value = done.stdout.strip().splitlines()[-1]
    return None if value == "None" else float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="rounds; each runs every framework once")
    parser.add_argument("--profile", action="store_true", help="profile our engine's fit instead")
    parser.add_argument("--manual", action="store_true",
                        help="time our engine with a hand-written loop instead of model.fit")
    parser.add_argument("--worker", choices=sorted(BENCHES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    x, y = data(args.samples)
    if args.worker:
        print(BENCHES[args.worker](x, y, args.epochs))
        return
    if args.profile:
        profile_engine(x, y, args.epochs)
        return
    ours = "manual" if args.manual else "engine"
    results: dict[str, list[float]] = {"engine": [], "torch": [], "keras": []}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every framework alike
        for name, worker in (("engine", ours), ("torch", "torch"), ("keras", "keras")):
            value = measure(worker, args)
            if value is not None:
                results[name].append(value)
    best = {name: max(values) for name, values in results.items() if values}
    median = {name: float(np.median(values)) for name, values in results.items() if values}
    how = "manual loop" if args.manual else "model.fit"
    print(f"LSTM {STEPS}x{FEATURES} -> LSTM {UNITS} -> dense {CLASSES}, batch {BATCH}, {args.samples} samples x "
          f"{args.epochs} epochs, engine via {how} (best and median of {args.repeats}, one process each)")
    for name in best:
        print(f"  {name:7s} {best[name]:8.0f} samples/s best   {median[name]:8.0f} median")
    for other in ("torch", "keras"):
        if other in best:
            print(f"  engine / {other}: {best['engine'] / best[other]:.2f}x best, "
                  f"{median['engine'] / median[other]:.2f}x median")


if __name__ == "__main__":
    main()
