"""Fitting a spec's kind of samples (text, image files, pixel images, time-series windows) on the training rows,
and reading the fitted transforms back from the project: the one place that knows every kind."""

from __future__ import annotations

import numpy as np

from studio.data.columns import ColumnType
from studio.data.errors import DataError
from studio.data.images import ImageFiles, PixelGrid
from studio.data.sequences import SequenceWindows, calendar_parts, parse_times
from studio.data.text import TextVectorizer

ENCODERS = {cls.kind: cls for cls in (TextVectorizer, ImageFiles, PixelGrid)}


def fit_encoder(table, spec, stat_rows: np.ndarray):
    """The fitted encoder of the spec's features (text, image files, pixel columns), or None for plain rows."""
    from studio.data.column_values import category_values, numeric_values
    from studio.data.spec import MissingStrategy

    features = spec.features
    special = [c for c in features if c.type in (ColumnType.TEXT, ColumnType.IMAGE)]
    if special and special[0].type == ColumnType.TEXT:
        c = special[0]
        values = category_values(table, c.name)
        texts = [values[i] for i in stat_rows if values[i] is not None]
        settings = spec.text
        if settings is None:
            from studio.data.kinds import TextSpec
            settings = TextSpec()
        try:
            return TextVectorizer.fit(c.name, texts, settings.output_sequence_length, settings.max_tokens)
        except DataError as err:
            raise DataError(f"{table.path}: {err}") from None
    if special:
        image = spec.image
        return ImageFiles(special[0].name, image.height, image.width, image.channels)
    if spec.image is not None:
        names = [c.name for c in features]
        pixels = np.stack([numeric_values(table, n)[stat_rows] for n in names], axis=1)
        for c in features:
            if spec.missing_strategy(c) == MissingStrategy.FILL_MEAN:
                raise DataError(f"Pixel column {c.name!r}: fill missing pixels with the most frequent value or "
                                "drop those rows; a mean makes no pixel.")
        try:
            return PixelGrid.fit(names, pixels, spec.image.height, spec.image.width, spec.image.channels)
        except DataError as err:
            raise DataError(f"{table.path}: {err}") from None
    return None


def fit_windows(table, spec, stat_rows: np.ndarray) -> SequenceWindows | None:
    """The spec's time-series windows, with the calendar parts that vary over the training rows."""
    s = spec.sequence
    if s is None:
        return None
    parts = []
    if s.calendar and s.time_column is not None:
        times = parse_times(table, s.time_column)
        parts = calendar_parts(times[stat_rows])
    return SequenceWindows(s.time_column, s.lookback, s.horizon, s.stride, s.allow_gaps, parts)


def encoder_from_dict(d: dict):
    """A fitted encoder saved by its `to_dict`; DataError for an unknown kind."""
    kind = d.get("kind")
    if kind not in ENCODERS:
        raise DataError(f"The saved preprocessing has an unknown input kind {kind!r} (known: {', '.join(ENCODERS)}).")
    return ENCODERS[kind].from_dict(d)
