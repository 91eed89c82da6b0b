"""What the commands of :mod:`ssr.cli` share: the validated inputs of a point and its evaluation.

``ssr eval`` and ``ssr sweep`` (:mod:`ssr.sweep`) read the same options, expand the same grid
(:mod:`ssr.grid`) and evaluate each point the same way; the helpers for that live here, so that
both import them from one public module. Bad input raises :class:`~numerics.model.BadParameter`,
or :class:`UsageError` (a solver that does not converge): the command line prints either as one
line ``ssr: error: <name>: <message>``.
"""
from __future__ import annotations

import argparse
import os
import re

import mpmath as mp

from numerics import bases, estimators, quantities
from numerics.model import BadParameter, Model, parse_number

__all__ = ["QUANTITIES", "METHODS", "DPS_RANGE", "FLOAT_DIGITS", "UsageError", "parse_int", "choice",
           "writable_directory", "model_inputs", "load_covariance", "parameters", "describe", "nstr", "show",
           "load_grid", "location", "evaluate_point", "make_executor"]

QUANTITIES = quantities.names()
METHODS = estimators.NAMES
DPS_RANGE = (1, 1000)
FLOAT_DIGITS = 17  # significant digits that identify a binary64 float exactly


class UsageError(Exception):
    """Bad command-line input, reported as ``ssr: error: <name>: <message>``."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"{name}: {message}")


def parse_int(text: str, name: str, low: int, high: int | None = None) -> int:
    """Parse a decimal integer in ``[low, high]`` (``high=None``: no upper bound)."""
    bounds = f"in [{low}, {high}]" if high is not None else f">= {low}"
    expected = f"expected an integer {bounds}, got {text!r}"
    if not re.fullmatch(r"\s*[+-]?[0-9]{1,100}\s*", str(text)):
        raise BadParameter(name, expected)
    value = int(text)
    if value < low or (high is not None and value > high):
        raise BadParameter(name, expected)
    return value


def choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadParameter(name, f"invalid choice {value!r} (choose from {', '.join(choices)})")
    return value


def writable_directory(path: str, name: str) -> str:
    """Create ``path`` (with its parents) if needed and check it is a writable directory, at once.

    Raises :class:`BadParameter` naming the option ``name`` otherwise, before any work is done.
    """
    if not str(path).strip():
        raise BadParameter(name, "expected a directory, got an empty value")
    if os.path.exists(path) and not os.path.isdir(path):
        raise BadParameter(name, f"{path!r} exists and is not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise BadParameter(name, f"cannot create directory {path!r}: {err.strerror or err}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise BadParameter(name, f"directory {path!r} is not writable")
    return path


def model_inputs(args) -> tuple[str, Model, str, object, int]:
    """Validate the parameters shared by ``eval`` and ``simulate``."""
    quantity = choice(args.quantity, "QUANTITY", QUANTITIES)
    method = choice(args.method, "method", METHODS)
    basis = choice(args.basis, "basis", bases.names())
    covariance = None if args.covariance is None else load_covariance(args.covariance)
    model = Model(gamma=args.gamma, lam=args.lam, theta=args.theta, noise=args.noise,
                  basis=basis, mask_ratio=args.mask_ratio or 0, test_mask_ratio=args.test_mask_ratio,
                  covariance=covariance, scale_law=args.scale_law)
    at = None if args.at is None else parse_number(args.at, "at")
    entry = quantities.get(quantity)
    method = estimators.select(method, model, entry.estimators).name
    if entry.needs_at and at is None:
        raise BadParameter("at", f"QUANTITY {quantity} needs the point --at A")
    if not entry.needs_at and at is not None:
        users = ", ".join(q.name for q in quantities.REGISTRY.values() if q.needs_at)
        raise BadParameter("at", f"only used by QUANTITY {users}, not by {quantity}")
    dps = parse_int(args.dps, "dps", *DPS_RANGE)
    return quantity, model, method, at, dps


def load_covariance(given):
    """The covariance of ``--covariance``: loaded from the file, or already loaded (a grid loads it
    once for all its points, :func:`load_grid`)."""
    if not isinstance(given, str):
        return given
    from numerics.covariance import load

    return load(given)


def parameters(model: Model, method: str, at) -> dict:
    params = model.as_dict()
    if model.covariance is not None:
        params["covariance_d"] = model.covariance.d
    params["method"] = method
    params["at"] = None if at is None else str(at)
    return params


def describe(params: dict) -> str:
    """``key=value, ...``; a given covariance as ``covariance=FILE (d=D)`` (its hash only in JSON)."""
    shown = []
    for key, value in params.items():
        if value is None or key in ("covariance_sha256", "covariance_d"):
            continue
        if key == "covariance":
            value = f"{value} (d={params['covariance_d']})"
        shown.append(f"{key}={value}")
    return ", ".join(shown)


def nstr(value, dps: int):
    """``value`` (an mpf or a list of them) as decimal strings with ``dps`` digits."""
    with mp.workdps(dps):
        if isinstance(value, (list, tuple)):
            return [mp.nstr(item, dps, strip_zeros=False) for item in value]
        return mp.nstr(value, dps, strip_zeros=False)


def show(text) -> str:
    return f"[{', '.join(text)}]" if isinstance(text, list) else text


def load_grid(args):
    """The :class:`ssr.grid.Grid` of ``args``, with a given covariance loaded once for every point."""
    from ssr.grid import grid

    points = grid(args)
    if points.args.covariance is not None:
        points.args = argparse.Namespace(**vars(points.args))
        points.args.covariance = load_covariance(points.args.covariance)
    return points


def location(points, inputs) -> str:
    """`` (at gamma=…, lam=…)``: the ranged parameters of a grid point, for an error message."""
    _, model, _, at, _ = inputs
    values = {**model.as_dict(), "at": at, "mask_ratio": model.mask_ratio, "test_mask_ratio": model.test_ratio}
    from ssr.grid import OPTIONS

    names = dict(OPTIONS)
    return " (at " + ", ".join(f"{names[name]}={values[name]}" for name in points.axes) + ")"


def evaluate_point(quantity, model, method, at, dps, *, warm=None, where: str = "") -> tuple[dict, list[str]]:
    """The value at one point: its JSON object and its text lines (the value, then ``note:`` lines).

    ``warm`` (a dict, along a grid) is passed to :func:`numerics.theory.evaluate` for warm starts; ``where``
    is appended to the message of a solver that does not converge.
    """
    if model.covariance is not None:
        return _eval_covariance(quantity, model, method, at, dps)
    from numerics import theory

    notes: list[str] = [model.scale_law.note()] if model.scale_law.note() else []
    try:
        extra = {} if warm is None else {"warm": warm}
        value = theory.evaluate(quantity, model, method=method, at=at, dps=dps, notes=notes, **extra)
    except theory.ConvergenceError as err:
        raise UsageError(quantity, f"{err}{where}") from None
    text = nstr(value, dps)
    intervals = [nstr(list(pair), dps) for pair in value.intervals] if hasattr(value, "intervals") else None
    params = parameters(model, method, at)
    out = {"quantity": quantity, "value": text, "dps": dps, "params": params}
    if intervals is not None:  # every interval of the bulk, [[lower, upper], ...]
        out["intervals"] = intervals
    if notes:
        out["notes"] = notes
    shown = " ∪ ".join(show(pair) for pair in intervals) if intervals else show(text)
    return out, [f"{quantity} = {shown} (dps={dps}; {describe(params)})", *(f"note: {note}" for note in notes)]


def _eval_covariance(quantity, model, method, at, dps) -> tuple[dict, list[str]]:
    """``ssr eval`` with ``--covariance``: the float64 route, printed to its stated accuracy.

    The value keeps ``min(--dps, ⌊−log10 accuracy⌋)`` significant digits (``"dps"`` in JSON, with
    ``"precision": "float64"`` and ``"accuracy"``, the stated relative accuracy).
    """
    from numerics import covariance

    if quantity not in covariance.QUANTITIES:
        raise BadParameter("covariance", f"{quantity} is not available for a given covariance "
                                         f"(available: {', '.join(covariance.QUANTITIES)})")
    try:
        eq = covariance.solve(model.covariance, gamma=model.gamma, lam=model.lam, mask_ratio=model.mask_ratio,
                              scale=model.scale_law)
    except covariance.ConvergenceError as err:
        raise UsageError(quantity, str(err)) from None
    value, accuracy = eq.value(quantity, model.test_ratio), eq.accuracy
    digits = max(1, min(dps, FLOAT_DIGITS, int(-mp.log10(accuracy))))
    with mp.workprec(53):  # a binary64 float converts exactly at 53 bits
        text = nstr(mp.mpf(value), digits)
    params = parameters(model, method, at)
    out = {"quantity": quantity, "value": text, "dps": digits, "precision": "float64",
           "accuracy": float(f"{accuracy:.2g}"), "params": params}
    notes = [model.scale_law.note()] if model.scale_law.note() else []
    if notes:
        out["notes"] = notes
    return out, [f"{quantity} = {text} (float64, accuracy ~{accuracy:.0e}; {describe(params)})",
                 *(f"note: {note}" for note in notes)]


def make_executor(args):
    """The :class:`ssr.parallel.Executor` chosen by ``--scheduler`` / ``--workers``."""
    from ssr.parallel import Executor

    workers = None if args.workers is None else parse_int(args.workers, "workers", 1, 256)
    return Executor(scheduler=args.scheduler, workers=workers)
