r"""Theory limits of every QUANTITY at any precision.

Two independent routes:

- ``route="closed"``: the closed forms *derived* by SymPy in :mod:`derive.isotropic` and
  :mod:`derive.spiked`, turned into mpmath functions by :func:`sympy.lambdify`
  (``modules="mpmath"``), never retyped;
- ``route="fixed-point"``: the numerical solution of the same self-consistent equations by
  :mod:`numerics.fixedpoint`.

:func:`evaluate` uses the closed form where one exists (the isotropic bulk) and the fixed point
otherwise; :mod:`numerics.verify` and the tests check that the two agree to ``dps − 5`` digits.

>>> from numerics.model import Model
>>> mp.nstr(evaluate("outlier", Model("1/2", "1/5", theta=2), method="pca", dps=10), 10)
'3.75'
"""
from __future__ import annotations

import functools

import mpmath as mp
import sympy as sp

from derive import isotropic, spiked
from derive.symbols import a, gamma, lam, theta, x
from numerics import fixedpoint
from numerics.fixedpoint import GUARD, ConvergenceError
from numerics.model import BadParameter, Model

__all__ = ["QUANTITIES", "METHODS", "ROUTES", "ConvergenceError", "check_supported", "closed_form", "evaluate"]

QUANTITIES = ("m", "train-error", "gen-error", "edges", "density", "threshold", "outlier", "overlap")
METHODS = ("ssr", "pca")
ROUTES = ("closed", "fixed-point")
_SSR_ONLY = ("m", "train-error", "gen-error")


def check_supported(model: Model, route: str = "closed") -> None:
    """Raise :class:`BadParameter` when ``route`` cannot evaluate ``model``.

    Closed forms exist for the isotropic bulk only; the fixed-point route takes any discrete law.
    """
    if route == "closed" and not model.isotropic:
        raise BadParameter("route", "closed forms exist for the isotropic bulk (--noise 1:1) only; "
                                    "use the fixed-point route")


def closed_form(quantity: str, method: str = "ssr", part: str = "above"):
    """The SymPy closed form behind ``quantity`` (a list for ``edges``).

    ``part`` selects, for ``outlier`` and ``overlap``, the formula above the threshold
    (``"above"``); below it the outlier is the upper edge and the overlap is 0.
    """
    if quantity == "m":
        return isotropic.stieltjes_m()
    if quantity == "train-error":
        return isotropic.train_error()
    if quantity == "gen-error":
        return isotropic.gen_error()
    if quantity == "edges":
        return isotropic.ssr_edges() if method == "ssr" else isotropic.mp_edges()
    if quantity == "density":
        return isotropic.ssr_density() if method == "ssr" else isotropic.mp_density()
    if quantity == "threshold":
        return spiked.threshold(method)
    if quantity == "outlier":
        return spiked.outlier(method)
    if quantity == "overlap":
        return spiked.overlap(method)
    raise BadParameter("QUANTITY", f"unknown quantity {quantity!r}")


@functools.lru_cache(maxsize=None)
def _compiled(quantity: str, method: str):
    expr = closed_form(quantity, method)
    variable = a if method == "ssr" else x
    args = (gamma, lam, theta, variable)
    if isinstance(expr, list):
        return [sp.lambdify(args, e, modules="mpmath") for e in expr]
    return sp.lambdify(args, expr, modules="mpmath")


def _exact(value):
    """An ``mpf`` at the working precision: exactly rounded for a ``Fraction``."""
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return mp.mpf(value.numerator) / value.denominator
    return mp.mpf(value)


def _closed(quantity, model, method, at):
    args = [model.mp("gamma"), model.mp("lam"), model.mp("theta"), _exact(at) if at is not None else mp.mpf(0)]
    if quantity == "edges":
        return [f(*args) for f in _compiled("edges", method)]
    if quantity == "density":
        lower, upper = _closed("edges", model, method, None)
        if not lower < args[3] < upper:
            return mp.mpf(0)
        return mp.re(_compiled("density", method)(*args))
    if quantity in ("outlier", "overlap"):
        if args[2] <= _compiled("threshold", method)(*args):
            return _closed("edges", model, method, None)[1] if quantity == "outlier" else mp.mpf(0)
    return _compiled(quantity, method)(*args)


_FIXED = {
    "m": lambda model, method, at, dps: fixedpoint.m_value(model, dps=dps),
    "train-error": lambda model, method, at, dps: fixedpoint.train_error(model, dps=dps),
    "gen-error": lambda model, method, at, dps: fixedpoint.gen_error(model, dps=dps),
    "edges": lambda model, method, at, dps: fixedpoint.edges(model, method=method, dps=dps),
    "density": lambda model, method, at, dps: fixedpoint.density(model, at, method=method, dps=dps),
    "threshold": lambda model, method, at, dps: fixedpoint.threshold(model, method=method, dps=dps),
    "outlier": lambda model, method, at, dps: fixedpoint.outlier(model, method=method, dps=dps),
    "overlap": lambda model, method, at, dps: fixedpoint.overlap(model, method=method, dps=dps),
}


def evaluate(quantity: str, model: Model, *, method: str = "ssr", at=None, dps: int = 30, route: str | None = None):
    """The large-``d`` limit of ``quantity`` for ``model``, to ``dps`` significant digits.

    Returns an ``mpf`` (or ``[lower, upper]`` for ``edges``) computed with ``GUARD`` extra
    digits. ``route`` is ``"closed"`` (SymPy closed form; isotropic only) or
    ``"fixed-point"``; by default the closed form when it exists.
    """
    if quantity not in QUANTITIES:
        raise BadParameter("QUANTITY", f"invalid choice {quantity!r} (choose from {', '.join(QUANTITIES)})")
    if method not in METHODS:
        raise BadParameter("method", f"invalid choice {method!r} (choose from {', '.join(METHODS)})")
    if quantity in _SSR_ONLY and method != "ssr":
        raise BadParameter("method", f"{quantity} is a property of the SSR estimator; use --method ssr")
    if quantity == "density" and at is None:
        raise BadParameter("at", "QUANTITY density needs the point --at A")
    if not isinstance(dps, int) or not 1 <= dps <= 1000:
        raise BadParameter("dps", f"expected an integer in [1, 1000], got {dps!r}")
    route = route or ("closed" if model.isotropic else "fixed-point")
    if route not in ROUTES:
        raise BadParameter("route", f"expected one of {ROUTES}, got {route!r}")
    if route == "closed":
        check_supported(model)
    with mp.workdps(dps + GUARD):
        if route == "closed":
            value = _closed(quantity, model, method, at)
        else:
            value = _FIXED[quantity](model, method, at, dps)
        return [+v for v in value] if isinstance(value, list) else +value
