"""Training diagnosed in words from its per-epoch history: NaN loss, exploding loss, overfitting, no progress.

Plain Python; epochs are counted from 1 in every message, as the user sees them on the curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

OVERFIT_PATIENCE = 3  # epochs of rising validation loss before calling it overfitting
PLATEAU_EPOCHS = 5
MIN_RELATIVE_GAIN = 0.01
OVERFIT_MIN_RISE = 0.10  # validation loss this much above its best (relative) ...
OVERFIT_MIN_TRAIN_FALL = 0.05  # ... while the training loss fell at least this much since then


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # "nan", "exploding", "overfitting", "no_progress", "plateau", "ok"
    severity: str  # "error", "warning", "info"
    message: str


def _finite(values: list[float]) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def diagnose(history: dict[str, list[float]], learning_rate: float | None = None) -> list[Diagnosis]:
    """What the user should know about a run so far; empty while there is too little to say."""
    loss = list(history.get("loss", []))
    val = list(history.get("val_loss", []))
    if not loss:
        return []
    nan = _nan(loss, val)
    if nan:
        return [nan]
    found = [d for d in (_exploding(loss, learning_rate), _overfitting(loss, val)) if d]
    if not found:
        progress = _no_progress(loss, val, learning_rate)
        if progress:
            found.append(progress)
    if not found and len(loss) >= 2 and loss[-1] < loss[0]:
        found.append(Diagnosis("ok", "info", f"Training is going well: the loss fell from {loss[0]:.4g} to "
                                             f"{loss[-1]:.4g} in {len(loss)} epochs."))
    return found


def _nan(loss: list[float], val: list[float]) -> Diagnosis | None:
    for name, values in (("training loss", loss), ("validation loss", val)):
        for epoch, v in enumerate(values, start=1):
            if not math.isfinite(v):
                word = "NaN" if math.isnan(v) else "infinite"
                return Diagnosis("nan", "error",
                                 f"The {name} became {word} at epoch {epoch}. Training was stopped and finite "
                                 "weights were kept, never NaN. Lower the learning rate, scale the "
                                 "inputs (standardize), or look for extreme values in the data.")
    return None


def _exploding(loss: list[float], learning_rate: float | None) -> Diagnosis | None:
    if len(loss) < 3:
        return None
    best = min(loss)
    best_epoch = loss.index(best) + 1
    rises = sum(1 for a, b in zip(loss[-4:], loss[-3:]) if b > a)
    if loss[-1] > 2.0 * best and loss[-1] > loss[0] and rises >= 2:
        hint = f" (now {learning_rate:g}; try {learning_rate / 10:g})" if learning_rate else ""
        return Diagnosis("exploding", "warning",
                         f"The loss is exploding: from {best:.4g} at epoch {best_epoch} up to {loss[-1]:.4g} at "
                         f"epoch {len(loss)}. The learning rate is likely too high{hint}.")
    return None


def _overfitting(loss: list[float], val: list[float]) -> Diagnosis | None:
    if len(val) < OVERFIT_PATIENCE + 2 or not _finite(val):
        return None
    best = min(val)
    k = val.index(best)
    since = len(val) - 1 - k
    if since < OVERFIT_PATIENCE or val[-1] <= best * (1 + OVERFIT_MIN_RISE) + 1e-12:
        return None  # small wobbles of a tiny validation loss are noise, not overfitting
    if k >= len(loss) or loss[-1] > loss[k] * (1 - OVERFIT_MIN_TRAIN_FALL):
        return None
    return Diagnosis("overfitting", "warning",
                     f"Validation loss has risen for {since} epochs since its best value, {best:.4g} at epoch "
                     f"{k + 1}, while the training loss keeps falling ({loss[k]:.4g} → {loss[-1]:.4g}): the model "
                     f"is overfitting. The weights of epoch {k + 1} generalize best: use early stopping with "
                     "'restore best weights', fewer epochs, dropout or regularization, or more data.")


def _no_progress(loss: list[float], val: list[float], learning_rate: float | None) -> Diagnosis | None:
    n = len(loss)
    if n < PLATEAU_EPOCHS:
        return None
    tolerance = MIN_RELATIVE_GAIN * max(abs(loss[0]), 1e-12)
    if min(loss[1:]) > loss[0] - tolerance:
        hint = f" (now {learning_rate:g})" if learning_rate else ""
        return Diagnosis("no_progress", "warning",
                         f"Nothing is improving: after {n} epochs the training loss is still about {loss[-1]:.4g}, "
                         f"where it started. Try a higher learning rate{hint} or another optimizer, a larger model, "
                         "or check that the features can predict the target.")
    recent, earlier = loss[-PLATEAU_EPOCHS:], loss[:-PLATEAU_EPOCHS]
    if earlier and min(recent) > min(earlier) - MIN_RELATIVE_GAIN * abs(min(earlier)):
        if val and _finite(val) and len(val) > PLATEAU_EPOCHS and \
                min(val[-PLATEAU_EPOCHS:]) < min(val[:-PLATEAU_EPOCHS]) * (1 - MIN_RELATIVE_GAIN):
            return None  # validation still improves
        return Diagnosis("plateau", "info",
                         f"The loss has levelled off at about {recent[-1]:.4g} for the last {PLATEAU_EPOCHS} "
                         "epochs: more epochs will change little. A lower learning rate may refine it; a larger "
                         "model may go further.")
    return None
