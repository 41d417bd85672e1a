"""`python -m studio` / `layerstudio [PROJECT]`: open the app; `layerstudio train|evaluate|predict|export ...`
works on a project from the command line (see `studio.cli`)."""

from __future__ import annotations

import argparse
import sys

from studio import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="layerstudio",
                                     description="Build, train and export neural networks visually. Commands "
                                                 "without the window: layerstudio {train,evaluate,predict,export} "
                                                 "--help.")
    parser.add_argument("project", nargs="?", help="a .lsproj project file to open")
    parser.add_argument("--version", action="version", version=f"LayerStudio {__version__}")
    parser.add_argument("--install-desktop", action="store_true",
                        help="add LayerStudio to the desktop's application menu and open .lsproj files with it "
                             "(Linux; installs into ~/.local/share), then exit")
    parser.add_argument("--smoke-test", action="store_true",
                        help="a check for packagers: open the main window (on PROJECT if given), process its "
                             "events, print the seconds from start to a shown window and exit 0")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from studio.cli import SUBCOMMANDS
    if argv and argv[0] in SUBCOMMANDS:
        from studio.cli import main as cli_main
        return cli_main(argv)
    args = build_parser().parse_args(argv)
    if args.install_desktop:
        from studio.desktop_entry import install_desktop_entry
        for path in install_desktop_entry():
            print(path)
        return 0
    from studio.app import run
    return run(args.project, smoke_test=args.smoke_test)


if __name__ == "__main__":
    sys.exit(main())
