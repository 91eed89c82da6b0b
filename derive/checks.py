"""Checks that a derivation performs on SymPy's output, kept under ``python -O``.

A derivation verifies identities, branch choices and root counts as it goes (a simplified
difference is 0, exactly one root is positive, …). A bare ``assert`` would vanish when Python
runs with ``-O``; :func:`check` always runs and raises :class:`DerivationError`, whose message
says which identity or choice failed.

>>> check(1 + 1 == 2, "arithmetic")
>>> check(False, "the product of the roots is negative")
Traceback (most recent call last):
...
derive.checks.DerivationError: the product of the roots is negative
"""
from __future__ import annotations

__all__ = ["DerivationError", "check"]


class DerivationError(RuntimeError):
    """A step of a derivation did not produce what the derivation relies on."""


def check(condition, message: str) -> None:
    """Raise :class:`DerivationError` (``message``) unless ``condition`` is true.

    ``condition`` is converted with ``bool`` exactly as ``assert`` would: a SymPy assumption
    query that returns ``None`` (undecided) fails the check.
    """
    if not condition:
        raise DerivationError(message)
