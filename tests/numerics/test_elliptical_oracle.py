r"""Validation of the elliptical-data oracle (:mod:`tests.numerics.elliptical_oracle`).

The oracle is plain mpmath written from the equations; these tests check it against

- reference checkpoints computed independently (and confirmed by simulation), to the digits shown;
- the toolkit's Gaussian values (``ρ = δ₁``, where the elliptical equations reduce to the
  Gaussian ones the toolkit already solves) to ≥ 25 digits;
- a second, independent route to the PCA bulk edges (duality with the ``n × n`` sample
  covariance and the Silverstein–Choi inverse) to ≥ 25 digits at 40 digits.

A one-off NumPy simulation (d = 800, n = 1600, 3 draws, the finite-d ``Â_p`` and its exact
population test error) gave 4.5673 ± 0.0012 (diagonal, p = q = 0.3; oracle 4.56918),
5.0248 ± 0.0017 (diagonal, p = 0.3, q = 0; 5.02740) and 2.8768 ± 0.0008 (rotational, p = q = 0.3;
2.87357) for ρ = ½δ_{1/2} + ½δ_{3/2}; a d = 1500 sample of the skewed law's PCA spectrum has no
eigenvalue in the oracle's gap (1.2107, 1.3806).

The oracle imports nothing from the toolkit; only the Gaussian comparison here calls
:func:`numerics.theory.evaluate`.
"""
from __future__ import annotations

import mpmath as mp
import pytest

from numerics.model import Model
from numerics.theory import evaluate
from tests.numerics import elliptical_oracle as oracle

NOISE = "1:1/2,6:1/2"
TWO = "1/2:1/2,3/2:1/2"      # ρ = ½δ_{1/2} + ½δ_{3/2}
SKEWED = "1/2:9/10,11/2:1/10"  # ρ = 0.9δ_{1/2} + 0.1δ_{11/2}


def _digits(x, y):
    """Agreeing significant digits of ``x`` and ``y`` (``inf`` when equal)."""
    with mp.workdps(80):
        if x == y:
            return mp.inf
        return -mp.log10(abs(x - y) / max(abs(x), abs(y)))


def _shows(value, shown: str) -> bool:
    """Whether ``value`` rounds to the decimal string ``shown`` (within half a unit of its last digit)."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    with mp.workdps(60):
        return abs(value - mp.mpf(shown)) <= mp.mpf(5) * mp.mpf(10) ** -(decimals + 1)


# --- reference checkpoints -------------------------------------------------------------------

@pytest.mark.parametrize("scale, basis, p, q, shown", [
    (TWO, "diagonal", "3/10", None, "4.56918"),
    (None, "diagonal", "3/10", None, "4.47108"),  # Gaussian ρ = δ₁
    (TWO, "diagonal", "3/10", "0", "5.02740"),
    (TWO, "diagonal", "0", None, "6.25867"),
    (TWO, "rotational", "3/10", None, "2.87357"),
    (TWO, "rotational", "0", None, "3.07536"),
    (SKEWED, "diagonal", "3/10", None, "4.53294"),
    (SKEWED, "rotational", "3/10", None, "2.98454"),
])
def test_gen_error_checkpoints(scale, basis, p, q, shown):
    value = oracle.gen_error(NOISE, "1/2", "1/10", scale, basis, p, q, dps=30)
    assert _shows(value, shown), mp.nstr(value, 12)


def test_pca_checkpoints():
    lower, upper = oracle.pca_edges("1/2", TWO, dps=30)
    assert _shows(lower, "0.06983500657507254")
    assert _shows(upper, "3.2997012223697937")
    assert _shows(oracle.pca_threshold("1/2", TWO, dps=30), "0.84897245563311447")
    assert _shows(oracle.pca_outlier("1/2", 4, TWO, dps=30), "5.7950011704117285")


# --- the Gaussian case against the toolkit ---------------------------------------------------

@pytest.mark.parametrize("noise, gamma, basis, p, q", [
    (NOISE, "1/2", "diagonal", "3/10", None),
    (NOISE, "1/2", "diagonal", "3/10", "0"),
    (NOISE, "1/2", "diagonal", "0", None),
    (NOISE, "1/2", "diagonal", "0", "1/5"),
    (NOISE, "1/2", "rotational", "3/10", None),
    (NOISE, "1/2", "rotational", "3/10", "0"),
    (NOISE, "1/2", "rotational", "0", None),
    ("1/2:1/4,2:1/2,5:1/4", "2", "diagonal", "3/5", "1/10"),
    ("1/2:1/4,2:1/2,5:1/4", "2", "rotational", "3/5", "1/10"),
    ("1:1", "1/3", "diagonal", "1/2", None),
])
def test_gaussian_gen_error_matches_toolkit(noise, gamma, basis, p, q):
    """``ρ = δ₁`` (``c = 1/(1+δ)``, ``e₂ = c²``): the toolkit's Gaussian masked errors, ≥ 25 digits."""
    model = Model(gamma=gamma, lam="1/10", noise=noise, basis=basis, mask_ratio=p, test_mask_ratio=q)
    method = "masked" if model.masked else "ssr"
    theirs = evaluate("gen-error", model, method=method, dps=30)
    ours = oracle.gen_error(noise, gamma, "1/10", "1:1", basis, p, q, dps=30)
    assert _digits(ours, theirs) >= 25


def test_gaussian_pca_matches_toolkit():
    """``ρ = δ₁``: edges, threshold and outlier of the toolkit's PCA (isotropic closed forms)."""
    bulk = Model(gamma="1/2", lam="1/10")
    theirs = evaluate("edges", bulk, method="pca", dps=30)
    ours = oracle.pca_edges("1/2", None, dps=30)
    assert min(_digits(a, b) for a, b in zip(ours, theirs)) >= 25
    assert _digits(oracle.pca_threshold("1/2", None, dps=30),
                   evaluate("threshold", bulk, method="pca", dps=30)) >= 25
    assert _digits(oracle.pca_outlier("1/2", 4, None, dps=30),
                   evaluate("outlier", Model(gamma="1/2", lam="1/10", theta=4), method="pca", dps=30)) >= 25


# --- two routes to the PCA edges -------------------------------------------------------------

@pytest.mark.parametrize("gamma, scale", [
    ("1/2", TWO),
    ("1/2", SKEWED),
    ("1/2", None),
    ("1/5", "1/4:1/3,1:1/3,7/4:1/3"),
    ("9/10", "1/10:1/2,19/10:1/2"),
])
def test_pca_edges_by_duality(gamma, scale):
    """The (E3) edges (double root in ``δ``) and the Silverstein–Choi edges of the dual
    ``n × n`` sample covariance agree to ≥ 25 digits at 40 digits."""
    direct = oracle.pca_edges(gamma, scale, dps=40)
    dual = oracle.pca_edges_dual(gamma, scale, dps=40)
    assert min(_digits(a, b) for a, b in zip(direct, dual)) >= 25


@pytest.mark.parametrize("gamma, scale, pieces", [
    ("1/2", TWO, 1),
    ("1/2", SKEWED, 2),  # split: ≈ [0.0489, 1.2107] ∪ [1.3806, 6.2398] (a d = 1500 sample agrees)
    ("1/5", "1/4:1/3,1:1/3,7/4:1/3", None),
])
def test_pca_intervals_by_duality(gamma, scale, pieces):
    """The intervals of the bulk (dual route): ordered, outer edges those of (E3) to ≥ 25 digits."""
    intervals = oracle.pca_intervals_dual(gamma, scale, dps=40)
    direct = oracle.pca_edges(gamma, scale, dps=40)
    assert _digits(intervals[0][0], direct[0]) >= 25 and _digits(intervals[-1][1], direct[1]) >= 25
    ends = [e for pair in intervals for e in pair]
    assert all(a < b for a, b in zip(ends, ends[1:]))
    if pieces is not None:
        assert len(intervals) == pieces


def test_pca_edges_gaussian_closed_form():
    """``ρ = δ₁``: the Marchenko–Pastur edges ``(1 ∓ √γ)²``, threshold ``√γ`` and outlier
    ``(1+θ)(1+γ/θ)`` (Baik–Silverstein)."""
    with mp.workdps(40):
        g = mp.mpf(1) / 3
        lower, upper = oracle.pca_edges("1/3", None, dps=40)
        assert _digits(lower, (1 - mp.sqrt(g)) ** 2) >= 35
        assert _digits(upper, (1 + mp.sqrt(g)) ** 2) >= 35
        assert _digits(oracle.pca_threshold("1/3", None, dps=40), mp.sqrt(g)) >= 35
        assert _digits(oracle.pca_outlier("1/3", 2, None, dps=40), 3 * (1 + g / 2)) >= 35


def test_outlier_below_threshold_is_the_upper_edge():
    upper = oracle.pca_edges("1/2", TWO, dps=30)[1]
    assert _digits(oracle.pca_outlier("1/2", "1/2", TWO, dps=30), upper) >= 28


def test_gen_error_is_stable_in_precision():
    """The oracle at 30 and 60 digits agrees to ≥ 29 digits (the (E1) root is polished)."""
    for basis in ("diagonal", "rotational"):
        low = oracle.gen_error(NOISE, "1/2", "1/10", SKEWED, basis, "3/10", None, dps=30)
        high = oracle.gen_error(NOISE, "1/2", "1/10", SKEWED, basis, "3/10", None, dps=60)
        assert _digits(low, high) >= 29


def test_scale_law_must_have_mean_one():
    with pytest.raises(ValueError):
        oracle.gen_error(NOISE, "1/2", "1/10", "1/2:1/2,2:1/2", "diagonal", 0, None)
