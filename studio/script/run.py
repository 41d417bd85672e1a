"""The script's command line (the CSV, `--backend`, `--distribute`, `--in-memory`, `--epochs`, `--save`), its
`# -- Devices` section (`keras.distribution`) and its `# -- Training` section.

`--backend` sets KERAS_BACKEND before Keras is imported; a backend that is not installed stops the script
with the package to install. `--distribute` uses `keras.distribution` where it trains (the jax backend in
Keras 3.15): `DataParallel` over every local device, or `ModelParallel` when the model has large Dense or
Embedding weights (layout hints written at export) and the devices pair up. On a backend where
`keras.distribution` does not train (torch, tensorflow) it says so and trains on one device: the run still
gives the user a model, and the message names what to install for more.
"""

from __future__ import annotations

import textwrap

from engine.export.python_source import WIDTH, Seq, literal, statement

LARGE_WEIGHT = 1 << 20  # values in a Dense kernel or Embedding table worth splitting across devices

_SETUP = '''

parser = argparse.ArgumentParser(description=DESCRIPTION)
parser.add_argument(
    "csv",
    nargs="?",
    type=Path,
    default=DEFAULT_CSV,
    help="the CSV file (default: the one the model was trained on, beside this script)",
)
parser.add_argument(
    "--backend",
    choices=["jax", "tensorflow", "torch"],
    help="the Keras backend (default: $KERAS_BACKEND, else Keras's own default)",
)
parser.add_argument(
    "--distribute",
    action="store_true",
    help="train on every local device with keras.distribution (jax backend)",
)
parser.add_argument(
    "--in-memory",
    action="store_true",
    help="read the whole CSV into memory (rows shuffled each epoch) instead of "
    "streaming it batch by batch (batches shuffled each epoch)",
)
parser.add_argument("--epochs", type=int, default=EPOCHS, help="default: %(default)s")
parser.add_argument(
    "--batch-size", type=int, default=BATCH_SIZE, help="default: %(default)s"
)
parser.add_argument(
    "--save",
    type=Path,
    metavar="MODEL.keras",
    help="write the trained model to this .keras file",
)
args = parser.parse_args()
if not args.csv.is_file():
    name = Path(__file__).name
    sys.exit(f"{args.csv}: no such CSV file; give its path: python {name} data.csv")


def keras_backend():
    """The backend Keras will use: $KERAS_BACKEND, keras.json's or its default."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        return json.loads(config.read_text()).get("backend", "tensorflow")
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


if args.backend:
    os.environ["KERAS_BACKEND"] = (
        args.backend
    )  # read once, when Keras is first imported
if find_spec("keras") is None:
    sys.exit(
        "This script needs Keras 3: pip install keras "
        "(and a backend: jax, tensorflow or torch)."
    )
BACKEND = keras_backend()
if BACKEND in ("jax", "tensorflow", "torch") and find_spec(BACKEND) is None:
    installed = [b for b in ("jax", "tensorflow", "torch") if find_spec(b) is not None]
    sys.exit(
        f"Keras's {BACKEND} backend is not installed: pip install {BACKEND}"
        + (
            f", or choose an installed one: --backend {installed[0]}"
            if installed
            else ""
        )
        + "."
    )
'''

_DEVICES = '''

# keras.distribution trains on these backends (Keras 3.15); on the others, --distribute
# trains on one device
DISTRIBUTION_BACKENDS = ["jax"]


def distribution():
    """Keras's data parallelism over every local device (ModelParallel, splitting
    LAYOUT_HINTS's weights, when there are some and an even number of devices), or None
    when the backend cannot distribute."""
    backend = keras.backend.backend()
    if backend not in DISTRIBUTION_BACKENDS:
        print(
            f"--distribute: keras.distribution does not train on the {backend} backend "
            f"in Keras {keras.__version__}, so this run trains on one device. To train "
            "on every device: "
            "pip install jax, then add --backend jax.",
            file=sys.stderr,
        )
        return None
    devices = keras.distribution.list_devices()
    if LAYOUT_HINTS and len(devices) >= 2 and len(devices) % 2 == 0:
        mesh = keras.distribution.DeviceMesh(
            (len(devices) // 2, 2), ["batch", "model"], devices
        )
        layout_map = keras.distribution.LayoutMap(mesh)
        for path, axes in LAYOUT_HINTS.items():
            layout_map[path] = axes
        return keras.distribution.ModelParallel(
            layout_map=layout_map, batch_dim_name="batch"
        )
    return keras.distribution.DataParallel(devices=devices)


REPLICAS = 1  # the devices sharing each batch: a batch must split evenly among them
if args.distribute and (chosen := distribution()) is not None:
    REPLICAS = chosen.device_mesh.shape[chosen.device_mesh.axis_names.index("batch")]
    if args.batch_size % REPLICAS:
        fitting = args.batch_size + REPLICAS - args.batch_size % REPLICAS
        sys.exit(
            f"--distribute splits each batch among {REPLICAS} devices, so the batch "
            f"size must be a multiple of {REPLICAS} (it is {args.batch_size}): add "
            f"--batch-size {fitting}."
        )
    keras.distribution.set_distribution(chosen)
    devices = chosen.device_mesh.devices.flatten().tolist()
    print(
        f"Training with {type(chosen).__name__} on {len(devices)} device(s): "
        f"{', '.join(map(str, devices))}"
    )
'''


def usage(script_name: str, csv_name: str) -> str:
    """The docstring's "how to run it" paragraphs."""
    about = (f"Without a CSV argument it reads {csv_name} beside this script. The CSV is streamed batch by batch "
             "(keras.utils.PyDataset), so a file larger than memory trains; --in-memory reads it whole. "
             "--distribute trains on every local device (keras.distribution, jax backend). --save MODEL.keras "
             "keeps the trained model; --help lists every option.")
    return (f"Run it with Keras 3 on any backend, for example PyTorch:\n\n"
            f"    pip install keras torch\n"
            f"    python {script_name} {csv_name} --backend torch\n\n" + textwrap.fill(about, width=WIDTH))


def setup_code(description: str, default_csv: str, epochs: int, batch_size: int) -> str:
    """The `# -- Command line` section (run before Keras is imported)."""
    lines = ["import argparse", "import json", "import os", "import sys", "from importlib.util import find_spec",
             "from pathlib import Path", "",
             statement("DESCRIPTION", literal(description, "description")),
             "# The CSV read when none is named: the training CSV, by its path relative to this script",
             "DEFAULT_CSV = Path(__file__).parent / " + literal(default_csv, "CSV path"),
             f"EPOCHS = {int(epochs)}", f"BATCH_SIZE = {int(batch_size)}"]
    return "\n".join(lines) + "\n" + _SETUP


def layout_hints(model, threshold: int = LARGE_WEIGHT) -> dict[str, tuple]:
    """Variable path pattern -> layout for the Dense kernels and Embedding tables with at least `threshold`
    values: split along their last axis over the devices' "model" axis."""
    from engine.layers import Dense, Embedding

    hints = {}
    for layer in _all_layers(model):
        weight = layer.kernel if isinstance(layer, Dense) else \
            layer.embeddings if isinstance(layer, Embedding) else None
        if weight is not None and int(_size(weight.shape)) >= threshold:
            name = "kernel" if isinstance(layer, Dense) else "embeddings"
            hints[f"{layer.name}/{name}"] = (None, "model")
    return hints


def _all_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        if getattr(layer, "layers", None):
            yield from _all_layers(layer)


def _size(shape) -> int:
    size = 1
    for d in shape:
        size *= int(d)
    return size


def devices_code(model, threshold: int = LARGE_WEIGHT) -> str:
    """The `# -- Devices` section: `keras.distribution` for --distribute, with the model's layout hints."""
    hints = layout_hints(model, threshold)
    lines = ["import sys", "", "import keras", "",
             f"# The model's Dense kernels and Embedding tables of {threshold:,} values or more:",
             "# with an even number of devices, --distribute splits them along the devices'",
             "# \"model\" axis (keras.distribution.ModelParallel); every other weight is copied to",
             "# each device",
             statement("LAYOUT_HINTS", Seq("{", "}", [(f"{literal(k, 'path')}: ", literal(v, "layout"))
                                                       for k, v in hints.items()]))]
    return "\n".join(lines) + "\n" + _DEVICES


def fit_code(training: dict | None, has_validation: bool) -> str:
    """`history = model.fit(...)` on the streamed batches (or, --in-memory, on arrays) with the project's
    batch size, shuffling and early stopping; then --save."""
    from studio.training.core import monitor
    from studio.training.run import TrainingSettings

    s = TrainingSettings.from_dict(training or {})
    lines = ["import sys", "", "import keras", "", f"SHUFFLE = {bool(s.shuffle)}"]
    callbacks = "[]"
    if s.early_stopping:
        watched = monitor(s, has_validation=has_validation)
        lines.append(statement("early_stopping", f"keras.callbacks.EarlyStopping(monitor={literal(watched, 'm')}, "
                                                 f"patience={int(s.patience)}, min_delta={float(s.min_delta)!r}, "
                                                 f"restore_best_weights={bool(s.restore_best_weights)})"))
        callbacks = "[early_stopping]"
    lines.append(_FIT.format(callbacks=callbacks))
    return "\n".join(lines)


_FIT = '''
csv_file = CsvFile(CSV_PATH, args.batch_size)
training = CsvBatches(csv_file, "training", multiple_of=REPLICAS)
validation = CsvBatches(csv_file, "validation", multiple_of=REPLICAS)
sizes = csv_file.sizes
print(f"{{csv_file.path}}: {{sizes['training']}} training rows, {{sizes['validation']}} "
      f"validation rows, {{sizes['test']}} test rows (held out)")
for part in (training, validation):
    if part.left_out():
        print(f"The last {{part.left_out()}} {{part.part}} row(s) are left out of each "
              f"epoch: every batch must split evenly among {{REPLICAS}} devices.")
try:
    if args.in_memory:
        x, y = training.whole()
        history = model.fit(
            x,
            y,
            validation_data=validation.whole() if len(validation) else None,
            epochs=args.epochs,
            batch_size=args.batch_size,
            shuffle=SHUFFLE,
            callbacks={callbacks},
        )
    else:
        history = model.fit(
            training,
            validation_data=validation if len(validation) else None,
            epochs=args.epochs,
            shuffle=SHUFFLE,
            callbacks={callbacks},
        )
except CsvError as err:
    sys.exit(str(err))
if args.save:
    model.save(args.save)
    print(f"Saved the trained model to {{args.save}}")
'''
