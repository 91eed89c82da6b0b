r"""The best masking ratio: minimise a limit ``f(p)`` over the training ratio ``p ∈ [0, 1)``.

``mask-optimum`` minimises the masked test error ``E(q; p)`` (docs/theory.md, "Random masks") over
``p`` at a fixed test ratio ``q``; ``threshold-optimum`` minimises the spike threshold ``θ_c(p)``.
Both go through :func:`minimise`, which works in the variable ``x = log(1 − p) ∈ (−∞, 0]``
(``p = 1 − e^x``): it is ``≈ −p`` near ``p = 0`` and resolves ``p → 1`` on a logarithmic scale (a minimum at
``p = 0.9995`` is as easy to find as one at ``p = 0.5``):

1. a coarse scan of ``f`` at :data:`COARSE_DPS` digits on :func:`scan`: ``p = 0, 1/20, …,
   19/20`` and the tail ``1 − p = 10^{-3/2}, 10^{-7/4}, …, 10^{-smallest}`` (quarter decades).
   ``mask-optimum`` scans to ``1 − p = 10^{-12}`` (:data:`SMALLEST`; beyond it the masked
   estimator tends to 0 like ``(1 − p)/λ``, and the masked errors are computed with
   ``2 log₁₀(1/(1 − p))`` extra digits, :func:`numerics.theory.extra_digits`);
   ``threshold-optimum`` to ``10^{-4}`` (the spectral edge solve fails below ``10^{-5}``);
2. a scan point lower than its neighbours, by more than the coarse resolution
   ``10^{3 − COARSE_DPS}(1 + max |f|)`` on at least one side, brackets an interior minimum (a
   dip below the resolution, e.g. the far tail at ``λ = 10^4``, which is flat to ``10^{-16}``, is
   not one); an end of the scan no higher than its neighbour (up to the resolution) is decided
   by its slope: ``f'(0) ≥ 0`` (one-sided difference) is the boundary ``p = 0``, ``df/dp < 0`` at
   the last point the boundary ``p → 1``, otherwise a resolved dip next to it is a bracket;
3. each bracket's minimum is located by Brent's method (golden section and parabolas) on the
   values at :data:`COARSE_DPS` digits to about ``10^{-6}`` in ``x``;
4. the candidates within the resolution of the smallest (usually one) are polished: the root
   of ``df/dx`` in a bracket ``±10^{-5}`` around the located point (widened ×30 until the slope
   changes sign from − to +: a minimum) by regula falsi with the Anderson–Björck weight, until
   the bracket is below ``10^{-(dps + guard/2 + 2)}(1 + |x|)`` (verified: the sign change of
   ``df/dx`` is inside it). ``df/dx`` is a central difference with step ``h = 10^{-(D+2)/2}`` of
   ``f`` computed to ``3(D+2)/2 + 4`` digits, ``D = dps + guard/2 + 3`` (truncation ``O(h²)`` and
   rounding ``O(10^{-3(D+2)/2}/h)`` are both below ``10^{-D-1}`` of the curvature);
5. the answer is the smallest polished candidate, an interior ``p*`` or a boundary reported as
   such (:class:`Optimum.boundary`, a sentence in :attr:`Optimum.note`); the other local minima
   are listed in the note (located to 6 digits). A function flat to the coarse precision has no
   optimum (:class:`BadParameter`).

Cost: the scan (63 points for ``mask-optimum``, 31 for ``threshold-optimum``), about 6–14
values for Brent and 12 for the polish (6 slopes) per polished minimum
(``benchmarks/optima.py``).

What it does not check: a minimum narrower than the scan step (1/20 in ``p``, a quarter decade
in ``1 − p``) between two scan points whose values do not show it, or shallower than the
resolution, could be missed.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp

from numerics.reduction import ConvergenceError
from numerics.parsing import BadParameter

__all__ = ["Optimum", "Ratio", "Ridge", "RIDGE", "minimise", "scan", "SCAN", "SMALLEST", "COARSE_DPS"]

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
#: The minimum is located to ``10^{-_COARSE_ROOT}`` (in ``x``) from values at COARSE_DPS digits first.
_COARSE_ROOT = 6
#: Steps (each a third of the way closer) to find a value below a scan end next to it.
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


class Ratio:
    """The training ratio ``p ∈ [0, 1)`` as the variable ``x = log(1 − p) ∈ (−∞, 0]`` (the module
    text): the scan runs from the boundary ``p = 0`` (``x = 0``) towards ``p → 1`` (``x`` decreasing)."""

    symbol, option = "p", "mask-ratio"
    first, last = "p = 0", "p -> 1"

    def __init__(self, smallest: int = SMALLEST):
        self.smallest = smallest

    def points(self) -> tuple:
        return scan(self.smallest)

    @staticmethod
    def x(p: Fraction):
        return mp.log(1 - _fraction(p)) if p else mp.mpf(0)

    @staticmethod
    def exact(x) -> Fraction:
        """The exact ratio ``p = 1 − w`` of ``x``, ``w = e^x`` rounded once (``p`` exact, ``1 − p`` = ``w``)."""
        return 1 - _exact(mp.exp(x)) if x else Fraction(0)

    @staticmethod
    def where(x) -> str:
        """``p = 0.243053`` or, near 1, ``1 - p = 4.83e-4`` (6 significant digits either way)."""
        if x < mp.log(mp.mpf("1e-3")):
            return f"1 - p = {mp.nstr(mp.exp(x), 6)}"
        return f"p = {mp.nstr(1 - mp.exp(x), 6)}"

    def boundary(self, side: str, what: str, value, why: str) -> tuple:
        """``(argmin, note)`` of a boundary optimum."""
        if side == self.first:
            return mp.mpf(0), f"{what} increases from p = 0: the optimum is the boundary p = 0 (leave-one-out)"
        return mp.mpf(1), (f"{what} decreases on the whole scan up to 1 - p = 1e-{self.smallest} "
                           f"(the end of the scan{'; ' + why if why else ''}): the optimum is the boundary "
                           f"p -> 1 (value there {mp.nstr(value, 10)})")


class Ridge:
    """The ridge ``λ > 0`` as the variable ``x = −log λ``: the scan runs over quarter decades from
    ``λ = 10^{-smallest}`` (``x`` largest) up to ``λ = 10^{largest}``, so that, as for :class:`Ratio`,
    ``x`` decreases along the scan. Neither end is a boundary of the domain: an optimum at an end
    of the scan is reported as the limit ``λ → 0`` (ridgeless) or ``λ → ∞``."""

    symbol, option = "lam", "lam"
    first, last = "lam -> 0", "lam -> inf"

    def __init__(self, smallest: int = 8, largest: int = 4):
        self.smallest, self.largest = smallest, largest

    def points(self) -> tuple:
        with mp.workdps(15):
            return tuple(Fraction(10) ** (k // 4) if k % 4 == 0 else Fraction(mp.nstr(mp.mpf(10) ** (mp.mpf(k) / 4), 6))
                         for k in range(-4 * self.smallest, 4 * self.largest + 1))

    @staticmethod
    def x(lam: Fraction):
        return -mp.log(_fraction(lam))

    @staticmethod
    def exact(x) -> Fraction:
        """The exact ridge ``λ = e^{−x}`` rounded once."""
        return _exact(mp.exp(-x))

    @staticmethod
    def where(x) -> str:
        return f"lam = {mp.nstr(mp.exp(-x), 6)}"

    def boundary(self, side: str, what: str, value, why: str) -> tuple:
        if side == self.first:
            return mp.mpf(0), (f"{what} decreases as lam decreases down to lam = 1e-{self.smallest} (the end of "
                               f"the scan{'; ' + why if why else ''}): the optimum is the ridgeless limit lam -> 0 "
                               f"(value there {mp.nstr(value, 10)})")
        return mp.inf, (f"{what} decreases as lam grows up to lam = 1e{self.largest} (the end of the scan"
                        f"{'; ' + why if why else ''}): the optimum is the boundary lam -> inf "
                        f"(value there {mp.nstr(value, 10)})")


#: The ridge variable of ``lam-optimum``: ``λ`` from ``10^{-8}`` to ``10^4``.
RIDGE = Ridge()


class _Curve:
    """``f`` in the variable ``x`` of ``variable`` (:class:`Ratio` or :class:`Ridge`): values and
    central-difference slopes at given digits."""

    def __init__(self, f, guard: int, variable=None):
        self.f, self.guard = f, guard
        self.variable = Ratio() if variable is None else variable

    def ratio(self, x) -> Fraction:
        """The exact parameter (``p`` or ``λ``) at ``x``."""
        return self.variable.exact(x)

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


def _illinois(slope, a, b, ga, gb, width, what, maxsteps: int = 200):
    """The root of ``slope`` in ``[a, b]`` (``ga``, ``gb`` the slopes there, opposite signs) to ``width``.

    Regula falsi with the Anderson–Björck weight (the end kept twice in a row has its slope
    scaled by ``1 − g_new/g_previous``, or 1/2): the interval always holds a sign change. A point
    within ``width/4`` of the newest one is moved ``width/4`` towards the other end, so an iteration
    converging from one side closes the interval.
    Returns ``(root, (left, right))``, the final interval of width ``≤ width``.
    """
    # (x1, g1) the end kept, (x2, g2) the newest point
    x1, g1, x2, g2 = a, ga, b, gb
    for _ in range(maxsteps):
        if abs(x2 - x1) <= width:
            break
        c = x2 - g2 * (x2 - x1) / (g2 - g1)
        if not min(x1, x2) < c < max(x1, x2):
            c = (x1 + x2) / 2
        if abs(c - x2) < width / 4:  # converging from one side: step width/4 across to close the interval
            c = x2 + (width / 4 if x1 > x2 else -width / 4)
        gc = slope(c)
        if gc == 0:
            return c, (c, c)
        if (gc > 0) != (g2 > 0):  # the sign change is between x2 and c: x2 becomes the kept end
            x1, g1 = x2, g2
        else:
            weight = 1 - gc / g2
            g1 *= weight if weight > 0 else mp.mpf(1) / 2
        x2, g2 = c, gc
    else:
        raise ConvergenceError(f"{what}: the root of df/dp (bracket width)", abs(x2 - x1), width)
    left, right = min(x1, x2), max(x1, x2)
    root = x2 - g2 * (x2 - x1) / (g2 - g1) if g2 != g1 else (x1 + x2) / 2
    return min(max(root, left), right), (left, right)


def minimise(f, dps: int, *, what: str, guard: int, smallest: int = SMALLEST, why: str = "",
             variable=None) -> Optimum:
    """Minimise ``f(p, dps)`` (a limit at training ratio ``p`` computed to ``dps`` digits) over ``[0, 1)``.

    ``f`` receives an exact ``Fraction`` ``p`` and is called inside :func:`mpmath.workdps` of
    ``dps + guard``; ``what`` names ``f`` in messages; ``guard`` is the route's guard digits;
    the scan ends at ``1 − p = 10^{-smallest}`` (``why``: the reason, said in a boundary note).
    Returns an :class:`Optimum` with ``p*`` to ``dps`` digits.

    ``variable``: :data:`RIDGE` minimises over the ridge ``λ`` instead (``f(λ, dps)``; the same
    steps in ``x = −log λ``; ``smallest`` is then ignored).
    """
    variable = Ratio(smallest) if variable is None else variable
    curve = _Curve(f, guard, variable)
    SCAN = variable.points()
    with mp.workdps(COARSE_DPS + guard):
        xs = [variable.x(p) for p in SCAN]
        coarse = [curve.f(p, COARSE_DPS) for p in SCAN]
        spread = max(coarse) - min(coarse)
        if spread <= mp.mpf(10) ** (-COARSE_DPS + 3) * (1 + abs(min(coarse))):
            domain = "[0, 1)" if isinstance(variable, Ratio) else f"[1e-{variable.smallest}, 1e{variable.largest}]"
            raise BadParameter(variable.option, f"{what} does not depend on {variable.symbol} (it is "
                                                f"{mp.nstr(coarse[0], 10)} for every {variable.symbol} in {domain} "
                                                f"to {COARSE_DPS - 3} digits): no value is optimal")
    last = len(SCAN) - 1
    brackets, boundaries = [], []
    with mp.workdps(COARSE_DPS + guard):
        # differences below the coarse precision are not resolved (e.g. the far tail, where f is
        # within 1e-16 of its limit at λ = 1e4): a dip must be deeper than that on one side
        resolution = mp.mpf(10) ** (3 - COARSE_DPS) * (1 + max(abs(v) for v in coarse))
        for i in range(1, last):
            if (coarse[i] < coarse[i - 1] and coarse[i] <= coarse[i + 1]
                    and max(coarse[i - 1], coarse[i + 1]) - coarse[i] > resolution):
                brackets.append((i - 1, i + 1))
        # an end that is a local minimum up to the resolution: its slope decides (boundary, or
        # a resolved minimum between it and its neighbour)
        if coarse[0] <= coarse[1] + resolution:  # x decreases into p > 0: df/dx at 0⁻ has the sign of −f'(0)
            if curve.slope(xs[0], COARSE_DPS, direction=1) <= 0:
                boundaries.append(variable.first)
            elif coarse[1] - coarse[0] > resolution:
                brackets.append((0, 1))
        if coarse[last] <= coarse[last - 1] + resolution:
            if curve.slope(xs[last], COARSE_DPS) > 0:  # f decreasing in p
                boundaries.append(variable.last)
            elif coarse[last - 1] - coarse[last] > resolution:
                brackets.append((last - 1, last))
        if not brackets and not boundaries:
            raise ConvergenceError(f"{what}: no minimum resolved on the scan (every dip is below "
                                   f"{mp.nstr(resolution, 3)})", resolution, 0)
    tol = mp.mpf(10) ** (-(dps + guard // 2))
    found = []  # (coarse value, x, boundary, bracket)
    with mp.workdps(COARSE_DPS + guard):
        for lo, hi in brackets:
            x, value = _locate(curve, xs, coarse, lo, hi, what)
            found.append((value, x, None, (xs[hi], xs[lo])))
        for side in boundaries:
            i = 0 if side == variable.first else last
            found.append((coarse[i], xs[i], side, None))
        found.sort(key=lambda item: item[0])
        close = mp.mpf(10) ** (3 - COARSE_DPS) * (1 + abs(found[0][0]))
    with mp.workdps(dps + guard):
        polished = []  # the candidates within the coarse precision of the smallest, at full precision
        for k, (value, x, side, bracket) in enumerate(found):
            if value - found[0][0] > close:
                break
            if side is None:
                x = _polish(curve, x, bracket, dps, guard, tol, what)
            polished.append((curve.value(x, dps), x, side, k))
        value, x, side, chosen = min(polished, key=lambda item: item[0])
        others = [item for k, item in enumerate(found) if item[2] is None and k != chosen]
        note = ""
        if side is not None:
            ratio, note = variable.boundary(side, what, value, why)
        else:
            ratio = _fraction(curve.ratio(x))
        if others:
            listed = ", ".join(f"{variable.where(o[1])} ({what} = {mp.nstr(o[0], 8)})" for o in others)
            note = (note + "; " if note else "") + f"other local minima (located to 6 digits): {listed}"
        return Optimum(ratio, value, side, note)


def _brent(value, a, b, x, fx, w, fw, v, fv, xtol, what, maxsteps: int = 100):
    """Brent's minimisation (golden section and parabolic steps) of ``value`` on ``[a, b]``.

    ``x`` is the best point so far (``f(x) < f(a), f(b)``), ``w``, ``v`` the two next best
    (here the bracket ends, so the first step can be parabolic). Returns ``(x, f(x))`` with ``x``
    within about ``2 xtol`` of the minimiser (for ``f`` accurate to much better than
    ``f'' xtol²``).
    """
    golden = (3 - mp.sqrt(5)) / 2
    d = e = b - a
    for _ in range(maxsteps):
        middle = (a + b) / 2
        if abs(x - middle) <= 2 * xtol - (b - a) / 2:
            return x, fx
        parabolic = False
        if abs(e) > xtol:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2 * (q - r)
            if q > 0:
                p = -p
            q = abs(q)
            previous, e = e, d
            if q != 0 and abs(p) < abs(q * previous / 2) and q * (a - x) < p < q * (b - x):
                d, parabolic = p / q, True
                if (x + d) - a < 2 * xtol or b - (x + d) < 2 * xtol:
                    d = xtol if middle > x else -xtol
        if not parabolic:
            e = (a - x) if x >= middle else (b - x)
            d = golden * e
        u = x + d if abs(d) >= xtol else x + (xtol if d > 0 else -xtol)
        fu = value(u)
        if fu <= fx:
            if u >= x:
                a = x
            else:
                b = x
            v, fv, w, fw, x, fx = w, fw, x, fx, u, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv, w, fw = w, fw, u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    raise ConvergenceError(f"{what}: the minimum on the scan bracket (Brent steps)", abs(b - a), xtol)


def _locate(curve, xs, coarse, lo, hi, what):
    """The minimum between scan points ``lo`` and ``hi`` to about ``10^{-6}`` (in ``x``), by
    :func:`_brent` on ``f`` at :data:`COARSE_DPS` digits; returns ``(x, f(x))``."""
    def value(x):
        return curve.value(x, COARSE_DPS)

    a, b = xs[hi], xs[lo]  # x increases as p decreases: a < b
    fa, fb = coarse[hi], coarse[lo]
    if hi - lo == 2:
        x, fx = xs[lo + 1], coarse[lo + 1]
    else:  # an end of the scan whose slope points inside: a lower point next to it
        end, other, fend = (b, a, fb) if lo == 0 else (a, b, fa)
        for k in range(1, _NARROWING):
            x = end + (other - end) / mp.mpf(3) ** k
            fx = value(x)
            if fx < fend:
                break
        else:
            raise ConvergenceError(f"{what}: no value below the end of the scan next to it", mp.mpf(1), 0)
    return _brent(value, a, b, x, fx, a, fa, b, fb, mp.mpf(10) ** -_COARSE_ROOT * (1 + abs(x)), what)


def _polish(curve, start, bracket, dps, guard, tol, what):
    """The root of ``df/dx`` near ``start`` (:func:`_locate`'s) inside ``bracket``, to ``tol (1 + |x|)``."""
    a, b = bracket
    digits = dps + guard // 2 + 3  # the root to 10^{-(dps + guard/2 + 2)}: its residual is below tol

    def slope(x):
        return curve.slope(x, digits)

    step = 10 * mp.mpf(10) ** -_COARSE_ROOT * (1 + abs(start))
    while True:
        left, right = max(a, start - step), min(b, start + step)
        g_left, g_right = slope(left), slope(right)
        if g_left < 0 < g_right:
            break
        if left == a and right == b:
            raise ConvergenceError(f"{what}: no sign change of df/d{curve.variable.symbol} around the located "
                                   f"minimum {curve.variable.where(start)}",
                                   min(abs(g_left), abs(g_right)), 0)
        step *= 30
    width = tol / 100 * (1 + abs(start))
    root, (left, right) = _illinois(slope, left, right, g_left, g_right, width, what)
    # verified: df/dx changes sign from − to + (a minimum) on [left, right], of relative width ≤ tol/100
    residual = (right - left) / (1 + abs(root))
    if not (a <= root <= b) or residual > tol:
        raise ConvergenceError(f"{what}: the root of df/dp (relative bracket width)", residual, tol)
    return root
