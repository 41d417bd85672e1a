"""Where Keras keeps downloaded datasets (`$KERAS_HOME/datasets`, default `~/.keras/datasets`), and reading
those files without executing code. The engine never downloads: a missing file gets a clear message."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import numpy as np

# The only globals a dataset pickle may name: numpy array reconstruction (as Keras's own loader allows).
_ARRAY_GLOBALS = frozenset({("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                            ("numpy._core.multiarray", "_reconstruct")})


def datasets_dir() -> str:
    base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(base, "datasets")


def cached_file(*candidates: str, dataset: str, origin: str) -> str:
    """The first existing path among `candidates` (relative to the datasets folder), or a FileNotFoundError
    saying where to put the file Keras would download."""
    root = datasets_dir()
    for candidate in candidates:
        path = candidate if os.path.isabs(candidate) else os.path.join(root, candidate)
        if os.path.exists(path):
            return path
    expected = os.path.join(root, candidates[0])
    raise FileNotFoundError(f"The {dataset} dataset is not in Keras's cache: no {expected}. The engine does not "
                            f"download; get it once with Keras (`keras.datasets.{dataset}.load_data()`) or fetch "
                            f"{origin} into {root}.")


class ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers only; any other global is refused (no code runs)."""

    def find_class(self, module, name):
        if (module, name) in _ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to load `{module}.{name}` from a dataset file: only numpy arrays "
                                     "may be stored there (the file may be corrupted or malicious).")


def _read_npy(stream: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError:  # an object array (ragged sequences): its payload is a pickle of arrays and lists
        stream.seek(0)
        major, _ = np.lib.format.read_magic(stream)
        if major == 1:
            np.lib.format.read_array_header_1_0(stream)
        else:
            np.lib.format.read_array_header_2_0(stream)
        return ArrayOnlyUnpickler(stream).load()


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Every array of an `.npz` file; object arrays are read with `ArrayOnlyUnpickler`."""
    out = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                out[member[:-4]] = _read_npy(io.BytesIO(archive.read(member)))
    return out
