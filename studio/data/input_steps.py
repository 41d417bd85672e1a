"""What happens to each raw column before it reaches the model, in words: the canvas's "Inputs" block.

One line per column of an Input node, naming the Keras preprocessing layer that does it in an exported inference
model (`Normalization`, `StringLookup`, `TextVectorization`, `Rescaling`) with its fitted numbers, and the
missing-value rule. Read from the project's fitted `Preprocessor`, so the block shows what training applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.data.preprocess import FeatureState, Preprocessor
from studio.data.spec import MissingStrategy


@dataclass(frozen=True)
class InputStep:
    """One raw column: its name, what it holds in words and what is done to it."""

    column: str
    kind: str
    steps: str


def input_steps(preprocessor: Preprocessor, columns: list[str], codes: bool = False) -> list[InputStep]:
    """The steps for `columns` (an Input node's columns, in order) under the fitted `preprocessor`; `codes`: the
    Input feeds an Embedding, so categories arrive as their index rather than one-hot."""
    encoder = preprocessor.encoder
    if encoder is not None:
        return _encoded_steps(encoder, columns)
    by_name = {f.name: f for f in preprocessor.features}
    standard = preprocessor.scaling == "standard"
    steps = [_feature_step(by_name[c], standard, codes) for c in columns if c in by_name]
    windows = preprocessor.windows
    if windows is not None:
        calendar = f", plus {', '.join(windows.calendar)} as sine and cosine" if windows.calendar else ""
        steps.append(InputStep("windows", "time series", f"{windows.lookback} rows per sample, predicting "
                                                          f"{windows.horizon} ahead{calendar}"))
    return steps


def summary(steps: list[InputStep]) -> str:
    """One line for the collapsed block: how many columns, and the layers used."""
    columns = [s for s in steps if s.kind != "time series"]
    layers = [name for name in ("Normalization", "StringLookup", "TextVectorization", "Rescaling", "windows")
              if any(name in step.steps for step in steps)]
    count = f"{len(columns)} column" + ("s" if len(columns) != 1 else "")
    return count + (f" · {', '.join(layers)}" if layers else " as they are")


def _feature_step(feature: FeatureState, standard: bool, codes: bool) -> InputStep:
    if feature.type == "categorical":
        shown = ", ".join(feature.categories[:3]) + (", …" if len(feature.categories) > 3 else "")
        encoding = "index" if codes else "one-hot"
        text = f"StringLookup → {encoding} over {len(feature.categories)} ({shown})"
        kind = "category"
    else:
        text = f"Normalization (mean {feature.mean:.4g}, sd {feature.std:.4g})" if standard else "as it is"
        kind = "number"
    return InputStep(feature.name, kind, text + _missing_rule(feature))


def _missing_rule(feature: FeatureState) -> str:
    if feature.missing == MissingStrategy.DROP_ROWS.value or feature.fill is None:
        return ""
    fill = f"{feature.fill:.4g}" if isinstance(feature.fill, float) else repr(feature.fill)
    return f"; missing → {fill}"


def _encoded_steps(encoder, columns: list[str]) -> list[InputStep]:
    if encoder.kind == "text":
        return [InputStep(encoder.column, "text", f"TextVectorization ({encoder.vocabulary_size:,} words, "
                                                  f"{encoder.output_sequence_length} tokens)")]
    size = " x ".join(str(d) for d in encoder.shape)
    if encoder.kind == "pixels":
        return [InputStep(f"{len(encoder.columns)} pixel columns", "image",
                          f"Rescaling (1/{encoder.scale:g}) → {size} images")]
    return [InputStep(encoder.column, "image files", f"decoded, resized to {size}, Rescaling (1/255)")]
