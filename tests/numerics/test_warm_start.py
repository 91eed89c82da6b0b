"""Warm starts of the (E1) solve along a grid change no result (``fixedpoint.delta(start=…)``,
``theory.evaluate(warm=…)``): the final Newton verifies its residual and the positive root is unique."""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest

from numerics import fixedpoint, theory
from numerics.model import Model

TWO_ATOMS = "1:1/2,6:1/2"


def _grid():
    """A two-atom grid in (λ, p), with a jump in λ at each row wrap (the hint is then far off)."""
    return [Model(gamma="1/2", lam=Fraction(1, 20) + k * Fraction(1, 10), noise=TWO_ATOMS, mask_ratio=p)
            for p in (0, Fraction(3, 10)) for k in range(12)]


@pytest.mark.parametrize("quantity", ["m", "gen-error", "train-error"])
def test_warm_grid_prints_the_cold_digits(quantity):
    models = _grid()
    cold = [mp.nstr(theory.evaluate(quantity, model, dps=30), 30) for model in models]
    warm: dict = {}
    hot = [mp.nstr(theory.evaluate(quantity, model, dps=30, warm=warm), 30) for model in models]
    assert hot == cold
    assert warm  # the hint was recorded (and so used by the following points)


def test_a_hint_skips_the_bracketed_cold_start(monkeypatch):
    model = Model(gamma="1/2", lam="1/5", noise=TWO_ATOMS)
    reference = fixedpoint.delta(model, "ssr", 30)

    def no_bracket(*_):
        raise AssertionError("the cold start was used despite a good hint")

    monkeypatch.setattr(fixedpoint, "_bracket", no_bracket)
    hinted = fixedpoint.delta(model, "ssr", 30, start=reference * (1 + mp.mpf(10) ** -3))
    with mp.workdps(30):
        assert mp.nstr(hinted, 30) == mp.nstr(reference, 30)


@pytest.mark.parametrize("hint, cold", [("-0.999", True), ("-1", True), ("-5", True), ("0", True),
                                        ("1e12", False)])
def test_a_bad_hint_falls_back_to_the_cold_start(hint, cold, monkeypatch):
    """A hint from which Newton fails or lands on a root ≤ 0 falls back to the bracketed cold
    start; a far but harmless one converges on its own. Either way the cold result."""
    model = Model(gamma="2", lam="1/100", noise=TWO_ATOMS)
    reference = fixedpoint.delta(model, "ssr", 30)
    monkeypatch.setattr(fixedpoint, "_COLD", {})  # no cached cold root: the fallback solves again
    calls = []
    bracket = fixedpoint._bracket
    monkeypatch.setattr(fixedpoint, "_bracket", lambda *args: (calls.append(args), bracket(*args))[1])
    hinted = fixedpoint.delta(model, "ssr", 30, start=mp.mpf(hint))
    assert bool(calls) == cold
    assert hinted > 0
    with mp.workdps(30):
        assert mp.nstr(hinted, 30) == mp.nstr(reference, 30)
