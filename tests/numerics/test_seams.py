"""The three seams: laws, estimators and quantities are registered objects behind one protocol."""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest

from numerics import algebraic, estimators, fixedpoint, laws, quantities, reduction, theory
from numerics.model import BadParameter, Model


class _Uniform(laws.DensityLaw):
    """uniform(1, 2) with a kink declared at 3/2 (a test law; oracle integrals by hand below)."""

    lower, upper = Fraction(1), Fraction(2)

    def pdf(self, s):
        return mp.mpf(1)

    def breakpoints(self):
        return [Fraction(3, 2)]


def test_a_density_law_integrates_at_the_working_precision():
    with mp.workdps(40):
        # oracle: ∫₁² ds/s = log 2, ∫₁² s ds = 3/2
        assert abs(_Uniform().integrate(lambda s: 1 / s) - mp.log(2)) < mp.mpf(10) ** -38
        assert abs(_Uniform().mean() - mp.mpf(3) / 2) < mp.mpf(10) ** -38
    assert not _Uniform().discrete and _Uniform().poles() == []


def test_the_shared_spectral_system_takes_a_density_law():
    """(E3) for uniform(1, 2), PCA (D̄ = 1, no shift): the fixed-point solve of δ(u) satisfies the
    equation integrated by quadrature, with the Stieltjes branch Im g > 0 inside the bulk."""
    with mp.workdps(20):
        system = reduction.SpectralSystem(_Uniform(), mp.mpf(1) / 2, mp.mpf(0), lambda s: mp.mpf(1),
                                          lambda s, D: mp.mpf(0))
        spectral = object.__new__(fixedpoint.Spectral)
        spectral.__dict__.update(system.__dict__)
        u = mp.mpc("1.5", "0.1")
        delta = spectral.solve(u)
        assert abs(system.equation(delta, u)) < mp.mpf(10) ** -15
        assert mp.im(system.g(delta, u)) > 0
        with pytest.raises(TypeError):
            system.terms  # noqa: B018 — only discrete laws have per-atom terms


def test_an_empirical_law_is_a_discrete_law_with_equal_weights():
    law = laws.EmpiricalLaw(["1", "3", "3", "3"])
    assert law.exact == ((Fraction(1), Fraction(1, 4)), (Fraction(3), Fraction(3, 4)))
    with pytest.raises(ValueError):
        laws.EmpiricalLaw(["1", "-2"])


def test_every_estimator_is_one_record():
    for name, est in estimators.ESTIMATORS.items():
        assert est.name == name and est.meaning
        assert set(quantities.of(name)) == {q.name for q in quantities.REGISTRY.values() if name in q.estimators}
        model = Model("1/2", "1/5", mask_ratio="0.3" if est.under_mask == name else 0)
        with mp.workdps(30):  # the eigenvalue map, its inverse and its Jacobian dt/da
            t = mp.mpf(3)
            a = est.to_a(model, t)
            assert abs(est.from_a(model, a) - t) < mp.mpf(10) ** -28
            assert abs(mp.diff(lambda x: est.from_a(model, x), a) - est.jacobian(model, a)) < mp.mpf(10) ** -20
    with pytest.raises(BadParameter, match="method"):
        estimators.get("ica")


def test_every_quantity_has_one_entry_the_cli_and_theory_read():
    from ssr import cli

    assert theory.QUANTITIES == quantities.names() == cli.QUANTITIES
    for q in quantities.REGISTRY.values():
        assert q.estimators and set(q.estimators) <= set(estimators.NAMES)
        assert q.meaning in cli._QUANTITY_HELP and q.statement


def test_the_two_solving_routes_have_the_same_primitives():
    primitives = ("NAME", "GUARD", "delta", "delta_slope", "system", "edges_t", "density_t", "outlier_t",
                  "outlier_slopes")
    for route in (fixedpoint, algebraic):
        assert all(hasattr(route, name) for name in primitives), route.__name__
    assert fixedpoint.GUARD == algebraic.GUARD == reduction.GUARD
    assert theory.ROUTES == ("closed", "fixed-point", "algebraic")
    assert [theory._solver(route).NAME for route in theory.ROUTES[1:]] == list(theory.ROUTES[1:])


def test_the_algebraic_route_declares_itself_discrete_only(monkeypatch):
    model = Model("1/2", "1/5")
    monkeypatch.setattr(type(model.law), "discrete", False)
    with pytest.raises(BadParameter, match="discrete"):
        theory.evaluate("m", model, route="algebraic")
