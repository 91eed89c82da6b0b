r"""``numerics.theory.evaluate``: the two routes agree, and the identities every spectrum obeys.

The battery (a table of cases, as SciPy's tests do) runs one list of cases through the same check: the
closed route (SymPy closed forms, lambdified) and the fixed-point route (mpmath solution of
(E1)–(E4), no closed form) agree to ≥ 45 digits at ``dps=50``. Further tests check identities
rather than values: the density integrates to the continuous mass, the SSR density is the
push-forward of the PCA one, Stieltjes inversion recovers the density from the fixed point
``g(u)``, the outlier and overlap are continuous at the threshold, the global mpmath context is
never changed, and bad input raises :class:`BadParameter` naming the parameter.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest

from numerics import estimators, fixedpoint, quantities, theory
from numerics.fixedpoint import ConvergenceError
from numerics.model import BadParameter, Model

#: The training ratio at which the masked estimator runs through the batteries (at p = 0 it is
#: the leave-one-out estimator, already covered); its test ratio is the training ratio.
RATIO = Fraction(3, 10)


def _model(method, *args, **kwargs) -> Model:
    """``Model(*args, **kwargs)``, with the masking ratio :data:`RATIO` for the masked estimator."""
    if estimators.get(method).under_mask == method:
        kwargs.setdefault("mask_ratio", RATIO)
    return Model(*args, **kwargs)

GAMMAS = (Fraction(1, 10), Fraction(1, 2), Fraction(2), Fraction(5))
LAMS = (Fraction(1, 1000), Fraction(1, 5), Fraction(3))
# θ below and above the threshold √γ (√γ ≈ 0.316, 0.707, 1.414, 2.236)
THETAS = {
    Fraction(1, 10): (Fraction(1, 5), Fraction(3, 5)),
    Fraction(1, 2): (Fraction(1, 2), Fraction(2)),
    Fraction(2): (Fraction(1), Fraction(3)),
    Fraction(5): (Fraction(1), Fraction(5)),
}
# The spectral quantities that need the bulk edges (every quantity PCA has, but the density probed
# at given points) are the expensive ones; the rest run on the whole grid.
EXPENSIVE = tuple(q.name for q in quantities.REGISTRY.values() if "pca" in q.estimators and not q.needs_at)
# The fixed-point route of EXPENSIVE quantities needs the bulk edges of (γ, λ, method), which
# cost ~5 s each at dps 50 (bisection plus Newton, cached per model without θ), so the full
# 4 × 3 × 2 cross product (~2 min) would exceed the budget. This subset keeps, for each method,
# every γ (both regimes γ < 1 and γ > 1, where the lower edge meets the atom) and every λ
# (ridgeless-like 1e-3 up to 3), each γ paired with a different λ; both θ run for each pair
# (outlier and overlap reuse the cached edges). The PCA bulk does not depend on λ at all.
EXPENSIVE_PAIRS = {
    "ssr": ((Fraction(1, 10), Fraction(1, 1000)), (Fraction(1, 2), Fraction(1, 5)),
            (Fraction(2), Fraction(3)), (Fraction(5), Fraction(1, 1000))),
    "pca": ((Fraction(1, 10), Fraction(3)), (Fraction(1, 2), Fraction(1, 5)),
            (Fraction(2), Fraction(1, 1000)), (Fraction(5), Fraction(1, 5))),
    "masked": ((Fraction(1, 10), Fraction(3)), (Fraction(1, 2), Fraction(1, 5)), (Fraction(2), Fraction(1, 1000))),
}
#: The optimum quantities solve a minimisation over p (each point a full evaluation): their own tests.
OPTIMA = tuple(q.name for q in quantities.REGISTRY.values() if q.uses)
DENSITY_FRACTIONS = (Fraction(3, 10), Fraction(17, 20))  # where in the bulk the density is probed


def _cases():
    for quantity in theory.QUANTITIES:
        if quantity in OPTIMA:
            continue
        for method in theory.METHODS:
            if method not in quantities.get(quantity).estimators:
                continue
            for g in GAMMAS:
                for l in LAMS:
                    if quantity in EXPENSIVE and (g, l) not in EXPENSIVE_PAIRS[method]:
                        continue
                    for t in THETAS[g]:
                        yield pytest.param(quantity, method, _model(method, g, l, theta=t),
                                           id=f"{quantity}-{method}-g{g}-l{l}-t{t}")


def _digits(x, y):
    """Agreement digits ``−log10 |x − y|/|x|``; exact zeros must match exactly (∞ when equal)."""
    if x == y:
        return mp.inf
    assert x != 0 and y != 0, f"one route gives exactly 0, the other {mp.nstr(x or y, 10)}"
    return -mp.log10(abs(x - y) / abs(x))


def _fraction(value) -> Fraction:
    """An ``mpf`` as the exact ``Fraction`` it represents (``evaluate`` takes exact points)."""
    sign, man, exp, _ = mp.mpf(value)._mpf_
    return (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)


def _inside(model, method, fraction, dps=20):
    """The exact point ``fraction`` of the way across the bulk (closed-route edges)."""
    with mp.workdps(dps):
        lower, upper = theory.evaluate("edges", model, method=method, dps=dps)
        return _fraction(lower + (upper - lower) * (mp.mpf(fraction.numerator) / fraction.denominator))


# --- the battery: closed route = fixed-point route --------------------------------------

@pytest.mark.parametrize("quantity, method, model", list(_cases()))
def test_closed_route_matches_fixed_point_route(quantity, method, model):
    points = [_inside(model, method, f) for f in DENSITY_FRACTIONS] if quantity == "density" else [None]
    for at in points:
        closed = theory.evaluate(quantity, model, method=method, at=at, dps=50, route="closed")
        fixed = theory.evaluate(quantity, model, method=method, at=at, dps=50, route="fixed-point")
        closed = closed if isinstance(closed, list) else [closed]
        fixed = fixed if isinstance(fixed, list) else [fixed]
        assert len(closed) == len(fixed)
        for x, y in zip(closed, fixed):
            with mp.workdps(60):
                assert _digits(x, y) >= 45, (quantity, method, model, at, mp.nstr(x, 50), mp.nstr(y, 50))


# --- identities --------------------------------------------------------------------------

def _continuous_mass(g):
    """Marchenko–Pastur: the continuous part has mass 1 (γ ≤ 1) or 1/γ (γ > 1, atom 1 − 1/γ at 0)."""
    return mp.mpf(1) if g <= 1 else mp.mpf(g.denominator) / g.numerator


def _integrate_density(model, method, route):
    lower, upper = theory.evaluate("edges", model, method=method, dps=15)
    return mp.quad(lambda t: theory.evaluate("density", model, method=method, at=_fraction(t),
                                             dps=15, route=route), [lower, upper])


@pytest.mark.parametrize("method", theory.METHODS)
@pytest.mark.parametrize("g, l", [(GAMMAS[0], LAMS[0]), (GAMMAS[1], LAMS[1]), (GAMMAS[2], LAMS[2]),
                                  (GAMMAS[3], LAMS[0]), (GAMMAS[3], LAMS[2])])
def test_density_integrates_to_continuous_mass(g, l, method):
    """Closed route; mpmath tanh-sinh quadrature at dps 15 over the bulk (square-root edges)."""
    mass = _integrate_density(_model(method, g, l), method, "closed")
    assert abs(mass - _continuous_mass(g)) < mp.mpf(10) ** -12


def test_fixed_point_density_integrates_to_continuous_mass():
    """The same on the fixed-point route (one case: ~4 s; γ > 1 so the atom must be excluded)."""
    mass = _integrate_density(Model(5, "1/5"), "pca", "fixed-point")
    assert abs(mass - mp.mpf(1) / 5) < mp.mpf(10) ** -12


@pytest.mark.parametrize("route", theory.ROUTES)
@pytest.mark.parametrize("g, l", [(GAMMAS[0], LAMS[1]), (GAMMAS[1], LAMS[0]), (GAMMAS[2], LAMS[1]),
                                  (GAMMAS[3], LAMS[2])])
def test_ssr_density_is_pushforward_of_pca_density(g, l, route):
    """ρ_Â(a) = ρ_S(s) ds/da with a = 1 − 1/(m(s + λ)), i.e. s(a) = 1/(m(1−a)) − λ,
    ds/da = 1/(m(1−a)²), with m = evaluate("m") on the same route."""
    model = Model(g, l)
    dps = 30
    m = theory.evaluate("m", model, dps=dps, route=route)
    for fraction in (Fraction(1, 20), Fraction(1, 2), Fraction(9, 10)):
        s = _inside(model, "pca", fraction, dps=40)
        with mp.workdps(60):
            a = _fraction(1 - 1 / (m * (model.mp("lam") + mp.mpf(s.numerator) / s.denominator)))
        rho_s = theory.evaluate("density", model, method="pca", at=s, dps=dps, route=route)
        rho_a = theory.evaluate("density", model, method="ssr", at=a, dps=dps, route=route)
        with mp.workdps(40):
            one_minus_a = 1 - mp.mpf(a.numerator) / a.denominator
            pushed = rho_s / (m * one_minus_a**2)
            assert rho_a > 0
            assert _digits(pushed, rho_a) >= dps - 5


@pytest.mark.parametrize("route", theory.ROUTES)
@pytest.mark.parametrize("method", theory.METHODS)
@pytest.mark.parametrize("g", [Fraction(1, 2), Fraction(2)])
def test_density_vanishes_outside_the_bulk(g, method, route):
    """Zero below the lower edge (away from any atom), above the upper edge, and beyond the
    supremum of the eigenvalue map (``a ≥ 1`` for SSR, ``1/(1−p)`` masked)."""
    model = _model(method, g, "1/5")
    est = estimators.get(method)
    with mp.workdps(30):
        lower, upper = theory.evaluate("edges", model, method=method, dps=30)
        gap = (upper - lower) / 100
        points = [_fraction(lower - gap), _fraction(upper + gap), _fraction(upper + 10 * gap)]
        if g < 1 or est.resolvent:
            points.append(_fraction(lower - 10 * gap))  # clear of the pca atom at 0 for γ > 1
        if est.a_sup(model) is not None:
            points += [_fraction(est.a_sup(model)), _fraction(est.a_sup(model) * 3 / 2)]
    for at in points:
        assert theory.evaluate("density", model, method=method, at=at, dps=30, route=route) == 0


@pytest.mark.parametrize("method", theory.METHODS)
def test_fixed_point_density_at_the_atom_is_zero(method):
    """γ > 1: the atom (s = 0, i.e. t = b m̄ on T, a = 1 − 1/(mλ) for ssr) carries no continuous density."""
    model = _model(method, 2, "1/5")
    with mp.workdps(40):
        location, _ = _atom(model, method, 40)
        at = Fraction(mp.nstr(estimators.get(method).to_a(model, location), 35))
    assert theory.evaluate("density", model, method=method, at=at, dps=30, route="closed") == 0
    assert theory.evaluate("density", model, method=method, at=at, dps=30, route="fixed-point") == 0


def test_fixed_point_edges_at_gamma_one():
    model = Model(1, "1/5")
    closed = theory.evaluate("edges", model, method="pca", dps=30, route="closed")
    assert closed == [0, 4]
    fixed = theory.evaluate("edges", model, method="pca", dps=30, route="fixed-point")
    assert abs(fixed[0]) < mp.mpf(10) ** -25 and abs(fixed[1] - 4) < mp.mpf(10) ** -25


def _atom(model, method, dps):
    """Location (on the spectrum of T) and mass of the atom: γ > 1, s = 0 ↦ t = b m̄, the shift of T
    (``λm`` for ssr, ``λ_eff m`` masked, 0 for pca)."""
    g = model.gamma
    if g <= 1:
        return mp.mpf(0), mp.mpf(0)
    location = fixedpoint.system(model, method, dps).shifts()[0]
    return location, 1 - mp.mpf(g.denominator) / g.numerator


def _rho_t(model, method, t, dps):
    """Density of the spectrum of T (= S for pca; T = m(S+B) with a = a(t)), closed route:
    ``ρ_T(t) = ρ_A(a(t)) da/dt``."""
    est = estimators.get(method)
    a = est.to_a(model, t)
    return theory.evaluate("density", model, method=method, at=_fraction(a), dps=dps) / est.jacobian(model, a)


def _t_edges(model, method, dps):
    lower, upper = theory.evaluate("edges", model, method=method, dps=dps)
    est = estimators.get(method)
    return est.from_a(model, lower), est.from_a(model, upper)


@pytest.mark.parametrize("method", theory.METHODS)
@pytest.mark.parametrize("g", [Fraction(1, 2), Fraction(5)])
def test_stieltjes_transform_of_the_density(g, method):
    """The fixed-point ``g(u) = lim (1/d) tr (T − u)^{-1}`` at ``u = x + iη`` equals
    ``∫ ρ_T(t)/(t − u) dt + mass/(t₀ − u)`` (atom at t₀ for γ > 1), for moderate η."""
    model = _model(method, g, "1/5")
    with mp.workdps(20):
        lower, upper = _t_edges(model, method, 20)
        location, mass = _atom(model, method, 20)
        system = fixedpoint.spectral_setting(model, method)
        for u in (lower + (upper - lower) / 3 + 1j / 2, upper + mp.mpc(1, 1) / 10, lower + 1j / 10):
            fixed = system.g(system.solve(u), u)
            integral = mp.quad(lambda t: _rho_t(model, method, t, 20) / (t - u), mp.linspace(lower, upper, 5))
            if mass:
                integral += mass / (location - u)
            assert abs(fixed - integral) < mp.mpf(10) ** -12 * abs(fixed)


@pytest.mark.parametrize("method", theory.METHODS)
@pytest.mark.parametrize("g", [Fraction(1, 2), Fraction(5)])
def test_stieltjes_inversion_recovers_density(g, method):
    """``Im g(x + iη)/π → ρ_T(x)`` as ``η ↓ 0``: the error is O(η) in the interior of the bulk."""
    model = _model(method, g, "1/5")
    with mp.workdps(30):
        lower, upper = _t_edges(model, method, 30)
        system = fixedpoint.spectral_setting(model, method)
        for x in (lower + (upper - lower) / 4, lower + (upper - lower) * 3 / 5):
            rho = _rho_t(model, method, x, 30)
            errors = []
            for eta in (mp.mpf(10) ** -2, mp.mpf(10) ** -4, mp.mpf(10) ** -8):
                u = mp.mpc(x, eta)
                errors.append(abs(mp.im(system.g(system.solve(u), u)) / mp.pi - rho))
            assert errors[0] > errors[1] > errors[2]
            assert errors[2] < mp.mpf(10) ** -6 * rho


def _theta_above(g, eps):
    """An exact rational ``θ`` just above ``θ_c = √γ``: ``√γ (1 + ε)`` rounded to 40 digits."""
    with mp.workdps(60):
        return Fraction(mp.nstr(mp.sqrt(mp.mpf(g.numerator) / g.denominator) * (1 + mp.mpf(eps)), 40))


def _continuity(model, method, route, eps):
    outlier = theory.evaluate("outlier", model, method=method, dps=50, route=route)
    overlap = theory.evaluate("overlap", model, method=method, dps=50, route=route)
    upper = theory.evaluate("edges", model, method=method, dps=50, route=route)[1]
    gap = outlier - upper
    # BBP: outlier − edge = O((θ − θ_c)²) (the outlier is tangent to the edge), overlap = O(θ − θ_c)
    assert 0 < gap <= 10 * mp.mpf(eps) ** 2
    assert 0 < overlap <= 10 * mp.mpf(eps)


@pytest.mark.parametrize("eps", ["1e-2", "1e-4", "1e-8"])
@pytest.mark.parametrize("method", theory.METHODS)
@pytest.mark.parametrize("g", [Fraction(1, 2), Fraction(2)])
def test_threshold_crossing_is_continuous_closed(g, method, eps):
    _continuity(_model(method, g, "1/5", theta=_theta_above(g, eps)), method, "closed", eps)


@pytest.mark.parametrize("eps", [
    "1e-1",
    "1e-2",
    "1e-4",
])
@pytest.mark.parametrize("method", theory.METHODS)
def test_threshold_crossing_is_continuous_fixed_point(method, eps):
    _continuity(_model(method, "1/2", "1/5", theta=_theta_above(Fraction(1, 2), eps)), method, "fixed-point", eps)


@pytest.mark.parametrize("route", theory.ROUTES)
@pytest.mark.parametrize("method", theory.METHODS)
def test_below_threshold_outlier_is_edge_and_overlap_zero(method, route):
    model = _model(method, "1/2", "1/5", theta=_theta_above(Fraction(1, 2), "-1e-6"))
    upper = theory.evaluate("edges", model, method=method, dps=50, route=route)[1]
    assert theory.evaluate("outlier", model, method=method, dps=50, route=route) == upper
    assert theory.evaluate("overlap", model, method=method, dps=50, route=route) == 0


# --- the contract of evaluate --------------------------------------------------------------

@pytest.mark.parametrize("route", theory.ROUTES)
@pytest.mark.parametrize("quantity", [q for q in theory.QUANTITIES if q not in OPTIMA])
def test_evaluate_leaves_global_precision_alone(quantity, route):
    for method in theory.METHODS:
        if method not in quantities.get(quantity).estimators:
            continue
        model = _model(method, "1/2", "1/5", theta=2)  # in EXPENSIVE_PAIRS for every method: edges cached
        at = _inside(model, method, Fraction(1, 2)) if quantity == "density" else None
        assert mp.mp.dps == 15
        value = theory.evaluate(quantity, model, method=method, at=at, dps=50, route=route)
        assert mp.mp.dps == 15 and mp.mp.prec == 53
        assert all(isinstance(v, mp.mpf) for v in (value if isinstance(value, list) else [value]))


def test_evaluate_restores_precision_after_errors(monkeypatch):
    with pytest.raises(BadParameter):
        theory.evaluate("density", Model("1/2", "1/5"), dps=50)
    assert mp.mp.dps == 15

    def failing_solver(model, est, dps):
        mp.mp.dps = 999  # a solver that even leaves the context dirty before failing
        raise ConvergenceError("fake solver", mp.mpf(1), mp.mpf(10) ** -dps)

    monkeypatch.setattr(fixedpoint, "delta", failing_solver)
    with pytest.raises(ConvergenceError):
        theory.evaluate("m", Model("1/2", "1/5"), dps=50, route="fixed-point")
    assert mp.mp.dps == 15


@pytest.mark.parametrize("kwargs, name", [
    (dict(quantity="nope"), "QUANTITY"),
    (dict(quantity="m", method="ica"), "method"),
    (dict(quantity="m", method="pca"), "method"),
    (dict(quantity="gen-error", method="pca"), "method"),
    (dict(quantity="density"), "at"),
    (dict(quantity="m", dps=0), "dps"),
    (dict(quantity="m", dps=-3), "dps"),
    (dict(quantity="m", dps=2.5), "dps"),
    (dict(quantity="m", route="series"), "route"),
])
def test_bad_input_raises_bad_parameter_naming_it(kwargs, name):
    quantity = kwargs.pop("quantity")
    with pytest.raises(BadParameter) as err:
        theory.evaluate(quantity, Model("1/2", "1/5"), **kwargs)
    assert err.value.name == name
    assert str(err.value).startswith(f"{name}: ")
    assert "\n" not in str(err.value)
