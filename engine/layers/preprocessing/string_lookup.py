"""`StringLookup`: strings to integer indices (or one-hot, multi-hot, count, TF-IDF vectors), as Keras's."""

from __future__ import annotations

import numpy as np

from engine.layers.preprocessing.base import as_strings
from engine.layers.preprocessing.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings from a vocabulary (given, or learned by `adapt`) to indices; unknown strings to OOV."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def _as_tokens(self, values) -> np.ndarray:
        if isinstance(values, list) and not values:
            return np.zeros(0, dtype="<U1")
        return as_strings(values, self.encoding)

    def _token_from_text(self, line: str):
        return line

    def get_config(self) -> dict:
        config = super().get_config()
        del config["vocabulary_dtype"]  # strings are the only choice, so Keras does not write it
        return {**config, "encoding": self.encoding}
