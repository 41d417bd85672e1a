"""LayerStudio: the desktop application (PySide6) built on the `engine` package."""
