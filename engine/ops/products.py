"""Products of tensors: `einsum` in full (`...`, implicit output, repeated and summed-out indices, any number
of operands, each with its gradient), and the products written with it: outer, inner, kron, tensordot, vdot,
cross; plus trapezoid and correlate."""

from __future__ import annotations

import string
from collections import Counter

import numpy as np

from engine.autodiff import Tensor, make, needs_grad
from engine.ops.core import value_of
from engine.ops.elementwise import float_array

__all__ = ["correlate", "cross", "einsum", "inner", "kron", "outer", "tensordot", "trapezoid", "vdot"]


def _array(x) -> np.ndarray:
    return np.asarray(value_of(x))


def _explicit(subscripts: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Subscripts with `...` replaced by letters and the output written out: (input specs, output spec)."""
    text = subscripts.replace(" ", "")
    inputs, output = text.split("->") if "->" in text else (text, None)
    specs = inputs.split(",")
    if len(specs) != len(shapes):
        raise ValueError(f"einsum: {len(specs)} operand specs in {subscripts!r} for {len(shapes)} operands")
    spare = iter(c for c in string.ascii_letters if c not in text)
    ranks = [len(shape) - (len(spec) - 3) for spec, shape in zip(specs, shapes) if "..." in spec]
    ellipsis = "".join(next(spare) for _ in range(max(ranks, default=0)))
    explicit = []
    for spec, shape in zip(specs, shapes):
        if "..." in spec:
            rank = len(shape) - (len(spec) - 3)
            spec = spec.replace("...", ellipsis[len(ellipsis) - rank:])
        if len(spec) != len(shape):
            raise ValueError(f"einsum: spec {spec!r} does not fit an operand of shape {tuple(shape)}")
        explicit.append(spec)
    if output is None:
        counts = Counter("".join(s.replace("...", "") for s in specs))
        output = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis))
    else:
        output = output.replace("...", ellipsis)
    return explicit, output


def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation, as `numpy.einsum`, differentiable in every operand."""
    originals = [_array(op) for op in operands]
    specs, output = _explicit(subscripts, [v.shape for v in originals])
    sizes: dict[str, int] = {}
    for spec, value in zip(specs, originals):
        for c, n in zip(spec, value.shape):
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    values = [np.broadcast_to(v, [sizes[c] for c in spec]) for spec, v in zip(specs, originals)]
    dtype = np.result_type(*originals)
    if dtype.kind in "iub" and any(v.dtype.kind == "f" for v in originals):
        dtype = np.dtype("float32")
    out = np.asarray(np.einsum(f"{','.join(specs)}->{output}", *values, optimize=len(values) > 2)).astype(
        dtype, copy=False)

    def vjp(g):
        return tuple(_operand_gradient(g, i, specs, output, values, sizes, originals[i].shape)
                     if needs_grad(operands[i]) else None for i in range(len(operands)))

    return make(out, operands, vjp)


def _operand_gradient(g, i: int, specs, output: str, values, sizes, shape) -> np.ndarray:
    spec = specs[i]
    unique = "".join(dict.fromkeys(spec))
    others = [s for j, s in enumerate(specs) if j != i]
    reachable = set(output + "".join(others))
    target = "".join(c for c in unique if c in reachable)
    grad = np.einsum(f"{','.join([output, *others])}->{target}", g, *[v for j, v in enumerate(values) if j != i],
                     optimize=len(values) > 2)
    # letters only this operand has were summed out: the gradient is the same along them
    grad = np.broadcast_to(np.expand_dims(grad, tuple(k for k, c in enumerate(unique) if c not in reachable)),
                           [sizes[c] for c in unique])
    if len(unique) != len(spec):  # a repeated letter takes a diagonal: the gradient lies on it
        full = np.zeros([sizes[c] for c in spec], dtype=grad.dtype)
        np.einsum(f"{spec}->{unique}", full)[...] = grad
        grad = full
    axes = tuple(k for k, (n, m) in enumerate(zip(shape, grad.shape)) if n != m)
    return np.asarray(grad.sum(axis=axes, keepdims=True) if axes else grad).reshape(shape)


def outer(x1, x2) -> Tensor:
    from engine.ops.arrangement import ravel
    return einsum("i,j->ij", ravel(x1), ravel(x2))


def inner(x1, x2) -> Tensor:
    a, b = _array(x1), _array(x2)
    if a.ndim == 0 or b.ndim == 0:
        from engine.ops.math import multiply
        return multiply(x1, x2)
    return einsum(_inner_spec(a.ndim, b.ndim), x1, x2)


def _inner_spec(rank_a: int, rank_b: int) -> str:
    letters = iter(string.ascii_lowercase[1:])
    left = "".join(next(letters) for _ in range(rank_a - 1))
    right = "".join(next(letters) for _ in range(rank_b - 1))
    return f"{left}a,{right}a->{left}{right}"


def vdot(x1, x2) -> Tensor:
    from engine.ops.arrangement import ravel
    return einsum("i,i->", ravel(x1), ravel(x2))


def tensordot(x1, x2, axes=2) -> Tensor:
    a, b = _array(x1), _array(x2)
    if isinstance(axes, int):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = ([axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                          [axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    axes_a, axes_b = [k % a.ndim for k in axes_a], [k % b.ndim for k in axes_b]
    letters = iter(string.ascii_letters)
    spec_a = [next(letters) for _ in range(a.ndim)]
    spec_b = [next(letters) for _ in range(b.ndim)]
    for ka, kb in zip(axes_a, axes_b):
        spec_b[kb] = spec_a[ka]
    out = [c for k, c in enumerate(spec_a) if k not in axes_a] + [c for k, c in enumerate(spec_b) if k not in axes_b]
    return einsum(f"{''.join(spec_a)},{''.join(spec_b)}->{''.join(out)}", x1, x2)


def kron(x1, x2) -> Tensor:
    from engine.ops.array import reshape
    a, b = _array(x1), _array(x2)
    rank = max(a.ndim, b.ndim)
    a_shape, b_shape = (1,) * (rank - a.ndim) + a.shape, (1,) * (rank - b.ndim) + b.shape
    la, lb = string.ascii_lowercase[:rank], string.ascii_uppercase[:rank]
    interleaved = "".join(p + q for p, q in zip(la, lb))
    product = einsum(f"{la},{lb}->{interleaved}", reshape(x1, a_shape), reshape(x2, b_shape))
    return reshape(product, tuple(m * n for m, n in zip(a_shape, b_shape)))


def cross(x1, x2, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None) -> Tensor:
    from engine.ops.array import moveaxis, stack
    from engine.ops.math import multiply, subtract
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        if a.shape[-1] == 2 and b.shape[-1] == 2:
            return subtract(multiply(a[..., 0], b[..., 1]), multiply(a[..., 1], b[..., 0]))
        raise ValueError(f"cross needs vectors of 2 or 3 components, got {a.shape[-1]} and {b.shape[-1]}")
    pairs = ((1, 2), (2, 0), (0, 1))
    parts = [subtract(multiply(a[..., j], b[..., k]), multiply(a[..., k], b[..., j])) for j, k in pairs]
    return moveaxis(stack(parts, axis=-1), -1, axisc)


def trapezoid(y, x=None, dx: float = 1.0, axis: int = -1) -> Tensor:
    from engine.ops.arrangement import _slice, diff
    from engine.ops.math import multiply
    from engine.ops.math import sum as reduce_sum
    length = _array(y).shape[axis]
    mids = multiply(_slice(y, 1, length, axis) + _slice(y, 0, length - 1, axis), 0.5)
    widths = diff(x, axis=axis) if x is not None else float(dx)
    return reduce_sum(multiply(mids, widths), axis=axis)


def correlate(x1, x2, mode: str = "valid") -> Tensor:
    a, b = float_array(x1), float_array(x2)
    return Tensor(np.correlate(a, b, mode=mode))
