"""`layerstudio train|evaluate|predict|export PROJECT ...`: the project's model without the window (no Qt).

Exit codes: 0 done, 1 the work failed (one line on stderr says what and where; a training run that diverged is
saved with its last finite weights and still exits 1), 2 wrong usage (argparse).
"""

from __future__ import annotations

import argparse
import sys

SUBCOMMANDS = ("train", "evaluate", "predict", "export")
FORMATS = {"keras": "export_keras", "keras-inference": "export_inference_keras", "onnx": "export_onnx",
           "onnx-raw": "export_raw_onnx", "py": "export_python"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="layerstudio", description="Train, evaluate, predict with and export a "
                                     "LayerStudio project from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser("train", help="train the project's model on its data and save the run into it")
    train.add_argument("project", help="a .lsproj project file")
    train.add_argument("--epochs", type=_positive, help="epochs to train (default: the project's setting)")
    train.add_argument("--continue", dest="continue_last", action="store_true",
                       help="train the last run (or the imported weights) further instead of starting anew")
    train.add_argument("--backend", choices=["engine", "keras"],
                       help="who trains: LayerStudio's engine, or real Keras 3 on its torch, JAX or TensorFlow "
                       "backend and the devices it sees (default: the project's setting, else the engine)")
    train.add_argument("--keras-backend", choices=["torch", "jax", "tensorflow"],
                       help="the backend Keras runs on with --backend keras (default: KERAS_BACKEND)")
    evaluate = commands.add_parser("evaluate", help="print the trained model's loss and metrics on each part "
                                   "of the data")
    evaluate.add_argument("project", help="a .lsproj project file")
    predict = commands.add_parser("predict", help="predict every row of a CSV file")
    predict.add_argument("project", help="a .lsproj project file")
    predict.add_argument("input", help="a CSV file with the project's feature columns")
    predict.add_argument("-o", "--output", required=True, help="the CSV file to write (input columns + predictions)")
    export = commands.add_parser("export", help="write the trained model as .keras, ONNX or a Keras Python script")
    export.add_argument("project", help="a .lsproj project file")
    export.add_argument("--format", required=True, choices=list(FORMATS),
                        help="keras, keras-inference (raw CSV columns in, class probabilities out), onnx, onnx-raw "
                        "(raw CSV columns in, one ONNX input each; the preprocessing inside the graph) or py")
    export.add_argument("-o", "--output", required=True, help="the file to write")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from studio.data import DataError
    from studio.document.project import ProjectFileError
    from studio.exchange import ExchangeError

    try:
        return COMMANDS[args.command](args)
    except (ExchangeError, ProjectFileError, DataError, OSError, ValueError) as err:
        message = " ".join(line.strip(" •") for line in str(err).splitlines() if line.strip())
        print(f"layerstudio {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"layerstudio {args.command}: interrupted; the project was not changed.", file=sys.stderr)
        return 1


def _load(path: str):
    """The project with every part checked; what it left out (a damaged run) is said on stderr."""
    from studio.project_file import open_project

    project = open_project(path)
    for problem in project.problems:
        print(f"layerstudio: warning: {problem}", file=sys.stderr)
    return project


def train(args) -> int:
    from studio.document.project import save_project
    from studio.headless import train as train_project
    from studio.training.backends import backend_words
    from studio.training.core import diagnose_run
    from studio.training.run import NAN, STATUS_WORDS

    project = _load(args.project)

    def report(epoch: int, last: int, logs: dict) -> None:
        values = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        print(f"epoch {epoch}/{last} - {values}", flush=True)

    if args.keras_backend and args.backend != "keras":
        raise ValueError("--keras-backend goes with --backend keras.")
    run = train_project(project, epochs=args.epochs, continue_last=args.continue_last, report=report,
                        backend=args.backend, keras_backend=args.keras_backend)
    save_project(project, args.project)
    words = STATUS_WORDS.get(run.status, run.status)
    if run.status == NAN:  # saved with its last finite weights, but no success: a script must not go on silently
        print(f"layerstudio train: error: run {run.run_id} {words} after {run.epochs_done} epochs: {run.message} "
              f"Saved into {args.project}.", file=sys.stderr)
        return 1
    ending = f" ({run.message})" if run.message else ""
    trainer = run.segments[-1].get("backend") if run.segments else None
    by = f", trained by {backend_words(trainer)}" if trainer else ""
    print(f"Run {run.run_id} {words}{ending} after {run.epochs_done} epochs{by}; saved into {args.project}")
    for finding in diagnose_run(run):
        if finding.severity != "info":
            print(finding.message)
    return 0


def evaluate(args) -> int:
    from studio.headless import evaluate as evaluate_project

    results = evaluate_project(_load(args.project))
    for part, metrics in results.items():
        print(f"{part}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    return 0


def predict(args) -> int:
    from studio.headless import predict_csv

    notes: list[str] = []
    n = predict_csv(_load(args.project), args.input, args.output, notes)
    print(f"Predicted {n} rows of {args.input} into {args.output}")
    for note in notes:
        print(f"Note: {note}")
    return 0


def export(args) -> int:
    import studio.exchange as exchange

    written = getattr(exchange, FORMATS[args.format])(_load(args.project), args.output)
    for path in [written] if isinstance(written, str) else written:
        print(f"Wrote {path}")
    return 0


COMMANDS = {"train": train, "evaluate": evaluate, "predict": predict, "export": export}
