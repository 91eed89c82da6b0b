r"""The verification battery behind ``ssr verify``: every closed form against two oracles.

Each :class:`Claim` of the registry :data:`CLAIMS` names one theory limit (a QUANTITY of
SPEC §4 for one isotropic model, ``noise = 1:1``, with exact ``γ``, ``λ``, ``θ``) and
:func:`check` confronts it with

1. the independent high-precision route: the SymPy closed form (``route="closed"``) and the
   mpmath solution of the self-consistent equations (``route="fixed-point"``), both at
   ``dps = 50``, must agree to at least ``dps − 5 = 45`` significant digits;
2. Monte Carlo at finite ``d`` (:func:`numerics.simulate.simulate`, ``K`` replicas seeded
   ``default_rng([0, k])``): the z-score ``(mean − theory)/stderr`` must satisfy ``|z| < 4``
   (for ``edges`` the worse of the two components).

Statistical honesty. A z-score has a *drift*: when the finite-``d`` estimator is biased by
``b`` and fluctuates with standard deviation ``σ`` per replica, ``z ≈ (b/σ)·√K + N(0, 1)``
grows with the number of seeds. The tolerance is never widened; instead each claim states
its ``K``, chosen from the measured ratio ``b/σ`` (recorded in its ``note``) so that the
expected drift stays about 2 or below, and the table prints the *finite-size gap*
``|mean − theory|`` next to ``z``. Two regimes occur (measured with the estimators of
:mod:`numerics.simulate`, seed 0, 100–800 replicas):

- normalised traces (``m``, ``train-error``, ``gen-error``) are linear-type spectral
  statistics of a real Gaussian sample: bias *and* fluctuation are both ``O(1/d)``, so
  ``b/σ`` does not decrease with ``d`` (``≈ 0.35`` for ``m``, ``0.6`` for ``train-error``,
  ``−0.5`` for ``gen-error`` at ``γ = 1/2``, ``1.0`` at ``γ = 2``); these claims use few seeds;
- outliers and overlaps above threshold (``θ`` comfortably above ``θ_c``) fluctuate at the
  ``1/√d`` scale with an ``O(1/d)`` bias, so ``b/σ = O(d^{-1/2})``: consistent, more seeds
  are affordable. Below threshold they would be bulk extremes (Tracy–Widom bias of the order
  of the fluctuation), so no claim simulates them there; the bulk ``edges`` use the
  Tracy–Widom-centred estimator of :mod:`numerics.simulate` and a moderate ``K = 8``.

``threshold`` is a limit with no finite-``d`` version: its claim is checked by the two
high-precision routes, and by the outlier/overlap claims listed around it (above threshold).

Everything is seeded, so a run is reproducible bit for bit on a fixed platform; the table
goes to stdout, the progress line (only when stdout is a terminal) to stderr.

>>> [c.id for c in CLAIMS][:3]
['m', 'train-error', 'gen-error/gamma<1']
>>> sorted({c.quantity for c in CLAIMS}) == sorted(QUANTITIES)
True
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from numerics import simulate as simulation
from numerics import theory
from numerics.model import Model

__all__ = [
    "DPS",
    "REQUIRED_DIGITS",
    "Z_MAX",
    "QUANTITIES",
    "Size",
    "Claim",
    "Result",
    "CLAIMS",
    "agreement_digits",
    "check",
    "format_table",
    "run",
]

DPS = 50
REQUIRED_DIGITS = DPS - 5
Z_MAX = 4.0
QUANTITIES = theory.QUANTITIES
_SEED = 0


@dataclass(frozen=True)
class Size:
    """A Monte Carlo budget: dimension ``d`` (``n = round(d/γ)``) and number of replicas ``seeds``."""

    d: int
    seeds: int


@dataclass(frozen=True)
class Claim:
    """One theory limit and how it is checked.

    ``quick`` and ``full`` are the simulation budgets of ``ssr verify --quick`` and
    ``ssr verify``; ``None`` means the quantity has no finite-``d`` version (``threshold``).
    ``note`` records why the number of seeds is what it is (the measured drift ``b/σ``).
    """

    id: str
    statement: str
    quantity: str
    model: Model
    method: str = "ssr"
    at: Fraction | None = None
    quick: Size | None = None
    full: Size | None = None
    note: str = ""

    def size(self, quick: bool) -> Size | None:
        """The simulation budget of the quick or the full run."""
        return self.quick if quick else self.full

    def params(self) -> str:
        """The model parameters, e.g. ``γ=1/2 λ=1/5 θ=2``."""
        text = f"γ={self.model.gamma} λ={self.model.lam}"
        if self.model.theta:
            text += f" θ={self.model.theta}"
        if self.at is not None:
            text += f" a={self.at}"
        return text


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`check` for one claim.

    ``closed`` and ``fixed`` are the two high-precision values (``mpf``, or ``[lower, upper]``
    for ``edges``) and ``digits`` their agreement. ``simulation`` is ``None`` for claims without a
    finite-``d`` version; otherwise ``z`` is the z-score of the worse component and ``gap`` its
    finite-size gap ``|mean − theory|``. ``reason`` says why a claim failed (empty if it passed).
    """

    claim: Claim
    latex: str
    closed: object
    fixed: object
    digits: float
    simulation: simulation.SimulationResult | None
    z: float | None
    gap: float | None
    passed: bool
    reason: str = ""


def _model(gamma: str, lam: str, theta: str = "0") -> Model:
    return Model(gamma=gamma, lam=lam, theta=theta, noise="1:1")


_HALF = _model("1/2", "1/5")
_TWO = _model("2", "1/5")
_SPIKED = _model("1/2", "1/5", "2")  # θ = 2 ≈ 2.8 θ_c (θ_c = √γ ≈ 0.707): SPEC §3 checkpoint
_RIDGELESS = _model("1/2", "1e-3")

_TRACE_NOTE = "normalised trace: bias and fluctuation both O(1/d), measured b/σ ≈ {}; few seeds"
_EDGE_NOTE = "bulk extreme (Tracy–Widom-centred estimator): measured b/σ ≈ {} at d = 400; K = 8"
_SPIKE_NOTE = "above threshold: fluctuation O(d^-1/2), bias O(1/d), measured b/σ ≈ {} at d = 400"
_DENSITY_NOTE = "kernel density, bandwidth ∝ d^-1/2: measured b/σ ≈ {} at d = 400"

#: The registry. Budgets: quick d = 400 (about a minute in all on 2 cores), full d = 2000.
CLAIMS: list[Claim] = [
    Claim("m", "m(λ,γ) = lim (1/d) tr R, the Marchenko–Pastur transform at −λ",
          "m", _HALF, quick=Size(400, 8), full=Size(2000, 6), note=_TRACE_NOTE.format("0.35")),
    Claim("train-error", "E_train = lim ‖X − XÂᵀ‖²/(nd) = (m + λ ∂_λ m)/m²",
          "train-error", _HALF, quick=Size(400, 6), full=Size(2000, 6),
          note=_TRACE_NOTE.format("0.6")),
    Claim("gen-error/gamma<1", "E_gen = lim tr((I−Â)Σ(I−Â)ᵀ)/d = −∂_λ m/m², γ < 1",
          "gen-error", _HALF, quick=Size(400, 6), full=Size(2000, 6),
          note=_TRACE_NOTE.format("−0.5")),
    Claim("gen-error/gamma>1", "E_gen = −∂_λ m/m² for γ > 1 (d > n, S singular)",
          "gen-error", _TWO, quick=Size(400, 4), full=Size(2000, 4),
          note=_TRACE_NOTE.format("1.0")),
    Claim("edges-ssr/gamma<1", "bulk edges of Â: a(z∓) with a(s) = 1 − 1/(m(s+λ)), z∓ = (1∓√γ)²",
          "edges", _HALF, quick=Size(400, 8), full=Size(2000, 8), note=_EDGE_NOTE.format("0.6, 0.16")),
    Claim("edges-ssr/gamma>1", "bulk edges of Â for γ > 1 (the atom of the d−n null directions lies below)",
          "edges", _TWO, quick=Size(400, 8), full=Size(2000, 8), note=_EDGE_NOTE.format("0.22, 0.08")),
    Claim("edges-pca/gamma<1", "Marchenko–Pastur edges (1∓√γ)² of the spectrum of S",
          "edges", _HALF, method="pca", quick=Size(400, 8), full=Size(2000, 8),
          note=_EDGE_NOTE.format("−0.19, −0.12")),
    Claim("edges-pca/gamma>1", "Marchenko–Pastur edges (1∓√γ)² of the nonzero spectrum of S, γ > 1",
          "edges", _TWO, method="pca", quick=Size(400, 8), full=Size(2000, 8),
          note=_EDGE_NOTE.format("−0.44, −0.26")),
    Claim("density-ssr/gamma<1", "density of the continuous spectrum of Â: Marchenko–Pastur pushed by a(s)",
          "density", _HALF, at=Fraction(0), quick=Size(400, 8), full=Size(2000, 6),
          note=_DENSITY_NOTE.format("0.5")),
    Claim("density-ssr/gamma>1", "density of the continuous spectrum of Â (mass 1/γ) for γ > 1",
          "density", _TWO, at=Fraction(1, 2), quick=Size(400, 8), full=Size(2000, 6),
          note=_DENSITY_NOTE.format("0.1")),
    Claim("outlier-ssr", "top eigenvalue of Â above threshold: 1 − 1/u*, u* the root of (E4)",
          "outlier", _SPIKED, quick=Size(400, 16), full=Size(2000, 6),
          note=_SPIKE_NOTE.format("−0.3")),
    Claim("overlap-ssr", "cos²(v, top right eigenvector of Â) = −1/f′(u*) above threshold",
          "overlap", _SPIKED, quick=Size(400, 16), full=Size(2000, 6),
          note=_SPIKE_NOTE.format("−0.2")),
    Claim("threshold-ssr", "SSR spike threshold θ_c: (E4) root meets the bulk edge (= √γ, isotropic)",
          "threshold", _HALF,
          note="a limit without finite-d version: checked by the two routes and the spike claims around it"),
    Claim("threshold-pca", "BBP threshold θ_c = √γ of PCA",
          "threshold", _HALF, method="pca",
          note="a limit without finite-d version: checked by the two routes and the spike claims around it"),
    Claim("outlier-pca", "top eigenvalue of S above threshold: (1+θ)(1+γ/θ) (BBP)",
          "outlier", _SPIKED, method="pca", quick=Size(400, 16), full=Size(2000, 6),
          note=_SPIKE_NOTE.format("−0.2")),
    Claim("overlap-pca", "cos²(v, top eigenvector of S) = (1 − γ/θ²)/(1 + γ/θ)",
          "overlap", _SPIKED, method="pca", quick=Size(400, 16), full=Size(2000, 6),
          note=_SPIKE_NOTE.format("−0.2")),
    Claim("ridgeless/gen-error", "near-ridgeless E_gen (λ = 10⁻³, γ < 1), close to 1/(1−γ)",
          "gen-error", _RIDGELESS, quick=Size(400, 8), full=Size(2000, 6),
          note=_TRACE_NOTE.format("−0.26")),
    Claim("ridgeless/train-error", "near-ridgeless E_train (λ = 10⁻³, γ < 1), close to 1−γ",
          "train-error", _RIDGELESS, quick=Size(400, 8), full=Size(2000, 6),
          note=_TRACE_NOTE.format("0.4")),
]


def agreement_digits(first, second, dps: int = DPS) -> float:
    """Significant digits to which ``first`` and ``second`` (numbers or equal-length lists) agree.

    ``−log10(|first − second| / max(|first|, |second|))``, the worst over components, capped
    at ``dps``; two zeros agree to ``dps`` digits.

    >>> agreement_digits(mp.mpf(1), mp.mpf("1.000001"))
    6.0
    >>> agreement_digits([mp.mpf(2), mp.mpf(0)], [mp.mpf(2), mp.mpf(0)], dps=50)
    50.0
    """
    firsts = first if isinstance(first, (list, tuple)) else [first]
    seconds = second if isinstance(second, (list, tuple)) else [second]
    worst = float(dps)
    with mp.workdps(2 * dps + 20):
        for a, b in zip(firsts, seconds, strict=True):
            error = abs(mp.mpf(a) - mp.mpf(b))
            if error == 0:
                continue
            scale = max(abs(mp.mpf(a)), abs(mp.mpf(b)))
            worst = min(worst, float(-mp.log10(error / scale)))
    return round(max(worst, 0.0), 1)


def _latex(quantity: str, method: str) -> str:
    expr = theory.closed_form(quantity, method)
    if isinstance(expr, list):
        return r",\quad ".join(sp.latex(e) for e in expr)
    return sp.latex(expr)


def _z_scores(sim, value) -> tuple[float, float]:
    """The z-score and the gap ``|mean − theory|`` of the component with the largest ``|z|``."""
    means = np.atleast_1d(sim.mean)
    errors = np.atleast_1d(sim.stderr)
    targets = np.array([float(v) for v in (value if isinstance(value, list) else [value])])
    gaps = means - targets
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(errors > 0, gaps / errors, np.where(gaps == 0, 0.0, np.inf))
    worst = int(np.argmax(np.abs(z)))
    return float(z[worst]), float(abs(gaps[worst]))


def check(claim: Claim, *, quick: bool, dps: int = DPS, progress=None) -> Result:
    """Check ``claim``: two high-precision routes at ``dps``, then simulation (if it has one).

    Passes when the routes agree to ``≥ dps − 5`` digits and ``|z| < 4``. ``progress(done,
    seeds)`` is forwarded to :func:`numerics.simulate.simulate`.
    """
    latex = _latex(claim.quantity, claim.method)
    kwargs = dict(method=claim.method, at=claim.at, dps=dps)
    closed = theory.evaluate(claim.quantity, claim.model, route="closed", **kwargs)
    fixed = theory.evaluate(claim.quantity, claim.model, route="fixed-point", **kwargs)
    digits = agreement_digits(closed, fixed, dps)
    reasons = []
    if digits < dps - 5:
        reasons.append(f"closed and fixed-point agree to {digits} < {dps - 5} digits")
    size = claim.size(quick)
    sim = z = gap = None
    if size is not None:
        sim = simulation.simulate(claim.quantity, claim.model, d=size.d, seeds=size.seeds,
                                  method=claim.method, at=claim.at, seed=_SEED, progress=progress)
        z, gap = _z_scores(sim, closed)
        if not abs(z) < Z_MAX:
            reasons.append(f"|z| = {abs(z):.2f} >= {Z_MAX:g}")
    return Result(claim=claim, latex=latex, closed=closed, fixed=fixed, digits=digits,
                  simulation=sim, z=z, gap=gap, passed=not reasons, reason="; ".join(reasons))


def _failed(claim: Claim, error: Exception) -> Result:
    return Result(claim=claim, latex="", closed=None, fixed=None, digits=0.0, simulation=None,
                  z=None, gap=None, passed=False, reason=f"error: {type(error).__name__}: {error}")


def _value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "[" + ", ".join(mp.nstr(v, 12) for v in value) + "]"
    return mp.nstr(value, 12)


def _simulated(sim) -> str:
    if sim is None:
        return "n/a"
    if np.ndim(sim.mean):
        means = ", ".join(f"{m:.6g}" for m in sim.mean)
        errors = ", ".join(f"{e:.2g}" for e in sim.stderr)
        return f"[{means}] ± [{errors}]"
    return f"{sim.mean:.7g} ± {sim.stderr:.2g}"


_COLUMNS = ("id", "statement", "params", "closed form", "digits", "simulation mean ± stderr",
            "gap", "d", "K", "z", "result")


def _row(result: Result) -> tuple[str, ...]:
    sim = result.simulation
    return (
        result.claim.id,
        result.claim.statement,
        result.claim.params(),
        _value(result.closed),
        f"{result.digits:.1f}" if result.closed is not None else "—",
        _simulated(sim),
        "n/a" if result.gap is None else f"{result.gap:.2g}",
        "n/a" if sim is None else str(sim.d),
        "n/a" if sim is None else str(sim.seeds),
        "n/a" if result.z is None else f"{result.z:+.2f}",
        "PASS" if result.passed else "FAIL",
    )


def _summary(results: list[Result]) -> str:
    passed = sum(r.passed for r in results)
    return f"{passed} passed, {len(results) - passed} failed"


def _header(quick: bool) -> str:
    return (f"ssr verify{' --quick' if quick else ''}: dps = {DPS}; a claim passes when closed form "
            f"and fixed point agree to >= {REQUIRED_DIGITS} digits and |z| < {Z_MAX:g} "
            f"(z = (mean − theory)/stderr over K seeded replicas at dimension d; gap = |mean − theory|)")


def format_table(results: list[Result], quick: bool) -> str:
    """The results as an aligned plain-text table, failure reasons, and the summary line."""
    rows = [_COLUMNS] + [_row(r) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [_header(quick), ""]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    failures = [r for r in results if not r.passed]
    if failures:
        lines.append("")
        lines.extend(f"FAIL {r.claim.id}: {r.reason}" for r in failures)
    lines.extend(["", _summary(results)])
    return "\n".join(lines)


def _markdown(results: list[Result], quick: bool) -> str:
    """The report page: the same table in Markdown, then each claim's closed form and note."""
    escape = lambda text: text.replace("|", r"\|")  # noqa: E731
    lines = ["# Verification report", "", _header(quick), "",
             "| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    lines.extend("| " + " | ".join(escape(cell) for cell in _row(r)) + " |" for r in results)
    lines.extend(["", _summary(results), "", "## Closed forms", ""])
    for r in results:
        lines.append(f"- `{r.claim.id}` ({r.claim.quantity}, {r.claim.method}): "
                     f"${r.latex}$" if r.latex else f"- `{r.claim.id}`: {r.reason}")
        if r.claim.note:
            lines.append(f"  — {r.claim.note}")
    return "\n".join(lines) + "\n"


class _Progress:
    """One self-overwriting line on ``stream``: claim id, k/N, replica, elapsed time."""

    def __init__(self, stream, total: int):
        self.stream = stream
        self.total = total
        self.start = time.monotonic()
        self.width = 0
        self.label = ""

    def claim(self, index: int, claim: Claim) -> None:
        self.label = f"ssr verify: [{index}/{self.total}] {claim.id}"
        self._show(self.label)

    def __call__(self, done: int, seeds: int) -> None:
        self._show(f"{self.label}, replica {done}/{seeds}")

    def _show(self, text: str) -> None:
        line = f"{text}, elapsed {time.monotonic() - self.start:.1f}s"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(line))

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def run(quick: bool, report: str | None = None) -> int:
    """Check every claim of :data:`CLAIMS`, print the table and ``N passed, M failed``.

    ``quick`` selects the small budgets (``d = 400``, under two minutes on two cores) instead
    of the full ones (``d = 2000``). ``report``, a directory, receives ``index.md`` (created
    with its parents if needed). Returns 0 iff every claim passed.
    """
    claims = list(CLAIMS)
    progress = _Progress(sys.stderr, len(claims)) if sys.stdout.isatty() else None
    results = []
    try:
        for index, claim in enumerate(claims, start=1):
            if progress is not None:
                progress.claim(index, claim)
            try:
                results.append(check(claim, quick=quick, progress=progress))
            except Exception as error:  # reported as a failed claim, never silently
                results.append(_failed(claim, error))
    finally:
        if progress is not None:
            progress.close()
    print(format_table(results, quick))
    if report is not None:
        os.makedirs(report, exist_ok=True)
        with open(os.path.join(report, "index.md"), "w", encoding="utf-8") as handle:
            handle.write(_markdown(results, quick))
    return 0 if all(r.passed for r in results) else 1
