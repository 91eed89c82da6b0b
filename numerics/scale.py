r"""The scale law ``ρ`` of elliptical data: ``x = √τ Σ^{1/2} z`` with ``τ ~ ρ`` per sample, ``E τ = 1``.

Natural data are rarely Gaussian: the overall scale (an image patch's contrast) varies from
sample to sample. With a per-sample scale ``τ ≥ 0`` drawn from ``ρ`` independently of the
Gaussian ``z``, the sample covariance ``S = (1/n) Σ_i τ_i y_i y_iᵀ`` is *separable* and its
resolvent has the deterministic equivalent ``(S + B − u)⁻¹ ≍ (c(δ) Σ + B − u)⁻¹`` with

    c(δ) = ∫ τ/(1+τδ) dρ(τ)          (:meth:`ScaleLaw.first`),
    e₂(δ) = ∫ τ²/(1+τδ)² dρ(τ)       (:meth:`ScaleLaw.second`,  dc/dδ = −e₂).

Every equation of the Gaussian theory holds with ``1/(1+δ)`` replaced by ``c(δ)`` (first order)
and ``1/(1+δ)²`` by ``e₂(δ)`` (second order, the derivative of the first-order equivalent). The
Gaussian model is ``ρ = δ₁`` (:data:`GAUSSIAN`), for which :meth:`ScaleLaw.first` and
:meth:`ScaleLaw.second` compute ``1/(1+δ)`` and ``1/(1+δ)²`` with exactly the operations the
Gaussian code always used, so no Gaussian number changes.

``E τ = 1`` makes ``E xxᵀ = Σ`` (the population second moment *is* ``Σ``); a law given with
another mean ``m`` is rescaled to ``τ/m`` (:func:`normalise`; the command line says so).

>>> law, mean = normalise(DiscreteLaw(((Fraction(1, 2), Fraction(1, 2)), (Fraction(3, 2), Fraction(1, 2)))))
>>> law.gaussian, mean
(False, Fraction(1, 1))
>>> with mp.workdps(20):
...     mp.nstr(law.first(mp.mpf(1)), 15)     # (1/2)(1/2)/(3/2) + (1/2)(3/2)/(5/2)
'0.466666666666667'
>>> law, mean = normalise(DiscreteLaw(((Fraction(1), Fraction(1, 2)), (Fraction(2), Fraction(1, 2)))))
>>> law.spec, mean
('2/3:1/2,4/3:1/2', Fraction(3, 2))
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp

from numerics import laws
from numerics.laws import DiscreteLaw, _mpf, parse_law
from numerics.parsing import parse_noise

__all__ = ["ScaleLaw", "SampleLaw", "GAUSSIAN", "normalise", "parse_scale_law", "from_samples"]


class _Rescaled:
    """A continuous law ``ν`` seen through ``τ ↦ τ/m`` (``m`` its mean, computed at the working
    precision): a density law whose mean is not an exact rational keeps its own parameters."""

    discrete = False

    def __init__(self, law):
        self.base = law

    def __eq__(self, other):
        return isinstance(other, _Rescaled) and other.base == self.base

    def __hash__(self):
        return hash(("rescaled", self.base))

    @property
    def spec(self) -> str:
        return f"{self.base.spec}/mean"

    def _mean(self):
        return self.base.mean()

    def integrate(self, h):
        m = self._mean()
        return self.base.integrate(lambda t: h(t / m))

    def support(self):
        m = float(self._mean())
        lo, hi = self.base.support()
        return float(lo) / m, float(hi) / m

    def mean(self):
        return mp.mpf(1)

    def quantile(self, u):
        return self.base.quantile(u) / float(self._mean())

    def breakpoints(self):
        return []


class SampleLaw:
    r"""The empirical law ``(1/N) Σ_j δ_{τ_j}`` of ``N`` float64 samples, kept as floats.

    For large ``N`` (e.g. the ``τ̂`` of tens of thousands of image patches) the exact atoms of a
    :class:`numerics.laws.EmpiricalLaw` (one ``Fraction`` each) are slow to build and to rescale;
    this law *is* its float64 samples: :meth:`floats` gives them with weights ``1/N`` (what the
    float64 routes use, no discretisation), :meth:`draw` resamples them, and :meth:`integrate`
    sums over them at the working precision (correct, but ``N`` ``mpf`` evaluations per call).
    Equal and hashed by the bytes of the sorted samples.

    >>> law = SampleLaw([3.0, 1.0])
    >>> law.spec, law.support(), float(law.integrate(lambda t: t))
    ('samples(N=2, sha=df05c72cdcfe)', (1.0, 3.0), 2.0)
    """

    discrete = False

    def __init__(self, values):
        import hashlib

        import numpy as np

        values = np.sort(np.asarray(values, dtype=np.float64).ravel())
        if values.size == 0 or not np.all(np.isfinite(values)) or values[0] <= 0:
            raise ValueError("samples: expected a non-empty array of finite positive numbers")
        values.flags.writeable = False
        self.values = values
        self.sha256 = hashlib.sha256(values.tobytes()).hexdigest()
        self.lower, self.upper = float(values[0]), float(values[-1])

    def __eq__(self, other):
        return isinstance(other, SampleLaw) and other.sha256 == self.sha256

    def __hash__(self):
        return hash(("samples", self.sha256))

    def __repr__(self):
        return f"SampleLaw({self.spec})"

    @property
    def spec(self) -> str:
        return f"samples(N={self.values.size}, sha={self.sha256[:12]})"

    def integrate(self, h):
        return mp.fsum(h(mp.mpf(float(v))) for v in self.values) / self.values.size

    def support(self):
        return self.lower, self.upper

    def mean(self):
        return self.integrate(lambda t: t)

    def quantile(self, u):
        """``min{τ : F(τ) ≥ u}`` (a float)."""
        import math

        index = max(0, math.ceil(float(u) * self.values.size) - 1)
        return float(self.values[min(index, self.values.size - 1)])

    def breakpoints(self):
        return []

    def floats(self):
        import numpy as np

        return self.values, np.full(self.values.size, 1.0 / self.values.size)

    def draw(self, rng, n: int):
        """``n`` i.i.d. draws (uniform indices from ``rng.integers``)."""
        return self.values[rng.integers(self.values.size, size=n)]


def from_samples(values) -> "ScaleLaw":
    """The :class:`ScaleLaw` of the empirical law of float64 ``values`` (:class:`SampleLaw`),
    rescaled to mean 1 in float64 (``values / mean(values)``; :meth:`ScaleLaw.note` then quotes the
    mean it had). Float64 throughout: no exact ``Fraction`` per sample.

    >>> law = from_samples([1.0, 3.0])
    >>> law.gaussian, law.floats()[0].tolist(), law.given_mean
    (False, [0.5, 1.5], 2.0)
    """
    import numpy as np

    values = np.asarray(values, dtype=np.float64).ravel()
    mean = float(np.mean(values)) if values.size else float("nan")
    if not mean > 0:
        raise ValueError("samples: expected a non-empty array of finite positive numbers")
    law = SampleLaw(values / mean)
    return ScaleLaw(law, given=law.spec, mean=1 if mean == 1 else mean)


class ScaleLaw:
    """The scale law ``ρ`` (mean 1): ``law`` is a :class:`numerics.laws.Law` of ``τ``.

    :meth:`first` and :meth:`second` are ``c(δ)`` and ``e₂(δ)`` at the working precision for real
    or complex ``δ``; :meth:`floats` gives the law as float64 atoms ``(τ, r)`` for the float64
    locating and checking of the spectrum (a density is discretised on Gauss–Legendre nodes).
    """

    def __init__(self, law, given: str | None = None, mean=None):
        self.law = law
        self._given = given
        #: the mean of the law as given, before the rescaling to 1 (``None``: not an exact rational)
        self.given_mean = mean
        self.gaussian = bool(law.discrete and law.exact == ((Fraction(1), Fraction(1)),))

    def __eq__(self, other):
        return isinstance(other, ScaleLaw) and other.law == self.law

    def __hash__(self):
        return hash(("scale", self.law))

    def __repr__(self):
        return f"ScaleLaw({self.spec})"

    @property
    def spec(self) -> str:
        """The law as ``--scale-law`` writes it (atoms ``t:w`` or the continuous law's name; a
        file law by its file, not its thousands of atoms)."""
        if self._given is not None and (self._given.strip().startswith("file(") or isinstance(self.law, _Rescaled)):
            return self._given.strip()
        if hasattr(self.law, "spec"):
            return self.law.spec
        return ",".join(f"{t}:{w}" for t, w in self.law.exact)

    def first(self, delta):
        """``c(δ) = ∫ τ/(1+τδ) dρ`` (``1/(1+δ)`` for the Gaussian model)."""
        if self.gaussian:
            return 1 / (1 + delta)
        return self.law.integrate(lambda t: t / (1 + t * delta))

    def second(self, delta):
        """``e₂(δ) = ∫ τ²/(1+τδ)² dρ = −c'(δ)`` (``1/(1+δ)²`` for the Gaussian model)."""
        if self.gaussian:
            return 1 / (1 + delta) ** 2
        return self.law.integrate(lambda t: t * t / (1 + t * delta) ** 2)

    def note(self) -> str | None:
        """The ``note:`` that the command line prints when the law was rescaled to mean 1 (else ``None``)."""
        if self.given_mean == 1:
            return None
        given = (self._given or self.spec).strip()
        if self.given_mean is None:
            return (f"the scale law {given} was rescaled to mean 1 (divided by its mean, computed at the "
                    f"working precision): E tau = 1 makes Sigma the population second moment")
        mean = str(self.given_mean) if len(str(self.given_mean)) <= 24 else f"{float(self.given_mean):.12g}"
        return (f"the scale law {given} was rescaled to mean 1 (its mean was {mean}; now "
                f"{self.spec}): E tau = 1 makes Sigma the population second moment")

    def draw(self, rng, n: int):
        """``n`` i.i.d. scales ``τ_i ~ ρ`` (float64) from the ``numpy.random.Generator`` ``rng``."""
        import numpy as np

        if isinstance(self.law, SampleLaw):
            return self.law.draw(rng, n)
        if self.law.discrete:
            tau = np.array([float(t) for t, _ in self.law.exact])
            weights = np.array([float(w) for _, w in self.law.exact])
            return tau[rng.choice(len(tau), size=n, p=weights / weights.sum())]
        u = rng.random(n)
        return np.array([self.law.quantile(float(x)) for x in u])

    def moment(self, k: int):
        """``E τ^k`` at the working precision."""
        return self.law.integrate(lambda t: t ** k)

    def range(self) -> tuple[float, float]:
        """``(min τ, max τ)`` of the support of ``ρ`` (floats)."""
        lo, hi = self.law.support()
        return float(lo), float(hi)

    def floats(self):
        """``(τ, r)``: float64 atoms and weights of ``ρ`` (Gauss–Legendre nodes for a density)."""
        cache = self.__dict__.get("_floats")
        if cache is None:
            import numpy as np

            if isinstance(self.law, SampleLaw):
                tau, weight = self.law.floats()
            elif self.law.discrete:
                tau = np.array([float(t) for t, _ in self.law.exact])
                weight = np.array([float(w) for _, w in self.law.exact])
            else:
                base = self.law.base if isinstance(self.law, _Rescaled) else self.law
                factor = float(base.mean()) if isinstance(self.law, _Rescaled) else 1.0
                cuts = [_mpf(base.lower), *[_mpf(b) for b in base.breakpoints()], _mpf(base.upper)]
                nodes, weights = np.polynomial.legendre.leggauss(200)
                tau, weight = [], []
                for a, b in zip(cuts, cuts[1:]):
                    for x, v in zip(nodes, weights):
                        t = a + (b - a) * (mp.mpf(float(x)) + 1) / 2
                        tau.append(float(t) / factor)
                        weight.append(float(base.pdf(t) * (b - a) / 2) * float(v))
                tau, weight = np.array(tau), np.array(weight)
            cache = self.__dict__["_floats"] = (tau, weight)
        return cache

    def first_np(self, delta):
        """``c(δ)`` in float64 (or complex128) for an array ``δ`` (elementwise)."""
        import numpy as np

        if self.gaussian:
            return 1 / (1 + delta)
        tau, weight = self.floats()
        delta = np.asarray(delta)
        return (weight * tau / (1 + tau * delta[..., None])).sum(axis=-1)

    def second_np(self, delta):
        """``e₂(δ)`` in float64 (or complex128) for an array ``δ``."""
        import numpy as np

        if self.gaussian:
            return 1 / (1 + delta) ** 2
        tau, weight = self.floats()
        delta = np.asarray(delta)
        return (weight * tau * tau / (1 + tau * delta[..., None]) ** 2).sum(axis=-1)


#: The Gaussian model ``ρ = δ₁``.
GAUSSIAN = ScaleLaw(DiscreteLaw(((Fraction(1), Fraction(1)),)), mean=Fraction(1))


def normalise(law, given: str | None = None) -> tuple[ScaleLaw, Fraction | None]:
    """``(ScaleLaw, mean)``: ``law`` (a :class:`numerics.laws.Law` of ``τ``, parsed by
    :func:`numerics.model.parse_scale_law`) rescaled to mean 1, and its mean before rescaling
    (``None`` when that mean is not an exact rational, e.g. a power law: then the rescaling is
    done at the working precision). ``given``: the text it was parsed from (kept as its spec
    for a file or a continuous law)."""
    if law.discrete:
        mean = sum(t * w for t, w in law.exact)
        if mean != 1:
            law = DiscreteLaw(tuple((t / mean, w) for t, w in law.exact))
        return ScaleLaw(law, given, mean), mean
    mean = _exact_mean(law)
    if mean is None:
        return ScaleLaw(_Rescaled(law), given), None
    if mean != 1:
        law = laws.UniformLaw(law.lower / mean, law.upper / mean)
    return ScaleLaw(law, given, mean), mean


def parse_scale_law(text):
    """``(ScaleLaw, mean)``: ``--scale-law`` (the syntax of ``--noise``) as a
    :class:`numerics.scale.ScaleLaw` rescaled to mean 1, with the mean it had (``None`` when that
    is not an exact rational). A ``ScaleLaw`` passes through (mean 1).

    >>> parse_scale_law("1:1/2,2:1/2")
    (ScaleLaw(2/3:1/2,4/3:1/2), Fraction(3, 2))
    """
    if isinstance(text, ScaleLaw):
        return text, Fraction(1)
    if isinstance(text, str):
        law = parse_law(text, "scale-law")
        if law is None:
            law = parse_noise(text, "scale-law")
    elif hasattr(text, "integrate"):
        law = text
    else:
        law = parse_noise(",".join(f"{t}:{w}" for t, w in text), "scale-law")
    if not hasattr(law, "integrate"):
        law = DiscreteLaw(law)
    return normalise(law, text if isinstance(text, str) else None)


def _exact_mean(law):
    """The exact mean of a continuous law when it is rational (``uniform``), else ``None``."""
    if type(law) is laws.UniformLaw:
        return (law.lower + law.upper) / 2
    return None
