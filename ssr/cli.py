"""The ``ssr`` command line: the quantities of :mod:`numerics.quantities` (see docs/theory.md).

::

    ssr eval QUANTITY [--gamma G] [--lam L] [--theta T] [--at A]
                      [--noise S1:W1,S2:W2,...] [--basis diagonal|rotational]
                      [--method ssr|pca|masked] [--mask-ratio P] [--test-mask-ratio Q]
                      [--dps N] [--json]
    ssr simulate QUANTITY [same parameters] --d D [--seeds K] [--seed S] [--extrapolate]
                          [--data gaussian|rademacher|student-t(NU)|sparse(Q)] [--json]
                          [--scheduler ADDRESS | --workers N]
    ssr verify [--quick] [--report DIR] [--match TEXT] [--scheduler ADDRESS | --workers N]
    ssr derive [--check]
    ssr phase [--plane theta-contrast|theta-gamma] [--noise ...] [--gamma G] [--lam L]
              [--basis diagonal|rotational] [--range LO:HI] [--theta-max T]
              [--points N[xM]] [--dps D] --out DIR [--scheduler ADDRESS | --workers N]
    ssr images --out DIR [--subsets K] [--seed S] [--quick]
    ssr sweep QUANTITY [same parameters as eval] --out DIR

A numeric parameter (``--gamma``, ``--lam``, ``--theta``, ``--at``, ``--mask-ratio``,
``--test-mask-ratio``) also takes a range ``START:STOP:COUNT`` (:mod:`ssr.grid`): ``ssr eval``
prints one line per point of the grid (``--json``: one JSON object per line), ``ssr sweep``
appends one row per point to ``DIR/sweep.csv`` and resumes after a kill (:mod:`ssr.sweep`).

Defaults: ``--gamma 1/2`` and ``--lam 1/5`` (the isotropic checkpoint of docs/theory.md, ``m = 1.21699…``),
``--theta 0``, ``--noise 1:1``, ``--basis diagonal``, ``--method ssr``, ``--dps 30``;
``simulate`` also ``--seeds 10``, ``--seed 0`` and ``--data gaussian`` (the law of the
standardised entries of the rows, :mod:`numerics.data`; its text output names the law when it
is not Gaussian, and ``--json`` always has ``"data"``). ``--mask-ratio P`` (random masks, docs/theory.md) selects the
masked estimator (``ssr`` becomes ``masked``; PCA has no masking ratio); ``--test-mask-ratio``
defaults to ``P``. A value that comes with a remark (a boundary optimum) is followed by a line
``note: …`` (``"notes"`` in ``--json``).

Numbers are parsed exactly by :func:`numerics.model.parse_number`, never evaluated as code.
Bad input exits with status 2 after printing exactly one line
``ssr: error: <parameter>: <message>`` on stderr (no usage block, no traceback); an
unexpected failure prints one line ``ssr: internal error: <type>: <message>`` and exits
with status 1 (set ``SSR_TRACEBACK=1`` to see the traceback instead).

The modules doing the work (``numerics.theory``, ``numerics.simulate``, ``ssr.verify``,
``derive.documents``) are imported inside the commands, so ``ssr --help`` works on its own.

>>> _parse_int("30", "dps", 1, 1000)
30
>>> _parse_int("2.5", "dps", 1, 1000)
Traceback (most recent call last):
...
numerics.parsing.BadParameter: dps: expected an integer in [1, 1000], got '2.5'
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

import mpmath as mp

from numerics import bases, estimators, quantities
from numerics.model import BadParameter, parse_number
from ssr.inputs import DPS_RANGE as _DPS_RANGE, FLOAT_DIGITS as _FLOAT_DIGITS, METHODS, QUANTITIES
from ssr.inputs import UsageError as _UsageError, choice as _choice, describe as _describe, make_executor as _executor
from ssr.inputs import evaluate_point as _evaluate_point, load_grid as _grid, location as _where
from ssr.inputs import model_inputs as _model_inputs, nstr as _nstr, parameters as _params, parse_int as _parse_int
from ssr.inputs import show as _show, writable_directory as _writable_directory
from ssr.progress import StatusLine, duration as _duration

__all__ = ["main"]


_DEFAULTS = {
    "gamma": "1/2",
    "lam": "1/5",
    "theta": "0",
    "noise": "1:1",
    "scale_law": "1:1",
    "basis": bases.DEFAULT,
    "method": "ssr",
    "dps": "30",
    "seeds": "10",
    "seed": "0",
    "data": "gaussian",
}
_D_RANGE = (2, 20000)
_SEEDS_RANGE = (2, 10000)

_QUANTITY_HELP = "\n".join([
    "quantities (theory limits; `simulate` estimates the same at finite d):",
    *(f"  {q.name:<12} {q.meaning}" for q in quantities.REGISTRY.values()),
    "",
    "numbers are exact: 1/2, 0.2 and 1e-3 are accepted; write a signed value as --theta=-1",
    "or --theta -1.",
    "grids: --gamma, --lam, --theta, --at, --mask-ratio and --test-mask-ratio also take a range",
    "START:STOP:COUNT (COUNT >= 2 evenly spaced exact points, both ends included); several ranges",
    "form their product (gamma outermost, test-mask-ratio innermost), one line per point."])

_HINTS = {
    "QUANTITY": f"choose from {', '.join(QUANTITIES)}",
    "COMMAND": "choose from eval, simulate, verify, derive, phase, images, sweep",
}

_SUBSETS_RANGE = (2, 1000)
_PHASE_POINTS = "24x16"
_PHASE_POINTS_RANGE = (2, 400)
_PHASE_DPS = "15"
_PHASE_HELP = """\
planes (theta on the horizontal axis; thresholds do not depend on theta, so they are solved
once per value of the second axis and only the overlaps are solved per grid point):
  theta-contrast  second axis c = s2/s1 of the two-atom law w1 d(s1) + w2 d(s2) normalised to
                  mean 1 (s1 = 1/(w1 + w2 c)); c = 1 is isotropic (both thresholds sqrt(gamma))
  theta-gamma     second axis gamma (the value 1, a hard edge, is replaced by 1.01)
regions: none, both, ssr-only (theta_c SSR < theta <= theta_c PCA), pca-only.
in the rotational basis SSR and PCA have the same threshold (and overlaps)."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line naming the parameter (no usage block)."""

    def error(self, message):
        raise _usage_error(message)


def _usage_error(message: str) -> _UsageError:
    """Translate an argparse message into a :class:`_UsageError` naming the parameter."""
    message = " ".join(message.split())
    match = re.fullmatch(r"argument (\S+): (.*)", message)
    if match:
        name = match.group(1).split("/")[-1].lstrip("-")
        text = match.group(2)
        if name in _HINTS and text.startswith("invalid choice"):
            value = re.search(r"invalid choice: (\S+)", text)
            text = f"invalid choice {value.group(1) if value else ''} ({_HINTS[name]})"
        return _UsageError(name, text)
    match = re.fullmatch(r"the following arguments are required: (.*)", message)
    if match:
        first, *rest = [token.strip() for token in match.group(1).split(",")]
        name = first.lstrip("-")
        text = f"missing required argument {first}"
        if name in _HINTS:
            text += f" ({_HINTS[name]})"
        if rest:
            text += f"; also missing: {', '.join(rest)}"
        return _UsageError(name, text)
    match = re.fullmatch(r"unrecognized arguments: (.*)", message)
    if match:
        tokens = match.group(1).split()
        if tokens[0].startswith("-"):
            return _UsageError(tokens[0].split("=")[0].lstrip("-"),
                               f"unrecognized option {match.group(1)!r}")
        return _UsageError("arguments", f"unexpected extra arguments {match.group(1)!r}")
    return _UsageError("arguments", message)


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("quantity", metavar="QUANTITY",
                        help=f"one of {', '.join(QUANTITIES)} (see below)")
    parser.add_argument("--gamma", metavar="G", default=_DEFAULTS["gamma"],
                        help="aspect ratio d/n > 0 (default: 1/2)")
    parser.add_argument("--lam", metavar="L", default=_DEFAULTS["lam"],
                        help="ridge lambda > 0 (default: 1/5)")
    parser.add_argument("--theta", metavar="T", default=_DEFAULTS["theta"],
                        help="spike strength >= 0 (default: 0, no spike)")
    parser.add_argument("--at", metavar="A", default=None,
                        help="the point at which `density` is evaluated (required for density)")
    parser.add_argument("--noise", metavar="S1:W1,...", default=_DEFAULTS["noise"],
                        help="bulk law: variances s_i > 0 with weights w_i > 0 summing to 1 "
                             "(default: 1:1, isotropic), or a density: 'uniform(a,b)', "
                             "'powerlaw(alpha,a,b)' (density ~ s^-alpha on [a,b]; m and the errors)")
    parser.add_argument("--basis", metavar="{diagonal,rotational}", default=_DEFAULTS["basis"],
                        help="eigenbasis of the bulk covariance (default: diagonal)")
    parser.add_argument("--scale-law", metavar="LAW", default=_DEFAULTS["scale_law"],
                        help="elliptical data x = sqrt(tau) Sigma^(1/2) z: the law of the per-sample "
                             "scale tau, in the syntax of --noise (atoms t1:w1,..., 'uniform(a,b)', "
                             "'powerlaw(alpha,a,b)', 'file(PATH)' of samples); rescaled to mean 1 "
                             "(default: 1:1, Gaussian data)")
    parser.add_argument("--method", metavar="{" + ",".join(METHODS) + "}", default=_DEFAULTS["method"],
                        help="estimator (default: ssr): " + "; ".join(
                            f"{e.name}: {e.meaning}" for e in estimators.ESTIMATORS.values()))
    parser.add_argument("--mask-ratio", metavar="P", default=None,
                        help="training masking ratio 0 <= P < 1: each coordinate hidden with "
                             "probability P; selects the masked estimator (default: leave-one-out)")
    parser.add_argument("--test-mask-ratio", metavar="Q", default=None,
                        help="test masking ratio 0 <= Q < 1 of the masked test error gen-error "
                             "(default: Q = P; Q = 0 is the leave-one-out error)")
    parser.add_argument("--covariance", metavar="FILE", default=None,
                        help="a given population covariance Sigma: a d x d .npy file (or a "
                             "text matrix); replaces --noise/--basis/--theta; evaluated in float64 "
                             "(m, gen-error, train-error), simulated with that Sigma (d = its size)")
    parser.add_argument("--dps", metavar="N", default=_DEFAULTS["dps"],
                        help="decimal digits of working precision and of the printed value, "
                             "an integer in [1, 1000] (default: 30)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout")


def _add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS`` and ``--workers N`` (:mod:`ssr.parallel`; default: in this process)."""
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run the tasks on an existing Dask scheduler, e.g. tcp://127.0.0.1:8786 "
                             "(started with `dask scheduler` and `dask worker ADDRESS`); results are "
                             "identical to the local run")
    parser.add_argument("--workers", metavar="N", default=None,
                        help="run the tasks on N local worker processes (a Dask LocalCluster on "
                             "127.0.0.1); default: in this process")


def _mapping(executor) -> dict:
    """``{"map_tasks": executor.map}`` on a cluster; ``{}`` in process (the call of before)."""
    return {} if executor.local else {"map_tasks": executor.map}


def _parser() -> _Parser:
    common = dict(allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser = _Parser(
        prog="ssr",
        description="Random-matrix theory of masked self-supervised ridge regression (SSR).",
        **common,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    evaluate = commands.add_parser(
        "eval", help="evaluate a theory limit to --dps digits",
        description="Evaluate the large-d limit of QUANTITY to --dps significant digits.",
        epilog=_QUANTITY_HELP, **common)
    _add_model_arguments(evaluate)
    evaluate.set_defaults(run=_cmd_eval)

    simulate = commands.add_parser(
        "simulate", help="estimate a quantity by Monte Carlo at finite d",
        description="Estimate QUANTITY at finite d (n = d/gamma) by averaging independent "
                    "replicas; prints the mean and its standard error.",
        epilog=_QUANTITY_HELP, **common)
    _add_model_arguments(simulate)
    simulate.add_argument("--d", metavar="D", default=None,
                          help=f"dimension, an integer in [{_D_RANGE[0]}, {_D_RANGE[1]}] (required "
                               f"unless --covariance gives it)")
    simulate.add_argument("--seeds", metavar="K", default=_DEFAULTS["seeds"],
                          help=f"number of replicas, an integer in "
                               f"[{_SEEDS_RANGE[0]}, {_SEEDS_RANGE[1]}] (default: 10)")
    simulate.add_argument("--seed", metavar="S", default=_DEFAULTS["seed"],
                          help="base seed, an integer >= 0 (default: 0)")
    simulate.add_argument("--extrapolate", action="store_true",
                          help="Richardson-extrapolate in 1/d from d and d/2 (removes the O(1/d) bias)")
    simulate.add_argument("--data", metavar="SPEC", default=_DEFAULTS["data"],
                          help="law of the i.i.d. standardised entries z of the rows x = Sigma0^(1/2) z + "
                               "sqrt(theta) xi v: gaussian (default), rademacher, student-t(NU) "
                               "(NU > 2, scaled to unit variance; finite fourth moment for NU > 4), "
                               "sparse(Q) (0 < Q <= 1: +-1/sqrt(Q) with probability Q, else 0); the theory "
                               "limits are the Gaussian ones")
    _add_cluster_arguments(simulate)
    simulate.set_defaults(run=_cmd_simulate)

    verify = commands.add_parser(
        "verify", help="run the verification battery",
        description="Check theory against independent oracles and simulation.", **common)
    verify.add_argument("--quick", action="store_true", help="a fast subset of the checks")
    verify.add_argument("--report", metavar="DIR", default=None,
                        help="write a report into DIR")
    verify.add_argument("--match", metavar="TEXT", default=None,
                        help="check only the claims whose id contains TEXT (e.g. mask)")
    _add_cluster_arguments(verify)
    verify.set_defaults(run=_cmd_verify)

    derive = commands.add_parser(
        "derive", help="regenerate the Markdown derivations and the generated closed forms",
        description="Write the derivations in derivations/ and the mpmath code of the closed forms "
                    "(numerics/_closed.py) from the SymPy code.", **common)
    derive.add_argument("--check", action="store_true",
                        help="only check that derivations/ and numerics/_closed.py are up to date")
    derive.set_defaults(run=_cmd_derive)

    phase = commands.add_parser(
        "phase", help="map where SSR detects the spike and PCA does not",
        description="Map a plane of parameters: the thresholds theta_c of SSR and PCA, the "
                    "regions where each detects the spike, and the overlap gap "
                    "cos^2(v, SSR) - cos^2(v, PCA). Writes phase.csv, thresholds.csv and "
                    "phase.png into --out DIR and prints a summary.",
        epilog=_PHASE_HELP, **common)
    phase.add_argument("--plane", metavar="{theta-contrast,theta-gamma}", default="theta-contrast",
                       help="the plane mapped (default: theta-contrast)")
    phase.add_argument("--noise", metavar="S1:W1,...", default=None,
                       help="theta-contrast: the weights of a law with at most two atoms (default "
                            "1/2, 1/2); theta-gamma: the bulk law (default 1:1/2,6:1/2)")
    phase.add_argument("--gamma", metavar="G", default=None,
                       help="aspect ratio d/n > 0 for theta-contrast (default: 1/2)")
    phase.add_argument("--lam", metavar="L", default=_DEFAULTS["lam"],
                       help="ridge lambda > 0 (default: 1/5)")
    phase.add_argument("--basis", metavar="{diagonal,rotational}", default=_DEFAULTS["basis"],
                       help="eigenbasis of the bulk covariance (default: diagonal)")
    phase.add_argument("--scale-law", metavar="LAW", default=_DEFAULTS["scale_law"],
                       help="elliptical data: the law of the per-sample scale tau (syntax of --noise, "
                            "rescaled to mean 1; default: 1:1, Gaussian data)")
    phase.add_argument("--range", metavar="LO:HI", default=None,
                       help="range of the second axis, geometric grid (default: 1:20 for the "
                            "contrast, 1/10:3 for gamma)")
    phase.add_argument("--theta-max", metavar="T", default=None,
                       help="largest theta of the grid (default: 1.25 x the largest threshold)")
    phase.add_argument("--points", metavar="N[xM]", default=_PHASE_POINTS,
                       help=f"N theta values x M values of the second axis, each in "
                            f"[{_PHASE_POINTS_RANGE[0]}, {_PHASE_POINTS_RANGE[1]}]; "
                            f"N alone means N x N (default: {_PHASE_POINTS})")
    phase.add_argument("--dps", metavar="N", default=_PHASE_DPS,
                       help=f"decimal digits of working precision, an integer in [1, 1000] "
                            f"(default: {_PHASE_DPS})")
    phase.add_argument("--out", metavar="DIR", required=True,
                       help="directory for phase.csv, thresholds.csv and phase.png (created if missing)")
    _add_cluster_arguments(phase)
    phase.set_defaults(run=_cmd_phase)

    images = commands.add_parser(
        "images", help="real data: masked image modelling on natural-image patches",
        description="Fit the masked estimator A_p on 12x12 patches of scikit-image's bundled "
                    "natural images (d = 144, lambda = 1/100, gamma in {1, 1/2, 1/4, 1/10}, "
                    "p in {0, 1/4, 1/2}) and compare the masked test error on held-out patches "
                    "with three predictions: the Gaussian given-covariance theory (column theory), "
                    "the elliptical theory with the scale law of tau = x^T Sigma^-1 x/d over the "
                    "held-out patches (elliptical), and the same fits on a Gaussian scale mixture "
                    "sqrt(tau) L z with tau drawn from those scales (gsm_surrogate); also on "
                    "Gaussian data of the same covariance (gaussian_surrogate). Writes images.csv, "
                    "images-errors.png, images-spectrum.png and report.md into --out DIR.", **common)
    images.add_argument("--out", metavar="DIR", required=True,
                        help="directory for the outputs (created if missing)")
    images.add_argument("--subsets", metavar="K", default=None,
                        help=f"random training sets per (gamma, p), an integer in "
                             f"[{_SUBSETS_RANGE[0]}, {_SUBSETS_RANGE[1]}] (default: 10; --quick: 6)")
    images.add_argument("--seed", metavar="S", default=_DEFAULTS["seed"],
                        help="seed of the split, the training sets and the surrogate data, an "
                             "integer >= 0 (default: 0)")
    images.add_argument("--quick", action="store_true",
                        help="fewer training sets and theory points (for tests)")
    images.set_defaults(run=_cmd_images)
    sweep = commands.add_parser(
        "sweep", help="evaluate a grid into DIR/sweep.csv, resumable",
        description="Evaluate QUANTITY on the grid of the ranges START:STOP:COUNT, appending one "
                    "row per point to DIR/sweep.csv (DIR/sweep.json records the command). Rerun "
                    "the same command after an interruption to compute only the missing points.",
        epilog=_QUANTITY_HELP, **common)
    _add_model_arguments(sweep)
    sweep.add_argument("--out", metavar="DIR", required=True,
                       help="directory for sweep.csv and sweep.json (created if missing)")
    _add_cluster_arguments(sweep)
    sweep.set_defaults(run=_cmd_sweep)
    return parser


def _join_signed_values(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Turn ``--theta -1/2`` into ``--theta=-1/2`` so argparse does not take it for an option.

    argparse only recognises ``-1`` and ``-0.5`` as values; ``-1/2``, ``-1e-3`` or ``-inf``
    would be reported as a missing value instead of the out-of-range number they are.
    """
    known = set()
    takes_value = set()
    for sub in [parser, *_subparsers(parser)]:
        for action in sub._actions:
            known.update(action.option_strings)
            if action.option_strings and action.nargs is None:
                takes_value.update(action.option_strings)
    out: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if (token in takes_value and following is not None and following.startswith("-")
                and following != "--" and following.split("=")[0] not in known):
            out.append(f"{token}={following}")
            index += 2
        else:
            out.append(token)
            index += 1
    return out


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    return [sub for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for sub in action.choices.values()]


def _float_repr(value):
    """A float or a 1-d array of floats as ``repr`` strings (full binary64 precision)."""
    if getattr(value, "ndim", 0) == 0 and not isinstance(value, (list, tuple)):
        return repr(float(value))
    return [repr(float(item)) for item in value]


def _cmd_eval(args) -> int:
    """One line (``--json``: one JSON object) per point of the grid of ``args`` (:mod:`ssr.grid`)."""
    _choice(args.quantity, "QUANTITY", QUANTITIES)
    points = _grid(args)
    inputs = [_model_inputs(point) for point in points.points()]  # every point checked before any output
    warm = {} if points.ranged else None  # warm starts along a grid only
    for point in inputs:
        out, lines = _evaluate_point(*point, warm=warm, where=_where(points, point) if points.ranged else "")
        if args.json:
            print(json.dumps(out), flush=points.ranged)
        else:
            print("\n".join(lines), flush=points.ranged)
    return 0


class _Progress(StatusLine):
    """``progress`` callback of the simulation: a bar on a terminal."""

    def __init__(self, stream, total: int):
        super().__init__(stream)
        self.total = total

    def __call__(self, done, total=None, *_):
        self.bar("ssr simulate: replicas", done, self.total if total is None else total)


def _cmd_simulate(args) -> int:
    quantity, model, method, at, dps = _model_inputs(args)
    if args.d is None and model.covariance is None:
        raise BadParameter("d", "missing required argument --d (or give --covariance FILE)")
    d = None if args.d is None else _parse_int(args.d, "d", *_D_RANGE)
    seeds = _parse_int(args.seeds, "seeds", *_SEEDS_RANGE)
    seed = _parse_int(args.seed, "seed", 0)
    from numerics.data import parse_data
    from numerics.simulate import simulate

    data = parse_data(args.data)

    executor = _executor(args)
    progress = None
    if not args.json and sys.stderr.isatty():
        progress = _Progress(sys.stderr, seeds)
    try:
        with executor:
            result = simulate(quantity, model, d=d, seeds=seeds, method=method, at=at, seed=seed,
                              progress=progress, extrapolate=args.extrapolate, data=data,
                              **_mapping(executor))
    except BadParameter as err:
        if err.name == "quantity":  # the positional is called QUANTITY on the command line
            raise _UsageError("QUANTITY", str(err).split(": ", 1)[1]) from None
        raise
    except ValueError as err:
        raise _UsageError(*_split_name(str(err), "simulate")) from None
    finally:
        if progress is not None:
            progress.close()
    digits = min(dps, _FLOAT_DIGITS)
    mean = _float_repr(result.mean)
    stderr = _float_repr(result.stderr)
    with mp.workprec(53):  # a binary64 float converts exactly at 53 bits
        exact = [mp.mpf(item) for item in mean] if isinstance(mean, list) else mp.mpf(mean)
    value = _nstr(exact, digits)
    params = _params(model, method, at)
    if args.json:
        print(json.dumps({
            "quantity": quantity, "value": value, "dps": digits, "params": params,
            "mean": mean, "stderr": stderr, "d": int(result.d), "n": int(result.n),
            "seeds": int(result.seeds), "seed": int(result.seed), "extrapolate": bool(args.extrapolate),
            "data": data.spec,
        }))
    else:
        print(f"{quantity} = {_show(mean)} +/- {_show(_short(stderr))} "
              f"(d={result.d}, n={result.n}, seeds={result.seeds}, seed={result.seed}"
              f"{', Richardson d & d/2' if args.extrapolate else ''}"
              f"{'' if data.gaussian else f', data={data.spec}'}; "
              f"{_describe(params)})")
    return 0


def _short(stderr):
    """Standard errors to two significant digits, for the human-readable line."""
    if isinstance(stderr, list):
        return [f"{float(item):.2g}" for item in stderr]
    return f"{float(stderr):.2g}"


def _split_name(message: str, default: str) -> tuple[str, str]:
    """Split ``"name: text"``; messages without a leading parameter name get ``default``."""
    match = re.fullmatch(r"([A-Za-z_][\w-]*): (.*)", message, flags=re.DOTALL)
    return (match.group(1), match.group(2)) if match else (default, message)


def _cmd_verify(args) -> int:
    if args.report is not None:
        _writable_directory(args.report, "report")
    from ssr import verify

    if args.match is not None and not any(args.match in claim.id for claim in verify.CLAIMS):
        raise BadParameter("match", f"no claim id contains {args.match!r}")
    executor = _executor(args)
    with executor:
        return int(verify.run(quick=args.quick, report=args.report, match=args.match, **_mapping(executor)))


class _DeriveProgress(StatusLine):
    """``progress`` callback of ``ssr derive``: a bar on a terminal."""

    def __call__(self, name, done, total):
        self.bar("ssr derive", done, total, f"deriving {name}" if done < total else "")


def _cmd_derive(args) -> int:
    from derive import documents
    from numerics import codegen

    progress = _DeriveProgress(sys.stderr) if sys.stderr.isatty() else None
    try:
        status = int(documents.write_all(check=args.check, progress=progress))
    finally:
        if progress is not None:
            progress.close()
    return max(status, int(codegen.write(check=args.check)))  # numerics/_closed.py, after derivations/


def _parse_points(text: str) -> tuple[int, int]:
    """``"N"`` or ``"NxM"``: N theta values and M values of the second axis."""
    low, high = _PHASE_POINTS_RANGE
    parts = re.split(r"[xX]", str(text).strip())
    if len(parts) > 2:
        raise BadParameter("points", f"expected N or NxM with integers in [{low}, {high}], got {text!r}")
    try:
        counts = [_parse_int(part, "points", low, high) for part in parts]
    except BadParameter:
        raise BadParameter("points", f"expected N or NxM with integers in [{low}, {high}], "
                                     f"got {text!r}") from None
    return (counts[0], counts[-1])


def _parse_range(text: str) -> tuple:
    parts = str(text).split(":")
    if len(parts) != 2:
        raise BadParameter("range", f"expected LO:HI, got {text!r}")
    return tuple(parse_number(part, "range") for part in parts)


class _PhaseProgress(StatusLine):
    """``progress`` callback of ``ssr phase``: one self-overwriting line on a terminal."""

    def __call__(self, stage, done, total):
        self.bar(f"ssr phase: {stage}", done, total)


def _cmd_phase(args) -> int:
    from ssr import phase

    plane = _choice(args.plane, "plane", phase.PLANES)
    basis = _choice(args.basis, "basis", bases.names())
    if plane == "theta-gamma" and args.gamma is not None:
        raise BadParameter("gamma", "--plane theta-gamma varies gamma; give its range as --range LO:HI")
    inputs = dict(
        gamma=args.gamma if args.gamma is not None else _DEFAULTS["gamma"], lam=args.lam,
        noise=args.noise, basis=basis, scale_law=args.scale_law,
        axis_range=None if args.range is None else _parse_range(args.range),
        theta_max=None if args.theta_max is None else parse_number(args.theta_max, "theta-max"),
        points=_parse_points(args.points))
    dps = _parse_int(args.dps, "dps", *_DPS_RANGE)
    rows = phase.plan(plane, **inputs)
    out = _writable_directory(args.out, "out")
    executor = _executor(args)

    start = time.monotonic()
    progress = _PhaseProgress(sys.stderr) if sys.stderr.isatty() else None
    try:
        with executor:
            result = phase.phase_map(plane, dps=dps, progress=progress, **_mapping(executor), **inputs)
    except phase.ThresholdError as err:
        raise _UsageError("threshold", str(err)) from None
    finally:
        if progress is not None:
            progress.close()
    paths = [*phase.write_csv(result, out), phase.plot(result, os.path.join(out, "phase.png"))]
    base = rows.models[0]
    fixed = f"lam={base.lam}, basis={base.basis}"
    if plane == "theta-contrast":
        w1, w2 = rows.weights
        fixed = (f"gamma={base.gamma}, {fixed}, noise: s1 = 1/({w1} + {w2} c) with weight {w1}, "
                 f"s2 = c s1 with weight {w2} (mean 1)")
    else:
        fixed += f", noise={base.as_dict()['noise']}"
    if base.elliptical:
        fixed += f", scale_law={base.scale_law.spec}"
    print(f"ssr phase: plane {plane}; {fixed}; grid {len(result.thetas)} theta in "
          f"(0, {result.thetas[-1]}] x {len(result.axis)} {result.axis_name}; dps={dps}")
    print(phase.summary(result))
    print(f"wrote {', '.join(paths)} in {_duration(time.monotonic() - start)}")
    return 0


class _ImagesProgress(StatusLine):
    """``progress`` callback of ``ssr images``: a bar on a terminal."""

    def __call__(self, stage, done, total):
        self.bar(f"ssr images: {stage}", done, total)


def _cmd_images(args) -> int:
    subsets = None if args.subsets is None else _parse_int(args.subsets, "subsets", *_SUBSETS_RANGE)
    seed = _parse_int(args.seed, "seed", 0)
    out = _writable_directory(args.out, "out")
    from ssr import images

    budget = images.QUICK if args.quick else images.FULL
    progress = _ImagesProgress(sys.stderr) if sys.stderr.isatty() else None
    try:
        result = images.run(budget, subsets=subsets, seed=seed, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    paths = images.write_all(result, out)
    print(f"ssr images: {len(result.counts)} images, {result.patches} patches (d = {result.d}), "
          f"{result.held_out} held out; {result.budget.subsets} training sets per point; seed {seed}")
    print(images.summary_table(result))
    print(f"wrote {', '.join(paths)} in {_duration(result.seconds)}")
    return 0


def _cmd_sweep(args) -> int:
    from ssr import sweep

    return sweep.run(args)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv=None) -> int:
    """Run the ``ssr`` command line on ``argv`` (default ``sys.argv[1:]``); return the status."""
    argv = sys.argv[1:] if argv is None else [str(item) for item in argv]
    try:
        parser = _parser()
        args = parser.parse_args(_join_signed_values(argv, parser))
        return args.run(args)
    except SystemExit as exit_:  # --help, or a delegate calling sys.exit
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except (_UsageError, BadParameter) as err:
        print(f"ssr: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ssr: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("SSR_TRACEBACK"):
            raise
        print(f"ssr: internal error: {type(err).__name__}: {_one_line(err)} "
              f"(rerun with SSR_TRACEBACK=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
