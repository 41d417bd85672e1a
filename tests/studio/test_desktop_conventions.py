"""The window as a desktop app: it remembers its geometry and docks, takes dropped files, has Help and
Preferences, and follows a light or dark appearance in the canvas, plots and tables."""

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

import engine
from studio.document import save_project
from studio.document.examples import starter_project
from studio.ui.appearance import apply_theme
from studio.ui.canvas import theme
from studio.ui.main_window import MainWindow


@pytest.fixture
def make_window(qtbot):
    windows = []

    def make():
        window = MainWindow(settings=QSettings(), project=starter_project(blank=True))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window
    yield make
    apply_theme("system")


def drop(window, *paths):
    """Drop local files on the canvas, as a file manager does (the canvas passes them to the window)."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = window.view.viewport()
    at = target.rect().center()
    enter = QDragEnterEvent(at, Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(target, QDropEvent(at.toPointF(), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier))


def test_geometry_and_closed_panels_come_back_after_a_restart(make_window):
    first = make_window()
    first.resize(first.minimumSizeHint().width(), 650)  # the offscreen screen is only 800 px wide
    size = first.size()
    assert size.height() == 650
    first.findChild(type(first.training_dock), "Model summary").close()
    first.close()
    second = make_window()
    assert second.height() == size.height()
    assert second.findChild(type(second.training_dock), "Model summary").isHidden()
    assert not second.training_dock.isHidden()


def test_a_corrupt_settings_value_leaves_the_default_layout(make_window):
    QSettings().setValue("window/state", "not a layout")
    QSettings().setValue("window/geometry", 12)
    window = make_window()
    assert window.isVisible() and not window.training_dock.isHidden()


def test_dropping_a_project_file_opens_it(make_window, tmp_path):
    project = starter_project()
    path = tmp_path / "dropped.lsproj"
    save_project(project, path)
    window = make_window()
    drop(window, path)
    assert window.project.path == str(path)
    assert "dropped.lsproj" in window.windowTitle()
    assert len(window.graph.nodes) == len(project.graph.nodes)


def test_dropping_an_unsupported_file_says_so_and_keeps_the_project(make_window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _parent, title, text, *a: shown.append(text)))
    window = make_window()
    before = window.project
    (tmp_path / "photo.bmp").write_bytes(b"BM")
    drop(window, tmp_path / "photo.bmp")
    assert window.project is before
    assert shown and "photo.bmp" in shown[0] and ".lsproj" in shown[0]


def test_dropping_a_csv_file_opens_the_import_dialog_on_it(make_window, tmp_path, monkeypatch):
    from studio.ui.data_import.dialog import ImportDialog
    csv = tmp_path / "table.csv"
    csv.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n")
    opened = []
    monkeypatch.setattr(ImportDialog, "load_file", lambda self, path, *a, **k: opened.append(path))
    monkeypatch.setattr(ImportDialog, "exec", lambda self: ImportDialog.DialogCode.Rejected)
    window = make_window()
    drop(window, csv)
    assert opened == [str(csv)]


def test_save_as_on_a_new_project_starts_in_the_last_folder_not_the_app(make_window, tmp_path, monkeypatch):
    from studio.assets import ASSETS_DIR
    asked = []
    monkeypatch.setattr("studio.ui.main_window.QFileDialog.getSaveFileName",
                        lambda _parent, _title, folder, _filter: asked.append(folder) or ("", ""))
    window = make_window()
    window.save_as()
    assert str(ASSETS_DIR) not in asked[0]
    save_project(starter_project(), tmp_path / "p.lsproj")
    window.open_project(str(tmp_path / "p.lsproj"))
    window.new_project()
    window.save_as()
    assert asked[-1] == str(tmp_path)


def test_help_lists_the_real_shortcuts_and_versions(make_window):
    from studio.ui.help import ShortcutsDialog, about_text, shortcut_rows
    window = make_window()
    rows = dict(shortcut_rows(window.actions_by_name))
    assert rows["Train"] == "F5" and rows["Open"] == "Ctrl+O"
    dialog = ShortcutsDialog(window.actions_by_name, window)
    assert dialog.table.rowCount() == len(rows)
    assert np.__version__ in about_text() and engine.__version__ in about_text()
    help_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"][0]
    assert [a.text() for a in help_menu.actions() if a.text()] == [
        "&Getting Started", "&Keyboard Shortcuts", "&About LayerStudio"]


def test_view_menu_can_show_every_panel_again(make_window):
    window = make_window()
    window.training_dock.close()
    toggle = window.training_dock.toggleViewAction()
    assert toggle.isEnabled()
    toggle.trigger()
    assert window.training_dock.isVisible()


def choose_preferences(window, qtbot, monkeypatch, **values):
    """Open Edit > Preferences, set the fields like a user and press OK."""
    from studio.ui.preferences import PreferencesDialog

    def exec_(dialog):
        if "theme" in values:
            dialog.theme.setCurrentIndex(dialog.theme.findData(values["theme"]))
        for name in ("epochs", "batch_size", "threads"):
            if name in values:
                getattr(dialog, name).setValue(values[name])
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok), Qt.LeftButton)
        return dialog.result()
    monkeypatch.setattr(PreferencesDialog, "exec", exec_)
    window.actions_by_name["preferences"].trigger()


def test_dark_theme_reaches_the_canvas_plots_and_tables(make_window, qtbot, monkeypatch):
    import pyqtgraph as pg
    window = make_window()
    choose_preferences(window, qtbot, monkeypatch, theme="dark")
    assert theme.dark and theme.BACKGROUND.lightness() < 60
    tile = window.view.backgroundBrush().texture().toImage()
    assert tile.pixelColor(5, 5).lightness() < 60
    assert QApplication.palette().color(QPalette.Base).lightness() < 60
    qtbot.waitUntil(lambda: window.summary.palette().color(QPalette.Base).lightness() < 60)  # palette events
    assert all(p.backgroundBrush().color().lightness() < 60 for p in window.findChildren(pg.PlotWidget))
    assert QSettings().value("preferences/theme") == "dark"
    choose_preferences(window, qtbot, monkeypatch, theme="light")
    assert not theme.dark and window.view.backgroundBrush().texture().toImage().pixelColor(5, 5).lightness() > 200


def test_preferences_set_threads_and_training_defaults(make_window, qtbot, monkeypatch):
    before = engine.config.get_num_threads()
    window = make_window()
    try:
        choose_preferences(window, qtbot, monkeypatch, threads=1, epochs=7, batch_size=5)
        assert engine.config.get_num_threads() == 1
        from studio.ui.preferences import Preferences
        assert Preferences.load(QSettings()) == Preferences(theme="system", epochs=7, batch_size=5, threads=1)
        from studio.training.run import TrainingSettings
        settings = TrainingSettings.proposed(150, 7, 5)
        assert (settings.epochs, settings.batch_size) == (7, 5)
    finally:
        engine.config.set_num_threads(before)


def test_engine_threads_are_checked():
    with pytest.raises(ValueError, match="from 1 to"):
        engine.config.set_num_threads(0)
