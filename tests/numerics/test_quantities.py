"""numerics.quantities: the registry every layer iterates, and the ``Support`` value of ``edges``.

Oracles: the estimator registry (:mod:`numerics.estimators`) for who has which quantity, the
documented meaning of each field, and for the closed form of ``m`` the Marchenko–Pastur
Stieltjes transform written out by hand.
"""
from __future__ import annotations

import pytest

from numerics import estimators, quantities
from numerics.model import BadParameter
from numerics.quantities import REGISTRY, Support

RESOLVENT = tuple(e.name for e in estimators.ESTIMATORS.values() if e.resolvent)


def test_names_are_the_registry_keys_in_order():
    assert quantities.names() == tuple(REGISTRY)
    assert all(q.name == name for name, q in REGISTRY.items())
    assert len(set(quantities.names())) == len(REGISTRY)
    assert quantities.names()[:3] == ("m", "train-error", "gen-error")


def test_estimators_are_registered_estimators():
    for q in REGISTRY.values():
        assert q.estimators, q.name
        assert set(q.estimators) <= set(estimators.NAMES), q.name
        assert len(set(q.estimators)) == len(q.estimators)


def test_resolvent_quantities_belong_to_resolvent_estimators():
    """``m`` and the errors are functionals of ``R``: exactly the estimators with a resolvent."""
    assert RESOLVENT == ("ssr", "masked")
    for name in ("m", "train-error", "gen-error", "lam-optimum"):
        assert REGISTRY[name].estimators == RESOLVENT
    # PCA (no resolvent) has spectral quantities only
    assert all(q.spectral for q in REGISTRY.values() if "pca" in q.estimators)
    # the masking-ratio optima belong to the masked estimator alone
    assert REGISTRY["mask-optimum"].estimators == REGISTRY["threshold-optimum"].estimators == ("masked",)


def test_needs_at_only_where_a_point_is_needed():
    assert [q.name for q in REGISTRY.values() if q.needs_at] == ["density"]


def test_derived_quantities_use_registered_ones_and_have_no_closed_form():
    for q in REGISTRY.values():
        assert set(q.uses) <= set(REGISTRY) and q.name not in q.uses
        if q.uses:
            assert q.closed is None, q.name
            for used in q.uses:  # an estimator of the derived quantity has what it is derived from
                assert set(q.estimators) <= set(REGISTRY[used].estimators), (q.name, used)
    assert {q.name for q in REGISTRY.values() if q.uses} == {"mask-optimum", "lam-optimum", "threshold-optimum"}


def test_every_entry_is_complete():
    for q in REGISTRY.values():
        assert callable(q.limit) and q.meaning and q.statement, q.name
        assert q.closed is None or callable(q.closed)
        assert q.finite is None or callable(q.finite)
    # a finite-d estimator exists for every quantity but the threshold ones (no finite-d threshold)
    assert {q.name for q in REGISTRY.values() if q.finite is None} == {"threshold", "threshold-optimum"}
    # a given covariance: m and the errors only
    assert {q.name for q in REGISTRY.values() if q.given is not None} == {"m", "train-error", "gen-error"}


def test_the_closed_form_of_m_is_the_marchenko_pastur_stieltjes_transform():
    """``m`` solves ``γλm² + (1 − γ + λ)m − 1 = 0`` (the MP law at ``z = −λ``), positive root."""
    import sympy as sp

    expr = REGISTRY["m"].closed("ssr")
    gamma, lam = sp.Symbol("gamma", positive=True), sp.Symbol("lambda", positive=True)
    expr = expr.subs({s: {"gamma": gamma, "lambda": lam, "lam": lam}[s.name] for s in expr.free_symbols})
    for g, l in ((sp.Rational(1, 2), sp.Rational(1, 5)), (sp.Integer(3), sp.Rational(1, 100))):
        b = 1 - g + l
        expected = (-b + sp.sqrt(b * b + 4 * g * l)) / (2 * g * l)
        assert abs(sp.N(expr.subs({gamma: g, lam: l}) - expected, 40)) < sp.Float("1e-35")


@pytest.mark.parametrize("bad", ["gen_error", "M", "", None, 3])
def test_get_unknown_names_QUANTITY(bad):
    with pytest.raises(BadParameter) as info:
        quantities.get(bad)
    assert info.value.name == "QUANTITY" and str(info.value).startswith("QUANTITY: ")
    assert "gen-error" in str(info.value) and "\n" not in str(info.value)


def test_get_known():
    assert quantities.get("overlap") is REGISTRY["overlap"]


# --- Support -----------------------------------------------------------------------------------

def test_support_is_the_outer_pair():
    s = Support([(1, 2), (3, 5), (7, 11)])
    assert list(s) == [1, 11] and s == [1, 11]
    lower, upper = s
    assert (lower, upper) == (1, 11)
    assert s.intervals == [(1, 2), (3, 5), (7, 11)] and s.split


def test_support_one_interval_is_not_split():
    s = Support([[2, 4]])
    assert s == [2, 4] and s.intervals == [(2, 4)] and not s.split


def test_support_map_applies_to_every_edge_and_keeps_order():
    s = Support([(1, 2), (4, 5)]).map(lambda t: 1 - 1 / t)
    assert isinstance(s, Support)
    assert s.intervals == [(0, 0.5), (0.75, 0.8)] and s == [0, 0.8] and s.split


@pytest.mark.parametrize("bad", [[], [(1, 2, 3)], [(1,)]])
def test_support_refuses_malformed_intervals(bad):
    with pytest.raises(ValueError, match="Support"):
        Support(bad)
