"""`rearrange`, Keras's einops-style reshaping: `"b (h w) c -> b h w c"`, as reshape and transpose (so it is
differentiable and works on symbolic tensors like the ops it is made of)."""

from __future__ import annotations

import math
import re

import numpy as np

from engine.autodiff import Tensor
from engine.ops.core import value_of

__all__ = ["rearrange"]


def _groups(side: str, pattern: str) -> list[list[str]]:
    groups, current = [], None
    for token in re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S+", side):
        if token == "(":
            if current is not None:
                raise ValueError(f"rearrange: nested parentheses in {pattern!r}")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"rearrange: unbalanced parentheses in {pattern!r}")
            groups.append(current)
            current = None
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token):
            (current if current is not None else groups).append(token if current is not None else [token])
        else:
            raise ValueError(f"rearrange: cannot read {token!r} in {pattern!r} (names and parentheses only)")
    if current is not None:
        raise ValueError(f"rearrange: unbalanced parentheses in {pattern!r}")
    return groups


def rearrange(tensor, pattern: str, **axes_lengths) -> Tensor:
    """Split, merge and reorder axes by name, e.g. `rearrange(x, "b h w c -> b (h w) c")`."""
    from engine.ops.array import reshape, transpose
    if "->" not in pattern:
        raise ValueError(f"rearrange: the pattern needs '->', got {pattern!r}")
    left_text, right_text = pattern.split("->")
    left, right = _groups(left_text, pattern), _groups(right_text, pattern)
    shape = np.shape(value_of(tensor))
    if len(left) != len(shape):
        raise ValueError(f"rearrange: {pattern!r} names {len(left)} axes, the tensor has {len(shape)} {shape}")
    sizes = {}
    for group, dim in zip(left, shape):
        unknown = [n for n in group if n not in axes_lengths]
        known = math.prod(int(axes_lengths[n]) for n in group if n in axes_lengths)
        if len(unknown) > 1:
            raise ValueError(f"rearrange: give the lengths of all but one of {group} in {pattern!r}")
        if unknown:
            if dim % known:
                raise ValueError(f"rearrange: axis of size {dim} cannot be split into {group}")
            sizes[unknown[0]] = dim // known
        elif known != dim:
            raise ValueError(f"rearrange: {group} give size {known}, the axis has {dim}")
        sizes.update({n: int(axes_lengths[n]) for n in group if n in axes_lengths})
    elementary = [n for group in left for n in group]
    wanted = [n for group in right for n in group]
    if sorted(elementary) != sorted(wanted):
        raise ValueError(f"rearrange: both sides of {pattern!r} must name the same axes")
    x = reshape(tensor, tuple(sizes[n] for n in elementary))
    x = transpose(x, tuple(elementary.index(n) for n in wanted))
    return reshape(x, tuple(math.prod(sizes[n] for n in group) for group in right))
