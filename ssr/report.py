r"""The figures of ``ssr verify --report DIR`` and the report pages around them.

Every figure is a PNG with a CSV beside it holding exactly the plotted numbers, in long format
``series, x, y, err`` (``err`` is the standard error over seeds of a simulated point, empty for
a theory curve). Theory comes from :func:`numerics.theory.evaluate` (closed forms for the
isotropic bulk, the fixed point for general bulks) at ``dps = 15`` (a figure shows ~4 digits);
simulations draw their samples with :func:`numerics.simulate.sample` from
``numpy.random.default_rng([SEED, figure, point, replica])`` (:data:`SEED` = 2026, ``figure``
the index of the figure in :data:`FIGURES`), so rerunning with the same budget reproduces
every number bit for bit (same platform and BLAS).

The figures (budgets in :data:`FULL` and :data:`QUICK`):

- ``spectrum-*``: histogram of the eigenvalues of ``Â`` of one sample against the limiting
  density, isotropic with ``γ < 1`` and ``γ > 1`` (the atom of the ``d − n`` null directions
  at ``a₀ = 1 − 1/(mλ)`` marked with its mass), heteroscedastic, rotational;
- ``bbp-*``: outlier separation and overlap against ``θ`` across the transition, SSR and PCA;
- ``errors-vs-lambda``, ``errors-vs-gamma``: ``E_train`` and ``E_gen``, theory and simulation;
- ``finite-size``: per-replica RMS error ``√(mean_k (x_k − x_∞)²)`` against ``d`` on log–log
  axes with the least-squares slope, for seven quantities; the expected slope is ``−1`` for
  normalised traces (bias and fluctuation ``O(1/d)``) and ``−1/2`` for outliers and overlaps
  (fluctuation ``O(d^{-1/2})``); a fitted slope farther than :data:`SLOPE_TOLERANCE` from it is
  flagged in the report;
- ``phase``: the SSR-vs-PCA phase diagram of :mod:`ssr.phase`;
- ``masked-errors``: the masked test error ``E(q)`` of ``Â_p`` (SPEC §5) against the training
  ratio ``p`` for test ratios ``q = 0``, ``q = 0.15`` and ``q = p`` (γ = 1/2 and 2, rotational),
  theory and simulation, with the optimum ``p*`` of ``E(0)`` (``mask-optimum``) marked;
- ``masked-phase``: the ``(p, θ)`` phase diagram of spike detection by ``Â_p`` (diagonal basis):
  the threshold ``θ_c(p)``, the ratio minimising it, the overlap on a coarse grid, and the flat
  rotational threshold for contrast;
- ``masked-spectrum``: the spectrum of ``Â_p`` (``p = 0.3``, diagonal) against its limiting density,
  below the supremum ``1/(1−p)`` of the eigenvalue map;
- ``universality``: non-Gaussian data (SPEC §6, :mod:`numerics.data`): for seven laws of the
  standardised entries (Gaussian, Rademacher, sparse, Student-t from ν = 8 down to the heavy tails
  ν = 3, 5/2) the relative gap ``(simulation − theory)/theory`` ± its standard error of the errors,
  ``m``, the upper bulk edge, the outlier and the overlap of SSR, and the upper edge of ``S`` (PCA) for
  contrast, against the Gaussian limit; a table and a sentence generated from the measured numbers.
"""
from __future__ import annotations

import csv
import html
import os
import platform
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from numerics import estimators, quantities
from ssr import phase as phase_module
from numerics import theory
from numerics.data import parse_data
from numerics.model import Model
from numerics.simulate import Replica, measure, sample
from numerics.spectrum import bulk as _bulk, soft_edge as _soft_edge

__all__ = ["SEED", "SLOPE_TOLERANCE", "FULL", "QUICK", "FIGURES", "Figure", "Budget", "build_figures",
           "render_html", "UNIVERSALITY_MODEL", "UNIVERSALITY_DATA", "UNIVERSALITY_QUANTITIES", "universality_rows",
           "universality_sentences"]

SEED = 2026
SLOPE_TOLERANCE = 0.25
_DPS = 15


@dataclass(frozen=True)
class Budget:
    """Simulation sizes of the figures (``d`` and replicas) and grid sizes of the theory curves."""

    spectrum_d: int
    sweep_d: int
    sweep_seeds: int
    sweep_points: int
    errors_d: int
    errors_seeds: int
    errors_points: int
    scaling_dims: tuple
    scaling_seeds: int
    phase_points: tuple
    curve_points: int
    masked_d: int  # masked-errors: simulation size, replicas, simulated ratios p per curve
    masked_seeds: int
    masked_points: int
    masked_curve_points: int  # masked-errors: theory ratios per curve, p ∈ [0, 0.9] (~5 ms each)
    masked_threshold_points: int  # masked-phase: ratios of the θ_c(p) curve (~0.3 s each)
    masked_phase_points: tuple  # masked-phase: (p, θ) overlap grid
    masked_optimum_search: bool  # masked-phase: threshold-optimum (~15 s) or the grid's parabola
    universality_d: int = 800  # universality: dimension and replicas per data law
    universality_seeds: int = 12
    images_quick: bool = False  # real-images: ssr images' quick budget (6 training sets) or its full one (10)


FULL = Budget(spectrum_d=2000, sweep_d=2000, sweep_seeds=4, sweep_points=7, errors_d=1000, errors_seeds=2,
              errors_points=9, scaling_dims=(250, 500, 1000, 2000), scaling_seeds=32, phase_points=(24, 12),
              curve_points=80, masked_d=800, masked_seeds=3, masked_points=7, masked_curve_points=91,
              masked_threshold_points=37, masked_phase_points=(19, 16), masked_optimum_search=True,
              universality_d=800, universality_seeds=12)
QUICK = Budget(spectrum_d=400, sweep_d=300, sweep_seeds=6, sweep_points=5, errors_d=200, errors_seeds=2,
               errors_points=5, scaling_dims=(100, 200, 400), scaling_seeds=24, phase_points=(10, 5),
               curve_points=40, masked_d=200, masked_seeds=3, masked_points=4, masked_curve_points=46,
               masked_threshold_points=19, masked_phase_points=(10, 8), masked_optimum_search=False,
               universality_d=200, universality_seeds=10, images_quick=True)


@dataclass
class Figure:
    """One written figure: file names (relative to the report folder), caption, table rows."""

    name: str
    title: str
    caption: str
    png: str = ""
    csv: str = ""
    seeds: str = ""
    rows: list = field(default_factory=list)  # (series, x, y, err) as plotted
    notes: list = field(default_factory=list)  # Markdown lines shown under the figure
    flags: list = field(default_factory=list)  # finite-size: (name, expected, slope, se, flagged)


def _rng(figure: int, point: int, replica: int) -> np.random.Generator:
    return np.random.default_rng([SEED, figure, point, replica])


def _value(quantity: str, model: Model, method: str = "ssr", at=None):
    value = theory.evaluate(quantity, model, method=method, at=at, dps=_DPS)
    return [float(v) for v in value] if isinstance(value, list) else float(value)


def _decimal(x: float, digits: int = 6) -> Fraction:
    """``x`` rounded to ``digits`` significant digits, as an exact rational (a model parameter)."""
    return Fraction(f"{x:.{digits - 1}e}")


def _mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


# ----------------------------------------------------------------------------------------------
# Drawing


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, figure: Figure, directory: str) -> None:
    """Write ``figure.name``.png (no timestamp in the metadata) and its CSV."""
    plt = _pyplot()
    figure.png = f"{figure.name}.png"
    figure.csv = f"{figure.name}.csv"
    fig.savefig(os.path.join(directory, figure.png), dpi=120, metadata={"Software": None})
    plt.close(fig)
    with open(os.path.join(directory, figure.csv), "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["series", "x", "y", "err"])
        for series, x, y, err in figure.rows:
            writer.writerow([series, repr(float(x)), repr(float(y)), "" if err is None else repr(float(err))])


def _params(model: Model) -> str:
    text = rf"$\gamma={model.gamma}$, $\lambda={model.lam}$"
    if model.theta:
        text += rf", $\theta={model.theta}$"
    if not model.isotropic:
        law = " + ".join(rf"{w}\,\delta_{{{s}}}" for s, w in model.noise)
        text += rf", $\nu = {law}$, {model.basis} basis"
    if model.mask_ratio:
        text += rf", $p={model.mask_ratio}$"
    if model.test_mask_ratio is not None:
        text += rf", $q={model.test_mask_ratio}$"
    return text


# ----------------------------------------------------------------------------------------------
# Spectrum of Â against the limiting density


def _atom(model: Model):
    """Location ``a₀ = 1 − 1/(mλ)`` and mass ``1 − 1/γ`` of the atom of ``Â`` (``γ > 1``, isotropic),
    evaluated from the derived expressions of :func:`derive.isotropic.ssr_atom`."""
    import sympy as sp

    from derive import isotropic
    from derive.symbols import gamma, lam

    location, mass = isotropic.ssr_atom()
    exact = {gamma: sp.Rational(model.gamma.numerator, model.gamma.denominator),
             lam: sp.Rational(model.lam.numerator, model.lam.denominator)}
    return float(location.subs(exact).evalf(_DPS)), float(mass.subs(exact).evalf(_DPS))


def _density_curve(model: Model, lower: float, upper: float, points: int):
    """The limiting density on ``[lower, upper]`` for plotting: ``(x, ρ(x), inner edges)``.

    Points: half Chebyshev (dense at the outer square-root edges), half uniform. Where the
    density switches between zero and positive between two points the support has a gap: its
    inner edge is located by bisection (40 steps) and a cluster of points ``e ± (k/8)² h`` on
    the positive side resolves its square-root shape. ``ρ`` is evaluated at exact decimals
    (:func:`_decimal`); the outer edges carry ``ρ = 0``.
    """
    half = points // 2
    nodes = np.arange(1, half + 1) / (half + 1)
    base = np.union1d(lower + (upper - lower) * (1 - np.cos(np.pi * nodes)) / 2,
                      np.linspace(lower, upper, points - half + 2)[1:-1])

    def rho(x: float) -> tuple[float, float]:
        exact = _decimal(x)
        return float(exact), _value("density", model, at=exact)

    curve = dict(rho(x) for x in base)
    xs = sorted(curve)
    gaps = []
    for left, right in zip(xs, xs[1:]):
        if (curve[left] > 0) == (curve[right] > 0):
            continue
        inside, outside = (left, right) if curve[left] > 0 else (right, left)
        for _ in range(40):
            middle = (inside + outside) / 2
            if _value("density", model, at=_decimal(middle, 12)) > 0:
                inside = middle
            else:
                outside = middle
        edge = (inside + outside) / 2
        gaps.append(edge)
        step = (right - left) * (1 if inside > outside else -1)
        curve.update(rho(edge + step * (k / 8) ** 2) for k in range(1, 8))
        curve[edge] = 0.0
    curve[lower], curve[upper] = 0.0, 0.0
    xs = sorted(curve)
    return xs, [curve[x] for x in xs], gaps


def spectrum(model: Model, key: str, index: int, budget: Budget, directory: str, name: str | None = None) -> Figure:
    """Histogram of the spectrum of ``Â`` (one sample, ``d = budget.spectrum_d``) vs the density.

    A model with a masking ratio ``p`` fits the ratio-``p`` estimator ``Â_p`` (SPEC §5) and marks
    the supremum ``1/(1−p)`` of its eigenvalue map ``t ↦ (1 − 1/t)/(1−p)``. ``name`` defaults to
    ``spectrum-<key>``.
    """
    plt = _pyplot()
    d = budget.spectrum_d
    X, _, _ = sample(model, d, _rng(index, 0, 0))
    masked = model.masked
    values = estimators.get("masked" if masked else "ssr").fit(X, model).spectrum
    hat, tex = ("Â_p", r"\hat A_p") if masked else ("Â", r"\hat A")
    n = X.shape[0]
    lower, upper = _value("edges", model)
    names = {"isotropic-gamma-half": "isotropic bulk, γ < 1", "isotropic-gamma-two": "isotropic bulk, γ > 1 (atom)",
             "heteroscedastic": "heteroscedastic diagonal bulk", "rotational": "rotational bulk",
             "masked": f"masked estimator, p = {model.mask_ratio}, {model.basis} bulk"}
    figure = Figure(name or f"spectrum-{key}", f"Spectrum of {hat}: {names.get(key, key)}",
                    f"Eigenvalues of {hat} for one sample (d = {d}, n = {n}; {_params(model)}), histogram "
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
    ax.plot(grid, density, color="black", lw=1.8, label="theory density")
    for x in (lower, upper, *gaps):
        ax.axvline(x, color="0.4", lw=0.8, ls=":")
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
        ax.plot([], [], color="0.4", lw=0.8, ls=":", label=f"bulk edges (theory): {lower:.4f}, {upper:.4f}")
        figure.rows.append(("supremum", supremum, 0.0, None))
        figure.notes.append(f"Bulk edges (theory, dotted): [{lower:.6f}, {upper:.6f}]; every eigenvalue of {hat} lies "
                            f"below 1/(1−p) = {supremum:.6f} (dashed; the supremum of the eigenvalue map "
                            f"(1 − 1/t)/(1−p) of SPEC §5), the largest simulated one is {values[-1]:.6f}.")
    ax.set_xlabel(rf"eigenvalue $a$ of ${tex}$")
    ax.set_ylabel(r"density $\rho(a)$ (per unit $a$, mass normalised by $d$)")
    ax.set_title(f"Spectrum of ${tex}$: {_params(model)}", fontsize=10)
    ax.set_xlim(left_end, right_end)
    ax.set_ylim(0, top)
    ax.legend(loc="upper center" if left_end < bins[0] else "upper left", fontsize=9)
    _save(fig, figure, directory)
    return figure


# ----------------------------------------------------------------------------------------------
# Outlier and overlap across the BBP transition


_SPIKE = [(quantity, method) for method in ("ssr", "pca") for quantity in ("outlier", "overlap")]


def bbp(base: Model, key: str, theta_max: float, index: int, budget: Budget, directory: str) -> Figure:
    """Outlier separation and overlap against ``θ``: theory curves and simulated points, SSR and PCA."""
    plt = _pyplot()
    critical = {method: float(theory.evaluate("threshold", base, method=method, dps=_DPS)) for method in ("ssr", "pca")}
    edges = {method: _value("edges", base, method) for method in ("ssr", "pca")}

    def spiked(theta: float) -> Model:
        return Model(base.gamma, base.lam, theta=_decimal(theta, 4), noise=base.noise, basis=base.basis)

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
                    f"{_params(base)}).",
                    seeds=f"default_rng([{SEED}, {index}, point, replica])")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), constrained_layout=True)
    styles = {"ssr": dict(color="tab:blue", label="SSR"), "pca": dict(color="tab:orange", label="PCA")}
    for method in ("ssr", "pca"):
        outliers = [separation(method, _value("outlier", spiked(t), method)) for t in curve]
        overlaps = [_value("overlap", spiked(t), method) for t in curve]
        left.plot(curve, outliers, lw=1.8, **styles[method])
        right.plot(curve, overlaps, lw=1.8, **styles[method])
        figure.rows += [(f"{method}-outlier-theory", t, y, None) for t, y in zip(curve, outliers)]
        figure.rows += [(f"{method}-overlap-theory", t, y, None) for t, y in zip(curve, overlaps)]
        for ax in (left, right):
            ax.axvline(critical[method], color=styles[method]["color"], lw=0.9, ls="--")
    simulated = {key_: [] for key_ in ("ssr", "pca")}
    for p, theta in enumerate(points):
        model = spiked(theta)
        replicas = [measure(model, budget.sweep_d, _rng(index, p, k), _SPIKE) for k in range(budget.sweep_seeds)]
        for method in ("ssr", "pca"):
            top = _mean_se([separation(method, r[("outlier", method)]) for r in replicas])
            cos2 = _mean_se([r[("overlap", method)] for r in replicas])
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
    fig.suptitle(f"BBP transition, SSR and PCA: {_params(base)}", fontsize=10)
    figure.notes.append(f"Thresholds: θ_c^SSR = {critical['ssr']:.6f}, θ_c^PCA = {critical['pca']:.6f}.")
    _save(fig, figure, directory)
    return figure


# ----------------------------------------------------------------------------------------------
# Errors against λ and γ


_ERRORS = [("train-error", "ssr"), ("gen-error", "ssr")]


def errors(axis: str, index: int, budget: Budget, directory: str) -> Figure:
    """``E_train`` and ``E_gen`` against ``λ`` (``γ = 1/2``) or ``γ`` (``λ = 10⁻²``)."""
    plt = _pyplot()
    if axis == "lambda":
        curve = np.logspace(-3, 1, budget.curve_points)
        points = np.logspace(-3, 1, budget.errors_points)

        def model_at(x):
            return Model("1/2", _decimal(x, 4))

        label, fixed, words = r"ridge $\lambda$", r"$\gamma = 1/2$", "the ridge λ (γ = 1/2"
    else:
        curve = np.logspace(-1, np.log10(4), budget.curve_points)
        points = np.logspace(-1, np.log10(4), budget.errors_points)

        def model_at(x):
            return Model(_decimal(x, 4), "1/100")

        label, fixed, words = r"aspect ratio $\gamma = d/n$", r"$\lambda = 10^{-2}$", "the aspect ratio γ = d/n (λ = 1/100"
    figure = Figure(f"errors-vs-{axis}", f"Errors against {'λ' if axis == 'lambda' else 'γ'}",
                    f"Training and generalisation error of Â against {words}, isotropic), theory and "
                    f"simulation (d = {budget.errors_d}, {budget.errors_seeds} replicas per point, mean ± stderr).",
                    seeds=f"default_rng([{SEED}, {index}, point, replica])")
    fig, ax = plt.subplots(figsize=(7, 4.6), constrained_layout=True)
    colours = {"train-error": "tab:green", "gen-error": "tab:red"}
    names = {"train-error": r"$E_{\mathrm{train}}$", "gen-error": r"$E_{\mathrm{gen}}$"}
    for quantity in ("train-error", "gen-error"):
        xs = [float(model_at(x).lam if axis == "lambda" else model_at(x).gamma) for x in curve]
        ys = [_value(quantity, model_at(x)) for x in curve]
        ax.plot(xs, ys, color=colours[quantity], lw=1.8, label=f"{names[quantity]} theory")
        figure.rows += [(f"{quantity}-theory", x, y, None) for x, y in zip(xs, ys)]
    sims = {"train-error": [], "gen-error": []}
    for p, x in enumerate(points):
        model = model_at(x)
        replicas = [measure(model, budget.errors_d, _rng(index, p, k), _ERRORS) for k in range(budget.errors_seeds)]
        where = float(model.lam if axis == "lambda" else model.gamma)
        for quantity in sims:
            sims[quantity].append((where, *_mean_se([r[(quantity, "ssr")] for r in replicas])))
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
    ax.set_title(f"Errors of masked SSR against {label}: {fixed}", fontsize=10)
    ax.legend(fontsize=9)
    _save(fig, figure, directory)
    return figure


# ----------------------------------------------------------------------------------------------
# Finite-size scaling

#: quantity, method, expected slope of the per-replica RMS error against d.
SCALING = (("m", "ssr", -1.0), ("train-error", "ssr", -1.0), ("gen-error", "ssr", -1.0),
           ("outlier", "ssr", -0.5), ("overlap", "ssr", -0.5), ("outlier", "pca", -0.5), ("overlap", "pca", -0.5))
_SCALING_MODEL = Model("1/2", "1/5", theta=2)


def fit_slope(dims, rms, err=None) -> tuple[float, float]:
    r"""Least-squares slope of ``log rms`` against ``log d`` and its standard error.

    The standard error propagates the errors ``err`` of the points (``σ_log = err/rms``):
    ``se² = 1/Σ w_i (x_i − x̄_w)²`` with ``w = 1/σ_log²`` and ``x = log d``; without ``err`` it
    comes from the residuals (zero for points exactly on a line).

    >>> slope, se = fit_slope([100, 200, 400], [1e-2, 5e-3, 2.5e-3])
    >>> round(slope, 12), round(se, 12)
    (-1.0, 0.0)
    >>> round(fit_slope([100, 400], [1.0, 0.5], err=[0.1, 0.05])[1], 4)  # √2·0.1/log 4
    0.102
    """
    x, y = np.log(np.asarray(dims, dtype=float)), np.log(np.asarray(rms, dtype=float))
    slope, intercept = np.polyfit(x, y, 1)
    if err is None:
        dof = max(x.size - 2, 1)
        se = np.sqrt(np.sum((y - slope * x - intercept) ** 2) / dof / np.sum((x - x.mean()) ** 2))
    else:
        weights = (np.asarray(rms, dtype=float) / np.asarray(err, dtype=float)) ** 2
        centre = np.sum(weights * x) / np.sum(weights)
        se = 1 / np.sqrt(np.sum(weights * (x - centre) ** 2))
    return float(slope), float(se)


def contradicts(slope: float, se: float, expected: float) -> bool:
    """A fitted slope contradicts the expected rate when it is off by more than
    :data:`SLOPE_TOLERANCE` *and* by more than three standard errors.

    >>> contradicts(-0.9, 0.05, -1.0), contradicts(-0.5, 0.05, -1.0), contradicts(-0.5, 0.3, -1.0)
    (False, True, False)
    """
    gap = abs(slope - expected)
    return gap > SLOPE_TOLERANCE and gap > 3 * se


def finite_size(index: int, budget: Budget, directory: str) -> Figure:
    """Per-replica RMS error against ``d`` (log–log) with fitted and expected slopes."""
    plt = _pyplot()
    model = _SCALING_MODEL
    limits = {(q, meth): _value(q, model, meth) for q, meth, _ in SCALING}
    dims = budget.scaling_dims
    per_d = []
    for p, d in enumerate(dims):
        per_d.append([measure(model, d, _rng(index, p, k), [row[:2] for row in SCALING])
                      for k in range(budget.scaling_seeds)])
    figure = Figure("finite-size", "Finite-size scaling",
                    f"Root-mean-square error of one replica, √(mean over replicas of (x_d − x_∞)²), against d "
                    f"({budget.scaling_seeds} replicas per d; {_params(model)}, isotropic), log–log, with "
                    "least-squares slopes (± stderr propagated from the points). Expected: −1 for normalised traces (m, E_train, E_gen: bias and "
                    "fluctuation O(1/d)), −1/2 for outliers and overlaps (fluctuation O(d^-1/2)); a slope is flagged when it is "
                    f"off by more than {SLOPE_TOLERANCE} and by more than 3 stderr. Error bars: delta-method "
                    "stderr of the RMS.",
                    seeds=f"default_rng([{SEED}, {index}, d-index, replica])")
    fig, ax = plt.subplots(figsize=(7.6, 5.2), constrained_layout=True)
    table = ["| quantity | expected slope | fitted slope ± se | RMS error at d = " + ", ".join(map(str, dims)) +
             " | flag |", "|---|---|---|---|---|"]
    markers = "osD^v<>"
    for (quantity, method, expected), marker in zip(SCALING, markers):
        limit = limits[(quantity, method)]
        rms, err = [], []
        for replicas in per_d:
            squares = np.array([(r[(quantity, method)] - limit) ** 2 for r in replicas])
            value = float(np.sqrt(squares.mean()))
            rms.append(value)
            err.append(float(squares.std(ddof=1) / np.sqrt(squares.size) / (2 * value)) if value > 0 else 0.0)
        slope, se = fit_slope(dims, rms, err)
        flagged = contradicts(slope, se, expected)
        name = f"{quantity} ({method})"
        logs = np.log(np.asarray(dims, dtype=float))  # the least-squares line through the means
        fitted = np.exp(np.mean(np.log(rms)) + slope * (logs - logs.mean()))
        points = ax.errorbar(dims, rms, yerr=err, fmt=marker, ms=6, capsize=2, mfc="none" if method == "pca" else None,
                             label=f"{name}: slope {slope:+.2f} ± {se:.2f} (expected {expected:+.1f})"
                                   f"{'  FLAGGED' if flagged else ''}")
        ax.plot(dims, fitted, color=points[0].get_color(), lw=1.1, ls="--" if method == "pca" else "-")
        figure.rows += [(f"{quantity}-{method}-rms", d, y, e) for d, y, e in zip(dims, rms, err)]
        figure.rows += [(f"{quantity}-{method}-fit", d, y, None) for d, y in zip(dims, fitted)]
        table.append(f"| {name} | {expected:+.1f} | {slope:+.3f} ± {se:.3f} | "
                     + ", ".join(f"{v:.2e}" for v in rms)
                     + f" | {'**FLAGGED**: contradicts the expected rate' if flagged else 'ok'} |")
        figure.flags.append((name, expected, slope, se, flagged))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.minorticks_off()
    ax.set_xlabel(r"dimension $d$ ($n = d/\gamma$)")
    ax.set_ylabel(r"RMS error $\sqrt{\langle (x_d - x_\infty)^2 \rangle}$")
    ax.set_title(f"Finite-size scaling: {_params(model)}", fontsize=10)
    ax.legend(fontsize=7.5, loc="lower left")
    figure.notes += ["", *table]
    _save(fig, figure, directory)
    return figure


# ----------------------------------------------------------------------------------------------
# Phase diagram


def phase(index: int, budget: Budget, directory: str) -> Figure:
    """The SSR-vs-PCA phase diagram (θ against the contrast of ½δ_{s₁} + ½δ_{s₂}, γ = 1/2)."""
    result = phase_module.phase_map("theta-contrast", dps=_DPS, points=budget.phase_points)
    figure = Figure("phase", "SSR vs PCA phase diagram",
                    "Detection regions and overlap gap of SSR and PCA in the (θ, contrast) plane "
                    "(diagonal basis, γ = 1/2, λ = 1/5; theory only, fixed point at dps 15).")
    figure.png = "phase.png"
    phase_module.plot(result, os.path.join(directory, figure.png))
    grid, thresholds = phase_module.write_csv(result, directory)
    figure.csv = os.path.basename(grid)
    figure.notes += ["```", phase_module.summary(result), "```",
                     f"`{figure.csv}`: one row per grid point (θ, contrast, both thresholds, both overlaps, "
                     f"region, overlap gap = the colour of the map); `{os.path.basename(thresholds)}`: the "
                     "threshold curves."]
    return figure


# ----------------------------------------------------------------------------------------------
# Random masks with ratio p (SPEC §5)


_MASKED_NOISE = "1:1/2,6:1/2"
_MASKED_LAM = Fraction(1, 10)
_MASK_MAX = Fraction(9, 10)
#: test ratios of masked-errors: a fixed ratio, or None for q = p (the model's default)
_TEST_RATIOS = ((Fraction(0), "q = 0 (leave-one-out)"), (Fraction(15, 100), "q = 0.15"), (None, "q = p"))


def _ratios(points: int) -> list[Fraction]:
    """``points`` equally spaced exact ratios ``p`` from 0 to :data:`_MASK_MAX` (= 9/10)."""
    return [_MASK_MAX * Fraction(k, points - 1) for k in range(points)]


def _q_name(q: Fraction | None) -> str:
    return "p" if q is None else f"{float(q):g}"


def masked_errors(index: int, budget: Budget, directory: str) -> Figure:
    """The masked test error ``E(q)`` against the training ratio ``p``: theory and simulation.

    Simulation: per ``(γ, p)`` point and replica one sample, ``Â_p`` fitted once and ``E(q)``
    (:func:`numerics.estimator.gen_error` with the true ``Σ``) evaluated for every ``q`` on it.
    """
    from numerics.estimator import gen_error

    plt = _pyplot()
    gammas = (Fraction(1, 2), Fraction(2))
    curve, points = _ratios(budget.masked_curve_points), _ratios(budget.masked_points)

    def model_at(gamma, p, q=None):
        return Model(gamma, _MASKED_LAM, noise=_MASKED_NOISE, basis="rotational", mask_ratio=p, test_mask_ratio=q)

    d, seeds = budget.masked_d, budget.masked_seeds
    figure = Figure("masked-errors", "Masked test error against the training ratio p",
                    "Masked test error E(q) of the ratio-p estimator Â_p (SPEC §5) against the training masking "
                    "ratio p, for test ratios q = 0 (the leave-one-out error of §1), q = 0.15 and q = p; rotational "
                    "basis, ν = ½δ₁ + ½δ₆, λ = 1/10, γ = 1/2 (left) and γ = 2 (right). Lines: theory (fixed "
                    f"point, dps 15, {len(curve)} ratios per curve); points: simulation (d = {d}, {seeds} replicas "
                    "per point, mean ± stderr; each replica fits Â_p once and evaluates E(q) for every q on that "
                    "fit with the true Σ; the points sit above the limit by the O(1/d) finite-size bias of a "
                    "normalised trace). Dashed vertical line: the optimum p* of E(0) (`mask-optimum` at Q = 0), "
                    "when it lies in the plotted range.",
                    seeds=f"default_rng([{SEED}, {index}, point, replica]), point = γ-index·{len(points)} + p-index")
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 5.0), constrained_layout=True)
    colours = ("tab:blue", "tab:green", "tab:red")
    table = ["| γ | p* of E(0) | E(0) at p* | E(0) at p = 0 | smallest E(0) on the plotted theory grid | "
             "d·(simulation − theory), mean over points (range) |", "|---|---|---|---|---|---|"]
    for g_index, (gamma, ax) in enumerate(zip(gammas, axes)):
        tag = f"gamma-{gamma}"
        theory_at = {}
        for (q, label), colour in zip(_TEST_RATIOS, colours):
            ys = [_value("gen-error", model_at(gamma, p, q)) for p in curve]
            ax.plot([float(p) for p in curve], ys, color=colour, lw=1.8, label=f"{label}: theory")
            figure.rows += [(f"{tag}-q-{_q_name(q)}-theory", p, y, None) for p, y in zip(curve, ys)]
            theory_at[q] = dict(zip(curve, ys))
        grid_min = min(zip(theory_at[Fraction(0)].values(), theory_at[Fraction(0)]))
        simulated = {q: [] for q, _ in _TEST_RATIOS}
        gaps = []
        for p_index, p in enumerate(points):
            model = model_at(gamma, p)
            per_q = {q: [] for q in simulated}
            for k in range(seeds):
                X, Sigma, _ = sample(model, d, _rng(index, g_index * len(points) + p_index, k))
                A = estimators.get("masked").fit(X, model).matrix
                for q in per_q:
                    per_q[q].append(gen_error(A, Sigma, test_mask_ratio=float(p if q is None else q)))
            for q, values in per_q.items():
                mean, se = _mean_se(values)
                simulated[q].append((float(p), mean, se))
                exact = theory_at[q].get(p)
                gaps.append(d * (mean - (exact if exact is not None else _value("gen-error", model_at(gamma, p, q)))))
        for (q, label), colour in zip(_TEST_RATIOS, colours):
            rows = simulated[q]
            ax.errorbar([r[0] for r in rows], [r[1] for r in rows], yerr=[r[2] for r in rows], fmt="o", ms=5,
                        capsize=3, color=colour, mfc="white", mew=1.4, label=f"{label}: simulation, d = {d}")
            figure.rows += [(f"{tag}-q-{_q_name(q)}-simulation", *row) for row in rows]
        notes: list = []
        best = float(theory.evaluate("mask-optimum", model_at(gamma, 0, Fraction(0)), dps=_DPS, notes=notes))
        at_best = _value("gen-error", model_at(gamma, _decimal(best, 12), Fraction(0)))
        figure.rows.append((f"{tag}-optimum", best, at_best, None))
        beyond = best > float(_MASK_MAX)
        if not beyond:
            ax.axvline(best, color=colours[0], lw=1.1, ls="--")
            ax.text(best + 0.01, 0.97, f"$p^* = {best:.4f}$, $E(0) = {at_best:.4f}$", rotation=90, ha="left", va="top",
                    transform=ax.get_xaxis_transform(), fontsize=8.5, color=colours[0])
        else:
            ax.text(0.03, 0.96, f"$p^* = {best:.4f}$ lies beyond the plotted range ($p > 0.9$):\n"
                    f"$E(0) = {at_best:.4f}$ there, below the smallest value\n"
                    f"{grid_min[0]:.4f} of $E(0)$ for $p \\leq 0.9$ (at $p = {float(grid_min[1]):.2f}$)",
                    transform=ax.transAxes, ha="left", va="top", fontsize=8.5, color=colours[0],
                    bbox=dict(boxstyle="round", facecolor="white", edgecolor=colours[0]))
        table.append(f"| {gamma} | {best:.6f}{' (beyond the plotted p ≤ 0.9)' if beyond else ''} | {at_best:.6f} | "
                     f"{theory_at[Fraction(0)][Fraction(0)]:.6f} | {grid_min[0]:.6f} at p = {float(grid_min[1]):.4f} | "
                     f"{np.mean(gaps):+.2f} ({min(gaps):+.2f} … {max(gaps):+.2f}) |")
        figure.notes += [f"γ = {gamma}: {note}" for note in notes if note]
        ax.set_xlim(-0.02, 0.92)
        ax.set_xlabel(r"training masking ratio $p$")
        ax.set_ylabel(r"masked test error $E(q)$ (per coordinate)")
        ax.set_title(rf"$\gamma = {gamma}$", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8.5)
    fig.suptitle("Masked test error of $\\hat A_p$ against the training ratio: "
                 + _params(model_at(gammas[0], 0)).replace(r"$\gamma=1/2$, ", ""), fontsize=10)
    figure.notes += ["Optimum training ratio for the leave-one-out error E(0) (theory, `mask-optimum` at Q = 0, "
                     "dps 15) and the finite-size gap of the simulated points:", "", *table]
    _save(fig, figure, directory)
    return figure


def _parabola_vertex(xs, ys, i: int) -> tuple[float, float]:
    """Vertex of the parabola through the grid points ``i − 1, i, i + 1`` (``i`` the grid minimum).

    >>> x, y = _parabola_vertex([0.0, 0.5, 1.0], [2.09, 2.04, 2.49], 1)  # y = (x − 0.3)² + 2
    >>> round(x, 12), round(y, 12)
    (0.3, 2.0)
    """
    (x0, x1, x2), (y0, y1, y2) = xs[i - 1:i + 2], ys[i - 1:i + 2]
    slope01, slope12 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
    curvature = (slope12 - slope01) / (x2 - x0)
    x = (x0 + x1) / 2 - slope01 / (2 * curvature)
    return float(x), float(y1 + slope01 * (x - x1) + curvature * (x - x0) * (x - x1))


def masked_phase(index: int, budget: Budget, directory: str) -> Figure:
    """The ``(p, θ)`` phase diagram of spike detection by ``Â_p`` (diagonal basis; theory only).

    The optimum ratio is ``threshold-optimum`` when ``budget.masked_optimum_search`` (the full
    budget); otherwise (the quick budget, which must stay cheap: the search costs ~15 s) the vertex
    of the parabola through the grid minimum of ``θ_c(p)`` and its two neighbours, and the note says
    which.
    """
    plt = _pyplot()
    quick = not budget.masked_optimum_search

    def model_at(p, theta=0, basis="diagonal"):
        return Model("1/2", _MASKED_LAM, theta=theta, noise=_MASKED_NOISE, basis=basis, mask_ratio=p)

    curve = _ratios(budget.masked_threshold_points)
    diagonal = [_value("threshold", model_at(p)) for p in curve]
    coarse = curve[::3] if curve[-1] in curve[::3] else curve[::3] + [curve[-1]]
    rotational = [_value("threshold", model_at(p, basis="rotational")) for p in coarse]
    i = int(np.argmin(diagonal))
    if quick and 0 < i < len(curve) - 1:
        best, at_best = _parabola_vertex([float(p) for p in curve], diagonal, i)
        how = (f"the vertex of the parabola through the grid minimum of θ_c(p) (p = {float(curve[i]):g}) and its two "
               "neighbours (quick budget, no optimum search; the full budget runs `threshold-optimum`)")
    elif quick:
        best, at_best = float(curve[i]), diagonal[i]
        how = ("the grid minimum of θ_c(p) (quick budget, no optimum search; the full budget runs "
               "`threshold-optimum`)")
    else:
        notes: list = []
        best = float(theory.evaluate("threshold-optimum", model_at(0), dps=_DPS, notes=notes))
        at_best = _value("threshold", model_at(_decimal(best, 12)))
        how = "`threshold-optimum` (theory, dps 15)" + "".join(f"; {note}" for note in notes if note)
    p_cells, theta_cells = budget.masked_phase_points
    theta_max = Fraction(5)
    grid_p = _ratios(p_cells)
    grid_theta = [theta_max * Fraction(2 * j + 1, 2 * theta_cells) for j in range(theta_cells)]
    overlap = np.array([[_value("overlap", model_at(p, theta)) for p in grid_p] for theta in grid_theta])
    figure = Figure("masked-phase", "Spike detection by Â_p: the (p, θ) phase diagram",
                    "Detection of a planted direction by the top eigenvector of the ratio-p estimator Â_p (SPEC §5): "
                    "the threshold θ_c(p) (an outlier separates from the bulk and the overlap is positive for "
                    "θ > θ_c(p)) against the training ratio p, diagonal basis, ν = ½δ₁ + ½δ₆, γ = 1/2, "
                    f"λ = 1/10 (theory, fixed point at dps 15, {len(curve)} ratios); colour: the limiting overlap "
                    f"cos²(v, top right eigenvector of Â_p) on a {p_cells} × {theta_cells} grid; dashed: the "
                    f"rotational basis, whose θ_c(p) does not depend on p (masking is a scalar ridge there, and "
                    f"the rotational threshold is that of PCA; {len(coarse)} ratios); star: the ratio minimising "
                    f"θ_c(p), from {how}.")
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(12, 5.2), constrained_layout=True,
                                   gridspec_kw=dict(width_ratios=(1.45, 1)))
    xs = [float(p) for p in curve]
    ax.fill_between(xs, 0, diagonal, color="0.82", zorder=0, label=r"not detected: $\theta < \theta_c(p)$ (diagonal)")
    ax.fill_between(xs, diagonal, float(theta_max) * 1.1, color="tab:blue", alpha=0.08, zorder=0,
                    label=r"detected: $\theta > \theta_c(p)$ (diagonal)")
    P, T = np.meshgrid([float(p) for p in grid_p], [float(t) for t in grid_theta])
    dots = ax.scatter(P.ravel(), T.ravel(), c=overlap.ravel(), cmap="viridis", vmin=0, vmax=1, s=55, marker="s",
                      edgecolors="0.3", linewidths=0.4, zorder=2, clip_on=False)
    fig.colorbar(dots, ax=ax, label=r"overlap $\cos^2(v, \hat r_p)$, diagonal basis (squares)")
    for axis in (ax, zoom):
        axis.plot(xs, diagonal, color="black", lw=2, zorder=3, label=r"$\theta_c(p)$, diagonal basis" if axis is ax else None)
        axis.plot([best], [at_best], marker="*", ms=15, color="tab:red", mec="black", zorder=4, ls="none",
                  label=rf"minimum of $\theta_c$: $p = {best:.4f}$, $\theta_c = {at_best:.4f}$" if axis is ax else None)
        axis.set_xlim(0, float(_MASK_MAX))
        axis.set_xlabel(r"training masking ratio $p$")
    ax.plot([float(p) for p in coarse], rotational, color="tab:orange", lw=1.6, ls="--", marker="o", ms=4, zorder=3,
            label=rf"$\theta_c(p)$, rotational basis (flat: $\theta_c = {rotational[0]:.4f}$)")
    ax.set_ylim(0, float(theta_max) * 1.1)
    ax.set_ylabel(r"spike strength $\theta$")
    ax.set_title("detection regions and overlap", fontsize=10)
    zoom.plot(xs, diagonal, "o", color="black", ms=3.5)
    zoom.axhline(diagonal[0], color="0.5", lw=0.8, ls=":")
    zoom.text(float(_MASK_MAX) * 0.98, diagonal[0], rf"$\theta_c(0) = {diagonal[0]:.4f}$ (dotted)", ha="right",
              va="top", fontsize=8.5, color="0.3")
    zoom.set_ylabel(r"threshold $\theta_c(p)$, diagonal basis")
    zoom.set_title(rf"zoom: $\theta_c(p)$ in the diagonal basis ({len(curve)} ratios, dots)", fontsize=10)
    fig.suptitle(r"Spike detection by $\hat A_p$: $\gamma=1/2$, $\lambda=1/10$, $\nu = \frac{1}{2}\delta_1 + "
                 r"\frac{1}{2}\delta_6$", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8.5)
    figure.rows += [("diagonal-threshold", p, y, None) for p, y in zip(curve, diagonal)]
    figure.rows += [("rotational-threshold", p, y, None) for p, y in zip(coarse, rotational)]
    figure.rows.append(("threshold-minimum", best, at_best, None))
    for theta, row in zip(grid_theta, overlap):
        figure.rows += [(f"overlap-theta-{float(theta):g}", p, y, None) for p, y in zip(grid_p, row)]
    figure.notes += [f"Diagonal basis: θ_c = {diagonal[0]:.6f} at p = 0, minimum θ_c = {at_best:.6f} at p = {best:.6f} "
                     f"({how}), θ_c = {diagonal[-1]:.6f} at p = {float(curve[-1]):g}. Rotational basis: θ_c = "
                     f"{rotational[0]:.6f} at every p (spread {max(rotational) - min(rotational):.1e} over "
                     f"{len(coarse)} ratios).",
                     f"`{figure.name}.csv`: series `diagonal-threshold`, `rotational-threshold` (x = p, y = θ_c), "
                     "`threshold-minimum` (the star), and `overlap-theta-<θ>` (x = p, y = overlap) for each θ row of the "
                     "grid."]
    _save(fig, figure, directory)
    return figure


# ----------------------------------------------------------------------------------------------
# Universality: non-Gaussian data (SPEC §6)

#: The model of the universality figure: θ = 3 ≈ 2.2 θ_c^SSR (1.3517) and below θ_c^PCA (4.3707),
#: so SSR has an outlier and the top eigenvalue of S is a bulk extreme.
UNIVERSALITY_MODEL = Model("1/2", "1/10", theta=3, noise="1:1/2,6:1/2")
#: The data laws, light tails first; the last two have E z⁴ = ∞.
UNIVERSALITY_DATA = ("gaussian", "rademacher", "sparse(1/10)", "student-t(8)", "student-t(5)", "student-t(3)",
                     "student-t(5/2)")
#: (key, label, Richardson-extrapolated): the normalised traces are extrapolated with d/2 as in ``ssr verify``.
UNIVERSALITY_QUANTITIES = (
    ("gen-error", "E_gen", True),
    ("train-error", "E_train", True),
    ("m", "m = (1/d) tr R", True),
    ("upper-edge", "upper bulk edge of Â", False),
    ("outlier", "outlier of Â", False),
    ("overlap", "overlap cos²(v, r̂)", False),
    ("pca-upper-edge", "upper edge of S (PCA, contrast)", False),
)
_TRACES = ("gen-error", "train-error", "m")


def _universality_theory() -> dict:
    """The Gaussian limits of :data:`UNIVERSALITY_QUANTITIES` (dps 15)."""
    model = UNIVERSALITY_MODEL
    if not model.mp("theta") < theory.evaluate("threshold", model, method="pca", dps=_DPS):
        raise ValueError("universality: θ must lie below the PCA threshold (the top eigenvalue of S a bulk extreme)")
    return {"gen-error": _value("gen-error", model), "train-error": _value("train-error", model),
            "m": _value("m", model), "upper-edge": _value("edges", model)[1], "outlier": _value("outlier", model),
            "overlap": _value("overlap", model), "pca-upper-edge": _value("edges", model, "pca")[1]}


def _universality_replica(data, d: int, rng: np.random.Generator, traces_only: bool = False) -> dict:
    """The finite-``d`` values of :data:`UNIVERSALITY_QUANTITIES` on one sample with entries of law ``data``.

    SSR quantities come from the registry's finite-``d`` estimators on one SSR fit (the upper edge is
    the Tracy–Widom-centred estimate without the outlier); the PCA upper edge is the Tracy–Widom-centred
    estimate from the *whole* spectrum of ``S`` (θ is below the PCA threshold, its top eigenvalue is
    a bulk extreme). ``traces_only``: only ``m`` and the errors (the ``d/2`` partner of Richardson).
    """
    model = UNIVERSALITY_MODEL
    X, Sigma, v = sample(model, d, rng, data)
    replica = Replica(model, d, X.shape[0], X, Sigma, v, estimators.get("ssr").fit(X, model))
    values = {key: quantities.get(key).finite(replica) for key in _TRACES}
    if not traces_only:
        values["upper-edge"] = float(quantities.get("edges").finite(replica)[1])
        values["outlier"] = quantities.get("outlier").finite(replica)
        values["overlap"] = quantities.get("overlap").finite(replica)
        values["pca-upper-edge"] = _soft_edge(estimators.get("pca").fit(X, model).spectrum[::-1], d)
    return values


def universality_rows(d: int, seeds: int, rng, data=UNIVERSALITY_DATA) -> list[dict]:
    """Simulation against the Gaussian limit for every data law and quantity of the universality figure.

    ``rng(point, replica, half)`` returns the generator of replica ``replica`` of law number ``point``
    (``half``: its ``d/2`` partner). Per law, ``seeds`` replicas at ``d``; the normalised traces are
    Richardson-extrapolated per replica, ``(d·x_d − d'·x_{d'})/(d − d')`` with ``d' = ⌊d/2⌋``. One row
    per (law, quantity): ``data``, ``fourth_moment`` (``E z⁴``), ``key``, ``seeds``, ``theory``, ``mean``, ``se``,
    ``z = (mean − theory)/se``, ``rel = (mean − theory)/|theory|`` and its standard error ``rel_se``.
    """
    limits = _universality_theory()
    half = d // 2
    rows = []
    for point, spec in enumerate(data):
        law = parse_data(spec)
        per_key = {key: [] for key, _, _ in UNIVERSALITY_QUANTITIES}
        for replica in range(seeds):
            values = _universality_replica(law, d, rng(point, replica, False))
            partner = _universality_replica(law, half, rng(point, replica, True), traces_only=True)
            for key, _, richardson in UNIVERSALITY_QUANTITIES:
                value = values[key]
                if richardson:
                    value = (d * value - half * partner[key]) / (d - half)
                per_key[key].append(value)
        for key, _, _ in UNIVERSALITY_QUANTITIES:
            mean, se = _mean_se(per_key[key])
            limit = limits[key]
            rows.append(dict(data=law.spec, fourth_moment=law.fourth_moment, key=key, seeds=seeds, theory=limit,
                             mean=mean, se=se,
                             z=(mean - limit) / se if se > 0 else float("inf"), rel=(mean - limit) / abs(limit),
                             rel_se=se / abs(limit)))
    return rows


def _moment(value) -> str:
    return "∞" if value == float("inf") else str(value)


def _percent(row) -> str:
    return f"{100 * row['rel']:+.2f} % ± {100 * row['rel_se']:.2f} (z = {row['z']:+.1f})"


def universality_sentences(rows) -> list[str]:
    """A plain account of the measured rows, in % and in standard errors: for the laws with a finite
    fourth moment, whether every quantity stays within 4 standard errors of the Gaussian limit (and
    the exceptions); for each heavy-tailed law, the quantities that depart (``|z| ≥ 4``) and those
    that do not, each with its relative gap and z-score."""
    labels = {key: label for key, label, _ in UNIVERSALITY_QUANTITIES}

    def gap(r) -> str:
        return f"{labels[r['key']]} {100 * r['rel']:+.2f} % (z = {r['z']:+.1f})"

    finite = [r for r in rows if r["fourth_moment"] != float("inf")]
    heavy = [r for r in rows if r["fourth_moment"] == float("inf")]
    lines = []
    if finite:
        laws = ", ".join(dict.fromkeys(r["data"] for r in finite))
        off = sorted((r for r in finite if not abs(r["z"]) < Z_LIMIT), key=lambda r: -abs(r["z"]))
        largest = max(finite, key=lambda r: abs(r["rel"]))
        text = (f"With a finite fourth moment ({laws}): "
                + ("every quantity stays on the Gaussian limit, within 4 standard errors"
                   if not off else "every quantity stays within 4 standard errors of the Gaussian limit except "
                   + "; ".join(f"{gap(r)} with {r['data']}" for r in off))
                + f"; the largest relative gap is {100 * largest['rel']:+.2f} % ({labels[largest['key']]}, "
                  f"{largest['data']}, z = {largest['z']:+.1f}), and the standard errors are at most "
                  f"{100 * max(r['rel_se'] for r in finite):.2f} % of the limit.")
        lines.append(text)
    for spec in dict.fromkeys(r["data"] for r in heavy):
        own = [r for r in heavy if r["data"] == spec]
        off = sorted((r for r in own if not abs(r["z"]) < Z_LIMIT), key=lambda r: -abs(r["z"]))
        kept = [r for r in own if abs(r["z"]) < Z_LIMIT]
        text = f"Heavy tails, {spec} (E z⁴ = ∞): "
        text += ("departs from the Gaussian limit by 4 standard errors or more in " + "; ".join(gap(r) for r in off)
                 if off else "no quantity departs by 4 standard errors or more")
        if kept:
            text += "; within 4 standard errors: " + "; ".join(gap(r) for r in kept)
        lines.append(text + ".")
    if any(abs(r["z"]) < Z_LIMIT and abs(r["rel"]) > 0.1 for r in heavy):
        lines.append("A heavy-tailed gap above 10 % within 4 standard errors is no agreement: with E z⁴ = ∞ the "
                     "replicas themselves are heavy-tailed, and their standard error is large and unreliable.")
    from scipy import stats

    seeds = rows[0]["seeds"]
    chance = 2 * stats.t.sf(Z_LIMIT, seeds - 1)
    lines.append(f"Each z-score uses the standard error of K = {seeds} replicas (Student-t with {seeds - 1} degrees of "
                 f"freedom for an unbiased estimate): P(|z| ≥ {Z_LIMIT:g}) = {100 * chance:.2g} % per cell, so among "
                 f"{len(rows)} cells a single |z| ≥ {Z_LIMIT:g} can be chance.")
    return lines


#: A point departs from the Gaussian limit when |z| ≥ Z_LIMIT (as in ``ssr verify``).
Z_LIMIT = 4.0


def universality(index: int, budget: Budget, directory: str) -> Figure:
    """Non-Gaussian data against the Gaussian limit: relative gap ± stderr per quantity and data law."""
    plt = _pyplot()
    d, seeds = budget.universality_d, budget.universality_seeds
    rows = universality_rows(d, seeds, lambda point, replica, half: np.random.default_rng(
        [SEED, index, point, replica] + ([2] if half else [])))
    model = UNIVERSALITY_MODEL
    figure = Figure("universality", "Universality: non-Gaussian data against the Gaussian limit",
                    "Rows x = Σ₀^{1/2} z + √θ ξ v whose i.i.d. standardised entries (z and ξ, mean 0, variance 1) "
                    "follow seven laws (numerics.data; E z⁴ in brackets); per law and quantity the relative gap "
                    "(simulation − theory)/theory to the Gaussian limit, ± one standard error (d = "
                    f"{d}, n = {2 * d}, {seeds} replicas per law; {_params(model)}). The normalised traces "
                    "(E_gen, E_train, m) are Richardson-extrapolated with d/2 per replica (their O(1/d) bias "
                    "removed, as in `ssr verify`); the edges are Tracy–Widom-centred estimates, the outlier and "
                    "the overlap plain means (SSR, θ above its threshold). The last panel, for contrast, is the "
                    "upper edge of the sample covariance S (θ is below the PCA threshold, so its top eigenvalue is "
                    "a bulk extreme). Blue: finite fourth moment; red: E z⁴ = ∞; numbers beside the dots: "
                    "z-scores. A panel whose points reach beyond ±20 % has a symmetric-log vertical axis (linear "
                    "within ±2 %).",
                    seeds=f"default_rng([{SEED}, {index}, law, replica]) at d, default_rng([{SEED}, {index}, law, "
                          "replica, 2]) at d/2 (law = index in the order plotted)")
    laws = list(UNIVERSALITY_DATA)
    moments = {parse_data(spec).spec: parse_data(spec).fourth_moment for spec in laws}
    from matplotlib.ticker import FuncFormatter

    fig, axes = plt.subplots(2, 4, figsize=(14, 7.6), constrained_layout=True)
    for (key, label, richardson), ax in zip(UNIVERSALITY_QUANTITIES, axes.ravel()):
        picked = [r for r in rows if r["key"] == key]
        for x, r in enumerate(picked):
            colour = "tab:red" if r["fourth_moment"] == float("inf") else "tab:blue"
            ax.errorbar([x], [100 * r["rel"]], yerr=[100 * r["rel_se"]], fmt="o", ms=5, capsize=3, color=colour)
            ax.annotate(f"{r['z']:+.1f}", (x, 100 * r["rel"]), textcoords="offset points", xytext=(6, 2),
                        fontsize=7, color="0.25")
            figure.rows.append((f"{key}/{r['data']}", x, r["rel"], r["rel_se"]))
        ax.axhline(0, color="black", lw=0.8)
        wide = max(100 * (abs(r["rel"]) + r["rel_se"]) for r in picked) > 20
        if wide:
            ax.set_yscale("symlog", linthresh=2.0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
        ax.margins(y=0.12)
        ax.set_xticks(range(len(laws)), [f"{spec}\n[{_moment(moments[spec])}]" for spec in laws], rotation=55,
                      fontsize=7, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.5, len(laws) - 0.1)
        ax.set_title(f"{label}{' (Richardson)' if richardson else ''}\nGaussian limit {picked[0]['theory']:.5g}",
                     fontsize=9)
        ax.set_ylabel(f"(simulation − theory)/theory  [%]{', symlog' if wide else ''}", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        figure.rows.append((f"{key}/theory", -1, picked[0]["theory"], None))
    legend = axes.ravel()[-1]
    legend.axis("off")
    legend.text(0.0, 1.0, "\n".join([
        "Each dot: mean over replicas of one law,",
        "as its relative gap to the Gaussian limit;",
        "bars: ± 1 standard error; numbers: z-scores",
        "(simulation − theory)/stderr.",
        "",
        "blue: finite fourth moment E z⁴ [in brackets]",
        "red: heavy tails, E z⁴ = ∞",
        "",
        f"d = {d}, n = {2 * d}, {seeds} replicas per law",
        "ν = ½δ₁ + ½δ₆ (diagonal), γ = 1/2, λ = 1/10, θ = 3",
    ]), va="top", ha="left", fontsize=9, transform=legend.transAxes)
    fig.suptitle("Universality: non-Gaussian data against the Gaussian limit (SPEC §6)", fontsize=11)
    labels = [label for _, label, _ in UNIVERSALITY_QUANTITIES]
    table = ["| data law | E z⁴ | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels),
             "| theory (Gaussian limit) | — | " + " | ".join(f"{r['theory']:.6g}" for r in rows[:len(labels)]) + " |"]
    for spec in laws:
        spec = parse_data(spec).spec
        cells = [next(r for r in rows if r["data"] == spec and r["key"] == key) for key, _, _ in UNIVERSALITY_QUANTITIES]
        table.append(f"| {spec} | {_moment(moments[spec])} | " + " | ".join(_percent(r) for r in cells) + " |")
    figure.notes += [f"Relative gap to the Gaussian limit, (simulation − theory)/theory ± stderr (z = "
                     f"(simulation − theory)/stderr), d = {d}, {seeds} replicas per law; the simulated means and "
                     f"standard errors are in `{figure.name}.csv` (series `<quantity>/<law>`: x = law index, y = relative "
                     "gap, err = its standard error; `<quantity>/theory`: y = the limit).", "", *table, "",
                     *universality_sentences(rows)]
    _save(fig, figure, directory)
    return figure


def real_images(index: int, budget: Budget, directory: str) -> Figure:
    """Masked image modelling on natural-image patches (:mod:`ssr.images`, seed 0): the measured
    masked test error against the three predictions — the Gaussian theory of the held-out
    covariance, the elliptical theory (that covariance and the law of the per-patch scales ``τ̂``),
    and the fits on a Gaussian scale-mixture surrogate. The figure is ``ssr images``' own."""
    from ssr import images

    run = images.run(images.QUICK if budget.images_quick else images.FULL, seed=0)
    figure = Figure(name="real-images",
                    title="Real images: masked test error on patches against the Gaussian and the elliptical theory",
                    caption="Â_p fitted on 12×12 patches of scikit-image's images (d = 144, λ = 1/100), masked test "
                            "error on held-out patches (mean ± SE over the training sets) against the Gaussian "
                            "theory of their covariance (solid), the elliptical theory with the law of the patch "
                            "scales τ̂ = xᵀΣ⁻¹x/d (dashed), and a Gaussian scale-mixture surrogate (△); below, the "
                            "deviations from each theory in percent.",
                    seeds=f"seed 0: split default_rng([0, 0]), training sets default_rng([0, 1, i, k]), "
                          f"{run.budget.subsets} per point")
    images.plot_errors(run, os.path.join(directory, f"{figure.name}.png"))
    figure.png = f"{figure.name}.png"
    figure.csv = f"{figure.name}.csv"
    images.write_csv(run, os.path.join(directory, figure.csv))
    figure.notes += ["Deviations per (γ, p), computed by `ssr images` (its `report.md` has the same table):", "",
                     *images.predictions_table(run), "", *images.summary_sentences(run)]
    return figure


#: (name, builder) in order; the builder takes (figure index, budget, directory).
FIGURES = (
    ("spectrum-isotropic-gamma<1", lambda i, b, o: spectrum(Model("1/2", "1/5"), "isotropic-gamma-half", i, b, o)),
    ("spectrum-isotropic-gamma>1", lambda i, b, o: spectrum(Model("2", "1/5"), "isotropic-gamma-two", i, b, o)),
    ("spectrum-heteroscedastic", lambda i, b, o: spectrum(Model("1/2", "1/5", noise="1:1/2,6:1/2"),
                                                          "heteroscedastic", i, b, o)),
    ("spectrum-rotational", lambda i, b, o: spectrum(Model("1/2", "1/5", noise="1:1/2,6:1/2", basis="rotational"),
                                                     "rotational", i, b, o)),
    ("bbp-isotropic", lambda i, b, o: bbp(Model("1/2", "1/5"), "isotropic", 2.5, i, b, o)),
    ("bbp-heteroscedastic", lambda i, b, o: bbp(Model("1/2", "1/5", noise="1:1/2,6:1/2"), "heteroscedastic",
                                                7.0, i, b, o)),
    ("errors-vs-lambda", lambda i, b, o: errors("lambda", i, b, o)),
    ("errors-vs-gamma", lambda i, b, o: errors("gamma", i, b, o)),
    ("finite-size", lambda i, b, o: finite_size(i, b, o)),
    ("phase", lambda i, b, o: phase(i, b, o)),
    ("masked-errors", lambda i, b, o: masked_errors(i, b, o)),
    ("masked-phase", lambda i, b, o: masked_phase(i, b, o)),
    ("masked-spectrum", lambda i, b, o: spectrum(Model("1/2", "1/10", noise="1:1/2,6:1/2", mask_ratio="3/10"),
                                                 "masked", i, b, o, name="masked-spectrum")),
    ("universality", lambda i, b, o: universality(i, b, o)),
    ("real-images", lambda i, b, o: real_images(i, b, o)),
)


def build_figures(directory: str, budget: Budget, progress=None) -> list[Figure]:
    """Draw every figure of :data:`FIGURES` into ``directory``; ``progress(name, done, total)``."""
    os.makedirs(directory, exist_ok=True)
    figures = []
    for index, (name, builder) in enumerate(FIGURES):
        if progress is not None:
            progress(name, index, len(FIGURES))
        figures.append(builder(index, budget, directory))
    if progress is not None:
        progress("done", len(FIGURES), len(FIGURES))
    return figures


# ----------------------------------------------------------------------------------------------
# HTML


def render_html(markdown_text: str, title: str) -> str:
    r"""``index.html`` from ``index.md``: Markdown via ``markdown`` (tables), ``$…$`` kept as TeX.

    Math spans are set aside before the Markdown pass (so ``_`` and ``*`` inside them are not
    read as emphasis) and come back HTML-escaped inside ``<span class="math">``.

    >>> page = render_html("# T\n\nvalue $a_1 * b_2$ and *x*", "T")
    >>> "<span class=\"math\">$a_1 * b_2$</span>" in page, "<em>x</em>" in page
    (True, True)
    """
    import markdown

    spans = []

    def keep(match):
        spans.append(match.group(0))
        return f"MATHSPAN{len(spans) - 1}END"

    protected = re.sub(r"\$[^$\n]+\$", keep, markdown_text)
    body = markdown.markdown(protected, extensions=["tables"])
    body = re.sub(r"MATHSPAN(\d+)END", lambda m: f'<span class="math">{html.escape(spans[int(m.group(1))])}</span>', body)
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #bbb;padding:3px 6px}"
             "img{max-width:100%}.math{font-family:serif;color:#333}")
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{html.escape(title)}"
            f"</title>\n<style>{style}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def environment() -> list[str]:
    """Markdown lines: Python, platform and the versions of the numerical packages."""
    import importlib.metadata as metadata

    lines = [f"- Python {platform.python_version()} on {platform.system()} {platform.machine()}"]
    for package in ("ssr-rmt", "numpy", "scipy", "sympy", "mpmath", "matplotlib", "markdown"):
        try:
            lines.append(f"- {package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            lines.append(f"- {package} (not installed)")
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        lines.append(f"- BLAS: {', '.join(blas) or 'unknown'}")
    except ImportError:
        pass
    return lines
