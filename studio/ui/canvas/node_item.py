"""The card drawn for one layer node, and its ports. Items keep only the id of what they draw: text,
colours and position are read from the graph and the analysis each time."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem

from studio.document.cost import format_count
from studio.document.describe import key_settings
from studio.document.inference import format_shape
from studio.ui.canvas import theme
from studio.ui.canvas.inputs_block import InputsBlock

COMPACT_BELOW = 0.7  # zoom under which cards show two large lines instead of the full details
COMPACT_SCREEN_POINTS = 8.5  # how large the compact text appears on screen
COMPACT_MAX_POINTS = 22.0  # two lines of this still fit a card


class PortItem(QGraphicsEllipseItem):
    """An input port (`index` >= 0) on the top edge or the output port (`index` == -1) at the bottom."""

    def __init__(self, node_id: str, index: int, parent: QGraphicsItem):
        r = theme.PORT_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r, parent)
        self.node_id, self.index = node_id, index
        self.setAcceptHoverEvents(True)
        self.setZValue(2)
        self.set_look(False, None)

    @property
    def is_output(self) -> bool:
        return self.index < 0

    def set_look(self, connected: bool, drag_verdict: bool | None) -> None:
        """Filled when wired; green/grey while a wire is dragged (allowed/refused)."""
        if drag_verdict is True:
            fill, pen = theme.PORT_OK, QPen(theme.PORT_OK.darker(130), 2)
        elif drag_verdict is False:
            fill, pen = theme.PORT_REFUSED, QPen(theme.PORT_REFUSED.darker(120), 1)
        else:
            fill = theme.WIRE if connected else theme.CARD
            pen = QPen(theme.WIRE.darker(120), 1.5)
        self.setBrush(QBrush(fill))
        self.setPen(pen)


class NodeItem(QGraphicsObject):
    """One layer card; `scene().node_view(node_id)` gives what to draw."""

    def __init__(self, node_id: str):
        super().__init__()
        self.node_id = node_id
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.input_ports: list[PortItem] = []
        self.output_port = PortItem(node_id, -1, self)
        self.output_port.setPos(theme.WIDTH / 2, theme.HEIGHT)
        self.inputs_block = InputsBlock(self)  # shown above an Input card once the project has data

    def set_input_steps(self, steps: list) -> None:
        """Show what the Input's columns go through (`InputStep`s) in the block above the card; [] hides it."""
        self.inputs_block.set_steps(steps)

    # -- ports ------------------------------------------------------------------------------
    def set_port_count(self, count: int) -> None:
        while len(self.input_ports) > count:
            port = self.input_ports.pop()
            port.setParentItem(None)
            if port.scene():
                port.scene().removeItem(port)
        while len(self.input_ports) < count:
            self.input_ports.append(PortItem(self.node_id, len(self.input_ports), self))
        for i, port in enumerate(self.input_ports):
            port.setPos(theme.WIDTH * (i + 1) / (count + 1), 0)

    def input_port_pos(self, index: int) -> QPointF:
        if 0 <= index < len(self.input_ports):
            return self.input_ports[index].scenePos()
        return self.mapToScene(QPointF(theme.WIDTH / 2, 0))

    def output_port_pos(self) -> QPointF:
        return self.output_port.scenePos()

    # -- geometry and painting ----------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # room for the data caption above an Input and below an output
        return QRectF(-3, -24, theme.WIDTH + 6, theme.HEIGHT + 70)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, theme.WIDTH, theme.HEIGHT), 8, 8)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        view = self.scene().node_view(self.node_id) if self.scene() else None
        if view is None:
            return
        node, ltype_family, report, is_output = view
        caption, data_problem = self.scene().binding_view(node.name)
        painter.setRenderHint(QPainter.Antialiasing)
        rect = QRectF(0, 0, theme.WIDTH, theme.HEIGHT)
        shape_error = report is not None and report.error is not None
        error = shape_error or data_problem is not None
        blocked = report is not None and report.blocked_by is not None
        fill = theme.ERROR_FILL if error else theme.BLOCKED_FILL if blocked else theme.CARD
        border = theme.SELECTED if self.isSelected() else theme.ERROR if error else theme.BORDER
        painter.setPen(QPen(border, 2.2 if (self.isSelected() or error) else 1.2))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 8, 8)
        # header: family colour band with the type and the layer's name
        color = theme.family_color(ltype_family)
        header = QPainterPath()
        header.addRoundedRect(QRectF(1, 1, theme.WIDTH - 2, theme.HEADER), 7, 7)
        header.addRect(QRectF(1, theme.HEADER / 2, theme.WIDTH - 2, theme.HEADER / 2))
        band = QColor(color)
        band.setAlpha(40 if not blocked else 20)
        painter.fillPath(header.simplified(), band)
        painter.fillRect(QRectF(1, 6, 4, theme.HEADER - 6), color)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < COMPACT_BELOW:
            problem = (report.error if shape_error else data_problem) if error else None
            self._paint_compact(painter, lod, node, report, problem, blocked)
            if caption and lod >= 0.25 and not self._block_shown(node):
                size = min(COMPACT_MAX_POINTS, COMPACT_SCREEN_POINTS / max(lod, 0.05)) * 0.8
                self._paint_caption(painter, caption, node.type == "Input", size)
            return
        bold = QFont(painter.font())
        bold.setPointSizeF(9.5)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(theme.ERROR if error else theme.TEXT)
        title_rect = QRectF(12, 1, theme.WIDTH * 0.55, theme.HEADER)
        painter.drawText(title_rect, Qt.AlignVCenter | Qt.AlignLeft,
                         QFontMetrics(bold).elidedText(node.type, Qt.ElideRight, int(title_rect.width())))
        small = QFont(painter.font())
        small.setPointSizeF(8.5)
        small.setBold(False)
        painter.setFont(small)
        painter.setPen(theme.MUTED)
        name_rect = QRectF(theme.WIDTH * 0.45, 1, theme.WIDTH * 0.55 - 10, theme.HEADER)
        painter.drawText(name_rect, Qt.AlignVCenter | Qt.AlignRight,
                         QFontMetrics(small).elidedText(node.name, Qt.ElideLeft, int(name_rect.width())))
        # body: key settings, then parameters and multiply-adds (or the problem)
        body = QFont(small)
        body.setPointSizeF(9)
        painter.setFont(body)
        painter.setPen(theme.TEXT)
        metrics = QFontMetrics(body)
        line1 = QRectF(12, theme.HEADER + 4, theme.WIDTH - 24, 20)
        painter.drawText(line1, Qt.AlignVCenter | Qt.AlignLeft,
                         metrics.elidedText(self._first_line(node, report), Qt.ElideRight, int(line1.width())))
        line2 = QRectF(12, theme.HEADER + 26, theme.WIDTH - 24, 20)
        if error:
            painter.setPen(theme.ERROR)
            text = "⚠ " + (report.error if shape_error else data_problem)
        elif blocked:
            painter.setPen(theme.MUTED)
            text = f"waiting for {report.blocked_by}"
        elif report is not None and report.warning:
            painter.setPen(theme.WARNING)
            text = f"⚠ {report.warning.removeprefix('this layer holds ')}"
        elif report is not None:
            painter.setPen(theme.MUTED)
            text = f"{format_count(report.params)} params · {format_count(report.multiply_adds)} mult-adds"
        else:
            text = ""
        painter.drawText(line2, Qt.AlignVCenter | Qt.AlignLeft, metrics.elidedText(text, Qt.ElideRight,
                                                                                  int(line2.width())))
        if is_output and report is not None and report.output_shape is not None:
            label = f"output {format_shape(report.output_shape)}"
            painter.setFont(small)
            box = QRectF(theme.WIDTH / 2 + 10, theme.HEIGHT + 4, theme.WIDTH / 2 - 10, 18)
            painter.setPen(theme.SELECTED.darker(120))
            painter.drawText(box, Qt.AlignVCenter | Qt.AlignLeft, label)
        if caption and not self._block_shown(node):
            self._paint_caption(painter, caption, node.type == "Input")

    def _block_shown(self, node) -> bool:
        """The Inputs block says what the caption above an Input would."""
        return node.type == "Input" and self.inputs_block.isVisible()

    @staticmethod
    def _paint_caption(painter: QPainter, caption: str, above: bool, size: float = 8.5) -> None:
        """What the node is bound to in the data: above an Input card, below an output card."""
        font = QFont(painter.font())
        font.setPointSizeF(size)
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(theme.DATA_CAPTION)
        box = QRectF(2, -21, theme.WIDTH - 4, 18) if above else QRectF(2, theme.HEIGHT + 22, theme.WIDTH - 4, 18)
        painter.drawText(box, Qt.AlignVCenter | Qt.AlignLeft,
                         QFontMetrics(font).elidedText(caption, Qt.ElideMiddle, int(box.width())))

    def _paint_compact(self, painter: QPainter, lod: float, node, report, error: str | None, blocked: bool) -> None:
        """Zoomed out: two lines (type, then key settings or the problem) in letters that stay readable;
        none at all at overview sizes."""
        if lod < 0.25:
            return
        size = min(COMPACT_MAX_POINTS, COMPACT_SCREEN_POINTS / max(lod, 0.05))
        font = QFont(painter.font())
        font.setPointSizeF(size)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(theme.ERROR if error else theme.TEXT)
        top = QRectF(12, 2, theme.WIDTH - 20, theme.HEIGHT / 2 - 2)
        painter.drawText(top, Qt.AlignVCenter | Qt.AlignLeft,
                         QFontMetrics(font).elidedText(node.type, Qt.ElideRight, int(top.width())))
        font.setBold(False)
        font.setPointSizeF(size * 0.85)
        painter.setFont(font)
        text = ("⚠ " + error) if error else (f"waiting for {report.blocked_by}" if blocked
                                                    else self._first_line(node, report))
        painter.setPen(theme.ERROR if error else theme.MUTED)
        bottom = QRectF(12, theme.HEIGHT / 2, theme.WIDTH - 20, theme.HEIGHT / 2 - 2)
        painter.drawText(bottom, Qt.AlignVCenter | Qt.AlignLeft,
                         QFontMetrics(font).elidedText(text, Qt.ElideRight, int(bottom.width())))

    @staticmethod
    def _first_line(node, report) -> str:
        """The key settings, or (for layers without any, e.g. merges) what comes out."""
        text = key_settings(node)
        if text:
            return text
        joined = f"{len(report.input_shapes)} inputs" if report is not None and len(report.input_shapes) > 1 else ""
        if report is not None and report.output_shape is not None:
            return (joined + " → " if joined else "→ ") + format_shape(report.output_shape)
        return joined or "no settings"

    # -- interaction --------------------------------------------------------------------------
    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionHasChanged and self.scene() is not None:
            self.scene().node_item_moved(self.node_id)
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event) -> None:
        if self.scene() is not None:
            self.scene().node_hovered(self.node_id)
        super().hoverEnterEvent(event)
