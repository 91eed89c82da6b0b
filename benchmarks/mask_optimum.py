"""The best training ratio p* (docs/theory.md, "Random masks"), confirmed by simulation at d = 800.

For ν = ½δ₁ + ½δ₆, rotational basis, γ = 1/2, λ = 1/10 and test ratio Q = 0 (the leave-one-out
error of Â_p), ``mask-optimum`` gives p* to 20 digits (root of dE/dp = 0). Here each replica
(``default_rng([0, k])``) is fitted at p* − 0.1, p* and p* + 0.1 (one sample, three fits: paired
differences) and its E_d(0) computed with the true Σ; the script prints the theory and the
simulated errors, the paired differences E(p* ± 0.1) − E(p*) with their standard errors, and
whether the simulated error at p* is the lowest.

Usage: ``python benchmarks/mask_optimum.py [d] [replicas]`` (default 800, 8).
"""
from __future__ import annotations

import dataclasses
import sys
import time
from fractions import Fraction

import mpmath as mp
import numpy as np

from numerics import estimator, estimators, theory
from numerics.model import Model
from numerics.simulate import sample

MODEL = Model("1/2", "1/10", noise="1:1/2,6:1/2", basis="rotational", test_mask_ratio=0)


def main(argv) -> int:
    d = int(argv[0]) if argv else 800
    replicas = int(argv[1]) if len(argv) > 1 else 8
    start = time.perf_counter()
    best = theory.evaluate("mask-optimum", MODEL, dps=20)
    print(f"mask-optimum p* = {mp.nstr(best, 20)} (dps 20, {time.perf_counter() - start:.2f} s)")
    ratios = [Fraction(mp.nstr(best + shift, 20)) for shift in (-mp.mpf("0.1"), 0, mp.mpf("0.1"))]
    limits = [float(theory.evaluate("gen-error", dataclasses.replace(MODEL, mask_ratio=p), dps=15)) for p in ratios]
    masked = estimators.get("masked")
    errors = np.empty((replicas, 3))
    start = time.perf_counter()
    for k in range(replicas):
        X, Sigma, _ = sample(MODEL, d, np.random.default_rng([0, k]))
        for j, p in enumerate(ratios):
            fit = masked.fit(X, dataclasses.replace(MODEL, mask_ratio=p))
            errors[k, j] = estimator.gen_error(fit.matrix, Sigma, 0.0)
    mean = errors.mean(axis=0)
    stderr = errors.std(axis=0, ddof=1) / np.sqrt(replicas)
    print(f"d = {d}, n = {2 * d}, {replicas} replicas ({time.perf_counter() - start:.1f} s)")
    for p, limit, m, s in zip(ratios, limits, mean, stderr):
        print(f"  p = {float(p):.6f}: theory E(0) = {limit:.6f}, simulated {m:.6f} ± {s:.6f}")
    for j, label in ((0, "p* - 0.1"), (2, "p* + 0.1")):
        diff = errors[:, j] - errors[:, 1]
        se = diff.std(ddof=1) / np.sqrt(replicas)
        print(f"  E({label}) - E(p*): theory {limits[j] - limits[1]:+.6f}, simulated {diff.mean():+.6f} ± {se:.6f} "
              f"(z against 0: {diff.mean() / se:+.1f}; against theory: {(diff.mean() - limits[j] + limits[1]) / se:+.2f})")
    lowest = bool(np.all(mean[1] < mean[[0, 2]]))
    print(f"simulated error lowest at p*: {lowest}")
    return 0 if lowest else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
