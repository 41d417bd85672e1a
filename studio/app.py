"""Start the desktop application: one QApplication, one main window, optionally a project file."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName("LayerStudio")
    app.setApplicationName("LayerStudio")
    return app


def run(project_path: str | None = None) -> int:
    """Open the main window (on `project_path`, or on the example MLP) and run the event loop."""
    app = create_application()
    from studio.ui.main_window import MainWindow
    window = MainWindow()
    if project_path:
        window.load(project_path)
    window.show()
    return app.exec()
