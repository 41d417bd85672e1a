"""The weights file (`model.weights.h5`, `*.weights.h5`): HDF5 groups `<path>/vars/<i>`, as Keras 3 writes them.

A layer at `layers/dense` keeps its variables in datasets `layers/dense/vars/0`, `.../vars/1`...;
the group `layers/dense/vars` carries the layer's name as an attribute. Reading refuses links and
external or virtual datasets (they could reach outside the file) and names the missing path when a
weight is absent.
"""

from __future__ import annotations

import io
import math

import numpy as np

from engine.saving import limits
from engine.saving.limits import check_declared_size

# A dataset that declares far more bytes than it stores is a shape/decompression bomb (as Keras checks).
_BOMB_FLOOR_BYTES = 1 << 32
_BOMB_MAX_EXPANSION = 1000


class WeightsFileError(ValueError):
    """A weights file that cannot be read: missing, malformed or unsafe parts (the message names them)."""


def _h5py():
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - h5py is a dependency
        raise ImportError("h5py must be installed to save or load weights (`pip install h5py`).") from err
    return h5py


class H5Store:
    """Variables of one object at a time: `make(path)` (write) or `get(path)` (read), then `store["0"]`.

    `source` names the file in error messages (e.g. "model.keras/model.weights.h5").
    """

    def __init__(self, file, mode: str, source: str):
        if mode not in ("r", "w"):
            raise ValueError(f"`mode` should be either 'r' or 'w'. Received: {mode!r}")
        h5py = _h5py()
        self.mode = mode
        self.source = source
        try:
            self.h5_file = h5py.File(file, mode=mode)
        except OSError as err:
            raise WeightsFileError(f"Cannot open the weights file {source}: it is not a valid HDF5 file "
                                   f"(truncated or corrupted?). ({err})") from err
        self.path = ""
        self._group = None
        self._pending_metadata: dict | None = None
        self._owner = ""
        self._expected_shapes: list[tuple[str, tuple]] | None = None

    # -- moving between objects ------------------------------------------------------------
    def make(self, path: str, metadata: dict | None = None) -> H5Store:
        """Write mode: the following `store[key] = value` go to `<path>/vars/<key>`."""
        if self.mode != "w":
            raise ValueError("`make` is only allowed in write mode.")
        self.path = path
        self._group = None
        self._pending_metadata = metadata
        if metadata:
            self._create_group()
        return self

    def get(self, path: str) -> H5Store:
        """Read mode: the following `store[key]` read `<path>/vars/<key>` (an empty store if absent)."""
        if self.mode != "r":
            raise ValueError("`get` is only allowed in read mode.")
        self.path = path
        self._group = None
        self._owner, self._expected_shapes = "", None
        vars_path = f"{path}/vars" if path else "vars"
        group = self._safe_group(vars_path)
        if group is not None:
            self._group = group
        return self

    def expect(self, owner: str, variables: list[tuple[str, tuple]]) -> None:
        """Read mode: the shapes the current object's `vars/0`, `vars/1`... must have; a dataset declaring
        another shape or more bytes is refused before it is read."""
        self._owner, self._expected_shapes = owner, [(name, tuple(shape)) for name, shape in variables]

    def has_path(self, path: str) -> bool:
        return path in self.h5_file

    def close(self) -> None:
        self.h5_file.close()

    # -- one object's variables ------------------------------------------------------------
    def _create_group(self) -> None:
        root = self.h5_file.create_group(self.path) if self.path else self.h5_file
        self._group = root.create_group("vars")
        for key, value in (self._pending_metadata or {}).items():
            self._group.attrs[key] = value

    def __setitem__(self, key: str, value) -> None:
        if self.mode != "w":
            raise ValueError("Setting a value is only allowed in write mode.")
        if self._group is None:
            self._create_group()
        value = np.asarray(getattr(value, "value", value))
        self._group[str(key)] = value

    def __getitem__(self, key: str) -> np.ndarray:
        where = self.dataset_path(key)
        if self._group is None or str(key) not in self._group:
            raise WeightsFileError(f"The weights file {self.source} has no weight '{where}'.")
        dataset = self._safe_dataset(self._group, str(key), where)
        if dataset.attrs.get("dtype") == "bfloat16":
            return _bfloat16_to_float32(dataset, where, self.source)
        return np.array(dataset)

    def __contains__(self, key) -> bool:
        return self._group is not None and str(key) in self._group

    def keys(self) -> list[str]:
        return [] if self._group is None else list(self._group.keys())

    def __len__(self) -> int:
        return 0 if self._group is None else len(self._group)

    def dataset_path(self, key) -> str:
        return f"{self.path}/vars/{key}" if self.path else f"vars/{key}"

    # -- safety ----------------------------------------------------------------------------
    def _safe_group(self, path: str):
        """The group at `path`, or None when absent; links and non-groups are refused."""
        h5py = _h5py()
        current = self.h5_file
        for part in path.split("/"):
            if not part:
                raise WeightsFileError(f"Invalid path {path!r} in the weights file {self.source}.")
            if part not in current:
                return None
            link = current.get(part, getclass=True, getlink=True)
            if link in (h5py.ExternalLink, h5py.SoftLink):
                raise WeightsFileError(f"Not allowed: the weights file {self.source} has a {link.__name__} at "
                                       f"'{path}'.")
            current = current[part]
            if not isinstance(current, h5py.Group):
                raise WeightsFileError(f"Invalid weights file {self.source}: '{path}' should be a group, "
                                       f"found a {type(current).__name__}.")
        return current

    def _safe_dataset(self, group, key: str, where: str):
        h5py = _h5py()
        link = group.get(key, getclass=True, getlink=True)
        if link in (h5py.ExternalLink, h5py.SoftLink):
            raise WeightsFileError(f"Not allowed: the weights file {self.source} has a {link.__name__} at '{where}'.")
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise WeightsFileError(f"Invalid weights file {self.source}: '{where}' should be a dataset.")
        if dataset.external or dataset.is_virtual:
            raise WeightsFileError(f"Not allowed: the weights file {self.source} has an external or virtual "
                                   f"dataset at '{where}'.")
        declared = math.prod(dataset.shape or ()) * dataset.dtype.itemsize
        self._check_expected(key, dataset, declared, where)
        stored = dataset.id.get_storage_size()
        if declared > _BOMB_FLOOR_BYTES and declared > _BOMB_MAX_EXPANSION * stored:
            raise WeightsFileError(f"Not allowed: dataset '{where}' in {self.source} declares {declared} bytes but "
                                   f"stores {stored}; refusing to load a potential decompression bomb.")
        return dataset


    def _check_expected(self, key: str, dataset, declared: int, where: str) -> None:
        """Compare what the dataset declares with the weight the config's model has for it."""
        what = f"dataset '{where}' in {self.source}"
        shapes = self._expected_shapes
        index = int(key) if key.isdigit() else -1
        if shapes is None or not 0 <= index < len(shapes):
            check_declared_size(declared, limits.MAX_WEIGHTS_FILE_BYTES, what, "any weight may hold")
            return
        name, expected = shapes[index]
        if dataset.shape is not None and tuple(dataset.shape) != expected:
            raise WeightsFileError(f"weight '{name}' (vars/{index}) has shape {expected}, but the saved value has "
                                   f"shape {tuple(dataset.shape)}")
        check_declared_size(declared, limits.dataset_allowance(expected), what,
                            f"{self._owner}'s weight of shape {expected} holds")


def _bfloat16_to_float32(dataset, where: str, source: str) -> np.ndarray:
    try:
        import ml_dtypes
    except ImportError as err:
        raise WeightsFileError(f"Weight '{where}' in {source} is stored as bfloat16; reading it needs the "
                               "`ml_dtypes` package.") from err
    return np.array(dataset, dtype=ml_dtypes.bfloat16).astype("float32")


def memory_file(data: bytes | None = None) -> io.BytesIO:
    """An in-memory file for h5py (weights inside a zip are read and written through memory)."""
    return io.BytesIO(data) if data is not None else io.BytesIO()
