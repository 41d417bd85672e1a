"""The data and training sections of an exported Keras script: read the project's CSV with the csv module and
apply the project's fitted preprocessing, written out as literals (NumPy only, no LayerStudio needed).

The generated code defines `x`, `y` (training rows), `x_val`, `y_val` (the rows LayerStudio held out for
validation, by their index among the file's data rows) and `prepare(header, rows)` for new files.
"""

from __future__ import annotations

import os
import textwrap

from engine.export.python_source import flat, literal, statement
from studio.data.columns import MISSING_TOKENS
from studio.data.spec import TargetEncoding, target_encoding_for_loss

_FUNCTIONS = '''

def is_missing(value):
    return value.strip().lower() in MISSING


def read_csv(path):
    """(column names, data rows as lists of stripped strings); blank lines are skipped."""
    with open(path, newline="", encoding=ENCODING) as file:
        reader = csv.reader(file, delimiter=DELIMITER, quotechar=QUOTECHAR, skipinitialspace=True)
        rows = [[v.strip() for v in row] for row in reader if row and (len(row) > 1 or row[0].strip())]
    if not HAS_HEADER:
        return [f"column_{j + 1}" for j in range(len(rows[0]))], rows
    header, seen = [], {}
    for j, name in enumerate(rows.pop(0)):
        name = name.strip() or f"column_{j + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        header.append(name)
    return header, [row[:len(header)] for row in rows]


def prepare(header, rows, with_target=True):
    """(x, y or None, indices of the rows used): LayerStudio's preprocessing. Rows missing a value where
    missing values are not filled are left out."""
    column = {name: j for j, name in enumerate(header)}
    keep = np.ones(len(rows), dtype=bool)
    blocks = []
    for f in FEATURES:
        values = [row[column[f["column"]]] for row in rows]
        missing = np.array([is_missing(v) for v in values], dtype=bool)
        if f["fill"] is None:
            keep &= ~missing
        if "categories" in f:
            index = {c: k for k, c in enumerate(f["categories"])}
            block = np.zeros((len(rows), len(index)))
            for i, value in enumerate(values):
                value = f["fill"] if missing[i] else value
                if value is None:
                    continue
                if value not in index:
                    raise ValueError(f"column {f['column']!r}, data row {i + 1}: {value!r} is not a "
                                     f"category seen in training ({f['categories']})")
                block[i, index[value]] = 1.0
        else:
            fill = np.nan if f["fill"] is None else f["fill"]
            block = np.array([fill if m else float(v) for v, m in zip(values, missing)])
            if SCALE:
                block = (block - f["mean"]) / f["std"]
            block = block.reshape(-1, 1)
        blocks.append(block)
    y = None
    if with_target:
        values = [row[column[TARGET["column"]]] for row in rows]
        keep &= ~np.array([is_missing(v) for v in values], dtype=bool)
    used = np.flatnonzero(keep)
    x = np.concatenate(blocks, axis=1)[used].astype(np.float32)
    if with_target:
        values = [values[i] for i in used]
        if "classes" in TARGET:
            index = {c: k for k, c in enumerate(TARGET["classes"])}
            labels = np.array([index[v] for v in values], dtype=np.int64)
            if TARGET["encoding"] == "one_hot":
                y = np.eye(len(index), dtype=np.float32)[labels]
            elif len(index) == 2:
                y = labels.astype(np.float32).reshape(-1, 1)
            else:
                y = labels
        else:
            y = np.array([float(v) for v in values])
            y = ((y - TARGET["mean"]) / TARGET["std"]).astype(np.float32).reshape(-1, 1)
    return x, y, used


if not CSV_PATH.is_file():
    sys.exit(f"{CSV_PATH}: no such CSV file; give its path: python {Path(__file__).name} data.csv")
header, rows = read_csv(CSV_PATH)
x_all, y_all, used = prepare(header, rows)
validation = np.isin(used, VALIDATION_ROWS)
training = ~validation & ~np.isin(used, TEST_ROWS)
x, y = x_all[training], y_all[training]
x_val, y_val = x_all[validation], y_all[validation]
'''


def _exact(value, where: str):
    """`value` as Python with every float written by `repr` (exact: a statistic must round-trip bit for bit)."""
    return literal(value, where, lambda v: repr(v) if isinstance(v, float) else None)


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


def data_code(spec, preprocessor, loss: str | None, validation_rows: list[int], test_rows: list[int] = (),
              csv_relative: str | None = None) -> str:
    """The `# -- Data` section: the CSV's layout, the fitted preprocessing as literals, and the code using them.
    The target is encoded as `loss` expects (one-hot rows for the categorical losses). The script reads the
    CSV named on its command line, else `csv_relative` (default: the CSV's file name) from its own folder."""
    d = spec.dialect
    features = []
    for f in preprocessor.features:
        entry = {"column": f.name, "fill": f.fill}
        if f.type == "categorical":
            entry["categories"] = list(f.categories)
        else:
            entry.update(mean=float(f.mean), std=float(f.std))
        features.append(entry)
    t = preprocessor.target
    if t.task == "regression":
        target = {"column": t.name, "mean": float(t.mean), "std": float(t.std)}
    else:
        encoding = t.encoding
        if loss:
            encoding = "one_hot" if target_encoding_for_loss(loss) == TargetEncoding.ONE_HOT else "integer"
        target = {"column": t.name, "classes": list(t.classes), "encoding": encoding}
    lines = [
        "import csv", "import sys", "from pathlib import Path", "", "import numpy as np", "",
        "# The CSV file: the first command-line argument, else the file the model was trained on (its path",
        "# relative to this script's folder); and how LayerStudio read it",
        "CSV_PATH = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "
        + literal(csv_relative or os.path.basename(str(spec.path)), "CSV path"),
        statement("ENCODING", literal(d.encoding, "encoding")),
        statement("DELIMITER", literal(d.delimiter, "delimiter")),
        statement("QUOTECHAR", literal(d.quotechar, "quote character")),
        statement("HAS_HEADER", literal(bool(d.has_header), "header")),
        "# Values that count as missing (compared in lower case)",
        statement("MISSING", literal(sorted(MISSING_TOKENS), "missing tokens")),
        "",
        "# The preprocessing LayerStudio fitted on the training rows: per feature column the value that fills",
        "# a missing cell (None: the row is left out), and the mean and standard deviation (numeric columns)",
        "# or the categories (one-hot columns, in this order)",
        statement("SCALE", literal(preprocessor.scaling == "standard", "scaling")),
        _rows_of("FEATURES", [flat(_exact(f, "feature")) for f in features]),
        statement("TARGET", _exact(target, "target")),
        "# The data rows (counted from 0, header excluded) LayerStudio held out for validation and test",
        _numbers("VALIDATION_ROWS", validation_rows),
        _numbers("TEST_ROWS", test_rows),
    ]
    return "\n".join(lines) + "\n" + _FUNCTIONS


def _rows_of(name: str, items: list[str]) -> str:
    """`name = [` one item per line `]`."""
    return "\n".join([f"{name} = [", *(f"    {item}," for item in items), "]"])


def _numbers(name: str, numbers) -> str:
    """A list of integers filled into lines of at most 79 characters."""
    text = ", ".join(str(int(n)) for n in sorted(numbers))
    if len(name) + len(text) + 5 <= 79:
        return f"{name} = [{text}]"
    body = textwrap.fill(text, width=79, initial_indent="    ", subsequent_indent="    ")
    return f"{name} = [\n{body},\n]"


def fit_code(training: dict | None, validation: bool = True) -> str:
    """`history = model.fit(...)` with the project's epochs, batch size, shuffling and early stopping."""
    from studio.training.core import monitor
    from studio.training.run import TrainingSettings

    s = TrainingSettings.from_dict(training or {})
    args = ["x", "y"]
    if validation:
        args.append("validation_data=(x_val, y_val) if len(x_val) else None")
    args += [f"epochs={int(s.epochs)}", f"batch_size={int(s.batch_size)}", f"shuffle={bool(s.shuffle)}"]
    lines = []
    if s.early_stopping:
        watched = monitor(s, has_validation=validation)
        lines.append(statement("early_stopping", f"keras.callbacks.EarlyStopping(monitor={literal(watched, 'm')}, "
                                                 f"patience={int(s.patience)}, min_delta={float(s.min_delta)!r}, "
                                                 f"restore_best_weights={bool(s.restore_best_weights)})"))
        args.append("callbacks=[early_stopping]")
    lines.append("history = model.fit(\n    " + ",\n    ".join(args) + ",\n)")
    return "import keras\n\n" + "\n".join(lines) + "\n"
