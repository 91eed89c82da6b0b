r"""Every interval of the bulk (issue 10): split supports, continuous laws, laws read from a file.

Independent oracles, typed here with their sources:

- **Silverstein & Choi (1995), "Analysis of the limiting spectral distribution of large
  dimensional random matrices", J. Multivariate Anal. 54**: for ``S`` with population law ``H``
  and ``γ = d/n``, the companion Stieltjes transform inverts explicitly,
  ``z(m) = −1/m + γ ∫ s/(1 + s m) dH(s)``, and the edges of the support of ``S`` are the values
  ``z(m)`` at the real critical points ``z'(m) = 0`` (``m`` off the poles ``−1/s``). For a
  discrete ``H`` the critical points are the real roots of a polynomial (:func:`mpmath.polyroots`);
  for ``U[a, b]`` the integral is ``((b − a) − log((1 + bm)/(1 + am))/m)/(m(b − a))``.
- **The SSR system (E3) in the diagonal basis with closed-form integrals**: with
  ``D̄(s) = 1/(s c₀ + λ)``, ``c₀ = 1/(1+δ(λ))``, ``x = 1/(1+δ)``, the integrands of (E3)–(E4) are
  rational with one linear denominator ``z(s) = s(x − u c₀) + λ(1 − u)``:
  ``c/(cx + h − u) = s/z``, ``(∂_δ) c²x²/(cx+h−u)² = s²x²/z²``, ``D̄/(cx + h − u) = 1/z``,
  ``1/(cx + h − u) = (s c₀ + λ)/z``. For ``U[a, b]`` their integrals are elementary:
  with ``z = αs + β`` and ``L = log(z_b/z_a)`` (principal branch: a straight segment turns by less
  than π), ``∫ds/z = L/α``, ``∫s ds/z = (b−a)/α − βL/α²``,
  ``∫s²/z² ds = ((z_b − z_a) − 2βL − β²(1/z_b − 1/z_a))/α³`` (substitute ``s = (z − β)/α``).
"""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

from numerics import theory
from numerics.model import BadParameter, Model
from numerics.quantities import Support
from ssr.cli import main

#: The PCA bulk of ν = ½δ₁ + ½δ₆ at γ = 1/2 (issue 10, values from rmtool/freealg-style float64 tools).
ISSUE_INTERVALS = [(0.126260906671970, 1.714115849077729), (1.878384693923199, 13.781238550327107)]


def _digits(got, want):
    return -mp.log10(abs(got - want) / abs(want)) if got != want else mp.inf


def _polymul(p, q):
    """Product of two coefficient lists (ascending powers)."""
    out = [mp.mpf(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return out


def _silverstein_choi_discrete(atoms, gamma):
    """Edges of the support of ``S`` for ``H = Σ w δ_s``: ``z(m)`` at the real roots of
    ``m² Π_j (1 + s_j m)² · z'(m) = Π_j (1 + s_j m)² − γ m² Σ_i w_i s_i² Π_{j≠i} (1 + s_j m)²``."""
    s = [mp.mpf(t.numerator) / t.denominator for t, _ in atoms]
    w = [mp.mpf(t.numerator) / t.denominator for _, t in atoms]
    g = mp.mpf(gamma.numerator) / gamma.denominator
    square = [[1, 2 * x, x * x] for x in s]
    product = [mp.mpf(1)]
    for sq in square:
        product = _polymul(product, sq)
    numerator = list(product) + [mp.mpf(0)] * 2
    for i in range(len(s)):
        others = [mp.mpf(0), mp.mpf(0), g * w[i] * s[i] ** 2]
        for j, sq in enumerate(square):
            if j != i:
                others = _polymul(others, sq)
        for k, c in enumerate(others):
            numerator[k] -= c
    while numerator and numerator[-1] == 0:
        numerator.pop()
    roots = mp.polyroots(list(reversed(numerator)), maxsteps=400, extraprec=400)
    real = [mp.re(r) for r in roots if abs(mp.im(r)) < mp.mpf(10) ** (-mp.mp.dps // 2)]

    def z(m):
        return -1 / m + g * mp.fsum(wi * si / (1 + si * m) for si, wi in zip(s, w))

    return sorted(z(r) for r in real)


def test_split_pca_bulk_of_the_issue_to_1e_12_on_both_routes():
    model = Model("1/2", "1/5", noise="1:1/2,6:1/2")
    for route in ("fixed-point", "algebraic"):
        value = theory.evaluate("edges", model, method="pca", dps=20, route=route)
        assert isinstance(value, Support) and value.split
        got = [float(x) for pair in value.intervals for x in pair]
        want = [x for pair in ISSUE_INTERVALS for x in pair]
        assert max(abs(g - w) for g, w in zip(got, want)) < 1e-12, (route, got)


@pytest.mark.parametrize("atoms, gamma", [
    (((1, "1/2"), (6, "1/2")), "1/2"),
    (((1, "1/3"), (4, "1/3"), (16, "1/3")), "1/10"),
    (((1, "1/4"), (10, "3/4")), "1/5"),
])
def test_pca_intervals_match_silverstein_choi(atoms, gamma):
    """Our two routes against the explicit-inverse method (module docstring), dps 30, ≥ 25 digits."""
    noise = ",".join(f"{s}:{w}" for s, w in atoms)
    exact = [(Fraction(s), Fraction(w)) for s, w in atoms]
    model = Model(gamma, "1/5", noise=noise)
    with mp.workdps(60):
        want = _silverstein_choi_discrete(exact, Fraction(gamma))
    for route in ("fixed-point", "algebraic"):
        value = theory.evaluate("edges", model, method="pca", dps=30, route=route)
        got = [x for pair in value.intervals for x in pair]
        assert len(got) == len(want), (route, len(got), len(want))
        with mp.workdps(40):
            assert min(_digits(g, w) for g, w in zip(got, want)) >= 25, route


@pytest.mark.parametrize("noise, basis, method, gamma, lam", [
    ("1:1/2,6:1/2", "rotational", "ssr", "1/2", "1/10"),
    ("1:1/3,4:1/3,16:1/3", "diagonal", "pca", "1/10", "1/100"),
    ("1:1/3,4:1/3,16:1/3", "diagonal", "ssr", "1/10", "1/100"),
    ("1:1/2,6:1/2", "diagonal", "ssr", "1/2", "1/10"),
    ("1:1/2,6:1/2", "rotational", "masked", "1/4", "1/10"),
])
def test_intervals_agree_between_routes(noise, basis, method, gamma, lam):
    """The scan-and-walk of the fixed point against the discriminant of the algebraic route."""
    model = Model(gamma, lam, noise=noise, basis=basis, mask_ratio="3/10" if method == "masked" else 0)
    fixed = theory.evaluate("edges", model, method=method, dps=30, route="fixed-point")
    algebraic = theory.evaluate("edges", model, method=method, dps=30, route="algebraic")
    assert len(fixed.intervals) == len(algebraic.intervals)
    with mp.workdps(40):
        for f, a in zip(fixed.intervals, algebraic.intervals):
            assert min(_digits(x, y) for x, y in zip(f, a)) >= 25


def test_density_vanishes_in_the_gap_and_not_beside_it():
    model = Model("1/2", "1/5", noise="1:1/2,6:1/2")
    (_, hi), (lo, _) = theory.evaluate("edges", model, method="pca", dps=20).intervals
    for route in ("fixed-point", "algebraic"):
        inside_gap = theory.evaluate("density", model, method="pca", at=(hi + lo) / 2, dps=20, route=route)
        below = theory.evaluate("density", model, method="pca", at=hi - mp.mpf("0.01"), dps=20, route=route)
        above = theory.evaluate("density", model, method="pca", at=lo + mp.mpf("0.01"), dps=20, route=route)
        assert inside_gap == 0 and below > 0 and above > 0


def test_json_lists_every_interval(capsys):
    status = main(["eval", "edges", "--method", "pca", "--noise", "1:1/2,6:1/2", "--gamma", "1/2", "--dps", "16", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0 and len(out["intervals"]) == 2 and all(len(pair) == 2 for pair in out["intervals"])
    assert out["value"] == [out["intervals"][0][0], out["intervals"][-1][1]]
    assert abs(float(out["intervals"][1][0]) - ISSUE_INTERVALS[1][0]) < 1e-12
    status = main(["eval", "edges", "--method", "pca", "--noise", "1:1/2,6:1/2", "--gamma", "1/2", "--dps", "16"])
    assert status == 0 and " ∪ " in capsys.readouterr().out


# --- continuous laws: the spectrum by quadrature -------------------------------------------------

def _uniform_integrals(alpha, beta, a, b):
    """``(∫ds/z, ∫s ds/z, ∫s²ds/z²)/(b − a)`` over ``U[a, b]`` for ``z = αs + β`` (module docstring)."""
    za, zb = alpha * a + beta, alpha * b + beta
    L = mp.log(zb / za)
    i0 = L / alpha
    i1 = (b - a) / alpha - beta * L / alpha**2
    j2 = ((zb - za) - 2 * beta * L - beta**2 * (1 / zb - 1 / za)) / alpha**3
    return i0 / (b - a), i1 / (b - a), j2 / (b - a)


class _UniformSSR:
    """(E1)–(E4) of the diagonal-basis SSR for ``U[a, b]`` with the closed-form integrals."""

    def __init__(self, gamma, lam, a, b):
        self.gamma, self.lam, self.a, self.b = mp.mpf(gamma), mp.mpf(lam), mp.mpf(a), mp.mpf(b)
        # (E1): δ = γ ∫ s/(s/(1+δ) + λ) dν, i.e. z = s c₀ + λ (α = c₀, β = λ)
        delta = mp.findroot(lambda d: self.gamma * _uniform_integrals(1 / (1 + d), self.lam, self.a, self.b)[1] - d,
                            mp.mpf(1))
        self.c0 = 1 / (1 + delta)

    def parts(self, delta, u):
        x = 1 / (1 + delta)
        alpha, beta = x - u * self.c0, self.lam * (1 - u)
        return x, _uniform_integrals(alpha, beta, self.a, self.b)

    def equation(self, delta, u):
        _, (i0, i1, j2) = self.parts(delta, u)
        return self.gamma * i1 - delta

    def d_equation(self, delta, u):
        x, (i0, i1, j2) = self.parts(delta, u)
        return self.gamma * x * x * j2 - 1

    def g(self, delta, u):  # ∫ (s c₀ + λ)/z
        _, (i0, i1, j2) = self.parts(delta, u)
        return self.c0 * i1 + self.lam * i0

    def quadratic_form(self, delta, u):
        return self.parts(delta, u)[1][0]


def _rounded(value, digits=8):
    return mp.mpmathify(mp.nstr(value, digits))


def test_uniform_ssr_spectrum_matches_closed_form_integrals():
    """Edges, threshold, outlier and density of ``uniform(1,6)`` (diagonal SSR): quadrature at the
    working precision against the closed-form system above, dps 30, ≥ 25 digits. The oracle's
    Newton starts from the route's ``(δ, u)`` rounded to 8 digits."""
    from numerics import fixedpoint

    model = Model("1/2", "1/5", noise="uniform(1,6)")
    spiked = Model("1/2", "1/5", theta=3, noise="uniform(1,6)")
    lower, upper = theory.evaluate("edges", model, dps=30)
    theta_c = theory.evaluate("threshold", model, dps=30)
    outlier = theory.evaluate("outlier", spiked, dps=30)
    density = theory.evaluate("density", model, at="1/2", dps=30)
    (d_low, d_up), (t_low, t_up) = fixedpoint.edges_t(model, "ssr", 30)
    d_star, t_star = fixedpoint.outlier_t(spiked, "ssr", 30)
    with mp.workdps(30):
        d_in = fixedpoint.Spectral(model, "ssr").solve(2)  # T at u = 1/(1 − a), a = 1/2
    with mp.workdps(45):
        oracle = _UniformSSR(mp.mpf(1) / 2, mp.mpf(1) / 5, 1, 6)
        edge = [mp.findroot(lambda d, u: [oracle.equation(d, u), oracle.d_equation(d, u)], (_rounded(d), _rounded(t)))
                for d, t in ((d_low, t_low), (d_up, t_up))]
        assert _digits(lower, 1 - 1 / edge[0][1]) >= 25 and _digits(upper, 1 - 1 / edge[1][1]) >= 25
        d_edge, u_edge = edge[1]
        assert _digits(theta_c, -(1 + d_edge) / oracle.quadratic_form(d_edge, u_edge)) >= 25
        d, u = mp.findroot(lambda d, u: [oracle.equation(d, u), 1 + 3 / (1 + d) * oracle.quadratic_form(d, u)],
                           (_rounded(d_star), _rounded(t_star)))
        assert _digits(outlier, 1 - 1 / u) >= 25
        a = mp.mpf(1) / 2
        u = 1 / (1 - a)
        d = mp.findroot(lambda d: oracle.equation(d, u), mp.mpc(_rounded(mp.re(d_in)), _rounded(mp.im(d_in))))
        assert mp.im(oracle.g(d, u)) > 0  # the physical branch
        assert _digits(density, mp.im(oracle.g(d, u)) / mp.pi / (1 - a) ** 2) >= 25


def test_uniform_pca_edges_match_silverstein_choi():
    model = Model("1/2", "1/5", noise="uniform(1,6)")
    lower, upper = theory.evaluate("edges", model, method="pca", dps=30)
    with mp.workdps(50):
        g = mp.mpf(1) / 2

        def z(m):
            return -1 / m + g * ((5 - mp.log((1 + 6 * m) / (1 + m)) / m) / (5 * m))

        # the critical points lie below the pole −1 (lower edge) and in (−1/6, 0) (upper edge)
        low = z(mp.findroot(lambda m: mp.diff(z, m), mp.mpf(-2)))
        high = z(mp.findroot(lambda m: mp.diff(z, m), (mp.mpf(-1) / 6 + mp.mpf(10) ** -6, mp.mpf(-1) / 100),
                             solver="anderson"))
        assert _digits(lower, low) >= 25 and _digits(upper, high) >= 25


@pytest.mark.parametrize("quantity, theta, at", [("edges", 0, None), ("threshold", 0, None),
                                                 ("outlier", 4, None), ("density", 0, "1/2")])
def test_powerlaw_spectrum_is_stable_in_the_precision(quantity, theta, at):
    """``powerlaw(3/2,1,6)``: dps 25 and dps 40 agree to ≥ 22 digits (the quadrature gets more
    nodes at higher precision; a quadrature that lost digits would disagree)."""
    model = Model("1/2", "1/5", theta=theta, noise="powerlaw(3/2,1,6)", basis="rotational")
    low = theory.evaluate(quantity, model, at=at, dps=25)
    high = theory.evaluate(quantity, model, at=at, dps=40)
    low, high = (list(low), list(high)) if isinstance(low, list) else ([low], [high])
    with mp.workdps(45):
        assert min(_digits(x, y) for x, y in zip(low, high)) >= 22


# --- file(PATH): the empirical law of eigenvalues in a file --------------------------------------

def test_a_file_law_equals_the_same_atoms(tmp_path):
    path = tmp_path / "eig.txt"
    path.write_text("1 6\n6, 1\n")
    from_file = Model("1/2", "1/10", noise=f"file({path})")
    atoms = Model("1/2", "1/10", noise="1:1/2,6:1/2")
    for quantity in ("gen-error", "edges", "threshold"):
        assert theory.evaluate(quantity, from_file, dps=20) == theory.evaluate(quantity, atoms, dps=20)
    assert from_file.as_dict()["noise"] == f"file({path})"


def test_a_npy_file_of_many_eigenvalues(tmp_path):
    """2000 eigenvalues: values taken exactly from float64, fixed point only (the algebraic route refuses)."""
    values = np.sort(np.random.default_rng(5).uniform(1, 6, 2000))
    path = tmp_path / "eig.npy"
    np.save(path, values)
    model = Model("1/2", "1/10", noise=f"file({path})")
    assert len(model.law.exact) == 2000 and model.law.exact[0][0] == Fraction(float(values[0]))
    with pytest.raises(BadParameter) as err:
        theory.evaluate("m", model, route="algebraic", dps=15)
    assert err.value.name == "route" and "atoms" in str(err.value)
    # against the same law written as atoms: the quadrature-free sums must agree exactly
    m = theory.evaluate("m", model, dps=20)
    with mp.workdps(40):
        delta = theory.fixedpoint.delta(model, "ssr", 25)
        want = mp.fsum(1 / (mp.mpf(float(s)) / (1 + delta) + mp.mpf(1) / 10) for s in values) / 2000
        assert _digits(m, want) >= 18


@pytest.mark.parametrize("content, fragment", [
    ("1 -2 3", "positive"),
    ("1 two 3", "expected a finite number"),
    ("", "positive"),
])
def test_bad_files_name_the_noise(tmp_path, content, fragment):
    path = tmp_path / "eig.txt"
    path.write_text(content)
    with pytest.raises(BadParameter) as err:
        Model("1/2", "1/10", noise=f"file({path})")
    assert err.value.name == "noise" and fragment in str(err.value) and "\n" not in str(err.value)


def test_missing_and_malformed_npy_files(tmp_path, capsys):
    assert main(["eval", "m", "--noise", f"file({tmp_path / 'none.npy'})"]) == 2
    assert "no such file" in capsys.readouterr().err
    np.save(tmp_path / "m.npy", np.ones((3, 3)))
    assert main(["eval", "m", "--noise", f"file({tmp_path / 'm.npy'})"]) == 2
    err = capsys.readouterr().err
    assert "1-d array" in err and err.count("\n") == 1


@pytest.mark.parametrize("seed", [0, 23])
def test_simulation_of_a_file_law(tmp_path, seed):
    """More eigenvalues (2000) than ``d``: the replica's variances are the law's quantiles
    ``F⁻¹((k + 1/2)/d)``; Richardson d/2 → d, 12 replicas, |z| < 4."""
    from numerics.simulate import simulate

    path = tmp_path / "eig.npy"
    np.save(path, np.sort(np.random.default_rng(3).uniform(1, 6, 2000)))
    model = Model("1/2", "1/10", noise=f"file({path})")
    limit = float(theory.evaluate("gen-error", model, dps=15))
    result = simulate("gen-error", model, d=200, seeds=12, seed=seed, extrapolate=True)
    assert abs(result.mean - limit) < 4 * result.stderr


# --- the invariant every support passes before it is used (issue 16) --------------------------------

def _pca_system(noise="1:9/10,100:1/10", gamma="1/2"):
    from numerics import fixedpoint

    model = Model(gamma, "1/5", noise=noise)
    with mp.workdps(30):
        return model, fixedpoint.Spectral(model, "pca"), fixedpoint.intervals_t(model, "pca", 15)


def test_the_invariant_passes_the_true_support_with_its_masses():
    from numerics import support

    _, system, intervals = _pca_system()
    with mp.workdps(30):
        masses = support.check(system, intervals)
    assert len(masses) == 2 and abs(masses[0] - 0.9) < 1e-8 and abs(masses[1] - 0.1) < 1e-8


@pytest.mark.parametrize("damage, message", [
    (lambda iv: iv[:1], "integrates to"),                         # the upper component dropped
    (lambda iv: [(iv[0][0], iv[1][1])], "zero density inside"),  # the gap swallowed
    (lambda iv: [iv[0], (iv[1][0], (iv[1][0] + iv[1][1]) / 2)], "integrates to"),  # truncated at the top
    (lambda iv: [(iv[0][0], (iv[0][0] + iv[0][1]) / 2), ((iv[0][0] + iv[0][1]) / 2 * (1 + mp.mpf(10) ** -9),
                                                           iv[0][1]), iv[1]],
     "positive density"),                                          # a spurious gap (no mass lost)
])
def test_a_damaged_support_is_refused(damage, message):
    from numerics import support

    _, system, intervals = _pca_system()
    with mp.workdps(30), pytest.raises(support.SupportError, match=message):
        support.check(system, damage(list(intervals)))


def test_a_truncated_support_is_refused_by_the_command_line_in_one_line(monkeypatch, capsys):
    """A route that loses the upper component (the bug of issue 16) is refused, never printed: `edges`
    and `density` in one line (exit 2); the threshold, resting on the upper edge alone, is walked to
    from above every eigenvalue, checked on its own (:func:`numerics.support.check_top`) and right."""
    from numerics import fixedpoint, support

    honest = support.scalar_intervals
    monkeypatch.setattr(support, "scalar_intervals", lambda system: honest(system)[:1])
    caches = (fixedpoint._support_t, fixedpoint._edges_t, fixedpoint._intervals_t)
    for cache in caches:
        cache.cache_clear()
    law = ["--method", "pca", "--noise", "1:9/10,100:1/10", "--dps", "15"]
    try:
        for argv in (["eval", "edges", *law], ["eval", "density", "--at", "1", *law]):
            code = main(argv)
            captured = capsys.readouterr()
            assert code == 2 and captured.out == "", argv
            assert len(captured.err.strip().splitlines()) == 1 and "support refused by its invariant" in captured.err
        assert main(["eval", "threshold", *law, "--json"]) == 0
        got = mp.mpf(json.loads(capsys.readouterr().out)["value"])
        want = theory.evaluate("threshold", Model("1/2", "1/5", noise="1:9/10,100:1/10"), method="pca", dps=15,
                               route="algebraic")
        assert abs(got - want) <= mp.mpf(10) ** -13 * want
    finally:
        for cache in caches:
            cache.cache_clear()


def test_a_wrong_upper_edge_is_refused():
    """check_top: the top of the lower component as 'the upper edge' has density above it."""
    from numerics import support

    _, system, intervals = _pca_system()
    with mp.workdps(30):
        support.check_top(system, intervals[-1][1])
        with pytest.raises(support.SupportError, match="above the upper edge"):
            support.check_top(system, intervals[0][1])
        with pytest.raises(support.SupportError, match="outside the bounds"):
            support.check_top(system, intervals[-1][1] * 2)


#: A PCA bulk with ``γ`` 10⁻⁴ above 1 next to the closing of its gap (drawn by the near-critical
#: strategy of test_support_hard.py): two roots of (E3) almost meet at ``t ≈ 1.38``.
_PINCH = Model(Fraction(4152532825733977444552956269, 4000000000000000000000000000), 1, noise="1:2/5,18:3/5")


@pytest.mark.parametrize("nodes", [2048, 16384])
def test_the_float64_density_stays_on_the_branch_at_a_pinch(nodes):
    """On the Chebyshev nodes of the mass quadrature the warm-started float64 density once slid onto
    the neighbouring root at the pinch (the density vanished above ``t ≈ 1.38``, 0.6 of the mass lost)
    for 2048 and 16384 nodes. The continuous mass of PCA for ``γ > 1`` is ``1/γ`` (Marchenko–Pastur:
    the atom at 0 has mass ``1 − 1/γ``), the oracle here."""
    from numerics import fixedpoint, support

    with mp.workdps(30):
        system = fixedpoint.Spectral(_PINCH, "pca")
        (lo, hi), = fixedpoint.intervals_t(_PINCH, "pca", 15)
        w, _, c, h = support.float_terms(system)
    lo, hi = float(lo), float(hi)
    x = np.cos((2 * np.arange(1, nodes + 1) - 1) * np.pi / (2 * nodes))[::-1]
    rho = support.float_density((w, c, h), float(system.gamma), (lo + hi) / 2 + (hi - lo) / 2 * x, 1e-13 * hi)
    mass = float((rho * np.sqrt(1 - x * x)).sum()) * np.pi / nodes * (hi - lo) / 2
    assert abs(mass - 1 / float(_PINCH.gamma)) < 1e-4


def test_a_mass_the_quadrature_does_not_resolve_is_refused(monkeypatch):
    """The difference of the last two rules enters the mass tolerance as the quadrature's error: a
    density whose rules do not settle (here the true one times ``1 + 10/nodes``) is refused, not
    accepted with a tolerance that would hide a missing component."""
    from numerics import support

    _, system, intervals = _pca_system()
    honest = support.float_density
    monkeypatch.setattr(support, "float_density",
                        lambda terms, gamma, points, eta, scale=None:
                        honest(terms, gamma, points, eta, scale) * (1 + 10 / max(len(points), 2)))
    with mp.workdps(30), pytest.raises(support.SupportError, match="not resolved"):
        support.check(system, intervals)
