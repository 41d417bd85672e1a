"""`python -m studio` / `layerstudio [PROJECT]`: open the app (subcommands come with later issues)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="layerstudio",
                                     description="Build, train and export neural networks visually.")
    parser.add_argument("project", nargs="?", help="a .lsproj project file to open")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from studio.app import run
    return run(args.project)


if __name__ == "__main__":
    sys.exit(main())
