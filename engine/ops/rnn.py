"""Fused recurrent sequence ops (SimpleRNN, LSTM, GRU) with hand-written backpropagation through time.

Each op is one recorded node. Every timestep is one matrix product, `z_t = W^T [h_{t-1}; x_t; 1]`
with `W = [recurrent_kernel; kernel; bias]` (the input projection rides along in the same product),
followed by the elementwise work on contiguous gate blocks (the LSTM's and GRU's in compiled
kernels, engine/kernels/lstm_step.py and gru_step.py); only this loop runs in Python. The backward
pass walks the steps in reverse, and after the loop a single product over all timesteps gives the
kernel, recurrent-kernel and bias gradients at once. With several threads each takes a slice of the
batch through the whole loop, or one runs it all, whichever has lately been faster (rnn_threads.py).
Inside a node arrays are feature-major, (features, time, batch); inputs and outputs are batch-major,
as in Keras. What the ops share is in rnn_parts.py.

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

from engine.kernels.gru_step import gru_gates, gru_output, gru_reset_backward, gru_step_backward
from engine.kernels.lstm_step import lstm_cell_update, lstm_output, lstm_step, lstm_step_backward
from engine.ops.rnn_parts import (
    _activated,
    _Activation,
    _bounds,
    _dropout_masks,
    _finish,
    _first_grad,
    _gradients,
    _groups,
    _in_compiled_precision,
    _masked_gradient,
    _prepare,
    _Stack,
    _value,
)
from engine.ops.rnn_threads import _over_all_steps, _over_steps
from engine.ops.scratch import take

__all__ = ["simple_rnn", "lstm", "gru"]


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

    def forward(part: slice) -> None:
        for t in range(steps):
            z = pre[t, :, part]
            np.matmul(w_t, stack.s[:, t, part], out=z)
            if tmask is None:
                act(z, h[:, t + 1, part])
            else:
                act(z, new[:, part])
                h[:, t + 1, part] = np.where(tmask[t, :, part], new[:, part], h[:, t, part])
            stack.set_state(t + 1, columns=part)

    _over_steps(forward, batch, pre.size // steps, steps)

    def backward(sequence_grad, finals):
        deriv = act.derivative(pre if act.needs_input else None, _activated(act, pre, h, tmask))
        dz = take("rnn.dz", (u, steps, batch), dtype)
        dh_next = _first_grad(finals[0], (u, batch), dtype)

        def steps_back(part: slice) -> None:
            for t in range(steps - 1, -1, -1):
                dh = dh_next[:, part]
                if sequence_grad is not None:
                    dh = dh + sequence_grad[:, t, part]
                carried = None
                if tmask is not None:
                    dh, carried = _masked_gradient(tmask[t, :, part], dh)
                np.multiply(dh, deriv[t, :, part], out=dz[:, t, part])
                stack.state_gradient(dz[:, t, part], out=dh_next[:, part], columns=part)
                if carried is not None:
                    dh_next[:, part] += carried

        _over_steps(steps_back, batch, dz.size // steps, steps)
        return _gradients(stack, dz, inputs, kernel, bias, recurrent_kernel, [dh_next])

    return _finish((inputs, kernel, bias, recurrent_kernel, *given), backward, h, [], return_sequences,
                   return_state, tmask, zero_output_for_mask)


# -- LSTM -------------------------------------------------------------------------------------

@_in_compiled_precision
def lstm(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
         recurrent_activation="sigmoid", go_backwards: bool = False, return_sequences: bool = False,
         return_state: bool = True, mask=None, zero_output_for_mask: bool = False, dropout_mask=None,
         recurrent_dropout_mask=None):
    """Keras's LSTM (gates i, f, c, o in the kernel's part); returns (output, [h, c])."""
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
    if fast:  # sigmoid(z) = 0.5 tanh(z / 2) + 0.5: halve the sigmoid part, then one tanh covers all gates
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
    exact = None if dtype == np.float32 else True  # float64 keeps math.tanh in the fused step
    set_state = stack.state_masks is not None  # else h is the stack's state rows already

    def forward(part: slice) -> None:
        lo, hi = _bounds(part, batch)
        for t in range(steps):
            a = gates[t, :, part]
            np.matmul(w_t, stack.s[:, t, part], out=a)
            if fast:
                lstm_step(gates, cs, c_new, c_act, h, t, lo, hi, keep, exact)
            else:
                if pre is not None:
                    pre[t, :, part] = a
                ract(a[:3 * u], a[:3 * u])
                act(a[3 * u:], a[3 * u:])
                lstm_cell_update(gates, cs, c_new, t, lo, hi)
                act(c_new[t, :, part], c_act[t, :, part])
                lstm_output(gates, c_new, c_act, cs, h, t, lo, hi, keep)
            if set_state:
                stack.set_state(t + 1, columns=part)

    _over_steps(forward, batch, gates.size // steps, steps)

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

        def steps_back(part: slice) -> None:
            lo, hi = _bounds(part, batch)
            for t in range(steps - 1, -1, -1):
                if not fast:
                    a, z = gates[t, :, part], None if pre is None else pre[t, :, part]
                    gate_slopes[:3 * u, part] = ract.derivative(None if z is None else z[:3 * u], a[:3 * u])
                    gate_slopes[3 * u:, part] = act.derivative(None if z is None else z[3 * u:], a[3 * u:])
                    cell_slopes[:, part] = act.derivative(c_new[t, :, part] if act.needs_input else None,
                                                             c_act[t, :, part])
                lstm_step_backward(gates, cs, c_act, t, lo, hi, dh, dc, sequence_grad, keep, gate_slopes,
                                   cell_slopes, dz, one)
                stack.state_gradient(dz[:, t, part], out=dh[:, part], accumulate=keep is not None,
                                     columns=part)

        _over_steps(steps_back, batch, gates.size // steps, steps)
        back = np.argsort(order)
        return _gradients(stack, dz, inputs, kernel, bias, recurrent_kernel, [dh, dc],
                          lambda gr, gk, gb: (gr[:, back], gk[:, back], None if gb is None else gb[back]))

    return _finish((inputs, kernel, bias, recurrent_kernel, *given), backward, h, [cs[steps]], return_sequences,
                   return_state, tmask, zero_output_for_mask)


# -- GRU --------------------------------------------------------------------------------------

@_in_compiled_precision
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
    w = stack.weights(r_full, k_full, b_full)
    fast = act.name == "tanh" and ract.name == "sigmoid"
    if fast:  # sigmoid(z) = 0.5 tanh(z / 2) + 0.5: halve the z and r columns, then take their tanh
        w = w * np.r_[np.full(2 * u, 0.5), np.ones(columns - 2 * u)].astype(dtype)
    w_t = np.ascontiguousarray(w.T)
    h = stack.h
    stack.set_state(0, h0)
    ext = take("gru.ext", (steps, columns, batch), dtype)  # each step's product; z and r after their activation
    zr_pre = np.empty((steps, 2 * u, batch), dtype) if ract.needs_input else None
    hh = take("gru.hh", (steps, u, batch), dtype)  # the candidates, after their activation
    hh_pre = np.empty_like(hh) if act.needs_input else None
    rh = None if reset_after else np.empty((u, steps, batch), dtype)  # r * h_{t-1} (masked), feature-major
    keep = None if tmask is None else np.ascontiguousarray(tmask[:, 0, :])
    half = dtype.type(0.5) if fast else None

    def forward(part: slice) -> None:
        lo, hi = _bounds(part, batch)
        for t in range(steps):
            e = ext[t, :, part]
            np.matmul(w_t, stack.s[:, t, part], out=e)
            if fast:
                np.tanh(e[:2 * u], out=e[:2 * u])
            else:
                if zr_pre is not None:
                    zr_pre[t, :, part] = e[:2 * u]
                ract(e[:2 * u], e[:2 * u])
            gru_gates(ext, h, hh, rh, h_mask, t, lo, hi, half)
            candidate = hh[t, :, part]
            if not reset_after:
                np.matmul(r_h_t, rh[:, t, part], out=candidate)
                candidate += e[xh_]
            if hh_pre is not None:
                hh_pre[t, :, part] = candidate
            act(candidate, candidate)
            gru_output(ext, hh, h, t, lo, hi, keep)
            stack.set_state(t + 1, columns=part)

    _over_steps(forward, batch, ext.size // steps, steps)

    def backward(sequence_grad, finals):
        gate_slopes = candidate_slopes = None
        if not fast:  # the activations' derivatives (None: the kernels know sigmoid's and tanh's)
            gate_slopes = np.ascontiguousarray(ract.derivative(zr_pre, ext[:, :2 * u]), dtype=dtype)
            candidate_slopes = np.ascontiguousarray(act.derivative(hh_pre, hh), dtype=dtype)
        dz = take("gru.dz", (columns, steps, batch), dtype)
        dh = _first_grad(finals[0], (u, batch), dtype)
        if sequence_grad is not None:
            sequence_grad = np.ascontiguousarray(sequence_grad, dtype=dtype)
        reset_grad = None if reset_after else np.empty((u, batch), dtype)
        one = dtype.type(1)

        def steps_back(part: slice) -> None:
            lo, hi = _bounds(part, batch)
            for t in range(steps - 1, -1, -1):
                gru_step_backward(ext, hh, h, t, lo, hi, dh, sequence_grad, keep, gate_slopes, candidate_slopes,
                                  dz, one, reset_after)
                if not reset_after:
                    np.matmul(r_h, dz[xh_, t, part], out=reset_grad[:, part])
                    gru_reset_backward(ext, h, h_mask, reset_grad, gate_slopes, dz, dh, t, lo, hi)
                stack.state_gradient(dz[:, t, part], out=dh[:, part], accumulate=True, columns=part)

        _over_steps(steps_back, batch, dz.size // steps, steps)

        def to_kernels(grad_r, grad_k, grad_b):
            if reset_after:
                grad_r = np.concatenate([grad_r[:, :2 * u], grad_r[:, rh_]], axis=1)
                if grad_b is not None:
                    grad_b = np.stack([grad_b[:3 * u], np.r_[grad_b[:2 * u], grad_b[rh_]]])
                return grad_r, grad_k[:, :3 * u], grad_b
            grad_r_h = _over_all_steps(rh, dz[xh_])  # (r * h) @ R_h
            return np.concatenate([grad_r[:, :2 * u], grad_r_h], axis=1), grad_k, grad_b

        return _gradients(stack, dz, inputs, kernel, bias, recurrent_kernel, [dh], to_kernels)

    return _finish((inputs, kernel, bias, recurrent_kernel, *given), backward, h, [], return_sequences,
                   return_state, tmask, zero_output_for_mask)
