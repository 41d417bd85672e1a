"""`python -m studio` / `layerstudio [PROJECT]`: open the app; `layerstudio train|evaluate|predict|export ...`
works on a project from the command line (see `studio.cli`)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="layerstudio",
                                     description="Build, train and export neural networks visually. Commands "
                                                 "without the window: layerstudio {train,evaluate,predict,export} "
                                                 "--help.")
    parser.add_argument("project", nargs="?", help="a .lsproj project file to open")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from studio.cli import SUBCOMMANDS
    if argv and argv[0] in SUBCOMMANDS:
        from studio.cli import main as cli_main
        return cli_main(argv)
    args = build_parser().parse_args(argv)
    from studio.app import run
    return run(args.project)


if __name__ == "__main__":
    sys.exit(main())
