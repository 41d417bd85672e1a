"""Argument checks shared by the reshaping layers, with Keras's messages for int tuples."""

from __future__ import annotations


def standardize_tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """An int or an iterable of n ints as a tuple of n ints, each positive (or >= 0 with allow_zero)."""
    error = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(error) from None
        if len(values) != n:
            raise ValueError(error)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int):
                try:
                    int(v)
                except (ValueError, TypeError):
                    raise ValueError(f"{error} including element {v} of type {type(v)}") from None
        values = tuple(int(v) for v in values)
    bad = [v for v in values if (v < 0 if allow_zero else v <= 0)]
    if bad:
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{error}, including values {set(bad)} that do not satisfy `value {requirement}`")
    return values
