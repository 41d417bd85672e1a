"""Training throughput of an MLP 784-256-128-10 (relu, softmax, sparse categorical cross-entropy, RMSprop,
batch 128, 8,192 random samples): our engine side by side with PyTorch eager CPU and Keras when installed.

Run: python tests/benchmarks/bench_mlp.py [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

SAMPLES, FEATURES, CLASSES, BATCH = 8192, 784, 10, 128


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(SAMPLES, FEATURES)).astype("float32"), rng.integers(0, CLASSES, SAMPLES)


def bench_engine(x, y, epochs: int) -> float:
    import engine as keras
    from engine import layers

    model = keras.Sequential([keras.Input((FEATURES,)), layers.Dense(256, activation="relu"),
                              layers.Dense(128, activation="relu"), layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy")
    model.fit(x[:BATCH * 4], y[:BATCH * 4], batch_size=BATCH, epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True)
    return SAMPLES * epochs / (time.perf_counter() - start)


def bench_torch(x, y, epochs: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    net = torch.nn.Sequential(torch.nn.Linear(FEATURES, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                              torch.nn.ReLU(), torch.nn.Linear(128, CLASSES))
    # Keras's RMSprop: rho 0.9, eps 1e-7 inside the square root ~ torch alpha 0.9
    optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
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

    run(1, BATCH * 4)
    start = time.perf_counter()
    run(epochs, SAMPLES)
    return SAMPLES * epochs / (time.perf_counter() - start)


def bench_keras(x, y, epochs: int) -> float | None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        return None
    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy")
    model.fit(x[:BATCH * 4], y[:BATCH * 4], batch_size=BATCH, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
    return SAMPLES * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="rounds; each runs every framework once")
    args = parser.parse_args()
    x, y = data()
    results: dict[str, list[float]] = {"engine": [], "torch": [], "keras": []}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every framework alike
        for name, bench in (("engine", bench_engine), ("torch", bench_torch), ("keras", bench_keras)):
            value = bench(x, y, args.epochs)
            if value is not None:
                results[name].append(value)
    best = {name: max(values) for name, values in results.items() if values}
    print(f"MLP 784-256-128-10, batch {BATCH}, {SAMPLES} samples x {args.epochs} epochs (best of {args.repeats})")
    for name, value in best.items():
        print(f"  {name:7s} {value:10.0f} samples/s")
    for other in ("torch", "keras"):
        if other in best:
            print(f"  engine / {other}: {best['engine'] / best[other]:.2f}x")


if __name__ == "__main__":
    main()
