"""The project's fitted preprocessing as Keras preprocessing layers: the one description that the studio's own
transform, the inference model and the exports are built from.

`column_inputs(preprocessor)` gives, for each raw feature column, the layers that turn it into its block of the
prepared feature matrix; `preprocessing_model(preprocessor)` wires them into an engine `Model` whose input is a
dict of raw columns ((n, 1) float32 for numbers, (n, 1) strings for categories and text) and whose output is what
the trained network takes. Every layer is a standard Keras layer, so real Keras opens a saved model.

The rules, the same in the studio's Predict, `layerstudio predict` and the exported model:
- a number is standardized with the training mean and standard deviation (`Normalization`); a missing number
  (NaN) first takes the column's fitted fill value (`fill_missing_number`), or, in a drop-rows column, the
  studio leaves the row out and the model answers NaN for it;
- a category is one-hot over the categories of the training file (`StringLookup` then a fixed 0/1 `Dense`); a
  missing one ("" or NA, N/A, NaN, null, None, ?, missing) takes the fitted fill category, or is all zeros in a
  drop-rows column; a category not seen in training is out of vocabulary: its block is all zeros. For an Input
  that feeds an Embedding the column is its category's code instead (`codes`: the fixed `Dense` gives the first
  category `DataSpec.category_codes_from` and the next ones counting up, and a category not seen in training 0,
  the out-of-vocabulary index of Keras's `StringLookup`);
- a text becomes token indices as Keras's `TextVectorization` makes them ("" for a missing text).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

import engine
from engine import layers
from studio.data.column_data import MISSING_TOKENS
from studio.data.errors import DataError

LARGEST_FLOAT32 = float(np.finfo(np.float32).max)


@dataclass
class ColumnInput:
    """One raw feature column of the model's input and the layers that prepare it.

    `key` is the column's Keras-valid name (its Input's); `kind` "numeric", "categorical" or "text"; `dtype` the
    input's ("float32" or "string"); `width` the columns of its block in the prepared features (a text: its
    sequence length); `fill` the value a missing value takes (None: none is filled; for a number,
    `fill_missing_number` puts it in the model before `layers`); `layers` apply in order to the (n, 1) column.
    """

    name: str
    key: str
    kind: str
    dtype: str
    width: int
    fill: float | str | None
    layers: list

    def encode(self, values: np.ndarray) -> np.ndarray:
        """Run the layers on an (n, 1) array of already filled values: the column's block, eagerly."""
        out = values
        for layer in self.layers:
            out = engine.ops.convert_to_numpy(layer(out))
        return np.asarray(out)


def missing_markers(categories: list[str]) -> list[str]:
    """The strings a raw row may hold for a missing category: the CSV reader's tokens ("", NA, N/A, NaN, null,
    none, ?, missing) in every upper/lower-case spelling, as the reader takes them, leaving out any category."""
    tokens = set()
    for token in MISSING_TOKENS:
        tokens.update("".join(letters) for letters in itertools.product(*[{c.lower(), c.upper()} for c in token]))
    return sorted(tokens - set(categories))


def column_inputs(preprocessor, used: set[str] | None = None, codes: dict[str, int] | None = None
                  ) -> list[ColumnInput]:
    """The layers of each raw feature column of a fitted `Preprocessor` (a table of numbers and categories, or
    one text column, or pixel columns: numbers that `image_layers` then turn into images). DataError for data no
    raw-column model takes: image files, time-series windows.
    `used`: layer names already taken, kept unique (the names given here join it); `codes`: category columns
    taken as codes (column -> the code of its first category, `ModelFeed.code_columns`)."""
    used = set() if used is None else used
    encoder = preprocessor.encoder
    if preprocessor.windows is not None:
        raise DataError("the project's data are time-series windows; a model on raw columns takes tables of "
                        "numbers and categories, or a text column.")
    if encoder is not None and encoder.kind not in ("text", "pixels"):
        raise DataError(f"the project's data are {encoder.kind.replace('_', ' ')}; a model on raw columns takes "
                        "tables of numbers and categories, pixel columns or a text column.")
    if encoder is not None and encoder.kind == "text":
        return [_text_input(encoder, used)]
    others = [f for f in preprocessor.features if f.type not in ("numeric", "categorical")]
    if others:
        raise DataError(f"column {others[0].name!r} is a {others[0].type} feature; a model on raw columns takes "
                        "numbers, categories and one text column.")
    return table_inputs(preprocessor, used, codes)


def table_inputs(preprocessor, used: set[str] | None = None, codes: dict[str, int] | None = None
                 ) -> list[ColumnInput]:
    """The layers of the numeric and categorical features (whatever else the data hold): what the studio's
    `Preprocessor.transform` runs on them (one-hot categories), or with `codes` the columns an Embedding's Input
    takes as codes."""
    used = set() if used is None else used
    codes = codes or {}
    columns = []
    for feature in [f for f in preprocessor.features if f.type in ("numeric", "categorical")]:
        base = layer_name(feature.name, used)
        if feature.type == "numeric":
            steps = [layers.Normalization(mean=[feature.mean], variance=[feature.std ** 2],
                                          name=layer_name(f"{base}_standardized", used))] \
                if preprocessor.scaling == "standard" else []
            fill = None if feature.fill is None else float(feature.fill)
            columns.append(ColumnInput(feature.name, base, "numeric", "float32", 1, fill, steps))
        else:
            columns.append(_category_input(feature, base, used, codes.get(feature.name)))
    return columns


def image_layers(encoder, used: set[str] | None = None) -> list:
    """The layers that turn the concatenated pixel columns of a `PixelGrid` into images: `Rescaling` by the
    largest training pixel, `ReLU(max_value=1)` (clipped to [0, 1]) and `Reshape` to height x width x channels;
    none for other data."""
    if encoder is None or encoder.kind != "pixels":
        return []
    used = set() if used is None else used
    return [layers.Rescaling(scale=1.0 / encoder.scale, name=layer_name("pixels_rescaled", used)),
            layers.ReLU(max_value=1.0, name=layer_name("pixels_clipped", used)),
            layers.Reshape(tuple(encoder.shape), name=layer_name("images", used))]


def _category_input(feature, base: str, used: set[str], codes_from: int | None = None) -> ColumnInput:
    """StringLookup over the categories (then the missing markers, when missing values are filled) with one
    out-of-vocabulary index, and a fixed Dense from its one-hot rows: onto the categories' columns (all zeros for
    an unseen category), or with `codes_from` onto one column holding the category's code (0 for an unseen one)."""
    categories = list(feature.categories)
    fill = feature.fill if feature.fill in categories else None
    markers = missing_markers(categories) if fill is not None else []
    lookup = layers.StringLookup(vocabulary=categories + markers, num_oov_indices=1, output_mode="one_hot",
                                 name=layer_name(f"{base}_lookup", used))
    rows = 1 + len(categories) + len(markers)  # row 0: unseen
    if codes_from is None:
        matrix = np.zeros((rows, len(categories)), dtype="float32")
        matrix[1 + np.arange(len(categories)), np.arange(len(categories))] = 1.0
        if fill is not None:
            matrix[1 + len(categories):, categories.index(fill)] = 1.0
        name, width = f"{base}_one_hot", len(categories)
    else:
        matrix = np.zeros((rows, 1), dtype="float32")
        matrix[1:1 + len(categories), 0] = codes_from + np.arange(len(categories))
        if fill is not None:
            matrix[1 + len(categories):, 0] = codes_from + categories.index(fill)
        name, width = f"{base}_code", 1
    encode = layers.Dense(matrix.shape[1], use_bias=False, trainable=False, name=layer_name(name, used))
    encode.build((None, rows))
    encode.set_weights([matrix])
    return ColumnInput(feature.name, base, "categorical", "string", width, fill, [lookup, encode])


def _text_input(encoder, used: set[str]) -> ColumnInput:
    base = layer_name(encoder.column, used)
    vectorize = layers.TextVectorization(**encoder.layer_config(), name=layer_name(f"{base}_tokens", used))
    return ColumnInput(encoder.column, base, "text", "string", encoder.output_sequence_length, "", [vectorize])


def fill_missing_number(x, fill: float, base: str, used: set[str]):
    """`x` (a symbolic (n, 1) float column) with NaN replaced by `fill`, in standard Keras layers that real
    Keras loads: `Discretization` flags NaN (and +inf) as one-hot [present, missing]; a fixed `Dense` turns the
    flag into the fill value; `GlobalAveragePooling1D` over the pair (value, fill), masked by the flag, keeps
    exactly one of them (Keras selects with `where`, so the NaN left out never reaches the sum)."""
    flag = layers.Discretization(bin_boundaries=[LARGEST_FLOAT32], output_mode="one_hot",
                                 name=layer_name(f"{base}_missing", used))(x)
    fill_layer = layers.Dense(1, use_bias=False, trainable=False, name=layer_name(f"{base}_fill_value", used))
    fill_value = fill_layer(flag)
    fill_layer.set_weights([np.array([[0.0], [fill]], dtype="float32")])
    pair = layers.Reshape((2, 1), name=layer_name(f"{base}_value_or_fill", used))(
        layers.Concatenate(name=layer_name(f"{base}_with_fill", used))([x, fill_value]))
    return layers.GlobalAveragePooling1D(name=layer_name(f"{base}_filled", used))(pair, mask=flag)


def preprocessing_model(preprocessor, name: str = "preprocessing", codes: dict[str, int] | None = None):
    """An engine Model from a dict of raw columns (keyed by column name) to the prepared features: numeric and
    categorical blocks side by side as `Preprocessor.transform` gives them (with `codes`, those columns as codes),
    a text's token indices, or the images of pixel columns."""
    inputs, output = preprocessing_graph(preprocessor, codes=codes)
    return engine.Model(inputs, output, name=name)


def preprocessing_graph(preprocessor, used: set[str] | None = None, codes: dict[str, int] | None = None
                        ) -> tuple[dict, object]:
    """(dict of symbolic raw-column Inputs keyed by column name, symbolic prepared features): the layers of
    `preprocessing_model` for a caller that puts more behind them. `used`: layer names already taken; `codes`:
    category columns taken as codes (column -> the code of its first category)."""
    used = set() if used is None else used
    inputs, blocks = {}, []
    for column in column_inputs(preprocessor, used, codes):
        x = engine.Input(shape=(1,), dtype=column.dtype, name=column.key)
        inputs[column.name] = x
        filled = column.kind == "numeric" and column.fill is not None
        y = fill_missing_number(x, column.fill, column.key, used) if filled else x
        for layer in column.layers:
            y = layer(y)
        blocks.append(y)
    output = blocks[0] if len(blocks) == 1 else layers.Concatenate(name=layer_name("features", used))(blocks)
    for layer in image_layers(preprocessor.encoder, used):  # pixel columns: images
        output = layer(output)
    return inputs, output


def raw_columns(preprocessor, table) -> dict[str, np.ndarray]:
    """The rows of a CSV table as the model on raw columns takes them: (n, 1) float32 per numeric column (NaN
    where missing), (n, 1) strings per category or text ("" where missing)."""
    from studio.data.column_values import category_values, numeric_values

    columns = {}
    for column in column_inputs(preprocessor):
        if column.dtype == "float32":
            columns[column.name] = numeric_values(table, column.name).astype("float32").reshape(-1, 1)
        else:
            values = ["" if v is None else str(v) for v in category_values(table, column.name).tolist()]
            columns[column.name] = np.asarray(values, dtype=object).reshape(-1, 1)
    return columns


def layer_name(text: str, used: set[str]) -> str:
    """A Keras-valid layer name from a column or class name (no '/'), unique among `used` (which it joins)."""
    base = re.sub(r"[^0-9A-Za-z_.-]+", "_", text).strip("_") or "column"
    name, i = base, 1
    while name in used:
        i += 1
        name = f"{base}_{i}"
    used.add(name)
    return name
