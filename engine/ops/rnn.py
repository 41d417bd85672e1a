"""Fused recurrent sequence ops (SimpleRNN, LSTM, GRU) with hand-written backpropagation through time.

Each op runs in two recorded steps. The input projection `x @ kernel + bias` is computed for all
timesteps at once, as one matrix product. Then a recurrence node loops over the timesteps in Python.
Its backward pass is written by hand, and the recurrent-kernel gradient comes from one matrix product
over all timesteps after the loop. Arrays are time-major inside the ops; inputs and outputs are
batch-major as in Keras. The maths follows Keras 3's cells: LSTM gates i, f, c, o; GRU gates z, r, h
with `reset_after` either way. Dropout masks stay the same for every timestep, one per gate when
several are given, as Keras's cells apply them. A `mask` (batch, time) carries the state unchanged
through masked steps.

Each op returns `(output, states)`: the last output `(batch, units)` or the whole sequence
`(batch, time, units)` (in processing order when `go_backwards`, as Keras returns it), and the final
states. Only elementwise activations are supported.
"""

from __future__ import annotations

import numpy as np

from engine.autodiff import Tensor, gradients, make, needs_grad, no_grad

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
    "sigmoid": (_sigmoid, lambda z, y: y * (1 - y)),
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

    def __call__(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            out = np.empty_like(z)
        if self.name is not None:
            return _KNOWN[self.name][0](z, out)
        with no_grad():
            out[...] = np.asarray(self.function(Tensor(z)).value)
        return out

    def derivative(self, z: np.ndarray | None, y: np.ndarray) -> np.ndarray:
        """dy/dz elementwise, for whole arrays of all timesteps at once."""
        if self.name is not None:
            return _KNOWN[self.name][1](z, y)
        variable = Tensor(z, requires_grad=True)
        grad = gradients(self.function(variable), [variable], np.ones_like(y))[0]
        return np.zeros_like(y) if grad is None else np.asarray(grad, dtype=y.dtype)


# -- shared pieces --------------------------------------------------------------------------

def _value(x) -> np.ndarray:
    return np.asarray(x.value if isinstance(x, Tensor) else x)


def _project(x, kernel, bias, masks, go_backwards: bool, bias_row: int | None = None) -> Tensor:
    """`x @ kernel + bias` for all timesteps in one product, time-major (time, batch, columns).

    With dropout `masks` (gates, batch, features) the columns of gate g see `x * masks[g]`
    (one mask for all gates when `masks` has length 1). `bias_row` picks a row of a 2-D bias.
    """
    xv, k = _value(x), _value(kernel)
    batch, steps, features = xv.shape
    columns = k.shape[1]
    xt = xv.transpose(1, 0, 2)
    if go_backwards:
        xt = xt[::-1]
    flat = np.ascontiguousarray(xt).reshape(-1, features)
    if masks is None:
        out = flat @ k
    else:
        groups = masks.shape[0]
        k3 = k.reshape(features, groups, columns // groups).transpose(1, 0, 2)
        masked = flat.reshape(1, steps, batch, features) * masks[:, None]
        masked = masked.reshape(groups, -1, features)
        out = np.matmul(masked, k3).transpose(1, 0, 2).reshape(-1, columns)
    if bias is not None:
        b = _value(bias)
        out += b if bias_row is None else b[bias_row]
    out = out.reshape(steps, batch, columns)

    def vjp(g):
        g2 = g.reshape(-1, columns)
        gx = gk = gb = None
        if masks is None:
            if needs_grad(kernel):
                gk = flat.T @ g2
            if needs_grad(x):
                gx = g2 @ k.T
        else:
            g3 = g2.reshape(-1, groups, columns // groups).transpose(1, 0, 2)
            if needs_grad(kernel):
                gk = np.matmul(masked.transpose(0, 2, 1), g3).transpose(1, 0, 2).reshape(features, columns)
            if needs_grad(x):
                gm = np.matmul(g3, k3.transpose(0, 2, 1)).reshape(groups, steps, batch, features)
                gx = (gm * masks[:, None]).sum(axis=0)
        if gx is not None:
            gx = gx.reshape(steps, batch, features)
            if go_backwards:
                gx = gx[::-1]
            gx = gx.transpose(1, 0, 2)
        if bias is not None and needs_grad(bias):
            summed = g2.sum(axis=0)
            if bias_row is None:
                gb = summed
            else:
                gb = np.zeros_like(_value(bias), dtype=g.dtype)
                gb[bias_row] = summed
        return gx, gk, gb

    return make(out, (x, kernel, bias), vjp)


class _Recurrent:
    """`h @ R`; under recurrent dropout the columns of gate g see `h * masks[g]` instead."""

    def __init__(self, kernel: np.ndarray, masks: np.ndarray | None):
        self.kernel = kernel
        self.kernel_t = np.ascontiguousarray(kernel.T)
        self.masks = masks
        if masks is not None:
            groups = masks.shape[0]
            units, columns = kernel.shape
            self.split = columns // groups
            self.kernel3 = kernel.reshape(units, groups, self.split).transpose(1, 0, 2)

    def forward(self, h: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.masks is None:
            return np.matmul(h, self.kernel, out=out)
        product = np.matmul(h[None] * self.masks, self.kernel3)
        out[...] = product.transpose(1, 0, 2).reshape(h.shape[0], -1)
        return out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self.masks is None:
            return grad @ self.kernel_t
        g3 = grad.reshape(grad.shape[0], -1, self.split).transpose(1, 0, 2)
        return (np.matmul(g3, self.kernel3.transpose(0, 2, 1)) * self.masks).sum(axis=0)

    def weight_gradient(self, inputs: np.ndarray, grads: np.ndarray) -> np.ndarray:
        """Sum over all timesteps in one product: inputs (time, batch, units), grads (time, batch, columns)."""
        units, columns = self.kernel.shape
        if self.masks is None:
            return inputs.reshape(-1, units).T @ grads.reshape(-1, columns)
        masked = (inputs[None] * self.masks[:, None]).reshape(self.masks.shape[0], -1, units)
        g3 = grads.reshape(-1, self.masks.shape[0], self.split).transpose(1, 0, 2)
        return np.matmul(masked.transpose(0, 2, 1), g3).transpose(1, 0, 2).reshape(units, columns)


def _time_mask(mask, batch: int, steps: int, go_backwards: bool) -> np.ndarray | None:
    """A (batch, time) mask as time-major (time, batch, 1) booleans in processing order."""
    if mask is None:
        return None
    m = np.asarray(_value(mask)).astype(bool)
    if m.shape != (batch, steps):
        raise ValueError(f"The mask must have shape (batch, timesteps) = {(batch, steps)}; received {m.shape}.")
    m = m.T[:, :, None]
    return m[::-1] if go_backwards else m


def _carry(step_mask, new: np.ndarray, old: np.ndarray, out: np.ndarray) -> None:
    """out = new where the step is kept, old where it is masked."""
    np.copyto(out, np.where(step_mask, new, old))


def _unpack(packed: Tensor, steps: int, states: int, return_sequences: bool, tmask, zero_output_for_mask: bool):
    """Split the recurrence node (h_1..h_T, then extra final states) into Keras's outputs."""
    full = packed.value

    def part(index, value):
        def vjp(g):
            grad = np.zeros_like(full, dtype=g.dtype)
            if index is None:
                grad[:steps] = g.transpose(1, 0, 2)
            else:
                grad[index] = g
            return (grad,)
        return make(value, (packed,), vjp)

    last = part(steps - 1, full[steps - 1].copy())
    finals = [last] + [part(steps + k, full[steps + k].copy()) for k in range(states - 1)]
    if return_sequences:
        output = part(None, np.ascontiguousarray(full[:steps].transpose(1, 0, 2)))
        if zero_output_for_mask and tmask is not None:
            keep = tmask.transpose(1, 0, 2).astype(full.dtype)
            output = make(output.value * keep, (output,), lambda g: (g * keep,))
    else:
        output = last
        if zero_output_for_mask and tmask is not None:
            keep = tmask[-1].astype(full.dtype)
            output = make(last.value * keep, (last,), lambda g: (g * keep,))
    return output, finals


def _initial(state, batch: int, units: int, dtype):
    if state is None:
        return np.zeros((batch, units), dtype=dtype)
    return state


def _check_inputs(inputs) -> tuple[int, int]:
    shape = np.shape(_value(inputs))
    if len(shape) != 3:
        raise ValueError(f"Recurrent ops expect inputs of shape (batch, timesteps, features); received {shape}.")
    if shape[1] == 0:
        raise ValueError(f"Recurrent ops need at least one timestep; received inputs of shape {shape}.")
    return shape[0], shape[1]


# -- SimpleRNN --------------------------------------------------------------------------------

def simple_rnn(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
               go_backwards: bool = False, return_sequences: bool = False, mask=None,
               zero_output_for_mask: bool = False, dropout_mask=None, recurrent_dropout_mask=None):
    """`h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`; returns (output, [h])."""
    batch, steps = _check_inputs(inputs)
    xz = _project(inputs, kernel, bias, _masks(dropout_mask), go_backwards)
    units = _value(recurrent_kernel).shape[0]
    h0 = _initial(initial_state[0] if initial_state else None, batch, units, xz.dtype)
    tmask = _time_mask(mask, batch, steps, go_backwards)
    act = _Activation(activation)
    packed = _simple_rnn_node(xz, h0, recurrent_kernel, act, tmask, _masks(recurrent_dropout_mask))
    return _unpack(packed, steps, 1, return_sequences, tmask, zero_output_for_mask)


def _masks(mask) -> np.ndarray | None:
    """Dropout masks as (groups, batch, features): one (batch, features) mask becomes one group."""
    if mask is None:
        return None
    m = _value(mask)
    return m[None] if m.ndim == 2 else m


def _simple_rnn_node(xz: Tensor, h0, recurrent_kernel, act: _Activation, tmask, rmasks) -> Tensor:
    xzv, r = xz.value, _value(recurrent_kernel)
    steps, batch, units = xzv.shape
    dtype = xzv.dtype
    rec = _Recurrent(r, rmasks)
    hs = np.empty((steps + 1, batch, units), dtype)  # h_0 .. h_T
    hs[0] = _value(h0)
    pre = np.empty((steps, batch, units), dtype)
    new = hs[1:] if tmask is None else np.empty((steps, batch, units), dtype)
    for t in range(steps):
        z = rec.forward(hs[t], pre[t])
        z += xzv[t]
        act(z, new[t])
        if tmask is not None:
            _carry(tmask[t], new[t], hs[t], hs[t + 1])

    def vjp(g):
        deriv = act.derivative(pre if act.needs_input else None, new)
        dpre = np.empty_like(pre)
        dh_next = np.zeros((batch, units), dtype)
        for t in range(steps - 1, -1, -1):
            dh = g[t] + dh_next
            carried = None
            if tmask is not None:
                carried = np.where(tmask[t], 0, dh)
                dh = np.where(tmask[t], dh, 0)
            np.multiply(dh, deriv[t], out=dpre[t])
            dh_next = rec.backward(dpre[t])
            if carried is not None:
                dh_next += carried
        dr = rec.weight_gradient(hs[:steps], dpre) if needs_grad(recurrent_kernel) else None
        return dpre, dh_next, dr

    return make(hs[1:], (xz, h0, recurrent_kernel), vjp)


# -- LSTM -------------------------------------------------------------------------------------

def lstm(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
         recurrent_activation="sigmoid", go_backwards: bool = False, return_sequences: bool = False, mask=None,
         zero_output_for_mask: bool = False, dropout_mask=None, recurrent_dropout_mask=None):
    """Keras's LSTM (gates i, f, c, o in the kernel's columns); returns (output, [h, c])."""
    batch, steps = _check_inputs(inputs)
    xz = _project(inputs, kernel, bias, _masks(dropout_mask), go_backwards)
    units = _value(recurrent_kernel).shape[0]
    initial_state = list(initial_state or [None, None])
    h0 = _initial(initial_state[0], batch, units, xz.dtype)
    c0 = _initial(initial_state[1], batch, units, xz.dtype)
    tmask = _time_mask(mask, batch, steps, go_backwards)
    packed = _lstm_node(xz, h0, c0, recurrent_kernel, _Activation(activation), _Activation(recurrent_activation),
                        tmask, _masks(recurrent_dropout_mask))
    return _unpack(packed, steps, 2, return_sequences, tmask, zero_output_for_mask)


def _lstm_node(xz: Tensor, h0, c0, recurrent_kernel, act: _Activation, ract: _Activation, tmask, rmasks) -> Tensor:
    xzv, r = xz.value, _value(recurrent_kernel)
    steps, batch, columns = xzv.shape
    u = columns // 4
    dtype = xzv.dtype
    rec = _Recurrent(r, rmasks)
    out = np.empty((steps + 2, batch, u), dtype)  # h_0, h_1 .. h_T, c_T: the node's value is out[1:]
    out[0] = _value(h0)
    cs = np.empty((steps + 1, batch, u), dtype)  # carried cell states c_0 .. c_T
    cs[0] = _value(c0)
    gates = np.empty((steps, batch, columns), dtype)  # i, f, c~, o after their activations
    keep_pre = act.needs_input or ract.needs_input
    pre = np.empty_like(gates) if keep_pre else None
    c_new = cs[1:] if tmask is None else np.empty((steps, batch, u), dtype)
    c_act = np.empty((steps, batch, u), dtype)  # activation(c_new)
    fast = act.name == "tanh" and ract.name == "sigmoid"
    if fast:
        # sigmoid(z) = 0.5 tanh(z/2) + 0.5: scale the sigmoid columns by 1/2 once, then one tanh per step
        half = np.full(columns, 0.5, dtype)
        half[2 * u:3 * u] = 1
        offset = np.full(columns, 0.5, dtype)
        offset[2 * u:3 * u] = 0
        rec_scaled = _Recurrent(r * half, rmasks)
        xz_scaled = xzv * half
    h_new = np.empty((batch, u), dtype)
    for t in range(steps):
        a = gates[t]
        if fast:
            rec_scaled.forward(out[t], a)
            a += xz_scaled[t]
            np.tanh(a, out=a)
            a *= half
            a += offset
        else:
            z = pre[t] if keep_pre else a
            rec.forward(out[t], z)
            z += xzv[t]
            ract(z[:, :2 * u], a[:, :2 * u])
            act(z[:, 2 * u:3 * u], a[:, 2 * u:3 * u])
            ract(z[:, 3 * u:], a[:, 3 * u:])
        i, f, g, o = a[:, :u], a[:, u:2 * u], a[:, 2 * u:3 * u], a[:, 3 * u:]
        cn = c_new[t]
        np.multiply(f, cs[t], out=cn)
        cn += i * g
        act(cn, c_act[t])
        if tmask is None:
            np.multiply(o, c_act[t], out=out[t + 1])
        else:
            np.multiply(o, c_act[t], out=h_new)
            _carry(tmask[t], h_new, out[t], out[t + 1])
            _carry(tmask[t], cn, cs[t], cs[t + 1])
    out[steps + 1] = cs[steps]

    def vjp(grad):
        # everything that does not depend on the incoming gradient, for all timesteps at once
        dgate = np.empty_like(gates)
        z = pre if keep_pre else None
        dgate[..., :2 * u] = ract.derivative(None if z is None else z[..., :2 * u], gates[..., :2 * u])
        dgate[..., 2 * u:3 * u] = act.derivative(None if z is None else z[..., 2 * u:3 * u], gates[..., 2 * u:3 * u])
        dgate[..., 3 * u:] = ract.derivative(None if z is None else z[..., 3 * u:], gates[..., 3 * u:])
        factor = np.empty_like(gates)  # d gate-input / d(dc or dh), times the gate derivative
        factor[..., :u] = gates[..., 2 * u:3 * u]
        factor[..., u:2 * u] = cs[:steps]
        factor[..., 2 * u:3 * u] = gates[..., :u]
        factor[..., 3 * u:] = c_act
        factor *= dgate
        factor3 = factor.reshape(steps, batch, 4, u)
        dc_from_h = gates[..., 3 * u:] * act.derivative(c_new if act.needs_input else None, c_act)
        forget = gates[..., u:2 * u]

        dz = np.empty_like(gates)
        dz3 = dz.reshape(steps, batch, 4, u)
        dh_next = np.zeros((batch, u), dtype)
        dc_next = np.array(grad[steps], dtype=dtype)
        for t in range(steps - 1, -1, -1):
            dh = grad[t] + dh_next
            carry_h = carry_c = None
            if tmask is not None:
                m = tmask[t]
                carry_h, carry_c = np.where(m, 0, dh), np.where(m, 0, dc_next)
                dh, dc_next = np.where(m, dh, 0), np.where(m, dc_next, 0)
            dc = dh * dc_from_h[t]
            dc += dc_next
            np.multiply(factor3[t, :, :3], dc[:, None, :], out=dz3[t, :, :3])
            np.multiply(factor3[t, :, 3], dh, out=dz3[t, :, 3])
            dc_next = dc * forget[t]
            dh_next = rec.backward(dz[t])
            if carry_h is not None:
                dh_next += carry_h
                dc_next += carry_c
        dr = rec.weight_gradient(out[:steps], dz) if needs_grad(recurrent_kernel) else None
        return dz, dh_next, dc_next, dr

    return make(out[1:], (xz, h0, c0, recurrent_kernel), vjp)


# -- GRU --------------------------------------------------------------------------------------

def gru(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
        recurrent_activation="sigmoid", reset_after: bool = True, go_backwards: bool = False,
        return_sequences: bool = False, mask=None, zero_output_for_mask: bool = False, dropout_mask=None,
        recurrent_dropout_mask=None):
    """Keras's GRU (gates z, r, h); `reset_after` applies the reset gate after the recurrent product and
    takes a bias of shape (2, 3 * units): input bias, recurrent bias. Returns (output, [h])."""
    batch, steps = _check_inputs(inputs)
    with_rows = bias is not None and reset_after
    xz = _project(inputs, kernel, bias, _masks(dropout_mask), go_backwards, 0 if with_rows else None)
    units = _value(recurrent_kernel).shape[0]
    h0 = _initial(initial_state[0] if initial_state else None, batch, units, xz.dtype)
    tmask = _time_mask(mask, batch, steps, go_backwards)
    act, ract = _Activation(activation), _Activation(recurrent_activation)
    rmasks = _masks(recurrent_dropout_mask)
    if reset_after:
        packed = _gru_after_node(xz, h0, recurrent_kernel, bias if with_rows else None, act, ract, tmask, rmasks)
    else:
        packed = _gru_before_node(xz, h0, recurrent_kernel, act, ract, tmask, rmasks)
    return _unpack(packed, steps, 1, return_sequences, tmask, zero_output_for_mask)


def _gru_after_node(xz: Tensor, h0, recurrent_kernel, bias, act, ract, tmask, rmasks) -> Tensor:
    """reset_after=True: hh = act(x_h + r * (h @ R_h + b_h))."""
    xzv, r_kernel = xz.value, _value(recurrent_kernel)
    steps, batch, columns = xzv.shape
    u = columns // 3
    dtype = xzv.dtype
    rec = _Recurrent(r_kernel, rmasks)
    rec_bias = None if bias is None else _value(bias)[1]
    hs = np.empty((steps + 1, batch, u), dtype)
    hs[0] = _value(h0)
    recs = np.empty((steps, batch, columns), dtype)  # h @ R (+ recurrent bias)
    zr = np.empty((steps, batch, 2 * u), dtype)
    zr_pre = np.empty_like(zr) if ract.needs_input else None
    hh = np.empty((steps, batch, u), dtype)
    hh_pre = np.empty_like(hh) if act.needs_input else None
    h_new = np.empty((batch, u), dtype)
    for t in range(steps):
        rc = rec.forward(hs[t], recs[t])
        if rec_bias is not None:
            rc += rec_bias
        pre = np.add(xzv[t, :, :2 * u], rc[:, :2 * u], out=zr_pre[t] if zr_pre is not None else zr[t])
        ract(pre, zr[t])
        a = zr[t, :, u:] * rc[:, 2 * u:]
        a += xzv[t, :, 2 * u:]
        if hh_pre is not None:
            hh_pre[t] = a
        act(a, hh[t])
        target = hs[t + 1] if tmask is None else h_new
        np.subtract(hs[t], hh[t], out=target)
        target *= zr[t, :, :u]
        target += hh[t]
        if tmask is not None:
            _carry(tmask[t], h_new, hs[t], hs[t + 1])

    def vjp(grad):
        dzr = ract.derivative(zr_pre, zr)
        z, r = zr[..., :u], zr[..., u:]
        factor_z = (hs[:steps] - hh) * dzr[..., :u]
        factor_h = (1 - z) * act.derivative(hh_pre, hh)
        factor_r = recs[..., 2 * u:] * dzr[..., u:]
        dx = np.empty_like(recs)  # gradient w.r.t. the input projection
        drec = np.empty_like(recs)  # ... and w.r.t. the recurrent product
        dh_next = np.zeros((batch, u), dtype)
        for t in range(steps - 1, -1, -1):
            dh = grad[t] + dh_next
            carried = None
            if tmask is not None:
                carried = np.where(tmask[t], 0, dh)
                dh = np.where(tmask[t], dh, 0)
            np.multiply(dh, factor_z[t], out=dx[t, :, :u])
            da = np.multiply(dh, factor_h[t], out=dx[t, :, 2 * u:])
            np.multiply(da, factor_r[t], out=dx[t, :, u:2 * u])
            drec[t, :, :2 * u] = dx[t, :, :2 * u]
            np.multiply(da, r[t], out=drec[t, :, 2 * u:])
            dh_next = rec.backward(drec[t])
            dh_next += dh * z[t]
            if carried is not None:
                dh_next += carried
        dr = rec.weight_gradient(hs[:steps], drec) if needs_grad(recurrent_kernel) else None
        db = None
        if bias is not None and needs_grad(bias):
            db = np.zeros_like(_value(bias), dtype=dtype)
            db[1] = drec.sum(axis=(0, 1))
        return dx, dh_next, dr, db

    return make(hs[1:], (xz, h0, recurrent_kernel, bias), vjp)


def _gru_before_node(xz: Tensor, h0, recurrent_kernel, act, ract, tmask, rmasks) -> Tensor:
    """reset_after=False: hh = act(x_h + (r * h) @ R_h)."""
    xzv, r_kernel = xz.value, _value(recurrent_kernel)
    steps, batch, columns = xzv.shape
    u = columns // 3
    dtype = xzv.dtype
    gate_masks = h_masks = None
    if rmasks is not None:
        gate_masks = rmasks[:2] if rmasks.shape[0] == 3 else rmasks
        h_masks = rmasks[2:] if rmasks.shape[0] == 3 else rmasks
    rec_zr = _Recurrent(np.ascontiguousarray(r_kernel[:, :2 * u]), gate_masks)
    rec_h = _Recurrent(np.ascontiguousarray(r_kernel[:, 2 * u:]), h_masks)
    hs = np.empty((steps + 1, batch, u), dtype)
    hs[0] = _value(h0)
    zr = np.empty((steps, batch, 2 * u), dtype)
    zr_pre = np.empty_like(zr) if ract.needs_input else None
    rh = np.empty((steps, batch, u), dtype)  # r * h_{t-1}
    hh = np.empty((steps, batch, u), dtype)
    hh_pre = np.empty_like(hh) if act.needs_input else None
    h_new = np.empty((batch, u), dtype)
    scratch = np.empty((batch, u), dtype)
    for t in range(steps):
        pre = rec_zr.forward(hs[t], zr_pre[t] if zr_pre is not None else zr[t])
        pre += xzv[t, :, :2 * u]
        ract(pre, zr[t])
        np.multiply(zr[t, :, u:], hs[t], out=rh[t])
        a = rec_h.forward(rh[t], hh_pre[t] if hh_pre is not None else scratch)
        a += xzv[t, :, 2 * u:]
        act(a, hh[t])
        target = hs[t + 1] if tmask is None else h_new
        np.subtract(hs[t], hh[t], out=target)
        target *= zr[t, :, :u]
        target += hh[t]
        if tmask is not None:
            _carry(tmask[t], h_new, hs[t], hs[t + 1])

    def vjp(grad):
        dzr = ract.derivative(zr_pre, zr)
        z, r = zr[..., :u], zr[..., u:]
        factor_z = (hs[:steps] - hh) * dzr[..., :u]
        factor_h = (1 - z) * act.derivative(hh_pre, hh)
        factor_r = hs[:steps] * dzr[..., u:]
        dx = np.empty((steps, batch, columns), dtype)
        dh_next = np.zeros((batch, u), dtype)
        for t in range(steps - 1, -1, -1):
            dh = grad[t] + dh_next
            carried = None
            if tmask is not None:
                carried = np.where(tmask[t], 0, dh)
                dh = np.where(tmask[t], dh, 0)
            np.multiply(dh, factor_z[t], out=dx[t, :, :u])
            da = np.multiply(dh, factor_h[t], out=dx[t, :, 2 * u:])
            drh = rec_h.backward(da)
            np.multiply(drh, factor_r[t], out=dx[t, :, u:2 * u])
            dh_next = rec_zr.backward(dx[t, :, :2 * u])
            dh_next += dh * z[t]
            dh_next += drh * r[t]
            if carried is not None:
                dh_next += carried
        dr = None
        if needs_grad(recurrent_kernel):
            dr = np.concatenate([rec_zr.weight_gradient(hs[:steps], dx[..., :2 * u]),
                                 rec_h.weight_gradient(rh, dx[..., 2 * u:])], axis=1)
        return dx, dh_next, dr

    return make(hs[1:], (xz, h0, recurrent_kernel), vjp)
