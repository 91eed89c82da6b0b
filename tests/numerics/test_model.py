"""numerics.model: exact parsing of parameters, the Model record and its refusals.

Oracles: exact rationals written by hand (``Fraction`` arithmetic, never floats), and the
documented contract of each refusal (a one-line ``BadParameter`` naming the parameter).
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from numerics.laws import DiscreteLaw, PowerLaw, UniformLaw
from numerics.model import ISOTROPIC, BadParameter, Model, parse_law, parse_noise, parse_number


def _one_line_naming(err: BadParameter, name: str) -> None:
    assert err.name == name
    assert str(err).startswith(f"{name}: ")
    assert "\n" not in str(err)


# --- parse_number ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("0.1", Fraction(1, 10)),          # not the binary double 0.1000000000000000055...
    ("0.2", Fraction(1, 5)),
    ("1/2", Fraction(1, 2)),
    ("1e-3", Fraction(1, 1000)),
    ("2.5E2", Fraction(250)),
    ("-3/4", Fraction(-3, 4)),
    (" 7 ", Fraction(7)),
    ("1e-1000", Fraction(1, 10 ** 1000)),  # the largest exponent allowed, still exact
    (3, Fraction(3)),
    (Fraction(2, 7), Fraction(2, 7)),
])
def test_parse_number_is_exact(text, expected):
    value = parse_number(text, "x")
    assert type(value) is Fraction and value == expected


def test_parse_number_is_not_the_float():
    """``0.1`` parsed exactly differs from the double 0.1 (a float route would give it)."""
    assert parse_number("0.1", "x") != Fraction(0.1)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1/0", "abc", "", "0.1.2", "1e", "__import__('os')",
                                  "1e1001", "1e-1001", "1e999999", "x" * 101])
def test_parse_number_refuses_naming_the_parameter(text):
    with pytest.raises(BadParameter) as info:
        parse_number(text, "theta")
    _one_line_naming(info.value, "theta")


def test_parse_number_refusal_says_why():
    with pytest.raises(BadParameter, match="division by zero"):
        parse_number("1/0", "lam")
    with pytest.raises(BadParameter, match="out of range"):
        parse_number("1e5000", "lam")


# --- parse_noise ---------------------------------------------------------------------------------

def test_parse_noise_exact_and_sorted():
    assert parse_noise("6:1/2, 1:0.5") == ((Fraction(1), Fraction(1, 2)), (Fraction(6), Fraction(1, 2)))


def test_parse_noise_merges_repeated_atoms():
    # 2:1/4 twice is one atom 2:1/2; the weights are added exactly
    assert parse_noise("2:1/4,1:1/2,2:1/4") == ((Fraction(1), Fraction(1, 2)), (Fraction(2), Fraction(1, 2)))
    assert parse_noise("1:0.1,1:0.2,1:0.7") == ((Fraction(1), Fraction(1)),)


@pytest.mark.parametrize("text, says", [
    ("1:1/2,2:1/3", "sum to 1"),                 # 5/6
    ("1:0.5,2:0.5000000001", "sum to 1"),        # exact arithmetic: not 1
    ("0:1", "> 0"),
    ("-1:1", "> 0"),
    ("1:0,2:1", "> 0"),
    ("1:-1/2,2:3/2", "> 0"),
    ("1", "s:w"),
    ("1:2:3", "s:w"),
    ("", "empty"),
    ("1:nan", "finite number"),
])
def test_parse_noise_refusals(text, says):
    with pytest.raises(BadParameter, match=says) as info:
        parse_noise(text, "noise")
    _one_line_naming(info.value, "noise")


# --- parse_law -------------------------------------------------------------------------------------

def test_parse_law_continuous_exact():
    assert parse_law("uniform(1, 6)") == UniformLaw(1, 6)
    law = parse_law("powerlaw(3/2,1,2e1)")
    assert isinstance(law, PowerLaw)
    assert (law.alpha, law.lower, law.upper) == (Fraction(3, 2), Fraction(1), Fraction(20))
    assert parse_law("1:1") is None  # atoms are not a law expression


@pytest.mark.parametrize("text, says", [
    ("gauss(1,2)", "unknown law"),
    ("uniform(1)", "takes 2 numbers"),
    ("uniform(6,1)", "0 < a < b"),
    ("uniform(0,1)", "0 < a < b"),
    ("powerlaw(1,1,inf)", "finite number"),
    ("file()", "needs the path"),
])
def test_parse_law_refusals(text, says):
    with pytest.raises(BadParameter, match=says) as info:
        parse_law(text, "noise")
    _one_line_naming(info.value, "noise")


# --- Model -------------------------------------------------------------------------------------

def test_model_parameters_are_exact():
    model = Model(gamma="0.5", lam="1e-3", theta="3/2")
    assert (model.gamma, model.lam, model.theta) == (Fraction(1, 2), Fraction(1, 1000), Fraction(3, 2))
    assert model.noise == ISOTROPIC and model.isotropic and not model.continuous and not model.elliptical


@pytest.mark.parametrize("kwargs, name", [
    (dict(gamma="0", lam="1"), "gamma"),
    (dict(gamma="-1", lam="1"), "gamma"),
    (dict(gamma="1", lam="0"), "lam"),
    (dict(gamma="1", lam="nan"), "lam"),
    (dict(gamma="1", lam="1", theta="-1"), "theta"),
    (dict(gamma="1", lam="1", basis="haar"), "basis"),
    (dict(gamma="1", lam="1", mask_ratio="1"), "mask-ratio"),
    (dict(gamma="1", lam="1", mask_ratio="-0.1"), "mask-ratio"),
    (dict(gamma="1", lam="1", test_mask_ratio="3/2"), "test-mask-ratio"),
    (dict(gamma="1", lam="1", noise="1:1/2"), "noise"),
    (dict(gamma="1", lam="1", scale_law="1:1/3"), "scale-law"),
])
def test_model_refusals_name_the_parameter(kwargs, name):
    with pytest.raises(BadParameter) as info:
        Model(**kwargs)
    _one_line_naming(info.value, name)


def test_model_theta_zero_allowed():
    assert Model("1", "1", theta=0).theta == 0


def test_model_equality_and_hash_are_by_value():
    a = Model("1/2", "0.2", noise="6:1/2,1:1/2")
    b = Model(Fraction(1, 2), Fraction(1, 5), noise=((1, Fraction(1, 2)), (6, Fraction(1, 2))))
    assert a == b and hash(a) == hash(b)
    assert a != Model("1/2", "0.21", noise="6:1/2,1:1/2")
    assert a != Model("1/2", "0.2", noise="6:1/2,1:1/2", basis="rotational")
    assert len({a, b, Model("1/2", "0.2")}) == 2
    assert Model("1", "1", noise="uniform(1,6)") == Model("1", "1", noise="uniform(1, 6.0)")


def test_model_test_ratio_default():
    assert Model("1/2", "1/5").test_ratio == 0 and not Model("1/2", "1/5").masked
    model = Model("1/2", "1/5", mask_ratio="0.3")
    assert model.test_ratio == Fraction(3, 10) and model.masked
    model = Model("1/2", "1/5", mask_ratio="0.3", test_mask_ratio="0")
    assert model.test_ratio == 0 and model.masked  # q = 0 given: masked, test ratio 0 (not p)
    assert Model("1/2", "1/5", test_mask_ratio="1/4").test_ratio == Fraction(1, 4)


@pytest.mark.parametrize("kwargs", [
    dict(gamma="1/2", lam="1/5"),
    dict(gamma="2", lam="1e-3", theta="3", noise="1:1/4,6:3/4", basis="rotational"),
    dict(gamma="1/2", lam="1/5", mask_ratio="0.3"),
    dict(gamma="1/2", lam="1/5", mask_ratio="0.3", test_mask_ratio="0.1"),
    dict(gamma="1/2", lam="1/5", noise="uniform(1,6)"),
    dict(gamma="1/2", lam="1/5", noise="powerlaw(3/2,1,20)"),
    dict(gamma="1/2", lam="1/5", scale_law="1:1/2,2:1/2"),     # mean 3/2: stored rescaled
    dict(gamma="1/2", lam="1/5", scale_law="uniform(1,3)"),    # mean 2: stored as uniform(1/2,3/2)
])
def test_model_round_trips_through_as_dict(kwargs):
    """``Model(**model.as_dict())`` is the same model. ``as_dict`` writes the test ratio whenever the
    model is masked, so a default test ratio (``None``: ``q = p``) comes back explicit, ``q = p``:
    the same model in every quantity (``test_ratio``), compared as such."""
    model = Model(**kwargs)
    again = Model(**model.as_dict())
    if model.masked and model.test_mask_ratio is None:
        model = dataclasses.replace(model, test_mask_ratio=model.test_ratio)
    assert again == model and hash(again) == hash(model)
    assert again.as_dict() == model.as_dict()
    assert (again.test_ratio, again.masked, again.elliptical) == (model.test_ratio, model.masked, model.elliptical)


def test_as_dict_values_are_exact_strings():
    out = Model("0.5", "1e-3", noise="1:0.25,6:0.75", mask_ratio="0.3").as_dict()
    assert out == {"gamma": "1/2", "lam": "1/1000", "theta": "0", "noise": "1:1/4,6:3/4", "basis": "diagonal",
                   "mask_ratio": "3/10", "test_mask_ratio": "3/10"}


def test_scale_law_is_rescaled_to_mean_one():
    model = Model("1/2", "1/5", scale_law="1:1/2,2:1/2")  # mean 3/2
    assert model.elliptical
    assert model.scale_law.law == DiscreteLaw(((Fraction(2, 3), Fraction(1, 2)), (Fraction(4, 3), Fraction(1, 2))))
    assert not Model("1/2", "1/5", scale_law="1:1").elliptical
    assert not Model("1/2", "1/5", scale_law="2:1").elliptical  # δ₂ rescaled is δ₁: Gaussian


def test_model_mp_and_atoms():
    import mpmath as mp

    model = Model("1/3", "1/5", noise="1:1/2,6:1/2")
    with mp.workdps(40):
        assert model.mp("gamma") == mp.mpf(1) / 3
        assert model.atoms() == [(mp.mpf(1), mp.mpf(1) / 2), (mp.mpf(6), mp.mpf(1) / 2)]
    with pytest.raises(BadParameter) as info:
        Model("1", "1", noise="uniform(1,2)").atoms()
    _one_line_naming(info.value, "noise")


def test_isotropic_only_for_delta_one():
    assert Model("1", "1", noise="1:1/2,1:1/2").isotropic     # merged into 1:1
    assert not Model("1", "1", noise="2:1").isotropic
    assert not Model("1", "1", noise="uniform(1,2)").isotropic
    assert Model("1", "1", noise="uniform(1,2)").continuous


# --- a given covariance -------------------------------------------------------------------------

SIGMA = np.diag([1.0, 2.0, 3.0])


@pytest.mark.parametrize("kwargs, name", [
    (dict(theta="1"), "theta"),
    (dict(noise="1:1/2,2:1/2"), "noise"),
    (dict(basis="rotational"), "basis"),
])
def test_covariance_conflicts_refused(kwargs, name):
    with pytest.raises(BadParameter) as info:
        Model("1/2", "1/5", covariance=SIGMA, **kwargs)
    _one_line_naming(info.value, name)


def test_covariance_model_equal_by_content():
    a = Model("1/2", "1/5", covariance=SIGMA)
    b = Model("1/2", "1/5", covariance=SIGMA.copy())
    assert a == b and hash(a) == hash(b)
    assert a != Model("1/2", "1/5", covariance=np.diag([1.0, 2.0, 4.0]))
    assert not a.isotropic
    out = a.as_dict()
    assert set(out) == {"covariance", "covariance_sha256", "gamma", "lam"} and out["gamma"] == "1/2"
