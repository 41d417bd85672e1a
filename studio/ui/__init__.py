"""The Qt user interface: main window, palette, canvas, property editor, summary, dialogs."""

from studio.qt_compat import protect_none

protect_none()  # before any widget is drawn: see studio/qt_compat.py
