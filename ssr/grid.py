"""Grids of ``ssr eval`` and ``ssr sweep``: ranges ``START:STOP:COUNT`` of the numeric options.

A numeric option (:data:`OPTIONS`) takes a number or a range ``START:STOP:COUNT``: ``COUNT ≥ 2``
evenly spaced points from ``START`` to ``STOP`` inclusive, the exact rationals
``START + k (STOP − START)/(COUNT − 1)`` (both ends parsed exactly by
:func:`numerics.model.parse_number`). Several ranges form the Cartesian product in the order of
:data:`OPTIONS` (``--gamma`` outermost, ``--test-mask-ratio`` innermost, varying fastest).
``--noise`` is not numeric (its ``:`` separates an atom from its weight).

>>> parse_range("0:1:3", "gamma")
(Fraction(0, 1), Fraction(1, 2), Fraction(1, 1))
>>> parse_range("1/2", "gamma") is None
True
>>> parse_range("0:1:0", "lam")
Traceback (most recent call last):
...
numerics.parsing.BadParameter: lam: a range START:STOP:COUNT needs an integer COUNT >= 2 (at most 100000), got '0'
"""
from __future__ import annotations

import argparse
import itertools
import re

from numerics.model import BadParameter, parse_number

__all__ = ["OPTIONS", "MAX_POINTS", "Grid", "parse_range", "grid"]

#: The numeric options that accept a range, as ``(attribute, option name)``, in product order.
OPTIONS = (("gamma", "gamma"), ("lam", "lam"), ("theta", "theta"), ("at", "at"),
           ("mask_ratio", "mask-ratio"), ("test_mask_ratio", "test-mask-ratio"))
#: The largest number of points of a range and of a whole grid.
MAX_POINTS = 100_000


def parse_range(text, name: str):
    """The points of ``START:STOP:COUNT`` as exact ``Fraction``s, or ``None`` if ``text`` is no range.

    Raises :class:`BadParameter` naming ``name`` for a malformed range (not three parts, a bad
    number, ``COUNT`` not an integer in ``[2, MAX_POINTS]``, ``START = STOP``).
    """
    if not isinstance(text, str) or ":" not in text:
        return None
    parts = text.split(":")
    if len(parts) != 3:
        raise BadParameter(name, f"expected a number or a range START:STOP:COUNT, got {text!r}")
    start, stop = (parse_number(part, name) for part in parts[:2])
    count = parts[2].strip()
    if not re.fullmatch(r"\+?[0-9]{1,7}", count) or not 2 <= int(count) <= MAX_POINTS:
        raise BadParameter(name, f"a range START:STOP:COUNT needs an integer COUNT >= 2 "
                                 f"(at most {MAX_POINTS}), got {count!r}")
    if start == stop:
        raise BadParameter(name, f"a range START:STOP:COUNT needs START != STOP, got {text!r}")
    count = int(count)
    step = (stop - start) / (count - 1)
    return tuple(start + k * step for k in range(count))


class Grid:
    """The points of a command line: ``axes`` maps each ranged option to its points.

    :meth:`points` yields, per point, a copy of the parsed arguments with every range replaced by
    the point's value (an exact ``Fraction``); without a range there is one point, the arguments.
    """

    def __init__(self, args: argparse.Namespace, axes: dict):
        self.args, self.axes = args, axes

    def __len__(self) -> int:
        size = 1
        for values in self.axes.values():
            size *= len(values)
        return size

    @property
    def ranged(self) -> bool:
        return bool(self.axes)

    def normalised(self) -> dict:
        """Every numeric option as an exact string: ``str(Fraction)`` or ``START:STOP:COUNT`` (``None``
        when not given)."""
        out = {}
        for attr, _ in OPTIONS:
            if attr in self.axes:
                values = self.axes[attr]
                out[attr] = f"{values[0]}:{values[-1]}:{len(values)}"
            else:
                value = getattr(self.args, attr, None)
                out[attr] = None if value is None else str(parse_number(value, dict(OPTIONS)[attr]))
        return out

    def points(self):
        names = list(self.axes)
        for values in itertools.product(*(self.axes[name] for name in names)):
            point = argparse.Namespace(**vars(self.args))
            for name, value in zip(names, values):
                setattr(point, name, value)
            yield point


def grid(args: argparse.Namespace) -> Grid:
    """The :class:`Grid` of ``args``: each numeric option parsed as a number or a range.

    Single numbers are left to the command (which parses them exactly, as without a grid); the
    product of the ranges may have at most :data:`MAX_POINTS` points.
    """
    axes = {}
    for attr, name in OPTIONS:
        values = parse_range(getattr(args, attr, None), name)
        if values is not None:
            axes[attr] = values
    result = Grid(args, axes)
    if len(result) > MAX_POINTS:
        shown = " x ".join(str(len(v)) for v in axes.values())
        raise BadParameter(dict(OPTIONS)[list(axes)[-1]],
                           f"the grid has {shown} = {len(result)} points, more than {MAX_POINTS}")
    return result

