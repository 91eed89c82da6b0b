r"""Real data: masked image modelling on scikit-image's natural images (SPEC §6, "Real data").

The textbook case of masked modelling is natural-image patches. ``ssr images --out DIR``
measures the masked test error of the ratio-``p`` estimator ``Â_p`` (SPEC §5) fitted on real
patches, and compares it with the given-covariance deterministic equivalent (SPEC §6,
:func:`numerics.covariance.evaluate`) and with Gaussian data of the same covariance.

**Data.** The images :data:`IMAGES` bundled with ``skimage.data`` (no download), colour turned
to grey by ``skimage.color.rgb2gray`` and every image to floats in ``[0, 1]``
(``skimage.util.img_as_float``: ``uint8/255``, booleans ``0/1``). From each image all
``12×12`` patches at stride 4 (``d = 144``, a patch flattened row by row) are pooled into
``P ∈ R^{N×d}`` and standardised globally, ``x ← (x − μ)/σ`` with one mean ``μ`` and one standard
deviation ``σ`` over all ``N d`` pixel values (so ``P`` has mean 0 and standard deviation 1,
and no per-pixel normalisation that would change the covariance structure).

**Split and population.** A seeded random permutation sends a third of the patches to the
held-out set ``P_test ∈ R^{m×d}``, the rest to the training pool. The population covariance is

    Σ = P_testᵀ P_test / m,

the covariance about the (global, zero) mean, so that ``gen_error(A, Σ, q)`` is *exactly* the
masked test error of ``A`` averaged over the held-out patches and over fresh masks of ratio ``q``
(SPEC §5: ``E(q) = (1/d) Σ_k [Σ_kk − 2(1−q)(AΣ)_kk + (1−q)²(AΣAᵀ)_kk + q(1−q)(A diag Σ Aᵀ)_kk]``
is linear in the second moment). Centring per coordinate changes ``Σ`` by a relative
Frobenius amount of about ``3·10⁻⁵`` here (each pixel has the same mean up to ``10⁻²``).

**Measurement.** For ``γ ∈ {1, 1/2, 1/4, 1/10}`` and ``p ∈ {0, 1/4, 1/2}``, ``λ = 10⁻²``:
``K`` training sets of ``n = d/γ`` patches drawn without replacement from the pool; on each,
``Â_p`` is fitted with the toolkit's masked estimator (:mod:`numerics.estimators`, one
Cholesky factorisation of ``G = (1−p)S + p diag S + λ/(1−p)``) and ``measured`` is the mean over
the ``K`` sets of ``E(p)`` on the held-out set (``numerics.estimator.gen_error(Â_p, Σ, p)``),
with its standard error ``sd/√K``. The same training sets serve every ``p`` (a paired design).
``theory`` is :func:`theory_error` and ``gaussian_surrogate`` the same fit and measurement on
Gaussian rows ``x = L z`` (``LLᵀ = Σ``, ``z ~ N(0, I)``), mean and standard error over ``K``
draws. Seeds: the split uses ``default_rng([seed, 0])``, the ``k``-th training set at the
``i``-th ``γ`` ``default_rng([seed, 1, i, k])`` and its Gaussian twin ``default_rng([seed, 2, i, k])``.

**Threads.** :func:`run` limits BLAS to one thread (``threadpoolctl``): every matrix is
``144×144`` (or ``1440×144``), too small for threads, and on a busy 2-core machine
multi-threaded OpenBLAS made one theory evaluation 60 times slower (0.25 s against 4 ms).

**Spectrum.** The eigenvalues of ``Â_p`` at ``γ = 1/2``, ``p = 1/4`` (pooled over the ``K``
training sets, patches and surrogate) against the limiting density
:func:`theory_density` (SPEC §5 (E3) with the given ``Σ``).

Outputs of :func:`write_all` in ``DIR``: ``images.csv`` (:data:`COLUMNS`),
``images-errors.png``, ``images-spectrum.png`` and ``report.md``.

>>> extract_patches(np.arange(36.0).reshape(6, 6), size=4, stride=2).shape
(4, 16)
"""
from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from numerics import estimators
from numerics.model import BadParameter, Model

__all__ = [
    "IMAGES",
    "PATCH",
    "STRIDE",
    "LAM",
    "HELD_OUT",
    "COLUMNS",
    "Budget",
    "FULL",
    "QUICK",
    "Result",
    "load_image",
    "extract_patches",
    "standardise",
    "pooled_patches",
    "split",
    "second_moment",
    "theory_error",
    "theory_density",
    "fit",
    "run",
    "summary_table",
    "spectrum_distance",
    "write_csv",
    "plot_errors",
    "plot_spectrum",
    "write_report",
    "write_all",
]

#: The images of ``skimage.data`` used (all bundled with scikit-image: loading needs no network).
IMAGES = ("camera", "astronaut", "coffee", "chelsea", "rocket", "horse", "moon", "coins",
          "page", "text", "brick", "grass", "gravel")
PATCH = 12  # patch side: d = PATCH² = 144
STRIDE = 4
LAM = Fraction(1, 100)
HELD_OUT = Fraction(1, 3)
_DENSITY_CHUNK = 20  # density points per call (warm-started along the grid; progress between calls)
COLUMNS = ("gamma", "n", "mask_ratio", "measured", "measured_stderr", "theory",
           "gaussian_surrogate", "gaussian_surrogate_stderr")


@dataclass(frozen=True)
class Budget:
    """The grid of one run: aspect ratios, masking ratios, training sets per point, curve sizes.

    ``curve_points`` values of ``n`` (geometric between ``d/max γ`` and ``d/min γ``) for the
    theory curves; ``density_points`` abscissae of the theory density; ``spectrum`` the
    ``(γ, p)`` of the spectrum figure.
    """

    gammas: tuple
    mask_ratios: tuple
    subsets: int
    curve_points: int
    density_points: int
    spectrum: tuple = (Fraction(1, 2), Fraction(1, 4))


FULL = Budget(gammas=(Fraction(1), Fraction(1, 2), Fraction(1, 4), Fraction(1, 10)),
              mask_ratios=(Fraction(0), Fraction(1, 4), Fraction(1, 2)),
              subsets=10, curve_points=40, density_points=240)
QUICK = Budget(gammas=FULL.gammas, mask_ratios=FULL.mask_ratios, subsets=6, curve_points=6,
               density_points=24)


@dataclass
class Result:
    """What one run measured: the table rows, the spectrum samples and the theory curves."""

    budget: Budget
    seed: int
    d: int
    patches: int  # N, all images pooled
    counts: dict  # patches per image
    pool: int
    held_out: int
    rows: list = field(default_factory=list)  # dicts keyed by COLUMNS
    curves: dict = field(default_factory=dict)  # p -> (n array, theory array)
    spectrum_real: np.ndarray | None = None
    spectrum_gauss: np.ndarray | None = None
    density: tuple | None = None  # (a array, ρ array)
    seconds: float = 0.0


# ----------------------------------------------------------------------------------------------
# Data


def _skimage():
    try:
        import skimage.color
        import skimage.data
        import skimage.util
    except ImportError:
        raise BadParameter("images", "scikit-image is required (pip install scikit-image)") from None
    return skimage


def load_image(name: str) -> np.ndarray:
    """Image ``name`` of ``skimage.data`` as a 2-D float array in ``[0, 1]``.

    Colour (``H×W×3``) → grey by ``rgb2gray`` (luminance ``0.2125 R + 0.7154 G + 0.0721 B``);
    grey ``uint8`` → ``/255`` and booleans → ``0/1`` by ``img_as_float``.
    """
    skimage = _skimage()
    if name not in IMAGES:
        raise BadParameter("images", f"unknown image {name!r} (choose from {', '.join(IMAGES)})")
    image = getattr(skimage.data, name)()
    if image.ndim == 3:
        image = skimage.color.rgb2gray(image[..., :3])
    return np.asarray(skimage.util.img_as_float(image), dtype=np.float64)


def extract_patches(image, size: int = PATCH, stride: int = STRIDE) -> np.ndarray:
    """All ``size×size`` patches of a 2-D ``image`` at ``stride``, flattened row by row.

    An ``H×W`` image gives ``(⌊(H−size)/stride⌋ + 1)(⌊(W−size)/stride⌋ + 1)`` patches (rows of
    the result, in raster order of their top-left corners), each of length ``size²``.

    >>> extract_patches(np.arange(16.0).reshape(4, 4), size=2, stride=2)[1]
    array([2., 3., 6., 7.])
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image: expected a 2-D array, got {image.ndim}-D")
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size))[::stride, ::stride]
    return windows.reshape(-1, size * size).copy()


def standardise(P) -> np.ndarray:
    """``(P − μ)/σ`` with one mean ``μ`` and one standard deviation ``σ`` over all entries of ``P``.

    >>> Z = standardise(np.array([[0.0, 1.0], [2.0, 3.0]]))
    >>> float(Z.mean()), float(Z.std())
    (0.0, 1.0)
    """
    Z = np.asarray(P, dtype=np.float64) - np.mean(P)
    Z /= Z.std()
    return Z


def pooled_patches(names=IMAGES, size: int = PATCH, stride: int = STRIDE) -> tuple[np.ndarray, dict]:
    """The patches of all images ``names`` pooled and standardised globally, and the count per image."""
    blocks = {name: extract_patches(load_image(name), size, stride) for name in names}
    counts = {name: block.shape[0] for name, block in blocks.items()}
    return standardise(np.concatenate(list(blocks.values()))), counts


def split(count: int, rng: np.random.Generator, held_out=HELD_OUT) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(pool, test)`` of a random split of ``range(count)``: ``⌊held_out·count⌋`` test rows.

    The two index sets are disjoint, cover ``range(count)`` and are sorted; ``rng`` decides them.

    >>> pool, test = split(9, np.random.default_rng(0))
    >>> len(pool), len(test), sorted(set(pool) | set(test)) == list(range(9))
    (6, 3, True)
    """
    order = rng.permutation(count)
    m = int(Fraction(held_out) * count)
    return np.sort(order[m:]), np.sort(order[:m])


def second_moment(X) -> np.ndarray:
    """``XᵀX/m`` for ``X ∈ R^{m×d}``: the covariance about zero (the population ``Σ`` of the run)."""
    X = np.asarray(X, dtype=np.float64)
    return X.T @ X / X.shape[0]


# ----------------------------------------------------------------------------------------------
# Theory (the given-covariance route of SPEC §6; never reimplemented here)


def _covariance():
    from numerics import covariance

    return covariance


def theory_error(Sigma, gamma, p, lam=LAM) -> float:
    """The limit of the masked test error ``E(q = p)`` of ``Â_p`` for the exact population ``Σ``.

    ``numerics.covariance.evaluate("gen-error", Σ, gamma=γ, lam=λ, mask_ratio=p,
    test_mask_ratio=p)``: the given-covariance deterministic equivalent of SPEC §6
    (``δ = γ tr(Σ R̄)/d``, ``R̄ = (Σ/(1+δ) + B)⁻¹``, ``b_k = (pΣ_kk + λ/(1−p))/(1−p)``).
    """
    return float(_covariance().evaluate("gen-error", Sigma, gamma=gamma, lam=lam, mask_ratio=p,
                                        test_mask_ratio=p))


def theory_density(a, Sigma, gamma, p, lam=LAM):
    """The limiting density of the eigenvalues of ``Â_p`` at ``a`` (SPEC §5 (E3), given ``Σ``).

    ``numerics.covariance.density(a, Σ, gamma=γ, lam=λ, mask_ratio=p)``: a float for a float
    ``a``, an array for an array (whose points are solved in increasing order, each from the
    previous one).
    """
    value = _covariance().density(a, Sigma, gamma=gamma, lam=lam, mask_ratio=p)
    return float(value) if np.ndim(a) == 0 else np.asarray(value, dtype=float)


# ----------------------------------------------------------------------------------------------
# Fits and measurement


def fit(X, p, lam=LAM) -> estimators.Fit:
    """The toolkit's masked estimator ``Â_p`` fitted on ``X`` (``.matrix``, ``.spectrum``).

    ``Â_p = (I − diag(G⁻¹)⁻¹ G⁻¹)/(1−p)``, ``G = (1−p)S + p diag S + λ/(1−p)``, ``S = XᵀX/n``
    (SPEC §5; ``p = 0`` is the leave-one-out ``Â``).
    """
    n, d = X.shape
    model = Model(gamma=Fraction(d, n), lam=lam, mask_ratio=p)
    return estimators.get("masked").fit(X, model)


def _measure(X, Sigma, p, lam=LAM) -> tuple[float, estimators.Fit]:
    from numerics.estimator import gen_error

    fitted = fit(X, p, lam)
    return gen_error(fitted.matrix, Sigma, p), fitted


def _mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def _curve_ns(d: int, gammas, points: int) -> np.ndarray:
    """``points`` integers ``n`` geometric between ``d/max γ`` and ``d/min γ`` (distinct)."""
    low, high = d / float(max(gammas)), d / float(min(gammas))
    return np.unique(np.rint(np.geomspace(low, high, points)).astype(int))


def _one_blas_thread():
    """A context limiting BLAS to one thread (:func:`numerics.threads.one_thread`; a no-op without
    ``threadpoolctl``). The modules doing the linear algebra are imported first."""
    import numerics.estimator  # noqa: F401  (loads scipy.linalg and its BLAS)
    from numerics.threads import one_thread

    _covariance()
    return one_thread()


def run(budget: Budget = FULL, *, subsets: int | None = None, seed: int = 0,
        progress=None) -> Result:
    """Measure the grid of ``budget`` (``subsets`` overrides ``budget.subsets``), one BLAS thread.

    ``progress(stage, done, total)`` is called after each step when given.
    """
    with _one_blas_thread():
        return _run(budget, subsets, seed, progress)


def _run(budget: Budget, subsets, seed: int, progress) -> Result:
    start = time.monotonic()
    K = budget.subsets if subsets is None else subsets
    if K < 2:
        raise BadParameter("subsets", f"expected an integer >= 2, got {K}")
    budget = Budget(budget.gammas, budget.mask_ratios, K, budget.curve_points,
                    budget.density_points, budget.spectrum)
    P, counts = pooled_patches()
    N, d = P.shape
    pool, test = split(N, np.random.default_rng([seed, 0]))
    Sigma = second_moment(P[test])
    L = np.linalg.cholesky(Sigma)
    result = Result(budget, seed, d, N, counts, len(pool), len(test))

    ns = {g: int(Fraction(d) / g) for g in budget.gammas}
    if max(ns.values()) > len(pool):
        raise BadParameter("gamma", f"n = {max(ns.values())} exceeds the pool of {len(pool)} patches")
    steps = len(budget.gammas) * K + len(budget.gammas) * len(budget.mask_ratios) \
        + len(budget.mask_ratios) * budget.curve_points + budget.density_points
    done = 0

    def tick(stage):
        nonlocal done
        done += 1
        if progress is not None:
            progress(stage, done, steps)

    real = {key: [] for key in ((g, p) for g in budget.gammas for p in budget.mask_ratios)}
    gauss = {key: [] for key in real}
    spectra_real, spectra_gauss = [], []
    for i, g in enumerate(budget.gammas):
        n = ns[g]
        for k in range(K):
            rows = np.random.default_rng([seed, 1, i, k]).choice(pool, size=n, replace=False)
            X = P[rows]
            Z = np.random.default_rng([seed, 2, i, k]).standard_normal((n, d)) @ L.T
            for p in budget.mask_ratios:
                value, fitted = _measure(X, Sigma, p)
                real[g, p].append(value)
                value_g, fitted_g = _measure(Z, Sigma, p)
                gauss[g, p].append(value_g)
                if (g, p) == budget.spectrum:
                    spectra_real.append(fitted.spectrum)
                    spectra_gauss.append(fitted_g.spectrum)
            tick("fits")

    for g in budget.gammas:
        for p in budget.mask_ratios:
            measured, measured_se = _mean_se(real[g, p])
            surrogate, surrogate_se = _mean_se(gauss[g, p])
            result.rows.append({
                "gamma": g, "n": ns[g], "mask_ratio": p, "measured": measured,
                "measured_stderr": measured_se, "theory": theory_error(Sigma, g, p),
                "gaussian_surrogate": surrogate, "gaussian_surrogate_stderr": surrogate_se})
            tick("theory")

    curve_ns = _curve_ns(d, budget.gammas, budget.curve_points)
    for p in budget.mask_ratios:
        values = []
        for n in curve_ns:
            values.append(theory_error(Sigma, Fraction(d, int(n)), p))
            tick("theory curves")
        result.curves[p] = (curve_ns, np.array(values))

    if spectra_real:
        result.spectrum_real = np.concatenate(spectra_real)
        result.spectrum_gauss = np.concatenate(spectra_gauss)
        result.density = _density_curve(Sigma, *budget.spectrum, result, budget.density_points,
                                        tick)
    result.seconds = time.monotonic() - start
    return result


def _density_curve(Sigma, gamma, p, result: Result, points: int, tick):
    """The theory density on a grid covering both histograms (plus 5 % on each side).

    The grid is uniform, with extra points near the ends of the histograms where the density
    of a bulk has square-root edges.
    """
    values = np.concatenate([result.spectrum_real, result.spectrum_gauss])
    lo, hi = float(values.min()), float(values.max())
    pad = 0.05 * (hi - lo)
    half = points // 2
    nodes = np.arange(1, half + 1) / (half + 1)
    grid = np.union1d(lo - pad + (hi - lo + 2 * pad) * (1 - np.cos(np.pi * nodes)) / 2,
                      np.linspace(lo - pad, hi + pad, points - half))
    rho = []
    for chunk in np.array_split(grid, max(1, len(grid) // _DENSITY_CHUNK)):
        rho.append(theory_density(chunk, Sigma, gamma, p))
        for _ in chunk:
            tick("density")
    return grid, np.concatenate(rho)


# ----------------------------------------------------------------------------------------------
# Outputs


def _text(x) -> str:
    return str(x) if isinstance(x, (int, Fraction)) else repr(float(x))


def write_csv(result: Result, path: str) -> str:
    """``images.csv``: one row per ``(γ, p)`` with the columns :data:`COLUMNS` (exact ``γ``, ``p``)."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for row in result.rows:
            writer.writerow([_text(row[column]) for column in COLUMNS])
    return path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str) -> str:
    plt = _pyplot()
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)
    return path


def _label(p) -> str:
    return "$p = 0$ (leave-one-out)" if p == 0 else f"$p = {p}$"


def plot_errors(result: Result, path: str) -> str:
    """``images-errors.png``: ``E(p)`` against ``n`` (log x), measured ± SE, surrogate, theory.

    Lower panel: the relative deviation from theory in percent, with the same markers.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8.6, 7.4), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    by_colour = []
    for j, p in enumerate(result.budget.mask_ratios):
        colour = colours[j % len(colours)]
        rows = [row for row in result.rows if row["mask_ratio"] == p]
        n = np.array([row["n"] for row in rows], dtype=float)
        measured = np.array([row["measured"] for row in rows])
        measured_se = np.array([row["measured_stderr"] for row in rows])
        surrogate = np.array([row["gaussian_surrogate"] for row in rows])
        surrogate_se = np.array([row["gaussian_surrogate_stderr"] for row in rows])
        theory = np.array([row["theory"] for row in rows])
        curve_n, curve = result.curves[p]
        top.plot(curve_n, curve, "-", color=colour, lw=1.4)
        top.errorbar(n, measured, yerr=measured_se, fmt="o", color=colour, ms=6, capsize=3)
        top.plot(n, surrogate, "x", color=colour, ms=8, mew=1.6)
        bottom.errorbar(n, 100 * (measured / theory - 1), yerr=100 * measured_se / theory,
                        fmt="o-", color=colour, ms=5, capsize=3, lw=0.8)
        bottom.errorbar(n * 1.03, 100 * (surrogate / theory - 1), yerr=100 * surrogate_se / theory,
                        fmt="x--", color=colour, ms=7, mew=1.4, capsize=2, lw=0.8)
        by_colour.append(Line2D([], [], color=colour, lw=6, label=_label(p)))
    styles = [Line2D([], [], color="black", lw=1.4, label="theory (given $\\Sigma$)"),
              Line2D([], [], color="black", marker="o", ls="none", label="patches, mean ± SE"),
              Line2D([], [], color="black", marker="x", ls="none", mew=1.6, ms=8,
                     label="Gaussian, same $\\Sigma$")]
    first = top.legend(handles=by_colour, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                       title="training = test ratio", title_fontsize=8)
    top.add_artist(first)
    top.legend(handles=styles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 0.62))
    top.set_xscale("log")
    top.set_ylabel("masked test error $E(q = p)$, held-out patches")
    top.set_title(f"Â$_p$ on natural-image patches (d = {result.d}, $\\lambda = {LAM}$, "
                  f"{result.budget.subsets} training sets per point)", fontsize=10)
    top.grid(alpha=0.3, which="both")
    bottom.axhline(0, color="black", lw=0.8)
    bottom.set_xlabel("training patches $n = d/\\gamma$ (log scale)")
    bottom.set_ylabel("(value − theory)/theory [%]")
    bottom.grid(alpha=0.3, which="both")
    bottom.legend(handles=styles[1:], fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title="error bars: ± 1 SE", title_fontsize=8)
    ticks = sorted({row["n"] for row in result.rows})
    bottom.set_xticks(ticks)
    bottom.set_xticklabels([str(t) for t in ticks])
    bottom.minorticks_off()
    fig.tight_layout()
    return _save(fig, path)


def plot_spectrum(result: Result, path: str) -> str:
    """``images-spectrum.png``: histograms of the eigenvalues of ``Â_p`` against the theory density."""
    plt = _pyplot()
    gamma, p = result.budget.spectrum
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    values = np.concatenate([result.spectrum_real, result.spectrum_gauss])
    bins = np.linspace(values.min(), values.max(), 60)
    ax.hist(result.spectrum_real, bins=bins, density=True, alpha=0.45, color="C0",
            label=f"patches ({result.budget.subsets} training sets pooled)")
    ax.hist(result.spectrum_gauss, bins=bins, density=True, histtype="step", lw=1.4, color="C1",
            label="Gaussian, same $\\Sigma$")
    a, rho = result.density
    ax.plot(a, rho, "-", color="black", lw=1.3, label="theory density (given $\\Sigma$)")
    ax.set_xlabel("eigenvalue $a$ of Â$_p$")
    ax.set_ylabel("density")
    ax.set_title(f"Spectrum of Â$_p$ on patches: $\\gamma = {gamma}$ (n = {int(result.d / gamma)}), "
                 f"$p = {p}$, $\\lambda = {LAM}$", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def _deviation(row, key: str) -> tuple[float, float]:
    """``(value − theory)/theory`` and its standard error ``SE/theory``, for ``key`` of ``row``."""
    theory = row["theory"]
    return row[key] / theory - 1, row[f"{key}_stderr"] / theory


def _percent(x: float) -> str:
    return f"{100 * x:+.2f}%"


def _summary(result: Result) -> list[str]:
    """Plain sentences from the measured deviations (no number is typed in)."""
    lines = []
    for p in result.budget.mask_ratios:
        rows = [row for row in result.rows if row["mask_ratio"] == p]
        devs = [(_deviation(row, "measured")[0], row["gamma"]) for row in rows]
        worst, at = max(devs, key=lambda item: abs(item[0]))
        lo, hi = min(d for d, _ in devs), max(d for d, _ in devs)
        if lo > 0:
            sign = "above the theory on every γ: the theory over-predicts the quality of the fit"
        elif hi < 0:
            sign = "below the theory on every γ: the theory under-predicts the quality of the fit"
        else:
            sign = "on both sides of the theory"
        lines.append(f"- {_label(p).replace('$', '')}: the measured error on patches is {sign}; "
                     f"deviations from {_percent(lo)} to {_percent(hi)}, largest "
                     f"{_percent(worst)} at γ = {at}.")
    surrogate = [(_deviation(row, "gaussian_surrogate"), row) for row in result.rows]
    worst = max(surrogate, key=lambda item: abs(item[0][0]))
    z = [dev / se for (dev, se), _ in surrogate]
    lines.append(f"- Gaussian data with the same Σ: largest deviation {_percent(worst[0][0])} "
                 f"(γ = {worst[1]['gamma']}, p = {worst[1]['mask_ratio']}); "
                 f"|z| = |deviation|/SE at most {max(abs(v) for v in z):.1f} over the "
                 f"{len(z)} points.")
    measured_z = [abs(_deviation(row, "measured")[0] / _deviation(row, "measured")[1])
                  for row in result.rows]
    surrogate_z = [abs(v) for v in z]
    lines.append(f"- The patch deviations are {min(measured_z):.1f} to {max(measured_z):.1f} "
                 f"standard errors from zero, those of the surrogate {min(surrogate_z):.1f} to "
                 f"{max(surrogate_z):.1f}.")
    by_p = {p: max(abs(_deviation(row, "measured")[0]) for row in result.rows
                   if row["mask_ratio"] == p) for p in result.budget.mask_ratios}
    worst_p = max(by_p, key=by_p.get)
    lines.append(f"- The worst masking ratio for the theory is p = {worst_p} "
                 f"(largest |deviation| {100 * by_p[worst_p]:.2f}%).")
    return lines


def summary_table(result: Result) -> str:
    """The deviations from theory, one line per ``(γ, p)``, for the terminal."""
    lines = [f"{'gamma':>6} {'n':>5} {'p':>4} {'measured':>10} {'theory':>10} {'dev':>16} "
             f"{'surrogate':>10} {'dev':>16}"]
    for row in result.rows:
        dm, sm = _deviation(row, "measured")
        dg, sg = _deviation(row, "gaussian_surrogate")
        lines.append(f"{str(row['gamma']):>6} {row['n']:>5} {str(row['mask_ratio']):>4} "
                     f"{row['measured']:>10.5f} {row['theory']:>10.5f} "
                     f"{_percent(dm) + ' +/- ' + f'{100 * sm:.2f}%':>16} "
                     f"{row['gaussian_surrogate']:>10.5f} "
                     f"{_percent(dg) + ' +/- ' + f'{100 * sg:.2f}%':>16}")
    return "\n".join(lines)


def spectrum_distance(result: Result) -> dict:
    """How the spectra of the spectrum figure compare with the theory density, on its grid.

    ``mass``: ``∫ρ`` by the trapezoidal rule (1 when the grid resolves the density);
    ``patches`` and ``surrogate``: the Kolmogorov distance ``max_a |F_emp(a) − F(a)|`` between
    the empirical distribution function of the pooled eigenvalues and ``F(a) = ∫_{−∞}^a ρ``
    (cumulative trapezoidal rule, normalised by ``mass``), over the grid points.
    """
    a, rho = result.density
    F = np.concatenate([[0.0], np.cumsum(np.diff(a) * (rho[1:] + rho[:-1]) / 2)])
    mass = float(F[-1])
    F = F / mass

    def distance(values):
        values = np.sort(values)
        return float(np.max(np.abs(np.searchsorted(values, a, side="right") / values.size - F)))

    return {"mass": mass, "patches": distance(result.spectrum_real),
            "surrogate": distance(result.spectrum_gauss)}


def write_report(result: Result, path: str, files=()) -> str:
    """``report.md``: the deviation table for every ``(γ, p)`` with SEs, and the summary."""
    b = result.budget
    out = [
        "# Real data: masked image modelling on natural-image patches",
        "",
        f"{len(result.counts)} images of `skimage.data` ({', '.join(result.counts)}), "
        f"{PATCH}×{PATCH} patches at stride {STRIDE} (d = {result.d}), "
        f"{result.patches} patches pooled, standardised globally (one mean, one standard "
        f"deviation). Random split (seed {result.seed}): {result.held_out} held-out patches "
        f"(population Σ = their covariance about zero, and the test set), "
        f"{result.pool} in the training pool. λ = {LAM}; {b.subsets} training sets per γ "
        f"(drawn without replacement, shared by every p).",
        "",
        "`measured` is the masked test error E(q = p) of Â_p on the held-out patches "
        "(`gen_error(A, Σ, p)`, exact for the held-out set and averaged over masks), "
        "`theory` the given-covariance deterministic equivalent "
        "(`numerics.covariance.evaluate`), `surrogate` the same fit on Gaussian data "
        "with the same Σ. Deviations are relative to theory, ± one standard error over the "
        "training sets.",
        "",
        "| γ | n | p | measured | theory | (measured − theory)/theory | surrogate | "
        "(surrogate − theory)/theory |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in result.rows:
        dm, sm = _deviation(row, "measured")
        dg, sg = _deviation(row, "gaussian_surrogate")
        out.append(f"| {row['gamma']} | {row['n']} | {row['mask_ratio']} | {row['measured']:.5f} | "
                   f"{row['theory']:.5f} | {_percent(dm)} ± {100 * sm:.2f}% | "
                   f"{row['gaussian_surrogate']:.5f} | {_percent(dg)} ± {100 * sg:.2f}% |")
    out += ["", "## Where the theory holds and where it fails", "", *_summary(result), ""]
    names = [os.path.basename(f) for f in files]
    if "images-errors.png" in names:
        out += ["## Figures", "",
                "![masked test error against n](images-errors.png)", "",
                "E(q = p) against the number of training patches: theory curves (given Σ), "
                "patches (mean ± SE), Gaussian data with the same Σ; below, the relative "
                "deviation from theory in percent.", ""]
    if "images-spectrum.png" in names:
        gamma, p = b.spectrum
        dist = spectrum_distance(result)
        out += ["![spectrum of the masked estimator](images-spectrum.png)", "",
                f"Eigenvalues of Â_p at γ = {gamma}, p = {p} ({b.subsets} training sets pooled, "
                f"{result.spectrum_real.size} eigenvalues each) against the limiting density "
                f"of SPEC §5 (E3) for this Σ (`numerics.covariance.density`, "
                f"{len(result.density[0])} points; its integral on the grid is "
                f"{dist['mass']:.4f}). Kolmogorov distance between the empirical distribution "
                f"of the eigenvalues and the theory: patches {dist['patches']:.3f}, Gaussian "
                f"surrogate {dist['surrogate']:.3f}.", ""]
    if files:
        out += ["## Files", "", *[f"- `{name}`" for name in names], ""]
    out += [f"Run time {result.seconds:.1f} s (one BLAS thread).", ""]
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("\n".join(out))
    return path


def write_all(result: Result, directory: str) -> list[str]:
    """Write ``images.csv``, ``images-errors.png``, ``images-spectrum.png`` and ``report.md``."""
    files = [write_csv(result, os.path.join(directory, "images.csv")),
             plot_errors(result, os.path.join(directory, "images-errors.png"))]
    if result.density is not None:
        files.append(plot_spectrum(result, os.path.join(directory, "images-spectrum.png")))
    files.append(write_report(result, os.path.join(directory, "report.md"), files))
    return files
