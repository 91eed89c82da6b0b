"""numerics.bases: the registry of eigenbases, the coordinate limits and the masked ridge they give.

Oracles: the law ``ν = ¼δ₁ + ¾δ₆`` integrated by hand with exact fractions (``∫ f dν = Σ wᵢ f(sᵢ)``,
the definition of a discrete law; ``s̄ = 19/4``, ``∫ ds/(s+1) = 13/56``); a finite-``d`` Haar rotation
drawn with NumPy (``O diag(f(s)) Oᵀ``, QR of a Gaussian matrix), whose diagonal concentrates at
``(1/d) tr f(Σ₀)`` (the rotational limit, docs/theory.md); the masked ridge of the diagonal basis
``b(s) = (p s + λ/(1−p))/(1−p)`` written out by hand.
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from numerics import bases, estimators
from numerics.laws import DiscreteLaw, UniformLaw
from numerics.model import Model
from numerics.parsing import BadParameter
from numerics.spectrum import null_atom

LAW = DiscreteLaw([(1, "1/4"), (6, "3/4")])
NOISE = "1:1/4,6:3/4"
SBAR = F(1, 4) * 1 + F(3, 4) * 6  # 19/4
DPS = 30


def _f(s):
    return 1 / (s + 1)


def _close(x, y, digits=DPS - 2):
    assert abs(x - y) <= mp.mpf(10) ** (-digits) * max(1, abs(y)), (x, y)


def _mp(q: F):
    return mp.mpf(q.numerator) / q.denominator


# --- the registry ------------------------------------------------------------------------------

def test_registry_names():
    assert bases.NAMES == bases.names() == ("diagonal", "rotational")
    assert all(basis.name == name for name, basis in bases.BASES.items())
    assert bases.DEFAULT in bases.names() and Model("1/2", "1/5").basis == bases.DEFAULT
    assert {name: basis.scalar_shift for name, basis in bases.BASES.items()} == {"diagonal": False, "rotational": True}


def test_get_passes_a_basis_through_and_refuses_unknown_names():
    basis = bases.get("rotational")
    assert bases.get(basis) is basis
    for bad in ("haar", None, 3, ["diagonal"]):
        with pytest.raises(BadParameter) as info:
            bases.get(bad)
        assert info.value.name == "basis" and "diagonal, rotational" in str(info.value)


def test_the_model_validates_its_basis_with_the_registry():
    with pytest.raises(BadParameter, match=r"basis: expected one of diagonal, rotational, got 'haar'"):
        Model("1/2", "1/5", basis="haar")


# --- coordinate: the limit of F_kk for F = f(Σ₀) ---------------------------------------------------

def test_coordinate_diagonal_is_f_itself():
    with mp.workdps(DPS):
        entry = bases.get("diagonal").coordinate(LAW, _f)
        for s in (F(1), F(6)):
            _close(entry(_mp(s)), _mp(1 / (s + 1)))


def test_coordinate_rotational_is_the_average_over_the_law():
    expected = F(1, 4) * F(1, 2) + F(3, 4) * F(1, 7)  # by hand: 1/8 + 3/28
    assert expected == F(13, 56)
    with mp.workdps(DPS):
        entry = bases.get("rotational").coordinate(LAW, _f)
        for s in (F(1), F(6)):
            _close(entry(_mp(s)), _mp(expected))


def test_rotational_limit_against_a_haar_rotation():
    """``(O diag(f(s)) Oᵀ)_kk`` for a Haar ``O`` at ``d = 400``: every diagonal entry is near ``∫ f dν``
    (fluctuations ``O(d^{-1/2})``), which :meth:`Basis.coordinate` gives for every coordinate."""
    d = 400
    s = np.repeat([1.0, 6.0], [d // 4, 3 * d // 4])
    rng = np.random.default_rng(7)
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    O = Q * np.sign(np.diag(R))
    diagonal = np.diag((O * _f(s)) @ O.T)
    with mp.workdps(DPS):
        limit = float(bases.get("rotational").coordinate(LAW, _f)(mp.mpf(1)))
    assert np.max(np.abs(diagonal - limit)) < 0.05
    assert abs(diagonal.mean() - limit) < 1e-12  # the trace is invariant


# --- at_variance and the masked ridge --------------------------------------------------------------

def test_at_variance_exact_and_at_working_precision():
    double = lambda v: 2 * v  # noqa: E731
    assert bases.get("diagonal").at_variance(LAW, double, exact=True)(F(6)) == 12
    assert bases.get("rotational").at_variance(LAW, double, exact=True)(F(6)) == 2 * SBAR == F(19, 2)
    with mp.workdps(DPS):
        _close(bases.get("rotational").at_variance(LAW, double)(mp.mpf(1)), _mp(2 * SBAR))


@pytest.mark.parametrize("p", ["3/10", "0.9"])
def test_masked_ridge_rotational_is_the_diagonal_formula_at_the_mean(p):
    """Rotational basis: ``b ≡ (p s̄ + λ/(1−p))/(1−p)`` with ``s̄ = 19/4``, the diagonal basis's ``b(s̄)``."""
    rotational = Model("1/2", "1/5", noise=NOISE, mask_ratio=p, basis="rotational")
    diagonal = Model("1/2", "1/5", noise=NOISE, mask_ratio=p)
    pe, lam = F(p), F(1, 5)
    expected = (pe * SBAR + lam / (1 - pe)) / (1 - pe)
    ridge = estimators.get("masked").ridge
    exact = ridge(rotational, sp.Rational(1, 5))  # a symbolic λ keeps s̄ and p exact
    assert sp.nsimplify(exact(sp.Integer(1))) == sp.Rational(expected.numerator, expected.denominator)
    assert exact(sp.Integer(1)) == exact(sp.Integer(6))
    with mp.workdps(DPS):
        b = ridge(rotational, mp.mpf(1) / 5)
        at_mean = ridge(diagonal, mp.mpf(1) / 5)(_mp(SBAR))
        for s in (1, 6):
            _close(b(mp.mpf(s)), _mp(expected))
            _close(b(mp.mpf(s)), at_mean)


# --- the draw and the null atom ----------------------------------------------------------------------

def test_rotates_only_a_non_scalar_bulk_in_the_haar_basis():
    rotational, diagonal = bases.get("rotational"), bases.get("diagonal")
    assert rotational.rotates(LAW) and rotational.rotates(UniformLaw(1, 6))
    assert not rotational.rotates(DiscreteLaw([(2, 1)]))  # Σ₀ = 2I: the rotation drops out
    assert not diagonal.rotates(LAW) and not diagonal.rotates(UniformLaw(1, 6))


def test_the_null_atom_follows_the_scalar_shift():
    """``γ > 1``: the ``d − n`` null directions of ``S`` are an atom of ``T`` when its shift is one number."""
    assert null_atom(Model("2", "1/5", noise=NOISE, basis="rotational"), "ssr")
    assert not null_atom(Model("2", "1/5", noise=NOISE), "ssr")
    assert null_atom(Model("2", "1/5", noise=NOISE), "pca")
