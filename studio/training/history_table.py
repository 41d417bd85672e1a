"""Runs side by side, without Qt: one row of settings and best values per run, and every epoch of every
run as CSV rows (what File > Export > Training Curves writes)."""

from __future__ import annotations

import csv
import math

from engine.utils.file_utils import atomic_write
from studio.training.backends import trained_by
from studio.training.run import TrainingRun


def run_summary(run: TrainingRun) -> dict[str, str]:
    """What tells runs apart: status, who trained it (the engine or Keras), epochs, optimizer and learning rate,
    batch size, and the best epoch with its validation (else training) loss and metrics."""
    optimizer = run.compile_settings.get("optimizer") or {}
    rate = (optimizer.get("config") or {}).get("learning_rate")
    row = {"Run": str(run.run_id), "Status": run.status.replace("_", " "), "Trained by": trained_by(run.segments),
           "Epochs": str(run.epochs_done),
           "Optimizer": f"{optimizer.get('name', '?')}" + (f" ({rate:g})" if isinstance(rate, int | float) else ""),
           "Batch size": str(run.settings.get("batch_size", ""))}
    key = "val_loss" if run.best("val_loss") else "loss"
    best = run.best(key)
    row["Best epoch"] = str(best[0]) if best else "—"
    for name, values in run.history.items():
        if best and (name.startswith("val_") or key == "loss") and best[0] <= len(values):
            value = values[best[0] - 1]
            row[name] = f"{value:.4g}" if math.isfinite(value) else "—"
    return row


def save_history_csv(runs: list[TrainingRun], path: str) -> str:
    """Every epoch of every run as rows `run, epoch, loss, val_loss, ...` (empty where a run lacks a value)."""
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.history if k not in keys]
    with atomic_write(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "epoch", *keys])
        for run in runs:
            for i in range(run.epochs_done):
                values = [run.history.get(k, [])[i] if i < len(run.history.get(k, [])) else math.nan for k in keys]
                writer.writerow([run.run_id, i + 1, *("" if not math.isfinite(v) else repr(v) for v in values)])
    return path
