"""`PyDataset`: batches produced by Python code (data larger than memory, on-the-fly augmentation), as
`keras.utils.PyDataset`. `fit`/`evaluate`/`predict` take one, or any Python generator of batches."""

from __future__ import annotations

import warnings


class PyDataset:
    """Subclass and implement `__getitem__(index)` (one batch: `x`, `(x, y)` or `(x, y, sample_weight)`) and
    `__len__` (the number of batches per epoch). `workers`, `use_multiprocessing` and `max_queue_size` are
    accepted for Keras compatibility; batches are produced one at a time in the training thread."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size
        if workers > 1 or use_multiprocessing:
            warnings.warn(f"PyDataset(workers={workers}, use_multiprocessing={use_multiprocessing}): the engine "
                          "reads batches in the training thread, one at a time.", stacklevel=2)

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def use_multiprocessing(self) -> bool:
        return self._use_multiprocessing

    @property
    def max_queue_size(self) -> int:
        return self._max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index), returning one batch")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__, the number of batches")

    @property
    def num_batches(self) -> int | None:
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self) -> None:
        """Called before each epoch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch (e.g. to shuffle)."""
