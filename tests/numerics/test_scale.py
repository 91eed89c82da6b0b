"""numerics.scale: the scale law ρ of elliptical data, c(δ) = ∫ τ/(1+τδ) dρ and e₂(δ) = −c'(δ).

Oracles: ``mpmath.diff`` of ``c`` (a numerical derivative, not the code's ``e₂`` formula), exact
rational values of ``c`` for atoms, the closed-form primitive of ``c`` for a uniform law, the
float64 routes against the working-precision ones, and a standard error computed from the
sample for :meth:`ScaleLaw.draw`.
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath as mp
import numpy as np
import pytest

from numerics import scale
from numerics.laws import DiscreteLaw, PowerLaw, UniformLaw
from numerics.model import parse_scale_law


def _q(x: F):
    return mp.mpf(x.numerator) / x.denominator


def _atoms():
    return scale.normalise(DiscreteLaw(((F(1), F(1, 2)), (F(2), F(1, 2)))))[0]   # τ ∈ {2/3, 4/3}


def _uniform():
    return scale.normalise(UniformLaw(1, 3))[0]                                  # U[1/2, 3/2]


def _powerlaw():
    return scale.normalise(PowerLaw(F(3, 2), 1, 4))[0]                           # rescaled at working precision


LAWS = {"atoms": _atoms, "uniform": _uniform, "powerlaw": _powerlaw}


# --- c(δ) and e₂(δ) ------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["atoms", "uniform"])
@pytest.mark.parametrize("delta", ["0.7", "3"])
def test_second_is_minus_the_derivative_of_first(which, delta):
    """``e₂(δ) = −dc/dδ``, the derivative by :func:`mpmath.diff` (finite differences at raised precision)."""
    law = LAWS[which]()
    with mp.workdps(30):
        d = mp.mpf(delta)
        derivative = mp.diff(law.first, d)
        assert abs(law.second(d) + derivative) <= mp.mpf(10) ** -28 * abs(derivative)


def test_first_for_atoms_is_the_exact_rational():
    """``τ ∈ {2/3, 4/3}`` with weight 1/2, δ = 1: ``(1/2)(2/3)/(5/3) + (1/2)(4/3)/(7/3) = 17/35``;
    ``e₂(1) = (1/2)(4/9)/(25/9) + (1/2)(16/9)/(49/9) = 2/25 + 8/49``."""
    law = _atoms()
    with mp.workdps(40):
        assert abs(law.first(mp.mpf(1)) - _q(F(17, 35))) < mp.mpf(10) ** -39
        assert abs(law.second(mp.mpf(1)) - _q(F(2, 25) + F(8, 49))) < mp.mpf(10) ** -39
        assert abs(law.moment(2) - _q(F(10, 9))) < mp.mpf(10) ** -39   # (4/9 + 16/9)/2


def test_first_for_uniform_matches_its_primitive():
    """``∫_a^b t/(1+tδ) dt/(b−a) = [t/δ − log(1+tδ)/δ²]_a^b/(b−a)`` on ``U[1/2, 3/2]``."""
    law = _uniform()
    with mp.workdps(30):
        a, b, d = mp.mpf(1) / 2, mp.mpf(3) / 2, mp.mpf("0.7")
        primitive = lambda t: t / d - mp.log(1 + t * d) / d ** 2  # noqa: E731
        expected = (primitive(b) - primitive(a)) / (b - a)
        assert abs(law.first(d) - expected) <= mp.mpf(10) ** -28 * expected


@pytest.mark.parametrize("delta", [mp.mpf("0.3"), mp.mpf(5), mp.mpc("0.4", "0.9")])
def test_gaussian_law_is_one_over_one_plus_delta(delta):
    with mp.workdps(30):
        assert scale.GAUSSIAN.first(delta) == 1 / (1 + delta)
        assert scale.GAUSSIAN.second(delta) == 1 / (1 + delta) ** 2
        # and the general integral of the law δ₁ agrees (the Gaussian branch is a shortcut only)
        general = scale.GAUSSIAN.law.integrate(lambda t: t / (1 + t * delta))
        assert abs(general - 1 / (1 + delta)) < mp.mpf(10) ** -29
    assert scale.GAUSSIAN.gaussian and not _atoms().gaussian


@pytest.mark.parametrize("which", ["atoms", "uniform", "powerlaw"])
def test_float64_routes_agree_with_working_precision(which):
    """``first_np``/``second_np`` (float64 atoms, Gauss–Legendre nodes for a density) against
    ``first``/``second`` at 30 digits, for real and complex δ."""
    law = LAWS[which]()
    deltas = np.array([0.05, 0.7, 3.0, 40.0])
    complex_deltas = np.array([0.3 + 0.8j, 2.0 - 0.5j, -0.2 + 0.4j])
    for values in (deltas, complex_deltas):
        first, second = law.first_np(values), law.second_np(values)
        with mp.workdps(30):
            for k, d in enumerate(values):
                d = mp.mpc(d.real, d.imag) if np.iscomplexobj(values) else mp.mpf(float(d))
                ref1, ref2 = complex(law.first(d)), complex(law.second(d))
                assert abs(first[k] - ref1) <= 1e-13 * abs(ref1)
                assert abs(second[k] - ref2) <= 1e-13 * abs(ref2)


def test_float64_routes_broadcast():
    law = _atoms()
    grid = np.linspace(0.1, 2, 6).reshape(2, 3)
    assert law.first_np(grid).shape == (2, 3)
    assert np.allclose(law.first_np(grid).ravel(), law.first_np(grid.ravel()), rtol=0, atol=0)


# --- normalise ---------------------------------------------------------------------------------

def test_normalise_atoms_exact():
    law, mean = scale.normalise(DiscreteLaw(((F(1), F(1, 4)), (F(5), F(3, 4)))))
    assert mean == 4
    assert law.law.exact == ((F(1, 4), F(1, 4)), (F(5, 4), F(3, 4)))
    assert sum(t * w for t, w in law.law.exact) == 1
    assert law.given_mean == 4 and "its mean was 4" in law.note()


def test_normalise_keeps_a_mean_one_law():
    base = DiscreteLaw(((F(1, 2), F(1, 2)), (F(3, 2), F(1, 2))))
    law, mean = scale.normalise(base)
    assert mean == 1 and law.law == base and law.note() is None


def test_normalise_uniform_exact():
    law, mean = scale.normalise(UniformLaw(1, 3))
    assert mean == 2 and law.law == UniformLaw(F(1, 2), F(3, 2))
    with mp.workdps(30):
        assert abs(law.law.integrate(lambda t: t) - 1) < mp.mpf(10) ** -29


def test_normalise_powerlaw_at_working_precision():
    """Mean not rational: rescaled by its mean at the working precision; ``∫ τ dρ = 1`` to that precision."""
    law, mean = scale.normalise(PowerLaw(F(3, 2), 1, 4))
    assert mean is None and law.given_mean is None and "working precision" in law.note()
    for dps in (15, 40):
        with mp.workdps(dps):
            assert abs(law.law.integrate(lambda t: t) - 1) < mp.mpf(10) ** (1 - dps)
    # the support is the base support divided by the mean (2 for α = 3/2 on [1, 4]: ∫s^{-1/2}/∫s^{-3/2} = 2/1)
    assert law.range() == pytest.approx((0.5, 2.0), rel=1e-14)


def test_parse_scale_law_passes_a_scale_law_through():
    law = _atoms()
    assert parse_scale_law(law) == (law, 1)
    assert parse_scale_law("2:1/2,4:1/2")[0] == law and parse_scale_law("2:1/2,4:1/2")[1] == 3


def test_gaussian_constant_has_no_rescaling_note():
    """The constant δ₁ was once built without its mean, and its note() claimed a rescaling."""
    assert scale.GAUSSIAN.note() is None


# --- draw, samples ---------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["atoms", "uniform", "powerlaw", "samples"])
def test_draw_has_mean_one(which):
    """The sample mean of 20000 draws is within 4 standard errors (from the sample) of E τ = 1."""
    law = scale.from_samples(np.random.default_rng(7).gamma(2.0, size=500)) if which == "samples" else LAWS[which]()
    tau = law.draw(np.random.default_rng(12345), 20000)
    assert tau.shape == (20000,) and np.all(tau > 0)
    lo, hi = law.range()
    assert np.all((tau >= lo * (1 - 1e-12)) & (tau <= hi * (1 + 1e-12)))
    error = tau.std(ddof=1) / np.sqrt(tau.size)
    assert abs(tau.mean() - 1) < 4 * error


def test_draw_atoms_frequencies():
    """Atoms ``1/4`` (weight 1/4) and ``5/4`` (weight 3/4): the frequency of 1/4 within 4 binomial SEs."""
    law, _ = scale.normalise(DiscreteLaw(((F(1), F(1, 4)), (F(5), F(3, 4)))))
    tau = law.draw(np.random.default_rng(3), 20000)
    assert set(np.unique(tau)) == {0.25, 1.25}
    share = np.mean(tau == 0.25)
    assert abs(share - 0.25) < 4 * np.sqrt(0.25 * 0.75 / tau.size)


def test_from_samples_rescales_in_float64():
    law = scale.from_samples([2.0, 6.0, 4.0])
    assert law.given_mean == 4.0 and law.floats()[0].tolist() == [0.5, 1.0, 1.5]
    assert np.array_equal(law.floats()[1], np.full(3, 1 / 3))
    assert law == scale.from_samples([4.0, 2.0, 6.0])  # by the sorted samples
    assert law.first_np(np.array([1.0]))[0] == pytest.approx((0.5 / 1.5 + 1 / 2 + 1.5 / 2.5) / 3, rel=1e-15)
    with pytest.raises(ValueError):
        scale.from_samples([1.0, -1.0, 0.5])


def test_sample_law_quantile_and_integral():
    law = scale.SampleLaw([3.0, 1.0, 2.0, 4.0])
    assert [law.quantile(u) for u in (0.0, 0.25, 0.26, 0.5, 1.0)] == [1.0, 1.0, 2.0, 2.0, 4.0]
    assert law.integrate(lambda t: t * t) == mp.mpf(30) / 4
    with pytest.raises(ValueError):
        scale.SampleLaw([])
