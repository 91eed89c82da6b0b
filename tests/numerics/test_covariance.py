"""The given-covariance route (:mod:`numerics.covariance`) against independent oracles.

- exact: for ``Σ = diag`` of the atoms of a discrete law laid out by ``atom_counts`` (every
  atom exactly ``w_i d`` times, even ``d``), ``R̄`` is diagonal and ``(1/d) Σ_k f(Σ_kk)`` *is*
  ``∫ f dν``: the matrix formulas are then the diagonal-basis limit itself, with no
  finite-``d`` correction, so they must equal the high-precision fixed-point route to float64
  accuracy; ``Σ = I`` likewise equals the SymPy closed forms of the isotropic bulk;
- float64 accuracy: a non-diagonal ``Σ`` against the same matrix formulas written again here in
  mpmath at 30 digits (matrix inverses, no eigenvectors, the literal formulas of
  :mod:`numerics.reduction`), and the stated ``accuracy`` must bound the error;
- the spectrum: the density integrates to its mass and equals the discrete-law density;
- simulation: a non-diagonal, non-Haar ``Σ`` (AR(1) times a heteroscedastic scaling) against
  Monte Carlo of that ``Σ``, in units of the standard error.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

from numerics import covariance as cv
from numerics.model import BadParameter, Model
from numerics.simulate import atom_counts
from numerics.theory import evaluate as theory_evaluate

TWO_ATOMS = "1:1/2,6:1/2"


def ar1_hetero(d: int, rho: float = 0.5) -> np.ndarray:
    """``Σ_ij = s_i ρ^|i−j| s_j`` with ``s_k² = 1 + 5 (k + 1/2)/d``: AR(1) correlations, variances 1 to 6."""
    k = np.arange(d)
    s = np.sqrt(1 + 5 * (k + 0.5) / d)
    return s[:, None] * rho ** np.abs(k[:, None] - k[None, :]) * s[None, :]


def _two_atom_diagonal(d: int) -> np.ndarray:
    counts = atom_counts(((Fraction(1), Fraction(1, 2)), (Fraction(6), Fraction(1, 2))), d)
    assert counts == (d // 2, d // 2)  # exactly w_i d each: the average over k is the integral
    return np.diag(np.repeat([1.0, 6.0], counts))


# --- exact oracles ---------------------------------------------------------------------------------

@pytest.mark.parametrize("gamma", ["1/2", "2"])
@pytest.mark.parametrize("p", ["0", "3/10"])
def test_diagonal_two_atoms_equal_the_fixed_point_route(gamma, p):
    eq = cv.solve(_two_atom_diagonal(40), gamma=Fraction(gamma), lam=Fraction(1, 10), mask_ratio=Fraction(p))
    cases = [("m", None), ("train-error", None), ("gen-error", None), ("gen-error", "0")]
    for quantity, q in cases:
        model = Model(gamma, "1/10", noise=TWO_ATOMS, basis="diagonal", mask_ratio=p, test_mask_ratio=q)
        reference = theory_evaluate(quantity, model, route="fixed-point", dps=20)
        value = eq.value(quantity, None if q is None else Fraction(q))
        error = abs(float((value - reference) / reference))
        assert error <= 1e-12 and error <= eq.accuracy, (quantity, q, error, eq.accuracy)


def test_theory_checkpoint_diagonal_basis():
    # masking checkpoint of docs/theory.md: ν = ½δ₁ + ½δ₆, γ = ½, λ = 1/10, p = q = 0.3, diagonal basis:
    # 4.4711 (simulation d = 800, 10 replicas, seed 0: 4.4710 ± 0.0007; recipe in test_masking.py)
    value = cv.evaluate("gen-error", _two_atom_diagonal(2), gamma=0.5, lam=0.1, mask_ratio=0.3)
    assert round(value, 4) == 4.4711


@pytest.mark.parametrize("gamma, p, q", [("1/2", "0", None), ("2", "3/10", None), ("1/2", "3/10", "0"),
                                         ("3/2", "0", "1/5")])
def test_identity_equals_the_isotropic_closed_forms(gamma, p, q):
    eq = cv.solve(np.eye(6), gamma=Fraction(gamma), lam=Fraction(1, 5), mask_ratio=Fraction(p))
    for quantity in ("m", "train-error", "gen-error"):
        model = Model(gamma, "1/5", mask_ratio=p, test_mask_ratio=q)
        reference = theory_evaluate(quantity, model, dps=20)  # the closed route (SymPy, lambdified)
        value = eq.value(quantity, None if q is None else Fraction(q))
        error = abs(float((value - reference) / reference))
        assert error <= 1e-12 and error <= eq.accuracy, (quantity, error, eq.accuracy)


# --- float64 accuracy against 30-digit arithmetic -----------------------------------------------------

def _mp_reference(S, gamma, lam, p, qs, dps=30, scale=None):
    """The matrix formulas of docs/theory.md ("A given covariance matrix", with the masking ridge) in
    mpmath: ``R̄`` by matrix inversion, (E1) by ``findroot``,
    the sandwiches by (E2) with ``c(X)`` from its trace, and the per-coordinate errors exactly as
    :func:`numerics.reduction.test_error` / :func:`~numerics.reduction.train_error` write them.

    ``scale``: atoms ``(τ, w)`` of a scale law (elliptical data): ``1/(1+δ)`` becomes
    ``c(δ) = Σ w τ/(1+τδ)`` and ``1/(1+δ)²`` becomes ``e₂(δ) = Σ w τ²/(1+τδ)²``."""
    with mp.workdps(dps):
        if scale is None:
            first = lambda t: 1 / (1 + t)  # noqa: E731
            second = lambda t: 1 / (1 + t) ** 2  # noqa: E731
        else:
            atoms = [(mp.mpf(tau.numerator) / tau.denominator, mp.mpf(w.numerator) / w.denominator)
                     for tau, w in scale]
            first = lambda t: mp.fsum(w * tau / (1 + tau * t) for tau, w in atoms)  # noqa: E731
            second = lambda t: mp.fsum(w * tau ** 2 / (1 + tau * t) ** 2 for tau, w in atoms)  # noqa: E731
        d = S.shape[0]
        Sig = mp.matrix(S.tolist())  # binary64 entries convert exactly
        g, l, pp = mp.mpf(gamma), mp.mpf(lam), mp.mpf(p)
        K = [Sig[k, k] for k in range(d)]
        b = [(pp * K[k] + l / (1 - pp)) / (1 - pp) for k in range(d)]
        B, Dg = mp.diag(b), mp.diag(K)

        def tr(A):
            return mp.fsum(A[k, k] for k in range(d))

        e1 = lambda t: g * tr(Sig * (Sig * first(t) + B) ** -1) / d - t  # noqa: E731
        if scale is None:
            delta = mp.findroot(e1, mp.mpf(1) / 2)
        else:  # the unique root in (0, γ tr(ΣB⁻¹)/d), by a bracketing solver (c(δ) has poles at δ < 0)
            delta = mp.findroot(e1, (mp.mpf(0), g * tr(Sig * B ** -1) / d), solver="illinois")
        R = (Sig * first(delta) + B) ** -1
        RSR = R * Sig * R
        e2 = second(delta)
        kappa = 1 / (1 - g * tr(Sig * R * Sig * R) / d * e2)

        def c(X):
            return kappa * g * tr(Sig * R * X * R) / d * e2

        rsr, rdr, rbr = RSR + c(Sig) * RSR, R * Dg * R + c(Dg) * RSR, R * B * R + c(B) * RSR
        RS = R * Sig
        cc = 1 / (1 - pp)
        out = {"m": tr(R) / d}
        for q in qs:
            q = mp.mpf(q)
            terms = []
            for k in range(d):
                D, s, u = R[k, k], K[k], RS[k, k] / R[k, k]
                a1 = cc * (s - u)
                a2 = cc ** 2 * (s - 2 * u + rsr[k, k] / D ** 2)
                a3 = cc ** 2 * (-s + rdr[k, k] / D ** 2)
                terms.append(s - 2 * (1 - q) * a1 + (1 - q) ** 2 * a2 + q * (1 - q) * a3)
            out[float(q)] = mp.fsum(terms) / d
        terms = []
        for k in range(d):
            D, s = R[k, k], K[k]
            v = 1 / D - b[k]
            t1 = cc * (s - v)
            t2 = cc ** 2 * (s - 2 * v + (D - rbr[k, k]) / D ** 2)
            t3 = cc ** 2 * (-s + rdr[k, k] / D ** 2)
            terms.append(s - 2 * (1 - pp) * t1 + (1 - pp) ** 2 * t2 + pp * (1 - pp) * t3)
        out["train-error"] = mp.fsum(terms) / d
        return out


@pytest.mark.parametrize("d, rho, gamma, lam, p", [
    (14, 0.5, 0.5, 0.1, 0.3),
    (12, 0.95, 1.0, 1e-3, 0.0),   # ill-conditioned: κ ≈ 6, cond(M) ≈ 10³
])
def test_float64_against_30_digits_and_the_stated_accuracy(d, rho, gamma, lam, p):
    S = ar1_hetero(d, rho)
    assert np.abs(S - np.diag(np.diag(S))).max() > 0.1  # genuinely non-diagonal
    qs = sorted({0.0, p, 0.9})
    reference = _mp_reference(S, gamma, lam, p, qs)
    eq = cv.solve(S, gamma=gamma, lam=lam, mask_ratio=p)
    for key, exact in reference.items():
        value = eq.m() if key == "m" else eq.train_error() if key == "train-error" else eq.test_error(key)
        error = abs(float((value - exact) / exact))
        assert error <= eq.accuracy, (key, error, eq.accuracy)
        assert error <= 1e-13, (key, error)
    assert eq.accuracy < 1e-9  # a statement of use, not a blanket


# --- elliptical data: a scale law ρ ------------------------------------------------------------------

RHO = "1/2:1/2,3/2:1/2"


def test_gaussian_scale_law_changes_nothing():
    """``scale=None``, ``"1:1"`` and the Gaussian ``ScaleLaw`` run the Gaussian code: equal bits."""
    from numerics.scale import GAUSSIAN

    S = ar1_hetero(12, 0.7)
    grid = np.linspace(-2, 1.2, 5)
    base = cv.solve(S, gamma=0.75, lam=0.05, mask_ratio=0.2)
    for scale in (None, "1:1", GAUSSIAN, "2:1"):  # "2:1" is rescaled to δ₁
        eq = cv.solve(S, gamma=0.75, lam=0.05, mask_ratio=0.2, scale=scale)
        assert eq._rho is None
        assert (eq.m(), eq.train_error(), eq.test_error(), eq.test_error(0.6), eq.accuracy) == \
            (base.m(), base.train_error(), base.test_error(), base.test_error(0.6), base.accuracy)
        assert np.array_equal(cv.density(grid, S, gamma=0.75, lam=0.05, mask_ratio=0.2, scale=scale),
                              cv.density(grid, S, gamma=0.75, lam=0.05, mask_ratio=0.2))


@pytest.mark.parametrize("gamma, p", [("1/2", "0"), ("2", "3/10"), ("1/2", "3/10")])
@pytest.mark.parametrize("scale", [RHO, "1/10:1/2,19/10:1/2"])
def test_diagonal_two_atoms_under_a_scale_law_equal_the_high_precision_route(gamma, p, scale):
    """A discrete ρ: the matrix formulas with ``c(δ)``, ``e₂(δ)`` against the fixed-point route at
    30 digits (diagonal ``Σ`` laid out exactly: no finite-``d`` correction). Measured: ≤ 5e-16."""
    eq = cv.solve(_two_atom_diagonal(40), gamma=Fraction(gamma), lam=Fraction(1, 10), mask_ratio=Fraction(p),
                  scale=scale)
    assert eq._rho is not None
    cases = [("m", None), ("train-error", None), ("gen-error", None), ("gen-error", "0"), ("gen-error", "9/10")]
    for quantity, q in cases:
        model = Model(gamma, "1/10", noise=TWO_ATOMS, mask_ratio=p, test_mask_ratio=q, scale_law=scale)
        reference = theory_evaluate(quantity, model, method="masked", dps=30)
        value = eq.value(quantity, None if q is None else Fraction(q))
        error = abs(float((value - reference) / reference))
        assert error <= 1e-12 and error <= eq.accuracy, (quantity, q, error, eq.accuracy)


def test_a_density_scale_law_equals_the_high_precision_route():
    """A continuous ρ (Gauss–Legendre atoms in float64; the quadrature error is measured into the bound)."""
    scale = "uniform(1/5,9/5)"
    eq = cv.solve(_two_atom_diagonal(20), gamma=Fraction(1, 2), lam=Fraction(1, 10), mask_ratio=Fraction(1, 4),
                  scale=scale)
    for quantity in ("m", "train-error", "gen-error"):
        model = Model("1/2", "1/10", noise=TWO_ATOMS, mask_ratio="1/4", scale_law=scale)
        reference = theory_evaluate(quantity, model, method="masked", dps=20)
        error = abs(float((eq.value(quantity) - reference) / reference))
        assert error <= 1e-12 and error <= eq.accuracy, (quantity, error, eq.accuracy)


@pytest.mark.parametrize("d, rho, gamma, lam, p, scale", [
    (14, 0.5, 0.5, 0.1, 0.3, ((Fraction(1, 2), Fraction(1, 2)), (Fraction(3, 2), Fraction(1, 2)))),
    (12, 0.95, 1.0, 1e-3, 0.0, ((Fraction(1, 20), Fraction(1, 2)), (Fraction(39, 20), Fraction(1, 2)))),
    (10, 0.8, 2.0, 0.05, 0.5, ((Fraction(1, 4), Fraction(2, 3)), (Fraction(5, 2), Fraction(1, 3)))),
])
def test_float64_under_a_scale_law_against_30_digits_and_the_stated_accuracy(d, rho, gamma, lam, p, scale):
    """A non-diagonal ``Σ`` and a discrete ρ: the literal matrix formulas at 30 digits; the stated
    accuracy (re-derived for ρ, module docstring) must bound the error."""
    S = ar1_hetero(d, rho)
    qs = sorted({0.0, p, 0.9})
    reference = _mp_reference(S, gamma, lam, p, qs, scale=scale)
    eq = cv.solve(S, gamma=gamma, lam=lam, mask_ratio=p, scale=",".join(f"{t}:{w}" for t, w in scale))
    for key, exact in reference.items():
        value = eq.m() if key == "m" else eq.train_error() if key == "train-error" else eq.test_error(key)
        error = abs(float((value - exact) / exact))
        assert error <= eq.accuracy, (key, error, eq.accuracy)
        assert error <= 1e-13, (key, error)
    assert eq.accuracy < 1e-9


def test_e1_under_a_scale_law_holds_with_a_direct_solve():
    from numerics.model import parse_scale_law

    law = parse_scale_law(RHO)[0]
    S = ar1_hetero(30, 0.7)
    eq = cv.solve(S, gamma=0.75, lam=0.05, mask_ratio=0.2, scale=law)
    c = float(law.first_np(eq.delta))
    assert c == pytest.approx(0.5 / (1 + 0.5 * eq.delta) / 2 + 1.5 / (1 + 1.5 * eq.delta) / 2, rel=1e-15)
    Rbar = np.linalg.inv(c * S + np.diag(eq.ridge))
    assert abs(0.75 * np.trace(S @ Rbar) / 30 - eq.delta) <= 1e-13 * eq.delta
    np.testing.assert_allclose(eq.scale, np.diag(Rbar), rtol=1e-12)
    np.testing.assert_allclose(eq.spread, np.diag(Rbar @ S @ Rbar), rtol=1e-12)
    e2 = float(law.second_np(eq.delta))
    kappa = 1 / (1 - 0.75 * e2 * np.trace(S @ Rbar @ S @ Rbar) / 30)
    assert abs(kappa - eq.kappa) <= 1e-12 * kappa


def test_a_file_law_of_1e5_samples(tmp_path):
    """10⁵ samples of τ: each ``c(δ)`` is one vectorised sum (measured: solve and E(p) in about
    10 ms at d = 144, after the law is read); the value equals the direct matrix solve."""
    path = tmp_path / "tau.npy"
    np.save(path, np.random.default_rng(0).gamma(2.0, 0.5, 100_000))
    from numerics.model import parse_scale_law

    law = parse_scale_law(f"file({path})")[0]
    assert law.floats()[0].size == 100_000
    S = ar1_hetero(40, 0.6)
    eq = cv.solve(S, gamma=0.5, lam=0.1, mask_ratio=0.3, scale=law)
    tau, w = law.floats()
    c = float(np.sum(w * tau / (1 + tau * eq.delta)))
    Rbar = np.linalg.inv(c * S + np.diag(eq.ridge))
    assert abs(0.5 * np.trace(S @ Rbar) / 40 - eq.delta) <= 1e-12 * eq.delta
    assert eq.accuracy < 1e-9 and np.isfinite(eq.test_error())


def test_e1_holds_with_a_direct_solve():
    S = ar1_hetero(30, 0.7)
    eq = cv.solve(S, gamma=0.75, lam=0.05, mask_ratio=0.2)
    Rbar = np.linalg.inv(S / (1 + eq.delta) + np.diag(eq.ridge))
    assert abs(0.75 * np.trace(S @ Rbar) / 30 - eq.delta) <= 1e-13 * eq.delta
    np.testing.assert_allclose(eq.scale, np.diag(Rbar), rtol=1e-12)
    np.testing.assert_allclose(eq.cross, np.diag(Rbar @ S), rtol=1e-12)
    np.testing.assert_allclose(eq.spread, np.diag(Rbar @ S @ Rbar), rtol=1e-12)
    kappa = 1 / (1 - 0.75 * np.trace(S @ Rbar @ S @ Rbar) / 30 / (1 + eq.delta) ** 2)
    assert abs(kappa - eq.kappa) <= 1e-12 * kappa
    assert eq.residual <= cv.E1_TOL * eq.delta


# --- input handling -------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, text", [
    (np.ones(3), "square"),
    (np.ones((2, 3)), "square"),
    (np.ones((1, 1)), "d >= 2"),
    (np.array([[1.0, np.nan], [np.nan, 1.0]]), "nan"),
    (np.array([[1.0, 0.5], [0.4, 1.0]]), "not symmetric"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "smallest eigenvalue -1"),
    (np.array([["a", "b"], ["c", "d"]]), "dtype"),
])
def test_bad_covariance_is_one_line_naming_covariance(bad, text):
    with pytest.raises(BadParameter) as err:
        cv.solve(bad, gamma=0.5, lam=0.1)
    assert err.value.name == "covariance" and text in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("kwargs, name", [(dict(gamma=0, lam=1), "gamma"), (dict(gamma=1, lam=-1), "lam"),
                                          (dict(gamma=1, lam=1, mask_ratio=1), "mask-ratio"),
                                          (dict(gamma="x", lam=1), "gamma")])
def test_bad_parameters_name_the_parameter(kwargs, name):
    with pytest.raises(BadParameter) as err:
        cv.solve(np.eye(3), **kwargs)
    assert err.value.name == name


@pytest.mark.parametrize("quantity", ["edges", "threshold", "overlap", "foo"])
def test_other_quantities_refuse_naming_covariance(quantity):
    with pytest.raises(BadParameter) as err:
        cv.evaluate(quantity, np.eye(3), gamma=0.5, lam=0.1)
    assert err.value.name == "covariance"


def test_covariance_equality_hash_and_spec(tmp_path):
    S = ar1_hetero(5)
    path = tmp_path / "cov.npy"
    np.save(path, S)
    loaded = cv.load(path)
    assert loaded == cv.Covariance(S) and hash(loaded) == hash(cv.Covariance(S))
    assert loaded.spec == str(path) and cv.Covariance(S).spec.startswith("array(d=5, sha=")
    assert loaded != cv.Covariance(S + np.eye(5))
    text = tmp_path / "cov.txt"
    np.savetxt(text, S)
    assert cv.load(text) == loaded
    assert not loaded.array.flags.writeable
    for bad, message in [(tmp_path / "missing.npy", "no such file"), (tmp_path / "cov.npz", "cannot read")]:
        if bad.suffix == ".npz":
            bad.write_bytes(b"not an array")
        with pytest.raises(BadParameter, match=message) as err:
            cv.load(bad)
        assert err.value.name == "covariance"


# --- the spectrum (E3) --------------------------------------------------------------------------------

@pytest.mark.parametrize("gamma, p", [("1/2", "0"), ("1/2", "3/10"), ("3/2", "0")])
def test_density_of_a_diagonal_two_atom_sigma_equals_the_discrete_law(gamma, p):
    model = Model(gamma, "1/10", noise=TWO_ATOMS, basis="diagonal", mask_ratio=p)
    # the top component (for γ > 1 the null directions of S spread a second one below it)
    lower, upper = (float(e) for e in theory_evaluate("edges", model, route="fixed-point", dps=15).intervals[-1])
    points = [lower + f * (upper - lower) for f in (0.2, 0.5, 0.8)]
    values = cv.density(points, _two_atom_diagonal(4), gamma=Fraction(gamma), lam=0.1, mask_ratio=Fraction(p))
    for a, value in zip(points, values):
        reference = float(theory_evaluate("density", model, at=a, route="fixed-point", dps=15))
        # the η = 1e-9 · mean t smoothing: measured 2e-8 at a tenth of the width from an edge
        assert abs(value - reference) <= 1e-6 * reference, (a, value, reference)
    assert cv.density(upper + 0.05 * (upper - lower), _two_atom_diagonal(4), gamma=Fraction(gamma),
                      lam=0.1, mask_ratio=Fraction(p)) < 1e-6


@pytest.mark.parametrize("gamma, p", [("1/2", "0"), ("1/2", "3/10"), ("3/2", "0")])
def test_density_under_a_scale_law_equals_the_discrete_law(gamma, p):
    """(E3) with ``c(δ(u))``: a diagonal two-atom ``Σ`` against the high-precision route under ρ."""
    model = Model(gamma, "1/10", noise=TWO_ATOMS, basis="diagonal", mask_ratio=p, scale_law=RHO)
    lower, upper = (float(e) for e in theory_evaluate("edges", model, route="fixed-point", dps=15).intervals[-1])
    points = [lower + f * (upper - lower) for f in (0.2, 0.5, 0.8)]
    values = cv.density(points, _two_atom_diagonal(4), gamma=Fraction(gamma), lam=0.1, mask_ratio=Fraction(p),
                        scale=RHO)
    for a, value in zip(points, values):
        reference = float(theory_evaluate("density", model, at=a, route="fixed-point", dps=15))
        assert abs(value - reference) <= 1e-6 * reference, (a, value, reference)


def _mass(S, gamma, lam, p, t_low, points=2001):
    """``∫ ρ(a) da`` by the trapezoid rule in ``a`` over the image of ``t ∈ [t_low, t_high]``,
    ``t_high = ‖C‖(1+√γ)² · 1.05 + max BD̄`` (beyond the support of ``T``)."""
    eq = cv.solve(S, gamma=gamma, lam=lam, mask_ratio=p)
    root = np.sqrt(eq.scale)
    C = S * root[:, None] * root[None, :]
    t_high = np.linalg.eigvalsh(C)[-1] * (1 + np.sqrt(gamma)) ** 2 * 1.05 + (eq.ridge * eq.scale).max()
    grid = np.linspace((1 - 1 / t_low) / (1 - p), (1 - 1 / t_high) / (1 - p), points)
    return np.trapezoid(cv.density(grid, S, gamma=gamma, lam=lam, mask_ratio=p), grid)


def test_density_integrates_to_its_mass():
    # trapezoid error at the square-root edges: measured 4e-5 with 1001 points, 1e-5 with 4001
    S = ar1_hetero(8, 0.5)
    eq = cv.solve(S, gamma=0.5, lam=0.1, mask_ratio=0.3)
    assert abs(_mass(S, 0.5, 0.1, 0.3, t_low=0.95 * (eq.ridge * eq.scale).min()) - 1) < 1e-4
    # γ = 2, Σ = I: the scalar shift BD̄ = b m̄ carries the atom (mass 1 − 1/γ) of the d − n null
    # directions; above it the continuous part has mass 1/γ
    eq = cv.solve(np.eye(4), gamma=2, lam=0.2)
    atom = eq.ridge[0] * eq.scale[0]
    assert abs(_mass(np.eye(4), 2.0, 0.2, 0.0, t_low=1.2 * atom) - 0.5) < 1e-4
    assert cv.density(1.5, S, gamma=0.5, lam=0.1, mask_ratio=0.3) == 0.0  # a ≥ 1/(1−p): no eigenvalue


def test_density_grid_equals_single_points():
    S = ar1_hetero(10, 0.6)
    grid = np.linspace(-3, 1.2, 9)
    together = cv.density(grid, S, gamma=0.7, lam=0.05, mask_ratio=0.2)
    alone = [cv.density(a, S, gamma=0.7, lam=0.05, mask_ratio=0.2) for a in grid[::-1]]
    np.testing.assert_allclose(together, alone[::-1], rtol=1e-9, atol=1e-12)


# --- integration: Model, theory.evaluate, simulate ------------------------------------------------------

def test_model_with_a_covariance():
    S = ar1_hetero(6)
    model = Model("1/2", "1/10", mask_ratio="3/10", covariance=S)
    assert model == Model("1/2", "1/10", mask_ratio="3/10", covariance=S.copy())
    assert hash(model) == hash(Model("1/2", "1/10", mask_ratio="3/10", covariance=cv.Covariance(S, spec="x.npy")))
    assert model != Model("1/2", "1/10", mask_ratio="3/10", covariance=S + np.eye(6))
    assert not model.isotropic
    params = model.as_dict()
    assert params["covariance"].startswith("array(d=6, sha=") and "noise" not in params and "theta" not in params
    for kwargs, name in [(dict(theta=1), "theta"), (dict(noise=TWO_ATOMS), "noise"), (dict(basis="rotational"), "basis"),
                         (dict(covariance=np.ones((2, 2))), "covariance")]:
        with pytest.raises(BadParameter) as err:
            Model("1/2", "1/10", **{"covariance": S, **kwargs})
        assert err.value.name == name


def test_theory_evaluate_dispatches_to_the_covariance_route():
    S = ar1_hetero(10)
    model = Model("1/2", "1/10", mask_ratio="3/10", test_mask_ratio="0", covariance=S)
    value = theory_evaluate("gen-error", model)
    assert value == cv.evaluate("gen-error", S, gamma=0.5, lam=0.1, mask_ratio=0.3, test_mask_ratio=0)
    for quantity, kwargs, name in [("edges", {}, "covariance"), ("density", dict(at=0), "covariance"),
                                   ("mask-optimum", {}, "covariance"), ("m", dict(route="fixed-point"), "route")]:
        with pytest.raises(BadParameter) as err:
            theory_evaluate(quantity, model, **kwargs)
        assert err.value.name == name


def test_theory_evaluate_passes_the_scale_law():
    S = ar1_hetero(10)
    model = Model("1/2", "1/10", mask_ratio="3/10", covariance=S, scale_law=RHO)
    assert model.elliptical
    value = theory_evaluate("gen-error", model)
    assert value == cv.evaluate("gen-error", S, gamma=0.5, lam=0.1, mask_ratio=0.3, scale=RHO)
    assert value != theory_evaluate("gen-error", Model("1/2", "1/10", mask_ratio="3/10", covariance=S))


def test_sample_with_a_covariance_has_that_covariance():
    from numerics.simulate import sample

    S = ar1_hetero(8, 0.8)
    X, Sigma, v = sample(Model("1/500", "1", covariance=S), 8, np.random.default_rng(3))
    assert X.shape == (4000, 8)
    np.testing.assert_allclose(Sigma, S, rtol=1e-15, atol=0)  # the validated (symmetrised) Σ
    assert np.all(np.isnan(v))
    n = X.shape[0]
    se = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S ** 2) / n)  # Var(x_i x_j) = Σ_ii Σ_jj + Σ_ij²
    assert (np.abs(X.T @ X / n - S) / se).max() < 6  # union bound over 64 entries: < 1e-7
    with pytest.raises(BadParameter) as err:
        sample(Model("1/2", "1", covariance=S), 9, np.random.default_rng(0))
    assert err.value.name == "d"


def _richardson(quantity, p, q, d, seeds, seed):
    """Theory minus simulation, Richardson-extrapolated over the family ``Σ_d = ar1_hetero(d)``.

    The finite-``d`` bias of ``E[x_d] − x̄_d`` (``x̄_d`` this route at ``Σ_d``) is ``c/d + O(1/d²)``
    (real Gaussian data); ``2(x_d − x̄_d) − (x_{d/2} − x̄_{d/2})`` removes it. Independent
    replicas at the two sizes (base seeds ``seed`` and ``seed + 1000``). Returns ``(gap, stderr)``.
    """
    from numerics.simulate import simulate

    gaps, variances = [], []
    for size, base in ((d, seed), (d // 2, seed + 1000)):
        S = ar1_hetero(size)
        model = Model("1/2", "1/10", mask_ratio=p, test_mask_ratio=q, covariance=S)
        result = simulate(quantity, model, seeds=seeds, seed=base)
        gaps.append(result.mean - float(theory_evaluate(quantity, model)))
        variances.append(result.stderr ** 2)
    return 2 * gaps[0] - gaps[1], float(np.sqrt(4 * variances[0] + variances[1]))


SEED = 0  # any seed in 0–99: the tolerance is statistical


@pytest.mark.parametrize("quantity, p, q", [("gen-error", "0", None), ("gen-error", "3/10", None),
                                            ("gen-error", "3/10", "0"), ("train-error", "0", None),
                                            ("train-error", "3/10", None), ("m", "3/10", None)])
def test_simulation_of_an_ar1_heteroscedastic_sigma(quantity, p, q):
    # Raw z-scores at d = 100 reach 4 (m, p = 0.3: an O(1/d) bias of 0.9/d); extrapolated, |z| < 1
    # for seed 1 with 24 replicas. 24 replicas: Student-t with 23 dof, P(|t| > 4) ≈ 6e-4 per case.
    gap, stderr = _richardson(quantity, p, q, d=160, seeds=24, seed=SEED)
    assert abs(gap) < 4 * stderr, (gap, stderr)
