"""One LSTM timestep's elementwise work in one pass each way (engine/ops/rnn.py runs the products and the
activations around them).

The arrays are feature-major, as the op keeps them: gates (time, 4 * units, batch) in the order i, f, o, c~
after their activations, cell states (time + 1, units, batch), outputs h (units, time + 1, batch). Each
kernel covers timestep `t` for the batch columns `lo:hi`, so that threads can take a slice each. `keep`
(time, batch) is the time mask (None: every step counts); where it is False a step carries the state
unchanged. A parameter given as None is left out when Numba compiles the kernel.

The batch index runs unsigned: Numba then leaves out the check for negative indices, which would stop the
innermost loop from being vectorized (8x slower).
"""

from __future__ import annotations

import math

import numpy as np

from engine.kernels import kernel
from engine.kernels.fast_tanh import tanh32

__all__ = ["lstm_step", "lstm_cell_update", "lstm_output", "lstm_step_backward"]


@kernel
def lstm_step(gates, cells, new_cells, cell_activations, h, t, lo, hi, keep, exact):
    """Step t after its product for tanh and sigmoid activations: gates, cell state and output in one pass.

    In: gates[t] the product's pre-activations, with the three sigmoid gates' rows halved
    (sigmoid(z) = tanh(z / 2) / 2 + 1 / 2). Out: gates[t] the activations i, f, o, c~ (for the backward
    pass), new_cells[t] = f * c + i * c~, cell_activations[t] = tanh of it, h[:, t + 1] = o * tanh(c),
    where `keep[t]` is False h_t and c_t carried instead (with no mask new_cells[t] is cells[t + 1]).
    `exact` None: float32 by the vectorized approximation `tanh32` (a few ulp); given: math.tanh
    (float64, exact).
    """
    units = cells.shape[1]
    half = gates.dtype.type(0.5)
    for r in range(units):
        for b in range(np.uint64(lo), np.uint64(hi)):
            zi = gates[t, r, b]
            zf = gates[t, units + r, b]
            zo = gates[t, 2 * units + r, b]
            zg = gates[t, 3 * units + r, b]
            if exact is None:
                ti, tf, to, g = tanh32(zi), tanh32(zf), tanh32(zo), tanh32(zg)
            else:
                ti, tf, to, g = math.tanh(zi), math.tanh(zf), math.tanh(zo), math.tanh(zg)
            i = half * ti + half
            f = half * tf + half
            o = half * to + half
            gates[t, r, b] = i
            gates[t, units + r, b] = f
            gates[t, 2 * units + r, b] = o
            gates[t, 3 * units + r, b] = g
            c = f * cells[t, r, b] + i * g
            y = tanh32(c) if exact is None else math.tanh(c)
            new_cells[t, r, b] = c
            cell_activations[t, r, b] = y
            if keep is None or keep[t, b]:
                h[r, t + 1, b] = o * y
                if keep is not None:
                    cells[t + 1, r, b] = c
            else:
                h[r, t + 1, b] = h[r, t, b]
                cells[t + 1, r, b] = cells[t, r, b]


@kernel
def lstm_cell_update(gates, cells, new_cells, t, lo, hi):
    """The new cell state `f * c + i * c~` of step t into new_cells[t], the gates after their activations
    (any activations; `lstm_step` does tanh and sigmoid in one pass)."""
    units = cells.shape[1]
    for r in range(units):
        for b in range(np.uint64(lo), np.uint64(hi)):
            new_cells[t, r, b] = gates[t, units + r, b] * cells[t, r, b] + gates[t, r, b] * gates[t, 3 * units + r, b]


@kernel
def lstm_output(gates, new_cells, cell_activations, cells, h, t, lo, hi, keep):
    """h_{t+1} = o * activation(c) into h[:, t + 1]; where `keep[t]` is False, h_t and c_t carried instead
    (with no mask new_cells[t] is cells[t + 1] already)."""
    units = cells.shape[1]
    for r in range(units):
        for b in range(np.uint64(lo), np.uint64(hi)):
            value = gates[t, 2 * units + r, b] * cell_activations[t, r, b]
            if keep is None:
                h[r, t + 1, b] = value
            elif keep[t, b]:
                h[r, t + 1, b] = value
                cells[t + 1, r, b] = new_cells[t, r, b]
            else:
                h[r, t + 1, b] = h[r, t, b]
                cells[t + 1, r, b] = cells[t, r, b]


@kernel
def lstm_step_backward(gates, cells, cell_activations, t, lo, hi, dh, dc, sequence_grad, keep, gate_slopes,
                       cell_slopes, dz, one):
    """Step t backwards: the gradient of the gates' pre-activations into dz[:, t] (4 * units, time, batch).

    In: dh and dc (units, batch), the gradients of h_{t+1} and c_{t+1} from later steps, plus
    sequence_grad[:, t] (units, time, batch) when the whole sequence is an output. Out: dc becomes the
    gradient of c_t, and dh the part of h_t's gradient that a masked step carries past the step's product
    (zero elsewhere). `gate_slopes` (4 * units, batch) and `cell_slopes` (units, batch) are the activations'
    derivatives at this step; None for sigmoid gates and a tanh cell, whose derivatives follow from their
    outputs (y - y^2 and `one` - y^2).
    """
    units = dh.shape[0]
    for r in range(units):
        for b in range(np.uint64(lo), np.uint64(hi)):
            grad_h = dh[r, b]
            if sequence_grad is not None:
                grad_h += sequence_grad[r, t, b]
            grad_c = dc[r, b]
            carried_h = carried_c = one - one  # zero in the arrays' dtype
            if keep is not None and not keep[t, b]:
                carried_h, carried_c = grad_h, grad_c
                grad_h = grad_c = one - one
            i = gates[t, r, b]
            f = gates[t, units + r, b]
            o = gates[t, 2 * units + r, b]
            g = gates[t, 3 * units + r, b]
            y = cell_activations[t, r, b]
            if gate_slopes is None:
                slope_i, slope_f, slope_o, slope_g = i - i * i, f - f * f, o - o * o, one - g * g
            else:
                slope_i, slope_f = gate_slopes[r, b], gate_slopes[units + r, b]
                slope_o, slope_g = gate_slopes[2 * units + r, b], gate_slopes[3 * units + r, b]
            slope_c = one - y * y if cell_slopes is None else cell_slopes[r, b]
            grad_c += grad_h * o * slope_c
            dz[r, t, b] = grad_c * g * slope_i
            dz[units + r, t, b] = grad_c * cells[t, r, b] * slope_f
            dz[2 * units + r, t, b] = grad_h * y * slope_o
            dz[3 * units + r, t, b] = grad_c * i * slope_g
            dc[r, b] = grad_c * f + carried_c
            dh[r, b] = carried_h
