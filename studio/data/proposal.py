"""The roles proposed for a freshly read file: which column is the target, and which columns to leave out, and why.

The target is chosen by name (label, target, class, species, y, …) and by content (a categorical column with
a few classes); columns that would hurt a model are proposed as "ignore" with the reason shown to the user:
an ID (a different value on every row), a constant, mostly missing values, free text, a date.
"""

from __future__ import annotations

import re

from studio.data.columns import ColumnSummary, ColumnType, looks_like_class_labels

TARGET_NAMES = re.compile(r"^(y|label|labels|target|class|classes|species|outcome|diagnosis|category|response|"
                          r"quality|grade|survived|churn|default|result|status|kind|type)$", re.IGNORECASE)
TARGET_WORDS = re.compile(r"(^|[_\s.-])(label|target|class|species|outcome|diagnosis)($|[_\s.-])", re.IGNORECASE)
ID_NAMES = re.compile(r"(^id$|^index$|^row$|_id$|^id_|\bid\b|^unnamed)", re.IGNORECASE)
MOSTLY_MISSING = 0.5
MIN_ROWS = 10  # IDs and constants are told only from this many values on (a few rows prove nothing)
MAX_CLASSES = 20


def ignore_reason(summary: ColumnSummary) -> str | None:
    """Why a column is better left out of the model, in the user's words; None for a usable column."""
    s = summary
    present = s.n_values - s.n_missing
    if s.all_missing:
        return "every value is missing"
    if s.n_missing > MOSTLY_MISSING * s.n_values:
        return f"mostly missing ({s.n_missing} of {s.n_values} values)"
    if s.n_unique == 1 and present >= MIN_ROWS:
        return "constant (one value on every row)"
    if s.inferred_type == ColumnType.DATETIME:
        return "date/time (orders a time series; not a feature as such)"
    if present >= MIN_ROWS and s.n_unique == present and _id_like(s) and not _sentences(s, present):
        return "an ID (a different value on every row)"
    if s.inferred_type == ColumnType.TEXT or _sentences(s, present):
        return "free text (a different sentence on most rows)"
    return None


def _sentences(s: ColumnSummary, present: int) -> bool:
    """Mostly distinct words-and-spaces values: text a model cannot take as categories."""
    if s.inferred_type not in (ColumnType.CATEGORICAL, ColumnType.TEXT) or present < MIN_ROWS or \
            s.n_unique <= 0.5 * present:
        return False
    return bool(s.top_values) and all(len(v.split()) >= 3 for v, _ in s.top_values)


def _id_like(s: ColumnSummary) -> bool:
    """Unique on every row and named like an ID, or words (codes like "P-0013"), or whole numbers counting up."""
    if ID_NAMES.search(s.name):
        return True
    if s.inferred_type != ColumnType.NUMERIC:
        return True
    if s.non_numeric:
        return False
    return s.all_integers and s.value_range is not None and s.value_range[1] - s.value_range[0] + 1 == s.n_unique


def target_score(summary: ColumnSummary) -> float:
    """How much a column looks like what the user wants to predict (higher is likelier; < 0 never)."""
    s = summary
    if ignore_reason(s) is not None:
        return -1.0
    score = 0.0
    if TARGET_NAMES.match(s.name.strip()):
        score += 10.0
    elif TARGET_WORDS.search(s.name):
        score += 6.0
    if s.inferred_type == ColumnType.CATEGORICAL and 2 <= s.n_unique <= MAX_CLASSES:
        score += 3.0
    elif looks_like_class_labels(s):
        score += 1.5
    return score


LAST_COLUMN_BONUS = 3.5  # files usually end with the target: this outweighs a few-class column elsewhere


def choose_target(summaries: list[ColumnSummary]) -> int | None:
    """The index of the proposed target: a column named like one (species, label, class, y, …); else the last
    usable column unless it is no candidate at all; None when fewer than two columns are usable."""
    scores = [target_score(s) for s in summaries]
    usable = [i for i, score in enumerate(scores) if score >= 0]
    if len(usable) < 2:
        return None
    scores[usable[-1]] += LAST_COLUMN_BONUS
    return max(usable, key=lambda i: (scores[i], i))
