r"""Closed forms of :mod:`derive.masking` (random masks with ratio ``p``) against oracles.

Oracles (typed by hand, tests only):

- the effective ridge of docs/theory.md ("Random masks"): ``λ_eff = (p s̄ + λ/(1−p))/(1−p)``
  (isotropic ``s̄ = 1``); ``Â_p ≍ Â(λ_eff)/(1−p)``, so edges, outlier = SSR ones at ``λ_eff`` over
  ``1−p``, threshold ``√γ`` and Paul's overlap ``(1 − γ/θ²)/(1 + γ/θ)`` unchanged;
- the masked test error ``E(q) = 1 + (1−q)(κ−1)/(1−p)²`` and training loss
  ``L_p = 1/(1+δ) − (λ_eff − p/(1−p))(κ−1)`` (isotropic, ``δ = γm``, ``κ = 1/(1 − γm²/(1+δ)²)``,
  ``m`` the Marchenko–Pastur transform at ``λ_eff``): by hand from the per-coordinate ``E(q)`` and
  ``L_p`` of docs/theory.md — with ``Σ = I`` the deterministic equivalents give ``(AΣ)_kk → 0``
  and ``(AΣAᵀ)_kk, (AΔAᵀ)_kk → (κ−1)/(1−p)²``; with ``RS = I − λ_eff R`` the training entries
  give ``1/m − λ_eff κ + p(κ−1)/(1−p)`` and ``1/m = 1/(1+δ) + λ_eff``;
- Marchenko–Pastur transform (Bai & Silverstein 2010, ch. 3) as in ``test_isotropic.py``;
- the masking checkpoints of docs/theory.md for ``ν = ½δ₁ + ½δ₆``, ``γ = ½``, ``λ = 1/10``
  (4 decimals; their recipe, with simulations at ``d = 800``, is in tests/numerics/test_masking.py);
- the expected masked loss as a weighted least-squares problem over all masks (numpy, ``d = 6``).
"""
from __future__ import annotations

import itertools

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from derive import documents, isotropic, masking, spiked
from derive.heteroscedastic import s1, s2, w
from derive.record import Row
from derive.symbols import a, delta, gamma, k, lam, m, p, q, theta

DPS = 40
DIGITS = 30

#: rational (γ, λ, p, q, θ) with θ > √γ, on both sides of γ = 1
POINTS = [
    (sp.Rational(1, 2), sp.Rational(1, 5), sp.Rational(3, 10), sp.Rational(3, 10), 2),
    (sp.Rational(1, 2), sp.Rational(1, 10), sp.Rational(3, 5), 0, sp.Rational(3, 2)),
    (3, sp.Rational(2, 7), sp.Rational(1, 2), sp.Rational(1, 4), 5),
    (sp.Rational(7, 5), 3, sp.Rational(1, 10), sp.Rational(3, 5), sp.Rational(3, 2)),
    (sp.Rational(1, 4), sp.Rational(1, 100), sp.Rational(9, 10), sp.Rational(1, 2), 1),
]


# --- independent oracles (typed by hand; tests only) ---------------------------------------

def mp_stieltjes(g, l):
    """Marchenko–Pastur Stieltjes transform at ``−λ``, positive root (Bai & Silverstein 2010, ch. 3)."""
    b = 1 - g + l
    return (-b + mp.sqrt(b * b + 4 * g * l)) / (2 * g * l)


def mp_lam_eff(l, r, mean=1):
    """The effective ridge ``λ_eff = (p s̄ + λ/(1−p))/(1−p)`` (``diag S → s̄ I`` in ``G``)."""
    return (r * mean + l / (1 - r)) / (1 - r)


def mp_kappa(g, mm):
    """(E2) for ``ν = δ₁``: ``κ = 1/(1 − γm²/(1+γm)²)``."""
    return 1 / (1 - g * mm**2 / (1 + g * mm) ** 2)


def mp_gen_error(g, l, r, t):
    """``E(q) = 1 + (1−q)(κ−1)/(1−p)²`` at ``λ_eff`` (derived by hand, see module docstring)."""
    mm = mp_stieltjes(g, mp_lam_eff(l, r))
    return 1 + (1 - t) * (mp_kappa(g, mm) - 1) / (1 - r) ** 2


def mp_train_error(g, l, r):
    """``L_p = 1/(1+δ) − (λ_eff − p/(1−p))(κ−1)``, ``δ = γm`` (derived by hand, see module docstring)."""
    le = mp_lam_eff(l, r)
    mm = mp_stieltjes(g, le)
    return 1 / (1 + g * mm) - (le - r / (1 - r)) * (mp_kappa(g, mm) - 1)


def mp_ssr_map(g, l, r, x):
    """``(1 − 1/(m(x + λ_eff)))/(1−p)``: the isotropic SSR eigenvalue map at ``λ_eff``, divided by ``1 − p``."""
    le = mp_lam_eff(l, r)
    return (1 - 1 / (mp_stieltjes(g, le) * (x + le))) / (1 - r)


# --- helpers ------------------------------------------------------------------------------

def _mp(value):
    return mp.mpf(value.p) / value.q if isinstance(value, sp.Rational) else mp.mpf(value)


def _num(expr, subs):
    value = sp.N(expr.subs(subs), DPS)
    assert value.is_number and abs(sp.im(value)) < sp.Float(10) ** (-DPS + 5), value
    return mp.mpf(str(sp.re(value)))


def _agree(got, want, digits=DIGITS):
    scale = max(abs(want), 1)
    assert abs(got - want) <= mp.mpf(10) ** -digits * scale, (mp.nstr(got, 35), mp.nstr(want, 35))


def _same(x, y) -> bool:
    return sp.simplify(x - y) == 0


# --- the estimator ------------------------------------------------------------------------

@pytest.mark.parametrize("size", [2, 3])
def test_per_row_minimisers_are_the_closed_form(size):
    S, rows = masking.per_row_solution(size)
    assert S.shape == (size, size) and S.is_symmetric()
    closed = masking.estimator(S)
    assert all(sp.cancel(sp.together(e)) == 0 for e in rows - closed)
    assert all(rows[i, i] == 0 for i in range(size))


def test_estimator_at_p0_is_ssr():
    S = sp.Matrix([[3, 1, 0], [1, 2, sp.Rational(1, 2)], [0, sp.Rational(1, 2), 1]])
    R = (S + sp.Rational(1, 5) * sp.eye(3)).inv()
    ssr = sp.eye(3) - sp.diag(*[1 / R[i, i] for i in range(3)]) * R
    assert masking.estimator(S, 0, sp.Rational(1, 5)) == sp.simplify(ssr)


def _per_row_least_squares(X, ratio, ridge):
    """Row ``k`` minimises ``Σ_M P(M) (1/n)‖x_k − X diag(1−M) a‖² + λ‖a‖²`` over the ``2^{d−1}`` masks of the
    other coordinates: one stacked weighted least-squares problem per row (numpy ``lstsq``)."""
    n, d = X.shape
    A = np.zeros((d, d))
    for row in range(d):
        others = [j for j in range(d) if j != row]
        blocks, targets = [], []
        for mask in itertools.product((0, 1), repeat=d - 1):
            weight = np.prod([ratio if hidden else 1 - ratio for hidden in mask])
            visible = np.array([1 - hidden for hidden in mask], dtype=float)
            blocks.append(np.sqrt(weight / n) * X[:, others] * visible)
            targets.append(np.sqrt(weight / n) * X[:, row])
        blocks.append(np.sqrt(ridge) * np.eye(d - 1))
        targets.append(np.zeros(d - 1))
        solution, *_ = np.linalg.lstsq(np.vstack(blocks), np.concatenate(targets), rcond=None)
        A[row, others] = solution
    return A


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ratio, ridge", [(sp.Rational(3, 10), sp.Rational(1, 5)), (sp.Rational(3, 5), sp.Rational(1, 50)),
                                          (0, sp.Rational(1, 2))])
def test_closed_form_equals_per_row_least_squares(seed, ratio, ridge):
    rng = np.random.default_rng(seed)
    n, d = 10, 6
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, size=d)
    S = X.T @ X / n
    exact = masking.estimator(sp.Matrix(d, d, lambda i, j: sp.Rational(S[i, j])), ratio, ridge)
    closed = np.array(exact.evalf(30).tolist(), dtype=float)
    brute = _per_row_least_squares(X, float(ratio), float(ridge))
    assert np.max(np.abs(closed - brute)) < 1e-12


# --- effective ridge ----------------------------------------------------------------------

def test_effective_ridge_against_spec():
    assert _same(masking.effective_ridge(), (p * masking.sbar + lam / (1 - p)) / (1 - p))
    assert _same(masking.effective_ridge(1), (p + lam / (1 - p)) / (1 - p))
    assert masking.effective_ridge().subs(p, 0) == lam
    assert sp.factor(masking.effective_ridge(1).subs(p, k / (1 + k))).is_positive


def test_threshold_series():
    ridge_series, critical = masking.threshold_series(3)
    assert critical == sp.sqrt(gamma)
    # 1/(1−p)² = Σ (j+1) p^j and p/(1−p) = Σ_{j≥1} p^j: coefficient of p^j is 1 + (j+1)λ (j ≥ 1)
    assert sp.expand(ridge_series - lam - sum((1 + (j + 1) * lam) * p**j for j in range(1, 4))) == 0


# --- isotropic closed forms at ratio p ------------------------------------------------------

@pytest.mark.parametrize("g, l, r, t, th", POINTS)
def test_isotropic_forms_against_oracles(g, l, r, t, th):
    mp.mp.dps = DPS
    subs = {gamma: g, lam: l, p: r, q: t, theta: th}
    G, L, P, Q, T = map(_mp, (g, l, r, t, th))
    le = mp_lam_eff(L, P)
    _agree(_num(masking.m(), subs), mp_stieltjes(G, le))
    _agree(_num(masking.gen_error(), subs), mp_gen_error(G, L, P, Q))
    _agree(_num(masking.train_error(), subs), mp_train_error(G, L, P))
    lower, upper = (_num(e, subs) for e in masking.edges())
    _agree(lower, mp_ssr_map(G, L, P, (1 - mp.sqrt(G)) ** 2))
    _agree(upper, mp_ssr_map(G, L, P, (1 + mp.sqrt(G)) ** 2))
    _agree(_num(masking.outlier(), subs), mp_ssr_map(G, L, P, (1 + T) * (1 + G / T)))
    _agree(_num(masking.overlap(), subs), (1 - G / T**2) / (1 + G / T))
    assert masking.threshold() == sp.sqrt(gamma)


def test_theory_checkpoints_for_the_isotropic_errors_at_q():
    # E(q) at q = 1 is Σ_kk = 1 (the whole input is hidden); E decreases in q at fixed p
    assert masking.gen_error().subs(q, 1) == 1
    point = {gamma: sp.Rational(1, 2), lam: sp.Rational(1, 10), p: sp.Rational(3, 10)}
    values = [sp.N(masking.gen_error().subs(point).subs(q, t), 20) for t in (0, sp.Rational(3, 10), sp.Rational(3, 5))]
    assert values[0] > values[1] > values[2] > 1


def test_p0_reduces_to_the_isotropic_results():
    point = {gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5), theta: 2, a: sp.Rational(1, 2)}
    assert _same(masking.m().subs(p, 0), isotropic.stieltjes_m())
    assert all(_same(e.subs(p, 0), f) for e, f in zip(masking.edges(), isotropic.ssr_edges()))
    assert _same(masking.outlier().subs(p, 0), spiked.outlier("ssr"))
    assert _same(masking.overlap(), spiked.overlap("ssr"))
    for derived, reference in ((masking.gen_error().subs({p: 0, q: 0}), isotropic.gen_error()),
                               (masking.train_error().subs(p, 0), isotropic.train_error()),
                               (masking.density().subs(p, 0), isotropic.ssr_density())):
        mp.mp.dps = DPS
        _agree(_num(derived, point), _num(reference, point))
    for g, l in ((sp.Rational(1, 2), sp.Rational(1, 5)), (3, sp.Rational(2, 7))):
        subs = {gamma: g, lam: l}
        mp.mp.dps = DPS
        _agree(_num(masking.gen_error().subs({p: 0, q: 0}), subs), _num(isotropic.gen_error(), subs))
        _agree(_num(masking.train_error().subs(p, 0), subs), _num(isotropic.train_error(), subs))


@pytest.mark.parametrize("g, l, r", [(sp.Rational(1, 2), sp.Rational(1, 5), sp.Rational(3, 10)),
                                     (sp.Rational(1, 4), sp.Rational(1, 10), sp.Rational(3, 5))])
def test_density_is_a_probability_density_on_the_edges(g, l, r):
    """γ < 1: no atom, so the continuous part has mass 1; it is (1−p)ρ((1−p)a) of the SSR density at λ_eff."""
    subs = {gamma: g, lam: l, p: r}
    lower, upper = (float(sp.N(e.subs(subs), 30)) for e in masking.edges())
    f = sp.lambdify(a, masking.density().subs(subs), "mpmath")
    with mp.workdps(20):
        mass = mp.quad(lambda x: mp.re(f(x)), [lower, (lower + upper) / 2, upper])
    assert abs(mass - 1) < 1e-8
    ridge = masking.effective_ridge(1).subs(subs)
    inside = sp.Rational(lower + upper) / 2
    base = isotropic.ssr_density().subs({gamma: g, lam: ridge, a: (1 - r) * inside})
    assert abs(sp.N(masking.density().subs(subs).subs(a, inside) - (1 - r) * base, 30)) < 1e-25


def test_ridgeless_threshold_is_free_of_p():
    law = ((1, sp.Rational(1, 2)), (6, sp.Rational(1, 2)))
    assert masking.ridgeless_threshold(law) == 12 * sp.sqrt(gamma) / 7  # √γ/∫s⁻¹dν = √γ/(7/12)
    assert _same(masking.ridgeless_threshold(), sp.sqrt(gamma) / (w / s1 + (1 - w) / s2))


# --- discrete laws: the masking checkpoints ------------------------------------------------------

def _implicit_value(basis, law, values):
    equation, error = masking.gen_error_implicit(basis, law)
    residual = sp.lambdify(delta, (equation.lhs - equation.rhs).subs(values), "mpmath")
    with mp.workdps(30):
        root = mp.findroot(residual, 1, tol=mp.mpf(10) ** -25, maxsteps=50)
        assert root > 0 and abs(residual(root)) < mp.mpf(10) ** -20
        return mp.mpf(str(sp.N(error.subs(values).subs(delta, sp.Float(str(root), 30)), 30)))


@pytest.mark.parametrize("basis, r, t, expected", [
    ("diagonal", sp.Rational(3, 10), sp.Rational(3, 10), 4.4711),
    ("rotational", sp.Rational(3, 10), sp.Rational(3, 10), 2.7948),
    ("rotational", sp.Rational(3, 10), 0, 2.4881),
    ("rotational", 0, 0, 2.9330),
])
def test_theory_checkpoints_for_a_two_atom_law(basis, r, t, expected):
    law = ((1, sp.Rational(1, 2)), (6, sp.Rational(1, 2)))
    values = {gamma: sp.Rational(1, 2), lam: sp.Rational(1, 10), p: r, q: t}
    assert abs(_implicit_value(basis, law, values) - expected) < 5e-5  # 4 decimals are quoted


@pytest.mark.parametrize("basis", masking.BASES)
def test_implicit_error_for_the_isotropic_law_is_the_closed_form(basis):
    values = {gamma: sp.Rational(1, 2), lam: sp.Rational(1, 5), p: sp.Rational(3, 10), q: sp.Rational(1, 10)}
    got = _implicit_value(basis, ((1, 1),), values)
    with mp.workdps(30):
        assert abs(got - mp.mpf(str(sp.N(masking.gen_error().subs(values), 30)))) < 1e-20


# --- finite d -----------------------------------------------------------------------------

def _finite_errors(rng, d, n, ratio, test_ratio, ridge):
    """``E(q)`` (exact for ``Σ = I`` given Â_p) and ``L_p`` (exact on the training data) at finite ``d``."""
    X = rng.standard_normal((n, d))
    S = X.T @ X / n
    G = (1 - ratio) * S + ratio * np.diag(np.diag(S)) + ridge / (1 - ratio) * np.eye(d)
    inverse = np.linalg.inv(G)
    A = (np.eye(d) - inverse / np.diag(inverse)[:, None]) / (1 - ratio)
    # Σ = I: E_k = 1 − 2(1−q)A_kk + ((1−q)² + q(1−q))‖A_k‖² with A_kk = 0
    test = 1 + (1 - test_ratio) * np.sum(A**2) / d
    AS = A @ S
    train = (np.trace(S) - 2 * (1 - ratio) * np.trace(AS) + (1 - ratio) ** 2 * np.sum(AS * A)
             + ratio * (1 - ratio) * np.sum(A**2 * np.diag(S)[None, :])) / d
    return test, train


@pytest.mark.parametrize("seed", [0, 17])
def test_finite_d_errors_approach_the_limits(seed):
    """Simulation against the closed forms: per replica the Richardson estimate ``2·x(d) − x(d/2)``
    (the ``O(1/d)`` bias of a normalised trace is of the order of its fluctuation), ``|z| < 4``."""
    g, l, r, t = sp.Rational(1, 2), sp.Rational(1, 5), sp.Rational(3, 10), sp.Rational(3, 10)
    rng = np.random.default_rng(seed)
    d, reps = 300, 12  # seeds 0–19: |z| ≤ 3.4, z spread 1.24 (Student t with 11 dof: 1.1)
    fine = np.array([_finite_errors(rng, d, 2 * d, float(r), float(t), float(l)) for _ in range(reps)])
    coarse = np.array([_finite_errors(rng, d // 2, d, float(r), float(t), float(l)) for _ in range(reps)])
    samples = 2 * fine - coarse
    values = {gamma: g, lam: l, p: r, q: t}
    limits = [float(sp.N(masking.gen_error().subs(values))), float(sp.N(masking.train_error().subs(values)))]
    for column, limit in zip(samples.T, limits):
        stderr = column.std(ddof=1) / np.sqrt(reps)
        assert abs(column.mean() - limit) < 4 * stderr, (column.mean(), limit, stderr)


# --- headline and document ----------------------------------------------------------------

def test_headline_rows_are_checked_and_match_oracles():
    rows = masking.headline()
    assert 3 <= len(rows) <= 8 and all(isinstance(row, Row) for row in rows)
    assert all(row.check == "exact" or row.check.startswith(("exact (", "numeric (")) for row in rows)
    ridge, _, gen, train, *_ = rows
    kappa = masking.kappa_eff
    assert _same(gen.form, 1 + (1 - q) * (kappa - 1) / (1 - p) ** 2)
    le = masking.lam_eff
    # L_p = 1/m − λ_eff κ + p(κ−1)/(1−p)
    assert _same(train.form, 1 / m - le * kappa + p * (kappa - 1) / (1 - p))
    assert _same(ridge.form[1].rhs, (p + lam / (1 - p)) / (1 - p))


@pytest.mark.slow
def test_masking_document_opens_with_its_table_and_assumes_the_isotropic_steps():
    text = documents.documents()["masking.md"]
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Headline results" and text.count("## Headline results") == 1
    assert "Clearing denominators" not in text  # isotropic.md is assumed, not repeated
    assert (text.index("## The ratio-p estimator") < text.index("## Masking is a ridge")
            < text.index("## Masked test error E(q)") < text.index("## Small p"))
    table = [line for line in text.split("## Headline results")[1].split("\n## ")[0].splitlines()
             if line.startswith("| ")]
    assert len(table) == 1 + len(masking.headline()) and all(line.count(" | ") == 3 for line in table)
