r"""The quantity registry: the one list of QUANTITIES that everything else iterates.

The meaning of each quantity is stated in docs/theory.md, "The quantities".

Each :class:`Quantity` holds its name and meaning (the CLI choices and help, the README table),
the estimators that have it, how a *solving* route (:mod:`numerics.fixedpoint`,
:mod:`numerics.algebraic`) computes its limit from the route's primitives and the shared
formulas of :mod:`numerics.reduction`, its SymPy closed form for the isotropic bulk (the
``closed`` route), its finite-``d`` estimator on one simulated replica (:mod:`numerics.simulate`),
and the statement ``ssr verify`` prints. :mod:`numerics.theory`, :mod:`numerics.simulate`,
the command line, ``verify``, the report and the test batteries all read :data:`REGISTRY`.

Adding a quantity is one entry here, its functions, and its oracle in the tests.

A limit function receives a context ``ctx`` (built by :func:`numerics.theory.evaluate`) with
``ctx.model``, ``ctx.est`` (an :class:`~numerics.estimators.Estimator`), ``ctx.at``,
``ctx.dps``, ``ctx.route`` (the solving route's module, ``None`` on the closed route),
``ctx.get(name)`` (another quantity, same route) and ``ctx.closed(name)`` (the lambdified closed
form at the model's parameters). A finite-``d`` function receives a replica ``rep`` with
``rep.model``, ``rep.d``, ``rep.n``, ``rep.X``, ``rep.Sigma``, ``rep.v``, ``rep.at`` and
``rep.fit`` (the estimator's :class:`~numerics.estimators.Fit`).

This module imports neither SymPy nor the solvers (the command line reads it to start fast).

>>> names()
('m', 'train-error', 'gen-error', 'edges', 'density', 'threshold', 'outlier', 'overlap', 'mask-optimum', 'lam-optimum', 'threshold-optimum')
>>> REGISTRY["gen-error"].estimators
('ssr', 'masked')
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp

from numerics import estimators as _estimators
from numerics import reduction
from numerics.parsing import BadParameter

__all__ = ["Quantity", "Support", "REGISTRY", "names", "of", "get", "closed_form"]


@dataclass(frozen=True)
class Quantity:
    """One quantity: meaning, estimators, limit (solving routes), closed form, finite-``d`` estimator.

    ``closed(method)`` returns the SymPy expression (a list for vector quantities) in
    ``gamma, lam, theta`` and the spectral variable (``a`` for estimators with a resolvent, ``x``
    otherwise; the masked estimator's also in ``p, q``), or is ``None`` when no closed form
    exists. ``finite`` is ``None`` for a limit without a finite-``d`` version. ``needs_at`` marks
    quantities evaluated at a point ``--at A``; ``uses`` names the quantities a derived one (an
    optimum) is computed from (it then runs on the closed route when they all have closed forms);
    ``spectral`` marks the quantities of the spectrum of ``T`` ((E3)–(E4): edges, density, spike).
    ``given(eq, q)`` is the value for a given covariance from a
    :class:`numerics.covariance.Equivalent` ``eq`` at test ratio ``q`` (``None``: not available
    on that route).
    """

    name: str
    meaning: str
    estimators: tuple[str, ...]
    limit: Callable
    closed: Callable | None
    finite: Callable | None
    statement: str
    needs_at: bool = False
    uses: tuple[str, ...] = ()
    spectral: bool = False
    given: Callable | None = None


def _resolvent_estimators() -> tuple[str, ...]:
    return tuple(e.name for e in _estimators.ESTIMATORS.values() if e.resolvent)


_ALL = _estimators.NAMES
_RESOLVENT = _resolvent_estimators()
#: The masked estimator: the optima over the masking ratio ``p`` are its quantities alone.
_MASKED = "masked"


# --- lazy access to the SymPy closed forms (derive/) ---------------------------------------------

def _isotropic(name, masked):
    """The closed form ``derive.isotropic.<name>`` (``name`` may map estimator → function);
    for the masked estimator ``derive.masking.<masked>`` (in ``p`` and ``q`` too)."""
    def closed(method):
        if _estimators.get(method).masking_closed_forms:
            from derive import masking

            return getattr(masking, masked)()
        from derive import isotropic

        return getattr(isotropic, name[method] if isinstance(name, dict) else name)()
    return closed


def _spiked(name):
    def closed(method):
        if _estimators.get(method).masking_closed_forms:
            from derive import masking

            return getattr(masking, name)()
        from derive import spiked

        return getattr(spiked, name)(method)
    return closed


# --- limits ------------------------------------------------------------------------------------

def _m(ctx):
    if ctx.route is None:
        return ctx.closed("m")
    return reduction.m_value(ctx.model, ctx.est, ctx.delta())


def _gen_error(ctx):
    if ctx.route is None:
        return ctx.closed("gen-error")
    return reduction.gen_error(ctx.model, ctx.est, ctx.delta())


def _train_error(ctx):
    if ctx.route is None:
        return ctx.closed("train-error")
    return reduction.train_error(ctx.model, ctx.est, ctx.delta())


class Support(list):
    """The value of ``edges``: the list ``[lower, upper]`` of the outer edges of the continuous
    bulk, which also carries every interval of it in :attr:`intervals` (``[(l₁, u₁), (l₂, u₂), …]``,
    ascending, ``l₁ = lower``, last ``u = upper``; one pair when the bulk is connected).

    >>> s = Support([(1, 2), (3, 5)])
    >>> list(s), s.intervals, s.split
    ([1, 5], [(1, 2), (3, 5)], True)
    """

    def __init__(self, intervals):
        self.intervals = [tuple(pair) for pair in intervals]
        if not self.intervals or any(len(pair) != 2 for pair in self.intervals):
            raise ValueError("Support: expected a non-empty list of (lower, upper) pairs")
        super().__init__([self.intervals[0][0], self.intervals[-1][1]])

    @property
    def split(self) -> bool:
        """Whether the bulk has more than one interval."""
        return len(self.intervals) > 1

    def map(self, f) -> "Support":
        """The support with ``f`` applied to every edge (an increasing map keeps the order)."""
        return Support([(f(lo), f(hi)) for lo, hi in self.intervals])


def _edges(ctx):
    if ctx.route is None:  # the isotropic bulk is one interval
        found = Support([ctx.closed("edges")])
        ctx.check_support(found)
        return found
    return Support(ctx.route.intervals_t(ctx.model, ctx.est, ctx.dps)).map(lambda t: ctx.est.to_a(ctx.model, t))


def _density(ctx):
    if ctx.route is None:  # the closed form is the analytic continuation: 0 off the open bulk
        lower, upper = ctx.get("edges")
        return mp.re(ctx.closed("density")) if lower < ctx.at < upper else mp.mpf(0)
    return reduction.density(ctx.model, ctx.est, ctx.at,
                             lambda t: ctx.route.density_t(ctx.model, ctx.est, t, ctx.dps), ctx.dps)


def _threshold(ctx):
    if ctx.route is None:
        ctx.get("edges")  # the upper edge it rests on passes the support invariant
        return ctx.closed("threshold")
    (_, delta_edge), (_, upper) = ctx.route.edges_t(ctx.model, ctx.est, ctx.dps)
    return reduction.threshold(ctx.route.system(ctx.model, ctx.est, ctx.dps), delta_edge, upper)


def _above_threshold(ctx) -> bool:
    """Whether ``θ > θ_c``: below, the outlier is the upper edge and the overlap is 0 (every route)."""
    return ctx.model.mp("theta") > ctx.get("threshold")


def _upper_edge(ctx):
    _, (_, upper) = ctx.route.edges_t(ctx.model, ctx.est, ctx.dps)
    return ctx.est.to_a(ctx.model, upper)


def _outlier(ctx):
    if not _above_threshold(ctx):  # the upper edge (defined even where the lower one is not)
        return ctx.get("edges")[1] if ctx.route is None else _upper_edge(ctx)
    if ctx.route is None:
        return ctx.closed("outlier")
    _, t_star = ctx.route.outlier_t(ctx.model, ctx.est, ctx.dps)
    return ctx.est.to_a(ctx.model, t_star)


def _overlap(ctx):
    if not _above_threshold(ctx):
        return mp.mpf(0)
    if ctx.route is None:
        return ctx.closed("overlap")
    delta_star, t_star = ctx.route.outlier_t(ctx.model, ctx.est, ctx.dps)
    slope, trace = ctx.route.outlier_slopes(ctx.model, ctx.est, ctx.dps)
    return reduction.overlap(ctx.route.system(ctx.model, ctx.est, ctx.dps), delta_star, t_star, slope, trace)


def _unused(ctx, name, option, why):
    if getattr(ctx.model, name) not in (0, None):
        raise BadParameter(option, why)


def _over_ratio(ctx, quantity: str, what: str, smallest: int, why: str):
    """The training ratio ``p`` minimising ``quantity`` (:func:`numerics.optimum.minimise`, scan
    down to ``1 − p = 10^{-smallest}``, for the reason ``why``); a boundary optimum leaves its
    sentence in ``ctx.note``."""
    from numerics import optimum

    def value(p, dps):
        return ctx.other(dataclasses.replace(ctx.model, mask_ratio=p), dps).get(quantity)

    best = optimum.minimise(value, ctx.dps, what=what, guard=reduction.GUARD, smallest=smallest, why=why)
    ctx.note(best.note)
    return best.ratio


def _mask_optimum(ctx):
    _unused(ctx, "mask_ratio", "mask-ratio", "mask-optimum optimises the training ratio p; "
                                             "give only the test ratio --test-mask-ratio Q")
    q = ctx.model.test_mask_ratio
    if q is None:
        raise BadParameter("test-mask-ratio", "mask-optimum needs the test ratio --test-mask-ratio Q "
                                              "at which E(Q) is minimised (Q = 0: the leave-one-out error)")

    return _over_ratio(ctx, "gen-error", f"E(q = {q})", 12,
                       "as p -> 1 the masked estimator tends to 0, like (1 - p)/lam once 1 - p << lam")


def _lam_optimum(ctx):
    """The ridge ``λ*`` minimising the test error ``E(q)`` (the model's test ratio; leave-one-out:
    ``E_gen``) over ``λ ∈ [10⁻⁸, 10⁴]`` (:data:`numerics.optimum.RIDGE`), the model's ``λ`` unused."""
    from numerics import optimum

    def value(lam, dps):
        return ctx.other(dataclasses.replace(ctx.model, lam=lam), dps).get("gen-error")

    q = ctx.model.test_ratio
    best = optimum.minimise(value, ctx.dps, what=f"E(q = {q})" if ctx.model.masked else "E_gen",
                            guard=reduction.GUARD, variable=optimum.RIDGE)
    ctx.note(best.note)
    return best.ratio


def _threshold_optimum(ctx):
    _unused(ctx, "mask_ratio", "mask-ratio", "threshold-optimum optimises the training ratio p; "
                                             "do not give --mask-ratio")
    _unused(ctx, "test_mask_ratio", "test-mask-ratio", "threshold-optimum does not use a test ratio")

    # the spectral edge solve (numerics.fixedpoint._edge) does not converge for 1 - p <= 1e-5
    # (its residual tolerance is absolute; measured on the two-atom law, both bases)
    return _over_ratio(ctx, "threshold", "theta_c(p)", 4,
                       "the spectral edges are solved for 1 - p >= 1e-4 only")


# --- finite-d estimators (one replica) ------------------------------------------------------------

def _finite_edges(rep):
    from numerics import spectrum

    atom = spectrum.null_atom(rep.model, rep.fit.estimator)
    return spectrum.bulk_edges(spectrum.bulk(rep.fit.spectrum, rep.n, rep.model.theta > 0, atom), rep.d)


def _finite_density(rep):
    from numerics import spectrum

    bulk = spectrum.bulk(rep.fit.spectrum, rep.n, rep.model.theta > 0)
    return spectrum.kernel_density(rep.fit.spectrum, rep.at, bulk[[0, -1]])


def _finite_train_error(rep):
    from numerics import estimator

    return estimator.train_error(rep.X, rep.fit.matrix, rep.fit.p)


def _finite_gen_error(rep):
    from numerics import estimator

    return estimator.gen_error(rep.fit.matrix, rep.Sigma, rep.model.test_ratio)


def _finite_lam_optimum(rep):
    """The ridge minimising this replica's test error ``E_d(Q; λ)`` (true ``Σ``) over ``λ``: bounded
    Brent search in ``log₁₀ λ ∈ [−8, 4]`` (``xatol = 1e-4``), one fit per evaluation."""
    from scipy.optimize import minimize_scalar

    from numerics import estimator

    q = float(rep.model.test_ratio)

    def error(log_lam):
        fit = _estimators.get(rep.fit.estimator).fit(rep.X, dataclasses.replace(rep.model, lam=Fraction(10.0 ** log_lam)))
        return estimator.gen_error(fit.matrix, rep.Sigma, q)

    return float(10.0 ** minimize_scalar(error, bounds=(-8.0, 4.0), method="bounded", options={"xatol": 1e-4}).x)


def _finite_mask_optimum(rep):
    """The ratio minimising this replica's masked test error ``E_d(Q; p)`` (true ``Σ``) over ``p``.

    Bounded Brent search (:func:`scipy.optimize.minimize_scalar`, ``xatol = 1e-5``) on
    ``[0, 0.999]``, one fit of ``Â_p`` per evaluation.
    """
    from scipy.optimize import minimize_scalar

    from numerics import estimator

    masked = _estimators.get(_MASKED)
    q = float(rep.model.test_ratio)

    def error(p):
        fit = masked.fit(rep.X, dataclasses.replace(rep.model, mask_ratio=Fraction(p)))
        return estimator.gen_error(fit.matrix, rep.Sigma, q)

    return float(minimize_scalar(error, bounds=(0.0, 0.999), method="bounded", options={"xatol": 1e-5}).x)


#: The registry, in the order of the quantities section of docs/theory.md.
REGISTRY: dict[str, Quantity] = {q.name: q for q in (
    Quantity("m", "lim (1/d) tr R,  R = (S + lam I)^-1 (masked: R = (S + B)^-1)", _RESOLVENT, _m,
             _isotropic("stieltjes_m", "m"), lambda rep: float(rep.fit.precision.trace() / rep.d),
             "m = lim (1/d) tr R", given=lambda eq, q: eq.m()),
    Quantity("train-error", "lim E_train (masked: the masked training loss at ratio P)", _RESOLVENT, _train_error,
             _isotropic("train_error", "train_error"), _finite_train_error,
             "E_train = lim ‖X − XÂᵀ‖²/(nd)", given=lambda eq, q: eq.train_error()),
    Quantity("gen-error", "lim E_gen (masked: the masked test error E(Q), Q = --test-mask-ratio)", _RESOLVENT, _gen_error,
             _isotropic("gen_error", "gen_error"), _finite_gen_error,
             "E_gen = lim tr((I−Â)Σ(I−Â)ᵀ)/d", given=lambda eq, q: eq.test_error(q)),
    Quantity("edges", "[lower, upper] edges of the bulk of the spectrum of A (pca: of S), and every interval "
             "of it when it splits", _ALL, _edges,
             _isotropic({"ssr": "ssr_edges", "pca": "mp_edges"}, "edges"), _finite_edges,
             "edges of the continuous bulk of the spectrum", spectral=True),
    Quantity("density", "density of the continuous spectrum of A at --at A", _ALL, _density,
             _isotropic({"ssr": "ssr_density", "pca": "mp_density"}, "density"), _finite_density,
             "density of the continuous part of the spectrum", needs_at=True, spectral=True),
    Quantity("threshold", "the spike threshold theta_c", _ALL, _threshold,
             _spiked("threshold"), None,
             "the spike threshold θ_c: the root of (E4) meets the bulk edge", spectral=True),
    Quantity("outlier", "limit of the top eigenvalue of A (pca: of S); the upper edge below theta_c", _ALL,
             _outlier, _spiked("outlier"), lambda rep: float(rep.fit.spectrum[-1]),
             "the top eigenvalue (the upper edge below θ_c)", spectral=True),
    Quantity("overlap", "limit of cos^2(v, top right eigenvector of A) (pca: of S)", _ALL, _overlap,
             _spiked("overlap"), lambda rep: float((rep.v @ rep.fit.top_vector) ** 2),
             "cos²(v, top right eigenvector)", spectral=True),
    Quantity("mask-optimum", "the training ratio p* minimising the masked test error E(Q) at "
             "--test-mask-ratio Q (a boundary is said so)", (_MASKED,), _mask_optimum, None,
             _finite_mask_optimum,
             "p* = argmin_p E(Q): the root of dE/dp = 0", uses=("gen-error",)),
    Quantity("lam-optimum", "the ridge lam* minimising the test error (masked: E(Q) at --test-mask-ratio Q) "
             "over [1e-8, 1e4] (a boundary is said so)", _RESOLVENT, _lam_optimum, None, _finite_lam_optimum,
             "λ* = argmin_λ E(Q): the root of dE/dλ = 0", uses=("gen-error",)),
    Quantity("threshold-optimum", "the training ratio p minimising the spike threshold theta_c(p)",
             (_MASKED,), _threshold_optimum, None, None,
             "the ratio p minimising θ_c(p)", uses=("threshold",), spectral=True),
)}


def names() -> tuple[str, ...]:
    """The quantity names, in registry order (the CLI's choices)."""
    return tuple(REGISTRY)


def of(method: str) -> tuple[str, ...]:
    """The quantities the estimator ``method`` has, in registry order.

    >>> of("pca")
    ('edges', 'density', 'threshold', 'outlier', 'overlap')
    """
    return tuple(q.name for q in REGISTRY.values() if method in q.estimators)


def get(name) -> Quantity:
    """The quantity called ``name``, or :class:`BadParameter` naming ``QUANTITY``."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise BadParameter("QUANTITY", f"invalid choice {name!r} (choose from {', '.join(REGISTRY)})") from None


def closed_form(quantity: str, method: str = "ssr"):
    """The SymPy closed form behind ``quantity`` for ``method`` (a list for ``edges``).

    For ``outlier`` and ``overlap`` it is the formula above the threshold; below it the outlier
    is the upper edge and the overlap is 0.
    """
    entry = get(quantity)
    if entry.closed is None:
        raise BadParameter("route", f"{quantity} has no closed form")
    return entry.closed(_estimators.get(method).name)
