"""``universality``: non-Gaussian data against the Gaussian limit.

For seven laws of the standardised entries (Gaussian, Rademacher, sparse, Student-t from ν = 8 down
to the heavy tails ν = 3, 5/2; :mod:`numerics.data`) the relative gap
``(simulation − theory)/theory`` ± its standard error of the errors, ``m``, the upper bulk edge,
the outlier and the overlap of SSR, and the upper edge of ``S`` (PCA) for contrast; a table and
sentences generated from the measured numbers.
"""
from __future__ import annotations

import numpy as np

from numerics import estimators, quantities, theory
from numerics.data import parse_data
from numerics.model import Model
from numerics.simulate import Replica, sample
from numerics.spectrum import soft_edge as _soft_edge
from ssr.report.common import DPS, SEED, Budget, Figure, mean_se, params, pyplot, save, theory_value

#: The model of the universality figure: θ = 3 ≈ 2.2 θ_c^SSR (1.3517) and below θ_c^PCA (4.3707),
#: so SSR has an outlier and the top eigenvalue of S is a bulk extreme.
UNIVERSALITY_MODEL = Model("1/2", "1/10", theta=3, noise="1:1/2,6:1/2")
#: The data laws, light tails first; the last two have E z⁴ = ∞.
UNIVERSALITY_DATA = ("gaussian", "rademacher", "sparse(1/10)", "student-t(8)", "student-t(5)", "student-t(3)",
                     "student-t(5/2)")
#: (key, label, Richardson-extrapolated): the normalised traces are extrapolated with d/2 as in ``ssr verify``.
UNIVERSALITY_QUANTITIES = (
    ("gen-error", "E_gen", True),
    ("train-error", "E_train", True),
    ("m", "m = (1/d) tr R", True),
    ("upper-edge", "upper bulk edge of Â", False),
    ("outlier", "outlier of Â", False),
    ("overlap", "overlap cos²(v, r̂)", False),
    ("pca-upper-edge", "upper edge of S (PCA, contrast)", False),
)
_TRACES = ("gen-error", "train-error", "m")


def _universality_theory() -> dict:
    """The Gaussian limits of :data:`UNIVERSALITY_QUANTITIES` (dps 15)."""
    model = UNIVERSALITY_MODEL
    if not model.mp("theta") < theory.evaluate("threshold", model, method="pca", dps=DPS):
        raise ValueError("universality: θ must lie below the PCA threshold (the top eigenvalue of S a bulk extreme)")
    return {"gen-error": theory_value("gen-error", model), "train-error": theory_value("train-error", model),
            "m": theory_value("m", model), "upper-edge": theory_value("edges", model)[1], "outlier": theory_value("outlier", model),
            "overlap": theory_value("overlap", model), "pca-upper-edge": theory_value("edges", model, "pca")[1]}


def _universality_replica(data, d: int, rng: np.random.Generator, traces_only: bool = False) -> dict:
    """The finite-``d`` values of :data:`UNIVERSALITY_QUANTITIES` on one sample with entries of law ``data``.

    SSR quantities come from the registry's finite-``d`` estimators on one SSR fit (the upper edge is
    the Tracy–Widom-centred estimate without the outlier); the PCA upper edge is the Tracy–Widom-centred
    estimate from the *whole* spectrum of ``S`` (θ is below the PCA threshold, its top eigenvalue is
    a bulk extreme). ``traces_only``: only ``m`` and the errors (the ``d/2`` partner of Richardson).
    """
    model = UNIVERSALITY_MODEL
    X, Sigma, v = sample(model, d, rng, data)
    replica = Replica(model, d, X.shape[0], X, Sigma, v, estimators.get("ssr").fit(X, model))
    values = {key: quantities.get(key).finite(replica) for key in _TRACES}
    if not traces_only:
        values["upper-edge"] = float(quantities.get("edges").finite(replica)[1])
        values["outlier"] = quantities.get("outlier").finite(replica)
        values["overlap"] = quantities.get("overlap").finite(replica)
        values["pca-upper-edge"] = _soft_edge(estimators.get("pca").fit(X, model).spectrum[::-1], d)
    return values


def universality_rows(d: int, seeds: int, rng, data=UNIVERSALITY_DATA) -> list[dict]:
    """Simulation against the Gaussian limit for every data law and quantity of the universality figure.

    ``rng(point, replica, half)`` returns the generator of replica ``replica`` of law number ``point``
    (``half``: its ``d/2`` partner). Per law, ``seeds`` replicas at ``d``; the normalised traces are
    Richardson-extrapolated per replica, ``(d·x_d − d'·x_{d'})/(d − d')`` with ``d' = ⌊d/2⌋``. One row
    per (law, quantity): ``data``, ``fourth_moment`` (``E z⁴``), ``key``, ``seeds``, ``theory``, ``mean``, ``se``,
    ``z = (mean − theory)/se``, ``rel = (mean − theory)/|theory|`` and its standard error ``rel_se``.
    """
    limits = _universality_theory()
    half = d // 2
    rows = []
    for point, spec in enumerate(data):
        law = parse_data(spec)
        per_key = {key: [] for key, _, _ in UNIVERSALITY_QUANTITIES}
        for replica in range(seeds):
            values = _universality_replica(law, d, rng(point, replica, False))
            partner = _universality_replica(law, half, rng(point, replica, True), traces_only=True)
            for key, _, richardson in UNIVERSALITY_QUANTITIES:
                value = values[key]
                if richardson:
                    value = (d * value - half * partner[key]) / (d - half)
                per_key[key].append(value)
        for key, _, _ in UNIVERSALITY_QUANTITIES:
            mean, se = mean_se(per_key[key])
            limit = limits[key]
            rows.append(dict(data=law.spec, fourth_moment=law.fourth_moment, key=key, seeds=seeds, theory=limit,
                             mean=mean, se=se,
                             z=(mean - limit) / se if se > 0 else float("inf"), rel=(mean - limit) / abs(limit),
                             rel_se=se / abs(limit)))
    return rows


def _moment(value) -> str:
    return "∞" if value == float("inf") else str(value)


def _percent(row) -> str:
    return f"{100 * row['rel']:+.2f} % ± {100 * row['rel_se']:.2f} (z = {row['z']:+.1f})"


def universality_sentences(rows) -> list[str]:
    """A plain account of the measured rows, in % and in standard errors: for the laws with a finite
    fourth moment, whether every quantity stays within 4 standard errors of the Gaussian limit (and
    the exceptions); for each heavy-tailed law, the quantities that depart (``|z| ≥ 4``) and those
    that do not, each with its relative gap and z-score."""
    labels = {key: label for key, label, _ in UNIVERSALITY_QUANTITIES}

    def gap(r) -> str:
        return f"{labels[r['key']]} {100 * r['rel']:+.2f} % (z = {r['z']:+.1f})"

    finite = [r for r in rows if r["fourth_moment"] != float("inf")]
    heavy = [r for r in rows if r["fourth_moment"] == float("inf")]
    lines = []
    if finite:
        laws = ", ".join(dict.fromkeys(r["data"] for r in finite))
        off = sorted((r for r in finite if not abs(r["z"]) < Z_LIMIT), key=lambda r: -abs(r["z"]))
        largest = max(finite, key=lambda r: abs(r["rel"]))
        text = (f"With a finite fourth moment ({laws}): "
                + ("every quantity stays on the Gaussian limit, within 4 standard errors"
                   if not off else "every quantity stays within 4 standard errors of the Gaussian limit except "
                   + "; ".join(f"{gap(r)} with {r['data']}" for r in off))
                + f"; the largest relative gap is {100 * largest['rel']:+.2f} % ({labels[largest['key']]}, "
                  f"{largest['data']}, z = {largest['z']:+.1f}), and the standard errors are at most "
                  f"{100 * max(r['rel_se'] for r in finite):.2f} % of the limit.")
        lines.append(text)
    for spec in dict.fromkeys(r["data"] for r in heavy):
        own = [r for r in heavy if r["data"] == spec]
        off = sorted((r for r in own if not abs(r["z"]) < Z_LIMIT), key=lambda r: -abs(r["z"]))
        kept = [r for r in own if abs(r["z"]) < Z_LIMIT]
        text = f"Heavy tails, {spec} (E z⁴ = ∞): "
        text += ("departs from the Gaussian limit by 4 standard errors or more in " + "; ".join(gap(r) for r in off)
                 if off else "no quantity departs by 4 standard errors or more")
        if kept:
            text += "; within 4 standard errors: " + "; ".join(gap(r) for r in kept)
        lines.append(text + ".")
    if any(abs(r["z"]) < Z_LIMIT and abs(r["rel"]) > 0.1 for r in heavy):
        lines.append("A heavy-tailed gap above 10 % within 4 standard errors is no agreement: with E z⁴ = ∞ the "
                     "replicas themselves are heavy-tailed, and their standard error is large and unreliable.")
    from scipy import stats

    seeds = rows[0]["seeds"]
    chance = 2 * stats.t.sf(Z_LIMIT, seeds - 1)
    lines.append(f"Each z-score uses the standard error of K = {seeds} replicas (Student-t with {seeds - 1} degrees of "
                 f"freedom for an unbiased estimate): P(|z| ≥ {Z_LIMIT:g}) = {100 * chance:.2g} % per cell, so among "
                 f"{len(rows)} cells a single |z| ≥ {Z_LIMIT:g} can be chance.")
    return lines


#: A point departs from the Gaussian limit when |z| ≥ Z_LIMIT (as in ``ssr verify``).
Z_LIMIT = 4.0


def universality(index: int, budget: Budget, directory: str) -> Figure:
    """Non-Gaussian data against the Gaussian limit: relative gap ± stderr per quantity and data law."""
    plt = pyplot()
    d, seeds = budget.universality_d, budget.universality_seeds
    rows = universality_rows(d, seeds, lambda point, replica, half: np.random.default_rng(
        [SEED, index, point, replica] + ([2] if half else [])))
    model = UNIVERSALITY_MODEL
    figure = Figure("universality", "Universality: non-Gaussian data against the Gaussian limit",
                    "Rows x = Σ₀^{1/2} z + √θ ξ v whose i.i.d. standardised entries (z and ξ, mean 0, variance 1) "
                    "follow seven laws (numerics.data; E z⁴ in brackets); per law and quantity the relative gap "
                    "(simulation − theory)/theory to the Gaussian limit, ± one standard error (d = "
                    f"{d}, n = {2 * d}, {seeds} replicas per law; {params(model)}). The normalised traces "
                    "(E_gen, E_train, m) are Richardson-extrapolated with d/2 per replica (their O(1/d) bias "
                    "removed, as in `ssr verify`); the edges are Tracy–Widom-centred estimates, the outlier and "
                    "the overlap plain means (SSR, θ above its threshold). The last panel, for contrast, is the "
                    "upper edge of the sample covariance S (θ is below the PCA threshold, so its top eigenvalue is "
                    "a bulk extreme). Blue: finite fourth moment; red: E z⁴ = ∞; numbers beside the dots: "
                    "z-scores. A panel whose points reach beyond ±20 % has a symmetric-log vertical axis (linear "
                    "within ±2 %).",
                    seeds=f"default_rng([{SEED}, {index}, law, replica]) at d, default_rng([{SEED}, {index}, law, "
                          "replica, 2]) at d/2 (law = index in the order plotted)")
    laws = list(UNIVERSALITY_DATA)
    moments = {parse_data(spec).spec: parse_data(spec).fourth_moment for spec in laws}
    from matplotlib.ticker import FuncFormatter

    fig, axes = plt.subplots(2, 4, figsize=(14, 7.6), constrained_layout=True)
    for (key, label, richardson), ax in zip(UNIVERSALITY_QUANTITIES, axes.ravel()):
        picked = [r for r in rows if r["key"] == key]
        for x, r in enumerate(picked):
            colour = "tab:red" if r["fourth_moment"] == float("inf") else "tab:blue"
            ax.errorbar([x], [100 * r["rel"]], yerr=[100 * r["rel_se"]], fmt="o", ms=5, capsize=3, color=colour)
            ax.annotate(f"{r['z']:+.1f}", (x, 100 * r["rel"]), textcoords="offset points", xytext=(6, 2),
                        fontsize=7, color="0.25")
            figure.rows.append((f"{key}/{r['data']}", x, r["rel"], r["rel_se"]))
        ax.axhline(0, color="black", lw=0.8)
        wide = max(100 * (abs(r["rel"]) + r["rel_se"]) for r in picked) > 20
        if wide:
            ax.set_yscale("symlog", linthresh=2.0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
        ax.margins(y=0.12)
        ax.set_xticks(range(len(laws)), [f"{spec}\n[{_moment(moments[spec])}]" for spec in laws], rotation=55,
                      fontsize=7, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.5, len(laws) - 0.1)
        ax.set_title(f"{label}{' (Richardson)' if richardson else ''}\nGaussian limit {picked[0]['theory']:.5g}",
                     fontsize=9)
        ax.set_ylabel(f"(simulation − theory)/theory  [%]{', symlog' if wide else ''}", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        figure.rows.append((f"{key}/theory", -1, picked[0]["theory"], None))
    legend = axes.ravel()[-1]
    legend.axis("off")
    legend.text(0.0, 1.0, "\n".join([
        "Each dot: mean over replicas of one law,",
        "as its relative gap to the Gaussian limit;",
        "bars: ± 1 standard error; numbers: z-scores",
        "(simulation − theory)/stderr.",
        "",
        "blue: finite fourth moment E z⁴ [in brackets]",
        "red: heavy tails, E z⁴ = ∞",
        "",
        f"d = {d}, n = {2 * d}, {seeds} replicas per law",
        "ν = ½δ₁ + ½δ₆ (diagonal), γ = 1/2, λ = 1/10, θ = 3",
    ]), va="top", ha="left", fontsize=9, transform=legend.transAxes)
    fig.suptitle("Universality: non-Gaussian data against the Gaussian limit", fontsize=11)
    labels = [label for _, label, _ in UNIVERSALITY_QUANTITIES]
    table = ["| data law | E z⁴ | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels),
             "| theory (Gaussian limit) | — | " + " | ".join(f"{r['theory']:.6g}" for r in rows[:len(labels)]) + " |"]
    for spec in laws:
        spec = parse_data(spec).spec
        cells = [next(r for r in rows if r["data"] == spec and r["key"] == key) for key, _, _ in UNIVERSALITY_QUANTITIES]
        table.append(f"| {spec} | {_moment(moments[spec])} | " + " | ".join(_percent(r) for r in cells) + " |")
    figure.notes += [f"Relative gap to the Gaussian limit, (simulation − theory)/theory ± stderr (z = "
                     f"(simulation − theory)/stderr), d = {d}, {seeds} replicas per law; the simulated means and "
                     f"standard errors are in `{figure.name}.csv` (series `<quantity>/<law>`: x = law index, y = relative "
                     "gap, err = its standard error; `<quantity>/theory`: y = the limit).", "", *table, "",
                     *universality_sentences(rows)]
    save(fig, figure, directory)
    return figure
