"""``errors-vs-lambda``, ``errors-vs-gamma``: ``E_train`` and ``E_gen`` of ``Â`` against the ridge
``λ`` and the aspect ratio ``γ``, theory and simulation."""
from __future__ import annotations

import numpy as np

from numerics.model import Model
from numerics.simulate import measure
from ssr.report.common import SEED, SMOOTH_POINTS, Budget, Figure, decimal, mean_se, pyplot, rng, save, theory_value

_ERRORS = [("train-error", "ssr"), ("gen-error", "ssr")]


def errors(axis: str, index: int, budget: Budget, directory: str) -> Figure:
    """``E_train`` and ``E_gen`` against ``λ`` (``γ = 1/2``) or ``γ`` (``λ = 10⁻²``)."""
    plt = pyplot()
    if axis == "lambda":
        curve = np.logspace(-3, 1, SMOOTH_POINTS)
        points = np.logspace(-3, 1, budget.errors_points)

        def model_at(x):
            return Model("1/2", decimal(x, 4))

        label, fixed, words = r"ridge $\lambda$", r"$\gamma = 1/2$", "the ridge λ (γ = 1/2"
    else:
        curve = np.logspace(-1, np.log10(4), SMOOTH_POINTS)
        points = np.logspace(-1, np.log10(4), budget.errors_points)

        def model_at(x):
            return Model(decimal(x, 4), "1/100")

        label, fixed, words = r"aspect ratio $\gamma = d/n$", r"$\lambda = 10^{-2}$", "the aspect ratio γ = d/n (λ = 1/100"
    figure = Figure(f"errors-vs-{axis}", f"Errors against {'λ' if axis == 'lambda' else 'γ'}",
                    f"Training and generalisation error of Â (leave-one-out SSR, no masks) against {words}, "
                    f"isotropic), theory ({SMOOTH_POINTS} points, closed forms) and simulation (d = {budget.errors_d}, {budget.errors_seeds} replicas per point, mean ± stderr).",
                    seeds=f"default_rng([{SEED}, {index}, point, replica])")
    fig, ax = plt.subplots(figsize=(7, 4.6), constrained_layout=True)
    colours = {"train-error": "tab:green", "gen-error": "tab:red"}
    names = {"train-error": r"$E_{\mathrm{train}}$", "gen-error": r"$E_{\mathrm{gen}}$"}
    for quantity in ("train-error", "gen-error"):
        xs = [float(model_at(x).lam if axis == "lambda" else model_at(x).gamma) for x in curve]
        ys = [theory_value(quantity, model_at(x)) for x in curve]
        ax.plot(xs, ys, color=colours[quantity], lw=1.8, label=f"{names[quantity]} theory")
        figure.rows += [(f"{quantity}-theory", x, y, None) for x, y in zip(xs, ys)]
    sims = {"train-error": [], "gen-error": []}
    for p, x in enumerate(points):
        model = model_at(x)
        replicas = [measure(model, budget.errors_d, rng(index, p, k), _ERRORS) for k in range(budget.errors_seeds)]
        where = float(model.lam if axis == "lambda" else model.gamma)
        for quantity in sims:
            sims[quantity].append((where, *mean_se([r[(quantity, "ssr")] for r in replicas])))
    for quantity, rows in sims.items():
        ax.errorbar([r[0] for r in rows], [r[1] for r in rows], yerr=[r[2] for r in rows], fmt="o", ms=4,
                    capsize=3, color=colours[quantity], label=f"{names[quantity]} simulation")
        figure.rows += [(f"{quantity}-simulation", *row) for row in rows]
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel("error (mean squared, per coordinate)")
    if axis == "gamma":
        ax.axvline(1.0, color="0.4", lw=0.8, ls=":")
        ax.text(1.03, 0.97, r"$\gamma = 1$: ridgeless peak", transform=ax.get_xaxis_transform(), va="top", fontsize=8)
    ax.set_title(f"Errors of SSR (leave-one-out $\\hat A$) against {label}: {fixed}", fontsize=10)
    ax.legend(fontsize=9)
    save(fig, figure, directory)
    return figure
