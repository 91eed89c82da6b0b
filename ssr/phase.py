r"""Phase maps: where SSR detects the spike and PCA does not (issue 3, item 4).

Detection is a threshold phenomenon ((E4) of docs/theory.md): the top eigenvalue of ``Â`` (SSR) or of
``S`` (PCA) separates from the bulk, and its eigenvector carries a non-zero overlap
``cos²(v, ·)`` with the planted direction, exactly when ``θ > θ_c``. The threshold

    θ_c = −(1 + δ₊) / wᵀ(C₀/(1+δ₊) + λD̄ − u₊)^{-1} w

is evaluated at the upper edge ``u₊`` of the spike-free bulk, so it does **not depend on θ**.
A map over a plane ``(θ, y)`` (``y`` the contrast of the noise law or the aspect ratio ``γ``)
therefore needs the two thresholds ``θ_c^SSR(y)`` and ``θ_c^PCA(y)`` once per value of ``y``;
the detection regions are the half-lines ``θ > θ_c(y)``, and every grid point falls in one of

- ``none``: ``θ ≤ min(θ_c^SSR, θ_c^PCA)``,
- ``both``: ``θ > max(θ_c^SSR, θ_c^PCA)``,
- ``ssr-only``: ``θ_c^SSR < θ ≤ θ_c^PCA``,
- ``pca-only``: ``θ_c^PCA < θ ≤ θ_c^SSR``.

Only the overlaps need a solve per point (the outlier of (E4) and the residues at it); below
its threshold an estimator's overlap is 0 and no solve is made. The map records the
*overlap gap* ``cos²(v, r_SSR) − cos²(v, u_PCA)``.

Why the two thresholds differ (the "Consequences" of the self-consistent equations in
docs/theory.md): in the ``diagonal`` basis ``D̄ = diag R̄`` rescales each coordinate by
``1/(σ_k²/(1+δ) + λ)``, which as ``λ → 0⁺`` whitens a heteroscedastic bulk; a spike along a generic (delocalised) ``v`` then competes with a nearly isotropic bulk instead
of with the large-variance coordinates, which is why SSR can detect below the PCA threshold.
This module does not prove ``θ_c^SSR < θ_c^PCA``; it computes both and reports, row by row,
where the SSR-only region ``θ_c^SSR < θ ≤ θ_c^PCA`` is non-empty. In the ``rotational`` basis
``R_kk → m̄`` on every coordinate, ``D̄ = m̄ I`` is scalar, ``T = m̄(S + λ)`` has the
eigenvectors of ``S``, and the two thresholds (and overlaps) coincide; the map checks this to
working precision.

Planes:

- ``theta-contrast``: the two-atom law ``ν_c = w₁ δ_{s₁} + w₂ δ_{s₂}`` with ``s₂/s₁ = c``
  (the *contrast*) normalised to mean one, ``s₁ = 1/(w₁ + w₂ c)``, ``s₂ = c s₁``, so that the
  average noise variance, hence the scale of ``θ``, is the same on every row; ``c = 1`` is the
  isotropic bulk, where both thresholds are the BBP value ``√γ``. ``c`` runs over a geometric
  grid (exact decimals with four significant digits).
- ``theta-gamma``: a fixed law, ``γ`` on a geometric grid that avoids the hard edge ``γ = 1``.

>>> contrast_law(4, ((1, "1/2"), (1, "1/2")))
((Fraction(2, 5), Fraction(1, 2)), (Fraction(8, 5), Fraction(1, 2)))
>>> axis_grid("gamma", "1/2", 2, 3)
(Fraction(1, 2), Fraction(101, 100), Fraction(2, 1))
>>> classify(Fraction(5, 2), 2, 3), classify(4, 2, 3), classify(1, 1, 1)
('ssr-only', 'both', 'none')
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import math
import os
from fractions import Fraction

import mpmath as mp

from numerics import bases
from numerics.fixedpoint import ConvergenceError
from numerics.model import ISOTROPIC, BadParameter, Model, parse_noise, parse_number

__all__ = [
    "PLANES",
    "AXES",
    "REGIONS",
    "DEFAULT_WEIGHTS",
    "DEFAULT_NOISE",
    "DEFAULT_RANGE",
    "ThresholdError",
    "PhaseMap",
    "Plan",
    "plan",
    "contrast_law",
    "axis_grid",
    "theta_grid",
    "auto_theta_max",
    "classify",
    "thresholds",
    "phase_map",
    "write_csv",
    "summary",
    "plot",
]

PLANES = ("theta-contrast", "theta-gamma")
AXES = {"theta-contrast": "contrast", "theta-gamma": "gamma"}
REGIONS = ("none", "both", "ssr-only", "pca-only")
DEFAULT_WEIGHTS = (Fraction(1, 2), Fraction(1, 2))  # of the contrast family
DEFAULT_NOISE = "1:1/2,6:1/2"  # the fixed law of the theta-gamma plane
DEFAULT_RANGE = {"theta-contrast": (Fraction(1), Fraction(20)),
                 "theta-gamma": (Fraction(1, 10), Fraction(3))}
_SIGNIFICANT = 4  # significant digits of the exact decimal values of the second axis
_GAMMA_ONE_NUDGE = Fraction(101, 100)  # γ = 1 is the hard edge; the grid uses 1.01 instead


class ThresholdError(RuntimeError):
    """A threshold θ_c could not be computed; without it the map has no regions."""


@dataclasses.dataclass(frozen=True)
class PhaseMap:
    """The (θ, y) map of SSR against PCA.

    ``axis`` holds the values of the second axis ``y`` (``axis_name`` is ``"contrast"`` or
    ``"gamma"``), ``thetas`` those of ``θ`` (both exact). ``theta_c_ssr[i]``/``theta_c_pca[i]``
    are the thresholds at ``axis[i]``; ``overlap_ssr[i][j]``/``overlap_pca[i][j]`` the overlaps
    at ``(thetas[j], axis[i])``, ``mp.nan`` where the solver failed. ``models[i]`` is the
    spike-free model of row ``i``; ``weights`` the atom weights of the contrast family.
    """

    plane: str
    axis_name: str
    axis: tuple
    thetas: tuple
    models: tuple
    theta_c_ssr: tuple
    theta_c_pca: tuple
    overlap_ssr: tuple
    overlap_pca: tuple
    failures: tuple
    dps: int
    weights: tuple | None = None

    def region(self, i: int, j: int) -> str:
        """The region of grid point ``(thetas[j], axis[i])``."""
        return classify(self.thetas[j], self.theta_c_ssr[i], self.theta_c_pca[i])

    def gap(self, i: int, j: int):
        """``overlap_ssr − overlap_pca`` at ``(thetas[j], axis[i])`` (NaN if either failed)."""
        return self.overlap_ssr[i][j] - self.overlap_pca[i][j]

    def agree_tol(self, value):
        """Tolerance below which two thresholds near ``value`` count as equal: ``10^{2−dps}·max(1, |value|)``."""
        return mp.mpf(10) ** (2 - self.dps) * max(1, abs(value))


def contrast_law(contrast, weights) -> tuple:
    r"""The two-atom law of contrast ``c = s₂/s₁`` with weights ``(w₁, w₂)`` and mean one.

    ``s₁ = 1/(w₁ + w₂c)``, ``s₂ = c s₁``, so ``w₁s₁ + w₂s₂ = 1``; exact rationals. ``c = 1``
    gives the isotropic law ``δ₁``. ``weights`` are the two ``w`` (anything
    :func:`~numerics.model.parse_number` takes) or ``(s, w)`` pairs, whose ``s`` are ignored.

    >>> contrast_law(1, ("1/4", "3/4"))
    ((Fraction(1, 1), Fraction(1, 1)),)
    """
    weights = tuple(w[1] if isinstance(w, tuple) else w for w in weights)
    if len(weights) != 2:
        raise BadParameter("noise", f"the contrast family needs two weights, got {len(weights)}")
    w1, w2 = (parse_number(w, "noise") for w in weights)
    c = parse_number(contrast, "contrast")
    if c <= 0:
        raise BadParameter("contrast", f"must be > 0, got {c}")
    s1 = 1 / (w1 + w2 * c)
    return parse_noise(f"{s1}:{w1},{c * s1}:{w2}")


def _decimal(value: float) -> Fraction:
    """``value`` rounded to ``_SIGNIFICANT`` significant digits, as an exact decimal."""
    return Fraction(f"{value:.{_SIGNIFICANT}g}")


def axis_grid(axis_name: str, low, high, points: int) -> tuple:
    """``points`` geometric values from ``low`` to ``high`` (exact 4-digit decimals, endpoints exact).

    For ``gamma`` the hard edge ``γ = 1`` is avoided: a grid value equal to 1 becomes ``101/100``.
    Raises :class:`BadParameter` (naming ``range`` or ``points``) for an empty or degenerate range.
    """
    low, high = parse_number(low, "range"), parse_number(high, "range")
    if not 0 < low < high:
        raise BadParameter("range", f"expected 0 < LO < HI, got {low}:{high}")
    if points < 2:
        raise BadParameter("points", f"expected at least 2 values per axis, got {points}")
    ratio = math.log(high / low)
    values = [low] + [_decimal(float(low) * math.exp(ratio * k / (points - 1)))
                      for k in range(1, points - 1)] + [high]
    if axis_name == "gamma":
        values = [_GAMMA_ONE_NUDGE if value == 1 else value for value in values]
    if any(b <= a for a, b in zip(values, values[1:])):
        raise BadParameter("points", f"{points} values do not fit in the range {low}:{high} "
                                     f"at {_SIGNIFICANT} significant digits")
    return tuple(values)


def theta_grid(theta_max, points: int) -> tuple:
    """The ``points`` values ``θ_max·k/points``, ``k = 1, …, points`` (exact)."""
    theta_max = parse_number(theta_max, "theta-max")
    if theta_max <= 0:
        raise BadParameter("theta-max", f"must be > 0, got {theta_max}")
    if points < 2:
        raise BadParameter("points", f"expected at least 2 values per axis, got {points}")
    return tuple(theta_max * k / points for k in range(1, points + 1))


def auto_theta_max(theta_c_ssr, theta_c_pca) -> Fraction:
    """``1.25 · max θ_c`` rounded up to two significant digits: every threshold lies inside the map."""
    top = float(max(max(theta_c_ssr), max(theta_c_pca))) * 1.25
    scale = Fraction(10) ** (math.floor(math.log10(top)) - 1)
    return math.ceil(Fraction(top) / scale) * scale


def _mp(value):
    """``value`` as an ``mpf`` (a ``Fraction`` exactly rounded at the working precision)."""
    if isinstance(value, Fraction):
        return mp.mpf(value.numerator) / value.denominator
    return mp.mpf(value)


def classify(theta, theta_c_ssr, theta_c_pca) -> str:
    """``"none"``, ``"both"``, ``"ssr-only"`` or ``"pca-only"``: who detects at ``θ`` (detection: ``θ > θ_c``)."""
    with mp.workdps(60):
        theta = _mp(theta)
        ssr, pca = theta > theta_c_ssr, theta > theta_c_pca
    return "both" if ssr and pca else "ssr-only" if ssr else "pca-only" if pca else "none"


def _row_models(plane: str, axis: tuple, *, gamma, lam, noise, basis, scale_law="1:1") -> tuple:
    """The spike-free model of every row of the map."""
    if plane == "theta-contrast":
        return tuple(Model(gamma=gamma, lam=lam, noise=contrast_law(c, noise), basis=basis, scale_law=scale_law)
                     for c in axis)
    return tuple(Model(gamma=g, lam=lam, noise=noise, basis=basis, scale_law=scale_law) for g in axis)


def _threshold_pair(model: Model, dps: int) -> tuple:
    """``((θ_c^SSR, problem), (θ_c^PCA, problem))`` of one model; ``problem`` is ``None`` or why it failed."""
    from numerics.theory import evaluate

    pair = []
    for method in ("ssr", "pca"):
        try:
            value = evaluate("threshold", model, method=method, dps=dps)
        except (ConvergenceError, BadParameter) as err:
            problem = str(err)
        else:
            problem = None if mp.isfinite(value) and value > 0 else f"not a positive number: {value}"
        pair.append((mp.nan if problem is not None else value, problem))
    return tuple(pair)


def _map(map_tasks, function, tasks, stage: str, progress) -> list:
    """Run ``function`` over ``tasks`` with ``map_tasks`` (default in process), reporting ``stage``."""
    report = None if progress is None else functools.partial(progress, stage)
    if map_tasks is None:
        results = []
        for done, task in enumerate(tasks, 1):
            results.append(function(task))
            if report is not None:
                report(done, len(tasks))
        return results
    return map_tasks(function, tasks, report)


def thresholds(models, *, dps: int, progress=None, map_tasks=None) -> tuple[tuple, tuple]:
    """``(θ_c^SSR, θ_c^PCA)`` of every model, via :func:`numerics.theory.evaluate`.

    One task per model, run by ``map_tasks(function, tasks, progress)`` (default: in process; see
    :func:`phase_map`). Raises :class:`ThresholdError` listing every model whose threshold failed
    (after trying all).
    """
    pairs = _map(map_tasks, functools.partial(_threshold_pair, dps=dps), list(models), "thresholds", progress)
    ssr, pca, failed = [], [], []
    for index, pair in enumerate(pairs):
        for method, (_, problem) in zip(("ssr", "pca"), pair):
            if problem is not None:
                failed.append((index, method, problem))
        ssr.append(pair[0][0])
        pca.append(pair[1][0])
    if failed:
        where = "; ".join(f"{method} at {_where(models[index])}" for index, method, _ in failed[:4])
        more = f"; and {len(failed) - 4} more" if len(failed) > 4 else ""
        raise ThresholdError(f"{len(failed)} of {2 * len(models)} thresholds could not be computed "
                             f"({where}{more}); first error: {failed[0][2]}")
    return tuple(ssr), tuple(pca)


def _where(model: Model) -> str:
    return f"gamma={model.gamma}, noise={model.as_dict()['noise']}"


def _overlap(model: Model, method: str, theta, theta_c, dps: int):
    """The overlap at ``θ``: 0 when ``θ ≤ θ_c`` (no outlier), else the (E4) residue solve."""
    from numerics.theory import evaluate

    with mp.workdps(60):
        below = not _mp(theta) > theta_c
    if below:
        return mp.mpf(0)
    return evaluate("overlap", dataclasses.replace(model, theta=theta), method=method, dps=dps)


def _overlap_point(task: tuple, dps: int) -> tuple:
    """``((overlap SSR, problem), (overlap PCA, problem))`` at one grid point ``(model, θ, θ_c^SSR, θ_c^PCA)``.

    A solve that raises :class:`ConvergenceError` or :class:`BadParameter` gives ``NaN`` and its message.
    """
    model, theta, *cuts = task
    out = []
    for method, theta_c in zip(("ssr", "pca"), cuts):
        try:
            out.append((_overlap(model, method, theta, theta_c, dps), None))
        except (ConvergenceError, BadParameter) as err:
            out.append((mp.nan, str(err)))
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class Plan:
    """A validated map before any solve: the rows' spike-free models and the grid sizes."""

    plane: str
    axis_name: str
    axis: tuple
    models: tuple
    n_theta: int
    theta_max: Fraction | None
    weights: tuple | None


def plan(plane: str = "theta-contrast", *, gamma="1/2", lam="1/5", noise=None, basis: str = bases.DEFAULT,
         axis_range=None, theta_max=None, points=(24, 16), scale_law="1:1") -> Plan:
    r"""Validate the inputs of :func:`phase_map` and build its rows (cheap: no solve).

    ``plane`` is ``"theta-contrast"`` (``y = s₂/s₁`` of the mean-one two-atom law with the weights
    of ``noise``, whose values of ``s`` are ignored, default ``½, ½``; ``gamma`` fixed) or
    ``"theta-gamma"`` (``y = γ``, the law ``noise`` fixed, default :data:`DEFAULT_NOISE`;
    ``gamma`` unused). ``axis_range = (lo, hi)`` bounds ``y`` (:data:`DEFAULT_RANGE`);
    ``theta_max`` bounds the ``θ`` grid (``None``: :func:`auto_theta_max` once the thresholds are
    known); ``points = (n_θ, n_y)``; ``scale_law``: the law of the per-sample scale of elliptical
    data (:mod:`numerics.scale`, default Gaussian data). Raises :class:`BadParameter` naming the bad input.
    """
    if plane not in PLANES:
        raise BadParameter("plane", f"invalid choice {plane!r} (choose from {', '.join(PLANES)})")
    basis = bases.get(basis).name
    axis_name = AXES[plane]
    n_theta, n_axis = points
    weights = None
    if plane == "theta-contrast":
        law = parse_noise(noise) if noise is not None else ISOTROPIC
        if len(law) > 2:
            raise BadParameter("noise", f"--plane theta-contrast takes the weights of a law with "
                                        f"at most two atoms, got {len(law)}")
        weights = tuple(w for _, w in law) if len(law) == 2 else DEFAULT_WEIGHTS
    else:
        law = parse_noise(noise if noise is not None else DEFAULT_NOISE)
    low, high = axis_range if axis_range is not None else DEFAULT_RANGE[plane]
    axis = axis_grid(axis_name, low, high, n_axis)
    if theta_max is not None:
        theta_max = theta_grid(theta_max, n_theta)[-1]
    elif n_theta < 2:
        raise BadParameter("points", f"expected at least 2 values per axis, got {n_theta}")
    models = _row_models(plane, axis, gamma=gamma, lam=lam, noise=weights or law, basis=basis, scale_law=scale_law)
    return Plan(plane=plane, axis_name=axis_name, axis=axis, models=models, n_theta=n_theta,
                theta_max=theta_max, weights=weights)


def phase_map(plane: str = "theta-contrast", *, dps: int = 15, progress=None, map_tasks=None,
              **inputs) -> PhaseMap:
    r"""Thresholds and overlaps of SSR and PCA on a ``(θ, y)`` grid.

    ``inputs`` are those of :func:`plan` (``gamma``, ``lam``, ``noise``, ``basis``,
    ``axis_range``, ``theta_max``, ``points``). The thresholds are computed once per row (they
    do not depend on ``θ``); the overlaps once per grid point and estimator above its
    threshold. ``progress(stage, done, total)`` is called after each step.

    ``map_tasks(function, tasks, progress)`` (default: a loop in this process;
    :meth:`ssr.parallel.Executor.map` runs on Dask) runs the rows' thresholds, then the grid
    points, as independent tasks and returns their results in task order: the map is the same
    whichever runs it.

    Overlap solves that raise :class:`ConvergenceError` or :class:`BadParameter` give ``NaN``
    and are listed in ``failures`` as ``(i, j, method, message)``; a failed threshold raises
    :class:`ThresholdError`.
    """
    rows = plan(plane, **inputs)
    theta_c_ssr, theta_c_pca = thresholds(rows.models, dps=dps, progress=progress, map_tasks=map_tasks)
    theta_max = rows.theta_max if rows.theta_max is not None else auto_theta_max(theta_c_ssr, theta_c_pca)
    thetas = theta_grid(theta_max, rows.n_theta)
    tasks = [(rows.models[i], theta, theta_c_ssr[i], theta_c_pca[i])
             for i in range(len(rows.axis)) for theta in thetas]
    points = _map(map_tasks, functools.partial(_overlap_point, dps=dps), tasks, "overlaps", progress)
    overlaps = {"ssr": [], "pca": []}
    failures = []
    for i in range(len(rows.axis)):
        for method in overlaps:
            overlaps[method].append([])
        for j in range(len(thetas)):
            for method, (value, problem) in zip(("ssr", "pca"), points[i * len(thetas) + j]):
                if problem is not None:
                    failures.append((i, j, method, problem))
                overlaps[method][i].append(value)
    return PhaseMap(plane=rows.plane, axis_name=rows.axis_name, axis=rows.axis, thetas=thetas,
                    models=rows.models, theta_c_ssr=theta_c_ssr, theta_c_pca=theta_c_pca,
                    overlap_ssr=tuple(tuple(row) for row in overlaps["ssr"]),
                    overlap_pca=tuple(tuple(row) for row in overlaps["pca"]),
                    failures=tuple(failures), dps=dps, weights=rows.weights)


def _text(value, dps: int) -> str:
    """A number as a decimal string with ``dps`` significant digits; ``nan`` for NaN."""
    with mp.workdps(dps + 5):
        value = _mp(value)
        return "nan" if mp.isnan(value) else mp.nstr(value, dps)


def write_csv(phase: PhaseMap, directory) -> tuple[str, str]:
    """Write ``phase.csv`` (one row per grid point) and ``thresholds.csv`` (one per axis value).

    ``phase.csv``: ``theta, <axis>, theta_c_ssr, theta_c_pca, overlap_ssr, overlap_pca,
    region, overlap_gap``; ``thresholds.csv``: ``<axis>, theta_c_ssr, theta_c_pca``. Numbers
    have ``dps`` significant digits, failed solves are ``nan``. Returns the two paths.
    """
    dps = phase.dps
    grid_path = os.path.join(directory, "phase.csv")
    with open(grid_path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["theta", phase.axis_name, "theta_c_ssr", "theta_c_pca", "overlap_ssr",
                         "overlap_pca", "region", "overlap_gap"])
        for i, y in enumerate(phase.axis):
            for j, theta in enumerate(phase.thetas):
                writer.writerow([_text(theta, dps), _text(y, dps), _text(phase.theta_c_ssr[i], dps),
                                 _text(phase.theta_c_pca[i], dps), _text(phase.overlap_ssr[i][j], dps),
                                 _text(phase.overlap_pca[i][j], dps), phase.region(i, j),
                                 _text(phase.gap(i, j), dps)])
    threshold_path = os.path.join(directory, "thresholds.csv")
    with open(threshold_path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([phase.axis_name, "theta_c_ssr", "theta_c_pca"])
        for i, y in enumerate(phase.axis):
            writer.writerow([_text(y, dps), _text(phase.theta_c_ssr[i], dps), _text(phase.theta_c_pca[i], dps)])
    return grid_path, threshold_path


def _describe_values(phase: PhaseMap, indices: list[int]) -> str:
    """``contrast ≥ 1.22``, ``contrast in [a, b]`` or a list, for a set of row indices."""
    name, values = phase.axis_name, [phase.axis[i] for i in indices]
    shown = [_text(v, 6) for v in values]
    if indices == list(range(indices[0], len(phase.axis))) and indices[0] > 0:
        return f"for {name} >= {shown[0]}"
    if indices == list(range(len(phase.axis))):
        return f"for every {name} in [{shown[0]}, {shown[-1]}]"
    if indices == list(range(indices[0], indices[-1] + 1)):
        return f"for {name} in [{shown[0]}, {shown[-1]}]"
    return f"at {name} = {', '.join(shown)}"


def summary(phase: PhaseMap) -> str:
    """A plain-text report: the thresholds per axis value, the SSR-only region, failures."""
    name, dps = phase.axis_name, phase.dps
    digits = min(dps, 10)
    base = phase.models[0]
    lines = [f"{'contrast s2/s1' if name == 'contrast' else 'gamma':>14}  {'theta_c SSR':>{digits + 6}}"
             f"  {'theta_c PCA':>{digits + 6}}  {'PCA - SSR':>10}"]
    for i, y in enumerate(phase.axis):
        tc_s, tc_p = phase.theta_c_ssr[i], phase.theta_c_pca[i]
        lines.append(f"{_text(y, 6):>14}  {_text(tc_s, digits):>{digits + 6}}  {_text(tc_p, digits):>{digits + 6}}"
                     f"  {_text(tc_p - tc_s, 3):>10}")
    ssr_rows = [i for i in range(len(phase.axis))
                if phase.theta_c_pca[i] - phase.theta_c_ssr[i] > phase.agree_tol(phase.theta_c_pca[i])]
    pca_rows = [i for i in range(len(phase.axis))
                if phase.theta_c_ssr[i] - phase.theta_c_pca[i] > phase.agree_tol(phase.theta_c_ssr[i])]
    if ssr_rows:
        lines.append(f"SSR-only region: yes, theta in (theta_c^SSR, theta_c^PCA] {_describe_values(phase, ssr_rows)}"
                     f" ({len(ssr_rows)} of {len(phase.axis)} {name} values)")
    else:
        lines.append("SSR-only region: no")
    if pca_rows:
        lines.append(f"PCA-only region: yes, theta in (theta_c^PCA, theta_c^SSR] {_describe_values(phase, pca_rows)}")
    else:
        lines.append("PCA-only region: no")
    counts = {region: 0 for region in REGIONS}
    best = None
    for i in range(len(phase.axis)):
        for j in range(len(phase.thetas)):
            counts[phase.region(i, j)] += 1
            gap = phase.gap(i, j)
            if not mp.isnan(gap) and (best is None or gap > best[0]):
                best = (gap, i, j)
    lines.append("grid points: " + ", ".join(f"{counts[r]} {r}" for r in REGIONS)
                 + f" (of {len(phase.axis) * len(phase.thetas)})")
    if best is not None and best[0] > phase.agree_tol(1):
        gap, i, j = best
        lines.append(f"largest overlap gap cos2_SSR - cos2_PCA = {_text(gap, 6)} at theta = "
                     f"{_text(phase.thetas[j], 6)}, {name} = {_text(phase.axis[i], 6)}")
    elif best is not None:
        lines.append("largest overlap gap cos2_SSR - cos2_PCA: none above working precision")
    spread = max(abs(s - p) for s, p in zip(phase.theta_c_ssr, phase.theta_c_pca))
    if bases.get(base.basis).scalar_shift:  # D̄ = m̄ I: T = m̄(S + λ), the same threshold as PCA
        lines.append(f"{base.basis} basis: max |theta_c^SSR - theta_c^PCA| = {_text(spread, 3)} "
                     f"({'equal' if not ssr_rows and not pca_rows else 'NOT equal'} to working precision), "
                     f"max |overlap gap| = {_text(_max_abs_gap(phase), 3)}")
    lines.append(f"failed overlap solves: {len(phase.failures)} of {2 * len(phase.axis) * len(phase.thetas)}"
                 + (f" (first: {phase.failures[0][2]} at theta = {_text(phase.thetas[phase.failures[0][1]], 6)}, "
                    f"{name} = {_text(phase.axis[phase.failures[0][0]], 6)}: {phase.failures[0][3]})"
                    if phase.failures else ""))
    return "\n".join(lines)


def _max_abs_gap(phase: PhaseMap):
    """``max |overlap_ssr − overlap_pca|`` over the grid points where both overlaps were computed."""
    gaps = [abs(phase.gap(i, j)) for i in range(len(phase.axis)) for j in range(len(phase.thetas))]
    return max((g for g in gaps if not mp.isnan(g)), default=mp.nan)


def _edges(values, log: bool):
    """Cell edges around grid values: midpoints (geometric when ``log``), mirrored at the ends."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    work = np.log(values) if log else values
    middle = (work[1:] + work[:-1]) / 2
    edges = np.concatenate([[2 * work[0] - middle[0]], middle, [2 * work[-1] - middle[-1]]])
    return np.exp(edges) if log else edges


def _title(phase: PhaseMap) -> str:
    base = phase.models[0]
    if phase.plane == "theta-contrast":
        w1, w2 = phase.weights
        law = (rf"$\nu = {w1}\,\delta_{{s_1}} + {w2}\,\delta_{{s_2}}$, $s_2/s_1 = c$, "
               rf"$w_1 s_1 + w_2 s_2 = 1$")
        fixed = rf"$\gamma = {base.gamma}$, $\lambda = {base.lam}$, basis {base.basis}"
    else:
        law = r"$\nu = " + " + ".join(rf"{w}\,\delta_{{{s}}}" for s, w in base.noise) + "$"
        fixed = rf"$\lambda = {base.lam}$, basis {base.basis}"
    return f"SSR vs PCA: overlap gap and detection thresholds\n{fixed}; {law}"


def plot(phase: PhaseMap, path) -> str:
    """Draw ``phase.png``: overlap-gap heatmap, both threshold curves, the SSR-only region hatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap, Normalize, TwoSlopeNorm
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    thetas = np.array([float(t) for t in phase.thetas])
    axis = np.array([float(y) for y in phase.axis])
    gap = np.array([[float(phase.gap(i, j)) for j in range(len(thetas))] for i in range(len(axis))])
    tc_ssr = np.array([float(t) for t in phase.theta_c_ssr])
    tc_pca = np.array([float(t) for t in phase.theta_c_pca])

    fig, ax = plt.subplots(figsize=(8.2, 6.0), constrained_layout=True)
    x_edges, y_edges = _edges(thetas, log=False), _edges(axis, log=True)
    x_edges[0] = max(x_edges[0], 0.0)
    finite = gap[np.isfinite(gap)]
    # colour limits from the data, zero (white) kept as the centre of the diverging map: a gap of one
    # sign uses only that half of the map, so the whole colour bar carries values
    low = min(float(finite.min()) if finite.size else 0.0, 0.0)
    high = max(float(finite.max()) if finite.size else 0.0, 0.0)
    if high - low < 1e-3:
        low, high = -5e-4, 5e-4
    diverging = matplotlib.colormaps["RdBu_r"]
    if low < 0 < high:
        cmap, norm = diverging, TwoSlopeNorm(vcenter=0.0, vmin=low, vmax=high)
    else:
        half = np.linspace(0.5, 1.0, 128) if high > 0 else np.linspace(0.0, 0.5, 128)
        cmap, norm = ListedColormap(diverging(half)), Normalize(vmin=low, vmax=high)
    mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(gap), cmap=cmap.with_extremes(bad="0.6"),
                         shading="flat", norm=norm)
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(r"overlap gap  $\cos^2(v,\hat r_{\mathrm{SSR}}) - \cos^2(v,\hat u_{\mathrm{PCA}})$")

    ssr_only = tc_ssr < tc_pca - np.array([float(phase.agree_tol(t)) for t in tc_pca])
    if ssr_only.any():
        ax.fill_betweenx(axis, tc_ssr, tc_pca, where=ssr_only, interpolate=True, facecolor="none",
                         edgecolor="0.15", hatch="///", linewidth=0.0,
                         label=r"SSR only: $\theta_c^{\mathrm{SSR}} < \theta \leq \theta_c^{\mathrm{PCA}}$")
    pca_only = tc_pca < tc_ssr - np.array([float(phase.agree_tol(t)) for t in tc_ssr])
    if pca_only.any():
        ax.fill_betweenx(axis, tc_pca, tc_ssr, where=pca_only, interpolate=True, facecolor="none",
                         edgecolor="0.15", hatch="\\\\\\", linewidth=0.0,
                         label=r"PCA only: $\theta_c^{\mathrm{PCA}} < \theta \leq \theta_c^{\mathrm{SSR}}$")
    ax.plot(tc_ssr, axis, color="black", linewidth=2.2, marker="o", markersize=3.5, label=r"$\theta_c$ SSR")
    ax.plot(tc_pca, axis, color="darkorange", linewidth=2.2, linestyle="--", marker="s", markersize=3.5,
            label=r"$\theta_c$ PCA")

    box = dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor="0.4", alpha=0.9)
    if ssr_only.any():
        rows = np.flatnonzero(ssr_only)
        spot = rows[min(len(rows) - 1, int(0.6 * len(rows)))]  # above the middle of the region
        ax.annotate("SSR detects,\nPCA does not", xy=((tc_ssr[spot] + tc_pca[spot]) / 2, axis[spot]),
                    ha="center", va="center", fontsize=10, bbox=box)
    else:
        spread = max(abs(a - b) for a, b in zip(phase.theta_c_ssr, phase.theta_c_pca))
        ax.text(0.03, 0.97, rf"$\theta_c^{{\mathrm{{SSR}}}} = \theta_c^{{\mathrm{{PCA}}}}$ on every row"
                            f"\nmax |difference| = {_text(spread, 2)}"
                            f"\nmax |overlap gap| = {_text(_max_abs_gap(phase), 2)}", transform=ax.transAxes,
                ha="left", va="top", fontsize=10, bbox=box)
    middle = len(axis) // 2
    low, high = min(tc_ssr[middle], tc_pca[middle]), max(tc_ssr[middle], tc_pca[middle])
    room = 0.14 * (x_edges[-1] - x_edges[0])
    if low - x_edges[0] > room:
        ax.text((x_edges[0] + low) / 2, axis[middle], "neither\ndetects", ha="center", va="center",
                fontsize=9, style="italic", color="0.25")
    if x_edges[-1] - high > room:
        ax.text((high + x_edges[-1]) / 2, axis[middle], "both\ndetect", ha="center", va="center",
                fontsize=9, style="italic", color="0.25")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(y_edges[0], y_edges[-1])
    ax.set_xlabel(r"spike strength $\theta$")
    ax.set_ylabel(r"contrast $c = s_2/s_1$ (mean variance 1)" if phase.axis_name == "contrast"
                  else r"aspect ratio $\gamma = d/n$")
    if phase.axis_name == "gamma" and axis[0] < 1 < axis[-1]:
        ax.axhline(1.0, color="0.3", linewidth=0.8, linestyle=":")
    ax.set_title(_title(phase), fontsize=10)
    ax.legend(loc="lower right", fontsize=9, framealpha=0.92)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)
