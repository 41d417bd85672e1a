"""Training throughput of a small LSTM model (sequences 50x16 -> LSTM 64 -> Dense 10 softmax; sparse
categorical cross-entropy, RMSprop, batch 128, 2,048 random samples): our engine side by side with PyTorch
eager CPU (torch.nn.LSTM, batch_first) and Keras (torch backend).

Run: python tests/benchmarks/bench_lstm.py [--samples 2048] [--epochs 2] [--repeats 3] [--threads N]
[--scaling] [--no-profile] [--cprofile] (see harness.py: each run in its own process, ratios, a per-op profile).
"""

from __future__ import annotations

import numpy as np
from harness import Benchmark, main

STEPS, FEATURES, UNITS, CLASSES = 50, 16, 64, 10


def data(samples: int):
    rng = np.random.default_rng(0)
    return rng.standard_normal((samples, STEPS, FEATURES), dtype=np.float32), rng.integers(0, CLASSES, samples)


def build(keras):
    """The same model from `engine` or from `keras`."""
    layers = keras.layers
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layers.LSTM(UNITS),
                              layers.Dense(CLASSES, activation="softmax")])
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

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(FEATURES, UNITS, batch_first=True)
            self.dense = nn.Linear(UNITS, CLASSES)

        def forward(self, inputs):
            _, (h, _) = self.lstm(inputs)
            return self.dense(h[-1])

    return Net(), nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits, as Keras fuses them


BENCHMARK = Benchmark(f"LSTM {STEPS}x{FEATURES} -> LSTM {UNITS} -> dense {CLASSES}, RMSprop", data, engine_model,
                      torch_model, keras_model)

if __name__ == "__main__":
    main(BENCHMARK, __file__)
