"""Supports, thresholds and extreme inputs of issue 16: what each command prints and how long it takes.

Runs every case as a subprocess ``ssr eval ...`` (start-up included), once each, in one run, and
writes ``benchmarks/results/supports.txt`` with the machine's load average. The 2000-eigenvalue
file law is drawn here (the eigenvalues of a 4000 × 2000 white sample covariance, seed 0).

    python benchmarks/supports.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    "edges --method pca --noise 1:9/10,100:1/10 --gamma 1/2 --dps 16",
    "edges --method pca --noise 1:1/2,6:2/5,30:1/10 --gamma 1/2 --dps 16",
    "threshold --method pca --noise 1:1/2,6:2/5,100:1/10 --gamma 1/2 --dps 16",
    "edges --noise 1:9/10,100:1/10 --basis rotational --mask-ratio 3/10 --gamma 1/2 --lam 1/10 --dps 16",
    "edges --method pca --noise 1:1/2,6:1/2 --gamma 0.62796781822514548380414579389 --dps 16",
    "edges --noise 1:1/2,6:1/2 --lam 101/200 --gamma 29/20 --dps 16",
    "edges --noise 1:1/2,6:1/2 --lam 101/200 --gamma 78/55 --dps 16",
    "threshold --noise 1:1/2,6:1/2 --gamma 6/5 --lam 1/10 --dps 16",
    "threshold --noise 1:1/2,6:1/2 --mask-ratio 99/100 --gamma 2 --dps 16",
    "threshold --noise 1:1/2,6:1/2 --lam 1000 --gamma 2 --dps 16",
    "threshold --mask-ratio 99/100 --gamma 2 --dps 16",
    "threshold --lam 1000 --gamma 2 --dps 16",
    "threshold --noise 1:1/2,6:1/2 --mask-ratio 99/100 --gamma 3/2 --dps 16",
    "threshold --noise 1:1/2,6:1/2 --lam 1000 --gamma 3/2 --dps 16",
    "threshold --noise 1:1/2,6:1/2 --mask-ratio 9999/10000 --gamma 1/2 --dps 16",
    "threshold --noise 1:1/2,6:1/2 --lam 1e-8 --dps 16",
    "threshold --noise 1:1/2,6:1/2 --lam 1e4 --dps 16",
    "edges --noise 1:1/2,6:1/2 --gamma 1.0001 --dps 16",
    "edges --noise 1:1/2,6:1/2 --gamma 0.9999 --dps 16",
    "edges --noise 1:1/2,6:1/2 --gamma 2 --mask-ratio 9999/10000 --dps 16",
    "edges --noise 1:1/2,20:1/2 --gamma 5/2 --lam 1/2 --dps 16",
    "density --noise 1:1/2,6:1/2 --at 0.99 --dps 16",
    "edges --method pca --noise file({file}) --dps 20",
    "edges --noise file({file}) --dps 20",
]


def main() -> int:
    out = ROOT / "benchmarks" / "results" / "supports.txt"
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((4000, 2000))
        path = Path(tmp) / "eigenvalues.npy"
        np.save(path, np.linalg.eigvalsh(X.T @ X / 4000))
        lines = [f"# ssr eval, one run each; load average before: {os.getloadavg()[0]:.2f}"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for case in CASES:
            argv = case.format(file=path).split()
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "ssr", "eval", *argv], capture_output=True, text=True,
                                  env=env, cwd=tmp)
            seconds = time.perf_counter() - start
            shown = (proc.stdout or proc.stderr).strip().splitlines()[0]
            shown = shown.split(" (dps=")[0]
            lines.append(f"{seconds:7.2f} s  ssr eval {case.replace('{file}', 'EIGENVALUES.npy')}\n          -> {shown}")
            print(lines[-1], flush=True)
        lines.append(f"# load average after: {os.getloadavg()[0]:.2f}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
