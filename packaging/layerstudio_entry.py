"""The bundled executable's entry point: the same command line as `layerstudio` (see studio/__main__.py)."""

import sys

from studio.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
