"""MNIST digits from Keras's cached `mnist.npz`: `(x_train, y_train), (x_test, y_test)`, uint8."""

from __future__ import annotations

import numpy as np

from engine.datasets.cache import cached_file


def load_data(path: str = "mnist.npz"):
    path = cached_file(path, dataset="mnist",
                       origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz")
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
