"""Boston housing prices from Keras's cached `boston_housing.npz`, shuffled and split as Keras does."""

from __future__ import annotations

import numpy as np

from engine.datasets.cache import cached_file


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113):
    if not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be between 0 and 1. Received: test_split={test_split}")
    path = cached_file(path, dataset="boston_housing",
                       origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
