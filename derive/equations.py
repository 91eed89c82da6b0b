r"""The self-consistent equations (E1)–(E4) of docs/theory.md, encoded for a discrete bulk law.

A law ``ν = Σ_i w_i δ_{s_i}`` is passed as a tuple of ``(s_i, w_i)`` pairs of SymPy numbers or
symbols; the isotropic model is :data:`ISOTROPIC` ``= ((1, 1),)``. Every closed form in
:mod:`derive` starts from these expressions. The spectral functions are written for the
*diagonal* basis, where the deterministic equivalent of ``diag(R)`` is ``R̄`` itself; for the
isotropic law both bases coincide.

>>> from derive.symbols import gamma, lam, delta
>>> first_order(ISOTROPIC)
Eq(delta, gamma/(lambda + 1/(delta + 1)))
"""
from __future__ import annotations

import sympy as sp

from derive.symbols import delta, gamma, lam, theta

__all__ = [
    "ISOTROPIC",
    "first_order",
    "mean_resolvent",
    "kappa",
    "sample_covariance",
    "spike_secular",
    "law_atoms",
    "law_latex",
]

ISOTROPIC = ((sp.Integer(1), sp.Integer(1)),)


def law_atoms(law):
    """A discrete law ``((s, w), …)`` with SymPy atoms and weights."""
    return tuple((sp.sympify(s), sp.sympify(w)) for s, w in law)


def law_latex(law) -> str:
    """``w₁ δ_{s₁} + …`` in LaTeX."""
    def weight_latex(weight):
        return rf"\left({sp.latex(weight)}\right)" if isinstance(weight, sp.Add) else sp.latex(weight)
    return " + ".join(rf"{weight_latex(weight)}\,\delta_{{{sp.latex(atom)}}}" for atom, weight in law_atoms(law))


_law = law_atoms


def first_order(law) -> sp.Eq:
    r"""(E1): ``δ = γ ∫ s / (s/(1+δ) + λ) dν(s)``, the equation fixing ``δ(λ) > 0``."""
    return sp.Eq(delta, gamma * sum(w * s / (s / (1 + delta) + lam) for s, w in _law(law)))


def mean_resolvent(law) -> sp.Expr:
    r"""``m̄ = ∫ dν(s) / (s/(1+δ) + λ)``, the limit of ``(1/d) tr R`` and of ``R_kk`` on average."""
    return sum(w / (s / (1 + delta) + lam) for s, w in _law(law))


def kappa(law) -> sp.Expr:
    r"""(E2): ``κ = 1 / (1 − γ ∫ (s/(s/(1+δ)+λ))² dν / (1+δ)²)``, so that ``RΣR ≍ κ R̄ΣR̄``."""
    inner = sum(w * (s / (s / (1 + delta) + lam)) ** 2 for s, w in _law(law))
    return 1 / (1 - gamma * inner / (1 + delta) ** 2)


def sample_covariance(law, spectral, scale=1, shift=0):
    r"""(E3) for ``T = D̄^{1/2}(S + λ)D̄^{1/2}`` with a scalar ``D̄`` on each atom.

    ``scale(s)`` is ``D̄`` on the atom ``s`` and ``shift(s)`` the deterministic shift
    (``λ D̄`` for SSR; ``D̄ = 1`` and no shift for PCA, where ``T = S``). Returns the pair
    ``(equation for δ(u), g(u))`` with ``g(u) = lim (1/d) tr (T − u)^{-1}``:

        δ(u) = γ ∫ c / (c/(1+δ(u)) + shift − u) dν,   c = scale·s,
        g(u) = ∫ 1 / (c/(1+δ(u)) + shift − u) dν.
    """
    scale_of = scale if callable(scale) else (lambda s, value=scale: sp.sympify(value))
    shift_of = shift if callable(shift) else (lambda s, value=shift: sp.sympify(value))
    eq_terms, g_terms = [], []
    for s, w in _law(law):
        c = scale_of(s) * s
        denominator = c / (1 + delta) + shift_of(s) - spectral
        eq_terms.append(w * c / denominator)
        g_terms.append(w / denominator)
    return sp.Eq(delta, gamma * sum(eq_terms)), sum(g_terms)


def spike_secular(law, spectral, scale=1, shift=0) -> sp.Expr:
    r"""(E4): the left side of ``1 + θ/(1+δ(u)) · wᵀ(C₀/(1+δ(u)) + λD̄ − u)^{-1} w = 0``.

    For a generic (delocalised) ``v`` and ``w = D̄^{1/2} v`` the quadratic form is the
    average ``∫ D̄ / (c/(1+δ) + shift − u) dν``.
    """
    scale_of = scale if callable(scale) else (lambda s, value=scale: sp.sympify(value))
    shift_of = shift if callable(shift) else (lambda s, value=shift: sp.sympify(value))
    form = sum(
        w * scale_of(s) / (scale_of(s) * s / (1 + delta) + shift_of(s) - spectral)
        for s, w in _law(law)
    )
    return 1 + theta / (1 + delta) * form
