"""`TextVectorization`: raw text to token indices or bag-of-words vectors, as Keras's.

The text is standardized (ASCII lower-casing and ASCII punctuation removal, as TensorFlow's string ops
do), split (on runs of ASCII whitespace, or into characters), turned into n-grams joined by a space, and
looked up in a `StringLookup` whose mask token is the empty string (index 0 pads `int` output).
"""

from __future__ import annotations

import string

import numpy as np

from engine import backend
from engine.autodiff import Tensor
from engine.layers.preprocessing import categorical
from engine.layers.preprocessing.base import PreprocessingLayer, adapt_batches, as_strings, value_of
from engine.layers.preprocessing.string_lookup import StringLookup

_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


class TextVectorization(PreprocessingLayer):
    """Keras's `TextVectorization` with its built-in `standardize` and `split` options (no Python callables:
    a saved model never runs code from its file)."""

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        if standardize not in (None, "lower_and_strip_punctuation", "lower", "strip_punctuation"):
            raise ValueError("TextVectorization supports `standardize` None, 'lower_and_strip_punctuation', 'lower' "
                             f"or 'strip_punctuation' (not Python callables). Received: standardize={standardize!r}")
        if split not in (None, "whitespace", "character"):
            raise ValueError("TextVectorization supports `split` None, 'whitespace' or 'character' (not Python "
                             f"callables). Received: split={split!r}")
        output_mode = categorical.check_output_mode(output_mode, categorical.OUTPUT_MODES, "TextVectorization")
        if not (ngrams is None or isinstance(ngrams, int)
                or isinstance(ngrams, (tuple, list)) and all(isinstance(n, int) for n in ngrams)):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError("`output_sequence_length` must be either None or an integer when `output_mode` is "
                             f"'int'. Received: output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                             f"Received output_sequence_length={output_sequence_length}.")
        if ragged:
            raise ValueError("`ragged=True` needs ragged tensors, which the engine does not have.")
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = tuple(ngrams) if isinstance(ngrams, list) else ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else self._ngrams_arg
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
                                          sparse=sparse, has_input_vocabulary=has_input_vocabulary,
                                          encoding=encoding, vocabulary_size=vocabulary_size)
        self.built = True

    # -- text to tokens ------------------------------------------------------------------------------
    def _standardized(self, text: np.ndarray) -> np.ndarray:
        flat = text.reshape(-1).tolist()
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [t.translate(_LOWER) for t in flat]
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [t.translate(_NO_PUNCTUATION) for t in flat]
        return np.asarray(flat, dtype=str).reshape(text.shape) if flat else text

    def _split_text(self, text: str) -> list[str]:
        if self._split == "whitespace":
            return [w.decode("utf-8") for w in text.encode("utf-8").split()]  # ASCII whitespace only, as TF
        return list(text)

    def _with_ngrams(self, tokens: list[str]) -> list[str]:
        if self._ngrams is None:
            return tokens
        out = []
        for width in self._ngrams:
            out.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
        return out

    def _documents(self, inputs) -> list[np.ndarray] | np.ndarray:
        """Tokens per document (a list of arrays) when splitting; otherwise the standardized strings."""
        text = self._standardized(as_strings(value_of(inputs), self._encoding))
        if self._split is None:
            return text
        if text.ndim > 1:
            if text.shape[-1] != 1:
                raise ValueError("When using `TextVectorization` to tokenize strings, the input rank must be 1 or "
                                 f"the last shape dimension must be 1. Received: inputs.shape={text.shape} with "
                                 f"rank={text.ndim}")
            text = text.reshape(text.shape[:-1])
        if text.ndim != 1:
            raise ValueError(f"TextVectorization expects a batch of strings; received shape {text.shape}")
        return [np.asarray(self._with_ngrams(self._split_text(t)), dtype=str) for t in text.tolist()]

    # -- adapt ---------------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps: int | None = None) -> None:
        """Learn the vocabulary (and IDF weights) from texts: an array, a list of strings or batches of them."""
        self.reset_state()
        if isinstance(data, (np.ndarray, Tensor, list, tuple)):
            array = as_strings(value_of(data), self._encoding)
            self.update_state(array.reshape(-1, 1) if array.ndim == 1 else array)
        else:
            for batch in adapt_batches(data, steps):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data) -> None:
        documents = self._documents(data)
        lookup = self._lookup_layer
        if lookup._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` "
                             "argument or `set_vocabulary()` method.")
        if isinstance(documents, np.ndarray):
            lookup.update_state(documents)
        else:
            lookup._count_documents([d.astype(str) if d.size else np.zeros(0, dtype="<U1") for d in documents])

    def finalize_state(self) -> None:
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- calling -------------------------------------------------------------------------------------
    def call(self, inputs):
        documents = self._documents(inputs)
        lookup = self._lookup_layer
        if isinstance(documents, np.ndarray):
            return lookup.call(Tensor(documents))
        if self._output_mode != "int":
            mode = "count" if self._output_mode == "tf_idf" else self._output_mode
            depth = lookup._depth()
            rows = [categorical.encode(lookup.lookup(d), mode, depth, backend.floatx()) if d.size
                    else np.zeros(depth, dtype=backend.floatx()) for d in documents]
            output = np.stack(rows) if rows else np.zeros((0, depth), dtype=backend.floatx())
            if self._output_mode == "tf_idf":
                output = output * lookup.idf_weights
            return Tensor(output)
        indices = [lookup.lookup(d) for d in documents]
        length = self._output_sequence_length
        if length is None:
            length = max((len(i) for i in indices), default=0)
        output = np.zeros((len(indices), length), dtype=np.int64)
        for row, ids in enumerate(indices):
            ids = ids[:length]
            output[row, :len(ids)] = ids
        return Tensor(output)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def _output_dtype(self, inputs) -> str:
        return "int64" if self._output_mode == "int" else backend.floatx()

    # -- config and saving -----------------------------------------------------------------------------
    def get_config(self) -> dict:
        lookup = self._lookup_layer
        return {
            **super().get_config(),
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": list(self._ngrams_arg) if isinstance(self._ngrams_arg, tuple) else self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": lookup.sparse,
            "ragged": self._ragged,
            "vocabulary": _listify(lookup.input_vocabulary),
            "idf_weights": _listify(lookup.input_idf_weights),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }

    def get_build_config(self) -> dict | None:
        return None

    def save_own_variables(self, store) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store) -> None:
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path: str) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        self._lookup_layer.load_assets(dir_path)


def _listify(value):
    if isinstance(value, Tensor):
        value = value.value
    return value.tolist() if isinstance(value, np.ndarray) else value
