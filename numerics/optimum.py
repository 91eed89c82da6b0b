r"""The best masking ratio: minimise a limit ``f(p)`` over the training ratio ``p ∈ [0, 1)``.

``mask-optimum`` minimises the masked test error ``E(q; p)`` (SPEC §5) over ``p`` at a fixed test
ratio ``q``; ``threshold-optimum`` minimises the spike threshold ``θ_c(p)``. Both go through
:func:`minimise`, which works in the variable ``x = log(1 − p) ∈ (−∞, 0]`` (``p = 1 − e^x``): it
is ``≈ −p`` near ``p = 0`` and resolves ``p → 1`` on a logarithmic scale (a minimum at
``p = 0.9995`` is as easy to find as one at ``p = 0.5``):

1. a coarse scan of ``f`` at :data:`COARSE_DPS` digits on :data:`SCAN`: ``p = 0, 1/20, …,
   19/20`` and the tail ``1 − p = 10^{-3/2}, 10^{-7/4}, …, 10^{-12}`` (quarter decades) —
   ``1 − p = 10^{-12}`` (:data:`SMALLEST`) is where the scan ends: there the masked estimator is
   ``O(1 − p)`` (it tends to 0 as ``p → 1``), so ``f`` is within ``O(10^{-12})`` of its limit;
2. every local minimum of the scanned values (and every scan point where the slope ``df/dx``
   changes sign) is a bracket; a bracket whose end slopes do not have opposite signs is narrowed
   by golden-section steps on ``f`` until they do;
3. in each bracket the root of ``df/dx = 0`` is found by a bracketing (Illinois) iteration: to
   ``10^{-9}`` (slopes to 10 digits), then at the working precision inside a bracket ten times
   that width, until the bracket is below ``10^{-(dps + guard/2 + 2)}`` (slopes to
   ``dps + guard/2 + 3`` digits); ``df/dx`` is a central
   difference with step ``h = 10^{-(D+2)/2}`` of ``f`` computed to ``3(D+2)/2 + 4`` digits (``D``
   the digits asked of the root: truncation ``O(h²)`` and rounding ``O(10^{-3(D+2)/2}/h)`` are both
   below ``10^{-D-1}`` of the curvature). The root is verified by its bracket, its residual
   (relative to the end slopes) and ``f'' > 0`` (the second difference);
4. the answer is the smallest of the polished minima and the boundaries: ``p = 0`` when
   ``f'(0) ≥ 0`` (one-sided difference) and ``p → 1`` when ``f`` still decreases at the end of the
   scan (``df/dp < 0`` at ``1 − p = 10^{-12}``), each reported as such (:class:`Optimum.boundary`,
   a sentence in :attr:`Optimum.note`); the other local minima are listed in the note. A function
   flat to the coarse precision has no optimum (:class:`BadParameter`).

What it does not check: a minimum narrower than the scan step (1/20 in ``p``, a quarter decade
in ``1 − p``) between two scan points whose values do not show it could be missed.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp

from numerics.fixedpoint import ConvergenceError
from numerics.model import BadParameter

__all__ = ["Optimum", "minimise", "scan", "SCAN", "SMALLEST", "COARSE_DPS"]

#: The default end of the scan towards ``p = 1``: ``1 − p = 10^{-12}``.
SMALLEST = 12


def scan(smallest: int = SMALLEST) -> tuple:
    """The scan of step 1 as exact ratios ``p`` (increasing): ``0, 1/20, …, 19/20``, then quarter
    decades ``1 − p = 10^{-3/2}, …, 10^{-smallest}``."""
    with mp.workdps(15):
        tail = tuple(1 - (Fraction(1, 10 ** (k // 4)) if k % 4 == 0
                          else Fraction(mp.nstr(mp.mpf(10) ** (-mp.mpf(k) / 4), 6)))
                     for k in range(6, 4 * smallest + 1))
    return tuple(Fraction(i, 20) for i in range(20)) + tail


SCAN = scan()
COARSE_DPS = 15
#: Digits of the root of the first (coarse) bracketing stage.
_COARSE_ROOT = 9
#: Golden-section steps allowed to narrow a bracket whose end slopes do not have opposite signs.
_NARROWING = 40


@dataclass(frozen=True)
class Optimum:
    """The minimiser ``p*``, the minimum ``f(p*)`` and, for a boundary optimum, a sentence on it.

    ``boundary`` is ``None`` for an interior minimum (``f'(p*) = 0``), ``"p = 0"`` or ``"p -> 1"``;
    ``note`` says what the caller should show with the value (a boundary, other local minima).
    """

    ratio: mp.mpf
    value: mp.mpf
    boundary: str | None = None
    note: str = ""


def _exact(p) -> Fraction:
    """An ``mpf`` as the exact rational it is (a binary fraction), for :class:`~numerics.model.Model`."""
    if isinstance(p, Fraction):
        return p
    man, exp = mp.mpf(p).man_exp
    return Fraction(int(man)) * Fraction(2) ** int(exp) if man else Fraction(0)


def _fraction(p) -> mp.mpf:
    return mp.mpf(p.numerator) / p.denominator


class _Curve:
    """``f`` in the variable ``x = log(1 − p)``: values and central-difference slopes at given digits."""

    def __init__(self, f, guard: int):
        self.f, self.guard = f, guard

    @staticmethod
    def ratio(x) -> Fraction:
        """The exact ratio ``p = 1 − w`` of ``x``, ``w = e^x`` rounded once (``p`` exact, ``1 − p`` = ``w``)."""
        return 1 - _exact(mp.exp(x)) if x else Fraction(0)

    def value(self, x, digits: int):
        with mp.workdps(digits + self.guard):
            return self.f(self.ratio(x), digits)

    def slope(self, x, digits: int, direction: int = 0):
        """``df/dx`` to about ``digits`` digits (of the curvature scale): see the module text, step 3.

        ``direction = +1``: the forward difference (at ``x = 0``, i.e. ``p = 0``; ``x`` decreases
        into ``p > 0``, so it looks at ``x − h``).
        """
        h = mp.mpf(10) ** (-(digits + 2) // 2)
        precision = (3 * (digits + 2)) // 2 + 4
        with mp.workdps(precision + self.guard):
            x = mp.mpf(x)
            if direction:
                return (self.value(x, precision) - self.value(x - h, precision)) / h
            return (self.value(x + h, precision) - self.value(x - h, precision)) / (2 * h)

    def curvature(self, x, digits: int):
        """``d²f/dx²`` by the second difference with step ``10^{-digits/4}`` (its sign is what is used)."""
        h = mp.mpf(10) ** (-max(digits // 4, 2))
        precision = digits + 2 * max(digits // 4, 2) + 4
        with mp.workdps(precision + self.guard):
            x = mp.mpf(x)
            return (self.value(x + h, precision) - 2 * self.value(x, precision)
                    + self.value(x - h, precision)) / h**2


def _x(p: Fraction):
    return mp.log(1 - _fraction(p)) if p else mp.mpf(0)


def _illinois(slope, a, b, ga, gb, width, what, maxsteps: int = 200):
    """The root of ``slope`` in ``[a, b]`` (``ga``, ``gb`` the slopes there, opposite signs) to ``width``.

    Illinois regula falsi: the bracket always holds a sign change; returns ``(root, bracket)``.
    """
    side = 0
    for _ in range(maxsteps):
        if abs(b - a) <= width:
            break
        c = b - gb * (b - a) / (gb - ga)
        if not min(a, b) < c < max(a, b):
            c = (a + b) / 2
        gc = slope(c)
        if gc == 0:
            return c, (c, c)
        if (gc > 0) == (gb > 0):
            b, gb = c, gc
            if side == -1:
                ga /= 2
            side = -1
        else:
            a, ga = c, gc
            if side == 1:
                gb /= 2
            side = 1
    else:
        raise ConvergenceError(f"{what}: the root of df/dp (bracket width)", abs(b - a), width)
    return a - ga * (b - a) / (gb - ga) if gb != ga else (a + b) / 2, (a, b)


def minimise(f, dps: int, *, what: str, guard: int, smallest: int = SMALLEST, why: str = "") -> Optimum:
    """Minimise ``f(p, dps)`` (a limit at training ratio ``p`` computed to ``dps`` digits) over ``[0, 1)``.

    ``f`` receives an exact ``Fraction`` ``p`` and is called inside :func:`mpmath.workdps` of
    ``dps + guard``; ``what`` names ``f`` in messages; ``guard`` is the route's guard digits;
    the scan ends at ``1 − p = 10^{-smallest}`` (``why``: the reason, said in a boundary note).
    Returns an :class:`Optimum` with ``p*`` to ``dps`` digits.
    """
    curve = _Curve(f, guard)
    SCAN = scan(smallest)
    with mp.workdps(COARSE_DPS + guard):
        xs = [_x(p) for p in SCAN]
        coarse = [curve.f(p, COARSE_DPS) for p in SCAN]
        spread = max(coarse) - min(coarse)
        if spread <= mp.mpf(10) ** (-COARSE_DPS + 3) * (1 + abs(min(coarse))):
            raise BadParameter("mask-ratio", f"{what} does not depend on p (it is {mp.nstr(coarse[0], 10)} for "
                                             f"every p in [0, 1) to {COARSE_DPS - 3} digits): no ratio is optimal")
    last = len(SCAN) - 1
    brackets, boundaries = [], []
    with mp.workdps(COARSE_DPS + guard):
        for i in range(len(SCAN)):
            lower_ok = i == 0 or coarse[i] < coarse[i - 1]
            upper_ok = i == last or coarse[i] <= coarse[i + 1]
            if not (lower_ok and upper_ok):
                continue
            if i == 0:  # x decreases from 0 into p > 0: df/dx at x = 0⁻ has the sign of −f'(0)
                if curve.slope(xs[0], COARSE_DPS, direction=1) <= 0:
                    boundaries.append("p = 0")
                else:
                    brackets.append((0, 1))
            elif i == last:
                if curve.slope(xs[last], COARSE_DPS) > 0:  # f decreasing in p
                    boundaries.append("p -> 1")
                else:
                    brackets.append((last - 1, last))
            else:
                brackets.append((i - 1, i + 1))
    work = dps + guard
    tol = mp.mpf(10) ** (-(dps + guard // 2))
    found = []  # (value, x, boundary)
    with mp.workdps(work):
        for lo, hi in brackets:
            x = _polish(curve, xs, coarse, lo, hi, dps, guard, tol, what)
            found.append((curve.value(x, dps), x, None))
        for side in boundaries:
            p = SCAN[0] if side == "p = 0" else SCAN[last]
            found.append((curve.value(_x(p), dps), _x(p), side))
        value, x, side = min(found, key=lambda item: item[0])
        others = sorted(item for item in found if item[2] is None and item[1] != x)
        note = ""
        if side == "p = 0":
            note = f"{what} increases from p = 0: the optimum is the boundary p = 0 (leave-one-out)"
            ratio = mp.mpf(0)
        elif side == "p -> 1":
            note = (f"{what} decreases on the whole scan up to 1 - p = 1e-{smallest} "
                    f"(the end of the scan{'; ' + why if why else ''}): the optimum is the boundary "
                    f"p -> 1 (value there {mp.nstr(value, 10)})")
            ratio = mp.mpf(1)
        else:
            ratio = _fraction(curve.ratio(x))
        if others:
            listed = ", ".join(f"p = {mp.nstr(_fraction(curve.ratio(o[1])), 8)} ({what} = {mp.nstr(o[0], 8)})"
                               for o in others)
            note = (note + "; " if note else "") + f"other local minima: {listed}"
        return Optimum(ratio, value, side, note)


def _polish(curve, xs, coarse, lo, hi, dps, guard, tol, what):
    """The root of ``df/dx`` between scan points ``lo`` and ``hi`` (a local minimum of the scan)."""
    a, b = xs[hi], xs[lo]  # x increases as p decreases: a < b
    fa, fb = coarse[hi], coarse[lo]
    with mp.workdps(COARSE_DPS + guard):
        def coarse_slope(x):
            return curve.slope(x, _COARSE_ROOT + 1)

        ga, gb = coarse_slope(a), coarse_slope(b)
        # narrow by golden-section steps on f until the end slopes bracket (df/dx < 0 at a, > 0 at b)
        for _ in range(_NARROWING):
            if ga < 0 < gb:
                break
            inner = [a + (b - a) * mp.mpf(k) / 3 for k in (1, 2)]
            values = [curve.value(x, COARSE_DPS) for x in inner]
            if values[0] <= values[1]:
                b, fb = inner[1], values[1]
            else:
                a, fa = inner[0], values[0]
            ga, gb = coarse_slope(a), coarse_slope(b)
        else:
            raise ConvergenceError(f"{what}: no sign change of df/dp near the scan minimum "
                                   f"p in [{mp.nstr(_fraction(curve.ratio(b)), 6)}, "
                                   f"{mp.nstr(_fraction(curve.ratio(a)), 6)}]", min(abs(ga), abs(gb)), 0)
        scale = abs(ga) + abs(gb)
        start, _ = _illinois(coarse_slope, a, b, ga, gb, mp.mpf(10) ** -_COARSE_ROOT * (1 + abs(a)), what)
    digits = dps + guard // 2 + 3  # the root to 10^{-(dps + guard/2 + 2)}: its residual is below tol

    def fine_slope(x):
        return curve.slope(x, digits)

    step = mp.mpf(10) ** (1 - _COARSE_ROOT) * (1 + abs(start))
    a2, b2 = max(a, start - step), min(b, start + step)
    ga2, gb2 = fine_slope(a2), fine_slope(b2)
    if not ga2 < 0 < gb2:  # the coarse root was off by more than its bracket: the whole bracket
        a2, b2, ga2, gb2 = a, b, fine_slope(a), fine_slope(b)
    width = tol / 100 * (1 + abs(start))
    root, (left, right) = _illinois(fine_slope, a2, b2, ga2, gb2, width, what)
    residual = abs(fine_slope(root)) / scale
    if not (a <= root <= b) or residual > tol:
        raise ConvergenceError(f"{what}: the root of df/dp", residual, tol)
    if curve.curvature(root, COARSE_DPS) <= 0:
        raise ConvergenceError(f"{what}: the stationary point is not a minimum (f'' <= 0)", mp.mpf(1), 0)
    return root
