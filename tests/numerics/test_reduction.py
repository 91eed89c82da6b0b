"""numerics.reduction: the shared equations and reduction formulas of every solving route.

Oracles: ``mpmath.diff`` for the δ-derivative of (E3); the closed route of
:func:`numerics.theory.evaluate` (SymPy-derived closed forms of the isotropic bulk, a different
route from these formulas) for the errors, ``m`` and the threshold; the Marchenko–Pastur
quadratics written out by hand for ``δ`` and ``m``; BBP ``θ_c = √γ`` for PCA; identities between
the Gaussian and the general (elliptical) code paths on the law ``δ₁`` written with two atoms.
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath as mp
import pytest

from numerics import estimators, fixedpoint, reduction, scale, theory
from numerics.laws import DiscreteLaw
from numerics.model import Model

TWO_ATOMS = "1:1/2,6:1/2"
DPS = 30


def _digits_agree(x, y, digits):
    assert abs(x - y) <= mp.mpf(10) ** (-digits) * max(abs(y), 1), (x, y)


def _system(model, method="ssr"):
    est = estimators.get(method)
    return reduction.spectral_system(model, est, fixedpoint.delta(model, est, DPS))


# --- (E3): the δ-derivative --------------------------------------------------------------------

@pytest.mark.parametrize("model, method", [
    (Model("1/2", "1/5", noise=TWO_ATOMS), "ssr"),
    (Model("2", "1/5", noise=TWO_ATOMS, basis="rotational"), "ssr"),
    (Model("1/2", "1/5", noise=TWO_ATOMS), "pca"),
    (Model("1/2", "1/5", noise=TWO_ATOMS, mask_ratio="0.3"), "masked"),
    (Model("1/2", "1/5", noise=TWO_ATOMS, scale_law="1:1/2,2:1/2"), "ssr"),      # elliptical, atoms
    (Model("1/2", "1/5", noise=TWO_ATOMS, scale_law="uniform(1,3)"), "ssr"),     # elliptical, density
    (Model("1/2", "1/5", noise="uniform(1,6)"), "ssr"),                          # a continuous bulk
])
@pytest.mark.parametrize("delta, u", [("0.3", "-0.5"), ("0.1", "2+1j")])
def test_d_equation_is_the_derivative_of_equation(model, method, delta, u):
    with mp.workdps(DPS):
        system = _system(model, method)
        d, u = mp.mpf(delta), mp.mpmathify(u)
        derivative = mp.diff(lambda x: system.equation(x, u), d)
        _digits_agree(system.d_equation(d, u), derivative, DPS - 4)


def test_general_path_equals_gaussian_path_on_delta_one():
    """The law ``δ₁`` written as two half atoms at 1 takes the elliptical code path (``c(δ)``, ``e₂(δ)``)
    and must give the Gaussian path's numbers (``1/(1+δ)``, ``1/(1+δ)²``)."""
    split = scale.ScaleLaw(DiscreteLaw(((F(1), F(1, 2)), (F(1), F(1, 2)))))
    assert not split.gaussian
    with mp.workdps(DPS):
        gaussian = _system(Model("1/2", "1/5", noise=TWO_ATOMS, theta="2"))
        general = reduction.SpectralSystem(gaussian.law, gaussian.gamma, gaussian.theta, gaussian._scale,
                                           gaussian._shift, split)
        for d, u in ((mp.mpf("0.4"), mp.mpf(-1)), (mp.mpf("0.2"), mp.mpc(3, 1))):
            for name in ("equation", "d_equation", "g", "quadratic_form", "secular"):
                _digits_agree(getattr(general, name)(d, u), getattr(gaussian, name)(d, u), DPS - 2)
            _digits_agree(reduction.threshold(general, d, u), reduction.threshold(gaussian, d, u), DPS - 2)


def test_perturbed_system_shifts_by_epsilon_over_scale():
    """``T + ε D̄⁻¹``: the mean ``∫ (c + h) dν`` grows by ``ε ∫ dν/D̄``."""
    with mp.workdps(DPS):
        system = _system(Model("1/2", "1/5", noise=TWO_ATOMS))
        eps = mp.mpf("1e-3")
        grown = system.perturbed(eps).mean() - system.mean()
        expected = eps * system.law.integrate(lambda s: 1 / system.coefficients(s)[0])
        _digits_agree(grown, expected, DPS - 3)
        assert system.perturbed(eps).shifts() != system.shifts()  # the original is untouched
        assert len(system.terms) == 2


def test_terms_only_for_a_discrete_law():
    with mp.workdps(DPS):
        with pytest.raises(TypeError, match="not discrete"):
            _system(Model("1/2", "1/5", noise="uniform(1,6)")).terms


# --- (E1) and the first-order quantities -------------------------------------------------------

@pytest.mark.parametrize("gamma, lam", [("1/2", "1/5"), ("3", "1/100"), ("1", "2")])
def test_e1_at_the_closed_form_delta(gamma, lam):
    """Isotropic ssr: ``δ`` is the positive root of ``λδ² + (1 + λ − γ)δ − γ = 0``; (E1) holds there."""
    model = Model(gamma, lam)
    with mp.workdps(DPS + 10):
        g, l = model.mp("gamma"), model.mp("lam")
        b = 1 + l - g
        delta = (-b + mp.sqrt(b * b + 4 * l * g)) / (2 * l)
        _digits_agree(reduction.e1_rhs(model, estimators.get("ssr"), l, delta), delta, DPS + 8)
        # and m = ∫ R̄ dν = 1/(1/(1+δ) + λ) is the Marchenko–Pastur Stieltjes transform at −λ:
        # the positive root of γλm² + (1 − γ + λ)m − 1 = 0
        c = 1 - g + l
        m = (-c + mp.sqrt(c * c + 4 * g * l)) / (2 * g * l)
        _digits_agree(reduction.m_value(model, estimators.get("ssr"), delta), m, DPS + 8)


@pytest.mark.parametrize("kwargs", [
    dict(gamma="1/2", lam="1/5"),
    dict(gamma="2", lam="1/10"),
    dict(gamma="1/2", lam="1/5", basis="rotational"),
    dict(gamma="1/2", lam="1/5", mask_ratio="3/10"),
    dict(gamma="2", lam="1/10", mask_ratio="1/2", test_mask_ratio="1/10"),
])
@pytest.mark.parametrize("quantity, formula", [
    ("m", reduction.m_value), ("gen-error", reduction.gen_error), ("train-error", reduction.train_error)])
def test_first_order_quantities_against_the_closed_route(kwargs, quantity, formula):
    """At the fixed point's ``δ``, the reduction formulas give the closed forms to ≥ 25 digits."""
    model = Model(**kwargs)
    est = estimators.select("ssr", model)
    closed = theory.evaluate(quantity, model, dps=DPS, route="closed")
    with mp.workdps(DPS + reduction.GUARD):
        value = formula(model, est, fixedpoint.delta(model, est, DPS))
    _digits_agree(value, closed, 25)


def test_gen_error_diagonal_is_kappa_times_the_mean():
    """Leave-one-out, diagonal basis: ``E_gen = κ ∫ s dν`` (``D̄ = R̄``), here ``κ · 7/2``."""
    model = Model("1/2", "1/5", noise=TWO_ATOMS)
    est = estimators.get("ssr")
    with mp.workdps(DPS + reduction.GUARD):
        delta = fixedpoint.delta(model, est, DPS)
        _digits_agree(reduction.gen_error(model, est, delta), reduction.kappa(model, est, delta) * mp.mpf(7) / 2, DPS)


def test_test_error_at_zero_is_gen_error_and_depends_on_q():
    model = Model("1/2", "1/5", noise=TWO_ATOMS, mask_ratio="0.3", test_mask_ratio="0")
    est = estimators.get("masked")
    with mp.workdps(DPS + reduction.GUARD):
        delta = fixedpoint.delta(model, est, DPS)
        assert reduction.test_error(model, est, delta, mp.mpf(0)) == reduction.gen_error(model, est, delta)
        assert abs(reduction.test_error(model, est, delta, mp.mpf("0.3")) - reduction.gen_error(model, est, delta)) > 1e-3


def test_resolvent_and_kappa_closed_form_isotropic():
    """Isotropic: ``R̄ = 1/(1/(1+δ) + λ)`` and ``κ = 1/(1 − γ R̄²/(1+δ)²)`` (from the definitions)."""
    model = Model("1/2", "1/5")
    est = estimators.get("ssr")
    with mp.workdps(DPS):
        delta = mp.mpf("0.37")
        rbar = 1 / (1 / (1 + delta) + mp.mpf(1) / 5)
        _digits_agree(reduction.resolvent(model, est, delta)(mp.mpf(1)), rbar, DPS - 1)
        _digits_agree(reduction.kappa(model, est, delta), 1 / (1 - rbar ** 2 / (2 * (1 + delta) ** 2)), DPS - 1)


# --- threshold ---------------------------------------------------------------------------------

@pytest.mark.parametrize("gamma, lam, method", [("1/2", "1/5", "ssr"), ("2", "1/10", "ssr"),
                                                 ("1/2", "1/5", "pca"), ("3", "1", "pca")])
def test_threshold_against_the_closed_route(gamma, lam, method):
    model = Model(gamma, lam)
    est = estimators.get(method)
    (_, delta_edge), (_, upper) = fixedpoint.edges_t(model, est, DPS)
    with mp.workdps(DPS + reduction.GUARD):
        value = reduction.threshold(fixedpoint.system(model, est, DPS), delta_edge, upper)
    _digits_agree(value, theory.evaluate("threshold", model, method=method, dps=DPS, route="closed"), 25)
    if method == "pca":  # the BBP transition: θ_c = √γ
        with mp.workdps(DPS + 5):
            _digits_agree(value, mp.sqrt(model.mp("gamma")), 25)


# --- density post-processing -------------------------------------------------------------------

def test_density_applies_the_jacobian_and_the_range():
    model, est = Model("1/2", "1/5"), estimators.get("ssr")
    with mp.workdps(DPS):
        rho = lambda t: mp.mpf("0.25")  # noqa: E731  (a stand-in density of T)
        a = F(1, 3)  # t = 1/(1 − a) = 3/2, dt/da = 1/(1 − a)² = 9/4
        _digits_agree(reduction.density(model, est, a, rho, DPS), mp.mpf(9) / 16, DPS - 1)
        assert reduction.density(model, est, F(1), rho, DPS) == 0       # at the supremum of the map
        assert reduction.density(model, est, F(3, 2), rho, DPS) == 0    # above it
        tiny = lambda t: mp.mpf(10) ** -(DPS + 3)  # noqa: E731  (a rounding-level zero)
        assert reduction.density(model, est, a, tiny, DPS) == 0
        assert reduction.density(model, est, a, lambda t: mp.mpf(-1), DPS) == 0
        # pca: the identity map, no supremum
        assert reduction.density(model, estimators.get("pca"), F(7), rho, DPS) == mp.mpf("0.25")
