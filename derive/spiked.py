r"""Rank-one spike ``Σ = I + θ v vᵀ`` over the isotropic bulk: BBP threshold, outliers, overlaps.

One mechanism serves both estimators. PCA reads (E3)–(E4) for ``S`` itself (``D̄ = 1``, no
shift); SSR reads them for ``T = D̄^{1/2}(S + λ)D̄^{1/2}`` with ``D̄ = m I`` and shift ``λm``
(the eigenvalues of ``Â`` are ``1 − 1/t``). For each, SymPy

1. solves the (E3) equation for the spectral parameter as a function of ``δ`` and finds the
   upper bulk edge where that function is stationary (``δ ∈ (−1, 0)``, matched against the
   discriminant edge of :func:`derive.isotropic.mp_edges`);
2. solves (E3) and (E4) jointly for the outlier ``(u*, δ*)``;
3. equates ``δ*(θ)`` with the edge value of ``δ``: the BBP threshold ``θ_c``;
4. computes the squared overlap as minus the residue of ``vᵀ(T − u)^{-1} v`` at ``u*``, with
   ``δ'(u)`` from implicit differentiation of (E3).

>>> from derive.symbols import gamma
>>> threshold("pca")
sqrt(gamma)
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import sympy as sp

from derive.checks import check, check_same
from derive.equations import ISOTROPIC, sample_covariance, spike_secular
from derive.isotropic import in_m, mp_edges, ssr_map, stieltjes_m
from derive.record import Row, recorded
from derive.tables import entry
from derive.symbols import delta, gamma, lam, m, s, theta, u, z

__all__ = ["METHODS", "secular_system", "outlier_spectral", "threshold", "outlier", "overlap", "edge_delta",
           "headline"]


def _tidy(expr):
    """Rationalise and simplify (``(γ − γ^{3/2})/(√γ − γ)`` becomes ``√γ``)."""
    return sp.simplify(sp.radsimp(expr))


def _ssr_estimate(star, doc):
    r"""The outlier ``a* = 1 − 1/u*`` of ``Â`` from the outlier ``u*`` of ``T`` (checked to be ``a(z*)``)."""
    mm = stieltjes_m(doc=doc)
    location = sp.simplify(1 - 1 / star)
    doc.step(r"The outlier of $\hat A$ is $1 - 1/u^*$ (with $m = m(\lambda,\gamma)$); it equals the map "
             r"$a(s)$ of the spectrum applied to the PCA outlier, as SymPy checks:", sp.Eq(sp.Symbol(r"a^*"), location))
    pca_star, _ = outlier_spectral("pca", doc=doc)
    amap = ssr_map(doc=doc)
    check(sp.simplify(location.subs(m, mm) - amap.subs(s, pca_star)) == 0,
          "SSR outlier: 1 − 1/u* is not the map a(s) applied to the PCA outlier")
    return location.subs(m, mm)


class _Setting(NamedTuple):
    r"""(E3)–(E4) for one estimator: they are read for the ``matrix`` (``S`` or ``T``) in the
    ``spectral`` symbol with scale ``D̄`` and ``shift``; ``edge`` maps the upper Marchenko–Pastur
    edge ``z₊`` of ``S`` to the upper edge of that matrix (``T = m(S + λ)``: ``m(z₊ + λ)``);
    ``estimate(star, doc)`` turns the outlier of the matrix into that of the estimate; ``intro``
    opens the document's first section."""

    matrix: str
    spectral: sp.Symbol
    scale: object
    shift: object
    edge: Callable
    estimate: Callable
    intro: str = ""


_SETTINGS = {
    "pca": _Setting("S", z, 1, 0, edge=lambda upper: upper, estimate=lambda star, doc: star,
                    intro="PCA works with $S$ ($\\bar D = 1$, no shift); SSR with "
                          "$T = \\bar D^{1/2}(S+\\lambda)\\bar D^{1/2}$, $\\bar D = mI$, shift $\\lambda m$, "
                          "whose eigenvalues $t$ give those of $\\hat A$ as $1 - 1/t$."),
    "ssr": _Setting("T", u, m, lam * m, edge=lambda upper: m * (upper + lam), estimate=_ssr_estimate),
}

METHODS = tuple(_SETTINGS)


def _setting(method) -> _Setting:
    """The :class:`_Setting` of ``method`` (a ``ValueError`` naming the valid methods otherwise)."""
    return entry(_SETTINGS, method, "method")


@recorded
def secular_system(method: str, *, doc):
    r"""``(F, G, f)``: numerators of (E3) and (E4), and ``f`` with ``vᵀ(T − u)^{-1}v ≍ 1/f(u)``."""
    setting = _setting(method)
    spectral, scale, shift, name = setting.spectral, setting.scale, setting.shift, setting.matrix
    doc.section(f"{method.upper()}: outlier, threshold and overlap", setting.intro)
    eq, _ = sample_covariance(ISOTROPIC, spectral, scale, shift)
    secular = spike_secular(ISOTROPIC, spectral, scale, shift)
    doc.step(rf"(E3) and (E4) for ${name}$ with the isotropic bulk:", [eq, sp.Eq(secular, 0)])
    C = sp.sympify(scale) * (1 + theta)
    quadratic = C / (1 + delta) + shift - spectral
    doc.step(rf"With $C = \bar D^{{1/2}}\Sigma\bar D^{{1/2}} = {sp.latex(scale)}(I + \theta vv^\top)$, the deterministic "
             rf"equivalent gives $v^\top({name} - {sp.latex(spectral)})^{{-1}}v \asymp 1/f$ with", sp.Eq(sp.Symbol("f"), quadratic))
    F = sp.numer(sp.together(eq.lhs - eq.rhs))
    G = sp.numer(sp.together(secular))
    return F, G, quadratic


@recorded
def edge_delta(method: str, *, doc):
    r"""``(δ_e, u₊)``: the value of ``δ`` at the upper bulk edge and the edge itself."""
    setting = _setting(method)
    spectral = setting.spectral
    F, _, _ = secular_system(method, doc=doc)
    solved = sp.solve(F, spectral)
    check(len(solved) == 1, f"{method} edge: (E3) does not have a unique solution for the spectral variable")
    inverse = solved[0]
    doc.step(rf"Solving (E3) for ${sp.latex(spectral)}$ as a function of $\delta$:", sp.Eq(spectral, inverse))
    critical = sp.solve(sp.diff(inverse, delta), delta)
    doc.step(rf"The bulk edges are the stationary points of ${sp.latex(spectral)}(\delta)$:",
             [sp.Eq(delta, c) for c in critical])
    upper = setting.edge(mp_edges(doc=doc)[1])
    matches = [c for c in critical if sp.simplify(inverse.subs(delta, c) - upper) == 0]
    check(len(matches) == 1, f"{method} edge: not exactly one critical δ maps to the upper bulk edge")
    doc.step(rf"The one whose image is the upper edge (SymPy checks ${sp.latex(spectral)}(\delta_e) = "
             rf"{sp.latex(upper)}$) is", sp.Eq(sp.Symbol(r"\delta_e"), _tidy(matches[0])))
    return _tidy(matches[0]), upper


@recorded
def outlier_spectral(method: str, *, doc):
    r"""``(u*, δ*)``: the joint solution of (E3) and (E4) (outlier of ``S`` or of ``T``)."""
    spectral = _setting(method).spectral
    F, G, _ = secular_system(method, doc=doc)
    solutions = sp.solve([F, G], [spectral, delta], dict=True)
    check(len(solutions) == 1, f"{method} outlier: (E3)–(E4) do not have a unique joint solution")
    star, delta_star = sp.factor(solutions[0][spectral]), solutions[0][delta]
    doc.step("Solving (E3) and (E4) jointly:", [sp.Eq(sp.Symbol(sp.latex(spectral) + "^*"), star),
                                                  sp.Eq(sp.Symbol(r"\delta^*"), delta_star)])
    return star, delta_star


@recorded
def threshold(method: str, *, doc):
    r"""The BBP threshold ``θ_c``: the spike strength at which the outlier meets the upper edge.

    >>> from derive.symbols import gamma
    >>> threshold("ssr")
    sqrt(gamma)
    """
    delta_e, _ = edge_delta(method, doc=doc)
    _, delta_star = outlier_spectral(method, doc=doc)
    roots = [r for r in map(_tidy, sp.solve(sp.Eq(delta_star, delta_e), theta)) if r.is_positive]
    check(len(roots) == 1, f"{method} threshold: δ*(θ) = δ_e does not have exactly one positive root θ")
    doc.step(r"The outlier meets the edge when $\delta^*(\theta) = \delta_e$; the positive root is the threshold",
             sp.Eq(sp.Symbol(r"\theta_c"), roots[0]))
    return roots[0]


@recorded
def outlier(method: str, *, doc):
    r"""Limit of the top eigenvalue of ``S`` (pca) or of ``Â`` (ssr) for ``θ > θ_c``.

    >>> from derive.symbols import gamma, theta
    >>> outlier("pca").subs({gamma: sp.Rational(1, 2), theta: 2})
    15/4
    """
    star, _ = outlier_spectral(method, doc=doc)
    return _setting(method).estimate(star, doc)


@recorded
def overlap(method: str, *, doc):
    r"""Limit of ``cos²(v, ·)`` for the top eigenvector of ``S`` (pca) or top right eigenvector of ``Â`` (ssr).

    The spectral projector of the outlier is ``−Res_{u*} (T − u)^{-1}``; with
    ``vᵀ(T−u)^{-1}v ≍ 1/f(u)`` this is ``−1/f'(u*)``. For SSR, ``D̄ = mI`` is scalar, so the
    right eigenvector ``r = D̄^{-1/2} y`` is parallel to ``y``.

    >>> from derive.symbols import gamma, theta
    >>> overlap("pca").subs({gamma: sp.Rational(1, 2), theta: 2})
    7/10
    """
    spectral = _setting(method).spectral
    F, _, f = secular_system(method, doc=doc)
    star, delta_star = outlier_spectral(method, doc=doc)
    d_delta = -sp.diff(F, spectral) / sp.diff(F, delta)
    doc.step(rf"Implicit differentiation of (E3): $\delta'({sp.latex(spectral)}) = -F_{{{sp.latex(spectral)}}}/F_\delta$ with",
             sp.Eq(sp.Symbol("F"), F))
    derivative = sp.diff(f, spectral) + sp.diff(f, delta) * d_delta
    value = sp.factor(sp.simplify(-1 / derivative.subs({spectral: star, delta: delta_star})))
    doc.step(rf"Minus the residue of $1/f$ at the outlier, $-1/f'({sp.latex(spectral)}^*)$:",
             sp.Eq(sp.Symbol(r"|\langle v, \hat v\rangle|^2"), value))
    return value


#: Rational ``(γ, λ, θ)`` above the threshold at which :func:`headline` compares forms numerically.
_POINTS = ({gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5), theta: 2},
           {gamma: 3, lam: sp.Rational(2, 7), theta: 5}, {gamma: sp.Rational(7, 5), lam: 3, theta: sp.Rational(3, 2)})


@functools.lru_cache(maxsize=None)
def headline() -> tuple:
    r"""The rows (:class:`derive.record.Row`) of the table "Headline results" of ``spiked.md``.

    The PCA forms are SymPy's factorisations of the derived ones; the SSR outlier is the map
    ``a(s) = 1 − 1/(m(s+λ))`` (:func:`derive.isotropic.in_m` of :func:`derive.isotropic.ssr_map`)
    applied to the PCA outlier, checked equal to :func:`outlier` ``("ssr")``.

    >>> headline()[1].form
    (gamma + theta)*(theta + 1)/theta
    """
    def same(short, derived, what):
        return check_same(short, derived, f"spiked headline: {what}", points=_POINTS)

    critical = threshold("pca")
    above = r"$\theta > \theta_c$"
    rows = [Row(r"BBP threshold $\theta_c$ (PCA and SSR)", critical,
                r"an outlier separates iff $\theta > \theta_c$; positive root of $\delta^*(\theta) = \delta_e$",
                same(threshold("ssr"), critical, "SSR and PCA thresholds") + " (SSR = PCA)")]
    pca_outlier = sp.factor(outlier("pca"))
    rows.append(Row(r"PCA outlier $z^*$ (top eigenvalue of $S$)", pca_outlier,
                    above + r"; below, the top eigenvalue sticks to the edge $z_+$",
                    same(pca_outlier, outlier("pca"), "PCA outlier")))
    pca_overlap = sp.factor(overlap("pca"))
    rows.append(Row(r"PCA overlap $\vert\langle v, \hat v\rangle\vert^2$", pca_overlap, above + "; 0 below",
                    same(pca_overlap, overlap("pca"), "PCA overlap")))
    ssr_outlier = in_m(ssr_map()).subs(s, pca_outlier)
    rows.append(Row(r"SSR outlier $a^*$ (top eigenvalue of $\hat A$)", ssr_outlier,
                    above + r"; the image $a(z^*)$ of the PCA outlier, $m = m(\lambda,\gamma)$",
                    same(ssr_outlier.subs(m, stieltjes_m()), outlier("ssr"), "SSR outlier")))
    ssr_overlap = sp.factor(overlap("ssr"))
    rows.append(Row(r"SSR overlap (top right eigenvector of $\hat A$)", ssr_overlap,
                    above + r"; $\bar D = mI$ is scalar, so it is the PCA overlap",
                    same(ssr_overlap, overlap("ssr"), "SSR overlap") + " (= PCA: "
                    + same(ssr_overlap, pca_overlap, "SSR and PCA overlaps") + ")"))
    return tuple(rows)
