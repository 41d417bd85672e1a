"""`RNN`: runs a cell over the time axis. Built-in cells run fused (one op per sequence); any other cell
(a Layer with `call(inputs, states)` and `state_size`) runs step by step through ordinary ops."""

from __future__ import annotations

import numpy as np

from engine import ops, regularizers
from engine.layers.layer import Layer
from engine.layers.rnn.fused_cell import FusedCell


class RNN(Layer):
    """Base class of recurrent layers, with Keras 3's arguments and outputs.

    Returns the last output `(batch, units)`, or the whole sequence `(batch, time, units)` with
    `return_sequences`; with `return_state`, a tuple `(output, *final_states)`.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            raise ValueError("RNN: a list of cells (StackedRNNCells) is not supported yet; stack recurrent layers "
                             "with `return_sequences=True` instead.")
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if getattr(cell, "state_size", None) is None:
            raise ValueError("The RNN cell should have a `state_size` attribute (single integer or list of "
                             f"integers, one integer per RNN state). Received: cell={cell}")
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.supports_masking = True
        self.input_spec = None
        self.states = None
        state_size = cell.state_size
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError("state_size must be an integer, or a list/tuple of integers "
                             "(one for each state tensor).")
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    # -- shapes and weights -----------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        if self.stateful and sequences_shape[0] is None:
            raise ValueError("When using `stateful=True` in a RNN, the batch size must be static. Found dynamic "
                             f"batch size: sequence.shape={tuple(sequences_shape)}")
        step_shape = (sequences_shape[0], *tuple(sequences_shape[2:]))
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build(step_shape)
        for weight in self.cell.weights if isinstance(self.cell, Layer) else []:
            if not weight.path.startswith(f"{self.name}/"):
                weight.path = f"{self.name}/{weight.path}"  # Keras's "lstm/lstm_cell/kernel"
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None) or self.state_size[0]
        if not isinstance(output_size, int):
            raise ValueError("output_size must be an integer.")
        output_shape = (batch, length, output_size) if self.return_sequences else (batch, output_size)
        if self.return_state:
            return (output_shape, *[(batch, size) for size in self.state_size])
        return output_shape

    def compute_mask(self, inputs, mask):
        """As Keras: the sequence keeps the input's time mask; a last output and the states have none."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # -- state ------------------------------------------------------------------------------
    def get_initial_state(self, batch_size: int) -> list:
        make_state = getattr(self.cell, "get_initial_state", None)
        if make_state is not None:
            state = make_state(batch_size=batch_size)
            return list(state) if isinstance(state, (list, tuple)) else [state]
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in self.state_size]

    def reset_state(self) -> None:
        if self.states is not None:
            self.states = [np.zeros_like(s) for s in self.states]

    reset_states = reset_state

    # -- calling ----------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        batch = sequences.shape[0]
        if initial_state is None and self.stateful:
            if self.states is None:
                self.states = [np.asarray(ops.value_of(s)) for s in self.get_initial_state(batch)]
            elif self.states[0].shape[0] != batch:
                raise ValueError("If an RNN is stateful, the batch size of the input sequences must be the same as "
                                 f"the batch size of the initial state. \n- Expected batch size: "
                                 f"{self.states[0].shape[0]}\n- Received batch size: {batch}")
            initial_state = self.states
        if initial_state is not None and not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        if initial_state is not None and len(initial_state) != len(self.state_size):
            raise ValueError(f"Layer '{self.name}' expects {len(self.state_size)} initial state tensor(s); "
                             f"received {len(initial_state)}.")
        if mask is not None:
            mask = np.asarray(ops.value_of(mask)).astype(bool)
        if isinstance(self.cell, FusedCell):
            output, states = self.cell.run_sequence(
                sequences, initial_state, training=training, go_backwards=self.go_backwards,
                return_sequences=self.return_sequences, return_state=self.return_state or self.stateful, mask=mask,
                zero_output_for_mask=self.zero_output_for_mask)
            self.cell.reset_dropout_mask()
            self.cell.reset_recurrent_dropout_mask()
        else:
            if initial_state is None:
                initial_state = self.get_initial_state(batch)
            output, states = self._step_loop(sequences, list(initial_state), mask, training)
        if self.stateful:
            self.states = [np.array(ops.value_of(s)) for s in states]
        if self.return_state:
            return (output, *states)
        return output

    def _step_loop(self, sequences, states: list, mask, training):
        """Any cell, one timestep at a time, through differentiable ops."""
        kwargs = {"training": training} if getattr(self.cell, "_call_has_training_arg", False) else {}
        steps = ops.unstack(sequences, axis=1)
        order = range(len(steps) - 1, -1, -1) if self.go_backwards else range(len(steps))
        outputs, previous = [], None
        for t in order:
            output, new_states = self.cell(steps[t], states, **kwargs)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if mask is not None:
                keep = mask[:, t:t + 1]
                new_states = [ops.where(keep, n, s) for n, s in zip(new_states, states)]
                fallback = previous if previous is not None and not self.zero_output_for_mask else None
                output = ops.where(keep, output, ops.zeros_like(output) if fallback is None else fallback)
            states, previous = new_states, output
            outputs.append(output)
        if self.return_sequences:
            return ops.stack(outputs, axis=1), states
        return outputs[-1], states

    # -- config -----------------------------------------------------------------------------
    def _rnn_config(self) -> dict:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def _cell_config_tail(self) -> dict:
        """The keys LSTM, GRU and SimpleRNN write after their initializers, in Keras's order."""
        common = self.cell._common_config()
        return {
            "kernel_regularizer": common["kernel_regularizer"],
            "recurrent_regularizer": common["recurrent_regularizer"],
            "bias_regularizer": common["bias_regularizer"],
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": common["kernel_constraint"],
            "recurrent_constraint": common["recurrent_constraint"],
            "bias_constraint": common["bias_constraint"],
            "dropout": common["dropout"],
            "recurrent_dropout": common["recurrent_dropout"],
        }

    def get_config(self) -> dict:
        from engine.saving.serialization_lib import serialize_keras_object
        return {**self._rnn_config(), "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from engine.saving.serialization_lib import deserialize_keras_object
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        if "cell" not in config:  # LSTM, GRU, SimpleRNN: the cell's arguments are the layer's own
            return cls(**config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


def delegate_to_cell(*names: str):
    """Class decorator: read-only properties forwarding `names` to `self.cell`, as Keras's LSTM/GRU have."""
    def decorate(cls):
        for name in names:
            setattr(cls, name, property(lambda self, name=name: getattr(self.cell, name)))
        return cls
    return decorate


CELL_ATTRIBUTES = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
                   "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                   "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")
