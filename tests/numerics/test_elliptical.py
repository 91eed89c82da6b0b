"""Elliptical data (a per-sample scale law ``ρ``): the model, the Gaussian limit, duality, ``lam-optimum``.

The values themselves are compared with an independent implementation in
``tests/numerics/test_elliptical_vs_oracle.py``; here:

- ``scale_law = 1:1`` is the Gaussian model, value for value;
- a law with mean ``m ≠ 1`` is the law of ``τ/m`` (with a note), bad laws are refused in one line;
- duality: the nonzero spectrum of ``S`` for ``(ν, ρ, γ)`` is ``γ`` times that for ``(ρ, ν, 1/γ)``
  (``S = (1/n) Σ^{1/2} Z T Zᵀ Σ^{1/2}`` and its ``n×n`` companion ``(1/n) T^{1/2} Zᵀ Σ Z T^{1/2}``,
  ``= γ (1/d) T^{1/2} Zᵀ Σ Z T^{1/2}``: a sample covariance of dimension ``n`` with population ``ρ``,
  scale law ``ν`` and ratio ``n/d``). For ``ν = δ₁`` the dual is Gaussian data and its edges come
  from Silverstein–Choi's explicit inverse (:func:`numerics.support.scalar_intervals`), a route
  independent of the walk that the elliptical model takes;
- ``lam-optimum`` is a zero of ``dE/dλ`` (checked by :func:`mpmath.diff` of the test error) and a
  minimum; a diagonal population (independent coordinates) has the boundary ``λ → ∞``.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest

from numerics import fixedpoint
from numerics.model import BadParameter, Model
from numerics.theory import evaluate

RHO = "1/2:1/2,3/2:1/2"
SKEWED = "1/2:9/10,11/2:1/10"
TWO = "1:1/2,6:1/2"


def _digits(a, b):
    a, b = mp.mpf(a), mp.mpf(b)
    return float(-mp.log10(abs(a - b) / abs(b))) if a != b else mp.inf


@pytest.mark.parametrize("quantity,method,extra", [
    ("m", "ssr", {}), ("gen-error", "masked", {"mask_ratio": "3/10"}), ("train-error", "ssr", {}),
    ("edges", "pca", {}), ("threshold", "ssr", {}), ("outlier", "pca", {"theta": 3}),
])
@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
def test_gaussian_scale_law_is_the_gaussian_model(quantity, method, extra, basis):
    plain = Model(gamma="1/2", lam="1/10", noise=TWO, basis=basis, **extra)
    given = Model(gamma="1/2", lam="1/10", noise=TWO, basis=basis, scale_law="1:1", **extra)
    assert given == plain and not given.elliptical and "scale_law" not in given.as_dict()
    a = evaluate(quantity, plain, method=method, dps=25)
    b = evaluate(quantity, given, method=method, dps=25)
    assert a == b


def test_a_law_of_mean_m_is_the_law_of_tau_over_m():
    model = Model(gamma="1/2", lam="1/10", noise=TWO, scale_law="1:1/2,3:1/2")
    assert model == Model(gamma="1/2", lam="1/10", noise=TWO, scale_law=RHO)
    assert model.scale_law.given_mean == 2 and "rescaled to mean 1 (its mean was 2" in model.scale_law.note()
    assert Model(gamma="1/2", lam="1/10", scale_law=RHO).scale_law.note() is None
    # a uniform law is rescaled exactly, a power law at the working precision
    assert Model(gamma="1/2", lam="1/10", scale_law="uniform(1,3)").scale_law.spec == "uniform(1/2,3/2)"
    power = Model(gamma="1/2", lam="1/10", scale_law="powerlaw(2,1,10)").scale_law
    with mp.workdps(30):
        assert abs(power.moment(1) - 1) < mp.mpf(10) ** -28
    assert power.given_mean is None and "working precision" in power.note()


@pytest.mark.parametrize("law,message", [
    ("1:1/2,2:1/3", "weights must sum to 1"), ("0:1/2,2:1/2", "variances must be > 0"),
    ("gamma(1,2)", "unknown law 'gamma'"), ("file(/no/such/file)", "no such file"),
    ("uniform(3,1)", "0 < a < b"),
])
def test_bad_scale_laws_are_refused_naming_the_option(law, message):
    with pytest.raises(BadParameter) as err:
        Model(gamma="1/2", lam="1/10", scale_law=law)
    assert err.value.name == "scale-law" and message in str(err.value)


def _pca_intervals(noise, scale, gamma, dps):
    model = Model(gamma=gamma, lam="1", noise=noise, scale_law=scale)
    return fixedpoint.intervals_t(model, "pca", dps)


@pytest.mark.parametrize("scale,gamma", [(RHO, "1/2"), (SKEWED, "1/2"), (RHO, "1/4"), (SKEWED, "1/3")])
def test_pca_edges_agree_with_silverstein_choi_on_the_companion(scale, gamma):
    """``ν = δ₁``: the dual is Gaussian data with population ``ρ`` (Silverstein–Choi), ≥ 25 digits."""
    dps = 30
    mine = _pca_intervals("1:1", scale, Fraction(gamma), dps)
    dual = Model(gamma=1 / Fraction(gamma), lam="1", noise=scale)
    with mp.workdps(dps + fixedpoint.GUARD):
        system = fixedpoint.Spectral(dual, "pca")
        assert system.scalar and not dual.elliptical
        from numerics import support

        companion = [(lo, hi) for lo, hi, _, _ in support.scalar_intervals(system)]
        g = mp.mpf(Fraction(gamma).numerator) / Fraction(gamma).denominator
        expected = [(g * lo, g * hi) for lo, hi in companion]
    assert len(mine) == len(expected)
    for (a, b), (c, e) in zip(mine, expected):
        assert _digits(a, c) >= 25 and _digits(b, e) >= 25


@pytest.mark.parametrize("noise,scale,gamma", [("2/7:1/2,12/7:1/2", RHO, "1/2"), ("1/2:1/2,3/2:1/2", SKEWED, "1/3")])
def test_pca_spectrum_is_symmetric_in_the_two_laws(noise, scale, gamma):
    """Duality with both laws non-trivial: ``(ν, ρ, γ)`` against ``γ·(ρ, ν, 1/γ)``, ≥ 25 digits
    (the two sides are different systems of (E3): the walk is checked against itself on another input)."""
    dps = 30
    gamma = Fraction(gamma)
    mine = _pca_intervals(noise, scale, gamma, dps)
    # the means of both laws are 1 here, so the dual needs no rescaling
    other = _pca_intervals(scale, noise, 1 / gamma, dps)
    with mp.workdps(dps + fixedpoint.GUARD):
        g = mp.mpf(gamma.numerator) / gamma.denominator
        other = [(g * lo, g * hi) for lo, hi in other]
    assert len(mine) == len(other)
    for (a, b), (c, e) in zip(mine, other):
        assert _digits(a, c) >= 25 and _digits(b, e) >= 25


def test_elliptical_pca_edges_for_gamma_above_one():
    """``γ > 1``: the null directions of ``S`` are an atom at 0; the continuous part equals
    ``γ`` times the spectrum of the companion (``1/γ < 1``), which is Gaussian data for ``ν = δ₁``."""
    dps = 25
    mine = _pca_intervals("1:1", RHO, Fraction(2), dps)
    dual = Model(gamma=Fraction(1, 2), lam="1", noise=RHO)
    from numerics import support

    with mp.workdps(dps + fixedpoint.GUARD):
        companion = support.scalar_intervals(fixedpoint.Spectral(dual, "pca"))
        expected = [(2 * lo, 2 * hi) for lo, hi, _, _ in companion]
    assert len(mine) == len(expected)
    for (a, b), (c, e) in zip(mine, expected):
        assert _digits(a, c) >= 20 and _digits(b, e) >= 20


def _error_at(model, method, lam, dps):
    from dataclasses import replace

    return evaluate("gen-error", replace(model, lam=lam), method=method, dps=dps)


@pytest.mark.parametrize("scale", ["1:1", RHO])
def test_lam_optimum_is_a_minimum_of_the_test_error(scale):
    model = Model(gamma="1/2", lam="1/10", noise=TWO, basis="rotational", mask_ratio="3/10", scale_law=scale)
    dps = 20
    best = evaluate("lam-optimum", model, method="masked", dps=dps)
    assert 0 < best < 10
    with mp.workdps(40):
        lam = Fraction(mp.nstr(best, dps))

        def error(x):
            return _error_at(model, "masked", Fraction(mp.nstr(x, 45)), 45)

        slope = mp.diff(error, mp.mpf(lam.numerator) / lam.denominator, h=mp.mpf(10) ** -12)
        curvature = mp.diff(error, mp.mpf(lam.numerator) / lam.denominator, 2, h=mp.mpf(10) ** -6)
    # the optimum to dps digits: |E'(λ*)| ≤ E''·|λ − λ*| ~ E'' 10^{-dps}
    assert curvature > 0 and abs(slope) <= 10 * curvature * mp.mpf(10) ** (-dps + 1) * best
    center = _error_at(model, "masked", lam, 30)
    for factor in (Fraction(999, 1000), Fraction(1001, 1000)):
        assert _error_at(model, "masked", lam * factor, 30) > center


def test_lam_optimum_of_independent_coordinates_is_the_boundary():
    """A diagonal ``Σ`` has independent coordinates: the best predictor is 0, ``λ → ∞``."""
    notes = []
    value = evaluate("lam-optimum", Model(gamma="1/2", lam="1/10", noise=TWO, scale_law=RHO), dps=15, notes=notes)
    assert value == mp.inf and any("lam -> inf" in note for note in notes)


@pytest.mark.parametrize("argv", [
    ["eval", "gen-error", "--noise", TWO, "--mask-ratio", "3/10", "--dps", "20"],
    ["eval", "edges", "--method", "pca", "--noise", TWO, "--json"],
    ["simulate", "gen-error", "--noise", TWO, "--d", "40", "--seeds", "2"],
])
def test_the_gaussian_scale_law_changes_no_output_byte(argv, capsys):
    from ssr.cli import main

    assert main(argv) == 0
    plain = capsys.readouterr()
    assert main([*argv, "--scale-law", "1:1"]) == 0
    given = capsys.readouterr()
    assert given.out == plain.out and given.err == plain.err


def test_a_rescaled_law_prints_a_note(capsys):
    from ssr.cli import main

    assert main(["eval", "m", "--scale-law", "1:1/2,3:1/2", "--dps", "10"]) == 0
    out = capsys.readouterr().out
    assert "scale_law=1/2:1/2,3/2:1/2" in out and "note: the scale law 1:1/2,3:1/2 was rescaled to mean 1" in out
    assert main(["eval", "m", "--scale-law", "1:1/2,3:1/3"]) == 2
    assert "scale-law: weights must sum to 1" in capsys.readouterr().err
