"""Record every theory value on the existing grids, to show that a refactor changes no digit.

Usage: ``python benchmarks/golden_values.py OUT.json`` on two commits, then
``python benchmarks/golden_values.py --compare BEFORE.json AFTER.json``.

Grids: the isotropic grid of ``tests/ssr/test_eval_cli_grid.py`` (γ ∈ {0.1, 0.5, 2, 5} × λ ∈
{1e-3, 0.2, 3} × two θ around √γ, closed form and fixed point) and the general grid (two laws ×
γ ∈ {1/4, 1/2, 2} × both bases at λ = 1/10, θ = 3, fixed point and algebraic), every quantity and
estimator of the registry, each value printed with 30 digits (``dps = 30``, as ``ssr eval``).
"""
from __future__ import annotations

import json
import sys
from fractions import Fraction

import mpmath as mp

from numerics import quantities, theory
from numerics.model import Model

_THETAS = {"0.1": ("0.2", "0.6"), "0.5": ("0.5", "2"), "2": ("1", "3"), "5": ("1", "5")}
_LAWS = ("1:1/2,6:1/2", "1:1/3,4:1/2,9:1/6")
#: The estimators whose values the grids record (the masked one has its own checkpoints).
_LEAVE_ONE_OUT = ("ssr", "pca")


def _cases():
    for g, thetas in _THETAS.items():
        for lam in ("1e-3", "0.2", "3"):
            for t in thetas:
                yield Model(g, lam, t, "1:1", "diagonal"), ("closed", "fixed-point")
    for law in _LAWS:
        for g in ("1/4", "1/2", "2"):
            for basis in ("diagonal", "rotational"):
                yield Model(g, "1/10", 3, law, basis), ("fixed-point", "algebraic")


def _text(value):
    with mp.workdps(30):
        if isinstance(value, list):
            return [mp.nstr(v, 30, strip_zeros=False) for v in value]
        return mp.nstr(value, 30, strip_zeros=False)


def record() -> dict:
    values = {}
    for model, routes in _cases():
        for entry in quantities.REGISTRY.values():
            if entry.uses:  # the optima minimise over p: tests/numerics/test_masking.py
                continue
            for method in entry.estimators:
                if method not in _LEAVE_ONE_OUT:
                    continue
                at = None
                if entry.needs_at:
                    lower, upper = theory.evaluate("edges", model, method=method, dps=30, route=routes[0])
                    with mp.workdps(30):
                        at = Fraction(mp.nstr(lower + (upper - lower) * 3 / 10, 20))
                for route in routes:
                    key = "|".join(str(x) for x in (model.as_dict()["noise"], model.basis, model.gamma, model.lam,
                                                     model.theta, entry.name, method, route, at))
                    try:
                        values[key] = _text(theory.evaluate(entry.name, model, method=method, at=at, dps=30,
                                                            route=route))
                    except Exception as err:  # a refusal is recorded too: it must not change either
                        values[key] = f"ERR {type(err).__name__}: {err}"
    return values


def main(argv) -> int:
    if argv[:1] == ["--compare"]:
        before, after = (json.load(open(path)) for path in argv[1:3])
        differ = [key for key in before if before[key] != after.get(key)]
        print(f"{len(differ)} of {len(before)} values differ")
        for key in differ[:20]:
            print(key, before[key], after.get(key))
        return 1 if differ else 0
    with open(argv[0], "w") as handle:
        json.dump(record(), handle, indent=0, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
