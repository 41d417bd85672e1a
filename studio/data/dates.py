"""Dates and times in text, parsed with NumPy's datetime64: ISO 8601 (2024-03-31, 2024-03-31 12:00,
2024-03-31T12:00:05, 2024-03), 2024/03/31, and day-first or month-first 31/03/2024 or 03/31/2024."""

from __future__ import annotations

import re

import numpy as np

DATETIME_UNIT = "datetime64[s]"
_ISO = re.compile(r"^\d{4}-\d{2}(-\d{2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?)?$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(.*)$")
_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(.*)$")


def parse_datetimes(texts: list[str]) -> np.ndarray | None:
    """`texts` (distinct, none missing) as datetime64[s]; None unless every one is a date of the same layout."""
    if not texts:
        return None
    iso = _iso_forms(texts)
    if iso is None:
        return None
    try:
        return np.array([t.replace(" ", "T") for t in iso], dtype=DATETIME_UNIT)
    except ValueError:
        return None


def _iso_forms(texts: list[str]) -> list[str] | None:
    if all(_ISO.match(t) for t in texts):
        return list(texts)
    slashed = [_YMD_SLASH.match(t) for t in texts]
    if all(slashed):
        return [f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}{_time(m[4])}" for m in slashed]
    parts = [_DMY.match(t) for t in texts]
    if not all(parts):
        return None
    day_first = any(int(m[1]) > 12 for m in parts)
    month_first = any(int(m[2]) > 12 for m in parts)
    if day_first and month_first:
        return None
    d, m_ = (1, 2) if not month_first else (2, 1)
    return [f"{m[3]}-{int(m[m_]):02d}-{int(m[d]):02d}{_time(m[4])}" for m in parts]


def _time(rest: str) -> str:
    rest = rest.strip()
    return f"T{rest}" if rest else ""
