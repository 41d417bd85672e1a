"""`Model`: a layer that can be trained. `Model(inputs, outputs)` builds a functional graph; subclass it
and write `call` for anything else."""

from __future__ import annotations

from engine.layers.layer import Layer
from engine.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A trainable stack or graph of layers (compile / fit / evaluate / predict come from `Trainer`)."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from engine.models.functional import Functional
            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, trainable: bool = True, name: str | None = None, dtype=None, **kwargs):
        if args or "inputs" in kwargs:
            raise TypeError("Model(inputs, outputs) must be created as a functional model")
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer of the model by name or by position."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}.")

    def summary(self, line_length: int | None = None, positions=None, print_fn=None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range=None) -> None:
        """Print the layers, their output shapes and parameter counts, as Keras does."""
        from engine.utils.summary_utils import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

    def layer_output_shapes(self) -> dict[str, object]:
        """Output shape of each layer by name, where known (for summaries and the studio)."""
        return {}
