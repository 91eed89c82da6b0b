"""
Add a quantity
==============

Every quantity the toolkit knows is one :class:`numerics.quantities.Quantity` entry of the
registry :data:`numerics.quantities.REGISTRY`. :func:`numerics.theory.evaluate`,
:func:`numerics.simulate.simulate`, the command line (its choices and help), ``ssr verify``, the
report and the test batteries all read that registry, so a new quantity is one entry, its
functions, and an oracle in the tests.

This example defines a toy quantity **without editing the package** — the *degrees of freedom*
of the ridge fit,

.. math::

    \\mathrm{df} = \\lim \\frac1d \\operatorname{tr}\\bigl(S (S + \\lambda I)^{-1}\\bigr)
    = 1 - \\lambda\\, m ,

registers it for the duration of the example, evaluates its limit and simulates it, then
removes it again. In the package the same entry would go into ``numerics/quantities.py``.
"""

import mpmath as mp

from numerics import quantities
from numerics.model import Model
from numerics.simulate import simulate
from numerics.theory import evaluate

# %%
# The limit. A limit function receives a context ``ctx`` (built by ``evaluate``):
# ``ctx.model`` (exact parameters, ``ctx.model.mp("lam")`` at the working precision),
# ``ctx.est`` (the estimator), ``ctx.route`` (the solving route; ``None`` on the closed route),
# ``ctx.delta()`` (the root of (E1)) and ``ctx.get(name)``: another quantity *on the same route*.
# Written through ``m``, the toy quantity works on every route: the closed form of ``m`` for the
# isotropic bulk, the fixed point or the algebraic solver otherwise.


def df_limit(ctx):
    return 1 - ctx.model.mp("lam") * ctx.get("m")


# %%
# The finite-``d`` estimator. It receives one simulated replica ``rep``: ``rep.X``, ``rep.Sigma``,
# ``rep.d``, ``rep.n``, ``rep.model`` and ``rep.fit``, the estimator's fit (``rep.fit.precision``
# is ``R = (S + λI)^{-1}``, computed once per replica and shared by every quantity).


def df_finite(rep):
    return 1 - float(rep.model.lam) * float(rep.fit.precision.trace()) / rep.d


# %%
# The entry: the name (the CLI choice), its meaning (the CLI help), the estimators that have it
# (leave-one-out SSR only: for ``masked`` the ridge is ``B``, not ``λ``), the limit, no closed form
# of its own, the finite estimator, the statement ``ssr verify`` would print, and ``uses``: the
# quantities it is computed from, so that it runs on the closed route wherever ``m`` has one.

toy = quantities.Quantity(
    name="degrees-of-freedom",
    meaning="lim (1/d) tr(S (S + lam I)^-1) = 1 - lam m",
    estimators=("ssr",),
    limit=df_limit,
    closed=None,
    finite=df_finite,
    statement="df = lim (1/d) tr(S R) = 1 − λ m",
    uses=("m",),
)
quantities.REGISTRY[toy.name] = toy

# %%
# Now ``evaluate`` and ``simulate`` know it. The isotropic bulk takes the closed route (through
# ``m``); a two-atom bulk takes the fixed point, and the algebraic route must agree with it.

iso = Model(gamma="1/2", lam="1/5")
het = Model(gamma="1/2", lam="1/5", noise="1:1/2,6:1/2")
print("isotropic   df =", mp.nstr(evaluate("degrees-of-freedom", iso, dps=30), 30))
print("closed-form m   =", mp.nstr(evaluate("m", iso, dps=30), 30))
fixed = evaluate("degrees-of-freedom", het, dps=30)
algebraic = evaluate("degrees-of-freedom", het, dps=30, route="algebraic")
print("two atoms   df =", mp.nstr(fixed, 30), "(fixed point)")
print("                 ", mp.nstr(algebraic, 30), "(algebraic)")
for d in (100, 400):
    sim = simulate("degrees-of-freedom", het, d=d, seeds=8)
    print(f"simulation d = {d}: {sim.mean:.5f} ± {sim.stderr:.5f}   "
          f"(z = {(sim.mean - float(fixed)) / sim.stderr:+.2f})")

# %%
# (At finite ``d`` the normalised trace has an ``O(1/d)`` bias; ``simulate(...,
# extrapolate=True)`` removes most of it by Richardson extrapolation from ``d/2`` and ``d``.)
#
# Clean up: the registry is shared by the whole process (here, the documentation build, whose
# CLI reference is generated from the same registry).

del quantities.REGISTRY[toy.name]
print("registered after the clean-up:", "degrees-of-freedom" in quantities.REGISTRY)

# %%
# To add it for good:
#
# 1. put the two functions and the ``Quantity(...)`` entry into ``numerics/quantities.py`` (the
#    order of :data:`~numerics.quantities.REGISTRY` is the order of the CLI choices);
# 2. add its oracle to the tests — an independent computation of the limit (here ``1 − λ m``
#    against the closed form of ``m``) and a simulation check, as ``tests/numerics`` does for
#    every entry; the property tests then run it on random valid parameters automatically;
# 3. if ``ssr verify`` should check it, add a ``Claim`` to ``ssr/verify.py``.
#
# ``ssr eval degrees-of-freedom``, ``ssr simulate degrees-of-freedom`` and ``--help`` then list
# and compute it with no further change.
