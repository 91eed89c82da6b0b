"""Tests of numerics.estimator against brute-force oracles written here."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.estimator import (
    fit_ssr,
    gen_error,
    pca_spectrum,
    pca_top,
    ssr_spectrum,
    ssr_top_vector,
    train_error,
)


def brute_force_ssr(X, lam):
    """Oracle (SPEC §1, "Brute force"): d independent ridge regressions.

    Row k minimises (1/n)‖x_k − X_{−k} a‖² + λ‖a‖² over a ∈ R^{d−1}, i.e. solves the normal
    equations (X_{−k}ᵀX_{−k}/n + λI) a = X_{−k}ᵀ x_k / n; the diagonal entry stays 0.
    """
    n, d = X.shape
    A = np.zeros((d, d))
    for k in range(d):
        others = np.arange(d) != k
        Z = X[:, others]
        A[k, others] = np.linalg.solve(Z.T @ Z / n + lam * np.eye(d - 1), Z.T @ X[:, k] / n)
    return A


def relative_gap(A, B):
    return np.max(np.abs(A - B)) / np.max(np.abs(B))


@pytest.mark.parametrize("n, d", [(50, 8), (20, 20), (7, 15), (1, 4), (200, 30)])
@pytest.mark.parametrize("lam", [1e-2, 0.2, 1.0, 10.0])
def test_fit_matches_brute_force(n, d, lam):
    rng = np.random.default_rng([n, d])
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, size=d)
    A = fit_ssr(X, lam)
    assert A.shape == (d, d)
    assert np.all(np.diag(A) == 0.0)
    assert relative_gap(A, brute_force_ssr(X, lam)) < 1e-10


@pytest.mark.parametrize("d", [255, 256, 300, 513])
def test_fit_large_d_matches_closed_form(d):
    # d beyond one copy block of the triangle mirroring; oracle: I − diag(R)^{-1} R with a
    # general inverse (SPEC §1 closed form).
    X = np.random.default_rng(d).standard_normal((d + 50, d))
    R = np.linalg.inv(X.T @ X / (d + 50) + 0.3 * np.eye(d))
    expected = np.eye(d) - R / np.diag(R)[:, None]
    assert relative_gap(fit_ssr(X, 0.3), expected) < 1e-10


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 12),
    d=st.integers(2, 9),
    lam=st.floats(1e-2, 1e2),
    seed=st.integers(0, 2**32 - 1),
)
def test_fit_property(n, d, lam, seed):
    X = np.random.default_rng(seed).standard_normal((n, d))
    A = fit_ssr(X, lam)
    assert np.all(np.diag(A) == 0.0)
    assert relative_gap(A, brute_force_ssr(X, lam)) < 1e-10


def test_fit_minimises_joint_objective():
    # Â is the constrained argmin: perturbing an off-diagonal entry raises the objective.
    rng = np.random.default_rng(3)
    n, d, lam = 30, 6, 0.3
    X = rng.standard_normal((n, d))

    def objective(A):
        return np.sum((X - X @ A.T) ** 2) / n + lam * np.sum(A**2)

    A = fit_ssr(X, lam)
    for _ in range(10):
        E = rng.standard_normal((d, d)) * 1e-3
        np.fill_diagonal(E, 0.0)
        assert objective(A + E) > objective(A)


def test_lam_accepts_fraction_and_int():
    X = np.random.default_rng(0).standard_normal((10, 4))
    np.testing.assert_array_equal(fit_ssr(X, Fraction(1, 5)), fit_ssr(X, 0.2))
    np.testing.assert_array_equal(fit_ssr(X, 2), fit_ssr(X, 2.0))


@pytest.mark.parametrize("n, d, lam", [(40, 10, 0.2), (10, 25, 0.5), (60, 60, 1e-2)])
def test_spectrum_matches_general_eigensolver(n, d, lam):
    X = np.random.default_rng(d).standard_normal((n, d)) * np.linspace(0.5, 2.0, d)
    A = fit_ssr(X, lam)
    general = np.sort(np.linalg.eigvals(A).real)
    spectrum = ssr_spectrum(X, lam)
    assert np.all(np.diff(spectrum) >= 0)
    np.testing.assert_allclose(spectrum, general, rtol=0, atol=1e-9)
    assert abs(spectrum.sum()) < 1e-10  # tr Â = 0


@pytest.mark.parametrize("n, d, lam", [(40, 10, 0.2), (10, 25, 0.5)])
def test_top_vector_is_right_eigenvector(n, d, lam):
    rng = np.random.default_rng(n)
    v = rng.standard_normal(d)
    X = rng.standard_normal((n, d)) + 2.0 * np.outer(rng.standard_normal(n), v)
    a, r = ssr_top_vector(X, lam)
    A = fit_ssr(X, lam)
    assert np.isclose(np.linalg.norm(r), 1.0, rtol=0, atol=1e-13)
    np.testing.assert_allclose(A @ r, a * r, rtol=0, atol=1e-10)
    assert np.isclose(a, ssr_spectrum(X, lam)[-1], rtol=0, atol=1e-12)
    assert r[np.argmax(np.abs(r))] > 0
    # the top right eigenvector is not the top left one (Â is not symmetric)
    assert not np.allclose(A.T @ r, a * r, atol=1e-6)


def test_pca_matches_numpy():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 12))
    S = X.T @ X / 30
    np.testing.assert_allclose(pca_spectrum(X), np.linalg.eigvalsh(S), atol=1e-12)
    value, u = pca_top(X)
    np.testing.assert_allclose(S @ u, value * u, atol=1e-12)
    assert np.isclose(np.linalg.norm(u), 1.0)
    assert np.isclose(value, np.linalg.eigvalsh(S)[-1])


def test_pca_spectrum_has_null_space_when_d_exceeds_n():
    X = np.random.default_rng(6).standard_normal((5, 12))
    spectrum = pca_spectrum(X)
    assert np.all(np.abs(spectrum[:7]) < 1e-12)
    assert np.all(spectrum[7:] > 1e-3)


def test_train_error_direct():
    rng = np.random.default_rng(7)
    n, d = 25, 6
    X = rng.standard_normal((n, d))
    A = fit_ssr(X, 0.4)
    direct = sum(
        (X[i, k] - sum(A[k, j] * X[i, j] for j in range(d))) ** 2 for i in range(n) for k in range(d)
    ) / (n * d)
    assert np.isclose(train_error(X, A), direct, rtol=1e-12)
    assert train_error(X, np.zeros((d, d))) == pytest.approx(np.mean(X**2), rel=1e-12)


def test_gen_error_direct():
    rng = np.random.default_rng(8)
    d = 7
    A = rng.standard_normal((d, d))
    B = rng.standard_normal((d, d))
    Sigma = B @ B.T
    M = np.eye(d) - A
    direct = np.trace(M @ Sigma @ M.T) / d
    assert np.isclose(gen_error(A, Sigma), direct, rtol=1e-12)
    # E‖x − Ax‖²/d by Monte Carlo, within 5 standard errors
    x = rng.standard_normal((20000, d)) @ B.T
    losses = np.sum((x - x @ A.T) ** 2, axis=1) / d
    assert abs(losses.mean() - direct) < 5 * losses.std() / np.sqrt(len(losses))


@pytest.mark.parametrize(
    "X, lam, name",
    [
        (np.ones(5), 1.0, "X"),
        (np.ones((3, 1)), 1.0, "X"),
        (np.ones((0, 3)), 1.0, "X"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), 1.0, "X"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), 1.0, "X"),
        (np.ones((3, 3), dtype=complex), 1.0, "X"),
        (np.array([["a", "b"]]), 1.0, "X"),
        (np.ones((3, 3)), 0.0, "lam"),
        (np.ones((3, 3)), -1.0, "lam"),
        (np.ones((3, 3)), float("nan"), "lam"),
        (np.ones((3, 3)), float("inf"), "lam"),
        (np.ones((3, 3)), "0.2", "lam"),
        (np.ones((3, 3)), 1j, "lam"),
        (np.ones((3, 3)), True, "lam"),
    ],
)
def test_bad_input_raises(X, lam, name):
    for function in (fit_ssr, ssr_spectrum, ssr_top_vector):
        with pytest.raises(ValueError, match=f"^{name}:"):
            function(X, lam)


def test_bad_error_arguments_raise():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="^A:"):
        train_error(X, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="^A:"):
        gen_error(np.zeros((2, 3)), np.eye(2))
    with pytest.raises(ValueError, match="^Sigma:"):
        gen_error(np.zeros((3, 3)), np.eye(2))
    with pytest.raises(ValueError, match="^X:"):
        pca_top(np.ones(3))
