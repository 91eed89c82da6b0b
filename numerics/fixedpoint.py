r"""Independent high-precision solvers of the self-consistent equations (E1)–(E4).

These do not use any closed form: they solve the encoded fixed points numerically with
mpmath (Newton iterations from :func:`mpmath.findroot`, continuation in the spectral
parameter), verify every residual, and raise :class:`ConvergenceError` quoting residual and
tolerance on failure. They serve as the cross-check of :mod:`derive`'s closed forms and as
the route to models where no closed form exists.

All functions take ``dps`` (decimal digits wanted) and work at ``dps + GUARD`` inside
:func:`mpmath.workdps`; the global mpmath context is never changed.

Notation (diagonal basis, law ``ν = Σ w_i δ_{s_i}``): ``R̄(s) = 1/(s/(1+δ)+λ)``; for SSR
``T = D̄^{1/2}(S+λ)D̄^{1/2}`` has, on atom ``s``, scale ``D̄(s) = R̄(s)``, population
``c = D̄ s`` and shift ``λD̄``; for PCA ``T = S`` (scale 1, shift 0).

>>> from numerics.model import Model
>>> mp.nstr(m_value(Model("1/2", "1/5"), dps=20), 20)
'1.2169905660283019057'
"""
from __future__ import annotations

import dataclasses
import functools

import mpmath as mp

from numerics.model import BadParameter, Model

__all__ = [
    "GUARD",
    "ConvergenceError",
    "newton",
    "delta_ridge",
    "m_value",
    "kappa_value",
    "gen_error",
    "train_error",
    "Spectral",
    "spectral_setting",
]

GUARD = 15


class ConvergenceError(RuntimeError):
    """A fixed point or root search did not reach its tolerance."""

    def __init__(self, what: str, residual, tol):
        self.residual = residual
        self.tol = tol
        super().__init__(f"{what} did not converge: residual {mp.nstr(residual, 5)} > tol {mp.nstr(tol, 5)}")


def newton(equations, start, *, what: str, tol, maxsteps: int = 200):
    """Solve ``equations(*x) = 0`` by Newton from ``start``; verify ``max |residual| ≤ tol``.

    ``equations`` returns a number or a list (multidimensional); ``start`` is a number or a
    tuple. Raises :class:`ConvergenceError` naming ``what`` when the residual is too large.
    """
    multi = isinstance(start, (tuple, list))
    try:
        root = mp.findroot(equations, start, tol=max(tol**2, 16 * mp.eps), maxsteps=maxsteps, verify=False)
    except (ZeroDivisionError, ValueError, OverflowError) as err:
        raise ConvergenceError(f"{what} ({type(err).__name__})", mp.inf, tol) from None
    values = list(root) if multi else [root]
    residual = equations(*values)
    residual = max(abs(r) for r in residual) if isinstance(residual, (list, tuple)) else abs(residual)
    if not residual <= tol:
        raise ConvergenceError(what, residual, tol)
    return tuple(values) if multi else root


def _tol():
    return mp.mpf(10) ** (-(mp.mp.dps - GUARD // 2))


def _atoms(model: Model):
    return model.atoms()


def _delta(model: Model, lam):
    """δ(λ) solving (E1) at the current precision (bracketed, then Newton)."""
    gamma = model.mp("gamma")
    atoms = _atoms(model)

    def residual(delta):
        return gamma * mp.fsum(w * s / (s / (1 + delta) + lam) for s, w in atoms) - delta

    # residual(0) > 0 and residual(δ) < 0 for δ ≥ γ E[s]/λ (the right side is below that bound):
    # the positive root is unique (the right side is increasing and concave in δ).
    upper = gamma * mp.fsum(w * s for s, w in atoms) / lam
    start = mp.findroot(residual, (mp.mpf(0), upper), solver="anderson", tol=mp.mpf(10) ** -12, maxsteps=500)
    # relative tolerance: δ grows like 1/λ for γ > 1 as λ → 0
    return newton(residual, start, what="(E1) fixed point for delta", tol=_tol() * (1 + abs(start)))


def delta_ridge(model: Model, *, dps: int = 30):
    """``δ(λ)``, the positive solution of (E1)."""
    with mp.workdps(dps + GUARD):
        return +_delta(model, model.mp("lam"))


def _m(model: Model, lam):
    delta = _delta(model, lam)
    return mp.fsum(w / (s / (1 + delta) + lam) for s, w in _atoms(model))


def m_value(model: Model, *, dps: int = 30):
    """``lim (1/d) tr R = ∫ dν(s)/(s/(1+δ)+λ)`` with ``δ`` from (E1)."""
    with mp.workdps(dps + GUARD):
        return +_m(model, model.mp("lam"))


def kappa_value(model: Model, *, dps: int = 30):
    """(E2): ``κ = 1/(1 − γ ∫ (s/(s/(1+δ)+λ))² dν / (1+δ)²)``."""
    with mp.workdps(dps + GUARD):
        lam, gamma = model.mp("lam"), model.mp("gamma")
        delta = _delta(model, lam)
        inner = mp.fsum(w * (s / (s / (1 + delta) + lam)) ** 2 for s, w in _atoms(model))
        return 1 / (1 - gamma * inner / (1 + delta) ** 2)


def gen_error(model: Model, *, dps: int = 30):
    r"""``lim E_gen = lim tr(D^{-1} RΣR D^{-1})/d`` from (E2) ``RΣR ≍ κ R̄ΣR̄``.

    Diagonal basis (``D ≍ R̄``): ``κ ∫ s dν``. Rotational basis (``D ≍ m̄ I``):
    ``κ ∫ s R̄(s)² dν / m̄²`` with ``R̄(s) = 1/(s/(1+δ)+λ)``.
    """
    kap = kappa_value(model, dps=dps)
    with mp.workdps(dps + GUARD):
        atoms = _atoms(model)
        if model.basis == "diagonal":
            return kap * mp.fsum(w * s for s, w in atoms)
        lam = model.mp("lam")
        delta = _delta(model, lam)
        resolvent = [(s, w, 1 / (s / (1 + delta) + lam)) for s, w in atoms]
        mbar = mp.fsum(w * r for _, w, r in resolvent)
        return kap * mp.fsum(w * s * r * r for s, w, r in resolvent) / mbar**2


def train_error(model: Model, *, dps: int = 30):
    r"""Diagonal basis: ``lim E_train = ∫ [s/(1+δ) + λ s δ'(λ)/(1+δ)²] dν``.

    From ``E_train = (1/d) Σ_k (R̄ + λ∂_λR̄)_kk / R̄_kk²``; ``δ'(λ)`` by numerical
    differentiation (:func:`mpmath.diff`) of the (E1) solver.
    """
    with mp.workdps(dps + GUARD):
        lam = model.mp("lam")
        if model.basis == "rotational":
            # D ≍ m̄ I: E_train = (1/d) tr(R − λR²)/m̄² = (m̄ + λ ∂_λ m̄)/m̄²
            mbar = _m(model, lam)
            with mp.workdps(2 * (dps + GUARD)):
                slope = mp.diff(lambda t: _m(model, t), lam)
            return (mbar + lam * slope) / mbar**2
        delta = _delta(model, lam)
        with mp.workdps(2 * (dps + GUARD)):
            slope = mp.diff(lambda t: _delta(model, t), lam)
        return mp.fsum(w * (s / (1 + delta) + lam * s * slope / (1 + delta) ** 2) for s, w in _atoms(model))


class Spectral:
    r"""(E3)–(E4) for ``T`` (ssr) or ``S`` (pca) at the current precision: δ(u) on both sides of the real axis.

    ``equation(δ, u) = γ Σ w c/(c/(1+δ) + shift − u) − δ``; ``g(δ, u) = Σ w/(…)`` is the
    limit of ``(1/d) tr (T − u)^{-1}``; ``secular(δ, u)`` is the left side of (E4).
    """

    def __init__(self, model: Model, method: str):
        self.model = model
        self.method = method
        self.gamma = model.mp("gamma")
        self.theta = model.mp("theta")
        lam = model.mp("lam")
        atoms = _atoms(model)
        if method == "ssr":
            delta = _delta(model, lam)
            scales = [1 / (s / (1 + delta) + lam) for s, _ in atoms]
            if model.basis == "rotational":  # R_kk → m̄ on every coordinate
                mbar = mp.fsum(w * D for (_, w), D in zip(atoms, scales))
                scales = [mbar] * len(atoms)
            shifts = [lam * D for D in scales]
        elif method == "pca":
            scales = [mp.mpf(1)] * len(atoms)
            shifts = [mp.mpf(0)] * len(atoms)
        else:
            raise BadParameter("method", f"expected ssr or pca, got {method!r}")
        self.terms = [(w, D, D * s, shift) for (s, w), D, shift in zip(atoms, scales, shifts)]

    def perturbed(self, epsilon) -> "Spectral":
        """The system for ``T + ε D̄^{-1}`` (shift ``λD̄ + ε/D̄`` on each atom)."""
        other = object.__new__(Spectral)
        other.__dict__.update(self.__dict__)
        other.terms = [(w, D, c, sh + epsilon / D) for w, D, c, sh in self.terms]
        return other

    def cross_form(self, delta, u):
        """``aᵀ(C₀/(1+δ) + λD̄ − u)^{-1} w`` with ``a = D̄^{-1/2}v``, ``w = D̄^{1/2}v``: ``Σ w_i/(c_i/(1+δ)+shift_i−u)``."""
        return self.g(delta, u)

    def equation(self, delta, u):
        return self.gamma * mp.fsum(w * c / (c / (1 + delta) + sh - u) for w, _, c, sh in self.terms) - delta

    def d_equation(self, delta, u):
        """∂/∂δ of :meth:`equation` (for the edge condition)."""
        return self.gamma * mp.fsum(w * c * c / (1 + delta) ** 2 / (c / (1 + delta) + sh - u) ** 2
                                    for w, _, c, sh in self.terms) - 1

    def g(self, delta, u):
        return mp.fsum(w / (c / (1 + delta) + sh - u) for w, _, c, sh in self.terms)

    def quadratic_form(self, delta, u):
        """``wᵀ(C₀/(1+δ) + λD̄ − u)^{-1} w`` for generic ``v``: ``Σ w_i D̄_i/(c_i/(1+δ)+shift_i−u)``."""
        return mp.fsum(w * D / (c / (1 + delta) + sh - u) for w, D, c, sh in self.terms)

    def secular(self, delta, u):
        return 1 + self.theta / (1 + delta) * self.quadratic_form(delta, u)

    def mean(self):
        """``∫ t dμ_T(t)``: the limit of ``(1/d) tr T`` (= ``Σ w (c + shift)``)."""
        return mp.fsum(w * (c + sh) for w, _, c, sh in self.terms)

    def solve(self, u, start=None, tol=None):
        """δ(u) for complex ``u`` with ``Im u ≥ 0``, by continuation from ``u + i·Y`` (``Y`` large).

        The physical branch is the one continued from ``|u| → ∞`` (``δ → 0``); on it
        ``Im g(u) ≥ 0`` for ``Im u > 0`` (checked).
        """
        u = mp.mpc(u)
        delta = mp.mpc(0) if start is None else mp.mpc(start)
        if start is None:
            height = max(mp.mpf(1), 4 * abs(self.mean()))
            with mp.workdps(max(mp.mp.dps, 25)):
                for level in [u + 1j * height * mp.mpf(3) ** -j for j in range(40)]:
                    delta = newton(lambda d: self.equation(d, level), delta, tol=mp.mpf(10) ** -12,
                                   what=f"(E3) continuation for delta(u) at u = {mp.nstr(level, 8)}")
        tol = _tol() if tol is None else tol
        delta = newton(lambda d: self.equation(d, u), delta, tol=tol,
                       what=f"(E3) fixed point for delta(u) at u = {mp.nstr(u, 8)}")
        if mp.im(self.g(delta, u)) < -tol:
            raise ConvergenceError("(E3) branch check Im g(u) >= 0", -mp.im(self.g(delta, u)), tol)
        return delta

    def real_outside(self, u):
        """Real δ(u) for real ``u`` above the bulk, by continuation from ``u = +∞`` (δ → 0⁻)."""
        u = mp.mpf(u)
        far = max(4 * abs(u), 16 * abs(self.mean()) + 16)
        delta = mp.mpf(0)
        for t in mp.linspace(0, 1, 33):
            level = far + (u - far) * t
            delta = newton(lambda d: self.equation(d, level), delta,
                           what=f"(E3) real continuation at u = {mp.nstr(level, 8)}", tol=_tol())
        return delta


def spectral_setting(model: Model, method: str) -> Spectral:
    """The (E3)–(E4) system of ``model`` for ``method`` (``"ssr"`` or ``"pca"``)."""
    return Spectral(model, method)


def _to_a(method, t):
    """Eigenvalue of ``Â`` (ssr: ``1 − 1/t``) or of ``S`` (pca: ``t``) from one of ``T``."""
    return 1 - 1 / t if method == "ssr" else t


def _from_a(method, value):
    return 1 / (1 - value) if method == "ssr" else value


def density(model: Model, at, *, method: str = "ssr", dps: int = 30):
    r"""Density of the continuous spectrum of ``Â`` (ssr) or ``S`` (pca) at ``at``: Stieltjes inversion.

    ``ρ_T(t) = Im g(t + i0)/π`` on the branch continued from large ``Im u``; for SSR the change
    of variable ``a = 1 − 1/t`` gives ``ρ_Â(a) = ρ_T(t) · dt/da = ρ_T(t)/(1−a)²``.
    """
    with mp.workdps(dps + GUARD):
        system = Spectral(model, method)
        value = mp.mpf(at.numerator) / at.denominator if hasattr(at, "numerator") else mp.mpf(at)
        if method == "ssr" and value >= 1:
            return mp.mpf(0)
        t = _from_a(method, value)
        shifts = [sh for _, _, _, sh in system.terms]
        scalar = max(shifts) - min(shifts) <= mp.eps * max(abs(s) for s in shifts + [mp.mpf(1)])
        if model.gamma > 1 and scalar and abs(t - shifts[0]) <= mp.mpf(10) ** -dps * (1 + abs(t)):
            return mp.mpf(0)  # the atom of T at λD̄ (γ > 1) carries no continuous density
        rho = max(mp.mpf(0), mp.im(system.g(system.solve(t), t)) / mp.pi)
        if rho < mp.mpf(10) ** (-(dps + 2)):
            rho = mp.mpf(0)
        return rho / (1 - value) ** 2 if method == "ssr" else rho


def _edge(system: Spectral, outside, inside):
    """The bulk edge met when walking on the real axis from ``outside`` the bulk towards ``inside``.

    The physical branch of (E3) is real outside the bulk, with ``∂_δ equation < 0`` (it is
    ``−1`` far away and vanishes only at an edge, where two real roots merge). Starting from
    the branch value at ``outside`` (complex continuation from ``+i∞``), we step towards
    ``inside``, halving the step whenever the real root is lost, jumps, or changes the sign of
    ``∂_δ equation``, and never stepping past half the distance to a pole of (E3); then Newton on ``{equation = 0, ∂_δ equation = 0}`` polishes the edge at
    full precision.
    """
    with mp.workdps(20):
        loose = mp.mpf(10) ** -12
        u = mp.mpf(outside)
        delta = mp.re(system.solve(u, tol=mp.mpf(10) ** -10))
        step = (mp.mpf(inside) - u) / 64
        while abs(step) > mp.mpf(10) ** -9 * (1 + abs(u)):
            # never step past half the distance to a pole c/(1+δ) + shift of (E3): each
            # component of the support sits around one, so no component can be jumped over
            reach = min(abs(c / (1 + delta) + sh - u) for _, _, c, sh in system.terms) / 2
            step = mp.sign(step) * min(abs(step), reach)
            trial = u + step
            try:
                candidate = newton(lambda d: system.equation(d, trial), delta, tol=loose, maxsteps=40,
                                   what="(E3) real branch")
                accepted = (system.d_equation(candidate, trial) < 0
                            and abs(candidate - delta) < (1 + abs(delta)) / 4)
            except ConvergenceError:
                accepted = False
            if accepted:
                u, delta = trial, candidate
                step *= 2  # grow again after a success (the reach and the halving keep it safe)
            else:
                step /= 4
    delta, t = newton(lambda d, v: [system.equation(d, v), system.d_equation(d, v)],
                      (delta, u), tol=_tol(), what="(E3) bulk edge system")
    return delta, t


def edges(model: Model, *, method: str = "ssr", dps: int = 30):
    """``[lower, upper]`` edges of the continuous bulk of ``Â`` (ssr) or ``S`` (pca)."""
    return list(_edges_t(_bulk(model), method, dps)[1])


def _bulk(model: Model) -> Model:
    """The model without its spike (the bulk does not depend on ``θ``), for caching."""
    return dataclasses.replace(model, theta=0)


@functools.lru_cache(maxsize=256)
def _edges_t(model: Model, method: str, dps: int):
    with mp.workdps(dps + GUARD):
        system = Spectral(model, method)
        gamma = model.mp("gamma")
        total = system.mean()
        # mean of the continuous part: for γ > 1 the atom of S at 0 (mass 1 − 1/γ) sits at the
        # shift of T, so remove it from the mean.
        if gamma > 1:
            atom = mp.fsum(w * sh for w, _, _, sh in system.terms)
            inside = (total - (1 - 1 / gamma) * atom) * gamma
        else:
            atom, inside = mp.mpf(0), total
        far = 4 * inside + 4
        upper_delta, upper = _edge(system, far, inside)
        if gamma == 1:
            # hard edge: the smallest eigenvalue of S tends to 0, where δ(u) diverges
            if len(system.terms) != 1:
                raise BadParameter("gamma", "gamma = 1 (a hard edge) is supported for the isotropic bulk only")
            lower_delta, lower = mp.inf, system.terms[0][3]
        else:
            lower_delta, lower = _edge(system, _below_main_bulk(system, gamma, atom, inside, far), inside)
        result_t = [lower, upper]
        return (lower_delta, upper_delta), [+_to_a(method, t) for t in result_t]


def _below_main_bulk(system: Spectral, gamma, atom, inside, far):
    """A real point below the bulk that comes from the non-zero eigenvalues of ``S``.

    ``γ ≤ 1``: far below everything. ``γ > 1``: the ``d − n`` null directions of ``S`` give
    ``T`` the part ``λ P D̄ P`` (``P`` the null projector). With a scalar ``D̄`` (isotropic,
    rotational, PCA) it is an atom at ``λD̄`` and any point just above it will do. Otherwise it
    is a continuous component inside ``[λ min D̄, λ max D̄]``: scan down from ``inside`` for a
    gap of zero density between it and the main bulk; without a gap the two merge and
    ``edges`` is not defined.
    """
    if gamma <= 1:
        return min(mp.mpf(0), inside - far)
    shifts = [sh for _, _, _, sh in system.terms]
    if max(shifts) - min(shifts) <= mp.eps * max(shifts):
        return atom + (inside - atom) * mp.mpf(10) ** -5
    with mp.workdps(20):
        low = min(shifts)
        delta = system.solve(inside, tol=mp.mpf(10) ** -10)
        for j in range(1, 401):  # march down just above the real axis, continuing the branch
            u = inside - (inside - low) * mp.mpf(j) / 400
            delta = system.solve(u + 1j * mp.mpf(10) ** -12, start=delta, tol=mp.mpf(10) ** -10)
            if mp.im(system.g(delta, u)) < mp.mpf(10) ** -9:
                return u
    raise BadParameter("gamma", "for gamma > 1 the null-space part of the spectrum merges with the bulk "
                                "(no gap between them); the bulk edges are not defined")


def threshold(model: Model, *, method: str = "ssr", dps: int = 30):
    r"""BBP threshold ``θ_c = −(1+δ₊)/q(u₊)``: (E4) holds at the upper edge ``u₊`` for ``θ = θ_c``."""
    (_, upper_delta), (_, upper) = _edges_t(_bulk(model), method, dps)
    with mp.workdps(dps + GUARD):
        system = Spectral(model, method)
        t = _from_a(method, upper)
        return -(1 + upper_delta) / system.quadratic_form(upper_delta, t)


def outlier(model: Model, *, method: str = "ssr", dps: int = 30):
    """Limit of the top eigenvalue of ``Â`` (ssr) or ``S`` (pca); the upper edge when ``θ ≤ θ_c``."""
    return _outlier(model, method, dps)[0]


@functools.lru_cache(maxsize=256)
def _outlier(model: Model, method: str, dps: int):
    _, (_, upper_a) = _edges_t(_bulk(model), method, dps)
    with mp.workdps(dps + GUARD):
        system = Spectral(model, method)
        upper = _from_a(method, upper_a)
        if system.theta <= threshold(model, method=method, dps=dps):
            return +upper_a, None, system
        # scan (E4) along the real continuation above the edge for a sign change, then Newton
        far = 8 * abs(upper) + 8 * system.theta * max(D for _, D, _, _ in system.terms) + 8
        # geometric grid from far above the edge down to 10^-24 of the distance: an outlier at
        # distance ε above the edge has θ − θ_c ~ √ε, so this resolves θ down to ~1e-12·θ_c
        steps = 240
        grid = [upper + (far - upper) * mp.mpf(10) ** (-mp.mpf(j) / 10) for j in range(steps + 1)]
        previous = None
        with mp.workdps(40):
            for t in grid:
                delta = system.real_outside(t) if previous is None else newton(
                    lambda d: system.equation(d, t), previous[1], tol=mp.mpf(10) ** -33,
                    what="(E3) real continuation")
                value = system.secular(delta, t)
                if previous is not None and mp.sign(value) != mp.sign(previous[2]):
                    break
                previous = (t, delta, value)
            else:
                raise ConvergenceError("(E4) outlier search (no sign change above the edge)",
                                       abs(previous[2]), _tol())
        delta, t = newton(lambda d, u: [system.equation(d, u), system.secular(d, u)], (delta, t),
                          tol=_tol(), what="(E4) outlier system")
        return +_to_a(method, t), (delta, t), system


def overlap(model: Model, *, method: str = "ssr", dps: int = 30):
    r"""Squared overlap ``cos²(v, r)`` of ``v`` with the top (right) eigenvector; 0 when ``θ ≤ θ_c``.

    Let ``y`` be the top eigenvector of ``T`` (ssr; ``r = D̄^{-1/2}y`` is the top right
    eigenvector of ``Â``) or of ``S`` (pca, ``D̄ = 1``). Then
    ``cos²(v, r) = (vᵀD̄^{-1/2}y)² / (yᵀD̄^{-1}y)``:

    - numerator: ``yyᵀ = −Res_{u*}(T − u)^{-1}`` and, by Sherman–Morrison on the deterministic
      equivalent ``(C₀/(1+δ) + θ/(1+δ) wwᵀ + λD̄ − u)^{-1}``,
      ``(aᵀy)² = θ/(1+δ*) · (aᵀG₀w)² / h'(u*)`` with ``a = D̄^{-1/2}v``, ``w = D̄^{1/2}v``,
      ``h`` the left side of (E4) and ``G₀`` the spike-free resolvent (averaged over ``ν``);
    - denominator: a trace against the random eigenvector, which no fixed-vector equivalent
      gives; by Hellmann–Feynman it is the derivative ``du*/dε`` of the outlier of
      ``T + ε D̄^{-1}`` (a deterministic shift, so (E3)–(E4) still apply).

    ``h'`` and ``du*/dε`` come from :func:`mpmath.diff` of the solvers.
    """
    _, star, system = _outlier(model, method, dps)
    if star is None:
        return mp.mpf(0)
    with mp.workdps(dps + GUARD):
        delta_star, t_star = star

        def h(t):
            delta = newton(lambda d: system.equation(d, t), delta_star, tol=_tol(), what="(E3) near the outlier")
            return system.secular(delta, t)

        def location(epsilon):
            shifted = system.perturbed(epsilon)
            return newton(lambda d, v: [shifted.equation(d, v), shifted.secular(d, v)], (delta_star, t_star),
                          tol=_tol(), what="(E4) outlier of T + eps D^-1")[1]

        with mp.workdps(2 * (dps + GUARD)):
            slope = mp.diff(h, t_star)
            trace = mp.diff(location, 0)
        numerator = system.theta / (1 + delta_star) * system.cross_form(delta_star, t_star) ** 2 / slope
        return numerator / trace
