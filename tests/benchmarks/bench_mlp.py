"""Training throughput of an MLP 784-256-128-10 (relu, softmax, sparse categorical cross-entropy, RMSprop,
batch 128, 8,192 random samples): our engine side by side with PyTorch eager CPU and Keras (torch backend).

Run: python tests/benchmarks/bench_mlp.py [--samples 8192] [--epochs 2] [--repeats 3] [--threads N]
[--scaling] [--no-profile] [--cprofile] (see harness.py: each run in its own process, ratios, a per-op profile).
"""

from __future__ import annotations

import numpy as np
from harness import Benchmark, main

FEATURES, CLASSES = 784, 10


def data(samples: int):
    rng = np.random.default_rng(0)
    return rng.normal(size=(samples, FEATURES)).astype("float32"), rng.integers(0, CLASSES, samples)


def build(keras):
    """The same model from `engine` or from `keras`."""
    layers = keras.layers
    model = keras.Sequential([keras.Input((FEATURES,)), layers.Dense(256, activation="relu"),
                              layers.Dense(128, activation="relu"), layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy")
    return model


def engine_model():
    import engine
    return build(engine)


def keras_model():
    import keras
    return build(keras)


def torch_model():
    import torch
    nn = torch.nn
    net = nn.Sequential(nn.Linear(FEATURES, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, CLASSES))
    return net, nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits, as Keras fuses them


BENCHMARK = Benchmark("MLP 784-256-128-10 (relu, softmax), RMSprop", data, engine_model, torch_model, keras_model,
                      samples=8192, epochs=2)

if __name__ == "__main__":
    main(BENCHMARK, __file__)
