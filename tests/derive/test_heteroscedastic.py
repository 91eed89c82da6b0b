r"""Closed forms of :mod:`derive.heteroscedastic` against the independent fixed-point solvers.

Every numeric reference comes from :mod:`numerics.fixedpoint` (mpmath Newton on the encoded
(E1)–(E4), no closed form): ``Spectral(model, method).solve(u)``/``.g`` for the Stieltjes
transform, ``edges`` for the bulk edges and ``threshold`` for the BBP threshold. The derived
SymPy expressions are evaluated with :func:`sympy.lambdify` (``modules="mpmath"``) or by exact
substitution, never retyped.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

from derive import heteroscedastic as het
from derive.equations import sample_covariance
from derive.symbols import delta, gamma, k, lam, s, theta, u, z
from numerics import fixedpoint, theory
from numerics.model import Model

DPS = 40

TWO = "1:1/2,6:1/2"  # ν = ½δ₁ + ½δ₆: a bulk that splits into two intervals at γ = 1/2
THREE = "1/2:1/3,2:1/3,5:1/3"


def _fixed(quantity, model, **kwargs):
    """The fixed-point route of :func:`numerics.theory.evaluate` (the numerical side of these checks)."""
    return theory.evaluate(quantity, model, route="fixed-point", **kwargs)


def _exact(value) -> sp.Rational:
    """The binary rational held by an ``mpf`` (exact, so SymPy expands without rounding)."""
    value = mp.mpf(value)
    return sp.Integer(int(value.man)) * sp.Integer(2) ** int(value.exp)


def _law(noise: str):
    """The exact law of ``noise`` as SymPy ``(s, w)`` pairs."""
    return tuple((sp.Rational(str(a)), sp.Rational(str(b))) for a, b in Model(1, 1, noise=noise).noise)


def _values(model: Model, method: str) -> dict:
    """Exact (binary-rational) values of the symbols of :func:`het.stieltjes_polynomial` for ``model``."""
    (s1, w1), (s2, _) = model.atoms()
    values = {het.s1: s1, het.s2: s2, het.w: w1, gamma: model.mp("gamma"), lam: model.mp("lam")}
    if method == "ssr":
        terms = fixedpoint.Spectral(model, "ssr").terms
        values.update({het.D1: terms[0][1], het.D2: terms[1][1]})
    return {symbol: _exact(value) for symbol, value in values.items()}


def _real_roots(poly_expr, variable, values):
    """Real roots (mpf) of the polynomial ``poly_expr`` in ``variable`` at exact ``values``."""
    poly = sp.Poly(sp.expand(poly_expr.xreplace(values)), variable)
    roots = mp.polyroots([mp.mpf(c.p) / c.q for c in poly.all_coeffs()], maxsteps=400, extraprec=400)
    return sorted(mp.re(r) for r in roots if abs(mp.im(r)) < mp.mpf(10) ** -(DPS - 5))


def _factors(expr, variable):
    """``[(polynomial factor, multiplicity)]`` of a factored expression, factors free of ``variable`` dropped."""
    result = []
    for factor in sp.Mul.make_args(expr):
        base, exponent = factor.as_base_exp()
        if variable in base.free_symbols:
            result.append((base, int(exponent)))
    return result


def _increasing_root(function, lower, upper):
    """The root of an increasing ``function`` on ``(lower, upper)``: bisection, then Newton; checked."""
    assert function(lower) < 0 < function(upper)
    for _ in range(60):
        middle = (lower + upper) / 2
        lower, upper = (middle, upper) if function(middle) < 0 else (lower, middle)
    root = mp.findroot(function, (lower + upper) / 2)
    assert lower <= root <= upper and abs(function(root)) < mp.mpf(10) ** -(mp.mp.dps - 10)
    return root


# ----------------------------------------------------------------------------- P(g, z) = 0

SPECTRAL_CASES = [
    (Fraction(1, 2), Fraction(1, 5), TWO, [mp.mpc(3, "0.4"), mp.mpc("1.8", "0.01"), mp.mpc(20, 1)]),
    (Fraction(3, 7), Fraction(2, 9), "1/3:2/5,4:3/5", [mp.mpc("0.9", "0.2"), mp.mpc(5, 2)]),
    (Fraction(2), Fraction(1, 2), TWO, [mp.mpc("0.5", "0.05"), mp.mpc(10, "0.5")]),
]


@pytest.mark.parametrize("method", het.METHODS)
@pytest.mark.parametrize("g_, l_, noise, points", SPECTRAL_CASES)
def test_fixed_point_g_satisfies_the_polynomial(method, g_, l_, noise, points):
    P = het.stieltjes_polynomial(method)
    spectral = z if method == "pca" else u
    model = Model(g_, l_, noise=noise)
    with mp.workdps(DPS + 10):
        values = _values(model, method)
        coefficients = [sp.lambdify(spectral, c.xreplace(values), modules="mpmath")
                        for c in sp.Poly(P, het.g).all_coeffs()[::-1]]
        system = fixedpoint.Spectral(model, method)
        for point in points:
            value = system.g(system.solve(point), point)
            terms = [c(point) * value**j for j, c in enumerate(coefficients)]
            scale = mp.fsum(abs(t) for t in terms)
            assert abs(mp.fsum(terms)) <= mp.mpf(10) ** -DPS * scale, (method, point)
            assert mp.im(value) > 0  # the physical branch


def test_pca_polynomial_matches_a_direct_resultant_in_delta():
    """Independent route: eliminate δ itself (not b = 1/(1+δ)) from PCA's own (E3) with sympy.resultant."""
    eq, g_expr = sample_covariance(het.TWO_ATOM, z)
    F = sp.numer(sp.together(eq.lhs - eq.rhs))
    G = sp.numer(sp.together(het.g - g_expr))
    direct = sp.factor_list(sp.resultant(F, G, delta))[1]
    P = het.stieltjes_polynomial("pca")
    assert any(sp.expand(f - P) == 0 or sp.expand(f + P) == 0 for f, _ in direct)


def test_ssr_polynomial_divides_a_direct_resultant_at_a_rational_point():
    point = {gamma: sp.Rational(2, 3), het.w: sp.Rational(1, 4), het.s1: sp.Rational(1, 2), het.s2: 3,
             het.D1: sp.Rational(5, 4), het.D2: sp.Rational(2, 7), lam: sp.Rational(1, 3)}
    scales = {point[het.s1]: point[het.D1], point[het.s2]: point[het.D2]}
    law = ((point[het.s1], point[het.w]), (point[het.s2], 1 - point[het.w]))
    eq, g_expr = sample_covariance(law, u, scale=lambda a: scales[a], shift=lambda a: point[lam] * scales[a])
    eq = eq.subs(gamma, point[gamma])
    direct = sp.resultant(sp.numer(sp.together(eq.lhs - eq.rhs)), sp.numer(sp.together(het.g - g_expr)), delta)
    P = sp.expand(het.stieltjes_polynomial("ssr").xreplace(point))
    quotient, remainder = sp.div(sp.Poly(direct, het.g, u), sp.Poly(P, het.g, u))
    assert remainder.is_zero and quotient.degree(het.g) == 0


def test_branches_at_infinity_are_real_and_distinct():
    """As z → ∞ the roots of P(·, z) tend to the roots of its leading coefficient in z: 0 (the physical
    g ~ −1/z) and −1/(γ s_i), all real and distinct, so disc_g P > 0 above the bulk."""
    P = het.stieltjes_polynomial("pca")
    leading = sp.factor(sp.Poly(P, z).LC())
    oracle = het.g * (gamma * het.s1 * het.g + 1) * (gamma * het.s2 * het.g + 1)
    assert sp.simplify(leading / oracle).is_number
    model = Model("1/2", "1/5", noise=TWO)
    with mp.workdps(DPS):
        system = fixedpoint.Spectral(model, "pca")
        far = mp.mpc(10**8, 1)
        assert abs(-far * system.g(system.solve(far), far) - 1) < mp.mpf(10) ** -6


# ----------------------------------------------------------------------------- edges

EDGE_CASES = [  # (γ, λ, law)
    ("1/2", "1/5", TWO),
    ("1/2", "1/5", "1:1/2,2:1/2"),
    ("2", "1/2", TWO),
    ("3/7", "2/9", "1/3:2/5,4:3/5"),
]


@pytest.mark.parametrize("g_, l_, noise", EDGE_CASES)
@pytest.mark.parametrize("method", het.METHODS)
def test_largest_root_of_discriminant_is_the_upper_edge(method, g_, l_, noise):
    """The largest real root of disc_g P is the upper bulk edge of the fixed point, to ≥ 25 digits."""
    model = Model(g_, l_, noise=noise)
    spectral = z if method == "pca" else u
    Delta = het.edge_equation(method)
    with mp.workdps(DPS + 20):
        values = _values(model, method)
        roots = [r for factor, _ in _factors(Delta, spectral) for r in _real_roots(factor, spectral, values)]
        lower, upper = _fixed("edges", model, method=method, dps=DPS)
        if method == "ssr":
            lower, upper = 1 / (1 - lower), 1 / (1 - upper)  # edges of T from those of Â
        assert abs(max(roots) - upper) < mp.mpf(10) ** -25 * upper
        # the lower edge of the main bulk is a root too
        assert min(abs(r - lower) for r in roots) < mp.mpf(10) ** -25 * lower


def test_two_atom_bulk_splits_and_pca_roots_are_edges():
    """ν = ½δ₁ + ½δ₆, γ = 1/2: Q has four real roots, the fixed-point density vanishes only between
    the middle two (a gap) and outside; z = 0 (multiplicity 4) is spurious."""
    model = Model("1/2", "1/5", noise=TWO)
    Delta = het.edge_equation("pca")
    factors = dict(_factors(Delta, z))
    assert factors.pop(z) == 4
    (Q,) = factors
    with mp.workdps(DPS):
        roots = _real_roots(Q, z, _values(model, "pca"))
        assert len(roots) == 4
        inside = [(roots[0] + roots[1]) / 2, (roots[2] + roots[3]) / 2]
        outside = [(roots[1] + roots[2]) / 2, roots[3] + 1, roots[0] / 2]
    for point in inside:
        assert _fixed("density", model, at=str(point), method="pca", dps=20) > 0
    for point in outside:
        assert _fixed("density", model, at=str(point), method="pca", dps=20) == 0


def test_generic_discriminant_factorisation_is_exact():
    """disc_g P = γ² N² E, with E the discriminant of F in b (checked at a rational point)."""
    N, E = het.generic_discriminant()
    F, P = het.generic_polynomial()
    point = {gamma: sp.Rational(3, 5), het.w: sp.Rational(1, 3), het.c1: 2, het.c2: sp.Rational(7, 2),
             het.h1: sp.Rational(1, 5), het.h2: sp.Rational(2, 3)}
    at = {key: value for key, value in point.items()}
    disc_P = sp.discriminant(sp.Poly(P.xreplace(at), het.g))
    disc_F = sp.discriminant(sp.Poly(F.xreplace(at), het.b))
    assert sp.expand(disc_P.as_expr() - point[gamma] ** 2 * N.xreplace(at) ** 2 * E.xreplace(at)) == 0
    assert sp.expand(disc_F.as_expr() - E.xreplace(at)) == 0


def test_node_factor_is_not_an_edge():
    """γ = 2: the squared factor N² has a real root below the bulk; the density of T is 0 there."""
    model = Model("2", "1/2", noise=TWO)
    Delta = het.edge_equation("ssr")
    squared = [f for f, e in _factors(Delta, u) if e == 2]
    assert len(squared) == 1
    with mp.workdps(DPS):
        roots = _real_roots(squared[0], u, _values(model, "ssr"))
        lower, _ = _fixed("edges", model, method="ssr", dps=DPS)
        assert roots and all(r < 1 / (1 - lower) for r in roots)
    for root in roots:
        if root > 0:
            a = 1 - 1 / root
            assert _fixed("density", model, at=mp.nstr(a, 20), method="ssr", dps=20) == 0


# ----------------------------------------------------------------------------- ridgeless, γ < 1

RIDGELESS = [(TWO, g_) for g_ in ("1/5", "1/2", "4/5")] + [(THREE, g_) for g_ in ("3/10", "7/10")]


@pytest.mark.parametrize("noise, g_", RIDGELESS)
def test_ridgeless_ssr_threshold_matches_fixed_point_at_small_ridge(noise, g_):
    """Derived √γ/∫s⁻¹dν against the fixed-point threshold (λ = 1e-6, ssr) to 5 digits (SSR < PCA too)."""
    closed = het.ridgeless_threshold(_law(noise))
    value = mp.mpf(str(sp.N(closed.subs(gamma, sp.Rational(g_)), 30)))
    numeric = _fixed("threshold", Model(g_, "1e-6", noise=noise), method="ssr", dps=20)
    assert abs(numeric - value) < mp.mpf(10) ** -5 * value
    assert value < _fixed("threshold", Model(g_, "1e-6", noise=noise), method="pca", dps=20)


def test_ridgeless_limit_is_approached_linearly_in_the_ridge():
    """θ_c(λ) − θ_c(0⁺) = O(λ): Richardson's (10 θ_c(λ/10) − θ_c(λ))/9 at λ = 1e-6 matches the derived
    limit to 10 digits (the raw λ = 1e-6 value only to ~6)."""
    closed = het.ridgeless_threshold(_law(TWO)).subs(gamma, sp.Rational(1, 2))
    value = mp.mpf(str(sp.N(closed, 30)))
    coarse, fine = (_fixed("threshold", Model("1/2", ridge, noise=TWO), method="ssr", dps=25)
                    for ridge in ("1e-6", "1e-7"))
    assert abs((10 * fine - coarse) / 9 - value) < mp.mpf(10) ** -10 * value
    assert abs(fine - value) < abs(coarse - value) / 5


def test_ridgeless_threshold_general_form():
    """The two-atom closed form is √γ/∫ s⁻¹ dν (oracle typed here) and does not involve the ridge."""
    closed = het.ridgeless_threshold(het.TWO_ATOM)
    oracle = sp.sqrt(gamma) / (het.w / het.s1 + (1 - het.w) / het.s2)
    assert sp.simplify(closed - oracle) == 0
    assert lam not in closed.free_symbols and het.delta_0 not in closed.free_symbols
    # ν = δ₁: the isotropic √γ
    assert het.ridgeless_threshold(((1, 1),)) == sp.sqrt(gamma)


def test_ridgeless_delta_and_whitening():
    delta0 = het.ridgeless_delta()
    assert sp.simplify(delta0 - gamma / (1 - gamma)) == 0
    D, c, shift = het.ridgeless_scale()
    assert sp.diff(c, s) == 0 and shift == 0 and sp.simplify(D * s - c) == 0
    for noise, g_ in RIDGELESS[:2]:
        numeric = fixedpoint.delta_ridge(Model(g_, "1e-9", noise=noise), dps=20)
        value = mp.mpf(str(sp.N(delta0.subs(gamma, sp.Rational(g_)), 30)))
        assert abs(numeric - value) < mp.mpf(10) ** -6 * value


PCA_CASES = [("1/2", TWO), ("1/5", TWO), ("3/10", THREE), ("2", TWO)]


@pytest.mark.parametrize("g_, noise", PCA_CASES)
def test_implicit_pca_threshold_matches_fixed_point(g_, noise):
    law = _law(noise)
    edge, critical = het.pca_threshold_condition(law)
    point = {gamma: sp.Rational(g_)}
    with mp.workdps(DPS + 10):
        edge_f = sp.lambdify(het.ell, edge.subs(point), modules="mpmath")
        critical_f = sp.lambdify(het.ell, critical.subs(point), modules="mpmath")
        top = max(mp.mpf(a.p) / a.q for a, _ in law)
        ell_e = _increasing_root(edge_f, top * (1 + mp.mpf(10) ** -30), 100 * top + 100)
        value = critical_f(ell_e)
        numeric = _fixed("threshold", Model(g_, "1/5", noise=noise), method="pca", dps=DPS)
        assert abs(value - numeric) < mp.mpf(10) ** -30 * value


def test_advantage_ratio_is_at_least_one():
    ratio = het.ridgeless_advantage()
    a1, a2 = sorted((sym for sym in ratio.free_symbols if sym.name.startswith("a_")), key=str)
    assert sp.simplify(ratio.subs(a2, a1)) == 1  # point mass: no advantage
    f = sp.lambdify((a1, a2, het.w), ratio, modules="mpmath")
    for x, y, weight in [(0.1, 3, 0.5), (2, 0.01, 0.9), (1, 1.5, 0.2)]:
        assert f(x, y, weight) > 1


# ----------------------------------------------------------------------------- ridgeless, γ > 1


def test_large_gamma_eta_is_the_positive_root():
    equation, eta = het.large_gamma_eta(het.TWO_ATOM)
    point = {gamma: 2, het.s1: 1, het.s2: 6, het.w: sp.Rational(1, 2)}
    assert sp.simplify(eta.subs(point) - sp.sqrt(6)) == 0  # 1 = 1/(1+η) + 6/(6+η)  ⇔  η² = 6
    assert sp.simplify(equation.subs(het.eta, eta) - 1) == 0
    assert het.large_gamma_eta(((1, 1),))[1] == gamma - 1  # isotropic: λδ → γ − 1
    # δ(λ)·λ → η numerically
    numeric = fixedpoint.delta_ridge(Model(2, "1e-6", noise=TWO), dps=20) * mp.mpf("1e-6")
    assert abs(numeric - mp.sqrt(6)) < mp.mpf(10) ** -5


@pytest.mark.slow
@pytest.mark.parametrize("g_, noise", [("2", TWO), ("5", TWO), ("3", THREE)])
def test_large_gamma_ridgeless_threshold_matches_fixed_point(g_, noise):
    law = _law(noise)
    equation, _ = het.large_gamma_eta(law)
    edge, critical = het.large_gamma_threshold(law)
    with mp.workdps(30):
        eta_f = sp.lambdify(het.eta, equation.subs(gamma, sp.Rational(g_)) - 1, modules="mpmath")
        eta = mp.findroot(eta_f, (mp.mpf("1e-9"), 1000), solver="anderson")
        point = {gamma: sp.Rational(g_), het.eta: sp.Float(mp.nstr(eta, 30), 30)}
        edge_f = sp.lambdify(het.ell, edge.subs(point), modules="mpmath")
        critical_f = sp.lambdify(het.ell, critical.subs(point), modules="mpmath")
        top = max(eta * (a.p / mp.mpf(a.q)) / (a.p / mp.mpf(a.q) + eta) for a, _ in law)
        ell_e = _increasing_root(edge_f, top * (1 + mp.mpf(10) ** -20), 100 * top + 100)
        value = critical_f(ell_e)
    numeric = _fixed("threshold", Model(g_, "1e-6", noise=noise), method="ssr", dps=20)
    assert abs(numeric - value) < mp.mpf(10) ** -5 * value


def test_large_gamma_population_is_not_white():
    edge, _ = het.large_gamma_threshold(het.TWO_ATOM)
    # the rescaled populations ηs/(s+η) of the two atoms differ unless s₁ = s₂
    populations = [het.eta * a / (a + het.eta) for a in (het.s1, het.s2)]
    assert sp.simplify(populations[0] - populations[1]) != 0
    assert het.ell in edge.free_symbols and het.eta in edge.free_symbols
    assert k not in edge.free_symbols and theta not in edge.free_symbols
