"""`GRUCell` and `GRU` (Cho et al. 2014) with Keras's weights: kernel (in, 3u), recurrent_kernel (u, 3u),
gates z, r, h; bias (2, 3u) (input and recurrent biases) with the default `reset_after=True`, else (3u,)."""

from __future__ import annotations

from engine import activations, initializers
from engine.layers.input_spec import InputSpec
from engine.layers.rnn.fused_cell import FusedCell, activation_argument
from engine.layers.rnn.rnn import CELL_ATTRIBUTES, RNN, delegate_to_cell
from engine.ops import rnn as rnn_ops


class GRUCell(FusedCell):
    """One GRU step; the `GRU` layer runs it over whole sequences at once."""

    _op = staticmethod(rnn_ops.gru)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3  # one mask per gate, as Keras's implementation 1

    def build(self, input_shape):
        self._add_kernels(input_shape[-1], 3)
        self._add_bias((2, 3 * self.units) if self.reset_after else (3 * self.units,), self.bias_initializer)
        self.built = True

    def _op_arguments(self) -> dict:
        return {"activation": activation_argument(self.activation),
                "recurrent_activation": activation_argument(self.recurrent_activation),
                "reset_after": self.reset_after}

    def get_config(self) -> dict:
        return {
            **self._layer_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            **self._common_config(),
            "reset_after": self.reset_after,
            "seed": self.seed,
        }


@delegate_to_cell(*CELL_ATTRIBUTES, "recurrent_activation", "reset_after")
class GRU(RNN):
    """Gated Recurrent Unit layer over (batch, timesteps, features) inputs."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                       name="gru_cell", seed=seed, implementation=kwargs.pop("implementation", 2))
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
            **self._cell_config_tail(),
            "reset_after": self.reset_after,
            "seed": self.cell.seed,
        }
