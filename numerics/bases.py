r"""The eigenbases of the bulk covariance (``--basis``): one record each, what the theory and the simulation need.

The bulk is ``Σ₀ = O diag(s) Oᵀ`` with the eigenvalues ``s`` of law ``ν`` (docs/theory.md, "The
model"); the basis says what ``O`` is, and so what a *coordinate* of the data sees:

- ``diagonal``: ``O = I``. Coordinate ``k`` has variance ``s_k`` (heteroscedastic coordinates), and
  the diagonal entry of a function ``F = f(Σ₀)`` is ``F_kk = f(s_k)``.
- ``rotational``: ``O`` Haar-orthogonal. Every diagonal entry of ``F = f(Σ₀)`` tends to the same
  normalised trace ``(1/d) tr F → ∫ f dν``: every coordinate has variance ``s̄ = ∫ s dν``, and
  ``D̄ = diag R̄ → m̄ = ∫ R̄ dν`` is one number, so the shift of ``T`` is scalar.

A :class:`Basis` carries these as functions of the law (anything with ``integrate(h)``,
``mean()``, ``discrete`` and, for a discrete law, the exact atoms ``exact``), so that no solver
tests the basis's name: :func:`numerics.reduction.spectral_system` (the scale ``D̄``), the
second-order equivalents of :mod:`numerics.reduction`, the masked ridge of
:mod:`numerics.estimators`, the draw of :func:`numerics.simulate.sample` and
:func:`numerics.spectrum.null_atom` all ask the record. A new basis is one more entry of
:data:`BASES`.

>>> names()
('diagonal', 'rotational')
>>> get("rotational").scalar_shift
True
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from numerics.parsing import BadParameter

__all__ = ["Basis", "BASES", "NAMES", "DEFAULT", "get", "names"]


@dataclass(frozen=True)
class Basis:
    """One eigenbasis ``O`` of ``Σ₀ = O diag(s) Oᵀ``: how a coordinate sees a function of ``Σ₀``.

    ``coordinate(law, f)`` is ``s ↦`` the limit of the diagonal entry ``F_kk`` of ``F = f(Σ₀)`` on a
    coordinate whose eigenvalue is ``s``: ``f`` itself (diagonal), the constant ``∫ f dν``
    (rotational). ``at_variance(law, g, exact=False)`` is ``s ↦ g(σ²)`` at the variance
    ``σ² = lim (Σ₀)_kk = lim S_kk`` of that coordinate: ``g(s)`` (diagonal), the constant ``g(s̄)``
    with ``s̄ = ∫ s dν`` (rotational; ``exact``: ``s̄`` as the exact sum ``Σ w s`` over the atoms,
    for a symbolic ridge, else ``law.mean()`` at the working precision). ``haar``: whether ``O`` is
    Haar-distributed (``False``: ``O = I``).
    """

    name: str
    meaning: str
    coordinate: Callable
    at_variance: Callable
    haar: bool

    @property
    def scalar_shift(self) -> bool:
        """Whether ``D̄ = diag R̄`` (and so the shift ``B D̄`` of ``T``) is one number for every
        estimator with a resolvent and every law: in a Haar basis ``R̄_kk → m̄ = ∫ R̄ dν`` on every
        coordinate (and a masked ridge ``b(s̄)`` is one number too)."""
        return self.haar

    def rotates(self, law) -> bool:
        """Whether a draw of ``Σ₀`` needs the Haar rotation ``O``: a Haar basis and ``Σ₀ ≠ sI``
        (a density, or at least two atoms; for ``Σ₀ = sI`` the rotation drops out)."""
        return self.haar and (not law.discrete or len(law.exact) > 1)


def _own(law, f):
    """Diagonal basis: ``F_kk = f(s_k)``."""
    return f


def _average(law, f):
    """Rotational basis: ``F_kk → (1/d) tr F → ∫ f dν`` on every coordinate."""
    value = law.integrate(f)
    return lambda s: value


def _own_variance(law, g, exact=False):
    """Diagonal basis: ``(Σ₀)_kk = s_k``, so ``g(s_k)``."""
    return g


def _mean_variance(law, g, exact=False):
    """Rotational basis: ``(Σ₀)_kk → s̄ = ∫ s dν`` on every coordinate, so the constant ``g(s̄)``."""
    sbar = sum(s * w for s, w in law.exact) if exact else law.mean()
    value = g(sbar)
    return lambda s: value


BASES: dict[str, Basis] = {
    "diagonal": Basis(
        name="diagonal",
        meaning="Sigma_0 = diag(s): heteroscedastic coordinates, coordinate k has variance s_k",
        coordinate=_own,
        at_variance=_own_variance,
        haar=False),
    "rotational": Basis(
        name="rotational",
        meaning="Sigma_0 = O diag(s) O^T, O Haar-orthogonal: every coordinate sees the averages over nu",
        coordinate=_average,
        at_variance=_mean_variance,
        haar=True),
}

#: The names accepted by ``--basis``, in registry order.
NAMES = tuple(BASES)

#: The basis of a model that names none (and the only one a given covariance allows).
DEFAULT = "diagonal"


def names() -> tuple[str, ...]:
    """The basis names, in registry order (the CLI's choices)."""
    return NAMES


def get(name) -> Basis:
    """The basis called ``name`` (a :class:`Basis` passes through).

    >>> from numerics.laws import DiscreteLaw
    >>> law = DiscreteLaw([(1, "1/2"), (6, "1/2")])
    >>> [get(name).at_variance(law, lambda v: 2 * v, exact=True)(6) for name in names()]
    [12, Fraction(7, 1)]
    """
    if isinstance(name, Basis):
        return name
    try:
        return BASES[name]
    except (KeyError, TypeError):
        raise BadParameter("basis", f"invalid choice {name!r} (choose from {', '.join(NAMES)})") from None
