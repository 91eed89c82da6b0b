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
    """Oracle ("brute force"): d independent ridge regressions, the definition of SSR.

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
    # general inverse (the closed form of docs/theory.md, "The estimators").
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


# --- masking ratio p ----------------------------------------------------------------------------

def _expected_masked_rows(X, lam, p):
    """Oracle: row k minimises E_M[(x_k − Σ_{j≠k} a_j (1−M_j) x_j)² | M_k = 1] + λ‖a‖² (the definition),
    solved row by row from its normal equations: with E[(1−M_j)(1−M_l)] = (1−p)² (j ≠ l), (1−p)
    (j = l), the quadratic form is (1−p)² S + p(1−p) diag S + λ and the linear term (1−p) S_{·k}."""
    n, d = X.shape
    S = X.T @ X / n
    H = (1 - p) ** 2 * S + p * (1 - p) * np.diag(np.diag(S)) + lam * np.eye(d)
    A = np.zeros((d, d))
    for k in range(d):
        rest = [j for j in range(d) if j != k]
        A[k, rest] = np.linalg.solve(H[np.ix_(rest, rest)], (1 - p) * S[rest, k])
    return A


@pytest.mark.parametrize("n, d, lam, p", [(60, 12, 0.3, 0.15), (40, 25, 0.1, 0.5), (30, 50, 1.0, 0.75),
                                          (200, 5, 1e-3, 0.9)])
def test_masked_fit_equals_the_per_row_solves_of_the_expected_masked_loss(n, d, lam, p):
    X = np.random.default_rng([9, n, d]).standard_normal((n, d)) * np.linspace(0.5, 2, d)
    A = fit_ssr(X, lam, mask_ratio=p)
    assert np.all(np.diag(A) == 0)
    assert np.max(np.abs(A - _expected_masked_rows(X, lam, p))) < 1e-10


def test_mask_ratio_zero_is_the_leave_one_out_fit_bit_for_bit():
    X = np.random.default_rng(3).standard_normal((50, 20))
    assert np.array_equal(fit_ssr(X, 0.2, mask_ratio=0), fit_ssr(X, 0.2))
    assert np.array_equal(fit_ssr(X, 0.2, mask_ratio=Fraction(0)), fit_ssr(X, 0.2))


def _sampled_masked_rows(X, lam, p, masks, rng):
    """Minimiser of the *sampled* masked loss: each sample is seen under ``masks`` random masks;
    row k is the ridge fit over the (sample, mask) pairs in which k is hidden (mean loss + λ‖a‖²)."""
    n, d = X.shape
    M = rng.random((masks, n, d)) < p  # True = hidden
    A = np.zeros((d, d))
    for k in range(d):
        rows = M[:, :, k]
        visible = (~M[rows]) * X[np.nonzero(rows)[1]]  # the masked copies of the samples where k is hidden
        target = X[np.nonzero(rows)[1], k]
        rest = [j for j in range(d) if j != k]
        Z = visible[:, rest]
        A[k, rest] = np.linalg.solve(Z.T @ Z / len(target) + lam * np.eye(d - 1), Z.T @ target / len(target))
    return A


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sampled_masked_loss_converges_to_the_expected_one_at_rate_k_to_the_minus_half(seed):
    """The error of the sampled-mask fit shrinks like K^{-1/2} (a mean over K masks): 16× more masks
    must cut it by ~4; we require more than 2 (the seeds vary the masks)."""
    rng = np.random.default_rng([seed, 77])
    X = np.random.default_rng(5).standard_normal((200, 8)) @ np.diag(np.linspace(0.5, 2, 8))
    target = fit_ssr(X, 0.1, mask_ratio=0.3)
    errors = [np.linalg.norm(_sampled_masked_rows(X, 0.1, 0.3, masks, rng) - target) for masks in (25, 400)]
    assert errors[1] < errors[0] / 2


@pytest.mark.parametrize("bad", [1, 1.5, -0.1, float("nan"), "0.3", True])
def test_bad_mask_ratio_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match="mask_ratio"):
        fit_ssr(np.ones((5, 3)) + np.eye(5, 3), 0.1, mask_ratio=bad)
