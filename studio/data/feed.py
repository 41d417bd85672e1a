"""From prepared data to what the model's inputs take and its outputs learn, following the data spec's bindings.

`resolve_feed` checks the bindings against the model (each Input bound to columns, no column bound twice,
each output bound to a target its head can predict) and returns a `ModelFeed`, which cuts the prepared
feature matrix into one array per Input (categorical columns as integer codes for an Input that feeds an
Embedding) and orders the targets as the outputs. `propose_bindings` suggests bindings for a new model or
data. Problems are `BindingError`s that name the node and the column.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from studio.data.bindings import Bindings
from studio.data.columns import ColumnType
from studio.data.errors import DataError
from studio.data.preprocess import REGRESSION, Preprocessor, TargetState
from studio.data.spec import DataSpec

CLASS_ACTIVATIONS = frozenset({"softmax", "sigmoid", "tanh"})


class BindingError(DataError):
    """Bindings that do not fit the model; `problems` lists (node name, message) for every node at fault."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems[0][1] + (f" (and {len(problems) - 1} more problem"
                                           f"{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""))
        self.problems = problems


@dataclass(frozen=True)
class InputSlot:
    """An Input node as the data sees it: its name, its current width (last dimension of its shape), and
    whether it feeds an Embedding (which takes categorical columns as integer codes, not one-hot rows)."""

    name: str
    size: int | None = None
    codes: bool = False
    code_limit: tuple[str, int] | None = None  # (Embedding name, its input_dim): codes must stay below it


@dataclass(frozen=True)
class OutputHead:
    """A model output as the data sees it: its name, how many values it gives and its activation (when known)."""

    name: str
    units: int | None = None
    activation: str | None = None


@dataclass
class InputFeed:
    """One Input's columns: `pieces` are (start, width, as_codes) blocks of the prepared feature matrix; `whole`
    when it takes every feature column as prepared (also windows, images and token sequences). A block taken as
    codes (an Input feeding an Embedding) gives each row its category's code: `codes_from` for the first category,
    and with `codes_from` 1, code 0 for a category not seen in training (`DataSpec.category_codes_from`)."""

    name: str
    columns: list[str]
    pieces: list[tuple[int, int, bool]]
    whole: bool = False
    codes_from: int = 1

    @property
    def width(self) -> int:
        return sum(1 if codes else width for _, width, codes in self.pieces)

    @property
    def code_columns(self) -> list[str]:
        """The columns this Input takes as category codes."""
        return [c for c, (_, _, codes) in zip(self.columns, self.pieces) if codes]

    def take(self, x: np.ndarray) -> np.ndarray:
        if self.whole:
            return x
        blocks = [category_codes(x[..., s:s + w], self.codes_from) if codes else x[..., s:s + w]
                  for s, w, codes in self.pieces]
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=-1)


def category_codes(one_hot: np.ndarray, codes_from: int) -> np.ndarray:
    """(..., 1) float32 codes of one-hot category rows: `codes_from` + the category's position, and 0 for a row of
    zeros (a category not seen in training: the index Keras's StringLookup gives it when `codes_from` is 1)."""
    found = one_hot.max(axis=-1) > 0
    codes = np.where(found, np.argmax(one_hot, axis=-1) + codes_from, 0)
    return codes[..., None].astype(np.float32)


@dataclass
class ModelFeed:
    """The model's inputs (in model order) with their columns, and its outputs with the target each learns."""

    inputs: list[InputFeed]
    outputs: list[tuple[str, int]]  # (output node name, index into the preprocessor's targets)
    n_features: int = 0  # columns of the prepared feature matrix
    target_names: list[str] = field(default_factory=list)

    @property
    def is_plain(self) -> bool:
        """One Input taking the whole feature matrix and one output: the arrays go to the model as they are."""
        return (len(self.inputs) == 1 and len(self.outputs) == 1 and len(self.target_names) == 1 and
                self.inputs[0].whole)

    def code_columns(self) -> dict[str, int]:
        """Column -> the code of its first category, for every column an Input takes as category codes."""
        return {column: i.codes_from for i in self.inputs for column in i.code_columns}

    def unseen_taken_as(self, preprocessor: Preprocessor) -> dict[str, str]:
        """How each column taken as codes takes a category not seen in training, in words for Predict's notes
        (a one-hot column, not listed, takes it as no category)."""
        categories = {f.name: f.categories for f in preprocessor.features if f.type == "categorical"}
        out = {}
        for column, codes_from in self.code_columns().items():
            if codes_from:
                out[column] = "taken as unknown (code 0, the Embedding's row for unseen categories)"
            else:
                out[column] = (f"taken as the first category {categories[column][0]!r} (code 0: the project's data "
                               "was prepared before LayerStudio kept a code for unseen categories; import it again "
                               "and train to give it one)")
        return out

    def input_shape(self, name: str, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of one sample for Input `name`, given the shape of one prepared sample (all features)."""
        feed = next(i for i in self.inputs if i.name == name)
        return tuple(sample_shape) if feed.whole else (*tuple(sample_shape)[:-1], feed.width)

    def x(self, x: np.ndarray):
        """The model's input: one array, or a list of one per Input."""
        if self.is_plain:
            return x
        arrays = [i.take(x) for i in self.inputs]
        return arrays[0] if len(arrays) == 1 else arrays

    def y(self, y):
        """The model's targets: one array, or a list of one per output (from one array per target column)."""
        ys = y if isinstance(y, list) else [y]
        arrays = [ys[k] for _, k in self.outputs]
        return arrays[0] if len(arrays) == 1 else arrays

    def target_losses(self, settings: dict) -> list[str]:
        """The loss each target column is learned with (in target order), from compile settings."""
        per_output = settings.get("outputs") or {}
        losses = [settings["loss"]] * len(self.target_names)
        for name, k in self.outputs:
            if name in per_output:
                losses[k] = per_output[name]["loss"]
        return losses

    def apply(self, data, settings: dict | None = None):
        """`PreparedData` with every part cut for the model (and targets encoded for `settings`' losses)."""
        if settings:
            data = data.for_loss(self.target_losses(settings))
        if hasattr(data, "with_feed"):  # read from the file in chunks: each batch is cut as it is read
            return data.with_feed(self)
        if self.is_plain:
            return data

        def cut(split):
            return None if split is None else replace(split, x=self.x(split.x), y=self.y(split.y))

        return replace(data, train=cut(data.train), validation=cut(data.validation), test=cut(data.test))


def resolve_feed(spec: DataSpec, preprocessor: Preprocessor, inputs: list[InputSlot],
                 outputs: list[OutputHead]) -> ModelFeed:
    """The feed for a model with these Inputs and outputs (in model order); BindingError naming every node
    whose binding does not fit."""
    problems: list[tuple[str, str]] = []
    feeds = _input_feeds(spec, preprocessor, inputs, problems)
    pairs = _output_targets(spec, preprocessor, outputs, problems)
    if problems:
        raise BindingError(problems)
    return ModelFeed(feeds, pairs, n_features=preprocessor.n_features,
                     target_names=[t.name for t in preprocessor.targets])


def binding_problems(spec: DataSpec, preprocessor: Preprocessor, inputs: list[InputSlot],
                     outputs: list[OutputHead]) -> dict[str, str]:
    """Node name -> what is wrong with its binding (empty when the feed resolves)."""
    try:
        resolve_feed(spec, preprocessor, inputs, outputs)
    except BindingError as err:
        out: dict[str, str] = {}
        for node, message in err.problems:
            out.setdefault(node, message)
        return out
    return {}


def _input_feeds(spec, preprocessor, inputs, problems) -> list[InputFeed]:
    start, blocks = 0, {}
    for f in preprocessor.features:
        width = len(f.output_names)
        blocks[f.name] = (start, width, f.type)
        start += width
    bound = spec.bindings.inputs
    owner: dict[str, str] = {}
    feeds = []
    if not inputs:
        problems.append(("", "The model has no Input layer: add one from the palette."))
    for slot in inputs:
        columns = bound.get(slot.name)
        if columns is None and len(inputs) == 1 and not bound:  # the one Input takes the samples as prepared
            feeds.append(InputFeed(slot.name, [f.name for f in preprocessor.features], [], whole=True))
            continue
        if not columns:
            problems.append((slot.name, f"Input '{slot.name}' has no columns: select it and tick its columns in "
                                        "the property editor."))
            continue
        pieces = []
        for column in columns:
            if column in owner:
                problems.append((slot.name, f"Column '{column}' is bound to two Inputs, '{owner[column]}' and "
                                            f"'{slot.name}': bind it to one of them."))
                continue
            owner[column] = slot.name
            if column not in blocks:
                problems.append((slot.name, f"Input '{slot.name}' takes column '{column}', which is "
                                            f"{_not_a_feature(spec, column)}."))
                continue
            s, width, kind = blocks[column]
            if slot.codes and kind == "numeric":
                problems.append((slot.name, f"Input '{slot.name}' feeds an Embedding, which takes category codes, "
                                            f"but column '{column}' is numeric: bind it to another Input."))
                continue
            codes_from = spec.category_codes_from
            if slot.codes and kind == "categorical" and slot.code_limit and width + codes_from > slot.code_limit[1]:
                layer, limit = slot.code_limit
                unseen = " and code 0 for a category not seen in training" if codes_from else ""
                problems.append((slot.name, f"Column '{column}' has {width} categories (codes {codes_from} to "
                                            f"{width + codes_from - 1}{unseen}), but Embedding '{layer}' after "
                                            f"Input '{slot.name}' takes codes below {limit}: set its input_dim to "
                                            f"{width + codes_from} or more."))
                continue
            pieces.append((s, width, slot.codes and kind == "categorical"))
        whole = list(columns) == [f.name for f in preprocessor.features] and not any(c for _, _, c in pieces)
        kind = sample_kind(preprocessor)
        if kind and not whole:
            problems.append((slot.name, f"The data gives {kind}, which go to one Input whole: bind every feature "
                                        f"column to Input '{slot.name}' (or import the data as plain rows)."))
            continue
        feeds.append(InputFeed(slot.name, list(columns), pieces, whole, spec.category_codes_from))
    return feeds


def sample_kind(preprocessor: Preprocessor) -> str | None:
    """What samples the preprocessor makes when they are not rows of values: "windows", "images", "token
    sequences" (these cannot be split among Inputs), else None."""
    encoder = getattr(preprocessor, "encoder", None)
    if encoder is not None:
        return {"text": "token sequences"}.get(getattr(encoder, "kind", ""), "images")
    return "windows" if getattr(preprocessor, "windows", None) is not None else None


def _not_a_feature(spec: DataSpec, column: str) -> str:
    try:
        role = spec.column(column).role.value
    except DataError:
        return "not a column of the data"
    return f"a {role} column, not a feature" if role != "ignore" else "ignored (its role is 'ignore')"


def _output_targets(spec, preprocessor, outputs, problems) -> list[tuple[str, int]]:
    targets = [t.name for t in preprocessor.targets]
    bound = spec.bindings.outputs
    used: dict[str, str] = {}
    pairs = []
    before = len(problems)
    for head in outputs:
        target = bound.get(head.name)
        if target is None and len(outputs) == 1 and len(targets) == 1 and not bound:
            target = targets[0]
        if target is None:
            problems.append((head.name, f"Output '{head.name}' has no target: select it and choose the column it "
                                        "learns in the property editor."))
            continue
        if target not in targets:
            problems.append((head.name, f"Output '{head.name}' learns column '{target}', which is "
                                        f"{_not_a_target(spec, target)}."))
            continue
        if target in used:
            problems.append((head.name, f"Target '{target}' is bound to two outputs, '{used[target]}' and "
                                        f"'{head.name}': bind it to one of them."))
            continue
        used[target] = head.name
        k = targets.index(target)
        problem = head_problem(head, preprocessor.targets[k])
        if problem:
            problems.append((head.name, problem))
            continue
        pairs.append((head.name, k))
    if len(problems) == before:  # an unbound output already says what to do
        for name in targets:
            if name not in used:
                problems.append(("", f"Target '{name}' is learned by no output: bind it to an output layer, or make "
                                     "the column a feature or ignore it (Data > Import CSV…)."))
    return pairs


def _not_a_target(spec: DataSpec, column: str) -> str:
    try:
        role = spec.column(column).role.value
    except DataError:
        return "not a column of the data"
    return f"a {role} column, not a target" if role != "ignore" else "ignored (its role is 'ignore')"


def head_problem(head: OutputHead, target: TargetState) -> str | None:
    """Why output `head` cannot predict `target` (a 3-class target on a 1-unit sigmoid head, classes on a
    linear head, a value on a softmax head), or None when it can (or its size is unknown)."""
    units, activation = head.units, (head.activation or "linear")
    if units is None:
        return None
    if target.task == REGRESSION:
        if units != 1:
            return (f"Output '{head.name}' gives {units} values per row, but its target '{target.name}' is one "
                    "number: give it 1 unit with a linear activation.")
        if activation in ("softmax", "sigmoid"):
            return (f"Output '{head.name}' has a {activation} activation, which squeezes its value into (0, 1), "
                    f"but its target '{target.name}' is a number to predict: use a linear activation.")
        return None
    n = len(target.classes)
    if units == 1 and n > 2:
        return (f"Output '{head.name}' has 1 unit, but its target '{target.name}' has {n} classes: give it {n} "
                "units with a softmax activation.")
    if units == 1 and activation not in CLASS_ACTIVATIONS:
        return (f"Output '{head.name}' is a regression head (1 {activation} unit), but its target "
                f"'{target.name}' holds classes ({', '.join(map(repr, target.classes))}): use a sigmoid activation.")
    if units not in (1, n):
        return (f"Output '{head.name}' gives {units} values per row, but its target '{target.name}' has {n} "
                f"classes: give it {n} units with a softmax activation.")
    return None


# -- proposals ---------------------------------------------------------------------------------------------------

def propose_bindings(spec: DataSpec, inputs: list[InputSlot], outputs: list[OutputHead]) -> Bindings:
    """Bindings for this model and data: what the spec binds already (where it still fits) plus a proposal for
    every unbound node. One Input and one output with one target: empty (everything to the one Input), unless
    the Input feeds an Embedding: then it takes the categorical columns, as codes."""
    features, targets = spec.features, spec.targets
    feature_names, target_names = [c.name for c in features], [c.name for c in targets]
    input_names, output_names = {s.name for s in inputs}, {h.name for h in outputs}
    kept_inputs = {k: [c for c in v if c in feature_names] for k, v in spec.bindings.inputs.items() if k in input_names}
    kept_inputs = {k: v for k, v in kept_inputs.items() if v}
    kept_outputs = {k: v for k, v in spec.bindings.outputs.items() if k in output_names and v in target_names}
    if len(inputs) == 1 and not kept_inputs and not inputs[0].codes:
        proposed_inputs: dict[str, list[str]] = {}
    else:
        proposed_inputs = _propose_inputs(features, inputs, kept_inputs)
    if len(outputs) == 1 and len(targets) == 1 and not kept_outputs:
        proposed_outputs: dict[str, str] = {}
    else:
        proposed_outputs = _propose_outputs(targets, outputs, kept_outputs)
    return Bindings(proposed_inputs, proposed_outputs)


def _propose_inputs(features, inputs: list[InputSlot], kept: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in kept.items()}
    taken = {c for v in out.values() for c in v}
    free = [c for c in features if c.name not in taken]
    open_slots = [s for s in inputs if s.name not in out]
    for slot in [s for s in open_slots if s.codes]:  # an Embedding input: the next categorical column (all: the
        categorical = [c for c in free if c.type == ColumnType.CATEGORICAL]  # only Input)
        columns = categorical if len(inputs) == 1 else categorical[:1]
        if columns:
            out[slot.name] = [c.name for c in columns]
            for column in columns:
                free.remove(column)
    plain = [s for s in open_slots if not s.codes]
    if not plain or not free:
        return out
    sizes = [s.size for s in plain]
    if all(isinstance(n, int) and n > 0 for n in sizes) and sum(sizes) == len(free):
        counts = sizes  # the Inputs' shapes already split the columns
    else:
        base, extra = divmod(len(free), len(plain))
        counts = [base + (1 if i < extra else 0) for i in range(len(plain))]
    start = 0
    for slot, count in zip(plain, counts):
        if count:
            out[slot.name] = [c.name for c in free[start:start + count]]
        start += count
    return out


def _propose_outputs(targets, outputs: list[OutputHead], kept: dict[str, str]) -> dict[str, str]:
    out = dict(kept)
    free = [c for c in targets if c.name not in out.values()]
    heads = [h for h in outputs if h.name not in out]
    for head in list(heads):  # an output named like a target column learns it
        column = next((c for c in free if c.name == head.name), None)
        if column is not None:
            out[head.name] = column.name
            free.remove(column)
            heads.remove(head)
    for head in list(heads):  # then by kind: a class head a categorical target, a 1-unit linear head a number
        wants_classes = head.units is not None and (head.units > 1 or (head.activation or "linear") in
                                                    CLASS_ACTIVATIONS)
        column = next((c for c in free if (c.type == ColumnType.CATEGORICAL) == wants_classes), None)
        if column is not None:
            out[head.name] = column.name
            free.remove(column)
            heads.remove(head)
    for head, column in zip(heads, free):
        out[head.name] = column.name
    return out


# -- words for the canvas ----------------------------------------------------------------------------------------

def input_width(preprocessor: Preprocessor, columns: list[str], codes: bool = False) -> int:
    """How many values the columns give an Input per sample (a categorical column one-hot, or one code)."""
    widths = {f.name: 1 if codes and f.type == "categorical" else len(f.output_names) for f in preprocessor.features}
    return sum(widths.get(c, 0) for c in columns)


def bound_columns(spec: DataSpec, inputs: list[InputSlot], outputs: list[OutputHead]) -> tuple[dict, dict]:
    """(Input name -> its columns, output name -> its target) as training would use them: the bindings, or the
    defaults of a one-Input, one-output model."""
    bound_inputs = dict(spec.bindings.inputs)
    if len(inputs) == 1 and not bound_inputs:
        bound_inputs = {inputs[0].name: [c.name for c in spec.features]}
    bound_outputs = dict(spec.bindings.outputs)
    if len(outputs) == 1 and len(spec.targets) == 1 and not bound_outputs:
        bound_outputs = {outputs[0].name: spec.targets[0].name}
    return bound_inputs, bound_outputs


def binding_captions(spec: DataSpec, preprocessor: Preprocessor, inputs: list[InputSlot],
                     outputs: list[OutputHead]) -> dict[str, str]:
    """Node name -> what it is bound to, for its card: "← sepal_length, sepal_width (2 cols)", "→ species
    (3 classes)", "→ petal_width (value)"."""
    bound_inputs, bound_outputs = bound_columns(spec, inputs, outputs)
    captions = {}
    for slot in inputs:
        columns = bound_inputs.get(slot.name) or []
        if columns:
            codes = " as codes" if slot.codes else ""
            captions[slot.name] = f"← {', '.join(columns)} ({len(columns)} col{'s' if len(columns) > 1 else ''}{codes})"
    targets = {t.name: t for t in preprocessor.targets}
    for head in outputs:
        target = targets.get(bound_outputs.get(head.name))
        if target is not None:
            kind = "value" if target.task == REGRESSION else f"{len(target.classes)} classes"
            captions[head.name] = f"→ {target.name} ({kind})"
    return captions
