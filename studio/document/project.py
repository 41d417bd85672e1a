"""The project and its `.lsproj` file: the graph plus the data, compile and training settings and runs.

The file is JSON with a `format_version`. Saving writes a temporary file beside the target and renames
it over the target (`os.replace`), so a crash mid-save leaves the old file whole. Loading checks the
whole file before returning a new `Project`; on any problem it raises `ProjectFileError` and the
caller's current project is untouched.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.utils.file_utils import atomic_write
from studio.document.graph import Graph, GraphError, LayerNode, Wire

FORMAT_VERSION = 1
SUFFIX = ".lsproj"
MAX_DEPTH = 64  # LayerStudio's own files nest about 10 levels (a wrapped layer's initializer's config)


class ProjectFileError(Exception):
    """A project file that cannot be read or written; the message names the file and the problem."""


@dataclass
class Project:
    """Everything a user saves: the graph, and the settings that later panels edit (kept as given)."""

    graph: Graph = field(default_factory=Graph)
    data: dict | None = None
    compile: dict | None = None
    training: dict | None = None
    runs: list = field(default_factory=list)
    path: str | None = None
    extra: dict = field(default_factory=dict)  # top-level keys of newer minor versions, kept as read
    problems: list[str] = field(default_factory=list)  # what opening the file left out, and why (not saved)

    def to_dict(self) -> dict:
        return {"format_version": FORMAT_VERSION, "graph": graph_to_dict(self.graph), "data": self.data,
                "compile": self.compile, "training": self.training, "runs": self.runs, **self.extra}

    @classmethod
    def from_dict(cls, data: dict, source: str = "project") -> Project:
        if not isinstance(data, dict):
            raise ProjectFileError(f"{source} is not a LayerStudio project: the top level is not a JSON object.")
        version = data.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ProjectFileError(f"{source} is not a LayerStudio project: it has no integer 'format_version'.")
        if version > FORMAT_VERSION:
            raise ProjectFileError(f"{source} was saved by a newer LayerStudio (project format {version}; this "
                                   f"version reads formats up to {FORMAT_VERSION}). Update LayerStudio to open it.")
        if version < 1:
            raise ProjectFileError(f"{source} has an invalid format_version {version}.")
        for key, kind in (("data", dict), ("compile", dict), ("training", dict)):
            if data.get(key) is not None and not isinstance(data[key], kind):
                raise ProjectFileError(f"{source}: '{key}' must be an object or null.")
        runs = data.get("runs", [])
        if not isinstance(runs, list):
            raise ProjectFileError(f"{source}: 'runs' must be a list.")
        graph = graph_from_dict(data.get("graph"), source)
        known = {"format_version", "graph", "data", "compile", "training", "runs"}
        return cls(graph, _with_category_codes(data.get("data"), runs), data.get("compile"), data.get("training"), runs,
                   extra={k: v for k, v in data.items() if k not in known})


def _with_category_codes(data: dict | None, runs: list) -> dict | None:
    """A data spec saved before `category_codes_from` was kept: 0 (an Embedding's codes start at the first category,
    as its saved runs were trained) when the project has runs, else 1 (code 0 kept for an unseen category)."""
    if isinstance(data, dict) and {"path", "columns"} <= data.keys() and "category_codes_from" not in data:
        return {**data, "category_codes_from": 0 if runs else 1}
    return data


def graph_to_dict(graph: Graph) -> dict:
    return {
        "nodes": [{"id": n.id, "type": n.type, "name": n.name, "config": n.config, "position": list(n.position)}
                  for n in graph.nodes.values()],
        "wires": [{"source": w.source, "target": w.target, "port": w.port} for w in graph.wires],
        "inputs": [n.id for n in graph.input_nodes()],
        "outputs": list(graph.outputs),
    }


def graph_from_dict(data, source: str = "project") -> Graph:
    """A new Graph from its dict; ProjectFileError naming the first bad node or wire."""
    if not isinstance(data, dict):
        raise ProjectFileError(f"{source}: 'graph' is missing or is not an object.")
    graph = Graph()
    nodes, wires = data.get("nodes", []), data.get("wires", [])
    if not isinstance(nodes, list) or not isinstance(wires, list):
        raise ProjectFileError(f"{source}: graph 'nodes' and 'wires' must be lists.")
    for i, item in enumerate(nodes):
        where = f"{source}: graph node {i + 1}"
        if not isinstance(item, dict):
            raise ProjectFileError(f"{where} is not an object.")
        for key, kind in (("id", str), ("type", str), ("name", str), ("config", dict), ("position", list)):
            if not isinstance(item.get(key), kind):
                raise ProjectFileError(f"{where}: '{key}' is missing or is not a {kind.__name__}.")
        position = item["position"]
        if len(position) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in position):
            raise ProjectFileError(f"{where} ('{item['name']}'): 'position' must be two numbers.")
        try:
            graph.add_node(LayerNode(item["id"], item["type"], item["name"], item["config"],
                                     (float(position[0]), float(position[1]))))
        except GraphError as err:
            raise ProjectFileError(f"{where} ('{item['name']}'): {err}") from None
    for i, item in enumerate(wires):
        where = f"{source}: wire {i + 1}"
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("source", "target")) \
                or not isinstance(item.get("port", 0), int):
            raise ProjectFileError(f"{where} must have string 'source' and 'target' node ids and an integer 'port'.")
        try:
            graph.add_wire(Wire(item["source"], item["target"], item.get("port", 0)))
        except GraphError as err:
            raise ProjectFileError(f"{where}: {err}") from None
    outputs = data.get("outputs", [])
    if not isinstance(outputs, list) or not all(isinstance(o, str) and o in graph.nodes for o in outputs):
        raise ProjectFileError(f"{source}: graph 'outputs' must list node ids of the graph.")
    graph.outputs = list(outputs)
    return graph


def load_project(path: str | os.PathLike) -> Project:
    """Read and check a project file; ProjectFileError (never a half-made project) on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectFileError(f"{path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ProjectFileError(f"Cannot read {path}: {err}") from None
    if not text.strip():
        raise ProjectFileError(f"{path} is empty: it is not a LayerStudio project (or it was cut off while saving).")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProjectFileError(f"{path} is not a valid LayerStudio project: the JSON is broken at line {err.lineno}, "
                               f"column {err.colno} ({err.msg}). The file may be truncated or corrupt.") from None
    except RecursionError:
        raise ProjectFileError(f"{path} is not a LayerStudio project: its JSON nests deeper than {MAX_DEPTH} "
                               "levels.") from None
    problem = json_problem(data)
    if problem:
        raise ProjectFileError(f"{path.name}: {problem}")
    project = Project.from_dict(data, source=str(path.name))
    project.path = str(path)
    return project


def json_problem(data) -> str | None:
    """Why parsed project JSON cannot be kept and saved again: nesting deeper than MAX_DEPTH, or a non-finite
    number (NaN, Infinity, 1e999) outside a run's history; names the part. None when it is fine."""
    stack = [(data, ())] if isinstance(data, (dict, list, float)) else []
    while stack:
        value, path = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value) and not (len(path) > 2 and path[0] == "runs" and path[2] == "history"):
                return f"{_json_place(data, path)} holds {value}, which is not a finite number."
            continue
        if len(path) >= MAX_DEPTH:
            return f"{_json_place(data, path[:4])} nests deeper than {MAX_DEPTH} levels."
        items = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend((v, (*path, k)) for k, v in items if isinstance(v, (dict, list, float)))
    return None


def _json_place(data, path: tuple) -> str:
    """A place in project JSON in words, naming the node, column or run it is in:
    "graph node 2 ('dense'), config, 'rate'", "data, preprocessor, column 'age', 'mean'"."""
    words, value = [], data
    for key in path:
        item = value[key]
        if isinstance(key, int):
            label = _NAMED_ITEMS.get(words[-1] if words else "")
            name = item.get(label[1]) if label and isinstance(item, dict) else None
            words[-1:] = [f"{label[0]} {key + 1}" + (f" ({name!r})" if isinstance(name, (str, int)) else "")] \
                if label else [*words[-1:], f"item {key + 1}"]
        else:
            words.append(str(key))
        value = item
    return ", ".join(words) if words else "the top level"


# Lists whose items the messages name: key -> (what an item is, the key holding its name).
_NAMED_ITEMS = {"nodes": ("graph node", "name"), "features": ("column", "name"), "columns": ("column", "name"),
                "runs": ("run", "run_id"), "wires": ("wire", None)}


def save_project(project: Project, path: str | os.PathLike) -> None:
    """Write atomically (temp file, fsync, rename); sets `project.path` on success."""
    path = Path(path)
    try:
        text = json.dumps(project.to_dict(), indent=2, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ProjectFileError(f"The project cannot be written as JSON: {err}") from None
    try:
        with atomic_write(path, encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as err:
        raise ProjectFileError(f"Cannot save {path}: {err.strerror or err}") from None
    project.path = str(path)
