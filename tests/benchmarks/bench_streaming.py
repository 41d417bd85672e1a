"""Training on a 1,000,000-row CSV read whole and read in chunks: peak memory and time of each.

The file (bench_csv.write_csv: 5 number columns, a colour, a city, a date, an id and a 3-class target, about
60 MB) is trained for one epoch of a small MLP (batch 1024) through the training core, once from `prepare`
(the table and the arrays in memory) and once from `prepare_streamed` (8 MB chunks). Each case runs in a fresh
Python process; the figures are the peak of NumPy and Python allocations (tracemalloc) and the peak resident
memory (VmHWM, which includes the interpreter and libraries: the baseline after imports is printed too).

Run: python tests/benchmarks/bench_streaming.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

from bench_csv import peak_resident_mb, write_csv


def run_case(path: str, mode: str) -> dict:
    import engine as keras
    from studio.data import DataSpec, prepare, read_csv
    from studio.data.streamed import prepare_streamed
    from studio.training.core import Trainer
    from studio.training.run import TrainingSettings

    spec = DataSpec.from_table(read_csv(path, max_rows=5000))  # the spec from a preview, as for any big file
    spec.path = path
    baseline = peak_resident_mb()
    tracemalloc.start()
    start = time.perf_counter()
    data = (prepare(spec) if mode == "whole" else prepare_streamed(spec)).for_loss("sparse_categorical_crossentropy")
    prepared = time.perf_counter()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((data.preprocessor.n_features,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = []
    from studio.training.core import Listener
    outcome = Trainer(model, data, TrainingSettings(epochs=1, batch_size=1024, shuffle=False), 0, 1,
                      listener=Listener(epoch=lambda epoch, values: logs.append(values))).fit()
    done = time.perf_counter()
    _, traced = tracemalloc.get_traced_memory()
    return {"status": outcome.status, "rows": len(data.train) + len(data.validation), "features":
            data.preprocessor.n_features, "prepare_s": prepared - start, "epoch_s": done - prepared,
            "traced_mb": traced / 2**20, "peak_mb": peak_resident_mb(), "baseline_mb": baseline,
            "val_loss": logs[-1].get("val_loss") if logs else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--modes", nargs="+", choices=["whole", "chunks"], default=["whole", "chunks"])
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)  # internal: (csv path, mode) in this process
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(*args.case)))
        return
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.csv")
        write_csv(path, args.rows, 5)
        size_mb = os.path.getsize(path) / 2**20
        print(f"{args.rows} rows, {size_mb:.0f} MB file; one epoch, batch 1024, MLP 32 units (measured under load)")
        for mode in args.modes:
            out = subprocess.run([sys.executable, __file__, "--case", path, mode], env=env, capture_output=True,
                                 text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"  {mode:6}: {r['rows']} rows x {r['features']} features, {r['status']}; prepare "
                  f"{r['prepare_s']:.1f} s, epoch {r['epoch_s']:.1f} s; peak allocated {r['traced_mb']:.0f} MB "
                  f"({r['traced_mb'] / size_mb:.2f}x the file); peak resident {r['peak_mb']:.0f} MB "
                  f"(after imports {r['baseline_mb']:.0f} MB); val_loss {r['val_loss']:.4f}")


if __name__ == "__main__":
    main()
