"""Fused recurrent sequence ops (SimpleRNN, LSTM, GRU) with hand-written backpropagation through time.

Each op is one recorded node. The input projection `x @ kernel + bias` is computed for all timesteps
before the loop, and its gradients after the loop; only the recurrent part runs step by step in
Python. The recurrent-kernel gradient comes after the loop too, from all timesteps at once.
Inside a node every array is feature-major, (time, features, batch): each gate of a step is then one
contiguous block, which keeps the many small per-step NumPy operations fast. Inputs and outputs
are batch-major, as in Keras.

The maths follows Keras 3's cells: LSTM gates i, f, c, o; GRU gates z, r, h, with `reset_after`
either way. Dropout masks are the same at every timestep, one per gate when several are given, as
Keras's cells apply them. A `mask` (batch, time) carries the state unchanged through masked steps.
Each op returns `(output, states)`: the last output `(batch, units)` or the whole sequence
`(batch, time, units)` (in processing order when `go_backwards`, as Keras returns it), and the
final states. Activations must be elementwise.
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


def _grouped(matrix: np.ndarray, groups: int) -> np.ndarray:
    """(rows, groups * n) -> (groups, rows, n): the column block of each gate."""
    rows, columns = matrix.shape
    return matrix.reshape(rows, groups, columns // groups).transpose(1, 0, 2)


class _Projection:
    """`x @ kernel + bias` for all timesteps before the loop, feature-major (time, columns, batch).

    Dropout `masks` (groups, features, batch): the columns of gate g see `x * masks[g]` (all gates
    one mask when there is one group). `scale` multiplies the result's columns (the LSTM's fast path).
    """

    def __init__(self, x, kernel, bias, masks, go_backwards: bool, scale: np.ndarray | None = None,
                 kernel_value: np.ndarray | None = None):
        xv = _value(x)
        k = _value(kernel) if kernel_value is None else kernel_value
        self.need_x, self.need_kernel = needs_grad(x), needs_grad(kernel)
        self.masks, self.go_backwards = masks, go_backwards
        xt = xv.transpose(1, 2, 0)  # (time, features, batch)
        self.xt = np.ascontiguousarray(xt[::-1] if go_backwards else xt)
        self.k = k
        k_used = k * scale if scale is not None else k
        if masks is None:
            out = np.matmul(k_used.T, self.xt)
        else:
            groups = masks.shape[0]
            self.xm = self.xt[None] * masks[:, None]  # (groups, time, features, batch)
            kt = _grouped(k_used, groups).transpose(0, 2, 1)  # (groups, n, features)
            out = np.matmul(kt[:, None], self.xm)  # (groups, time, n, batch)
            out = out.transpose(1, 0, 2, 3).reshape(self.xt.shape[0], -1, self.xt.shape[2])
        if bias is not None:
            b = bias * scale if scale is not None else bias
            out += b[:, None]
        self.out = out

    def backward(self, dz: np.ndarray) -> tuple:
        """Gradients (x, kernel, bias sum) from dz (time, columns, batch), the gradient of the unscaled result."""
        gx = gk = None
        if self.masks is None:
            if self.need_kernel:
                gk = np.matmul(self.xt, dz.transpose(0, 2, 1)).sum(axis=0)
            if self.need_x:
                gx = np.matmul(self.k, dz)
        else:
            groups = self.masks.shape[0]
            steps, columns, batch = dz.shape
            dz4 = dz.reshape(steps, groups, columns // groups, batch).transpose(1, 0, 2, 3)
            if self.need_kernel:
                gk = np.matmul(self.xm, dz4.transpose(0, 1, 3, 2)).sum(axis=1)  # (groups, features, n)
                gk = gk.transpose(1, 0, 2).reshape(self.k.shape)
            if self.need_x:
                gx = (np.matmul(_grouped(self.k, groups)[:, None], dz4) * self.masks[:, None]).sum(axis=0)
        if gx is not None:
            gx = (gx[::-1] if self.go_backwards else gx).transpose(2, 0, 1)
        return gx, gk, dz.sum(axis=(0, 2))


class _Recurrent:
    """`R^T h` for a feature-major state h (units, batch); under recurrent dropout the columns of gate g
    see `h * masks[g]` instead (masks (groups, units, batch))."""

    def __init__(self, kernel: np.ndarray, masks: np.ndarray | None):
        self.kernel, self.masks = kernel, masks
        self.kernel_t = np.ascontiguousarray(kernel.T)
        if masks is not None:
            self.groups = masks.shape[0]
            self.grouped = _grouped(kernel, self.groups)  # (groups, units, n)
            self.grouped_t = np.ascontiguousarray(self.grouped.transpose(0, 2, 1))

    def forward(self, h: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.masks is None:
            return np.matmul(self.kernel_t, h, out=out)
        np.matmul(self.grouped_t, h[None] * self.masks, out=out.reshape(self.groups, -1, h.shape[1]))
        return out

    def backward(self, dz: np.ndarray) -> np.ndarray:
        if self.masks is None:
            return self.kernel @ dz
        dz3 = dz.reshape(self.groups, -1, dz.shape[1])
        return (np.matmul(self.grouped, dz3) * self.masks).sum(axis=0)

    def weight_gradient(self, inputs: np.ndarray, dz: np.ndarray) -> np.ndarray:
        """Sum over all timesteps: inputs (time, units, batch), dz (time, columns, batch)."""
        if self.masks is None:
            return np.matmul(inputs, dz.transpose(0, 2, 1)).sum(axis=0)
        steps, columns, batch = dz.shape
        masked = inputs[None] * self.masks[:, None]  # (groups, time, units, batch)
        dz4 = dz.reshape(steps, self.groups, columns // self.groups, batch).transpose(1, 0, 3, 2)
        grad = np.matmul(masked, dz4).sum(axis=1)  # (groups, units, n)
        return grad.transpose(1, 0, 2).reshape(self.kernel.shape)


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


def _unpack(packed: Tensor, steps: int, states: int, return_sequences: bool, tmask, zero_output_for_mask: bool):
    """Split a node's value (h_1..h_T, then the other final states; feature-major) into Keras's outputs."""
    full = packed.value

    def state(index: int) -> Tensor:
        def vjp(g):
            grad = np.zeros_like(full, dtype=g.dtype)
            grad[index] = g.T
            return (grad,)
        return make(np.ascontiguousarray(full[index].T), (packed,), vjp)

    def sequence() -> Tensor:
        def vjp(g):
            grad = np.zeros_like(full, dtype=g.dtype)
            grad[:steps] = g.transpose(1, 2, 0)
            return (grad,)
        return make(np.ascontiguousarray(full[:steps].transpose(2, 0, 1)), (packed,), vjp)

    finals = [state(steps - 1)] + [state(steps + k) for k in range(states - 1)]
    output = sequence() if return_sequences else finals[0]
    if zero_output_for_mask and tmask is not None:
        keep = (tmask[:, 0, :].T[:, :, None] if return_sequences else tmask[-1].T).astype(full.dtype)
        output = make(output.value * keep, (output,), lambda g: (g * keep,))
    return output, finals


def _prepare(inputs, initial_state, recurrent_kernel, mask, go_backwards, count: int):
    """Shapes, initial states (feature-major) and the time mask every op starts with."""
    batch, steps = _check_inputs(inputs)
    units = _value(recurrent_kernel).shape[0]
    dtype = np.result_type(_value(inputs).dtype, _value(recurrent_kernel).dtype)
    given = list(initial_state) if initial_state else []
    given += [None] * (count - len(given))
    states = [_initial(s, batch, units, dtype) for s in given[:count]]
    return batch, steps, units, dtype, states, _time_mask(mask, batch, steps, go_backwards)


# -- SimpleRNN --------------------------------------------------------------------------------

def simple_rnn(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
               go_backwards: bool = False, return_sequences: bool = False, mask=None,
               zero_output_for_mask: bool = False, dropout_mask=None, recurrent_dropout_mask=None):
    """`h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`; returns (output, [h])."""
    batch, steps, units, dtype, (h0,), tmask = _prepare(inputs, initial_state, recurrent_kernel, mask,
                                                         go_backwards, 1)
    initial = initial_state[0] if initial_state else None
    act = _Activation(activation)
    proj = _Projection(inputs, kernel, _value(bias), _dropout_masks(dropout_mask), go_backwards)
    rec = _Recurrent(_value(recurrent_kernel), _dropout_masks(recurrent_dropout_mask))
    hs = np.empty((steps + 1, units, batch), dtype)  # h_0 .. h_T
    hs[0] = h0
    pre = proj.out  # becomes x_t @ W + h_{t-1} @ R + b, step by step
    new = hs[1:] if tmask is None else np.empty((steps, units, batch), dtype)
    scratch = np.empty((units, batch), dtype)
    for t in range(steps):
        z = pre[t]
        z += rec.forward(hs[t], scratch)
        act(z, new[t])
        if tmask is not None:
            np.copyto(hs[t + 1], np.where(tmask[t], new[t], hs[t]))

    def vjp(grad):
        deriv = act.derivative(pre if act.needs_input else None, new)
        dpre = np.empty_like(new)
        dh_next = np.zeros((units, batch), dtype)
        for t in range(steps - 1, -1, -1):
            dh = grad[t] + dh_next
            carried = None
            if tmask is not None:
                dh, carried = _masked_gradient(tmask[t], dh)
            np.multiply(dh, deriv[t], out=dpre[t])
            dh_next = rec.backward(dpre[t])
            if carried is not None:
                dh_next += carried
        gx, gk, gb = proj.backward(dpre)
        gr = rec.weight_gradient(hs[:steps], dpre) if needs_grad(recurrent_kernel) else None
        return gx, gk, gb if bias is not None else None, dh_next.T, gr

    packed = make(hs[1:], (inputs, kernel, bias, initial, recurrent_kernel), vjp)
    return _unpack(packed, steps, 1, return_sequences, tmask, zero_output_for_mask)


# -- LSTM -------------------------------------------------------------------------------------

def lstm(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
         recurrent_activation="sigmoid", go_backwards: bool = False, return_sequences: bool = False, mask=None,
         zero_output_for_mask: bool = False, dropout_mask=None, recurrent_dropout_mask=None):
    """Keras's LSTM (gates i, f, c, o in the kernel's columns); returns (output, [h, c])."""
    batch, steps, u, dtype, (h0, c0), tmask = _prepare(inputs, initial_state, recurrent_kernel, mask,
                                                        go_backwards, 2)
    initials = list(initial_state or []) + [None, None]
    act, ract = _Activation(activation), _Activation(recurrent_activation)
    # internally the gates are ordered i, f, o, c: the three sigmoid gates form one block
    order = np.r_[0:2 * u, 3 * u:4 * u, 2 * u:3 * u]
    back = np.argsort(order)
    dmasks, rmasks = _dropout_masks(dropout_mask), _dropout_masks(recurrent_dropout_mask)
    if dmasks is not None and dmasks.shape[0] == 4:
        dmasks = dmasks[[0, 1, 3, 2]]
    if rmasks is not None and rmasks.shape[0] == 4:
        rmasks = rmasks[[0, 1, 3, 2]]
    fast = act.name == "tanh" and ract.name == "sigmoid"
    # fast path: sigmoid(z) = 0.5 tanh(z / 2) + 0.5, so one tanh per step covers all four gates
    scale = np.r_[np.full(3 * u, 0.5, dtype), np.ones(u, dtype)].astype(dtype) if fast else None
    k = _value(kernel)[:, order]
    b = None if bias is None else _value(bias)[order]
    r = _value(recurrent_kernel)[:, order]
    proj = _Projection(inputs, kernel, b, dmasks, go_backwards, scale, kernel_value=k)
    rec = _Recurrent(r, rmasks)
    rec_step = _Recurrent(r * scale, rmasks) if fast else rec

    out = np.empty((steps + 2, u, batch), dtype)  # h_0, h_1 .. h_T, c_T: the node's value is out[1:]
    out[0] = h0
    cs = np.empty((steps + 1, u, batch), dtype)  # carried cell states c_0 .. c_T
    cs[0] = c0
    gates = proj.out  # (time, 4u, batch): i, f, o, c~ after their activations, step by step
    keep_pre = act.needs_input or ract.needs_input
    pre = np.empty_like(gates) if keep_pre else None
    c_new = cs[1:] if tmask is None else np.empty((steps, u, batch), dtype)
    c_act = np.empty((steps, u, batch), dtype)  # activation(c_new)
    scratch = np.empty((4 * u, batch), dtype)
    h_new = np.empty((u, batch), dtype)
    for t in range(steps):
        a = gates[t]
        a += rec_step.forward(out[t], scratch)
        if fast:
            np.tanh(a, out=a)
            sig = a[:3 * u]
            sig *= 0.5
            sig += 0.5
        else:
            if keep_pre:
                pre[t] = a
            ract(a[:3 * u], a[:3 * u])
            act(a[3 * u:], a[3 * u:])
        i, f, o, g = a[:u], a[u:2 * u], a[2 * u:3 * u], a[3 * u:]
        cn = c_new[t]
        np.multiply(f, cs[t], out=cn)
        cn += i * g
        act(cn, c_act[t])
        if tmask is None:
            np.multiply(o, c_act[t], out=out[t + 1])
        else:
            np.multiply(o, c_act[t], out=h_new)
            np.copyto(out[t + 1], np.where(tmask[t], h_new, out[t]))
            np.copyto(cs[t + 1], np.where(tmask[t], cn, cs[t]))
    out[steps + 1] = cs[steps]

    def vjp(grad):
        dz = np.empty_like(gates)
        dgate = np.empty((4 * u, batch), dtype)
        factor = np.empty((4 * u, batch), dtype)
        dh_next = np.zeros((u, batch), dtype)
        dc_next = np.array(grad[steps], dtype=dtype)
        for t in range(steps - 1, -1, -1):
            a = gates[t]
            i, f, o, g = a[:u], a[u:2 * u], a[2 * u:3 * u], a[3 * u:]
            dh = grad[t] + dh_next
            carry_h = carry_c = None
            if tmask is not None:
                dh, carry_h = _masked_gradient(tmask[t], dh)
                dc_next, carry_c = _masked_gradient(tmask[t], dc_next)
            if fast:
                np.multiply(a, a, out=dgate)
                np.subtract(a[:3 * u], dgate[:3 * u], out=dgate[:3 * u])  # y - y^2 for the sigmoids
                np.subtract(1, dgate[3 * u:], out=dgate[3 * u:])  # 1 - y^2 for tanh
                dc = c_act[t] * c_act[t]
                np.subtract(1, dc, out=dc)
            else:
                z = pre[t] if keep_pre else None
                dgate[:3 * u] = ract.derivative(None if z is None else z[:3 * u], a[:3 * u])
                dgate[3 * u:] = act.derivative(None if z is None else z[3 * u:], a[3 * u:])
                dc = act.derivative(c_new[t] if act.needs_input else None, c_act[t])
            dc *= o
            dc *= dh
            dc += dc_next
            np.multiply(dc, g, out=factor[:u])
            np.multiply(dc, cs[t], out=factor[u:2 * u])
            np.multiply(dh, c_act[t], out=factor[2 * u:3 * u])
            np.multiply(dc, i, out=factor[3 * u:])
            np.multiply(factor, dgate, out=dz[t])
            dc_next = dc * f
            dh_next = rec.backward(dz[t])
            if carry_h is not None:
                dh_next += carry_h
                dc_next += carry_c
        gx, gk, gb = proj.backward(dz)
        gk = None if gk is None else gk[:, back]
        gb = None if bias is None else gb[back]
        gr = rec.weight_gradient(out[:steps], dz)[:, back] if needs_grad(recurrent_kernel) else None
        return gx, gk, gb, dh_next.T, dc_next.T, gr

    packed = make(out[1:], (inputs, kernel, bias, initials[0], initials[1], recurrent_kernel), vjp)
    return _unpack(packed, steps, 2, return_sequences, tmask, zero_output_for_mask)


# -- GRU --------------------------------------------------------------------------------------

def gru(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation="tanh",
        recurrent_activation="sigmoid", reset_after: bool = True, go_backwards: bool = False,
        return_sequences: bool = False, mask=None, zero_output_for_mask: bool = False, dropout_mask=None,
        recurrent_dropout_mask=None):
    """Keras's GRU (gates z, r, h); `reset_after` applies the reset gate after the recurrent product and
    takes a bias of shape (2, 3 * units): input bias, recurrent bias. Returns (output, [h])."""
    batch, steps, u, dtype, (h0,), tmask = _prepare(inputs, initial_state, recurrent_kernel, mask, go_backwards, 1)
    initial = initial_state[0] if initial_state else None
    act, ract = _Activation(activation), _Activation(recurrent_activation)
    b = _value(bias)
    input_bias = b if b is None or not reset_after else b[0]
    proj = _Projection(inputs, kernel, input_bias, _dropout_masks(dropout_mask), go_backwards)
    rmasks = _dropout_masks(recurrent_dropout_mask)
    r = _value(recurrent_kernel)
    hs = np.empty((steps + 1, u, batch), dtype)
    hs[0] = h0
    xz = proj.out
    zr = np.empty((steps, 2 * u, batch), dtype)
    zr_pre = np.empty_like(zr) if ract.needs_input else None
    hh = np.empty((steps, u, batch), dtype)
    hh_pre = np.empty_like(hh) if act.needs_input else None
    h_new = np.empty((u, batch), dtype)
    if reset_after:
        rec = _Recurrent(r, rmasks)
        rec_bias = None if b is None else np.ascontiguousarray(np.broadcast_to(b[1][:, None], (3 * u, batch)))
        recs = np.empty((steps, 3 * u, batch), dtype)  # h @ R (+ recurrent bias)
    else:
        gate_masks = h_masks = rmasks
        if rmasks is not None and rmasks.shape[0] == 3:
            gate_masks, h_masks = rmasks[:2], rmasks[2:]
        rec_zr = _Recurrent(np.ascontiguousarray(r[:, :2 * u]), gate_masks)
        rec_h = _Recurrent(np.ascontiguousarray(r[:, 2 * u:]), h_masks)
        rh = np.empty((steps, u, batch), dtype)  # r * h_{t-1}
        scratch = np.empty((u, batch), dtype)
    for t in range(steps):
        h = hs[t]
        if reset_after:
            rc = rec.forward(h, recs[t])
            if rec_bias is not None:
                rc += rec_bias
            pre = np.add(xz[t, :2 * u], rc[:2 * u], out=zr_pre[t] if zr_pre is not None else zr[t])
            ract(pre, zr[t])
            a = zr[t, u:] * rc[2 * u:]
        else:
            pre = rec_zr.forward(h, zr_pre[t] if zr_pre is not None else zr[t])
            pre += xz[t, :2 * u]
            ract(pre, zr[t])
            np.multiply(zr[t, u:], h, out=rh[t])
            a = rec_h.forward(rh[t], scratch)
        a += xz[t, 2 * u:]
        if hh_pre is not None:
            hh_pre[t] = a
        act(a, hh[t])
        target = hs[t + 1] if tmask is None else h_new
        np.subtract(h, hh[t], out=target)
        target *= zr[t, :u]
        target += hh[t]
        if tmask is not None:
            np.copyto(hs[t + 1], np.where(tmask[t], h_new, h))

    def vjp(grad):
        dzr = ract.derivative(zr_pre, zr)
        z, rg = zr[:, :u], zr[:, u:]
        factor_z = (hs[:steps] - hh) * dzr[:, :u]
        factor_h = (1 - z) * act.derivative(hh_pre, hh)
        factor_r = (recs[:, 2 * u:] if reset_after else hs[:steps]) * dzr[:, u:]
        dx = np.empty((steps, 3 * u, batch), dtype)  # gradient w.r.t. the input projection
        drec = np.empty_like(dx) if reset_after else None  # ... and w.r.t. h @ R (reset_after)
        dh_next = np.zeros((u, batch), dtype)
        for t in range(steps - 1, -1, -1):
            dh = grad[t] + dh_next
            carried = None
            if tmask is not None:
                dh, carried = _masked_gradient(tmask[t], dh)
            np.multiply(dh, factor_z[t], out=dx[t, :u])
            da = np.multiply(dh, factor_h[t], out=dx[t, 2 * u:])
            if reset_after:
                np.multiply(da, factor_r[t], out=dx[t, u:2 * u])
                drec[t, :2 * u] = dx[t, :2 * u]
                np.multiply(da, rg[t], out=drec[t, 2 * u:])
                dh_next = rec.backward(drec[t])
            else:
                drh = rec_h.backward(da)
                np.multiply(drh, factor_r[t], out=dx[t, u:2 * u])
                dh_next = rec_zr.backward(dx[t, :2 * u])
                drh *= rg[t]
                dh_next += drh
            dh *= z[t]
            dh_next += dh
            if carried is not None:
                dh_next += carried
        gx, gk, gb = proj.backward(dx)
        gr = None
        if needs_grad(recurrent_kernel):
            if reset_after:
                gr = rec.weight_gradient(hs[:steps], drec)
            else:
                gr = np.concatenate([rec_zr.weight_gradient(hs[:steps], dx[:, :2 * u]),
                                     rec_h.weight_gradient(rh, dx[:, 2 * u:])], axis=1)
        if bias is None:
            gb = None
        elif reset_after:
            gb = np.stack([gb, drec.sum(axis=(0, 2))])
        return gx, gk, gb, dh_next.T, gr

    packed = make(hs[1:], (inputs, kernel, bias, initial, recurrent_kernel), vjp)
    return _unpack(packed, steps, 1, return_sequences, tmask, zero_output_for_mask)
