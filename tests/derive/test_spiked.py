r"""Closed forms of :mod:`derive.spiked` against (E3)–(E4) and the BBP / Paul (2007) oracles.

Oracles (typed by hand, tests only), for ``Σ = I + θvvᵀ`` and ``γ = d/n``:

- Baik, Ben Arous & Péché (2005); Baik & Silverstein (2006): threshold ``θ_c = √γ``; above it
  the top eigenvalue of ``S`` tends to ``(1+θ)(1+γ/θ)``, below it to the edge ``(1+√γ)²``;
- Paul (2007): ``cos²(v, top eigenvector of S) → (1 − γ/θ²)/(1 + γ/θ)`` above, 0 below;
- isotropic SSR: ``Â ≍ I − R/m`` has the eigenvectors of ``S`` and eigenvalues
  ``a = 1 − 1/(m(s+λ))`` (increasing in ``s``), so its outlier is the image of the PCA one,
  its threshold is ``√γ`` and its overlap is Paul's.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

from derive import isotropic, spiked
from derive.symbols import delta, gamma, lam, m, theta, u, z

DPS = 60
DIGITS = 45


def _mpf(q: Fraction):
    return mp.mpf(q.numerator) / q.denominator


def mp_stieltjes(g, l):
    """Marchenko–Pastur Stieltjes transform at −λ (Bai & Silverstein 2010, ch. 3), positive root."""
    b = 1 - g + l
    return (-b + mp.sqrt(b * b + 4 * g * l)) / (2 * g * l)


def bbp_outlier(g, t):
    """Baik–Ben Arous–Péché (2005) outlier ``(1+θ)(1+γ/θ)``."""
    return (1 + t) * (1 + g / t)


def paul_overlap(g, t):
    """Paul (2007) squared overlap ``(1 − γ/θ²)/(1 + γ/θ)``."""
    return (1 - g / t**2) / (1 + g / t)


def _num(expr, values):
    """``expr`` at exact rationals ``values`` (dict symbol → Fraction), by SymPy to DPS digits."""
    subs = {sym: sp.Rational(v.numerator, v.denominator) for sym, v in values.items()}
    value = sp.N(expr.subs(subs), DPS)
    assert value.is_number and sp.im(value) == 0, value
    return mp.mpmathify(str(value))


def _agree(got, want, digits=DIGITS):
    scale = abs(want) if want != 0 else 1
    assert abs(got - want) <= mp.mpf(10) ** -digits * scale, (mp.nstr(got, 50), mp.nstr(want, 50))


# (γ, λ, θ) with θ above √γ, on both sides of γ = 1 and over four decades of λ
ABOVE = [
    (Fraction(1, 10), Fraction(1, 1000), Fraction(3, 5)),
    (Fraction(3, 7), Fraction(2, 9), Fraction(7, 4)),
    (Fraction(1, 2), Fraction(1, 5), Fraction(2)),
    (Fraction(2), Fraction(3), Fraction(3)),
    (Fraction(5), Fraction(1, 1000), Fraction(5)),
    (Fraction(13, 3), Fraction(11, 2), Fraction(31, 10)),
]


@pytest.mark.parametrize("method", spiked.METHODS)
def test_threshold_is_sqrt_gamma(method):
    assert sp.simplify(spiked.threshold(method) - sp.sqrt(gamma)) == 0


def test_pca_outlier_and_overlap_match_bbp_and_paul_symbolically():
    assert sp.simplify(spiked.outlier("pca") - (1 + theta) * (1 + gamma / theta)) == 0
    assert sp.simplify(spiked.overlap("pca") - (1 - gamma / theta**2) / (1 + gamma / theta)) == 0


def test_theory_checkpoints_are_exact():
    """The spiked checkpoint of docs/theory.md, γ = 1/2, θ = 2: PCA outlier (1+θ)(1+γ/θ) = 15/4 = 3.75 and
    Paul's overlap (1 − γ/θ²)/(1 + γ/θ) = 7/10 = 0.7, as exact rationals."""
    point = {gamma: sp.Rational(1, 2), theta: 2}
    outlier = sp.simplify(spiked.outlier("pca").subs(point))
    overlap = sp.simplify(spiked.overlap("pca").subs(point))
    assert outlier == sp.Rational(15, 4) and outlier.is_Rational
    assert overlap == sp.Rational(7, 10) and overlap.is_Rational
    # the SSR overlap is the same (shared eigenvectors); it does not depend on λ
    assert sp.simplify(spiked.overlap("ssr").subs(point)) == sp.Rational(7, 10)


@pytest.mark.parametrize("g, l, t", ABOVE)
def test_ssr_outlier_is_image_of_bbp_outlier(g, l, t):
    values = {gamma: g, lam: l, theta: t}
    with mp.workdps(DPS):
        G, L, T = _mpf(g), _mpf(l), _mpf(t)
        want = 1 - 1 / (mp_stieltjes(G, L) * (bbp_outlier(G, T) + L))
        _agree(_num(spiked.outlier("ssr"), values), want)
        _agree(_num(spiked.overlap("ssr"), values), paul_overlap(G, T))
        _agree(_num(spiked.outlier("pca"), values), bbp_outlier(G, T))
        _agree(_num(spiked.overlap("pca"), values), paul_overlap(G, T))


@pytest.mark.parametrize("g, l, t", ABOVE)
@pytest.mark.parametrize("method", spiked.METHODS)
def test_outlier_above_edge_and_overlap_in_unit_interval(method, g, l, t):
    values = {gamma: g, lam: l, theta: t}
    edge = isotropic.ssr_edges()[1] if method == "ssr" else isotropic.mp_edges()[1]
    with mp.workdps(DPS):
        assert _num(spiked.outlier(method), values) > _num(edge, values)
        assert 0 < _num(spiked.overlap(method), values) < 1


@pytest.mark.parametrize("method", spiked.METHODS)
def test_continuity_at_threshold(method):
    """At θ = θ_c the outlier meets the upper edge and the overlap vanishes (symbolically)."""
    edge = isotropic.ssr_edges()[1] if method == "ssr" else isotropic.mp_edges()[1]
    at_threshold = {theta: spiked.threshold(method)}
    assert sp.simplify(spiked.outlier(method).subs(at_threshold) - edge) == 0
    assert sp.simplify(spiked.overlap(method).subs(at_threshold)) == 0
    # and the outlier touches the edge tangentially: d(outlier)/dθ = 0 at θ_c (BBP: 1 − γ/θ² = 0)
    assert sp.simplify(sp.diff(spiked.outlier(method), theta).subs(at_threshold)) == 0


@pytest.mark.parametrize("method", spiked.METHODS)
def test_outlier_solves_secular_system(method):
    """(u*, δ*) is a common zero of the (E3) and (E4) numerators, exactly."""
    F, G, _ = spiked.secular_system(method)
    spectral = z if method == "pca" else u
    star, delta_star = spiked.outlier_spectral(method)
    point = {spectral: star, delta: delta_star}
    assert sp.simplify(F.subs(point)) == 0
    assert sp.simplify(G.subs(point)) == 0


@pytest.mark.parametrize("g, l, t", ABOVE[:3] + ABOVE[4:5])
@pytest.mark.parametrize("method", spiked.METHODS)
def test_edge_delta_is_a_double_root(method, g, l, t):
    """At the upper edge, (E3) holds and is stationary in δ (``F = ∂_δF = 0``); the edge is the
    oracle ``(1+√γ)²`` (pca) or ``m((1+√γ)² + λ)`` (ssr: T = m(S + λ))."""
    F, _, _ = spiked.secular_system(method)
    spectral = z if method == "pca" else u
    delta_e, upper = spiked.edge_delta(method)
    closed_m = isotropic.stieltjes_m()
    values = {gamma: g, lam: l, theta: t}
    point = {spectral: upper, delta: delta_e}
    with mp.workdps(DPS):
        G, L = _mpf(g), _mpf(l)
        for expr in (F, sp.diff(F, delta)):
            assert abs(_num(expr.subs(point).subs(m, closed_m), values)) < mp.mpf(10) ** -DIGITS
        edge = (1 + mp.sqrt(G)) ** 2
        want = edge if method == "pca" else mp_stieltjes(G, L) * (edge + L)
        _agree(_num(upper.subs(m, closed_m), values), want)


@pytest.mark.parametrize("method", spiked.METHODS)
def test_threshold_is_where_outlier_delta_meets_edge_delta(method):
    delta_e, _ = spiked.edge_delta(method)
    _, delta_star = spiked.outlier_spectral(method)
    for g in (Fraction(1, 10), Fraction(5)):
        point = {gamma: sp.Rational(g.numerator, g.denominator)}
        gap = (delta_star - delta_e).subs(theta, spiked.threshold(method)).subs(point)
        assert sp.simplify(gap) == 0
