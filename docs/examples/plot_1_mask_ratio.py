"""
Choose a masking ratio
======================

Masked models hide a random fraction ``p`` of the coordinates during training. Which ``p`` gives
the best predictor? For the ratio-``p`` estimator :math:`\\hat A_p` the theory gives the masked
test error :math:`E(q; p)` exactly in the proportional limit, so the question is a
one-dimensional minimisation: ``ssr eval mask-optimum`` solves :math:`dE/dp = 0` to ``--dps``
digits.

Here: a heteroscedastic bulk :math:`\\nu = \\tfrac12\\delta_1 + \\tfrac12\\delta_6` in the
rotational basis, :math:`\\gamma = 1/2`, :math:`\\lambda = 1/10`, and the leave-one-out test
error (``q = 0``) as the target. We plot :math:`E(0; p)` against ``p`` with
:func:`numerics.theory.evaluate` at 15 digits, and mark the optimum.
"""

import matplotlib.pyplot as plt
import mpmath as mp

from numerics.model import Model
from numerics.theory import evaluate

law = dict(gamma="1/2", lam="1/10", noise="1:1/2,6:1/2", basis="rotational")


def test_error(p, q="0", dps=15):
    """E(q) of the estimator trained with masks of ratio p (exact rational p)."""
    model = Model(**law, mask_ratio=p, test_mask_ratio=q)
    return float(evaluate("gen-error", model, dps=dps))


# %%
# The optimum, to 20 digits (the ``mask-optimum`` quantity; ``notes`` collects the sentences the
# command line prints on its ``note:`` lines, here the other local minimum near ``p = 1``).

notes = []
p_star = evaluate("mask-optimum", Model(**law, test_mask_ratio="0"), dps=20, notes=notes)
print("p* =", mp.nstr(p_star, 20))
for note in notes:
    print("note:", note)
print(f"E(0) at p = 0: {test_error('0'):.6f};  at p*: {test_error(mp.nstr(p_star, 15)):.6f}")

# %%
# The whole curve, for the leave-one-out target ``q = 0`` and for a BERT-like test ratio
# ``q = 0.15``. Every point is a theory value (no simulation), at 15 digits.

ps = [f"{k}/100" for k in range(0, 100, 2)]
x = [int(p.split("/")[0]) / 100 for p in ps]
curves = {q: [test_error(p, q) for p in ps] for q in ("0", "15/100")}
q_star = evaluate("mask-optimum", Model(**law, test_mask_ratio="15/100"), dps=15)

fig, ax = plt.subplots(figsize=(6.4, 4.0))
for (q, values), star in zip(curves.items(), (p_star, q_star)):
    label = "q = 0 (leave-one-out)" if q == "0" else "q = 0.15"
    (line,) = ax.plot(x, values, label=label)
    ax.axvline(float(star), color=line.get_color(), ls=":", lw=1)
    ax.plot([float(star)], [test_error(mp.nstr(star, 15), q)], "o", color=line.get_color())
ax.set_xlabel("training masking ratio p")
ax.set_ylabel("masked test error E(q; p)")
ax.set_title("rotational ½δ₁+½δ₆, γ = 1/2, λ = 1/10  (dots: p*)")
ax.set_ylim(2.3, 3.4)
ax.legend()
fig.tight_layout()

# %%
# Training with about 23 % masks lowers the leave-one-out error from 2.9330 to 2.4766: masking is
# an extra ridge (in the rotational basis the effective ridge is
# :math:`\lambda_{\rm eff} = (p\bar s + \lambda/(1-p))/(1-p)`), and this ridge is too small.
# The same command line::
#
#     ssr eval mask-optimum --noise 1:1/2,6:1/2 --basis rotational --gamma 1/2 --lam 1/10 \
#         --test-mask-ratio 0 --dps 20
