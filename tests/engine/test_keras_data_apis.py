"""Keras's data-side APIs on the engine: PyDataset and Python generators in fit/evaluate/predict,
pad_sequences, engine.random, and warnings for Keras arguments the engine cannot honour."""

import os
import warnings

import numpy as np
import pytest

import engine as keras
from engine import layers

os.environ.setdefault("KERAS_BACKEND", "torch")


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, :1] * 2 - x[:, 1:2]).astype("float32")


def _model():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_a_py_dataset_trains_exactly_as_the_same_arrays():
    x, y = _data()
    on_arrays, on_dataset = _model(), _model()
    on_dataset.set_weights(on_arrays.get_weights())
    expected = on_arrays.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    dataset = Batches(x, y, 8)
    history = on_dataset.fit(dataset, epochs=3, verbose=0, validation_data=Batches(x, y, 16)).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-6)
    assert dataset.epochs_ended == 3 and len(history["val_loss"]) == 3
    np.testing.assert_allclose(on_dataset.evaluate(Batches(x, y, 8), verbose=0), on_arrays.evaluate(x, y, verbose=0),
                               rtol=1e-6)
    np.testing.assert_allclose(on_dataset.predict(Batches(x, y, 8), verbose=0), on_arrays.predict(x, verbose=0),
                               rtol=1e-6)


def test_fit_on_a_generator_and_on_a_py_dataset_ends_with_the_weights_of_fit_on_arrays():
    x, y = _data(45)  # the last batch of each epoch is shorter
    reference = _model()
    start = reference.get_weights()
    reference.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)

    def batches():
        for _ in range(3):
            for k in range(0, len(x), 8):
                yield x[k:k + 8], y[k:k + 8]

    for source, steps in ((Batches(x, y, 8), None), (batches(), 6)):
        model = _model()
        model.set_weights(start)
        model.fit(source, epochs=3, steps_per_epoch=steps, verbose=0)
        for a, b in zip(reference.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_a_generator_with_steps_per_epoch_feeds_fit():
    x, y = _data()

    def endless():
        while True:
            for start in range(0, len(x), 10):
                yield x[start:start + 10], y[start:start + 10]

    model, reference = _model(), _model()
    model.set_weights(reference.get_weights())
    history = model.fit(endless(), steps_per_epoch=4, epochs=2, verbose=0).history
    expected = reference.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-6)
    outputs = model.predict((x[i:i + 10] for i in range(0, 40, 10)), verbose=0)
    assert outputs.shape == (40, 1)


def test_a_generator_yielding_a_differently_shaped_batch_is_named():
    x, y = _data()

    def broken():
        yield x[:8], y[:8]
        yield x[8:16], y[8:16]
        yield x[16:24, :3], y[16:24]

    with pytest.raises(ValueError, match=r"`fit\(\)`: batch 2 \(0-based\) from the generator has per-sample shapes "
                                         r"\[\(3,\), \(1,\), None\], but the first batch had \[\(4,\), \(1,\), None\]"):
        _model().fit(broken(), epochs=1, verbose=0)


def test_a_generator_that_runs_dry_warns_as_keras():
    x, y = _data()
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        _model().fit(((x[i:i + 10], y[i:i + 10]) for i in range(0, 40, 10)), steps_per_epoch=4, epochs=2, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        _model().fit(iter([(x, y)]), validation_split=0.2, verbose=0)


def test_pad_sequences_as_keras():
    sequences = [[1, 2, 3], [4, 5], [6], [], [7, 8, 9, 10, 11]]
    assert keras.utils.pad_sequences(sequences).tolist() == [
        [0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [0, 0, 0, 0, 6], [0, 0, 0, 0, 0], [7, 8, 9, 10, 11]]
    assert keras.utils.pad_sequences(sequences, maxlen=3, padding="post", truncating="post", value=-1).tolist() == [
        [1, 2, 3], [4, 5, -1], [6, -1, -1], [-1, -1, -1], [7, 8, 9]]
    theirs = pytest.importorskip("keras")
    for kwargs in ({}, {"maxlen": 3}, {"maxlen": 4, "padding": "post", "value": -1}, {"dtype": "float32"}):
        ours, reference = keras.utils.pad_sequences(sequences, **kwargs), theirs.utils.pad_sequences(sequences,
                                                                                                    **kwargs)
        np.testing.assert_array_equal(ours, reference)
        assert ours.dtype == reference.dtype


def test_random_seeds_behave_as_keras():
    assert np.array_equal(keras.random.normal((3,), seed=1), keras.random.normal((3,), seed=1))
    generator = keras.random.SeedGenerator(7)
    first, second = keras.random.uniform((4,), seed=generator), keras.random.uniform((4,), seed=generator)
    assert not np.array_equal(first, second)
    again = keras.random.SeedGenerator(7)
    assert np.array_equal(keras.random.uniform((4,), seed=again), first)
    values = np.asarray(keras.random.truncated_normal((2000,), stddev=2.0, seed=3))
    assert np.abs(values).max() <= 4.0 and abs(values.std() - 2 * 0.8796) < 0.1
    ints = np.asarray(keras.random.randint((500,), 2, 5, seed=0))
    assert set(ints.tolist()) == {2, 3, 4} and ints.dtype == np.int32
    x = keras.ops.ones((1000,))
    dropped = np.asarray(keras.random.dropout(x, 0.25, seed=0))
    np.testing.assert_allclose(dropped[dropped != 0], 1 / 0.75, rtol=1e-6)
    assert abs((dropped == 0).mean() - 0.25) < 0.05
    shuffled = np.asarray(keras.random.shuffle(np.arange(10), seed=0))
    assert sorted(shuffled.tolist()) == list(range(10)) and shuffled.tolist() != list(range(10))


def test_dropout_from_engine_random_is_differentiable():
    from gradcheck import check_gradients
    check_gradients(lambda t: keras.random.dropout(t, 0.5, seed=4) * 3.0,
                    np.linspace(-1, 1, 12).reshape(3, 4))
    x = keras.ops.convert_to_tensor(np.linspace(-1, 1, 12, dtype="float32").reshape(3, 4))
    with keras.GradientTape() as tape:
        tape.watch(x)
        y = keras.ops.sum(keras.random.dropout(x, 0.5, seed=4) * 3.0)
    grad = np.asarray(tape.gradient(y, x))
    kept = np.asarray(keras.random.dropout(keras.ops.ones((3, 4)), 0.5, seed=4)) > 0
    np.testing.assert_allclose(grad, np.where(kept, 3.0 / 0.5, 0.0))


def test_unsupported_keras_arguments_warn_instead_of_being_ignored():
    model = _model()
    with pytest.warns(UserWarning, match=r"jit_compile=True\) is not supported"):
        model.compile("adam", "mse", jit_compile=True)
    with pytest.warns(UserWarning, match=r"steps_per_execution=4\) is not supported"):
        model.compile("adam", "mse", steps_per_execution=4)
    with pytest.warns(UserWarning, match=r"Dense 'adapted': lora_rank=4 is not supported"):
        layers.Dense(3, lora_rank=4, name="adapted")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile("adam", "mse", jit_compile="auto", steps_per_execution=1)
        layers.Dense(3, lora_rank=None)
