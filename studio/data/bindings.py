"""Which columns feed each Input node and which target column each output node learns.

Saved in the data spec under "bindings" and keyed by node name: the names Keras gives a model's inputs and
outputs (the keys of `fit`'s dicts and of its logs, `species_accuracy`). Empty means the default of a
one-input, one-output model: every feature column into the Input, the one target out of the output.
`studio.data.feed` checks the bindings against the model and turns them into the arrays `fit` takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.data.errors import DataError


@dataclass
class Bindings:
    """`inputs`: Input node name -> its feature columns, in order; `outputs`: output node name -> target column."""

    inputs: dict[str, list[str]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.inputs and not self.outputs

    def input_of(self, column: str) -> str | None:
        """The Input node the column is bound to, or None."""
        for node, columns in self.inputs.items():
            if column in columns:
                return node
        return None

    def with_input(self, node: str, columns: list[str]) -> Bindings:
        """A copy where `node` takes `columns` (an empty list unbinds it)."""
        inputs = {k: list(v) for k, v in self.inputs.items() if k != node}
        if columns:
            inputs[node] = list(columns)
        return Bindings(inputs, dict(self.outputs))

    def with_output(self, node: str, target: str | None) -> Bindings:
        """A copy where output `node` learns `target` (None unbinds it)."""
        outputs = {k: v for k, v in self.outputs.items() if k != node}
        if target:
            outputs[node] = target
        return Bindings({k: list(v) for k, v in self.inputs.items()}, outputs)

    def renamed(self, old: str, new: str) -> Bindings:
        """A copy that follows a node renamed from `old` to `new`."""
        return Bindings({new if k == old else k: list(v) for k, v in self.inputs.items()},
                        {new if k == old else k: v for k, v in self.outputs.items()})

    def to_dict(self) -> dict:
        return {"inputs": {k: list(v) for k, v in self.inputs.items()}, "outputs": dict(self.outputs)}

    @classmethod
    def from_dict(cls, d: dict) -> Bindings:
        inputs, outputs = d.get("inputs") or {}, d.get("outputs") or {}
        if not isinstance(inputs, dict) or not all(isinstance(k, str) and isinstance(v, list) and
                                                   all(isinstance(c, str) for c in v) for k, v in inputs.items()):
            raise DataError("The data spec's input bindings must map Input node names to lists of column names.")
        if not isinstance(outputs, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in outputs.items()):
            raise DataError("The data spec's output bindings must map output node names to target column names.")
        return cls({k: list(v) for k, v in inputs.items()}, dict(outputs))
