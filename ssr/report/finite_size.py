"""``finite-size``: per-replica RMS error ``√(mean_k (x_k − x_∞)²)`` against ``d`` on log–log axes
with the least-squares slope, for seven quantities.

The expected slope is ``−1`` for normalised traces (bias and fluctuation ``O(1/d)``) and ``−1/2``
for outliers and overlaps (fluctuation ``O(d^{-1/2})``); a fitted slope farther than
:data:`SLOPE_TOLERANCE` from it (and by more than three standard errors) is flagged in the report.
"""
from __future__ import annotations

import numpy as np

from numerics.model import Model
from numerics.simulate import measure
from ssr.report.common import SEED, Budget, Figure, params, pyplot, rng, save, theory_value

SLOPE_TOLERANCE = 0.25

#: quantity, method, expected slope of the per-replica RMS error against d.
SCALING = (("m", "ssr", -1.0), ("train-error", "ssr", -1.0), ("gen-error", "ssr", -1.0),
           ("outlier", "ssr", -0.5), ("overlap", "ssr", -0.5), ("outlier", "pca", -0.5), ("overlap", "pca", -0.5))
_SCALING_MODEL = Model("1/2", "1/5", theta=2)


def fit_slope(dims, rms, err=None) -> tuple[float, float]:
    r"""Least-squares slope of ``log rms`` against ``log d`` and its standard error.

    The standard error propagates the errors ``err`` of the points (``σ_log = err/rms``):
    ``se² = 1/Σ w_i (x_i − x̄_w)²`` with ``w = 1/σ_log²`` and ``x = log d``; without ``err`` it
    comes from the residuals (zero for points exactly on a line).

    >>> slope, se = fit_slope([100, 200, 400], [1e-2, 5e-3, 2.5e-3])
    >>> round(slope, 12), round(se, 12)
    (-1.0, 0.0)
    >>> round(fit_slope([100, 400], [1.0, 0.5], err=[0.1, 0.05])[1], 4)  # √2·0.1/log 4
    0.102
    """
    x, y = np.log(np.asarray(dims, dtype=float)), np.log(np.asarray(rms, dtype=float))
    slope, intercept = np.polyfit(x, y, 1)
    if err is None:
        dof = max(x.size - 2, 1)
        se = np.sqrt(np.sum((y - slope * x - intercept) ** 2) / dof / np.sum((x - x.mean()) ** 2))
    else:
        weights = (np.asarray(rms, dtype=float) / np.asarray(err, dtype=float)) ** 2
        centre = np.sum(weights * x) / np.sum(weights)
        se = 1 / np.sqrt(np.sum(weights * (x - centre) ** 2))
    return float(slope), float(se)


def contradicts(slope: float, se: float, expected: float) -> bool:
    """A fitted slope contradicts the expected rate when it is off by more than
    :data:`SLOPE_TOLERANCE` *and* by more than three standard errors.

    >>> contradicts(-0.9, 0.05, -1.0), contradicts(-0.5, 0.05, -1.0), contradicts(-0.5, 0.3, -1.0)
    (False, True, False)
    """
    gap = abs(slope - expected)
    return gap > SLOPE_TOLERANCE and gap > 3 * se


def finite_size(index: int, budget: Budget, directory: str) -> Figure:
    """Per-replica RMS error against ``d`` (log–log) with fitted and expected slopes."""
    plt = pyplot()
    model = _SCALING_MODEL
    limits = {(q, meth): theory_value(q, model, meth) for q, meth, _ in SCALING}
    dims = budget.scaling_dims
    per_d = []
    for p, d in enumerate(dims):
        per_d.append([measure(model, d, rng(index, p, k), [row[:2] for row in SCALING])
                      for k in range(budget.scaling_seeds)])
    figure = Figure("finite-size", "Finite-size scaling",
                    f"Root-mean-square error of one replica, √(mean over replicas of (x_d − x_∞)²), against d "
                    f"({budget.scaling_seeds} replicas per d; {params(model)}, isotropic), log–log, with "
                    "least-squares slopes (± stderr propagated from the points). Expected: −1 for normalised traces (m, E_train, E_gen: bias and "
                    "fluctuation O(1/d)), −1/2 for outliers and overlaps (fluctuation O(d^-1/2)); a slope is flagged when it is "
                    f"off by more than {SLOPE_TOLERANCE} and by more than 3 stderr. Error bars: delta-method "
                    "stderr of the RMS.",
                    seeds=f"default_rng([{SEED}, {index}, d-index, replica])")
    fig, ax = plt.subplots(figsize=(8.4, 6.4), constrained_layout=True)
    table = ["| quantity | expected slope | fitted slope ± se | RMS error at d = " + ", ".join(map(str, dims)) +
             " | flag |", "|---|---|---|---|---|"]
    markers = "osD^v<>"
    for (quantity, method, expected), marker in zip(SCALING, markers):
        limit = limits[(quantity, method)]
        rms, err = [], []
        for replicas in per_d:
            squares = np.array([(r[(quantity, method)] - limit) ** 2 for r in replicas])
            value = float(np.sqrt(squares.mean()))
            rms.append(value)
            err.append(float(squares.std(ddof=1) / np.sqrt(squares.size) / (2 * value)) if value > 0 else 0.0)
        slope, se = fit_slope(dims, rms, err)
        flagged = contradicts(slope, se, expected)
        name = f"{quantity} ({method})"
        logs = np.log(np.asarray(dims, dtype=float))  # the least-squares line through the means
        fitted = np.exp(np.mean(np.log(rms)) + slope * (logs - logs.mean()))
        points = ax.errorbar(dims, rms, yerr=err, fmt=marker, ms=6, capsize=2, mfc="none" if method == "pca" else None,
                             label=f"{name}: slope {slope:+.2f} ± {se:.2f} (expected {expected:+.1f})"
                                   f"{'  FLAGGED' if flagged else ''}")
        ax.plot(dims, fitted, color=points[0].get_color(), lw=1.1, ls="--" if method == "pca" else "-")
        figure.rows += [(f"{quantity}-{method}-rms", d, y, e) for d, y, e in zip(dims, rms, err)]
        figure.rows += [(f"{quantity}-{method}-fit", d, y, None) for d, y in zip(dims, fitted)]
        table.append(f"| {name} | {expected:+.1f} | {slope:+.3f} ± {se:.3f} | "
                     + ", ".join(f"{v:.2e}" for v in rms)
                     + f" | {'**FLAGGED**: contradicts the expected rate' if flagged else 'ok'} |")
        figure.flags.append((name, expected, slope, se, flagged))
    ax.plot([], [], color="0.3", lw=1.1, ls="-", label="lines: least-squares fits, SSR (solid)")
    ax.plot([], [], color="0.3", lw=1.1, ls="--", label="lines: least-squares fits, PCA (dashed; open markers)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.minorticks_off()
    ax.set_xlabel(r"dimension $d$ ($n = d/\gamma$)")
    ax.set_ylabel(r"RMS error $\sqrt{\langle (x_d - x_\infty)^2 \rangle}$")
    ax.set_title(f"Finite-size scaling: {params(model)}", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()  # beside the data, never over it
    fig.legend(handles, labels, fontsize=7.5, loc="outside lower center", ncol=2)
    figure.notes += ["", *table]
    save(fig, figure, directory)
    return figure
