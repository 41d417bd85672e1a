"""Light and dark appearance: the application palette, the canvas colours and the plots follow one choice,
"system" (the desktop's own palette, followed when it changes), "light" or "dark"."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from studio.ui.canvas import theme

THEMES = ("system", "light", "dark")

_system: tuple[str, QPalette] | None = None  # the style and palette the desktop gave us, kept for "system"


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style, with readable disabled text and link colours."""
    p = QPalette()
    window, base, text = QColor("#2b2d31"), QColor("#1e1f22"), QColor("#e6e6e6")
    for role, color in {
        QPalette.Window: window, QPalette.WindowText: text, QPalette.Base: base, QPalette.AlternateBase: window,
        QPalette.ToolTipBase: QColor("#3a3d42"), QPalette.ToolTipText: text, QPalette.Text: text,
        QPalette.Button: QColor("#35373c"), QPalette.ButtonText: text, QPalette.BrightText: QColor("#ff6b6b"),
        QPalette.Highlight: QColor("#3b6fd8"), QPalette.HighlightedText: QColor("#ffffff"),
        QPalette.Link: QColor("#7aa7ff"), QPalette.PlaceholderText: QColor("#8b8f97"), QPalette.Mid: QColor("#45484e"),
        QPalette.Light: QColor("#4a4d53"), QPalette.Dark: QColor("#18191b"), QPalette.Shadow: QColor("#000000"),
    }.items():
        p.setColor(role, color)
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#7c8088"))
    return p


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.Window).lightness() < 128


def apply_theme(choice: str, root: QWidget | None = None) -> bool:
    """Apply `choice` to the application, then restyle the canvas and plots under `root`; True when dark."""
    global _system
    app = QApplication.instance()
    if _system is None:
        _system = (app.style().name(), QPalette(app.palette()))
    if choice == "dark":
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    elif choice == "light":
        app.setStyle("Fusion")
        app.setPalette(app.style().standardPalette())
    else:
        app.setStyle(_system[0])
        app.setPalette(_system[1])
    dark = is_dark(app.palette())
    theme.use_dark(dark)
    _style_plots(dark)
    if root is not None:
        restyle(root, dark)
    return dark


def follow_system_changes(callback) -> None:
    """Call `callback()` when the desktop switches between light and dark (Qt 6.5+)."""
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(lambda *_: callback())


SEVERITY_COLORS = {"error": ("#b00020", "#ff6b6b"), "warning": ("#a15c00", "#f0b050"), "info": ("#1b5e20", "#7bd389")}


def severity_color(severity: str) -> str:
    """The text colour of an error, warning or info message, readable on the current theme."""
    light, dark = SEVERITY_COLORS.get(severity, ("#000000", "#e6e6e6"))
    return dark if theme.dark else light


def plot_colors(dark: bool) -> tuple[str, str]:
    """Background and foreground of the plots."""
    return ("#1e1f22", "#d0d0d0") if dark else ("#ffffff", "#202124")


def _style_plots(dark: bool) -> None:
    import pyqtgraph as pg
    background, foreground = plot_colors(dark)
    pg.setConfigOptions(background=background, foreground=foreground)


def restyle(root: QWidget, dark: bool) -> None:
    """Restyle what is already on screen: the plots' colours, and every widget that draws with theme colours
    (those with a `theme_changed()` method, such as the canvas)."""
    import pyqtgraph as pg
    background, foreground = plot_colors(dark)
    for plot in root.findChildren(pg.PlotWidget):
        plot.setBackground(background)
        item = plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(foreground)
            axis.setTextPen(foreground)
        if item.titleLabel is not None and item.titleLabel.text:
            item.setTitle(item.titleLabel.text, color=foreground)
        if item.legend is not None:
            item.legend.setLabelTextColor(foreground)
            for _sample, label in item.legend.items:
                label.setText(label.text)  # the new colour applies when the text is set
    for widget in [root, *root.findChildren(QWidget)]:
        changed = getattr(widget, "theme_changed", None)
        if callable(changed):
            changed()
    root.update()


def text_color(widget: QWidget) -> QColor:
    return widget.palette().color(QPalette.Text)
