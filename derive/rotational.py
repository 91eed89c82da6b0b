r"""Rotational (Haar) eigenbasis: SSR is an affine image of PCA, and the errors in terms of ``δ``.

With ``Σ₀ = O diag(σ²) Oᵀ`` and ``O`` Haar-orthogonal, every diagonal entry of ``R`` tends to the
same ``m̄ = ∫ dν(s)/(s/(1+δ)+λ)`` ((E1) of docs/theory.md), so ``D̄ = m̄ I`` and
``T = D̄^{1/2}(S + λ)D̄^{1/2} = m̄(S + λ)``. SymPy checks, on the encoded (E3)–(E4) for a
symbolic two-atom law ``ν = w δ_{s₁} + (1−w) δ_{s₂}`` (or any law passed in), that the equations
of ``T`` at ``u = m̄(z + λ)`` are *identically* those of ``S`` at ``z``. Hence the spectrum and
the outlier of ``Â`` are the images of those of ``S`` under ``a(z) = 1 − 1/(m̄(z+λ))``, and SSR
and PCA share the BBP threshold. The errors follow from (E1)–(E2) with ``D̄ = m̄ I``.

>>> affine_map()
mbar*(lambda + z)
"""
from __future__ import annotations

import functools

import sympy as sp

from derive.checks import check, check_same
from derive.equations import ISOTROPIC, first_order, kappa, mean_resolvent, sample_covariance, spike_secular
from derive.heteroscedastic import TWO_ATOM, pca_threshold_condition
from derive.isotropic import in_m, ssr_map
from derive.record import Row, recorded
from derive.symbols import a, delta, gamma, lam, m, s, u, z

__all__ = [
    "mbar",
    "delta_slope_symbol",
    "affine_map",
    "eigenvalue_map",
    "threshold",
    "delta_slope",
    "gen_error",
    "train_error",
    "headline",
]

#: ``m̄ = ∫ dν/(s/(1+δ)+λ)``, the common limit of the ``R_kk`` in the rotational basis.
mbar = sp.Symbol("mbar", positive=True)
#: ``δ'(λ)``, the derivative of the solution of (E1).
delta_slope_symbol = sp.Symbol("deltaprime", real=True)


def _law(law):
    return tuple((sp.sympify(atom), sp.sympify(weight)) for atom, weight in law)


def _is_zero(expr) -> bool:
    return sp.cancel(sp.together(expr)) == 0 or sp.simplify(expr) == 0


@recorded
def affine_map(law=TWO_ATOM, *, doc):
    r"""``u = m̄(z + λ)``: (E3)–(E4) of ``T = m̄(S + λ)`` at ``u`` are those of ``S`` at ``z``.

    SymPy checks, for ``law``, that the ``δ``-equations coincide, that ``g_T(u) = g_S(z)/m̄`` and
    that the secular functions (E4) coincide; each difference simplifies to 0.

    >>> from sympy import Rational
    >>> affine_map(((Rational(1, 2), Rational(1, 3)), (2, Rational(1, 3)), (5, Rational(1, 3))))
    mbar*(lambda + z)
    """
    law = _law(law)
    doc.section("SSR in the rotational basis is an affine image of PCA",
                r"With a Haar eigenbasis $R_{kk} \to \bar m = \int d\nu(s)/(s/(1+\delta)+\lambda)$ on every "
                r"coordinate, so $\bar D = \bar m I$ and $T = \bar m (S + \lambda)$: (E3)–(E4) with scale $\bar m$ and "
                r"shift $\lambda\bar m$ on every atom. (E3) and (E4) for $S$ only involve the spectrum of $\Sigma_0$ "
                r"(and a generic $v$), so they are the same in both bases.")
    eq_T, g_T = sample_covariance(law, u, mbar, lam * mbar)
    secular_T = spike_secular(law, u, mbar, lam * mbar)
    doc.step(r"(E3) and (E4) for $T$, with $g_T(u) = \lim\frac1d\operatorname{tr}(T-u)^{-1}$:",
             [eq_T, sp.Eq(sp.Symbol("g_T"), g_T), sp.Eq(secular_T, 0)])
    eq_S, g_S = sample_covariance(law, z)
    secular_S = spike_secular(law, z)
    doc.step(r"and for $S$ (scale $1$, no shift):", [eq_S, sp.Eq(sp.Symbol("g_S"), g_S), sp.Eq(secular_S, 0)])
    at = {u: mbar * (z + lam)}
    differences = [sp.simplify(eq_T.rhs.subs(at) - eq_S.rhs), sp.simplify(secular_T.subs(at) - secular_S)]
    ratio = sp.simplify(g_T.subs(at) / g_S)
    doc.step(r"At $u = \bar m(z+\lambda)$ SymPy simplifies the differences of the right sides of the "
             r"$\delta$-equations and of the secular functions, and the ratio $g_T/g_S$, to",
             [sp.Eq(sp.Symbol(r"\Delta_{\rm (E3)}"), differences[0]), sp.Eq(sp.Symbol(r"\Delta_{\rm (E4)}"), differences[1]),
              rf"g_T/g_S = {sp.latex(ratio)}"])
    check(differences[0] == 0, "rotational: the (E3) δ-equation of T at u = m̄(z+λ) is not that of S at z")
    check(differences[1] == 0, "rotational: the (E4) secular function of T at u = m̄(z+λ) is not that of S at z")
    check(ratio == 1 / mbar, "rotational: g_T(m̄(z+λ))/g_S(z) is not 1/m̄")
    doc.step(r"So $\delta_T(\bar m(z+\lambda)) = \delta_S(z)$ on the same branch, $g_T(\bar m(z+\lambda)) = "
             r"g_S(z)/\bar m$ (the law of $T$ is the push-forward of that of $S$ by $z \mapsto \bar m(z+\lambda)$), "
             r"and the outliers correspond: $u^* = \bar m(z^*+\lambda)$. (Indeed $T - u = \bar m(S - z)$, so even the "
             r"spectral projectors, hence the eigenvector overlaps, coincide.)")
    return mbar * (z + lam)


@recorded
def eigenvalue_map(law=TWO_ATOM, *, doc):
    r"""``a(z) = 1 − 1/(m̄(z + λ))``: eigenvalue of ``Â`` for an eigenvalue ``z`` of ``S``; increasing.

    Bulk edges and the outlier of ``Â`` are the images of those of ``S`` (with ``m̄`` from (E1)).

    >>> eigenvalue_map()
    1 - 1/(mbar*(lambda + z))
    """
    image = affine_map(law, doc=doc)
    amap = 1 - 1 / image
    slope = sp.simplify(sp.diff(amap, z))
    check(_is_zero(slope - 1 / (mbar * (z + lam) ** 2)), "rotational: a'(z) is not 1/(m̄(z+λ)²)")
    doc.step(r"The eigenvalues of $\hat A \asymp I - \bar D^{-1}R$ are $a = 1 - 1/t$ for those $t$ of $T$; composed "
             r"with the affine map, an eigenvalue $z$ of $S$ becomes", sp.Eq(a, amap))
    doc.step(r"whose derivative is positive for $z > -\lambda$, so the bulk edges and the outlier of $\hat A$ are the "
             r"images of those of $S$: $a_\pm = a(z_\pm)$, $a^* = 1 - 1/(\bar m(z^*+\lambda))$.",
             sp.Eq(sp.Derivative(a, z), slope))
    return amap


@recorded
def threshold(law=TWO_ATOM, *, doc):
    r"""``θ_c`` of SSR in the rotational basis: the PCA threshold ``1/∫ dν/(ℓ_e − s)`` (any ``λ``).

    Since (E3)–(E4) of ``T`` at ``m̄(z+λ)`` are those of ``S`` at ``z`` and the map is increasing,
    the SSR outlier exists exactly when the PCA outlier does. ``ℓ_e`` is the largest root of
    ``γ∫ s²/(ℓ−s)² dν = 1`` (:func:`derive.heteroscedastic.pca_threshold_condition`); for
    ``ν = δ₁`` this is ``√γ``.
    """
    eigenvalue_map(law, doc=doc)
    edge, critical = pca_threshold_condition(law, doc=doc)
    doc.step(r"The outlier $u^*(\theta)$ of $T$ leaves the bulk at its upper edge $u_+ = \bar m(z_+ + \lambda)$ "
             r"exactly when $z^*(\theta)$ leaves the bulk of $S$ at $z_+$: **SSR and PCA have the same threshold** in "
             r"the rotational basis, for every $\lambda$. With the PCA edge condition (derived in "
             r"`heteroscedastic.md`) "
             rf"(${sp.latex(edge)} = 0$ at $\ell = \ell_e$, the largest root):",
             sp.Eq(sp.Symbol(r"\theta_c^{\rm SSR} = \theta_c^{\rm PCA}"), critical))
    return critical


@recorded
def delta_slope(law=TWO_ATOM, *, doc):
    r"""``δ'(λ)`` by implicit differentiation of (E1): ``−∂_λF/∂_δF`` with ``F = δ − γ∫ s/(s/(1+δ)+λ) dν``."""
    law = _law(law)
    doc.section("Training and generalisation errors (rotational basis)")
    e1 = first_order(law)
    F = e1.lhs - e1.rhs
    doc.step("(E1) as $F(\\delta, \\lambda) = 0$:", sp.Eq(sp.Symbol("F"), F))
    slope = -sp.diff(F, lam) / sp.diff(F, delta)
    neat = -gamma * kappa(law) * sum(weight * atom / (atom / (1 + delta) + lam) ** 2 for atom, weight in law)
    check(_is_zero(slope - neat), "δ'(λ): implicit differentiation of (E1) is not −γκ∫sR̄(s)²dν")
    doc.step(r"Implicit differentiation, $\delta'(\lambda) = -\partial_\lambda F/\partial_\delta F$; the "
             r"denominator is $1/\kappa$ of (E2), so SymPy confirms $\delta'(\lambda) = -\gamma\kappa\int s\bar R(s)^2\,d\nu$:",
             sp.Eq(delta_slope_symbol, -gamma * sp.Symbol("kappa")
                   * sum(weight * atom / (atom / (1 + delta) + lam) ** 2 for atom, weight in law)))
    return neat


@recorded
def gen_error(law=TWO_ATOM, *, doc):
    r"""``lim E_gen = κ ∫ s/(s/(1+δ)+λ)² dν / m̄²`` in the rotational basis, with ``δ`` from (E1).

    ``I − Â = D^{-1}R`` with ``D → m̄ I``, so ``E_gen = tr(RΣR)/(d m̄²)``; (E2) gives
    ``RΣR ≍ κ R̄ΣR̄`` and the normalised trace of ``R̄ Σ₀ R̄`` is ``∫ s R̄(s)² dν`` (a rank-one spike
    contributes ``O(1/d)``). For ``ν = δ₁`` it reduces to ``κ`` (checked), the isotropic result.
    """
    law = _law(law)
    delta_slope(law, doc=doc)
    mean = mean_resolvent(law)
    trace = sum(weight * atom / (atom / (1 + delta) + lam) ** 2 for atom, weight in law)
    kap = kappa(law)
    egen = kap * trace / mean**2
    doc.step(r"$E_{\rm gen} = \frac1d\operatorname{tr}((I-\hat A)\Sigma(I-\hat A)^\top)$ with $I - \hat A = D^{-1}R$, "
             r"$D \to \bar m I$; by (E2) $R\Sigma R \asymp \kappa\bar R\Sigma\bar R$ and "
             r"$\frac1d\operatorname{tr}\bar R\Sigma_0\bar R = \int s\,\bar R(s)^2\,d\nu$:",
             [sp.Eq(sp.Symbol(r"\bar m"), mean), sp.Eq(sp.Symbol("kappa"), kap),
              sp.Eq(sp.Symbol(r"E_{\rm gen}"), sp.Symbol("kappa") * trace / sp.Symbol(r"\bar m") ** 2)])
    isotropic = (kappa(ISOTROPIC) * sum(w * s / (s / (1 + delta) + lam) ** 2 for s, w in ISOTROPIC)
                 / mean_resolvent(ISOTROPIC) ** 2)
    check(_is_zero(isotropic - kappa(ISOTROPIC)), "rotational E_gen: for ν = δ₁ it does not reduce to κ")
    doc.step(r"For $\nu = \delta_1$ ($\int s\bar R^2 = \bar m^2$) SymPy reduces it to $\kappa$, the isotropic "
             r"$E_{\rm gen}$ of `isotropic.md`.")
    return egen


@recorded
def train_error(law=TWO_ATOM, *, doc):
    r"""``lim E_train = (m̄ + λ ∂_λ m̄)/m̄²`` in the rotational basis, as an expression in ``δ``.

    ``X − XÂᵀ = X R D^{-1}`` with ``D → m̄ I``: ``E_train = tr(RSR)/(d m̄²)``, ``RSR = R − λR²`` and
    ``tr R²/d → −∂_λ m̄``. The total derivative ``∂_λ m̄ + ∂_δ m̄ · δ'(λ)`` uses :func:`delta_slope`.
    """
    law = _law(law)
    slope = delta_slope(law, doc=doc)
    mean = mean_resolvent(law)
    total = sp.diff(mean, lam) + sp.diff(mean, delta) * delta_slope_symbol
    etrain_slope = (mean + lam * total) / mean**2
    doc.step(r"$E_{\rm train} = \frac{1}{nd}\|X - X\hat A^\top\|_F^2 = \frac1d\operatorname{tr}(D^{-1}RSRD^{-1})$, "
             r"$RSR = R - \lambda R^2$ and $\frac1d\operatorname{tr}R^2 \to -\frac{d\bar m}{d\lambda}$ with the total "
             r"derivative $\frac{d\bar m}{d\lambda} = \partial_\lambda\bar m + \partial_\delta\bar m\,\delta'(\lambda)$:",
             sp.Eq(sp.Symbol(r"E_{\rm train}"), etrain_slope))
    etrain = etrain_slope.subs(delta_slope_symbol, slope)
    doc.step(r"and with $\delta'(\lambda)$ from implicit differentiation, an expression in $\delta$ alone "
             r"($\delta = \delta(\lambda)$ from (E1)).")
    return etrain


@functools.lru_cache(maxsize=None)
def headline() -> tuple:
    r"""The rows (:class:`derive.record.Row`) of the table "Headline results" of ``rotational.md``.

    For the two-atom law :data:`derive.heteroscedastic.TWO_ATOM`. The errors are shown with the
    symbols ``κ`` (E2), ``m̄`` and ``R̄_i = 1/(s_i/(1+δ)+λ)`` substituted into the derived forms;
    substituting back gives the derived forms exactly.

    >>> headline()[3].form
    kappa*(Rbar_1**2*s_1*w + Rbar_2**2*s_2*(1 - w))/mbar**2
    """
    law = _law(TWO_ATOM)
    resolvents = sp.symbols(f"Rbar_1:{len(law) + 1}", positive=True)
    kappa_symbol = sp.Symbol("kappa")
    compact = {atom / (1 + delta) + lam: 1 / r for (atom, _), r in zip(law, resolvents)}
    expand = {r: 1 / (atom / (1 + delta) + lam) for (atom, _), r in zip(law, resolvents)}

    def short(expr):
        return expr.subs({kappa(law): kappa_symbol, mean_resolvent(law): mbar}).subs(compact)

    def same(form, derived, what):
        back = form.subs(kappa_symbol, kappa(law)).subs(mbar, mean_resolvent(law)).subs(expand)
        return check_same(back, derived, f"rotational headline: {what}")

    amap = eigenvalue_map(TWO_ATOM)
    isotropic_map = in_m(ssr_map()).subs(s, z)
    mean_short, kappa_short = mean_resolvent(law).subs(compact), kappa(law).subs(compact)
    rows = [Row(r"eigenvalue map $S \to \hat A$", sp.Eq(sp.Function("a")(z), amap),
                rf"any $\lambda$; $\bar m = {sp.latex(mean_short)}$, "
                + ", ".join(f"${sp.latex(sp.Eq(r, value))}$" for r, value in expand.items())
                + r"; edges and outlier of $\hat A$ are $a(z_\pm)$, $a(z^*)$",
                check_same(amap.subs(mbar, m), isotropic_map,
                           "rotational headline: the map for ν = δ₁") + r" (the isotropic $a$ at $\bar m = m$)")]
    critical = threshold(TWO_ATOM)
    rows.append(Row(r"BBP threshold $\theta_c$ (SSR = PCA)", critical,
                    r"every $\lambda$; at the largest root $\ell_e$ of the PCA edge condition (`heteroscedastic.md`)",
                    check_same(critical, pca_threshold_condition(TWO_ATOM)[1], "rotational headline: threshold")
                    + " (= PCA)"))
    slope = short(delta_slope(TWO_ATOM))
    rows.append(Row(r"$\delta'(\lambda)$", slope,
                    rf"$\delta = \delta(\lambda) > 0$ solves (E1); $\kappa = {sp.latex(kappa_short)}$",
                    same(slope, delta_slope(TWO_ATOM), "δ'(λ)")))
    for name, derived in ((r"generalisation error $E_{\rm gen}$", gen_error(TWO_ATOM)),
                          (r"training error $E_{\rm train}$", train_error(TWO_ATOM))):
        form = short(derived)
        rows.append(Row(name, form, r"$\delta$, $\kappa$, $\bar m$, $\bar R_i$ as above", same(form, derived, name)))
    return tuple(rows)
