r"""Elliptical data (a discrete scale law ``ρ``): the algebraic route against the fixed-point route.

The two routes solve the same (E1)–(E4) with ``1/(1+δ) → c(δ) = Σ_j r_j τ_j/(1+τ_j δ)``: the
fixed point by Newton and continuation on one branch, :mod:`numerics.algebraic` by clearing the
denominators (``Π_j (1+τ_j δ)`` included), taking every root and selecting the physical one,
edges from discriminants and outliers from resultants. Every quantity of the algebraic route must
agree with the fixed point to ``DPS − 5`` digits for ``ν ∈ {½δ₁ + ½δ₆, δ₁}``,
``ρ ∈ {½δ_{1/2} + ½δ_{3/2}, 0.9δ_{1/2} + 0.1δ_{11/2}}``, ``γ ∈ {1/2, 2}``, both bases (``ν = δ₁``:
the diagonal one only, the two coincide) and the ``ssr``, ``pca`` and ``masked`` (``p = 3/10``)
estimators. The skewed ``ρ`` splits several bulks into two or three intervals (``ν = δ₁``,
``γ = 1/2``, PCA: two): ``edges`` must give every one.

Two-interval bulks at ``γ = 2`` (:data:`PINNED`): ``ν = ½δ₁ + ½δ₆``, ``ρ = 0.9δ_{1/2} + 0.1δ_{11/2}``
with a scalar shift (diagonal PCA, rotational ssr, pca, masked). The fixed-point route refused them
once (its walk from inside the gap landed on the far edge; the invariant caught it) until elliptical
systems were walked in float64 first; both routes now agree there, and the intervals are also pinned
to the values (PCA: ``[0.19180, 11.279] ∪ [23.079, 65.584]``) that a simulation confirmed once
(``d = 3000``, ``n = 1500``: no eigenvalue in ``(11.5, 22.8)``, nonzero spectrum ``[0.1946, 65.06]``).

The fast tests compare the algebraic route with the independent oracle
(``tests/numerics/elliptical_oracle.py``, reference values computed once) and check its refusals.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath as mp
import pytest

from numerics import algebraic, support, theory
from numerics.model import BadParameter, Model

DPS = 30
MIN_DIGITS = DPS - 5
NUS = ("1:1/2,6:1/2", "1:1")
RHOS = ("1/2:1/2,3/2:1/2", "1/2:9/10,11/2:1/10")
GAMMAS = ("1/2", "2")
LAM = "1/10"
MASK = "3/10"

#: (ν, ρ, γ, basis, method) of the two-interval bulks at γ = 2 whose intervals are pinned (module text).
PINNED = {(NUS[0], RHOS[1], "2", basis, method)
          for basis, method in (("diagonal", "pca"), ("rotational", "ssr"), ("rotational", "pca"),
                                ("rotational", "masked"))}
#: The intervals (of the estimate's eigenvalues) in those cases, to 12 digits.
INTERVALS = {
    "pca": [("0.19179757530852", "11.2792071583712"), ("23.079012838499", "65.5839913073976")],
    "ssr": [("0.355373482873681", "0.983469810149413"), ("0.991884880689802", "0.99713628159719")],
    "masked": [("-0.386489528497204", "1.16352792649141"), ("1.28972128079449", "1.37743106774173")],
}


def _cases():
    for nu, rho, gamma, basis, method in itertools.product(NUS, RHOS, GAMMAS, ("diagonal", "rotational"),
                                                           ("ssr", "pca", "masked")):
        if nu == "1:1" and basis == "rotational":
            continue
        yield nu, rho, gamma, basis, method


def _model(nu, rho, gamma, basis, method, theta=0):
    return Model(gamma, LAM, theta, nu, basis, MASK if method == "masked" else 0, scale_law=rho)


def _digits(a, b):
    with mp.workdps(2 * DPS):
        if a == b:
            return mp.inf
        return -mp.log10(abs(a - b) / max(abs(b), mp.mpf(10) ** -DPS))


def _both(quantity, model, method, **kw):
    alg = theory.evaluate(quantity, model, method=method, dps=DPS, route="algebraic", **kw)
    fp = theory.evaluate(quantity, model, method=method, dps=DPS, route="fixed-point", **kw)
    return alg, fp


def _agree(quantity, model, method, **kw):
    alg, fp = _both(quantity, model, method, **kw)
    digits = _digits(alg, fp)
    assert digits >= MIN_DIGITS, f"{quantity}: algebraic {alg} vs fixed point {fp} ({mp.nstr(digits, 3)} digits)"
    return alg


def _spectral_checks(model, method, intervals):
    """density inside every interval and in every gap, threshold, outlier and overlap above it."""
    points = [lo + (hi - lo) * Fraction(3, 10) for lo, hi in intervals]
    points += [(a[1] + b[0]) / 2 for a, b in zip(intervals, intervals[1:])]
    for point in points:
        _agree("density", model, method, at=Fraction(mp.nstr(point, 20)))
    threshold = _agree("threshold", model, method)
    spiked = Model(model.gamma, model.lam, Fraction(mp.nstr(2 * threshold, 6)), model.noise, model.basis,
                   model.mask_ratio, scale_law=model.scale_law.spec)
    for quantity in ("outlier", "overlap"):
        _agree(quantity, spiked, method)


@pytest.mark.slow
@pytest.mark.parametrize("nu, rho, gamma, basis, method", list(_cases()))
def test_routes_agree(nu, rho, gamma, basis, method):
    model = _model(nu, rho, gamma, basis, method)
    if method != "pca":
        for quantity in ("m", "train-error", "gen-error"):
            _agree(quantity, model, method)
    alg = theory.evaluate("edges", model, method=method, dps=DPS, route="algebraic")
    if (nu, rho, gamma, basis, method) in PINNED:
        want = INTERVALS[method]
        assert len(alg.intervals) == len(want)
        for got, pair in zip(alg.intervals, want):
            for g, w in zip(got, pair):
                assert abs(g - mp.mpf(w)) <= mp.mpf(10) ** -12 * (1 + abs(g)), (alg.intervals, want)
    fp = theory.evaluate("edges", model, method=method, dps=DPS, route="fixed-point")
    assert len(alg.intervals) == len(fp.intervals), (alg.intervals, fp.intervals)
    for got, want in zip(alg.intervals, fp.intervals):
        for a, b in zip(got, want):
            assert _digits(a, b) >= MIN_DIGITS, (alg.intervals, fp.intervals)
    _spectral_checks(model, method, alg.intervals)


def test_routes_agree_fast():
    """One cheap case of the cross-check (ν = δ₁, the symmetric ρ, γ = 1/2, ssr) in the fast suite."""
    model = _model("1:1", RHOS[0], "1/2", "diagonal", "ssr")
    for quantity in ("m", "train-error", "gen-error"):
        _agree(quantity, model, "ssr")
    alg, fp = _both("edges", model, "ssr")
    assert len(alg.intervals) == len(fp.intervals) == 1
    assert min(_digits(a, b) for a, b in zip(alg, fp)) >= MIN_DIGITS
    _agree("threshold", model, "ssr")


# --- the independent oracle (tests/numerics/elliptical_oracle.py), values computed once ------------

def _close(got, want: str, digits=15):
    with mp.workdps(2 * DPS):
        assert abs(got - mp.mpf(want)) <= mp.mpf(10) ** -digits * abs(mp.mpf(want)), (got, want)


def test_pca_spectrum_matches_oracle():
    """ν = δ₁, γ = 1/2, ρ = ½δ_{1/2} + ½δ_{3/2}, PCA: edges, threshold and the outlier at θ = 4."""
    model = Model("1/2", LAM, 0, "1:1", scale_law=RHOS[0])
    lower, upper = theory.evaluate("edges", model, method="pca", dps=DPS, route="algebraic")
    _close(lower, "0.06983500657507254")
    _close(upper, "3.2997012223697937")
    _close(theory.evaluate("threshold", model, method="pca", dps=DPS, route="algebraic"), "0.84897245563311447")
    spiked = Model("1/2", LAM, 4, "1:1", scale_law=RHOS[0])
    _close(theory.evaluate("outlier", spiked, method="pca", dps=DPS, route="algebraic"), "5.7950011704117285")


def test_masked_gen_error_matches_oracle():
    """ν = ½δ₁ + ½δ₆, γ = 1/2, λ = 1/10, ρ = ½δ_{1/2} + ½δ_{3/2}, masked p = q = 3/10, diagonal basis."""
    model = Model("1/2", LAM, 0, NUS[0], "diagonal", MASK, scale_law=RHOS[0])
    value = theory.evaluate("gen-error", model, method="masked", dps=DPS, route="algebraic")
    _close(value, "4.56918009711641827818327897196", digits=MIN_DIGITS)


def test_split_pca_bulk_both_intervals():
    """ν = δ₁, γ = 1/2, ρ = 0.9δ_{1/2} + 0.1δ_{11/2}: the PCA bulk has two intervals, and each passes the
    invariant (the route checks it before returning)."""
    model = Model("1/2", LAM, 0, "1:1", scale_law=RHOS[1])
    found = theory.evaluate("edges", model, method="pca", dps=DPS, route="algebraic")
    assert found.split and len(found.intervals) == 2
    (a, b), (c, d) = found.intervals
    assert a < b < c < d


# --- refusals ------------------------------------------------------------------------------------

def test_continuous_scale_law_refused():
    model = Model("1/2", LAM, 0, "1:1", scale_law="uniform(1/2,3/2)")
    with pytest.raises(BadParameter, match="discrete scale law"):
        theory.evaluate("m", model, dps=DPS, route="algebraic")


def test_too_large_elliptical_system_refused():
    rho = ",".join(f"{k}/4:1/{algebraic.MAX_SCALE_ATOMS + 1}" for k in range(1, algebraic.MAX_SCALE_ATOMS + 2))
    model = Model("1/2", LAM, 0, "1:1", scale_law=rho)
    with pytest.raises(BadParameter, match="scale law of at most"):
        theory.evaluate("m", model, dps=DPS, route="algebraic")
    big = Model("1/2", LAM, 0, "1:1/4,2:1/4,3:1/4,4:1/4", scale_law=RHOS[0])
    with pytest.raises(BadParameter, match="degree"):
        theory.evaluate("edges", big, dps=DPS, route="algebraic")


@pytest.mark.parametrize("model", [
    Model("2", "1/10", noise="1:3/5,6:2/5", scale_law="1:1/2,3:1/2"),
    Model("8", "1", noise="1:3/10,4:7/10", mask_ratio="3/10", scale_law="1:1/2,2:1/2"),
])
def test_an_atom_of_weight_above_one_over_gamma_both_routes(model):
    """Elliptical data, diagonal basis, ``γ w_i > 1``: an atom of ``T`` at the shift ``h_i`` among the
    intervals (the float64 walks step over it); the two routes give the same two intervals."""
    alg, fp = (theory.evaluate("edges", model, dps=DPS, route=route) for route in ("algebraic", "fixed-point"))
    assert len(alg.intervals) == len(fp.intervals) == 2, (alg.intervals, fp.intervals)
    for got, want in zip(alg.intervals, fp.intervals):
        for a, b in zip(got, want):
            assert _digits(a, b) >= MIN_DIGITS, (alg.intervals, fp.intervals)
