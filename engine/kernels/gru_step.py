"""One GRU timestep's elementwise work in one pass each way (engine/ops/rnn.py runs the products and the
activations around them).

The arrays are feature-major, as the op keeps them: each step's product `ext` (time, columns, batch) with
the columns z, r, the candidate's input part and (with `reset_after`) its recurrent part, z and r after
their activations; candidates (time, units, batch); outputs h (units, time + 1, batch). Each kernel covers
timestep `t` for the batch columns `lo:hi`, so that threads can take a slice each. `keep` (time, batch) is
the time mask (None: every step counts). A parameter given as None is left out when Numba compiles the
kernel. The batch index runs unsigned, so that Numba leaves out the negative-index check that would stop
the innermost loop from being vectorized.
"""

from __future__ import annotations

import numpy as np

from engine.kernels import kernel

__all__ = ["gru_gates", "gru_output", "gru_step_backward", "gru_reset_backward"]


@kernel
def gru_gates(ext, h, candidates, reset_states, h_mask, t, lo, hi, half):
    """The reset gate applied, before the candidate's activation.

    `half` None: z and r hold their activations already; otherwise tanh(z / 2), turned into sigmoids here
    (sigmoid(z) = tanh(z / 2) / 2 + 1 / 2, `half` = 1 / 2 in the arrays' dtype) and stored back. With
    `reset_states` None (reset after the product): candidates[t] = r * recurrent part + input part. Else
    (reset before): reset_states[:, t] = r * h_t (times `h_mask`, the recurrent dropout of that product).
    """
    units = candidates.shape[1]
    for r in range(units):
        for b in range(np.uint64(lo), np.uint64(hi)):
            reset = ext[t, units + r, b]
            if half is not None:
                ext[t, r, b] = half * ext[t, r, b] + half
                reset = half * reset + half
                ext[t, units + r, b] = reset
            if reset_states is None:
                candidates[t, r, b] = reset * ext[t, 3 * units + r, b] + ext[t, 2 * units + r, b]
            elif h_mask is None:
                reset_states[r, t, b] = reset * h[r, t, b]
            else:
                reset_states[r, t, b] = reset * h[r, t, b] * h_mask[r, b]


@kernel
def gru_output(ext, candidates, h, t, lo, hi, keep):
    """h_{t+1} = z * h_t + (1 - z) * candidate into h[:, t + 1]; h_t carried where `keep[t]` is False."""
    units = candidates.shape[1]
    for r in range(units):
        for b in range(np.uint64(lo), np.uint64(hi)):
            if keep is None or keep[t, b]:
                candidate = candidates[t, r, b]
                h[r, t + 1, b] = ext[t, r, b] * (h[r, t, b] - candidate) + candidate
            else:
                h[r, t + 1, b] = h[r, t, b]


@kernel
def gru_step_backward(ext, candidates, h, t, lo, hi, dh, sequence_grad, keep, gate_slopes, candidate_slopes,
                      dz, one, reset_after):
    """Step t backwards: the gradients of z, of the candidate's input part and (with `reset_after`) of r and
    of the candidate's recurrent part, into dz[:, t] (columns, time, batch).

    In: dh (units, batch), the gradient of h_{t+1} from later steps, plus sequence_grad[:, t] when the whole
    sequence is an output. Out: dh becomes the part of h_t's gradient that passes outside the step's
    products (through z, and past a masked step). `gate_slopes` (time, 2 * units, batch) and
    `candidate_slopes` (time, units, batch) are the activations' derivatives; None for sigmoid gates and a
    tanh candidate, whose derivatives follow from their outputs (y - y^2 and `one` - y^2).
    """
    units = dh.shape[0]
    for r in range(units):
        for b in range(np.uint64(lo), np.uint64(hi)):
            grad = dh[r, b]
            if sequence_grad is not None:
                grad += sequence_grad[r, t, b]
            if keep is not None and not keep[t, b]:
                dz[r, t, b] = dz[units + r, t, b] = dz[2 * units + r, t, b] = one - one
                if reset_after:
                    dz[3 * units + r, t, b] = one - one
                dh[r, b] = grad
                continue
            update = ext[t, r, b]
            reset = ext[t, units + r, b]
            candidate = candidates[t, r, b]
            if gate_slopes is None:
                slope_z, slope_r, slope_h = update - update * update, reset - reset * reset, one - candidate * candidate
            else:
                slope_z, slope_r = gate_slopes[t, r, b], gate_slopes[t, units + r, b]
                slope_h = candidate_slopes[t, r, b]
            dz[r, t, b] = grad * (h[r, t, b] - candidate) * slope_z
            grad_input = grad * (one - update) * slope_h
            dz[2 * units + r, t, b] = grad_input
            if reset_after:
                dz[units + r, t, b] = grad_input * ext[t, 3 * units + r, b] * slope_r
                dz[3 * units + r, t, b] = grad_input * reset
            dh[r, b] = grad * update


@kernel
def gru_reset_backward(ext, h, h_mask, reset_grad, gate_slopes, dz, dh, t, lo, hi):
    """With the reset gate before the product: from the gradient of r * h_t (`reset_grad`, units x batch),
    r's gradient into dz[units:2 * units, t], and h_t's share added to dh. `gate_slopes` as in
    `gru_step_backward`."""
    units = dh.shape[0]
    for r in range(units):
        for b in range(np.uint64(lo), np.uint64(hi)):
            reset = ext[t, units + r, b]
            h_prev = h[r, t, b]
            grad = reset_grad[r, b]
            if h_mask is not None:
                h_prev *= h_mask[r, b]
                grad *= h_mask[r, b]
            slope_r = reset - reset * reset if gate_slopes is None else gate_slopes[t, units + r, b]
            dz[units + r, t, b] = reset_grad[r, b] * h_prev * slope_r
            dh[r, b] += grad * reset
