r"""Population laws ``ν`` of the eigenvalues of the bulk covariance ``Σ₀`` (docs/theory.md, "The model").

Every integral of the theory is ``∫ h(s) dν(s)`` for one law ``ν``; a :class:`Law` provides it
at the working precision (:meth:`Law.integrate`) together with what the solvers need: the
support, the points where the integrands of (E3) have poles (:meth:`Law.poles`, used to limit
the steps of the edge walk), and the mean. The solvers never loop over atoms themselves.

- :class:`DiscreteLaw`: ``ν = Σ_i w_i δ_{s_i}`` with exact rational atoms; ``integrate`` is an
  exactly ordered :func:`mpmath.fsum`. The algebraic solver (:mod:`numerics.algebraic`) needs
  this kind (its polynomials have one factor per atom).
- :class:`EmpiricalLaw`: the empirical law of a list of eigenvalues (a discrete law with equal
  weights); :class:`FileLaw` reads them from a file (``--noise 'file(PATH)'``).
- :class:`DensityLaw`: a law with a density ``f`` on ``[a, b]``; ``integrate`` is
  :func:`mpmath.quad` of ``h·f`` split at :attr:`DensityLaw.breakpoints` (the kinks), so results
  keep the working precision. Subclasses define ``pdf`` (and may override ``breakpoints``):
  :class:`UniformLaw` (``uniform(a,b)``) and :class:`PowerLaw` (``powerlaw(alpha,a,b)``, density
  ``∝ s^{−α}`` on ``[a, b]``), each with exact parameters and a ``quantile`` for the simulation.

>>> from fractions import Fraction as F
>>> law = DiscreteLaw(((F(1), F(1, 2)), (F(6), F(1, 2))))
>>> with mp.workdps(20):
...     mp.nstr(law.integrate(lambda s: 1 / s), 20)
'0.58333333333333333333'
>>> law.discrete, law.support()
(True, (Fraction(1, 1), Fraction(6, 1)))
"""
from __future__ import annotations

import re
from fractions import Fraction

import mpmath as mp

from numerics.parsing import BadParameter, parse_number

__all__ = ["Law", "DiscreteLaw", "EmpiricalLaw", "FileLaw", "DensityLaw", "UniformLaw", "PowerLaw",
           "CONTINUOUS", "parse_law"]


def _mpf(value):
    """An exact rational (``Fraction``) as an ``mpf`` rounded once at the working precision."""
    if isinstance(value, Fraction):
        return mp.mpf(value.numerator) / value.denominator
    return mp.mpf(value)


class Law:
    """The protocol every population law follows.

    ``integrate(h)`` returns ``∫ h(s) dν(s)`` at the working precision (``h`` maps an ``mpf``
    to an ``mpf`` or ``mpc``); ``support()`` the interval ``[lower, upper]`` holding ``ν``;
    ``poles()`` the points ``s`` at which an integrand of the form ``1/(c(s) − u)`` can have an
    isolated pole (the atoms of a discrete law, none for a density); ``discrete`` says whether
    the law is a finite sum of atoms (required by the algebraic solver).
    """

    discrete = False

    def integrate(self, h):
        raise NotImplementedError

    def support(self):
        raise NotImplementedError

    def poles(self) -> list:
        return []

    def mean(self):
        """``∫ s dν(s)``."""
        return self.integrate(lambda s: s)


class DiscreteLaw(Law):
    r"""``ν = Σ_i w_i δ_{s_i}``: exact ``(s_i, w_i)`` pairs, sorted by ``s``, weights summing to 1.

    ``integrate(h) = fsum(w_i · h(s_i))`` in the order of the atoms.
    """

    discrete = True

    def __init__(self, atoms):
        self.exact = tuple((Fraction(s), Fraction(w)) for s, w in atoms)

    def __eq__(self, other):
        return isinstance(other, DiscreteLaw) and self.exact == other.exact

    def __hash__(self):
        return hash(self.exact)

    def __repr__(self):
        return f"DiscreteLaw({','.join(f'{s}:{w}' for s, w in self.exact)})"

    def atoms(self) -> list:
        """The atoms as ``mpf`` pairs ``(s, w)`` at the working precision (rounded once per precision)."""
        cache = self.__dict__.setdefault("_atoms", {})
        if mp.mp.prec not in cache:
            cache[mp.mp.prec] = [(_mpf(s), _mpf(w)) for s, w in self.exact]
        return cache[mp.mp.prec]

    def integrate(self, h):
        return mp.fsum(w * h(s) for s, w in self.atoms())

    def support(self):
        return self.exact[0][0], self.exact[-1][0]

    def poles(self) -> list:
        return [s for s, _ in self.atoms()]

    def quantile(self, u):
        """``F^{-1}(u) = min{s : F(s) ≥ u}`` as a float (exact cumulative weights; for the simulation).

        >>> DiscreteLaw(((1, Fraction(1, 4)), (3, Fraction(3, 4)))).quantile(0.2)
        1.0
        """
        import bisect

        if "_cumulative" not in self.__dict__:
            total, cumulative = Fraction(0), []
            for _, w in self.exact:
                total += w
                cumulative.append(total)
            self.__dict__["_cumulative"] = cumulative
        index = bisect.bisect_left(self.__dict__["_cumulative"], Fraction(u))
        return float(self.exact[min(index, len(self.exact) - 1)][0])


class EmpiricalLaw(DiscreteLaw):
    """The empirical law ``(1/N) Σ_k δ_{λ_k}`` of ``N`` eigenvalues (repeated values merge).

    >>> EmpiricalLaw(["1", "2", "2", "5"]).exact
    ((Fraction(1, 1), Fraction(1, 4)), (Fraction(2, 1), Fraction(1, 2)), (Fraction(5, 1), Fraction(1, 4)))
    """

    def __init__(self, values):
        from collections import Counter

        values = [Fraction(v) for v in values]
        if not values or any(v <= 0 for v in values):
            raise ValueError("eigenvalues: expected a non-empty list of positive numbers")
        counts = Counter(values)
        # sorted by the float value first (cheap), the exact value breaking ties: the exact order
        order = sorted(counts, key=lambda v: (float(v), v))
        super().__init__((v, Fraction(counts[v], len(values))) for v in order)


class FileLaw(EmpiricalLaw):
    r"""The empirical law of the eigenvalues in a file (``--noise 'file(PATH)'``), equal weights.

    ``.npy``: a 1-d array of floats, each taken exactly (``Fraction(float)``: the binary value
    stored); any other file: numbers separated by whitespace or commas, each parsed exactly by
    :func:`numerics.parsing.parse_number` (``1/2``, ``0.2``, ``1e-3``; never evaluated). Every
    value must be finite and ``> 0``. Repeated values merge into one atom. Two file laws are
    equal when their atoms are (not their paths).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "eig.txt")
    >>> _ = open(path, "w").write("1 2\n2, 5\n")
    >>> law = FileLaw(path)
    >>> law.size, law.exact
    (4, ((Fraction(1, 1), Fraction(1, 4)), (Fraction(2, 1), Fraction(1, 2)), (Fraction(5, 1), Fraction(1, 4))))
    """

    def __init__(self, path: str, name: str = "noise"):
        self.path = str(path)
        values = _read_eigenvalues(self.path, name)
        self.size = len(values)
        try:
            super().__init__(values)
        except ValueError as err:
            raise BadParameter(name, f"file({self.path}): {err}") from None
        self._hash = hash(self.exact)

    @property
    def spec(self) -> str:
        return f"file({self.path})"

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"FileLaw({self.path!r}: {self.size} eigenvalues, {len(self.exact)} atoms)"


def _read_eigenvalues(path: str, name: str = "noise") -> list:
    """The eigenvalues in ``path`` as exact ``Fraction``s (see :class:`FileLaw`); one-line errors."""
    import os

    if not os.path.isfile(path):
        raise BadParameter(name, f"file({path}): no such file")
    if path.endswith(".npy"):
        import numpy as np

        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise BadParameter(name, f"file({path}): not a readable .npy array ({err})") from None
        if array.ndim != 1 or array.dtype.kind not in "iuf":
            raise BadParameter(name, f"file({path}): expected a 1-d array of real numbers, "
                                        f"got shape {array.shape} of {array.dtype}")
        if not np.all(np.isfinite(array)):
            raise BadParameter(name, f"file({path}): the eigenvalues must be finite")
        return [Fraction(float(x)) for x in array]
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as err:
        raise BadParameter(name, f"file({path}): cannot read it as text ({type(err).__name__})") from None
    return [parse_number(item, name) for item in text.replace(",", " ").split()]


class DensityLaw(Law):
    """A law with a density ``pdf(s)`` on ``[lower, upper]``, integrated by tanh–sinh quadrature.

    Subclasses set ``lower`` and ``upper`` (exact) and define ``pdf``; ``breakpoints`` lists the
    interior points where the density has a kink (quadrature is split there). The integral is
    computed at the working precision (:func:`mpmath.quad` with the current ``mp.dps``).
    """

    lower: Fraction
    upper: Fraction

    def pdf(self, s):
        raise NotImplementedError

    @property
    def spec(self) -> str:
        """The law as ``--noise`` writes it, e.g. ``uniform(1,6)`` (exact parameters)."""
        raise NotImplementedError

    def __eq__(self, other):  # equal specs, equal laws (models are cached by value)
        return type(other) is type(self) and other.spec == self.spec

    def __hash__(self):
        return hash((type(self).__name__, self.spec))

    def __repr__(self):
        return f"{type(self).__name__}({self.spec})"

    def breakpoints(self) -> list:
        return []

    def mean(self):
        """``∫ s dν(s)``, one quadrature per precision (the solvers ask for it at every ``λ`` and ``p``)."""
        cache = self.__dict__.setdefault("_means", {})
        if mp.mp.prec not in cache:
            cache[mp.mp.prec] = self.integrate(lambda s: s)
        return +cache[mp.mp.prec]

    def integrate(self, h):
        points = [_mpf(self.lower), *[_mpf(b) for b in self.breakpoints()], _mpf(self.upper)]
        return mp.quad(lambda s: h(s) * self.density_at(s), points)

    def density_at(self, s):
        """``pdf(s)`` remembered per node and precision: the solvers integrate many functions on
        the same quadrature nodes (a power of ``s`` costs more than the rest of an integrand)."""
        memo = self.__dict__.setdefault("_pdf_memo", {})
        key = (s, mp.mp.prec)
        value = memo.get(key)
        if value is None:
            if len(memo) >= 200_000:
                memo.clear()
            value = memo[key] = self.pdf(s)
        return value

    def support(self):
        return self.lower, self.upper


class UniformLaw(DensityLaw):
    r"""``ν = U[a, b]``, density ``1/(b − a)`` on ``[a, b]`` (``0 < a < b``; ``--noise 'uniform(a,b)'``).

    >>> from fractions import Fraction as F
    >>> with mp.workdps(30):
    ...     mp.nstr(UniformLaw(F(1), F(6)).mean(), 30)
    '3.5'
    """

    def __init__(self, lower, upper):
        self.lower, self.upper = Fraction(lower), Fraction(upper)
        if not 0 < self.lower < self.upper:
            raise ValueError(f"uniform(a,b): need 0 < a < b, got a = {self.lower}, b = {self.upper}")

    @property
    def spec(self) -> str:
        return f"uniform({self.lower},{self.upper})"

    def pdf(self, s):
        cache = self.__dict__.setdefault("_constants", {})
        if mp.mp.prec not in cache:
            cache[mp.mp.prec] = 1 / (_mpf(self.upper) - _mpf(self.lower))
        return cache[mp.mp.prec]

    density_at = pdf  # a constant: nothing to remember

    def quantile(self, u):
        """``F^{-1}(u)`` (floats, for the simulation)."""
        return float(self.lower) + (float(self.upper) - float(self.lower)) * u


class PowerLaw(DensityLaw):
    r"""Density ``∝ s^{−α}`` on ``[a, b]`` (``0 < a < b``, any real ``α``; ``--noise 'powerlaw(alpha,a,b)'``).

    The normalisation is ``∫_a^b s^{−α} ds = (b^{1−α} − a^{1−α})/(1 − α)`` (``log(b/a)`` at ``α = 1``).

    >>> from fractions import Fraction as F
    >>> with mp.workdps(30):
    ...     mp.nstr(PowerLaw(F(1), F(1), F(6)).mean(), 20)   # (b − a)/log(b/a)
    '2.7905531327562362686'
    """

    def __init__(self, alpha, lower, upper):
        self.alpha, self.lower, self.upper = Fraction(alpha), Fraction(lower), Fraction(upper)
        if not 0 < self.lower < self.upper:
            raise ValueError(f"powerlaw(alpha,a,b): need 0 < a < b, got a = {self.lower}, b = {self.upper}")

    @property
    def spec(self) -> str:
        return f"powerlaw({self.alpha},{self.lower},{self.upper})"

    def _norm(self):
        a, b, alpha = _mpf(self.lower), _mpf(self.upper), _mpf(self.alpha)
        if self.alpha == 1:
            return mp.log(b / a)
        return (b ** (1 - alpha) - a ** (1 - alpha)) / (1 - alpha)

    def pdf(self, s):
        cache = self.__dict__.setdefault("_constants", {})
        if mp.mp.prec not in cache:  # the exponent and the normalisation, once per precision
            cache[mp.mp.prec] = (-_mpf(self.alpha), 1 / self._norm())
        exponent, scale = cache[mp.mp.prec]
        return s ** exponent * scale

    def quantile(self, u):
        """``F^{-1}(u)`` (floats, for the simulation)."""
        a, b, alpha = float(self.lower), float(self.upper), float(self.alpha)
        if self.alpha == 1:
            return a * (b / a) ** u
        return (a ** (1 - alpha) + u * (b ** (1 - alpha) - a ** (1 - alpha))) ** (1 / (1 - alpha))


#: The continuous laws ``--noise`` accepts: name → (argument names, class name in numerics.laws).
CONTINUOUS = {"uniform": (("a", "b"), "UniformLaw"), "powerlaw": (("alpha", "a", "b"), "PowerLaw")}


def parse_law(text: str, name: str = "noise"):
    """``uniform(a,b)`` or ``powerlaw(alpha,a,b)`` as a :class:`numerics.laws.DensityLaw`, or
    ``file(PATH)`` as the :class:`numerics.laws.FileLaw` of the eigenvalues in that file.

    The arguments are parsed exactly by :func:`parse_number` (never evaluated); ``None`` when
    ``text`` is not of this form (then it is a list of atoms, :func:`parse_noise`).

    >>> parse_law("uniform(1, 6)")
    UniformLaw(uniform(1,6))
    >>> parse_law("powerlaw(3/2,1,2e1)")
    PowerLaw(powerlaw(3/2,1,20))
    """
    match = re.fullmatch(r"\s*([a-z]+)\s*\((.*)\)\s*", text, flags=re.DOTALL) if isinstance(text, str) else None
    if match is None:
        return None
    law, body = match.groups()
    if law == "file":  # the eigenvalues in a file: the argument is a path, not a number
        if not body.strip():
            raise BadParameter(name, "file(PATH) needs the path of a file of eigenvalues (.npy or text)")
        return FileLaw(body.strip(), name)
    if law not in CONTINUOUS:
        raise BadParameter(name, f"unknown law {law!r} (choose from {', '.join(f'{n}(' + ','.join(a) + ')' for n, (a, _) in CONTINUOUS.items())}, file(PATH), or atoms s1:w1,...)")
    names, cls = CONTINUOUS[law]
    values = [item.strip() for item in body.split(",")]
    if len(values) != len(names):
        raise BadParameter(name, f"{law} takes {len(names)} numbers ({','.join(names)}), got {len(values)}")
    numbers = [parse_number(v, name) for v in values]
    try:
        return globals()[cls](*numbers)
    except ValueError as err:
        raise BadParameter(name, str(err)) from None
