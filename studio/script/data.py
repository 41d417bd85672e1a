"""The script's `# -- Data` section: the CSV's layout, the project's fitted preprocessing as Keras layers (written
from the configs of the layers the studio itself runs, `studio.data.preprocessing_layers`), and the code that
reads the CSV in batches.

The generated code defines `csv_file` (a `CsvFile`: one pass over the CSV keeps only where each batch of
each part starts), `encode(csv_file, lines, rows)` (the model's inputs and targets for CSV rows, through the
preprocessing layers) and `CsvBatches` (a `keras.utils.PyDataset` reading one part of a `CsvFile` batch by batch). The
training rows are the file's rows LayerStudio did not hold out for validation or test (by their index among
the file's data rows), so the script trains on the project's split.
"""

from __future__ import annotations

import os
import textwrap

from engine.export.python_script import layer_expr
from engine.export.python_source import Seq, literal, statement
from studio.data.columns import MISSING_TOKENS
from studio.data.preprocessing_layers import layer_name
from studio.data.spec import TargetEncoding, target_encoding_for_loss

_CODE = '''

class CsvError(ValueError):
    """A cell the preprocessing cannot take; the message names file, line and column."""


def is_missing(value):
    return value.strip().lower() in MISSING


def csv_rows(path, offset=0, line=1):
    """(byte offset, file line, cells) of each non-blank row from byte `offset` (a
    row's start, on file line `line`) on; only the current row is held in memory."""
    with open(path, "rb") as file:
        file.seek(offset)
        position, lines_read = offset, 0

        def text_lines():
            nonlocal position, lines_read
            for raw in file:
                position += len(raw)
                lines_read += 1
                yield raw.decode(ENCODING)

        reader = csv.reader(
            text_lines(),
            delimiter=DELIMITER,
            quotechar=QUOTECHAR,
            skipinitialspace=True,
        )
        start, first = offset, line
        for row in reader:
            if row and (len(row) > 1 or row[0].strip()):
                yield start, first, [cell.strip() for cell in row]
            start, first = position, line + lines_read


def column_names(cells):
    """The header's names, blank ones numbered and repeated ones suffixed (as
    LayerStudio names them)."""
    names, seen = [], {}
    for j, name in enumerate(cells):
        name = name or f"column_{j + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        names.append(name)
    return names


class CsvFile:
    """The CSV read once to learn its columns and where each batch of each part
    (training, validation, test) starts; `rows` reads a batch again when it is needed,
    so a file larger than memory trains."""

    def __init__(self, path, batch_size):
        self.path, self.batch_size = path, batch_size
        offset = 0
        with open(path, "rb") as file:
            for _ in range(SKIP_LINES):
                offset += len(file.readline())
        rows = csv_rows(path, offset, SKIP_LINES + 1)
        first = next(rows, None)
        if first is None:
            sys.exit(f"{path}: the file has no rows.")
        if HAS_HEADER:
            self.names = column_names(first[2])
        else:
            self.names = [f"column_{j + 1}" for j in range(len(first[2]))]
            rows = itertools.chain([first], rows)
        self.column = {name: j for j, name in enumerate(self.names)}
        absent = [
            c
            for c in [f["column"] for f in FEATURES] + [t["column"] for t in TARGETS]
            if c not in self.column
        ]
        if absent:
            sys.exit(
                f"{path}: the model needs the column(s) "
                f"{', '.join(map(repr, absent))}, which the file "
                f"does not have (it has {', '.join(map(repr, self.names))})."
            )
        self.required = [t["column"] for t in TARGETS] + [
            f["column"] for f in FEATURES if f["fill"] is None
        ]
        # Where each batch starts: (byte offset, file line, row number)
        self.starts = {"training": [], "validation": [], "test": []}
        self.sizes = dict.fromkeys(self.starts, 0)
        for number, (offset, line, row) in enumerate(rows):
            if self.usable(row):
                part = self.part(number)
                if self.sizes[part] % batch_size == 0:
                    self.starts[part].append((offset, line, number))
                self.sizes[part] += 1

    def cell(self, row, column):
        j = self.column[column]
        return row[j] if j < len(row) else ""

    def usable(self, row):
        """A row with its targets and a value in every column whose missing cells
        leave the row out."""
        return not any(is_missing(self.cell(row, column)) for column in self.required)

    @staticmethod
    def part(number):
        if number in VALIDATION:
            return "validation"
        return "test" if number in TEST else "training"

    def rows(self, part, batch=None):
        """(file lines, rows) of batch number `batch` of `part`, or of all its rows."""
        if not self.starts[part]:
            return [], []
        offset, first_line, first = self.starts[part][batch or 0]
        limit = self.sizes[part] if batch is None else self.batch_size
        lines, rows = [], []
        batch_rows = csv_rows(self.path, offset, first_line)
        for number, (_, line, row) in enumerate(batch_rows, start=first):
            if self.usable(row) and self.part(number) == part:
                lines.append(line)
                rows.append(row)
                if len(rows) == limit:
                    break
        return lines, rows


def numbers(values, lines, path, column):
    """The values as a float32 column; CsvError naming the line of a non-number."""
    out = np.empty((len(values), 1), dtype="float32")
    for i, (text, line) in enumerate(zip(values, lines, strict=True)):
        try:
            out[i, 0] = float(text.replace(DECIMAL, ".") if DECIMAL != "." else text)
        except ValueError:
            raise CsvError(
                f"{path}, line {line}, column {column!r}: {text!r} is not a number"
            ) from None
    return out


def as_numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def encode(csv_file, lines, rows):
    """(inputs, targets) for CSV rows: missing cells filled, then each column through
    its Keras preprocessing layer (an Embedding's input takes a category's position)."""
    blocks, codes = {}, {}
    for f in FEATURES:
        values = [csv_file.cell(row, f["column"]) for row in rows]
        values = [f["fill"] if is_missing(v) else v for v in values]
        if "vocabulary" in f:  # the StringLookup's indices (0: not seen in training)
            oov = f["num_oov_indices"]
            index = {value: oov + k for k, value in enumerate(f["vocabulary"])}
            found = np.array([[index.get(v, 0)] for v in values], dtype="float32")
            one_hot = as_numpy(f["layer"](found))[:, oov:]  # unseen: all zeros
            blocks[f["column"]] = one_hot
            code = one_hot.argmax(axis=1) + CATEGORY_CODES_FROM
            code = np.where(one_hot.any(axis=1), code, 0)  # 0: unseen
            codes[f["column"]] = code.astype("float32")[:, None]
        else:
            column = numbers(values, lines, csv_file.path, f["column"])
            blocks[f["column"]] = (
                column if f["layer"] is None else as_numpy(f["layer"](column))
            )
    xs = []
    for columns, as_codes in INPUTS:
        parts = [codes[c] if as_codes and c in codes else blocks[c] for c in columns]
        xs.append(np.concatenate(parts, axis=1))
    for layer in SAMPLE_LAYERS:  # pixel columns into images
        xs[0] = as_numpy(layer(xs[0]))
    ys = []
    for t in TARGETS:
        values = [csv_file.cell(row, t["column"]) for row in rows]
        if "classes" in t:
            index = {name: k for k, name in enumerate(t["classes"])}
            for line, value in zip(lines, values, strict=True):
                if value not in index:
                    raise CsvError(
                        f"{csv_file.path}, line {line}, target {t['column']!r}: "
                        f"{value!r} is not "
                        f"a class seen in training ({', '.join(t['classes'])})"
                    )
            labels = np.array([index[v] for v in values], dtype="int64")
            if t["encoding"] == "one_hot":
                y = np.eye(len(index), dtype="float32")[labels]
            elif len(index) == 2:
                y = labels.astype("float32").reshape(-1, 1)
            else:
                y = labels
        else:
            y = numbers(values, lines, csv_file.path, t["column"])
            if t["layer"] is not None:
                y = as_numpy(t["layer"](y))
        ys.append(y)
    return xs[0] if len(xs) == 1 else xs, ys[0] if len(ys) == 1 else ys


class CsvBatches(keras.utils.PyDataset):
    """One part of the CSV as batches read from the file when Keras asks for them
    (`fit(shuffle=True)` asks for them in a new order each epoch; a batch keeps its
    rows). A batch is cut to a multiple of `multiple_of` rows (the devices sharing
    each batch)."""

    def __init__(self, csv_file, part, multiple_of=1):
        super().__init__()
        self.csv_file, self.part, self.multiple_of = csv_file, part, multiple_of

    def __len__(self):
        return len(self.csv_file.starts[self.part])

    def __getitem__(self, index):
        return self.encode(*self.csv_file.rows(self.part, index))

    def whole(self):
        """Every row of the part at once (for --in-memory)."""
        return self.encode(*self.csv_file.rows(self.part))

    def encode(self, lines, rows):
        kept = len(rows) - len(rows) % self.multiple_of
        return encode(self.csv_file, lines[:kept], rows[:kept])

    def left_out(self):
        """Rows of the part left out of each epoch to keep batches divisible."""
        size, batch_size = self.csv_file.sizes[self.part], self.csv_file.batch_size
        return size % batch_size % self.multiple_of
'''


def csv_beside(csv_path: str, script_folder: str) -> str:
    """The CSV's path relative to the script's folder, with '/', when the CSV is in that folder or below it;
    else its file name alone (the CSV is then expected next to the script): no path of this machine leaks."""
    try:
        relative = os.path.relpath(os.path.abspath(csv_path), os.path.abspath(script_folder))
    except ValueError:  # another Windows drive
        relative = os.pardir
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        relative = os.path.basename(csv_path)
    return relative.replace(os.sep, "/")


def _exact(value, where: str):
    """`value` as Python with every float written by `repr` (exact: a statistic must round-trip bit for bit)."""
    return literal(value, where, lambda v: repr(v) if isinstance(v, float) else None)


def _entry(items: list[tuple[str, object]]) -> Seq:
    """A dict display of (key, expression) pairs."""
    return Seq("{", "}", [(f'"{key}": ', expr) for key, expr in items])


def feature_entries(preprocessor) -> list[Seq]:
    """Per feature column: its name, fill value, and its layers as the studio's `column_inputs` has them. A
    category column: the vocabulary and out-of-vocabulary indices of its StringLookup (looked up in NumPy:
    StringLookup needs TensorFlow) and the StringLookup's one-hot output as a `CategoryEncoding`; the script
    then drops the out-of-vocabulary column, which is what the studio's fixed 0/1 Dense after it does (the
    missing-value markers it also maps are filled before the lookup)."""
    from engine import layers

    entries = []
    for f, column in zip(preprocessor.features, preprocessor.column_inputs().values(), strict=True):
        items = [("column", literal(f.name, "column")), ("fill", _exact(column.fill, f"fill of {f.name!r}"))]
        if column.kind == "categorical":
            config = column.layers[0].get_config()
            vocabulary = [v for v in config["vocabulary"] if v != config["mask_token"]][:column.width]
            oov = int(config["num_oov_indices"])
            encoding = layers.CategoryEncoding(num_tokens=oov + len(vocabulary), output_mode=config["output_mode"],
                                               name=column.layers[0].name)
            items += [("vocabulary", literal(vocabulary, f"categories of {f.name!r}")),
                      ("num_oov_indices", repr(oov)), ("layer", layer_expr(encoding))]
        else:
            items.append(("layer", layer_expr(column.layers[0]) if column.layers else "None"))
        entries.append(_entry(items))
    return entries


def sample_lines(preprocessor) -> list[str]:
    """`SAMPLE_LAYERS`: what turns a row of pixel columns into an image (divided by the training rows' largest
    pixel value, clipped to [0, 1] by a ReLU capped at 1, reshaped), or an empty list for rows of features."""
    from engine import layers

    grid = preprocessor.encoder
    if grid is None:
        return ["SAMPLE_LAYERS = []  # the rows go to the model as they are"]
    steps = [layers.Rescaling(scale=1.0 / grid.scale, name="pixels_scaled"),
             layers.ReLU(max_value=1.0, name="pixels_clipped"),
             layers.Reshape(grid.shape, name="pixels_as_images")]
    return ["# Pixel columns into images: divided by the largest pixel value of the training rows,",
            "# clipped to [0, 1], reshaped to (height, width, channels)",
            statement("SAMPLE_LAYERS", Seq("[", "]", [("", layer_expr(step)) for step in steps]))]


def target_layer(target):
    """The Normalization standardizing a regression target, or None (classes, or a target learned as it is)."""
    from engine import layers

    if target.task != "regression" or (target.mean == 0.0 and target.std == 1.0):
        return None
    return layers.Normalization(mean=[target.mean], variance=[target.std ** 2],
                                name=layer_name(f"{target.name}_standardized", set()))


def target_entries(preprocessor, targets: list[tuple[int, str | None]]) -> list[Seq]:
    """Per model output (in order): the target column it learns and how it is encoded for its loss."""
    entries = []
    for k, loss in targets:
        t = preprocessor.targets[k]
        items = [("column", literal(t.name, "target"))]
        if t.task == "regression":
            layer = target_layer(t)
            items.append(("layer", "None" if layer is None else layer_expr(layer)))
        else:
            encoding = t.encoding
            if loss:
                encoding = "one_hot" if target_encoding_for_loss(loss) == TargetEncoding.ONE_HOT else "integer"
            items += [("classes", literal(list(t.classes), "classes")), ("encoding", literal(encoding, "encoding"))]
        entries.append(_entry(items))
    return entries


def input_entries(feed, preprocessor) -> list[Seq]:
    """Per model input (in order): its feature columns and whether it takes category columns as codes."""
    entries = []
    for i in feed.inputs:
        columns = [f.name for f in preprocessor.features] if i.whole else list(i.columns)
        codes = any(as_codes for _, _, as_codes in i.pieces)
        entries.append(Seq("(", ")", [("", literal(columns, "input columns")), ("", repr(codes))]))
    return entries


def data_code(spec, preprocessor, feed, losses: list[str | None], validation_rows: list[int],
              test_rows: list[int] = ()) -> str:
    """The `# -- Data` section for the project's data spec, fitted preprocessor and model feed; `losses`: the
    loss of each model output (it decides the target's encoding). Needs `args.csv` (the command line)."""
    d = spec.dialect
    targets = list(zip([k for _, k in feed.outputs], losses))
    lines = [
        "import csv", "import itertools", "import sys", "", "import keras",
        "import numpy as np", "",
        "# The CSV file (from the command line) and how LayerStudio read it",
        "CSV_PATH = args.csv",
        statement("ENCODING", literal(d.encoding, "encoding")),
        statement("DELIMITER", literal(d.delimiter, "delimiter")),
        statement("QUOTECHAR", literal(d.quotechar, "quote character")),
        statement("DECIMAL", literal(d.decimal, "decimal mark")),
        statement("HAS_HEADER", literal(bool(d.has_header), "header")),
        f"SKIP_LINES = {int(d.skip_lines)}  # lines before the table",
        "# Values that count as missing (compared in lower case)",
        statement("MISSING", literal(sorted(MISSING_TOKENS), "missing tokens")),
        "",
        "# The preprocessing LayerStudio fitted on the training rows, as Keras preprocessing",
        "# layers (the layers LayerStudio itself uses). Per feature column: the value filling",
        "# a missing cell (None: the row is left out) and its layer. A category column lists",
        "# the vocabulary of its StringLookup layer: Keras's StringLookup needs TensorFlow on",
        "# every backend, so the script looks values up in NumPy and one-hot encodes their",
        "# indices with CategoryEncoding, which runs on any backend.",
        statement("FEATURES", Seq("[", "]", [("", e) for e in feature_entries(preprocessor)])),
        "# The model's inputs, in order: the feature columns each takes (True: categories as",
        "# codes, for an Embedding)",
        statement("INPUTS", Seq("[", "]", [("", e) for e in input_entries(feed, preprocessor)])),
        "# An Embedding's code of a category's first value (1: code 0 is for a category not",
        "# seen in training, as StringLookup's out-of-vocabulary index)",
        f"CATEGORY_CODES_FROM = {int(spec.category_codes_from)}",
        *sample_lines(preprocessor),
        "# What each of the model's outputs learns, in order",
        statement("TARGETS", Seq("[", "]", [("", e) for e in target_entries(preprocessor, targets)])),
        "# The data rows (counted from 0, header excluded) LayerStudio held out for validation",
        "# and for test",
        _numbers("VALIDATION", validation_rows),
        _numbers("TEST", test_rows),
    ]
    return "\n".join(lines) + "\n" + _CODE


def _numbers(name: str, numbers) -> str:
    """A set of integers filled into lines of at most 79 characters (`set()` when empty)."""
    text = ", ".join(str(int(n)) for n in sorted(numbers))
    if not text:
        return f"{name} = set()"
    if len(name) + len(text) + 5 <= 79:
        return f"{name} = {{{text}}}"
    body = textwrap.fill(text, width=79, initial_indent="    ", subsequent_indent="    ")
    return f"{name} = {{\n{body},\n}}"

