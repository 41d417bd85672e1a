"""What happens to each raw column before it reaches the model, in words: the canvas's "Inputs" block.

Read from the layers `studio.data.preprocessing_layers` builds (the one description the studio's transform, the
inference model and the exports share): one line per column naming its Keras preprocessing layer with its fitted
numbers (`Normalization`, `StringLookup`, `TextVectorization`, `Rescaling`) and the missing-value rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.data.preprocess import Preprocessor
from studio.data.preprocessing_layers import ColumnInput, column_inputs, image_layers, table_inputs

LAYER_NAMES = ("Normalization", "StringLookup", "TextVectorization", "Rescaling")


@dataclass(frozen=True)
class InputStep:
    """One raw column: its name, what it holds in words and what is done to it."""

    column: str
    kind: str
    steps: str


def input_steps(preprocessor: Preprocessor, columns: list[str], codes: bool = False,
                codes_from: int = 1) -> list[InputStep]:
    """The steps for `columns` (an Input node's columns, in order) under the fitted `preprocessor`; `codes`: the
    Input feeds an Embedding, so categories arrive as their code (from `codes_from`, see
    `DataSpec.category_codes_from`) rather than one-hot."""
    encoder = preprocessor.encoder
    if encoder is not None and encoder.kind == "text":
        return [_step(column, None) for column in column_inputs(preprocessor)]
    if encoder is not None:
        return [_image_step(encoder)]
    by_name = {c.name: c for c in table_inputs(preprocessor)}
    steps = [_step(by_name[c], codes_from if codes else None) for c in columns if c in by_name]
    windows = preprocessor.windows
    if windows is not None:
        calendar = f", plus {', '.join(windows.calendar)} as sine and cosine" if windows.calendar else ""
        steps.append(InputStep("windows", "time series", f"{windows.lookback} rows per sample, predicting "
                                                          f"{windows.horizon} ahead{calendar}"))
    return steps


def summary(steps: list[InputStep]) -> str:
    """One line for the collapsed block: how many columns, and the layers used."""
    columns = [s for s in steps if s.kind != "time series"]
    layers = [name for name in LAYER_NAMES if any(name in step.steps for step in steps)]
    if any(s.kind == "time series" for s in steps):
        layers.append("windows")
    count = f"{len(columns)} column" + ("s" if len(columns) != 1 else "")
    return count + (f" · {', '.join(layers)}" if layers else " as they are")


def _step(column: ColumnInput, codes_from: int | None) -> InputStep:
    """`codes_from`: the code of the first category when the column is taken as codes (None: one-hot)."""
    first = column.layers[0] if column.layers else None
    if column.kind == "categorical":
        categories = first.get_config()["vocabulary"][:column.width]
        n, shown = len(categories), ", ".join(categories[:3]) + (", …" if len(categories) > 3 else "")
        if codes_from is None:
            text = f"StringLookup → one-hot over {n} ({shown}); unseen → no category"
        else:
            unseen = "code 0" if codes_from else f"the first category ({categories[0]})"
            text = f"StringLookup → code {codes_from}–{n - 1 + codes_from} over {n} ({shown}); unseen → {unseen}"
        return InputStep(column.name, "category", text + _fill(column))
    if column.kind == "text":
        config = first.get_config()
        return InputStep(column.name, "text", f"TextVectorization ({len(config['vocabulary']) + 2:,} words, "
                                              f"{config['output_sequence_length']} tokens)")
    if first is None:
        return InputStep(column.name, "number", "as it is" + _fill(column))
    config = first.get_config()
    mean, sd = config["mean"][0], config["variance"][0] ** 0.5
    return InputStep(column.name, "number", f"Normalization (mean {mean:.4g}, sd {sd:.4g})" + _fill(column))


def _fill(column: ColumnInput) -> str:
    if column.fill is None:
        return ""
    return f"; missing → {column.fill:.4g}" if isinstance(column.fill, float) else f"; missing → {column.fill!r}"


def _image_step(encoder) -> InputStep:
    size = " x ".join(str(d) for d in encoder.shape)
    if encoder.kind == "pixels":
        scale = image_layers(encoder)[0].get_config()["scale"]
        return InputStep(f"{len(encoder.columns)} pixel columns", "image", f"Rescaling (×{scale:.4g}) → {size} images")
    return InputStep(encoder.column, "image files", f"decoded, resized to {size}, Rescaling (1/255)")
