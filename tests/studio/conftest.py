"""Studio tests run on Qt's offscreen platform, with settings in a temporary folder, and fail when a
test leaves a QThread running (as napari's conftest does)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, QThread  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory):
    """QSettings() writes to a fresh folder, never to the user's real settings."""
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    yield folder


@pytest.fixture(autouse=True)
def fail_on_running_qthreads(monkeypatch):
    """Record every QThread started during the test; fail if one is still running at the end."""
    started: list[QThread] = []
    original = QThread.start

    def start(self, *args, **kwargs):
        started.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start)
    yield
    running = []
    for thread in started:
        try:
            if thread.isRunning() and not thread.wait(2000):
                running.append(thread)
        except RuntimeError:  # already deleted by Qt: not running
            pass
    if running:
        pytest.fail(f"The test left {len(running)} QThread(s) running: {running}")


class CanvasDriver:
    """Drives the real main window like a user: palette drops, mouse drags on the canvas viewport."""

    def __init__(self, window, qtbot):
        self.window, self.qtbot = window, qtbot
        self.view, self.scene = window.view, window.scene

    @property
    def graph(self):
        return self.window.graph

    def node_id(self, name: str) -> str:
        return next(n.id for n in self.graph.nodes.values() if n.name == name)

    def drop(self, type_name: str, scene_x: float, scene_y: float) -> str:
        """Drag `type_name` out of the palette and drop it at a scene point; returns the new node's id."""
        from PySide6.QtCore import QPoint, QPointF, Qt
        from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
        from PySide6.QtWidgets import QApplication

        item = self.window.palette.layer_items[type_name]
        mime = self.window.palette.tree.mimeData([item])
        pos = self.view.mapFromScene(QPointF(scene_x, scene_y))
        before = set(self.graph.nodes)
        viewport = self.view.viewport()
        enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(viewport, enter)
        assert enter.isAccepted(), "the canvas refused the palette drag"
        move = QDragMoveEvent(pos + QPoint(1, 1), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(viewport, move)
        drop = QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(viewport, drop)
        added = set(self.graph.nodes) - before
        assert len(added) == 1, f"dropping {type_name} added {len(added)} nodes"
        return added.pop()

    def mouse(self, kind: str, scene_pos, button=None, buttons=None, modifiers=None) -> None:
        from PySide6.QtCore import QEvent, QPointF, Qt
        from PySide6.QtGui import QMouseEvent
        from PySide6.QtWidgets import QApplication

        viewport = self.view.viewport()
        local = QPointF(self.view.mapFromScene(scene_pos))
        types = {"press": QEvent.MouseButtonPress, "move": QEvent.MouseMove, "release": QEvent.MouseButtonRelease}
        button = Qt.LeftButton if button is None else button
        if buttons is None:
            buttons = Qt.NoButton if kind == "release" else Qt.LeftButton
        event = QMouseEvent(types[kind], local, QPointF(viewport.mapToGlobal(local.toPoint())),
                            Qt.NoButton if kind == "move" else button, buttons,
                            Qt.NoModifier if modifiers is None else modifiers)
        QApplication.sendEvent(viewport, event)

    def drag(self, start, end, steps: int = 4, modifiers=None) -> None:
        from PySide6.QtCore import QPointF

        self.mouse("press", start, modifiers=modifiers)
        for i in range(1, steps + 1):
            t = i / steps
            self.mouse("move", QPointF(start.x() + (end.x() - start.x()) * t, start.y() + (end.y() - start.y()) * t))
        self.mouse("release", end, modifiers=modifiers)

    def output_port(self, node_id: str):
        return self.scene.node_items[node_id].output_port.scenePos()

    def input_port(self, node_id: str, index: int = 0):
        return self.scene.node_items[node_id].input_ports[index].scenePos()

    def wire(self, source: str, target: str, port: int = 0) -> None:
        """Drag from `source`'s output port to input `port` of `target`."""
        self.drag(self.output_port(source), self.input_port(target, port))

    def select(self, *node_ids: str) -> None:
        self.scene.clearSelection()
        for node_id in node_ids:
            self.scene.node_items[node_id].setSelected(True)

    def report(self, node_id: str):
        return self.window.analysis.current.reports[node_id]


@pytest.fixture
def window(qtbot):
    """A main window on a new project (one Input of shape (4,)), shown offscreen."""
    from studio.document.examples import starter_project
    from studio.ui.main_window import MainWindow

    win = MainWindow(project=starter_project(blank=True))
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.view.reset_zoom()
    win.view.centerOn(0, 200)
    win.undo_stack.setClean()
    yield win
    win.workflow.stop_training("", ask=False)
    win.mark_clean()  # closing at teardown must not ask about unsaved changes
    win.close()
    win.deleteLater()
    from PySide6.QtWidgets import QApplication
    QApplication.clipboard().clear()  # a QMimeData left on the offscreen clipboard crashes Python at exit


@pytest.fixture
def canvas(window, qtbot) -> CanvasDriver:
    return CanvasDriver(window, qtbot)


@pytest.fixture(scope="session")
def trained_iris(tmp_path_factory):
    """The Iris example trained 3 epochs without the window, saved in a folder of its own: (project, folder).
    Shared by the export tests, which each write files of their own names there."""
    from studio import headless
    from studio.data.examples import example_spec
    from studio.document.examples import mlp
    folder = tmp_path_factory.mktemp("trained_iris")
    project = mlp()
    project.data = example_spec("iris").to_dict()
    project.compile = {"optimizer": {"name": "adam", "config": {"learning_rate": 0.01}},
                       "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    project.training = {"epochs": 3, "batch_size": 16}
    project.path = str(folder / "iris.lsproj")
    headless.train(project, epochs=3)
    return project, folder
