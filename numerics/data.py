r"""Laws of the standardised entries of the data: non-Gaussian data (docs/theory.md, "When each result holds").

A simulated row is ``x = Σ₀^{1/2} z + √θ ξ v`` (:func:`numerics.simulate.sample`): ``z ∈ R^d`` has
i.i.d. entries and ``ξ`` is one more draw of the same law, with

    E z = 0,   E z² = 1,

so that ``Cov x = Σ₀ + θ v vᵀ = Σ`` whatever the law. The limits of docs/theory.md are derived for
Gaussian entries; universality says that they hold for any standardised law with a finite fourth
moment ``E z⁴`` (the normalised traces — ``m``, the errors — need only the second; the extreme
eigenvalues, hence the edges and the outlier, need the fourth: Bai–Yin). The fourth moment
(``3`` for the Gaussian) sets the size of the ``O(1/d)`` finite-size corrections through the
fourth cumulant ``κ₄ = E z⁴ − 3``.

One class per law, behind one protocol (:class:`DataLaw`): ``draw(rng, shape)`` returns an array of
i.i.d. entries drawn from the ``numpy.random.Generator`` ``rng``; ``fourth_moment`` is ``E z⁴`` (an
exact ``Fraction``, or ``math.inf``); ``spec`` is the text :func:`parse_data` reads back.

==================  =============================================  ======================
spec                law of ``z``                                   ``E z⁴``
==================  =============================================  ======================
``gaussian``        ``N(0, 1)`` (the default)                      ``3``
``rademacher``      ``±1`` with probability ``1/2`` each           ``1``
``student-t(NU)``   ``t_ν · √((ν−2)/ν)``, ``ν > 2``                ``3(ν−2)/(ν−4)`` for ``ν > 4``, else ``∞``
``sparse(Q)``       ``ε β / √Q``, ``ε = ±1``, ``β ~ Bernoulli(Q)``   ``1/Q``
==================  =============================================  ======================

Numbers in parentheses are parsed exactly by :func:`numerics.model.parse_number` (never
evaluated); bad input raises :class:`~numerics.model.BadParameter` naming ``data``.

>>> parse_data("student-t(5/2)")
StudentT(student-t(5/2))
>>> parse_data("sparse(0.1)").fourth_moment
Fraction(10, 1)
>>> parse_data("student-t(2)")
Traceback (most recent call last):
...
numerics.parsing.BadParameter: data: student-t(NU) needs NU > 2 (finite variance, scaled to 1), got NU = 2
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from numerics.parsing import BadParameter, parse_number

__all__ = ["DataLaw", "Gaussian", "Rademacher", "StudentT", "Sparse", "LAWS", "GAUSSIAN", "parse_data"]


class DataLaw:
    """The protocol of a law of standardised entries (mean 0, variance 1).

    ``draw(rng, shape)`` draws i.i.d. entries from the ``numpy.random.Generator`` ``rng``;
    ``fourth_moment`` is ``E z⁴`` (exact, or ``math.inf``); ``spec`` is the canonical text
    (``parse_data(law.spec) == law``); ``gaussian`` says whether the law is ``N(0, 1)``.
    Equality and hashing follow ``spec``.
    """

    name = ""
    gaussian = False

    @property
    def spec(self) -> str:
        return self.name

    @property
    def fourth_moment(self):
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, shape) -> np.ndarray:
        raise NotImplementedError

    def __eq__(self, other):
        return isinstance(other, DataLaw) and other.spec == self.spec

    def __hash__(self):
        return hash(self.spec)

    def __repr__(self):
        return f"{type(self).__name__}({self.spec})"


class Gaussian(DataLaw):
    """``z ~ N(0, 1)``: ``draw`` is exactly ``rng.standard_normal(shape)`` (the toolkit's default
    draws, bit for bit); ``E z⁴ = 3``.

    >>> Gaussian().draw(np.random.default_rng(0), 2).tolist() == np.random.default_rng(0).standard_normal(2).tolist()
    True
    """

    name = "gaussian"
    gaussian = True

    @property
    def fourth_moment(self) -> Fraction:
        return Fraction(3)

    def draw(self, rng, shape):
        return rng.standard_normal(shape)


class Rademacher(DataLaw):
    """``z = ±1`` with probability ``1/2`` each: ``z² = 1``, so ``E z⁴ = 1`` (the smallest fourth
    moment of a standardised law). ``draw``: ``2 b − 1`` with ``b`` uniform on ``{0, 1}``
    (``rng.integers``).

    >>> sorted(set(Rademacher().draw(np.random.default_rng(0), 100).tolist()))
    [-1.0, 1.0]
    """

    name = "rademacher"

    @property
    def fourth_moment(self) -> Fraction:
        return Fraction(1)

    def draw(self, rng, shape):
        return 2.0 * rng.integers(0, 2, size=shape) - 1.0


class StudentT(DataLaw):
    r"""Student's ``t`` with ``ν > 2`` degrees of freedom scaled to unit variance:
    ``z = t_ν · √((ν−2)/ν)`` (``Var t_ν = ν/(ν−2)``).

    The moments ``E |z|^k`` are finite exactly for ``k < ν``. The fourth moment is finite only for
    ``ν > 4``:

        E z⁴ = ((ν−2)/ν)² · E t_ν⁴ = ((ν−2)/ν)² · 3ν²/((ν−2)(ν−4)) = 3(ν−2)/(ν−4)   (ν > 4),

    and ``math.inf`` for ``2 < ν ≤ 4`` — the heavy-tailed regime where the extreme eigenvalues of
    the sample covariance no longer converge to the edges of the bulk (their top entries ``|x_{μk}|²``
    grow like ``(nd)^{2/ν}``, faster than ``n`` for ``ν < 4``). ``ν ≤ 2`` (infinite variance) is
    refused. ``draw``: ``rng.standard_t(ν, shape)`` times the scale.

    >>> StudentT(Fraction(8)).fourth_moment, StudentT(Fraction(3)).fourth_moment
    (Fraction(9, 2), inf)
    """

    name = "student-t"

    def __init__(self, nu):
        nu = Fraction(nu)
        if not nu > 2:
            raise BadParameter("data", f"student-t(NU) needs NU > 2 (finite variance, scaled to 1), got NU = {nu}")
        self.nu = nu

    @property
    def spec(self) -> str:
        return f"student-t({self.nu})"

    @property
    def fourth_moment(self):
        return 3 * (self.nu - 2) / (self.nu - 4) if self.nu > 4 else math.inf

    def draw(self, rng, shape):
        nu = float(self.nu)
        return rng.standard_t(nu, shape) * math.sqrt((nu - 2) / nu)


class Sparse(DataLaw):
    r"""Sparse entries ``z = ε β / √Q``: ``ε = ±1`` (Rademacher) and ``β ~ Bernoulli(Q)``
    independent, ``0 < Q ≤ 1`` (a fraction ``1 − Q`` of the entries is exactly zero).
    ``E z² = Q/Q = 1`` and ``E z⁴ = Q/Q² = 1/Q``; ``Q = 1`` is the Rademacher law.

    ``draw``: one uniform ``u`` on ``[0, 1)`` per entry (``rng.random``), ``z = −1/√Q`` for
    ``u < Q/2``, ``+1/√Q`` for ``Q/2 ≤ u < Q``, else ``0`` (given ``u < Q``, ``u/Q`` is uniform, so the
    sign is independent of ``β``).

    >>> Sparse(Fraction(1, 4)).fourth_moment
    Fraction(4, 1)
    """

    name = "sparse"

    def __init__(self, q):
        q = Fraction(q)
        if not 0 < q <= 1:
            raise BadParameter("data", f"sparse(Q) needs 0 < Q <= 1 (the probability of a nonzero entry), got Q = {q}")
        self.q = q

    @property
    def spec(self) -> str:
        return f"sparse({self.q})"

    @property
    def fourth_moment(self) -> Fraction:
        return 1 / self.q

    def draw(self, rng, shape):
        q = float(self.q)
        u = rng.random(shape)
        return np.where(u < q, np.where(u < q / 2, -1.0, 1.0), 0.0) / math.sqrt(q)


#: The laws by name: name → (class, argument name or ``None``).
LAWS = {"gaussian": (Gaussian, None), "rademacher": (Rademacher, None), "student-t": (StudentT, "NU"),
        "sparse": (Sparse, "Q")}
GAUSSIAN = Gaussian()

_CHOICES = ", ".join(name + (f"({argument})" if argument else "") for name, (_, argument) in LAWS.items())


def parse_data(text=None) -> DataLaw:
    """The law named by ``text``: ``gaussian`` (also ``None``, the default), ``rademacher``,
    ``student-t(NU)`` or ``sparse(Q)``; a :class:`DataLaw` passes through.

    ``NU`` and ``Q`` are parsed exactly (:func:`numerics.model.parse_number`: ``5/2``, ``0.1``,
    ``1e-1``). Anything else raises :class:`~numerics.model.BadParameter` naming ``data``, with one
    line listing the choices.

    >>> parse_data(), parse_data(" rademacher "), parse_data("sparse(1e-1)")
    (Gaussian(gaussian), Rademacher(rademacher), Sparse(sparse(1/10)))
    >>> parse_data("cauchy")
    Traceback (most recent call last):
    ...
    numerics.parsing.BadParameter: data: unknown law 'cauchy' (choose from gaussian, rademacher, student-t(NU), sparse(Q))
    """
    if text is None:
        return GAUSSIAN
    if isinstance(text, DataLaw):
        return text
    if not isinstance(text, str):
        raise BadParameter("data", f"expected a law ({_CHOICES}), got {type(text).__name__}")
    match = re.fullmatch(r"\s*([A-Za-z][A-Za-z-]*)\s*(?:\((.*)\))?\s*", text)
    if match is None:
        raise BadParameter("data", f"expected one of {_CHOICES}, got {text.strip()[:40]!r}")
    name, body = match.groups()
    if name not in LAWS:
        raise BadParameter("data", f"unknown law {name!r} (choose from {_CHOICES})")
    cls, argument = LAWS[name]
    if argument is None:
        if body is not None:
            raise BadParameter("data", f"{name} takes no parameter, got {text.strip()[:40]!r}")
        return GAUSSIAN if cls is Gaussian else cls()
    if body is None or not body.strip():
        raise BadParameter("data", f"{name}({argument}) needs its parameter {argument}, e.g. "
                                   f"{'student-t(5)' if cls is StudentT else 'sparse(1/10)'}")
    return cls(parse_number(body, "data"))
