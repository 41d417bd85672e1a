"""engine.datasets reads Keras's cached files (never the network), refuses pickles that are not arrays, and
says where a missing file belongs."""

import gzip
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import engine


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def test_a_missing_file_names_where_keras_keeps_it(keras_home):
    with pytest.raises(FileNotFoundError, match=r"mnist dataset is not in Keras's cache: no .*datasets/mnist\.npz\. "
                                                r"The engine does not download"):
        engine.datasets.mnist.load_data()


def test_mnist_and_boston_housing_from_their_npz(keras_home):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    np.savez(keras_home / "mnist.npz", x_train=images[:7], y_train=np.arange(7, dtype=np.uint8),
             x_test=images[7:], y_test=np.arange(3, dtype=np.uint8))
    (x_train, y_train), (x_test, y_test) = engine.datasets.mnist.load_data()
    assert x_train.shape == (7, 28, 28) and np.array_equal(x_test, images[7:]) and y_test.tolist() == [0, 1, 2]
    x, y = np.arange(50, dtype="float64").reshape(10, 5), np.arange(10, dtype="float64")
    np.savez(keras_home / "boston_housing.npz", x=x, y=y)
    (x_train, y_train), (x_test, y_test) = engine.datasets.boston_housing.load_data()
    order = np.random.RandomState(113).permutation(10)  # Keras shuffles with RandomState(seed)
    assert y_train.tolist() == order[:8].tolist() and y_test.tolist() == order[8:].tolist()
    np.testing.assert_array_equal(x_train, x[order[:8]])


def test_fashion_mnist_from_its_gzipped_idx_files(keras_home):
    folder = keras_home / "fashion-mnist"
    folder.mkdir()
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    for prefix, count in (("train", 2), ("t10k", 2)):
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(8) + bytes([3, 4][:count])))
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(16) + images.tobytes()))
    (x_train, y_train), _ = engine.datasets.fashion_mnist.load_data()
    assert np.array_equal(x_train, images) and y_train.tolist() == [3, 4]


def _imdb_npz(path, reviews_train, reviews_test):
    def objects(rows):
        out = np.empty(len(rows), dtype="object")
        out[:] = [list(r) for r in rows]
        return out
    np.savez(path, x_train=objects(reviews_train), y_train=np.arange(len(reviews_train)) % 2,
             x_test=objects(reviews_test), y_test=np.arange(len(reviews_test)) % 2)


def test_imdb_sequences_are_prepared_with_keras_arguments(keras_home):
    _imdb_npz(keras_home / "imdb.npz", [[1, 2, 3], [4, 5], [6, 7, 8, 9]], [[2, 2], [9, 1, 1, 1, 1]])
    (x_train, y_train), (x_test, y_test) = engine.datasets.imdb.load_data(num_words=8)
    assert x_train.dtype == object and len(x_train) == 3 and len(x_test) == 2
    assert all(review[0] == 1 for review in x_train)  # start_char, then indices shifted by index_from=3
    assert all(w < 8 or w == 2 for review in list(x_train) + list(x_test) for w in review)  # oov_char
    assert sorted(len(r) for r in x_train) == [3, 4, 5]
    (short, _), _ = engine.datasets.imdb.load_data(maxlen=4)
    assert sorted(len(r) for r in short) == [3]


def test_a_dataset_pickle_naming_code_is_refused(keras_home):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    payload = io.BytesIO()
    np.lib.format.write_array_header_1_0(payload, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    payload.write(pickle.dumps(Exploit()))
    with zipfile.ZipFile(keras_home / "imdb.npz", "w") as archive:
        archive.writestr("x_train.npy", payload.getvalue())
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load `(posix|nt)\.system`"):
        engine.datasets.imdb.load_data()


def test_cifar10_from_its_python_batches(keras_home):
    folder = keras_home / "cifar-10-batches-py"
    folder.mkdir()
    data = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": [1, 7]}, f)
    (x_train, y_train), (x_test, y_test) = engine.datasets.cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1) and y_test[:, 0].tolist() == [1, 7]
    np.testing.assert_array_equal(x_test[0, :, :, 0], data[0, :1024].reshape(32, 32))
