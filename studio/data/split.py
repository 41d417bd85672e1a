"""Train / validation / test split of row indices: seeded, shuffled, optionally stratified by class."""

from __future__ import annotations

import numpy as np

from studio.data.errors import DataError


def split_indices(n: int, validation_fraction: float, test_fraction: float = 0.0, seed: int = 0,
                  labels: np.ndarray | None = None, shuffle: bool = True
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) positions in `range(n)`.

    With `labels` each class is split on its own, so every part keeps the class proportions (each part that
    is asked for gets at least one row of a class with enough rows). Without shuffling the parts are
    consecutive: train first, then validation, then test (the order a time series needs).
    """
    if n < 2 and (validation_fraction or test_fraction):
        raise DataError(f"Only {n} usable row{'s' if n != 1 else ''}: too few to hold out validation data.")
    rng = np.random.default_rng(seed)
    if labels is None or not shuffle:
        order = rng.permutation(n) if shuffle else np.arange(n)
        n_val, n_test = _counts(n, validation_fraction, test_fraction)
        n_train = n - n_val - n_test
        parts = order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
    else:
        labels = np.asarray(labels)
        train, val, test = [], [], []
        for label in np.unique(labels):
            members = rng.permutation(np.flatnonzero(labels == label))
            n_val, n_test = _counts(len(members), validation_fraction, test_fraction)
            n_train = len(members) - n_val - n_test
            train.append(members[:n_train])
            val.append(members[n_train:n_train + n_val])
            test.append(members[n_train + n_val:])
        parts = tuple(rng.permutation(np.concatenate(p)) for p in (train, val, test))
    if len(parts[0]) == 0:
        raise DataError(f"The split leaves no row to train on ({n} usable rows).")
    return tuple(np.sort(p) if not shuffle else p for p in parts)


def _counts(n: int, validation_fraction: float, test_fraction: float) -> tuple[int, int]:
    n_val = int(round(n * validation_fraction))
    n_test = int(round(n * test_fraction))
    if validation_fraction > 0 and n_val == 0 and n >= 3:
        n_val = 1
    if test_fraction > 0 and n_test == 0 and n >= 3:
        n_test = 1
    while n_val + n_test >= n and (n_val or n_test):  # always keep a row to train on
        if n_test >= n_val and n_test:
            n_test -= 1
        else:
            n_val -= 1
    return n_val, n_test
