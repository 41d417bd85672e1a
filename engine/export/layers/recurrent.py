"""Converters of the recurrent layers: SimpleRNN, LSTM, GRU (and `RNN` over their cells) as ONNX's RNN,
LSTM and GRU operators, and Bidirectional as two of them.

Weights: Keras's kernel (in, gates * units) and recurrent kernel (units, gates * units) are transposed
to ONNX's (1, gates * units, in) and (1, gates * units, units); LSTM's gate blocks i, f, c, o become
ONNX's i, o, f, c; GRU's z, r, h are ONNX's order already. Keras's GRU with `reset_after=True`
(bias (2, 3u): input and recurrent biases) is ONNX's `linear_before_reset=1`. ONNX runs time-major,
so the sequence is transposed in and out; `go_backwards` is `direction="reverse"`, whose output
sequence ONNX keeps in input order, so it is read backwards to give Keras's processing order.
"""

from __future__ import annotations

import numpy as np

from engine.export.activations import recurrent_activation
from engine.export.graph import GraphBuilder, Value
from engine.export.layers.core import weight
from engine.export.registry import converts, refuses, unsupported
from engine.layers import GRU, LSTM, RNN, Bidirectional, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell


class _Spec:
    """How one Keras cell class maps onto one ONNX operator."""

    def __init__(self, op_type: str, gates: int, order: tuple[int, ...], states: int):
        self.op_type, self.gates, self.order, self.states = op_type, gates, order, states

    def reorder(self, matrix: np.ndarray) -> np.ndarray:
        """Columns (or a bias) in Keras's gate blocks -> ONNX's gate order."""
        blocks = np.split(matrix, self.gates, axis=-1)
        return np.concatenate([blocks[i] for i in self.order], axis=-1)


_SPECS = {
    SimpleRNNCell: _Spec("RNN", 1, (0,), 1),
    LSTMCell: _Spec("LSTM", 4, (0, 3, 1, 2), 2),
    GRUCell: _Spec("GRU", 3, (0, 1, 2), 1),
}


def _check(layer, mask) -> _Spec:
    spec = _SPECS.get(type(layer.cell))
    if spec is None:
        raise unsupported(layer, f"its cell {type(layer.cell).__name__} is not a built-in cell (SimpleRNNCell, "
                                 "LSTMCell, GRUCell).")
    if layer.stateful:
        raise unsupported(layer, "a stateful recurrent layer carries state between batches, which an ONNX graph "
                                 "cannot keep; export a copy with stateful=False.")
    if mask is not None:
        raise unsupported(layer, "masked sequences cannot be exported.")
    return spec


def _activations(layer) -> dict:
    cell = layer.cell
    functions = [cell.activation]
    if isinstance(cell, LSTMCell):
        functions = [cell.recurrent_activation, cell.activation, cell.activation]
    elif isinstance(cell, GRUCell):
        functions = [cell.recurrent_activation, cell.activation]
    names, alphas, betas = [], [], []
    for function in functions:
        name, alpha, beta = recurrent_activation(function, layer)
        names.append(name)
        alphas += [] if alpha is None else [alpha]
        betas += [] if beta is None else [beta]
    return {"activations": names, "activation_alpha": alphas or None, "activation_beta": betas or None}


def _weights(graph: GraphBuilder, layer, spec: _Spec) -> list[str]:
    cell = layer.cell
    kernel = weight(graph, cell.kernel, "W", lambda k: spec.reorder(k).T[None])
    recurrent = weight(graph, cell.recurrent_kernel, "R", lambda r: spec.reorder(r).T[None])
    if not cell.use_bias:
        return [kernel, recurrent]
    if isinstance(cell, GRUCell) and cell.reset_after:
        bias = weight(graph, cell.bias, "B", lambda b: np.concatenate([spec.reorder(b[0]), spec.reorder(b[1])])[None])
    else:
        bias = weight(graph, cell.bias, "B", lambda b: np.concatenate([spec.reorder(b), np.zeros_like(b)])[None])
    return [kernel, recurrent, bias]


def recurrent(graph: GraphBuilder, layer, sequences: Value, initial_state=None, mask=None, flip: bool = False):
    """The layer's outputs as Keras returns them; `flip` reads the output sequence backwards once more
    (Bidirectional does so with its backward layer)."""
    spec = _check(layer, mask)
    units = layer.cell.units
    batch, steps = sequences.shape[0], sequences.shape[1]
    inputs = _weights(graph, layer, spec)
    while len(inputs) < 3:  # W, R and the optional B
        inputs.append("")
    inputs.append("")  # sequence_lens: every sequence is full length
    if initial_state is not None:
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != spec.states:
            raise unsupported(layer, f"it expects {spec.states} initial state tensor(s); received {len(states)}.")
        inputs += [graph.unsqueeze(graph.cast(s, sequences.dtype), [0]) for s in states]
    time_major = graph.transpose(sequences, (1, 0, 2))
    # outputs Y (the sequence), Y_h and for LSTM Y_c; "" leaves an unused one uncomputed
    names = [graph.fresh("Y") if layer.return_sequences else "", graph.fresh("Y_h")]
    names += [graph.fresh("Y_c") if layer.return_state else ""] * (spec.states - 1)
    outputs = graph.node(spec.op_type, [time_major, *inputs], names, hidden_size=units,
                         direction="reverse" if layer.go_backwards else "forward",
                         linear_before_reset=int(layer.cell.reset_after) if isinstance(layer.cell, GRUCell) else None,
                         **_activations(layer))
    dtype = sequences.dtype
    final = [graph.squeeze(Value(name, (1, batch, units), dtype), [0]) for name in outputs[1:] if name]
    if layer.return_sequences:
        y = graph.squeeze(Value(outputs[0], (steps, 1, batch, units), dtype), [1])
        if layer.go_backwards != flip:
            y = graph.reverse(y, 0)
        output = graph.transpose(y, (1, 0, 2))
    else:
        output = final[0]
    return (output, *final) if layer.return_state else output


@converts(SimpleRNN, LSTM, GRU, RNN)
def recurrent_layer(graph: GraphBuilder, layer, sequences: Value, initial_state=None, mask=None, **kwargs):
    return recurrent(graph, layer, sequences, initial_state, mask)


@converts(Bidirectional)
def bidirectional(graph: GraphBuilder, layer: Bidirectional, sequences: Value, initial_state=None, mask=None,
                  **kwargs):
    """The forward and backward layers, the backward sequence aligned with the forward one, then merged."""
    forward_state = backward_state = None
    if initial_state is not None:
        half = len(initial_state) // 2
        forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
    with graph.scope(layer.forward_layer.name):
        y = _convert_sublayer(graph, layer, layer.forward_layer, sequences, forward_state, mask, flip=False)
    with graph.scope(layer.backward_layer.name):
        y_rev = _convert_sublayer(graph, layer, layer.backward_layer, sequences, backward_state, mask,
                                  flip=layer.return_sequences)
    states = ()
    if layer.return_state:
        states = (*y[1:], *y_rev[1:])
        y, y_rev = y[0], y_rev[0]
    if layer.merge_mode == "concat":
        output = graph.op("Concat", [y, y_rev], (*y.shape[:-1], y.shape[-1] + y_rev.shape[-1]), axis=y.rank - 1)
    elif layer.merge_mode == "sum":
        output = graph.binary("Add", y, y_rev)
    elif layer.merge_mode == "ave":
        output = graph.binary("Div", graph.binary("Add", y, y_rev), graph.scalar(2.0, y.dtype))
    elif layer.merge_mode == "mul":
        output = graph.binary("Mul", y, y_rev)
    else:
        output = (y, y_rev)
    if layer.return_state:
        return (*output, *states) if layer.merge_mode is None else (output, *states)
    return output


def _convert_sublayer(graph, wrapper, sublayer, sequences, initial_state, mask, flip: bool):
    if type(sublayer) not in (SimpleRNN, LSTM, GRU, RNN):
        raise unsupported(wrapper, f"its wrapped layer '{sublayer.name}' ({type(sublayer).__name__}) is not a "
                                   "SimpleRNN, LSTM, GRU or RNN layer.")
    try:
        return recurrent(graph, sublayer, sequences, initial_state, mask, flip=flip)
    except ValueError as err:
        raise unsupported(wrapper, str(err)) from err


for _cell in (SimpleRNNCell, LSTMCell, GRUCell):
    refuses(_cell, "a cell is exported as part of its recurrent layer (RNN, LSTM, GRU...), not called on its own")
