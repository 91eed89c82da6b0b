"""Wall time of the optima for continuous laws (issue 16, part 4): ``ssr eval … --dps 12``.

Each case is one whole command (``python -m ssr eval …`` as a subprocess, start-up included,
this checkout on ``PYTHONPATH``; wall and CPU time, the machine is shared), run once (a case takes up to minutes before the fix); the
printed value and note are recorded with the time. Cases: ``threshold-optimum`` (diagonal
basis) and ``mask-optimum`` (rotational basis, ``Q = 0``) for ``uniform(1,6)`` and
``powerlaw(3/2,1,6)`` at ``γ = 1/2, λ = 1/10``. Target: ≤ 15 s each on an idle 2-core machine.

Usage: ``python benchmarks/optima.py LABEL [CASE-SUBSTRING]``; appends a section headed
``LABEL`` (with the commit and the load average) to ``benchmarks/results/optima.txt``.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "optima.txt"
COMMON = ["--gamma", "1/2", "--lam", "1/10", "--dps", "12"]
CASES = [
    [quantity, "--noise", law, *extra, *COMMON]
    for law in ("uniform(1,6)", "powerlaw(3/2,1,6)")
    for quantity, extra in (("threshold-optimum", []),
                            ("mask-optimum", ["--basis", "rotational", "--test-mask-ratio", "0"]))
]


def _run(argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "ssr", "eval", *argv], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    out = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return seconds, cpu, done.returncode, " | ".join(line.split(" (dps")[0] for line in out)


def main(argv) -> int:
    label = argv[0] if argv else "run"
    only = argv[1] if len(argv) > 1 else ""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    lines = [f"## {label} (commit {commit}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"]
    print(lines[0], flush=True)
    for case in CASES:
        if only not in " ".join(case):
            continue
        seconds, cpu, code, out = _run(case)
        line = f"{seconds:7.1f} s wall {cpu:7.1f} s cpu  rc={code}  ssr eval {' '.join(case)}\n           -> {out}"
        print(line, flush=True)
        lines.append(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as fh:
        fh.write("\n".join(lines) + "\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
