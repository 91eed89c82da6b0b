r"""Closed forms of :mod:`derive.isotropic` against their defining equations and textbook oracles.

Every closed form is checked two ways: it satisfies the equation it was derived from (exactly,
or at random rational points to 45 digits), and it equals an independent, hand-typed textbook
formula (the oracles below; each names its source). Hand-typed formulas live only here.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from derive import isotropic
from derive.equations import ISOTROPIC, first_order, kappa, mean_resolvent
from derive.symbols import delta, gamma, lam, m, s, z

DPS = 60     # working precision of the numerical comparisons
DIGITS = 45  # digits of agreement required ("40+ digits")


# --- independent oracles (typed by hand; tests only) ---------------------------------------

def mp_stieltjes(g, l):
    """Marchenko–Pastur Stieltjes transform at ``−λ``: the positive root of
    ``γλm² + (1 + λ − γ)m − 1 = 0``, i.e. ``m = (−(1−γ+λ) + √((1−γ+λ)² + 4γλ))/(2γλ)``.

    Source: Marchenko & Pastur (1967); Bai & Silverstein (2010), *Spectral Analysis of Large
    Dimensional Random Matrices*, ch. 3: ``m(z) = (1 − y − z + √((z−1−y)² − 4y))/(2yz)``
    at ``z = −λ``, valid for every ``y = γ > 0`` (the atom at 0 included).
    """
    b = 1 - g + l
    return (-b + mp.sqrt(b * b + 4 * g * l)) / (2 * g * l)


def mp_edges(g):
    """Marchenko–Pastur edges ``(1 ∓ √γ)²`` (Marchenko & Pastur 1967)."""
    return (1 - mp.sqrt(g)) ** 2, (1 + mp.sqrt(g)) ** 2


def mp_density(g, t):
    """Marchenko–Pastur density ``√((x₊−x)(x−x₋))/(2πγx)`` of the continuous part (same source)."""
    lower, upper = mp_edges(g)
    return mp.sqrt((upper - t) * (t - lower)) / (2 * mp.pi * g * t)


def ssr_map(g, l, t):
    """Isotropic SSR eigenvalue map ``a = 1 − 1/(m(s+λ))`` (``Â ≍ I − R/m``, ``R = (S+λ)^{-1}``)."""
    return 1 - 1 / (mp_stieltjes(g, l) * (t + l))


# --- helpers ------------------------------------------------------------------------------

def _mpf(q: Fraction):
    return mp.mpf(q.numerator) / q.denominator


def _num(expr, **values):
    """``expr`` at exact rational ``values`` (keyword = symbol name), evaluated by SymPy to DPS digits."""
    symbols = {sym.name: sym for sym in expr.free_symbols}
    subs = {symbols[name]: sp.Rational(v.numerator, v.denominator)
            for name, v in values.items() if name in symbols}
    value = sp.N(expr.subs(subs), DPS)
    assert value.is_number, f"{expr} still has free symbols after {subs}"
    return mp.mpmathify(str(sp.re(value))) if sp.im(value) == 0 else mp.mpc(str(sp.re(value)), str(sp.im(value)))


def _agree(got, want, digits=DIGITS):
    """``got`` and ``want`` agree to ``digits`` significant digits (absolutely when ``want`` = 0)."""
    scale = abs(want) if want != 0 else 1
    assert abs(got - want) <= mp.mpf(10) ** -digits * scale, (mp.nstr(got, 50), mp.nstr(want, 50))


def _points(seed: int, regime: str, count: int = 3):
    """Random rational ``(γ, λ)``: ``γ`` in (0, 1) or (1, 10) by regime, ``λ`` over five decades."""
    rng = np.random.default_rng([seed, int(regime == "gamma>1")])
    points = []
    for _ in range(count):
        p, q = sorted(int(v) for v in rng.choice(np.arange(1, 97), size=2, replace=False))
        g = Fraction(p, q) if regime == "gamma<1" else 1 + Fraction(9 * p, q)
        l = Fraction(int(rng.integers(1, 1000)), int(rng.integers(1, 1000))) * Fraction(10) ** int(rng.integers(-3, 2))
        points.append((g, l))
    return points


POINTS = [pt for seed in (0, 1) for regime in ("gamma<1", "gamma>1") for pt in _points(seed, regime)]


def _bulk_points(g):
    """Five points strictly inside the Marchenko–Pastur bulk, at exact rational fractions of it."""
    lower, upper = mp_edges(_mpf(g))
    return [lower + (upper - lower) * mp.mpf(j) / 7 for j in (1, 2, 3, 5, 6)]


# --- the Stieltjes transform m(λ, γ) --------------------------------------------------------

def test_quadratic_is_e1_with_delta_gamma_m():
    """(E1) and m̄ with δ = γm reduce to the quadratic: identical rational functions of m."""
    quadratic = isotropic.stieltjes_quadratic()
    # m̄(δ = γm) − m = −quadratic/(1 + λ + γλm): the same zero set for m > 0
    eq = mean_resolvent(ISOTROPIC).subs(delta, gamma * m) - m
    assert sp.expand(sp.cancel(eq * (1 + lam + gamma * lam * m)) + quadratic) == 0
    # the quadratic as printed in the docstring
    assert sp.expand(quadratic - (gamma * lam * m**2 + (1 + lam - gamma) * m - 1)) == 0


def test_closed_m_solves_quadratic_symbolically():
    quadratic = isotropic.stieltjes_quadratic()
    assert sp.simplify(sp.expand(quadratic.subs(m, isotropic.stieltjes_m()))) == 0


@pytest.mark.parametrize("g, l", POINTS)
def test_closed_m_satisfies_defining_equations(g, l):
    """Quadratic residual and (E1) residual with δ = γm vanish to 45 digits at random rationals."""
    with mp.workdps(DPS):
        value = _num(isotropic.stieltjes_m(), gamma=g, lambda_=l) if False else _num(
            isotropic.stieltjes_m(), **{"gamma": g, "lambda": l})
        G, L = _mpf(g), _mpf(l)
        assert abs(G * L * value**2 + (1 + L - G) * value - 1) < mp.mpf(10) ** -DIGITS
        e1 = first_order(ISOTROPIC)
        residual = (e1.lhs - e1.rhs).subs(delta, gamma * isotropic.stieltjes_m())
        assert abs(_num(residual, **{"gamma": g, "lambda": l})) < mp.mpf(10) ** -DIGITS
        delta_value = _num(isotropic.delta_closed(), **{"gamma": g, "lambda": l})
        _agree(delta_value, G * value)


@pytest.mark.parametrize("g, l", POINTS)
def test_closed_m_matches_marchenko_pastur_oracle(g, l):
    with mp.workdps(DPS):
        _agree(_num(isotropic.stieltjes_m(), **{"gamma": g, "lambda": l}), mp_stieltjes(_mpf(g), _mpf(l)))


def test_theory_checkpoint_m():
    """The isotropic checkpoint of docs/theory.md: γ = 1/2, λ = 1/5 gives m = 1.2169905660283019057…

    Reference: mp_stieltjes(mpf(1)/2, mpf(1)/5) at mp.workdps(40) (the quadratic formula) =
    1.216990566028301905660330188811320358492. docs/theory.md and the CLI docs
    quote the float64-rounded value 1.2169905660283016, consistent to 15 digits.
    """
    with mp.workdps(40):
        oracle = mp_stieltjes(mp.mpf(1) / 2, mp.mpf(1) / 5)
        assert mp.nstr(oracle, 20) == "1.2169905660283019057"
        closed = _num(isotropic.stieltjes_m(), **{"gamma": Fraction(1, 2), "lambda": Fraction(1, 5)})
        _agree(closed, oracle, digits=39)
        _agree(mp.mpf(1.2169905660283016), oracle, digits=15)


@pytest.mark.parametrize("g", [Fraction(1, 3), Fraction(7, 2)])
@pytest.mark.parametrize("l", [Fraction(1, 10**6), Fraction(10**6)])
def test_branch_is_positive_root(g, l):
    """On both sides of γ = 1 and at both ends of λ the closed form is the positive root;
    the other root of the quadratic is negative (product of the roots is −1/(γλ))."""
    roots = sp.solve(isotropic.stieltjes_quadratic(), m)
    closed = isotropic.stieltjes_m()
    with mp.workdps(DPS):
        value = _num(closed, **{"gamma": g, "lambda": l})
        assert value > 0
        others = [_num(r, **{"gamma": g, "lambda": l}) for r in roots]
        assert sorted(others)[0] < 0
        _agree(sorted(others)[1], value)


def test_branch_large_lambda():
    """``λm → 1`` as ``λ → ∞`` (m ~ 1/λ) selects the branch; the other root has ``λm → −∞``."""
    assert sp.limit(lam * isotropic.stieltjes_m(), lam, sp.oo) == 1
    assert isotropic.large_ridge_limit("m") == 1
    other = [r for r in sp.solve(isotropic.stieltjes_quadratic(), m)
             if sp.simplify(r - isotropic.stieltjes_m()) != 0]
    assert len(other) == 1
    assert sp.limit(lam * other[0], lam, sp.oo) == -sp.oo


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("g, l", POINTS)
def test_errors_match_derivative_oracles(g, l):
    """E_gen = κ = −m'(λ)/m² and E_train = (m + λm')/m², m' by mpmath.diff of the oracle."""
    with mp.workdps(DPS):
        G, L = _mpf(g), _mpf(l)
        mm = mp_stieltjes(G, L)
        slope = mp.diff(lambda t: mp_stieltjes(G, t), L)
        values = {"gamma": g, "lambda": l}
        _agree(_num(isotropic.gen_error(), **values), -slope / mm**2)
        _agree(_num(isotropic.kappa_closed(), **values), -slope / mm**2)
        _agree(_num(isotropic.train_error(), **values), (mm + L * slope) / mm**2)
        # (E2) evaluated directly with δ = γm
        _agree(_num(kappa(ISOTROPIC).subs(delta, gamma * isotropic.stieltjes_m()), **values), -slope / mm**2)


@pytest.mark.parametrize("name, regime, expected", [
    ("m", "gamma<1", 1 / (1 - gamma)),
    ("m", "gamma>1", sp.oo),
    ("gen-error", "gamma<1", 1 / (1 - gamma)),
    ("gen-error", "gamma>1", gamma / (gamma - 1)),
    ("train-error", "gamma<1", 1 - gamma),
    ("train-error", "gamma>1", sp.Integer(0)),
])
def test_ridgeless_limits(name, regime, expected):
    """λ → 0⁺ (oracles: ridgeless least squares, e.g. Hastie, Montanari, Rosset & Tibshirani 2022)."""
    limit = isotropic.ridgeless_limit(name, regime)
    assert limit == expected or sp.simplify(limit - expected) == 0
    # and numerically: the closed form at λ = 10⁻³⁰ is within O(λ) of the limit
    g = Fraction(2, 5) if regime == "gamma<1" else Fraction(5, 2)
    if expected is not sp.oo:
        closed = {"m": isotropic.stieltjes_m, "gen-error": isotropic.gen_error,
                  "train-error": isotropic.train_error}[name]()
        with mp.workdps(DPS):
            value = _num(closed, **{"gamma": g, "lambda": Fraction(1, 10**30)})
            target = _num(expected, gamma=g) if expected.free_symbols else mp.mpf(expected)
            assert abs(value - target) < mp.mpf(10) ** -25


def test_ridgeless_m_for_gamma_above_one_is_the_atom():
    """For γ > 1, ``λm → 1 − 1/γ`` (the mass of the atom of S at 0)."""
    assert sp.simplify(isotropic.atom_mass()["gamma>1"] - (1 - 1 / gamma)) == 0
    assert isotropic.atom_mass()["gamma<1"] == 0
    with mp.workdps(DPS):
        value = _num(lam * isotropic.stieltjes_m(), **{"gamma": Fraction(5, 2), "lambda": Fraction(1, 10**30)})
        assert abs(value - (1 - mp.mpf(2) / 5)) < mp.mpf(10) ** -25


@pytest.mark.parametrize("name", ["m", "gen-error", "train-error"])
def test_large_ridge_limits(name):
    """λ → ∞: λm → 1 and both errors → 1 (Â → 0, so x − Âx → x)."""
    assert isotropic.large_ridge_limit(name) == 1


# --- the spectrum of S -----------------------------------------------------------------------

def test_mp_edges_match_oracle_and_are_ordered():
    lower, upper = isotropic.mp_edges()
    assert sp.simplify(lower - (1 - sp.sqrt(gamma)) ** 2) == 0
    assert sp.simplify(upper - (1 + sp.sqrt(gamma)) ** 2) == 0
    assert sp.simplify(upper - lower - 4 * sp.sqrt(gamma)) == 0  # upper > lower for every γ > 0
    for g in (Fraction(1, 10), Fraction(1, 2), Fraction(2), Fraction(5)):
        assert _num(lower, gamma=g) < _num(upper, gamma=g)


@pytest.mark.parametrize("g", [Fraction(1, 10), Fraction(1, 2), Fraction(2), Fraction(5)])
def test_mp_density_matches_oracle_and_is_positive(g):
    with mp.workdps(DPS):
        for t in _bulk_points(g):
            point = Fraction(mp.nstr(t, 50))
            value = _num(isotropic.mp_density(), gamma=g, x=point)
            assert value > 0
            _agree(value, mp_density(_mpf(g), _mpf(point)))


def test_resolvent_quadratic_vanishes_at_oracle_transform():
    """``g(z)`` of the Marchenko–Pastur law (Im g > 0 branch, Bai & Silverstein ch. 3) solves it at complex z."""
    quadratic = sp.lambdify((gamma, z, sp.Symbol("g")), isotropic.resolvent_quadratic(), modules="mpmath")
    with mp.workdps(DPS):
        for g, t in [(mp.mpf(1) / 2, mp.mpc(1, mp.mpf(1) / 3)), (mp.mpf(3), mp.mpc(-2, 1))]:
            roots = [(1 - g - t + sign * mp.sqrt((t - 1 - g) ** 2 - 4 * g)) / (2 * g * t) for sign in (1, -1)]
            value = [r for r in roots if mp.im(r) > 0]
            assert len(value) == 1
            assert abs(quadratic(g, t, value[0])) < mp.mpf(10) ** -DIGITS


# --- the spectrum of Â ---------------------------------------------------------------------

@pytest.mark.parametrize("g, l", POINTS[:6])
def test_ssr_map_matches_oracle_and_is_increasing(g, l):
    amap = isotropic.ssr_map()
    assert amap.free_symbols == {gamma, lam, s}
    with mp.workdps(DPS):
        values = []
        for t in (Fraction(0), Fraction(1, 3), Fraction(2), Fraction(17, 3)):
            value = _num(amap, **{"gamma": g, "lambda": l, "s": t})
            _agree(value, ssr_map(_mpf(g), _mpf(l), _mpf(t)))
            values.append(value)
        assert values == sorted(values) and len(set(values)) == len(values)


@pytest.mark.parametrize("g, l", POINTS[:6])
def test_ssr_edges_are_images_of_mp_edges(g, l):
    lower, upper = isotropic.ssr_edges()
    with mp.workdps(DPS):
        G, L = _mpf(g), _mpf(l)
        want = [ssr_map(G, L, e) for e in mp_edges(G)]
        got = [_num(e, **{"gamma": g, "lambda": l}) for e in (lower, upper)]
        assert got[0] < got[1] < 1
        _agree(got[0], want[0])
        _agree(got[1], want[1])


@pytest.mark.parametrize("g, l", [pt for pt in POINTS if pt[0] > 1][:3])
def test_ssr_atom(g, l):
    """γ > 1: atom of Â at ``1 − 1/(mλ)`` (image of s = 0) with mass ``1 − 1/γ``, below the bulk."""
    location, mass = isotropic.ssr_atom()
    assert sp.simplify(mass - (1 - 1 / gamma)) == 0
    with mp.workdps(DPS):
        G, L = _mpf(g), _mpf(l)
        value = _num(location, **{"gamma": g, "lambda": l})
        _agree(value, 1 - 1 / (mp_stieltjes(G, L) * L))
        assert value < _num(isotropic.ssr_edges()[0], **{"gamma": g, "lambda": l})


@pytest.mark.parametrize("g, l", POINTS[:6])
def test_ssr_density_is_pushforward_of_mp_oracle(g, l):
    """ρ_Â(a) = ρ_S(s(a)) ds/da with s(a) = 1/(m(1−a)) − λ, ds/da = 1/(m(1−a)²); positive inside."""
    with mp.workdps(DPS):
        G, L = _mpf(g), _mpf(l)
        mm = mp_stieltjes(G, L)
        for t in _bulk_points(g):
            point = Fraction(mp.nstr(ssr_map(G, L, t), 50))
            A = _mpf(point)
            value = _num(isotropic.ssr_density(), **{"gamma": g, "lambda": l, "a": point})
            assert value > 0
            _agree(value, mp_density(G, 1 / (mm * (1 - A)) - L) / (mm * (1 - A) ** 2))
