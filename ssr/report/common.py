"""Shared pieces of the report figures: the budgets, the :class:`Figure` record, seeds, theory at
``dps = 15``, and the drawing helpers (matplotlib without a display, PNG + CSV writer, the
parameter line of a title).

Every figure module imports from here; nothing here imports a figure module.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from numerics import theory
from numerics.model import Model

#: The root of every figure's seeds: ``default_rng([SEED, figure, point, replica])``.
SEED = 2026
#: Working precision of every theory value in the figures (a figure shows about 4 digits).
DPS = 15


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


def rng(figure: int, point: int, replica: int) -> np.random.Generator:
    """The generator of replica ``replica`` at point ``point`` of figure number ``figure``."""
    return np.random.default_rng([SEED, figure, point, replica])


def theory_value(quantity: str, model: Model, method: str = "ssr", at=None):
    """:func:`numerics.theory.evaluate` at :data:`DPS`, as floats (a list for the edges)."""
    value = theory.evaluate(quantity, model, method=method, at=at, dps=DPS)
    return [float(v) for v in value] if isinstance(value, list) else float(value)


def decimal(x: float, digits: int = 6) -> Fraction:
    """``x`` rounded to ``digits`` significant digits, as an exact rational (a model parameter)."""
    return Fraction(f"{x:.{digits - 1}e}")


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error of the mean over replicas."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, figure: Figure, directory: str) -> None:
    """Write ``figure.name``.png (no timestamp in the metadata) and its CSV."""
    plt = pyplot()
    figure.png = f"{figure.name}.png"
    figure.csv = f"{figure.name}.csv"
    fig.savefig(os.path.join(directory, figure.png), dpi=120, metadata={"Software": None})
    plt.close(fig)
    with open(os.path.join(directory, figure.csv), "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["series", "x", "y", "err"])
        for series, x, y, err in figure.rows:
            writer.writerow([series, repr(float(x)), repr(float(y)), "" if err is None else repr(float(err))])


def params(model: Model) -> str:
    """The parameters of ``model`` as a TeX line for titles and captions."""
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



#: Points of a theory curve drawn from closed forms (cheap): smooth at the figures' resolution.
SMOOTH_POINTS = 241


def refine(f, xs, split, *, tol: float = 0.002, scale=None, kinks=(), limit: int = 400) -> dict:
    """Adaptive sampling of theory curves for plotting: ``{x: f(x)}`` on ``xs`` plus midpoints.

    ``f(x)`` returns a tuple of values (several curves sharing their abscissae). The chord between
    two neighbouring points ``a < b`` misses the curve by about ``|f[·,·,·]|·(b − a)²/4``, the second
    divided difference taken over the neighbouring triples (the larger of the two; a triple centred
    on one of ``kinks``, a known corner such as a threshold or a gap edge, does not count); every interval
    where that exceeds ``tol`` times the curve's scale (``scale``: one number per curve, default its
    range on ``xs``) for some curve is split at ``split(a, b)`` (a midpoint rounded to an exactly
    representable parameter; ``None`` or an end point leaves the interval as it is), and again
    until no interval needs it or ``limit`` evaluations of ``f`` were made. Lines drawn through the
    points then stay within about ``tol`` of the panel height of the theory: a square-root edge
    or a peak gets dense points, a straight stretch none.

    >>> points = refine(lambda x: (abs(x - 0.3),), [k / 10 for k in range(11)], lambda a, b: round((a + b) / 2, 6),
    ...                 tol=1e-3)
    >>> added = [x for x in points if x not in [k / 10 for k in range(11)]]
    >>> len(added), min(added), max(added)  # only around the kink at 0.3
    (12, 0.25, 0.35)
    >>> len(refine(lambda x: (abs(x - 0.3),), [k / 10 for k in range(11)], lambda a, b: round((a + b) / 2, 6),
    ...            tol=1e-3, kinks=[0.3]))  # a corner on the grid, declared: nothing to add
    11
    """
    values = {x: tuple(f(x)) for x in xs}
    if scale is None:
        columns = list(zip(*values.values()))
        scale = [max(max(c) - min(c), 1e-300) for c in columns]
    calls, stuck = len(values), set()

    def curvature(a, b, c) -> list:
        return [abs((w - v) / (c - b) - (v - u) / (b - a)) / (c - a)
                for u, v, w in zip(values[a], values[b], values[c])]

    while calls < limit:
        ordered = sorted(values)
        bends = [[0.0] * len(scale) if ordered[i] in kinks else curvature(*ordered[i - 1:i + 2])
                 for i in range(1, len(ordered) - 1)]
        wanted = []
        for i, (a, b) in enumerate(zip(ordered, ordered[1:])):
            near = [bends[j] for j in (i - 1, i) if 0 <= j < len(bends)]
            if (a, b) in stuck or not near:
                continue
            if any(max(bend[k] for bend in near) * (b - a) ** 2 / 4 > tol * scale[k] for k in range(len(scale))):
                wanted.append((a, b))
        if not wanted:
            break
        for a, b in wanted[:limit - calls]:
            middle = split(a, b)
            if middle is None or middle in values or not a < middle < b:
                stuck.add((a, b))
                continue
            values[middle] = tuple(f(middle))
            calls += 1
    return values
