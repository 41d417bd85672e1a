"""Batches from a `PyDataset` or a Python generator, for `fit`, `evaluate` and `predict`.

Every batch is converted to arrays and checked against the first: a batch whose feature shapes differ is
reported with its index (the rows may vary, the other axes may not).
"""

from __future__ import annotations

import types
import warnings

import numpy as np

from engine.symbolic import flatten
from engine.trainers import data_adapter
from engine.utils.py_dataset import PyDataset


def is_batch_source(x) -> bool:
    """A PyDataset, a generator or another iterator of batches (not an array, list or dict of arrays)."""
    if isinstance(x, PyDataset) or isinstance(x, types.GeneratorType):
        return True
    return hasattr(x, "__next__") and not isinstance(x, (np.ndarray, list, tuple, dict, str))


class GeneratorBatches:
    """Iterates packed batches (`x`, `(x, y)` or `(x, y, sample_weight)`) from a batch source."""

    def __init__(self, source, steps: int | None, where: str):
        self.source = source
        self.where = where
        self.batch_size = None
        self._first_shapes: list | None = None
        self._drawn = 0  # batches read so far, over all epochs (named in errors)
        length = source.num_batches if isinstance(source, PyDataset) else None
        self.num_batches = steps if steps is not None else length
        if isinstance(source, PyDataset) and self.num_batches is None:
            raise ValueError(f"`{where}()`: the PyDataset {type(source).__name__} has no `__len__`; pass "
                             "`steps_per_epoch` (or `steps`).")
        self._iterator = None if isinstance(source, PyDataset) else iter(source)

    def __iter__(self):
        if isinstance(self.source, PyDataset):
            self.source.on_epoch_begin()
            for step in range(self.num_batches):
                yield self._checked(self.source[step % len(self.source)], step)
            self.source.on_epoch_end()
            return
        step = 0
        while self.num_batches is None or step < self.num_batches:
            try:
                batch = next(self._iterator)
            except StopIteration:
                if self.num_batches is not None or step == 0:
                    warnings.warn("Your input ran out of data; interrupting training. Make sure that your "
                                  "dataset or generator can generate at least `steps_per_epoch * epochs` "
                                  "batches.", stacklevel=3)
                return
            yield self._checked(batch, step)
            step += 1

    def _checked(self, batch, step: int):
        if isinstance(batch, list):
            batch = tuple(batch)
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(batch)
        x, y, sample_weight = (data_adapter.to_arrays(v) for v in (x, y, sample_weight))
        data_adapter.num_samples(x, y, sample_weight)
        shapes = [None if leaf is None else np.shape(leaf)[1:] for part in (x, y, sample_weight)
                  for leaf in (flatten(part) if part is not None else [None])]
        if self._first_shapes is None:
            self._first_shapes = shapes
        elif shapes != self._first_shapes:
            raise ValueError(f"`{self.where}()`: batch {self._drawn} (0-based) from the "
                             f"{type(self.source).__name__} has per-sample shapes {shapes}, but the first batch "
                             f"had {self._first_shapes} (x, y, sample_weight; rows excluded).")
        self._drawn += 1
        return data_adapter.pack_x_y_sample_weight(x, y, sample_weight)
