"""Training throughput of a convolutional autoencoder on 28x28x1 images, shaped like Keras's denoising
autoencoder example: Conv2D 32 3x3 relu same -> MaxPool 2 -> Conv2D 32 3x3 relu same -> MaxPool 2 ->
Conv2DTranspose 32 3x3 stride 2 relu same (x2) -> Conv2D 1 3x3 sigmoid same; binary cross-entropy against the
input, RMSprop, batch 128, 2,048 random images: our engine side by side with PyTorch eager CPU and Keras
(torch backend).

Run: python tests/benchmarks/bench_autoencoder.py [--samples 2048] [--epochs 2] [--repeats 3] [--threads N]
[--scaling] [--no-profile] [--cprofile] (see harness.py: each run in its own process, ratios, a per-op profile).
"""

from __future__ import annotations

import numpy as np
from harness import Benchmark, main


def data(samples: int):
    x = np.random.default_rng(0).random((samples, 28, 28, 1), dtype=np.float32)
    return x, x


def build(keras):
    """The same model from `engine` or from `keras`."""
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu", padding="same"), layers.MaxPooling2D(2, padding="same"),
        layers.Conv2D(32, 3, activation="relu", padding="same"), layers.MaxPooling2D(2, padding="same"),
        layers.Conv2DTranspose(32, 3, strides=2, activation="relu", padding="same"),
        layers.Conv2DTranspose(32, 3, strides=2, activation="relu", padding="same"),
        layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="binary_crossentropy")
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
    # "same" transposed convolution, stride 2, kernel 3: padding 1 and output_padding 1 double the size
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.ConvTranspose2d(32, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(32, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.Conv2d(32, 1, 3, padding=1))
    return net, nn.BCEWithLogitsLoss()  # sigmoid + cross-entropy on the logits, as Keras fuses them


def nchw(x: np.ndarray) -> np.ndarray:
    """NHWC -> NCHW, once, before timing."""
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


BENCHMARK = Benchmark("Conv autoencoder 28x28x1 conv32-pool-conv32-pool-convT32x2-conv1 (sigmoid), RMSprop", data,
                      engine_model, torch_model, keras_model, torch_inputs=nchw, torch_targets=nchw)

if __name__ == "__main__":
    main(BENCHMARK, __file__)
