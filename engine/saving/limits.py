"""How much a `.keras` or `.weights.h5` file may make us allocate, decided before anything is read.

A file cannot make the engine allocate more than its config's shapes imply: the model built from
`config.json` says how large its weights are, and the weights member, each HDF5 dataset and the
model's own variables are checked against that (and against absolute caps) before they are read.
"""

from __future__ import annotations

import math

from engine.variables import variable_budget

# Absolute caps, whatever a file's config says (module attributes, so an application can change them).
MAX_CONFIG_BYTES = 64 * 2**20  # config.json / metadata.json
MAX_MODEL_WEIGHT_BYTES = 4 * 2**30  # all variables of a model built from a file's config
MAX_WEIGHTS_FILE_BYTES = 8 * 2**30  # model.weights.h5 inflated, or one HDF5 dataset
# Room a weights file needs beyond the values: HDF5 headers per dataset and per file, names, attributes.
_HDF5_OVERHEAD_PER_VARIABLE = 8 * 2**10
_HDF5_OVERHEAD_PER_FILE = 2**20
# A saved optimizer may hold this many slots per trainable weight (Adam with amsgrad: m, v, v_hat).
_OPTIMIZER_SLOTS = 3
# A weight may be stored at up to twice our dtype's width (float64 for float32).
_WIDEST_STORAGE = 2


class FileTooLargeError(ValueError):
    """A file, member or dataset that declares more bytes than the model it describes can hold."""


__all__ = ["FileTooLargeError", "check_declared_size", "dataset_allowance", "model_variables", "variable_budget",
           "weights_file_allowance"]


def model_variables(root) -> list:
    """Every variable the saving walk writes for `root` (layers' weights and optimizer state), each once."""
    from engine.saving.object_state import own_variables, saveable_paths
    seen: dict[int, object] = {}
    for _, obj in saveable_paths(root):
        for variable in own_variables(obj):
            seen.setdefault(id(variable), variable)
    return list(seen.values())


def weights_file_allowance(root) -> int:
    """The most bytes a weights file for `root` can reasonably hold (values, optimizer slots, headers)."""
    variables = model_variables(root)
    values = sum(int(v.value.nbytes) for v in variables)
    slots = _OPTIMIZER_SLOTS * sum(int(v.value.nbytes) for v in variables if getattr(v, "trainable", False))
    headers = _HDF5_OVERHEAD_PER_FILE + _HDF5_OVERHEAD_PER_VARIABLE * len(variables) * (1 + _OPTIMIZER_SLOTS)
    return min(_WIDEST_STORAGE * (values + slots) + headers, MAX_WEIGHTS_FILE_BYTES)


def dataset_allowance(expected_shape) -> int:
    """The most bytes a stored weight of `expected_shape` may declare (any dtype up to 8 bytes wide)."""
    return max(math.prod(int(d) for d in expected_shape), 1) * 8


def check_declared_size(declared: int, allowed: int, what: str, why: str) -> None:
    if declared > allowed:
        raise FileTooLargeError(f"Not allowed: {what} declares {_size(declared)}, but {why} at most "
                                f"{_size(allowed)}; refusing to read it.")


def _size(nbytes: int) -> str:
    from engine.variables import describe_size
    return describe_size(nbytes)
