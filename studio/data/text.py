"""A text column as integer token sequences, exactly as Keras's `TextVectorization` does it.

`TextVectorizer.fit` learns the vocabulary from the training rows; `transform` maps texts to `(n,
output_sequence_length)` int32 arrays. The semantics are Keras 3's defaults for `output_mode="int"`:

- standardize "lower_and_strip_punctuation": ASCII letters lowered (`tf.strings.lower` without an encoding
  touches only A-Z), then every character of ``!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'`` removed;
- split "whitespace": runs of space, tab, newline, vertical tab, form feed and carriage return separate tokens;
- vocabulary: tokens by descending count, ties broken by the token in descending (byte) order, as Keras's
  `np.lexsort((tokens, counts))[::-1]`; index 0 is the padding token "", index 1 the OOV token "[UNK]";
  `max_tokens` counts those two;
- `output_sequence_length`: longer texts are cut at the end, shorter ones padded with 0 at the end.

The fitted state (vocabulary and settings) is JSON-able and is what an engine `TextVectorization` layer takes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from studio.data.errors import DataError

PAD, OOV = "", "[UNK]"
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def standardize(text: str) -> str:
    """Keras's "lower_and_strip_punctuation"."""
    return PUNCTUATION.sub("", text.translate(_ASCII_LOWER))


def tokens(text: str) -> list[str]:
    """The words of `text` after standardizing, split on ASCII whitespace."""
    return [t for t in WHITESPACE.split(standardize(text)) if t]


def build_vocabulary(texts, max_tokens: int | None = None) -> list[str]:
    """["", "[UNK]", then tokens by descending count (ties: descending token)], at most `max_tokens` long."""
    counts = Counter()
    for text in texts:
        counts.update(tokens(text))
    counts.pop(PAD, None)
    counts.pop(OOV, None)
    ordered = sorted(counts, key=lambda t: (counts[t], t.encode("utf-8")), reverse=True)
    if max_tokens is not None:
        ordered = ordered[:max(0, max_tokens - 2)]
    return [PAD, OOV, *ordered]


@dataclass
class TextVectorizer:
    """One text column -> (n, output_sequence_length) token indices, with a vocabulary fitted on training rows."""

    column: str
    vocabulary: list[str]
    output_sequence_length: int
    max_tokens: int | None = None

    kind = "text"

    @classmethod
    def fit(cls, column: str, texts, output_sequence_length: int, max_tokens: int | None = None) -> TextVectorizer:
        if output_sequence_length < 1:
            raise DataError(f"Text column {column!r}: the sequence length must be at least 1.")
        if max_tokens is not None and max_tokens < 3:
            raise DataError(f"Text column {column!r}: the vocabulary needs at least 3 tokens (padding, unknown and "
                            "one word).")
        vocabulary = build_vocabulary(texts, max_tokens)
        if len(vocabulary) == 2:
            raise DataError(f"Text column {column!r} has no words in the training rows.")
        return cls(column, vocabulary, int(output_sequence_length), max_tokens)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one sample."""
        return (self.output_sequence_length,)

    @property
    def vocabulary_size(self) -> int:
        """Indices run from 0 to this minus one: the `input_dim` an Embedding needs."""
        return len(self.vocabulary)

    def transform(self, texts) -> np.ndarray:
        """Token indices, padded or cut at the end to `output_sequence_length`; unknown words are 1."""
        index = {t: i for i, t in enumerate(self.vocabulary)}
        index.pop(PAD, None)  # "" is never a token, and an empty text gives padding only
        texts = list(texts)
        out = np.zeros((len(texts), self.output_sequence_length), dtype=np.int32)
        for k, text in enumerate(texts):
            ids = [index.get(t, 1) for t in tokens(text)][:self.output_sequence_length]
            out[k, :len(ids)] = ids
        return out

    def layer_config(self) -> dict:
        """The matching Keras `TextVectorization` arguments (its vocabulary excludes the two special tokens)."""
        return {"max_tokens": self.max_tokens, "standardize": "lower_and_strip_punctuation",
                "split": "whitespace", "output_mode": "int", "output_sequence_length": self.output_sequence_length,
                "vocabulary": self.vocabulary[2:]}

    def to_dict(self) -> dict:
        return {"kind": self.kind, "column": self.column, "vocabulary": list(self.vocabulary),
                "output_sequence_length": self.output_sequence_length, "max_tokens": self.max_tokens}

    @classmethod
    def from_dict(cls, d: dict) -> TextVectorizer:
        vocabulary = [str(t) for t in d["vocabulary"]]
        if vocabulary[:2] != [PAD, OOV]:
            raise DataError("The saved text vocabulary is damaged: it must start with the padding and [UNK] tokens.")
        max_tokens = d.get("max_tokens")
        return cls(str(d["column"]), vocabulary, int(d["output_sequence_length"]),
                   None if max_tokens is None else int(max_tokens))


def proposed_sequence_length(texts, quantile: float = 0.95, limit: int = 200) -> int:
    """A length that holds most texts whole: the 95th percentile of token counts (at least 1, at most `limit`)."""
    lengths = [len(tokens(t)) for t in texts]
    if not lengths:
        return 1
    return int(min(limit, max(1, np.ceil(np.quantile(lengths, quantile)))))


def mean_words(values: list[str], sample: int = 200) -> float:
    """The mean number of words in the first `sample` non-empty values (free text has several)."""
    present = [v for v in values[:sample] if v.strip()]
    return float(np.mean([len(tokens(v)) for v in present])) if present else 0.0
