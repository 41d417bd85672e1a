"""Fashion-MNIST from Keras's cache (`fashion-mnist/*-idx*-ubyte.gz`): 28x28 uint8 images, uint8 labels."""

from __future__ import annotations

import gzip

import numpy as np

from engine.datasets.cache import cached_file

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _read(name: str, offset: int) -> np.ndarray:
    path = cached_file(f"fashion-mnist/{name}", dataset="fashion_mnist", origin=_ORIGIN + name)
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data():
    y_train = _read("train-labels-idx1-ubyte.gz", 8)
    x_train = _read("train-images-idx3-ubyte.gz", 16).reshape(len(y_train), 28, 28)
    y_test = _read("t10k-labels-idx1-ubyte.gz", 8)
    x_test = _read("t10k-images-idx3-ubyte.gz", 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
