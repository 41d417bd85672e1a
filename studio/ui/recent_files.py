"""The list of recently opened projects, kept in QSettings (most recent first, at most ten)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

KEY = "recent_projects"
LIMIT = 10


class RecentFiles:
    def __init__(self, settings: QSettings):
        self.settings = settings

    def paths(self) -> list[str]:
        value = self.settings.value(KEY, [])
        if isinstance(value, str):
            value = [value]
        return [p for p in (value or []) if isinstance(p, str)]

    def add(self, path: str) -> None:
        path = os.path.abspath(path)
        paths = [path] + [p for p in self.paths() if p != path]
        self.settings.setValue(KEY, paths[:LIMIT])

    def remove(self, path: str) -> None:
        self.settings.setValue(KEY, [p for p in self.paths() if p != os.path.abspath(path)])

    def clear(self) -> None:
        self.settings.setValue(KEY, [])
