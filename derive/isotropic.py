r"""Isotropic bulk ``Σ₀ = I`` (``ν = δ₁``): Marchenko–Pastur transform, errors and spectrum of Â.

Every function starts from the encoded equations of :mod:`derive.equations` with
``ν = δ₁`` and lets SymPy perform the algebra (solve, limit, differentiation,
discriminant); each step is recorded for ``derivations/isotropic.md``.

>>> from derive.symbols import gamma, lam
>>> stieltjes_m().subs({gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5)}).evalf(20)
1.2169905660283019057
"""
from __future__ import annotations

import functools

import sympy as sp

from derive.checks import check, check_same
from derive.equations import ISOTROPIC, first_order, kappa, mean_resolvent, sample_covariance
from derive.record import Row, recorded
from derive.symbols import a, delta, gamma, k, lam, m, s, u, x, z

__all__ = [
    "REGIMES",
    "stieltjes_quadratic",
    "stieltjes_m",
    "delta_closed",
    "kappa_closed",
    "gen_error",
    "train_error",
    "ridgeless_limit",
    "large_ridge_limit",
    "resolvent_quadratic",
    "mp_edges",
    "mp_density",
    "atom_mass",
    "ssr_map",
    "ssr_edges",
    "ssr_atom",
    "ssr_density",
    "in_regime",
    "in_m",
    "headline",
]

#: ``γ < 1`` and ``γ > 1`` encoded with a positive ``k`` (SymPy cannot assume ``γ < 1``).
REGIMES = {"gamma<1": 1 / (1 + k), "gamma>1": 1 + k}
_BACK = {"gamma<1": 1 / gamma - 1, "gamma>1": gamma - 1}
_g = sp.Symbol("g")  # the Stieltjes transform at a complex spectral parameter


def _factor_roots(expr):
    """Factor the radicands of square roots so that e.g. √((k+1)²) collapses to k+1."""
    return expr.replace(
        lambda e: isinstance(e, sp.Pow) and e.exp == sp.S.Half,
        lambda e: sp.sqrt(sp.factor(e.base)),
    )


def in_regime(expr, regime: str, *, doc=None):
    """``expr`` rewritten with ``γ = 1/(1+k)`` (``"gamma<1"``) or ``γ = 1+k`` (``"gamma>1"``)."""
    return _factor_roots(sp.together(expr.subs(gamma, REGIMES[regime])))


@recorded
def stieltjes_quadratic(*, doc):
    r"""The quadratic ``γλ m² + (1 + λ − γ) m − 1 = 0`` satisfied by ``m = lim (1/d) tr R``.

    Derived from (E1) with ``ν = δ₁``: ``m̄ = 1/(1/(1+δ)+λ)`` so (E1) reads ``δ = γ m̄``;
    eliminating ``δ`` and clearing denominators gives the polynomial returned here (in ``m``).
    """
    doc.section("The Marchenko–Pastur transform m(λ, γ)")
    e1 = first_order(ISOTROPIC)
    doc.step(r"Start from (E1) with the isotropic law $\nu = \delta_1$:", e1)
    mbar = mean_resolvent(ISOTROPIC)
    doc.step(r"The limit of $\frac1d \operatorname{tr} R$ (and of each $R_{kk}$) is", sp.Eq(m, mbar))
    ratio = sp.simplify(e1.rhs / mbar)
    doc.step(r"Dividing the right side of (E1) by $\bar m$ gives the constant", ratio)
    check(ratio == gamma, "isotropic (E1): the right side divided by m̄ is not the constant γ")
    doc.step(r"so (E1) is $\delta = \gamma m$. Substituting into the definition of $m$:",
             sp.Eq(m, mbar.subs(delta, gamma * m)))
    poly = sp.Poly(sp.expand(sp.numer(sp.together(m - mbar.subs(delta, gamma * m)))), m)
    if poly.LC().could_extract_minus_sign():
        poly = -poly
    quadratic = poly.as_expr()
    doc.step("Clearing denominators gives a quadratic in $m$:", sp.Eq(quadratic, 0))
    return quadratic


@recorded
def stieltjes_m(*, doc):
    r"""Closed form of ``m(λ, γ) = lim (1/d) tr (S + λ)^{-1}``, the Marchenko–Pastur Stieltjes
    transform at ``−λ``.

    Branch: the quadratic :func:`stieltjes_quadratic` has roots whose product is
    ``−1/(γλ) < 0``, so exactly one is positive; ``m = ∫ dμ(s)/(s+λ) > 0`` picks it, and it
    is the root with ``λ m → 1`` as ``λ → ∞`` (the other has ``λ m → −∞``).

    >>> from derive.symbols import gamma, lam
    >>> sp.limit(lam * stieltjes_m(), lam, sp.oo)
    1
    """
    quadratic = stieltjes_quadratic(doc=doc)
    roots = sp.solve(quadratic, m)
    doc.step("SymPy's roots of the quadratic:", [sp.Eq(sp.Symbol(f"m_{i}"), r) for i, r in enumerate(roots)])
    product = sp.simplify(roots[0] * roots[1])
    doc.step(r"Their product is negative for $\gamma, \lambda > 0$, so exactly one root is positive:",
             sp.Eq(sp.Symbol("m_0") * sp.Symbol("m_1"), product))
    check(product.is_negative, "branch of m: the product of the roots of the quadratic is not negative")
    tails = [sp.limit(lam * r, lam, sp.oo) for r in roots]
    doc.step(r"Branch choice: $m = \int d\mu(s)/(s+\lambda) > 0$ and $m \sim 1/\lambda$ as "
             r"$\lambda\to\infty$. The limits of $\lambda m_i$ are",
             [sp.Eq(sp.Limit(lam * sp.Symbol(f"m_{i}"), lam, sp.oo), t) for i, t in enumerate(tails)])
    chosen = roots[tails.index(1)]
    doc.step("Hence the closed form", sp.Eq(m, chosen))
    return chosen


@recorded
def delta_closed(*, doc):
    """``δ(λ) = γ m(λ, γ)``, the solution of (E1) for ``ν = δ₁``."""
    return gamma * stieltjes_m(doc=doc)


@recorded
def kappa_closed(*, doc):
    r"""(E2) for ``ν = δ₁``: ``κ = 1/(1 − γ m²/(1+γm)²)`` in closed form."""
    doc.section("Second order: κ and the errors")
    kap = kappa(ISOTROPIC)
    doc.step("(E2) with $\\nu = \\delta_1$:", sp.Eq(sp.Symbol("kappa"), kap))
    kap_m = sp.simplify(kap.subs(delta, gamma * m))
    doc.step(r"With $\delta = \gamma m$:", sp.Eq(sp.Symbol("kappa"), kap_m))
    return kap_m.subs(m, stieltjes_m(doc=doc))


@recorded
def gen_error(*, doc):
    r"""``lim E_gen = lim tr(D^{-1} R Σ R D^{-1})/d = −∂_λ m / m²`` (isotropic, any spike θ).

    ``D = diag R → m I`` and ``R² ≍ −∂_λ R̄``; (E2) gives the same value as ``κ``, which is
    checked symbolically. A rank-one spike changes the normalised trace by ``O(1/d)``.
    """
    mm = stieltjes_m(doc=doc)
    kap = kappa_closed(doc=doc)
    doc.step(r"$E_{\rm gen} = \frac1d\operatorname{tr}(D^{-1}R\Sigma RD^{-1})$ with $D\to mI$ and "
             r"$\Sigma = I$ (a rank-one spike contributes $O(1/d)$); $R^2 = -\partial_\lambda R$ and "
             r"$R \asymp \bar R = m I$ give $E_{\rm gen} = -\partial_\lambda m / m^2$:")
    derivative = sp.diff(mm, lam)
    egen = sp.simplify(-derivative / mm**2)
    doc.step("", sp.Eq(sp.Symbol(r"E_{\rm gen}"), egen))
    difference = sp.simplify(egen - kap)
    doc.step(r"(E2) gives $R\Sigma R \asymp \kappa \bar R^2$, i.e. $E_{\rm gen} = \kappa$; SymPy "
             r"simplifies the difference of the two routes to", sp.Eq(sp.Symbol(r"E_{\rm gen}") - sp.Symbol("kappa"), difference))
    check(difference == 0, "E_gen: the route −∂_λm/m² and the (E2) route κ differ")
    return egen


@recorded
def train_error(*, doc):
    r"""``lim E_train = (m + λ ∂_λ m)/m²``.

    ``X − XÂᵀ = X R D^{-1}`` so ``E_train = tr(D^{-1} R S R D^{-1})/d``; ``RSR = R − λR²`` and
    ``R² ≍ −∂_λ R̄``.
    """
    mm = stieltjes_m(doc=doc)
    doc.step(r"$X - X\hat A^\top = X R D^{-1}$, so $E_{\rm train} = \frac1d \operatorname{tr}"
             r"(D^{-1} R S R D^{-1})$ with $RSR = R - \lambda R^2$ and $R^2 = -\partial_\lambda R$:")
    etrain = sp.simplify((mm + lam * sp.diff(mm, lam)) / mm**2)
    doc.step("", sp.Eq(sp.Symbol(r"E_{\rm train}"), etrain))
    return etrain


_CLOSED = {"m": stieltjes_m, "gen-error": gen_error, "train-error": train_error}


@recorded
def ridgeless_limit(name: str, regime: str, *, doc):
    r"""``lim_{λ→0⁺}`` of ``m``, ``gen-error`` or ``train-error`` for ``regime`` ``"gamma<1"``/``"gamma>1"``.

    >>> ridgeless_limit("gen-error", "gamma<1")
    -1/(gamma - 1)
    """
    expr = _CLOSED[name](doc=doc)
    rewritten = in_regime(expr, regime)
    limit = sp.limit(rewritten, lam, 0, "+")
    result = sp.simplify(limit.subs(k, _BACK[regime]))
    label = {"gamma<1": r"\gamma<1", "gamma>1": r"\gamma>1"}[regime]
    doc.step(rf"Ridgeless limit of ${name}$ for ${label}$ (SymPy substitutes "
             rf"$\gamma = {sp.latex(REGIMES[regime])}$ with $k>0$, takes $\lambda\to0^+$ and substitutes back):",
             sp.Eq(sp.Limit(sp.Symbol(name.replace("-", r"\_")), lam, 0, "+"), result))
    return result


@recorded
def large_ridge_limit(name: str, *, doc):
    r"""``lim_{λ→∞}`` of ``m·λ`` (for ``"m"``), ``gen-error`` or ``train-error``.

    >>> large_ridge_limit("train-error")
    1
    """
    expr = _CLOSED[name](doc=doc)
    target = lam * expr if name == "m" else expr
    result = sp.limit(target, lam, sp.oo)
    what = r"$\lambda m$" if name == "m" else name
    doc.step(f"Large-ridge limit of {what}:",
             sp.Eq(sp.Limit(sp.Symbol("lambda m" if name == "m" else name.replace("-", r"\_")), lam, sp.oo), result))
    return result


@recorded
def resolvent_quadratic(*, doc):
    r"""The quadratic for ``g(z) = lim (1/d) tr (S − z)^{-1}``: :func:`stieltjes_quadratic` at ``λ = −z``.

    ``(S + λ)^{-1}`` continued to ``λ = −z`` is the resolvent of ``S``; returned as a
    polynomial expression in the symbol ``g`` with coefficients in ``γ`` and ``z``.
    """
    doc.section("The spectrum of S (Marchenko–Pastur)")
    quad = stieltjes_quadratic(doc=doc).subs({lam: -z, m: _g})
    doc.step(r"The resolvent $g(z) = \frac1d\operatorname{tr}(S-z)^{-1}$ is $m$ continued to $\lambda = -z$:",
             sp.Eq(quad, 0))
    return quad


@recorded
def mp_edges(*, doc):
    r"""``[z₋, z₊]``: the edges of the Marchenko–Pastur bulk, roots of the discriminant in ``z``.

    >>> from derive.symbols import gamma
    >>> [e.subs(gamma, 4) for e in mp_edges()]
    [1, 9]
    """
    quad = resolvent_quadratic(doc=doc)
    disc = sp.factor(sp.discriminant(quad, _g))
    doc.step("The density lives where the two roots are complex: the discriminant in $g$ is", sp.Eq(sp.Symbol(r"\Delta"), disc))
    roots = sp.solve(disc, z)
    check(len(roots) == 2, "MP edges: the discriminant in g does not have exactly two roots in z")
    lower, upper = sorted(roots, key=lambda r: r.subs(gamma, 2))
    gap = sp.simplify(upper - lower)
    check(gap.is_positive, "MP edges: z₊ − z₋ is not positive")
    doc.step(r"Its roots are the edges (their difference is positive):", [sp.Eq(sp.Symbol("z_-"), lower), sp.Eq(sp.Symbol("z_+"), upper), sp.Eq(sp.Symbol("z_+") - sp.Symbol("z_-"), gap)])
    return [lower, upper]


@recorded
def mp_density(*, doc):
    r"""Density of the continuous part of the spectrum of ``S`` at ``x ∈ (z₋, z₊)``: ``Im g(x + i0)/π``.

    Branch: for ``z = x + i0`` inside the bulk the roots of the quadratic are complex
    conjugate; the Stieltjes transform of a positive measure has ``Im g > 0`` for ``Im z > 0``,
    which selects the root with positive imaginary part.
    """
    quad = resolvent_quadratic(doc=doc).subs(z, x)
    poly = sp.Poly(quad, _g)
    A, B, _ = poly.all_coeffs()
    disc = sp.discriminant(quad, _g)
    P = sp.Symbol("P", positive=True)  # stands for −Δ > 0 inside the bulk
    roots = [(-B + sign * sp.I * sp.sqrt(P)) / (2 * A) for sign in (1, -1)]
    imaginary = [sp.simplify(sp.im(r)) for r in roots]
    doc.step(r"Inside the bulk $\Delta<0$; writing $-\Delta = P > 0$ the roots are $(-B\pm i\sqrt P)/(2A)$ with imaginary parts",
             imaginary)
    chosen = [v for v in imaginary if v.is_positive]
    check(len(chosen) == 1, "MP density: not exactly one root has Im g > 0 inside the bulk")
    density = sp.simplify(chosen[0].subs(P, -disc) / sp.pi)
    doc.step(r"The branch with $\operatorname{Im} g>0$ gives the density $\rho_S(x) = \operatorname{Im} g(x+i0)/\pi$:",
             sp.Eq(sp.Symbol(r"\rho_S(x)"), density))
    return density


@recorded
def atom_mass(*, doc):
    r"""Mass of the atom of ``S`` at 0: ``lim_{λ→0⁺} λ m(λ)``, per regime.

    Returns ``{"gamma<1": 0, "gamma>1": 1 − 1/γ}`` (as SymPy expressions).
    """
    mm = stieltjes_m(doc=doc)
    result = {}
    for regime in REGIMES:
        limit = sp.limit(in_regime(lam * mm, regime), lam, 0, "+")
        result[regime] = sp.simplify(limit.subs(k, _BACK[regime]))
    doc.step(r"The atom of $S$ at $0$ has mass $\lim_{\lambda\to0^+}\lambda m(\lambda)$ "
             r"(since $m = \int d\mu(s)/(s+\lambda)$): for $\gamma<1$ and $\gamma>1$",
             [sp.Eq(sp.Symbol(r"\mu(\{0\})"), result["gamma<1"]), sp.Eq(sp.Symbol(r"\mu(\{0\})"), result["gamma>1"])])
    return result


@recorded
def ssr_map(*, doc):
    r"""The eigenvalue map ``s ↦ a(s) = 1 − 1/(m (s + λ))`` from ``S`` to ``Â`` (isotropic).

    (E3) with ``D̄ = m I``: ``T = m(S + λ)``; the equation for ``δ(u)`` at ``u = m(z + λ)`` is
    the Marchenko–Pastur equation for ``δ(z)``, so ``T`` is the affine image of ``S`` and the
    eigenvalues of ``Â`` are ``a = 1 − 1/t``. Returned as an expression in ``s`` with ``m``
    replaced by its closed form.
    """
    doc.section("The spectrum of Â")
    eq_T, g_T = sample_covariance(ISOTROPIC, u, m, lam * m)
    doc.step(r"(E3) with $\bar D = m I$ (isotropic): $C = mI$, shift $\lambda m$; the equation for $\delta(u)$ and "
             r"$g_T(u) = \frac1d\operatorname{tr}(T-u)^{-1}$:", [eq_T, sp.Eq(sp.Symbol("g_T"), g_T)])
    eq_S, g_S = sample_covariance(ISOTROPIC, z)
    substituted = eq_T.rhs.subs(u, m * (z + lam))
    difference = sp.simplify(substituted - eq_S.rhs)
    doc.step(r"Substituting $u = m(z+\lambda)$ into the right side and subtracting the equation of $S$ "
             r"($\bar D = 1$, no shift) leaves", difference)
    check(difference == 0, "SSR map: the (E3) δ-equation of T at u = m(z+λ) is not that of S at z")
    ratio = sp.simplify(g_T.subs(u, m * (z + lam)) / g_S)
    doc.step(r"and $g_T(m(z+\lambda)) / g_S(z)$ simplifies to", ratio)
    check(ratio == 1 / m, "SSR map: g_T(m(z+λ))/g_S(z) is not 1/m")
    t = m * (s + lam)
    amap = 1 - 1 / t
    doc.step(r"So $t = m(s+\lambda)$ for each eigenvalue $s$ of $S$, and $\hat A \asymp I - \bar D^{-1}R$ has "
             r"eigenvalues $a = 1 - 1/t$:", sp.Eq(a, amap))
    return amap.subs(m, stieltjes_m(doc=doc))


@recorded
def ssr_edges(*, doc):
    r"""``[a₋, a₊]``: edges of the continuous bulk of ``Â``, images of ``z∓`` under :func:`ssr_map`."""
    amap = ssr_map(doc=doc)
    edges = [amap.subs(s, e) for e in mp_edges(doc=doc)]
    doc.step(r"The map is increasing in $s$, so the bulk edges of $\hat A$ are the images of $z_\mp$:",
             [sp.Eq(sp.Symbol("a_-"), sp.Symbol(r"a(z_-)")), sp.Eq(sp.Symbol("a_+"), sp.Symbol(r"a(z_+)"))])
    check(sp.simplify(sp.diff(1 - 1 / (m * (s + lam)), s) - 1 / (m * (s + lam) ** 2)) == 0,
          "SSR edges: the derivative of a(s) is not 1/(m(s+λ)²) (monotonicity of the map)")
    return edges


@recorded
def ssr_atom(*, doc):
    r"""Location and mass of the atom of ``Â`` for ``γ > 1``: ``(1 − 1/(mλ), 1 − 1/γ)``."""
    location = ssr_map(doc=doc).subs(s, 0)
    mass = atom_mass(doc=doc)["gamma>1"]
    doc.step(r"For $\gamma>1$ the $d-n$ zero eigenvalues of $S$ map to an atom of $\hat A$ at $a(0)$ with mass",
             [sp.Eq(sp.Symbol("a_0"), sp.Symbol(r"1 - \frac{1}{m\lambda}")), sp.Eq(sp.Symbol(r"\mu(\{a_0\})"), mass)])
    return location, mass


@recorded
def ssr_density(*, doc):
    r"""Density of the continuous part of the spectrum of ``Â`` at ``a``: ``ρ_S(s(a)) · ds/da``."""
    inverse = sp.solve(sp.Eq(a, 1 - 1 / (m * (s + lam))), s)
    check(len(inverse) == 1, "SSR density: a = 1 − 1/(m(s+λ)) does not have a unique inverse s(a)")
    s_of_a = inverse[0]
    jacobian = sp.simplify(sp.diff(s_of_a, a))
    doc.step(r"Inverting the map and differentiating (change of variables):",
             [sp.Eq(s, s_of_a), sp.Eq(sp.Derivative(s, a), jacobian)])
    density = mp_density(doc=doc).subs(x, s_of_a) * jacobian
    doc.step(r"$\rho_{\hat A}(a) = \rho_S(s(a))\, \frac{ds}{da}$ with $m = m(\lambda,\gamma)$.")
    return density.subs(m, stieltjes_m(doc=doc))


def in_m(expr, *, eliminate_lambda: bool = False):
    r"""``expr`` rewritten in the symbol ``m`` on the branch chosen by :func:`stieltjes_m`.

    The closed form is ``m = (γ − λ − 1 + √r)/(2γλ)``; SymPy solves this (linear) relation for the
    square root, ``√r = 2γλm − γ + λ + 1``, and substitutes it, so the rewriting is exact on that
    branch (other square roots, such as ``√γ``, are kept). With ``eliminate_lambda`` it also
    substitutes the solution ``λ(m)`` of the quadratic :func:`stieltjes_quadratic` (linear in ``λ``)
    and factors the result, a rational function of ``m`` and ``γ``.

    >>> in_m(ssr_map())
    1 - 1/(m*(lambda + s))
    >>> in_m(train_error(), eliminate_lambda=True)
    1/(gamma**2*m**2 - gamma*m**2 + 2*gamma*m + 1)
    """
    closed = stieltjes_m()
    roots = [p for p in closed.atoms(sp.Pow) if p.exp == sp.S.Half]
    check(len(roots) == 1, "in_m: the closed form of m does not hold exactly one square root")
    root, placeholder = roots[0], sp.Dummy("r")
    solved = sp.solve(sp.Eq(m, closed.subs(root, placeholder)), placeholder)
    check(len(solved) == 1, "in_m: the closed form of m is not uniquely solvable for its square root")
    result = expr.subs(root, solved[0])
    check(not result.has(root), "in_m: the square root of the closed form of m is left in the expression")
    if eliminate_lambda:
        solved = sp.solve(stieltjes_quadratic(), lam)
        check(len(solved) == 1, "in_m: the quadratic of m is not uniquely solvable for λ")
        result = sp.factor(sp.cancel(sp.together(result.subs(lam, solved[0]))))
    return result


#: Rational ``(γ, λ)`` on both sides of ``γ = 1`` at which :func:`headline` compares forms numerically.
_POINTS = ({gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5)}, {gamma: 3, lam: sp.Rational(2, 7)},
           {gamma: sp.Rational(7, 5), lam: 3})


def _check_in_m(short, derived, what: str) -> str:
    """:func:`derive.checks.check_same` of a form in ``m`` (closed form substituted) and a derived one."""
    return check_same(short.subs(m, stieltjes_m()), derived, f"isotropic headline: {what}", points=_POINTS)


@functools.lru_cache(maxsize=None)
def headline() -> tuple:
    r"""The rows (:class:`derive.record.Row`) of the table "Headline results" of ``isotropic.md``.

    Each form is SymPy's rewriting of a derived closed form (in ``m`` by :func:`in_m`, or by
    substituting ``m̄ = m``, ``δ = γm`` into (E2), or factored), checked equal to it.

    >>> headline()[1].form
    1/(-gamma*m**2/(gamma*m + 1)**2 + 1)
    """
    closed, quadratic = stieltjes_m(), stieltjes_quadratic()
    e_gen, e_train = sp.Symbol(r"E_{\rm gen}"), sp.Symbol(r"E_{\rm train}")
    rows = [Row(r"Marchenko–Pastur transform $m(\lambda,\gamma) = \lim \frac1d\operatorname{tr}(S+\lambda)^{-1}$",
                closed, rf"the root of ${sp.latex(quadratic)} = 0$ with $m > 0$ and $\lambda m \to 1$ as "
                        r"$\lambda\to\infty$",
                check_same(sp.expand(quadratic.subs(m, closed)), 0, "isotropic headline: m solves its quadratic")
                + " (solves the quadratic)")]
    short_gen = kappa(ISOTROPIC).subs(mean_resolvent(ISOTROPIC), m).subs(delta, gamma * m)
    rows.append(Row(r"generalisation error $E_{\rm gen}$", short_gen,
                    r"$= \kappa$, (E2) at $\bar m = m$ and $\delta = \gamma m$; any $\lambda > 0$",
                    _check_in_m(short_gen, gen_error(), "E_gen in m")))
    short_train = in_m(train_error(), eliminate_lambda=True)
    rows.append(Row(r"training error $E_{\rm train}$", short_train,
                    r"$\lambda$ eliminated with the quadratic of $m$",
                    _check_in_m(short_train, train_error(), "E_train in m")))
    for regime, label in (("gamma<1", r"\gamma < 1"), ("gamma>1", r"\gamma > 1")):
        m0 = ridgeless_limit("m", regime)
        limits = [ridgeless_limit(name, regime) for name in ("gen-error", "train-error")]
        at_m0 = [sp.limit(f, m, sp.oo) if m0 == sp.oo else f.subs(m, m0) for f in (short_gen, short_train)]
        how = check_same(at_m0, limits, f"isotropic headline: ridgeless limits for {regime}")
        rows.append(Row(rf"ridgeless limits, ${label}$",
                        [sp.Eq(sp.Limit(e, lam, 0, "+"), lim) for e, lim in zip((e_gen, e_train), limits)],
                        rf"$\lambda\to0^+$, where $m \to {sp.latex(m0)}$",
                        f"{how} (the two forms above as $m \\to {sp.latex(m0)}$)"))
    root_gamma = sp.Symbol("g", positive=True)  # γ = g² lets SymPy factor over √γ
    edges = mp_edges()
    squares = [sp.factor(e.subs(gamma, root_gamma**2)).subs(root_gamma, sp.sqrt(gamma)) for e in edges]
    rows.append(Row(r"bulk edges of $S$ (Marchenko–Pastur)",
                    [sp.Eq(sp.Symbol("z_-"), squares[0]), sp.Eq(sp.Symbol("z_+"), squares[1])],
                    r"roots of the discriminant in $g$; the density is supported on $[z_-, z_+]$",
                    check_same(squares, edges, "isotropic headline: MP edges")))
    amap = in_m(ssr_map())
    rows.append(Row(r"eigenvalue map $S \to \hat A$", sp.Eq(sp.Function("a")(s), amap),
                    r"$a$ is increasing: the bulk of $\hat A$ is $[a(z_-), a(z_+)]$",
                    _check_in_m(amap, ssr_map(), "SSR map in m")))
    location, mass = ssr_atom()
    location_m = in_m(location)
    rows.append(Row(r"atom of $\hat A$", [sp.Eq(sp.Symbol("a_0"), location_m), sp.Eq(sp.Symbol(r"\mu(\{a_0\})"), mass)],
                    r"$\gamma > 1$ only: the image $a(0)$ of the $d - n$ zero eigenvalues of $S$",
                    _check_in_m(location_m, location, "SSR atom in m")))
    return tuple(rows)
