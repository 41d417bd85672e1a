"""Fused recurrent sequence ops (SimpleRNN, LSTM, GRU) with hand-written backpropagation through time.

Each op is one recorded node. Every timestep is one matrix product, `z_t = W^T [h_{t-1}; x_t; 1]`
with `W = [recurrent_kernel; kernel; bias]` (the input projection rides along in the same product),
followed by a few NumPy operations on contiguous gate blocks; only this loop runs in Python. The
backward pass walks the steps in reverse, and after the loop a single product over all timesteps
gives the kernel, recurrent-kernel and bias gradients at once. Inside a node arrays are
feature-major, (features, time, batch); inputs and outputs are batch-major, as in Keras.

The maths follows Keras 3's cells: LSTM gates i, f, c, o; GRU gates z, r, h, with `reset_after`
either way. Dropout masks are the same at every timestep, one per gate when several are given, as
Keras's cells apply them. A `mask` (batch, time) carries the state unchanged through masked steps.
Each op returns `(output, states)`: the last output `(batch, units)` or the whole sequence
`(batch, time, units)` (in processing order when `go_backwards`, as Keras returns it), and the
final states (none when `return_state=False`, which spares their bookkeeping). Activations must be
elementwise.
"""

from __future__ import annotations

import numpy as np

from engine import config
from engine.autodiff import Tensor, gradients, make, needs_grad, no_grad
from engine.kernels.lstm_step import lstm_cell_update, lstm_output, lstm_step_backward
from engine.ops.scratch import take
from engine.ops.windows import _over_batch

__all__ = ["simple_rnn", "lstm", "gru"]


# -- activations with their derivatives -------------------------------------------------------

def _sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # 0.5 * tanh(z / 2) + 0.5: one transcendental pass, no overflow for large |z|
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


_KNOWN = {
    "tanh": (lambda z, out: np.tanh(z, out=out), lambda z, y: 1 - y * y),
    "sigmoid": (_sigmoid, lambda z, y: y - y * y),
    "linear": (lambda z, out: np.copyto(out, z) or out, lambda z, y: np.ones_like(y)),
    "relu": (lambda z, out: np.maximum(z, 0, out=out), lambda z, y: (y > 0).astype(y.dtype)),
    "hard_sigmoid": (lambda z, out: np.clip(z / 6 + 0.5, 0, 1, out=out),
                     lambda z, y: (((z > -3) & (z < 3)) / 6).astype(y.dtype)),
}


class _Activation:
    """An elementwise activation given by name (fast path) or as any callable on tensors."""

    def __init__(self, activation):
        if isinstance(activation, str) and activation in ("softmax", "log_softmax"):
            raise ValueError(f"Recurrent layers need an elementwise activation; received {activation!r}.")
        self.name = activation if isinstance(activation, str) else None
        if self.name is not None and self.name not in _KNOWN:
            from engine import activations
            activation, self.name = activations.get(activation), None
        self.function = activation
        # the derivative of a callable needs its input; the known ones mostly need only the output
        self.needs_input = self.name is None or self.name == "hard_sigmoid"

    def __call__(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.name is not None:
            return _KNOWN[self.name][0](z, out)
        with no_grad():
            out[...] = np.asarray(self.function(Tensor(z)).value)
        return out

    def derivative(self, z: np.ndarray | None, y: np.ndarray) -> np.ndarray:
        """dy/dz elementwise (z is needed only when `needs_input`)."""
        if self.name is not None:
            return _KNOWN[self.name][1](z, y)
        variable = Tensor(z, requires_grad=True)
        grad = gradients(self.function(variable), [variable], np.ones_like(y))[0]
        return np.zeros_like(y) if grad is None else np.asarray(grad, dtype=y.dtype)


# -- shared pieces --------------------------------------------------------------------------

_ALL = slice(None)

def _timesteps(order):
    """The timesteps in `order`, with the BLAS single-threaded while the loop runs: each step's products are
    too small to share out, and waiting for BLAS threads at every step is what a busy machine punishes."""
    with config.blas_single_threaded():
        yield from order


def _value(x) -> np.ndarray | None:
    if x is None:
        return None
    return np.asarray(x.value if isinstance(x, Tensor) else x)


def _dropout_masks(mask) -> np.ndarray | None:
    """Dropout masks (groups, batch, features) or one (batch, features) mask, as (groups, features, batch)."""
    if mask is None:
        return None
    m = _value(mask)
    m = m[None] if m.ndim == 2 else m
    return np.ascontiguousarray(m.transpose(0, 2, 1))


class _Stack:
    """The one product of every step, `z_t = W^T s_t`, with `s_t = [state; inputs; 1]` and
    `W = [recurrent kernel; kernel; bias]`: the input projection happens inside the step's product,
    and after the loop one product over all timesteps gives every weight gradient at once.

    `s` is stored feature-major, (rows, time + 1, batch), so that all timesteps side by side form one
    matrix. Under dropout with one mask per gate, the state (or input) rows are repeated once per gate,
    each copy masked and connected only to its gate's columns (`groups`: the column slice of each
    copy). `H` (units, time + 1, batch) holds h_0 .. h_T.
    """

    def __init__(self, inputs, units: int, dtype, input_masks, input_groups, state_masks, state_groups,
                 with_bias: bool, go_backwards: bool):
        xv = _value(inputs)
        batch, steps, features = xv.shape
        self.units, self.features, self.steps, self.go_backwards = units, features, steps, go_backwards
        self.input_masks, self.state_masks = input_masks, state_masks
        self.input_groups, self.state_groups = input_groups, state_groups
        self.state_rows = units * (1 if state_masks is None else state_masks.shape[0])
        self.input_rows = features * (1 if input_masks is None else input_masks.shape[0])
        self.with_bias = with_bias
        rows = self.state_rows + self.input_rows + int(with_bias)
        self.s = take("rnn.s", (rows, steps + 1, batch), dtype)
        xt = xv.transpose(2, 1, 0)  # (features, time, batch)
        x_rows = self.s[self.state_rows:self.state_rows + self.input_rows]
        x_rows[:, steps] = 0  # the column after the last step only ever holds h_T
        target = x_rows[:, :steps]
        source = xt[:, ::-1] if go_backwards else xt
        if input_masks is None:
            target[...] = source
        else:
            for g, mask in enumerate(input_masks):
                np.multiply(source, mask[:, None, :], out=target[g * features:(g + 1) * features])
        if with_bias:
            self.s[-1] = 1
        self.h = self.s[:units] if state_masks is None else np.empty((units, steps + 1, batch), dtype)

    def weights(self, recurrent: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        """W from the kernels laid out in the op's columns (zeros where a part does not reach)."""
        w = np.empty((self.s.shape[0], kernel.shape[1]), kernel.dtype)
        w[:self.state_rows] = _expand(recurrent, self.state_groups)
        w[self.state_rows:self.state_rows + self.input_rows] = _expand(kernel, self.input_groups)
        if self.with_bias:
            w[-1] = bias
        self.w_state = np.ascontiguousarray(w[:self.state_rows])
        self.w = w
        return w

    def set_state(self, t: int, h: np.ndarray | None = None, columns: slice = _ALL) -> None:
        """Store h_t (when given) and write its (masked) copies into s_t, for the batch `columns`."""
        if h is not None:
            self.h[:, t, columns] = h
        if self.state_masks is not None:
            u = self.units
            for g, mask in enumerate(self.state_masks):
                np.multiply(self.h[:, t, columns], mask[:, columns], out=self.s[g * u:(g + 1) * u, t, columns])

    def state_gradient(self, dz: np.ndarray, out: np.ndarray | None = None, accumulate: bool = False,
                       columns: slice = _ALL) -> np.ndarray:
        """d(loss)/d(h_{t-1}) through the step's product, from dz (columns, batch) of the batch `columns`;
        into `out` (added to it when `accumulate`) when given."""
        if self.state_masks is None and out is not None and not accumulate:
            return np.matmul(self.w_state, dz, out=out)
        ds = self.w_state @ dz
        if self.state_masks is not None:
            masks = self.state_masks[:, :, columns]
            ds = (ds.reshape(masks.shape) * masks).sum(axis=0)
        if out is None:
            return ds
        if accumulate:
            out += ds
        else:
            out[...] = ds
        return out

    def weight_gradients(self, dz: np.ndarray) -> tuple:
        """(recurrent kernel, kernel, bias) gradients in the op's columns, from dz (columns, time, batch)."""
        dz2 = dz.reshape(dz.shape[0], -1)
        dw = self.s[:, :self.steps].reshape(self.s.shape[0], -1) @ dz2.T
        grad_r = _collapse(dw[:self.state_rows], self.state_groups, self.units)
        grad_k = _collapse(dw[self.state_rows:self.state_rows + self.input_rows], self.input_groups, self.features)
        return grad_r, grad_k, dw[-1] if self.with_bias else None

    def input_gradient(self, dz: np.ndarray) -> np.ndarray:
        """d(loss)/d(inputs) (batch, time, features), from dz (columns, time, batch)."""
        dz2 = dz.reshape(dz.shape[0], -1)
        dx = (self.w[self.state_rows:self.state_rows + self.input_rows] @ dz2).reshape(
            -1, self.features, self.steps, dz.shape[2])
        if self.input_masks is not None:
            dx = dx * self.input_masks[:, :, None, :]
        dx = dx.sum(axis=0)
        return (dx[:, ::-1] if self.go_backwards else dx).transpose(2, 1, 0)


def _expand(block: np.ndarray, groups) -> np.ndarray:
    """(rows, columns) -> (copies * rows, columns): copy g keeps only the columns `groups[g]`."""
    if groups is None:
        return block
    out = np.zeros((len(groups) * block.shape[0], block.shape[1]), block.dtype)
    for g, columns in enumerate(groups):
        out[g * block.shape[0]:(g + 1) * block.shape[0], columns] = block[:, columns]
    return out


def _collapse(grad: np.ndarray, groups, rows: int) -> np.ndarray:
    """The gradient of `_expand`'s block from the gradient of its result."""
    if groups is None:
        return grad
    out = np.zeros((rows, grad.shape[1]), grad.dtype)
    for g, columns in enumerate(groups):
        out[:, columns] = grad[g * rows:(g + 1) * rows, columns]
    return out


def _groups(masks, slices) -> list | None:
    """The column slice of each mask's copy, or None when one mask (or none) serves every gate."""
    return None if masks is None or masks.shape[0] == 1 else slices


def _time_mask(mask, batch: int, steps: int, go_backwards: bool) -> np.ndarray | None:
    """A (batch, time) mask as (time, 1, batch) booleans in processing order."""
    if mask is None:
        return None
    m = _value(mask).astype(bool)
    if m.shape != (batch, steps):
        raise ValueError(f"The mask must have shape (batch, timesteps) = {(batch, steps)}; received {m.shape}.")
    m = m.T[:, None, :]
    return m[::-1] if go_backwards else m


def _masked_gradient(step_mask, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a state's gradient into the part for the new value and the part carried to the old one."""
    return np.where(step_mask, grad, 0), np.where(step_mask, 0, grad)


def _initial(state, batch: int, units: int, dtype) -> np.ndarray:
    if state is None:
        return np.zeros((units, batch), dtype=dtype)
    return _value(state).T


def _check_inputs(inputs) -> tuple[int, int]:
    shape = np.shape(_value(inputs))
    if len(shape) != 3:
        raise ValueError(f"Recurrent ops expect inputs of shape (batch, timesteps, features); received {shape}.")
    if shape[1] == 0:
        raise ValueError(f"Recurrent ops need at least one timestep; received inputs of shape {shape}.")
    return shape[0], shape[1]


def _finish(parents: tuple, backward, h: np.ndarray, others: list, return_sequences: bool, return_state: bool,
            tmask, zero_output_for_mask: bool):
    """The op's recorded outputs: `(output, final states)` (no states unless `return_state`).

    `h` (units, time + 1, batch) holds h_0 .. h_T and `others` the final states after h (the LSTM's c).
    `backward(sequence_grad, final_grads)` takes the gradient of h_1 .. h_T (units, time, batch) or None,
    and one (units, batch) gradient or None per final state.
    """
    steps = h.shape[1] - 1
    count = 1 + len(others)
    if not return_state:  # one node straight to the output: no zero-filled gradients for unused states
        if return_sequences:
            output = make(np.ascontiguousarray(h[:, 1:].transpose(2, 1, 0)), parents,
                          lambda g: backward(g.transpose(2, 1, 0), [None] * count))
        else:
            output = make(np.ascontiguousarray(h[:, steps].T), parents,
                          lambda g: backward(None, [g.T] + [None] * (count - 1)))
        finals = []
    else:
        full = np.concatenate([h[:, 1:]] + [s[:, None] for s in others], axis=1)  # h_1 .. h_T, then others
        packed = make(full, parents,
                      lambda g: backward(g[:, :steps], [None] + [g[:, steps + k] for k in range(count - 1)]))

        def part(index, value):
            def vjp(g):
                grad = np.zeros_like(full, dtype=g.dtype)
                grad[:, index] = g.T
                return (grad,)
            return make(value, (packed,), vjp)

        finals = [part(steps - 1, np.ascontiguousarray(full[:, steps - 1].T))]
        finals += [part(steps + k, np.ascontiguousarray(full[:, steps + k].T)) for k in range(count - 1)]
        output = finals[0]
        if return_sequences:
            output = make(np.ascontiguousarray(full[:, :steps].transpose(2, 1, 0)), (packed,),
                          lambda g: (_padded(g.transpose(2, 1, 0), full.shape),))
    if zero_output_for_mask and tmask is not None:
        keep = (tmask[:, 0, :].T[:, :, None] if return_sequences else tmask[-1].T).astype(h.dtype)
        output = make(output.value * keep, (output,), lambda g: (g * keep,))
    return output, finals


def _padded(sequence_grad: np.ndarray, shape: tuple) -> np.ndarray:
    grad = np.zeros(shape, sequence_grad.dtype)
    grad[:, :sequence_grad.shape[1]] = sequence_grad
    return grad


def _prepare(inputs, initial_state, recurrent_kernel, mask, go_backwards, count: int):
    """Shapes, initial states (feature-major) and the time mask every op starts with."""
    batch, steps = _check_inputs(inputs)
    units = _value(recurrent_kernel).shape[0]
    dtype = np.result_type(_value(inputs).dtype, _value(recurrent_kernel).dtype)
    given = list(initial_state) if initial_state else []
    given += [None] * (count - len(given))
    states = [_initial(s, batch, units, dtype) for s in given[:count]]
    return batch, steps, units, dtype, states, _time_mask(mask, batch, steps, go_backwards), given[:count]


def _first_grad(grad, shape, dtype) -> np.ndarray:
    return np.zeros(shape, dtype) if grad is None else np.array(grad, dtype=dtype, order="C")


def _bounds(columns: slice, batch: int) -> tuple[int, int]:
    """The first and past-the-end batch columns of a slice."""
    lo, hi, _ = columns.indices(batch)
    return lo, hi


def _over_time(run, batch: int, elements: int) -> None:
    """`run(columns)`, a whole loop over the timesteps for the batch `columns`, over slices of the batch in
    parallel threads when there is enough work, with each thread's matrix products in its own thread: a
    step's products are too small to share out, and waiting for BLAS threads at every step is what a busy
    machine punishes (50 LSTM-sized steps, 2 cores at load ~12: 56 ms in one thread, 2,400 ms with 2 BLAS
    threads)."""
    with config.blas_single_threaded():
        _over_batch(run, batch, elements)


# -- SimpleRNN --------------------------------------------------------------------------------

def simple_rnn(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
               go_backwards: bool = False, return_sequences: bool = False, return_state: bool = True, mask=None,
               zero_output_for_mask: bool = False, dropout_mask=None, recurrent_dropout_mask=None):
    """`h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`; returns (output, [h])."""
    batch, steps, u, dtype, (h0,), tmask, given = _prepare(inputs, initial_state, recurrent_kernel, mask,
                                                           go_backwards, 1)
    act = _Activation(activation)
    stack = _Stack(inputs, u, dtype, _dropout_masks(dropout_mask), None, _dropout_masks(recurrent_dropout_mask),
                   None, bias is not None, go_backwards)
    w_t = np.ascontiguousarray(stack.weights(_value(recurrent_kernel), _value(kernel), _value(bias)).T)
    h = stack.h
    stack.set_state(0, h0)
    pre = take("rnn.pre", (steps, u, batch), dtype)
    new = np.empty((u, batch), dtype)
    for t in _timesteps(range(steps)):
        np.matmul(w_t, stack.s[:, t], out=pre[t])
        if tmask is None:
            act(pre[t], h[:, t + 1])
        else:
            act(pre[t], new)
            h[:, t + 1] = np.where(tmask[t], new, h[:, t])
        stack.set_state(t + 1)

    def backward(sequence_grad, finals):
        deriv = act.derivative(pre if act.needs_input else None, _activated(act, pre, h, tmask))
        dz = take("rnn.dz", (u, steps, batch), dtype)
        dh_next = _first_grad(finals[0], (u, batch), dtype)
        for t in _timesteps(range(steps - 1, -1, -1)):
            dh = dh_next if sequence_grad is None else dh_next + sequence_grad[:, t]
            carried = None
            if tmask is not None:
                dh, carried = _masked_gradient(tmask[t], dh)
            np.multiply(dh, deriv[t], out=dz[:, t])
            dh_next = stack.state_gradient(dz[:, t])
            if carried is not None:
                dh_next += carried
        return _gradients(stack, dz, inputs, kernel, bias, recurrent_kernel, [dh_next])

    return _finish((inputs, kernel, bias, recurrent_kernel, *given), backward, h, [], return_sequences,
                   return_state, tmask, zero_output_for_mask)


def _activated(act: _Activation, pre: np.ndarray, h: np.ndarray, tmask) -> np.ndarray:
    """activation(pre) for every step: h_1 .. h_T themselves unless a mask carried some of them."""
    if tmask is None:
        return h[:, 1:].transpose(1, 0, 2)
    out = np.empty_like(pre)
    for t in range(pre.shape[0]):
        act(pre[t], out[t])
    return out


def _gradients(stack: _Stack, dz: np.ndarray, inputs, kernel, bias, recurrent_kernel, state_grads: list,
               to_kernels=None) -> tuple:
    """The vjp's result for the parents (inputs, kernel, bias, recurrent_kernel, *initial states).

    `to_kernels(grad_r, grad_k, grad_b)` maps gradients in the op's columns to the kernels' layout."""
    grad_r, grad_k, grad_b = stack.weight_gradients(dz)
    if to_kernels is not None:
        grad_r, grad_k, grad_b = to_kernels(grad_r, grad_k, grad_b)
    grad_x = stack.input_gradient(dz) if needs_grad(inputs) else None
    return (grad_x, grad_k if needs_grad(kernel) else None, grad_b if needs_grad(bias) else None,
            grad_r if needs_grad(recurrent_kernel) else None, *[g.T for g in state_grads])


# -- LSTM -------------------------------------------------------------------------------------

def lstm(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
         recurrent_activation="sigmoid", go_backwards: bool = False, return_sequences: bool = False,
         return_state: bool = True, mask=None, zero_output_for_mask: bool = False, dropout_mask=None,
         recurrent_dropout_mask=None):
    """Keras's LSTM (gates i, f, c, o in the kernel's columns); returns (output, [h, c])."""
    batch, steps, u, dtype, (h0, c0), tmask, given = _prepare(inputs, initial_state, recurrent_kernel, mask,
                                                              go_backwards, 2)
    act, ract = _Activation(activation), _Activation(recurrent_activation)
    # inside, the gates are ordered i, f, o, c: the three sigmoid gates form one block
    order = np.r_[0:2 * u, 3 * u:4 * u, 2 * u:3 * u]
    dmasks, rmasks = _dropout_masks(dropout_mask), _dropout_masks(recurrent_dropout_mask)
    dmasks = dmasks[[0, 1, 3, 2]] if dmasks is not None and dmasks.shape[0] == 4 else dmasks
    rmasks = rmasks[[0, 1, 3, 2]] if rmasks is not None and rmasks.shape[0] == 4 else rmasks
    gate_slices = [slice(g * u, (g + 1) * u) for g in range(4)]
    stack = _Stack(inputs, u, dtype, dmasks, _groups(dmasks, gate_slices), rmasks, _groups(rmasks, gate_slices),
                   bias is not None, go_backwards)
    w = stack.weights(_value(recurrent_kernel)[:, order], _value(kernel)[:, order],
                      None if bias is None else _value(bias)[order])
    fast = act.name == "tanh" and ract.name == "sigmoid"
    if fast:  # sigmoid(z) = 0.5 tanh(z / 2) + 0.5: halve the sigmoid columns, then one tanh covers all gates
        w = w * np.r_[np.full(3 * u, 0.5), np.ones(u)].astype(dtype)
    w_t = np.ascontiguousarray(w.T)
    h = stack.h
    stack.set_state(0, h0)
    cs = take("lstm.c", (steps + 1, u, batch), dtype)  # carried cell states c_0 .. c_T
    cs[0] = c0
    gates = take("lstm.gates", (steps, 4 * u, batch), dtype)  # i, f, o, c~ after their activations
    pre = np.empty_like(gates) if act.needs_input or ract.needs_input else None
    c_new = cs[1:] if tmask is None else np.empty((steps, u, batch), dtype)
    c_act = take("lstm.c_act", (steps, u, batch), dtype)  # activation(c_new)
    keep = None if tmask is None else np.ascontiguousarray(tmask[:, 0, :])
    half = dtype.type(0.5) if fast else None

    def forward(columns: slice) -> None:
        lo, hi = _bounds(columns, batch)
        for t in range(steps):
            a = gates[t, :, columns]
            np.matmul(w_t, stack.s[:, t, columns], out=a)
            if fast:
                np.tanh(a, out=a)
            else:
                if pre is not None:
                    pre[t, :, columns] = a
                ract(a[:3 * u], a[:3 * u])
                act(a[3 * u:], a[3 * u:])
            lstm_cell_update(gates, cs, c_new, t, lo, hi, half)
            act(c_new[t, :, columns], c_act[t, :, columns])
            lstm_output(gates, c_new, c_act, cs, h, t, lo, hi, keep)
            stack.set_state(t + 1, columns=columns)

    _over_time(forward, batch, gates.size)

    def backward(sequence_grad, finals):
        dz = take("lstm.dz", (4 * u, steps, batch), dtype)
        dh = _first_grad(finals[0], (u, batch), dtype)
        dc = _first_grad(finals[1], (u, batch), dtype)
        if sequence_grad is not None:
            sequence_grad = np.ascontiguousarray(sequence_grad, dtype=dtype)
        one = dtype.type(1)

        # the activations' derivatives at the current step (None: the kernel knows sigmoid's and tanh's)
        gate_slopes = None if fast else np.empty((4 * u, batch), dtype)
        cell_slopes = None if fast else np.empty((u, batch), dtype)

        def steps_back(columns: slice) -> None:
            lo, hi = _bounds(columns, batch)
            for t in range(steps - 1, -1, -1):
                if not fast:
                    a, z = gates[t, :, columns], None if pre is None else pre[t, :, columns]
                    gate_slopes[:3 * u, columns] = ract.derivative(None if z is None else z[:3 * u], a[:3 * u])
                    gate_slopes[3 * u:, columns] = act.derivative(None if z is None else z[3 * u:], a[3 * u:])
                    cell_slopes[:, columns] = act.derivative(c_new[t, :, columns] if act.needs_input else None,
                                                             c_act[t, :, columns])
                lstm_step_backward(gates, cs, c_act, t, lo, hi, dh, dc, sequence_grad, keep, gate_slopes,
                                   cell_slopes, dz, one)
                stack.state_gradient(dz[:, t, columns], out=dh[:, columns], accumulate=keep is not None,
                                     columns=columns)

        _over_time(steps_back, batch, gates.size)
        back = np.argsort(order)
        return _gradients(stack, dz, inputs, kernel, bias, recurrent_kernel, [dh, dc],
                          lambda gr, gk, gb: (gr[:, back], gk[:, back], None if gb is None else gb[back]))

    return _finish((inputs, kernel, bias, recurrent_kernel, *given), backward, h, [cs[steps]], return_sequences,
                   return_state, tmask, zero_output_for_mask)


# -- GRU --------------------------------------------------------------------------------------

def gru(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
        recurrent_activation="sigmoid", reset_after: bool = True, go_backwards: bool = False,
        return_sequences: bool = False, return_state: bool = True, mask=None, zero_output_for_mask: bool = False,
        dropout_mask=None, recurrent_dropout_mask=None):
    """Keras's GRU (gates z, r, h); `reset_after` applies the reset gate after the recurrent product and
    takes a bias of shape (2, 3 * units): input bias, recurrent bias. Returns (output, [h])."""
    batch, steps, u, dtype, (h0,), tmask, given = _prepare(inputs, initial_state, recurrent_kernel, mask,
                                                           go_backwards, 1)
    act, ract = _Activation(activation), _Activation(recurrent_activation)
    k, r, b = _value(kernel), _value(recurrent_kernel), _value(bias)
    dmasks, rmasks = _dropout_masks(dropout_mask), _dropout_masks(recurrent_dropout_mask)
    z_, r_, xh_, rh_ = (slice(g * u, (g + 1) * u) for g in range(4))
    h_mask = None
    if reset_after:
        # the op's columns: z, r (input and recurrent parts summed), then h's input part and recurrent part
        columns = 4 * u
        r_full = np.zeros((u, columns), dtype)
        r_full[:, :2 * u], r_full[:, rh_] = r[:, :2 * u], r[:, 2 * u:]
        k_full = np.zeros((k.shape[0], columns), dtype)
        k_full[:, :3 * u] = k
        b_full = None if b is None else np.r_[b[0, :2 * u] + b[1, :2 * u], b[0, 2 * u:], b[1, 2 * u:]]
        state_masks, state_groups = rmasks, _groups(rmasks, [z_, r_, rh_])
    else:
        # the op's columns: z, r, h's input part; h's recurrent part is (r * h) @ R_h, a product of its own
        columns = 3 * u
        r_full = np.zeros((u, columns), dtype)
        r_full[:, :2 * u] = r[:, :2 * u]
        k_full, b_full = k, b
        state_masks = rmasks if rmasks is None or rmasks.shape[0] == 1 else rmasks[:2]
        state_groups = _groups(state_masks, [z_, r_])
        h_mask = None if rmasks is None else rmasks[-1]
        r_h = np.ascontiguousarray(r[:, 2 * u:])
        r_h_t = np.ascontiguousarray(r_h.T)
    stack = _Stack(inputs, u, dtype, dmasks, _groups(dmasks, [z_, r_, xh_]), state_masks, state_groups,
                   b is not None, go_backwards)
    w_t = np.ascontiguousarray(stack.weights(r_full, k_full, b_full).T)
    h = stack.h
    stack.set_state(0, h0)
    ext = take("gru.ext", (steps, columns, batch), dtype)  # each step's product; z and r after their activation
    zr_pre = np.empty((steps, 2 * u, batch), dtype) if ract.needs_input else None
    hh = take("gru.hh", (steps, u, batch), dtype)
    hh_pre = np.empty_like(hh) if act.needs_input else None
    rh = None if reset_after else np.empty((u, steps, batch), dtype)  # r * h_{t-1} (masked), feature-major
    h_new = np.empty((u, batch), dtype)
    for t in _timesteps(range(steps)):
        e = ext[t]
        np.matmul(w_t, stack.s[:, t], out=e)
        if zr_pre is not None:
            zr_pre[t] = e[:2 * u]
        ract(e[:2 * u], e[:2 * u])
        if reset_after:
            a = e[r_] * e[rh_]
        else:
            np.multiply(e[r_], h[:, t] if h_mask is None else h[:, t] * h_mask, out=rh[:, t])
            a = r_h_t @ rh[:, t]
        a += e[xh_]
        if hh_pre is not None:
            hh_pre[t] = a
        act(a, hh[t])
        target = h[:, t + 1] if tmask is None else h_new
        np.subtract(h[:, t], hh[t], out=target)
        target *= e[z_]
        target += hh[t]
        if tmask is not None:
            h[:, t + 1] = np.where(tmask[t], h_new, h[:, t])
        stack.set_state(t + 1)

    def backward(sequence_grad, finals):
        zr = ext[:, :2 * u]
        dzr = ract.derivative(zr_pre, zr)
        gate_z, gate_r = zr[:, :u], zr[:, u:]
        h_prev = h[:, :steps].transpose(1, 0, 2)
        factor_z = (h_prev - hh) * dzr[:, :u]
        factor_h = (1 - gate_z) * act.derivative(hh_pre, hh)
        if reset_after:
            factor_r = ext[:, rh_] * dzr[:, u:]
        else:
            factor_r = (h_prev if h_mask is None else h_prev * h_mask) * dzr[:, u:]
        dz = take("gru.dz", (columns, steps, batch), dtype)
        dh_next = _first_grad(finals[0], (u, batch), dtype)
        for t in _timesteps(range(steps - 1, -1, -1)):
            dh = dh_next if sequence_grad is None else dh_next + sequence_grad[:, t]
            carried = None
            if tmask is not None:
                dh, carried = _masked_gradient(tmask[t], dh)
            np.multiply(dh, factor_z[t], out=dz[z_, t])
            da = np.multiply(dh, factor_h[t], out=dz[xh_, t])
            if reset_after:
                np.multiply(da, factor_r[t], out=dz[r_, t])
                np.multiply(da, gate_r[t], out=dz[rh_, t])
                dh_next = stack.state_gradient(dz[:, t])
            else:
                drh = r_h @ da
                np.multiply(drh, factor_r[t], out=dz[r_, t])
                dh_next = stack.state_gradient(dz[:, t])
                drh *= gate_r[t]
                if h_mask is not None:
                    drh *= h_mask
                dh_next += drh
            dh = dh * gate_z[t]
            dh_next += dh
            if carried is not None:
                dh_next += carried

        def to_kernels(grad_r, grad_k, grad_b):
            if reset_after:
                grad_r = np.concatenate([grad_r[:, :2 * u], grad_r[:, rh_]], axis=1)
                if grad_b is not None:
                    grad_b = np.stack([grad_b[:3 * u], np.r_[grad_b[:2 * u], grad_b[rh_]]])
                return grad_r, grad_k[:, :3 * u], grad_b
            grad_r_h = rh.reshape(u, -1) @ dz[xh_].reshape(u, -1).T  # (r * h) @ R_h, all timesteps at once
            return np.concatenate([grad_r[:, :2 * u], grad_r_h], axis=1), grad_k, grad_b

        return _gradients(stack, dz, inputs, kernel, bias, recurrent_kernel, [dh_next], to_kernels)

    return _finish((inputs, kernel, bias, recurrent_kernel, *given), backward, h, [], return_sequences,
                   return_state, tmask, zero_output_for_mask)
