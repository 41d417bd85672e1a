"""`DataBindings`: which columns feed each Input node and which target each output node learns, as the canvas shows
them (a caption on the card, a red reason when a binding does not fit) and the property editor edits them.

The bindings are stored in the project's data section (`project.data["bindings"]`, keyed by node name); every
edit is a `SetBindingsCommand` on the window's undo stack. A renamed node keeps its binding and its compile
settings (both keyed by name follow the rename).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.data.bindings import Bindings
from studio.data.errors import DataError
from studio.data.feed import (
    BindingError,
    ModelFeed,
    binding_captions,
    bound_columns,
    input_width,
    propose_bindings,
    resolve_feed,
)
from studio.data.input_steps import InputStep, input_steps
from studio.data.preprocess import REGRESSION
from studio.document.graph import LayerNode
from studio.document.model_io import input_slots, output_heads
from studio.document.project import Project


class SetBindingsCommand(QUndoCommand):
    def __init__(self, bindings: DataBindings, after: Bindings, text: str):
        super().__init__(text)
        self.model, self.before, self.after = bindings, bindings.bindings(), after

    def redo(self) -> None:
        self.model.set_bindings(self.after)

    def undo(self) -> None:
        self.model.set_bindings(self.before)


class DataBindings(QObject):
    """The project's bindings with the prepared data they refer to. Signal changed(): bindings, data or graph
    changed, so captions, problems and the feed may have too."""

    changed = Signal()

    def __init__(self, undo_stack: QUndoStack, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.project: Project | None = None
        self.analysis = None
        self.prepared = None
        self._names: dict[str, str] = {}  # node id -> name, to follow renames
        self._cache: dict | None = None

    # -- following the project ----------------------------------------------------------------
    def attach(self, project: Project, analysis) -> None:
        if self.project is not None:
            self.project.graph.node_changed.disconnect(self._on_node_changed)
            self.analysis.updated.disconnect(self._on_analysis)
        self.project, self.analysis, self.prepared = project, analysis, None
        self._names = {n.id: n.name for n in project.graph.nodes.values()}
        project.graph.node_changed.connect(self._on_node_changed)
        analysis.updated.connect(self._on_analysis)
        self._invalidate()

    def set_prepared(self, prepared) -> None:
        """The project's data, read and prepared (None: none yet)."""
        self.prepared = prepared
        self._invalidate()

    def _on_analysis(self, analysis) -> None:
        self._names.update({n.id: n.name for n in self.project.graph.nodes.values() if n.id not in self._names})
        self._invalidate()

    def _on_node_changed(self, node: LayerNode) -> None:
        old = self._names.get(node.id)
        self._names[node.id] = node.name
        if old is not None and old != node.name:
            self._follow_rename(old, node.name)
        self._invalidate()

    def _follow_rename(self, old: str, new: str) -> None:
        data = self.project.data
        if isinstance(data, dict) and data.get("bindings"):
            data["bindings"] = self.bindings().renamed(old, new).to_dict()
        outputs = (self.project.compile or {}).get("outputs")
        if isinstance(outputs, dict) and old in outputs:
            self.project.compile["outputs"] = {new if k == old else k: v for k, v in outputs.items()}

    def _invalidate(self) -> None:
        self._cache = None
        self.changed.emit()

    # -- questions ----------------------------------------------------------------------------
    @property
    def has_data(self) -> bool:
        return self.prepared is not None

    def bindings(self) -> Bindings:
        data = self.project.data if self.project is not None else None
        try:
            return Bindings.from_dict(data.get("bindings") or {}) if isinstance(data, dict) else Bindings()
        except DataError:
            return Bindings()

    def spec(self):
        """The prepared data's spec with the project's current bindings (None without data)."""
        return replace(self.prepared.spec, bindings=self.bindings()) if self.prepared is not None else None

    def _state(self) -> dict:
        if self._cache is None:
            cache = {"feed": None, "problems": {}, "captions": {}}
            if self.prepared is not None and self.project is not None:
                graph = self.project.graph
                slots, heads = input_slots(graph), output_heads(graph, self.analysis.current)
                spec, p = self.spec(), self.prepared.preprocessor
                try:
                    cache["feed"] = resolve_feed(spec, p, slots, heads)
                except BindingError as err:
                    for node, message in err.problems:
                        cache["problems"].setdefault(node, message)
                cache["captions"] = binding_captions(spec, p, slots, heads)
            self._cache = cache
        return self._cache

    def feed(self) -> ModelFeed | None:
        """How the data reaches the model, or None when there is no data or a binding does not fit."""
        return self._state()["feed"]

    def problems(self) -> dict[str, str]:
        """Node name ("" for the model as a whole) -> what is wrong with its binding."""
        return dict(self._state()["problems"])

    def caption(self, node_name: str) -> str:
        return self._state()["captions"].get(node_name, "")

    def problem(self, node_name: str) -> str | None:
        return self._state()["problems"].get(node_name)

    def feature_columns(self) -> list[tuple[str, str]]:
        """(name, type) of every feature column, in file order."""
        return [(c.name, c.type.value) for c in self.prepared.spec.features] if self.prepared is not None else []

    def target_columns(self) -> list[tuple[str, str]]:
        """(name, what it holds in words) of every target column."""
        if self.prepared is None:
            return []
        return [(t.name, "a number" if t.task == REGRESSION else f"{len(t.classes)} classes")
                for t in self.prepared.preprocessor.targets]

    def columns_of(self, input_name: str) -> list[str]:
        """The columns Input `input_name` takes (the defaults of a one-Input model included)."""
        graph = self.project.graph
        bound, _ = bound_columns(self.spec(), input_slots(graph), output_heads(graph))
        return list(bound.get(input_name, []))

    def input_steps(self, input_name: str) -> list[InputStep]:
        """What each column of Input `input_name` goes through before it (empty without data or columns)."""
        if self.prepared is None or self.project is None:
            return []
        steps = self._state().setdefault("steps", {})
        if input_name not in steps:
            codes = any(s.codes for s in input_slots(self.project.graph) if s.name == input_name)
            steps[input_name] = input_steps(self.prepared.preprocessor, self.columns_of(input_name), codes,
                                            self.prepared.spec.category_codes_from)
        return steps[input_name]

    def target_of(self, output_name: str) -> str | None:
        graph = self.project.graph
        _, bound = bound_columns(self.spec(), input_slots(graph), output_heads(graph))
        return bound.get(output_name)

    def owners(self) -> dict[str, list[str]]:
        """Column -> the Inputs it is bound to."""
        out: dict[str, list[str]] = {}
        for slot in input_slots(self.project.graph):
            for column in self.columns_of(slot.name):
                out.setdefault(column, []).append(slot.name)
        return out

    def input_shape(self, input_name: str, columns: list[str]) -> tuple[int, ...]:
        """The shape of one sample of `columns` for Input `input_name`."""
        p = self.prepared.preprocessor
        codes = any(s.codes for s in input_slots(self.project.graph) if s.name == input_name)
        if list(columns) == [f.name for f in p.features] and not (codes and any(f.type == "categorical"
                                                                                for f in p.features)):
            return tuple(self.prepared.input_shape)  # every column: the sample as prepared (windows, images too)
        return (*tuple(self.prepared.input_shape)[:-1], input_width(p, columns, codes))

    def expected_shape(self, input_name: str) -> tuple[int, ...] | None:
        """The sample shape Input `input_name` gets from its columns (None: it has none)."""
        if self.prepared is None:
            return None
        if len(self.project.graph.input_nodes()) == 1 and not self.bindings().inputs:
            return tuple(self.prepared.input_shape)  # the one Input takes the samples as prepared
        columns = self.columns_of(input_name)
        return self.input_shape(input_name, columns) if columns else None

    # -- edits --------------------------------------------------------------------------------
    def set_bindings(self, bindings: Bindings) -> None:
        """Store `bindings` in the project (undo commands call this)."""
        if not isinstance(self.project.data, dict):
            return
        self.project.data["bindings"] = bindings.to_dict()
        self._invalidate()

    def proposed(self) -> Bindings:
        """The project's bindings completed with proposals for every unbound node."""
        graph = self.project.graph
        return propose_bindings(self.spec(), input_slots(graph), output_heads(graph, self.analysis.current))

    def bind_input(self, input_name: str, columns: list[str]) -> None:
        """Input `input_name` takes `columns` (one undo step, its shape fitted to them when they fit)."""
        current = self.bindings()
        if not current.inputs:  # the one-Input default becomes explicit before it is edited
            graph = self.project.graph
            defaults, _ = bound_columns(self.spec(), input_slots(graph), output_heads(graph))
            current = Bindings(defaults, dict(current.outputs))
        after = current.with_input(input_name, columns)
        self.undo_stack.beginMacro(f"Bind {input_name} to {len(columns)} column{'s' if len(columns) != 1 else ''}")
        self.undo_stack.push(SetBindingsCommand(self, after, "Bind columns"))
        if columns:
            self.fit_input_shape(input_name)
        self.undo_stack.endMacro()

    def bind_output(self, output_name: str, target: str | None) -> None:
        after = self.bindings().with_output(output_name, target)
        self.undo_stack.push(SetBindingsCommand(self, after, f"Bind {output_name} to {target or 'nothing'}"))

    def fit_input_shape(self, input_name: str) -> None:
        """Give Input `input_name` the shape of its columns (an undo step, when it changes)."""
        from studio.ui.commands import SetConfigCommand

        graph = self.project.graph
        node = next((n for n in graph.input_nodes() if n.name == input_name), None)
        if node is None or self.prepared is None:
            return
        expected = self.expected_shape(input_name)
        if expected is None:
            return
        shape = list(expected)
        if shape[-1] and list(node.config.get("shape") or []) != shape:
            self.undo_stack.push(SetConfigCommand(graph, node.id, {**node.config, "shape": shape}, what="shape"))
