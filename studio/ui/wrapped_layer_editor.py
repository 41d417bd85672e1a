"""The editor of a wrapper's inner layer (Bidirectional's recurrent layer, TimeDistributed's layer): its type,
chosen from what the wrapper can hold, and the inner layer's main settings, each with its usual editor."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QVBoxLayout, QWidget

from studio.document.catalog import Argument, inner_arguments, layer_type
from studio.ui.editors import ArgumentEditor, make_editor


class WrappedLayerEditor(ArgumentEditor):
    """A type combo (the argument's choices) above the inner layer's required settings and activation."""

    def __init__(self, argument: Argument, parent=None):
        super().__init__(argument, parent)
        self.kinds = list(argument.choices)
        self.combo = QComboBox()
        self.combo.addItems(self.kinds)
        self.combo.setMaxVisibleItems(20)
        self.inner_editors: dict[str, ArgumentEditor] = {}
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.combo)
        self._host = QWidget()
        self._form = QFormLayout(self._host)
        self._form.setContentsMargins(12, 0, 0, 0)
        self._form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        column.addWidget(self._host)
        self._layout.addWidget(box, 1)
        self._current: dict = {}
        self.combo.currentIndexChanged.connect(self._type_changed)

    def value(self) -> dict:
        """The inner layer's serialized form; a new type starts from its own defaults, keeping the settings
        both types have (e.g. an LSTM's units when switching to GRU)."""
        name = self.combo.currentText()
        same_type = self._current.get("class_name") == name
        inner = dict(self._current.get("config", {})) if same_type else _starting_config(name)
        for argument, editor in self.inner_editors.items():
            if same_type or argument in inner:
                inner[argument] = editor.value()
        base = self._current if same_type else \
            {k: v for k, v in self._current.items() if k in ("module", "registered_name")}
        return {**base, "class_name": name, "config": inner}

    def _type_changed(self, *args) -> None:
        if not self._quiet:
            self.committed.emit()

    def _show(self, value) -> None:
        self._current = value if isinstance(value, dict) else {}
        name = self._current.get("class_name", "")
        if name and name not in self.kinds:
            self.kinds.append(name)
            self.combo.addItem(name)
        if name:
            self.combo.setCurrentIndex(self.kinds.index(name))
        self._show_inner(name, self._current.get("config", {}))

    def _show_inner(self, name: str, config: dict) -> None:
        """Rebuild the inner settings when the type changed, else show the values."""
        try:
            arguments = inner_arguments(name, config) if name else []
        except Exception:  # a type this engine does not know: its type is shown, its settings are not
            arguments = []
        if [a.name for a in arguments] != list(self.inner_editors):
            while self._form.rowCount():
                self._form.removeRow(0)
            self.inner_editors = {}
            for argument in arguments:
                editor = make_editor(argument)
                editor.committed.connect(self._type_changed)
                self._form.addRow(argument.name, editor)
                self.inner_editors[argument.name] = editor
        for argument in arguments:
            self.inner_editors[argument.name].set_value(config.get(argument.name, argument.default))
        self._host.setVisible(bool(self.inner_editors))


def _starting_config(name: str) -> dict:
    """A new inner layer's config, without the engine-made name (the wrapper names its inner layer)."""
    config = dict(layer_type(name).default_config())
    config.pop("name", None)
    return config
