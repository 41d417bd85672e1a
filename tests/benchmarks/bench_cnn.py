"""Training throughput of a small CNN (28x28x1 -> Conv2D 32 3x3 relu -> MaxPool 2 -> Conv2D 64 3x3 relu ->
MaxPool 2 -> Flatten -> Dense 10 softmax; sparse categorical cross-entropy, RMSprop, batch 128, 2,048 random
samples): our engine side by side with PyTorch eager CPU and Keras (torch backend).

Run: python tests/benchmarks/bench_cnn.py [--samples 2048] [--epochs 2] [--repeats 3] [--threads N]
[--scaling] [--no-profile] [--cprofile] (see harness.py: each run in its own process, ratios, a per-op profile).
"""

from __future__ import annotations

import numpy as np
from harness import Benchmark, main

CLASSES = 10


def data(samples: int):
    rng = np.random.default_rng(0)
    return rng.random((samples, 28, 28, 1), dtype=np.float32), rng.integers(0, CLASSES, samples)


def build(keras):
    """The same model from `engine` or from `keras`."""
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(CLASSES, activation="softmax"),
    ])
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
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, CLASSES))
    return net, nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits, as Keras fuses them


def nchw(x: np.ndarray) -> np.ndarray:
    """NHWC -> NCHW, once, before timing."""
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


BENCHMARK = Benchmark("CNN 28x28x1 conv32-pool-conv64-pool-dense10, RMSprop", data, engine_model, torch_model,
                      keras_model, torch_inputs=nchw)

if __name__ == "__main__":
    main(BENCHMARK, __file__)
