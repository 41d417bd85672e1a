"""The example projects shipped in studio/assets/examples/, and how each is made from the document API.

`python -m studio.document.examples` rewrites the files (run it when the engine's layer configs change).
Examples whose input fits one of the datasets in studio/assets/data carry its data spec (path relative to the
project file), fitted preprocessing, compile and training settings, so that they train in one click:
- mlp: Iris (4 features -> 3 species);
- residual: Breast Cancer Wisconsin (30 features -> benign / malignant);
- cnn: the UCI 8x8 optical digits, 64 pixel columns as 8 x 8 x 1 images (-> 10 digits);
- lstm: El Niño (Niño 1+2) monthly sea surface temperature, 12-month windows -> next month;
- text: WordNet noun definitions as token sequences -> animal / food / person / plant.
- two_branch: Wine, its 13 columns in two groups: 9 chemical measurements into one Input, the 4 colour and
  proline columns into the other (-> 3 cultivars).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from studio.assets import ASSETS_DIR
from studio.data.spec import resolve_path
from studio.document.graph import Graph, Wire
from studio.document.layout import layered_positions
from studio.document.project import Project, load_project, save_project

EXAMPLES_DIR = ASSETS_DIR / "examples"


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


def with_data(project: Project, dataset: str, learning_rate: float, epochs: int, batch_size: int,
              early_stopping: bool = False, bindings=None) -> Project:
    """`project` with the example `dataset` as its data (its columns bound to the Inputs by `bindings`, when the
    model has several), compiled with the task's usual loss and metrics and Adam at `learning_rate`; the data
    path is stored relative to the examples folder."""
    from studio.data import prepare
    from studio.data.examples import example_spec
    from studio.training.compile_settings import default_settings
    from studio.training.run import TrainingSettings

    spec = example_spec(dataset)
    if bindings is not None:
        spec.bindings = bindings
    prepared = prepare(spec)
    project.data = {**prepared.spec.to_dict(relative_to=EXAMPLES_DIR),
                    "preprocessor": prepared.preprocessor.to_dict()}
    project.compile = default_settings(prepared.preprocessor.task)
    project.compile["optimizer"]["config"]["learning_rate"] = learning_rate
    project.training = TrainingSettings(epochs=epochs, batch_size=batch_size, early_stopping=early_stopping).to_dict()
    return project


def mlp() -> Project:
    b = _Builder()
    b.add("Input", "features", shape=[4])
    b.add("Dense", "hidden", ["features"], units=16, activation="relu")
    b.add("Dense", "species", ["hidden"], units=3, activation="softmax")
    return with_data(b.project(), "iris", learning_rate=0.01, epochs=40, batch_size=16)


def cnn() -> Project:
    b = _Builder()
    b.add("Input", "image", shape=[8, 8, 1])
    b.add("Conv2D", "conv1", ["image"], filters=16, kernel_size=[3, 3], activation="relu", padding="same")
    b.add("MaxPooling2D", "pool1", ["conv1"], pool_size=[2, 2])
    b.add("Conv2D", "conv2", ["pool1"], filters=32, kernel_size=[3, 3], activation="relu", padding="same")
    b.add("MaxPooling2D", "pool2", ["conv2"], pool_size=[2, 2])
    b.add("Flatten", "flatten", ["pool2"])
    b.add("Dense", "digits", ["flatten"], units=10, activation="softmax")
    return with_data(b.project(), "digits", learning_rate=0.005, epochs=8, batch_size=32)


def lstm() -> Project:
    b = _Builder()
    b.add("Input", "months", shape=[12, 1])
    b.add("LSTM", "lstm", ["months"], units=32)
    b.add("Dense", "next_month", ["lstm"], units=1)
    return with_data(b.project(), "elnino", learning_rate=0.005, epochs=30, batch_size=32)


def text() -> Project:
    from studio.data import prepare
    from studio.data.examples import example_spec

    vocabulary = prepare(example_spec("definitions")).preprocessor.encoder.vocabulary_size
    b = _Builder()
    b.add("Input", "words", shape=[20])
    b.add("Embedding", "embedding", ["words"], input_dim=vocabulary, output_dim=16)
    b.add("GlobalAveragePooling1D", "average", ["embedding"])
    b.add("Dense", "category", ["average"], units=4, activation="softmax")
    return with_data(b.project(), "definitions", learning_rate=0.01, epochs=30, batch_size=32)


WINE_CHEMISTRY = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
                  "nonflavanoid_phenols", "proanthocyanins"]
WINE_COLOUR = ["color_intensity", "hue", "od280_od315_of_diluted_wines", "proline"]


def two_branch() -> Project:
    from studio.data.bindings import Bindings

    b = _Builder()
    b.add("Input", "chemistry", shape=[len(WINE_CHEMISTRY)])
    b.add("Input", "colour", shape=[len(WINE_COLOUR)])
    b.add("Dense", "deep", ["chemistry"], units=16, activation="relu")
    b.add("Dense", "wide", ["colour"], units=8, activation="relu")
    b.add("Concatenate", "joined", ["deep", "wide"])
    b.add("Dense", "mix", ["joined"], units=16, activation="relu")
    b.add("Dense", "cultivar", ["mix"], units=3, activation="softmax")
    bindings = Bindings({"chemistry": WINE_CHEMISTRY, "colour": WINE_COLOUR}, {"cultivar": "cultivar"})
    return with_data(b.project(), "wine", learning_rate=0.01, epochs=15, batch_size=16, bindings=bindings)


def residual() -> Project:
    b = _Builder()
    b.add("Input", "features", shape=[30])
    b.add("Dense", "stem", ["features"], units=64, activation="relu")
    b.add("Dense", "block_a", ["stem"], units=64, activation="relu")
    b.add("Dense", "block_b", ["block_a"], units=64)
    b.add("Add", "skip", ["block_b", "stem"])
    b.add("Activation", "skip_relu", ["skip"], activation="relu")
    b.add("Dense", "diagnosis", ["skip_relu"], units=1, activation="sigmoid")
    # 64-unit blocks on 456 rows overfit after some 15 epochs: early stopping keeps the best weights
    return with_data(b.project(), "breast_cancer", learning_rate=0.001, epochs=60, batch_size=16, early_stopping=True)


EXAMPLES: dict[str, tuple[str, Callable[[], Project]]] = {
    "mlp": ("Sequential MLP (Iris data)", mlp),
    "cnn": ("Small CNN (8×8 digit images)", cnn),
    "lstm": ("LSTM forecaster (El Niño monthly series)", lstm),
    "text": ("Text classifier (Embedding, WordNet definitions)", text),
    "two_branch": ("Two-branch model (Wine, two column groups)", two_branch),
    "residual": ("Residual block (Breast Cancer data)", residual),
}


def example_path(key: str) -> Path:
    return EXAMPLES_DIR / f"{key}.lsproj" if key else EXAMPLES_DIR / "_"


def starter_project(blank: bool = False) -> Project:
    """What the app opens on: the MLP example (from its file when present), or one Input for New."""
    if blank:
        b = _Builder()
        b.add("Input", "input", shape=[4])
        return Project(b.graph)
    if example_path("mlp").exists():
        try:
            return load_example("mlp")
        except Exception:  # a broken example file must not stop the app from starting
            pass
    return mlp()


def load_example(key: str) -> Project:
    """The example `key` from its file, as a template: no path (saving asks where), its CSV path made absolute
    so that it still leads to the data wherever the project is saved. ProjectFileError if it cannot be read."""
    path = example_path(key)
    project = load_project(path)
    if project.data and isinstance(project.data.get("path"), str):
        project.data = {**project.data, "path": resolve_path(project.data["path"], path.parent)}
    project.path = None
    return project


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
