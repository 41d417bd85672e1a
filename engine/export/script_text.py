"""A model as a readable, standalone Keras 3 script: the architecture, `compile`, the trained weights, a summary.

`python_script(model)` puts together the code `python_script` writes for the model (see `model_lines`) with
optional blocks of the caller's code in marked sections: `setup_code` (run before Keras is imported, e.g.
reading the command line and choosing the backend), `data_code` (loading and preprocessing data),
`devices_code` (a `keras.distribution` set before the model is built) and `fit_code` (a `model.fit(...)`
call). The blocks' top-level imports join the script's import block (Keras's after `setup_code`).
"""

from __future__ import annotations

import ast
import json
import os
import re
import textwrap

from engine.export.python_script import (
    compile_lines,
    custom_compile_objects,
    is_model,
    model_lines,
    unsupported_layers,
)
from engine.export.python_source import WIDTH, Names, PythonExportError, import_block, literal, parse_block
from engine.utils.file_utils import atomic_write

__all__ = ["PythonExportError", "export_python_script", "python_script"]

_KERAS_IMPORTS = "import keras\nfrom keras import layers"


def _banner(title: str) -> str:
    return f"# -- {title} ".ljust(79, "-")


def _docstring(model, weights_path: str | None, script_name: str, data: bool, fit: bool,
               usage: str | None) -> str:
    from engine import __version__
    from engine.models.sequential import Sequential
    safe_name = str(model.name).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    kind = "keras.Sequential" if type(model) is Sequential else "Keras functional API"
    steps = ["reads and prepares the data"] if data else []
    steps.append(f"defines the architecture ({kind})")
    if getattr(model, "compiled", False):
        steps.append("compiles it as it was compiled in LayerStudio")
    if weights_path:
        steps.append(f"loads the trained weights from {os.path.basename(weights_path)}")
    steps.append("prints a summary")
    if fit:
        steps.append("trains the model")
    text = "It " + ", ".join(steps[:-1]) + " and " + steps[-1] + "."
    if weights_path and not os.path.isabs(weights_path):
        text += f" Keep {weights_path} next to this script."
    body = textwrap.fill(text, width=WIDTH - 4)
    run = usage or (f"Run it with Keras 3 on any backend, for example PyTorch:\n\n"
                    f"    pip install keras torch\n    KERAS_BACKEND=torch python {script_name}")
    run = run.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'"""Keras 3 script for the model "{safe_name}", exported by LayerStudio {__version__}.\n\n' \
        f'{body}\n\n{run.rstrip()}\n"""'


def _weights_lines(model, weights_path: str) -> list[str]:
    """The lines that load the weights file (a relative path is taken next to the script, with
    `pathlib.Path`) and, if the optimizer has a state, create the slots that receive it."""
    if not (weights_path.endswith(".keras") or weights_path.endswith(".weights.h5")):
        raise PythonExportError(f"weights_path must name a .keras or .weights.h5 file; received {weights_path!r}")
    if os.path.isabs(weights_path):
        line = f"model.load_weights({literal(weights_path, 'weights_path')})"
    else:
        relative = literal(weights_path.replace(os.sep, "/"), "weights_path")
        line = f"model.load_weights(Path(__file__).parent / {relative})"
    if len(line) > WIDTH:
        line += "  # noqa: E501"
    if getattr(getattr(model, "optimizer", None), "built", False):
        return ["", "# The trained weights and the optimizer's state (to continue training),",
                "# exported by LayerStudio", "model.optimizer.build(model.trainable_variables)", line]
    return ["", "# The trained weights, exported by LayerStudio", line]


def _predict_example(model) -> list[str]:
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) > 1:
        names = ["x_" + re.sub(r"\W+", "_", t.keras_history[0].name) for t in inputs]
        lines = ["# Predictions for new samples, one NumPy array per input:"]
        lines += [f"#   {n}: shape (n, {', '.join(str(d) for d in t.shape[1:])})" for n, t in zip(names, inputs)]
        struct = getattr(model, "_inputs_struct", None)
        if isinstance(struct, dict):
            keys = {id(t): k for k, t in struct.items()}
            pairs = ", ".join(f"{json.dumps(str(keys[id(t)]))}: {n}" for n, t in zip(names, inputs))
            return lines + [f"# predictions = model.predict({{{pairs}}})"]
        return lines + [f"# predictions = model.predict([{', '.join(names)}])"]
    shape = ", ".join(str(d) for d in inputs[0].shape[1:]) if inputs else None
    described = f" of shape (n, {shape})" if shape is not None else ""
    return [f"# Predictions for new samples (a NumPy array{described}):", "# predictions = model.predict(x)"]


def _is_keras_import(statement: ast.stmt) -> bool:
    names = [statement.module or ""] if isinstance(statement, ast.ImportFrom) else [a.name for a in statement.names]
    return all(name.split(".")[0] == "keras" for name in names)


def python_script(model, weights_path: str | None = None, data_code: str | None = None,
                  fit_code: str | None = None, *, script_name: str = "model.py", setup_code: str | None = None,
                  devices_code: str | None = None, usage: str | None = None) -> str:
    """A standalone Keras 3 script that rebuilds, compiles and (with `weights_path`, a `.keras` or
    `.weights.h5` file; relative paths are taken next to the script) loads `model`.

    `data_code` (loading and preprocessing data) and `fit_code` (e.g. a `model.fit(...)` call) are Python
    blocks inserted in their own sections, before the model and after it; `setup_code` runs before Keras is
    imported (the Keras imports then follow it), `devices_code` between the data and the model. `usage`
    replaces the docstring's "how to run it" paragraph. Raises `PythonExportError` naming every layer or
    setting that a script cannot rebuild.
    """
    if not getattr(model, "built", False) and weights_path:
        raise PythonExportError(f"Model '{model.name}' is not built, so it has no weights to load; build it (or "
                                "call it on data) first.")
    problems = (unsupported_layers(model) if is_model(model) else []) + custom_compile_objects(model)
    if problems:
        raise PythonExportError(f"Cannot write a Keras script for model '{model.name}':\n  " + "\n  ".join(problems))
    setup, data = parse_block(setup_code, "setup_code"), parse_block(data_code, "data_code")
    devices, fit = parse_block(devices_code, "devices_code"), parse_block(fit_code, "fit_code")
    blocks = [b for b in (setup, data, devices, fit) if b is not None]
    names = Names({"keras", "layers", "model", "Path", "np"}.union(*(b.names for b in blocks)))

    architecture = model_lines(model, names, "model")
    weights = _weights_lines(model, weights_path) if weights_path else []
    imports = [*ast.parse(_KERAS_IMPORTS).body, *(s for b in blocks for s in b.imports)]
    if weights_path and not os.path.isabs(weights_path):
        imports.extend(ast.parse("from pathlib import Path").body)
    late = [s for s in imports if _is_keras_import(s)] if setup is not None else []
    parts = [_docstring(model, weights_path, script_name, data is not None, fit is not None, usage),
             import_block([s for s in imports if s not in late])]
    if setup is not None:
        keras_imports = [f"{line}  # noqa: E402 (after the backend is chosen)" if line.startswith(("import", "from"))
                         else line for line in import_block(late).splitlines()]
        parts += [_banner("Command line") + "\n" + setup.code, "\n".join(keras_imports)]
    if data is not None:
        parts.append(_banner("Data (from LayerStudio's CSV import)") + "\n" + data.code)
    if devices is not None:
        parts.append(_banner("Devices") + "\n" + devices.code)
    parts.append("\n".join([_banner("Model"), *architecture, "", *compile_lines(model), *weights, "model.summary()"]))
    if fit is not None:
        parts.append(_banner("Training") + "\n" + fit.code)
    if data is None and fit is None:
        parts.append("\n".join([_banner("Use the model"), *_predict_example(model)]))
    return "\n\n".join(part.rstrip() for part in parts) + "\n"


def export_python_script(model, path, weights_path: str | None = None, data_code: str | None = None,
                         fit_code: str | None = None, **sections) -> None:
    """Write `python_script(...)` to `path` atomically (a temporary file in the same folder, then renamed);
    `sections`: python_script's `setup_code`, `devices_code` and `usage`."""
    path = os.fspath(path)
    text = python_script(model, weights_path=weights_path, data_code=data_code, fit_code=fit_code,
                         script_name=os.path.basename(path), **sections)
    with atomic_write(path, encoding="utf-8") as file:
        file.write(text)
