"""What the training-throughput benchmarks share: side-by-side runs in separate processes, ratios, a per-op
profile of an engine epoch, and a scaling table over thread counts.

A benchmark module describes one model three times (engine, PyTorch eager, Keras on torch) as a `Benchmark`
and calls `main(benchmark)`. Every measurement runs in a fresh Python process with its thread count set in
the environment before NumPy or torch load (one framework's idle, spinning worker threads must not slow
down the next on a small machine), and the frameworks take turns, round after round, so that machine noise
hits them alike. Each run times whole `fit` epochs and every training batch: the median epoch is what a
user waits for; the median batch resists a busy machine better.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# this checkout's engine, even when another copy is installed; a `--compare` run points at another checkout
ROOT = Path(os.environ.get("BENCH_ENGINE_ROOT") or Path(__file__).resolve().parents[2])
sys.path.insert(0, str(ROOT))

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
FRAMEWORKS = ("engine", "torch", "keras")


@dataclass
class Benchmark:
    """One model described for every framework.

    `data(samples)` gives (x, y); `engine_model()` and `keras_model()` give compiled models (trained with
    `fit(x, y)`); `torch_model()` gives (module, loss_fn) trained with RMSprop as Keras's, on inputs passed
    through `torch_inputs` (e.g. NHWC -> NCHW) and targets through `torch_targets`.
    """

    title: str
    data: Callable
    engine_model: Callable
    torch_model: Callable
    keras_model: Callable
    batch: int = 128
    samples: int = 2048
    epochs: int = 2
    torch_inputs: Callable = staticmethod(lambda x: x)
    torch_targets: Callable = staticmethod(lambda y: y)
    extra_workers: dict = field(default_factory=dict)


# -- timing one framework (inside a worker process) ------------------------------------------------

def batch_timer(base):
    """A callback (subclass of the framework's `Callback`) recording the wall time of every training batch."""
    class BatchTimer(base):
        def __init__(self):
            super().__init__()
            self.times: list[float] = []
            self.epochs: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch_start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append(time.perf_counter() - self._epoch_start)

        def on_train_batch_begin(self, batch, logs=None):
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter() - self._start)
    return BatchTimer()


def time_keras_style_fit(model, callback_base, x, y, epochs: int, batch: int) -> dict:
    """A warm-up fit on two batches, then `epochs` timed epochs: every epoch's and every batch's time."""
    model.fit(x[:batch * 2], y[:batch * 2], batch_size=batch, epochs=1, verbose=0)
    timer = batch_timer(callback_base)
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=True, callbacks=[timer])
    return {"epochs": timer.epochs, "batches": timer.times}


def time_engine_fit(model, x, y, epochs: int, batch: int) -> dict:
    import engine
    return time_keras_style_fit(model, engine.callbacks.Callback, x, y, epochs, batch)


def run_engine(bench: Benchmark, x, y, epochs: int) -> dict:
    return time_engine_fit(bench.engine_model(), x, y, epochs, bench.batch)


def run_keras(bench: Benchmark, x, y, epochs: int) -> dict | None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        return None
    _torch_threads()
    return time_keras_style_fit(bench.keras_model(), keras.callbacks.Callback, x, y, epochs, bench.batch)


def _torch_threads() -> None:
    threads = os.environ.get("OMP_NUM_THREADS")
    if threads:
        import torch
        torch.set_num_threads(int(threads))


def run_torch(bench: Benchmark, x, y, epochs: int) -> dict | None:
    """The usual eager loop: shuffled index batches, zero_grad, forward, loss, backward, RMSprop step."""
    try:
        import torch
    except ImportError:
        return None
    _torch_threads()
    net, loss_fn = bench.torch_model()
    # Keras's RMSprop: rho 0.9, epsilon 1e-7 (torch adds it outside the square root: a negligible difference)
    optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    xt = torch.from_numpy(bench.torch_inputs(x))
    yt = torch.from_numpy(bench.torch_targets(y))
    batches: list[float] = []
    epoch_times: list[float] = []

    def run(n_epochs: int, limit: int):
        for _ in range(n_epochs):
            epoch_start = time.perf_counter()
            order = torch.randperm(limit)
            for start in range(0, limit, bench.batch):
                began = time.perf_counter()
                idx = order[start:start + bench.batch]
                optimizer.zero_grad()
                loss = loss_fn(net(xt[idx]), yt[idx])
                loss.backward()
                optimizer.step()
                batches.append(time.perf_counter() - began)
            epoch_times.append(time.perf_counter() - epoch_start)

    run(1, bench.batch * 2)
    batches.clear()
    epoch_times.clear()
    run(epochs, len(x))
    return {"epochs": epoch_times, "batches": batches}


RUNNERS = {"engine": run_engine, "torch": run_torch, "keras": run_keras}


# -- the per-op profile of an engine epoch -----------------------------------------------------------

class OpProfile:
    """Wall time of an engine `fit`, split by what it was spent on.

    Forward time is charged to the innermost layer running (exclusive of the layers it calls), backward time
    to the layer whose call recorded the op, the loss separately, the optimizer's `apply`, and the batches'
    slicing (data feeding); "autodiff bookkeeping" is the rest of `gradients` (walking the graph, summing
    gradients), "other" the rest of the step (metrics, callbacks, Python). Timing wraps Python calls, which
    costs a few microseconds each: fine against milliseconds of kernels.
    """

    def __init__(self, clock=time.perf_counter):
        self.clock = clock
        self.times: dict[tuple[str, str], float] = defaultdict(float)
        self._stack: list[list] = []  # [label, start, child time]
        self._patches: list[tuple[object, str, object]] = []

    # patching
    def _patch(self, owner, name: str, make_wrapper) -> None:
        original = owner.__dict__[name]
        self._patches.append((owner, name, original))
        setattr(owner, name, make_wrapper(original))

    def __enter__(self):
        from engine import autodiff
        from engine.layers.layer import Layer
        from engine.models.model import Model
        from engine.optimizers.base import Optimizer
        from engine.trainers import data_adapter
        from engine.trainers.trainer import Trainer

        profile = self

        def timed(label_of, kind: str):
            def wrapper_factory(original):
                def wrapper(*args, **kwargs):
                    profile._push(label_of(args))
                    try:
                        return original(*args, **kwargs)
                    finally:
                        profile._pop(kind)
                return wrapper
            return wrapper_factory

        def layer_label(args):
            return "(model)" if isinstance(args[0], Model) else type(args[0]).__name__

        self._patch(Layer, "__call__", timed(layer_label, "forward"))
        self._patch(Trainer, "compute_loss", timed(lambda args: "loss", "forward"))
        self._patch(Optimizer, "apply", timed(lambda args: "optimizer", "update"))
        self._patch(autodiff, "gradients", timed(lambda args: "autodiff bookkeeping", "backward"))

        def tensor_init_factory(original):
            def init(tensor, value, parents=(), vjp=None, requires_grad=False):
                if vjp is not None and profile._stack:
                    vjp = profile._timed_vjp(vjp, profile._stack[-1][0])
                original(tensor, value, parents, vjp, requires_grad)
            return init

        self._patch(autodiff.Tensor, "__init__", tensor_init_factory)

        def batches_factory(original):
            def iterate(batches):
                source = original(batches)
                while True:
                    start = profile.clock()
                    try:
                        batch = next(source)
                    except StopIteration:
                        return
                    profile.times[("data", "feeding (slicing batches)")] += profile.clock() - start
                    yield batch
            return iterate

        self._patch(data_adapter.ArrayBatches, "__iter__", batches_factory)
        # the trainer imported `gradients` by name: point it at the timed one
        self._patch(sys.modules[Trainer.__module__], "gradients", lambda _: autodiff.gradients)
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self._patches):
            setattr(owner, name, original)
        self._patches.clear()

    # timing
    def _push(self, label: str) -> None:
        self._stack.append([label, self.clock(), 0.0])

    def _pop(self, kind: str) -> None:
        label, start, children = self._stack.pop()
        elapsed = self.clock() - start
        self.times[(kind, label)] += elapsed - children
        if self._stack:
            self._stack[-1][2] += elapsed

    def _timed_vjp(self, vjp, label: str):
        profile = self

        def timed_vjp(g):
            profile._push(label)
            try:
                return vjp(g)
            finally:
                profile._pop("backward")

        timed_vjp.__dict__.update(vjp.__dict__)  # markers that other ops look for (e.g. a relu's premasking)
        return timed_vjp


def profile_engine(bench: Benchmark, x, y, epochs: int) -> dict:
    """{"total": seconds, "steps": n, "parts": [[kind, label, seconds], ...], "clock": name} of `epochs`
    profiled epochs. With one thread the clock is the process's CPU time, which a busy machine does not
    inflate (time spent waiting for a core is not counted); with more, wall time."""
    one_thread = os.environ.get("OMP_NUM_THREADS") == "1"
    clock = time.process_time if one_thread else time.perf_counter
    model = bench.engine_model()
    model.fit(x[:bench.batch * 2], y[:bench.batch * 2], batch_size=bench.batch, epochs=1, verbose=0)
    with OpProfile(clock) as profile:
        start = clock()
        model.fit(x, y, batch_size=bench.batch, epochs=epochs, verbose=0, shuffle=True)
        total = clock() - start
    steps = epochs * -(-len(x) // bench.batch)
    parts = [[kind, label, seconds] for (kind, label), seconds in profile.times.items()]
    return {"total": total, "steps": steps, "parts": parts, "clock": "CPU time" if one_thread else "wall time"}


def print_profile(result: dict) -> None:
    total, steps = result["total"], result["steps"]
    parts = sorted(result["parts"], key=lambda p: -p[2])
    accounted = sum(p[2] for p in parts)
    parts.append(["other", "(metrics, callbacks, Python)", max(total - accounted, 0.0)])
    print(f"  where an engine step's time goes ({total / steps * 1e3:.1f} ms per step of {steps}, "
          f"{result.get('clock', 'wall time')}, {result.get('threads', '?')} thread(s)):")
    for kind, label, seconds in parts:
        if seconds / total >= 0.002:
            print(f"    {kind:9s} {label:28s} {seconds / steps * 1e3:8.2f} ms {100 * seconds / total:5.1f}%")


def cprofile_engine(bench: Benchmark, x, y, epochs: int, top: int = 25) -> None:
    """Where our engine's training time goes by function, own time first (--cprofile)."""
    model = bench.engine_model()
    model.fit(x[:bench.batch * 2], y[:bench.batch * 2], batch_size=bench.batch, epochs=1, verbose=0)
    profiler = cProfile.Profile()
    profiler.enable()
    model.fit(x, y, batch_size=bench.batch, epochs=epochs, verbose=0)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


# -- the parent: rounds of worker processes, ratios, scaling ---------------------------------------

def measure(script: str, framework: str, threads: int, args) -> dict | None:
    """One framework's run in a fresh Python process with `threads` threads everywhere."""
    env = dict(os.environ, **{name: str(threads) for name in THREAD_VARIABLES})
    if framework == "baseline":  # our engine from another checkout (--compare)
        framework, env["BENCH_ENGINE_ROOT"] = "engine", str(Path(args.compare).resolve())
        env["PYTHONPATH"] = env["BENCH_ENGINE_ROOT"]
    command = [sys.executable, script, "--worker", framework, "--samples", str(args.samples),
               "--epochs", str(args.epochs)]
    env.setdefault("KERAS_BACKEND", "torch")
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{framework} benchmark failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(values) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def rates(results: list[dict], batch: int, samples: int) -> tuple[float, float]:
    """samples/s from the median epoch and from the median batch, over every round."""
    epochs = [samples / t for r in results for t in r["epochs"]]
    batches = [t for r in results for t in r["batches"]]
    return _median(epochs), batch / _median(batches)


def side_by_side(script: str, bench: Benchmark, threads: int, args, frameworks=FRAMEWORKS) -> dict:
    """{framework: (epoch rate, batch rate)} from `args.repeats` rounds in which every framework runs once."""
    runs: dict[str, list[dict]] = {name: [] for name in frameworks}
    for _ in range(args.repeats):
        for name in frameworks:
            result = measure(script, name, threads, args)
            if result is not None:
                runs[name].append(result)
    return {name: rates(results, bench.batch, args.samples) for name, results in runs.items() if results}


def print_side_by_side(found: dict) -> None:
    print("                  median epoch  median batch   (samples/s)")
    for name, (epoch, batch) in found.items():
        print(f"    {name:12s} {epoch:12.0f}  {batch:12.0f}")
    for other in ("baseline", *FRAMEWORKS[1:]):
        if other in found and "engine" in found:
            ratios = [a / b for a, b in zip(found["engine"], found[other])]
            print(f"    engine / {other:8s}" + "  ".join(f"{r:11.2f}x" for r in ratios))


def thread_counts() -> list[int]:
    return sorted({1, 2, os.cpu_count() or 1})


def main(bench: Benchmark, script: str) -> None:
    parser = argparse.ArgumentParser(description=bench.title)
    parser.add_argument("--samples", type=int, default=bench.samples)
    parser.add_argument("--epochs", type=int, default=bench.epochs)
    parser.add_argument("--repeats", type=int, default=3, help="rounds; each runs every framework once")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every framework in the side-by-side run (default: all cores)")
    parser.add_argument("--scaling", action="store_true", help="also run every framework at 1, 2 and all cores")
    parser.add_argument("--no-profile", action="store_true", help="skip the per-op profile of the engine")
    parser.add_argument("--profile-threads", type=int, default=1,
                        help="threads for the profile run (default 1: then CPU time is measured, robust under load)")
    parser.add_argument("--cprofile", action="store_true", help="only print cProfile's view of an engine fit")
    parser.add_argument("--only", choices=FRAMEWORKS, nargs="+", default=list(FRAMEWORKS),
                        help="frameworks to run (default: all three)")
    parser.add_argument("--compare", metavar="CHECKOUT",
                        help="also run the engine of another checkout (e.g. main), as 'baseline'")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    x, y = bench.data(args.samples)
    if args.worker == "profile":
        print(json.dumps(profile_engine(bench, x, y, args.epochs)))
        return
    if args.worker:
        runner = bench.extra_workers.get(args.worker) or RUNNERS[args.worker]
        print(json.dumps(runner(bench, x, y, args.epochs)))
        return
    if args.cprofile:
        cprofile_engine(bench, x, y, args.epochs)
        return
    cores = os.cpu_count() or 1
    threads = args.threads or cores
    print(f"{bench.title}\n  batch {bench.batch}, {args.samples} samples x {args.epochs} epochs, "
          f"{args.repeats} rounds, {threads} thread(s) of {cores} cores; each run in its own process")
    frameworks = [*args.only[:1], "baseline", *args.only[1:]] if args.compare else args.only
    print_side_by_side(side_by_side(script, bench, threads, args, frameworks))
    if not args.no_profile:
        profile = measure(script, "profile", args.profile_threads, args)
        print_profile(dict(profile, threads=args.profile_threads))
    if args.scaling:
        print_scaling({n: side_by_side(script, bench, n, args, args.only) for n in thread_counts()})


def print_scaling(rows: dict[int, dict]) -> None:
    """One line per thread count: each framework's median-epoch samples/s, then engine / each other."""
    names = [name for name in FRAMEWORKS if any(name in found for found in rows.values())]
    others = [name for name in names if name != "engine"] if "engine" in names else []
    print("  scaling (median epoch, samples/s):")
    print("    threads" + "".join(f"{name:>10s}" for name in names)
          + "".join(f"{'engine/' + name:>15s}" for name in others))
    for threads, found in rows.items():
        cells = "".join(f"{found[name][0]:10.0f}" if name in found else f"{'-':>10s}" for name in names)
        ratios = "".join(f"{found['engine'][0] / found[name][0]:14.2f}x" if name in found and "engine" in found
                         else f"{'-':>15s}" for name in others)
        print(f"    {threads:7d}{cells}{ratios}")
