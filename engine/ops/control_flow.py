"""Control flow of `keras.ops.core`: branches, loops, scans and maps, run eagerly in Python (gradients flow
through every op the functions call), and `custom_gradient`."""

from __future__ import annotations

import builtins

import numpy as np

from engine.autodiff import Tensor, make, needs_grad, no_grad
from engine.ops.core import convert_to_tensor, value_of
from engine.symbolic import flatten, pack_like

__all__ = ["associative_scan", "cond", "custom_gradient", "fori_loop", "map", "scan", "switch", "vectorize",
           "vectorized_map", "while_loop"]


def _truth(pred) -> bool:
    value = np.asarray(value_of(pred))
    if value.size != 1:
        raise ValueError(f"The predicate must be a single boolean, got a tensor of shape {value.shape}")
    return bool(value.reshape(()))


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` holds, else `false_fn()`."""
    return true_fn() if _truth(pred) else false_fn()


def switch(index, branches, *operands):
    """`branches[index](*operands)`, the index clipped into range as Keras does."""
    i = int(np.clip(int(np.asarray(value_of(index))), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):  # noqa: A002 - Keras name
    """Run `body` while `cond` holds; a tuple of loop variables is passed as separate arguments."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    values = tuple(loop_vars) if is_tuple else (loop_vars,)
    iteration = 0
    while (maximum_iterations is None or iteration < maximum_iterations) and _truth(cond(*values)):
        values = body(*values)
        values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
        iteration += 1
    return values if is_tuple else values[0]


def fori_loop(lower, upper, body_fun, init_val):
    value = init_val
    for i in range(int(value_of(lower)), int(value_of(upper))):
        value = body_fun(i, value)
    return value


def _stack_structures(results: list):
    from engine.ops.array import stack
    leaves = [flatten(r) for r in results]
    stacked = [stack([convert_to_tensor(leaf[k]) for leaf in leaves]) for k in range(len(leaves[0]))]
    return pack_like(results[0], stacked)


def _slices(xs, length: int | None) -> list:
    leaves = flatten(xs)
    n = len(value_of(leaves[0])) if leaves else length
    return [pack_like(xs, [leaf[i] for leaf in leaves]) for i in range(n)]


def scan(f, init, xs=None, length=None, reverse: bool = False, unroll=1):
    """Carry a value through `f(carry, x) -> (carry, y)` over the first axis of `xs`; (carry, stacked ys)."""
    if xs is None and length is None:
        raise ValueError("scan needs `xs` or `length`")
    items = [None] * length if xs is None else _slices(xs, length)
    if reverse:
        items = items[::-1]
    carry, ys = init, []
    for x in items:
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys = ys[::-1]
    if not ys or builtins.all(leaf is None for leaf in flatten(ys[0])):
        return carry, None
    return carry, _stack_structures(ys)


def map(f, xs):  # noqa: A001 - Keras name
    """`f` applied to each slice of `xs` along its first axis, the results stacked."""
    return _stack_structures([f(x) for x in _slices(xs, None)])


def vectorized_map(function, elements):
    return map(function, elements)


def associative_scan(f, elems, reverse: bool = False, axis: int = 0):
    """Cumulative `f` along `axis`: out[i] = f(out[i-1], elems[i]) (for an associative `f`)."""
    from engine.ops.array import moveaxis
    leaves = [moveaxis(convert_to_tensor(leaf), axis, 0) for leaf in flatten(elems)]
    n = leaves[0].shape[0]
    order = list(range(n))[::-1] if reverse else list(range(n))
    outputs: list = [None] * n
    running = None
    for i in order:
        current = pack_like(elems, [leaf[i] for leaf in leaves])
        running = current if running is None else f(running, current)
        outputs[i] = running
    stacked = _stack_structures(outputs)
    return pack_like(elems, [moveaxis(leaf, 0, axis) for leaf in flatten(stacked)])


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` applied elementwise (or per core dimensions with `signature`), as `numpy.vectorize`."""
    def function(*args, **kwargs):
        def on_values(*values, **kw):
            return np.asarray(value_of(pyfunc(*[Tensor(np.asarray(v)) for v in values], **kw)))
        vectorized = np.vectorize(on_values, excluded=excluded or set(), signature=signature,
                                  otypes=None if signature else [object])
        out = vectorized(*[value_of(a) for a in args], **kwargs)
        if not signature:
            out = np.asarray(out.tolist() if out.ndim else out.item())
        return Tensor(np.asarray(out))
    return function


def custom_gradient(f):
    """Decorate `f(*args) -> (output, grad_fn)`: the output's gradient is `grad_fn(upstream)`, not the ops'."""
    def wrapped(*args):
        with no_grad():
            output, grad_fn = f(*[Tensor(value_of(a)) if isinstance(a, Tensor) else a for a in args])
        tensors = tuple(a for a in args if isinstance(a, Tensor))

        def vjp(g):
            with no_grad():
                grads = grad_fn(Tensor(g))
            grads = grads if isinstance(grads, (tuple, list)) else (grads,)
            return tuple(None if gr is None else np.asarray(value_of(gr)) for gr in grads)

        if not builtins.any(needs_grad(t) for t in tensors):
            return output
        return make(np.asarray(value_of(output)), tensors, vjp)
    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped
