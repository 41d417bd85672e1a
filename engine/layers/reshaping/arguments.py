"""Argument checks shared by the reshaping layers, with Keras's messages: int tuples and data formats."""

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


def standardize_data_format(data_format) -> str:
    """`None` means "channels_last" (the image data format default); anything else must be one of the two."""
    if data_format is None:
        return "channels_last"
    value = str(data_format).lower()
    if value not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    return value
