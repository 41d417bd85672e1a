"""CSV import on big files: read + typed (column summaries, proposed spec) + prepared (split, fitted, arrays).

Two files are written to a temporary folder: 100,000 rows x 21 columns (numbers with a few missing cells, two
categorical columns, a date, an id, a class target; target < 2 s) and 1,000,000 rows x 10 columns (target < 15 s
and < 400 MB peak resident memory). Each case runs in a fresh Python process so that its peak memory is its own.

Run: python tests/benchmarks/bench_csv.py [--rows-small 100000] [--rows-big 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def write_csv(path: str, rows: int, numeric: int, seed: int = 0) -> None:
    """`numeric` number columns (1 % missing), a colour, a city, a date, an id and a 3-class target."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {"id": np.arange(rows).astype(str)}
    for j in range(numeric):
        values = np.round(rng.normal(10 * j, 1 + j, rows), 3).astype(str)
        values[rng.random(rows) < 0.01] = ""
        columns[f"x{j}"] = values
    columns["colour"] = np.array(["red", "green", "blue", "NA"])[rng.integers(0, 4, rows)]
    columns["city"] = np.array([f"city {k}" for k in range(40)])[rng.integers(0, 40, rows)]
    days = np.datetime64("2020-01-01") + rng.integers(0, 1500, rows).astype("timedelta64[D]")
    columns["date"] = days.astype(str)
    columns["species"] = np.array(["Adelie", "Gentoo", "Chinstrap"])[rng.integers(0, 3, rows)]
    block = 100_000
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        for start in range(0, rows, block):
            part = np.stack([c[start:start + block] for c in columns.values()], axis=1)
            f.write("\n".join(",".join(r) for r in part.tolist()) + "\n")


def peak_resident_mb() -> float:
    """This process's peak resident memory (Linux VmHWM; ru_maxrss would count the parent's from before exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(path: str) -> dict:
    """Time read, type and prepare of `path` in this process; peak resident memory from the OS."""
    from studio.data import DataSpec, prepare, read_csv, summarize_table

    cpu = time.process_time()
    start = time.perf_counter()
    table = read_csv(path)
    read = time.perf_counter()
    summaries = summarize_table(table)
    spec = DataSpec.from_table(table, summaries)
    typed = time.perf_counter()
    prepared = prepare(spec, table)
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    return {"rows": table.n_rows, "columns": len(table.names), "read_s": read - start, "typed_s": typed - read,
            "prepared_s": done - typed, "total_s": done - start, "cpu_s": cpu, "peak_mb": peak_resident_mb(),
            "x_shape": list(prepared.train.x.shape)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-small", type=int, default=100_000)
    parser.add_argument("--rows-big", type=int, default=1_000_000)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one file in this process
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case)))
        return
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as folder:
        cases = [("100k x 21", args.rows_small, 16, 2.0, None), ("1M x 10", args.rows_big, 5, 15.0, 400.0)]
        for label, rows, numeric, time_goal, memory_goal in cases:
            path = os.path.join(folder, f"{rows}.csv")
            write_csv(path, rows, numeric)
            size_mb = os.path.getsize(path) / 2**20
            out = subprocess.run([sys.executable, __file__, "--case", path], env=env, capture_output=True,
                                 text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            goals = f"goal < {time_goal:.0f} s" + (f", < {memory_goal:.0f} MB" if memory_goal else "")
            print(f"{label} ({r['rows']} rows, {r['columns']} columns, {size_mb:.0f} MB): read {r['read_s']:.2f} s, "
                  f"typed {r['typed_s']:.2f} s, prepared {r['prepared_s']:.2f} s, total {r['total_s']:.2f} s "
                  f"(CPU {r['cpu_s']:.2f} s), "
                  f"peak {r['peak_mb']:.0f} MB resident ({goals}); x {tuple(r['x_shape'])}")


if __name__ == "__main__":
    main()
