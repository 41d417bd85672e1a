"""The window's layout on a laptop screen: the canvas gets the room, every setting of a layer is visible,
the network check lists all problems at once, the overview appears when the model does not fit, and the
status bar never clips or keeps a stale message."""

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from studio.document.examples import load_example, starter_project
from studio.ui.main_window import MainWindow


@pytest.fixture
def laptop(qtbot):
    """The main window at 1366x768 on the CNN example (a tall 7-layer model)."""
    window = MainWindow(settings=QSettings(), project=load_example("cnn"))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.view.fit_all()
    yield window
    window.mark_clean()


def fully_visible(widget) -> bool:
    return widget.isVisible() and widget.visibleRegion().boundingRect().size() == widget.size()


def test_every_field_of_a_conv2d_shows_at_1366x768(laptop, qtbot):
    conv = next(n for n in laptop.graph.nodes.values() if n.type == "Conv2D")
    laptop.select_node(conv.id)
    editors = laptop.properties.editors
    assert {"filters", "kernel_size", "padding", "activation", "kernel_initializer", "bias_constraint"} <= set(editors)
    qtbot.waitUntil(lambda: all(fully_visible(e) for e in editors.values()))


def test_the_canvas_gets_most_of_the_room(laptop):
    canvas = laptop.view.viewport().size()
    assert canvas.width() >= 0.55 * 1366 and canvas.height() >= 0.45 * 768


def test_network_check_lists_every_problem_and_leads_to_the_layer(qtbot):
    window = MainWindow(settings=QSettings(), project=starter_project(blank=True))
    qtbot.addWidget(window)
    window.show()
    from studio.document import new_node
    from studio.ui.commands import AddItemsCommand
    dense = new_node(window.graph, "Dense", (0, 300))
    conv = new_node(window.graph, "Conv2D", (300, 300))
    window.undo_stack.push(AddItemsCommand(window.graph, [dense, conv]))
    check = window.network_check
    texts = [check.list.item(i).text() for i in range(check.list.count())]
    assert check.problem_count() >= 2, texts
    assert any(dense.name in t for t in texts) and any(conv.name in t for t in texts)
    row = next(i for i, t in enumerate(texts) if conv.name in t)
    item = check.list.item(row)
    qtbot.mouseClick(check.list.viewport(), Qt.LeftButton, pos=check.list.visualItemRect(item).center())
    assert window.scene.selected_node_ids() == [conv.id]
    window.mark_clean()


def test_the_overview_shows_when_the_model_does_not_fit_and_moves_the_canvas(laptop, qtbot):
    minimap = laptop.view.minimap
    qtbot.wait(50)  # the docks settle their sizes
    laptop.view.fit_all()
    assert not minimap.isVisible()  # fitted: nothing to show
    laptop.view.reset_zoom()
    laptop.view.centerOn(0, 0)
    qtbot.waitUntil(minimap.isVisible)
    before = laptop.view.mapToScene(laptop.view.viewport().rect().center())
    target = minimap.mapFromScene(minimap.scene().itemsBoundingRect().bottomLeft())
    qtbot.mouseClick(minimap.viewport(), Qt.LeftButton, pos=target + QPoint(5, -5))
    after = laptop.view.mapToScene(laptop.view.viewport().rect().center())
    assert after.y() > before.y() + 100
    laptop.actions_by_name["overview"].trigger()  # View > Canvas Overview off
    assert not minimap.isVisible()


def test_long_status_messages_are_shortened_kept_whole_in_the_tooltip_and_the_log(laptop):
    bar = laptop.statusBar()
    text = "Rows dropped for missing values: " + ", ".join(f"row {i}" for i in range(200))
    bar.showMessage(text, 5000)
    assert bar.currentMessage().endswith("…") and len(bar.currentMessage()) < len(text)
    assert bar.fontMetrics().horizontalAdvance(bar.currentMessage()) < bar.width()
    assert bar.toolTip() == text
    assert bar.log[-1][1] == text


def test_a_problem_message_goes_away_once_the_problem_is_fixed(qtbot):
    window = MainWindow(settings=QSettings(), project=starter_project(blank=True))
    qtbot.addWidget(window)
    window.show()
    from studio.document import new_node
    from studio.document.graph import Wire
    from studio.ui.commands import AddItemsCommand, AddWireCommand
    dense = new_node(window.graph, "Dense", (0, 300))
    window.undo_stack.push(AddItemsCommand(window.graph, [dense]))
    assert window.statusBar().currentMessage().startswith("⚠")
    source = next(n.id for n in window.graph.nodes.values() if n.type == "Input")
    window.undo_stack.push(AddWireCommand(window.graph, Wire(source, dense.id, 0)))
    assert not window.statusBar().currentMessage().startswith("⚠")
    window.mark_clean()
