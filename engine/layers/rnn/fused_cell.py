"""What SimpleRNNCell, LSTMCell and GRUCell share: weights by Keras's recipe, and a whole sequence in one op.

A built-in cell runs a whole sequence through its fused op (`engine.ops.rnn`) when an `RNN` layer drives
it, and a single step (`cell(x, states)`) as a sequence of length one.
"""

from __future__ import annotations

from engine import activations, constraints, initializers, regularizers
from engine.layers.layer import Layer
from engine.layers.rnn.dropout_rnn_cell import DropoutRNNCell


def check_units(units) -> None:
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, got {units}.")


def activation_argument(function):
    """The activation as the fused ops take it: its Keras name when registered, else the callable."""
    name = activations.serialize(function)
    if not isinstance(name, str):  # a registered custom function
        return function
    try:
        return name if activations.get(name) is function else function
    except ValueError:
        return function


class FusedCell(Layer, DropoutRNNCell):
    """Base of the built-in cells; subclasses set `_op` and `_op_arguments()`, and build their weights."""

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        check_units(units)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        self.state_size = self.units
        self.output_size = self.units

    def _add_kernels(self, input_dim: int, gates: int) -> None:
        self.kernel = self.add_weight(shape=(input_dim, gates * self.units), name="kernel",
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, gates * self.units), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)

    def _add_bias(self, shape, initializer) -> None:
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=shape, name="bias", initializer=initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    # -- running ----------------------------------------------------------------------------
    def _op_arguments(self) -> dict:
        return {"activation": activation_argument(self.activation)}

    def run_sequence(self, sequences, initial_state, *, training=None, go_backwards=False, return_sequences=False,
                     return_state=True, mask=None, zero_output_for_mask=False):
        """The whole sequence through the fused op: (output, final states); no states unless `return_state`."""
        first = sequences.value[:, 0, :]
        states = list(initial_state) if initial_state is not None else None
        batch = first.shape[0]
        dropout, recurrent = self._training_masks(first, (batch, self.units), training)
        return self._op(sequences, states, self.kernel, self.recurrent_kernel, self.bias, go_backwards=go_backwards,
                        return_sequences=return_sequences, return_state=return_state, mask=mask,
                        zero_output_for_mask=zero_output_for_mask,
                        dropout_mask=dropout, recurrent_dropout_mask=recurrent, **self._op_arguments())

    def call(self, inputs, states, training=False):
        """One step: `(output, new_states)` for inputs (batch, features)."""
        from engine import ops
        nested = isinstance(states, (list, tuple))
        output, new_states = self.run_sequence(ops.expand_dims(inputs, 1), list(states) if nested else [states],
                                               training=training)
        return output, new_states if nested or len(new_states) > 1 else new_states[0]

    def get_initial_state(self, batch_size=None) -> list:
        from engine import ops
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in sizes]

    def _layer_config(self) -> dict:
        return Layer.get_config(self)

    def _common_config(self) -> dict:
        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }
