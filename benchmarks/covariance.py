"""The given-covariance route (``--covariance``): its cost, and simulation of that Σ at d = 400.

The population is the AR(1)–heteroscedastic family ``Σ_ij = s_i ρ^|i−j| s_j`` with ``ρ = 1/2``
and ``s_k² = 1 + 5 (k + 1/2)/d`` (variances from 1 to 6; neither diagonal nor Haar), ``γ = 1/2``,
``λ = 1/10``.

(a) Wall time of ``numerics.covariance.evaluate("gen-error", ...)`` at d = 1000, 2000, 3000
    (``p = 0`` and ``p = 0.3``), and of the stated ``accuracy`` (which needs the ``d×d`` product),
    with one BLAS thread: CPU time of this process and wall time (the machine is shared; the load
    average is printed, and the wall time grows with it).
(b) Simulation of that exact Σ at d = 400 (``n = 800``, replica ``k`` from ``default_rng([0, k])``)
    for ``p ∈ {0, 0.3}``: theory, mean ± standard error, ``z = (mean − theory)/SE`` and the relative
    difference; then the same at d = 200 (``Σ_200`` of the family, base seed 1000) and the
    Richardson combination ``2(x₄₀₀ − x̄₄₀₀) − (x₂₀₀ − x̄₂₀₀)``, which removes the ``O(1/d)``
    finite-size bias (the slack of the raw comparison), with its z-score.

Usage: ``python benchmarks/covariance.py [replicas]`` (default 16).
"""
from __future__ import annotations

import os
import sys
import time
from fractions import Fraction

import numpy as np
from threadpoolctl import threadpool_limits

from numerics import covariance
from numerics.model import Model
from numerics.simulate import simulate

GAMMA, LAM = Fraction(1, 2), Fraction(1, 10)
CASES = [("gen-error", "0", None), ("train-error", "0", None), ("m", "0", None),
         ("gen-error", "3/10", None), ("gen-error", "3/10", "0"), ("train-error", "3/10", None), ("m", "3/10", None)]


def ar1_hetero(d: int, rho: float = 0.5) -> np.ndarray:
    k = np.arange(d)
    s = np.sqrt(1 + 5 * (k + 0.5) / d)
    return s[:, None] * rho ** np.abs(k[:, None] - k[None, :]) * s[None, :]


def timings() -> None:
    print(f"(a) timings, one BLAS thread, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for d in (1000, 2000, 3000):
        S = ar1_hetero(d)
        for p in (0.0, 0.3):
            wall, cpu = time.perf_counter(), time.process_time()
            value = covariance.evaluate("gen-error", S, gamma=GAMMA, lam=LAM, mask_ratio=p)
            wall1, cpu1 = time.perf_counter(), time.process_time()
            eq = covariance.solve(S, gamma=GAMMA, lam=LAM, mask_ratio=p)
            accuracy = eq.accuracy
            wall2, cpu2 = time.perf_counter(), time.process_time()
            print(f"  d = {d}, p = {p}: gen-error = {value:.12f}: {cpu1 - cpu:.2f} s CPU ({wall1 - wall:.2f} s wall); "
                  f"with the accuracy ({accuracy:.1e}) {cpu2 - cpu1:.2f} s CPU ({wall2 - wall1:.2f} s wall)")


def agreement(replicas: int) -> None:
    print(f"(b) simulation of Sigma_d (AR(1) rho = 1/2 x heteroscedastic 1..6), gamma = 1/2, lam = 1/10, "
          f"{replicas} replicas")
    print("  quantity      p     q   |   theory d=400   mean +/- SE (d=400)        z    rel.diff  |"
          "  Richardson 400&200: gap +/- SE      z")
    for quantity, p, q in CASES:
        rows = []
        for d, seed in ((400, 0), (200, 1000)):
            model = Model(GAMMA, LAM, mask_ratio=p, test_mask_ratio=q, covariance=ar1_hetero(d))
            theory = covariance.evaluate(quantity, model.covariance, gamma=GAMMA, lam=LAM,
                                         mask_ratio=model.mask_ratio, test_mask_ratio=model.test_ratio)
            result = simulate(quantity, model, seeds=replicas, seed=seed)
            rows.append((theory, result.mean, result.stderr))
        (t4, m4, s4), (t2, m2, s2) = rows
        gap, se = 2 * (m4 - t4) - (m2 - t2), np.sqrt(4 * s4 ** 2 + s2 ** 2)
        qq = p if q is None else q
        print(f"  {quantity:<12} {p:>4} {qq:>4}   | {t4:14.10f}   {m4:.6f} +/- {s4:.6f}   {(m4 - t4) / s4:+6.2f}  "
              f"{(m4 - t4) / t4:+.2e}  |  {gap:+.6f} +/- {se:.6f}  {gap / se:+6.2f}")


def main(argv) -> int:
    replicas = int(argv[0]) if argv else 16
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        timings()
        agreement(replicas)
    print(f"total {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
