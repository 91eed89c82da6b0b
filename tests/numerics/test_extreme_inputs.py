r"""Valid extreme inputs answer for the non-spectral quantities (issue 16, part 3).

``m``, ``train-error``, ``gen-error`` (both test ratios) and ``mask-optimum`` at ``p`` up to
0.9999, ``λ`` from 1e-8 to 1e4, ``γ = 1 ± 1e-6`` and ``γ ∈ (1, 1.2]``, two discrete laws (one with
a 100:1 spread), both bases, the ``ssr`` (``p = 0``) and ``masked`` estimators. Oracle: the
algebraic route (all roots of the polynomial form of (E1) and a selection) must agree with the
fixed-point route (bracket and secant) to ``dps − 2`` digits. A wider grid (3000 points at dps 12
and 30: ``p ∈ {0, 1e-6, 0.3, 0.99, 0.9999}``, ``λ ∈ {1e-8, 1e-4, 1, 100, 1e4}``, ``γ ∈ {1 ± 1e-6,
1.1, 1.2, 1/2, 2}``) was run once when this was written: every point agreed.
"""
from __future__ import annotations

import itertools

import mpmath as mp
import pytest

from numerics import theory
from numerics.model import Model

DPS = 12
LAWS = ["1:1/2,6:1/2", "1:9/10,100:1/10"]
# (p, λ, γ): each extreme with the others, γ on both sides of 1 and above
POINTS = [
    ("0", "1e-8", "0.999999"),      # the (E1) secant used to divide by zero here (rounding floor)
    ("0", "1e4", "1.000001"),
    ("0.9999", "1e-8", "1.2"),
    ("0.9999", "1e4", "0.999999"),
    ("1e-6", "1e-4", "1.000001"),   # idem
    ("0.3", "1e-8", "1.000001"),
    ("0.99", "1", "1.1"),
]


def _digits(x, y):
    if x == y:
        return mp.inf
    with mp.workdps(60):
        return -mp.log10(abs(x - y) / max(abs(x), abs(y)))


@pytest.mark.parametrize("law, basis", list(itertools.product(LAWS, ["diagonal", "rotational"])))
def test_non_spectral_quantities_answer_and_routes_agree(law, basis):
    worst = mp.inf
    for (p, lam, gamma), q in itertools.product(POINTS, [None, "0"]):
        model = Model(gamma, lam, noise=law, basis=basis, mask_ratio=p, test_mask_ratio=q)
        for quantity in (("m", "train-error", "gen-error") if q is None else ("gen-error",)):
            fixed = theory.evaluate(quantity, model, dps=DPS)
            algebraic = theory.evaluate(quantity, model, dps=DPS, route="algebraic")
            digits = _digits(fixed, algebraic)
            assert digits >= DPS - 2, (quantity, p, lam, gamma, q, fixed, algebraic)
            worst = min(worst, digits)
    assert worst >= DPS - 2


@pytest.mark.parametrize("law, basis, lam, gamma", [
    ("1:1/2,6:1/2", "diagonal", "1e4", "1/2"),           # far tail flat to 1e-16: the boundary p -> 1
    ("1:9/10,100:1/10", "rotational", "1e-8", "1/2"),  # a second local minimum at 1 - p ~ 1e-10
    ("1:1/2,6:1/2", "rotational", "1e-8", "0.999999"),  # the optimum at 1 - p ~ 1e-9
    ("1:9/10,100:1/10", "rotational", "1e4", "1.2"),   # the boundary p = 0
])
def test_mask_optimum_answers_at_extreme_inputs(law, basis, lam, gamma):
    model = Model(gamma, lam, noise=law, basis=basis, test_mask_ratio=0)
    notes = []
    best = theory.evaluate("mask-optimum", model, dps=10, notes=notes)
    assert 0 <= best <= 1
    if best in (0, 1):
        assert any("boundary" in note for note in notes)
    elif best > mp.mpf("0.999"):  # an interior optimum deep in the tail: the algebraic route agrees
        algebraic = theory.evaluate("mask-optimum", model, dps=10, route="algebraic")
        assert _digits(best, algebraic) >= 8 and _digits(1 - best, 1 - algebraic) >= 8
