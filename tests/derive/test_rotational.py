r"""Closed forms of :mod:`derive.rotational` against the fixed point and a Monte Carlo simulation.

References: :mod:`numerics.fixedpoint` (rotational basis: scalar ``D̄ = m̄``; its ``train_error``
differentiates ``m̄(λ)`` numerically, independently of the implicit differentiation done here)
and :func:`numerics.simulate.simulate` (Haar-rotated Gaussian data; statistical tolerances
``k·stderr``, valid for any seed).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

from derive import isotropic, rotational
from derive.equations import ISOTROPIC, sample_covariance, spike_secular
from derive.heteroscedastic import TWO_ATOM, ell, pca_threshold_condition, s1, s2, w
from derive.symbols import delta, gamma, lam, u, z
from numerics import fixedpoint, theory
from numerics.model import Model
from numerics.simulate import simulate

DPS = 30
TWO = "1:1/2,6:1/2"
THREE = "1/2:1/3,2:1/3,5:1/3"


def _fixed(quantity, model, **kwargs):
    """The fixed-point route of :func:`numerics.theory.evaluate` (the numerical side of these checks)."""
    return theory.evaluate(quantity, model, route="fixed-point", **kwargs)


def _law(noise: str):
    return tuple((sp.Rational(str(a)), sp.Rational(str(b))) for a, b in Model(1, 1, noise=noise).noise)


def _evaluate(expr, model: Model, dps: int = DPS):
    """``expr`` (in δ, γ, λ and the law's numbers) at ``model``, with δ from the (E1) fixed point."""
    point = {gamma: sp.Rational(str(model.gamma)), lam: sp.Rational(str(model.lam))}
    with mp.workdps(dps + 10):
        value = fixedpoint.delta_ridge(model, dps=dps + 10)
        return sp.lambdify(delta, expr.subs(point), modules="mpmath")(value)


def _agree(got, want, digits):
    assert abs(got - want) <= mp.mpf(10) ** -digits * abs(want), (mp.nstr(got, 30), mp.nstr(want, 30))


def test_affine_map_for_symbolic_and_numeric_laws():
    assert rotational.affine_map(TWO_ATOM) == rotational.mbar * (z + lam)
    assert rotational.affine_map(_law(THREE)) == rotational.mbar * (z + lam)


def test_affine_identities_symbolically():
    """Independent restatement of the identities at u = m̄(z+λ), for the symbolic two-atom law."""
    mbar = rotational.mbar
    eq_T, g_T = sample_covariance(TWO_ATOM, u, mbar, lam * mbar)
    eq_S, g_S = sample_covariance(TWO_ATOM, z)
    at = {u: rotational.affine_map(TWO_ATOM)}
    assert sp.cancel(eq_T.rhs.subs(at) - eq_S.rhs) == 0
    assert sp.cancel(g_T.subs(at) * mbar - g_S) == 0
    secular_T = spike_secular(TWO_ATOM, u, mbar, lam * mbar)
    assert sp.cancel(secular_T.subs(at) - spike_secular(TWO_ATOM, z)) == 0
    # a scale that differs between atoms (as in the diagonal basis) breaks the identity
    eq_D, _ = sample_covariance(TWO_ATOM, u, lambda a: mbar * a, lambda a: lam * mbar * a)
    point = {s1: 1, s2: 6, w: sp.Rational(1, 2), gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5), mbar: 2,
             z: 3, delta: sp.Rational(-1, 3)}
    assert (eq_D.rhs.subs(at) - eq_S.rhs).subs(point) != 0


@pytest.mark.parametrize("point", [mp.mpc(3, "0.4"), mp.mpc("1.8", "0.05"), mp.mpc(15, 2)])
def test_fixed_point_of_t_is_the_affine_image(point):
    """δ_T(m̄(z+λ)) = δ_S(z) and g_T = g_S/m̄ for the numerical fixed points (rotational basis)."""
    rot = Model("1/2", "1/5", noise=TWO, basis="rotational")
    with mp.workdps(DPS + 10):
        mbar = _fixed("m", rot, dps=DPS + 10)
        T, S = fixedpoint.Spectral(rot, "ssr"), fixedpoint.Spectral(rot, "pca")
        image = mbar * (point + rot.mp("lam"))
        dT, dS = T.solve(image), S.solve(point)
        _agree(dT, dS, DPS)
        _agree(T.g(dT, image) * mbar, S.g(dS, point), DPS)


@pytest.mark.parametrize("noise, g_, l_", [(TWO, "1/2", "1/5"), (TWO, "1/2", "2"), (THREE, "3/10", "1/5"),
                                           (TWO, "2", "1/2")])
def test_threshold_equals_pca_threshold(noise, g_, l_):
    """Rotational SSR threshold = PCA threshold (fixed point, any λ) = derived implicit value."""
    critical = rotational.threshold(_law(noise))
    edge, _ = pca_threshold_condition(_law(noise))
    with mp.workdps(DPS + 10):
        point = {gamma: sp.Rational(g_)}
        edge_f = sp.lambdify(ell, edge.subs(point), modules="mpmath")
        lower = max(mp.mpf(a.p) / a.q for a, _ in _law(noise)) * (1 + mp.mpf(10) ** -25)
        upper = 1000 * lower
        for _ in range(80):
            middle = (lower + upper) / 2
            lower, upper = (middle, upper) if edge_f(middle) < 0 else (lower, middle)
        ell_e = mp.findroot(edge_f, (lower + upper) / 2)
        value = sp.lambdify(ell, critical.subs(point), modules="mpmath")(ell_e)
    ssr = _fixed("threshold", Model(g_, l_, noise=noise, basis="rotational"), method="ssr", dps=DPS)
    pca = _fixed("threshold", Model(g_, l_, noise=noise), method="pca", dps=DPS)
    _agree(ssr, pca, DPS - 5)
    _agree(value, pca, DPS - 5)


def test_isotropic_threshold_is_sqrt_gamma():
    assert sp.simplify(rotational.threshold(ISOTROPIC).subs(ell, (1 + sp.sqrt(gamma))) - sp.sqrt(gamma)) == 0


@pytest.mark.parametrize("theta_", ["6", "9"])
def test_outlier_is_image_of_pca_outlier(theta_):
    rot = Model("1/2", "1/5", theta=theta_, noise=TWO, basis="rotational")
    amap = rotational.eigenvalue_map(TWO_ATOM)
    z_star = _fixed("outlier", Model("1/2", "1/5", theta=theta_, noise=TWO), method="pca", dps=DPS)
    with mp.workdps(DPS + 10):
        mbar = _fixed("m", rot, dps=DPS + 10)
        value = sp.lambdify((rotational.mbar, lam, z), amap, modules="mpmath")(mbar, rot.mp("lam"), z_star)
    _agree(_fixed("outlier", rot, method="ssr", dps=DPS), value, DPS - 5)


ERROR_CASES = [(TWO, "1/2", "1/5"), (TWO, "2", "1/2"), (THREE, "3/10", "1"), (THREE, "3", "1/10")]


@pytest.mark.parametrize("noise, g_, l_", ERROR_CASES)
def test_errors_match_fixed_point(noise, g_, l_):
    law = _law(noise)
    rot = Model(g_, l_, noise=noise, basis="rotational")
    _agree(_evaluate(rotational.gen_error(law), rot), _fixed("gen-error", rot, dps=DPS), DPS - 3)
    # fixedpoint differentiates m̄(λ) numerically: an independent check of the implicit δ'(λ)
    _agree(_evaluate(rotational.train_error(law), rot), _fixed("train-error", rot, dps=DPS), DPS - 5)


def test_delta_slope_matches_numerical_derivative():
    """Implicit δ'(λ) against a central difference of the (E1) fixed point (step 1e-12, error ~1e-24)."""
    lam0, step = Fraction(2, 9), Fraction(1, 10**12)
    slope = _evaluate(rotational.delta_slope(_law(THREE)), Model("3/7", lam0, noise=THREE))
    with mp.workdps(2 * DPS):
        ahead, behind = (fixedpoint.delta_ridge(Model("3/7", lam0 + sign * step, noise=THREE), dps=2 * DPS)
                         for sign in (1, -1))
        numeric = (ahead - behind) / (2 * mp.mpf(step.numerator) / step.denominator)
    _agree(slope, numeric, 20)
    assert slope < 0  # more ridge, smaller δ


@pytest.mark.parametrize("name", ["gen-error", "train-error"])
def test_isotropic_law_reduces_to_isotropic_closed_forms(name):
    derived = {"gen-error": rotational.gen_error, "train-error": rotational.train_error}[name](ISOTROPIC)
    closed = {"gen-error": isotropic.gen_error, "train-error": isotropic.train_error}[name]()
    for g_, l_ in [("1/2", "1/5"), ("3", "1/10")]:
        model = Model(g_, l_)
        with mp.workdps(DPS + 10):
            want = sp.lambdify((gamma, lam), closed, modules="mpmath")(model.mp("gamma"), model.mp("lam"))
        _agree(_evaluate(derived, model), want, DPS - 5)


@pytest.mark.parametrize("name", ["gen-error", "train-error"])
def test_errors_match_simulation(name):
    """Haar-rotated Gaussian data, d = 240, 12 replicas with Richardson extrapolation in 1/d."""
    law = _law(TWO)
    model = Model("1/2", "1/5", noise=TWO, basis="rotational")
    expr = {"gen-error": rotational.gen_error, "train-error": rotational.train_error}[name](law)
    want = _evaluate(expr, model)
    result = simulate(name, model, d=240, seeds=12, extrapolate=True)
    assert abs(result.mean - float(want)) < 4 * result.stderr, (result.mean, result.stderr, want)
