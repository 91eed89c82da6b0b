"""Start-up of ``ssr eval`` against ``python -c "import numpy, mpmath"`` (issue 11: ≤ 4×).

Each command runs in a fresh subprocess, ``runs`` times, the commands interleaved round-robin so
that the load of the shared machine drifts over all of them alike; the median wall time (and the
median CPU time, user + system, of the child) of each is printed with its ratio to the baseline:

- ``python -c "import numpy, mpmath"``: the baseline;
- ``python -m ssr eval m``: the closed route (the generated ``numerics/_closed.py``);
- ``python -m ssr eval m --mask-ratio 0.3``: the closed route of the masked estimator;
- ``python -m ssr eval m --noise 1:1/2,6:1/2``: the fixed point of a two-atom law;
- for comparison, ``ssr eval m`` as it was before the generated module: the closed form derived
  by SymPy at start and lambdified (``numerics._closed.CLOSED`` emptied first).

The package is imported from this checkout (``PYTHONPATH`` = the repository). Every command must
exit 0 and print the value it is asked for.

Usage: ``python benchmarks/startup.py [runs]`` (default 7, at least 5).
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_BEFORE = ("import sys, numerics._closed as c; c.CLOSED.clear(); from ssr.cli import main; "
           "sys.exit(main(['eval', 'm']))")
BASELINE = ("import numpy, mpmath", [sys.executable, "-c", "import numpy, mpmath"], "")
COMMANDS = [
    ("ssr eval m", [sys.executable, "-m", "ssr", "eval", "m"], "m = 1.2169905660283019056603301888"),
    ("ssr eval m --mask-ratio 0.3", [sys.executable, "-m", "ssr", "eval", "m", "--mask-ratio", "0.3"],
     "m = 0.62560005617139225315175484064"),
    ("ssr eval m --noise 1:1/2,6:1/2 (two-atom fixed point)",
     [sys.executable, "-m", "ssr", "eval", "m", "--noise", "1:1/2,6:1/2"], "m = 0.77908372234017647316224333992"),
]
REFERENCE = ("ssr eval m, SymPy deriving at start (as before)", [sys.executable, "-c", _BEFORE],
             "m = 1.2169905660283019056603301888")


def _run(argv, expected: str) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``argv`` in a subprocess."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or not proc.stdout.startswith(expected):
        raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(runs: int = 7) -> None:
    if runs < 5:
        raise SystemExit("runs: at least 5")
    cases = [BASELINE, *COMMANDS, REFERENCE]
    for _, argv, expected in cases:  # warm the file cache (not timed)
        _run(argv, expected)
    times = {name: [] for name, _, _ in cases}
    for _ in range(runs):
        for name, argv, expected in cases:
            times[name].append(_run(argv, expected))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    print(f"# python benchmarks/startup.py {runs}   (commit {commit}; Python {sys.version.split()[0]}; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"median of {runs} runs each, subprocesses interleaved; ratio = median / median of the baseline")
    base_wall = statistics.median(w for w, _ in times[BASELINE[0]])
    base_cpu = statistics.median(c for _, c in times[BASELINE[0]])
    print(f"  {'command':<58} {'wall':>8} {'ratio':>7}   {'CPU':>8} {'ratio':>7}")
    for name, _, _ in cases:
        wall = statistics.median(w for w, _ in times[name])
        cpu = statistics.median(c for _, c in times[name])
        print(f"  {name:<58} {wall:7.3f}s {wall / base_wall:6.2f}x   {cpu:7.3f}s {cpu / base_cpu:6.2f}x")
    worst = max(statistics.median(w for w, _ in times[name]) for name, _, _ in COMMANDS) / base_wall
    print(f"largest ssr eval ratio (wall): {worst:.2f}x (issue 11 target: <= 4x): {'met' if worst <= 4 else 'NOT met'}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
