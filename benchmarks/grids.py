"""Cost of a 200-point grid in one ``ssr eval`` call against a single evaluation (issue 11).

Wall time of whole commands (``python -m ssr eval …`` as subprocesses, start-up included, this
checkout on ``PYTHONPATH``), each the best of ``repeats`` interleaved runs (the machine is shared):

- isotropic (closed form): ``gen-error`` at one point vs ``--lam 1/100:2:200``; target ≤ 3×;
- two atoms ``1:1/2,6:1/2`` (fixed-point route, warm starts along the grid): the same; target ≤ 10×.

Then in-process, the 200 two-atom points with and without warm starts of the (E1) solve (the
printed digits must be identical). Usage: ``python benchmarks/grids.py [repeats]`` (default 3).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import mpmath as mp

from numerics import theory
from numerics.model import Model

ROOT = Path(__file__).resolve().parents[1]
TWO_ATOMS = "1:1/2,6:1/2"
GRID = "1/100:2:200"
CASES = {
    "isotropic (closed form)": (["gen-error"], 3),
    f"two atoms {TWO_ATOMS} (fixed point)": (["gen-error", "--noise", TWO_ATOMS], 10),
}


def _wall(argv) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ssr", "eval", *argv], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ssr eval {' '.join(argv)} failed: {done.stderr.strip()}")
    return seconds


def _in_process(warm: bool):
    models = [Model(gamma="1/2", lam=Fraction(1, 100) + k * (2 - Fraction(1, 100)) / 199, noise=TWO_ATOMS)
              for k in range(200)]
    state = {} if warm else None
    start = time.perf_counter()
    values = [mp.nstr(theory.evaluate("gen-error", model, dps=30, warm=state), 30) for model in models]
    return time.perf_counter() - start, values


def main(argv) -> int:
    repeats = int(argv[0]) if argv else 3
    print(f"# python benchmarks/grids.py {repeats}   (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores; best of {repeats} interleaved runs)")
    ok = True
    for name, (argv_single, target) in CASES.items():
        single, grid = [], []
        for _ in range(repeats):
            single.append(_wall(argv_single))
            grid.append(_wall([*argv_single, "--lam", GRID]))
        ratio = min(grid) / min(single)
        ok &= ratio <= target
        print(f"{name}: single ssr eval {min(single):.2f} s, 200-point grid {min(grid):.2f} s: "
              f"ratio {ratio:.2f} (target <= {target})")
    runs = [(_in_process(warm=False), _in_process(warm=True)) for _ in range(repeats)]
    cold_time, cold = min(run[0][0] for run in runs), runs[0][0][1]
    warm_time, warm = min(run[1][0] for run in runs), runs[0][1][1]
    print(f"in-process, 200 two-atom gen-error points at dps 30 (best of {repeats}): cold starts {cold_time:.3f} s, "
          f"warm starts {warm_time:.3f} s ({cold_time / warm_time:.2f}x); identical digits: {cold == warm}")
    ok &= cold == warm
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
