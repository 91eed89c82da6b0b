r"""An independent high-precision oracle for elliptical data (a per-sample scale law ρ).

Written from the equations alone with plain mpmath; it imports nothing from :mod:`numerics`,
:mod:`derive` or :mod:`ssr`, so the tests that compare the toolkit with it check the toolkit's
solving *and* its formulas.

Model. Rows ``x = √τ Σ^{1/2} z`` with ``z ~ N(0, I_d)`` and ``τ`` i.i.d. from ``ρ`` (``E τ = 1``);
``n`` samples, ``γ = d/n``, ``S = XᵀX/n``; ``Σ = diag(s)`` with ``s ~ ν`` (discrete); ridge ``λ``.
Two bases: ``"diagonal"`` (``Σ`` diagonal in the coordinates) and ``"rotational"`` (Haar
eigenbasis: every diagonal entry of a function of ``Σ`` is its ``ν``-average).

Scale functions (the only place ``ρ`` enters; for ``ρ = δ₁`` they are ``1/(1+δ)`` and
``1/(1+δ)²``, the Gaussian case)::

    c(δ)  = ∫ τ/(1+τδ) dρ,        e₂(δ) = ∫ τ²/(1+τδ)² dρ = −c'(δ).

These are the elliptical (Marchenko–Pastur with a variance profile over the samples)
deterministic equivalents: e.g. El Karoui, "Concentration of measure and spectra of random
matrices: applications to correlation matrices, elliptical distributions and beyond" (Ann. Appl.
Probab. 2009); Couillet & Liao, "Random Matrix Methods for Machine Learning" (CUP 2022), §2.
For one τ-atom the (E1) equation below is the Silverstein–Bai equation of a sample covariance.

Estimators. Masked ridge with training ratio ``p ∈ [0, 1)`` (``p = 0``: leave-one-out)::

    Â_p = (1/(1−p)) (I − diag(R_p)⁻¹ R_p),   R_p = (S + B_S)⁻¹,
    B_S = p/(1−p) diag(S) + λ/(1−p)² I,   i.e.  (1−p)S + p diag(S) + λ/(1−p) I = (1−p)(S + B_S).

In the limit ``diag(S) → diag(Σ)`` (``E τ = 1``): diagonal basis ``B = diag b(s)``,
``b(s) = p s/(1−p) + λ/(1−p)²``; rotational basis ``diag Σ = s̄ I`` (``s̄ = ∫ s dν``) and
``b = p s̄/(1−p) + λ/(1−p)²`` is a scalar.

Deterministic equivalents (the positive root ``δ`` of (E1))::

    (E1)  δ = γ ∫ s/(c(δ) s + b(s)) dν,           R̄(s) = 1/(c(δ) s + b(s));
    (E2)  R A R ≍ R̄ A R̄ + c(A) R̄ Σ R̄,  c(A) = κ e₂ γ ∫ s a(s) R̄(s)² dν,
          κ = 1/(1 − e₂ γ ∫ (s R̄(s))² dν),

for ``A`` a function ``a(s)`` of ``Σ``. The masked test error at test ratio ``q`` is

    E(q) = (1/d) Σ_k [Σ_kk − 2(1−q)(AΣ)_kk + (1−q)²(AΣAᵀ)_kk + q(1−q)(AΔAᵀ)_kk],   Δ = diag Σ,

with ``(AΣ)_kk = c_p(Σ_kk − (RΣ)_kk/R_kk)``, ``(AΣAᵀ)_kk = c_p²(Σ_kk − 2(RΣ)_kk/R_kk +
(RΣR)_kk/R_kk²)``, ``(AΔAᵀ)_kk = c_p²(−Δ_kk + (RΔR)_kk/R_kk²)``, ``c_p = 1/(1−p)`` (row ``k``
of ``A`` has a zero diagonal; ``q`` hides each input coordinate with probability ``q``).

Spectra (PCA, ``S`` itself): ``(S − u)⁻¹ ≍ (c(δ)Σ − u)⁻¹`` with ``δ(u) = γ ∫ s/(c(δ)s − u) dν``;
the bulk edges are where this equation has a double root in real ``δ``; a spike
``Σ = I + θvvᵀ`` has an outlier ``u`` with ``1 + θ c(δ(u)) ∫ 1/(c(δ)s − u) dν = 0``.

Everything here works at ``mp.workdps(dps)`` and returns ``mpf`` values.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp

__all__ = [
    "parse_law",
    "ScaleLaw",
    "delta",
    "gen_error",
    "pca_edges",
    "pca_edges_dual",
    "pca_intervals_dual",
    "pca_threshold",
    "pca_outlier",
]


# --- laws --------------------------------------------------------------------------------------

def parse_law(law):
    """``"s1:w1,s2:w2"`` (or a sequence of pairs) → ``[(Fraction s, Fraction w)]``, weights summing to 1."""
    if isinstance(law, str):
        pairs = []
        for item in law.split(","):
            s, w = item.split(":")
            pairs.append((Fraction(s.strip()), Fraction(w.strip())))
    else:
        pairs = [(Fraction(s), Fraction(w)) for s, w in law]
    if sum(w for _, w in pairs) != 1 or any(w <= 0 or s <= 0 for s, w in pairs):
        raise ValueError(f"a law needs positive atoms and weights summing to 1, got {law!r}")
    return pairs


def _mp(x):
    x = Fraction(x)
    return mp.mpf(x.numerator) / x.denominator


def _out(value, dps):
    """``value`` rounded to ``dps`` digits (an ``mpf`` keeps them whatever the caller's precision)."""
    with mp.workdps(dps):
        return [+v for v in value] if isinstance(value, list) else +value


def _atoms(law):
    """The atoms of a parsed law as ``mpf`` pairs at the working precision."""
    return [(_mp(s), _mp(w)) for s, w in parse_law(law)]


class ScaleLaw:
    """The per-sample scale law ``ρ`` and its functions ``c(δ) = ∫ τ/(1+τδ) dρ``, ``e₂(δ) = −c'(δ)``.

    ``ρ`` must have mean 1 (``E τ = 1``: then ``diag S → diag Σ``). ``c`` and ``e₂`` are defined
    for ``1 + τ δ > 0`` on the support, i.e. ``δ > −1/τ_max``.
    """

    def __init__(self, law):
        self.exact = parse_law(law)
        if sum(t * w for t, w in self.exact) != 1:
            raise ValueError(f"the scale law must have mean 1, got {law!r}")

    def atoms(self):
        return [(_mp(t), _mp(w)) for t, w in self.exact]

    @property
    def top(self):
        return _mp(max(t for t, _ in self.exact))

    def c(self, d):
        return mp.fsum(w * t / (1 + t * d) for t, w in self.atoms())

    def e2(self, d):
        return mp.fsum(w * (t / (1 + t * d)) ** 2 for t, w in self.atoms())


def _scale(scale) -> ScaleLaw:
    return scale if isinstance(scale, ScaleLaw) else ScaleLaw("1:1" if scale is None else scale)


# --- root finding --------------------------------------------------------------------------------

def _bisect_root(f, lo, hi, tol_digits=None):
    """A root of ``f`` in ``[lo, hi]`` (``f(lo)``, ``f(hi)`` of opposite signs): bisection to ~20
    digits, then a Newton polish (secant via mpmath) that must stay inside the bracket."""
    flo, fhi = f(lo), f(hi)
    if flo == 0:
        return lo
    if fhi == 0:
        return hi
    if (flo > 0) == (fhi > 0):
        raise ValueError("no sign change in the bracket")
    with mp.workdps(30):
        a, b, fa = mp.mpf(lo), mp.mpf(hi), flo
        for _ in range(200):
            mid = (a + b) / 2
            fm = f(mid)
            if (fm > 0) == (fa > 0):
                a, fa = mid, fm
            else:
                b = mid
            if abs(b - a) <= mp.mpf(10) ** -20 * max(abs(a), abs(b), 1):
                break
        guess = (a + b) / 2
    root = mp.findroot(f, guess, tol=mp.mpf(10) ** (-2 * mp.mp.dps + 2) if tol_digits is None else tol_digits)
    if not min(lo, hi) <= root <= max(lo, hi):
        raise ValueError("the polish left the bracket")
    return root


def _bracket_towards(f, inside, outside, sign):
    """Move from ``outside`` towards ``inside`` (geometrically) until ``f`` has ``sign``; return the point.

    Used near a pole: ``outside`` is the singular end of an interval.
    """
    gap = inside - outside
    for k in range(1, 400):
        x = outside + gap / mp.mpf(2) ** k
        if (f(x) > 0) == (sign > 0):
            return x
    raise ValueError("no bracket near the pole")


# --- (E1), (E2) and the masked errors ------------------------------------------------------------

def _ridge(noise, lam, p, basis):
    """``s ↦ b(s)``: ``p s/(1−p) + λ/(1−p)²`` (diagonal basis) or with ``s → s̄`` (rotational)."""
    if basis == "rotational":
        sbar = mp.fsum(w * s for s, w in noise)
        b = p * sbar / (1 - p) + lam / (1 - p) ** 2
        return lambda s: b
    if basis != "diagonal":
        raise ValueError(f"basis must be 'diagonal' or 'rotational', got {basis!r}")
    return lambda s: p * s / (1 - p) + lam / (1 - p) ** 2


def _e1_root(noise, gamma, ridge, rho: ScaleLaw):
    """The positive root of (E1) ``δ = γ ∫ s/(c(δ)s + b(s)) dν``.

    The right side ``f`` is increasing in ``δ ≥ 0`` (``c`` decreases) and below ``γ ∫ s/b dν``;
    ``f(0) > 0``, so ``δ − f(δ)`` changes sign on ``[0, γ ∫ s/b dν]``; the iteration ``δ ← f(δ)``
    from 0 increases monotonically to the smallest root, which the bisection bracket then polishes.
    """
    def rhs(d):
        cd = rho.c(d)
        return gamma * mp.fsum(w * s / (cd * s + ridge(s)) for s, w in noise)

    g = lambda d: rhs(d) - d  # noqa: E731
    lo = mp.mpf(0)
    # monotone iteration: stays below the smallest root
    for _ in range(60):
        lo = rhs(lo)
    lo = lo * (1 - mp.mpf(10) ** -8) if g(lo) > 0 else mp.mpf(0)
    hi = gamma * mp.fsum(w * s / ridge(s) for s, w in noise) + 1
    return _bisect_root(g, lo, hi)


def delta(noise, gamma, lam, scale=None, basis="diagonal", p=0, dps=30):
    """``δ`` of (E1) for the masked ridge at ratio ``p`` (``p = 0``: the plain ridge ``λ``)."""
    with mp.workdps(dps + 10):
        nu, rho = _atoms(noise), _scale(scale)
        d = _e1_root(nu, _mp(gamma), _ridge(nu, _mp(lam), _mp(p), basis), rho)
    return _out(d, dps)


def gen_error(noise, gamma, lam, scale=None, basis="diagonal", p=0, q=None, dps=30):
    r"""The large-``d`` masked test error ``E(q)`` of ``Â_p`` (``q = 0``: the generalisation error).

    ``noise``: the law ``ν`` of the eigenvalues of ``Σ`` (``"s:w,..."``); ``scale``: the law ``ρ``
    of ``τ`` (``None``: Gaussian, ``ρ = δ₁``); ``q = None`` means ``q = p``.

    Per coordinate ``k`` (variance ``s``) the entries are replaced by their limits:

    - diagonal basis: ``R_kk → R̄(s)``, ``(RΣ)_kk → s R̄(s)``, ``Σ_kk = Δ_kk = s``,
      ``(RΣR)_kk = (RΔR)_kk → s R̄(s)² + c(Σ) s R̄(s)²``;
    - rotational basis: every coordinate sees ``ν``-averages: ``R_kk → m̄ = ∫ R̄ dν``,
      ``(RΣ)_kk → ∫ s R̄ dν``, ``Σ_kk → s̄``, ``Δ = s̄ I``, ``(RΣR)_kk → ∫ s R̄² dν + c(Σ) ∫ s R̄² dν``,
      ``(RΔR)_kk → s̄ ∫ R̄² dν + c(s̄ I) ∫ s R̄² dν``;

    with ``c(A) = κ e₂ γ ∫ s a R̄² dν`` from (E2). Then ``E(q)`` is the ``ν``-average of the
    per-coordinate error of the module docstring. Computed at ``dps + 10`` digits plus
    ``2 log₁₀(1/(1−p))`` (the ``c_p²`` terms cancel), returned at ``dps``.
    """
    p = Fraction(p)
    q = p if q is None else Fraction(q)
    extra = 10 + int(2 * mp.log10(1 / (1 - float(p)))) + 1
    with mp.workdps(dps + extra):
        nu, rho = _atoms(noise), _scale(scale)
        g, lam_, pm, qm = _mp(gamma), _mp(lam), _mp(p), _mp(q)
        ridge = _ridge(nu, lam_, pm, basis)
        d = _e1_root(nu, g, ridge, rho)
        cd, e2 = rho.c(d), rho.e2(d)
        rbar = lambda s: 1 / (cd * s + ridge(s))  # noqa: E731
        avg = lambda f: mp.fsum(w * f(s) for s, w in nu)  # noqa: E731
        kappa = 1 / (1 - e2 * g * avg(lambda s: (s * rbar(s)) ** 2))
        coeff = lambda a: kappa * e2 * g * avg(lambda s: s * a(s) * rbar(s) ** 2)  # noqa: E731  c(A)
        cp = 1 / (1 - pm)
        if basis == "diagonal":
            c_sigma = coeff(lambda s: s)

            def entries(s):
                R = rbar(s)
                rsr = s * R ** 2 + c_sigma * s * R ** 2
                return s, s, R, s * R, rsr, rsr  # Σ_kk, Δ_kk, R_kk, (RΣ)_kk, (RΣR)_kk, (RΔR)_kk
        else:
            sbar = avg(lambda s: s)
            spread = avg(lambda s: s * rbar(s) ** 2)
            rsr = spread + coeff(lambda s: s) * spread
            rdr = sbar * avg(lambda s: rbar(s) ** 2) + coeff(lambda s: sbar) * spread
            m_bar, rs = avg(rbar), avg(lambda s: s * rbar(s))

            def entries(s):
                return sbar, sbar, m_bar, rs, rsr, rdr

        def per_coordinate(s):
            sig, dlt, R, rs_, rsr_, rdr_ = entries(s)
            a_sigma = cp * (sig - rs_ / R)
            a_sigma_a = cp ** 2 * (sig - 2 * rs_ / R + rsr_ / R ** 2)
            a_delta_a = cp ** 2 * (-dlt + rdr_ / R ** 2)
            return sig - 2 * (1 - qm) * a_sigma + (1 - qm) ** 2 * a_sigma_a + qm * (1 - qm) * a_delta_a

        value = avg(per_coordinate)
    return _out(value, dps)


# --- PCA spectra (Σ₀ = I) -----------------------------------------------------------------------
#
# With Σ₀ = I the PCA equation is δ = γ/(c(δ) − u), i.e. u = c(δ) − γ/δ; its δ-derivative
# condition γ e₂(δ) ∫ s²/(c s − u)² dν = 1 becomes δ² e₂(δ) = γ, i.e. ∫ (τδ/(1+τδ))² dρ = γ.
# On δ > 0 the left side increases from 0 to 1 (a root iff γ < 1: the lower edge); on
# −1/τ_max < δ < 0 it increases from 0 to ∞ as δ → −1/τ_max (the upper edge).

def _edge_function(rho, gamma):
    return lambda d: mp.fsum(w * (t * d / (1 + t * d)) ** 2 for t, w in rho.atoms()) - gamma


def _upper_edge_delta(rho, gamma):
    f = _edge_function(rho, gamma)
    pole = -1 / rho.top
    lo = _bracket_towards(f, mp.mpf(0), pole, +1)
    return _bisect_root(f, lo, mp.mpf(0))


def pca_edges(gamma, scale=None, dps=30):
    r"""The bulk edges ``[u₋, u₊]`` of the spectrum of ``S`` for ``Σ₀ = I`` (``γ < 1``), from (E3).

    The equation ``F(δ, u) = γ ∫ s/(c(δ)s − u) dν − δ = 0`` and ``∂_δ F = 0`` (the edge is where
    ``u(δ)`` turns): with ``ν = δ₁``, ``u = c(δ) − γ/δ`` and ``δ² e₂(δ) = γ`` (``c' = −e₂``); the
    lower edge has ``δ > 0``, the upper edge ``−1/τ_max < δ < 0``.
    """
    with mp.workdps(dps + 10):
        rho, g = _scale(scale), _mp(gamma)
        if not g < 1:
            raise ValueError("pca_edges: the lower edge of the nonzero bulk needs gamma < 1 here")
        f = _edge_function(rho, g)
        hi_d = mp.mpf(1)
        while f(hi_d) < 0:
            hi_d *= 2
        d_lo = _bisect_root(f, mp.mpf(0) + mp.mpf(10) ** -(dps + 5), hi_d)
        d_hi = _upper_edge_delta(rho, g)
        edges = [rho.c(d) - g / d for d in (d_lo, d_hi)]
    return _out(edges, dps)


def pca_edges_dual(gamma, scale=None, dps=30):
    r"""The same edges by duality: ``XXᵀ/n`` has the nonzero spectrum of ``S``.

    With ``X = T^{1/2} Z`` (``Σ₀ = I``, ``T = diag τ_i``), ``XXᵀ/n = γ · T^{1/2}ZZᵀT^{1/2}/d``: an
    ``n × n`` sample covariance with population law ``ρ`` and ratio ``y = n/d = 1/γ``, scaled by
    ``γ``. Silverstein & Choi (J. Multivariate Anal. 54, 1995), "Analysis of the limiting spectral
    distribution of large dimensional random matrices": its companion Stieltjes transform ``m̲``
    inverts explicitly, ``z = −1/m̲ + y ∫ τ/(1 + τ m̲) dρ``, and the support edges are the critical
    values of ``z`` on the real ``m̲`` where ``z`` increases. With ``t = −1/m̲``:
    ``z(t) = t (1 + y ∫ τ/(t − τ) dρ)``, ``z'(t) = 1 − y ∫ τ²/(t − τ)² dρ``; the upper edge is the
    critical value on ``t > τ_max``, the lower edge of the nonzero part (``y > 1``) the one on
    ``t < 0``. The edges of ``S`` are ``γ z``.
    """
    with mp.workdps(dps + 10):
        rho, g = _scale(scale), _mp(gamma)
        y = 1 / g
        if not y > 1:
            raise ValueError("pca_edges_dual: needs gamma < 1")
        atoms = rho.atoms()
        slope = lambda t: 1 - y * mp.fsum(w * (tau / (t - tau)) ** 2 for tau, w in atoms)  # noqa: E731
        z = lambda t: t * (1 + y * mp.fsum(w * tau / (t - tau) for tau, w in atoms))  # noqa: E731
        # t > τ_max: slope increases from −∞ to 1
        far = rho.top + 1
        while slope(far) < 0:
            far *= 2
        near = _bracket_towards(slope, far, rho.top, -1)
        t_hi = _bisect_root(slope, near, far)
        # t < 0: slope decreases from 1 (t → −∞) to 1 − y < 0 (t = 0)
        low = mp.mpf(-1)
        while slope(low) < 0:
            low *= 2
        t_lo = _bisect_root(slope, low, mp.mpf(0))
        edges = [g * z(t_lo), g * z(t_hi)]
    return _out(edges, dps)


def pca_intervals_dual(gamma, scale=None, dps=30):
    r"""Every interval ``[(l₁, u₁), …]`` of the nonzero bulk of ``S`` (``Σ₀ = I``, ``γ < 1``), by duality.

    As :func:`pca_edges_dual`: the complement of the support of the dual sample covariance is
    the image of the real ``t`` (outside ``supp ρ``) where ``z'(t) > 0`` (Silverstein & Choi 1995).
    Besides ``t < 0`` and ``t > τ_max``, each gap between consecutive atoms ``τ_i < τ_{i+1}`` of
    ``ρ`` can hold such ``t``: there ``z'(t) = 1 − y ∫ τ²/(t−τ)² dρ`` is concave (a sum of convex
    terms subtracted) and ``−∞`` at both ends, so it is positive on one interval ``(t_a, t_b)``
    or nowhere; ``(γ z(t_a), γ z(t_b))`` is then a gap of the bulk.
    """
    with mp.workdps(dps + 10):
        rho, g = _scale(scale), _mp(gamma)
        y = 1 / g
        atoms = rho.atoms()
        slope = lambda t: 1 - y * mp.fsum(w * (tau / (t - tau)) ** 2 for tau, w in atoms)  # noqa: E731
        bend = lambda t: mp.fsum(w * tau ** 2 / (t - tau) ** 3 for tau, w in atoms)  # noqa: E731  ∝ z''
        z = lambda t: t * (1 + y * mp.fsum(w * tau / (t - tau) for tau, w in atoms))  # noqa: E731
        lower, upper = pca_edges_dual(gamma, scale, dps + 10)
        gaps = []
        taus = sorted(tau for tau, _ in atoms)
        for a, b in zip(taus, taus[1:]):
            mid = (a + b) / 2
            lo = _bracket_towards(bend, mid, a, +1)
            hi = _bracket_towards(bend, mid, b, -1)
            top = _bisect_root(bend, lo, hi)  # the maximum of the concave slope on (a, b)
            if slope(top) <= 0:
                continue
            t_a = _bisect_root(slope, _bracket_towards(slope, top, a, -1), top)
            t_b = _bisect_root(slope, top, _bracket_towards(slope, top, b, -1))
            gaps.append((g * z(t_a), g * z(t_b)))
        ends = [lower] + [e for gap in gaps for e in gap] + [upper]
        intervals = [(ends[i], ends[i + 1]) for i in range(0, len(ends), 2)]
    return [tuple(_out(list(pair), dps)) for pair in intervals]


def pca_threshold(gamma, scale=None, dps=30):
    r"""The spike threshold ``θ_c`` of PCA for ``Σ = I + θvvᵀ``.

    The outlier equation ``1 + θ c(δ)/(c(δ) − u) = 0`` with ``δ = γ/(c(δ) − u)`` reads
    ``θ δ c(δ) = −γ``; the outlier meets the upper edge (``δ = δ₊`` of :func:`pca_edges`) at
    ``θ_c = −γ/(δ₊ c(δ₊))``.
    """
    with mp.workdps(dps + 10):
        rho, g = _scale(scale), _mp(gamma)
        d = _upper_edge_delta(rho, g)
        value = -g / (d * rho.c(d))
    return _out(value, dps)


def pca_outlier(gamma, theta, scale=None, dps=30):
    r"""The PCA outlier ``u`` for ``Σ = I + θvvᵀ`` (``θ > θ_c``; below it the upper edge).

    ``δ ∈ (δ₊, 0)`` solves ``θ δ c(δ) + γ = 0`` (``δ c(δ)`` increases on ``(−1/τ_max, 0)``), and
    ``u = c(δ) − γ/δ = (1 + θ) c(δ)``.
    """
    with mp.workdps(dps + 10):
        rho, g, th = _scale(scale), _mp(gamma), _mp(theta)
        d_edge = _upper_edge_delta(rho, g)
        f = lambda d: th * d * rho.c(d) + g  # noqa: E731
        if not f(d_edge) < 0:
            value = rho.c(d_edge) - g / d_edge
        else:
            d = _bisect_root(f, d_edge, mp.mpf(0))
            value = (1 + th) * rho.c(d)
    return _out(value, dps)
