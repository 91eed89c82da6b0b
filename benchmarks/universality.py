"""Universality table: non-Gaussian data against the Gaussian limit, at d = 800.

    python benchmarks/universality.py [--d 800] [--seeds 24] [--seed 0]

For the model of the report's ``universality`` figure (ν = ½δ₁ + ½δ₆, diagonal, γ = 1/2,
λ = 1/10, θ = 3: above the SSR threshold 1.3517, below the PCA threshold 4.3707) and every data
law of :data:`ssr.report.UNIVERSALITY_DATA`, prints per quantity the Gaussian limit (dps 15), the
simulated mean ± stderr over the replicas, the z-score ``(mean − theory)/stderr`` and the
relative gap ``(mean − theory)/theory``. The replicas are those of
:func:`ssr.report.universality_rows` (one sample per replica for every quantity; ``m`` and the
errors Richardson-extrapolated with d/2), replica ``k`` of law ``i`` seeded
``default_rng([seed, i, k])`` and its d/2 partner ``default_rng([seed, i, k, 2])``.
The stored output is ``benchmarks/results/universality.txt``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from ssr import report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=800)
    parser.add_argument("--seeds", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.monotonic()
    rows = report.universality_rows(args.d, args.seeds, lambda point, replica, half: np.random.default_rng(
        [args.seed, point, replica] + ([2] if half else [])))
    model = report.UNIVERSALITY_MODEL
    labels = {key: label for key, label, _ in report.UNIVERSALITY_QUANTITIES}
    print(f"universality: d={args.d} n={2 * args.d} seeds={args.seeds} seed={args.seed}; gamma={model.gamma} "
          f"lam={model.lam} theta={model.theta} noise=1:1/2,6:1/2 basis={model.basis}; m and the errors Richardson "
          f"(d, d/2)")
    print(f"{'data':<16}{'E z^4':>7}  {'quantity':<33}{'theory':>12}{'mean':>14}{'stderr':>11}{'z':>8}{'rel. gap':>11}")
    for row in rows:
        moment = "inf" if row["fourth_moment"] == float("inf") else str(row["fourth_moment"])
        print(f"{row['data']:<16}{moment:>7}  {labels[row['key']]:<33}{row['theory']:>12.6f}{row['mean']:>14.6f}"
              f"{row['se']:>11.2e}{row['z']:>+8.1f}{100 * row['rel']:>+10.2f}%")
    print()
    print("\n".join(report.universality_sentences(rows)))
    print(f"\nwall time {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
