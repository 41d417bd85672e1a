"""Register LayerStudio with a freedesktop desktop (Linux): the application menu entry, its icon and the
`.lsproj` file type, installed into the user's own data folder (`$XDG_DATA_HOME`, `~/.local/share`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from studio.assets import ASSETS_DIR

ICON_SIZES = (16, 32, 48, 64, 128, 256)


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def launch_command() -> str:
    """How the desktop starts the app: the installed `layerstudio-gui` script, else this Python with `-m`."""
    script = shutil.which("layerstudio-gui")
    return f'"{script}"' if script else f'"{sys.executable}" -m studio'


def install_desktop_entry(target: Path | None = None) -> list[Path]:
    """Write the menu entry, the icons and the project file type under `target` (default: the user's data
    folder); return the files written. The desktop's caches are refreshed when its tools are present."""
    target = target or data_home()
    desktop = (ASSETS_DIR / "desktop" / "layerstudio.desktop").read_text(encoding="utf-8")
    desktop = desktop.replace("Exec=layerstudio-gui", f"Exec={launch_command()}")
    written = [_write(target / "applications" / "layerstudio.desktop", desktop.encode())]
    written.append(_write(target / "mime" / "packages" / "layerstudio.xml",
                          (ASSETS_DIR / "desktop" / "layerstudio-mime.xml").read_bytes()))
    icons = target / "icons" / "hicolor"
    written.append(_write(icons / "scalable" / "apps" / "layerstudio.svg",
                          (ASSETS_DIR / "icons" / "layerstudio.svg").read_bytes()))
    for size in ICON_SIZES:
        written.append(_write(icons / f"{size}x{size}" / "apps" / "layerstudio.png",
                              (ASSETS_DIR / "icons" / f"layerstudio-{size}.png").read_bytes()))
    _refresh(["update-desktop-database", str(target / "applications")])
    _refresh(["update-mime-database", str(target / "mime")])
    return written


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _refresh(command: list[str]) -> None:
    if shutil.which(command[0]):
        subprocess.run(command, check=False, capture_output=True)
