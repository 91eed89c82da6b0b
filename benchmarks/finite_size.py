"""Finite-size table: simulation mean ± stderr against the theory limit for d = 250 … 2000.

    python benchmarks/finite_size.py [--gamma 1/2] [--lam 1/5] [--theta 2] [--seeds 10]

For every QUANTITY (``threshold`` has no finite-``d`` version) prints the limit (closed form,
dps 30), then for each ``d`` the simulated mean ± stderr over seeded replicas, the gap and
the z-score. The gap should shrink with ``d``; |z| should stay below about 4.
"""
from __future__ import annotations

import argparse
from fractions import Fraction

import numpy as np

from numerics.model import Model
from numerics.simulate import simulate
from numerics.theory import evaluate

CASES = [("m", "ssr"), ("train-error", "ssr"), ("gen-error", "ssr"), ("edges", "ssr"), ("edges", "pca"),
         ("density", "ssr"), ("outlier", "ssr"), ("outlier", "pca"), ("overlap", "ssr"), ("overlap", "pca")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gamma", default="1/2")
    parser.add_argument("--lam", default="1/5")
    parser.add_argument("--theta", default="2")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--dims", default="250,500,1000,2000")
    parser.add_argument("--extrapolate", action="store_true",
                        help="Richardson in 1/d (d and d/2) for every quantity but the edges")
    args = parser.parse_args()
    dims = [int(d) for d in args.dims.split(",")]
    model = Model(gamma=args.gamma, lam=args.lam, theta=args.theta)
    print(f"gamma={args.gamma} lam={args.lam} theta={args.theta} seeds={args.seeds} "
          f"extrapolate={args.extrapolate}")
    print(f"{'quantity':<24}{'theory':>12}" + "".join(f"{'d=' + str(d):>36}" for d in dims))
    for quantity, method in CASES:
        at = None
        if quantity == "density":
            lower, upper = evaluate("edges", model, method=method, dps=20)
            at = Fraction(str(float((lower + upper) / 2)))
        theory = evaluate(quantity, model, method=method, at=at, dps=30)
        theory = np.array([float(t) for t in theory]) if isinstance(theory, list) else np.array([float(theory)])
        for component in range(theory.shape[0]):
            label = f"{quantity}[{method}]" + (f"[{'lower' if component == 0 else 'upper'}]" if theory.shape[0] > 1 else "")
            cells = []
            for d in dims:
                result = simulate(quantity, model, d=d, seeds=args.seeds, method=method, at=at,
                                  extrapolate=args.extrapolate and quantity != "edges")
                mean = np.atleast_1d(result.mean)[component]
                err = np.atleast_1d(result.stderr)[component]
                gap = mean - theory[component]
                cells.append(f"{mean:.5f}±{err:.1e} gap {gap:+.1e} z {gap / err:+.1f}")
            print(f"{label:<24}{theory[component]:>12.6f}" + "".join(f"{c:>36}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
