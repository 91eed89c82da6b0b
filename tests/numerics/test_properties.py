r"""Property tests over the registries: for random valid parameters, never a silent wrong number.

For every quantity of :data:`numerics.quantities.REGISTRY` and every estimator that has it, random
valid parameters (γ, λ, θ, a discrete law of one to three atoms, the basis) go through
``ssr eval … --dps 20 --json`` in-process. The outcome must be one of

- exit 0 with a value that the *second* high-precision route confirms to ``dps − 5 = 15``
  digits (the CLI uses the closed form on the isotropic bulk, confirmed by the fixed point; the
  fixed point elsewhere, confirmed by the algebraic solver);
- exit 2 with exactly one line ``ssr: error: …`` (a clear refusal, e.g. a solver that quotes
  its residual and tolerance).

An internal error (exit 1), a traceback, or a value the second route contradicts fails.

The examples are derandomised (the same sequence on every run, so CI is reproducible); set
``SSR_HYPOTHESIS_RANDOM=1`` to explore new ones. They run in the ``slow`` tier (15 examples per
quantity and estimator, 5 for an optimum): about a minute and a half of the fast tier's budget
otherwise. Elliptical data are cross-checked by tests/numerics/test_elliptical_routes.py; drawing
them here (tried once) found a gap the algebraic route lost at 30 digits (it now retries with more
digits) and shifted the derandomised draws onto a Gaussian γ > 1 case whose support the algebraic
route refuses (a known limitation: refused, never printed), so they are not drawn here. The first
search found a false refusal of the algebraic route (γ = 3, ν = (3/5)δ_{1/2} + (1/5)δ_1 +
(1/5)δ_2: an atom of T in the null part it did not count), now fixed and kept as an explicit
example.
"""
from __future__ import annotations

import dataclasses
import json
import os
from fractions import Fraction

import mpmath as mp
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from numerics import quantities, theory
from numerics.model import BadParameter, Model
from ssr import cli

DPS = 20
MIN_DIGITS = DPS - 5
_RANDOM = os.environ.get("SSR_HYPOTHESIS_RANDOM") == "1"
# no shrinking: a failing example is reported as drawn (shrinking re-solves hundreds of models)
_SETTINGS = dict(deadline=None, derandomize=not _RANDOM, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
                 database=None)

# threshold-optimum solves ~25 thresholds per example (≈ 6–30 s): its checks are in test_masking.py
_CASES = [(q.name, method) for q in quantities.REGISTRY.values() for method in q.estimators
          if q.name != "threshold-optimum"]

_rationals = st.sampled_from
gammas = _rationals([Fraction(1, 8), Fraction(1, 4), Fraction(2, 5), Fraction(1, 2), Fraction(3, 4),
                     Fraction(3, 2), Fraction(2), Fraction(3)])
lams = _rationals([Fraction(1, 100), Fraction(1, 20), Fraction(1, 10), Fraction(1, 5), Fraction(1, 2),
                   Fraction(1), Fraction(3)])
variances = _rationals([Fraction(1, 2), Fraction(1), Fraction(2), Fraction(3), Fraction(5), Fraction(8)])


@st.composite
def laws(draw):
    """A discrete law of 1–3 distinct atoms with positive rational weights summing to 1."""
    atoms = draw(st.lists(variances, min_size=1, max_size=3, unique=True))
    raw = [draw(st.integers(1, 4)) for _ in atoms]
    return ",".join(f"{s}:{Fraction(r, sum(raw))}" for s, r in zip(sorted(atoms), raw))


@st.composite
def models(draw):
    law = draw(laws())
    basis = draw(st.sampled_from(["diagonal", "rotational"]))
    theta = draw(_rationals([Fraction(0), Fraction(1, 2), Fraction(1), Fraction(2), Fraction(4), Fraction(8)]))
    ratio = draw(_rationals([Fraction(1, 10), Fraction(3, 10), Fraction(1, 2), Fraction(4, 5)]))
    test = draw(_rationals([None, Fraction(0), Fraction(3, 10)]))
    return Model(draw(gammas), draw(lams), theta, law, basis, mask_ratio=ratio, test_mask_ratio=test)


def _for(quantity: str, method: str, model: Model) -> Model:
    """The drawn model as the case uses it: masking ratios only for the masked estimator; the
    optimum over p takes a test ratio and no training ratio."""
    if method != "masked":
        return dataclasses.replace(model, mask_ratio=Fraction(0), test_mask_ratio=None)
    if quantities.get(quantity).uses and quantity != "lam-optimum":  # the optima over p
        return dataclasses.replace(model, mask_ratio=Fraction(0), test_mask_ratio=model.test_ratio)
    return model


def _values(text):
    with mp.workdps(DPS + 10):
        return [mp.mpf(v) for v in text] if isinstance(text, list) else [mp.mpf(text)]


def _digits(got, want):
    with mp.workdps(DPS + 10):
        if got == want:
            return mp.inf
        scale = max(abs(want), abs(got))
        return -mp.log10(abs(got - want) / scale) if scale else mp.inf


def _second_route(model: Model) -> str:
    """The route that confirms the CLI's: the CLI takes the closed form for an isotropic bulk of
    Gaussian data (confirmed by the fixed point), the fixed point otherwise (by the algebraic solver)."""
    return "fixed-point" if model.isotropic and not model.elliptical else "algebraic"


def _check(capsys, quantity, method, model, fraction):
    """Run the CLI on one case and check the outcome (see the module docstring)."""
    model = _for(quantity, method, model)
    at = None
    if quantities.get(quantity).needs_at:
        try:  # a point inside the bulk; where the edges are refused, any point (the CLI must cope)
            lower, upper = theory.evaluate("edges", model, method=method, dps=DPS)
            at = str(Fraction(mp.nstr(lower + (upper - lower) * fraction, 12)))
        except (BadParameter, theory.ConvergenceError):
            at = str(fraction)
    argv = ["eval", quantity, "--gamma", str(model.gamma), "--lam", str(model.lam), "--theta", str(model.theta),
            "--noise", model.as_dict()["noise"], "--basis", model.basis, "--method", method,
            "--dps", str(DPS), "--json"] + (["--at", at] if at is not None else [])
    if model.mask_ratio:
        argv += ["--mask-ratio", str(model.mask_ratio)]
    if model.test_mask_ratio is not None:
        argv += ["--test-mask-ratio", str(model.test_mask_ratio)]
    if model.elliptical:
        argv += ["--scale-law", model.scale_law.spec]
    status = cli.main(argv)
    out, err = capsys.readouterr()
    if status == 2:
        assert out == "" and err.count("\n") == 1 and err.startswith("ssr: error: "), (argv, err)
        assert "Traceback" not in err
        return "refused"
    assert status == 0, (argv, status, err)
    got = _values(json.loads(out)["value"])
    want = theory.evaluate(quantity, model, method=method, at=Fraction(at) if at else None, dps=DPS + 10,
                           route=_second_route(model))
    want = want if isinstance(want, list) else [want]
    digits = min(_digits(g, w) for g, w in zip(got, want, strict=True))
    assert digits >= MIN_DIGITS, (argv, [mp.nstr(g, 12) for g in got], [mp.nstr(w, 12) for w in want], digits)
    return "solved"


_FOUND = Model(3, "1/100", 0, "1/2:3/5,1:1/5,2:1/5")  # the null part of T holds an atom (see above)


def _solved_some(outcomes, quantity, method):
    """A property test that refused every example would check nothing: at least one must be solved
    (and confirmed by the second route)."""
    assert "solved" in outcomes, f"{quantity} ({method}): every drawn example was refused: {outcomes}"


@pytest.mark.slow
@pytest.mark.parametrize("quantity, method", _CASES)
def test_every_quantity_is_confirmed_or_refused_more_examples(capsys, quantity, method):
    """15 examples per quantity and estimator (5 for an optimum), and the example found by the first search."""
    outcomes = []

    # an optimum solves its quantity at ~60 points per example: 5 examples keep it within the test budget
    @settings(max_examples=5 if quantities.get(quantity).uses else 15, **_SETTINGS)
    @example(model=_FOUND, fraction=Fraction(1, 10))
    @given(model=models(),
           fraction=st.sampled_from([Fraction(1, 10), Fraction(1, 3), Fraction(2, 3), Fraction(9, 10)]))
    def run(model, fraction):
        outcomes.append(_check(capsys, quantity, method, model, fraction))

    run()
    _solved_some(outcomes, quantity, method)
