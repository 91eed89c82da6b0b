"""Timing of ``fit_ssr`` against the BLAS/LAPACK floor and against brute force.

Run as ``python benchmarks/bench_fit.py``. No assertions: the numbers depend on the machine.
On a busy machine multithreaded BLAS timings are noisy; ``OPENBLAS_NUM_THREADS=1`` gives
steadier ratios.

* floor: the work no SSR implementation can avoid, measured in the same run on the same data —
  the product ``XᵀX`` plus one Cholesky factorisation of a ``d×d`` SPD matrix;
* ``fit_ssr``: ``XᵀX``, ``potrf``, ``potri`` (inverse from the factor, ``2d³/3`` flops) and
  the ``O(d²)`` rescaling: ``nd² + d³`` flops against ``nd² + d³/3`` for the floor, so the
  expected ratio at ``n = 2d`` is about ``3/2.33 ≈ 1.3`` at equal flop rates;
* brute force: ``d`` separate ``(d−1)``-dimensional ridge regressions (the definition of SSR), each
  ``O(n d² + d³)``, i.e. ``O(n d³ + d⁴)`` in total.
"""
from __future__ import annotations

import time

import numpy as np
from scipy.linalg import cho_factor

from numerics.estimator import fit_ssr


def best_times(functions, repeat: int) -> list[float]:
    """Smallest wall-clock time of each function over ``repeat`` interleaved rounds.

    Interleaving exposes every function to the same background load; the minimum is the
    least disturbed run.
    """
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for i, function in enumerate(functions):
            start = time.perf_counter()
            function()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def floor(X: np.ndarray, lam: float) -> None:
    """``XᵀX/n`` and one Cholesky factorisation of ``XᵀX/n + λI``."""
    S = X.T @ X / X.shape[0]
    S.flat[:: S.shape[0] + 1] += lam
    cho_factor(S, overwrite_a=True, check_finite=False)


def brute_force(X: np.ndarray, lam: float) -> np.ndarray:
    """``d`` independent ridge regressions of ``x_k`` on ``X_{−k}`` (the brute-force oracle)."""
    n, d = X.shape
    A = np.zeros((d, d))
    for k in range(d):
        others = np.arange(d) != k
        Z = X[:, others]
        A[k, others] = np.linalg.solve(Z.T @ Z / n + lam * np.eye(d - 1), Z.T @ X[:, k] / n)
    return A


def main() -> None:
    rng = np.random.default_rng(0)
    lam = 0.2
    print("fit_ssr against the floor (XᵀX + one Cholesky), n = 2d, best of 5 interleaved rounds")
    print(f"{'d':>6} {'n':>6} {'floor [s]':>10} {'fit_ssr [s]':>12} {'ratio':>6}")
    for d in (500, 1000, 2000):
        n = 2 * d
        X = rng.standard_normal((n, d))
        fit_ssr(X, lam)  # warm up threads and caches
        t_floor, t_fit = best_times([lambda: floor(X, lam), lambda: fit_ssr(X, lam)], 5)
        print(f"{d:>6} {n:>6} {t_floor:>10.4f} {t_fit:>12.4f} {t_fit / t_floor:>6.2f}")

    print()
    print("fit_ssr against d brute-force ridge regressions, n = 2d")
    print(f"{'d':>6} {'n':>6} {'brute [s]':>10} {'fit_ssr [s]':>12} {'speed-up':>9} {'max rel. gap':>13}")
    for d in (100, 200):
        n = 2 * d
        X = rng.standard_normal((n, d))
        start = time.perf_counter()
        B = brute_force(X, lam)
        t_brute = time.perf_counter() - start
        (t_fit,) = best_times([lambda: fit_ssr(X, lam)], 5)
        A = fit_ssr(X, lam)
        gap = np.max(np.abs(A - B)) / np.max(np.abs(B))
        print(f"{d:>6} {n:>6} {t_brute:>10.4f} {t_fit:>12.5f} {t_brute / t_fit:>9.0f} {gap:>13.1e}")


if __name__ == "__main__":
    main()
