r"""Theory limits of every QUANTITY at any precision, by one of three routes.

- ``route="closed"``: the closed forms *derived* by SymPy in :mod:`derive.isotropic`,
  :mod:`derive.spiked` and :mod:`derive.masking`, turned into mpmath functions by
  :func:`sympy.lambdify` (``modules="mpmath"``), never retyped (isotropic bulk only). ``ssr derive``
  writes that code into :mod:`numerics._closed` (:mod:`numerics.codegen`), so evaluating a closed
  form imports no SymPy;
- ``route="fixed-point"``: :mod:`numerics.fixedpoint`, Newton and continuation on one branch
  of the self-consistent equations (any law);
- ``route="algebraic"``: :mod:`numerics.algebraic`, all roots of the polynomial form of the
  same equations and a selection (discrete laws).

:func:`evaluate` uses the closed form where one exists (the isotropic bulk) and the fixed point
otherwise. The quantities, their estimators and how each route computes them come from the
registry :data:`numerics.quantities.REGISTRY`; the routes share the equations and reduction
formulas of :mod:`numerics.reduction`, so closed vs fixed point tests those formulas (SymPy
derives the closed forms independently) and fixed point vs algebraic tests the solving.

The heteroscedastic and rotational SymPy results of :mod:`derive.heteroscedastic` and
:mod:`derive.rotational` are not a closed route: each is either a limit (``λ → 0⁺``) or a
formula in a root that must still be selected (:mod:`numerics.reduction` says which, one by
one); they are checked against the routes in ``tests/derive``.

>>> from numerics.model import Model
>>> mp.nstr(evaluate("outlier", Model("1/2", "1/5", theta=2), method="pca", dps=10), 10)
'3.75'
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import math

import mpmath as mp

from numerics import fixedpoint, quantities, reduction
from numerics.estimators import NAMES as METHODS
from numerics.estimators import get as _estimator
from numerics.estimators import select as _select
from numerics.fixedpoint import ConvergenceError
from numerics.model import BadParameter, Model
from numerics.quantities import closed_form

__all__ = ["QUANTITIES", "METHODS", "ROUTES", "GUARD", "ConvergenceError", "check_supported", "closed_form",
           "estimator_for", "evaluate", "extra_digits"]

QUANTITIES = quantities.names()
#: The solving routes by name and module (each module exposes the same primitives); ``closed`` is
#: the third route. A module is imported when its route is first used (the algebraic one loads SymPy).
_SOLVERS = {"fixed-point": "numerics.fixedpoint", "algebraic": "numerics.algebraic"}
ROUTES = ("closed", *_SOLVERS)


def _solver(route: str):
    """The module of a solving route, or ``None`` for the closed route."""
    if route not in _SOLVERS:
        return None
    return importlib.import_module(_SOLVERS[route])
#: Guard digits of every route (:data:`numerics.reduction.GUARD`).
GUARD = reduction.GUARD


def check_supported(model: Model, route: str = "closed") -> None:
    """Raise :class:`BadParameter` when ``route`` cannot evaluate ``model``.

    Closed forms exist for the isotropic bulk only; the fixed-point route takes any law, the
    algebraic route any discrete law.
    """
    if route == "closed" and not model.isotropic:
        raise BadParameter("route", "closed forms exist for the isotropic bulk (--noise 1:1) only; "
                                    "use the fixed-point route")
    if route == "closed" and model.elliptical:
        raise BadParameter("route", "closed forms exist for Gaussian data (--scale-law 1:1) only; "
                                    "use the fixed-point route")


@functools.lru_cache(maxsize=None)
def _compiled(quantity: str, method: str):
    """The mpmath function of the closed form (a list for ``edges``), arguments
    ``gamma, lam, theta, p, q`` and the spectral variable.

    It is the generated module :mod:`numerics._closed` (``lambdify``'s code, written by
    ``ssr derive``; no SymPy at run time). A closed form that module does not have yet (a new one,
    before ``ssr derive``; ``ssr derive --check`` then fails) is derived and lambdified here.
    """
    from numerics import _closed

    function = _closed.CLOSED.get((quantity, _estimator(method).name))
    if function is not None:
        return function
    from numerics import codegen

    return codegen.lambdified(quantity, method)


def _exact(value):
    """An ``mpf`` at the working precision: exactly rounded for a ``Fraction``."""
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return mp.mpf(value.numerator) / value.denominator
    return mp.mpf(value)


class _Context:
    """What a quantity's limit function sees (see :mod:`numerics.quantities`)."""

    def __init__(self, route, model: Model, est, at, dps: int, notes: list | None = None, warm: dict | None = None):
        self.route, self.model, self.est, self.dps = route, model, est, dps
        self.at = _exact(at) if at is not None else None
        self.notes = [] if notes is None else notes
        self.warm = warm
        self._values: dict = {}
        self._near: dict = {}  # the warm-start hints of the contexts made by other()

    def delta(self):
        """``δ`` of (E1) on this route; with ``warm`` (fixed-point route) Newton starts from the δ of
        the previous evaluation that shared ``warm`` (:func:`numerics.fixedpoint.delta`'s hint)."""
        if self.warm is None or self.route is not fixedpoint:
            return self.route.delta(self.model, self.est, self.dps)
        value = self.route.delta(self.model, self.est, self.dps, start=self.warm.get(self.est.name))
        self.warm[self.est.name] = value
        return value

    def get(self, name: str):
        if name not in self._values:
            self._values[name] = quantities.get(name).limit(self)
        return self._values[name]

    def other(self, model: Model, dps: int) -> "_Context":
        """A context for another ``model`` on the same route and estimator, at ``dps`` digits.

        Its values are computed at ``dps + GUARD`` (plus :func:`extra_digits`) and returned at the
        caller's precision. The contexts made by one caller share warm starts of the (E1) solve
        (the δ of the previous one; the optimiser asks for neighbouring ratios), which cannot
        change the results (see :func:`evaluate`).
        """
        warm = self.warm if self.warm is not None else self._near
        return _Nested(self.route, model, self.est, None, dps + extra_digits(model, self.est), self.notes, warm)

    def check_support(self, found) -> None:
        """The invariant :func:`numerics.support.check` on a support of the estimate (closed route).

        The routes check their supports of ``T`` themselves; the closed route's edges are mapped
        back to ``T`` and checked on the fixed-point system of the same model (once per model).
        """
        key = tuple((mp.nstr(lo, 20), mp.nstr(hi, 20)) for lo, hi in found.intervals)
        _check_closed_support(dataclasses.replace(self.model, theta=0), self.est.name, key)

    def note(self, text: str) -> None:
        """Record a sentence the caller should show with the value (e.g. a boundary optimum)."""
        if text:
            self.notes.append(text)

    def closed(self, name: str):
        ratio = self.model.test_ratio
        args = [self.model.mp("gamma"), self.model.mp("lam"), self.model.mp("theta"),
                self.model.mp("mask_ratio"), mp.mpf(ratio.numerator) / ratio.denominator,
                self.at if self.at is not None else mp.mpf(0)]
        function = _compiled(name, self.est.name)
        return [f(*args) for f in function] if isinstance(function, list) else function(*args)


@functools.lru_cache(maxsize=256)
def _check_closed_support(model: Model, method: str, intervals: tuple) -> None:
    """:meth:`_Context.check_support` for one spike-free model and estimator (cached)."""
    from numerics import support

    est = _estimator(method)
    with mp.workdps(20):
        system = fixedpoint.Spectral(model, est)
        to_t = lambda a: est.from_a(model, mp.mpf(a))  # noqa: E731
        support.check(system, [(to_t(lo), to_t(hi)) for lo, hi in intervals])


class _Nested(_Context):
    """A :class:`_Context` that works at its own ``dps + GUARD`` (see :meth:`_Context.other`)."""

    def get(self, name: str):
        with mp.workdps(self.dps + GUARD):
            value = _Context.get(self, name)
        return _rounded(value)


def _has_closed(entry) -> bool:
    """Whether ``entry`` (or every quantity it is computed from) has a closed form."""
    if entry.uses:
        return all(quantities.get(name).closed is not None for name in entry.uses)
    return entry.closed is not None


def estimator_for(quantity: str, model: Model, method: str = "ssr"):
    """The :class:`~numerics.estimators.Estimator` that ``method`` means for ``quantity`` and ``model``.

    A masking ratio turns ``ssr`` into ``masked`` (:func:`numerics.estimators.select`), and so
    does a quantity of the masked estimator only (``mask-optimum``).
    """
    return _select(method, model, quantities.get(quantity).estimators)


def evaluate(quantity: str, model: Model, *, method: str = "ssr", at=None, dps: int = 30, route: str | None = None,
             notes: list | None = None, warm: dict | None = None):
    """The large-``d`` limit of ``quantity`` for ``model``, to ``dps`` significant digits.

    Returns an ``mpf`` (or ``[lower, upper]`` for ``edges``) computed with the route's guard
    digits, as a :class:`Value` (``print`` shows its ``dps`` digits). ``route`` is ``"closed"`` (SymPy closed form; isotropic only), ``"fixed-point"`` or
    ``"algebraic"``; by default the closed form when it exists. A model with a masking ratio
    uses the masked estimator (:func:`estimator_for`). ``notes``, a list, receives the sentences
    that go with the value (a boundary optimum says so there). A model with a given covariance
    (``Model(covariance=...)``) goes to the float64 route of :mod:`numerics.covariance` (``m``,
    ``gen-error``, ``train-error`` only; ``dps`` does not apply).

    ``warm``, a dict the caller keeps across the evaluations of a grid (start with ``{}``), makes
    the fixed-point route start the (E1) solve of each point from the previous point's ``δ``
    (warm start); the results are those of a cold start (the final Newton verifies its residual).
    """
    if quantity not in quantities.REGISTRY:
        raise BadParameter("QUANTITY", f"invalid choice {quantity!r} (choose from {', '.join(QUANTITIES)})")
    entry = quantities.get(quantity)
    est = estimator_for(quantity, model, method)
    if est.name not in entry.estimators:
        raise BadParameter("method", f"{quantity} is a property of the "
                                     f"{' or '.join(e.upper() for e in entry.estimators)} estimator; "
                                     f"use --method {entry.estimators[0]}")
    if model.covariance is not None:
        return _covariance(quantity, model, route)
    if entry.needs_at and at is None:
        raise BadParameter("at", f"QUANTITY {quantity} needs the point --at A")
    if not isinstance(dps, int) or not 1 <= dps <= 1000:
        raise BadParameter("dps", f"expected an integer in [1, 1000], got {dps!r}")
    route = route or ("closed" if model.isotropic and not model.elliptical and _has_closed(entry) else fixedpoint.NAME)
    if route not in ROUTES:
        raise BadParameter("route", f"expected one of {ROUTES}, got {route!r}")
    check_supported(model, route)
    extra = extra_digits(model, est)
    with mp.workdps(dps + GUARD):
        with mp.workdps(dps + extra + GUARD):
            value = _Context(_solver(route), model, est, at, dps + extra, notes, warm).get(quantity)
        return _shown(_rounded(value), dps)


def extra_digits(model: Model, est) -> int:
    """Digits added to ``dps`` for a masking ratio ``p`` near 1: ``⌈2 log₁₀(1/(1−p))⌉`` (0 unmasked).

    The masked errors are sums of terms of size ``c² = 1/(1−p)²`` that cancel to ``O(1)``
    (:func:`numerics.reduction.test_error`), so they lose about ``2 log₁₀(1/(1−p))`` digits
    (measured: the two-atom errors at ``1 − p = 10^{-k}``, dps 15, agree with dps 80 to about
    ``30 − 2k − 3`` digits without these digits, for ``k = 2 … 12``); the guard digits stay for the
    rest of the solve.
    """
    if not est.mask(model):
        return 0
    keep = 1 - model.mask_ratio
    return max(0, math.ceil(2 * (math.log10(keep.denominator) - math.log10(keep.numerator))))


class Value(mp.mpf):
    """An ``mpf`` that knows its digits: ``print`` and ``str`` show ``dps`` significant digits (a
    plain ``mpf`` prints with the global precision, 15 digits by default), ``repr`` says so. Any
    arithmetic gives a plain ``mpf``; the value itself is the ``mpf`` computed (``dps + GUARD`` bits).

    >>> with mp.workdps(40):
    ...     v = Value.of(+mp.pi, 30)
    >>> print(v)
    3.14159265358979323846264338328
    >>> v
    Value('3.14159265358979323846264338328', dps=30)
    """

    @classmethod
    def of(cls, value, dps: int) -> "Value":
        if isinstance(value, mp.mpf) and not isinstance(value, Value):
            new = object.__new__(cls)
            new._mpf_ = value._mpf_
            new.dps = dps
            return new
        return value

    def __str__(self):
        with mp.workdps(self.dps):
            return mp.nstr(mp.mpf(self), self.dps)

    def __repr__(self):
        return f"Value('{self}', dps={self.dps})"

    def __reduce__(self):
        return (_value, (self._mpf_, self.dps))


def _value(raw, dps):
    new = object.__new__(Value)
    new._mpf_, new.dps = raw, dps
    return new


def _shown(value, dps: int):
    """``value`` (an ``mpf``, a list, a :class:`~numerics.quantities.Support`) with :class:`Value` entries."""
    if isinstance(value, quantities.Support):
        return value.map(lambda v: Value.of(v, dps))
    if isinstance(value, list):
        return [Value.of(v, dps) for v in value]
    return Value.of(value, dps)


def _rounded(value):
    """``value`` rounded to the working precision (a :class:`~numerics.quantities.Support` stays one)."""
    if isinstance(value, quantities.Support):
        return value.map(lambda v: +v)
    return [+v for v in value] if isinstance(value, list) else +value


def _covariance(quantity: str, model: Model, route):
    """A given covariance: the float64 route :mod:`numerics.covariance`, as an ``mpf``.

    Only ``m``, ``gen-error`` and ``train-error``; the value has float64 accuracy (see
    ``numerics.covariance.solve(...).accuracy``), not ``dps`` digits.
    """
    from numerics import covariance

    if route not in (None, "covariance"):
        raise BadParameter("route", f"a given covariance is evaluated by its own float64 route, not {route!r}")
    if quantity not in covariance.QUANTITIES:
        raise BadParameter("covariance", f"{quantity} is not available for a given covariance "
                                         f"(available: {', '.join(covariance.QUANTITIES)})")
    eq = covariance.solve(model.covariance, gamma=model.gamma, lam=model.lam, mask_ratio=model.mask_ratio,
                          scale=model.scale_law)
    with mp.workprec(53):
        return mp.mpf(eq.value(quantity, model.test_ratio))
