"""numerics.estimators: the registry, each estimator's ridge and eigenvalue map, and its finite-d fit.

Oracles: the fits built by brute force in NumPy from the definitions (general inverses and
eigen-decompositions, not the Cholesky/symmetric-form code of :mod:`numerics.estimator`), the
ridge ``b(s)`` written out by hand, ``mpmath.diff`` for the Jacobian of the eigenvalue map.
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from numerics import estimators, quantities
from numerics.model import BadParameter, Model

N, D = 40, 6


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(2024).standard_normal((N, D)) * np.sqrt([1, 1, 2, 3, 5, 8])


def _brute_masked(X, lam, p):
    """``Â_p = (1/(1−p))(I − diag(G⁻¹)⁻¹G⁻¹)``, ``G = (1−p)S + p·diag(S) + λ/(1−p)·I``, ``S = XᵀX/n``."""
    n, d = X.shape
    S = X.T @ X / n
    G = (1 - p) * S + p * np.diag(np.diag(S)) + lam / (1 - p) * np.eye(d)
    Ginv = np.linalg.inv(G)
    return (np.eye(d) - np.diag(1 / np.diag(Ginv)) @ Ginv) / (1 - p), Ginv


def _close(a, b, tol=1e-12):
    assert np.max(np.abs(a - b)) <= tol * max(1.0, np.max(np.abs(b)))


# --- registry ----------------------------------------------------------------------------------

def test_registry_names_and_resolvents():
    assert estimators.NAMES == ("ssr", "pca", "masked")
    assert {name: e.resolvent for name, e in estimators.ESTIMATORS.items()} == \
        {"ssr": True, "pca": False, "masked": True}
    assert all(e.name == name for name, e in estimators.ESTIMATORS.items())


def test_get_passes_an_estimator_through_and_refuses_unknown_names():
    est = estimators.get("pca")
    assert estimators.get(est) is est
    for bad in ("ridge", None, 3):
        with pytest.raises(BadParameter) as info:
            estimators.get(bad)
        assert info.value.name == "method" and "ssr, pca, masked" in str(info.value)


def test_select_turns_ssr_into_masked():
    plain, masked = Model("1/2", "1/5"), Model("1/2", "1/5", mask_ratio="0.3")
    assert estimators.select("ssr", plain).name == "ssr"
    assert estimators.select("ssr", masked).name == "masked"
    assert estimators.select("ssr", Model("1/2", "1/5", test_mask_ratio="0.1")).name == "masked"
    assert estimators.select("masked", plain).name == "masked"
    assert estimators.select("pca", plain).name == "pca"
    assert estimators.select("ssr", plain, allowed=("masked",)).name == "masked"
    with pytest.raises(BadParameter) as info:
        estimators.select("pca", masked)
    assert info.value.name == "mask-ratio"


def test_quantities_of_an_estimator_come_from_the_registry():
    for est in estimators.ESTIMATORS.values():
        expected = tuple(q.name for q in quantities.REGISTRY.values() if est.name in q.estimators)
        assert quantities.of(est.name) == expected
    assert "gen-error" not in quantities.of("pca")
    assert "mask-optimum" in quantities.of("masked") and "mask-optimum" not in quantities.of("ssr")


def test_mask_is_the_model_ratio():
    model = Model("1/2", "1/5", mask_ratio="3/10")
    assert estimators.get("masked").mask(model) == mp.mpf(3) / 10
    assert estimators.get("ssr").mask(model) == 0 and estimators.get("pca").mask(model) == 0


# --- ridges --------------------------------------------------------------------------------------

def test_ssr_ridge_is_lambda():
    model = Model("1/2", "1/5")
    assert estimators.get("ssr").ridge(model, mp.mpf("0.2"))(mp.mpf(7)) == mp.mpf("0.2")
    assert estimators.get("pca").ridge is None


@pytest.mark.parametrize("p", ["0", "3/10", "0.9"])
def test_masked_ridge_diagonal(p):
    """``b(s) = p s/(1−p) + λ/(1−p)²`` on a coordinate of variance ``s`` (exact, then at 40 digits)."""
    model = Model("1/2", "1/5", noise="1:1/2,6:1/2", mask_ratio=p)
    pe, lam = F(p), F(1, 5)
    ridge = estimators.get("masked").ridge
    exact = ridge(model, sp.Rational(1, 5))  # a symbolic λ keeps p exact
    for s in (F(1), F(6), F(5, 2)):
        expected = pe * s / (1 - pe) + lam / (1 - pe) ** 2
        assert sp.Rational(expected.numerator, expected.denominator) == sp.nsimplify(exact(sp.Rational(s.numerator, s.denominator)))
        with mp.workdps(40):
            value = ridge(model, mp.mpf(1) / 5)(mp.mpf(s.numerator) / s.denominator)
            assert abs(value - mp.mpf(expected.numerator) / expected.denominator) < mp.mpf(10) ** -38


def test_masked_ridge_rotational_uses_the_mean_variance():
    """Rotational basis: ``s → s̄ = ∫ s dν = 7/2`` for the law 1:1/2, 6:1/2, one number for every ``s``."""
    model = Model("1/2", "1/5", noise="1:1/2,6:1/2", mask_ratio="3/10", basis="rotational")
    with mp.workdps(30):
        b = estimators.get("masked").ridge(model, mp.mpf(1) / 5)
        p = mp.mpf(3) / 10
        expected = p * mp.mpf(7) / 2 / (1 - p) + (mp.mpf(1) / 5) / (1 - p) ** 2
        assert abs(b(mp.mpf(1)) - expected) < mp.mpf(10) ** -28 and b(mp.mpf(1)) == b(mp.mpf(6))


def test_masked_ridge_is_the_finite_d_shift(X):
    """The finite estimator's ``R = (1−p)G⁻¹`` is ``(S + B)⁻¹`` with ``B_kk = b(S_kk)``: the ridge is
    the diagonal shift of the fit, the variance ``s`` being the diagonal of ``S``."""
    model = Model(F(D, N), "0.3", mask_ratio="0.25")
    fit = estimators.get("masked").fit(X, model)
    S = X.T @ X / N
    b = estimators.get("masked").ridge(model, 0.3)
    shift = np.diag([float(b(s)) for s in np.diag(S)])
    _close(fit.precision, np.linalg.inv(S + shift))


# --- finite-d fits -----------------------------------------------------------------------------

@pytest.mark.parametrize("p", ["0.25", "0.6"])
def test_masked_fit_equals_the_brute_force_construction(X, p):
    model = Model(F(D, N), "0.3", mask_ratio=p)
    fit = estimators.get("masked").fit(X, model)
    A, Ginv = _brute_masked(X, 0.3, float(F(p)))
    assert fit.p == float(F(p)) and fit.lam == 0.3 and fit.estimator == "masked"
    _close(fit.matrix, A)
    _close(fit.precision, (1 - float(F(p))) * Ginv)
    assert np.all(np.diag(fit.matrix) == 0)
    eig = np.linalg.eigvals(A)
    assert np.max(np.abs(eig.imag)) < 1e-10  # similar to a symmetric matrix
    _close(fit.spectrum, np.sort(eig.real))
    values, vectors = np.linalg.eig(A)
    top = np.real(vectors[:, np.argmax(values.real)])
    top /= np.linalg.norm(top)
    assert abs(abs(top @ fit.top_vector) - 1) < 1e-10 and abs(np.linalg.norm(fit.top_vector) - 1) < 1e-12


def test_ssr_fit_is_masked_at_p_zero(X):
    """Leave-one-out: ``Â = I − diag(R)⁻¹R``, ``R = (S + λI)⁻¹`` (the masked construction at p = 0)."""
    model = Model(F(D, N), "0.3")
    fit = estimators.get("ssr").fit(X, model)
    A, Ginv = _brute_masked(X, 0.3, 0.0)
    _close(fit.matrix, A)
    _close(fit.precision, Ginv)
    _close(fit.spectrum, np.sort(np.linalg.eigvals(A).real))
    assert fit.p == 0.0


def test_pca_fit_is_the_eigenpair_of_S(X):
    fit = estimators.get("pca").fit(X, Model(F(D, N), "0.3"))
    S = X.T @ X / N
    values, vectors = np.linalg.eigh(S)
    _close(fit.spectrum, values)
    assert abs(abs(vectors[:, -1] @ fit.top_vector) - 1) < 1e-12
    with pytest.raises(AttributeError, match="no 'matrix'"):
        fit.matrix


def test_fit_parts_are_computed_once(X):
    fit = estimators.get("ssr").fit(X, Model(F(D, N), "0.3"))
    assert fit.precision is fit.precision


# --- eigenvalue maps ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, p", [("ssr", "0"), ("masked", "0.3"), ("pca", "0")])
def test_eigenvalue_map_inverse_and_jacobian(name, p):
    """``from_a`` inverts ``to_a``; ``jacobian = d(from_a)/da`` (by :func:`mpmath.diff`); ``a_sup`` is
    ``lim_{t→∞} to_a(t)``."""
    est = estimators.get(name)
    model = Model("1/2", "1/5", mask_ratio=p) if name == "masked" else Model("1/2", "1/5")
    with mp.workdps(30):
        for t in (mp.mpf("1.5"), mp.mpf(4), mp.mpf(20)):
            a = est.to_a(model, t)
            assert abs(est.from_a(model, a) - t) < mp.mpf(10) ** -27 * t
            derivative = mp.diff(lambda x: est.from_a(model, x), a)
            assert abs(est.jacobian(model, a) - derivative) < mp.mpf(10) ** -25 * abs(derivative)
        sup = est.a_sup(model)
        if sup is None:
            assert est.to_a(model, mp.mpf(10) ** 20) == mp.mpf(10) ** 20
        else:
            assert abs(est.to_a(model, mp.mpf(10) ** 25) - sup) < mp.mpf(10) ** -24


def test_masked_eigenvalues_are_those_of_ssr_scaled():
    """``(1 − 1/t)/(1−p)``: the ssr map divided by ``1 − p``."""
    model = Model("1/2", "1/5", mask_ratio="1/4")
    with mp.workdps(30):
        t = mp.mpf(3)
        assert estimators.get("masked").to_a(model, t) == (1 - 1 / t) / (1 - mp.mpf(1) / 4)
        assert abs(estimators.get("masked").to_a(model, t) - mp.mpf(8) / 9) < mp.mpf(10) ** -29


def test_the_masked_estimator_alone_takes_its_closed_forms_from_derive_masking():
    """The closed route reads ``derive.masking`` (in ``p`` and ``q``) for the estimator that says so,
    and ``derive.isotropic`` for the others: the masked closed form of ``E_gen`` at ``p = 1/5`` equals
    the fixed point (which knows no closed form) to 28 digits, and differs from the leave-one-out one."""
    from numerics import theory
    from numerics.model import Model

    assert [e.name for e in estimators.ESTIMATORS.values() if e.masking_closed_forms] == ["masked"]
    plain = theory.evaluate("gen-error", Model("1/2", "1/5"), method="ssr", dps=30, route="closed")
    masked = theory.evaluate("gen-error", Model("1/2", "1/5", mask_ratio="1/5"), dps=30, route="closed")
    fixed = theory.evaluate("gen-error", Model("1/2", "1/5", mask_ratio="1/5"), dps=30, route="fixed-point")
    assert abs(masked - fixed) < mp.mpf(10) ** -28 and abs(plain - masked) > mp.mpf(10) ** -3
