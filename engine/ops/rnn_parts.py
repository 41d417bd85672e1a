"""What the fused recurrent ops (engine/ops/rnn.py) share: activations with their derivatives, the stacked
product of every step (`_Stack`), masks, initial states, the recorded outputs, and the step loops' split of
the batch over threads (`_over_steps`)."""

from __future__ import annotations

import functools

import numpy as np

from engine import config
from engine.autodiff import Tensor, gradients, make, needs_grad, no_grad
from engine.ops import windows
from engine.ops.scratch import take
from engine.ops.windows import _over_batch

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
        dw = _over_all_steps(self.s[:, :self.steps], dz)
        grad_r = _collapse(dw[:self.state_rows], self.state_groups, self.units)
        grad_k = _collapse(dw[self.state_rows:self.state_rows + self.input_rows], self.input_groups, self.features)
        return grad_r, grad_k, dw[-1] if self.with_bias else None

    def input_gradient(self, dz: np.ndarray) -> np.ndarray:
        """d(loss)/d(inputs) (batch, time, features), from dz (columns, time, batch)."""
        dz2 = dz.reshape(dz.shape[0], -1)
        w = self.w[self.state_rows:self.state_rows + self.input_rows]
        dx = np.empty((w.shape[0], dz2.shape[1]), dz.dtype)

        def columns(part: slice) -> None:
            np.matmul(w, dz2[:, part], out=dx[:, part])

        _in_threads(columns, dz2.shape[1], dz2.size)
        dx = dx.reshape(-1, self.features, self.steps, dz.shape[2])
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


def _in_compiled_precision(op):
    """`op` run in float32 when its dtype is one the compiled kernels do not take (float16: Numba has none),
    its outputs cast back; float32 and float64 run as they are."""
    @functools.wraps(op)
    def run(inputs, initial_state, kernel, recurrent_kernel, bias=None, **options):
        dtype = np.result_type(_value(inputs).dtype, _value(recurrent_kernel).dtype)
        if dtype in (np.float32, np.float64):
            return op(inputs, initial_state, kernel, recurrent_kernel, bias, **options)
        from engine.ops.core import cast

        def wide(value):
            return None if value is None else cast(value, "float32")
        output, states = op(wide(inputs), None if initial_state is None else [wide(s) for s in initial_state],
                            wide(kernel), wide(recurrent_kernel), wide(bias), **options)
        return cast(output, dtype), [cast(state, dtype) for state in states]
    return run


def _first_grad(grad, shape, dtype) -> np.ndarray:
    return np.zeros(shape, dtype) if grad is None else np.array(grad, dtype=dtype, order="C")


def _bounds(columns: slice, batch: int) -> tuple[int, int]:
    """The first and past-the-end batch columns of a slice."""
    lo, hi, _ = columns.indices(batch)
    return lo, hi


def _over_all_steps(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The sum over every timestep and sample of the outer products of `left` (rows, time, batch) and `right`
    (columns, time, batch): one product (rows, columns), shared out over the threads by columns. OpenBLAS
    runs it 6-13% faster as right @ left.T, the larger matrix on the left (the LSTM benchmark's kernels)."""
    left2 = left.reshape(left.shape[0], -1)
    right2 = right.reshape(right.shape[0], -1)
    out = np.empty((right2.shape[0], left2.shape[0]), np.result_type(left2, right2))

    def columns(part: slice) -> None:
        np.matmul(right2[part], left2.T, out=out[part])

    _in_threads(columns, right2.shape[0], right2.size)
    return np.ascontiguousarray(out.T)


_MIN_STEP_ELEMENTS_PER_THREAD = 1 << 13  # below this a thread's share of a step costs less than its Python


def _over_steps(run, batch: int, step_elements: int) -> None:
    """`run(part)`, a whole loop over the timesteps for the batch columns `part`, for slices of the batch in
    parallel threads when each thread's share of a step (`step_elements`: the values one step computes for
    the whole batch) is large enough.

    Every thread runs its own Python loop, and Python runs one thread at a time: a step has to hold enough
    work outside Python (products, kernels) to make up for the second loop. Smaller steps run in one thread.
    """
    threads = min(config.get_num_threads(), step_elements // _MIN_STEP_ELEMENTS_PER_THREAD)
    if threads < 2:
        with config.blas_single_threaded():
            run(slice(None))
        return
    _in_threads(run, batch, threads * windows._MIN_ELEMENTS_PER_THREAD)


def _in_threads(run, count: int, elements: int) -> None:
    """`run(part)` over slices of `count` (the batch of a whole loop over the timesteps, or a product's
    columns) in parallel threads when there is enough work, each thread's matrix products in that thread
    alone: a step's products are too small to share out, and waiting for BLAS threads at every product is
    what a busy machine punishes (50 LSTM-sized steps, 2 cores at load ~12: 56 ms in one thread, 2,400 ms
    with 2 BLAS threads)."""
    with config.blas_single_threaded():
        _over_batch(run, count, elements)


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
