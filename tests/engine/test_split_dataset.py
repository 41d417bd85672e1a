"""`utils.split_dataset` against Keras 3: the sizes from every form of `left_size`/`right_size` (Keras's own size
rules and messages), the samples Keras's TensorFlow path puts on each side (first `left_size`, last `right_size`,
Python's `random` shuffle with `seed`), and the structures it accepts."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

import engine
from engine.utils import split_dataset
from engine.utils.dataset_utils import split_sizes

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras_dataset_utils():
    pytest.importorskip("keras")
    from keras.src.utils import dataset_utils
    return dataset_utils


SIZES = [(0.8, None), (None, 0.25), (3, None), (None, 4), (0.5, 0.3), (2, 5), (0.35, None), (0.45, None),
         (0.7, 3), (9, None), (None, 0.15)]
BAD_SIZES = [(None, None), (0, 0), (10, None), (1.0, None), (0.0, 0.5), (0.6, 0.6), (6, 6), (-1, None),
             ("3", None), (None, np.int64(3)), (0.01, None), (True, None), (None, 0.05)]


@pytest.mark.parametrize("left,right", SIZES)
def test_sizes_as_keras(left, right, keras_dataset_utils):
    assert split_sizes(left, right, 10) == keras_dataset_utils._rescale_dataset_split_sizes(left, right, 10)


@pytest.mark.parametrize("left,right", BAD_SIZES)
def test_bad_sizes_raise_what_keras_raises(left, right, keras_dataset_utils):
    if left is None and right is None:  # checked by split_dataset itself, as in Keras
        with pytest.raises(ValueError, match="At least one of the `left_size` or `right_size`"):
            split_dataset(np.zeros((10, 2)), left, right)
        return
    with pytest.raises((TypeError, ValueError)) as theirs:
        keras_dataset_utils._rescale_dataset_split_sizes(left, right, 10)
    with pytest.raises(theirs.type) as ours:
        split_dataset(np.zeros((10, 2)), left, right)
    assert str(ours.value).split(".")[0].replace(" ", "") == str(theirs.value).split(".")[0].replace(" ", "")


def keras_tensorflow_path(utils, dataset, left, right, shuffle, seed):
    """What Keras's `_split_dataset_tf` puts on each side before wrapping it in tf.data (its own helpers; the
    wrapping needs TensorFlow)."""
    spec = utils._get_type_spec(dataset)
    samples = utils._convert_dataset_to_list(dataset, spec)
    if shuffle:
        random.seed(seed)
        random.shuffle(samples)
    left, right = utils._rescale_dataset_split_sizes(left, right, len(samples))
    return (utils._restore_dataset_from_list(list(samples[:left]), spec, dataset),
            utils._restore_dataset_from_list(list(samples[-right:]), spec, dataset))


def _same(ours, theirs):
    if isinstance(ours, np.ndarray):
        np.testing.assert_array_equal(ours, np.asarray(theirs))
        return
    assert type(ours) in (list, tuple) and len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, np.asarray(b))


@pytest.mark.parametrize("shuffle,seed", [(False, None), (True, 7), (True, 123)])
@pytest.mark.parametrize("left,right", [(0.7, None), (None, 3), (4, 3)])
@pytest.mark.parametrize("structure", ["array", "tuple", "list"])
def test_samples_as_keras(structure, left, right, shuffle, seed, keras_dataset_utils):
    x = np.arange(40, dtype="float32").reshape(10, 2, 2)
    y = np.arange(10) * 10
    dataset = {"array": x, "tuple": (x, y), "list": [x, y]}[structure]
    ours = split_dataset(dataset, left_size=left, right_size=right, shuffle=shuffle, seed=seed)
    theirs = keras_tensorflow_path(keras_dataset_utils, dataset, left, right, shuffle, seed)
    for o, t in zip(ours, theirs):
        _same(o, t)
    assert type(ours[0]) is type(dataset)


def test_keras_torch_backend_sizes_agree(keras_dataset_utils):
    """On the torch backend Keras returns torch Subsets (in a random order even with shuffle=False): same sizes."""
    import keras
    x = np.arange(10)
    left, right = keras.utils.split_dataset((x, x * 2), left_size=0.7)
    ours = split_dataset((x, x * 2), left_size=0.7)
    assert (len(left), len(right)) == (len(ours[0][0]), len(ours[1][0])) == (7, 3)


def test_dicts_shuffle_and_fit():
    rng = np.random.default_rng(0)
    data = {"a": rng.normal(size=(20, 3)).astype("float32"), "b": np.arange(20)}
    left, right = split_dataset(data, left_size=15, shuffle=True, seed=1)
    assert set(left) == {"a", "b"} and len(left["a"]) == 15 and len(right["b"]) == 5
    assert sorted(np.concatenate([left["b"], right["b"]]).tolist()) == list(range(20))
    np.testing.assert_array_equal(left["a"], data["a"][left["b"]])  # rows stay together
    engine.utils.set_random_seed(3)
    first = split_dataset(data["b"], 0.5, shuffle=True)
    engine.utils.set_random_seed(3)
    np.testing.assert_array_equal(first[0], split_dataset(data["b"], 0.5, shuffle=True)[0])
    (x_train, y_train), (x_val, y_val) = split_dataset((data["a"], data["a"][:, :1]), left_size=0.75)
    model = engine.Sequential([engine.Input((3,)), engine.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "val_loss"}


def test_bad_datasets_are_named():
    with pytest.raises(ValueError, match="different lengths"):
        split_dataset((np.zeros(4), np.zeros(5)), 0.5)
    with pytest.raises(ValueError, match="index 1"):
        split_dataset([np.zeros(4), [1, 2, 3, 4]], 0.5)
    with pytest.raises(ValueError, match="empty tuple"):
        split_dataset((), 0.5)
    with pytest.raises(TypeError, match="tf.data and torch datasets are not supported"):
        split_dataset(iter([1, 2]), 0.5)
    with pytest.warns(UserWarning, match="preferred_backend"):
        split_dataset(np.zeros(4), 0.5, preferred_backend="torch")
