r"""The toolkit's elliptical data (a per-sample scale law ρ) against the independent oracle.

The toolkit is expected to take ``Model(..., scale_law="t1:w1,t2:w2")`` (the syntax of
``noise``: rows ``x = √τ Σ^{1/2} z`` with ``τ ~ ρ``, ``E τ = 1``) and evaluate every quantity
with :func:`numerics.theory.evaluate`. The oracle (:mod:`tests.numerics.elliptical_oracle`,
plain mpmath, no toolkit import) is validated in ``test_elliptical_oracle.py`` on reference
checkpoints, the Gaussian case and a duality check; here the toolkit must agree with it to
≥ 20 digits at ``dps = 30``.

They are never skipped.
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
DIGITS = 20


def _digits(x, y):
    with mp.workdps(80):
        if x == y:
            return mp.inf
        return -mp.log10(abs(x - y) / max(abs(x), abs(y)))


@pytest.mark.parametrize("noise, scale, basis, p, q, shown", [
    (NOISE, TWO, "diagonal", "3/10", None, "4.56918"),
    (NOISE, TWO, "diagonal", "3/10", "0", "5.02740"),
    (NOISE, TWO, "diagonal", "0", None, "6.25867"),
    (NOISE, TWO, "rotational", "3/10", None, "2.87357"),
    (NOISE, TWO, "rotational", "0", None, "3.07536"),
    (NOISE, SKEWED, "diagonal", "3/10", None, "4.53294"),
    (NOISE, SKEWED, "rotational", "3/10", None, "2.98454"),
    ("1:1", TWO, "diagonal", "3/10", None, None),  # isotropic Σ: no Gaussian closed form may answer
    ("1:1", SKEWED, "diagonal", "0", None, None),
])
def test_gen_error(noise, scale, basis, p, q, shown):
    model = Model(gamma="1/2", lam="1/10", noise=noise, basis=basis, mask_ratio=p, test_mask_ratio=q,
                  scale_law=scale)
    method = "masked" if model.masked else "ssr"
    theirs = evaluate("gen-error", model, method=method, dps=30)
    ours = oracle.gen_error(noise, "1/2", "1/10", scale, basis, p, q, dps=30)
    assert _digits(theirs, ours) >= DIGITS, (mp.nstr(theirs, 25), mp.nstr(ours, 25))
    if shown is not None:
        assert abs(theirs - mp.mpf(shown)) <= mp.mpf("5e-6")


@pytest.mark.parametrize("scale", [TWO, SKEWED])
def test_pca_edges(scale):
    model = Model(gamma="1/2", lam="1/10", scale_law=scale)
    theirs = evaluate("edges", model, method="pca", dps=30)
    ours = oracle.pca_edges("1/2", scale, dps=30)
    assert len(theirs) == 2
    for a, b in zip(theirs, ours):
        assert _digits(a, b) >= DIGITS, (mp.nstr(a, 25), mp.nstr(b, 25))
    # every interval (the skewed law splits the bulk in two)
    pieces = oracle.pca_intervals_dual("1/2", scale, dps=30)
    assert len(theirs.intervals) == len(pieces)
    for (a, b), (c, d) in zip(theirs.intervals, pieces):
        assert _digits(a, c) >= DIGITS and _digits(b, d) >= DIGITS


@pytest.mark.parametrize("scale", [TWO, SKEWED])
def test_pca_threshold(scale):
    model = Model(gamma="1/2", lam="1/10", scale_law=scale)
    theirs = evaluate("threshold", model, method="pca", dps=30)
    ours = oracle.pca_threshold("1/2", scale, dps=30)
    assert _digits(theirs, ours) >= DIGITS, (mp.nstr(theirs, 25), mp.nstr(ours, 25))


@pytest.mark.parametrize("scale", [TWO, SKEWED])
def test_pca_outlier(scale):
    model = Model(gamma="1/2", lam="1/10", theta=4, scale_law=scale)
    theirs = evaluate("outlier", model, method="pca", dps=30)
    ours = oracle.pca_outlier("1/2", 4, scale, dps=30)
    assert _digits(theirs, ours) >= DIGITS, (mp.nstr(theirs, 25), mp.nstr(ours, 25))


def test_pca_checkpoints_through_the_toolkit():
    """The reference values of ``ρ = ½δ_{1/2} + ½δ_{3/2}``, ``γ = 1/2`` (to the digits shown)."""
    bulk = Model(gamma="1/2", lam="1/10", scale_law=TWO)
    lower, upper = evaluate("edges", bulk, method="pca", dps=30)
    with mp.workdps(40):
        assert abs(lower - mp.mpf("0.06983500657507254")) <= mp.mpf("5e-18")
        assert abs(upper - mp.mpf("3.2997012223697937")) <= mp.mpf("5e-17")
        assert abs(evaluate("threshold", bulk, method="pca", dps=30) - mp.mpf("0.84897245563311447")) <= mp.mpf("5e-18")
        spiked = Model(gamma="1/2", lam="1/10", theta=4, scale_law=TWO)
        assert abs(evaluate("outlier", spiked, method="pca", dps=30) - mp.mpf("5.7950011704117285")) <= mp.mpf("5e-17")


def test_gaussian_scale_law_is_the_default():
    """``scale_law="1:1"`` (``ρ = δ₁``) is the Gaussian model: the same values as no scale law."""
    for basis in ("diagonal", "rotational"):
        plain = Model(gamma="1/2", lam="1/10", noise=NOISE, basis=basis, mask_ratio="3/10")
        gaussian = Model(gamma="1/2", lam="1/10", noise=NOISE, basis=basis, mask_ratio="3/10", scale_law="1:1")
        assert _digits(evaluate("gen-error", gaussian, method="masked", dps=30),
                       evaluate("gen-error", plain, method="masked", dps=30)) >= 25
