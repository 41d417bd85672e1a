"""Offscreen Qt for the data, compile, training and evaluation widgets."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import studio.training.signals  # noqa: E402,F401  (guards PySide6 6.12.0 signals before any test connects)
