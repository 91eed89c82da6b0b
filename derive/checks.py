"""Checks that a derivation performs on SymPy's output, kept under ``python -O``.

A derivation verifies identities, branch choices and root counts as it goes (a simplified
difference is 0, exactly one root is positive, …). A bare ``assert`` would vanish when Python
runs with ``-O``; :func:`check` always runs and raises :class:`DerivationError`, whose message
says which identity or choice failed. :func:`check_same` verifies that a simplified form equals
the closed form it was obtained from (exactly when SymPy can decide, else at rational points).

>>> check(1 + 1 == 2, "arithmetic")
>>> check(False, "the product of the roots is negative")
Traceback (most recent call last):
...
derive.checks.DerivationError: the product of the roots is negative
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> check_same(sp.factor(x**2 + 2*x + 1), x**2 + 2*x + 1, "factorisation")
'exact'
"""
from __future__ import annotations

import sympy as sp

__all__ = ["DerivationError", "check", "check_same"]


class DerivationError(RuntimeError):
    """A step of a derivation did not produce what the derivation relies on."""


def check(condition, message: str) -> None:
    """Raise :class:`DerivationError` (``message``) unless ``condition`` is true.

    ``condition`` is converted with ``bool`` exactly as ``assert`` would: a SymPy assumption
    query that returns ``None`` (undecided) fails the check.
    """
    if not condition:
        raise DerivationError(message)


def check_same(short, derived, message: str, *, points=(), dps: int = 50) -> str:
    """Check that ``short`` equals ``derived`` and return how it was decided.

    ``"exact"`` when ``cancel`` or ``simplify`` reduces the difference to 0. Otherwise, at each of
    ``points`` (mappings from symbols to exact numbers, inside the domain of both forms) the two are
    evaluated with ``dps`` digits and must agree to ``dps − 10`` digits (relative to ``max(1, |derived|)``);
    the result then names the number of points and digits. Raises :class:`DerivationError` (quoting
    ``message`` and the offending point) when neither succeeds. Lists or tuples are compared
    entry by entry; the result is ``"exact"`` only if every entry is.
    """
    if isinstance(short, (list, tuple)):
        check(isinstance(derived, (list, tuple)) and len(short) == len(derived),
              f"{message}: the forms have different lengths")
        hows = [check_same(s, d, message, points=points, dps=dps) for s, d in zip(short, derived)]
        return next((how for how in hows if how != "exact"), "exact")
    difference = short - derived
    if sp.cancel(sp.together(difference)) == 0 or sp.simplify(difference) == 0:
        return "exact"
    check(points, f"{message}: SymPy cannot simplify the difference to 0 and no test points are given")
    tolerance = sp.Float(10, dps) ** (10 - dps)
    for point in points:
        value = sp.N(difference.subs(point), dps)
        scale = sp.N(derived.subs(point), dps)
        check(all(v.is_number and v.is_finite for v in (value, scale)),
              f"{message}: a form is not a finite number at {point}")
        check(sp.Abs(value) <= tolerance * sp.Max(1, sp.Abs(scale)), f"{message}: the forms differ by {value} at {point}")
    return f"numeric ({len(points)} points, {dps - 10} digits)"
