r"""An algebraic solver of (E1)–(E4) for a discrete law (and a discrete scale law of elliptical
data), independent of :mod:`numerics.fixedpoint`.

:mod:`numerics.fixedpoint` follows one branch of each self-consistent equation by Newton
iterations and continuation. This module never iterates on a branch: for a law
``ν = Σ_i w_i δ_{s_i}`` with ``K`` atoms every equation becomes a *polynomial* once its
denominators are cleared, all its roots are computed at once (:func:`mpmath.polyroots`), the
physical root is *selected* by a stated criterion, curves are located through discriminants and
resultants, and derivatives come from implicit differentiation of the polynomials
(analytic partial derivatives, a linear solve), never from finite differences.

**(E1).** With ``x = 1 + δ`` nothing changes but the variable; we keep ``δ``:
``F(δ, λ) = numer(together(δ − γ Σ w_i s_i/(s_i/(1+δ)+λ)))`` has degree ``K + 1`` in ``δ`` and
exact rational coefficients (SymPy, ``γ``, ``λ``, ``s_i``, ``w_i`` exact). The positive root is
unique: ``φ(δ) = γ Σ w s (1+δ)/(s + λ(1+δ))`` is increasing and strictly concave on ``δ > −1``
with ``φ(0) > 0`` and ``φ`` bounded by ``γ E[s]/λ``, so ``φ(δ) − δ`` is positive at 0, concave,
and changes sign exactly once on ``(0, ∞)``. ``δ'(λ) = −∂_λF/∂_δF`` at the root.

**(E3).** Per atom the spectral system has the terms ``(w_i, D̄_i, c_i = D̄_i s_i, h_i)``
(ssr: ``D̄_i = 1/(s_i/(1+δ_λ)+λ)``, or ``m̄`` on every atom in the rotational basis, ``h_i = λD̄_i``;
pca: ``D̄_i = 1``, ``h_i = 0``). With ``x = 1 + δ(u)``, multiplying
``δ = γ Σ w c/(c/x + h − u)`` by ``Π(x, u) = Π_i (c_i + (h_i − u) x)`` gives

    P(x, u) = (x − 1) Π(x, u) − γ x Σ_i w_i c_i Π_{j≠i}(c_j + (h_j − u) x),

of degree ``K + 1`` in ``x``, whose coefficients are polynomials in ``u``. ``P`` is built once in
SymPy with symbols for ``c_i, h_i, w_i, γ``; the numerical ``c_i, h_i`` (algebraic numbers,
computed at ``dps + GUARD`` digits) are then substituted as the exact binary rationals of their
``mpf`` values, so discriminants and resultants are computed exactly (over ``QQ``) for a
system perturbed by ``10^{−(dps+GUARD)}`` only. ``g(x, u) = Σ w x/(c + (h − u) x)`` is the
limit of ``(1/d) tr (T − u)^{-1}``.

**Density.** At real ``u`` take all roots ``x`` of ``P(·, u)``. ``P`` has real coefficients and
``g(x̄, u) = conj g(x, u)``, so non-real roots come in pairs with opposite ``Im g``. The Stieltjes
transform of the limit law is the root with ``Im g ≥ 0`` continued from ``Im u > 0``, where it is
the unique solution with ``Im g > 0`` (Silverstein & Choi 1995); we take the root with the
largest ``Im g`` (for real ``u`` outside the support every root has ``Im g = 0`` and the
density is 0). ``ρ_T = Im g/π``; ``ρ_Â(a) = ρ_T(u)/(1−a)²`` for ``u = 1/(1−a)``.

**Edges.** The number of non-real roots of ``P(·, u)`` can change only where two roots merge,
i.e. at zeros of ``disc(u) = Res_x(P, ∂_xP)`` (which also vanishes where the leading coefficient
``Π(h_i − u)`` does). So between consecutive real zeros of ``disc`` the density is either
identically positive or identically 0: the support is the union of the intervals whose
midpoint has positive density. ``disc`` is made square-free over ``QQ`` before
:func:`mpmath.polyroots`. For ``γ > 1`` the ``d − n`` null directions of ``S`` carry mass
``1 − 1/γ`` at ``T = λD̄`` restricted to them: an atom when ``D̄`` is scalar (rotational, pca,
isotropic), else a continuous component inside ``[λ min D̄, λ max D̄]``, plus an atom of ``T`` at
the shift ``h_i`` of every atom of weight ``w_i > 1/γ`` (mass ``w_i − 1/γ``: the eigenspace of
``D̄`` meets the null space of ``S``). ``edges`` reports every component of the continuous part,
the null-space one included (merged with the rest or not), and each support passes the
invariant of :func:`numerics.support.check` before it is used.

**Threshold.** At the upper edge ``u₊`` the physical root ``x₊`` is a double root of ``P``, the
root of ``∂_xP(·, u₊)`` (simple there) that annihilates ``P``. (E4) is
``h(x, u) = 1 + θ Σ w D̄/(c + (h − u) x) = 0``, so ``θ_c = −x₊/q(x₊, u₊)`` with
``q = Σ w D̄ x/(c + (h − u) x)``.

**Outlier.** Clearing ``Π`` in (E4): ``Q(x, u) = Π(x, u) + θ Σ_i w_i D̄_i Π_{j≠i}``. The outlier
``u*`` is a real zero of ``Res_x(P, Q)`` above ``u₊`` whose common root ``x*`` is the physical
one: real, ``x > 0``, every ``c_i/x + h_i − u < 0`` (the deterministic equivalent of
``(T − u)^{-1}`` is negative definite above the spectrum) and ``∂_δ(E3) < 0`` (the branch
continued from ``u = +∞``, ``x → 1⁻``, never meets ``∂_δ(E3) = 0`` above ``u₊``).

**Overlap.** The formula of ``fixedpoint.overlap``:
``cos² = θ/x* · g(x*, u*)² / h'(u*) / (du*/dε)``, where ``h' = (∂_uQ + ∂_xQ · x')/Π`` at ``Q = 0``
with ``x' = −∂_uP/∂_xP``, and ``du*/dε`` (the outlier of ``T + εD̄^{-1}``: ``h_i → h_i + ε/D̄_i``)
solves the linear system ``J (x', u')ᵀ = −(∂_εP, ∂_εQ)ᵀ`` with the Jacobian ``J`` of
``(P, Q)`` in ``(x, u)``; all partial derivatives are symbolic derivatives of ``P`` and ``Q``.

**Elliptical data** (rows ``√τ Σ^{1/2} z``, ``τ ~ ρ = Σ_j r_j δ_{τ_j}`` with ``J`` atoms, ``τ_j > 0``
distinct, ``E τ = 1``; :mod:`numerics.scale`). Every ``1/(1+δ)`` above becomes
``c(δ) = Σ_j r_j τ_j/(1+τ_j δ) = N(δ)/M(δ)`` with ``M = Π_j (1+τ_j δ)`` (degree ``J``) and
``N = Σ_j r_j τ_j Π_{l≠j}(1+τ_l δ)`` (degree ``J − 1``; ``N`` and ``M`` are coprime because the
``τ_j`` are distinct), exact rationals. ``c`` is not a function of ``x = 1 + δ`` alone in any
simpler way, so this path keeps ``δ`` itself as the variable (the symbol ``x`` of the code holds
``δ``, :attr:`_System.offset` is 0); the Gaussian path (``ρ = δ₁``) is left exactly as above, in
``x = 1 + δ``, so that no Gaussian number changes.

- (E1) ``δ = γ Σ w s/(s c(δ) + b(s))``: ``F`` is the numerator of the cancelled fraction
  ``δ − γ Σ w s M/(s N + b M)``, of degree ``≤ KJ + 1`` in ``δ``. Its positive root is unique,
  and simple: multiplying (E1) by ``1/δ`` gives ``1 = γ Σ w s/(s·δc(δ) + bδ)``, and
  ``δ c(δ) = Σ_j r_j τ_jδ/(1+τ_jδ)`` and ``bδ`` are strictly increasing from 0 on ``δ > 0``, so the
  right side decreases strictly from ``+∞`` to 0. (The Gaussian concavity argument is not used:
  ``c`` is convex and ``φ(δ) = γ Σ w s/(s c(δ) + b)`` need not be concave.) The cleared
  denominators ``M`` and ``s N + b M = M (s c + b)`` are positive for ``δ > 0``, so clearing adds
  no positive root; ``δ'(λ) = −∂_λF/∂_δF`` as before.
- (E3) with ``L_i(δ, u) = c_i N(δ) + (h_i − u) M(δ)`` (``M`` times the denominator of atom ``i``):
  ``P(δ, u) = δ Π_i L_i − γ M Σ_i w_i c_i Π_{j≠i} L_j``, degree ``KJ + 1`` in ``δ`` and ``K`` in
  ``u``; for ``J = 1``, ``τ = 1`` it is the Gaussian ``P`` in ``x = 1 + δ``. At ``M(δ) = 0`` it equals
  ``δ N^K Π c_i ≠ 0``, so it has no root at a pole of ``c``. ``g = Σ w/(c_i c(δ) + h_i − u)``.
- (E4) ``1 + θ c(δ) Σ w D̄/(c c(δ) + h − u)`` times ``Π_i L_i`` is
  ``Q(δ, u) = Π_i L_i + θ N Σ_i w_i D̄_i Π_{j≠i} L_j``. The overlap's ``h'(u*)`` is
  ``(∂_uQ + ∂_δQ δ')/Π_i L_i`` at ``Q = 0`` and ``du*/dε`` the same linear solve as above (``∂_ε``
  through ``h_i → h_i + ε/D̄_i``); the numerator of :func:`numerics.reduction.overlap` carries
  ``c(δ*)`` in place of ``1/(1+δ*)``, and the threshold is ``θ_c = −1/(c(δ₊) q(δ₊, u₊))``
  (:func:`numerics.reduction.threshold`).
- Selection. Density: the root of ``P(·, u)`` with the largest ``Im g``, as for Gaussian data
  (the Stieltjes branch has ``Im g > 0`` inside the support; the other roots that the atoms of
  ``ρ`` bring were never seen to beat it — this rule is checked against the fixed-point route in
  ``tests/numerics/test_elliptical_routes.py``, not proved). Edges: the zeros of
  ``Res_δ(P, ∂_δP)`` and the midpoint densities, unchanged (any zero the extra roots bring only
  cuts an interval in two, and touching intervals of positive density are joined). Outlier: a
  real common root ``δ*`` of ``P`` and ``Q`` above ``u₊`` with every ``1 + τ_j δ* > 0`` (Sherman–
  Morrison: for ``u`` above the spectrum the leave-one-out quadratic forms ``a`` of the negative
  definite resolvent satisfy ``1 + τ a > 0``; ``δ`` is their limit), so ``c(δ*) > 0``, every
  ``c_i c(δ*) + h_i − u* < 0`` (negative definite equivalent) and ``∂_δ(E3) < 0`` (the branch
  from ``u = +∞``, where ``δ → 0⁻``).
- The ``γ > 1`` null directions of ``S`` are those of Gaussian data (``τ > 0``: ``S`` still has rank
  ``n``), so the atoms of ``T`` and the invariant (:func:`numerics.support.check`, which takes the
  system's scale law) are the same. A continuous ``ρ`` is refused (``c`` is not rational), and so
  is a system beyond :data:`MAX_SCALE_ATOMS` atoms of ``ρ`` or with ``K(2KJ + 1)`` (the degree in
  ``u`` of the discriminant) above :data:`MAX_DEGREE`.

**Shared with the fixed-point route** (:mod:`numerics.reduction`): the equations themselves,
the spectral terms of each estimator and the reduction formulas (errors, threshold, overlap,
density post-processing). The cross-check of the two routes therefore tests the solving —
branch selection, edges, outliers, derivatives — and not those formulas.

Precision: ``dps + GUARD`` digits with the shared :data:`numerics.reduction.GUARD`; the
coefficients ``c_i, h_i`` are rounded to the working precision and then treated as exact, and
:func:`_support` merges clusters of width ``10^{-dps/3}`` that a multiple zero splits into.

>>> from numerics.model import Model
>>> from numerics import theory
>>> mp.nstr(theory.evaluate("m", Model("1/2", "1/5"), dps=20, route="algebraic"), 20)
'1.2169905660283019057'
>>> mp.nstr(theory.evaluate("outlier", Model("1/2", "1/5", theta=2), method="pca", dps=20, route="algebraic"), 20)
'3.75'
"""
from __future__ import annotations

import dataclasses
import functools

import mpmath as mp
import sympy as sp

from numerics import reduction, support
from numerics.estimators import get as _estimator
from numerics.model import BadParameter, Model

__all__ = [
    "GUARD",
    "NAME",
    "AlgebraicError",
    "e1_polynomial",
    "delta_ridge",
    "delta",
    "delta_slope",
    "system",
    "edges_t",
    "intervals_t",
    "density_t",
    "outlier_t",
    "outlier_slopes",
]

NAME = "algebraic"
GUARD = reduction.GUARD

_DELTA, _LAM, _X, _U = sp.symbols("delta lambda x u")


class AlgebraicError(RuntimeError):
    """A root selection found no (or more than one) admissible root."""


def _q(value) -> sp.Rational:
    """The exact rational value of an ``mpf`` (or ``Fraction``)."""
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return sp.Rational(value.numerator, value.denominator)
    man, exp = mp.mpf(value).man_exp
    return sp.Rational(man) * sp.Integer(2) ** exp


def _mpq(value):
    """An exact ``Fraction``/``Rational`` as an ``mpf`` at the working precision."""
    return mp.mpf(int(value.numerator)) / int(value.denominator) if hasattr(value, "numerator") \
        else mp.mpf(int(sp.numer(value))) / int(sp.denom(value))


def _roots(coeffs):
    """All roots of ``Σ coeffs[k] z^(n−k)`` (highest first; tiny leading terms dropped)."""
    coeffs = [mp.mpmathify(c) for c in coeffs]
    scale = max(abs(c) for c in coeffs)
    while coeffs and abs(coeffs[0]) <= mp.eps * 2**10 * scale:
        coeffs.pop(0)
    if len(coeffs) <= 1:
        return []
    return mp.polyroots(coeffs, maxsteps=400, extraprec=2 * mp.mp.prec, cleanup=True)


# --- (E1) ---------------------------------------------------------------------------------------


# --- (E1) ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def e1_polynomial(noise, gamma, method="ssr", basis="diagonal", mask_ratio=0, scale=None) -> sp.Poly:
    """``F(δ, λ) = numer(together(δ − γ Σ w s/(s/(1+δ)+b(s))))`` as an exact ``Poly`` in ``(δ, λ)``.

    ``noise`` are the exact ``(s, w)`` atoms and ``γ`` is exact, so the coefficients are rationals;
    ``b`` is the estimator's ridge with ``λ`` a symbol (for the masked estimator it depends on
    the ``basis`` and the exact ``mask_ratio``). ``scale``: the exact atoms ``(τ, r)`` of a discrete
    scale law ``ρ`` (elliptical data; ``None``: Gaussian), then ``1/(1+δ)`` is
    ``c(δ) = Σ r τ/(1+τδ)`` and the numerator is that of the cancelled fraction (its denominator,
    ``Π(1+τδ)`` times ``Π(s N(δ) + b(s) M(δ))``, is positive for ``δ > 0``).

    >>> from fractions import Fraction as Fr
    >>> e1_polynomial(((Fr(1), Fr(1)),), Fr(1, 2)).as_expr()
    2*delta**2*lambda + 2*delta*lambda + delta - 1
    >>> e1_polynomial(((Fr(1), Fr(1)),), Fr(1, 2), scale=((Fr(1), Fr(1)),)).as_expr()
    2*delta**2*lambda + 2*delta*lambda + delta - 1
    """
    model = Model(gamma, 1, 0, noise, basis, mask_ratio)
    ridge = _estimator(method).ridge(model, _LAM)
    if scale is None:
        rhs = _q(gamma) * sum(_q(w) * _q(s) / (_q(s) / (1 + _DELTA) + ridge(_q(s))) for s, w in noise)
        numerator = sp.numer(sp.together(_DELTA - rhs))
    else:
        first = _scale_fraction(scale, _DELTA)
        rhs = _q(gamma) * sum(_q(w) * _q(s) / (_q(s) * first + ridge(_q(s))) for s, w in noise)
        numerator = sp.numer(sp.cancel(sp.together(_DELTA - rhs)))
    poly = sp.Poly(sp.expand(numerator), _DELTA, _LAM, domain="QQ")
    return poly if poly.LC() > 0 else -poly


@functools.lru_cache(maxsize=256)
def _delta(model: Model, method: str, dps: int):
    """``(δ, δ'(λ))``: the unique positive root of ``F(·, λ)`` and ``−∂_λF/∂_δF`` there."""
    with mp.workdps(dps + GUARD):
        poly = e1_polynomial(model.law.exact, model.gamma, method, model.basis, model.mask_ratio,
                             _scale_atoms(model))
        lam = _q(model.lam)
        in_delta = sp.Poly(poly.as_expr().subs(_LAM, lam), _DELTA, domain="QQ")
        roots = _roots([_mpq(c) for c in in_delta.all_coeffs()])
        tol = mp.mpf(10) ** (-(mp.mp.dps // 2))
        positive = [mp.re(r) for r in roots if abs(mp.im(r)) <= tol * (1 + abs(r)) and mp.re(r) > 0]
        if len(positive) != 1:
            raise AlgebraicError(f"(E1) polynomial has {len(positive)} positive roots, expected exactly 1")
        delta = positive[0]
        values = {_DELTA: delta, _LAM: _mpq(lam)}
        f_delta = _eval_poly(poly.diff(_DELTA), values)
        f_lam = _eval_poly(poly.diff(_LAM), values)
        return delta, -f_lam / f_delta


def _scale_parts(scale, var):
    """``(N, M)`` with ``c(δ) = Σ_j r_j τ_j/(1+τ_j δ) = N(δ)/M(δ)``: ``M = Π_j (1 + τ_j δ)`` and
    ``N = Σ_j r_j τ_j Π_{l≠j} (1 + τ_l δ)`` (exact; coprime, the ``τ_j`` being distinct), in ``var``."""
    factors = [1 + _q(t) * var for t, _ in scale]
    M = sp.Mul(*factors)
    N = sum(_q(r) * _q(t) * sp.Mul(*[f for l, f in enumerate(factors) if l != j])
            for j, (t, r) in enumerate(scale))
    return sp.expand(N), sp.expand(M)


def _scale_fraction(scale, var):
    """``c(δ) = Σ_j r_j τ_j/(1+τ_j δ)`` as an exact SymPy expression in ``var``."""
    return sum(_q(r) * _q(t) / (1 + _q(t) * var) for t, r in scale)


def _scale_atoms(model: Model):
    """The exact atoms ``(τ, r)`` of the model's scale law, or ``None`` for Gaussian data."""
    return None if model.scale_law.gaussian else tuple(model.scale_law.law.exact)


def _eval_poly(poly: sp.Poly, values: dict):
    """``poly`` at mpmath values of its generators (term by term, exact rational coefficients)."""
    total = mp.mpf(0)
    gens = poly.gens
    for monom, coeff in poly.terms():
        term = _mpq(coeff)
        for gen, power in zip(gens, monom):
            if power:
                term *= values[gen] ** power
        total += term
    return total



#: The most atoms the algebraic route takes: its polynomials have degree ``K + 1`` in ``δ`` and the
#: discriminant in ``u`` degree ~``K²`` with exact coefficients (measured: 3 atoms take seconds).
MAX_ATOMS = 8


#: The most atoms ``J`` of the scale law ``ρ`` the algebraic route takes (elliptical data).
MAX_SCALE_ATOMS = 6
#: Elliptical data: the largest ``K (2KJ + 1)`` (``K`` atoms of ``ν``, ``J`` of ``ρ``), the degree in
#: ``u`` of the discriminant ``Res_δ(P, ∂_δP)`` (``P`` has degree ``KJ + 1`` in ``δ`` and ``K`` in
#: ``u``), whose exact computation dominates the time. Measured for ``edges`` + ``threshold`` at
#: dps 30 (ssr, diagonal, γ = 1/2, in a fresh process): ``K = 2``: ``J = 2`` (18) 3 s, ``J = 3``
#: (26) 5 s, ``J = 4`` (34) 7 s, ``J = 5`` (42) 7 s, ``J = 6`` (50) 13 s; ``K = 3``: ``J = 2`` (39)
#: 7 s, ``J = 3`` (57) 48 s; ``K = 4, J = 2`` (68) 93 s; ``K = 4, J = 3`` (100) > 300 s. Harder
#: cases inside the cap (γ = 2, more intervals): masked ``K = 3, J = 2`` 32 s, ssr 18 s; masked
#: ``K = 2, J = 6`` 23 s, ``K = 2, J = 3`` 7 s; pca ``K = 1, J = 6`` 2 s.
MAX_DEGREE = 50


def _require_discrete(model: Model):
    if not model.law.discrete:
        raise BadParameter("route", "the algebraic route needs a discrete law (one polynomial factor per atom)")
    if len(model.law.exact) > MAX_ATOMS:
        raise BadParameter("route", f"the algebraic route takes at most {MAX_ATOMS} atoms (its polynomials have "
                                    f"one factor per atom), this law has {len(model.law.exact)}; "
                                    "use the fixed-point route")
    if model.scale_law.gaussian:
        return
    if not model.scale_law.law.discrete:
        raise BadParameter("route", "the algebraic route needs a discrete scale law (c(delta) rational in delta); "
                                    "use the fixed-point route")
    k, j = len(model.law.exact), len(model.scale_law.law.exact)
    if j > MAX_SCALE_ATOMS:
        raise BadParameter("route", f"the algebraic route takes a scale law of at most {MAX_SCALE_ATOMS} atoms "
                                    f"(each multiplies the degree of its polynomials), this one has {j}; "
                                    "use the fixed-point route")
    if k * (2 * k * j + 1) > MAX_DEGREE:
        raise BadParameter("route", f"the algebraic route takes elliptical models with K(2KJ+1) <= {MAX_DEGREE} "
                                    f"(the degree of its discriminant; K = {k} atoms of the law, J = {j} of the "
                                    f"scale law give {k * (2 * k * j + 1)}); use the fixed-point route")


def delta(model: Model, est, dps: int):
    """``δ(λ)``: the positive root of the (E1) polynomial (``0`` for an estimator without resolvent)."""
    est = _estimator(est)
    _require_discrete(model)
    return _delta(model, est.name, dps)[0] if est.resolvent else mp.mpf(0)


def delta_slope(model: Model, est, dps: int):
    """``δ'(λ) = −∂_λF/∂_δF`` at the root (implicit differentiation of the (E1) polynomial)."""
    _require_discrete(model)
    return _delta(model, _estimator(est).name, dps)[1]


def delta_ridge(model: Model, *, dps: int = 40):
    """``δ(λ)``: the positive root of the (E1) polynomial (SSR ridge)."""
    with mp.workdps(dps + GUARD):
        return +delta(model, "ssr", dps)


def system(model: Model, est, dps: int) -> reduction.SpectralSystem:
    """The shared (E3)–(E4) system at ``dps + GUARD`` digits, ``δ`` from the (E1) polynomial."""
    est = _estimator(est)
    with mp.workdps(dps + GUARD):
        return reduction.spectral_system(model, est, delta(model, est, dps))


# --- (E3)–(E4) ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _symbolic(k: int):
    """``P``, ``Q`` and their partial derivatives for ``k`` atoms, in symbols, plus evaluators."""
    w = sp.symbols(f"w0:{k}")
    D = sp.symbols(f"D0:{k}")
    c = sp.symbols(f"c0:{k}")
    h = sp.symbols(f"h0:{k}")
    gam, th = sp.symbols("gamma theta")
    factors = [c[i] + (h[i] - _U) * _X for i in range(k)]

    def others(i):
        return sp.Mul(*[factors[j] for j in range(k) if j != i])

    pi = sp.Mul(*factors)
    P = sp.expand((_X - 1) * pi - gam * _X * sum(w[i] * c[i] * others(i) for i in range(k)))
    Q = sp.expand(pi + th * sum(w[i] * D[i] * others(i) for i in range(k)))
    args = (_X, _U, gam, th, *w, *D, *c, *h)
    eps_P = sum(sp.diff(P, h[i]) / D[i] for i in range(k))  # ∂_ε with h_i → h_i + ε/D_i
    eps_Q = sum(sp.diff(Q, h[i]) / D[i] for i in range(k))
    exprs = {"P_x": sp.diff(P, _X), "P_u": sp.diff(P, _U), "Q_x": sp.diff(Q, _X), "Q_u": sp.diff(Q, _U),
             "P_e": eps_P, "Q_e": eps_Q, "Pi": pi}
    compiled = {name: sp.lambdify(args, e, modules="mpmath") for name, e in exprs.items()}
    return (P, Q, (gam, th, w, D, c, h)), compiled


@functools.lru_cache(maxsize=16)
def _symbolic_elliptical(k: int, scale: tuple):
    """:func:`_symbolic` for elliptical data with the discrete scale law ``scale`` (exact ``(τ, r)``).

    The variable (the symbol ``x``) is ``δ`` itself; with ``c(δ) = N(δ)/M(δ)`` (:func:`_scale_parts`)
    and ``L_i = c_i N + (h_i − u) M``: ``P = δ Π_i L_i − γ M Σ_i w_i c_i Π_{j≠i} L_j``,
    ``Q = Π_i L_i + θ N Σ_i w_i D̄_i Π_{j≠i} L_j`` and ``Pi = Π_i L_i``.
    """
    w = sp.symbols(f"w0:{k}")
    D = sp.symbols(f"D0:{k}")
    c = sp.symbols(f"c0:{k}")
    h = sp.symbols(f"h0:{k}")
    gam, th = sp.symbols("gamma theta")
    N, M = _scale_parts(scale, _X)
    factors = [c[i] * N + (h[i] - _U) * M for i in range(k)]

    def others(i):
        return sp.Mul(*[factors[j] for j in range(k) if j != i])

    pi = sp.Mul(*factors)
    P = sp.expand(_X * pi - gam * M * sum(w[i] * c[i] * others(i) for i in range(k)))
    Q = sp.expand(pi + th * N * sum(w[i] * D[i] * others(i) for i in range(k)))
    args = (_X, _U, gam, th, *w, *D, *c, *h)
    eps_P = sum(sp.diff(P, h[i]) / D[i] for i in range(k))  # ∂_ε with h_i → h_i + ε/D_i
    eps_Q = sum(sp.diff(Q, h[i]) / D[i] for i in range(k))
    exprs = {"P_x": sp.diff(P, _X), "P_u": sp.diff(P, _U), "Q_x": sp.diff(Q, _X), "Q_u": sp.diff(Q, _U),
             "P_e": eps_P, "Q_e": eps_Q, "Pi": sp.expand(pi)}
    compiled = {name: sp.lambdify(args, e, modules="mpmath") for name, e in exprs.items()}
    return (P, Q, (gam, th, w, D, c, h)), compiled



class _System:
    """The polynomial (E3)–(E4) system of one model and method at the working precision."""

    def __init__(self, model: Model, method: str, dps: int):
        _require_discrete(model)
        self.model, self.method = model, method
        self.gamma, self.theta = model.mp("gamma"), model.mp("theta")
        self.shared = system(model, method, dps)
        self.terms = self.shared.terms
        k = len(self.terms)
        #: the scale law's exact atoms (``None``: Gaussian). The variable ``x`` of ``P`` and ``Q`` is
        #: ``1 + δ`` for Gaussian data and ``δ`` itself for elliptical data: ``δ = x − offset``
        self.scale_atoms = _scale_atoms(model)
        if self.scale_atoms is None:
            self.offset = 1
            (P, Q, (gam, th, w, D, c, h)), self.compiled = _symbolic(k)
        else:
            self.offset = 0
            (P, Q, (gam, th, w, D, c, h)), self.compiled = _symbolic_elliptical(k, self.scale_atoms)
        subs = {gam: _q(model.gamma), th: _q(model.theta)}
        for i, (wi, Di, ci, hi) in enumerate(self.terms):
            subs.update({w[i]: _q(wi), D[i]: _q(Di), c[i]: _q(ci), h[i]: _q(hi)})
        self.P = sp.Poly(P.xreplace(subs), _X, _U, domain="QQ")
        self._Q_expr = Q.xreplace(subs)
        self.args = [self.gamma, self.theta] + [t[0] for t in self.terms] + [t[1] for t in self.terms] \
            + [t[2] for t in self.terms] + [t[3] for t in self.terms]
        self._P_coeffs = self._coeff_table(self.P)
        scale = max(abs(t[2]) + abs(t[3]) for t in self.terms)
        self.tiny = mp.mpf(10) ** (-(mp.mp.dps // 3))
        self.scale = scale

    @staticmethod
    def _coeff_table(poly):
        table = {}
        for (i, j), coeff in poly.terms():
            table.setdefault(i, []).append((j, _mpq(coeff)))
        return table

    @property
    def Q(self):
        return sp.Poly(self._Q_expr, _X, _U, domain="QQ")

    def call(self, name, x, u):
        return self.compiled[name](x, u, *self.args)

    def x_roots(self, u):
        """All roots ``x`` of ``P(·, u)``."""
        degree = max(self._P_coeffs)
        coeffs = [mp.fsum(c * u**j for j, c in self._P_coeffs.get(i, [])) for i in range(degree, -1, -1)]
        return _roots(coeffs)

    # the equations are the shared ones (numerics.reduction), in the variable x = 1 + δ (Gaussian)
    # or x = δ (elliptical)
    def delta(self, x):
        """``δ`` at the root ``x`` of ``P``."""
        return x - self.offset

    def g(self, x, u):
        return self.shared.g(x - self.offset, u)

    def d_equation(self, x, u):
        """``∂_δ`` of ``γ ∫ c/(c·c(δ) + h − u) dν − δ``."""
        return self.shared.d_equation(x - self.offset, u)

    def below_spectrum(self, x, u) -> bool:
        """Whether the real root ``x`` at ``u`` makes the equivalent of ``(T − u)^{-1}`` negative
        definite: Gaussian ``x > 0`` and every ``c_i/x + h_i − u < 0``; elliptical every
        ``1 + τ_j δ > 0`` (so ``c(δ) > 0``) and every ``c_i c(δ) + h_i − u < 0``."""
        if self.scale_atoms is None:
            return x > 0 and all(c / x + h - u < 0 for _, _, c, h in self.terms)
        if any(1 + mp.mpf(t.numerator) / t.denominator * x <= 0 for t, _ in self.scale_atoms):
            return False
        first = self.model.scale_law.first(x)
        return all(c * first + h - u < 0 for _, _, c, h in self.terms)

    def physical_root(self, u):
        """The root of ``P(·, u)`` with the largest ``Im g`` (the Stieltjes branch), and ``Im g``."""
        best = None
        for x in self.x_roots(u):
            value = mp.im(self.g(x, u))
            if best is None or value > best[1]:
                best = (x, value)
        return best

    def density_t(self, u):
        if self.scalar and self.model.gamma > 1 and abs(u - self.terms[0][3]) <= self.tiny * (1 + abs(u)):
            return mp.mpf(0)
        _, im_g = self.physical_root(u)
        return max(mp.mpf(0), im_g / mp.pi)

    @property
    def scalar(self):
        return self.shared.scalar

    def real_zeros(self, poly_u: sp.Poly):
        """Distinct real zeros of an exact univariate polynomial in ``u`` (square-free first)."""
        zeros = []
        for factor, _ in sp.sqf_list(poly_u)[1]:
            factor = sp.Poly(factor, _U)
            if factor.degree() < 1:
                continue
            for r in _roots([_mpq(c) for c in factor.all_coeffs()]):
                if abs(mp.im(r)) <= self.tiny * (1 + abs(r)):
                    zeros.append(mp.re(r))
        # a multiple zero of the exact problem may split into a cluster of width ~10^{-dps/m}
        # after the coefficients are rounded: keep one representative per cluster
        distinct = []
        for z in sorted(zeros):
            if not distinct or z - distinct[-1] > self.tiny * (1 + abs(z)):
                distinct.append(z)
        return distinct



def _resultant_u(first: sp.Poly, second: sp.Poly) -> sp.Poly:
    """``Res_x(first, second)`` of two exact polynomials in ``(x, u)``, as a ``Poly`` in ``u``.

    Denominators are cleared first (a constant factor, irrelevant to the zeros) so that SymPy's
    subresultant algorithm runs over ``ZZ``.
    """
    first = first.clear_denoms(convert=True)[1]
    second = second.clear_denoms(convert=True)[1]
    return sp.Poly(first.resultant(second).as_expr(), _U, domain="ZZ")



@functools.lru_cache(maxsize=128)
def _support(model: Model, method: str, dps: int):
    """Support components of the continuous part of ``μ_T`` (``u`` variable) and its outer edges."""
    with mp.workdps(dps + GUARD):
        system = _System(model, method, dps)
        P = system.P
        disc = _resultant_u(P, P.diff(_X))
        zeros = system.real_zeros(disc)
        positive = [system.density_t((lo + hi) / 2) > system.tiny for lo, hi in zip(zeros, zeros[1:])]
        components = []
        for (lo, hi), inside in zip(zip(zeros, zeros[1:]), positive):
            if not inside:
                continue
            if components and components[-1][1] == lo:
                components[-1] = (components[-1][0], hi, components[-1][2] + [lo])
            else:
                components.append((lo, hi, []))
        if not components:
            raise AlgebraicError("no interval of positive density between the zeros of the discriminant")
        if model.gamma == 1 and len(system.terms) > 1 and not system.scalar:
            raise BadParameter("gamma", "gamma = 1 (a hard edge) is supported for a scalar shift only "
                                        "(isotropic bulk, rotational basis, pca)")
        # every component of the continuous part (γ > 1, diagonal basis: the part the null
        # directions of S spread over [λ min D̄, λ max D̄] too), checked before it is used
        support.check(system.shared, [(lo, hi) for lo, hi, _ in components])
        main = components
        return system, components, (main[0][0], main[-1][1])



def _bulk(model: Model) -> Model:
    """The model without its spike (the bulk does not depend on ``θ``), for caching."""
    return dataclasses.replace(model, theta=0)



def _edge_root(system: _System, u):
    """The double root ``x₊`` of ``P(·, u)`` at an edge: the root of ``∂_xP`` where ``|P|`` is least."""
    dP = system.P.diff(_X)
    table = system._coeff_table(dP)
    degree = max(table)
    coeffs = [mp.fsum(c * u**j for j, c in table.get(i, [])) for i in range(degree, -1, -1)]
    candidates = [mp.re(r) for r in _roots(coeffs) if abs(mp.im(r)) <= system.tiny * (1 + abs(r))]
    values = {_X: None, _U: u}

    def residual(x):
        values[_X] = x
        return abs(_eval_poly(system.P, values))

    return min(candidates, key=residual)



#: At most this many times :data:`GUARD` extra digits are added when the edges do not verify.
_RETRIES = 3


@functools.lru_cache(maxsize=128)
def _digits(model: Model, method: str, dps: int) -> int:
    """The digits at which the polynomial system of ``model`` is solved: ``dps``, or more if needed.

    The roots of the discriminant lose digits when the spectrum of ``T`` is a narrow cluster far
    from 0 (a large ridge, e.g. the masked ridge ``b ~ λ/(1−p)²`` as ``p → 1``: about 10 digits at
    ``p = 0.99``, 25 at ``p = 0.999``), and next to an atom of ``T`` (``γ w_i > 1``: the edges of a
    gap around it were 10 digits off at dps 20, ``γ = 3, λ = 100``). Every edge is therefore verified against
    the shared (E3) equations (:class:`numerics.reduction.SpectralSystem`: the equation and its
    ``δ``-derivative vanish at an edge) to ``10^{-(dps+3)}``; when they do not, or when the support
    fails its invariant (:func:`numerics.support.check`), the system is solved again with
    :data:`GUARD` more digits, at most :data:`_RETRIES` times, and then
    :class:`AlgebraicError` quotes the residual and the tolerance.
    """
    tol = mp.mpf(10) ** (-(dps + 3))
    residual, error = mp.inf, None
    for extra in range(0, (_RETRIES + 1) * GUARD, GUARD):
        try:
            system_, components, _ = _support(model, method, dps + extra)
        except (AlgebraicError, support.SupportError) as err:
            # a support refused by its invariant may have lost a narrow gap to rounding in the
            # discriminant's roots: searched again with more digits, refused if it never passes
            error = err
            continue
        except BadParameter:  # the bulk edges are not defined (they refuse themselves): nothing to verify
            return dps
        with mp.workdps(dps + extra + GUARD):
            residual = mp.mpf(0)
            edges = [edge for lo, hi, _ in components for edge in (lo, hi)]
            for edge in (e for e in edges if e is not None):
                if any(abs(edge - h) <= system_.tiny * (1 + abs(h)) for _, _, _, h in system_.terms):
                    continue  # an edge at a shift h_i (γ w_i = 1): a zero of the leading coefficient, exact
                x = _edge_root(system_, edge)
                scale = 1 + abs(x)
                residual = max(residual, abs(system_.shared.equation(system_.delta(x), edge)) / scale,
                               abs(system_.shared.d_equation(system_.delta(x), edge)))
        if residual <= tol:
            return dps + extra
    if residual == mp.inf and error is not None:
        raise error
    raise AlgebraicError(f"(E3) bulk edges: residual {mp.nstr(residual, 5)} > tol {mp.nstr(tol, 5)} "
                         f"with up to {_RETRIES * GUARD} extra digits")


def edges_t(model: Model, est, dps: int):
    """``((None, δ₊), (t₋, t₊))``: the outer edges of the continuous spectrum of ``T`` and
    ``δ₊ = x₊ − 1`` at its upper edge."""
    return _edges_t(_bulk(model), _estimator(est).name, dps)


@functools.lru_cache(maxsize=128)
def _edges_t(model: Model, method: str, dps: int):
    system_, _, (lower, upper) = _support(model, method, _digits(model, method, dps))
    with mp.workdps(dps + GUARD):
        return (None, system_.delta(_edge_root(system_, upper))), (None if lower is None else +lower, +upper)


def intervals_t(model: Model, est, dps: int):
    """The components ``[(t₁₋, t₁₊), …]`` of the continuous spectrum of ``T``: the intervals between
    zeros of the discriminant with positive density, joined where they touch (see the module text)."""
    return _intervals_t(_bulk(model), _estimator(est).name, dps)


@functools.lru_cache(maxsize=128)
def _intervals_t(model: Model, method: str, dps: int):
    _, components, _ = _support(model, method, _digits(model, method, dps))
    with mp.workdps(dps + GUARD):
        return tuple((+lo, +hi) for lo, hi, _ in components)


def density_t(model: Model, est, t, dps: int):
    """``ρ_T(t) = Im g/π`` on the root of ``P(·, t)`` with the largest ``Im g``."""
    bulk, method = _bulk(model), _estimator(est).name
    digits = _digits(bulk, method, dps)
    with mp.workdps(digits + GUARD):
        value = _System(bulk, method, digits).density_t(t)
    return +value


def outlier_t(model: Model, est, dps: int):
    """``(δ*, u*)``: the admissible real zero of ``Res_x(P, Q)`` above the edge (call only above threshold)."""
    u, x, system_ = _outlier(model, _estimator(est).name, dps)
    return system_.delta(x), u


@functools.lru_cache(maxsize=128)
def _outlier(model: Model, method: str, dps: int):
    _, (_, upper) = edges_t(model, method, dps)
    dps = _digits(_bulk(model), method, dps)
    with mp.workdps(dps + GUARD):
        system_ = _System(model, method, dps)
        res = _resultant_u(system_.P, system_.Q)
        margin = upper + system_.tiny * (1 + abs(upper))
        found = []
        for u in system_.real_zeros(res):
            if u <= margin:
                continue
            for x in system_.x_roots(u):
                if abs(mp.im(x)) > system_.tiny * (1 + abs(x)):
                    continue
                x = mp.re(x)
                if not system_.below_spectrum(x, u):
                    continue
                if system_.d_equation(x, u) >= 0:
                    continue
                if abs(system_.shared.secular(system_.delta(x), u)) <= system_.tiny:
                    found.append((u, x))
        if len(found) != 1:
            raise AlgebraicError(f"(E4): {len(found)} admissible outliers above the edge, expected 1")
        u, x = found[0]
        return u, x, system_


def outlier_slopes(model: Model, est, dps: int):
    r"""``(h'(u*), du*/dε)`` from implicit derivatives of ``(P, Q)`` (no finite differences).

    ``h' = (∂_uQ + ∂_xQ · x')/Π`` at ``Q = 0`` with ``x' = −∂_uP/∂_xP``; ``du*/dε`` solves
    ``J (x', u')ᵀ = −(∂_εP, ∂_εQ)ᵀ``.
    """
    u, x, system_ = _outlier(model, _estimator(est).name, dps)
    with mp.workdps(dps + GUARD):
        P_x, P_u = system_.call("P_x", x, u), system_.call("P_u", x, u)
        Q_x, Q_u = system_.call("Q_x", x, u), system_.call("Q_u", x, u)
        P_e, Q_e = system_.call("P_e", x, u), system_.call("Q_e", x, u)
        slope = (Q_u - Q_x * P_u / P_x) / system_.call("Pi", x, u)  # h'(u*) on the branch x(u)
        trace = (Q_x * P_e - P_x * Q_e) / (P_x * Q_u - P_u * Q_x)  # du*/dε
        return slope, trace
