"""Assets in `.keras` files: files a layer writes beside its weights (a lookup's `vocabulary.txt`).

Keras 3 stores them in the zip under `assets/<object path>/`, the object path being the one its
weights have (`layers/string_lookup`). A layer with `save_assets(dir_path)` writes into a directory;
`load_assets(dir_path)` reads one back. Reading extracts only plain relative names under `assets/`.
"""

from __future__ import annotations

import os
import posixpath
import tempfile

from engine.saving import object_state

ASSETS_DIRNAME = "assets"


def collect_assets(model) -> dict[str, bytes]:
    """Every asset file of `model`, as `{zip member name: content}` (empty if no layer has assets)."""
    files: dict[str, bytes] = {}
    owners = [(path, obj) for path, obj in object_state.saveable_paths(model) if hasattr(obj, "save_assets")]
    if not owners:
        return files
    with tempfile.TemporaryDirectory(prefix="engine-assets-") as root:
        for path, obj in owners:
            directory = os.path.join(root, *path.split("/")) if path else root
            os.makedirs(directory, exist_ok=True)
            obj.save_assets(directory)
        for folder, _, names in sorted(os.walk(root)):
            for name in sorted(names):
                full = os.path.join(folder, name)
                relative = os.path.relpath(full, root).replace(os.sep, "/")
                with open(full, "rb") as f:
                    files[f"{ASSETS_DIRNAME}/{relative}"] = f.read()
    return files


def asset_member_names(names: list[str], filepath: str) -> list[str]:
    """The archive's asset files, each checked to be a plain relative path (no `..`, no absolute names)."""
    found = []
    for name in names:
        if not name.startswith(f"{ASSETS_DIRNAME}/") or name.endswith("/"):
            continue
        parts = name.split("/")
        if any(part in ("", ".", "..") for part in parts) or "\\" in name or posixpath.isabs(name):
            raise ValueError(f"{filepath} holds the asset '{name}', whose path leaves the assets directory; "
                             "refusing to load it.")
        found.append(name)
    return found


def restore_assets(model, files: dict[str, bytes]) -> None:
    """Give every layer with `load_assets` its directory of files (an empty one if the file has none)."""
    owners = [(path, obj) for path, obj in object_state.saveable_paths(model) if hasattr(obj, "load_assets")]
    if not owners:
        return
    with tempfile.TemporaryDirectory(prefix="engine-assets-") as root:
        for name, data in files.items():
            target = os.path.join(root, *name.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        base = os.path.join(root, ASSETS_DIRNAME)
        for path, obj in owners:
            directory = os.path.join(base, *path.split("/")) if path else base
            os.makedirs(directory, exist_ok=True)
            try:
                obj.load_assets(directory)
            except (ValueError, OSError, UnicodeDecodeError) as err:
                raise ValueError(f"Could not load the assets of layer '{getattr(obj, 'name', path)}' "
                                 f"({type(obj).__name__}) from '{ASSETS_DIRNAME}/{path}': {err}") from err
