"""Tests of numerics.data: the laws of the standardised entries, their parsing, the unchanged
Gaussian default of numerics.simulate, and universality at small d.

Statistical checks are in units of the standard error computed from the *exact* moments of
each law (never from a lucky seed) and hold for every seed in 0–99.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from numerics.data import GAUSSIAN, LAWS, DataLaw, Gaussian, Rademacher, Sparse, StudentT, parse_data
from numerics.model import BadParameter, Model
from numerics.simulate import _haar, measure, sample, simulate
from numerics.theory import evaluate

N = 200_000
SEEDS = (0, 42, 99)
SPECS = ("gaussian", "rademacher", "sparse(1/10)", "sparse(1)", "student-t(5/2)", "student-t(3)",
         "student-t(5)", "student-t(12)")


def _eighth_moment(law: DataLaw):
    """``E z⁸`` (``math.inf`` when infinite), an oracle for the standard error of the sample ``E z⁴``.

    Gaussian: 7!! = 105. Rademacher: 1. Sparse: ``Q/Q⁴``. Student: ``E t_ν⁸ = 105 ν⁴/((ν−2)(ν−4)(ν−6)(ν−8))``
    (ν > 8; the even moments of t, e.g. Johnson, Kotz & Balakrishnan, Continuous Univariate
    Distributions 2, ch. 28), times the scale ``((ν−2)/ν)⁴``.
    """
    if isinstance(law, Gaussian):
        return Fraction(105)
    if isinstance(law, Rademacher):
        return Fraction(1)
    if isinstance(law, Sparse):
        return 1 / law.q ** 3
    nu = law.nu
    return 105 * (nu - 2) ** 3 / ((nu - 4) * (nu - 6) * (nu - 8)) if nu > 8 else math.inf


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("spec", SPECS)
def test_each_law_is_standardised(spec, seed):
    law = parse_data(spec)
    z = law.draw(np.random.default_rng(seed), N)
    assert z.shape == (N,) and z.dtype == np.float64
    assert abs(z.mean()) < 4 / np.sqrt(N)  # Var z = 1 exactly
    m4 = law.fourth_moment
    if m4 < math.inf:  # the variance of z² is E z⁴ − 1
        assert abs(np.mean(z * z) - 1) <= 4 * np.sqrt(float(m4 - 1) / N)
    m8 = _eighth_moment(law)
    if m8 < math.inf:  # the sample fourth moment has a finite standard error
        se = np.sqrt(float(m8 - m4 ** 2) / N)
        assert abs(np.mean(z ** 4) - float(m4)) <= 4 * se


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("spec", SPECS)
def test_each_law_has_its_distribution_function(spec, seed):
    # the empirical distribution function at a few points against the exact one, within 4 binomial
    # standard errors; this checks the scale of the heavy-tailed laws, whose variance has no
    # standard error (E z⁴ = ∞ for ν ≤ 4)
    law = parse_data(spec)
    z = law.draw(np.random.default_rng(seed), N)
    points = np.array([-2.5, -1.0, -0.3, 0.0, 0.3, 1.0, 2.5])
    if isinstance(law, Gaussian):
        exact = stats.norm.cdf(points)
    elif isinstance(law, StudentT):
        nu = float(law.nu)
        exact = stats.t.cdf(points / math.sqrt((nu - 2) / nu), nu)
    else:  # ±1/√Q with probability Q/2 each, 0 otherwise (Rademacher: Q = 1)
        q = float(getattr(law, "q", 1))
        atom = 1 / math.sqrt(q)
        exact = np.where(points < -atom, 0, q / 2) + np.where(points >= 0, 1 - q, 0) + np.where(points >= atom, q / 2, 0)
    empirical = np.array([np.mean(z <= x) for x in points])
    se = np.sqrt(exact * (1 - exact) / N)
    assert np.all(np.abs(empirical - exact) <= 4 * se), (empirical - exact) / np.maximum(se, 1e-300)


def test_atoms_of_the_discrete_laws_are_exact():
    assert set(np.unique(Rademacher().draw(np.random.default_rng(0), 1000))) == {-1.0, 1.0}
    values = parse_data("sparse(1/4)").draw(np.random.default_rng(0), 1000)
    assert set(np.unique(values)) == {-2.0, 0.0, 2.0}


@pytest.mark.parametrize("nu", [Fraction(9, 2), Fraction(5), Fraction(8), Fraction(12), Fraction(3), Fraction(4),
                                Fraction(5, 2)])
def test_student_fourth_moment_is_scipys_kurtosis(nu):
    # oracle: scipy's excess kurtosis of t_ν, 6/(ν − 4) for ν > 4 (infinite for 2 < ν ≤ 4); scaling
    # does not change a kurtosis, so E z⁴ = 3 + excess
    excess = float(stats.t(float(nu)).stats(moments="k"))
    law = StudentT(nu)
    if nu > 4:
        assert law.fourth_moment == 3 * (nu - 2) / (nu - 4)
        assert float(law.fourth_moment) == pytest.approx(3 + excess, rel=1e-13)
    else:
        assert law.fourth_moment == math.inf and excess == math.inf


def test_fourth_moments():
    assert GAUSSIAN.fourth_moment == 3 and Rademacher().fourth_moment == 1
    assert parse_data("sparse(1/10)").fourth_moment == 10 and parse_data("sparse(1)").fourth_moment == 1
    assert parse_data("student-t(8)").fourth_moment == Fraction(9, 2)


@pytest.mark.parametrize("text, law", [
    (None, Gaussian()), ("gaussian", Gaussian()), (" gaussian ", Gaussian()), ("rademacher", Rademacher()),
    ("student-t(5/2)", StudentT(Fraction(5, 2))), ("student-t(2.5)", StudentT(Fraction(5, 2))),
    ("student-t( 25e-1 )", StudentT(Fraction(5, 2))), ("sparse(1e-1)", Sparse(Fraction(1, 10))),
    ("sparse(0.1)", Sparse(Fraction(1, 10))), ("sparse(1)", Sparse(Fraction(1))),
    ("student-t(2.000000000000000000001)", StudentT(Fraction(2) + Fraction(1, 10 ** 21))),
])
def test_parsing_is_exact(text, law):
    parsed = parse_data(text)
    assert parsed == law and hash(parsed) == hash(law) and type(parsed) is type(law)
    assert parse_data(parsed.spec) == parsed and parse_data(parsed) is parsed
    if isinstance(law, StudentT):
        assert parsed.nu == law.nu and isinstance(parsed.nu, Fraction)


def test_specs_are_canonical():
    assert [parse_data(s).spec for s in ("gaussian", "rademacher", "student-t(2.5)", "sparse(1e-1)")] == \
        ["gaussian", "rademacher", "student-t(5/2)", "sparse(1/10)"]
    assert set(LAWS) == {"gaussian", "rademacher", "student-t", "sparse"}


@pytest.mark.parametrize("text", [
    "student-t(2)", "student-t(1)", "student-t(-3)", "student-t(0)", "student-t(1/0)", "student-t(nan)",
    "student-t(inf)", "student-t(five)", "student-t(__import__('os'))", "student-t()", "student-t", "student-t(3,4)",
    "sparse(0)", "sparse(-1/2)", "sparse(11/10)", "sparse(nan)", "sparse(1/0)", "sparse", "sparse(1e-99999)",
    "cauchy", "normal", "Gaussian", "gaussian(1)", "rademacher()", "", "  ", "1/2", "student-t(3", "t(3)", 3,
])
def test_bad_laws_are_refused_in_one_line_naming_data(text):
    with pytest.raises(BadParameter) as info:
        parse_data(text)
    assert info.value.name == "data"
    message = str(info.value)
    assert message.startswith("data: ") and "\n" not in message and len(message) < 200


def test_unknown_names_list_the_choices():
    with pytest.raises(BadParameter, match=r"^data: unknown law 'cauchy' \(choose from gaussian, rademacher, "
                                           r"student-t\(NU\), sparse\(Q\)\)$"):
        parse_data("cauchy")


def test_simulate_refuses_a_bad_law_naming_data():
    with pytest.raises(BadParameter, match="^data:"):
        simulate("m", Model(gamma=1, lam=1), d=10, seeds=2, data="student-t(2)")


# --- the Gaussian default is unchanged bit for bit ------------------------------------------------

_DIAGONAL = Model(gamma="1/2", lam=1, theta=2, noise="1:1/2,6:1/2")
_ROTATIONAL = Model(gamma="1/2", lam="1/5", theta=2, noise="1:1/2,6:1/2", basis="rotational")

# Recorded on branch main at 08282d2 (before numerics.data existed), numpy 2.4.6, OpenBLAS:
#   X, _, _ = sample(_DIAGONAL, 4, np.random.default_rng(7)); X[:, 0], X.sum()
#   simulate("gen-error", _ROTATIONAL, d=30, seeds=3, seed=3, extrapolate=True).values and .plain
_MAIN_X0 = [-0.454728603497879, -0.49063421654909767, 0.10437670191289994, -1.344413135266991,
            -1.8415386504290865, 0.15686448029263508, -0.05067889632493521, -0.9783837130540685]
_MAIN_SUM = -22.895165410759322
_MAIN_GEN_ERROR = [3.4569856398833108, 3.177266990925467, 2.4523444614538454]
_MAIN_GEN_ERROR_PLAIN = [3.149553107947553, 3.0064081324984313, 2.7349806104112004]


def test_gaussian_default_reproduces_the_draws_of_main():
    X, _, _ = sample(_DIAGONAL, 4, np.random.default_rng(7))
    assert X[:, 0].tolist() == _MAIN_X0 and float(X.sum()) == _MAIN_SUM
    result = simulate("gen-error", _ROTATIONAL, d=30, seeds=3, seed=3, extrapolate=True)
    # the rotation goes through BLAS: bit for bit on the recording platform, to rounding elsewhere
    np.testing.assert_allclose(result.values, _MAIN_GEN_ERROR, rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.plain, _MAIN_GEN_ERROR_PLAIN, rtol=1e-12, atol=0)
    assert result.data == "gaussian"


@pytest.mark.parametrize("data", [None, "gaussian", GAUSSIAN])
def test_gaussian_default_is_the_recipe_of_main(data):
    # the documented order of draws of main: v (d normals), z (n×d normals), ξ (n normals)
    d, rng = 6, np.random.default_rng(11)
    X, Sigma, v = sample(_DIAGONAL, d, np.random.default_rng(11), data) if data is not None else \
        sample(_DIAGONAL, d, np.random.default_rng(11))
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    variances = np.repeat([1.0, 6.0], 3)
    expected = rng.standard_normal((12, d)) * np.sqrt(variances) + np.sqrt(2.0) * np.outer(rng.standard_normal(12), w)
    np.testing.assert_array_equal(v, w)
    np.testing.assert_array_equal(X, expected)
    np.testing.assert_array_equal(Sigma, np.diag(variances) + 2 * np.outer(w, w))


def test_other_laws_replace_only_the_draws_of_z_and_xi():
    d, law = 6, parse_data("sparse(1/4)")
    X, _, v = sample(_DIAGONAL, d, np.random.default_rng(3), law)
    rng = np.random.default_rng(3)
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    expected = law.draw(rng, (12, d)) * np.sqrt(np.repeat([1.0, 6.0], 3)) + np.sqrt(2.0) * np.outer(law.draw(rng, 12), w)
    np.testing.assert_array_equal(v, w)
    np.testing.assert_array_equal(X, expected)
    Z, _, _ = sample(Model(gamma="1/2", lam=1), 20, np.random.default_rng(0), "rademacher")
    assert set(np.unique(Z)) == {-1.0, 1.0}  # isotropic, no spike: the rows are z itself


@pytest.mark.parametrize("spec", ["rademacher", "sparse(1/4)", "student-t(12)"])
@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
def test_sample_covariance_is_sigma_for_every_law(spec, basis):
    # x = A w with w = (z, ξ) i.i.d. standardised and A = [O diag(σ), √θ v]: Cov x = A Aᵀ = Σ, and
    # Var(x_i x_j) = Σ_ii Σ_jj + Σ_ij² + κ₄ Σ_k A_ik² A_jk² (κ₄ = E z⁴ − 3, the fourth cumulant);
    # every entry of XᵀX/n within 6 standard errors (union bound over d² entries below 1e-5)
    law = parse_data(spec)
    theta, d = 3.0, 30
    model = Model(gamma="1/200", lam=1, theta=3, noise="1:1/3,4:1/2,9:1/6", basis=basis)
    X, Sigma, v = sample(model, d, np.random.default_rng(5), law)
    n = X.shape[0]
    sigma = np.sqrt(np.repeat([1.0, 4.0, 9.0], [10, 15, 5]))
    if basis == "rotational":  # O from the documented order of draws: v (d normals), then O
        rng = np.random.default_rng(5)
        rng.standard_normal(d)
        root = _haar(d, rng) * sigma
    else:
        root = np.diag(sigma)
    A = np.column_stack([root, np.sqrt(theta) * v])
    np.testing.assert_allclose(A @ A.T, Sigma, atol=1e-12)
    diag = np.diag(Sigma)
    kappa = float(law.fourth_moment) - 3
    variance = np.outer(diag, diag) + Sigma ** 2 + kappa * (A ** 2) @ (A ** 2).T
    z = np.abs(X.T @ X / n - Sigma) / np.sqrt(variance / n)
    assert z.max() < 6


# --- universality at small d ----------------------------------------------------------------------

_HET = Model(gamma="1/2", lam="1/10", noise="1:1/2,6:1/2")


@pytest.mark.parametrize("spec", ["rademacher", "student-t(8)"])
@pytest.mark.parametrize("quantity", ["gen-error", "m"])
def test_light_tailed_data_share_the_gaussian_limit(quantity, spec):
    # Richardson 2·x(d) − x(d/2) removes the O(κ₄/d) bias; measured over base seeds 0–99 at
    # d = 160, K = 12: max |z| = 3.07 (gen-error) and 3.01 (m) for Rademacher, 3.20 and 2.50 for student-t(8)
    limit = float(evaluate(quantity, _HET, dps=20))
    result = simulate(quantity, _HET, d=160, seeds=12, seed=0, extrapolate=True, data=spec)
    assert result.data == spec
    assert abs(result.mean - limit) < 4 * result.stderr, (result.mean - limit) / result.stderr


def test_heavy_tails_break_the_same_comparison():
    # the control: with E z⁴ = ∞ (ν = 3) the rows with huge entries leave the bulk and (1/d) tr R
    # sits above its Gaussian limit; plain mean at d = 160, K = 12: z ≥ 9.2 over base seeds 0–99
    # (+8.8 % on average), so the 4-standard-error comparison above has the power to fail
    limit = float(evaluate("m", _HET, dps=20))
    result = simulate("m", _HET, d=160, seeds=12, seed=0, data="student-t(3)")
    assert result.mean - limit > 4 * result.stderr


def test_measure_forwards_the_law():
    wanted = [("m", "ssr")]
    rng = np.random.default_rng
    assert measure(_HET, 20, rng(1), wanted) == measure(_HET, 20, rng(1), wanted, data="gaussian")
    assert measure(_HET, 20, rng(1), wanted) != measure(_HET, 20, rng(1), wanted, data="rademacher")
