"""How much of Keras 3's `keras.ops` and `keras.layers` the engine has: counts per submodule, and the names missing.

    python tools/keras_coverage.py              # counts, then the missing names
    python tools/keras_coverage.py --counts     # counts only
    python tools/keras_coverage.py --write-names  # refresh tools/keras_names.json from the installed Keras

The reference list comes from the installed Keras when there is one (`KERAS_BACKEND=torch`), else from
`tools/keras_names.json`, written by this script from Keras (a test checks it still equals installed Keras).
`keras.ops` names are grouped by the Keras module that defines them (numpy, nn, math, linalg, core, einops);
`keras.ops.image` is counted against `engine.ops.image`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

NAMES_FILE = Path(__file__).with_name("keras_names.json")
OPS_GROUPS = ("numpy", "nn", "math", "linalg", "core", "einops", "image")


def keras_names_from_installed() -> dict | None:
    """Keras's public names, read from the installed package (None when Keras is not installed)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        keras = importlib.import_module("keras")
    except ImportError:
        return None
    ops = keras.ops
    groups: dict[str, list[str]] = {group: [] for group in OPS_GROUPS}
    for name in dir(ops):
        value = getattr(ops, name)
        if name.startswith("_") or not callable(value):
            continue
        module = getattr(value, "__module__", "") or ""
        group = module.rsplit(".", 1)[-1] if module.startswith("keras.src.ops.") else "core"
        groups.setdefault(group, []).append(name)
    groups["image"] = [n for n in dir(ops.image) if not n.startswith("_") and callable(getattr(ops.image, n))]
    layers = [n for n in dir(keras.layers) if not n.startswith("_")]
    return {"keras_version": keras.__version__, "ops": {g: sorted(v) for g, v in groups.items()},
            "layers": sorted(layers)}


def keras_names() -> dict:
    """Keras's public names: from the installed Keras, else from the checked-in list."""
    return keras_names_from_installed() or json.loads(NAMES_FILE.read_text())


def coverage(names: dict) -> dict:
    """{"ops": {group: (present, missing)}, "layers": (present, missing)} for the engine on `names`."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    import engine.layers
    import engine.ops

    def split(module, wanted):
        present = [n for n in wanted if hasattr(module, n)]
        return present, [n for n in wanted if not hasattr(module, n)]

    ops = {}
    for group, wanted in names["ops"].items():
        module = getattr(engine.ops, "image", None) if group == "image" else engine.ops
        ops[group] = split(module, wanted) if module is not None else ([], list(wanted))
    return {"ops": ops, "layers": split(engine.layers, names["layers"])}


def report(names: dict, show_missing: bool = True) -> str:
    result = coverage(names)
    lines = [f"Reference: Keras {names['keras_version']}"]
    top = [g for g in result["ops"] if g != "image"]
    have = sum(len(result["ops"][g][0]) for g in top)
    total = have + sum(len(result["ops"][g][1]) for g in top)
    lines.append(f"keras.ops: {have} of {total} present")
    for group, (present, missing) in result["ops"].items():
        label = "keras.ops.image" if group == "image" else f"  {group}"
        lines.append(f"{label}: {len(present)} of {len(present) + len(missing)}")
    present, missing = result["layers"]
    lines.append(f"keras.layers: {len(present)} of {len(present) + len(missing)} present")
    if show_missing:
        for group, (_, missing_ops) in result["ops"].items():
            if missing_ops:
                lines.append(f"\nmissing ops ({group}): {', '.join(missing_ops)}")
        if missing:
            lines.append(f"\nmissing layers: {', '.join(missing)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", action="store_true", help="print the counts only")
    parser.add_argument("--write-names", action="store_true", help="write tools/keras_names.json from Keras")
    args = parser.parse_args(argv)
    if args.write_names:
        names = keras_names_from_installed()
        if names is None:
            print("Keras is not installed: cannot refresh the list of its names.", file=sys.stderr)
            return 1
        NAMES_FILE.write_text(json.dumps(names, indent=1) + "\n")
        print(f"wrote {NAMES_FILE}")
        return 0
    print(report(keras_names(), show_missing=not args.counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
