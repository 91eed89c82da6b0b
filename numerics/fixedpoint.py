r"""The fixed-point route: Newton iterations and continuation on the branch of (E1)–(E4).

This route never uses a closed form: it follows *one* branch of each self-consistent equation
(:mod:`numerics.reduction` writes the equations) by Newton iterations from
:func:`mpmath.findroot` and continuation in the spectral parameter, verifies every residual, and
raises :class:`ConvergenceError` quoting residual and tolerance on failure. Derivatives
(``δ'(λ)``, ``h'(u*)``, ``du*/dε``) are numerical (:func:`mpmath.diff` at twice the precision).
It takes any :class:`~numerics.laws.Law` (the integrals are the law's) and any estimator.

What the cross-check against :mod:`numerics.algebraic` tests: the branch followed, the edge
walk, the outlier search and the numerical derivatives (the algebraic route selects among all
roots, locates edges by discriminants and differentiates implicitly). What it does not: the
equations and reduction formulas of :mod:`numerics.reduction`, which both routes share (those
are tested against the SymPy closed forms of the isotropic bulk and against simulation).

Every primitive works at ``dps + GUARD`` inside :func:`mpmath.workdps`; the global context is
never changed; ``GUARD`` is the shared :data:`numerics.reduction.GUARD` (measured: ≥ 59
agreeing digits with the closed forms at dps 50).

>>> from numerics.model import Model
>>> from numerics.estimators import get
>>> with mp.workdps(35):
...     mp.nstr(reduction.m_value(Model("1/2", "1/5"), get("ssr"), delta(Model("1/2", "1/5"), get("ssr"), 20)), 20)
'1.2169905660283019057'
"""
from __future__ import annotations

import dataclasses
import functools

import mpmath as mp

from numerics import reduction, support
from numerics.reduction import ConvergenceError
from numerics.estimators import get as _estimator
from numerics.model import BadParameter, Model

__all__ = [
    "GUARD",
    "NAME",
    "ConvergenceError",
    "newton",
    "delta_ridge",
    "delta",
    "delta_slope",
    "Spectral",
    "spectral_setting",
    "edges_t",
    "intervals_t",
    "density_t",
    "outlier_t",
    "outlier_slopes",
]

NAME = "fixed-point"
GUARD = reduction.GUARD


def newton(equations, start, *, what: str, tol, maxsteps: int = 200, close: bool = False):
    """Solve ``equations(*x) = 0`` by Newton from ``start``; verify ``max |residual| ≤ tol``.

    ``equations`` returns a number or a list (multidimensional); ``start`` is a number or a
    tuple. Raises :class:`ConvergenceError` naming ``what`` when the residual is too large.
    ``close`` (one unknown): the secant's second point is ``10^{-8}`` (relative) from ``start``
    instead of mpmath's ``start + 1/4``, which can jump over a pole of the equation (elliptical
    data: the poles ``δ = −1/τ_j`` of ``c(δ)``).
    """
    multi = isinstance(start, (tuple, list))
    if close and not multi:
        start = (start, start + (1 + abs(start)) * mp.mpf(10) ** -8)
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


def _delta(model: Model, est, lam, start=None):
    """δ(λ) solving (E1) at the current precision (bracketed, then Newton).

    ``start`` (optional) is a warm-start hint, e.g. the δ of a neighbouring grid point: Newton
    starts there instead of from the bracketed solve. It cannot change the result: the positive
    root is unique (below), the final Newton verifies its residual, and a hint from which Newton
    fails or lands on a root ``≤ 0`` falls back to the cold start.
    """
    def residual(delta):
        return reduction.e1_rhs(model, est, lam, delta) - delta

    if start is not None:
        start = mp.mpf(start)
        try:
            root = _secant(residual, start, tol=_tol() * (1 + abs(start)))
        except ConvergenceError:
            root = None
        if root is not None and root > 0:
            return root
    key = (model, est.name, lam)
    known = _COLD.get(key, {})
    if mp.mp.prec in known:
        return known[mp.mp.prec]
    if known:
        # the same root solved at another precision is a start as good as the bracket's
        start = +next(iter(known.values()))
    else:
        # residual(0) > 0 and residual(δ) < 0 for δ ≥ γ ∫ s dν / min b (the right side is below that
        # bound): the positive root is unique (the right side is increasing and concave in δ).
        upper = model.mp("gamma") * model.law.mean() / lam
        start = _bracket(residual, upper)
    # relative tolerance: δ grows like 1/λ for γ > 1 as λ → 0
    root = _secant(residual, start, tol=_tol() * (1 + abs(start)))
    if len(_COLD) >= 4096:
        _COLD.clear()
    _COLD.setdefault(key, {})[mp.mp.prec] = root
    return root


#: Cold-start roots of (E1) by (model, estimator, λ), then by precision: a model's δ is asked for
#: several times per quantity (each spectral system builds it); the value is that of the solve itself.
_COLD: dict = {}


def _secant(residual, start, tol, maxsteps: int = 100):
    """The root of (E1) by the secant method from ``start`` and a second point ``10^{-dps/2}``
    (relative) away (mpmath's default second point ``start + 1/4`` costs several steps from a good
    start). It stops when a step is below ``16 ε (1 + |δ|)`` (full precision) or the residual
    repeats (its rounding floor), and the residual at the last iterate is ``≤ tol`` (verified, as
    in :func:`newton`)."""
    what = "(E1) fixed point for delta"
    x0 = start
    x1 = start + (1 + abs(start)) * mp.mpf(10) ** (-(mp.mp.dps // 2))
    try:
        f0, f1 = residual(x0), residual(x1)
        for _ in range(maxsteps):
            if f1 == 0:
                return x1
            if f1 == f0:  # the residual's rounding floor (an ill-conditioned (E1), e.g. γ ≈ 1, λ → 0)
                break
            x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
            if abs(x2 - x1) <= 16 * mp.eps * (1 + abs(x2)):
                if not abs(f1) <= tol:
                    raise ConvergenceError(what, abs(f1), tol)
                return x2
            x0, f0, x1, f1 = x1, f1, x2, residual(x2)
    except (ZeroDivisionError, ValueError, OverflowError) as err:
        raise ConvergenceError(f"{what} ({type(err).__name__})", mp.inf, tol) from None
    if abs(f1) <= tol:  # steps at the rounding floor of an ill-conditioned residual: verified
        return x1
    raise ConvergenceError(f"{what} (secant steps)", abs(f1), tol)


def _bracket(residual, upper):
    """A start for Newton on (E1): the bracketed root in ``(0, upper)`` to 12 digits (cold start),
    at no more than 20 digits (a density's quadratures cost far less there)."""
    with mp.workdps(min(mp.mp.dps, 20)):
        root = mp.findroot(residual, (mp.mpf(0), +upper), solver="anderson", tol=mp.mpf(10) ** -12, maxsteps=500)
    return +root


def delta(model: Model, est, dps: int, start=None):
    """``δ(λ)`` of (E1) for ``est`` at ``dps + GUARD`` digits (``0`` for an estimator without resolvent).

    ``start``: an optional warm-start hint (see :func:`_delta`); the result does not depend on it.
    """
    est = _estimator(est)
    if not est.resolvent:
        return mp.mpf(0)
    with mp.workdps(dps + GUARD):
        return _delta(model, est, model.mp("lam"), start)


def delta_slope(model: Model, est, dps: int):
    """``δ'(λ)`` by :func:`mpmath.diff` of the (E1) solver, at twice the working digits."""
    est = _estimator(est)
    with mp.workdps(dps + GUARD):
        lam = model.mp("lam")
        with mp.workdps(2 * (dps + GUARD)):
            return mp.diff(lambda t: _delta(model, est, t), lam)


def delta_ridge(model: Model, *, dps: int = 30):
    """``δ(λ)``, the positive solution of (E1) (SSR ridge)."""
    with mp.workdps(dps + GUARD):
        return +delta(model, "ssr", dps)


class Spectral(reduction.SpectralSystem):
    r"""The (E3)–(E4) system of ``model`` for ``method`` with the fixed-point solves of ``δ(u)``.

    The equations are :class:`numerics.reduction.SpectralSystem`'s; this class adds
    :meth:`solve` (complex ``u``, continuation from ``+i∞``) and :meth:`real_outside` (real ``u``
    above the bulk, continuation from ``+∞``). Built at the current precision.
    """

    def __init__(self, model: Model, method):
        est = _estimator(method)
        base = reduction.spectral_system(model, est, _delta(model, est, model.mp("lam")) if est.resolvent else 0)
        self.__dict__.update(base.__dict__)
        self.model, self.method = model, est.name

    def solve(self, u, start=None, tol=None):
        """δ(u) for complex ``u`` with ``Im u ≥ 0``, by continuation from ``u + i·Y`` (``Y`` large).

        The physical branch is the one continued from ``|u| → ∞`` (``δ → 0``); on it
        ``Im g(u) ≥ 0`` for ``Im u > 0`` (checked).
        """
        u = mp.mpc(u)
        delta = mp.mpc(0) if start is None else mp.mpc(start)
        if start is None and self.large:  # the continuation in float64, the polish below
            delta = mp.mpc(_coarse(self).solve(float(mp.re(u)), float(mp.im(u))))
        elif start is None:
            height = max(mp.mpf(1), 4 * abs(self.mean()))
            with mp.workdps(max(mp.mp.dps, 25)):
                # halving the height: with thirds Newton jumped off the branch where the null
                # directions of S spread a part of T (γ > 1, a varying shift; δ ≈ 260i there)
                for level in [u + 1j * height * mp.mpf(2) ** -j for j in range(64)]:
                    delta = newton(lambda d: self.equation(d, level), delta, tol=mp.mpf(10) ** -12,
                                   what=f"(E3) continuation for delta(u) at u = {mp.nstr(level, 8)}")
        tol = _tol() if tol is None else tol
        delta = newton(lambda d: self.equation(d, u), delta, tol=tol, close=not self.scale_law.gaussian,
                       what=f"(E3) fixed point for delta(u) at u = {mp.nstr(u, 8)}")
        g = self.g(delta, u)
        if mp.im(g) < -tol * (1 + abs(g)):  # relative: |g| is large near an atom of T
            # δ is known to the residual tol only: g is uncertain by |∂g/∂δ| tol / |∂F/∂δ| (near the
            # real axis, where Im g is tiny, that is what decides the sign)
            spread = abs(mp.diff(lambda d: self.g(d, u), delta)) * tol / abs(mp.diff(lambda d: self.equation(d, u), delta))
            if mp.im(g) < -(tol * (1 + abs(g)) + spread):
                raise ConvergenceError("(E3) branch check Im g(u) >= 0", -mp.im(g) / (1 + abs(g)), tol)
        return delta

    def perturbed(self, epsilon) -> "Spectral":
        other = super().perturbed(epsilon)
        other.__dict__.pop("model")  # not the model's system any more: float64 terms of its own
        return other

    @property
    def large(self) -> bool:
        """Whether the law is a density or has more than :data:`LARGE` atoms, or the data are
        elliptical (each (E3) evaluation then also integrates over ``ρ``): walked in float64 first."""
        return self._rows is None or len(self._rows) > LARGE or not self.scale_law.gaussian

    def real_outside(self, u):
        """Real δ(u) for real ``u`` above the bulk, by continuation from ``u = +∞`` (δ → 0⁻)."""
        u = mp.mpf(u)
        far = max(4 * abs(u), 16 * abs(self.mean()) + 16)
        delta = mp.mpf(0)
        for t in mp.linspace(0, 1, 33):
            level = far + (u - far) * t
            delta = newton(lambda d: self.equation(d, level), delta, close=not self.scale_law.gaussian,
                           what=f"(E3) real continuation at u = {mp.nstr(level, 8)}", tol=_tol())
        return delta


def spectral_setting(model: Model, method) -> Spectral:
    """The (E3)–(E4) system of ``model`` for ``method`` (an estimator or its name)."""
    return Spectral(model, method)


def density_t(model: Model, est, t, dps: int):
    r"""``ρ_T(t) = Im g(t + i0)/π`` on the branch continued from large ``Im u``; 0 off the support
    (:func:`intervals_t`, checked by its invariant) without a solve, and 0 at the atom of ``T``."""
    name = _estimator(est).name
    with mp.workdps(dps + GUARD):
        if not any(lo <= t <= hi for lo, hi in _intervals_t(_bulk(model), name, dps)):
            return mp.mpf(0)
        system = Spectral(model, name)
        return mp.im(system.g(system.solve(t), t)) / mp.pi


def _edge(system: "Spectral", outside, inside, polish: bool = True):
    """The bulk edge met when walking on the real axis from ``outside`` the bulk towards ``inside``.

    ``polish=False``: the edge as the float64 walk locates it (about 12 digits), for an edge
    that only the float64 invariant reads (see :func:`_edges_t`).

    The physical branch of (E3) is real outside the bulk, with ``∂_δ equation < 0`` (it is
    ``−1`` far away and vanishes only at an edge, where two real roots merge). Starting from
    the branch value at ``outside`` (complex continuation from ``+i∞``), we step towards
    ``inside``, halving the step whenever the real root is lost, jumps, or changes the sign of
    ``∂_δ equation``, and never stepping past half the distance to a pole of (E3); then Newton on ``{equation = 0, ∂_δ equation = 0}`` polishes the edge at
    full precision.
    """
    # the walk in float64 first (a density: on its discretisation), the polish below; for a few
    # atoms, where float64 cancellation can spoil the start (a narrow bulk far from 0), the same
    # walk at 20 digits when that polish fails
    try:
        delta, u = _coarse(system).edge(float(outside), float(inside))
        if not polish:
            return mp.mpf(delta), mp.mpf(u)
        return _polish_edge(system, mp.mpf(delta), mp.mpf(u))
    except ConvergenceError:
        if system.large:
            raise
    with mp.workdps(20):
        loose = mp.mpf(10) ** -12
        u = mp.mpf(outside)
        delta = mp.re(system.solve(u, tol=mp.mpf(10) ** -10))
        step = (mp.mpf(inside) - u) / 64
        # resolve the edge to 10⁻¹² of the walked distance (a narrow bulk far from 0, e.g. a large
        # ridge, is as well resolved as a wide one), not below the working precision
        floor = max(abs(step) * 64 * mp.mpf(10) ** -12, mp.mpf(10) ** -17 * abs(u))
        while abs(step) > floor:
            # never step past half the distance to a pole c/(1+δ) + shift of (E3): each
            # component of the support sits around one, so no component can be jumped over
            reach = min(abs(pole - u) for pole in system.poles(delta)) / 2
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
    return _polish_edge(system, delta, u)


def _width(system: "Spectral"):
    """The width of :func:`numerics.support.outer_bounds` (a length scale of the spectrum of ``T``)."""
    coarse = _coarse(system)
    low, high = support.outer_bounds((coarse.w, coarse.D, coarse.c, coarse.h), coarse.gamma, coarse.scale)
    return mp.mpf(high - low)


def _polish_edge(system: "Spectral", delta, u):
    """``(δ, u)`` at a bulk edge by Newton on ``{equation = 0, ∂_δ equation = 0}`` from a located
    start, in the variable ``y = 1/(1+δ)``: near the edges of the part that the null directions of
    ``S`` spread (``γ > 1``) ``δ`` is huge and ``y`` small, and the system in ``y``
    (``y·equation`` and ``∂_δ equation``, both bounded there) stays well conditioned."""
    def system_in_y(y, v):
        equation, slope = system.edge_equations(1 / y - 1, v)
        return [y * equation, slope]

    tol = _tol()
    try:
        try:
            found = _newton_pair(system_in_y, (1 / (1 + delta), u), tol)
            y, t = found if found is not None else newton(system_in_y, (1 / (1 + delta), u), tol=tol,
                                                          what="(E3) bulk edge system")
        except ConvergenceError:
            # a narrow bulk far from 0 (a huge ridge, p near 1) loses digits to cancellation in
            # the equations: the same system with 20 more working digits, the same tolerance
            with mp.workdps(mp.mp.dps + 20):
                y, t = newton(system_in_y, (1 / (1 + mp.mpf(delta)), mp.mpf(u)), tol=tol,
                              what="(E3) bulk edge system")
            y, t = +y, +t
    except ConvergenceError:
        # γ w_i = 1 exactly (γ > 1): the atom of T at the shift h_i has mass w_i − 1/γ = 0 and the
        # edge of the null-space part is h_i itself, where y = 0 is a double root (Newton stalls)
        near = [(abs(u - h), h) for w, _, _, h in system._rows or () if abs(system.gamma * w - 1) <= _tol()]
        if near and min(near)[0] <= mp.mpf(10) ** -3 * _width(system):  # checked by the invariant
            return mp.inf, min(near)[1]
        raise
    return 1 / y - 1, t


def _newton_pair(equations, start, tol, maxsteps: int = 12):
    """Newton on two equations in two unknowns (a forward-difference Jacobian, step ``√ε``) that
    stops at a point whose residual is ``≤ tol`` (the one :func:`newton` verifies) and whose next
    Newton step, with the last Jacobian, is below ``tol`` relative: from a start located in float64
    an edge costs about 4 evaluations instead of the 15 of :func:`mpmath.findroot`. Near a double
    root (a degenerate edge, ``γ w_i = 1``) the steps only halve and the residual alone would stop
    it far from the root. ``None`` when it does not get there, or gets to another root than the
    start's (a sign change, or a move beyond ``10⁻⁶`` relative): the caller falls back."""
    x0 = [mp.mpf(v) for v in start]
    x, root, jacobian = list(x0), mp.sqrt(mp.eps), None

    def near(point):  # the same root as the start: no sign change, within 10⁻⁶ of it
        return all(a * b > 0 or a == b == 0 for a, b in zip(point, x0)) and \
            all(abs(a - b) <= mp.mpf(10) ** -6 * (1 + abs(b)) for a, b in zip(point, x0))

    try:
        f = equations(*x)
        for _ in range(maxsteps):
            if jacobian is not None and max(abs(v) for v in f) <= tol:
                dx = mp.lu_solve(jacobian, mp.matrix(f))
                if all(abs(dx[i]) <= tol * (1 + abs(x[i])) for i in range(2)):
                    return tuple(x) if near(x) else None
            jacobian = mp.matrix(2, 2)
            for i in range(2):
                step = root * (1 + abs(x[i]))
                moved = list(x)
                moved[i] += step
                for k, value in enumerate(equations(*moved)):
                    jacobian[k, i] = (value - f[k]) / step
            dx = mp.lu_solve(jacobian, mp.matrix(f))
            x = [x[0] - dx[0], x[1] - dx[1]]
            f = equations(*x)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None
    return None


def _bulk(model: Model) -> Model:
    """The model without its spike (the bulk does not depend on ``θ``), for caching."""
    return dataclasses.replace(model, theta=0)


def edges_t(model: Model, est, dps: int):
    """``((δ₋, δ₊), (t₋, t₊))``: the edges of the continuous bulk of ``T`` and ``δ`` there."""
    return _edges_t(_bulk(model), _estimator(est).name, dps)


@functools.lru_cache(maxsize=256)
def _edges_t(model: Model, method: str, dps: int):
    """What rests on the upper edge alone: the whole support located and checked by its invariant
    as for ``edges``, but only the upper edge polished to ``dps`` digits (the others, which only the
    float64 invariant reads, as the float64 walk locates them): a threshold costs one high-precision
    edge, not one per edge of the support."""
    try:
        found = _support_t(model, method, dps, (model, method, dps) in _POLISHED)
    except ConvergenceError:
        # the whole support could not be found or failed its invariant: what rests on the upper
        # edge alone (threshold, outlier, overlap) takes it walked to from above every eigenvalue
        # and checked on its own (support.check_top); `edges` itself stays refused
        return _top_edge_t(model, method, dps)
    return (found[0][2], found[-1][3]), (found[0][0], found[-1][1])


def _top_edge_t(model: Model, method: str, dps: int):
    """``((None, δ₊), (None, t₊))``: the upper edge alone, walked to from above every eigenvalue and
    checked by :func:`numerics.support.check_top` (where the whole support is refused)."""
    with mp.workdps(dps + GUARD):
        system = Spectral(model, method)
        coarse = _coarse(system)
        terms = (coarse.w, coarse.D, coarse.c, coarse.h)
        low, high = support.outer_bounds(terms, coarse.gamma, coarse.scale)
        upper_delta, upper = _edge(system, mp.mpf(high), mp.mpf(low))
        support.check_top(system, upper, terms)
        return (None, upper_delta), (None, upper)


def intervals_t(model: Model, est, dps: int):
    """The components ``[(t₁₋, t₁₊), (t₂₋, t₂₊), …]`` of the continuous spectrum of ``T``, ascending.

    Every interval of the continuous part (for ``γ > 1`` in the diagonal basis that includes
    the part the null directions of ``S`` spread over ``[λ min D̄, λ max D̄]``), found by
    :func:`_support_t` and checked by :func:`numerics.support.check`.
    """
    return _intervals_t(_bulk(model), _estimator(est).name, dps)


@functools.lru_cache(maxsize=256)
def _intervals_t(model: Model, method: str, dps: int):
    return tuple((lo, hi) for lo, hi, _, _ in _support_t(model, method, dps))


@functools.lru_cache(maxsize=256)
def _support_t(model: Model, method: str, dps: int, polish_all: bool = True):
    """``((t₋, t₊, δ₋, δ₊), …)``: every interval of the support of the continuous part of ``μ_T``.

    ``polish_all=False`` (a varying shift): only the upper edge is polished to ``dps`` digits.

    A scalar shift (PCA, rotational basis, isotropic bulk): Silverstein–Choi's explicit inverse
    (:func:`numerics.support.scalar_intervals`), complete by convexity. Otherwise
    :func:`_general_intervals`. Either way the support passes :func:`numerics.support.check`
    (mass, zero outside and in the gaps, positive inside) before it is returned.
    """
    with mp.workdps(dps + GUARD):
        system = Spectral(model, method)
        explicit = system.scalar and not model.elliptical
        if not polish_all and (explicit or support.degenerate(system, model)):
            return _support_t(model, method, dps)  # every edge exact anyway: the support `edges` caches
        if explicit:
            found = support.scalar_intervals(system)
        else:
            if model.gamma == 1:
                raise BadParameter("gamma", "gamma = 1 (a hard edge) is supported for a scalar shift of "
                                            "Gaussian data only (isotropic bulk, rotational basis, pca)")
            found = _general_intervals(system, polish_all)
        coarse = _coarse(system)
        support.check(system, [(lo, hi) for lo, hi, _, _ in found], (coarse.w, coarse.D, coarse.c, coarse.h))
        if support.degenerate(system, model) and len(system._rows) <= 8:
            _agree_with_discriminant(model, method, dps, found)
        if polish_all:
            if len(_POLISHED) >= 4096:
                _POLISHED.clear()
            _POLISHED.add((model, method, dps))
        return tuple(found)


#: The ``(model, method, dps)`` whose whole support :func:`_support_t` has polished (and cached):
#: :func:`_edges_t` reads the upper edge from it instead of locating the support again.
_POLISHED: set = set()


def _agree_with_discriminant(model: Model, method: str, dps: int, found) -> None:
    """Where a component ends at a shift (``γ w_i = 1``), also read the support off the discriminant
    (:mod:`numerics.algebraic`) and refuse (:class:`numerics.support.SupportError`) unless both
    give the same intervals to ``dps/2`` digits: a gap next to the singular shift can be narrower
    than the scan and the invariant's float64 nodes."""
    from numerics import algebraic

    other = algebraic.intervals_t(model, method, dps)
    mine = [(lo, hi) for lo, hi, _, _ in found]
    tol = mp.mpf(10) ** (-(dps // 2)) * _width(Spectral(model, method))
    if len(other) != len(mine) or any(abs(a - b) > tol for p, q in zip(mine, other) for a, b in zip(p, q)):
        raise support.SupportError(f"the scan found {len(mine)} interval(s), the discriminant {len(other)} "
                                   f"(a component ends at a shift: gamma*w_i = 1)", 1, tol)


def _general_intervals(system: "Spectral", polish_all: bool = True):
    """Every interval of the support of ``T`` for a shift that varies (diagonal basis), or for any
    shift under elliptical data (no explicit inverse then).

    The outer edges are walked to (:func:`_edge`) from :func:`numerics.support.outer_bounds`,
    points provably outside the spectrum; between them the density is scanned for gaps
    (:func:`_scan`) and both edges of every gap are walked to from inside it.
    """
    coarse = _coarse(system)
    low, high = support.outer_bounds((coarse.w, coarse.D, coarse.c, coarse.h), coarse.gamma, coarse.scale)
    if system.scalar and coarse.gamma > 1:
        # elliptical data, a scalar shift h: the d − n null directions of S are an atom of T at h;
        # the rest of T − h is ⪰ min c · min τ · (√γ − 1)² (the n×n companion): start above the atom
        low = float(system.shifts()[0]) + 0.99 * support.lower_null_bound(coarse)
    upper_delta, upper = _edge(system, mp.mpf(high), mp.mpf(low))
    lower_delta, lower = _edge(system, mp.mpf(low), mp.mpf(high), polish_all)
    edges = [(lower, lower_delta)]
    for gap, above, below in reversed(_scan(system, lower, upper)):  # ascending
        below_delta, below_edge = _edge(system, gap, below, polish_all)
        above_delta, above_edge = _edge(system, gap, above, polish_all)
        edges += [(below_edge, below_delta), (above_edge, above_delta)]
    edges.append((upper, upper_delta))
    if any(b[0] <= a[0] for a, b in zip(edges, edges[1:])):
        raise ConvergenceError("(E3) support intervals (edges out of order)", mp.mpf(1), _tol())
    return [(a[0], b[0], a[1], b[1]) for a, b in zip(edges[::2], edges[1::2])]


#: Points of the density scan of :func:`_scan` across the bulk.
SCAN_POINTS = 2000


#: A law with more atoms than this (or a density) is walked in float64 first (:class:`_Coarse`).
LARGE = 16


class _Coarse:
    r"""The (E3) system in float64 on :func:`numerics.support.float_terms`: where a large law (many atoms, or a
    density integrated by quadrature at every call) would make the high-precision walk slow.

    Only *locates*: every result is polished at the working precision on the exact law (Newton on
    the same equations of :class:`Spectral`), so the float64 rounding and the discretisation of a
    density change the starting point of that Newton, not the result.
    """

    def __init__(self, system: "Spectral"):
        import numpy as np

        self.w, self.D, self.c, self.h = support.float_terms(system)
        self.gamma = float(system.gamma)
        self.scale = system.scale_law
        self._wc, self._wcc = self.w * self.c, self.w * self.c * self.c
        #: the atoms of T (γ > 1, a varying shift, γ w_i > 1), which the walks cross
        self.atoms = np.array([float(t) for t, _ in support.continuous_mass(system)[1]]) \
            if not system.scalar else np.array([])

    def secular(self, delta, u, theta: float):
        """The left side of (E4), ``1 + θ c(δ) Σ w D̄/(c·c(δ) + h − u)`` (Gaussian: ``c(δ) = 1/(1+δ)``)."""
        if self.scale.gaussian:
            return 1 + theta / (1 + delta) * float((self.w * self.D / (self.c / (1 + delta) + (self.h - u))).sum())
        first = float(self.scale.first_np(delta))
        return 1 + theta * first * float((self.w * self.D / (self.c * first + (self.h - u))).sum())

    def outlier(self, grid, theta: float):
        """``(δ, u)`` at the first sign change of (E4) along the descending real ``grid`` (or ``None``)."""
        delta, previous = self.solve(float(grid[0])).real, None
        for u in grid:
            delta = self.newton(float(u), delta)
            if delta is None:
                return None
            value = self.secular(delta, float(u), theta)
            if previous is not None and (value > 0) != (previous > 0):
                return delta, float(u)
            previous = value
        return None

    def both(self, delta, u):
        """``(equation, d_equation)`` at real ``δ, u``: one pass over the terms."""
        first, second = support.scaled(1.0, delta, self.scale)  # c(δ), e₂(δ)
        r = 1 / (self.c * first + (self.h - u))
        return self.gamma * float(self._wc @ r) - delta, self.gamma * second * float(self._wcc @ (r * r)) - 1

    def poles(self, delta):
        return self.c * support.scaled(1.0, delta, self.scale)[0] + self.h

    def solve(self, u: float, eta: float = 0.0):
        """δ at ``u + iη``: the branch continued from ``+i∞`` (:func:`numerics.support.float_continuation`)."""
        return complex(support.float_continuation((self.w, self.c, self.h), self.gamma, [u], eta, self.scale)[0])

    def newton(self, u, delta, steps: int = 40):
        """A real root of ``equation(·, u)`` from ``delta``, or ``None``."""
        found = self.root(u, delta, steps)
        return None if found is None else found[0]

    def root(self, u, delta, steps: int = 40):
        """``(δ, ∂_δ equation there)`` at a real root of ``equation(·, u)`` from ``delta``, or ``None``
        (the walks need the sign of the slope at the root: computed in the same pass)."""
        for _ in range(steps):
            f, slope = self.both(delta, u)
            if abs(f) <= 1e-13 * (1 + abs(delta)):
                return delta, slope
            if slope == 0 or not abs(f / slope) < 1e300:
                return None
            delta -= f / slope
        return None

    def edge(self, outside: float, inside: float):
        """``(δ, u)`` at the edge met walking from ``outside`` towards ``inside`` (see :func:`_edge`)."""
        import numpy as np

        u = outside
        delta = self.solve(u).real
        step = (inside - u) / 64
        floor = max(abs(step) * 64 * 1e-12, 4e-16 * abs(u))
        crossed_atoms: set = set()
        while True:
            while abs(step) > floor:
                reach = float(np.abs(self.poles(delta) - u).min()) / 2
                step = np.sign(step) * min(abs(step), reach)
                trial = u + step
                found = self.root(trial, delta)
                if found is not None and found[1] < 0 and abs(found[0] - delta) < (1 + abs(delta)) / 4:
                    u, delta = trial, found[0]
                    step *= 2
                else:
                    step /= 4
            crossed = self.across_atom(u, delta, floor, crossed_atoms)
            if crossed is None:
                return self.refined(delta, u, abs(inside - outside))
            u, delta = crossed
            step = np.sign(inside - outside) * 4 * floor

    def across_atom(self, u: float, delta: float, floor: float, crossed: set):
        """The walk stopped at an atom of ``T`` (``γ > 1``, ``γ w_i > 1``: at the shift ``h_i``, where
        the real branch has ``δ → ±∞``; in ``y = 1/(1+δ)`` it crosses ``0`` linearly, ``y ≈ (h_i − u)/
        ((γ w_i − 1) c_i)``): ``(u', δ')`` on the branch beyond it, where the walk goes on: from the
        mirror point ``2h_i − u`` (``y → −y``), moved away from ``h_i`` by steps of ``1/5`` of the
        distance until that is ``10³`` times the walk's resolution ``floor``. ``None`` when no atom
        is that close (a bulk edge), when this atom was crossed already, or the branch is lost."""
        import numpy as np

        if not self.atoms.size or abs(delta) < 1e6:
            return None
        k = int(np.abs(self.atoms - u).argmin())
        atom = float(self.atoms[k])
        if abs(atom - u) > 1e3 * floor or k in crossed:
            return None
        crossed.add(k)
        u, delta = 2 * atom - u, 1 / (-1 / (1 + delta)) - 1  # y → −y
        side = np.sign(u - atom)
        for _ in range(200):
            found = self.root(u, delta)
            if found is None or not found[1] < 0:
                return None
            delta = found[0]
            if abs(u - atom) >= 1e3 * floor:
                return u, delta
            u = atom + side * abs(u - atom) * 1.2
        return None

    def refined(self, delta: float, u: float, distance: float):
        """The walked edge ``(δ, u)`` refined by Newton on ``{equation = 0, ∂_δ equation = 0}`` in
        float64 (a forward-difference Jacobian): the walk leaves ``δ`` to about ``10⁻⁶`` (a double
        root there), this to about ``10⁻¹⁵``, and the high-precision polish then needs one Newton
        step. The walked edge is kept when this does not converge to a point within ``10⁻⁸`` of
        the walked ``distance`` of it."""
        import numpy as np

        def both(x):
            return np.array(self.both(x[0], x[1]))

        x = np.array([delta, u])
        with np.errstate(all="ignore"):
            for _ in range(8):
                f = both(x)
                if abs(f[0]) <= 1e-14 * (1 + abs(x[0])) and abs(f[1]) <= 1e-12:
                    break
                jacobian = np.empty((2, 2))
                for i in range(2):
                    moved = x.copy()
                    moved[i] += 1e-7 * (1 + abs(x[i]))
                    jacobian[:, i] = (both(moved) - f) / (moved[i] - x[i])
                try:
                    x = x - np.linalg.solve(jacobian, f)
                except np.linalg.LinAlgError:
                    return delta, u
            else:
                return delta, u
        if not np.all(np.isfinite(x)) or abs(x[1] - u) > 1e-8 * distance:
            return delta, u
        return float(x[0]), float(x[1])


#: The float64 systems by (model without spike, method): the same at every working precision
#: (built from the first system asked for, at its precision: float64 rounds every one alike).
_COARSE: dict = {}


def _coarse(system: "Spectral") -> _Coarse:
    """The float64 system of ``system`` (cached per model and method; per instance otherwise)."""
    if "model" in system.__dict__:
        key = (_bulk(system.model), system.method)
        if key not in _COARSE:
            if len(_COARSE) >= 64:
                _COARSE.clear()
            with mp.workdps(max(mp.mp.dps, 20)):
                _COARSE[key] = _Coarse(system)
        return _COARSE[key]
    if "_coarse" not in system.__dict__:
        system.__dict__["_coarse"] = _Coarse(system)
    return system.__dict__["_coarse"]


def _scan(system: "Spectral", lower, upper):
    r"""The gaps of the bulk ``[lower, upper]`` of ``T``: ``[(gap, above, below), …]``, descending.

    The density ``ρ_T`` is computed in float64 at ``u + iη`` (:func:`numerics.support.float_density`,
    ``η = 10^{-9}(upper − lower)``) on :data:`SCAN_POINTS` points across the bulk (and on ladders
    towards its ends and the shifts). A gap is a run of points where the scanned density is
    ``O(η)`` (linear in ``η``: :func:`numerics.support.vanishing`) between bulk points ``above`` and
    ``below``; a gap narrower than the grid shows as a local minimum of the sampled density, which
    is minimised between its neighbours (golden section, 60 steps) before it is decided. Every gap point is then confirmed at the
    working precision with the true law: the branch continued from ``+i∞`` to the real point has
    ``Im g = 0`` (a density law is only discretised for the scan). What can still be missed: a
    gap narrower than about ``10^{-9}`` of the width of the bulk.
    """
    import numpy as np

    coarse = _coarse(system)
    terms, gamma, scale = (coarse.w, coarse.c, coarse.h), coarse.gamma, coarse.scale
    lo, hi = float(lower), float(upper)
    eta = (hi - lo) * 1e-9
    grid = hi - (hi - lo) * np.arange(1, SCAN_POINTS) / SCAN_POINTS
    # and geometrically from each end: a bulk spanning decades (extreme contrast) has components
    # narrower than the linear step near its ends
    ladder = (hi - lo) * np.logspace(-9, 0, SCAN_POINTS // 5, endpoint=False)
    grid = np.concatenate([grid, lo + ladder, hi - ladder])
    # a component can end at a shift h_i (where the leading coefficient of (E3) vanishes, e.g. the
    # part the null directions of S spread, γ > 1), with a density that need not vanish there:
    # probe geometrically close to every shift inside the bulk too
    probes = support.shift_probes((coarse.w, coarse.D, coarse.c, coarse.h), gamma, lo, hi)
    grid = np.unique(np.concatenate([grid, probes]))[::-1]
    # an atom of T (γ > 1, γ w_i > 1: at the shift h_i) adds m η/((u − h_i)² + η²) to Im g, linear
    # in η (as in a gap) except within 1.61η of h_i (9(d² − η²)/(d² + η²) > 4 there): the points
    # within 2η are not read (not more: a bulk of width 10⁷ has η = 0.009, and a component of width
    # 0.12 between two atoms lost every point to a margin of 10η)
    atoms = np.array([float(t) for t, _ in support.continuous_mass(system)[1]])
    if atoms.size:
        grid = grid[np.abs(grid[:, None] - atoms[None, :]).min(axis=1) > 2 * eta]

    def inside_gap(first, last):
        """The point of the empty run ``[last, first]`` the walks start from: its middle, or with an
        atom of T in the run the middle of the longest part beside it (a walk started at the atom
        has ``δ = ±∞``)."""
        cuts = sorted([last, *[t for t in atoms if last < t < first], first])
        a, b = max(zip(cuts, cuts[1:]), key=lambda pair: pair[1] - pair[0])
        return (a + b) / 2
    # in a gap the smoothed density is O(η) (linear in η); inside the support it barely moves with
    # η: a test relative to η, not to the largest density (a bulk spanning decades has parts far
    # below its maximum)
    empty, rho = support.vanishing(terms, gamma, grid, eta, scale)
    candidates = []
    j = 0
    while j < len(grid):
        if empty[j]:
            k = j
            while k + 1 < len(grid) and empty[k + 1]:
                k += 1
            if 0 < j and k + 1 < len(grid):
                candidates.append((inside_gap(grid[j], grid[k]), grid[j - 1], grid[k + 1]))
            j = k + 1
            continue
        if 0 < j < len(grid) - 1 and rho[j] <= rho[j - 1] and rho[j] <= rho[j + 1]:
            a, b = grid[j + 1], grid[j - 1]  # a local minimum: a gap narrower than the grid may hide here
            ratio = (np.sqrt(5) - 1) / 2
            for _ in range(60):
                x1, x2 = b - ratio * (b - a), a + ratio * (b - a)
                hollow, f = support.vanishing(terms, gamma, [x1, x2], eta, scale)
                if hollow.any():
                    candidates.append((x1 if hollow[0] else x2, grid[j - 1], grid[j + 1]))
                    break
                if f[0] < f[1]:
                    b = x2
                else:
                    a = x1
        j += 1
    confirmed = []
    # 20 digits, and those a bulk narrow against its distance from 0 loses to cancellation (p → 1:
    # width 10⁻⁶ at 1 left a 20-digit solve next to a shift short of its tolerance), then 20 more
    lost = max(0, int(np.ceil(np.log10(max(abs(lo), abs(hi)) / (hi - lo)))))
    for gap, above, below in candidates:
        for digits in (20 + lost, 40 + lost):
            with mp.workdps(digits):
                point = mp.mpf(gap)
                try:
                    delta = system.solve(point, tol=mp.mpf(10) ** -12)  # from +i∞ at the real point
                except ConvergenceError:
                    continue
                g = system.g(delta, point)
                if abs(mp.im(g)) <= mp.mpf(10) ** -8 * (1 + abs(g)):
                    confirmed.append((point, mp.mpf(above), mp.mpf(below)))
                break
    return confirmed


def outlier_t(model: Model, est, dps: int):
    """``(δ*, u*)``: the root of (E4) above the upper edge of ``T`` (call only above threshold)."""
    return _outlier_t(model, _estimator(est).name, dps)


@functools.lru_cache(maxsize=256)
def _outlier_t(model: Model, method: str, dps: int):
    _, (_, upper) = edges_t(model, method, dps)
    with mp.workdps(dps + GUARD):
        system = Spectral(model, method)
        # scan (E4) along the real continuation above the edge for a sign change, then Newton
        far = 8 * abs(upper) + 8 * system.theta * max(system.scales()) + 8
        # geometric grid from far above the edge down to 10^-24 of the distance: an outlier at
        # distance ε above the edge has θ − θ_c ~ √ε, so this resolves θ down to ~1e-12·θ_c
        steps = 240
        grid = [upper + (far - upper) * mp.mpf(10) ** (-mp.mpf(j) / 10) for j in range(steps + 1)]
        found = _coarse(system).outlier(grid, float(system.theta)) if system.large else None
        if found is not None:  # located in float64, polished below
            return newton(lambda d, u: [system.equation(d, u), system.secular(d, u)],
                          (mp.mpf(found[0]), mp.mpf(found[1])), tol=_tol(), what="(E4) outlier system")
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
        return newton(lambda d, u: [system.equation(d, u), system.secular(d, u)], (delta, t),
                      tol=_tol(), what="(E4) outlier system")


def outlier_slopes(model: Model, est, dps: int):
    """``(h'(u*), du*/dε)`` at the outlier, by :func:`mpmath.diff` of the solvers (see :func:`numerics.reduction.overlap`)."""
    delta_star, t_star = outlier_t(model, est, dps)
    with mp.workdps(dps + GUARD):
        system = Spectral(model, est)

        def h(t):
            delta = newton(lambda d: system.equation(d, t), delta_star, tol=_tol(), what="(E3) near the outlier")
            return system.secular(delta, t)

        def location(epsilon):
            shifted = system.perturbed(epsilon)
            return newton(lambda d, v: [shifted.equation(d, v), shifted.secular(d, v)], (delta_star, t_star),
                          tol=_tol(), what="(E4) outlier of T + eps D^-1")[1]

        with mp.workdps(2 * (dps + GUARD)):
            return mp.diff(h, t_star), mp.diff(location, 0)


def system(model: Model, est, dps: int):
    """The (E3)–(E4) system at ``dps + GUARD`` digits (for the shared reductions)."""
    with mp.workdps(dps + GUARD):
        return Spectral(model, est)
