r"""Random masks with ratio ``p`` (the masking section of docs/theory.md): the ratio-``p`` estimator, its effective ridge, and the
isotropic spectrum, spike and masked errors.

Each coordinate is masked independently with probability ``p ∈ [0, 1)``; row ``k`` of the estimator
minimises the expected masked loss of ``x_k`` given that ``k`` is masked. SymPy

1. computes that expectation over the masks on an explicit symbolic ``S`` and solves the normal
   equations (:func:`per_row_solution`): the rows are those of the closed form (:func:`estimator`)

       Â_p = (1/(1−p)) (I − diag(G⁻¹)⁻¹ G⁻¹),   G = (1−p)S + p·diag(S) + λ/(1−p) I
           = (1/(1−p)) (I − diag(R_p)⁻¹ R_p),    R_p = (S + B_S)⁻¹,  B_S = G/(1−p) − S diagonal;

2. replaces ``diag(S)`` by ``s̄ I`` (rotational basis, ``s̄ = ∫ s dν``; isotropic ``s̄ = 1``): ``B_S``
   becomes the scalar ridge ``λ_eff`` (:func:`effective_ridge`) and ``Â_p ≍ Â(λ_eff)/(1−p)``;
3. substitutes ``λ → λ_eff`` into the derived isotropic and spiked closed forms of
   :mod:`derive.isotropic` and :mod:`derive.spiked` (:func:`m`, :func:`edges`, :func:`density`,
   :func:`threshold`, :func:`outlier`, :func:`overlap`);
4. expands the masked test error ``E(q)`` and the masked training loss ``L_p`` in entries of
   ``R_p`` and applies the deterministic equivalents (E1)–(E2) at the masking ridge (:func:`gen_error`,
   :func:`train_error`; :func:`gen_error_implicit` for a discrete law in either basis);
5. expands in small ``p`` (:func:`threshold_series`) and takes the ridgeless limit of the diagonal
   basis (:func:`ridgeless_threshold`).

``p < 1`` is encoded where SymPy needs it as ``p = k/(1+k)`` with ``k > 0``.

>>> from derive.symbols import lam, p
>>> effective_ridge(1)
(lambda - p**2 + p)/(p - 1)**2
>>> effective_ridge(1).subs(p, 0)
lambda
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import NamedTuple

import sympy as sp

from derive import isotropic, spiked
from derive.checks import check, check_same
from derive.equations import ISOTROPIC, first_order, kappa, mean_resolvent, sample_covariance, spike_secular, law_atoms, law_latex
from derive.heteroscedastic import TWO_ATOM, ridgeless_threshold as _ridgeless_threshold_p0
from derive.record import Row, recorded
from derive.tables import entry
from derive.rotational import threshold as _rotational_threshold
from derive.symbols import a, delta, gamma, k, lam, p, q, s, theta, z
from derive.symbols import m as _m

__all__ = [
    "sbar",
    "lam_eff",
    "kappa_eff",
    "BASES",
    "estimator",
    "per_row_solution",
    "effective_ridge",
    "m",
    "edges",
    "density",
    "threshold",
    "outlier",
    "overlap",
    "error_in_entries",
    "gen_error",
    "train_error",
    "gen_error_implicit",
    "threshold_series",
    "ridgeless_threshold",
    "headline",
]

#: ``s̄ = ∫ s dν``, the common limit of the diagonal entries of ``S`` in the rotational basis.
sbar = sp.Symbol("sbar", positive=True)
#: ``λ_eff``, the scalar ridge that masking adds up to (:func:`effective_ridge`).
lam_eff = sp.Symbol("lambda_eff", positive=True)
#: ``κ = κ(λ_eff)``, the (E2) factor at the effective ridge.
kappa_eff = sp.Symbol("kappa", positive=True)

#: ``0 ≤ p < 1`` as ``p = k/(1+k)``, ``k > 0`` (SymPy cannot assume ``p < 1``).
_BELOW_ONE = {p: k / (1 + k)}

# Entries of the per-coordinate error (row k), as scalar symbols.
_SIG, _DEL, _RKK = sp.Symbol(r"\Sigma_{kk}"), sp.Symbol(r"\Delta_{kk}"), sp.Symbol("R_{kk}")
_RS, _RSR, _RDR = sp.Symbol(r"(R\Sigma)_{kk}"), sp.Symbol(r"(R\Sigma R)_{kk}"), sp.Symbol(r"(R\Delta R)_{kk}")
_AS, _ASA, _ADA = sp.Symbol(r"(A\Sigma)_{kk}"), sp.Symbol(r"(A\Sigma A^\top)_{kk}"), sp.Symbol(r"(A\Delta A^\top)_{kk}")
# Training: the same entries with Σ → S, Δ → diag(S); B_S = diag(b_k).
_TRAIN = {_SIG: sp.Symbol("S_{kk}"), _DEL: sp.Symbol(r"\Delta^S_{kk}"), _RS: sp.Symbol("(RS)_{kk}"),
          _RSR: sp.Symbol("(RSR)_{kk}"), _RDR: sp.Symbol(r"(R\Delta^S R)_{kk}")}
_B, _RR, _RBR = sp.Symbol("b_k"), sp.Symbol("(R^2)_{kk}"), sp.Symbol("(RBR)_{kk}")
_E_K, _L_K = sp.Symbol("E_k"), sp.Symbol("L_k")


def _is_zero(expr) -> bool:
    return sp.cancel(sp.together(expr)) == 0 or sp.simplify(expr) == 0


def _tidy(expr):
    """A rational function as (expanded numerator)/(factored denominator): ``(λ + p s̄ − p² s̄)/(p − 1)²``."""
    together = sp.factor(expr)
    return sp.expand(sp.numer(together)) / sp.denom(together)


def _symmetric(name: str, size: int, positive_diagonal: bool = True) -> sp.Matrix:
    """A symmetric ``size × size`` matrix of symbols ``name_{ij}`` (``i ≤ j``)."""
    entries = {}
    for i in range(size):
        for j in range(i, size):
            entries[i, j] = entries[j, i] = sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True,
                                                      positive=(i == j and positive_diagonal) or None)
    return sp.Matrix(size, size, lambda i, j: entries[i, j])


def _diag(M: sp.Matrix) -> sp.Matrix:
    return sp.diag(*[M[i, i] for i in range(M.shape[0])])


def _gram(S: sp.Matrix, ratio=p, ridge=lam) -> sp.Matrix:
    """``G = (1−p)S + p·diag(S) + λ/(1−p) I``, the Gram matrix of the expected masked loss."""
    return (1 - ratio) * S + ratio * _diag(S) + ridge / (1 - ratio) * sp.eye(S.shape[0])


def _from_inverse(inverse: sp.Matrix, ratio=p) -> sp.Matrix:
    """``(1/(1−p))(I − diag(M)⁻¹M)`` for ``M`` = ``inverse`` (zero diagonal by construction).

    Only the ratios ``M_kj/M_kk`` enter, so ``M`` may be any multiple of the inverse (e.g. the adjugate).
    """
    size = inverse.shape[0]
    return sp.Matrix(size, size, lambda i, j: 0 if i == j else -inverse[i, j] / inverse[i, i] / (1 - ratio))


def estimator(S, ratio=p, ridge=lam) -> sp.Matrix:
    r"""The ratio-``p`` estimator ``Â_p = (1/(1−p))(I − diag(G⁻¹)⁻¹G⁻¹)`` for a SymPy matrix ``S``.

    ``G = (1−p)S + p·diag(S) + λ/(1−p) I``; ``ratio`` and ``ridge`` default to the symbols
    ``p`` and ``λ``. :func:`per_row_solution` checks that its rows minimise the expected masked loss.
    ``p = 0`` gives the SSR estimator ``I − diag(R)⁻¹R``, ``R = (S + λ)⁻¹``.

    >>> estimator(sp.Matrix([[2, 1], [1, 2]]), 0, 1)
    Matrix([
    [  0, 1/3],
    [1/3,   0]])
    >>> estimator(sp.Matrix([[2, 1], [1, 2]]), sp.Rational(1, 2), 1)
    Matrix([
    [  0, 1/4],
    [1/4,   0]])
    """
    S, ratio, ridge = sp.Matrix(S), sp.sympify(ratio), sp.sympify(ridge)
    return _from_inverse(_gram(S, ratio, ridge).adjugate(), ratio)  # adj G = det(G) G⁻¹: the scale cancels


def _masked_loss(row, moments: sp.Matrix, ratio, index: int):
    """``E_M[(x_k − Σ_{j≠k} row_j (1−M_j) x_j)²]``, ``M_j ~ Bernoulli(ratio)`` i.i.d., second moments ``moments``.

    The expectation is the weighted sum over the ``2^{d−1}`` masks of the other coordinates.
    """
    size = moments.shape[0]
    others = [j for j in range(size) if j != index]
    total = sp.Integer(0)
    for mask in itertools.product((0, 1), repeat=len(others)):
        weight = sp.Mul(*[ratio if hidden else 1 - ratio for hidden in mask])
        coefficients = sp.zeros(size, 1)
        coefficients[index] = 1
        for j, hidden in zip(others, mask):
            coefficients[j] -= row[j] * (1 - hidden)
        total += weight * (coefficients.T * moments * coefficients)[0, 0]
    return sp.expand(total)


@recorded
def per_row_solution(size: int = 3, *, doc):
    r"""``(S, Â)``: a symbolic symmetric ``S`` (``size × size``) and the matrix whose row ``k`` minimises

        E_M[(x_k − Σ_{j≠k} a_j (1−M_j) x_j)² | M_k = 1] + λ‖a‖²,   a_k = 0,

    with ``M_j ~ Bernoulli(p)`` independent and second moments ``S``. SymPy takes the expectation
    (a sum over the masks), solves the normal equations row by row, and checks (exactly) that the
    result is the closed form :func:`estimator` (Schur complement of ``G``), and that
    ``G = (1−p)(S + B_S)`` with ``B_S = (p/(1−p)) diag(S) + λ/(1−p)² I`` diagonal.

    >>> S, A = per_row_solution(2)
    >>> A[0, 1]
    (-S_12*p + S_12)/(-S_22*p + S_22 + lambda)
    """
    doc.section("The ratio-p estimator from the expected masked loss",
                rf"An explicit symmetric ${size}\times{size}$ matrix $S$ of symbols; coordinate $k$ is masked and "
                r"predicted from the visible ones, each other coordinate hidden with probability $p$.")
    S = _symmetric("S", size)
    doc.step(r"Second moments:", sp.Eq(sp.Symbol("S"), S, evaluate=False))
    rows = []
    for index in range(size):
        others = [j for j in range(size) if j != index]
        unknowns = [sp.Symbol(f"a_{j + 1}", real=True) for j in others]
        row = [0] * size
        for j, unknown in zip(others, unknowns):
            row[j] = unknown
        loss = _masked_loss(row, S, p, index) + lam * sum(v**2 for v in unknowns)
        hessian = sp.hessian(loss, unknowns) / 2
        gradient = sp.Matrix([-sp.diff(loss, v).subs({w: 0 for w in unknowns}) / 2 for v in unknowns])
        check(_is_zero(sp.expand(loss - (S[index, index] - 2 * (sp.Matrix(unknowns).T * gradient)[0, 0]
                                         + (sp.Matrix(unknowns).T * hessian * sp.Matrix(unknowns))[0, 0]))),
              "per-row solution: the expected masked loss is not quadratic in a")
        solution = hessian.LUsolve(gradient)
        gram = _gram(S)
        check(all(_is_zero(e) for e in hessian - (1 - p) * gram.extract(others, others)),
              "per-row solution: the Hessian of the masked loss is not (1−p) G restricted to the visible coordinates")
        check(all(_is_zero(e) for e in gradient - gram.extract(others, [index])),
              "per-row solution: the linear term of the masked loss is not the column k of G")
        if index == 0:
            labels = [sp.Symbol(r"\mathbb{E}[(1-M_j)^2]"), sp.Symbol(r"\mathbb{E}[(1-M_j)(1-M_l)]_{j \ne l}")]
            moments = [sp.factor(sum(sp.Mul(*[p if h else 1 - p for h in mask]) * sp.Mul(*[1 - h for h in mask[:n]])
                                     for mask in itertools.product((0, 1), repeat=2))) for n in (1, 2)]
            doc.step(r"Averaging over the masks of the other coordinates (SymPy sums over the $2^{d-1}$ masks) "
                     r"gives the mask moments", [sp.Eq(label, moment) for label, moment in zip(labels, moments)])
            check(_is_zero(moments[0] - (1 - p)) and _is_zero(moments[1] - (1 - p) ** 2),
                  "per-row solution: the mask moments are not 1−p and (1−p)²")
            doc.step(rf"so the loss of row $k = 1$ is the quadratic $S_{{11}} - 2a^\top h + a^\top H a$ in "
                     rf"$a = ({', '.join(sp.latex(v) for v in unknowns)})$ with",
                     [sp.Eq(sp.Symbol("H"), hessian, evaluate=False), sp.Eq(sp.Symbol("h"), gradient, evaluate=False)])
            doc.step(r"SymPy checks that $H = (1-p)\,G_{-k,-k}$ and $h = G_{-k,k}$ for "
                     r"$G = (1-p)S + p\operatorname{diag}(S) + \frac{\lambda}{1-p}I$; the normal equations "
                     r"$Ha = h$ give $a = G_{-k,-k}^{-1}G_{-k,k}/(1-p)$, and by the Schur complement "
                     r"$(G^{-1})_{-k,k} = -G_{-k,-k}^{-1}G_{-k,k}\,(G^{-1})_{kk}$:",
                     sp.Eq(sp.Symbol(r"a_j"), -sp.Symbol(r"(G^{-1})_{kj}") / ((1 - p) * sp.Symbol(r"(G^{-1})_{kk}"))))
        full = [0] * size
        for j, value in zip(others, solution):
            full[j] = value
        rows.append(full)
    solved = sp.Matrix(rows)
    closed = estimator(S)
    check(all(_is_zero(e) for e in solved - closed),
          "per-row solution: the minimisers of the masked losses are not the rows of (1/(1−p))(I − diag(G⁻¹)⁻¹G⁻¹)")
    doc.step(rf"SymPy solves the normal equations of all ${size}$ rows and checks, entry by entry (the differences "
             r"cancel to $0$), that they are the rows of the closed form", sp.Eq(sp.Symbol(r"\hat A_p"), sp.Symbol(
                 r"\frac{1}{1-p}\left(I - \operatorname{diag}(G^{-1})^{-1}G^{-1}\right)")))
    shift = sp.simplify(_gram(S) / (1 - p) - S)
    check(all(shift[i, j] == 0 for i in range(size) for j in range(size) if i != j),
          "per-row solution: G/(1−p) − S is not diagonal")
    doc.step(r"$G/(1-p) - S$ is diagonal: $G = (1-p)(S + B_S)$ with $B_S = \operatorname{diag}(b_k)$, so with "
             r"$R_p = (S + B_S)^{-1} = (1-p)G^{-1}$ the estimator is "
             r"$\hat A_p = \frac{1}{1-p}(I - \operatorname{diag}(R_p)^{-1}R_p)$ (the factor $1-p$ cancels in "
             r"$\operatorname{diag}(G^{-1})^{-1}G^{-1}$):", sp.Eq(sp.Symbol("b_1"), _tidy(shift[0, 0])))
    R_p = (S + shift).adjugate()  # a multiple of (S + B_S)⁻¹; only the ratios R_kj/R_kk enter
    check(all(_is_zero(e) for e in _from_inverse(R_p) - closed), "per-row solution: the R_p form differs from the G form")
    ssr = _from_inverse((S + lam * sp.eye(size)).adjugate(), 0)
    check(all(_is_zero(e) for e in closed.subs(p, 0) - ssr), "per-row solution: p = 0 does not give I − diag(R)⁻¹R")
    doc.step(r"At $p = 0$ it is the SSR estimator $I - \operatorname{diag}(R)^{-1}R$, $R = (S+\lambda)^{-1}$ (checked).")
    return S, solved


@recorded
def _ridge_general(*, doc):
    """``λ_eff`` in ``s̄``: the diagonal ridge ``B_S`` of :func:`per_row_solution` with ``diag(S) → s̄ I``."""
    doc.section("Masking is a ridge: the effective ridge λ_eff",
                r"In the large-$d$ limit $\operatorname{diag}(S) \to \operatorname{diag}(\Sigma)$ (each entry "
                r"concentrates, the error is $O(n^{-1/2})$ in operator norm up to logarithms); in the rotational basis "
                r"$\operatorname{diag}(\Sigma) \to \bar s I$, $\bar s = \int s\,d\nu$ (a rank-one spike changes each "
                r"entry by $O(1/d)$).")
    S = _symmetric("S", 2)
    shift = sp.simplify(_gram(S) / (1 - p) - S)
    rotational = {S[0, 0]: sbar, S[1, 1]: sbar}
    replaced = shift.subs(rotational)
    check(replaced[0, 1] == 0 and replaced[1, 0] == 0 and _is_zero(replaced[0, 0] - replaced[1, 1]),
          "effective ridge: B_S with diag(S) = s̄ I is not a multiple of I")
    ridge = _tidy(replaced[0, 0])
    doc.step(r"$B_S = G/(1-p) - S$ with $\operatorname{diag}(S)$ replaced by $\bar s I$ is the scalar ridge "
             r"$\lambda_{\rm eff} I$:", sp.Eq(lam_eff, ridge))
    gram = _gram(S).subs(rotational)
    resolvent = (S.subs(rotational) + ridge * sp.eye(2)).inv()
    check(all(_is_zero(e) for e in gram.inv() - resolvent / (1 - p)),
          "effective ridge: G⁻¹ is not R(λ_eff)/(1−p)")
    check(all(_is_zero(e) for e in _from_inverse(gram.inv()) - _from_inverse(resolvent)),
          "effective ridge: the scale 1/(1−p) does not cancel in diag(G⁻¹)⁻¹G⁻¹")
    doc.step(r"SymPy checks (on a symbolic $2\times2$ $S$) that then $G^{-1} = R(\lambda_{\rm eff})/(1-p)$, "
             r"$R(\lambda) = (S+\lambda)^{-1}$, and that the scale cancels in $\operatorname{diag}(G^{-1})^{-1}G^{-1}$:",
             sp.Eq(sp.Symbol(r"\hat A_p"), sp.Symbol(r"\frac{1}{1-p}\hat A(\lambda_{\rm eff})")))
    check(ridge.subs(p, 0) == lam, "effective ridge: p = 0 does not give λ")
    positive = sp.factor(ridge.subs(_BELOW_ONE))
    check(positive.is_positive, "effective ridge: λ_eff is not positive for 0 ≤ p < 1")
    doc.step(rf"At $p = 0$ it is $\lambda$; for $0 < p < 1$ (SymPy substitutes $p = {sp.latex(_BELOW_ONE[p])}$, "
             r"$k > 0$) it is positive:", sp.Eq(lam_eff, positive))
    return ridge


@recorded
def effective_ridge(mean=sbar, *, doc):
    r"""``λ_eff = (p s̄ + λ/(1−p))/(1−p)`` with ``s̄`` = ``mean`` (default the symbol :data:`sbar`).

    The diagonal ridge ``B_S = (p/(1−p)) diag(S) + λ/(1−p)² I`` of :func:`per_row_solution` with
    ``diag(S) → s̄ I``; then ``G = (1−p)(S + λ_eff I)``, ``G⁻¹ = R(λ_eff)/(1−p)`` and
    ``Â_p ≍ Â(λ_eff)/(1−p)``. Isotropic: ``mean = 1``; diagonal basis: ``mean = s``, the per-coordinate
    masking ridge ``b(s)``. ``p = 0`` gives ``λ``.

    >>> effective_ridge()
    (lambda - p**2*sbar + p*sbar)/(p - 1)**2
    """
    general = _ridge_general(doc=doc)
    if mean == sbar:
        return general
    result = general.subs(sbar, mean)
    doc.step(rf"With $\bar s = {sp.latex(mean)}$:", sp.Eq(lam_eff, result))
    return result


def _isotropic_ridge(doc=None):
    return effective_ridge(1, doc=doc)


@recorded
def m(*, doc):
    r"""``lim (1/d) tr R_p`` (isotropic), ``R_p = (S + B_S)⁻¹``: ``m(λ_eff, γ)``, :func:`derive.isotropic.stieltjes_m`
    at ``λ = λ_eff``. Same branch (``m > 0``, ``λ_eff m → 1`` as ``λ_eff → ∞``).

    >>> from derive.symbols import gamma, lam, p
    >>> m().subs({gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5), p: 0}).evalf(20)
    1.2169905660283019057
    """
    doc.section("Isotropic bulk at ratio p: λ → λ_eff",
                r"For $\nu = \delta_1$, $B_S \asymp \lambda_{\rm eff} I$ and every closed form of `isotropic.md` and "
                r"`spiked.md` holds at $\lambda = \lambda_{\rm eff}$; SymPy substitutes.")
    ridge = _isotropic_ridge(doc)
    closed = isotropic.stieltjes_m(doc=doc)
    result = closed.subs(lam, ridge)
    check(_is_zero(result.subs(p, 0) - closed), "masked m: p = 0 does not give m(λ)")
    doc.step(r"$m_p = \lim\frac1d\operatorname{tr}R_p = m(\lambda_{\rm eff}, \gamma)$:", sp.Eq(sp.Symbol("m_p"), result))
    return result


@recorded
def edges(*, doc):
    r"""``[a₋, a₊]``: edges of the bulk of ``Â_p`` (isotropic), the SSR edges at ``λ_eff`` divided by ``1 − p``.

    The eigenvalues of ``Â_p ≍ Â(λ_eff)/(1−p)`` are those of ``Â(λ_eff)`` times ``1/(1−p) > 0``.

    >>> from derive.symbols import gamma, lam, p
    >>> [sp.simplify(e.subs(p, 0) - b) for e, b in zip(edges(), isotropic.ssr_edges())]
    [0, 0]
    """
    ridge = _isotropic_ridge(doc)
    bulk = isotropic.ssr_edges(doc=doc)
    scale = 1 / (1 - p)
    check(sp.factor(scale.subs(_BELOW_ONE)).is_positive, "masked edges: 1/(1−p) is not positive for p < 1")
    result = [edge.subs(lam, ridge) * scale for edge in bulk]
    doc.step(r"The eigenvalues of $\hat A_p \asymp \hat A(\lambda_{\rm eff})/(1-p)$ are those of "
             r"$\hat A(\lambda_{\rm eff})$ times $1/(1-p) > 0$ (order kept), so the bulk edges are",
             [sp.Eq(sp.Symbol(r"a_{\pm}^{(p)}"), sp.Symbol(r"\frac{a_\pm(\lambda_{\rm eff})}{1-p}"))])
    check(all(_is_zero(e.subs(p, 0) - b) for e, b in zip(result, bulk)), "masked edges: p = 0 does not give the SSR edges")
    return result


@recorded
def density(*, doc):
    r"""Density at ``a`` of the bulk of ``Â_p`` (isotropic): ``(1−p) ρ((1−p)a)``, ``ρ`` the SSR density at ``λ_eff``.

    >>> from derive.symbols import a, gamma, lam, p
    >>> value = density().subs({gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5), p: 0, a: sp.Rational(1, 2)})
    >>> abs(value - isotropic.ssr_density().subs({gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5),
    ...                                            a: sp.Rational(1, 2)})).evalf(30) < 1e-25
    True
    """
    ridge = _isotropic_ridge(doc)
    base = isotropic.ssr_density(doc=doc)
    unscaled = sp.Symbol("a_0", real=True)
    (inverse,) = sp.solve(sp.Eq(a, unscaled / (1 - p)), unscaled)
    jacobian = sp.diff(inverse, a)
    doc.step(r"An eigenvalue $a_0$ of $\hat A(\lambda_{\rm eff})$ is $a = a_0/(1-p)$ for $\hat A_p$; inverting and "
             r"differentiating (change of variables):",
             [sp.Eq(unscaled, inverse), sp.Eq(sp.Derivative(unscaled, a), jacobian)])
    result = base.subs(a, inverse).subs(lam, ridge) * jacobian
    doc.step(r"$\rho_p(a) = \rho_{\hat A}(a_0(a))\,\frac{da_0}{da}$ with $\rho_{\hat A}$ of `isotropic.md` at "
             r"$\lambda = \lambda_{\rm eff}$.")
    return result


@recorded
def threshold(*, doc):
    r"""The BBP threshold of ``Â_p`` (isotropic): the SSR threshold at ``λ_eff``, ``√γ`` — free of ``p``.

    >>> threshold()
    sqrt(gamma)
    """
    ridge = _isotropic_ridge(doc)
    critical = spiked.threshold("ssr", doc=doc)
    result = critical.subs(lam, ridge)
    check(sp.diff(result, p) == 0, "masked threshold: the isotropic threshold depends on p")
    doc.step(r"The eigenvectors of $\hat A_p$ are those of $\hat A(\lambda_{\rm eff})$ and the eigenvalues are scaled "
             r"by $1/(1-p)$, so the outlier separates exactly when it does for SSR at $\lambda_{\rm eff}$. That "
             r"threshold does not involve $\lambda$, so **$p$ drops out** ($\partial_p\theta_c = 0$):",
             sp.Eq(sp.Symbol(r"\theta_c^{(p)}"), result))
    return result


@recorded
def outlier(*, doc):
    r"""Limit of the top eigenvalue of ``Â_p`` (isotropic, ``θ > √γ``): the SSR outlier at ``λ_eff`` over ``1 − p``.

    >>> from derive.symbols import gamma, lam, p, theta
    >>> point = {gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5), theta: 2}
    >>> outlier().subs(point).subs(p, 0) == spiked.outlier("ssr").subs(point)
    True
    """
    ridge = _isotropic_ridge(doc)
    star = spiked.outlier("ssr", doc=doc)
    result = star.subs(lam, ridge) / (1 - p)
    doc.step(r"The outlier of $\hat A_p$ is the SSR outlier $a^*$ at $\lambda_{\rm eff}$ divided by $1-p$:",
             sp.Eq(sp.Symbol(r"a^*_p"), sp.Symbol(r"\frac{a^*(\lambda_{\rm eff})}{1-p}")))
    return result


@recorded
def overlap(*, doc):
    r"""Limit of ``cos²(v, top right eigenvector of Â_p)`` (isotropic, ``θ > √γ``): the SSR overlap at ``λ_eff``.

    It does not involve ``λ`` (it is the PCA overlap), hence not ``p``.

    >>> from derive.symbols import gamma, theta
    >>> overlap().subs({gamma: sp.Rational(1, 2), theta: 2})
    7/10
    """
    ridge = _isotropic_ridge(doc)
    value = spiked.overlap("ssr", doc=doc)
    result = value.subs(lam, ridge)
    check(sp.diff(result, p) == 0, "masked overlap: the isotropic overlap depends on p")
    doc.step(r"$\hat A_p$ and $\hat A(\lambda_{\rm eff})$ share their eigenvectors; the SSR overlap does not involve "
             r"$\lambda$, so neither $p$ (top right eigenvector $\hat v$ of $\hat A_p$):",
             sp.Eq(sp.Symbol(r"|\langle v, \hat v\rangle|^2"), result))
    return result


# ---------------------------------------------------------------- errors


@recorded
def error_in_entries(*, doc):
    r"""The masked test error of coordinate ``k`` for ``A = (1/(1−p))(I − D⁻¹R)``, ``D = diag R``, in entries.

    ``E(q) = (1/d) Σ_k E_k`` with (the masking section of docs/theory.md)
    ``E_k = Σ_kk − 2(1−q)(AΣ)_kk + (1−q)²(AΣAᵀ)_kk + q(1−q)(AΔAᵀ)_kk``, ``Δ = diag(Σ)``; SymPy checks it
    against the expectation over a fresh mask (on a symbolic ``3 × 3`` ``A`` with zero diagonal), checks
    the expansions of the three entries for ``A = c(I − D⁻¹R)`` on symbolic ``3 × 3`` ``R`` and ``Σ``,
    and substitutes them. Returned in the symbols ``Σ_kk, Δ_kk, R_kk, (RΣ)_kk, (RΣR)_kk, (RΔR)_kk``,
    ``p`` and ``q``.

    >>> sorted(map(str, error_in_entries().free_symbols))
    ['(R\\Delta R)_{kk}', '(R\\Sigma R)_{kk}', '(R\\Sigma)_{kk}', 'R_{kk}', '\\Delta_{kk}', '\\Sigma_{kk}', 'p', 'q']
    """
    doc.section("Masked errors: expansion in entries of R_p")
    formula = _SIG - 2 * (1 - q) * _AS + (1 - q) ** 2 * _ASA + q * (1 - q) * _ADA
    doc.step(r"The masked test error of a predictor $A$ ($A_{kk} = 0$) at test ratio $q$ is "
             r"$E(q) = \frac1d\sum_k E_k$ with", sp.Eq(_E_K, formula))
    size, index = 3, 0
    A = sp.Matrix(size, size, lambda i, j: 0 if i == j else sp.Symbol(f"A_{i + 1}{j + 1}", real=True))
    Sigma = _symmetric("Sigma", size)
    expected = _masked_loss(list(A.row(index)), Sigma, q, index)
    entries = {_SIG: Sigma[index, index], _AS: (A * Sigma)[index, index], _ASA: (A * Sigma * A.T)[index, index],
               _ADA: (A * _diag(Sigma) * A.T)[index, index]}
    check(_is_zero(sp.expand(expected - formula.subs(entries))),
          "masked error: E_k is not the expectation of the masked loss over a fresh mask")
    doc.step(r"SymPy checks it against the expectation of $(x_k - \sum_{j\ne k} A_{kj}(1-M_j)x_j)^2$ over $x$ "
             r"($\mathbb{E}\,xx^\top = \Sigma$) and a fresh mask ($M_j \sim$ Bernoulli$(q)$), on a symbolic $3\times3$ "
             r"$A$ with zero diagonal.")
    c = 1 / (1 - p)
    expansions = {_AS: c * (_SIG - _RS / _RKK), _ASA: c**2 * (_SIG - 2 * _RS / _RKK + _RSR / _RKK**2),
                  _ADA: c**2 * (-_DEL + _RDR / _RKK**2)}
    R = _symmetric("R", size)
    Ahat = c * (sp.eye(size) - sp.diag(*[1 / R[i, i] for i in range(size)]) * R)
    Delta = _diag(Sigma)
    explicit = {_SIG: Sigma[index, index], _DEL: Delta[index, index], _RKK: R[index, index],
                _RS: (R * Sigma)[index, index], _RSR: (R * Sigma * R)[index, index], _RDR: (R * Delta * R)[index, index]}
    products = {_AS: (Ahat * Sigma)[index, index], _ASA: (Ahat * Sigma * Ahat.T)[index, index],
                _ADA: (Ahat * Delta * Ahat.T)[index, index]}
    for symbol, expansion in expansions.items():
        check(_is_zero(products[symbol] - expansion.subs(explicit)),
              f"masked error: the expansion of {symbol} for A = c(I − D⁻¹R) is wrong")
    doc.step(r"For $A = \frac{1}{1-p}(I - D^{-1}R)$, $D = \operatorname{diag}(R)$, $R$ symmetric, the entries are "
             r"(SymPy checks each on symbolic $3\times3$ $R$ and $\Sigma$):",
             [sp.Eq(symbol, expansion) for symbol, expansion in expansions.items()])
    result = sp.collect(sp.expand(formula.subs(expansions)), [_SIG, _DEL, _RS, _RSR, _RDR], sp.factor)
    doc.step(r"Substituting:", sp.Eq(_E_K, result))
    return result


def _second_order(trace_x, trace_sigma):
    r"""(E2) at the masking ridge: ``c(X) = [γ t_X/(1+δ)²] / [1 − γ t_Σ/(1+δ)²]`` with ``t_X = (1/d) tr(ΣR̄XR̄)``."""
    weight = gamma / (1 + delta) ** 2
    return weight * trace_x / (1 - weight * trace_sigma)


def _diagonal_equivalents(law, integral, resolvent, trace_sigma, trace_identity):
    """Diagonal basis: one term per atom, ``Σ_kk = Δ_kk = s``, ``R_kk → R̄(s)``, ``(RΣ)_kk → sR̄(s)`` and
    ``(RXR)_kk → (1 + c(Σ)) sR̄(s)²`` for ``X = Σ, Δ = Σ₀``."""
    c_sigma = _second_order(trace_sigma, trace_sigma)
    return [(weight, {_SIG: atom, _DEL: atom, _RKK: resolvent(atom), _RS: atom * resolvent(atom),
                      _RSR: (1 + c_sigma) * atom * resolvent(atom) ** 2,
                      _RDR: (1 + c_sigma) * atom * resolvent(atom) ** 2}) for atom, weight in law]


def _rotational_equivalents(law, integral, resolvent, trace_sigma, trace_identity):
    """Rotational basis: one term, the diagonal entries of functions of ``Σ₀`` tend to their normalised
    traces (integrals over ``ν``), ``Δ → s̄ I``."""
    c_sigma = _second_order(trace_sigma, trace_sigma)
    mean = integral(lambda atom: atom)
    c_delta = mean * _second_order(trace_identity, trace_sigma)
    return [(sp.Integer(1), {_SIG: mean, _DEL: mean, _RKK: integral(resolvent),
                             _RS: integral(lambda atom: atom * resolvent(atom)),
                             _RSR: (1 + c_sigma) * trace_identity,
                             _RDR: mean * integral(lambda atom: resolvent(atom) ** 2) + c_delta * trace_identity})]


def _diagonal_ridge(law, integral):
    """Diagonal basis: ``b(s) = λ_eff`` at ``s̄ = s``, and (E1) summed atom by atom with each atom's ridge."""
    ridge_of = lambda atom: effective_ridge(atom)  # noqa: E731
    return ridge_of, sum(first_order(((atom, weight),)).rhs.subs(lam, ridge_of(atom)) for atom, weight in law)


def _rotational_ridge(law, integral):
    """Rotational basis: the scalar ridge ``λ_eff`` at ``s̄ = ∫ s dν`` in (E1)."""
    ridge = effective_ridge(integral(lambda atom: atom))
    return (lambda atom: ridge), first_order(law).rhs.subs(lam, ridge)


def _rotational_check(law, integral, terms, resolvent, ridge_of):
    """Rotational basis: SymPy checks ``1 + c(Σ) = κ`` of (E2) at the scalar ridge ``b(s̄)``."""
    ridge = ridge_of(integral(lambda atom: atom))
    check(_is_zero(terms[0][1][_RSR] / integral(lambda atom: atom * resolvent(atom) ** 2)
                   - kappa(law).subs(lam, ridge)), "masked E(q): 1 + c(Σ) is not κ of (E2) (rotational)")


class _Basis(NamedTuple):
    """The masked error in one basis: the deterministic ``equivalents`` of the entries (:func:`_equivalents`),
    the masking ``ridge`` ``(s ↦ b(s), right side of (E1))``, the ``where`` of the document step of
    :func:`gen_error_implicit` and a ``check`` of its terms (none: nothing to check)."""

    equivalents: Callable
    ridge: Callable
    where: str
    check: Callable = lambda law, integral, terms, resolvent, ridge_of: None


_BASES = {
    "diagonal": _Basis(_diagonal_equivalents, _diagonal_ridge,
                       "per coordinate of variance $s$ (one term per atom), "
                       "$b(s) = \\lambda_{\\rm eff}|_{\\bar s = s}$"),
    "rotational": _Basis(_rotational_equivalents, _rotational_ridge,
                         r"with $\bar s = \int s\,d\nu$ and the normalised traces of functions of "
                         r"$\Sigma_0$ for the diagonal entries", _rotational_check),
}

BASES = tuple(_BASES)


def _basis(basis) -> _Basis:
    """The :class:`_Basis` called ``basis`` (a ``ValueError`` naming the valid bases otherwise)."""
    return entry(_BASES, basis, "basis")


def _equivalents(basis: str, law, resolvent):
    r"""Deterministic equivalents of the entries of :func:`error_in_entries`, as ``[(weight, substitution)]``.

    ``resolvent(s)`` is ``R̄`` on the atom ``s`` (``1/(s/(1+δ) + b(s))``). Diagonal basis: one term per
    atom, ``Σ_kk = Δ_kk = s``, ``R_kk → R̄(s)``, ``(RΣ)_kk → sR̄(s)``, ``(RXR)_kk → x(s)R̄(s)² + c(X) sR̄(s)²``
    for ``X = Σ, Δ = Σ₀``. Rotational basis: one term, the diagonal entries of functions of ``Σ₀`` tend to
    their normalised traces (integrals over ``ν``), ``Δ → s̄ I``.
    """
    equivalents = _basis(basis).equivalents
    law = law_atoms(law)
    integral = lambda f: sum(weight * f(atom) for atom, weight in law)  # noqa: E731
    trace_sigma = integral(lambda atom: atom**2 * resolvent(atom) ** 2)
    trace_identity = integral(lambda atom: atom * resolvent(atom) ** 2)
    return equivalents(law, integral, resolvent, trace_sigma, trace_identity)


def _kappa_in_m():
    """``κ`` of (E2) for ``ν = δ₁`` in the symbol ``m`` (``m̄ = m``, ``δ = γm``)."""
    return kappa(ISOTROPIC).subs(mean_resolvent(ISOTROPIC), _m).subs(delta, gamma * _m)


def _back(expr):
    """Expand the headline symbols: ``κ → κ(m)``, ``m → m(λ_eff)``, ``λ_eff → λ_eff(p)`` (isotropic)."""
    return expr.subs(kappa_eff, _kappa_in_m()).subs(_m, m()).subs(lam_eff, _isotropic_ridge())


#: Rational ``(γ, λ, p, q, θ)`` (θ above √γ) at which the p-dependent forms are compared numerically.
_POINTS = ({gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5), p: sp.Rational(3, 10), q: sp.Rational(3, 10), theta: 2},
           {gamma: 3, lam: sp.Rational(2, 7), p: sp.Rational(1, 2), q: 0, theta: 5},
           {gamma: sp.Rational(7, 5), lam: 3, p: sp.Rational(1, 10), q: sp.Rational(3, 5), theta: sp.Rational(3, 2)})


@recorded
def _gen_error_in_kappa(*, doc):
    """``E(q)`` (isotropic) in the symbols ``κ`` and ``p``, ``q``: the entries at their deterministic equivalents."""
    entries = error_in_entries(doc=doc)
    doc.section("Masked test error E(q), isotropic")
    ((_, equivalents),) = _equivalents("rotational", ISOTROPIC, lambda atom: _m)
    doc.step(r"Deterministic equivalents for $\nu = \delta_1$ at the ridge $\lambda_{\rm eff}$ ((E1)–(E2) of `docs/theory.md` "
             r"with $\bar R = mI$, $m = m(\lambda_{\rm eff}, \gamma)$, $\Sigma \to I$, $\Delta \to I$; a rank-one "
             r"spike changes each entry and trace by $O(1/d)$): $R_{kk} \to m$, $(R\Sigma)_{kk} \to m$, and "
             r"$RXR \asymp \bar RX\bar R + c(X)\bar R\Sigma\bar R$, "
             r"$c(X) = \frac{\gamma\frac1d\operatorname{tr}(\Sigma\bar RX\bar R)/(1+\delta)^2}"
             r"{1 - \gamma\frac1d\operatorname{tr}(\Sigma\bar R\Sigma\bar R)/(1+\delta)^2}$:",
             [sp.Eq(symbol, value) for symbol, value in equivalents.items()])
    kap = _kappa_in_m()
    check(_is_zero((equivalents[_RSR] / _m**2).subs(delta, gamma * _m) - kap),
          "masked E(q): 1 + c(Σ) is not κ of (E2)")
    check(_is_zero(equivalents[_RSR] - equivalents[_RDR]), "masked E(q): (RΔR)_kk and (RΣR)_kk differ (isotropic)")
    doc.step(r"With $\delta = \gamma m$ ((E1)), SymPy identifies $1 + c(\Sigma) = 1 + c(I)$ with $\kappa$ of (E2): "
             r"$(R\Sigma R)_{kk} \to \kappa m^2$, $(R\Delta R)_{kk} \to \kappa m^2$, where", sp.Eq(kappa_eff, kap))
    in_kappa = {_SIG: sp.Integer(1), _DEL: sp.Integer(1), _RKK: _m, _RS: _m, _RSR: kappa_eff * _m**2, _RDR: kappa_eff * _m**2}
    check(all(_is_zero(equivalents[key].subs(delta, gamma * _m) - value.subs(kappa_eff, kap))
              for key, value in in_kappa.items()), "masked E(q): the κ form of the equivalents differs")
    value = sp.factor(sp.cancel(entries.subs(in_kappa) - 1)) + 1
    check(not value.has(_m), "masked E(q): m does not cancel from the κ form")
    doc.step(r"Substituting, $m$ cancels and SymPy factors", sp.Eq(sp.Symbol("E(q)"), value))
    return value


@recorded
def gen_error(*, doc):
    r"""Masked test error ``E(q)`` of ``Â_p`` (isotropic), in ``γ, λ, p, q``: ``1 + (1−q)(κ−1)/(1−p)²``,
    ``κ`` the (E2) factor at ``λ_eff``.

    From :func:`error_in_entries` with the deterministic equivalents (E1)–(E2) at ``λ_eff`` and the
    closed form of ``m(λ_eff)``. At ``p = q = 0`` it is :func:`derive.isotropic.gen_error` (checked).

    >>> from derive.symbols import gamma, lam, p, q
    >>> point = {gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5)}
    >>> abs((gen_error().subs({p: 0, q: 0}) - isotropic.gen_error()).subs(point).evalf(30)) < 1e-25
    True
    >>> gen_error().subs({q: 1})
    1
    """
    in_kappa = _gen_error_in_kappa(doc=doc)
    m(doc=doc)
    result = _back(in_kappa)
    how = check_same(result.subs({p: 0, q: 0}), isotropic.gen_error(), "masked E(q) at p = q = 0", points=_POINTS)
    doc.step(rf"With $\kappa = \kappa(m)$ and $m = m(\lambda_{{\rm eff}}, \gamma)$ this is the closed form in "
             rf"$\gamma, \lambda, p, q$. At $p = q = 0$ it is $E_{{\rm gen}}$ of `isotropic.md` ({how}).")
    return result


@recorded
def _train_error_in_kappa(*, doc):
    """``L_p`` (isotropic) in the symbols ``m``, ``κ``, ``λ_eff`` and ``p``."""
    doc.section("Masked training loss L_p, isotropic")
    entries = error_in_entries(doc=doc).subs(q, p).subs(_TRAIN)
    train = {value: key for key, value in _TRAIN.items()}
    doc.step(r"The masked training loss is the same expression with $\Sigma \to S$ (training data), "
             r"$\Delta \to \Delta^S = \operatorname{diag}(S)$, $A = \hat A_p$ and test ratio $p$: "
             r"$L_p = \frac1d\sum_k L_k$ with", sp.Eq(_L_K, sp.collect(entries, list(train), sp.factor)))
    size = 2
    S, B = _symmetric("S", size), sp.diag(*sp.symbols(f"b_1:{size + 1}", positive=True))
    R = (S + B).inv()
    check(_is_zero((R * S)[0, 0] - (1 - R[0, 0] * B[0, 0])), "masked L_p: (RS)_kk is not 1 − R_kk b_k")
    check(_is_zero((R * S * R)[0, 0] - (R[0, 0] - (R * B * R)[0, 0])), "masked L_p: (RSR)_kk is not R_kk − (RBR)_kk")
    identities = {_TRAIN[_RS]: 1 - _RKK * _B, _TRAIN[_RSR]: _RKK - _RBR}
    doc.step(r"$R_p(S + B_S) = I$ with $B_S = \operatorname{diag}(b_k)$ diagonal gives, exactly (SymPy checks on a "
             r"symbolic $2\times2$ $S$),", [sp.Eq(key, value) for key, value in identities.items()])
    ((_, equivalents),) = _equivalents("rotational", ISOTROPIC, lambda atom: _m)
    rr = equivalents[_RDR]  # (R I R)_kk: Δ → I
    kap = _kappa_in_m()
    check(_is_zero((rr / _m**2).subs(delta, gamma * _m) - kap), "masked L_p: (R²)_kk is not κ m²")
    limits = {_TRAIN[_SIG]: 1, _TRAIN[_DEL]: 1, _RKK: _m, _B: lam_eff, _RBR: lam_eff * kappa_eff * _m**2,
              _TRAIN[_RDR]: kappa_eff * _m**2}
    doc.step(r"In the limit $S_{kk}, \Delta^S_{kk} \to 1$, $b_k \to \lambda_{\rm eff}$, $R_{kk} \to m$ and, by (E2) "
             r"with $X = I$, $(R^2)_{kk} \to m^2 + c(I)m^2 = \kappa m^2$ (SymPy checks $1 + c(I) = \kappa$), so "
             r"$(RBR)_{kk} \to \lambda_{\rm eff}\kappa m^2$ and $(R\Delta^S R)_{kk} \to \kappa m^2$:",
             [sp.Eq(key, value) for key, value in limits.items()])
    value = sp.collect(sp.apart(sp.expand(entries.subs(identities).subs(limits)), _m), kappa_eff)
    doc.step(r"Substituting:", sp.Eq(sp.Symbol("L_p"), value))
    return value


@recorded
def train_error(*, doc):
    r"""Masked training loss ``L_p`` of ``Â_p`` (isotropic), in ``γ, λ, p``: ``1/m − λ_eff κ + (p/(1−p))(κ−1)``
    with ``m = m(λ_eff)``, ``κ = κ(λ_eff)``.

    From :func:`error_in_entries` with ``Σ → S``, ``q → p``, the exact identity ``R_p S = I − R_p B_S`` and
    (E2) for ``R_p²``. At ``p = 0`` it is :func:`derive.isotropic.train_error` (checked).

    >>> from derive.symbols import gamma, lam, p
    >>> point = {gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5)}
    >>> abs((train_error().subs(p, 0) - isotropic.train_error()).subs(point).evalf(30)) < 1e-25
    True
    """
    in_kappa = _train_error_in_kappa(doc=doc)
    m(doc=doc)
    result = _back(in_kappa)
    how = check_same(result.subs(p, 0), isotropic.train_error(), "masked L_p at p = 0", points=_POINTS)
    doc.step(rf"With $\kappa = \kappa(m)$, $m = m(\lambda_{{\rm eff}}, \gamma)$ and $\lambda_{{\rm eff}}(p)$, the closed "
             rf"form in $\gamma, \lambda, p$; at $p = 0$ it is $E_{{\rm train}}$ of `isotropic.md` ({how}).")
    return result


@recorded
def gen_error_implicit(basis: str, law=TWO_ATOM, *, doc):
    r"""``(equation, E(q))``: the masked test error of ``Â_p`` for a discrete law in the ``basis``, in ``δ``.

    ``equation`` is (E1) at the masking ridge, ``δ = γ∫ s/(s/(1+δ) + b(s)) dν`` with
    ``b(s) = λ_eff`` at ``s̄ = s`` (diagonal) or ``s̄ = ∫s dν`` (rotational); ``E(q)`` is
    :func:`error_in_entries` at the deterministic equivalents, an expression in ``δ`` (and ``γ, λ, p, q``
    and the law). For ``ν = δ₁`` both bases give :func:`gen_error` (checked in the tests).

    >>> from derive.symbols import delta
    >>> equation, error = gen_error_implicit("rotational", ((1, 1),))
    >>> equation.lhs == delta
    True
    """
    setting = _basis(basis)
    law = law_atoms(law)
    entries = error_in_entries(doc=doc)
    integral = lambda f: sum(weight * f(atom) for atom, weight in law)  # noqa: E731
    ridge_of, rhs = setting.ridge(law, integral)
    effective_ridge(doc=doc)
    equation = sp.Eq(delta, rhs)
    resolvent = lambda atom: 1 / (atom / (1 + delta) + ridge_of(atom))  # noqa: E731
    terms = _equivalents(basis, law, resolvent)
    error = sum(weight * entries.subs(values) for weight, values in terms)
    setting.check(law, integral, terms, resolvent, ridge_of)
    doc.step(rf"{basis.capitalize()} basis, law $\nu = {law_latex(law)}$, "
             rf"{setting.where}: (E1) at the masking ridge, and $E(q)$ with the deterministic equivalents "
             r"((E2) with $c(X)$) is a rational function of $\delta$ (not displayed; evaluated in the tests):", equation)
    return equation, error


# ---------------------------------------------------------------- small p and ridgeless


@recorded
def threshold_series(order: int = 3, *, doc):
    r"""``(λ_eff series, θ_c series)``: expansions in ``p`` through ``p^order`` (isotropic; polynomials in ``p``).

    ``λ_eff = λ + Σ_{j≥1} (1 + (j+1)λ) p^j``; the isotropic threshold is ``√γ`` to every order (it does not
    involve ``λ``), as is the rotational-basis threshold (SSR = PCA for every ``λ``,
    :func:`derive.rotational.threshold`). In the diagonal basis at ``λ > 0`` the threshold does depend
    on ``p``, non-monotonically; its expansion is not derived here (it is implicit: edge and outlier of a
    two-atom cubic), see :func:`ridgeless_threshold` for the ``λ → 0⁺`` limit.

    >>> threshold_series(2)
    (lambda + p**2*(3*lambda + 1) + p*(2*lambda + 1), sqrt(gamma))
    """
    doc.section("Small p", "Expansions at $p \\to 0$ through the given order.")
    ridge = _isotropic_ridge(doc)
    series = sp.series(ridge, p, 0, order + 1).removeO()
    series = sp.collect(sp.expand(series), p, sp.factor)
    doc.step(rf"The isotropic effective ridge through $p^{{{order}}}$:", sp.Eq(lam_eff, series + sp.O(p ** (order + 1))))
    critical = threshold(doc=doc)
    critical_series = sp.series(critical, p, 0, order + 1).removeO()
    check(critical_series == critical, "threshold series: the isotropic threshold has p-dependent terms")
    rotational = _rotational_threshold(TWO_ATOM, doc=doc)
    check(not rotational.has(lam), "threshold series: the rotational threshold depends on λ")
    doc.step(r"The isotropic threshold is $\sqrt\gamma$ at every order in $p$. In the rotational basis the SSR "
             r"threshold equals the PCA threshold for every $\lambda$ (`rotational.md`; SymPy checks that it does not "
             r"involve $\lambda$), so with $\lambda \to \lambda_{\rm eff}$ it is **also constant in $p$**. In the "
             r"diagonal basis at $\lambda > 0$ the ridge $B = \operatorname{diag}(b(s))$ is not scalar and the "
             r"threshold moves with $p$ (non-monotonically); its edge and outlier are roots of a two-atom "
             r"polynomial system with no closed form, so its small-$p$ expansion is **not derived here**: the numerical "
             r"routes of the toolkit compute it. The ridgeless limit is derived below.")
    return series, critical_series


@recorded
def ridgeless_threshold(law=TWO_ATOM, *, doc):
    r"""``lim_{λ→0⁺} θ_c(p) = √γ / ∫ s⁻¹ dν`` in the diagonal basis, for every ``p ∈ (0, 1)`` and every ``γ``.

    At ``λ → 0⁺`` the masking ridge is ``b(s) = ps/(1−p)``, proportional to ``Σ₀``: (E1) no longer
    involves the law, ``D̄(s) = K/s`` with ``K = 1/(1/(1+δ) + p/(1−p))``, the population of ``T`` is ``K I``
    and its shift ``pK/(1−p)`` is scalar — masking whitens, as the ridgeless limit does at ``p = 0``.
    (E3)–(E4) of ``T`` at ``u = K(z + p/(1−p))`` are those of isotropic PCA with spike ``θ ∫ s⁻¹ dν``.
    For ``γ < 1`` it is the ``p = 0`` ridgeless threshold (:func:`derive.heteroscedastic.ridgeless_threshold`).

    >>> from sympy import Rational
    >>> ridgeless_threshold(((1, Rational(1, 2)), (6, Rational(1, 2))))
    12*sqrt(gamma)/7
    """
    law = law_atoms(law)
    doc.section("Ridgeless threshold at ratio p (diagonal basis)",
                r"Diagonal basis, $0 < p < 1$ fixed, $\lambda \to 0^+$.")
    ridge = sp.factor(sp.limit(effective_ridge(s, doc=doc), lam, 0, "+"))
    doc.step(r"The per-coordinate masking ridge tends to", sp.Eq(sp.Limit(sp.Symbol("b(s)"), lam, 0, "+"), ridge))
    check(_is_zero(ridge / s - p / (1 - p)), "masked ridgeless: b(s) is not proportional to s")
    delta_lam = sp.Symbol("delta_lambda", positive=True)
    summand = (first_order(((s, 1),)).rhs / gamma).subs(lam, ridge).subs(delta, delta_lam)
    check(not sp.simplify(summand).has(s), "masked ridgeless: the (E1) summand depends on the atom")
    doc.step(r"The (E1) summand of an atom does not depend on $s$, so $\delta_\lambda$ does not depend on the law:",
             sp.Eq(sp.Symbol(r"\frac{s}{s/(1+\delta_\lambda) + b(s)}"), sp.simplify(summand)))
    scale = 1 / (s / (1 + delta_lam) + ridge)
    K = sp.simplify(s * scale)
    shift = sp.simplify(ridge * scale)
    check(not K.has(s) and not shift.has(s), "masked ridgeless: the population or the shift of T depends on s")
    doc.step(r"$\bar D(s) = 1/(s/(1+\delta_\lambda) + b(s))$; the population $c = \bar D s$ of $T$ and its shift "
             r"$b\bar D$ do not depend on $s$ — **masking whitens** the coordinates:",
             [sp.Eq(sp.Symbol("K = c(s)"), K), sp.Eq(sp.Symbol(r"b(s)\bar D(s)"), shift)])
    scale_of = sp.Lambda(s, scale)
    shift_of = sp.Lambda(s, ridge * scale)
    u_ = sp.Symbol("u", real=True)
    eq_T, _ = sample_covariance(law, u_, scale=scale_of, shift=shift_of)
    secular_T = spike_secular(law, u_, scale=scale_of, shift=shift_of)
    inverse_mean = sp.together(sum(weight / atom for atom, weight in law))
    theta_eff = sp.Symbol("theta_eff", positive=True)
    eq_iso, _ = sample_covariance(ISOTROPIC, z)
    secular_iso = spike_secular(ISOTROPIC, z).subs(theta, theta_eff)
    at = {u_: K * (z + p / (1 - p))}
    check(_is_zero(sum(weight for _, weight in law) - 1), "masked ridgeless: the weights do not sum to 1")
    check(_is_zero(eq_T.rhs.subs(at) - eq_iso.rhs), "masked ridgeless: (E3) of T is not isotropic PCA (E3)")
    check(_is_zero(secular_T.subs(at) - secular_iso.subs(theta_eff, theta * inverse_mean)),
          "masked ridgeless: (E4) of T is not isotropic PCA (E4) with θ∫s⁻¹dν")
    doc.step(rf"At $u = K(z + p/(1-p))$, (E3) and (E4) for $T$ (scale $\bar D$, shift $b\bar D$) with "
             rf"$\nu = {law_latex(law)}$ reduce identically "
             r"to isotropic PCA with spike $\theta_{\rm eff} = \theta\int s^{-1}d\nu$:",
             [sp.Eq(delta, eq_iso.rhs), sp.Eq(secular_iso, 0), sp.Eq(theta_eff, theta * inverse_mean)])
    critical = spiked.threshold("pca", doc=doc)
    result = critical / inverse_mean
    check(not result.has(p), "masked ridgeless: the threshold depends on p")
    check(_is_zero(result - _ridgeless_threshold_p0(law)), "masked ridgeless: not the p = 0 ridgeless threshold")
    doc.step(r"so $\theta_{\rm eff} = \sqrt\gamma$ at the threshold: the ridgeless masked threshold is **the same for "
             r"every $p \in (0,1)$ and every $\gamma$** ($B$ regularises also for $\gamma > 1$), equal to the $p = 0$ "
             r"ridgeless SSR threshold for $\gamma < 1$ (`heteroscedastic.md`; checked). For $\gamma > 1$ the limits "
             r"$\lambda\to0^+$ and $p \to 0$ do not commute.",
             sp.Eq(sp.Limit(sp.Symbol(r"\theta_c^{(p)}"), lam, 0, "+"), result))
    return result


# ---------------------------------------------------------------- headline


@functools.lru_cache(maxsize=None)
def headline() -> tuple:
    r"""The rows (:class:`derive.record.Row`) of the table "Headline results" of ``masking.md``.

    The isotropic forms are written in the symbols ``m = m(λ_eff, γ)``, ``κ = κ(λ_eff)`` and ``λ_eff``
    (:data:`lam_eff`); :func:`derive.checks.check_same` substitutes them back and compares with the
    derived closed forms.

    >>> headline()[2].form
    -(kappa - 1)*(q - 1)/(p - 1)**2 + 1
    """
    def same(form, derived, what):
        return check_same(_back(form), derived, f"masking headline: {what}", points=_POINTS)

    general, iso = effective_ridge(), _isotropic_ridge()
    rows = [Row(r"effective ridge $\lambda_{\rm eff}$",
                [sp.Eq(lam_eff, general), sp.Eq(sp.Symbol(r"\lambda_{\rm eff}|_{\bar s = 1}"), iso)],
                r"rotational basis, $\bar s = \int s\,d\nu$ (isotropic $\bar s = 1$); "
                r"$\hat A_p \asymp \hat A(\lambda_{\rm eff})/(1-p)$, $0 \le p < 1$",
                check_same([general, iso], [effective_ridge(), _isotropic_ridge()], "masking headline: λ_eff"))]
    m_row = isotropic.stieltjes_quadratic().subs(lam, lam_eff)
    rows.append(Row(r"$m_p = \lim\frac1d\operatorname{tr}R_p$", sp.Eq(_m, sp.Symbol(r"m(\lambda_{\rm eff},\gamma)")),
                    rf"the root of ${sp.latex(m_row)} = 0$ with $m > 0$ (branch of `isotropic.md`)",
                    check_same(sp.expand(m_row.subs(_m, isotropic.stieltjes_m().subs(lam, lam_eff))), 0,
                               "masking headline: m_p solves its quadratic") + " (solves the quadratic)"))
    e_form = _gen_error_in_kappa()
    rows.append(Row(r"masked test error $E(q)$", e_form,
                    rf"$\kappa = {sp.latex(_kappa_in_m())}$ at $m = m_p$; $q = 0$: leave-one-out $E_{{\rm gen}}$",
                    same(e_form, gen_error(), "E(q)")))
    l_form = _train_error_in_kappa()
    rows.append(Row(r"masked training loss $L_p$", l_form, r"$m = m_p$, $\kappa$ as above",
                    same(l_form, train_error(), "L_p")))
    amap = isotropic.in_m(isotropic.ssr_map()).subs(lam, lam_eff) / (1 - p)
    bulk = [sp.Eq(sp.Symbol(r"a_\pm"), amap.subs(s, sp.Symbol(r"z_\pm")))]
    rows.append(Row(r"bulk edges of $\hat A_p$", bulk,
                    r"$z_\pm = (1\pm\sqrt\gamma)^2$ (Marchenko–Pastur), $m = m_p$",
                    check_same([_back(amap.subs(s, e)) for e in isotropic.mp_edges()], edges(),
                               "masking headline: edges", points=_POINTS)))
    star = sp.factor(spiked.outlier("pca"))
    rows.append(Row(r"threshold $\theta_c$ and outlier $a^*_p$ of $\hat A_p$",
                    [sp.Eq(sp.Symbol(r"\theta_c"), threshold()), sp.Eq(sp.Symbol(r"a^*_p"), amap.subs(s, star))],
                    r"isotropic; $\theta_c$ is free of $p$ (rotational basis too); $a^*_p$ for $\theta > \theta_c$",
                    check_same([threshold(), _back(amap.subs(s, star))], [spiked.threshold("ssr"), outlier()],
                               "masking headline: threshold and outlier", points=_POINTS)))
    rows.append(Row(r"overlap $\vert\langle v, \hat v_p\rangle\vert^2$", sp.factor(overlap()),
                    r"$\theta > \theta_c$; free of $p$ and $\lambda$ (the PCA overlap)",
                    check_same(sp.factor(overlap()), spiked.overlap("pca"), "masking headline: overlap") + " (= PCA)"))
    ridgeless = ridgeless_threshold(TWO_ATOM)
    rows.append(Row(r"ridgeless threshold, diagonal basis", sp.Eq(sp.Limit(sp.Symbol(r"\theta_c^{(p)}"), lam, 0, "+"),
                                                                  ridgeless),
                    r"two-atom $\nu$, every $0 < p < 1$ and every $\gamma$: masking whitens",
                    check_same(ridgeless, _ridgeless_threshold_p0(TWO_ATOM), "masking headline: ridgeless")
                    + r" (= the $p = 0$ value for $\gamma < 1$)"))
    return tuple(rows)
