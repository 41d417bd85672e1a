"""`IndexLookup`: a vocabulary of tokens mapped to integer indices; the base of `StringLookup` and `IntegerLookup`.

Index layout, as in Keras: the mask token (only with `output_mode="int"`) at 0, then `num_oov_indices`
out-of-vocabulary indices, then the vocabulary. `adapt` orders tokens by count, ties by the token itself,
both descending (Keras's `np.lexsort((tokens, counts))[::-1]`). Several OOV indices share out tokens by
FarmHash64 (strings) or floor-mod (integers). A vocabulary learned by `adapt` is saved as the asset
`vocabulary.txt`; one passed to the constructor stays in the config.
"""

from __future__ import annotations

import collections
import os

import numpy as np

from engine import backend
from engine.autodiff import Tensor
from engine.layers.preprocessing import categorical
from engine.layers.preprocessing.base import PreprocessingLayer, adapt_batches, value_of
from engine.layers.preprocessing.hash_functions import hash_to_buckets

VOCABULARY_FILENAME = "vocabulary.txt"


class IndexLookup(PreprocessingLayer):
    """Maps tokens to indices (or back, with `invert=True`); see `StringLookup` and `IntegerLookup`."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", name=None, salt=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError("`num_oov_indices` must be greater than or equal to 0. "
                             f"Received: num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"Invalid value for argument `oov_method`. Expected one of ['floormod', 'farmhash']. "
                             f"Received: oov_method={oov_method!r}")
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError("`salt` can only be used when `oov_method='farmhash'`. "
                                 f"Received: oov_method={oov_method}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError("The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, or a "
                                 f"single integer. Received: salt={salt}.")
        output_mode = categorical.check_output_mode(output_mode, categorical.OUTPUT_MODES, type(self).__name__)
        if invert and output_mode != "int":
            raise ValueError("`output_mode` must be `'int'` when `invert` is true. "
                             f"Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("`sparse=True` needs TensorFlow's sparse tensors, which the engine does not have.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError("`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                             f"idf_weights={idf_weights} and output_mode={output_mode}")
        frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_vocab_size
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = self._as_tokens([])  # the learned or given vocabulary, without special tokens
        self._index_by_token: np.ndarray = self._tokens
        self._sorted_positions = np.zeros(0, dtype=np.int64)
        self.idf_weights: np.ndarray | None = None
        self._reset_counts()
        if self.output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` "
                             "argument must also be provided.")
        if idf_weights is not None:
            self.idf_weights = np.asarray(idf_weights, dtype=backend.floatx())
        if vocabulary is not None:
            if isinstance(vocabulary, str):
                self._set_vocabulary_from_file(vocabulary)
            else:
                self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # -- token types (overridden by StringLookup / IntegerLookup) ----------------------------------
    def _as_tokens(self, values) -> np.ndarray:
        raise NotImplementedError

    def _token_from_text(self, line: str):
        raise NotImplementedError

    def _hash_oov(self, tokens: np.ndarray) -> np.ndarray:
        """OOV bucket (0..num_oov_indices-1) of each token, when there are several buckets."""
        if self.vocabulary_dtype != "string" and self.oov_method != "farmhash":
            return np.mod(tokens, self.num_oov_indices)
        text = tokens.astype(str) if tokens.dtype.kind != "U" else tokens
        return hash_to_buckets(text, self.num_oov_indices, tuple(self.salt) if self.salt else None)

    # -- the vocabulary ------------------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order (with the mask and OOV tokens first unless told otherwise)."""
        tokens = [self._python_token(t) for t in self._tokens]
        if not include_special_tokens:
            return tokens
        special = [self.oov_token] * self._token_start_index()
        if self.mask_token is not None and self.output_mode == "int":
            special[0] = self.mask_token
        return special + tokens

    def _python_token(self, token):
        return str(token) if self.vocabulary_dtype == "string" else int(token)

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Use `vocabulary` (an array-like of tokens, special tokens optional at the start) instead of `adapt`."""
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(f"`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                             f"output_mode={self.output_mode} and idf_weights={idf_weights}")
        if isinstance(vocabulary, str):
            self._set_vocabulary_from_file(vocabulary)
            return
        vocabulary = self._as_tokens(value_of(vocabulary))
        if vocabulary.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary.tolist()}")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = len(vocabulary) >= token_start and \
            [self._python_token(t) for t in vocabulary[:token_start]] == special
        tokens = vocabulary[token_start:] if found_special else vocabulary
        repeated = [t for t, n in collections.Counter(tokens.tolist()).items() if n > 1]
        if repeated:
            raise ValueError("The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             f"The repeated terms are: {repeated}")
        listed = tokens.tolist()
        if self.mask_token is not None and self.mask_token in listed:
            raise ValueError("Found reserved mask token at unexpected location in `vocabulary`. Note that passed "
                             "`vocabulary` does not need to include the OOV and mask tokens. Either remove all "
                             "mask and OOV tokens, or include them only at the start of the vocabulary in "
                             f"precisely this order: {special}. Received: mask_token={self.mask_token} at "
                             f"vocabulary index {listed.index(self.mask_token)}")
        if self.oov_token is not None and self.invert and self.oov_token in listed:
            raise ValueError("Found reserved OOV token at unexpected location in `vocabulary`. Note that passed "
                             "`vocabulary` does not need to include the OOV and mask tokens. Either remove all "
                             "mask and OOV tokens, or include them only at the start of the vocabulary in "
                             f"precisely this order: {special}. Received: oov_token={self.oov_token} at "
                             f"vocabulary index {listed.index(self.oov_token)}")
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                             f"size is {token_start + len(tokens)}; `max_tokens` is {self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(value_of(idf_weights), dtype=np.float64)
            if weights.ndim != 1:
                raise ValueError(f"TF-IDF data must be a 1-index array. Received: idf_weights of shape {weights.shape}")
            if len(weights) != len(vocabulary):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                                 f"{len(weights)}; len(vocabulary) is {len(vocabulary)}")
            front, front_value = (0, 0.0) if found_special else (token_start, float(np.average(weights)))
            back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens and self.max_tokens else 0
            self.idf_weights = np.pad(weights, (front, back), constant_values=(front_value, 0.0)).astype(
                backend.floatx())

    def _set_vocabulary_from_file(self, path: str) -> None:
        raise ValueError(f"Layer '{self.name}' was given the vocabulary file path {path!r}. Loading never reads files "
                         "outside the model: pass the vocabulary as a list of tokens instead.")

    def _set_tokens(self, tokens: np.ndarray) -> None:
        self._tokens = tokens
        order = np.argsort(tokens, kind="stable")
        self._index_by_token = tokens[order]
        self._sorted_positions = order.astype(np.int64) + self._token_start_index()
        self._record_vocabulary_size()

    def _record_vocabulary_size(self) -> None:
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is not None \
                and self.vocabulary_size() != self._frozen_vocab_size and self._called:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, the "
                               "vocabulary size cannot be changed after the layer is called. Old vocab size is "
                               f"{self._frozen_vocab_size}, new vocab size is {self.vocabulary_size()}")
        self._frozen_vocab_size = self.vocabulary_size()

    _called = False

    # -- adapt ---------------------------------------------------------------------------------------
    def _reset_counts(self) -> None:
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0

    def reset_state(self) -> None:
        if not self._has_input_vocabulary:
            self._reset_counts()

    def adapt(self, data, steps: int | None = None) -> None:
        """Learn the vocabulary (and the IDF weights for `tf_idf`) from `data`: an array, a list, or batches."""
        self.reset_state()
        if isinstance(data, (np.ndarray, Tensor, list, tuple)):
            array = self._as_tokens(value_of(data))
            self.update_state(array.reshape(-1, 1) if array.ndim == 1 else array)
        else:
            for batch in adapt_batches(data, steps):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data) -> None:
        """Count the tokens of one batch (each row is a document for `tf_idf`)."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` "
                             "argument or `set_vocabulary()` method.")
        array = self._as_tokens(value_of(data))
        if array.ndim < 2:
            array = array.reshape(1, -1)  # a 1-D batch is one document
        self._count_documents(list(array.reshape(array.shape[0], -1)))

    def _count_documents(self, rows: list) -> None:
        """Add the token counts (and, for `tf_idf`, the document counts) of `rows`, one token array per document."""
        tokens, counts = np.unique(np.concatenate(rows) if rows else self._as_tokens([]), return_counts=True)
        self._token_counts.update(dict(zip(tokens.tolist(), counts.tolist())))
        if self.output_mode == "tf_idf":
            for row in rows:
                self._document_counts.update(np.unique(row).tolist())
            self._num_documents += len(rows)

    def finalize_state(self) -> None:
        """Turn the counts into the vocabulary: by count, ties by token, both descending; cut at `max_tokens`."""
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = dict(self._token_counts)
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        ranked = sorted(counts, key=lambda token: (counts[token], token), reverse=True)
        if self.max_tokens:
            ranked = ranked[:self.max_tokens - self._token_start_index()]
        tokens = self._as_tokens(ranked)
        if self.output_mode == "tf_idf":
            document_counts = np.array([self._document_counts[t] for t in ranked], dtype=np.float64)
            idf = np.log(1.0 + self._num_documents / (1.0 + document_counts)).astype(backend.floatx())
            front = np.full(self._token_start_index(), idf.mean() if idf.size else 0.0, dtype=idf.dtype)
            weights = np.concatenate([front, idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.pad(weights, (0, self.max_tokens - len(weights)))
            self.idf_weights = weights.astype(backend.floatx())
        self._reset_counts()
        self._set_tokens(tokens)

    # -- calling -------------------------------------------------------------------------------------
    def _depth(self) -> int | None:
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def lookup(self, tokens: np.ndarray) -> np.ndarray:
        """The int64 index of each token (mask -> 0 in `int` mode, dropped (-1) otherwise; OOV as configured)."""
        flat = tokens.reshape(-1)
        if len(self._index_by_token):
            where = np.searchsorted(self._index_by_token, flat).clip(0, len(self._index_by_token) - 1)
            found = self._index_by_token[where] == flat
            indices = np.where(found, self._sorted_positions[where], -1)
        else:
            found = np.zeros(flat.shape, dtype=bool)
            indices = np.full(flat.shape, -1, dtype=np.int64)
        is_mask = (flat == self.mask_token) if self.mask_token is not None else np.zeros(flat.shape, dtype=bool)
        oov = ~found & ~is_mask
        if oov.any():
            if self.num_oov_indices == 0:
                raise ValueError(f"Layer '{self.name}': when `num_oov_indices=0` all inputs should be in "
                                 f"vocabulary, found OOV values {flat[oov][:10].tolist()}, consider setting "
                                 "`num_oov_indices=1`.")
            if self.num_oov_indices == 1:
                indices[oov] = self._oov_start_index()
            else:
                indices[oov] = self._hash_oov(flat[oov]) + self._oov_start_index()
        if self.mask_token is not None:
            indices[is_mask] = 0 if self.output_mode == "int" else -1
        return indices.astype(np.int64).reshape(tokens.shape)

    def _invert_lookup(self, indices: np.ndarray) -> np.ndarray:
        vocabulary = self.get_vocabulary()
        table = np.asarray(vocabulary if self.vocabulary_dtype != "string" else [str(v) for v in vocabulary],
                           dtype=str if self.vocabulary_dtype == "string" else np.int64)
        inside = (indices >= self._token_start_index()) & (indices < len(table))
        out = np.where(inside, table[np.clip(indices, 0, max(len(table) - 1, 0))], self.oov_token)
        if self.mask_token is not None:
            out = np.where(indices == 0, self.mask_token, out)
        return out.astype(table.dtype)

    def call(self, inputs):
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you "
                               "must set the layer's vocabulary before calling it. Either pass a `vocabulary` "
                               "argument to the layer, or call `adapt` with some sample data.")
        self._called = True
        if self.invert:
            return Tensor(self._invert_lookup(value_of(inputs).astype(np.int64)))
        indices = self.lookup(self._as_tokens(value_of(inputs)))
        if self.output_mode == "int":
            return Tensor(indices)
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        output = categorical.encode(indices, mode, self._depth(), backend.floatx())
        if self.output_mode == "tf_idf":
            output = output * self.idf_weights
        return Tensor(output)

    def compute_output_shape(self, input_shape):
        return categorical.encoded_shape(input_shape, self.output_mode, self._depth())

    def _output_dtype(self, inputs) -> str:
        if self.invert:
            return self.vocabulary_dtype
        return "int64" if self.output_mode == "int" else backend.floatx()

    # -- config and saving -----------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": _listify(self.input_idf_weights),
            "vocabulary": _listify(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }

    def get_build_config(self) -> dict:
        return {}

    def build_from_config(self, config) -> None:
        self.built = True

    def save_own_variables(self, store) -> None:
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = self.idf_weights

    def load_own_variables(self, store) -> None:
        if self.output_mode == "tf_idf":
            if "idf_weights" not in store:
                raise ValueError(f"Layer '{self.name}' (tf_idf) expected its `idf_weights` in the weights file.")
            self.idf_weights = np.asarray(store["idf_weights"], dtype=backend.floatx())

    def save_assets(self, dir_path: str) -> None:
        """An adapted vocabulary is written to `vocabulary.txt`, one token per line, special tokens first."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, VOCABULARY_FILENAME), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path: str) -> None:
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, VOCABULARY_FILENAME)
        if not os.path.exists(path):
            raise ValueError(f"Layer '{self.name}' has no vocabulary in the file (expected the asset "
                             f"{VOCABULARY_FILENAME}).")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        try:
            values = [self._token_from_text(line) for line in lines]
        except ValueError as err:
            raise ValueError(f"Layer '{self.name}': the vocabulary asset holds a token that is not a "
                             f"{self.vocabulary_dtype}: {err}") from err
        idf = self.idf_weights if self.output_mode == "tf_idf" else None
        frozen = self._frozen_vocab_size
        self._frozen_vocab_size = None
        self.set_vocabulary(values, idf_weights=idf)
        if frozen is not None and self.output_mode != "int" and not self.pad_to_max_tokens \
                and frozen != self._frozen_vocab_size:
            raise ValueError(f"Layer '{self.name}': the vocabulary asset has {self._frozen_vocab_size} entries but "
                             f"the config says vocabulary_size={frozen}.")


def _listify(value):
    if isinstance(value, Tensor):
        value = value.value
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value
