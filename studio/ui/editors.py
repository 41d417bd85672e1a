"""One editor widget per kind of layer argument (spin box, combo box, check box, tuple field...).

Each editor shows a config value, and emits `committed` when the user finishes a change; `value()`
raises ValueError with a readable reason when the text typed cannot be a value of that argument.
"""

from __future__ import annotations

import json
import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLineEdit, QSpinBox, QWidget

from engine import activations, constraints, initializers, regularizers
from engine.backend import to_snake_case
from studio.document.catalog import Argument

_POSITIVE = {"units", "filters", "n", "output_dim", "input_dim", "depth_multiplier", "groups", "num_heads",
             "key_dim", "batch_size"}
_UNIT_INTERVAL = {"rate", "dropout", "recurrent_dropout", "momentum"}


class ArgumentEditor(QWidget):
    """Base: a row widget for one argument; subclasses wrap one Qt input widget."""

    committed = Signal()

    def __init__(self, argument: Argument, parent=None):
        super().__init__(parent)
        self.argument = argument
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._quiet = False

    def value(self):
        raise NotImplementedError

    def set_value(self, value) -> None:
        self._quiet = True
        try:
            self._show(value)
        finally:
            self._quiet = False

    def _show(self, value) -> None:
        raise NotImplementedError

    def _emit(self, *args) -> None:
        if not self._quiet:
            self.committed.emit()


class IntEditor(ArgumentEditor):
    def __init__(self, argument: Argument, parent=None):
        super().__init__(argument, parent)
        self.widget = QSpinBox()
        self.widget.setRange(1 if argument.name in _POSITIVE else -1_000_000, 2_000_000_000)
        self.widget.setKeyboardTracking(False)
        self.widget.setAccelerated(True)
        self._layout.addWidget(self.widget)
        self.widget.valueChanged.connect(self._emit)

    def value(self) -> int:
        return int(self.widget.value())

    def _show(self, value) -> None:
        self.widget.setValue(int(value))


class FloatEditor(ArgumentEditor):
    def __init__(self, argument: Argument, parent=None):
        super().__init__(argument, parent)
        self.widget = QDoubleSpinBox()
        self.widget.setDecimals(6)
        if argument.name in _UNIT_INTERVAL:
            self.widget.setRange(0.0, 1.0)
            self.widget.setSingleStep(0.05)
        else:
            self.widget.setRange(-1e9, 1e9)
            self.widget.setSingleStep(0.01)
        self.widget.setKeyboardTracking(False)
        self._layout.addWidget(self.widget)
        self.widget.valueChanged.connect(self._emit)

    def value(self) -> float:
        return float(self.widget.value())

    def _show(self, value) -> None:
        self.widget.setValue(float(value))


class BoolEditor(ArgumentEditor):
    def __init__(self, argument: Argument, parent=None):
        super().__init__(argument, parent)
        self.widget = QCheckBox()
        self._layout.addWidget(self.widget)
        self.widget.toggled.connect(self._emit)

    def value(self) -> bool:
        return self.widget.isChecked()

    def _show(self, value) -> None:
        self.widget.setChecked(bool(value))


class ChoiceEditor(ArgumentEditor):
    """A combo box of fixed choices; `None` is shown as 'None'. Unknown current values are added."""

    def __init__(self, argument: Argument, choices, parent=None):
        super().__init__(argument, parent)
        self.widget = QComboBox()
        self.choices = list(choices)
        for choice in self.choices:
            self.widget.addItem(self._label(choice))
        self._layout.addWidget(self.widget)
        self.widget.currentIndexChanged.connect(self._emit)

    @staticmethod
    def _label(choice) -> str:
        return "None" if choice is None else str(choice)

    def value(self):
        return self.choices[self.widget.currentIndex()]

    def _key(self, value):
        return value

    def _show(self, value) -> None:
        key = self._key(value)
        if key not in self.choices:
            self.choices.append(key)
            self.widget.addItem(self._label(key))
        self.widget.setCurrentIndex(self.choices.index(key))


def _registry_names(registry: dict) -> dict[str, str]:
    """{class name: its snake-case name}, one per class (the first lowercase key), in registry order."""
    names: dict[str, str] = {}
    for key, cls in registry.items():
        if key == key.lower() and cls.__name__ not in names and not key.endswith("initializer"):
            names[cls.__name__] = key
    return names


class SerializedChoiceEditor(ChoiceEditor):
    """Initializers, regularizers, constraints: stored as Keras dicts, chosen by snake-case name."""

    def __init__(self, argument: Argument, registry: dict, optional: bool, parent=None):
        self.names = _registry_names(registry)
        super().__init__(argument, ([None] if optional else []) + list(self.names.values()), parent)

    def _key(self, value):
        if isinstance(value, dict):
            name = value.get("class_name", "")
            return self.names.get(name, to_snake_case(name))
        return value


def _activation_names() -> list[str]:
    return list(activations.REGISTRY)


def make_editor(argument: Argument) -> ArgumentEditor:
    """The editor widget for an argument of this kind."""
    kind = argument.kind
    if kind == "int":
        return IntEditor(argument)
    if kind == "float":
        return FloatEditor(argument)
    if kind == "bool":
        return BoolEditor(argument)
    if kind == "choice":
        return ChoiceEditor(argument, argument.choices)
    if kind == "activation":
        return ChoiceEditor(argument, _activation_names())
    if kind == "initializer":
        return SerializedChoiceEditor(argument, initializers.REGISTRY, optional=False)
    if kind == "regularizer":
        registry = {k: v for k, v in regularizers.REGISTRY.items() if k != "Regularizer"}
        return SerializedChoiceEditor(argument, registry, optional=True)
    if kind == "constraint":
        return SerializedChoiceEditor(argument, constraints.REGISTRY, optional=True)
    if kind == "layer":
        from studio.ui.wrapped_layer_editor import WrappedLayerEditor
        return WrappedLayerEditor(argument)
    return TextEditor(argument)


class TextEditor(ArgumentEditor):
    """A line edit for tuples of sizes ("3, 3"), optional integers (blank is None) and other literals."""

    def __init__(self, argument: Argument, parent=None):
        super().__init__(argument, parent)
        self.widget = QLineEdit()
        hints = {"ints": "e.g. 3, 3", "shape": "e.g. 28, 28, 1", "optional_int": "blank for None",
                 "text": "text", "optional_text": "text, or blank for None"}
        self.widget.setPlaceholderText(hints.get(argument.kind, "a number, a list, true/false, or None"))
        self._layout.addWidget(self.widget)
        self.widget.editingFinished.connect(self._finished)
        self._shown = ""

    def _finished(self) -> None:
        if self.widget.text() != self._shown:
            self._emit()

    def value(self):
        return parse_value(self.widget.text(), self.argument.kind, self.argument.name)

    def _show(self, value) -> None:
        self._shown = format_value(value, self.argument.kind)
        self.widget.setText(self._shown)


def format_value(value, kind: str) -> str:
    if value is None:
        return "" if kind in ("optional_int", "optional_text") else "None"
    if kind in ("text", "optional_text"):
        return str(value)
    if kind in ("ints", "shape") and isinstance(value, list):
        return ", ".join("None" if v is None else str(v) for v in value)
    return json.dumps(value).replace("null", "None").replace("true", "True").replace("false", "False")


def parse_value(text: str, kind: str, name: str = "value"):
    """The value typed in a text editor; ValueError naming the argument when it cannot be one."""
    text = text.strip()
    if kind == "text":
        if not text:
            raise ValueError(f"{name} cannot be empty")
        return text
    if kind == "optional_text":
        return text or None
    if kind == "optional_int":
        if not text or text.lower() == "none":
            return None
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError(f"{name} must be a whole number or blank; got '{text}'")
        return int(text)
    if kind in ("ints", "shape"):
        body = text.strip("()[] ")
        parts = [p.strip() for p in body.split(",") if p.strip()]
        if not parts:
            raise ValueError(f"{name} needs at least one size, e.g. 3 or 3, 3")
        values = []
        for part in parts:
            if part.lower() == "none":
                values.append(None)
            elif re.fullmatch(r"-?\d+", part):
                values.append(int(part))
            else:
                raise ValueError(f"{name} must be whole numbers separated by commas; '{part}' is not one")
        return values
    candidate = re.sub(r"\bNone\b", "null", text)
    candidate = re.sub(r"\bTrue\b", "true", candidate)
    candidate = re.sub(r"\bFalse\b", "false", candidate).replace("(", "[").replace(")", "]")
    candidate = re.sub(r",\s*]", "]", candidate)
    if "," in candidate and not candidate.startswith(("[", "{")):
        candidate = f"[{candidate}]"  # "0, 1" is the list [0, 1]
    try:
        return json.loads(candidate)
    except json.JSONDecodeError:
        raise ValueError(f"{name}: '{text}' is not a number, a list of numbers, True/False or None") from None
