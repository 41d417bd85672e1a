"""Edit > Preferences: the appearance (system, light or dark), the epochs and batch size proposed for a new
project's data, how many CPU threads the engine may use, and the size above which a project's CSV file is read in
chunks rather than whole. Kept in QSettings, applied at once."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QWidget

import engine
from studio.ui.appearance import THEMES

THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
AUTOMATIC = 0  # epochs / batch size: sized to the data


@dataclass
class Preferences:
    theme: str = "system"
    epochs: int = AUTOMATIC
    batch_size: int = AUTOMATIC
    threads: int = 0  # 0: the engine's own choice (one per core)
    stream_mb: int = 0  # CSV files larger than this many MB are read in chunks; 0: chunks.STREAM_THRESHOLD

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        """The saved preferences; a missing or unreadable value falls back to its default."""
        def number(key: str, low: int, high: int) -> int:
            try:
                value = int(settings.value(f"preferences/{key}", 0))
            except (TypeError, ValueError):
                return 0
            return value if low <= value <= high else 0
        theme = settings.value("preferences/theme", "system")
        return cls(theme=theme if theme in THEMES else "system", epochs=number("epochs", 1, 100_000),
                   batch_size=number("batch_size", 1, 1_000_000),
                   threads=number("threads", 1, engine.config.MAX_THREADS),
                   stream_mb=number("stream_mb", 1, 10_000_000))

    @property
    def stream_threshold(self) -> int:
        """Bytes above which a project's CSV file is read in chunks."""
        from studio.data import chunks

        return self.stream_mb << 20 if self.stream_mb else chunks.STREAM_THRESHOLD

    def save(self, settings: QSettings) -> None:
        for key, value in self.__dict__.items():
            settings.setValue(f"preferences/{key}", value)

    def apply_threads(self) -> None:
        if self.threads:
            engine.config.set_num_threads(self.threads)


class PreferencesDialog(QDialog):
    """The preferences form; `preferences()` is what the user chose."""

    def __init__(self, preferences: Preferences, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        form = QFormLayout(self)
        self.theme = QComboBox()
        for key in THEMES:
            self.theme.addItem(THEME_LABELS[key], key)
        self.theme.setCurrentIndex(THEMES.index(preferences.theme))
        self.epochs = _spin(0, 100_000, preferences.epochs, "sized to the data")
        self.batch_size = _spin(0, 1_000_000, preferences.batch_size, "sized to the data")
        self.threads = _spin(0, engine.config.MAX_THREADS, preferences.threads, "one per core")
        form.addRow("Appearance:", self.theme)
        form.addRow("Epochs for new data:", self.epochs)
        form.addRow("Batch size for new data:", self.batch_size)
        form.addRow("CPU threads for training:", self.threads)
        from studio.data.chunks import STREAM_THRESHOLD

        self.stream_mb = _spin(0, 10_000_000, preferences.stream_mb, f"{STREAM_THRESHOLD >> 20} MB")
        self.stream_mb.setSuffix(" MB")
        self.stream_mb.setToolTip("A project's CSV file larger than this is read a chunk at a time for training, "
                                  "evaluation and prediction, never held whole in memory.")
        form.addRow("Read CSV files in chunks above:", self.stream_mb)
        note = QLabel("Epochs and batch size are proposed when a project gets new data; each project keeps its own.")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def preferences(self) -> Preferences:
        return Preferences(theme=self.theme.currentData(), epochs=self.epochs.value(),
                           batch_size=self.batch_size.value(), threads=self.threads.value(),
                           stream_mb=self.stream_mb.value())


def _spin(low: int, high: int, value: int, automatic: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSpecialValueText(automatic)  # shown for the minimum, 0
    spin.setValue(value)
    return spin
