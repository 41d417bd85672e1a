"""CIFAR-10 from Keras's cache (`cifar-10-batches-py`): 32x32x3 uint8 images (channels last), labels (n, 1)."""

from __future__ import annotations

import os

import numpy as np

from engine.datasets.cache import ArrayOnlyUnpickler, cached_file


def _load_batch(path: str) -> tuple[np.ndarray, list]:
    with open(path, "rb") as f:
        batch = {key.decode("utf8") if isinstance(key, bytes) else key: value
                 for key, value in ArrayOnlyUnpickler(f, encoding="bytes").load().items()}
    data = np.asarray(batch["data"], dtype="uint8")
    return data.reshape(len(data), 3, 32, 32), batch["labels"]


def load_data():
    folder = cached_file("cifar-10-batches-py-target/cifar-10-batches-py", "cifar-10-batches-py",
                         dataset="cifar10", origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")
    parts = [_load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([np.asarray(p[1], dtype="uint8") for p in parts]).reshape(-1, 1)
    x_test, labels = _load_batch(os.path.join(folder, "test_batch"))
    y_test = np.asarray(labels, dtype="uint8").reshape(-1, 1)
    return (x_train.transpose(0, 2, 3, 1), y_train), (x_test.transpose(0, 2, 3, 1), y_test)
