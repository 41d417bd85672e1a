"""Training data read from the file a chunk at a time: `prepare_streamed(spec)` gives `StreamedData`, which the
training core, evaluation and the command line use where they use `PreparedData`, without the table in memory.

Each part (training, validation, test) is a `StreamedPart`; its batches come from `PartBatches`, a `PyDataset`
that reads the chunks, transforms the part's rows with the fitted preprocessor and cuts batches of the batch size
across chunk ends, so the batches are those of the whole file's arrays in file order. With shuffling, each epoch
visits the chunks in a random order and the rows of each chunk in a random order (a file larger than memory
cannot be shuffled whole).

The validation rows are needed by every epoch's validation. When their prepared arrays fit in `hold_bytes` (by
default a quarter of the streaming size: 128 MB of arrays for the 512 MB default), the first epoch's pass over
the training rows transforms them too, from the same reading of each chunk, and keeps them in memory: every epoch
then reads the file once. Larger ones are read again for every validation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from engine.utils.py_dataset import PyDataset
from studio.data.chunks import CsvChunks
from studio.data.dataset import PreparedData
from studio.data.preprocess import Transformed
from studio.data.spec import DataSpec
from studio.data.stream_fit import TEST, TRAIN, VALIDATION, Progress, StreamPlan, fit_streamed

EVALUATION_BATCH = 256
HELD_SHARE = 4
"""The validation rows are kept in memory when their arrays take at most the streaming size / HELD_SHARE."""


def prepare_streamed(spec: DataSpec, progress: Progress | None = None, chunk_bytes: int | None = None,
                     hold_bytes: int | None = None) -> StreamedData:
    """The spec's data fitted in two passes over its file in chunks (studio/data/stream_fit.py). Validation
    rows whose arrays take at most `hold_bytes` (default: the streaming size / HELD_SHARE) are kept in memory
    once read."""
    from studio.data import chunks as chunks_module

    chunks = CsvChunks(spec.path, spec.dialect, chunk_bytes)
    preprocessor, plan = fit_streamed(spec, chunks, progress)
    hold = chunks_module.STREAM_THRESHOLD // HELD_SHARE if hold_bytes is None else int(hold_bytes)
    return StreamedData(spec=spec, table=None, preprocessor=preprocessor, train=None, validation=None, test=None,
                        dropped=plan.dropped, first_dropped=plan.first_dropped, plan=plan, hold_bytes=hold)


@dataclass
class StreamedData(PreparedData):
    """`PreparedData` whose parts are read from the file when they are used (`table` is None). `feed` (a
    `ModelFeed`) cuts each batch for a model with several inputs or outputs."""

    plan: StreamPlan | None = None
    feed: object = None
    reading: object = None  # called with (pass name, fraction) while an epoch reads the file (the window's bar)
    hold_bytes: int = 0  # the validation rows are kept in memory when their arrays take at most this

    def __post_init__(self):
        counts = [self.plan.count(which) for which in (TRAIN, VALIDATION, TEST)]
        self.train, self.validation, self.test = (
            StreamedPart(self, which, self.hold_bytes if which == VALIDATION else 0) if n or which == TRAIN else None
            for which, n in enumerate(counts))

    @property
    def path(self) -> str:
        return self.plan.chunks.path

    def for_loss(self, loss: str | list[str]) -> StreamedData:
        recoded = self.encoded_for(loss)
        if recoded is None:
            return self
        preprocessor, spec = recoded
        return replace(self, spec=spec, preprocessor=preprocessor)

    def with_feed(self, feed) -> StreamedData:
        return replace(self, feed=None if feed is None or feed.is_plain else feed)

    def fit_source(self, batch_size: int, shuffle: bool) -> tuple[PartBatches, PartBatches | None]:
        """(training batches, validation batches or None) for `fit`."""
        train = self.train.batches(batch_size, shuffle)
        return train, self.validation.batches(batch_size) if self.validation is not None else None

    def summary(self) -> str:
        return super().summary() + f"; read from the file in {len(self.plan.chunks.chunks)} chunks"


class StreamedPart:
    """One part of streamed data: `len()` rows; `batches()` to train on. `x` (batches of inputs and targets),
    `y`, `lines` and `rows` (collected in one pass when first asked) let evaluation treat it like a `Split`."""

    def __init__(self, data: StreamedData, which: int, hold_bytes: int = 0):
        self.data, self.which, self.hold_bytes = data, which, hold_bytes
        self._collected: tuple | None = None
        self._held: list[Transformed] | None = None  # the part's pieces, once read, when they fit in hold_bytes
        self.too_large = False  # its pieces were found to take more than hold_bytes: streamed every time

    @property
    def held(self) -> bool:
        """True when the part's rows are in memory: read once, not read from the file again."""
        return self._held is not None

    def __len__(self) -> int:
        return self.data.plan.count(self.which)

    def batches(self, batch_size: int = EVALUATION_BATCH, shuffle: bool = False) -> PartBatches:
        return PartBatches(self, int(batch_size), shuffle)

    @property
    def x(self) -> PartBatches:
        return self.batches()

    @property
    def y(self):
        return self._collect()[0]

    @property
    def lines(self) -> np.ndarray:
        return self._collect()[1]

    @property
    def rows(self) -> np.ndarray:
        """The part's rows as indices into the whole file's table (what `Split.rows` holds)."""
        return self._collect()[2]

    def _collect(self) -> tuple:
        if self._collected is None:
            pieces = [(t.y, t.lines, t.rows) for t in self.pieces()]
            self._collected = (_concat([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces]),
                               np.concatenate([p[2] for p in pieces]))
        return self._collected

    def sample_x(self):
        """The model's input for the part's first rows (to check shapes)."""
        for t in self.pieces():
            return self._feed_x(t.x[:1])
        return None

    def pieces(self, rng: np.random.Generator | None = None) -> Iterator[Transformed]:
        """The part's rows chunk by chunk (x, y, lines, and rows counted from the file's first), in file order or
        shuffled by `rng`. A pass over the training rows also gathers the validation rows to hold, from the same
        reading of each chunk."""
        if self._held is not None and rng is None:
            yield from self._held
            return
        data, plan = self.data, self.data.plan
        if not plan.chunks.chunks:
            list(plan.chunks.tables())  # a plan made elsewhere: record the chunks
        total = len(plan.chunks.chunks)
        order = range(total) if rng is None else rng.permutation(total)
        riders = [p for p in (data.validation,) if self.which == TRAIN and p is not None and p.wants_holding]
        holders = [_Holding(p) for p in ([self] if rng is None and self.wants_holding else []) + riders]
        for step, k in enumerate(order):
            k = int(k)
            table = plan.chunks.read(plan.chunks.chunks[k])
            if data.reading:
                data.reading(_PART_NAMES[self.which], (step + 1) / total)
            t = self._piece(k, table, rng) if table is not None else None
            for h in holders:
                h.add(k, t if h.part is self else h.part._piece(k, table) if table is not None else None)
            holders = [h for h in holders if not h.part.too_large]
            if t is not None:
                yield t
        for h in holders:  # a whole pass read: kept
            h.keep(total)

    @property
    def wants_holding(self) -> bool:
        return self.hold_bytes > 0 and self._held is None and not self.too_large

    def _piece(self, k: int, table, rng: np.random.Generator | None = None) -> Transformed | None:
        """The part's rows of chunk `k` (read as `table`) transformed, or None when it has none."""
        data, plan = self.data, self.data.plan
        rows = plan.rows_of(k, table, data.spec, self.which)
        if rows.size == 0:
            return None
        if rng is not None:
            rows = rng.permutation(rows)
        t = data.preprocessor.transform(table, with_target=True, order=rows)
        return replace(t, rows=t.rows + plan.row_offsets[k])

    def _feed_x(self, x):
        return x if self.data.feed is None else self.data.feed.x(x)

    def _feed_y(self, y):
        return y if self.data.feed is None else self.data.feed.y(y)


_PART_NAMES = {TRAIN: "training", VALIDATION: "validation", TEST: "test"}


class _Holding:
    """A part's pieces gathered chunk by chunk during one pass, kept in the part when the pass read every chunk
    and they take at most its `hold_bytes`."""

    def __init__(self, part: StreamedPart):
        self.part, self.found, self.size = part, {}, 0

    def add(self, k: int, piece: Transformed | None) -> None:
        if piece is not None:
            self.size += _nbytes(piece)
            if self.size > self.part.hold_bytes:
                self.part.too_large, self.found = True, {}
                return
        self.found[k] = piece

    def keep(self, total: int) -> None:
        if len(self.found) == total and not self.part.too_large:
            self.part._held = [t for _, t in sorted(self.found.items()) if t is not None]


class PartBatches(PyDataset):
    """Batches of one streamed part for `fit`, `evaluate` and `predict`: (inputs, targets), `batch_size` rows each
    (the last may be shorter). Read in order: asking for batch 0 (or out of order) starts a new pass."""

    def __init__(self, part: StreamedPart, batch_size: int, shuffle: bool = False):
        super().__init__()
        self.part, self.batch_size, self.shuffle = part, batch_size, shuffle
        self._epoch = 0
        self._iterator: Iterator | None = None
        self._next = 0

    def __len__(self) -> int:
        return max(1, math.ceil(len(self.part) / self.batch_size))

    def __getitem__(self, index: int):
        if self._iterator is None or index != self._next:
            self._iterator = self._batches()
            self._next = 0
            for _ in range(index):  # out of order: read up to it
                next(self._iterator)
                self._next += 1
        self._next += 1
        return next(self._iterator)

    def on_epoch_begin(self) -> None:
        self._iterator = None

    def on_epoch_end(self) -> None:
        self._epoch += 1
        self._iterator = None

    def _batches(self) -> Iterator[tuple]:
        rng = None
        if self.shuffle:
            rng = np.random.default_rng((self.part.data.spec.split.seed, self._epoch))
        size, part = self.batch_size, self.part
        held_x, held_y = None, None  # the rows after the last whole batch of the chunks so far
        for t in part.pieces(rng):
            x, y = t.x, t.y
            start = 0
            if held_x is not None:  # the batch across the chunk end: only it is copied
                start = min(len(x), size - len(held_x))
                held_x, held_y = np.concatenate([held_x, x[:start]]), _concat([held_y, _rows(y, slice(0, start))])
                if len(held_x) < size:
                    continue
                yield part._feed_x(held_x), part._feed_y(held_y)
            whole = start + (len(x) - start) // size * size
            for k in range(start, whole, size):
                yield part._feed_x(x[k:k + size]), part._feed_y(_rows(y, slice(k, k + size)))
            held_x, held_y = (x[whole:], _rows(y, slice(whole, None))) if whole < len(x) else (None, None)
        if held_x is not None:
            yield part._feed_x(held_x), part._feed_y(held_y)


def _rows(y, k):
    return [v[k] for v in y] if isinstance(y, list) else y[k]


def _nbytes(t: Transformed) -> int:
    ys = t.y if isinstance(t.y, list) else [] if t.y is None else [t.y]
    return t.x.nbytes + sum(y.nbytes for y in ys) + t.rows.nbytes + t.lines.nbytes


def _concat(ys: list):
    if isinstance(ys[0], list):
        return [np.concatenate([y[j] for y in ys]) for j in range(len(ys[0]))]
    return np.concatenate(ys)


def will_stream(spec: DataSpec, threshold: int | None = None) -> bool:
    """True when `prepare_file` reads the spec's file in chunks: larger than `threshold` bytes (default
    `chunks.STREAM_THRESHOLD`), samples that are plain rows, and a text encoding that can be cut at newlines."""
    from studio.data.chunks import should_stream, stream_problem
    from studio.data.stream_fit import spec_problem

    return should_stream(spec.path, threshold) and not spec_problem(spec) and \
        not (spec.dialect and stream_problem(spec.dialect))


def prepare_file(spec: DataSpec, progress: Progress | None = None, threshold: int | None = None) -> PreparedData:
    """The spec's data: read in chunks (`StreamedData`) when `will_stream`, else read whole (`prepare`)."""
    from studio.data.dataset import prepare

    if will_stream(spec, threshold):
        hold = None if threshold is None else max(0, threshold) // HELD_SHARE
        return prepare_streamed(spec, progress, hold_bytes=hold)
    return prepare(spec, progress=progress)
