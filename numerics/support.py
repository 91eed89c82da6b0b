r"""The support of the continuous spectrum of ``T``: located completely, checked before it is used.

``T = D̄^{1/2}(S + B)D̄^{1/2}`` (PCA: ``S``) has, on a coordinate of variance ``s``, the population
``c(s) = D̄(s) s`` and the shift ``h(s) = b(s) D̄(s)`` (:class:`numerics.reduction.SpectralSystem`).
Two ways to find *every* interval of the support of its continuous part:

**A scalar shift** (PCA, the rotational basis, the isotropic bulk: ``D̄`` and ``h`` are one number)
makes ``T − h`` a sample covariance with population law ``c``, whose support has an explicit
characterisation (Silverstein & Choi 1995, *J. Multivariate Anal.* 54, 295–309): with
``t = −1/m̲``, the inverse of the companion Stieltjes transform is

    u(t) = h + t (1 + γ ∫ c/(t − c) dν),        u'(t) = 1 − f(t),    f(t) = γ ∫ c²/(t − c)² dν,

and a real ``u`` lies outside the support iff ``u = u(t)`` for a real ``t`` off the atoms of ``c``
with ``f(t) < 1``. ``f`` is convex on every interval between consecutive atoms (a sum of convex
``1/(t − c)²``), increasing below the smallest atom and decreasing above the largest, so
``f = 1`` has exactly one root below the atoms, one above, and 0 or 2 in each gap between two
atoms (where the convex ``f`` dips below 1): :func:`scalar_intervals` finds them all, in float64
first (vectorised over the gaps between atoms; a gap whose two-atom lower bound
``γ((w_i c_i²)^{1/3} + (w_{i+1} c_{i+1}²)^{1/3})³/(c_{i+1} − c_i)²`` exceeds 1 cannot open and is
skipped), then by bracketing root searches at the working precision, where the decision
``min f < 1`` is taken again. The edges are ``u(τ)`` at the sorted roots ``τ₁ < τ₂ < …``: the support is
``[u(τ₁), u(τ₂)] ∪ [u(τ₃), u(τ₄)] ∪ …``, and ``δ = τ/(u(τ) − h) − 1`` there. A law with a density
(positive at the ends of its support, as ``uniform`` and ``powerlaw``) has ``f = ∞`` on its
support: one interval, its two edges found by the same bracketing searches with the law's
quadrature.

**A shift that varies** (the diagonal basis with a resolvent) has no explicit inverse; the
fixed-point route scans the density between rigorous outer bounds (:func:`outer_bounds`) and
the algebraic route reads the discriminant. For ``γ > 1`` an atom of weight ``w_i > 1/γ`` leaves
an atom of ``T`` at its shift ``h_i``: the float64 walks step over it (``1/(1+δ)`` crosses 0
there) and the scan does not read the points within ``2η`` of it.

**The invariant** (:func:`check`), run on every support before a value is returned from it:
the density of ``T`` integrated over the reported intervals equals the continuous mass
(``1``, less the atoms of ``T`` for ``γ > 1``: ``1 − 1/γ`` at ``h`` for a scalar shift, else
``w_i − 1/γ`` at ``h_i`` for every atom of weight ``w_i > 1/γ``) within
:data:`MASS_TOL` plus the quadrature's own error estimate; the density is positive at every
quadrature node inside an interval (the rule is split at every shift ``h_i`` with ``γ w_i ≥ 1/2``
inside it, where the density can peak in a width far below the nodes' spacing) and zero
(``|Im g| ≤ 10⁻⁷|g|`` on the float64 branch
continued from ``+i∞`` to ``10⁻¹³`` above the real axis) in every gap and just outside the outer
edges. A support that fails raises
:class:`SupportError`, quoting the failed condition: it is never returned. The densities are
float64 (a law with a density is discretised on Gauss–Legendre nodes for this), so the mass is
checked to about 10⁻⁶, not to ``dps`` digits: the invariant catches a missing or spurious
component, the digits of each edge come from its Newton polish.
"""
from __future__ import annotations

import functools

import mpmath as mp

from numerics.reduction import ConvergenceError

__all__ = ["MASS_TOL", "SupportError", "outer_bounds", "scalar_intervals", "continuous_mass", "check"]

#: The continuous mass must be met within this (plus the quadrature's error estimate).
MASS_TOL = 1e-6


class SupportError(ConvergenceError):
    """A support failed its invariant (it is refused, never printed)."""

    def __init__(self, what: str, residual, tol):
        self.residual, self.tol = mp.mpf(residual), mp.mpf(tol)
        RuntimeError.__init__(self, f"support refused by its invariant: {what} "
                                    f"(residual {mp.nstr(self.residual, 3)}, tol {mp.nstr(self.tol, 3)})")


# --- float64 terms -----------------------------------------------------------------------------

def float_terms(system):
    """``(w, D̄, c, h)`` as float arrays: the atoms of a discrete law, or Gauss–Legendre nodes of a
    density (600 per piece between its breakpoints) — only to *locate* and to *check*."""
    import numpy as np

    if system._rows is not None:
        rows = system._rows
    else:
        law = system.law
        cuts = [_exact(law.lower), *[_exact(b) for b in law.breakpoints()], _exact(law.upper)]
        nodes, weights = _gauss_legendre(600)
        rows = []
        for a, b in zip(cuts, cuts[1:]):
            for x, v in zip(nodes, weights):
                s = a + (b - a) * (mp.mpf(float(x)) + 1) / 2
                rows.append((law.density_at(s) * (b - a) / 2 * float(v), *system.coefficients(s, memo=False)))
    return tuple(np.array([float(r[i]) for r in rows]) for i in range(4))


@functools.lru_cache(maxsize=4)
def _gauss_legendre(n: int):
    """Gauss–Legendre nodes and weights on ``[−1, 1]`` (an eigenvalue problem of size ``n``: cached)."""
    import numpy as np

    return np.polynomial.legendre.leggauss(n)


def _exact(value):
    """An exact rational (``Fraction``) as an ``mpf`` at the working precision."""
    return mp.mpf(value.numerator) / value.denominator if hasattr(value, "denominator") else mp.mpf(value)


def scaled(c, delta, scale):
    """``(c·c(δ), c²·e₂(δ))`` in float64 for the scale law ``scale`` (``None``: Gaussian data,
    ``c/(1+δ)`` and ``c²/(1+δ)²`` computed as they always were)."""
    if scale is None or scale.gaussian:
        return c / (1 + delta), c * c / (1 + delta) ** 2
    return c * scale.first_np(delta), c * c * scale.second_np(delta)


def float_continuation(terms, gamma: float, points, eta: float, scale=None):
    """δ at ``points + iη`` continued from ``+i∞`` in float64, all points at once (``scale``: the
    scale law of elliptical data, :mod:`numerics.scale`; ``None`` for Gaussian data)."""
    import numpy as np

    w, c, h = terms
    points = np.asarray(points, dtype=float)
    height = 4.0 * max(1.0, float(np.abs(c + h).max()), float(np.abs(points).max()))
    floor = max(eta, height * 1e-19)
    # halving η (8 Newton steps each): with thirds the step jumped off the branch onto a real root
    # where the null directions of S spread a part of T (γ > 1, a varying shift, δ ≈ 260i there)
    levels = int(np.ceil(np.log(height / floor) / np.log(2.0))) + 1
    delta = np.zeros(points.shape, dtype=complex)
    wc, wcc = (w * c).astype(complex), (w * c * c).astype(complex)
    for j in range(levels + 2):
        z = points + 1j * (max(height * 2.0 ** -j, floor) if j <= levels else eta)
        shifted = h[None, :] - z[:, None]
        for _ in range(8):
            first, second = scaled(1.0, delta, scale)  # c(δ), e₂(δ) per point
            r = 1 / (np.multiply.outer(first, c) + shifted)
            F = gamma * (r @ wc) - delta
            dF = gamma * second * ((r * r) @ wcc) - 1
            step = F / dF
            delta = delta - step
            if np.all(np.abs(step) <= 1e-14 * (1 + np.abs(delta))):  # this level has converged
                break
    return delta


def _continued_g(terms, gamma: float, points, eta: float, scale=None):
    """``(δ, g)`` at ``points + iη``, each continued from ``+i∞`` on its own (:func:`float_continuation`)."""
    w, c, h = terms
    delta = float_continuation(terms, gamma, points, eta, scale)
    g = (w / (scaled(c, delta[:, None], scale)[0] + (h - (points + 1j * eta)[:, None]))).sum(axis=1)
    return delta, g


def float_density(terms, gamma: float, points, eta: float, scale=None, slopes: bool = False):
    r"""``ρ_T`` at ``points + iη`` in float64 on the (E3) branch continued from ``+i∞``.

    Along the ordered ``points`` each δ is Newton's from the previous point's (warm start); a
    point where that fails to converge or lands off the branch (``Im g < 0``) is continued from
    ``+i∞`` on its own (:func:`float_continuation`). (E3) is evaluated as ``γ Σ w c r − δ`` with
    ``r = 1/(c·c(δ) + (h − z))``: ``h − z`` first, exact when a narrow bulk sits far from 0 (``p``
    near 1, a large ridge), where ``(c·c(δ) + h) − z`` would cancel to the width's float64 digits.

    ``slopes=True`` also returns ``∂ρ/∂η = Re g'(z)/π`` at each point, by implicit differentiation
    of (E3): ``δ' = −F_z/F_δ`` with ``F_z = γ Σ w c r²``, ``F_δ = γ e₂(δ) Σ w c² r² − 1`` (``c'(δ) =
    −e₂(δ)``), and ``g' = Σ w r² + e₂(δ) (Σ w c r²) δ'`` (see :func:`vanishing`).
    """
    import numpy as np

    w, c, h = terms
    points = np.asarray(points, dtype=float)
    rho, slope = np.empty(points.shape), np.empty(points.shape)
    weights = w.astype(complex)
    wc, wcc, cc = (w * c).astype(complex), (w * c * c).astype(complex), c.astype(complex)
    # the inner loop on preallocated arrays (a third of its time was allocation)
    r, rr, shifted = (np.empty(c.shape, dtype=complex) for _ in range(3))

    def resolvent(delta):  # r at δ (into the array r), and c(δ), e₂(δ)
        first, second = scaled(1.0, delta, scale)
        np.multiply(cc, first, out=r)
        np.add(r, shifted, out=r)
        np.reciprocal(r, out=r)
        return first, second

    delta, previous = None, 0.0
    for i, u in enumerate(points):
        np.subtract(h, u + 1j * eta, out=shifted)
        good = False
        if delta is not None:
            for _ in range(30):
                first, second = resolvent(delta)
                F = gamma * (wc @ r) - delta
                if abs(F) <= 1e-12 * (1 + abs(delta)):
                    good = True
                    break
                np.multiply(r, r, out=rr)
                delta = delta - F / (gamma * second * (wcc @ rr) - 1)
        g = weights @ r if good else None
        # a drop of the density to a quarter can be a slide onto a neighbouring root (near a pinch
        # of the bulk two roots almost meet): the point is continued from +i∞ on its own then too
        if not good or g.imag < -1e-9 * abs(g) or g.imag < previous / 4:
            delta = complex(float_continuation(terms, gamma, [u], eta, scale)[0])
            first, second = resolvent(delta)
            g = weights @ r
        rho[i] = max(g.imag, 0.0) / np.pi
        previous = g.imag
        if slopes:
            np.multiply(r, r, out=rr)
            s_c = wc @ rr
            d_delta = -gamma * s_c / (gamma * second * (wcc @ rr) - 1)
            slope[i] = (weights @ rr + second * s_c * d_delta).real / np.pi
    return (rho, slope) if slopes else rho


def vanishing(terms, gamma: float, points, eta: float, scale=None):
    r"""Where the density at ``points`` is ``O(η)`` (a gap, or outside the support): ``ρ_T`` at
    ``u + iη`` is ``η ∫ dμ(x)/((x − u)² + η²)/π`` there, linear in ``η`` (``η ∂ρ/∂η = ρ``), while inside
    the support it is ``ρ(u) + O(η)`` (``η ∂ρ/∂η ≪ ρ``). The test is ``9η ∂ρ/∂η > 4ρ``, the
    linearisation of ``ρ(10η) > 5ρ(η)`` (two densities it replaces: one sweep of
    :func:`float_density` instead of two), or ``ρ ≤ 0``. Returns ``(vanishing, ρ)``."""
    rho, slope = float_density(terms, gamma, points, eta, scale, slopes=True)
    return (rho <= 0) | (9 * eta * slope > 4 * rho), rho


def outer_bounds(terms, gamma: float, scale=None):
    """Points strictly below and above the whole spectrum of ``T`` (float).

    ``T = D̄^{1/2} S D̄^{1/2} + BD̄`` with ``‖D̄^{1/2} S D̄^{1/2}‖ ≤ max c · max τ · ‖ZZᵀ/n‖ →
    max c · max τ (1 + √γ)²`` and ``D̄^{1/2} S D̄^{1/2} ⪰ 0`` (``⪰ min c · min τ (1 − √γ)²`` for
    ``γ < 1``; ``τ`` the per-sample scales of elliptical data, 1 for Gaussian data), so the
    spectrum lies in ``[min h + min c min τ (1 − √γ)₊², max h + max c max τ (1 + √γ)²]``; a margin
    of 1 % of that width (and of its scale) is added on both sides.
    """
    _, _, c, h = terms
    root = gamma ** 0.5
    tau_low, tau_high = (1.0, 1.0) if scale is None or scale.gaussian else scale.range()
    low = float(h.min()) + float(c.min()) * tau_low * max(0.0, 1 - root) ** 2
    high = float(h.max()) + float(c.max()) * tau_high * (1 + root) ** 2
    margin = 0.01 * (high - low) + 1e-9 * max(abs(high), abs(low), 1e-300)
    return low - margin, high + margin


def lower_null_bound(coarse) -> float:
    """``min c · min τ · (√γ − 1)²`` (``γ > 1``): a lower bound of the nonzero eigenvalues of
    ``D̄^{1/2} S D̄^{1/2}`` (those of the ``n×n`` companion ``T^{1/2}ZᵀCZT^{1/2}/n ⪰ min c min τ ZᵀZ/n``)."""
    tau_low = 1.0 if coarse.scale.gaussian else coarse.scale.range()[0]
    return float(coarse.c.min()) * tau_low * (coarse.gamma ** 0.5 - 1) ** 2


def shift_probes(terms, gamma: float, lo: float, hi: float):
    """Points at ``h_i ± (hi − lo)·10^{-k}`` (``k = 2 … 12``) for every shift ``h_i`` in ``(lo, hi)``
    of an atom with ``γ w_i ≥ 1/2``: for ``γ w_i ≥ 1`` (at ``u = h_i`` the term ``i`` of (E3) tends
    to ``γ w_i`` as ``δ → ∞``) a component of the part the null directions spread may end there with
    a density that does not vanish, or next to an atom of ``T``; for ``γ w_i`` below 1 but close to
    it a gap next to ``h_i`` can be far narrower than the scan's grid (``γ = 11/10``, ``w = 9/10``:
    relative width 10⁻⁵). (The nodes of a density's quadrature weigh far less: never probed.)"""
    import numpy as np

    w, _, _, h = terms
    offsets = (hi - lo) * 10.0 ** -np.arange(2, 13)
    shifts = np.unique(np.asarray(h, dtype=float)[gamma * np.asarray(w) >= 0.5])
    shifts = shifts[(shifts > lo) & (shifts < hi)]
    points = (shifts[:, None] + np.concatenate([offsets, -offsets])[None, :]).ravel()
    return points[(points > lo) & (points < hi)]


# --- a scalar shift: Silverstein–Choi ----------------------------------------------------------

def _float_scalar_roots(w, c, gamma: float):
    """The roots of ``f(t) = γ Σ w c²/(t − c)² = 1`` in float64, and for each gap between two
    atoms where ``min f`` is within ``10⁻⁶`` of 1 or below, its bracket for the precise decision.

    Returns ``(low, high, gaps)``: ``gaps`` is a list of ``(i, t_min)`` (``i``: the gap between
    atoms ``i`` and ``i + 1`` of the sorted ``c``).
    """
    import numpy as np

    def f(t):
        return gamma * (w * c * c / (t[:, None] - c) ** 2).sum(axis=1)

    def fprime(t):
        return -2 * gamma * (w * c * c / (t[:, None] - c) ** 3).sum(axis=1)

    scale = float(c.max())
    reach = 2 * gamma ** 0.5 * scale + scale
    low, high = _bisect(lambda t: f(t) - 1, np.array([c[0] - reach, c[-1] + reach]),
                        np.array([c[0], c[-1]]))
    gaps = []
    if len(c) > 1:
        width = np.diff(c)
        cube = np.cbrt(w * c * c)
        bound = gamma * (cube[:-1] + cube[1:]) ** 3 / width ** 2  # ≤ min f on the gap
        index = np.flatnonzero(bound <= 1 + 1e-6)
        if index.size:
            t_min = _bisect(fprime, c[index], c[index + 1])  # f' increases from −∞ to +∞ there
            f_min = f(t_min)
            gaps = [(int(i), float(t)) for i, t, v in zip(index, t_min, f_min) if v <= 1 + 1e-6]
    return float(low), float(high), gaps


def _bisect(function, lo, hi, steps: int = 200):
    """Vectorised bisection for sign changes of ``function`` (``function(lo) < 0 < function(hi)``
    elementwise or the reverse), to the float64 resolution."""
    import numpy as np

    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sign_lo = np.sign(function(lo + 0 * lo))
    for _ in range(steps):
        mid = (lo + hi) / 2
        if np.all((mid == lo) | (mid == hi)):
            break
        value = np.sign(function(mid))
        left = value == sign_lo
        lo = np.where(left, mid, lo)
        hi = np.where(left, hi, mid)
    return (lo + hi) / 2


def _root(function, a, b, what: str):
    """A root of ``function`` in the bracket ``(a, b)`` (opposite signs, checked) to the working precision."""
    fa, fb = function(a), function(b)
    if fa == 0:
        return a
    if fb == 0:
        return b
    if mp.sign(fa) == mp.sign(fb):
        raise SupportError(f"{what}: no sign change in the bracket", abs(fa), 0)
    # bisection to a few digits, then Anderson–Björk (bracketing, superlinear) to the end
    for _ in range(30):
        mid = (a + b) / 2
        fm = function(mid)
        if fm == 0:
            return mid
        if mp.sign(fm) == mp.sign(fa):
            a, fa = mid, fm
        else:
            b, fb = mid, fm
    tol = mp.mpf(2) ** (-mp.mp.prec + 12) * (1 + abs(a))
    return mp.findroot(function, (a, b), solver="anderson", tol=tol ** 2, maxsteps=400, verify=False)


def scalar_intervals(system):
    r"""Every interval of the support of ``T`` for a scalar shift, at the working precision.

    Returns ``[(t₋, t₊, δ₋, δ₊), …]`` ascending (``δ = ∞`` at the hard edge ``γ = 1``), by the
    roots of ``f = 1`` (module text).
    """
    gamma = system.gamma
    D, _, h = system._at_poles()[0]
    if system._rows is not None:
        pairs = {}
        for w, _, c, _ in system._rows:
            pairs[c] = pairs.get(c, 0) + w
        atoms = sorted(pairs.items())
        cs = [c for c, _ in atoms]
        ws = [w for _, w in atoms]

        def integrate(g):
            return mp.fsum(w * g(c) for c, w in atoms)
    else:
        poles = system._at_poles()
        cs = [poles[0][1], poles[-1][1]]

        def integrate(g):
            return system._integrate(lambda _D, c, _h: g(c))

    def f_minus_1(t):
        return gamma * integrate(lambda c: c * c / (t - c) ** 2) - 1

    def u_of(t):
        return h + t * (1 + gamma * integrate(lambda c: c / (t - c)))

    roots = []
    reach = 2 * mp.sqrt(gamma) * cs[-1] + cs[-1]
    if system._rows is not None:
        import numpy as np

        low, high, gaps = _float_scalar_roots(np.array([float(w) for w in ws]), np.array([float(c) for c in cs]),
                                              float(gamma))
    else:
        low, high, gaps = None, None, []
    # the outer roots: f increases on (−∞, c₁) and decreases on (c_K, ∞)
    roots.append(_root(f_minus_1, *_near(f_minus_1, cs[0] - reach, cs[0], low), what="lower edge"))
    upper = _root(f_minus_1, *_near(f_minus_1, cs[-1] + reach, cs[-1], high), what="upper edge")
    for i, t_min in gaps:  # a gap between atoms i, i+1: min f < 1 decided at the working precision

        def fprime(t):
            return -2 * gamma * integrate(lambda c: c * c / (t - c) ** 3)

        a, b = cs[i], cs[i + 1]
        inner_a, inner_b = _inside(a, b, mp.mpf(t_min))
        t_star = _root(fprime, *_widen(fprime, inner_a, inner_b, a, b), what="minimum of f between two atoms")
        if f_minus_1(t_star) >= 0:
            continue  # min f ≥ 1 at the working precision: no gap
        left = _toward(f_minus_1, t_star, a)
        right = _toward(f_minus_1, t_star, b)
        roots += [_root(f_minus_1, left, t_star, what="edge of a gap"),
                  _root(f_minus_1, t_star, right, what="edge of a gap")]
    roots.append(upper)
    roots.sort()
    out = []
    for lo, hi in zip(roots[::2], roots[1::2]):
        out.append(tuple(_edge_point(u_of, h, t) for t in (lo, hi)))
    return [(a[0], b[0], a[1], b[1]) for a, b in out]


def _edge_point(u_of, h, t):
    """``(u(τ), δ(τ))`` at a root ``τ``: ``1/(1+δ) = (u − h)/τ`` (Silverstein–Choi's ``y = −u m̲``)."""
    u = u_of(t)
    v = u - h
    if v == 0 or t == 0:  # the hard edge (γ = 1): δ diverges
        return h, mp.inf
    return u, t / v - 1


def _near(f, far_side, pole_side, hint):
    """A bracket of the root of ``f`` (monotone, ``f(far_side) < 0``, ``f → +∞`` at the atom
    ``pole_side``), tightened around the float64 ``hint`` when its signs verify."""
    low_end, high_end = sorted((far_side, pole_side))
    if hint is not None:
        hint = mp.mpf(hint)
        for width in (mp.mpf(10) ** -9, mp.mpf(10) ** -5):
            lo, hi = hint - width * (high_end - low_end), hint + width * (high_end - low_end)
            if low_end < lo and hi < high_end and mp.sign(f(lo)) != mp.sign(f(hi)):
                return lo, hi
    near = _toward(f, far_side, pole_side)
    return tuple(sorted((far_side, near)))


def _toward(f, start, pole):
    """A point between ``start`` and the atom ``pole`` where ``f > 0`` (``f → +∞`` at the atom)."""
    point = start
    for _ in range(4000):
        point = (point + pole) / 2
        if f(point) > 0:
            return point
    raise SupportError("no point with f > 1 next to an atom", 0, 0)


def _inside(a, b, t):
    """A bracket ``(t − ε, t + ε)`` inside ``(a, b)`` around the float estimate ``t``."""
    width = (b - a) * mp.mpf(10) ** -8
    return max(a + (b - a) / 2 ** 60, t - width), min(b - (b - a) / 2 ** 60, t + width)


def _widen(g, lo, hi, a, b):
    """Widen ``(lo, hi)`` towards ``(a, b)`` until the increasing ``g`` changes sign on it."""
    while g(lo) > 0:
        lo = (lo + a) / 2
    while g(hi) < 0:
        hi = (hi + b) / 2
    return lo, hi


def check_top(system, upper, terms=None) -> None:
    """The invariant where only the upper edge ``t₊`` is known: ``t₊`` lies below the outer bound of
    :func:`outer_bounds` (width ``w``), the density is zero on 2000 points between ``t₊`` and that
    bound and positive just below ``t₊`` (at ``t₊ − 10⁻⁴ w`` and ``t₊ − 10⁻² w``)."""
    import numpy as np

    w, _, c, h = float_terms(system) if terms is None else terms
    terms3, gamma, law = (w, c, h), float(system.gamma), system.scale_law
    low, high = outer_bounds((w, None, c, h), gamma, law)
    width, top = high - low, float(upper)
    eta = 1e-13 * max(abs(low), abs(high), width)
    if not low < top < high:
        raise SupportError(f"the upper edge {top:.10g} is outside the bounds [{low:.10g}, {high:.10g}] of the "
                           f"spectrum", 1, 0)
    # zero above: 2000 points from just above t₊ to the outer bound, each either O(η) in density
    # (linear in η, :func:`vanishing`) or a real branch at 30 digits
    above = top + (high - top) * np.concatenate([np.logspace(-6, 0, 200), np.linspace(0, 1, 1801)[1:]])
    above = above[above < high]
    empty, rho = vanishing(terms3, gamma, above, eta, law)
    solid = (rho > 1e-9 / width) & ~empty
    for point in above[solid]:
        start = complex(float_continuation(terms3, gamma, [point], eta, law)[0])
        if not _real_branch(system, mp.mpf(float(point)), start):
            raise SupportError(f"positive density at {point:.10g}, above the upper edge {top:.10g}", 1, 0)
    for point in (top - 1e-4 * width, top - 1e-2 * width):
        start = complex(float_continuation(terms3, gamma, [point], eta, law)[0])
        # O(η) against a typical density (unit mass over the width): decided at 30 digits
        if float_density(terms3, gamma, [point], eta, law)[0] <= 1e-9 / width and \
                _real_branch(system, mp.mpf(point), start):
            raise SupportError(f"zero density at {point:.10g}, just below the upper edge {top:.10g}", 1, 0)


def degenerate(system, model) -> bool:
    """Whether a varying shift has an atom with ``γ w_i = 1`` exactly: the part the null directions
    spread then ends at the shift ``h_i`` with a singular density."""
    if system.scalar or system._rows is None:
        return False
    return any(model.gamma * w == 1 for _, w in model.law.exact)


# --- the invariant -----------------------------------------------------------------------------

def continuous_mass(system):
    """``(mass, atoms)``: the mass of the continuous part of ``μ_T`` and its atoms ``[(t, mass)]``.

    ``γ ≤ 1``: no atom. ``γ > 1``: the ``d − n`` null directions of ``S`` put ``T`` at ``BD̄``
    restricted to them: one atom ``1 − 1/γ`` at ``h`` for a scalar shift; otherwise an atom
    ``w_i − 1/γ`` at ``h_i`` for every atom of weight ``w_i > 1/γ`` (the eigenspace of ``D̄``
    meets the null space in that dimension) and a continuous remainder.
    """
    gamma = system.gamma
    if gamma <= 1:
        return mp.mpf(1), []
    inverse = 1 / gamma
    if system.scalar:
        return inverse, [(system.shifts()[0], 1 - inverse)]
    if system._rows is None:
        return mp.mpf(1), []
    atoms = [(h, w - inverse) for w, _, _, h in system._rows if w > inverse]
    return 1 - mp.fsum(m for _, m in atoms), atoms


#: Nodes of the mass quadrature per interval (Gauss–Chebyshev of the first kind, see :func:`check`),
#: doubled up to :data:`MAX_NODES` until two rules agree to 10⁻⁸; the difference of the last two is
#: the error estimate.
NODES = 512
MAX_NODES = 16384
#: The largest difference of the last two rules accepted as the error estimate of a mass: beyond it
#: the estimate (which enters the mass tolerance) could hide a missing component, and the support
#: is refused.
UNRESOLVED_MASS = 1e-4


def check(system, intervals, terms=None):
    """Refuse (:class:`SupportError`) a support ``[(t₋, t₊), …]`` of ``T`` that fails the invariant.

    See the module text. ``terms``: the float64 ``(w, D̄, c, h)`` of ``system`` if the caller has
    them (:func:`float_terms` otherwise). Returns the masses of the intervals (floats).
    """
    import numpy as np

    if not intervals:
        raise SupportError("no interval", 1, 0)
    w, _, c, h = float_terms(system) if terms is None else terms
    terms, gamma, law = (w, c, h), float(system.gamma), system.scale_law
    flat = [(float(lo), float(hi)) for lo, hi in intervals]
    if any(not hi > lo for lo, hi in flat) or any(not b[0] > a[1] for a, b in zip(flat, flat[1:])):
        raise SupportError("intervals empty or out of order", 1, 0)
    scale = max(abs(flat[0][0]), abs(flat[-1][1]), flat[-1][1] - flat[0][0])
    masses, errors = [], []
    # a shift h_i with γ w_i ≥ 1/2 inside an interval can carry a peak of the density narrower than
    # the nodes (γ w_i = 0.99: width 10⁻⁴ of the interval) or end a component there: the rule is
    # applied on either side of it, where its nodes cluster
    peaks = np.unique(h[gamma * w >= 0.5])
    for lo, hi in flat:
        # η relative to this interval's width: a global η would smear a singular (inverse-square-root)
        # edge of a small component far below the top one, and one relative to its distance from 0
        # the edges of a narrow component far from 0 (a huge ridge, p near 1: width 10⁻⁹ at 1 lost
        # 10⁻⁴ of its mass); float_density computes h − z first, so the width sets its resolution
        eta = 1e-13 * (hi - lo)
        cuts = [lo, *[t for t in peaks if lo + 1e-9 * (hi - lo) < t < hi - 1e-9 * (hi - lo)], hi]
        pieces = [_chebyshev_mass(terms, gamma, a, b, eta, law) for a, b in zip(cuts, cuts[1:])]
        mass, error = sum(piece[0] for piece in pieces), sum(piece[1] for piece in pieces)
        # zero density inside: O(η) on the float64 branch, decided at 30 digits
        typical = max(mass, 0.0) / (hi - lo)
        for _, _, points, rho in pieces:
            for where in points[rho <= 1e-9 * typical]:
                start = complex(float_continuation(terms, gamma, [where], eta, law)[0])
                if typical == 0 or _real_branch(system, mp.mpf(float(where)), start):
                    raise SupportError(f"zero density inside the interval [{lo:.10g}, {hi:.10g}] "
                                       f"at {where:.10g}", 1, 0)
        masses.append(mass)
        errors.append(error)
        if error > UNRESOLVED_MASS:  # the error estimate would swallow a missing component
            raise SupportError(f"the mass of [{lo:.10g}, {hi:.10g}] is not resolved by {MAX_NODES} nodes "
                               f"(the last two rules differ by {error:.3g})", error, UNRESOLVED_MASS)
    eta = 1e-13 * scale
    # a gap that ends at a shift h_i can be narrower than the nodes: probe next to every shift
    probes = shift_probes((w, None, c, h), gamma, flat[0][0], flat[-1][1])
    probes = probes[[any(lo < p < hi for lo, hi in flat) for p in probes]] if probes.size else probes
    mass, atoms = continuous_mass(system)
    atoms_at = [float(t) for t, _ in atoms]
    probes = np.array([p for p in probes if all(abs(p - t) > 1e-9 * scale for t in atoms_at)])
    if probes.size:
        # each probe continued from +i∞ on its own (as float_density does without a warm start), all at once
        delta, g = _continued_g(terms, gamma, probes, eta, law)
        for k in np.flatnonzero(g.imag <= 0):
            if _real_branch(system, mp.mpf(float(probes[k])), complex(delta[k])):
                raise SupportError(f"zero density at {probes[k]:.12g}, inside a reported interval (next to a shift)", 1, 0)
    residual = abs(sum(masses) - float(mass))
    # a narrow bulk far from 0 (a large ridge, p near 1) is resolved by float64 only to about
    # 10⁻¹⁶ of its distance from 0 relative to its width
    condition = max(abs(flat[0][0]), abs(flat[-1][1])) / (flat[-1][1] - flat[0][0])
    tol = MASS_TOL + 10 * sum(errors) + 1e-11 * condition
    if not residual <= tol:
        raise SupportError(f"the density integrates to {sum(masses):.9f} over the intervals, "
                           f"the continuous mass is {float(mass):.9f}", residual, tol)
    # zero density in every gap and just outside: the float64 branch continued from +i∞ to the
    # real axis (η = 10⁻¹³ of the scale) has Im g = O(η) there
    width = flat[-1][1] - flat[0][0]
    outside = [flat[0][0] - 1e-3 * width, flat[-1][1] + 1e-3 * width]
    outside += [(a[1] + b[0]) / 2 for a, b in zip(flat, flat[1:])]
    outside = np.array([p for p in outside if all(abs(p - t) > 1e-9 * scale for t in atoms_at)])
    if outside.size:
        delta, g = _continued_g(terms, gamma, outside, eta, law)
        bad = np.abs(g.imag) > 1e-7 * (1 + np.abs(g))
        for k in np.flatnonzero(bad):
            # float64 cannot resolve a very narrow gap: decide at 30 digits, where outside the
            # support the branch is a real root of (E3) with ∂_δ equation < 0 (it vanishes at an edge)
            if not _real_branch(system, mp.mpf(float(outside[k])), delta[k]):
                raise SupportError(f"positive density at {outside[k]:.10g}, outside the reported intervals",
                                   float(abs(g.imag[k])), 1e-7)
    return masses


def _chebyshev_mass(terms, gamma: float, lo: float, hi: float, eta: float, law):
    """``(∫_lo^hi ρ, error, inner nodes, ρ there)`` by Gauss–Chebyshev of the first kind: ``∫ρ = ∫
    (ρ √(1−x²)) dx/√(1−x²)``, smooth for a square-root edge and bounded for an inverse-square-root
    one (an edge at a shift ``h_i``); the nodes double from ``NODES/2`` until two rules (at least
    ``NODES``) agree to ``10⁻⁸`` or ``MAX_NODES`` is reached; the error is the difference of the last
    two. The inner nodes (``|x| < 0.98``) are where the caller checks that the density is positive."""
    import numpy as np

    values, n = [], NODES // 2
    while True:
        x = np.cos((2 * np.arange(1, n + 1) - 1) * np.pi / (2 * n))[::-1]
        rho = float_density(terms, gamma, (lo + hi) / 2 + (hi - lo) / 2 * x, eta, law)
        values.append(float((rho * np.sqrt(1 - x * x)).sum()) * np.pi / n * (hi - lo) / 2)
        if n >= NODES and (abs(values[-1] - values[-2]) <= 1e-8 or n >= MAX_NODES):
            break
        n *= 2
    inner = np.abs(x) < 0.98
    return values[-1], abs(values[-1] - values[-2]), ((lo + hi) / 2 + (hi - lo) / 2 * x)[inner], rho[inner]


def _real_branch(system, u, start) -> bool:
    """Whether Newton from the float64 branch value ``start`` finds, at 30 digits, a real root of
    (E3) at the real ``u`` with ``∂_δ equation < 0`` (the branch outside the support)."""
    with mp.workdps(30):
        try:
            x0 = mp.mpf(start.real)
            # elliptical data: a close second secant point (mpmath's x0 + 1/4 can jump over a pole −1/τ_j)
            x0 = x0 if system.scale_law.gaussian else (x0, x0 + (1 + abs(x0)) * mp.mpf(10) ** -8)
            delta = mp.findroot(lambda d: system.equation(d, u), x0, tol=mp.mpf(10) ** -50,
                                maxsteps=100, verify=False)
        except (ZeroDivisionError, ValueError, OverflowError):
            return False
        if mp.im(delta) != 0 or abs(system.equation(delta, u)) > mp.mpf(10) ** -20 * (1 + abs(delta)):
            return False
        return system.d_equation(delta, u) < 0
