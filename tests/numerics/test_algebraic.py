"""numerics.algebraic: the (E1) polynomial, its selected root, and the refusals of the route.

Oracles: the (E1) equation itself in exact rational arithmetic (the polynomial must be its
numerator), the fixed-point route (Newton on one branch, :mod:`numerics.fixedpoint`) for ``δ``,
the closed route for the isotropic edges, and the defining property of a bulk edge (the (E3)
equation and its δ-derivative vanish there).
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath as mp
import pytest
import sympy as sp

from numerics import algebraic, estimators, fixedpoint, reduction, theory
from numerics.model import BadParameter, Model

DELTA, LAM = sp.symbols("delta lambda")
TWO = ((F(1), F(1, 2)), (F(6), F(1, 2)))
THREE = ((F(1, 2), F(1, 4)), (F(2), F(1, 4)), (F(5), F(1, 2)))


def _rational(x: F):
    return sp.Rational(x.numerator, x.denominator)


def _agree(x, y, digits):
    assert abs(x - y) <= mp.mpf(10) ** (-digits) * max(abs(y), 1), (x, y)


# --- the (E1) polynomial -----------------------------------------------------------------------

@pytest.mark.parametrize("noise", [((F(1), F(1)),), TWO, THREE])
@pytest.mark.parametrize("gamma", [F(1, 2), F(3)])
def test_e1_polynomial_degree_and_exact_coefficients(noise, gamma):
    poly = algebraic.e1_polynomial(noise, gamma)
    assert poly.degree(DELTA) == len(noise) + 1
    assert poly.domain == sp.QQ and poly.LC() > 0
    assert all(isinstance(c, sp.Rational) for c in poly.coeffs())


@pytest.mark.parametrize("noise, gamma", [(TWO, F(1, 2)), (THREE, F(3))])
def test_e1_polynomial_is_the_numerator_of_e1(noise, gamma):
    """``F(δ, λ) = k (δ − γ Σ w s/(s/(1+δ) + λ)) Π_i (s_i + λ(1+δ))`` with one constant ``k ≠ 0``:
    checked in exact rationals at several points ``(δ, λ)``."""
    poly = algebraic.e1_polynomial(noise, gamma)
    ratios = set()
    for d, l in ((F(1, 3), F(1, 5)), (F(2), F(7, 4)), (F(5, 9), F(1, 100)), (F(-1, 7), F(3))):
        e1 = d - gamma * sum(w * s / (s / (1 + d) + l) for s, w in noise)
        cleared = e1 * _product(s + l * (1 + d) for s, _ in noise)
        value = poly.eval({DELTA: _rational(d), LAM: _rational(l)})
        ratios.add(sp.Rational(value) / _rational(cleared))
    assert len(ratios) == 1 and ratios.pop() != 0


def _product(values):
    out = F(1)
    for v in values:
        out *= v
    return out


def test_e1_polynomial_isotropic_by_hand():
    """γ = 1/2, ``δ = (1/2)(1+δ)/(1 + λ(1+δ))`` times ``2(1 + λ(1+δ))``: ``2λδ² + 2λδ + δ − 1``."""
    poly = algebraic.e1_polynomial(((F(1), F(1)),), F(1, 2))
    assert sp.expand(poly.as_expr() - (2 * LAM * DELTA ** 2 + 2 * LAM * DELTA + DELTA - 1)) == 0


def test_e1_polynomial_with_a_scale_law():
    """Two scale atoms (J = 2) and two law atoms (K = 2): degree ``KJ + 1 = 5``; the scale law ``δ₁``
    gives the Gaussian polynomial."""
    scale = ((F(2, 3), F(1, 2)), (F(4, 3), F(1, 2)))
    poly = algebraic.e1_polynomial(TWO, F(1, 2), scale=scale)
    assert poly.degree(DELTA) == 5 and poly.domain == sp.QQ
    assert algebraic.e1_polynomial(TWO, F(1, 2), scale=((F(1), F(1)),)) == algebraic.e1_polynomial(TWO, F(1, 2))


def test_e1_polynomial_has_one_positive_root():
    poly = algebraic.e1_polynomial(THREE, F(3))
    in_delta = sp.Poly(poly.as_expr().subs(LAM, sp.Rational(1, 10)), DELTA)
    real = [r for r in sp.real_roots(in_delta)]
    assert sum(1 for r in real if r > 0) == 1


# --- δ: the selected root against the fixed point ---------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(gamma="1/2", lam="1/5", noise="1:1/2,6:1/2"),
    dict(gamma="3", lam="1/100", noise="1/2:1/4,2:1/4,5:1/2"),
    dict(gamma="2", lam="1/5", noise="1:1/2,6:1/2", basis="rotational", mask_ratio="0.3"),
    dict(gamma="1/2", lam="1/5", noise="1:1/2,6:1/2", mask_ratio="0.3"),
    dict(gamma="1/2", lam="1/5", noise="1:1/2,6:1/2", scale_law="1:1/2,2:1/2"),      # elliptical
    dict(gamma="2", lam="1/10", noise="1:1/2,6:1/2", scale_law="1:1/3,2:1/3,4:1/3"),  # elliptical, J = 3
])
def test_delta_equals_the_fixed_point(kwargs):
    model = Model(**kwargs)
    est = estimators.select("ssr", model)
    with mp.workdps(30 + reduction.GUARD):
        _agree(algebraic.delta(model, est, 30), fixedpoint.delta(model, est, 30), 28)


def test_delta_slope_equals_the_numerical_derivative():
    """``δ'(λ) = −∂_λF/∂_δF`` against :func:`mpmath.diff` of the root of (E1) itself in ``λ``
    (``δ − Σ w s/(2(s/(1+δ) + λ)) = 0`` solved by :func:`mpmath.findroot`, no polynomial)."""
    model = Model("1/2", "1/5", noise="1:1/2,6:1/2")
    with mp.workdps(40):
        def root(lam):
            e1 = lambda d: d - (1 / (1 / (1 + d) + lam) + 6 / (6 / (1 + d) + lam)) / 4  # noqa: E731
            return mp.findroot(e1, mp.mpf("0.7"))
        expected = mp.diff(root, mp.mpf(1) / 5)
        assert root(mp.mpf(1) / 5) > 0
        _agree(algebraic.delta_slope(model, "ssr", 25), expected, 25)


def test_pca_has_no_delta():
    assert algebraic.delta(Model("1/2", "1/5", noise="1:1/2,6:1/2"), "pca", 20) == 0


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, says", [
    (dict(noise="uniform(1,6)"), "discrete law"),
    (dict(noise="powerlaw(1,1,6)"), "discrete law"),
    (dict(noise=",".join(f"{k}:1/9" for k in range(1, 10))), "at most 8 atoms"),
    (dict(noise="1:1/2,6:1/2", scale_law="uniform(1,3)"), "discrete scale law"),
    (dict(noise="1:1", scale_law=",".join(f"{k}:1/7" for k in range(1, 8))), "at most 6 atoms"),
    (dict(noise="1:1/4,2:1/4,3:1/4,4:1/4", scale_law="1:1/2,2:1/2"), r"K\(2KJ\+1\) <= 50"),
])
def test_refusals_are_one_line_naming_the_route(kwargs, says):
    model = Model("1/2", "1/5", **kwargs)
    with pytest.raises(BadParameter, match=says) as info:
        algebraic.delta(model, "ssr", 20)
    assert info.value.name == "route" and "\n" not in str(info.value)


# --- (E3): edges -------------------------------------------------------------------------------

def test_isotropic_edges_equal_the_closed_route():
    model = Model("1/2", "1/5")
    algebraic_edges = theory.evaluate("edges", model, dps=25, route="algebraic")
    closed_edges = theory.evaluate("edges", model, dps=25, route="closed")
    for x, y in zip(algebraic_edges, closed_edges):
        _agree(x, y, 23)


def test_upper_edge_solves_the_edge_equations():
    """At a bulk edge ``(δ₊, t₊)`` of ``T``, (E3) and its δ-derivative both vanish (shared system)."""
    model = Model("1/2", "1/5", noise="1:1/2,6:1/2")
    (_, delta_edge), (lower, upper) = algebraic.edges_t(model, "ssr", 20)
    assert lower < upper
    with mp.workdps(20 + reduction.GUARD):
        system = algebraic.system(model, "ssr", 20)
        assert abs(system.equation(delta_edge, upper)) < mp.mpf(10) ** -22
        assert abs(system.d_equation(delta_edge, upper)) < mp.mpf(10) ** -22
