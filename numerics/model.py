"""Population models and exact parsing of their parameters.

Every parameter of the toolkit is held as an exact rational (``fractions.Fraction``):
``"1/2"``, ``"0.2"`` and ``"1e-3"`` are parsed exactly and never evaluated as code, so
that an evaluation at any ``dps`` starts from the exact input.

>>> parse_number("1/2", "gamma")
Fraction(1, 2)
>>> parse_noise("1:1/2,6:1/2")
((Fraction(1, 1), Fraction(1, 2)), (Fraction(6, 1), Fraction(1, 2)))
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath as mp

from numerics import bases
from numerics.laws import CONTINUOUS, parse_law
from numerics.parsing import BadParameter, parse_noise, parse_number
from numerics.scale import parse_scale_law

__all__ = [
    "BadParameter",
    "Model",
    "parse_number",
    "parse_noise",
    "parse_law",
    "CONTINUOUS",
    "ISOTROPIC",
]

ISOTROPIC = ((Fraction(1), Fraction(1)),)


def _positive(value: Fraction, name: str, *, allow_zero: bool = False) -> Fraction:
    value = parse_number(value, name)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise BadParameter(name, f"must be {bound}, got {value}")
    return value


def _ratio(value, name: str) -> Fraction:
    """A masking ratio: an exact rational in ``[0, 1)``."""
    value = parse_number(value, name)
    if not 0 <= value < 1:
        raise BadParameter(name, f"a masking ratio must be in [0, 1), got {value}")
    return value


@dataclass(frozen=True)
class Model:
    """Spiked population ``Σ = Σ₀ + θ v vᵀ`` observed with aspect ratio ``γ = d/n`` and ridge ``λ``.

    ``noise`` is the bulk law ``ν = Σ_i w_i δ_{s_i}`` of the eigenvalues of ``Σ₀`` as exact
    ``(s_i, w_i)`` pairs, ``basis`` names an entry of :mod:`numerics.bases`: ``"diagonal"``
    (heteroscedastic coordinates) or ``"rotational"`` (Haar eigenbasis). ``mask_ratio`` is the
    training masking ratio ``p ∈ [0, 1)`` (``0``: leave-one-out) and ``test_mask_ratio`` the test ratio
    ``q ∈ [0, 1)`` of the masked test error (``None``: the training ratio, :attr:`test_ratio`).
    All numbers are exact rationals.

    ``scale_law``: the law ``ρ`` of the per-sample scale ``τ`` of elliptical data
    ``x = √τ Σ^{1/2} z`` (:mod:`numerics.scale`; the syntax of ``noise``, rescaled to mean 1;
    default ``δ₁``, Gaussian data), stored as a :class:`numerics.scale.ScaleLaw`.

    ``covariance`` (a given covariance matrix, :mod:`numerics.covariance`): an array or a
    :class:`numerics.covariance.Covariance` (validated, equal and hashed by content); it *is*
    ``Σ``, so ``theta`` must be 0 and ``noise``/``basis`` keep their defaults (a one-line
    :class:`BadParameter` otherwise). Such a model is evaluated by the float64 route of
    :mod:`numerics.covariance` and simulated with ``x = L z``, ``LLᵀ = Σ``.

    >>> Model(gamma="1/2", lam="0.2").isotropic
    True
    >>> Model(gamma="1/2", lam="0.2", mask_ratio="0.3").test_ratio
    Fraction(3, 10)
    """

    gamma: Fraction
    lam: Fraction
    theta: Fraction = Fraction(0)
    noise: tuple[tuple[Fraction, Fraction], ...] = field(default=ISOTROPIC)
    basis: str = bases.DEFAULT
    mask_ratio: Fraction = Fraction(0)
    test_mask_ratio: Fraction | None = None
    covariance: object | None = None
    scale_law: object = field(default=ISOTROPIC)

    def __post_init__(self):
        object.__setattr__(self, "gamma", _positive(self.gamma, "gamma"))
        object.__setattr__(self, "lam", _positive(self.lam, "lam"))
        object.__setattr__(self, "theta", _positive(self.theta, "theta", allow_zero=True))
        noise = self.noise
        law = parse_law(noise) if isinstance(noise, str) else None
        if law is not None:
            noise = law
        elif isinstance(noise, str):
            noise = parse_noise(noise)
        elif not hasattr(noise, "integrate"):  # a DensityLaw passes through
            noise = parse_noise(",".join(f"{s}:{w}" for s, w in noise))
        object.__setattr__(self, "noise", noise)
        if self.basis not in bases.names():
            raise BadParameter("basis", f"expected one of {', '.join(bases.names())}, got {self.basis!r}")
        object.__setattr__(self, "mask_ratio", _ratio(self.mask_ratio, "mask-ratio"))
        if self.test_mask_ratio is not None:
            object.__setattr__(self, "test_mask_ratio", _ratio(self.test_mask_ratio, "test-mask-ratio"))
        object.__setattr__(self, "scale_law", parse_scale_law(self.scale_law)[0])
        if self.covariance is not None:
            self._check_covariance()

    def _check_covariance(self):
        """Wrap the given covariance and refuse the parameters it replaces (one line each)."""
        from numerics.covariance import as_covariance

        object.__setattr__(self, "covariance", as_covariance(self.covariance))
        if self.theta != 0:
            raise BadParameter("theta", f"a given covariance is the whole of Sigma (no planted spike): "
                                        f"theta must be 0, got {self.theta}")
        if self.noise != ISOTROPIC:
            raise BadParameter("noise", "a given covariance replaces the bulk law: give --covariance or --noise, not both")
        if self.basis != bases.DEFAULT:
            raise BadParameter("basis", "a given covariance has its own eigenbasis: give --covariance or --basis, not both")

    @property
    def elliptical(self) -> bool:
        """Whether the data have a non-trivial scale law ``ρ ≠ δ₁`` (elliptical, not Gaussian)."""
        return not self.scale_law.gaussian

    @property
    def test_ratio(self) -> Fraction:
        """The test masking ratio ``q`` of the masked test error (default: the training ratio ``p``)."""
        return self.mask_ratio if self.test_mask_ratio is None else self.test_mask_ratio

    @property
    def masked(self) -> bool:
        """Whether a masking ratio differs from the leave-one-out default (``p > 0`` or ``q`` given)."""
        return self.mask_ratio != 0 or self.test_mask_ratio is not None

    @functools.cached_property
    def law(self):
        """The bulk law (what the solvers integrate against): a :class:`numerics.laws.DiscreteLaw`
        for atoms, else the continuous law itself."""
        from numerics.laws import DiscreteLaw

        return self.noise if hasattr(self.noise, "integrate") else DiscreteLaw(self.noise)

    @property
    def continuous(self) -> bool:
        """Whether the bulk law is a density (``uniform(…)``, ``powerlaw(…)``) rather than atoms."""
        return hasattr(self.noise, "integrate") and not self.noise.discrete

    @property
    def isotropic(self) -> bool:
        """True when the bulk is ``Σ₀ = I`` (the law ``δ₁``; a given covariance is never taken as such)."""
        if self.covariance is not None:
            return False
        return self.noise == ISOTROPIC or (self.law.discrete and self.law.exact == ISOTROPIC)

    def mp(self, name: str) -> mp.mpf:
        """The parameter ``name`` as an ``mpf`` at the current working precision."""
        value = getattr(self, name)
        return mp.mpf(value.numerator) / value.denominator

    def atoms(self) -> list[tuple[mp.mpf, mp.mpf]]:
        """The bulk law as ``mpf`` pairs ``(s, w)`` at the current working precision (atoms only)."""
        if self.continuous:
            raise BadParameter("noise", f"{self.noise.spec} is a continuous law, it has no atoms")
        return list(self.law.atoms())

    def as_dict(self) -> dict:
        """Exact parameters as strings, for JSON output (the masking ratios only when set).

        With a given covariance: its spec (file or ``array(d=…, sha=…)``) and the first 16 hex
        digits of its SHA-256 in place of ``theta``, ``noise`` and ``basis``.
        """
        if self.covariance is not None:
            out = {"covariance": self.covariance.spec, "covariance_sha256": self.covariance.sha256[:16],
                   "gamma": str(self.gamma), "lam": str(self.lam)}
            if self.masked:
                out["mask_ratio"] = str(self.mask_ratio)
                out["test_mask_ratio"] = str(self.test_ratio)
            if self.elliptical:
                out["scale_law"] = self.scale_law.spec
            return out
        out = {
            "gamma": str(self.gamma),
            "lam": str(self.lam),
            "theta": str(self.theta),
            "noise": self.noise.spec if hasattr(self.noise, "spec") else ",".join(f"{s}:{w}" for s, w in self.noise),
            "basis": self.basis,
        }
        if self.masked:
            out["mask_ratio"] = str(self.mask_ratio)
            out["test_mask_ratio"] = str(self.test_ratio)
        if self.elliptical:
            out["scale_law"] = self.scale_law.spec
        return out
