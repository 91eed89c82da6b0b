"""Random masks with ratio ``p`` (the masking section of the theory chapter): ``masked-errors``
and ``masked-phase``.

- ``masked-errors``: the masked test error ``E(q)`` of ``Â_p`` against the training ratio ``p``
  for test ratios ``q = 0``, ``q = 0.15`` and ``q = p`` (γ = 1/2 and 2, rotational), theory and
  simulation, with the optimum ``p*`` of ``E(0)`` (``mask-optimum``) marked;
- ``masked-phase``: the ``(p, θ)`` phase diagram of spike detection by ``Â_p`` (diagonal basis):
  the threshold ``θ_c(p)``, the ratio minimising it, the overlap on a coarse grid, and the flat
  rotational threshold for contrast.

The spectrum of ``Â_p`` (``masked-spectrum``) is drawn by :mod:`ssr.report.spectrum`.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from numerics import estimators, theory
from numerics.model import Model
from numerics.simulate import sample
from ssr.report.common import (DPS, SEED, Budget, Figure, decimal, mean_se, params, pyplot, refine, rng, save,
                               theory_value)

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

    plt = pyplot()
    gammas = (Fraction(1, 2), Fraction(2))
    curve, points = _ratios(budget.masked_curve_points), _ratios(budget.masked_points)

    def model_at(gamma, p, q=None):
        return Model(gamma, _MASKED_LAM, noise=_MASKED_NOISE, basis="rotational", mask_ratio=p, test_mask_ratio=q)

    d, seeds = budget.masked_d, budget.masked_seeds
    figure = Figure("masked-errors", "Masked test error against the training ratio p",
                    "Masked test error E(q) of the ratio-p estimator Â_p (trained with random masks hiding each "
                    "coordinate with probability p) against the training masking ratio p, for test ratios q = 0 "
                    "(the leave-one-out error), q = 0.15 and q = p; rotational basis, ν = ½δ₁ + ½δ₆, λ = 1/10, "
                    "γ = 1/2 (left) and γ = 2 (right). Lines: theory (fixed point, dps 15, on "
                    f"{len(curve)} equally spaced ratios plus midpoints wherever a curve bends away from its chords "
                    "by more than 0.3 % of the panel's range); points: simulation (d = {d}, {seeds} replicas "
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
        def errors(p: Fraction, gamma: Fraction = gamma) -> tuple:
            return tuple(theory_value("gen-error", model_at(gamma, p, q)) for q, _ in _TEST_RATIOS)

        start = {p: errors(p) for p in curve}
        height = max(max(ys) for ys in start.values()) - min(min(ys) for ys in start.values())
        sampled = refine(lambda p: start[p] if p in start else errors(p), curve, lambda a, b: (a + b) / 2,
                         tol=0.003, scale=[height] * len(_TEST_RATIOS), limit=4 * len(curve))
        ratios = sorted(sampled)
        theory_at = {}
        for column, ((q, label), colour) in enumerate(zip(_TEST_RATIOS, colours)):
            ys = [sampled[p][column] for p in ratios]
            ax.plot([float(p) for p in ratios], ys, color=colour, lw=1.8, label=f"{label}: theory")
            figure.rows += [(f"{tag}-q-{_q_name(q)}-theory", p, y, None) for p, y in zip(ratios, ys)]
            theory_at[q] = dict(zip(ratios, ys))
        figure.notes.append(f"γ = {gamma}: theory on {len(ratios)} ratios ({len(curve)} equally spaced, "
                            f"{len(ratios) - len(curve)} added where the curves bend).")
        grid_min = min(zip(theory_at[Fraction(0)].values(), theory_at[Fraction(0)]))
        simulated = {q: [] for q, _ in _TEST_RATIOS}
        gaps = []
        for p_index, p in enumerate(points):
            model = model_at(gamma, p)
            per_q = {q: [] for q in simulated}
            for k in range(seeds):
                X, Sigma, _ = sample(model, d, rng(index, g_index * len(points) + p_index, k))
                A = estimators.get("masked").fit(X, model).matrix
                for q in per_q:
                    per_q[q].append(gen_error(A, Sigma, test_mask_ratio=float(p if q is None else q)))
            for q, values in per_q.items():
                mean, se = mean_se(values)
                simulated[q].append((float(p), mean, se))
                exact = theory_at[q].get(p)
                gaps.append(d * (mean - (exact if exact is not None else theory_value("gen-error", model_at(gamma, p, q)))))
        for (q, label), colour in zip(_TEST_RATIOS, colours):
            rows = simulated[q]
            ax.errorbar([r[0] for r in rows], [r[1] for r in rows], yerr=[r[2] for r in rows], fmt="o", ms=5,
                        capsize=3, color=colour, mfc="white", mew=1.4, label=f"{label}: simulation, d = {d}")
            figure.rows += [(f"{tag}-q-{_q_name(q)}-simulation", *row) for row in rows]
        notes: list = []
        best = float(theory.evaluate("mask-optimum", model_at(gamma, 0, Fraction(0)), dps=DPS, notes=notes))
        at_best = theory_value("gen-error", model_at(gamma, decimal(best, 12), Fraction(0)))
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
                 + params(model_at(gammas[0], 0)).replace(r"$\gamma=1/2$, ", ""), fontsize=10)
    figure.notes += ["Optimum training ratio for the leave-one-out error E(0) (theory, `mask-optimum` at Q = 0, "
                     "dps 15) and the finite-size gap of the simulated points:", "", *table]
    save(fig, figure, directory)
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

    The optimum ratio is ``threshold-optimum`` (the number ``ssr eval threshold-optimum`` prints)
    when ``budget.masked_optimum_search`` (the full budget); otherwise (the quick budget, which must
    stay cheap: the search costs about two minutes) the vertex of the parabola through the grid
    minimum of ``θ_c(p)`` and its two neighbours, and the legend, the caption and the note say that
    it is an approximation. ``θ_c(p)`` is computed at ``budget.masked_threshold_points`` ratios
    (~1 s each) and drawn as their monotone cubic interpolation.
    """
    plt = pyplot()
    quick = not budget.masked_optimum_search

    def model_at(p, theta=0, basis="diagonal"):
        return Model("1/2", _MASKED_LAM, theta=theta, noise=_MASKED_NOISE, basis=basis, mask_ratio=p)

    curve = _ratios(budget.masked_threshold_points)
    diagonal = [theory_value("threshold", model_at(p)) for p in curve]
    coarse = curve[::3] if curve[-1] in curve[::3] else curve[::3] + [curve[-1]]
    rotational = [theory_value("threshold", model_at(p, basis="rotational")) for p in coarse]
    i = int(np.argmin(diagonal))
    if quick and 0 < i < len(curve) - 1:
        best, at_best = _parabola_vertex([float(p) for p in curve], diagonal, i)
        how = (f"an approximation: the vertex of the parabola through the grid minimum of θ_c(p) (p = "
               f"{float(curve[i]):g}) and its two neighbours (quick budget, no optimum search; the full budget "
               "marks the minimiser that `ssr eval threshold-optimum` prints)")
    elif quick:
        best, at_best = float(curve[i]), diagonal[i]
        how = ("an approximation: the grid minimum of θ_c(p) (quick budget, no optimum search; the full budget "
               "marks the minimiser that `ssr eval threshold-optimum` prints)")
    else:
        notes: list = []
        best = float(theory.evaluate("threshold-optimum", model_at(0), dps=DPS, notes=notes))
        at_best = theory_value("threshold", model_at(decimal(best, 12)))
        how = ("`threshold-optimum` (theory, dps 15, the number `ssr eval threshold-optimum` prints)"
               + "".join(f"; {note}" for note in notes if note))
    p_cells, theta_cells = budget.masked_phase_points
    theta_max = Fraction(5)
    grid_p = _ratios(p_cells)
    grid_theta = [theta_max * Fraction(2 * j + 1, 2 * theta_cells) for j in range(theta_cells)]
    overlap = np.array([[theory_value("overlap", model_at(p, theta)) for p in grid_p] for theta in grid_theta])
    figure = Figure("masked-phase", "Spike detection by Â_p: the (p, θ) phase diagram",
                    "Detection of a planted direction by the top eigenvector of the ratio-p estimator Â_p (trained "
                    "with random masks of ratio p): "
                    "the threshold θ_c(p) (an outlier separates from the bulk and the overlap is positive for "
                    "θ > θ_c(p)) against the training ratio p, diagonal basis, ν = ½δ₁ + ½δ₆, γ = 1/2, "
                    f"λ = 1/10 (theory, fixed point at dps 15, at {len(curve)} ratios, the dots of the zoom; the line "
                    "between them is their monotone cubic interpolation); colour: the limiting overlap "
                    f"cos²(v, top right eigenvector of Â_p) on a {p_cells} × {theta_cells} grid, the colour scale "
                    "spanning the overlaps of the grid; dashed: the "
                    f"rotational basis, whose θ_c(p) does not depend on p (masking is a scalar ridge there, and "
                    f"the rotational threshold is that of PCA; {len(coarse)} ratios); star: the ratio minimising "
                    f"θ_c(p), from {how}.")
    from scipy.interpolate import PchipInterpolator
    star = (rf"$\approx$ minimum of $\theta_c$ (parabola through the grid, quick budget): $p \approx {best:.3f}$, "
            rf"$\theta_c \approx {at_best:.4f}$" if quick else
            rf"minimum of $\theta_c$ (threshold-optimum): $p = {best:.4f}$, $\theta_c = {at_best:.4f}$")
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(12, 5.2), constrained_layout=True,
                                   gridspec_kw=dict(width_ratios=(1.45, 1)))
    xs = [float(p) for p in curve]
    fine = np.linspace(0, float(_MASK_MAX), 400)
    line = PchipInterpolator(xs, diagonal)(fine)
    ax.fill_between(fine, 0, line, color="0.82", zorder=0, label=r"not detected: $\theta < \theta_c(p)$ (diagonal)")
    ax.fill_between(fine, line, float(theta_max) * 1.1, color="tab:blue", alpha=0.08, zorder=0,
                    label=r"detected: $\theta > \theta_c(p)$ (diagonal)")
    P, T = np.meshgrid([float(p) for p in grid_p], [float(t) for t in grid_theta])
    dots = ax.scatter(P.ravel(), T.ravel(), c=overlap.ravel(), cmap="viridis", vmin=float(overlap.min()), vmax=float(overlap.max()), s=55, marker="s",
                      edgecolors="0.3", linewidths=0.4, zorder=2, clip_on=False)
    fig.colorbar(dots, ax=ax, label=r"overlap $\cos^2(v, \hat r_p)$, diagonal basis (squares)")
    for axis in (ax, zoom):
        axis.plot(fine, line, color="black", lw=2, zorder=3,
                  label=rf"$\theta_c(p)$, diagonal basis ({len(curve)} ratios, interpolated)" if axis is ax else None)
        axis.plot([best], [at_best], marker="*", ms=15, color="tab:red", mec="black", zorder=4, ls="none",
                  label=star if axis is ax else None)
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
    zoom.set_title(rf"zoom: $\theta_c(p)$, diagonal basis ({len(curve)} ratios, interpolated)", fontsize=10)
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
    save(fig, figure, directory)
    return figure
