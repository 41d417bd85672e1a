"""What kind of samples a table holds beyond plain feature rows: the user's choices for time-series windows,
images (pixel columns or image files) and text; JSON-able parts of a `DataSpec`, checked and proposed here.

The fitted transforms that carry these choices out live in `sequences.py`, `images.py` and `text.py`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from studio.data.columns import ColumnRole, ColumnType
from studio.data.errors import DataError


@dataclass
class SequenceSpec:
    """Windows of `lookback` rows in time order, each with the target `horizon` rows after its last row."""

    time_column: str | None = None  # None: the file's row order is the time order
    lookback: int = 12
    horizon: int = 1
    stride: int = 1
    calendar: bool = False  # add month / weekday / hour (sine and cosine) from the time column
    target_history: bool = True  # the target's past values are an input too (forecasting)
    allow_gaps: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SequenceSpec:
        time_column = d.get("time_column")
        return cls(time_column=None if time_column is None else str(time_column), lookback=int(d.get("lookback", 12)),
                   horizon=int(d.get("horizon", 1)), stride=int(d.get("stride", 1)),
                   calendar=bool(d.get("calendar", False)), target_history=bool(d.get("target_history", True)),
                   allow_gaps=bool(d.get("allow_gaps", False)))


@dataclass
class ImageSpec:
    """Images of height x width x channels: from pixel columns (row-major H, W, C) or from an image-path column."""

    height: int
    width: int
    channels: int = 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ImageSpec:
        return cls(height=int(d["height"]), width=int(d["width"]), channels=int(d.get("channels", 1)))


@dataclass
class TextSpec:
    """Keras TextVectorization settings for a text column (vocabulary from the training rows)."""

    max_tokens: int | None = 20000
    output_sequence_length: int = 50

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TextSpec:
        max_tokens = d.get("max_tokens", 20000)
        return cls(max_tokens=None if max_tokens is None else int(max_tokens),
                   output_sequence_length=int(d.get("output_sequence_length", 50)))


def special_feature(spec) -> str | None:
    """The kind of the spec's one text or image-file feature ("text", "image"), or None."""
    kinds = {c.type for c in spec.features} & {ColumnType.TEXT, ColumnType.IMAGE}
    return next(iter(kinds)).value if kinds else None


def validate_kinds(spec) -> None:
    """DataError unless the spec's text, image and sequence choices fit together and fit its columns."""
    features = spec.features
    target = spec.target
    if target is not None and target.type in (ColumnType.TEXT, ColumnType.IMAGE):
        raise DataError(f"Column {target.name!r} holds {_what(target.type)}, which cannot be a target: choose a "
                        "label or number column as the target.")
    special = [c for c in features if c.type in (ColumnType.TEXT, ColumnType.IMAGE)]
    if special and len(features) > 1:
        c = special[0]
        others = ", ".join(repr(f.name) for f in features if f is not c)
        raise DataError(f"Column {c.name!r} holds {_what(c.type)}, which is the model's whole input: set the role of "
                        f"the other feature columns ({others}) to ignore.")
    if special and special[0].type == ColumnType.IMAGE and spec.image is None:
        raise DataError(f"Column {special[0].name!r} holds image files: choose the image size.")
    if spec.image is not None:
        _check_image(spec.image)
        if not special:
            numeric = [c for c in features if c.type == ColumnType.NUMERIC]
            if len(numeric) != len(features):
                bad = next(c for c in features if c.type != ColumnType.NUMERIC)
                raise DataError(f"Pixel images are made of numeric columns, but {bad.name!r} is {bad.type.value}: "
                                "set its role to ignore.")
            size = spec.image.height * spec.image.width * spec.image.channels
            if size != len(features):
                raise DataError(f"{len(features)} pixel columns do not make images of {spec.image.height} x "
                                f"{spec.image.width} x {spec.image.channels} (= {size} values): change the image "
                                "size or the feature columns.")
    if spec.text is not None:
        t = spec.text
        if t.output_sequence_length < 1 or (t.max_tokens is not None and t.max_tokens < 3):
            raise DataError("Text: the sequence length must be at least 1 and the vocabulary at least 3 tokens.")
    if spec.sequence is not None:
        _check_sequence(spec, special)


def _check_image(image: ImageSpec) -> None:
    if min(image.height, image.width) < 1 or image.channels not in (1, 3):
        raise DataError(f"Images of {image.height} x {image.width} x {image.channels}: height and width must be at "
                        "least 1, and channels 1 (gray) or 3 (RGB).")


def _check_sequence(spec, special) -> None:
    s = spec.sequence
    if special:
        raise DataError(f"Column {special[0].name!r} holds {_what(special[0].type)}: time-series windows are made of "
                        "numeric and categorical columns only.")
    if spec.image is not None:
        raise DataError("Choose either images or time-series windows, not both.")
    if s.lookback < 1 or s.horizon < 0 or s.stride < 1:
        raise DataError(f"Time-series windows need a lookback and a stride of at least 1 and a horizon of 0 or more "
                        f"(now lookback {s.lookback}, horizon {s.horizon}, stride {s.stride}).")
    if s.time_column is not None:
        column = spec.column(s.time_column)
        if column.role != ColumnRole.IGNORE:
            raise DataError(f"The time column {column.name!r} orders the rows: set its role to ignore (add calendar "
                            "features to use the date as an input).")
    elif s.calendar:
        raise DataError("Calendar features need a time column: choose one.")
    if s.target_history and s.horizon == 0:
        raise DataError("With a horizon of 0 the target is the window's last row: the target's own past values "
                        "would give it away. Use a horizon of 1 or more, or leave the target out of the inputs.")


def _what(kind: ColumnType) -> str:
    return "free text" if kind == ColumnType.TEXT else "image files"


# -- proposals for a freshly read table ---------------------------------------------------------------------------

LABEL_NAMES = ("label", "labels", "class", "target", "y", "digit", "category")


def propose_kinds(spec, table, summaries, sequence_model: bool = False) -> None:
    """Adjust the proposed `spec` in place for what the table looks like: a date column -> time-series windows
    with a chronological split; an image-path column -> image files; a free-text column -> text; many pixel-like
    integer columns -> pixel images. `sequence_model`: the canvas holds a recurrent model (windows proposed)."""
    from studio.data.images import looks_like_image_paths

    # A date column orders a time series only when each time comes once (penguins' "Date Egg" repeats: no series)
    times = [s.name for s in summaries
             if s.inferred_type == ColumnType.DATETIME and s.n_unique == s.n_values - s.n_missing]
    images = [s.name for s in summaries if s.inferred_type in (ColumnType.CATEGORICAL, ColumnType.TEXT)
              and looks_like_image_paths(table.column(s.name).tolist())]
    if images:
        _propose_images(spec, table, images[0])
    elif times:
        _propose_sequence(spec, table, times[0])
    elif _propose_text(spec, table, summaries):
        pass
    elif sequence_model:  # a recurrent model on rows without dates: windows in file order
        _propose_sequence(spec, table, None)
    else:
        _propose_pixels(spec, summaries)


def _only_feature(spec, name: str, kind: ColumnType) -> None:
    for c in spec.columns:
        if c.name == name:
            c.type, c.role = kind, ColumnRole.FEATURE
        elif c.role == ColumnRole.FEATURE:
            c.role = ColumnRole.IGNORE
    if spec.target is None:  # the last other usable column labels the samples
        others = [c for c in spec.columns if c.name != name and c.type != ColumnType.TEXT]
        if others:
            others[-1].role = ColumnRole.TARGET
            if others[-1].type == ColumnType.NUMERIC:
                others[-1].type = ColumnType.CATEGORICAL


def _propose_images(spec, table, name: str) -> None:
    from studio.data.images import survey_images

    _only_feature(spec, name, ColumnType.IMAGE)
    survey = survey_images(table.column(name).tolist(), table.path, limit=20)
    if survey["sizes"]:
        (width, height), _ = max(survey["sizes"].items(), key=lambda item: item[1])
        gray = all(mode in ("1", "L", "LA", "I;16", "I", "F") for mode in survey["modes"])
        spec.image = ImageSpec(height=height, width=width, channels=1 if gray else 3)
    else:
        spec.image = ImageSpec(height=32, width=32, channels=1)


def _propose_sequence(spec, table, time_column: str | None) -> None:
    from studio.data.sequences import _steps, parse_times

    lookback = 10
    if time_column is not None:
        spec.column(time_column).role = ColumnRole.IGNORE
        try:
            times = parse_times(table, time_column)
            steps, unit = _steps(np.sort(times))
            step = int(np.median(steps)) if len(steps) else 0
            lookback = 12 if unit.startswith("month") and step == 1 else 7 if step == 86400 else \
                24 if step == 3600 else 10
        except DataError:
            pass
    if spec.target is None and spec.features:  # a single series: it forecasts itself
        spec.features[-1].role = ColumnRole.TARGET
    lookback = max(1, min(lookback, table.n_rows // 4))
    classification = spec.target is not None and spec.target.type == ColumnType.CATEGORICAL
    spec.sequence = SequenceSpec(time_column=time_column, lookback=lookback, horizon=0 if classification else 1,
                                 target_history=not classification)
    if not classification:  # a forecast is learned on the standardized series, reported in the file's units
        spec.target_scaling = type(spec.target_scaling)("standard")
    spec.split.shuffle = False
    spec.split.stratify = False


def _propose_text(spec, table, summaries) -> bool:
    from studio.data.text import mean_words, proposed_sequence_length

    candidates = [s for s in summaries if s.inferred_type in (ColumnType.CATEGORICAL, ColumnType.TEXT)
                  and s.n_missing <= 0.5 * s.n_values  # mostly-missing notes (penguins' Comments) are no text task
                  and mean_words(table.column(s.name).tolist()) >= 3.0]
    if not candidates:
        return False
    name = max(candidates, key=lambda s: mean_words(table.column(s.name).tolist())).name
    if spec.target is not None and spec.target.name == name:
        spec.target.role = ColumnRole.IGNORE
    _only_feature(spec, name, ColumnType.TEXT)
    spec.text = TextSpec(max_tokens=20000,
                         output_sequence_length=proposed_sequence_length(table.column(name).tolist()))
    return True


def _propose_pixels(spec, summaries) -> None:
    from studio.data.images import proposed_grid

    numeric = [s for s in summaries if s.inferred_type == ColumnType.NUMERIC and not s.all_missing]
    if len(numeric) < 65:  # at least 8 x 8 pixels: a wide table of counts is not taken for a picture
        return
    labels = [s for s in numeric if s.name.strip().lower() in LABEL_NAMES] or [numeric[0]]
    label = labels[0]
    pixels = [s for s in numeric if s is not label]
    grid = proposed_grid(len(pixels))
    in_range = all(s.value_range is None or (s.value_range[0] >= 0 and s.value_range[1] <= 255) for s in pixels)
    if grid is None or not in_range or not all(s.all_integers for s in pixels) or label.n_unique > 100:
        return
    for c in spec.columns:
        if c.name == label.name:
            c.role, c.type = ColumnRole.TARGET, ColumnType.CATEGORICAL
        elif any(c.name == s.name for s in pixels):
            c.role, c.type = ColumnRole.FEATURE, ColumnType.NUMERIC
        else:
            c.role = ColumnRole.IGNORE
    spec.image = ImageSpec(*grid)
    spec.scaling = type(spec.scaling)("none")
