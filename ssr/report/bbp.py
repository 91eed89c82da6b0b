"""``bbp-*``: outlier separation and overlap against ``θ`` across the BBP transition, SSR and PCA,
theory and simulation."""
from __future__ import annotations

import numpy as np

from numerics import theory
from numerics.model import Model
from numerics.simulate import measure
from ssr.report.common import (DPS, SEED, Budget, Figure, decimal, mean_se, params, pyplot, refine, rng, save,
                               theory_value)

_SPIKE = [(quantity, method) for method in ("ssr", "pca") for quantity in ("outlier", "overlap")]


def bbp(base: Model, key: str, theta_max: float, index: int, budget: Budget, directory: str) -> Figure:
    """Outlier separation and overlap against ``θ``: theory curves and simulated points, SSR and PCA."""
    plt = pyplot()
    critical = {method: float(theory.evaluate("threshold", base, method=method, dps=DPS)) for method in ("ssr", "pca")}
    edges = {method: theory_value("edges", base, method) for method in ("ssr", "pca")}

    def spiked(theta: float, digits: int = 4) -> Model:
        return Model(base.gamma, base.lam, theta=decimal(theta, digits), noise=base.noise, basis=base.basis)

    def separation(method: str, top: float) -> float:
        lower, upper = edges[method]
        return (top - upper) / (upper - lower)

    curve = np.linspace(theta_max / budget.curve_points, theta_max, budget.curve_points)
    points = np.linspace(theta_max / budget.sweep_points, theta_max, budget.sweep_points)
    figure = Figure(f"bbp-{key}", f"BBP transition, SSR and PCA: {key} bulk",
                    "Top eigenvalue (as its distance above the bulk's upper edge x₊, in units of the bulk "
                    "width x₊ − x₋) and overlap cos²(v, estimate) against θ, SSR (top right eigenvector "
                    "of Â) and PCA (top eigenvector of S), theory and simulation "
                    "(theory: adaptive θ grid, dense where a curve bends, with the threshold θ_c as a point; "
                    "below threshold the simulated top eigenvalue is a bulk extreme, below the limiting "
                    "edge by about the Tracy–Widom mean shift; "
                    f"d = {budget.sweep_d}, {budget.sweep_seeds} replicas per point, mean ± stderr; "
                    f"{params(base)}).",
                    seeds=f"default_rng([{SEED}, {index}, point, replica])")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), constrained_layout=True)
    styles = {"ssr": dict(color="tab:blue", label="SSR"), "pca": dict(color="tab:orange", label="PCA")}
    for method in ("ssr", "pca"):
        def limits(theta: float, method: str = method) -> tuple[float, float]:
            model = spiked(theta, 6)
            return (separation(method, theory_value("outlier", model, method)),
                    theory_value("overlap", model, method))

        kink = float(decimal(critical[method], 6))
        start = sorted({float(decimal(t, 6)) for t in curve} | {kink})
        sampled = refine(limits, start, lambda a, b: float(decimal((a + b) / 2, 6)), tol=0.003, kinks=[kink],
                         limit=len(start) + 2 * budget.curve_points)
        thetas = sorted(sampled)
        outliers, overlaps = [sampled[t][0] for t in thetas], [sampled[t][1] for t in thetas]
        for ax, ys in ((left, outliers), (right, overlaps)):
            # PCA wide and below, SSR narrow on top: both stay visible where they coincide (isotropic bulk)
            ax.plot(thetas, ys, lw=1.6 if method == "ssr" else 3.2, zorder=3 if method == "ssr" else 2,
                    color=styles[method]["color"], label=f"{styles[method]['label']} theory")
        figure.rows += [(f"{method}-outlier-theory", t, y, None) for t, y in zip(thetas, outliers)]
        figure.rows += [(f"{method}-overlap-theory", t, y, None) for t, y in zip(thetas, overlaps)]
        for ax in (left, right):
            ax.axvline(critical[method], color=styles[method]["color"], lw=0.9, ls="--",
                       label=rf"$\theta_c^{{\mathrm{{{styles[method]['label']}}}}} = {critical[method]:.4f}$")
    simulated = {key_: [] for key_ in ("ssr", "pca")}
    for p, theta in enumerate(points):
        model = spiked(theta)
        replicas = [measure(model, budget.sweep_d, rng(index, p, k), _SPIKE) for k in range(budget.sweep_seeds)]
        for method in ("ssr", "pca"):
            top = mean_se([separation(method, r[("outlier", method)]) for r in replicas])
            cos2 = mean_se([r[("overlap", method)] for r in replicas])
            simulated[method].append((float(model.theta), top, cos2))
    for method in ("ssr", "pca"):
        thetas = [row[0] for row in simulated[method]]
        tops, cos2 = [row[1] for row in simulated[method]], [row[2] for row in simulated[method]]
        left.errorbar(thetas, [t[0] for t in tops], yerr=[t[1] for t in tops], fmt="o", ms=4, capsize=3,
                      color=styles[method]["color"], label=f"{styles[method]['label']} simulation")
        right.errorbar(thetas, [c[0] for c in cos2], yerr=[c[1] for c in cos2], fmt="o", ms=4, capsize=3,
                       color=styles[method]["color"], label=f"{styles[method]['label']} simulation")
        figure.rows += [(f"{method}-outlier-simulation", t, m, s) for t, (m, s) in zip(thetas, tops)]
        figure.rows += [(f"{method}-overlap-simulation", t, m, s) for t, (m, s) in zip(thetas, cos2)]
    left.set_xlabel(r"spike strength $\theta$")
    left.set_ylabel(r"outlier separation $(\lambda_{\max} - x_+)/(x_+ - x_-)$")
    right.set_xlabel(r"spike strength $\theta$")
    right.set_ylabel(r"overlap $\cos^2(v, \hat r)$")
    right.set_ylim(-0.03, 1.0)
    left.set_title("top eigenvalue above the bulk edge", fontsize=10)
    right.set_title("overlap with the planted direction", fontsize=10)
    left.legend(fontsize=8, loc="upper left")
    right.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"BBP transition, SSR and PCA: {params(base)}", fontsize=10)
    figure.notes.append(f"Thresholds: θ_c^SSR = {critical['ssr']:.6f}, θ_c^PCA = {critical['pca']:.6f}."
                        + (" The SSR and PCA overlaps coincide here (narrow SSR line on the wide PCA line)."
                           if base.isotropic else ""))
    save(fig, figure, directory)
    return figure
