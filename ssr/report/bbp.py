"""``bbp-*``: outlier separation and overlap against ``θ`` across the BBP transition, SSR and PCA,
theory and simulation."""
from __future__ import annotations

import numpy as np

from numerics import theory
from numerics.model import Model
from numerics.simulate import measure
from ssr.report.common import DPS, SEED, Budget, Figure, decimal, mean_se, params, pyplot, rng, save, theory_value

_SPIKE = [(quantity, method) for method in ("ssr", "pca") for quantity in ("outlier", "overlap")]


def bbp(base: Model, key: str, theta_max: float, index: int, budget: Budget, directory: str) -> Figure:
    """Outlier separation and overlap against ``θ``: theory curves and simulated points, SSR and PCA."""
    plt = pyplot()
    critical = {method: float(theory.evaluate("threshold", base, method=method, dps=DPS)) for method in ("ssr", "pca")}
    edges = {method: theory_value("edges", base, method) for method in ("ssr", "pca")}

    def spiked(theta: float) -> Model:
        return Model(base.gamma, base.lam, theta=decimal(theta, 4), noise=base.noise, basis=base.basis)

    def separation(method: str, top: float) -> float:
        lower, upper = edges[method]
        return (top - upper) / (upper - lower)

    curve = np.linspace(theta_max / budget.curve_points, theta_max, budget.curve_points)
    points = np.linspace(theta_max / budget.sweep_points, theta_max, budget.sweep_points)
    figure = Figure(f"bbp-{key}", f"BBP transition, SSR and PCA: {key} bulk",
                    "Top eigenvalue (as its distance above the bulk's upper edge x₊, in units of the bulk "
                    "width x₊ − x₋) and overlap cos²(v, estimate) against θ, SSR (top right eigenvector "
                    "of Â) and PCA (top eigenvector of S), theory and simulation "
                    "(below threshold the simulated top eigenvalue is a bulk extreme, below the limiting "
                    "edge by about the Tracy–Widom mean shift; "
                    f"d = {budget.sweep_d}, {budget.sweep_seeds} replicas per point, mean ± stderr; "
                    f"{params(base)}).",
                    seeds=f"default_rng([{SEED}, {index}, point, replica])")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), constrained_layout=True)
    styles = {"ssr": dict(color="tab:blue", label="SSR"), "pca": dict(color="tab:orange", label="PCA")}
    for method in ("ssr", "pca"):
        outliers = [separation(method, theory_value("outlier", spiked(t), method)) for t in curve]
        overlaps = [theory_value("overlap", spiked(t), method) for t in curve]
        left.plot(curve, outliers, lw=1.8, **styles[method])
        right.plot(curve, overlaps, lw=1.8, **styles[method])
        figure.rows += [(f"{method}-outlier-theory", t, y, None) for t, y in zip(curve, outliers)]
        figure.rows += [(f"{method}-overlap-theory", t, y, None) for t, y in zip(curve, overlaps)]
        for ax in (left, right):
            ax.axvline(critical[method], color=styles[method]["color"], lw=0.9, ls="--")
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
    right.legend(fontsize=8, loc="upper left",
                 title=rf"dashed: $\theta_c^{{SSR}}={critical['ssr']:.3f}$, $\theta_c^{{PCA}}={critical['pca']:.3f}$",
                 title_fontsize=8)
    fig.suptitle(f"BBP transition, SSR and PCA: {params(base)}", fontsize=10)
    figure.notes.append(f"Thresholds: θ_c^SSR = {critical['ssr']:.6f}, θ_c^PCA = {critical['pca']:.6f}.")
    save(fig, figure, directory)
    return figure
