r"""Heteroscedastic diagonal bulk: spectrum, edges and the ridgeless BBP threshold (PCA and SSR).

The bulk law is the two-atom ``ν = w δ_{s₁} + (1−w) δ_{s₂}`` (:data:`TWO_ATOM`; the ridgeless
results take any discrete law as a tuple of ``(s, w)`` pairs) in the *diagonal* basis, where
``D̄ = diag R̄`` is not a multiple of the identity. Every closed form is produced by SymPy from
the encoded (E1)–(E4) of :mod:`derive.equations`:

1. :func:`stieltjes_polynomial` — eliminating ``δ`` between the (E3) ``δ``-equation and the
   definition of ``g`` with a resultant gives the algebraic equation ``P(g, z) = 0`` of the
   Stieltjes transform (cubic in ``g`` for two atoms), for ``S`` (pca) and ``T`` (ssr);
2. :func:`edge_equation` — its discriminant in ``g``: a polynomial in the spectral variable
   whose odd-multiplicity real roots are branch points (the bulk edges among them) and whose
   squared factors are spurious;
3. :func:`ridgeless_threshold` — for ``γ < 1`` and ``λ → 0⁺``, ``D̄(s) → (1+δ₀)/s`` whitens the
   population of ``T`` and the SSR threshold becomes ``√γ / ∫ s^{-1} dν``;
   :func:`pca_threshold_condition` gives the implicit PCA threshold, and
   :func:`ridgeless_advantage` shows SSR ≤ PCA;
4. :func:`large_gamma_eta` and :func:`large_gamma_threshold` — for ``γ > 1``, ``δ ~ η/λ`` and
   SSR reduces to PCA on the re-weighted population ``ηs/(s+η)`` (implicit threshold only).

The polynomial algebra (resultants, discriminants, gcds) is done by SymPy in the polynomial ring
``ZZ[…]`` (:func:`sympy.ring`), evaluating SymPy's *generic* resultant/discriminant formula at the
actual coefficients; this is exact and keeps ``ssr derive`` fast.

>>> ridgeless_threshold()
sqrt(gamma)*s_1*s_2/(s_1*(1 - w) + s_2*w)
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import sympy as sp

from derive import spiked
from derive.checks import check, check_same
from derive.equations import first_order, sample_covariance, spike_secular, law_atoms, law_latex
from derive.isotropic import REGIMES
from derive.record import Row, recorded
from derive.tables import entry
from derive.symbols import delta, gamma, k, lam, s, theta, u, z

__all__ = [
    "s1",
    "s2",
    "w",
    "D1",
    "D2",
    "c1",
    "c2",
    "h1",
    "h2",
    "g",
    "b",
    "ell",
    "eta",
    "delta_lam",
    "delta_0",
    "TWO_ATOM",
    "METHODS",
    "generic_polynomial",
    "stieltjes_polynomial",
    "generic_discriminant",
    "edge_equation",
    "inverse_map",
    "ridgeless_delta",
    "ridgeless_scale",
    "ridgeless_threshold",
    "pca_threshold_condition",
    "ridgeless_advantage",
    "large_gamma_eta",
    "large_gamma_threshold",
    "headline",
]

s1, s2 = sp.symbols("s_1 s_2", positive=True)
w = sp.Symbol("w", positive=True)
#: ``D̄_i`` stands for ``1/(s_i/(1+δ_λ) + λ)``, the limit of ``R_kk`` on atom ``i`` (SSR).
D1, D2 = sp.symbols("Dbar_1 Dbar_2", positive=True)
#: population ``c_i`` and deterministic shift ``h_i`` of ``T`` on atom ``i`` (generic sample covariance).
c1, c2 = sp.symbols("c_1 c_2", positive=True)
h1, h2 = sp.symbols("h_1 h_2", positive=True)
g = sp.Symbol("g")  # Stieltjes transform at a complex spectral parameter
b = sp.Symbol("b")  # b = 1/(1 + δ(u)); complex inside the bulk
ell = sp.Symbol("ell", positive=True)  # ℓ = z(1 + δ(z)): the Silverstein–Choi inverse variable
eta = sp.Symbol("eta", positive=True)  # γ > 1: δ(λ) ~ η/λ
delta_lam = sp.Symbol("delta_lambda", positive=True)  # δ(λ) of (E1), distinct from δ(u) of (E3)
delta_0 = sp.Symbol("delta_0", positive=True)  # lim δ(λ) as λ → 0⁺ for γ < 1

TWO_ATOM = ((s1, w), (s2, 1 - w))


# ---------------------------------------------------------------- polynomial-ring helpers


def _ring(expressions, last=()):
    """``ZZ[x₁, …]`` over the free symbols of ``expressions`` (sorted by name, ``last`` at the end)."""
    free = set().union(*(sp.sympify(e).free_symbols for e in expressions)) - set(last)
    return sp.ring(tuple(sorted(free, key=str)) + tuple(last), sp.ZZ)[0]


def _coefficients(element, symbol):
    """Coefficients of a ring element in ``symbol``, lowest degree first."""
    x = element.ring(symbol)
    return [element.coeff_wrt(x, j) for j in range(element.degree(x) + 1)]


@functools.lru_cache(maxsize=None)
def _generic_formula(kind: str, degrees: tuple):
    """SymPy's resultant (``kind="resultant"``, two degrees) or discriminant (one degree) of polynomials
    ``Σ p_j x^j`` (and ``Σ q_j x^j``) with symbolic coefficients; returns ``(formula, x, coefficients)``."""
    x = sp.Symbol("x")
    coefficient_sets = [sp.symbols(f"{name}_0:{d + 1}") for name, d in zip(("p", "q"), degrees)]
    polys = [sum(c * x**j for j, c in enumerate(cs)) for cs in coefficient_sets]
    formula = sp.resultant(*polys, x) if kind == "resultant" else sp.discriminant(polys[0], x)
    return formula, x, tuple(c for cs in coefficient_sets for c in cs)


def _eliminate(kind: str, elements, symbol):
    """The resultant (or discriminant) in ``symbol`` of ring elements: SymPy's generic formula of
    :func:`_generic_formula` evaluated, exactly, at their coefficients. Returns ``(value, formula)``."""
    coefficient_lists = [_coefficients(e, symbol) for e in elements]
    formula, x, generic = _generic_formula(kind, tuple(len(cs) - 1 for cs in coefficient_lists))
    values = [c for cs in coefficient_lists for c in cs]
    ring = elements[0].ring
    total = ring.zero
    for monomial, coefficient in sp.Poly(formula, *generic).terms():
        term = ring(int(coefficient))
        for value, exponent in zip(values, monomial):
            if exponent:
                term *= value**exponent
        total += term
    return total, formula.subs(x, symbol)


def _primitive(element, symbol):
    """``(content, primitive part)`` of a ring element as a polynomial in ``symbol``."""
    coefficients = [c for c in _coefficients(element, symbol) if c]
    content = coefficients[0]
    for c in coefficients[1:]:
        content = content.gcd(c)
    if content.LC < 0:
        content = -content
    return content, element.exquo(content)


def _collected(expr, symbol):
    """``expr`` collected in ``symbol`` with factored coefficients (for display)."""
    poly = sp.Poly(expr, symbol)
    return sp.Add(*[sp.factor(c) * symbol**j for (j,), c in poly.terms()])


# ---------------------------------------------------------------- the two estimators: S (pca) and T (ssr)


def _pca_polynomial(primitive, ring, where, removed, doc):
    """The step of :func:`stieltjes_polynomial` for PCA: ``P_pca`` collected in ``g``."""
    doc.step(rf"**PCA** ($S$): substituting {where} and removing the factor ${sp.latex(removed)}$ "
             r"(free of $g$):", sp.Eq(sp.Symbol(r"P_{\rm pca}"), _collected(primitive.as_expr(), g)))


def _ssr_polynomial(primitive, ring, where, removed, doc):
    """The step of :func:`stieltjes_polynomial` for SSR: the degrees of ``P_ssr``, its leading coefficient in ``g``."""
    doc.step(rf"**SSR** ($T$): substituting {where} leaves a primitive polynomial (removed factor "
             rf"${sp.latex(removed)}$) $P_{{\rm ssr}}(g, u)$ of degree 3 in $g$ and "
             rf"{primitive.degree(ring(u))} in $u$ ({len(primitive.terms())} terms) with leading coefficient",
             sp.Eq(sp.Symbol("a_3"), sp.factor(primitive.coeff_wrt(ring(g), 3).as_expr())))


def _pca_edges(P, N, E, substitution, doc):
    """:func:`edge_equation` for PCA: ``disc_g P_pca = γ² z⁴ Q(z)``, ``Q`` vanishing at the critical values
    of :func:`inverse_map`."""
    ring = _ring([P], last=(z, g))
    Delta_r, _ = _eliminate("discriminant", [ring.from_expr(P)], g)
    constant, factors = Delta_r.factor_list()
    Delta = sp.Mul(constant, *[f.as_expr() ** e for f, e in factors])
    doc.step(r"**PCA.** The discriminant of $P_{\rm pca}$ in $g$ factors as $\gamma^2 z^4 Q(z)$:",
             sp.Eq(sp.Symbol(r"\Delta_{\rm pca}"), Delta))
    by_expr = {f.as_expr(): e for f, e in factors}
    check(constant == 1 and by_expr.pop(z, None) == 4 and by_expr.pop(gamma, None) == 2 and len(by_expr) == 1,
          "PCA edges: disc_g P_pca does not factor as γ² z⁴ Q(z) with one remaining factor Q")
    (Q,) = by_expr  # the remaining factor
    leading = sp.Poly(P, g).all_coeffs()[:2]
    check(all(c.subs(z, 0) == 0 for c in leading),
          "PCA edges: the two leading coefficients of P_pca in g do not both vanish at z = 0")
    doc.step(r"The root $z = 0$ is spurious: there the two leading coefficients of $P_{\rm pca}$ in $g$ "
             r"vanish (two roots $g$ escape to infinity); it is not an edge of the bulk.")
    inverse = inverse_map(doc=doc)
    pair = [sp.numer(sp.together(z - inverse)), sp.numer(sp.together(sp.diff(inverse, ell)))]
    ring_l = _ring(pair + [Q], last=(z, ell))
    eliminated, _ = _eliminate("resultant", [ring_l.from_expr(sp.expand(e)) for e in pair], ell)
    ratio, remainder = eliminated.div(ring_l.from_expr(Q))
    check(remainder == 0 and ratio.degree(ring_l(z)) == 0,
          "PCA edges: Res_ℓ(z − z(ℓ), z'(ℓ)) is not Q times a factor free of z")
    doc.step(r"Eliminating $\ell$ between $z = z(\ell)$ and $z'(\ell) = 0$ (resultant in $\ell$) gives $Q$ "
             r"times a factor free of $z$:",
             sp.Eq(sp.Symbol(r"\operatorname{Res}_\ell") / sp.Symbol("Q"), sp.factor(ratio.as_expr())))
    doc.step(r"So the roots of $Q$ are the critical values of $z(\ell)$: its real roots are the edges of the "
             r"bulk of $S$ (two when the bulk is one interval, four when it splits), and its non-real roots "
             r"come from complex-conjugate critical points. The upper edge $z_+$ is the largest real root.")
    example = {s1: 1, s2: 6, w: sp.Rational(1, 2), gamma: sp.Rational(1, 2)}
    roots = sp.Poly(Q.subs(example), z).nroots(n=20)
    real = sorted(r for r in roots if r.is_real)
    check(len(real) == 4, "PCA edges example: Q does not have four real roots (the text says the bulk splits)")
    doc.step(r"Example: $\nu = \frac12\delta_1 + \frac12\delta_6$, $\gamma = \frac12$. The roots of $Q$ are",
             [sp.Eq(sp.Symbol(f"z_{j}"), r) for j, r in enumerate(roots)])
    intervals = r" \cup ".join(f"[{sp.latex(real[j])}, {sp.latex(real[j + 1])}]" for j in range(0, len(real), 2))
    doc.step(f"all real: the bulk of $S$ has {len(real) // 2} intervals, ${intervals}$ (the atoms $1$ and $6$ "
             "are far enough apart for the bulk to split).")
    return Delta


def _ssr_edges(P, N, E, substitution, doc):
    """:func:`edge_equation` for SSR: ``γ² N² E`` of :func:`generic_discriminant` at the SSR ``c_i, h_i``."""
    Delta = gamma**2 * N.xreplace(substitution) ** 2 * E.xreplace(substitution)
    E_ring = _generic_discriminant_ring()[2]
    top = E_ring.ring(u)
    lead = sp.factor(E_ring.coeff_wrt(top, E_ring.degree(top)).as_expr().xreplace(substitution))
    check(lead != 0, "SSR edges: the leading coefficient of E in u vanishes at the SSR c_i, h_i")
    doc.step(r"**SSR.** $P_{\rm ssr}$ is the generic $P$ at $c_i = \bar D_i s_i$, $h_i = \lambda\bar D_i$ "
             r"with no factor removed, so its discriminant is the specialisation of the generic one, "
             r"$\Delta_{\rm ssr}(u) = \gamma^2 N(u)^2 E(u)$ at these $c_i, h_i$; the leading coefficient of "
             r"$E$ in $u$ stays non-zero,", sp.Eq(sp.Symbol(r"\operatorname{lc}_u E"), lead))
    doc.step(r"so $E$ keeps degree 6. The squared factor is spurious. The bulk edges of $T$ are the real roots "
             r"of $E$ at which the double root of (E3) is the physical $\delta(u)$ (real, in $(-1, 0)$ above "
             r"the bulk, continued from $\delta\to0$ at $u\to+\infty$). The upper edge $u_+$ is the largest "
             r"real root (checked against the fixed-point solver, not proved: a double root of a "
             r"non-physical branch could lie above it), and the upper edge of $\hat A$ is $1 - 1/u_+$.")
    return Delta


class _Setting(NamedTuple):
    """One estimator in the diagonal basis: the ``spectral`` symbol (``z`` of ``S``, ``u`` of ``T``), the
    ``substitution`` ``(c_i, h_i)`` of :func:`generic_polynomial`, and its steps of
    :func:`stieltjes_polynomial` (``show_polynomial``) and :func:`edge_equation` (``edges``)."""

    spectral: sp.Symbol
    substitution: dict
    show_polynomial: Callable
    edges: Callable


_SETTINGS = {
    "pca": _Setting(z, {c1: s1, c2: s2, h1: 0, h2: 0}, _pca_polynomial, _pca_edges),
    "ssr": _Setting(u, {c1: D1 * s1, c2: D2 * s2, h1: lam * D1, h2: lam * D2}, _ssr_polynomial, _ssr_edges),
}

METHODS = tuple(_SETTINGS)


def _setting(method) -> _Setting:
    """The :class:`_Setting` of ``method`` (a ``ValueError`` naming the valid methods otherwise)."""
    return entry(_SETTINGS, method, "method")


def _mean(law, f):
    """``∫ f(s) dν(s)`` for a discrete law given as ``(s, w)`` pairs."""
    return sum(weight * f(atom) for atom, weight in law_atoms(law))


def _is_zero(expr) -> bool:
    """Exact zero test for rational functions (``cancel``), falling back to ``simplify``."""
    return sp.cancel(sp.together(expr)) == 0 or sp.simplify(expr) == 0



def _implicit_threshold(law, spectral, scale):
    """Edge condition and threshold, in ``ℓ = spectral·(1+δ)``, of (E3)–(E4) without shift and with
    scale ``scale(s)`` on each atom ``s`` of ``law`` (population ``c = scale·s``, ``w = scale^{1/2} v``).

    The algebra runs with one symbol ``W_i`` per atom for the scale (substituted at the end, each
    atom's term factored); each identity is checked. Returns ``(spectral(ℓ), ∂_ℓ spectral, (E4) in
    ℓ, θ_c(ℓ))``, the first three as ``ℓ + γ∫cℓ/(ℓ−c)``, ``1 − γ∫c²/(ℓ−c)²``, ``1 − θ∫W/(ℓ−c)``.
    """
    law = law_atoms(law)
    atoms = [atom for atom, _ in law]
    scales = sp.symbols(f"W_1:{len(law) + 1}", positive=True)
    scale_of = dict(zip(atoms, scales))
    back = dict(zip(scales, map(scale, atoms)))
    population = {atom: scale_of[atom] * atom for atom in atoms}
    eq, _ = sample_covariance(law, spectral, scale=lambda atom: scale_of[atom], shift=0)
    secular = spike_secular(law, spectral, scale=lambda atom: scale_of[atom], shift=0)
    change = {delta: ell / spectral - 1}
    cleared = sp.numer(sp.together(change[delta] - eq.rhs.subs(change)))  # linear in the spectral variable
    solutions = sp.solve(cleared, spectral, check=False, simplify=False)
    check(len(solutions) == 1, "implicit threshold: (E3) in ℓ is not uniquely solvable for the spectral variable")

    def forms(tidy):
        def integral(term):
            if tidy:
                return sum(weight * sp.factor(term(atom).xreplace(back)) for atom, weight in law)
            return sum(weight * term(atom) for atom, weight in law)
        return [ell + gamma * integral(lambda atom: population[atom] * ell / (ell - population[atom])),
                1 - gamma * integral(lambda atom: population[atom] ** 2 / (ell - population[atom]) ** 2),
                1 - theta * integral(lambda atom: scale_of[atom] / (ell - population[atom])),
                1 / integral(lambda atom: scale_of[atom] / (ell - population[atom]))]

    inverse, edge, reduced_form, critical = forms(tidy=False)
    check(_is_zero(solutions[0] - inverse), "implicit threshold: the solution of (E3) is not ℓ + γ∫cℓ/(ℓ−c)")
    check(_is_zero(sp.diff(inverse, ell) - edge),
          "implicit threshold: ∂_ℓ of the inverse is not 1 − γ∫c²/(ℓ−c)²")
    reduced = secular.subs(change)
    check(_is_zero(reduced - reduced_form), "implicit threshold: (E4) in ℓ is not 1 − θ∫W/(ℓ−c)")
    solved = sp.solve(sp.numer(sp.together(reduced)), theta, check=False, simplify=False)
    check(len(solved) == 1, "implicit threshold: (E4) in ℓ is not uniquely solvable for θ")
    check(_is_zero(solved[0] - critical), "implicit threshold: the θ solving (E4) is not 1/∫W/(ℓ−c)")
    return tuple(forms(tidy=True))


# ---------------------------------------------------------------- spectrum: P(g, u) = 0


@functools.lru_cache(maxsize=None)
def _generic_ring():
    """``(F, G, resultant)`` of :func:`generic_polynomial` as elements of one polynomial ring."""
    population, shifts = {s1: c1, s2: c2}, {s1: h1, s2: h2}
    eq, g_expr = sample_covariance(TWO_ATOM, u, scale=lambda atom: population[atom] / atom,
                                   shift=lambda atom: shifts[atom])
    F = sp.expand(sp.numer(sp.together((eq.lhs - eq.rhs).subs(delta, 1 / b - 1))))
    G = sp.expand(sp.numer(sp.together((g - g_expr).subs(delta, 1 / b - 1))))
    ring = _ring([F, G], last=(u, g, b))
    F_r, G_r = ring.from_expr(F), ring.from_expr(G)
    resultant, formula = _eliminate("resultant", [F_r, G_r], b)
    return (eq, g_expr), F_r, G_r, resultant, formula


@recorded
def generic_polynomial(*, doc):
    r"""``(F, P)`` for a sample covariance with population ``c_i`` and shift ``h_i`` on atom ``i``.

    ``F(b, u)`` is the (E3) ``δ``-equation with ``b = 1/(1+δ)`` and denominators cleared (cubic in
    ``b``); ``P(g, u)`` is the primitive part (in ``g``) of the resultant in ``b`` of ``F`` and of
    the cleared definition of ``g``: the algebraic equation of ``g(u) = lim (1/d) tr (T − u)^{-1}``,
    cubic in ``g``. PCA is ``c_i = s_i, h_i = 0``; SSR is ``c_i = D̄_i s_i, h_i = λ D̄_i``.
    """
    doc.section("The algebraic equation of the Stieltjes transform",
                r"Both $S$ (PCA) and $T = \bar D^{1/2}(S+\lambda)\bar D^{1/2}$ (SSR) are, on each atom $i$ of "
                r"$\nu = w\,\delta_{s_1} + (1-w)\,\delta_{s_2}$, a sample covariance with population $c_i$ plus a "
                r"deterministic shift $h_i$: PCA has $c_i = s_i$, $h_i = 0$; SSR has $c_i = \bar D_i s_i$, "
                r"$h_i = \lambda\bar D_i$, where $\bar D_i = 1/(s_i/(1+\delta_\lambda)+\lambda)$ is the limit of "
                r"$R_{kk}$ on atom $i$ and $\delta_\lambda$ solves (E1). We eliminate once, for generic $c_i, h_i$.")
    (eq, g_expr), F, G, resultant, formula = _generic_ring()
    doc.step(r"(E3): the $\delta$-equation and the Stieltjes transform $g(u) = \lim \frac1d "
             r"\operatorname{tr}(T-u)^{-1}$:", [eq, sp.Eq(g, g_expr)])
    F_expr, G_expr = F.as_expr(), G.as_expr()
    doc.step(r"With $b = 1/(1+\delta)$ and denominators cleared, the two equations are polynomials "
             r"$F(b) = 0$ (cubic) and $G(b) = 0$ (quadratic):",
             [sp.Eq(sp.Symbol("F"), _collected(F_expr, b)), sp.Eq(sp.Symbol("G"), _collected(G_expr, b))])
    check((F.degree(F.ring(b)), G.degree(G.ring(b))) == (3, 2),
          "generic polynomial: F and G are not of degrees 3 and 2 in b")
    doc.step(r"Eliminating $b$: SymPy's resultant of a generic cubic $\sum_j p_j b^j$ and quadratic "
             r"$\sum_j q_j b^j$ (the Sylvester determinant) is",
             sp.Eq(sp.Symbol(r"\operatorname{Res}_b"), formula))
    content, primitive = _primitive(resultant, g)
    doc.step(r"Evaluated at the coefficients of $F$ and $G$ (exactly, in the polynomial ring "
             r"$\mathbb Z[\gamma, w, c_i, h_i, u, g]$), the resultant is $K \cdot P(g, u)$ with the factor "
             r"free of $g$", sp.Eq(sp.Symbol("K"), sp.factor(content.as_expr())))
    P = primitive.as_expr()
    coefficients = sp.Poly(P, g).all_coeffs()[::-1]
    check(len(coefficients) == 4, "generic polynomial: P is not cubic in g")
    doc.step(r"and the algebraic equation $P(g, u) = \sum_j a_j(u)\, g^j = 0$ of the Stieltjes transform "
             r"(cubic in $g$; " + f"{len(primitive.terms())} terms), with coefficients",
             [sp.Eq(sp.Symbol(f"a_{j}"), sp.factor(c)) for j, c in reversed(list(enumerate(coefficients)))])
    point = {gamma: sp.Rational(1, 3), w: sp.Rational(2, 7), c1: 2, c2: sp.Rational(5, 3), h1: sp.Rational(1, 4),
             h2: sp.Rational(3, 5)}
    factors = sp.factor_list(sp.expand(P.subs(point)))[1]
    check(len(factors) == 1 and factors[0][1] == 1 and sp.degree(factors[0][0], g) == 3,
          "generic polynomial: P is not irreducible (cubic in g) at the rational test point")
    doc.step(r"$P$ is irreducible: at the rational point "
             + ", ".join(f"${sp.latex(key)} = {sp.latex(value)}$" for key, value in point.items())
             + r" SymPy finds it irreducible over $\mathbb Q$, and a factorisation of $P$ with both factors "
               r"of positive degree in $g$ would survive the specialisation (the leading coefficient "
               r"$a_3$ does not vanish there).")
    return F_expr, P


@recorded
def stieltjes_polynomial(method: str, *, doc):
    r"""``P(g, z)`` (pca, spectral variable ``z``) or ``P(g, u)`` (ssr, ``u``): the algebraic equation
    ``P = 0`` of the Stieltjes transform ``g`` of the limiting spectrum of ``S`` or ``T``.

    Two-atom law ``ν = w δ_{s₁} + (1−w) δ_{s₂}``, diagonal basis. PCA: (E3) with scale 1 and no
    shift. SSR: scale ``D̄_i`` and shift ``λ D̄_i`` on atom ``i``, where the positive symbols
    ``D̄_1, D̄_2`` (:data:`D1`, :data:`D2`) stand for ``1/(s_i/(1+δ_λ) + λ)`` with ``δ_λ`` from (E1).
    Obtained from :func:`generic_polynomial` by substituting ``c_i, h_i`` and removing the factor
    free of ``g``. Cubic in ``g``; the physical root is the one with ``g ~ −1/z`` as ``z → ∞``
    (``Im g > 0`` for ``Im z > 0``).

    >>> from sympy import degree
    >>> [degree(stieltjes_polynomial("pca"), v) for v in (g, z)]
    [3, 2]
    """
    _, P_generic = generic_polynomial(doc=doc)
    setting = _setting(method)
    spectral, substitution = setting.spectral, setting.substitution
    specialised = sp.expand(P_generic.xreplace(substitution).xreplace({u: spectral}))
    ring = _ring([specialised], last=(spectral, g))
    content, primitive = _primitive(ring.from_expr(specialised), g)
    if primitive.coeff_wrt(ring(g), 3).LC < 0:
        primitive = -primitive
    P = primitive.as_expr()
    where = ", ".join(f"${sp.latex(key)} = {sp.latex(value)}$" for key, value in substitution.items())
    removed = sp.factor(content.as_expr())
    setting.show_polynomial(primitive, ring, where, removed, doc)
    return P


# ---------------------------------------------------------------- edges: discriminant in g


@functools.lru_cache(maxsize=None)
def _generic_discriminant_ring():
    """``(Δ, N, E, formula)`` of :func:`generic_discriminant` as ring elements."""
    _, F, _, resultant, _ = _generic_ring()
    _, P = _primitive(resultant, g)
    Delta, formula = _eliminate("discriminant", [P], g)
    E, _ = _eliminate("discriminant", [F], b)
    quotient, remainder = Delta.div(E * Delta.ring(gamma) ** 2)
    check(remainder == 0, "generic discriminant: disc_g P is not divisible by γ² disc_b F")
    N = quotient.gcd(quotient.diff(Delta.ring(u)))
    if N.LC < 0:
        N = -N
    check(N * N == quotient, "generic discriminant: disc_g P / (γ² E) is not the square N²")
    return Delta, N, E, formula


@recorded
def generic_discriminant(*, doc):
    r"""``(N, E)`` with ``disc_g P = γ² N² E`` for the generic ``P`` of :func:`generic_polynomial`.

    ``E = disc_b F`` is the discriminant in ``b = 1/(1+δ)`` of the (E3) ``δ``-equation: it vanishes
    where (E3) has a double root in ``δ`` (the edge condition ``F = ∂_δ F = 0``). ``N²`` is a
    square: ``disc_g P`` does not change sign at its roots (two branches of ``g`` cross without
    branching — nodes of the curve ``P = 0``), so they are never edges.
    """
    doc.section("The bulk edges: the discriminant in g",
                r"An edge is a branch point of $g$: two roots of $P(\cdot, u)$ merge. So the edges are among "
                r"the real roots of the discriminant $\Delta(u) = \operatorname{disc}_g P$. For a cubic with "
                r"real coefficients $\Delta>0$ means three real roots and $\Delta<0$ one real root and a "
                r"complex pair; inside the bulk the physical $g$ is non-real, so $\Delta$ changes sign at an "
                r"edge.")
    generic_polynomial(doc=doc)
    Delta, N, E, formula = _generic_discriminant_ring()
    doc.step(r"SymPy's discriminant of a generic cubic $\sum_j p_j g^j$ is",
             sp.Eq(sp.Symbol(r"\operatorname{disc}_g"), formula))
    N_expr = N.as_expr()
    ring_u = Delta.ring(u)
    doc.step(r"Evaluated at the coefficients $a_j$ of $P$, $\Delta$ has "
             + f"{len(Delta.terms())} terms; exact division and a gcd with $\\partial_u$ show the factorisation",
             sp.Eq(sp.Symbol(r"\Delta"), gamma**2 * sp.Symbol("N") ** 2 * sp.Symbol("E")))
    doc.step(r"where $E = \operatorname{disc}_b F$ is the discriminant, in $b$, of the (E3) $\delta$-equation: "
             r"it vanishes exactly where (E3) has a double root $\delta$ — the edge condition "
             r"$F = \partial_\delta F = 0$ used by the fixed-point solver. $E$ has degree "
             + f"{E.degree(ring_u)} in $u$ ({len(E.terms())} terms, not displayed); $N$ has degree "
             + f"{N.degree(ring_u)}:", sp.Eq(sp.Symbol("N"), _collected(N_expr, u)))
    doc.step(r"$N^2$ is a square, so $\Delta$ keeps its sign across a root of $N$: there two branches of $g$ "
             r"cross without branching (a node of the curve $P = 0$) and the number of real roots does not "
             r"change. Such roots are spurious. The edges are among the odd-multiplicity real roots of $E$.")
    return N_expr, E.as_expr()


@recorded
def inverse_map(*, doc):
    r"""``z(ℓ) = ℓ + γ ∫ s ℓ/(ℓ − s) dν``: the explicit inverse of the PCA Stieltjes transform.

    With ``ℓ = z(1 + δ(z))`` (``= −1/m̲`` for the companion transform ``m̲`` of Silverstein & Choi
    1995), (E3) for ``S`` is linear in ``z``. Its critical points ``z'(ℓ) = 0``, i.e.
    ``γ ∫ s²/(ℓ−s)² dν = 1``, are the edges: the complement of the support is
    ``{z(ℓ): z'(ℓ) > 0}``, so every real critical point (off ``{0, s_i}``) ends an interval
    outside the bulk. For large ``z``, ``ℓ ~ z``; the upper edge has the largest critical ``ℓ > max s``.
    """
    eq, _ = sample_covariance(TWO_ATOM, z)
    relation = eq.subs(delta, ell / z - 1)
    doc.step(r"**PCA, explicit inverse.** With $\ell = z(1+\delta(z))$ (so $1+\delta = \ell/z$; "
             r"$\ell = -1/\underline m$ for the companion transform of Silverstein & Choi) (E3) for $S$ reads",
             relation)
    solutions = sp.solve(relation, z)
    check(len(solutions) == 1, "PCA inverse map: (E3) in ℓ is not uniquely solvable for z")
    expected_form = ell + gamma * _mean(TWO_ATOM, lambda atom: atom * ell / (ell - atom))
    check(_is_zero(solutions[0] - expected_form), "PCA inverse map: the solution is not ℓ + γ∫sℓ/(ℓ−s)")
    doc.step(r"It is linear in $z$; SymPy's unique solution equals $\ell + \gamma\int s\ell/(\ell-s)\,d\nu$:",
             sp.Eq(sp.Function("z")(ell), expected_form))
    edge = 1 - gamma * _mean(TWO_ATOM, lambda atom: atom**2 / (ell - atom) ** 2)
    check(_is_zero(sp.diff(expected_form, ell) - edge), "PCA inverse map: z'(ℓ) is not 1 − γ∫s²/(ℓ−s)²")
    doc.step(r"Its derivative is $z'(\ell) = 1 - \gamma\int s^2/(\ell-s)^2\,d\nu$. By Silverstein & Choi (1995) "
             r"the complement of the support is $\{z(\ell) : z'(\ell) > 0\}$, so each real critical point "
             r"$z'(\ell_c) = 0$ ends an interval outside the bulk: its value $z(\ell_c)$ is an edge.",
             sp.Eq(sp.Derivative(sp.Function("z")(ell), ell), edge))
    return expected_form


@recorded
def edge_equation(method: str, *, doc):
    r"""``Δ = disc_g P``: the discriminant of :func:`stieltjes_polynomial` in ``g``, a polynomial in the
    spectral variable (``z`` for pca, ``u`` for ssr) returned in factored form.

    - pca: ``Δ = γ² z⁴ Q(z)``, ``Q`` quartic. ``z = 0`` is spurious (the two leading coefficients
      of ``P`` in ``g`` vanish there). ``Q`` is, up to a factor free of ``z``, the resultant of
      ``z − z(ℓ)`` and ``z'(ℓ)`` for the explicit inverse :func:`inverse_map`, so its real roots
      are exactly the real critical values — the edges (two for one bulk interval, four for two);
      its non-real roots come from complex critical points.
    - ssr: ``Δ = γ² N(u)² E(u)`` (:func:`generic_discriminant` specialised; ``P_ssr`` is primitive so
      the specialisation is exact). ``N²`` is spurious (nodes); ``E`` (degree 6) vanishes where (E3)
      has a double root ``δ``. The upper edge is the largest real root of ``E``; this is checked
      against the fixed point (``tests/derive/test_heteroscedastic.py``), not proved in general,
      since a double root of a non-physical ``δ``-branch could in principle lie above it.

    >>> from sympy import degree, factor_list
    >>> sorted((degree(f, z), e) for f, e in factor_list(edge_equation("pca"))[1])
    [(0, 2), (1, 4), (4, 1)]
    """
    setting = _setting(method)
    P = stieltjes_polynomial(method, doc=doc)
    N, E = generic_discriminant(doc=doc)
    return setting.edges(P, N, E, setting.substitution, doc)


# ---------------------------------------------------------------- ridgeless threshold, γ < 1


@recorded
def ridgeless_delta(*, doc):
    r"""``δ₀ = lim_{λ→0⁺} δ(λ) = γ/(1−γ)`` for ``γ < 1``, for every bulk law.

    On one atom the summand of (E1), ``s/(s/(1+δ)+λ)``, tends to ``1 + δ`` (for any ``s > 0``), so
    (E1) becomes ``δ = γ(1 + δ)``. The summand is below ``1 + δ``, so ``δ(λ) ≤ δ₀`` stays bounded
    and every limit point solves the limiting equation, whose only solution is ``δ₀``.

    >>> ridgeless_delta()
    -gamma/(gamma - 1)
    """
    doc.section("Ridgeless SSR threshold for γ < 1 (diagonal basis)",
                r"For any discrete law $\nu$ and $\lambda \to 0^+$. Here $\delta_\lambda$ is the solution of (E1), "
                r"$\delta$ the spectral $\delta(u)$ of (E3).")
    summand = first_order(((s, 1),)).rhs.subs(delta, delta_lam) / gamma
    limit = sp.limit(summand, lam, 0, "+")
    doc.step(r"The contribution of one atom $s$ to (E1), and its limit as $\lambda\to0^+$:",
             sp.Eq(sp.Limit(summand, lam, 0, "+"), limit))
    check(limit == 1 + delta_lam, "ridgeless δ: the (E1) summand of one atom does not tend to 1 + δ_λ")
    gap = sp.factor(limit - summand)
    check(gap.is_positive, "ridgeless δ: the gap of the (E1) summand to its limit is not positive")
    doc.step(r"The gap to the limit is positive, so (E1) gives $\delta_\lambda \le \gamma(1+\delta_\lambda)$: "
             r"$\delta_\lambda$ stays bounded for $\gamma<1$, and every limit point solves the limiting equation",
             sp.Eq(limit - summand, gap))
    limiting = sp.Eq(delta_lam, gamma * limit)
    (solution,) = sp.solve(limiting, delta_lam)
    positive = sp.simplify(solution.subs(gamma, REGIMES["gamma<1"]))
    check(positive.is_positive, "ridgeless δ: δ₀ = γ/(1−γ) is not positive for γ < 1")
    doc.step(r"(using $\int d\nu = 1$), whose unique solution is positive for $\gamma<1$ "
             rf"(with $\gamma = {sp.latex(REGIMES['gamma<1'])}$ it is ${sp.latex(positive)}$):",
             [limiting, sp.Eq(sp.Symbol(r"\delta_0"), solution)])
    return solution


@recorded
def ridgeless_scale(*, doc):
    r"""``(D̄(s), c(s), shift(s))`` at ``λ → 0⁺``, ``γ < 1``: ``((1+δ₀)/s, 1+δ₀, 0)`` in the symbol
    :data:`delta_0` (``δ₀ = γ/(1−γ)``, :func:`ridgeless_delta`).

    ``c = D̄ s`` does not depend on ``s``: the population ``C = D̄^{1/2} Σ₀ D̄^{1/2}`` of ``T`` is
    ``(1 + δ₀) I`` — SSR whitens the coordinates — and the shift ``λ D̄`` vanishes.
    """
    ridgeless_delta(doc=doc)
    scale = 1 / (s / (1 + delta_lam) + lam)
    limits = [sp.factor(sp.limit(expr, lam, 0, "+").subs(delta_lam, delta_0))
              for expr in (scale, scale * s, lam * scale)]
    doc.step(r"On an atom $s$: $\bar D(s) = 1/(s/(1+\delta_\lambda)+\lambda)$, the population $c = \bar D s$ of "
             r"$T$ and the shift $\lambda\bar D$ tend to",
             [sp.Eq(sp.Symbol(r"\bar D(s)"), limits[0]), sp.Eq(sp.Symbol("c(s)"), limits[1]),
              sp.Eq(sp.Symbol(r"\lambda\bar D(s)"), limits[2])])
    check(sp.diff(limits[1], s) == 0, "ridgeless scale: the population c(s) of T depends on s (no whitening)")
    check(limits[2] == 0, "ridgeless scale: the shift λD̄(s) does not vanish")
    doc.step(r"$c$ does not depend on $s$: the population of $T$ becomes $(1+\delta_0) I$ and the shift "
             r"vanishes — **SSR whitens the coordinates**.")
    return tuple(limits)


@recorded
def ridgeless_threshold(law=TWO_ATOM, *, doc):
    r"""``lim_{λ→0⁺} θ_c^{SSR} = √γ / ∫ s^{-1} dν`` for ``γ < 1`` (diagonal basis, generic ``v``).

    With the limits of :func:`ridgeless_scale`, (E3) and (E4) for ``T`` at ``u = (1+δ₀) z`` are
    exactly those of PCA for the isotropic bulk with spike ``θ_eff = θ ∫ dν/s`` (``|w|² = vᵀD̄v →
    (1+δ₀)∫dν/s`` and ``θ_eff = θ|w|²/(1+δ₀)``); the isotropic threshold
    ``θ_eff = √γ`` (:func:`derive.spiked.threshold`) gives the result.

    >>> from sympy import Rational
    >>> ridgeless_threshold(((1, Rational(1, 2)), (6, Rational(1, 2))))
    12*sqrt(gamma)/7
    """
    scale0, _, _ = ridgeless_scale(doc=doc)
    law = law_atoms(law)
    check(_is_zero(sum(weight for _, weight in law) - 1), "ridgeless threshold: the weights of the law do not sum to 1")
    scale_of = sp.Lambda(s, scale0)
    eq_T, _ = sample_covariance(law, u, scale=scale_of, shift=0)
    secular_T = spike_secular(law, u, scale=scale_of, shift=0)
    doc.step(rf"(E3) and (E4) for $T$ at $\lambda\to0^+$ for the law $\nu = {law_latex(law)}$:",
             [eq_T, sp.Eq(secular_T, 0)])
    inverse_mean = sp.together(_mean(law, lambda atom: 1 / atom))
    norm = (1 + delta_0) * inverse_mean
    check(_is_zero(_mean(law, scale_of) - norm), "ridgeless threshold: |w|² is not (1+δ₀)∫s⁻¹dν")
    effective = theta * inverse_mean
    doc.step(r"The spike enters through $w = \bar D^{1/2}v$: $|w|^2 \to \int \bar D\,d\nu$, and the effective "
             r"strength is $\theta_{\rm eff} = \theta|w|^2/(1+\delta_0) = \theta\int s^{-1}\,d\nu$:",
             [sp.Eq(sp.Symbol("|w|^2"), norm), sp.Eq(sp.Symbol(r"\theta_{\rm eff}"), effective)])
    theta_eff = sp.Symbol("theta_eff", positive=True)
    eq_iso, _ = sample_covariance(((1, 1),), z)
    secular_iso = spike_secular(((1, 1),), z).subs(theta, theta_eff)
    at = {u: (1 + delta_0) * z}
    check(_is_zero(eq_T.rhs.subs(at) - eq_iso.rhs),
          "ridgeless threshold: (E3) of T at u = (1+δ₀)z is not isotropic PCA (E3)")
    check(_is_zero(secular_T.subs(at) - secular_iso.subs(theta_eff, effective)),
          "ridgeless threshold: (E4) of T at u = (1+δ₀)z is not isotropic PCA (E4) with θ_eff")
    doc.step(r"At $u = (1+\delta_0) z$ both reduce, identically (SymPy simplifies the differences to $0$), to "
             r"PCA for the isotropic bulk $\nu = \delta_1$ with spike $\theta_{\rm eff}$:",
             [sp.Eq(delta, eq_iso.rhs), sp.Eq(secular_iso, 0)])
    critical = spiked.threshold("pca", doc=doc)
    doc.step(r"so the outlier of $T$ leaves the bulk when $\theta_{\rm eff}$ reaches the isotropic PCA "
             r"threshold (derived in `spiked.md`):", sp.Eq(sp.Symbol(r"\theta_{{\rm eff}, c}"), critical))
    (solved,) = sp.solve(sp.Eq(effective, critical), theta)
    result = critical / inverse_mean
    check(_is_zero(solved - result), "ridgeless threshold: θ solving θ∫s⁻¹dν = √γ is not √γ/∫s⁻¹dν")
    doc.step(r"Solving $\theta\int s^{-1}d\nu = \sqrt\gamma$ for $\theta$ gives the **ridgeless SSR threshold** "
             r"(it does not involve $\delta_0$):",
             sp.Eq(sp.Limit(sp.Symbol(r"\theta_c^{\rm SSR}"), lam, 0, "+"), result))
    return result


@recorded
def pca_threshold_condition(law=TWO_ATOM, *, doc):
    r"""``(edge, θ_c)``: the PCA threshold in the diagonal basis, implicit in ``ℓ``.

    ``ℓ_e`` is the largest root of ``edge = 1 − γ ∫ s²/(ℓ−s)² dν`` (``ℓ_e > max s``), and
    ``θ_c^{PCA} = θ_c(ℓ_e)`` with ``θ_c(ℓ) = 1 / ∫ dν/(ℓ − s)``. From (E4) for ``S`` at the upper edge in
    the variable ``ℓ = z(1+δ)`` of :func:`inverse_map`: ``1 + θ/(1+δ) ∫ dν/(s/(1+δ) − z) = 1 − θ∫dν/(ℓ−s)``.
    No closed form for two atoms (``ℓ_e`` is a root of a quartic). It does not depend on ``λ``.
    """
    doc.section("PCA threshold in the diagonal basis (implicit)")
    law = law_atoms(law)
    inverse, edge_form, reduced, critical_form = _implicit_threshold(law, z, scale=lambda atom: sp.Integer(1))
    doc.step(r"(E3) for $S$ with $1+\delta = \ell/z$ is solved by $z(\ell)$; the upper edge is the largest "
             r"critical point $\ell_e$ of $z(\ell)$:", [sp.Eq(z, inverse), sp.Eq(sp.Derivative(z, ell), edge_form)])
    doc.step(r"(E4) for $S$ in the same variable does not involve $z$; solving it for $\theta$ at $\ell = \ell_e$ "
             r"gives the threshold:", [sp.Eq(reduced, 0), sp.Eq(sp.Symbol(r"\theta_c^{\rm PCA}"), critical_form)])
    doc.step(r"Here $\ell$ is the position of the population outlier of $\Sigma_0 + \theta vv^\top$ "
             r"($1 = \theta\int d\nu/(\ell - s)$), and the condition is the generalised spiked-model rule: "
             r"PCA separates when $\ell$ exceeds the critical $\ell_e$ with $\gamma\int s^2/(\ell_e-s)^2\,d\nu = 1$. "
             r"For two atoms $\ell_e$ is the largest root of a quartic; there is no simpler closed form.")
    return edge_form, critical_form


@recorded
def ridgeless_advantage(*, doc):
    r"""``θ_c^{PCA} / θ_c^{SSR}(0⁺) = E[1 + 1/A] · √E[A²] / E[1 + A] ≥ 1`` with ``A = s/(ℓ_e − s)``.

    Returned as the ratio for the two-atom law in the symbols ``a_1, a_2`` (values of ``A``). The
    bound follows from ``√E[A²] ≥ E[A]`` and ``E[1/A] ≥ 1/E[A]`` (the two gaps are factored
    by SymPy); equality iff ``ν`` is a point mass, so in the heteroscedastic regime the ridgeless
    SSR threshold is strictly below the PCA threshold.
    """
    edge, pca = pca_threshold_condition(TWO_ATOM, doc=doc)
    ssr = ridgeless_threshold(TWO_ATOM, doc=doc)
    doc.section("SSR beats PCA in the heteroscedastic regime (γ < 1, λ → 0⁺)")
    a1, a2 = sp.symbols("a_1 a_2", positive=True)
    A = {s1: a1, s2: a2}
    atom_of = {a1: ell * a1 / (1 + a1), a2: ell * a2 / (1 + a2)}  # s = ℓA/(1+A)
    sub = {s1: atom_of[a1], s2: atom_of[a2]}
    for atom in (s1, s2):
        check(_is_zero((atom / (ell - atom)).subs(sub) - A[atom]),
              "SSR advantage: s = ℓA/(1+A) does not invert A = s/(ℓ−s)")
    gamma_value = sp.solve(sp.Eq(edge.subs(sub), 0), gamma)
    check(len(gamma_value) == 1, "SSR advantage: the PCA edge condition is not uniquely solvable for γ")
    gamma_value = sp.factor(gamma_value[0])
    doc.step(r"Write $A = s/(\ell_e - s)$, positive since $\ell_e > \max s$ (values $a_1, a_2$ on the atoms), so "
             r"$s = \ell_e A/(1+A)$. The PCA "
             r"edge condition fixes $\gamma = 1/E[A^2]$:", sp.Eq(gamma, gamma_value))
    ratio = (pca / ssr).subs(sub).subs(gamma, gamma_value)
    mean = lambda f: w * f(a1) + (1 - w) * f(a2)  # noqa: E731
    target = mean(lambda a: 1 + 1 / a) * sp.sqrt(mean(lambda a: a**2)) / mean(lambda a: 1 + a)
    check(_is_zero(ratio**2 - target**2),  # both sides are positive
          "SSR advantage: the threshold ratio is not E[1+1/A]√E[A²]/E[1+A]")
    doc.step(r"The ratio of the PCA threshold to the ridgeless SSR threshold simplifies to "
             r"$E[1 + 1/A]\,\sqrt{E[A^2]}\,/\,E[1+A]$:",
             sp.Eq(sp.Symbol(r"\theta_c^{\rm PCA}/\theta_c^{\rm SSR}"), target))
    variance = sp.factor(mean(lambda a: a**2) - mean(lambda a: a) ** 2)
    harmonic = sp.factor(mean(lambda a: 1 / a) - 1 / mean(lambda a: a))
    inside = {w: 1 / (1 + k)}  # 0 < w < 1
    check(all(sp.factor((gap / (a1 - a2) ** 2).subs(inside)).is_positive for gap in (variance, harmonic)),
          "SSR advantage: a Jensen gap is not (a₁ − a₂)² times a positive factor")
    doc.step(r"Both Jensen gaps are non-negative, vanishing only when $a_1 = a_2$ (i.e. $s_1 = s_2$):",
             [rf"E[A^2] - E[A]^2 = {sp.latex(variance)}", rf"E[1/A] - 1/E[A] = {sp.latex(harmonic)}"])
    mean_a = sp.Symbol(r"\bar a", positive=True)
    check(sp.simplify((1 + 1 / mean_a) * mean_a / (1 + mean_a)) == 1,
          "SSR advantage: the lower bound of the ratio is not 1")
    doc.step(r"Hence, with $\bar a = E[A]$, ratio $\ge (1 + 1/\bar a)\,\bar a/(1+\bar a) = 1$: "
             r"$\theta_c^{\rm SSR}(0^+) \le \theta_c^{\rm PCA}$, with equality only for a point mass. The same "
             r"argument holds for any discrete law.")
    return target


# ---------------------------------------------------------------- ridgeless, γ > 1


@recorded
def large_gamma_eta(law=TWO_ATOM, *, doc):
    r"""``(equation, η)`` for ``γ > 1``, ``λ → 0⁺``: ``δ(λ) ~ η/λ`` with ``γ ∫ s/(s+η) dν = 1``.

    For the two-atom law the quadratic has one positive root (the product of the roots is
    ``s₁s₂(1−γ) < 0``); one atom gives ``η = s(γ−1)``; for more atoms ``η`` is returned as ``None``.

    >>> large_gamma_eta(((1, 1),))[1]
    gamma - 1
    """
    doc.section("Ridgeless limit for γ > 1: no whitening",
                r"For $\gamma > 1$ the bound $\delta_\lambda \le \gamma(1+\delta_\lambda)$ is void and $\delta_\lambda$ "
                r"diverges. The ansatz $\delta_\lambda = \eta/\lambda$ (leading order) is consistent: the limit below is "
                r"finite and has a positive solution $\eta$.")
    law = law_atoms(law)
    e1 = first_order(law).subs(delta, eta / lam)
    scaled = sp.limit(lam * e1.rhs, lam, 0, "+")
    doc.step(r"(E1) with $\delta_\lambda = \eta/\lambda$, multiplied by $\lambda$, as $\lambda\to0^+$:",
             sp.Eq(eta, scaled))
    equation = sp.simplify(scaled / eta)
    target = gamma * _mean(law, lambda atom: atom / (atom + eta))
    check(_is_zero(equation - target), "γ > 1: the limit of λ·(E1)/η is not γ∫s/(s+η)dν")
    doc.step(r"i.e. (dividing by $\eta > 0$) the equation for $\eta$; its right side decreases from "
             r"$\gamma > 1$ at $\eta = 0$ to $0$, so it has one positive root exactly when $\gamma > 1$:",
             sp.Eq(target, 1))
    if len(law) == 1:
        (root,) = sp.solve(sp.numer(sp.together(target - 1)), eta)
        doc.step(r"For a single atom the equation is linear:", sp.Eq(eta, root))
        return target, root
    if len(law) != 2:
        return target, None
    quadratic = sp.Poly(sp.numer(sp.together(target - 1)), eta)
    if quadratic.LC().could_extract_minus_sign():
        quadratic = -quadratic
    A, B, C = [sp.factor(c) for c in quadratic.all_coeffs()]
    product = sp.factor(C / A)
    check(A.is_positive, "γ > 1: the leading coefficient of the η-quadratic is not positive")
    check(sp.factor(product.subs(gamma, REGIMES["gamma>1"])).is_negative,
          "γ > 1: the product of the roots of the η-quadratic is not negative (one positive root)")
    positive = (-B + sp.sqrt(sp.factor(B**2 - 4 * A * C))) / (2 * A)
    check(any(sp.simplify(positive - root) == 0 for root in sp.solve(quadratic.as_expr(), eta)),
          "γ > 1: (−B + √(B²−4AC))/(2A) is not a root of the η-quadratic")
    doc.step(r"For two atoms it is the quadratic $A\eta^2 + B\eta + C = 0$ below; the product of its roots, "
             rf"$C/A = {sp.latex(product)}$, is negative for $\gamma>1$, so the roots are real with opposite "
             r"signs and the positive one is the larger, $(-B + \sqrt{B^2-4AC})/(2A)$:",
             [sp.Eq(quadratic.as_expr(), 0), sp.Eq(eta, positive)])
    return target, positive


@recorded
def large_gamma_threshold(law=TWO_ATOM, *, doc):
    r"""``(edge, θ_c)`` of the ridgeless SSR threshold for ``γ > 1``, implicit in ``ℓ`` (and ``η``).

    ``λ D̄(s) → ε(s) = η/(s+η)`` and ``λ c(s) → c'(s) = ηs/(s+η)`` (not constant: no whitening).
    At ``u = U/λ`` (E3)–(E4) for ``T`` tend to PCA for the population law ``c'`` with spike weights
    ``ε``, so ``θ_c = 1/∫ ε dν/(ℓ_e − c')`` with ``ℓ_e`` the largest root of ``γ∫ c'²/(ℓ−c')² dν = 1``.
    The top of the spectrum of ``Â`` is ``1 − λ/U → 1``. No closed form for two atoms.
    """
    equation, _ = large_gamma_eta(law, doc=doc)
    law = law_atoms(law)
    scale = 1 / (s / (1 + eta / lam) + lam)
    weight, population = [sp.simplify(sp.limit(lam * e, lam, 0, "+")) for e in (scale, scale * s)]
    doc.step(r"On an atom $s$, with $\delta_\lambda = \eta/\lambda$: the shift $\lambda\bar D(s)$ and the "
             r"rescaled population $\lambda c(s) = \lambda\bar D(s)\,s$ tend to",
             [sp.Eq(sp.Symbol(r"\varepsilon(s)"), weight), sp.Eq(sp.Symbol("c'(s)"), population)])
    slope = sp.simplify(sp.diff(population, s))
    check(slope.is_positive, "γ > 1: the re-weighted population c'(s) is not increasing in s")
    doc.step(r"$c'$ increases with $s$ ($\partial_s c' = " + sp.latex(slope) + r"$): the population of $T$ is "
             r"**not** whitened, and the shift does not vanish. $\bar D$ itself diverges like $1/\lambda$, so the "
             r"top eigenvalues of $T$ are of order $1/\lambda$; write $u = U/\lambda$.")
    big_u = sp.Symbol("U", positive=True)
    one_atom = ((s, 1),)
    eq_atom, _ = sample_covariance(one_atom, u, scale=scale, shift=lam * scale)
    secular_atom = spike_secular(one_atom, u, scale=scale, shift=lam * scale)
    terms = [sp.limit(sp.cancel(e.subs(u, big_u / lam)), lam, 0, "+")
             for e in (eq_atom.rhs / gamma, (secular_atom - 1) * (1 + delta) / theta)]
    weight_of, population_of = sp.Lambda(s, weight), sp.Lambda(s, population)
    eq_pca, _ = sample_covariance(law, big_u, scale=sp.Lambda(s, population / s), shift=0)
    secular_pca = spike_secular(law, big_u, scale=weight_of, shift=0)
    eq_limit = gamma * _mean(law, sp.Lambda(s, terms[0]))
    secular_limit = 1 + theta / (1 + delta) * _mean(law, sp.Lambda(s, terms[1]))
    check(_is_zero(eq_limit - eq_pca.rhs), "γ > 1: the limit of (E3) for T at u = U/λ is not PCA (E3) for c'")
    check(_is_zero(secular_limit - secular_pca), "γ > 1: the limit of (E4) for T at u = U/λ is not PCA (E4) with ε")
    doc.step(r"On one atom, at $u = U/\lambda$, SymPy's limits of the (E3) term $c/(c/(1+\delta)+\lambda\bar D-u)$ "
             r"and of the (E4) term $\bar D/(c/(1+\delta)+\lambda\bar D-u)$ are",
             [sp.Eq(sp.Function("t_3")(s), sp.factor(terms[0])), sp.Eq(sp.Function("t_4")(s), sp.factor(terms[1]))])
    doc.step(r"Summed over the atoms, (E3) and (E4) for $T$ become PCA equations for a sample covariance with "
             r"population $c'(s)$ and spike weights $\varepsilon(s)$ ($w = \varepsilon^{1/2}v$):",
             [sp.Eq(delta, eq_pca.rhs), sp.Eq(secular_pca, 0)])
    check(_is_zero(population - weight * s), "γ > 1: c'(s) is not ε(s)·s")
    _, edge_form, _, critical_form = _implicit_threshold(law, big_u, scale=weight_of)
    doc.step(r"As for PCA, with $1+\delta = \ell/U$ the upper edge is the largest critical point $\ell_e$ of "
             r"$U(\ell)$, and (E4) there gives the threshold (implicit; for two atoms $\ell_e$ solves a quartic "
             r"and $\eta$ a quadratic, no simpler closed form):",
             [sp.Eq(sp.Derivative(big_u, ell), edge_form), sp.Eq(sp.Symbol(r"\theta_c^{\rm SSR}(0^+)"), critical_form)])
    doc.step(r"The outlier and the top of the bulk of $\hat A$ are $1 - \lambda/U \to 1$: for $\gamma>1$ the "
             r"ridgeless SSR threshold is that of PCA on the re-weighted sample covariance with population "
             r"$c'(s) = \eta s/(s+\eta)$ (for $\nu = \delta_1$, $c' = \varepsilon$ is constant and "
             r"$\theta_c = \sqrt\gamma$ again).")
    return edge_form, critical_form


# ---------------------------------------------------------------- headline results


#: Rational points for the numeric comparisons of :func:`headline`: values ``a_i`` of ``A = s/(ℓ_e − s)``
#: with a weight ``w ∈ (0, 1)``, and two-atom laws with ``γ > 1``.
_ADVANTAGE_POINTS = tuple({sp.Symbol("a_1", positive=True): a1, sp.Symbol("a_2", positive=True): a2, w: weight}
                          for a1, a2, weight in ((sp.Rational(1, 2), 3, sp.Rational(1, 3)),
                                                 (2, sp.Rational(1, 5), sp.Rational(3, 4)),
                                                 (sp.Rational(7, 3), sp.Rational(5, 2), sp.Rational(1, 2))))
_LARGE_GAMMA_POINTS = ({gamma: 3, s1: 1, s2: 4, w: sp.Rational(1, 3)},
                       {gamma: sp.Rational(3, 2), s1: sp.Rational(1, 2), s2: 5, w: sp.Rational(4, 5)},
                       {gamma: 7, s1: 2, s2: sp.Rational(1, 3), w: sp.Rational(1, 2)})


def _one_atom_threshold(edge, critical):
    """``θ_c`` at the largest root ``ℓ_e`` of ``edge`` (ordered at ``γ = 2``) for a one-atom law."""
    roots = sp.solve(sp.numer(sp.together(edge)), ell)
    check(len(roots) == 2, "headline: the one-atom edge condition does not have two roots in ℓ")
    largest = max(roots, key=lambda r: r.subs(gamma, 2))
    return sp.simplify(critical.subs(ell, largest))


@functools.lru_cache(maxsize=None)
def headline() -> tuple:
    r"""The rows (:class:`derive.record.Row`) of the table "Headline results" of ``heteroscedastic.md``.

    For the two-atom law :data:`TWO_ATOM`. The implicit thresholds are checked on ``ν = δ₁``, where
    SymPy reduces them to the isotropic ``√γ`` of :func:`derive.spiked.threshold`.

    >>> headline()[3].form
    sqrt(gamma)*s_1*s_2/(s_1*(1 - w) + s_2*w)
    """
    isotropic_threshold = spiked.threshold("pca")
    one_atom = ((1, 1),)
    inverse = inverse_map()
    edge, pca = pca_threshold_condition(TWO_ATOM)
    rows = [Row(r"bulk edges of $S$ (PCA, any $\lambda$)", sp.Eq(sp.Function("z")(ell), inverse),
                rf"at the real critical points of $z(\ell)$, ${sp.latex(edge)} = 0$; the upper edge $z_+$ is at the "
                r"largest, $\ell_e > \max s$",
                check_same(sp.diff(inverse, ell), edge, "heteroscedastic headline: z'(ℓ)") + r" ($z'(\ell)$)")]
    rows.append(Row(r"PCA threshold $\theta_c^{\rm PCA}$", pca,
                    r"at $\ell = \ell_e$ above (implicit: $\ell_e$ is a root of a quartic); independent of $\lambda$",
                    check_same(_one_atom_threshold(*pca_threshold_condition(one_atom)), isotropic_threshold,
                               "heteroscedastic headline: PCA threshold for one atom")
                    + r" ($\nu = \delta_1$ gives $\sqrt\gamma$)"))
    delta0 = ridgeless_delta()
    scale, population, shift = (sp.simplify(e.subs(delta_0, delta0)) for e in ridgeless_scale())
    check(sp.diff(population, s) == 0, "heteroscedastic headline: the ridgeless population of T depends on s")
    rows.append(Row(r"SSR whitening ($\gamma < 1$, $\lambda\to0^+$)",
                    [sp.Eq(sp.Symbol(r"\delta_0"), delta0), sp.Eq(sp.Function("c")(s), population),
                     sp.Eq(sp.Symbol(r"\lambda\bar D(s)"), shift)],
                    r"$\delta_0 = \lim\delta_\lambda$; the population $c(s) = \bar D(s)s$ of $T$ does not depend on $s$",
                    check_same(population, 1 + delta0, "heteroscedastic headline: whitened population")))
    ssr = ridgeless_threshold(TWO_ATOM)
    harmonic = sp.simplify(ssr * _mean(TWO_ATOM, lambda atom: 1 / atom))
    rows.append(Row(r"ridgeless SSR threshold $\theta_c^{\rm SSR}(0^+)$", ssr,
                    r"$\gamma < 1$, $\lambda\to0^+$, diagonal basis, generic $v$; "
                    rf"$\theta_c^{{\rm SSR}}(0^+)\int s^{{-1}}d\nu = {sp.latex(harmonic)}$",
                    check_same(harmonic, isotropic_threshold, "heteroscedastic headline: ridgeless threshold")
                    + r" (the isotropic $\sqrt\gamma$)"))
    a1, a2 = sp.symbols("a_1 a_2", positive=True)
    on_atoms = {s1: ell * a1 / (1 + a1), s2: ell * a2 / (1 + a2)}  # s = ℓA/(1+A)
    ratio = sp.simplify((pca / ssr).subs(on_atoms))
    solved = sp.solve(sp.Eq(edge.subs(on_atoms), 0), gamma)
    check(len(solved) == 1, "heteroscedastic headline: the PCA edge condition is not uniquely solvable for γ")
    at_edge = sp.factor(solved[0])
    rows.append(Row(r"PCA / ridgeless SSR threshold", ratio,
                    r"$A = s/(\ell_e - s)$ takes the values $a_i$ on the atoms and the PCA edge fixes "
                    rf"$\gamma = {sp.latex(at_edge)}$; the ratio is $\ge 1$, $= 1$ iff $s_1 = s_2$",
                    check_same(ratio.subs(gamma, at_edge), ridgeless_advantage(), "heteroscedastic headline: ratio",
                               points=_ADVANTAGE_POINTS)))
    equation, root = large_gamma_eta(TWO_ATOM)
    rows.append(Row(r"ridgeless scale $\eta = \lim \lambda\delta_\lambda$ ($\gamma > 1$)", sp.Eq(equation, 1),
                    r"$\gamma > 1$: $\delta_\lambda \sim \eta/\lambda$; the unique positive root",
                    check_same(equation.subs(eta, root), 1, "heteroscedastic headline: η solves its equation",
                               points=_LARGE_GAMMA_POINTS) + r" (the positive root solves it)"))
    large_edge, large = large_gamma_threshold(TWO_ATOM)
    one_edge, one_critical = large_gamma_threshold(one_atom)
    one_eta = large_gamma_eta(one_atom)[1]
    rows.append(Row(r"ridgeless SSR threshold, $\gamma > 1$", large,
                    rf"$\lambda\to0^+$; at the largest root $\ell_e$ of ${sp.latex(large_edge)} = 0$ (PCA on the "
                    r"re-weighted population of $\gamma > 1$: no whitening)",
                    check_same(_one_atom_threshold(one_edge.subs(eta, one_eta), one_critical.subs(eta, one_eta)),
                               isotropic_threshold, "heteroscedastic headline: γ > 1 threshold for one atom")
                    + r" ($\nu = \delta_1$ gives $\sqrt\gamma$)"))
    return tuple(rows)
