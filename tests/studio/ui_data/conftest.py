"""Offscreen Qt for the data, compile, training and evaluation widgets."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

