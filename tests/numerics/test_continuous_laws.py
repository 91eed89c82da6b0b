r"""Continuous bulk laws (issue 10, first part): ``uniform(a,b)`` and ``powerlaw(alpha,a,b)``.

The fixed-point route integrates them by tanh–sinh quadrature at the working precision
(:class:`numerics.laws.DensityLaw`). The independent check: SymPy's antiderivatives of the same
integrands (rational in ``s``, times ``s^{−α}``), so that (E1) becomes an explicit function of
``δ`` solved by :func:`mpmath.findroot`, and the (E2) error formulas of docs/theory.md (typed here as the
oracle: diagonal ``E_gen = κ ∫ s dν``, rotational ``κ ∫ s R̄² dν / m̄²``, ``κ = 1/(1 − γ ∫ (sR̄)² dν/(1+δ)²)``,
``R̄ = 1/(s/(1+δ) + λ)``) evaluated with those closed-form integrals.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from numerics import theory
from numerics.model import BadParameter, Model
from numerics.simulate import simulate

_S, _C = sp.symbols("s c", positive=True)  # c = 1/(1+δ)


def _closed_integrals(density, a, b, lam):
    """``(δ ↦ ∫ h dν)`` for the integrands of (E1), m, κ and the errors, from SymPy antiderivatives."""
    lam = sp.Rational(lam)
    r = 1 / (_S * _C + lam)
    integrands = {"e1": _S * r, "m": r, "kappa": (_S * r) ** 2, "s": _S, "sr2": _S * r**2}
    out = {}
    for name, h in integrands.items():
        value = sp.integrate(sp.simplify(h * density), (_S, a, b))
        out[name] = sp.lambdify(_C, value, modules="mpmath")
    return out


def _oracle(density, a, b, gamma, lam, basis):
    f = _closed_integrals(density, a, b, lam)
    g = mp.mpf(Fraction(gamma).numerator) / Fraction(gamma).denominator
    delta = mp.findroot(lambda d: g * f["e1"](1 / (1 + d)) - d, mp.mpf(1))
    c = 1 / (1 + delta)
    kappa = 1 / (1 - g * f["kappa"](c) * c**2)
    if basis == "diagonal":
        return kappa * f["s"](c)
    return kappa * f["sr2"](c) / f["m"](c) ** 2


LAWS = {
    "uniform(1,6)": (sp.Rational(1, 5), 1, 6),
    "powerlaw(3/2,1,6)": (_S ** sp.Rational(-3, 2) / sp.integrate(_S ** sp.Rational(-3, 2), (_S, 1, 6)), 1, 6),
}


@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
@pytest.mark.parametrize("noise", list(LAWS))
def test_gen_error_matches_closed_form_integrals(noise, basis):
    density, a, b = LAWS[noise]
    value = theory.evaluate("gen-error", Model("1/2", "1/10", noise=noise, basis=basis), dps=30)
    with mp.workdps(45):
        want = _oracle(density, a, b, "1/2", "1/10", basis)
        assert -mp.log10(abs(value - want) / want) >= 25


def test_uniform_mean_and_masked_ridge():
    """The masked ridge of the rotational basis uses s̄ = ∫ s dν = 7/2 for U[1, 6]."""
    model = Model("1/2", "1/10", noise="uniform(1,6)", basis="rotational", mask_ratio="0.3")
    plain = Model("1/2", (Fraction(3, 10) * Fraction(7, 2) + Fraction(1, 10) / Fraction(7, 10)) / Fraction(7, 10),
                  noise="uniform(1,6)", basis="rotational")
    with mp.workdps(40):
        assert -mp.log10(abs(theory.evaluate("m", model, dps=30) - theory.evaluate("m", plain, dps=30))) >= 28


@pytest.mark.parametrize("text, fragment", [
    ("uniform(6,1)", "0 < a < b"),
    ("uniform(1)", "takes 2 numbers"),
    ("gamma(1,2)", "unknown law"),
    ("uniform(1,__import__('os'))", "expected a finite number"),
    ("powerlaw(1,0,2)", "0 < a < b"),
])
def test_bad_laws_name_the_noise(text, fragment):
    with pytest.raises(BadParameter) as err:
        Model("1/2", "1/10", noise=text)
    assert err.value.name == "noise" and fragment in str(err.value)


def test_other_routes_refuse_a_continuous_law():
    model = Model("1/2", "1/10", noise="uniform(1,6)")
    for route in ("closed", "algebraic"):
        with pytest.raises(BadParameter) as err:
            theory.evaluate("m", model, route=route, dps=15)
        assert err.value.name == "route"


@pytest.mark.parametrize("seed", [0, 17])
def test_simulation_of_a_continuous_law(seed):
    """Variances at the quantiles ``F⁻¹((k + 1/2)/d)``; Richardson d/2 → d, |z| < 4."""
    model = Model("1/2", "1/10", noise="powerlaw(3/2,1,6)")
    limit = float(theory.evaluate("gen-error", model, dps=15))
    result = simulate("gen-error", model, d=200, seeds=12, seed=seed, extrapolate=True)
    assert abs(result.mean - limit) < 4 * result.stderr
