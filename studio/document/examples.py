"""The example projects shipped in assets/examples/, and how each is made from the document API.

`python -m studio.document.examples` rewrites the files (run it when the engine's layer configs change).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from studio.document.graph import Graph, Wire
from studio.document.layout import layered_positions
from studio.document.project import Project, load_project, save_project

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "examples"


class _Builder:
    """Adds nodes and wires by name: `b.add("Dense", "hidden", ["input"], units=16)`."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.ids: dict[str, str] = {}

    def add(self, type_name: str, name: str, inputs: list[str] = (), **config) -> str:
        from studio.document import new_node
        node = new_node(self.graph, type_name, config=config, name=name)
        self.graph.add_node(node)
        self.ids[name] = node.id
        for port, source in enumerate(inputs):
            self.graph.add_wire(Wire(self.ids[source], node.id, port))
        return node.id

    def project(self) -> Project:
        self.graph.move_nodes(layered_positions(self.graph))
        return Project(self.graph)


def mlp() -> Project:
    b = _Builder()
    b.add("Input", "features", shape=[4])
    b.add("Dense", "hidden", ["features"], units=16, activation="relu")
    b.add("Dense", "species", ["hidden"], units=3, activation="softmax")
    return b.project()


def cnn() -> Project:
    b = _Builder()
    b.add("Input", "image", shape=[28, 28, 1])
    b.add("Conv2D", "conv1", ["image"], filters=16, kernel_size=[3, 3], activation="relu", padding="same")
    b.add("MaxPooling2D", "pool1", ["conv1"], pool_size=[2, 2])
    b.add("Conv2D", "conv2", ["pool1"], filters=32, kernel_size=[3, 3], activation="relu", padding="same")
    b.add("MaxPooling2D", "pool2", ["conv2"], pool_size=[2, 2])
    b.add("Flatten", "flatten", ["pool2"])
    b.add("Dense", "digits", ["flatten"], units=10, activation="softmax")
    return b.project()


def lstm() -> Project:
    b = _Builder()
    b.add("Input", "sequence", shape=[20, 8])
    b.add("LSTM", "lstm", ["sequence"], units=32)
    b.add("Dense", "score", ["lstm"], units=1, activation="sigmoid")
    return b.project()


def two_branch() -> Project:
    b = _Builder()
    b.add("Input", "numbers", shape=[8])
    b.add("Input", "flags", shape=[4])
    b.add("Dense", "deep", ["numbers"], units=16, activation="relu")
    b.add("Dense", "wide", ["flags"], units=8, activation="relu")
    b.add("Concatenate", "joined", ["deep", "wide"])
    b.add("Dense", "mix", ["joined"], units=16, activation="relu")
    b.add("Dense", "probability", ["mix"], units=1, activation="sigmoid")
    return b.project()


def residual() -> Project:
    b = _Builder()
    b.add("Input", "features", shape=[32])
    b.add("Dense", "stem", ["features"], units=64, activation="relu")
    b.add("Dense", "block_a", ["stem"], units=64, activation="relu")
    b.add("Dense", "block_b", ["block_a"], units=64)
    b.add("Add", "skip", ["block_b", "stem"])
    b.add("Activation", "skip_relu", ["skip"], activation="relu")
    b.add("Dense", "classes", ["skip_relu"], units=10, activation="softmax")
    return b.project()


EXAMPLES: dict[str, tuple[str, Callable[[], Project]]] = {
    "mlp": ("Sequential MLP (Iris features)", mlp),
    "cnn": ("Small CNN (28×28 images)", cnn),
    "lstm": ("LSTM sequence classifier", lstm),
    "two_branch": ("Two-branch model (Concatenate)", two_branch),
    "residual": ("Residual block (Add)", residual),
}


def example_path(key: str) -> Path:
    return EXAMPLES_DIR / f"{key}.lsproj" if key else EXAMPLES_DIR / "_"


def starter_project(blank: bool = False) -> Project:
    """What the app opens on: the MLP example (from its file when present), or one Input for New."""
    if blank:
        b = _Builder()
        b.add("Input", "input", shape=[4])
        return Project(b.graph)
    path = example_path("mlp")
    if path.exists():
        try:
            project = load_project(path)
            project.path = None  # an example is a template: saving asks where
            return project
        except Exception:  # a broken example file must not stop the app from starting
            pass
    return mlp()


def write_examples(directory: Path = EXAMPLES_DIR) -> list[Path]:
    """Write every example whose layers this engine has; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for key, (_, make) in EXAMPLES.items():
        try:
            project = make()
        except Exception as err:  # e.g. the engine has no LSTM yet
            print(f"skipped {key}: {err}")
            continue
        path = directory / f"{key}.lsproj"
        save_project(project, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_examples():
        print("wrote", p)
