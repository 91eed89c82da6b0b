r"""The best masking ratio: minimise a limit ``f(p)`` over the training ratio ``p ∈ [0, 1)``.

``mask-optimum`` minimises the masked test error ``E(q; p)`` (SPEC §5) over ``p`` at a fixed test
ratio ``q``; ``threshold-optimum`` minimises the spike threshold ``θ_c(p)``. Both go through
:func:`minimise`:

1. a coarse scan of ``f`` at 15 digits on ``p = 0, 1/20, …, 19/20`` and the tail
   ``1 − 10^{-2}, 1 − 10^{-3}, 1 − 10^{-4}`` locates the smallest value;
2. an interior minimum is the root of ``f'(p) = 0`` in the bracket around it, found by
   :func:`mpmath.findroot` (Anderson's bracketing method at 15 digits, then a secant polish at
   the full precision) with ``f'`` from :func:`mpmath.diff` at twice the working digits (the
   limit itself is solved to the working precision at each ``p``), verified by its residual
   (relative to the slopes at the ends of the bracket) and by ``f'' > 0``;
3. a minimum at ``p = 0`` (``f'(0) ≥ 0``) or in the tail (``f`` still decreasing at
   ``p = 1 − 10^{-4}``) is a *boundary* optimum, reported as such (:class:`Optimum.boundary`),
   never as an interior root; a function flat to the working precision has no optimum
   (:class:`BadParameter`).

What it does not check: that the scan sees every local minimum (a minimum narrower than the
scan step of 1/20 could be missed).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp

from numerics.fixedpoint import ConvergenceError
from numerics.model import BadParameter

__all__ = ["Optimum", "minimise", "SCAN"]

#: The scan of step 1: ``40`` equal steps and the tail towards ``p = 1``.
SCAN = tuple(Fraction(i, 20) for i in range(20)) + (Fraction(99, 100), Fraction(999, 1000),
                                                    Fraction(9999, 10000))
_COARSE_DPS = 15


@dataclass(frozen=True)
class Optimum:
    """The minimiser ``p*``, the minimum ``f(p*)`` and, for a boundary optimum, a sentence on it.

    ``boundary`` is ``None`` for an interior minimum (``f'(p*) = 0``), ``"p = 0"`` or ``"p -> 1"``.
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


def minimise(f, dps: int, *, what: str, guard: int) -> Optimum:
    """Minimise ``f(p, dps)`` (a limit at training ratio ``p`` computed to ``dps`` digits) over ``[0, 1)``.

    ``f`` receives an exact ``Fraction`` ``p``; ``what`` names ``f`` in messages; ``guard`` is the
    route's guard digits. Returns an :class:`Optimum` with ``p*`` to ``dps`` digits.
    """
    with mp.workdps(_COARSE_DPS + guard):
        coarse = [f(p, _COARSE_DPS) for p in SCAN]
    best = min(range(len(SCAN)), key=lambda i: coarse[i])
    spread = max(coarse) - min(coarse)
    if spread <= mp.mpf(10) ** (-_COARSE_DPS + 3) * (1 + abs(coarse[best])):
        raise BadParameter("mask-ratio", f"{what} does not depend on p (it is {mp.nstr(coarse[0], 10)} for "
                                         f"every p in [0, 1) to {_COARSE_DPS - 3} digits): no ratio is optimal")
    work = dps + guard

    def here(p):  # f at the current precision (mpmath.diff raises it internally)
        return f(_exact(p), max(mp.mp.dps - guard, 1))

    def slope(p, digits):
        with mp.workdps(2 * (digits + guard)):
            return mp.diff(here, mp.mpf(p))

    with mp.workdps(work):
        def value(p):
            return f(_exact(p), dps)

        if best == len(SCAN) - 1:
            p = mp.mpf(SCAN[best].numerator) / SCAN[best].denominator
            return Optimum(mp.mpf(1), value(SCAN[best]), "p -> 1",
                           f"{what} decreases on the whole scan up to p = {mp.nstr(p, 6)}: the optimum is "
                           f"the boundary p -> 1 (value there {mp.nstr(value(SCAN[best]), 10)})")
        if best == 0 and slope(0, _COARSE_DPS) >= 0:
            return Optimum(mp.mpf(0), value(0), "p = 0",
                           f"{what} increases from p = 0: the optimum is the boundary p = 0 (leave-one-out)")
        lower, upper = (mp.mpf(b.numerator) / b.denominator for b in (SCAN[max(best - 1, 0)], SCAN[best + 1]))
        tol = mp.mpf(10) ** (-(dps + guard // 2))
        ends = [slope(lower, _COARSE_DPS), slope(upper, _COARSE_DPS)]
        if ends[0] * ends[1] > 0:
            raise ConvergenceError(f"{what}: the slope has one sign on [{mp.nstr(lower, 5)}, "
                                   f"{mp.nstr(upper, 5)}] around the scan minimum", mp.inf, tol)
        try:
            with mp.workdps(_COARSE_DPS + guard):  # bracketing at 15 digits, then secant at full precision
                start = mp.findroot(lambda x: slope(x, _COARSE_DPS), (lower, upper), solver="anderson",
                                    tol=mp.mpf(10) ** -24, maxsteps=100)
            step = (upper - lower) * mp.mpf(10) ** -8
            root = mp.findroot(lambda x: slope(x, dps), (start, start + step), solver="secant",
                               tol=tol ** 2, maxsteps=30, verify=False)
        except (ZeroDivisionError, ValueError) as err:
            raise ConvergenceError(f"{what}: dE/dp = 0 ({type(err).__name__})", mp.inf, tol) from None
        scale = abs(ends[0]) + abs(ends[1])
        residual = abs(slope(root, dps)) / scale
        if not (lower <= root <= upper) or residual > tol:
            raise ConvergenceError(f"{what}: the root of d/dp", residual, tol)
        with mp.workdps(2 * (_COARSE_DPS + guard)):
            curvature = mp.diff(here, root, 2)
        if curvature <= 0:
            raise ConvergenceError(f"{what}: the stationary point is not a minimum (f'' = "
                                   f"{mp.nstr(curvature, 5)})", curvature, 0)
        return Optimum(root, value(root))
