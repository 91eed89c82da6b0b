"""The ratio-p estimator: the sampled masked loss converges to the expected one, and its cost.

``python benchmarks/masked_fit.py`` prints, for ``n = 200``, ``d = 8``, ``λ = 1/10``, ``p = 0.3``,
the error ``‖Â_sampled(K) − Â_p‖_F`` of the minimiser of the masked loss sampled with ``K``
random masks per sample (mean ± stderr over 8 mask seeds) and the least-squares slope of
``log error`` against ``log K`` (expected −1/2), then the time of ``fit_ssr(X, λ, mask_ratio=p)``
against ``mask_ratio=0`` at ``d = 1000`` (one BLAS thread; same single factorisation).
"""
from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from numerics import fit_ssr


def sampled(X, lam, p, masks, rng):
    """Minimiser of the masked loss over ``masks`` random masks per sample (row by row)."""
    n, d = X.shape
    hidden = rng.random((masks, n, d)) < p
    A = np.zeros((d, d))
    for k in range(d):
        which = np.nonzero(hidden[:, :, k])
        Z = (~hidden[which]) * X[which[1]]
        target = X[which[1], k]
        rest = [j for j in range(d) if j != k]
        Z = Z[:, rest]
        A[k, rest] = np.linalg.solve(Z.T @ Z / len(target) + lam * np.eye(d - 1), Z.T @ target / len(target))
    return A


def main():
    X = np.random.default_rng(5).standard_normal((200, 8)) @ np.diag(np.linspace(0.5, 2, 8))
    target = fit_ssr(X, 0.1, mask_ratio=0.3)
    counts = [4, 16, 64, 256, 1024]
    means = []
    print("K      error (mean ± se over 8 mask seeds)")
    for K in counts:
        errors = [np.linalg.norm(sampled(X, 0.1, 0.3, K, np.random.default_rng([seed, K])) - target)
                  for seed in range(8)]
        means.append(np.mean(errors))
        print(f"{K:<6d} {np.mean(errors):.4g} ± {np.std(errors, ddof=1) / np.sqrt(8):.2g}")
    slope = np.polyfit(np.log(counts), np.log(means), 1)[0]
    print(f"slope of log error against log K: {slope:+.3f} (expected -0.5)")
    with threadpool_limits(1, "blas"):
        Y = np.random.default_rng(1).standard_normal((2000, 1000))
        for p in (0, 0.3):
            fit_ssr(Y, 0.1, mask_ratio=p)
            start = time.perf_counter()
            for _ in range(3):
                fit_ssr(Y, 0.1, mask_ratio=p)
            print(f"fit_ssr d=1000 n=2000 mask_ratio={p}: {(time.perf_counter() - start) / 3:.3f} s")


if __name__ == "__main__":
    main()
