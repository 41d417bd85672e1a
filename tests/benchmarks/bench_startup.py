"""Time from starting Python to LayerStudio's main window shown on its example project (run: python
tests/benchmarks/bench_startup.py [runs]). Each run is a fresh process, as a user's start is; prints every
run, the median, and the slowest imports of the last run (python -X importtime), so a regression has a name.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time

SHOW_WINDOW = """
import time
from studio.app import create_application
from studio.ui.main_window import MainWindow
app = create_application([])
window = MainWindow()
window.show()
app.processEvents()
print("shown", time.perf_counter())
"""


def one_start(importtime: bool = False) -> tuple[float, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    args = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", SHOW_WINDOW]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - started, done.stderr


def slowest_imports(importtime_log: str, count: int = 12) -> list[tuple[float, str]]:
    """The modules whose own import (children excluded) took longest, in milliseconds."""
    rows = []
    for line in importtime_log.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s+(.+)", line)
        if match:
            rows.append((int(match.group(1)) / 1000, match.group(2).strip()))
    return sorted(rows, reverse=True)[:count]


def main(runs: int = 5) -> None:
    times = []
    for i in range(runs):
        seconds, _ = one_start()
        times.append(seconds)
        print(f"run {i + 1}: {seconds:.2f} s to a shown window")
    print(f"median of {runs}: {statistics.median(times):.2f} s (target: under 1.5 s)")
    _, log = one_start(importtime=True)
    print("slowest imports (own time, ms):")
    for ms, name in slowest_imports(log):
        print(f"  {ms:7.1f}  {name}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
