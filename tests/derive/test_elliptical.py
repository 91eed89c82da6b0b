r"""Closed forms and polynomials of :mod:`derive.elliptical` against the Gaussian model and numeric oracles.

Oracles (tests only):

- the Gaussian model ``ρ = δ₁``: the results of :mod:`derive.isotropic` and :mod:`derive.spiked`, and the
  classical formulas typed by hand — Marchenko & Pastur (1967) edges ``(1 ± √γ)²``, Baik, Ben Arous & Péché
  (2005) threshold ``√γ`` and outlier ``(1+θ)(1+γ/θ)``;
- the checkpoints at ``γ = 1/2``, ``ρ = ½δ_{1/2} + ½δ_{3/2}``: bulk ``[0.06983500657507254, 3.2997012223697937]``,
  threshold ``0.84897245563311447``, outlier ``5.7950011704117285`` at ``θ = 4``, computed by an independent
  implementation and supplied with the task (:data:`CHECKPOINTS`);
- a direct mpmath solution (``findroot``, no SymPy polynomial) of the scalar equations written out by hand
  from the theory: the edge condition ``∫ (τδ/(1+τδ))² dρ = γ`` with ``z = c(δ) − γ/δ``, and the outlier's
  ``c = ∫ τ/(1 − τγ/(cθ)) dρ``, ``z* = (1+θ)c``;
- duality: with ``Σ₀ = I`` the nonzero spectrum of ``S`` is ``γ`` times that of a Gaussian sample covariance
  with population ``ρ`` and ratio ``1/γ``, whose edges are the real roots of
  :func:`derive.heteroscedastic.edge_equation` (derived independently, for a two-atom bulk).
"""
from __future__ import annotations

import mpmath as mp
import pytest
import sympy as sp

from derive import elliptical as ell
from derive import heteroscedastic as het
from derive import isotropic, spiked
from derive.equations import ISOTROPIC, first_order, kappa
from derive.symbols import delta, gamma, lam, m, theta, z

DPS = 30
DIGITS = 15  # the checkpoints carry 17 significant digits
CHECKPOINTS = {"lower": "0.06983500657507254", "upper": "3.2997012223697937", "threshold": "0.84897245563311447",
               "outlier": "5.7950011704117285"}
HALF = sp.Rational(1, 2)
ATOMS = ((HALF, HALF), (sp.Rational(3, 2), HALF))  # ρ = ½δ_{1/2} + ½δ_{3/2}


def _close(value, reference, digits=DIGITS):
    reference = mp.mpf(reference)
    return abs(value - reference) <= mp.mpf(10) ** (-digits) * max(1, abs(reference))


# ---------------------------------------------------------------- the substitution (SymPy-exact)


def test_derivative_of_c_is_minus_e2_for_two_and_three_atoms():
    c, e2 = ell.substitution(ell.TWO_ATOM)
    assert sp.cancel(sp.diff(c, delta) + e2) == 0
    taus, weights = sp.symbols("tau_1:4", positive=True), sp.symbols("r_1:4", positive=True)
    law = tuple(zip(taus, weights))
    assert sp.cancel(sp.diff(ell.c_of(law), delta) + ell.e2_of(law)) == 0


def test_gaussian_scale_law_gives_the_gaussian_factors():
    assert ell.c_of(ell.GAUSSIAN) == 1 / (1 + delta)
    assert ell.e2_of(ell.GAUSSIAN) == 1 / (1 + delta) ** 2
    c, e2 = ell.substitution(ell.TWO_ATOM)
    for point in ({ell.t1: 1, ell.t2: 1}, {ell.r: 1, ell.t1: 1}):
        assert sp.cancel(c.subs(point) - 1 / (1 + delta)) == 0
        assert sp.cancel(e2.subs(point) - 1 / (1 + delta) ** 2) == 0


# ---------------------------------------------------------------- ρ = δ₁ reductions (SymPy-exact)


def test_first_order_is_a_cubic_and_reduces_to_the_gaussian_one():
    poly = ell.first_order_polynomial(ell.TWO_ATOM)
    assert sp.degree(poly, delta) == 3
    gaussian = sp.numer(sp.together(first_order(ISOTROPIC).lhs - first_order(ISOTROPIC).rhs))
    assert sp.cancel(poly.subs({ell.t1: 1, ell.t2: 1}) / gaussian) == 1 + delta
    assert sp.cancel(gaussian.subs(delta, gamma * m) / isotropic.stieltjes_quadratic()) == gamma


def test_gaussian_edges_are_marchenko_pastur():
    lower, upper = ell.gaussian_edges()
    assert sp.simplify(lower - (1 - sp.sqrt(gamma)) ** 2) == 0
    assert sp.simplify(upper - (1 + sp.sqrt(gamma)) ** 2) == 0
    assert [sp.simplify(a - b) for a, b in zip((lower, upper), isotropic.mp_edges())] == [0, 0]


def test_gaussian_threshold_and_outlier_are_bbp():
    critical, location = ell.gaussian_threshold()
    assert critical == sp.sqrt(gamma) == spiked.threshold("pca")
    assert sp.simplify(location - (1 + theta) * (1 + gamma / theta)) == 0


def test_two_atom_forms_reduce_to_bbp_at_equal_atoms():
    location, star, P = ell.pca_outlier(ell.TWO_ATOM)
    equal = {ell.t1: 1, ell.t2: 1}
    assert sp.simplify(location.subs(equal) - (1 + theta) * (1 + gamma / theta)) == 0
    assert sp.simplify(star.subs(equal) + gamma / (gamma + theta)) == 0
    assert sp.rem(sp.expand(P.subs(equal)), theta * z - (1 + theta) * (theta + gamma), z) == 0
    _, Q = ell.pca_threshold(ell.TWO_ATOM)
    assert sp.rem(sp.expand(Q.subs(equal)), theta**2 - gamma, theta) == 0


def test_ssr_outlier_reduces_to_the_gaussian_one():
    a_star = ell.ssr_spike(ell.TWO_ATOM)
    gaussian = a_star.subs({ell.t1: 1, ell.t2: 1}).subs(m, isotropic.stieltjes_m())
    point = {gamma: HALF, lam: sp.Rational(1, 5), theta: 2}
    assert abs(sp.N((gaussian - spiked.outlier("ssr")).subs(point), 40)) < 1e-35


@pytest.mark.parametrize("nu", [ISOTROPIC, het.TWO_ATOM], ids=["isotropic", "two-atom-nu"])
def test_kappa_reduces_to_the_gaussian_kappa(nu):
    kap, c_a = ell.second_order(ell.TWO_ATOM, nu)  # in the symbols c = c(δ), e_2 = e₂(δ)
    c, e2 = (sp.cancel(f.subs({ell.t1: 1, ell.t2: 1})) for f in ell.substitution(ell.TWO_ATOM))
    assert sp.cancel(kap.subs({sp.Symbol("c"): c, sp.Symbol("e_2"): e2}) - kappa(nu)) == 0
    sigma = {a: atom for a, (atom, _) in zip(sp.symbols(f"a_1:{len(nu) + 1}"), nu)}
    assert sp.cancel(1 + c_a.subs(sigma) - kap) == 0  # κ = 1 + c(Σ₀)


# ---------------------------------------------------------------- the checkpoints (numbers)


def test_checkpoints_from_the_derived_polynomials():
    numbers = ell.example(DPS)
    mp.mp.dps = DPS
    for key, reference in CHECKPOINTS.items():
        assert _close(numbers[key], reference), (key, numbers[key])
    # θ_c is the only positive root of Q at the example, and z* the largest root of the resultant in z
    positive = [x for x in numbers["Q roots"] if x > 0]
    assert len(positive) == 1 and _close(positive[0], numbers["threshold"], DPS - 5)
    assert _close(max(numbers["P roots"]), numbers["outlier"], DPS - 5)


def test_checkpoints_by_direct_root_finding():
    """The scalar equations typed by hand, solved by mpmath findroot (no SymPy polynomial)."""
    mp.mp.dps = DPS
    g, law = mp.mpf(1) / 2, [(mp.mpf(t), mp.mpf(w)) for t, w in ((0.5, 0.5), (1.5, 0.5))]
    c = lambda d: sum(w * t / (1 + t * d) for t, w in law)
    phi = lambda d: sum(w * (t * d / (1 + t * d)) ** 2 for t, w in law) - g
    d_upper = mp.findroot(phi, (mp.mpf("-0.6"), mp.mpf("-0.05")), solver="illinois")  # in (−1/τ_max, 0)
    d_lower = mp.findroot(phi, (mp.mpf("0.1"), mp.mpf(100)), solver="illinois")
    assert _close(c(d_upper) - g / d_upper, CHECKPOINTS["upper"])
    assert _close(c(d_lower) - g / d_lower, CHECKPOINTS["lower"])
    assert _close(-g / (d_upper * c(d_upper)), CHECKPOINTS["threshold"])
    t = mp.mpf(4)
    C = mp.findroot(lambda x: x - sum(w * tau / (1 - tau * g / (x * t)) for tau, w in law), 1.2)
    assert C * t > max(tau for tau, _ in law) * g  # the physical branch: 1 + τδ > 0 for every atom
    assert _close((1 + t) * C, CHECKPOINTS["outlier"])


def test_bulk_edges_by_duality_with_the_heteroscedastic_edge_equation():
    """γ × the edges of a Gaussian sample covariance with population ρ and ratio 1/γ."""
    values = {het.s1: ATOMS[0][0], het.s2: ATOMS[1][0], het.w: ATOMS[0][1], gamma: 1 / HALF}
    poly = sp.Poly(sp.expand(het.edge_equation("pca").xreplace(values)), z)
    mp.mp.dps = DPS
    roots = mp.polyroots([mp.mpf(c.p) / c.q for c in poly.all_coeffs()], maxsteps=400, extraprec=400)
    edges = sorted(HALF * mp.re(x) for x in roots if abs(mp.im(x)) < mp.mpf(10) ** -20 and abs(x) > 1e-20)
    assert _close(edges[0], CHECKPOINTS["lower"]) and _close(edges[-1], CHECKPOINTS["upper"])


def test_headline_reports_the_checkpoints():
    rows = [row for row in ell.headline() if "at the checkpoint" in row.quantity]
    assert [row.quantity.split()[0] for row in rows] == ["bulk", "threshold", "outlier"]  # the table opens with them
    bulk, threshold, outlier = rows
    assert [_close(mp.mpf(str(eq.rhs)), CHECKPOINTS[key]) for eq, key in zip(bulk.form, ("lower", "upper"))] == [True] * 2
    assert _close(mp.mpf(str(threshold.form)), CHECKPOINTS["threshold"])
    assert _close(mp.mpf(str(outlier.form)), CHECKPOINTS["outlier"])
    assert "0.70711" in threshold.conditions and "5.625" in outlier.conditions  # the Gaussian values beside
