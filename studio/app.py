"""Start the desktop application: one QApplication, one main window, optionally a project file."""

from __future__ import annotations

import sys
import time

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from studio import __version__
from studio.assets import ASSETS_DIR


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName("LayerStudio")
    app.setOrganizationDomain("layerstudio.org")
    app.setApplicationName("LayerStudio")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("layerstudio")
    app.setWindowIcon(app_icon())
    return app


def app_icon() -> QIcon:
    """The application icon, from the SVG and its rendered sizes shipped in studio/assets/icons."""
    icon = QIcon()
    for path in sorted((ASSETS_DIR / "icons").glob("layerstudio-*.png")):
        icon.addFile(str(path))
    return icon


def run(project_path: str | None = None, smoke_test: bool = False) -> int:
    """Open the main window (on `project_path`, or on the example MLP) and run the event loop.

    With `smoke_test`, a check for packaged builds: show the window, process its pending events, print the
    seconds since start-up and return 0 instead of entering the event loop."""
    started = time.perf_counter()
    app = create_application()
    from studio.ui.main_window import MainWindow
    window = MainWindow()
    if project_path:
        window.load(project_path)
    window.show()
    if smoke_test:
        app.processEvents()
        shown = window.isVisible()
        print(f"LayerStudio window shown: {shown}, {time.perf_counter() - started:.2f} s after start; "
              f"title {window.windowTitle().replace('[*]', '')!r}")
        window.close()
        app.processEvents()
        return 0 if shown else 1
    return app.exec()
