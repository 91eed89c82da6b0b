r"""Real data: masked image modelling on scikit-image's natural images.

The textbook case of masked modelling is natural-image patches. ``ssr images --out DIR``
measures the masked test error of the ratio-``p`` estimator ``Â_p`` fitted on real patches and
sets it against three predictions: the given-covariance deterministic equivalent for Gaussian
data (:func:`numerics.covariance.evaluate`), the same equivalent for *elliptical* data whose
per-patch scale law is read off the patches, and a Gaussian scale mixture simulated with that
law. Gaussian data of the same covariance are measured too.

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
(``E(q) = (1/d) Σ_k [Σ_kk − 2(1−q)(AΣ)_kk + (1−q)²(AΣAᵀ)_kk + q(1−q)(A diag Σ Aᵀ)_kk]`` is
linear in the second moment). Centring per coordinate changes ``Σ`` by a relative Frobenius
amount of about ``3·10⁻⁵`` here (each pixel has the same mean up to ``10⁻²``).

**The scale of a patch.** Patches are far from Gaussian mainly through their contrast: flat sky
and textured grass share a correlation structure but not a scale. The elliptical model
``x = √τ Σ^{1/2} z`` (``z`` Gaussian, ``τ ~ ρ`` independent, ``E τ = 1``) captures exactly this.
Each held-out patch gets ``τ̂ = xᵀΣ⁻¹x/d`` (:func:`scale_estimates`, one triangular solve with the
Cholesky factor of ``Σ``); their mean is ``tr(Σ⁻¹Σ)/d = 1`` by construction (the same patches
define ``Σ``; measured ``1 ± 10⁻¹⁵``), and their empirical law, rescaled to mean 1 in float64, is
the scale law ``ρ`` of the run (:func:`numerics.scale.from_samples`: tens of thousands of float
samples, no exact fractions). For a Gaussian row ``τ̂ = ‖z‖²/d`` would have ``E τ̂² ≈ 1 + 2/d``; the
patches give about 4.7, with a tenth of them below 0.01 (seed 0).

**Measurement.** For ``γ ∈ {1, 1/2, 1/4, 1/10}`` and ``p ∈ {0, 1/4, 1/2}``, ``λ = 10⁻²``:
``K`` training sets of ``n = d/γ`` patches drawn without replacement from the pool; on each,
``Â_p`` is fitted with the toolkit's masked estimator (:mod:`numerics.estimators`, one
Cholesky factorisation of ``G = (1−p)S + p diag S + λ/(1−p)``) and ``measured`` is the mean over
the ``K`` sets of ``E(p)`` on the held-out set (``numerics.estimator.gen_error(Â_p, Σ, p)``),
with its standard error ``sd/√K``. The same training sets serve every ``p`` (a paired design).
The columns (:data:`COLUMNS`):

- ``theory``: :func:`theory_error`, the Gaussian given-covariance equivalent;
- ``gaussian_surrogate``: the same fits and measurement on Gaussian rows ``x = L z``
  (``LLᵀ = Σ``, ``z ~ N(0, I)``), mean and standard error over ``K`` draws;
- ``elliptical``: :func:`theory_error` with ``scale=ρ``, the covariance route under the scale law
  (``1/(1+δ)`` becomes ``c(δ) = ∫ τ/(1+τδ) dρ`` in (E1)–(E2));
- ``gsm_surrogate``: the same fits and measurement on a Gaussian scale mixture
  ``x = √τ L z`` with ``τ`` drawn i.i.d. from the ``τ̂`` (the model for which ``elliptical`` is the
  exact limit), mean and standard error over ``K`` draws;
- ``point``: the exact ``γ;p`` of the row (the numeric columns are decimals, ``float64`` in pandas).

Seeds: the split uses ``default_rng([seed, 0])``, the ``k``-th training set at the ``i``-th ``γ``
``default_rng([seed, 1, i, k])``, its Gaussian twin ``default_rng([seed, 2, i, k])`` and its GSM
twin ``default_rng([seed, 3, i, k])`` (the ``n×d`` normals first, then the ``n`` scales).

What it shows (full budget, seeds 0–2): the Gaussian theory misses the patches by up to 26 %
(at ``p = 0``), the elliptical theory by at most 3.4 %, and the GSM surrogate lies within 1.5 %
of the elliptical theory: the scale variation of the patches accounts for nearly all of the
failure of the Gaussian theory. The report computes these numbers afresh on each run.

**Threads.** :func:`run` limits BLAS to one thread (``threadpoolctl``): every matrix is
``144×144`` (or ``1440×144``), too small for threads, and on a busy 2-core machine
multi-threaded OpenBLAS made one theory evaluation 60 times slower (0.25 s against 4 ms).

**Spectrum.** The eigenvalues of ``Â_p`` at ``γ = 1/2``, ``p = 1/4`` (pooled over the ``K``
training sets: patches and both surrogates) against the limiting densities
:func:`theory_density` of (E3) with the given ``Σ``, Gaussian and under ``ρ`` (then with
``c(δ(u))``). Both are evaluated at the tiny default height ``η`` (no smoothing), so they show
the fine structure of the equivalent for this finite ``Σ`` near the lower edge; where two
neighbouring grid values differ by more than a tenth of the peak, points are added (twice at
most) so that narrow peaks are resolved rather than cut.

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
from numerics.scale import from_samples

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
    "scale_estimates",
    "theory_error",
    "theory_density",
    "fit",
    "run",
    "summary_table",
    "summary_sentences",
    "predictions_table",
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
           "gaussian_surrogate", "gaussian_surrogate_stderr", "elliptical", "gsm_surrogate",
           "gsm_surrogate_stderr", "point")


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
    elliptical_curves: dict = field(default_factory=dict)  # p -> elliptical theory on the same n
    spectrum_real: np.ndarray | None = None
    spectrum_gauss: np.ndarray | None = None
    spectrum_gsm: np.ndarray | None = None
    density: tuple | None = None  # (a array, ρ array)
    density_elliptical: np.ndarray | None = None  # the elliptical density on the grid of ``density``
    scale_law: object = None  # the ScaleLaw of the τ̂ (numerics.scale.from_samples)
    tau_mean: float = float("nan")  # mean of the τ̂ before the rescaling to 1 (1 up to rounding)
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


def scale_estimates(X, L) -> np.ndarray:
    """``τ̂_i = x_iᵀ Σ⁻¹ x_i / d`` for the rows of ``X``, with ``L`` the Cholesky factor of ``Σ``.

    ``‖L⁻¹ x_i‖²/d`` by one triangular solve. When ``Σ = XᵀX/m`` (:func:`second_moment` of the
    same rows) their mean is ``tr(Σ⁻¹Σ)/d = 1`` exactly, up to rounding.

    >>> X = np.random.default_rng(0).standard_normal((50, 3))
    >>> tau = scale_estimates(X, np.linalg.cholesky(second_moment(X)))
    >>> bool(abs(tau.mean() - 1) < 1e-14)
    True
    """
    from scipy.linalg import solve_triangular

    Y = solve_triangular(np.asarray(L, dtype=np.float64), np.asarray(X, dtype=np.float64).T, lower=True,
                         check_finite=False)
    return np.einsum("ij,ij->j", Y, Y) / Y.shape[0]


# ----------------------------------------------------------------------------------------------
# Theory (the given-covariance route, numerics.covariance; never reimplemented here)


def _covariance():
    from numerics import covariance

    return covariance


def theory_error(Sigma, gamma, p, lam=LAM, scale=None) -> float:
    """The limit of the masked test error ``E(q = p)`` of ``Â_p`` for the exact population ``Σ``.

    ``numerics.covariance.evaluate("gen-error", Σ, gamma=γ, lam=λ, mask_ratio=p,
    test_mask_ratio=p, scale=scale)``: the given-covariance deterministic equivalent
    (``δ = γ tr(Σ R̄)/d``, ``R̄ = (Σ/(1+δ) + B)⁻¹``, ``b_k = (pΣ_kk + λ/(1−p))/(1−p)``); with a
    scale law ``scale`` (elliptical data) ``1/(1+δ)`` becomes ``c(δ) = ∫ τ/(1+τδ) dρ``.
    """
    return float(_covariance().evaluate("gen-error", Sigma, gamma=gamma, lam=lam, mask_ratio=p,
                                        test_mask_ratio=p, scale=scale))


def theory_density(a, Sigma, gamma, p, lam=LAM, scale=None):
    """The limiting density of the eigenvalues of ``Â_p`` at ``a`` ((E3) with the given ``Σ``).

    ``numerics.covariance.density(a, Σ, gamma=γ, lam=λ, mask_ratio=p, scale=scale)``: a float for
    a float ``a``, an array for an array (whose points are solved in increasing order, each from
    the previous one); ``scale``: the scale law of elliptical data (``None``: Gaussian).
    """
    value = _covariance().density(a, Sigma, gamma=gamma, lam=lam, mask_ratio=p, scale=scale)
    return float(value) if np.ndim(a) == 0 else np.asarray(value, dtype=float)


# ----------------------------------------------------------------------------------------------
# Fits and measurement


def fit(X, p, lam=LAM) -> estimators.Fit:
    """The toolkit's masked estimator ``Â_p`` fitted on ``X`` (``.matrix``, ``.spectrum``).

    ``Â_p = (I − diag(G⁻¹)⁻¹ G⁻¹)/(1−p)``, ``G = (1−p)S + p diag S + λ/(1−p)``, ``S = XᵀX/n``
    (the masking section of docs/theory.md; ``p = 0`` is the leave-one-out ``Â``).
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
    tau = scale_estimates(P[test], L)
    law = from_samples(tau)
    result = Result(budget, seed, d, N, counts, len(pool), len(test), scale_law=law,
                    tau_mean=float(np.mean(tau)))

    ns = {g: int(Fraction(d) / g) for g in budget.gammas}
    if max(ns.values()) > len(pool):
        raise BadParameter("gamma", f"n = {max(ns.values())} exceeds the pool of {len(pool)} patches")
    steps = len(budget.gammas) * K + len(budget.gammas) * len(budget.mask_ratios) \
        + len(budget.mask_ratios) * budget.curve_points + 2 * budget.density_points
    done = 0

    def tick(stage):
        nonlocal done
        done += 1
        if progress is not None:
            progress(stage, done, steps)

    real = {key: [] for key in ((g, p) for g in budget.gammas for p in budget.mask_ratios)}
    gauss = {key: [] for key in real}
    gsm = {key: [] for key in real}
    spectra_real, spectra_gauss, spectra_gsm = [], [], []
    for i, g in enumerate(budget.gammas):
        n = ns[g]
        for k in range(K):
            rows = np.random.default_rng([seed, 1, i, k]).choice(pool, size=n, replace=False)
            X = P[rows]
            Z = np.random.default_rng([seed, 2, i, k]).standard_normal((n, d)) @ L.T
            twin = np.random.default_rng([seed, 3, i, k])  # the GSM twin: x = √τ L z, τ from the τ̂
            Y = twin.standard_normal((n, d)) @ L.T
            Y *= np.sqrt(law.draw(twin, n))[:, None]
            for p in budget.mask_ratios:
                value, fitted = _measure(X, Sigma, p)
                real[g, p].append(value)
                value_g, fitted_g = _measure(Z, Sigma, p)
                gauss[g, p].append(value_g)
                value_e, fitted_e = _measure(Y, Sigma, p)
                gsm[g, p].append(value_e)
                if (g, p) == budget.spectrum:
                    spectra_real.append(fitted.spectrum)
                    spectra_gauss.append(fitted_g.spectrum)
                    spectra_gsm.append(fitted_e.spectrum)
            tick("fits")

    for g in budget.gammas:
        for p in budget.mask_ratios:
            measured, measured_se = _mean_se(real[g, p])
            surrogate, surrogate_se = _mean_se(gauss[g, p])
            twin, twin_se = _mean_se(gsm[g, p])
            result.rows.append({
                "gamma": g, "n": ns[g], "mask_ratio": p, "measured": measured,
                "measured_stderr": measured_se, "theory": theory_error(Sigma, g, p),
                "gaussian_surrogate": surrogate, "gaussian_surrogate_stderr": surrogate_se,
                "elliptical": theory_error(Sigma, g, p, scale=law),
                "gsm_surrogate": twin, "gsm_surrogate_stderr": twin_se})
            tick("theory")

    curve_ns = _curve_ns(d, budget.gammas, budget.curve_points)
    for p in budget.mask_ratios:
        values, elliptical = [], []
        for n in curve_ns:
            values.append(theory_error(Sigma, Fraction(d, int(n)), p))
            elliptical.append(theory_error(Sigma, Fraction(d, int(n)), p, scale=law))
            tick("theory curves")
        result.curves[p] = (curve_ns, np.array(values))
        result.elliptical_curves[p] = np.array(elliptical)

    if spectra_real:
        result.spectrum_real = np.concatenate(spectra_real)
        result.spectrum_gauss = np.concatenate(spectra_gauss)
        result.spectrum_gsm = np.concatenate(spectra_gsm)
        result.density = _density_curve(Sigma, *budget.spectrum, result, budget.density_points,
                                        tick)
        result.density_elliptical = _density_values(Sigma, *budget.spectrum, result.density[0],
                                                    tick, scale=law)
        _refine_density(Sigma, *budget.spectrum, result, law)
    result.seconds = time.monotonic() - start
    return result


def _density_curve(Sigma, gamma, p, result: Result, points: int, tick):
    """The theory density on a grid covering both histograms (plus 5 % on each side).

    The grid is uniform, with extra points near the ends of the histograms where the density
    of a bulk has square-root edges.
    """
    values = np.concatenate([result.spectrum_real, result.spectrum_gauss]
                            + ([] if result.spectrum_gsm is None else [result.spectrum_gsm]))
    lo, hi = float(values.min()), float(values.max())
    pad = 0.05 * (hi - lo)
    half = points // 2
    nodes = np.arange(1, half + 1) / (half + 1)
    grid = np.union1d(lo - pad + (hi - lo + 2 * pad) * (1 - np.cos(np.pi * nodes)) / 2,
                      np.linspace(lo - pad, hi + pad, points - half))
    return grid, _density_values(Sigma, gamma, p, grid, tick)


_REFINE_JUMP = 0.1  # refine where neighbouring values differ by more than this fraction of the peak
_REFINE_PASSES = 2


def _refine_density(Sigma, gamma, p, result: Result, law):
    """Resolve the narrow peaks of both theory densities: where two neighbouring grid values of
    either differ by more than ``_REFINE_JUMP`` of its peak, three points are added inside the
    interval (at most ``_REFINE_PASSES`` times); ``result.density`` and ``density_elliptical``
    are replaced by the merged grid. Each density is still :func:`theory_density` at its points."""
    grid, rho = result.density
    ell = result.density_elliptical
    for _ in range(_REFINE_PASSES):
        flagged = np.zeros(grid.size - 1, dtype=bool)
        for values in (rho, ell):
            flagged |= np.abs(np.diff(values)) > _REFINE_JUMP * values.max()
        index = np.flatnonzero(flagged)
        if not index.size:
            break
        new = np.sort((grid[index, None] + np.diff(grid)[index, None] * np.array([0.25, 0.5, 0.75])).ravel())
        grid = np.concatenate([grid, new])
        rho = np.concatenate([rho, theory_density(new, Sigma, gamma, p)])
        ell = np.concatenate([ell, theory_density(new, Sigma, gamma, p, scale=law)])
        order = np.argsort(grid, kind="stable")
        grid, rho, ell = grid[order], rho[order], ell[order]
    result.density = (grid, rho)
    result.density_elliptical = ell


def _density_values(Sigma, gamma, p, grid, tick, scale=None):
    """:func:`theory_density` on ``grid`` in chunks (a progress tick per point)."""
    rho = []
    for chunk in np.array_split(grid, max(1, len(grid) // _DENSITY_CHUNK)):
        rho.append(theory_density(chunk, Sigma, gamma, p, scale=scale))
        for _ in chunk:
            tick("density" if scale is None else "elliptical density")
    return np.concatenate(rho)


# ----------------------------------------------------------------------------------------------
# Outputs


def _text(x) -> str:
    return str(x) if isinstance(x, int) else repr(float(x))


def write_csv(result: Result, path: str) -> str:
    """``images.csv``: one row per ``(γ, p)`` with the columns :data:`COLUMNS`: numbers as decimals
    (``pandas.read_csv`` gives ``float64``; ``n`` an integer) and ``point``, the exact ``γ;p``."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for row in result.rows:
            writer.writerow([*(_text(row[column]) for column in COLUMNS[:-1]), f"{row['gamma']};{row['mask_ratio']}"])
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
    """``images-errors.png``: ``E(p)`` against ``n`` (log x) with the three predictions.

    Top: the Gaussian theory (solid curves) and the elliptical theory (dashed curves), the
    measurement on patches (mean ± SE), the Gaussian surrogate (×) and the GSM surrogate (open △).
    Middle: deviations from the Gaussian theory (patches, Gaussian surrogate); bottom: deviations
    from the elliptical theory (patches, GSM surrogate), in percent with ± 1 SE.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D

    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(9.0, 9.6), sharex=True,
                                              gridspec_kw={"height_ratios": [3, 2, 2]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    by_colour = []
    for j, p in enumerate(result.budget.mask_ratios):
        colour = colours[j % len(colours)]
        rows = [row for row in result.rows if row["mask_ratio"] == p]
        n = np.array([row["n"] for row in rows], dtype=float)
        column = {key: np.array([row[key] for row in rows]) for key in COLUMNS[3:-1]}
        curve_n, curve = result.curves[p]
        top.plot(curve_n, curve, "-", color=colour, lw=1.4)
        if p in result.elliptical_curves:
            top.plot(curve_n, result.elliptical_curves[p], "--", color=colour, lw=1.4)
        top.errorbar(n, column["measured"], yerr=column["measured_stderr"], fmt="o", color=colour,
                     ms=6, capsize=3)
        top.plot(n, column["gaussian_surrogate"], "x", color=colour, ms=8, mew=1.6)
        top.plot(n * 1.03, column["gsm_surrogate"], "^", color=colour, ms=6, mfc="none", mew=1.3)
        for axis, base, twin, marker in ((middle, "theory", "gaussian_surrogate", "x"),
                                         (bottom, "elliptical", "gsm_surrogate", "^")):
            ref = column[base]
            axis.errorbar(n, 100 * (column["measured"] / ref - 1), yerr=100 * column["measured_stderr"] / ref,
                          fmt="o-", color=colour, ms=5, capsize=3, lw=0.8)
            axis.errorbar(n * 1.03, 100 * (column[twin] / ref - 1), yerr=100 * column[f"{twin}_stderr"] / ref,
                          fmt=marker + "--", color=colour, ms=6, mew=1.3, mfc="none", capsize=2, lw=0.8)
        by_colour.append(Line2D([], [], color=colour, lw=6, label=_label(p)))
    black = dict(color="black", ls="none")
    styles = [Line2D([], [], color="black", lw=1.4, label="Gaussian theory (given $\\Sigma$)"),
              Line2D([], [], color="black", lw=1.4, ls="--", label="elliptical theory\n($\\Sigma$ and law of $\\hat\\tau$)"),
              Line2D([], [], marker="o", label="patches, mean ± SE", **black),
              Line2D([], [], marker="x", mew=1.6, ms=8, label="Gaussian surrogate", **black),
              Line2D([], [], marker="^", mfc="none", mew=1.3, label="GSM surrogate", **black)]
    first = top.legend(handles=by_colour, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                       title="training = test ratio", title_fontsize=8)
    top.add_artist(first)
    top.legend(handles=styles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 0.6))
    top.set_xscale("log")
    top.set_ylabel("masked test error $E(q = p)$\non held-out patches")
    top.set_title(f"Â$_p$ on natural-image patches (d = {result.d}, $\\lambda = {LAM}$, "
                  f"{result.budget.subsets} training sets per point)", fontsize=10)
    top.grid(alpha=0.3, which="both")
    for axis, name, handles in ((middle, "Gaussian theory", [styles[2], styles[3]]),
                                (bottom, "elliptical theory", [styles[2], styles[4]])):
        axis.axhline(0, color="black", lw=0.8)
        axis.set_ylabel(f"deviation from the\n{name} [%]")
        axis.grid(alpha=0.3, which="both")
        axis.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                    title=f"relative to the {name}\nerror bars: ± 1 SE",
                    title_fontsize=8)
    bottom.set_xlabel("training patches $n = d/\\gamma$ (log scale)")
    ticks = sorted({row["n"] for row in result.rows})
    bottom.set_xticks(ticks)
    bottom.set_xticklabels([str(t) for t in ticks])
    bottom.minorticks_off()
    fig.tight_layout()
    return _save(fig, path)


def plot_spectrum(result: Result, path: str) -> str:
    """``images-spectrum.png``: histograms of the eigenvalues of ``Â_p`` (patches, both surrogates)
    against the Gaussian and the elliptical limiting densities."""
    plt = _pyplot()
    gamma, p = result.budget.spectrum
    fig, ax = plt.subplots(figsize=(7.6, 4.6))
    spectra = [result.spectrum_real, result.spectrum_gauss]
    if result.spectrum_gsm is not None:
        spectra.append(result.spectrum_gsm)
    values = np.concatenate(spectra)
    bins = np.linspace(values.min(), values.max(), 60)
    ax.hist(result.spectrum_real, bins=bins, density=True, alpha=0.45, color="C0",
            label=f"patches ({result.budget.subsets} training sets pooled)")
    ax.hist(result.spectrum_gauss, bins=bins, density=True, histtype="step", lw=1.3, color="C1",
            label="Gaussian surrogate (same $\\Sigma$)")
    if result.spectrum_gsm is not None:
        ax.hist(result.spectrum_gsm, bins=bins, density=True, histtype="step", lw=1.3, color="C2",
                label="GSM surrogate ($\\sqrt{\\tau}\\,Lz$, $\\tau$ from $\\hat\\tau$)")
    a, rho = result.density
    ax.plot(a, rho, "-", color="black", lw=1.3, label="Gaussian theory density (given $\\Sigma$)")
    if result.density_elliptical is not None:
        ax.plot(a, result.density_elliptical, "--", color="C3", lw=1.5,
                label="elliptical theory density ($\\Sigma$, law of $\\hat\\tau$)")
    ax.set_xlabel("eigenvalue $a$ of Â$_p$")
    ax.set_ylabel("density")
    ax.set_title(f"Spectrum of Â$_p$ on patches: $\\gamma = {gamma}$ (n = {int(result.d / gamma)}), "
                 f"$p = {p}$, $\\lambda = {LAM}$", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def _deviation(row, key: str, base: str = "theory") -> tuple[float, float]:
    """``(value − base)/base`` and its standard error ``SE/base``, for ``key`` of ``row``."""
    ref = row[base]
    return row[key] / ref - 1, row[f"{key}_stderr"] / ref


def _percent(x: float) -> str:
    return f"{100 * x:+.2f}%"


def summary_sentences(result: Result) -> list[str]:
    """Plain sentences from the measured deviations (no number is typed in)."""
    lines = []
    for p in result.budget.mask_ratios:
        rows = [row for row in result.rows if row["mask_ratio"] == p]
        devs = [(_deviation(row, "measured")[0], row["gamma"]) for row in rows]
        worst, at = max(devs, key=lambda item: abs(item[0]))
        lo, hi = min(d for d, _ in devs), max(d for d, _ in devs)
        if lo > 0:
            sign = "above the Gaussian theory on every γ: it over-predicts the quality of the fit"
        elif hi < 0:
            sign = "below the Gaussian theory on every γ: it under-predicts the quality of the fit"
        else:
            sign = "on both sides of the Gaussian theory"
        lines.append(f"- {_label(p).replace('$', '')}: the measured error on patches is {sign}; "
                     f"deviations from {_percent(lo)} to {_percent(hi)}, largest "
                     f"{_percent(worst)} at γ = {at}.")
    surrogate = [(_deviation(row, "gaussian_surrogate"), row) for row in result.rows]
    worst = max(surrogate, key=lambda item: abs(item[0][0]))
    z = [dev / se for (dev, se), _ in surrogate]
    lines.append(f"- Gaussian data with the same Σ: largest deviation from the Gaussian theory "
                 f"{_percent(worst[0][0])} (γ = {worst[1]['gamma']}, p = {worst[1]['mask_ratio']}); "
                 f"|z| = |deviation|/SE at most {max(abs(v) for v in z):.1f} over the "
                 f"{len(z)} points.")
    measured_z = [abs(_deviation(row, "measured")[0] / _deviation(row, "measured")[1])
                  for row in result.rows]
    surrogate_z = [abs(v) for v in z]
    lines.append(f"- The patch deviations from the Gaussian theory are {min(measured_z):.1f} to "
                 f"{max(measured_z):.1f} standard errors from zero, those of the Gaussian surrogate "
                 f"{min(surrogate_z):.1f} to {max(surrogate_z):.1f}.")
    if all("elliptical" in row for row in result.rows):
        ell = [(_deviation(row, "measured", "elliptical"), row) for row in result.rows]
        worst_e = max(ell, key=lambda item: abs(item[0][0]))
        gauss_worst = max(abs(_deviation(row, "measured")[0]) for row in result.rows)
        closer = sum(abs(d[0]) < abs(_deviation(row, "measured")[0]) for d, row in ell)
        lines.append(f"- The elliptical theory (Σ and the law of τ̂ = xᵀΣ⁻¹x/d on the held-out patches): "
                     f"largest |deviation| of the patches {100 * abs(worst_e[0][0]):.2f}% "
                     f"({_percent(worst_e[0][0])} at γ = {worst_e[1]['gamma']}, p = {worst_e[1]['mask_ratio']}), "
                     f"against {100 * gauss_worst:.2f}% for the Gaussian theory; closer than the "
                     f"Gaussian theory at {closer} of the {len(ell)} points.")
        twin = [(_deviation(row, "gsm_surrogate", "elliptical"), row) for row in result.rows]
        worst_t = max(twin, key=lambda item: abs(item[0][0]))
        z_t = [abs(d / se) for (d, se), _ in twin]
        lines.append(f"- The GSM surrogate (x = √τ L z, τ drawn from the τ̂) against the elliptical "
                     f"theory: largest |deviation| {100 * abs(worst_t[0][0]):.2f}% "
                     f"(γ = {worst_t[1]['gamma']}, p = {worst_t[1]['mask_ratio']}); |z| at most "
                     f"{max(z_t):.1f}.")
    by_p = {p: max(abs(_deviation(row, "measured")[0]) for row in result.rows
                   if row["mask_ratio"] == p) for p in result.budget.mask_ratios}
    worst_p = max(by_p, key=by_p.get)
    lines.append(f"- The worst masking ratio for the Gaussian theory is p = {worst_p} "
                 f"(largest |deviation| {100 * by_p[worst_p]:.2f}%).")
    return lines


def summary_table(result: Result) -> str:
    """The deviations from the Gaussian and the elliptical theory, one line per ``(γ, p)``."""
    lines = [f"{'gamma':>6} {'n':>5} {'p':>4} {'measured':>9} {'theory':>9} {'dev':>16} "
             f"{'surrogate':>9} {'dev':>16} {'ellipt':>9} {'dev':>16} {'gsm':>9} {'dev':>16}"]
    for row in result.rows:
        dm, sm = _deviation(row, "measured")
        dg, sg = _deviation(row, "gaussian_surrogate")
        de, se = _deviation(row, "measured", "elliptical")
        dt, st = _deviation(row, "gsm_surrogate", "elliptical")
        lines.append(f"{str(row['gamma']):>6} {row['n']:>5} {str(row['mask_ratio']):>4} "
                     f"{row['measured']:>9.5f} {row['theory']:>9.5f} "
                     f"{_percent(dm) + ' +/- ' + f'{100 * sm:.2f}%':>16} "
                     f"{row['gaussian_surrogate']:>9.5f} "
                     f"{_percent(dg) + ' +/- ' + f'{100 * sg:.2f}%':>16} "
                     f"{row['elliptical']:>9.5f} "
                     f"{_percent(de) + ' +/- ' + f'{100 * se:.2f}%':>16} "
                     f"{row['gsm_surrogate']:>9.5f} "
                     f"{_percent(dt) + ' +/- ' + f'{100 * st:.2f}%':>16}")
    return "\n".join(lines)


def spectrum_distance(result: Result) -> dict:
    """How the spectra of the spectrum figure compare with the theory densities, on their grid.

    ``mass``: ``∫ρ`` of the Gaussian theory density by the trapezoidal rule (1 when the grid
    resolves the density); ``patches`` and ``surrogate``: the Kolmogorov distance
    ``max_a |F_emp(a) − F(a)|`` between the empirical distribution function of the pooled
    eigenvalues (patches, Gaussian surrogate) and ``F(a) = ∫_{−∞}^a ρ`` (cumulative trapezoidal
    rule, normalised by ``mass``), over the grid points. With the elliptical density:
    ``elliptical_mass``, ``patches_elliptical`` and ``gsm_elliptical`` (the GSM surrogate's
    eigenvalues) likewise against it.
    """
    a, rho = result.density

    def cdf(values):
        F = np.concatenate([[0.0], np.cumsum(np.diff(a) * (values[1:] + values[:-1]) / 2)])
        return F / F[-1], float(F[-1])

    def distance(values, F):
        values = np.sort(values)
        return float(np.max(np.abs(np.searchsorted(values, a, side="right") / values.size - F)))

    F, mass = cdf(rho)
    out = {"mass": mass, "patches": distance(result.spectrum_real, F),
           "surrogate": distance(result.spectrum_gauss, F)}
    if result.density_elliptical is not None:
        F, mass = cdf(result.density_elliptical)
        out.update(elliptical_mass=mass, patches_elliptical=distance(result.spectrum_real, F))
        if result.spectrum_gsm is not None:
            out["gsm_elliptical"] = distance(result.spectrum_gsm, F)
    return out


def _tau_text(result: Result) -> str:
    """A sentence on the law of ``τ̂`` (quantiles and second moment, measured)."""
    tau, _ = result.scale_law.floats()
    q = np.quantile(tau, [0.01, 0.1, 0.5, 0.9, 0.99])
    return (f"The scale estimates τ̂ = xᵀΣ⁻¹x/d of the {tau.size} held-out patches have mean "
            f"{result.tau_mean:.15f} before the rescaling to 1 (1 by construction, Σ being their "
            f"second moment), quantiles 1 %, 10 %, 50 %, 90 %, 99 % = "
            f"{', '.join(f'{v:.3g}' for v in q)}, and E τ̂² = {float(np.mean(tau ** 2)):.3f} "
            f"(Gaussian rows would give about 1 + 2/d = {1 + 2 / result.d:.3f}).")


def predictions_table(result: Result) -> list[str]:
    """The Markdown table of the measurement and the three predictions, with the deviations."""
    out = ["| γ | n | p | measured | theory (Gaussian) | elliptical | GSM | "
           "(measured − theory)/theory | (measured − elliptical)/elliptical | "
           "(GSM − elliptical)/elliptical |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in result.rows:
        dm, sm = _deviation(row, "measured")
        de, se = _deviation(row, "measured", "elliptical")
        dt, st = _deviation(row, "gsm_surrogate", "elliptical")
        out.append(f"| {row['gamma']} | {row['n']} | {row['mask_ratio']} | {row['measured']:.5f} | "
                   f"{row['theory']:.5f} | {row['elliptical']:.5f} | {row['gsm_surrogate']:.5f} | "
                   f"{_percent(dm)} ± {100 * sm:.2f}% | {_percent(de)} ± {100 * se:.2f}% | "
                   f"{_percent(dt)} ± {100 * st:.2f}% |")
    return out


def write_report(result: Result, path: str, files=()) -> str:
    """``report.md``: the three predictions and their deviations for every ``(γ, p)``, the summary."""
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
        "(`gen_error(A, Σ, p)`, exact for the held-out set and averaged over masks). Three "
        "predictions: `theory`, the Gaussian given-covariance deterministic equivalent "
        "(`numerics.covariance.evaluate`); `elliptical`, the same route for elliptical data "
        "x = √τ Σ^{1/2} z with the scale law ρ taken as the empirical law of τ̂ = xᵀΣ⁻¹x/d over "
        "the held-out patches (`scale=` of `numerics.covariance.evaluate`); and `GSM`, the same "
        "fits measured on a Gaussian scale mixture x = √τ L z (LLᵀ = Σ, τ drawn from the τ̂). "
        "`surrogate` is the same fit on Gaussian data with the same Σ. Deviations are "
        "relative to the prediction named, ± one standard error over the training sets.",
        "",
        _tau_text(result) if result.scale_law is not None else "",
        "",
        "## The three predictions",
        "",
        *predictions_table(result),
    ]
    out += ["", "## The Gaussian surrogate against the Gaussian theory", "",
            "| γ | n | p | theory | surrogate | (surrogate − theory)/theory |",
            "| --- | --- | --- | --- | --- | --- |"]
    for row in result.rows:
        dg, sg = _deviation(row, "gaussian_surrogate")
        out.append(f"| {row['gamma']} | {row['n']} | {row['mask_ratio']} | {row['theory']:.5f} | "
                   f"{row['gaussian_surrogate']:.5f} | {_percent(dg)} ± {100 * sg:.2f}% |")
    out += ["", "## Where the theories hold and where they fail", "", *summary_sentences(result), ""]
    names = [os.path.basename(f) for f in files]
    if "images-errors.png" in names:
        out += ["## Figures", "",
                "![masked test error against n](images-errors.png)", "",
                "E(q = p) against the number of training patches: Gaussian theory (solid) and "
                "elliptical theory (dashed) curves, patches (mean ± SE), the Gaussian surrogate "
                "(×) and the GSM surrogate (△); below, the deviations from the Gaussian theory "
                "and from the elliptical theory in percent.", ""]
    if "images-spectrum.png" in names:
        gamma, p = b.spectrum
        dist = spectrum_distance(result)
        text = (f"Eigenvalues of Â_p at γ = {gamma}, p = {p} ({b.subsets} training sets pooled, "
                f"{result.spectrum_real.size} eigenvalues each) against the limiting densities "
                f"of the spectral equation (E3) for this Σ (`numerics.covariance.density`, "
                f"{len(result.density[0])} points): Gaussian (integral on the grid "
                f"{dist['mass']:.4f})")
        if "elliptical_mass" in dist:
            text += f" and elliptical (integral {dist['elliptical_mass']:.4f})"
        text += (f". Kolmogorov distance between the empirical distribution of the eigenvalues "
                 f"and the Gaussian theory: patches {dist['patches']:.3f}, Gaussian surrogate "
                 f"{dist['surrogate']:.3f}")
        if "patches_elliptical" in dist:
            text += f"; and the elliptical theory: patches {dist['patches_elliptical']:.3f}"
            if "gsm_elliptical" in dist:
                text += f", GSM surrogate {dist['gsm_elliptical']:.3f}"
        text += (". Both densities are evaluated essentially on the real axis (no smoothing); "
                 "their narrow peaks near the lower edge belong to the equivalent for this "
                 "finite Σ, and the sampled spectra at this d blur them")
        out += ["![spectrum of the masked estimator](images-spectrum.png)", "", text + ".", ""]
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
