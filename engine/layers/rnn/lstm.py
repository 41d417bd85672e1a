"""`LSTMCell` and `LSTM` (Hochreiter 1997) with Keras's weights: kernel (in, 4u), recurrent_kernel (u, 4u),
bias (4u,), gates in the order i, f, c, o."""

from __future__ import annotations

import numpy as np

from engine import activations, initializers
from engine.layers.input_spec import InputSpec
from engine.layers.rnn.fused_cell import FusedCell, activation_argument
from engine.layers.rnn.rnn import CELL_ATTRIBUTES, RNN, delegate_to_cell
from engine.ops import rnn as rnn_ops


class LSTMCell(FusedCell):
    """One LSTM step; the `LSTM` layer runs it over whole sequences at once."""

    _op = staticmethod(rnn_ops.lstm)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4  # one mask per gate, as Keras's implementation 1
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        self._add_kernels(input_shape[-1], 4)
        initializer = self.bias_initializer
        if self.unit_forget_bias:
            def initializer(shape, dtype=None):
                u = self.units
                return np.concatenate([self.bias_initializer((u,), dtype=dtype), np.ones((u,), dtype=dtype),
                                       self.bias_initializer((2 * u,), dtype=dtype)])
        self._add_bias((4 * self.units,), initializer)
        self.built = True

    def _op_arguments(self) -> dict:
        return {"activation": activation_argument(self.activation),
                "recurrent_activation": activation_argument(self.recurrent_activation)}

    def get_config(self) -> dict:
        return {
            **self._layer_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            **self._common_config(),
            "seed": self.seed,
        }


@delegate_to_cell(*CELL_ATTRIBUTES, "recurrent_activation", "unit_forget_bias")
class LSTM(RNN):
    """Long Short-Term Memory layer over (batch, timesteps, features) inputs."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, unit_forget_bias=unit_forget_bias,
                        recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, dtype=kwargs.get("dtype"),
                        trainable=kwargs.get("trainable", True), name="lstm_cell", seed=seed,
                        implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        if use_cudnn not in ("auto", True, False):
            raise ValueError("Invalid valid received for argument `use_cudnn`. Expected one of {'auto', True, False}. "
                             f"Received: use_cudnn={use_cudnn}")
        self.use_cudnn = use_cudnn

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def get_config(self) -> dict:
        return {
            **self._rnn_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            **self._cell_config_tail(),
            "seed": self.cell.seed,
        }
