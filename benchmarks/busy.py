"""BLAS threads on a busy machine (issue 16): the automatic choice of :mod:`numerics.threads`.

Wall time of whole commands, ``python -m ssr simulate gen-error --d 400 --seeds 8`` (subprocesses,
start-up included, this checkout on ``PYTHONPATH``), in three thread settings:

- ``auto``: the new default (``OPENBLAS_NUM_THREADS`` and friends unset: one BLAS thread below
  :data:`numerics.threads.CROSSOVER`, BLAS's own count above it);
- ``1 thread``: ``OPENBLAS_NUM_THREADS=1`` forced;
- ``2 threads``: ``OPENBLAS_NUM_THREADS=2`` with the crossover set to 0 (the behaviour before
  :mod:`numerics.threads`: every replica on the default two threads);

each on the machine as it is (``idle``: whatever else is running, load average printed) and
``busy``: with ``BUSY`` = 2 background processes started here (``spin``: ``while True: pass``;
``matmul``: a NumPy 1000×1000 matmul loop on the default threads), each bounded in time and killed
when the measurement ends. Every figure is the median of ``repeats`` runs, the settings
interleaved. Ratios against ``1 thread`` are printed; the goal is ``auto`` busy ≤ 1.5× ``1 thread``
busy. Results go to ``benchmarks/results/busy.txt``.

``--crossover`` first measures, in process, ``fit_ssr`` and one ``gen-error`` replica
(:func:`numerics.simulate.measure`, γ = 1/2) at ``d = 200 … 3200`` on 1 and 2 BLAS threads
(``threadpoolctl``; best of a few), the measurement behind the crossover. ``--verify`` also times
``ssr verify --quick`` once busy with ``auto`` and ``1 thread``.

Usage: ``python benchmarks/busy.py [--repeats 3] [--load spin|matmul] [--crossover] [--verify]``.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout, not an installed copy
RESULTS = ROOT / "benchmarks" / "results" / "busy.txt"
COMMAND = ["simulate", "gen-error", "--d", "400", "--seeds", "8"]
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
BUSY = 2
#: The ``2 threads`` setting: the command with the crossover disabled (every size on BLAS's threads).
_NO_CROSSOVER = ("import sys, numerics.threads as t; t.CROSSOVER = 0; "
                 "from ssr.cli import main; sys.exit(main(sys.argv[1:]))")
_LOADS = {
    "spin": "import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass\n",
    "matmul": ("import time, numpy as np\nend = time.time() + {seconds}\n"
               "a = np.random.default_rng(0).standard_normal((1000, 1000))\n"
               "while time.time() < end: a @ a\n"),
}


def _environment(threads: int | None) -> dict:
    """This process's environment without the BLAS thread variables (``.ci/run`` sets them), then
    ``threads`` for all of them when given."""
    env = {key: value for key, value in os.environ.items() if key not in THREAD_VARIABLES}
    env["PYTHONPATH"] = str(ROOT)
    if threads is not None:
        env.update({key: str(threads) for key in THREAD_VARIABLES})
    return env


SETTINGS = {
    "auto": (["-m", "ssr"], None),
    "1 thread": (["-m", "ssr"], 1),
    "2 threads": (["-c", _NO_CROSSOVER], 2),
}


def _wall(setting: str, argv, timeout: float = 600) -> tuple[float, str]:
    prefix, threads = SETTINGS[setting]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *prefix, *argv], env=_environment(threads), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{setting}: ssr {' '.join(argv)} failed: {done.stderr.strip()}")
    return seconds, done.stdout.strip()


class Busy:
    """``count`` background load processes, each ending by itself after ``seconds``, killed on exit."""

    def __init__(self, load: str, count: int = BUSY, seconds: float = 600):
        self.code = _LOADS[load].format(seconds=seconds)
        self.count = count
        self.processes: list[subprocess.Popen] = []

    def __enter__(self):
        env = {key: value for key, value in os.environ.items() if key not in THREAD_VARIABLES}
        self.processes = [subprocess.Popen([sys.executable, "-c", self.code], env=env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                          for _ in range(self.count)]
        time.sleep(1.0)  # let them start spinning
        return self

    def __exit__(self, *_):
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait()


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


@contextlib.contextmanager
def _no_crossover():
    """``numerics.threads.CROSSOVER = 0`` inside the block (measure() keeps the outer thread count)."""
    import numerics.threads

    saved, numerics.threads.CROSSOVER = numerics.threads.CROSSOVER, 0
    try:
        yield
    finally:
        numerics.threads.CROSSOVER = saved


def crossover(out) -> None:
    """fit_ssr and one gen-error replica on 1 and 2 BLAS threads, in process, d = 200 … 3200."""
    import numpy as np
    from threadpoolctl import ThreadpoolController

    from numerics.estimator import fit_ssr
    from numerics.model import Model
    from numerics.simulate import measure, sample

    controller = ThreadpoolController()
    model = Model(gamma="1/2", lam="1/10")
    out(f"## crossover: in process, gamma = 1/2, lam = 1/10 (n = 2d), best of 3 on 1 and 2 BLAS threads "
        f"({_load()} on {os.cpu_count()} cores)")
    out("d       fit_ssr 1t    2t    1t/2t   replica 1t    2t    1t/2t")
    for d in (200, 400, 800, 1600, 3200):
        X, _, _ = sample(model, d, np.random.default_rng(0))
        calls = max(1, round(4 * (800 / d) ** 2))
        tasks = {"fit": lambda: fit_ssr(X, 0.1),
                 "replica": lambda: measure(model, d, np.random.default_rng([0, 0]), [("gen-error", "ssr")])}
        best = {}
        for name, task in tasks.items():
            for _ in range(3):
                for threads in (1, 2):  # interleaved
                    with controller.limit(limits=threads, user_api="blas"), _no_crossover():
                        start = time.perf_counter()
                        for _ in range(calls):
                            task()
                        seconds = (time.perf_counter() - start) / calls
                    best[name, threads] = min(best.get((name, threads), float("inf")), seconds)
        out(f"{d:<7} {best['fit', 1] * 1e3:8.1f} ms {best['fit', 2] * 1e3:8.1f} ms {best['fit', 1] / best['fit', 2]:5.2f}"
            f"   {best['replica', 1] * 1e3:8.1f} ms {best['replica', 2] * 1e3:8.1f} ms "
            f"{best['replica', 1] / best['replica', 2]:5.2f}")
    out(f"(1t/2t > 1: the second thread pays; {_load()} after)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--load", choices=sorted(_LOADS), default="spin")
    parser.add_argument("--crossover", action="store_true")
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args(argv)
    lines: list[str] = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    out(f"# python benchmarks/busy.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    if args.crossover:
        crossover(out)
        out()
    import numerics.threads

    out(f"## ssr {' '.join(COMMAND)}: median of {args.repeats} interleaved runs per setting "
        f"(CROSSOVER = {numerics.threads.CROSSOVER}; busy = {BUSY} background '{args.load}' processes)")
    medians = {}
    for state in ("idle", "busy"):
        times: dict[str, list[float]] = {setting: [] for setting in SETTINGS}
        outputs = {}
        with Busy(args.load) if state == "busy" else contextlib.nullcontext():
            load_before = _load()
            for _ in range(args.repeats):
                for setting in SETTINGS:
                    seconds, outputs[setting] = _wall(setting, COMMAND)
                    times[setting].append(seconds)
            load_after = _load()
        for setting in SETTINGS:
            medians[state, setting] = statistics.median(times[setting])
        one = medians[state, "1 thread"]
        out(f"{state} ({load_before}, {load_after} after):")
        for setting in SETTINGS:
            out(f"  {setting:<10} {medians[state, setting]:6.2f} s  ({', '.join(f'{t:.2f}' for t in times[setting])})"
                f"  {medians[state, setting] / one:5.2f}x of 1 thread")
        same = outputs["auto"] == outputs["1 thread"]
        out(f"  auto prints the 1-thread line: {same}")
    ratio = medians["busy", "auto"] / medians["busy", "1 thread"]
    out(f"busy auto / busy 1 thread = {ratio:.2f} (goal <= 1.5): {'ok' if ratio <= 1.5 else 'MISSED'}")
    out(f"busy 2 threads / busy auto = {medians['busy', '2 threads'] / medians['busy', 'auto']:.2f}")
    if args.verify:
        out()
        out(f"## ssr verify --quick, once each, busy ({BUSY} '{args.load}' processes)")
        with Busy(args.load):
            for setting in ("auto", "1 thread"):
                seconds, _ = _wall(setting, ["verify", "--quick"], timeout=900)
                out(f"  {setting:<10} {seconds:6.1f} s  ({_load()})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
