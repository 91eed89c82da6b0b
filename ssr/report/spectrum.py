"""``spectrum-*`` and ``masked-spectrum``: the eigenvalues of ``Â`` (or ``Â_p``) of one sample
against the limiting density.

Isotropic with ``γ < 1`` and ``γ > 1`` (the atom of the ``d − n`` null directions at
``a₀ = 1 − 1/(mλ)`` marked with its mass), heteroscedastic, rotational; with a masking ratio
``p``, the spectrum of ``Â_p`` below the supremum ``1/(1−p)`` of its eigenvalue map.
"""
from __future__ import annotations

import numpy as np

from numerics import estimators
from numerics.model import Model
from numerics.simulate import sample
from numerics.spectrum import bulk as _bulk
from ssr.report.common import (DPS, SEED, Budget, Figure, decimal, params, pyplot, refine, rng, save,
                               theory_value)


def _atom(model: Model):
    """Location ``a₀ = 1 − 1/(mλ)`` and mass ``1 − 1/γ`` of the atom of ``Â`` (``γ > 1``, isotropic),
    evaluated from the derived expressions of :func:`derive.isotropic.ssr_atom`."""
    import sympy as sp

    from derive import isotropic
    from derive.symbols import gamma, lam

    location, mass = isotropic.ssr_atom()
    exact = {gamma: sp.Rational(model.gamma.numerator, model.gamma.denominator),
             lam: sp.Rational(model.lam.numerator, model.lam.denominator)}
    return float(location.subs(exact).evalf(DPS)), float(mass.subs(exact).evalf(DPS))


def _density_curve(model: Model, lower: float, upper: float, points: int):
    """The limiting density on ``[lower, upper]`` for plotting: ``(x, ρ(x), inner edges)``.

    Start: ``points`` points, half Chebyshev (dense at the outer square-root edges), half uniform.
    Where the density switches between zero and positive between two points the support has a
    gap: its inner edge is located by bisection (40 steps) and a cluster of points ``e ± (k/8)² h``
    on the positive side resolves its square-root shape. Then :func:`~ssr.report.common.refine`
    adds midpoints wherever the curve bends away from its chords by more than 0.3 % of the peak
    density (the square-root edges and the peaks), at most ``4·points`` more. ``ρ`` is evaluated at
    exact decimals (:func:`~ssr.report.common.decimal`); the outer edges carry ``ρ = 0``.
    """
    half = points // 2
    nodes = np.arange(1, half + 1) / (half + 1)
    base = np.union1d(lower + (upper - lower) * (1 - np.cos(np.pi * nodes)) / 2,
                      np.linspace(lower, upper, points - half + 2)[1:-1])

    def rho(x: float) -> tuple[float, float]:
        exact = decimal(x)
        return float(exact), theory_value("density", model, at=exact)

    curve = dict(rho(x) for x in base)
    xs = sorted(curve)
    gaps = []
    for left, right in zip(xs, xs[1:]):
        if (curve[left] > 0) == (curve[right] > 0):
            continue
        inside, outside = (left, right) if curve[left] > 0 else (right, left)
        for _ in range(40):
            middle = (inside + outside) / 2
            if theory_value("density", model, at=decimal(middle, 12)) > 0:
                inside = middle
            else:
                outside = middle
        edge = (inside + outside) / 2
        gaps.append(edge)
        step = (right - left) * (1 if inside > outside else -1)
        curve.update(rho(edge + step * (k / 8) ** 2) for k in range(1, 8))
        curve[edge] = 0.0
    curve[lower], curve[upper] = 0.0, 0.0

    def density(x: float) -> tuple[float]:
        return (curve[x],) if x in curve else (rho(x)[1],)

    def split(a: float, b: float) -> float:
        return float(decimal((a + b) / 2))

    curve = {x: y for x, (y,) in refine(density, sorted(curve), split, tol=0.003, scale=[max(curve.values())],
                                         kinks=gaps, limit=len(curve) + 4 * points).items()}
    xs = sorted(curve)
    return xs, [curve[x] for x in xs], gaps


def spectrum(model: Model, key: str, index: int, budget: Budget, directory: str, name: str | None = None) -> Figure:
    """Histogram of the spectrum of ``Â`` (one sample, ``d = budget.spectrum_d``) vs the density.

    A model with a masking ratio ``p`` fits the ratio-``p`` estimator ``Â_p`` (random masks, an effective diagonal ridge) and marks
    the supremum ``1/(1−p)`` of its eigenvalue map ``t ↦ (1 − 1/t)/(1−p)``. ``name`` defaults to
    ``spectrum-<key>``.
    """
    plt = pyplot()
    d = budget.spectrum_d
    X, _, _ = sample(model, d, rng(index, 0, 0))
    masked = model.masked
    values = estimators.get("masked" if masked else "ssr").fit(X, model).spectrum
    hat, tex = ("Â_p", r"\hat A_p") if masked else ("Â", r"\hat A")
    n = X.shape[0]
    lower, upper = theory_value("edges", model)
    names = {"isotropic-gamma-half": "isotropic bulk, γ < 1", "isotropic-gamma-two": "isotropic bulk, γ > 1 (atom)",
             "heteroscedastic": "heteroscedastic diagonal bulk", "rotational": "rotational bulk",
             "masked": f"masked estimator, p = {model.mask_ratio}, {model.basis} bulk"}
    figure = Figure(name or f"spectrum-{key}", f"Spectrum of {hat}: {names.get(key, key)}",
                    f"Eigenvalues of {hat} for one sample (d = {d}, n = {n}; {params(model)}), histogram "
                    "normalised by d (so the continuous part has mass 1/γ when γ > 1), against the "
                    "limiting density of the continuous part (a bin shows the density averaged over its width, so a "
                    "sharp peak looks lower in the histogram).",
                    seeds=f"default_rng([{SEED}, {index}, 0, 0])")
    bulk = _bulk(values, n, False)
    bins = np.linspace(lower - 0.08 * (upper - lower), upper + 0.08 * (upper - lower), max(40, int(2 * np.sqrt(d))) + 1)
    counts, _ = np.histogram(bulk, bins=bins)
    heights = counts / (d * np.diff(bins))
    centres = (bins[:-1] + bins[1:]) / 2
    grid, density, gaps = _density_curve(model, lower, upper, budget.curve_points)
    fig, ax = plt.subplots(figsize=(7, 4.4), constrained_layout=True)
    ax.bar(centres, heights, width=np.diff(bins), color="tab:blue", alpha=0.45, edgecolor="none",
           label=f"simulation, d = {d} ({len(bulk)} eigenvalues"
                 + (f", largest {values[-1]:.4f})" if masked else ")"))
    ax.plot(grid, density, color="black", lw=1.8, label=f"theory density (adaptive grid, {len(grid)} points)")
    for x in (lower, upper, *gaps):
        ax.axvline(x, color="0.4", lw=0.8, ls=":")
    ax.plot([], [], color="0.4", lw=0.8, ls=":", label=f"support edges (theory): {lower:.4f}, {upper:.4f}"
            + (f"; gap {', '.join(f'{g:.4f}' for g in gaps)}" if gaps else ""))
    figure.rows += [("histogram", c, h, None) for c, h in zip(centres, heights)]
    figure.rows += [("theory", x, y, None) for x, y in zip(grid, density)]
    if gaps:
        figure.notes.append("The support has a gap: inner edges at " + ", ".join(f"{g:.6f}" for g in gaps)
                            + " (located by bisection on the limiting density, dotted lines).")
    top = 1.15 * max(max(heights), max(density))
    left_end = bins[0]
    if model.gamma > 1 and model.isotropic:
        a0, mass = _atom(model)
        null = values[: d - n]
        left_end = min(left_end, a0 - 0.05 * (bins[-1] - a0))
        ax.annotate("", xy=(a0, 0.8 * top), xytext=(a0, 0.0),
                    arrowprops=dict(arrowstyle="-|>", color="tab:red", lw=2))
        ax.plot(null, np.zeros_like(null), "|", color="tab:red", ms=10, alpha=0.3)
        ax.text(a0 + 0.02 * (bins[-1] - left_end), 0.8 * top,
                f"atom (Dirac mass) at $a_0 = 1-1/(m\\lambda) = {a0:.4f}$\nmass $1-1/\\gamma = {mass:.3f}$\n"
                f"simulated: {null.size} of {d} eigenvalues,\nmean {null.mean():.4f} (red ticks)",
                va="top", fontsize=9, color="tab:red",
                bbox=dict(boxstyle="round", facecolor="white", edgecolor="tab:red"))
        figure.rows += [("atom-theory", a0, mass, None), ("atom-simulation", float(null.mean()), null.size / d, None)]
        figure.notes.append(f"Atom: theory a₀ = {a0:.6f} with mass {mass:.4f}; simulated: {null.size} of {d} "
                            f"eigenvalues (the null directions of S) at mean {null.mean():.6f}.")
    right_end = bins[-1]
    if masked:
        supremum = 1 / (1 - float(model.mask_ratio))
        right_end = max(right_end, supremum + 0.05 * (supremum - left_end))
        ax.axvline(supremum, color="tab:red", lw=1.2, ls="--",
                   label=f"$1/(1-p) = {supremum:.4f}$: supremum of the map $t \\mapsto (1-1/t)/(1-p)$")
        figure.rows.append(("supremum", supremum, 0.0, None))
        figure.notes.append(f"Bulk edges (theory, dotted): [{lower:.6f}, {upper:.6f}]; every eigenvalue of {hat} lies "
                            f"below 1/(1−p) = {supremum:.6f} (dashed: every eigenvalue of {hat} has the form (1 − 1/t)/(1−p) "
                            f"with t > 0), the largest simulated one is {values[-1]:.6f}.")
    ax.set_xlabel(rf"eigenvalue $a$ of ${tex}$")
    ax.set_ylabel(r"density $\rho(a)$ (per unit $a$, mass normalised by $d$)")
    ax.set_title(f"Spectrum of ${tex}$: {params(model)}", fontsize=10)
    ax.set_xlim(left_end, right_end)
    ax.set_ylim(0, top)
    ax.legend(loc="upper center" if left_end < bins[0] else "upper left", fontsize=9)
    save(fig, figure, directory)
    return figure
