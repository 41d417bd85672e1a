"""IMDB reviews from Keras's cached `imdb.npz` (word-index sequences), prepared with Keras's arguments."""

from __future__ import annotations

import json

import numpy as np

from engine.datasets.cache import cached_file, load_npz

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def load_data(path: str = "imdb.npz", num_words=None, skip_top: int = 0, maxlen=None, seed: int = 113,
              start_char=1, oov_char=2, index_from: int = 3, **kwargs):
    """`(x_train, y_train), (x_test, y_test)`: reviews as object arrays of int lists, as Keras returns them."""
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
    arrays = load_npz(cached_file(path, dataset="imdb", origin=_ORIGIN + "imdb.npz"))
    rng = np.random.RandomState(seed)
    parts = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        order = np.arange(len(arrays[x_key]))
        rng.shuffle(order)
        parts.append((arrays[x_key][order], arrays[y_key][order]))
    prefix = [] if start_char is None else [start_char]
    sequences = [[prefix + [w + index_from for w in review] for review in x] for x, _ in parts]
    labels = [y for _, y in parts]
    if maxlen:
        for i in range(2):
            kept = [j for j, review in enumerate(sequences[i]) if len(review) < maxlen]
            sequences[i] = [sequences[i][j] for j in kept]
            labels[i] = labels[i][kept]
        if not sequences[0] or not sequences[1]:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             "Increase maxlen.")
    everything = sequences[0] + sequences[1]
    if not num_words:
        num_words = max(max(review) for review in everything)
    if oov_char is not None:
        everything = [[w if skip_top <= w < num_words else oov_char for w in review] for review in everything]
    else:
        everything = [[w for w in review if skip_top <= w < num_words] for review in everything]
    split = len(sequences[0])
    return ((_object_array(everything[:split]), labels[0]), (_object_array(everything[split:]), labels[1]))


def _object_array(rows: list) -> np.ndarray:
    out = np.empty(len(rows), dtype="object")
    out[:] = rows
    return out


def get_word_index(path: str = "imdb_word_index.json") -> dict:
    with open(cached_file(path, dataset="imdb", origin=_ORIGIN + "imdb_word_index.json")) as f:
        return json.load(f)
