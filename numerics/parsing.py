"""Exact parsing of numeric parameters, and :class:`BadParameter`, the error bad input raises.

Every parameter of the toolkit is held as an exact rational (``fractions.Fraction``), parsed here
and never evaluated as code. This module imports no other module of the project: the laws
(:mod:`numerics.laws`), the models (:mod:`numerics.model`) and the registries all use it.
"""
from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["BadParameter", "parse_number", "parse_noise"]


class BadParameter(ValueError):
    """Invalid user input; ``str(err)`` is a one-line message naming the parameter."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"{name}: {message}")


def parse_number(text: str, name: str) -> Fraction:
    """Parse ``text`` exactly as a finite rational number (``1/2``, ``0.2``, ``1e-3``).

    Raises :class:`BadParameter` naming ``name`` for anything else (``nan``, ``inf``,
    ``1/0``, words).

    >>> parse_number("1e-3", "lam")
    Fraction(1, 1000)
    >>> parse_number("nan", "theta")
    Traceback (most recent call last):
    ...
    numerics.parsing.BadParameter: theta: expected a finite number such as 0.2, 1/2 or 1e-3, got 'nan'
    """
    if isinstance(text, Fraction):
        return text
    if isinstance(text, int) and not isinstance(text, bool):
        return Fraction(text)
    text = str(text).strip()
    if len(text) > 100 or any(abs(int(e)) > 1000 for e in re.findall(r"[eE]\s*([+-]?\d{1,5})", text)) \
            or re.search(r"[eE][+-]?\d{6}", text):
        raise BadParameter(name, f"number out of range (exponent beyond ±1000): {text[:40]!r}")
    try:
        return Fraction(text)
    except ZeroDivisionError:
        raise BadParameter(name, f"division by zero in {text!r}") from None
    except (ValueError, TypeError):
        raise BadParameter(
            name, f"expected a finite number such as 0.2, 1/2 or 1e-3, got {text!r}"
        ) from None


def parse_noise(text: str, name: str = "noise") -> tuple[tuple[Fraction, Fraction], ...]:
    """Parse a discrete bulk law ``s1:w1,s2:w2,...`` into exact ``(s, w)`` atoms.

    Atoms need ``s > 0`` and ``w > 0``; the weights must sum to exactly 1. Repeated
    values of ``s`` are merged.
    """
    if not isinstance(text, str) or not text.strip():
        raise BadParameter(name, "expected atoms 's1:w1,s2:w2,...', got an empty value")
    atoms: dict[Fraction, Fraction] = {}
    for item in text.split(","):
        parts = item.split(":")
        if len(parts) != 2:
            raise BadParameter(name, f"expected an atom 's:w', got {item.strip()!r}")
        s = parse_number(parts[0], name)
        w = parse_number(parts[1], name)
        if s <= 0:
            raise BadParameter(name, f"variances must be > 0, got s = {s}")
        if w <= 0:
            raise BadParameter(name, f"weights must be > 0, got w = {w}")
        atoms[s] = atoms.get(s, Fraction(0)) + w
    if sum(atoms.values()) != 1:
        raise BadParameter(name, f"weights must sum to 1, they sum to {sum(atoms.values())}")
    return tuple(sorted(atoms.items()))
