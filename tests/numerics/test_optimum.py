"""numerics.optimum: minimise f(p) over the training ratio p ∈ [0, 1) (or over the ridge λ).

Oracles: analytic functions whose minimiser is known in closed form (or is the root of the
derivative, found by :func:`mpmath.findroot` on the hand-written derivative), and the stated
boundary behaviour.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest

from numerics import optimum
from numerics.model import BadParameter

GUARD = 10


def _mp(p: Fraction):
    return mp.mpf(p.numerator) / p.denominator


class Recorder:
    """``f`` wrapped: checks that it receives an exact ``Fraction`` and runs at ``dps + guard`` digits."""

    def __init__(self, f, guard=GUARD):
        self.f, self.guard, self.calls, self.bad = f, guard, 0, []

    def __call__(self, p, dps):
        self.calls += 1
        if not isinstance(p, Fraction) or mp.mp.dps != dps + self.guard:
            self.bad.append((p, dps, mp.mp.dps))
        return self.f(_mp(p))


def test_interior_minimum_to_the_requested_digits():
    """``f(p) = (p − 3/10)² + 1``: ``p* = 3/10``, ``f(p*) = 1``."""
    f = Recorder(lambda p: (p - mp.mpf(3) / 10) ** 2 + 1)
    best = optimum.minimise(f, 25, what="f", guard=GUARD)
    assert best.boundary is None and best.note == ""
    with mp.workdps(40):
        assert abs(best.ratio - mp.mpf(3) / 10) < mp.mpf(10) ** -25
        assert abs(best.value - 1) < mp.mpf(10) ** -25
    assert f.calls > 0 and f.bad == []


def test_minimum_near_one_on_the_log_scale():
    """``f(p) = (log(1 − p) − log 10⁻⁵)²``: ``1 − p* = 10⁻⁵`` (resolved in ``x = log(1 − p)``)."""
    f = Recorder(lambda p: (mp.log(1 - p) - mp.log(mp.mpf(10) ** -5)) ** 2)
    best = optimum.minimise(f, 20, what="f", guard=GUARD)
    assert best.boundary is None
    with mp.workdps(40):
        assert abs((1 - best.ratio) - mp.mpf(10) ** -5) < mp.mpf(10) ** -24


def test_two_local_minima_the_lower_is_chosen_the_other_noted():
    """``f(p) = (p − 1/5)²(p − 7/10)² + p/1000``: minima near 0.2 (lower) and 0.7; ``p*`` is the root
    of ``f'(p) = 2(p − 1/5)(p − 7/10)(2p − 9/10) + 1/1000`` near 0.2 (``mpmath.findroot``)."""
    f = Recorder(lambda p: (p - mp.mpf(1) / 5) ** 2 * (p - mp.mpf(7) / 10) ** 2 + p / 1000)  # at f's precision
    best = optimum.minimise(f, 20, what="f", guard=GUARD)
    with mp.workdps(40):
        a, b, c = mp.mpf(1) / 5, mp.mpf(7) / 10, mp.mpf(1) / 1000
        slope = lambda p: 2 * (p - a) * (p - b) * (2 * p - mp.mpf(9) / 10) + c  # noqa: E731
        root = mp.findroot(slope, (mp.mpf("0.15"), mp.mpf("0.25")), solver="anderson")
        other = mp.findroot(slope, (mp.mpf("0.65"), mp.mpf("0.75")), solver="anderson")
        assert slope(mp.mpf("0.15")) < 0 < slope(mp.mpf("0.25")) and abs(slope(root)) < mp.mpf(10) ** -35
        assert abs(best.ratio - root) < mp.mpf(10) ** -20
    assert best.boundary is None
    assert "other local minima" in best.note and f"p = {mp.nstr(other, 6)}" in best.note


def test_increasing_function_gives_the_boundary_p_zero():
    best = optimum.minimise(Recorder(lambda p: 2 + p), 20, what="g", guard=GUARD)
    assert best.boundary == "p = 0" and best.ratio == 0
    assert best.value == 2
    assert "g increases from p = 0" in best.note and "boundary p = 0" in best.note


def test_decreasing_function_gives_p_to_one():
    best = optimum.minimise(Recorder(lambda p: 1 + (1 - p) ** 2), 20, what="h", guard=GUARD, smallest=8,
                            why="a reason")
    assert best.boundary == "p -> 1" and best.ratio == 1
    assert "1 - p = 1e-8" in best.note and "a reason" in best.note and "boundary p -> 1" in best.note
    with mp.workdps(30):
        assert abs(best.value - 1 - mp.mpf(10) ** -16) < mp.mpf(10) ** -20  # f at the end of the scan


def test_ridge_variable_minimum():
    """``f(λ) = (log λ − log 2)²``: ``λ* = 2`` over ``[10⁻⁸, 10⁴]``."""
    f = Recorder(lambda lam: (mp.log(lam) - mp.log(2)) ** 2)
    best = optimum.minimise(f, 20, what="E", guard=GUARD, variable=optimum.RIDGE)
    assert best.boundary is None and f.bad == []
    with mp.workdps(40):
        assert abs(best.ratio - 2) < mp.mpf(10) ** -19


def test_ridge_variable_boundaries():
    increasing = optimum.minimise(Recorder(lambda lam: 1 + lam), 15, what="E", guard=GUARD, variable=optimum.RIDGE)
    assert increasing.boundary == "lam -> 0" and increasing.ratio == 0 and "ridgeless" in increasing.note
    decreasing = optimum.minimise(Recorder(lambda lam: 1 + 1 / lam), 15, what="E", guard=GUARD, variable=optimum.RIDGE)
    assert decreasing.boundary == "lam -> inf" and decreasing.ratio == mp.inf and "1e4" in decreasing.note


@pytest.mark.parametrize("variable, name", [(None, "mask-ratio"), (optimum.RIDGE, "lam")])
def test_flat_function_has_no_optimum(variable, name):
    with pytest.raises(BadParameter, match="does not depend on") as info:
        optimum.minimise(Recorder(lambda p: mp.mpf(7) / 3), 20, what="F", guard=GUARD, variable=variable)
    assert info.value.name == name and "\n" not in str(info.value)


def test_scan_points():
    """``0, 1/20, …, 19/20`` then quarter decades ``1 − p = 10^{-3/2} … 10^{-smallest}``, increasing."""
    points = optimum.scan(4)
    assert points[:20] == tuple(Fraction(i, 20) for i in range(20))
    tail = points[20:]
    assert len(tail) == 4 * 4 - 6 + 1 and all(x < y for x, y in zip(points, points[1:]))
    assert tail[-1] == 1 - Fraction(1, 10 ** 4) and tail[2] == 1 - Fraction(1, 100)
    assert abs(float(1 - tail[0]) - 10 ** -1.5) < 1e-6 * 10 ** -1.5
    assert len(optimum.SCAN) == 20 + 4 * optimum.SMALLEST - 6 + 1


def test_ridge_scan_points():
    points = optimum.RIDGE.points()
    assert points[0] == Fraction(1, 10 ** 8) and points[-1] == 10 ** 4 and Fraction(1) in points
    assert len(points) == 4 * 12 + 1 and all(x < y for x, y in zip(points, points[1:]))


def test_ratio_variable_round_trip():
    """``x = log(1 − p)`` and back: ``p`` exact, ``1 − p = e^x`` rounded once."""
    with mp.workdps(30):
        x = optimum.Ratio.x(Fraction(3, 4))
        assert abs(x - mp.log(mp.mpf(1) / 4)) < mp.mpf(10) ** -29
        p = optimum.Ratio.exact(x)
        assert isinstance(p, Fraction) and abs(p - Fraction(3, 4)) < Fraction(1, 10 ** 28)
        assert optimum.Ratio.exact(mp.mpf(0)) == 0 and optimum.Ratio.x(Fraction(0)) == 0
        assert optimum.Ratio.where(mp.log(mp.mpf("1e-4"))) == "1 - p = 0.0001"
