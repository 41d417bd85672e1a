"""Dropout masks of recurrent cells: drawn once per sequence and reused at every timestep, as Keras does."""

from __future__ import annotations

import numpy as np

from engine import backend


class DropoutRNNCell:
    """Mixin for cells with `dropout`, `recurrent_dropout`, `seed` and, optionally, `dropout_mask_count`.

    A mask holds 0 or 1 / (1 - rate). With `dropout_mask_count = n` (Keras's implementation 1) each of
    the n gates gets its own mask. Masks are cached until `reset_dropout_mask()`: the RNN layer resets
    them after every sequence, so each batch draws new ones.
    """

    def _mask_generator(self) -> np.random.Generator:
        if getattr(self, "seed", None) is None:
            return backend.rng()
        if getattr(self, "_seed_generator", None) is None:
            self._seed_generator = np.random.default_rng(self.seed)
        return self._seed_generator

    def _create_dropout_mask(self, step_input, rate: float) -> np.ndarray:
        """Masks of shape (count, batch, features) (count 1 when the gates share one mask)."""
        if isinstance(step_input, tuple):
            shape = step_input
        else:
            shape = np.shape(step_input.value if hasattr(step_input, "value") else step_input)
        count = getattr(self, "dropout_mask_count", None) or 1
        keep = self._mask_generator().random((count, *shape), dtype=np.float32) >= rate
        return (keep / (1 - rate)).astype(self.dtype)

    def get_dropout_mask(self, step_input) -> np.ndarray | None:
        """The input mask for `step_input` (an array or a (batch, features) shape), made on first use."""
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input) -> np.ndarray | None:
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input, self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None

    def _training_masks(self, step_input, state, training) -> tuple:
        """The (input, recurrent) masks to apply: only in training and for rates strictly between 0 and 1."""
        if not training:
            return None, None
        dropout = self.get_dropout_mask(step_input) if 0 < self.dropout < 1 else None
        recurrent = self.get_recurrent_dropout_mask(state) if 0 < self.recurrent_dropout < 1 else None
        return dropout, recurrent
