"""The Qt user interface: main window, palette, canvas, property editor, summary, dialogs."""
