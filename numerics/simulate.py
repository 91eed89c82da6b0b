"""Monte Carlo estimates, at finite ``d``, of the quantities of :mod:`numerics.quantities`.

A replica draws ``X ∈ R^{n×d}`` with rows i.i.d. ``N(0, Σ)``, ``Σ = Σ₀ + θ v vᵀ`` (docs/theory.md,
"The model"), ``n = round(d/γ)`` (or, with ``data``, rows ``Σ₀^{1/2} z + √θ ξ v`` whose entries
follow another standardised law of :mod:`numerics.data`), and evaluates the finite-``d`` version of
a quantity with the estimators of :mod:`numerics.estimator`. :func:`simulate` averages independent
replicas and reports the standard error of the mean.

Seeding: replica ``k`` (``k = 0, …, seeds−1``) uses its own generator
``np.random.default_rng([seed, k])``, so a replica does not depend on how many others are run,
and the draws are reproducible bit for bit. The computed values are reproducible bit for bit
on a fixed platform (same numpy / BLAS build and thread count; below
:data:`numerics.threads.CROSSOVER` a replica runs on one BLAS thread whatever the environment).

>>> from numerics.model import Model
>>> res = simulate("m", Model(gamma="1/2", lam="1/5"), d=40, seeds=3)
>>> res.values.shape, res.n
((3,), 80)
"""
from __future__ import annotations

import functools
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from numerics import bases, estimators, quantities
from numerics.data import DataLaw, parse_data
from numerics.model import BadParameter, Model, parse_number
from numerics.spectrum import bulk as _bulk, soft_edge as _soft_edge
from numerics.threads import blas_threads

__all__ = [
    "QUANTITIES",
    "METHODS",
    "SimulationResult",
    "Replica",
    "atom_counts",
    "sample",
    "measure",
    "simulate",
    "support_statistics",
    "simulate_support",
]

QUANTITIES = quantities.names()
METHODS = estimators.NAMES


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Mean and standard error over ``seeds`` independent replicas at dimension ``d``.

    ``values`` holds the per-replica values, shape ``(seeds,)`` (or ``(seeds, 2)`` for
    ``edges``); ``mean`` and ``stderr = std(values, ddof=1)/sqrt(seeds)`` are floats (or
    length-2 arrays ``[lower, upper]`` for ``edges``). ``n`` is the number of samples per
    replica and ``seed`` the base seed (replica ``k`` used ``default_rng([seed, k])``). When the
    result is Richardson-extrapolated (``extrapolated``), ``values`` are the extrapolated
    per-replica values and ``plain`` the values at ``d`` before extrapolation (else ``None``).
    ``data`` is the spec of the law of the standardised entries (:mod:`numerics.data`).
    """

    quantity: str
    mean: float | np.ndarray
    stderr: float | np.ndarray
    values: np.ndarray
    d: int
    n: int
    seeds: int
    seed: int
    extrapolated: bool = False
    plain: np.ndarray | None = None
    data: str = "gaussian"

    @property
    def plain_mean(self) -> float | np.ndarray:
        """The mean at ``d`` without extrapolation."""
        values = self.values if self.plain is None else self.plain
        mean = values.mean(axis=0)
        return float(mean) if values.ndim == 1 else mean


_ROWS = 1024  # rows per block of the spike term of sample()


def _sample_size(model: Model, d: int) -> int:
    """``n = round(d/γ)`` computed exactly (ties to even, Python's ``round``), at least 1."""
    return max(1, round(Fraction(d) / model.gamma))


def _count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise BadParameter(name, f"expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise BadParameter(name, f"must be >= {minimum}, got {value}")
    return int(value)


def atom_counts(noise, d: int) -> tuple[int, ...]:
    """How many of the ``d`` eigenvalues of ``Σ₀`` equal each atom ``s_i`` of the law ``ν``.

    Largest-remainder (Hamilton) rounding of the exact ``w_i d``: every atom gets
    ``⌊w_i d⌋``, and the ``d − Σ⌊w_i d⌋`` remaining slots go to the largest fractional parts
    (ties to the earlier atom, atoms being sorted by ``s``). The counts sum to ``d`` and each
    is within 1 of ``w_i d``.

    >>> atom_counts(((1, Fraction(1, 3)), (2, Fraction(2, 3))), 10)
    (3, 7)
    """
    d = _count(d, "d", 1)
    exact = [Fraction(w) * d for _, w in noise]
    counts = [int(x) for x in exact]  # floor: x >= 0
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: d - sum(counts)]:
        counts[i] += 1
    return tuple(counts)


def _bulk_variances(model: Model, d: int) -> np.ndarray:
    """The eigenvalues of ``Σ₀``: atom ``s_i`` repeated ``atom_counts`` times, in order of ``s``;
    for a continuous law, or eigenvalues read from a file (often more atoms than ``d``), the
    quantiles ``F⁻¹((k + 1/2)/d)``, ``k = 0, …, d − 1``."""
    if model.continuous or hasattr(model.noise, "path"):  # a density, or eigenvalues from a file
        return np.array([model.law.quantile((k + 0.5) / d) for k in range(d)])
    atoms = model.law.exact
    counts = atom_counts(atoms, d)
    return np.repeat([float(s) for s, _ in atoms], counts)


def _haar(d: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-distributed ``d×d`` orthogonal matrix: ``Q`` of a Gaussian ``QR`` with ``diag R > 0``."""
    Q, Rq = np.linalg.qr(rng.standard_normal((d, d)))
    return Q * np.where(np.diag(Rq) < 0, -1.0, 1.0)


def sample(model: Model, d: int, rng: np.random.Generator,
           data: DataLaw | str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One data set ``(X, Σ, v)`` from the spiked model ``Σ = Σ₀ + θ v vᵀ``.

    ``X`` is ``n×d`` with ``n = round(d/γ)`` (at least 1) and rows i.i.d. ``N(0, Σ)``.
    ``Σ₀ = diag(σ²)`` (diagonal basis) or ``O diag(σ²) Oᵀ`` with ``O`` Haar-orthogonal
    (rotational basis), the ``σ²`` laid out by :func:`atom_counts`. ``v`` is uniform on the
    unit sphere and independent of ``Σ₀``. Rows are drawn as ``x = Σ₀^{1/2} z + √θ ξ v``
    with ``z ~ N(0, I_d)``, ``ξ ~ N(0, 1)`` independent, whose covariance is exactly ``Σ``
    (``Σ₀^{1/2} = O diag(σ)``, a root with ``Σ₀^{1/2} (Σ₀^{1/2})ᵀ = Σ₀``; ``O = I`` in the diagonal basis).

    ``data`` (a spec string or a :class:`numerics.data.DataLaw`; default ``gaussian``) is the law of
    the i.i.d. standardised entries of ``z`` and of ``ξ`` (mean 0, variance 1, so the covariance is
    still ``Σ``); rows are then no longer Gaussian. ``v`` and ``O`` stay Gaussian draws.
    With a scale law ``ρ`` (``model.scale_law``, elliptical data) each row is finally multiplied
    by ``√τ_i``, ``τ_i ~ ρ`` i.i.d. (drawn after everything else, so Gaussian draws are unchanged).

    Draws from ``rng``, in this order: ``v`` (``d`` normals), ``O`` (``d²`` normals; only in
    the rotational basis with at least two distinct atoms — for ``Σ₀ = sI`` the rotation
    drops out), ``z`` (``n×d`` entries of the data law), ``ξ`` (``n``; only if ``θ > 0``). With the
    Gaussian default these are the same calls of ``rng.standard_normal`` as before the data laws
    existed, so every draw is unchanged bit for bit. A model with a given covariance is drawn by
    :func:`_sample_covariance` instead.

    >>> import numpy as np
    >>> X, Sigma, v = sample(Model(gamma=2, lam=1, theta=1), 6, np.random.default_rng(0))
    >>> X.shape, Sigma.shape, round(float(v @ v), 12)
    ((3, 6), (6, 6), 1.0)
    """
    if not isinstance(model, Model):
        raise TypeError(f"model: expected a numerics.model.Model, got {type(model).__name__}")
    d = _count(d, "d", 1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    data = parse_data(data)
    if model.covariance is not None:
        return _sample_covariance(model, d, rng, data)
    n = _sample_size(model, d)
    theta = float(model.theta)
    variances = _bulk_variances(model, d)

    v = rng.standard_normal(d)
    v /= np.linalg.norm(v)
    rotate = bases.get(model.basis).rotates(model.law)
    O = _haar(d, rng) if rotate else None

    X = data.draw(rng, (n, d))
    X *= np.sqrt(variances)
    if rotate:
        X = X @ O.T
        Sigma = (O * variances) @ O.T
        Sigma = (Sigma + Sigma.T) / 2
    else:
        Sigma = np.diag(variances)
    if theta > 0:
        xi = data.draw(rng, n)
        for start in range(0, n, _ROWS):  # the rank-one term by row blocks: no second n×d array
            X[start:start + _ROWS] += np.sqrt(theta) * np.outer(xi[start:start + _ROWS], v)
        Sigma += theta * np.outer(v, v)
    if model.elliptical:  # x = √τ (Σ₀^{1/2} z + √θ ξ v), τ_i ~ ρ per row, drawn last
        X *= np.sqrt(model.scale_law.draw(rng, n))[:, None]
    return X, Sigma, v


def _sample_covariance(model: Model, d: int, rng: np.random.Generator, data: DataLaw):
    """One data set ``(X, Σ, v)`` for a given covariance (``Model(covariance=...)``).

    Rows ``x = L z``, ``z`` with i.i.d. standardised entries of the law ``data`` (Gaussian: ``N(0, I_d)``),
    ``L`` the Cholesky factor of ``Σ`` (``X = Z Lᵀ``, covariance exactly ``Σ``), ``n = round(d/γ)``;
    ``d`` must be the size of ``Σ``. Draws ``z`` (``n×d``) only.
    There is no planted direction: ``v`` is all ``nan`` (the overlap is not simulated).
    """
    cov = model.covariance
    if d != cov.d:
        raise BadParameter("d", f"the covariance {cov.spec} is {cov.d}×{cov.d}: d must be {cov.d}, got {d}")
    n = _sample_size(model, d)
    X = data.draw(rng, (n, d)) @ cov.cholesky.T
    if model.elliptical:  # x = √τ L z, τ_i ~ ρ per row, drawn last
        X *= np.sqrt(model.scale_law.draw(rng, n))[:, None]
    return X, cov.array, np.full(d, np.nan)


#: Fewest eigenvalues in a cluster for :func:`_soft_edge` (it fits on the 3rd … ⌈√size⌉+3rd nearest).
_MIN_CLUSTER = 8


def support_statistics(bulk: np.ndarray, cuts, d: int) -> np.ndarray:
    r"""Per interval of a split support: the fraction of the ``d`` eigenvalues in it and its two edges.

    ``bulk`` holds the ascending eigenvalues of the continuous bulk (:func:`_bulk`) and ``cuts``
    the ``k − 1`` ascending points that separate ``k`` intervals: the midpoints of the gaps of
    the theory's support. Cutting there, not at the interval ends, assigns an eigenvalue that
    fluctuates past an edge into the gap (a finite-size straggler) to the nearer interval, so the
    counts are not biased by the edges' Tracy–Widom fluctuations (the gaps hold no density).
    Returns ``[f₁, …, f_k, l₁, u₁, …, l_k, u_k]``: ``f_j`` is the number of eigenvalues of
    cluster ``j`` over ``d`` (the limit is the mass ``∫ρ`` of interval ``j``), ``l_j``, ``u_j``
    its Tracy–Widom-centred soft edges (:func:`_soft_edge`, each fitted on the cluster's own
    eigenvalues: the window is ``⌈√size⌉ + 3`` of them, ``size`` the cluster's). A cluster with
    fewer than 8 eigenvalues has ``nan`` edges (the theory placed an interval where the sample
    has next to nothing).

    >>> values = np.concatenate([np.linspace(0, 1, 30), np.linspace(5, 6, 10)])
    >>> stats = support_statistics(values, [3.0], 40)
    >>> stats[:2].tolist(), stats.shape
    ([0.75, 0.25], (6,))
    """
    cuts = np.asarray(cuts, dtype=float)
    if cuts.ndim != 1 or np.any(np.diff(cuts) <= 0):
        raise BadParameter("cuts", "expected ascending points between the intervals")
    clusters = np.split(bulk, np.searchsorted(bulk, cuts))
    fractions = [cluster.shape[0] / d for cluster in clusters]
    edges = []
    for cluster in clusters:
        if cluster.shape[0] < _MIN_CLUSTER:
            edges += [np.nan, np.nan]
        else:
            edges += [_soft_edge(cluster, cluster.shape[0]), _soft_edge(cluster[::-1], cluster.shape[0])]
    return np.array(fractions + edges)


def _support_replica(model: Model, method: str, d: int, cuts, rng) -> np.ndarray:
    X, _, _ = sample(model, d, rng)
    fit = estimators.get(method).fit(X, model)
    return support_statistics(_bulk(fit.spectrum, X.shape[0], model.theta > 0), cuts, d)


def _support_task(spec: tuple, k: int) -> tuple:
    """Replica ``k`` of a :func:`simulate_support` run: ``(values at d, values)``, the latter
    Richardson-extrapolated with ``d // 2`` (drawn from ``default_rng([seed, k, 2])``) if asked."""
    model, method, d, cuts, seed, extrapolate = spec
    value = _support_replica(model, method, d, cuts, np.random.default_rng([seed, k]))
    if not extrapolate:
        return value, value
    half = _support_replica(model, method, d // 2, cuts, np.random.default_rng([seed, k, 2]))
    return value, (d * value - (d // 2) * half) / (d - d // 2)


def simulate_support(model: Model, cuts, *, d: int, seeds: int = 10, method: str = "ssr", seed: int = 0,
                     progress: Callable[[int, int], object] | None = None, extrapolate: bool = False,
                     map_tasks: Callable | None = None) -> SimulationResult:
    """Monte Carlo of a split support: per replica :func:`support_statistics` at the ``cuts``.

    The replicas are those of :func:`simulate` (replica ``k`` draws from ``default_rng([seed, k])``,
    the estimator ``method``, its spectrum without the null directions and the spike), so a claim on
    the whole support sees the same samples as one on its outer ``edges``. ``values`` has shape
    ``(seeds, 3k)`` for ``k = len(cuts) + 1`` intervals; ``quantity`` is ``"support"``.
    ``extrapolate`` is :func:`simulate`'s Richardson extrapolation with ``d // 2`` (for the ``O(1/d)``
    shift of SSR edges, which the Tracy–Widom centring does not remove); the fractions are
    extrapolated too (when every ``w_i d`` and ``w_i d/2`` is an integer they are the same at both).

    >>> from numerics.model import Model
    >>> res = simulate_support(Model(gamma="1/2", lam=1, noise="1:1/2,30:1/2"), [5.0], d=40, seeds=2,
    ...                        method="pca")
    >>> res.values.shape, res.mean[:2].tolist()
    ((2, 6), [0.5, 0.5])
    """
    if not isinstance(model, Model):
        raise TypeError(f"model: expected a numerics.model.Model, got {type(model).__name__}")
    if method not in METHODS:
        raise BadParameter("method", f"expected one of {', '.join(METHODS)}, got {method!r}")
    method = estimators.select(method, model, quantities.get("edges").estimators).name
    d, seeds, seed = _count(d, "d", 2), _count(seeds, "seeds", 2), _count(seed, "seed", 0)
    if extrapolate and d < 16:
        raise BadParameter("extrapolate", f"needs d >= 16 (it also simulates d/2), got d = {d}")
    cuts = tuple(float(c) for c in cuts)
    task = functools.partial(_support_task, (model, method, d, cuts, seed, bool(extrapolate)))
    pairs = (map_tasks or _map_in_process)(task, range(seeds), progress)
    values = np.array([pair[1] for pair in pairs], dtype=float)
    return SimulationResult(quantity="support", mean=values.mean(axis=0),
                            stderr=values.std(axis=0, ddof=1) / np.sqrt(seeds), values=values, d=d,
                            n=_sample_size(model, d), seeds=seeds, seed=seed, extrapolated=bool(extrapolate),
                            plain=np.array([pair[0] for pair in pairs], dtype=float) if extrapolate else None)


@dataclass(frozen=True, eq=False)
class Replica:
    """One simulated data set and the estimator's fit on it (what a finite-``d`` estimator reads)."""

    model: Model
    d: int
    n: int
    X: np.ndarray
    Sigma: np.ndarray
    v: np.ndarray
    fit: estimators.Fit
    at: float | None = None


def measure(model: Model, d: int, rng: np.random.Generator, wanted, at=None, data=None) -> dict:
    """Several finite-``d`` quantities on *one* sample: ``{(quantity, method): value}``.

    ``wanted`` lists ``(quantity, method)`` pairs; each estimator is fitted once on the sample
    and every value comes from the quantity registry's finite-``d`` estimator. ``data`` is the law
    of the standardised entries (:func:`sample`; default Gaussian). The linear algebra runs with
    :func:`numerics.threads.blas_threads` ``(d)``: one BLAS thread below its crossover.
    """
    with blas_threads(d):  # one BLAS thread for small matrices (numerics.threads)
        X, Sigma, v = sample(model, d, rng, data)
        fits: dict = {}
        values = {}
        for quantity, method in wanted:
            if method not in fits:
                fits[method] = estimators.get(method).fit(X, model)
            values[(quantity, method)] = quantities.get(quantity).finite(
                Replica(model, d, X.shape[0], X, Sigma, v, fits[method], at))
    return values


def _replica(quantity: str, method: str, model: Model, d: int, at, rng, data) -> float | np.ndarray:
    """The finite-``d`` value of ``quantity`` on one sample drawn from ``rng``."""
    return measure(model, d, rng, [(quantity, method)], at, data)[(quantity, method)]


def _replica_task(spec: tuple, k: int) -> tuple:
    """Replica ``k`` of a :func:`simulate` run ``spec``: ``(value at d, value)``.

    ``value`` is the Richardson extrapolation from ``d`` and ``d // 2`` (the latter drawn from
    ``default_rng([seed, k, 2])``) when ``spec`` asks for it, else the value at ``d``. The seeds
    depend on ``k`` only, so a replica gives the same numbers wherever it runs.
    """
    quantity, method, model, d, at, seed, data, extrapolate = spec
    value = _replica(quantity, method, model, d, at, np.random.default_rng([seed, k]), data)
    if not extrapolate:
        return value, value
    half = _replica(quantity, method, model, d // 2, at, np.random.default_rng([seed, k, 2]), data)
    return value, (d * np.asarray(value) - (d // 2) * np.asarray(half)) / (d - d // 2)


def _map_in_process(function, tasks, progress=None) -> list:
    """``[function(task) for task in tasks]``, calling ``progress(done, total)`` after each."""
    tasks = list(tasks)
    results = []
    for done, task in enumerate(tasks, 1):
        results.append(function(task))
        if progress is not None:
            progress(done, len(tasks))
    return results


def _covariance_size(model: Model, d, quantity: str, extrapolate: bool) -> int:
    """``d`` for a given covariance: its size (a different ``d`` is refused); refuse what it cannot do."""
    cov = model.covariance
    if quantity == "overlap":
        raise BadParameter("covariance", "overlap needs a planted direction v; a given covariance has none")
    if extrapolate:
        raise BadParameter("extrapolate", "a given covariance defines Sigma at its own d only, not at d/2")
    if d is not None and d != cov.d:
        raise BadParameter("d", f"the covariance {cov.spec} is {cov.d}×{cov.d}: d must be {cov.d} or omitted, got {d!r}")
    return cov.d


def simulate(
    quantity: str,
    model: Model,
    *,
    d: int | None = None,
    seeds: int = 10,
    method: str = "ssr",
    at=None,
    seed: int = 0,
    progress: Callable[[int, int], object] | None = None,
    extrapolate: bool = False,
    data: DataLaw | str = "gaussian",
    map_tasks: Callable | None = None,
) -> SimulationResult:
    """Finite-``d`` Monte Carlo estimate of ``quantity`` (:mod:`numerics.quantities`) for ``model``.

    Runs ``seeds ≥ 2`` independent replicas of dimension ``d ≥ 2`` (``n = round(d/γ)``);
    replica ``k`` uses ``np.random.default_rng([seed, k])``, so results are reproducible bit
    for bit and replica ``k`` is the same whatever ``seeds`` is. ``λ = model.lam``.

    Finite-``d`` versions: ``m = (1/d) tr R``; ``train-error``, ``gen-error`` (with the true
    ``Σ``) of ``Â``; ``edges`` of the bulk of the spectrum of ``Â`` (``pca``: of ``S``) without
    the ``d − n`` null directions and, when ``θ > 0``, without the largest eigenvalue, each
    edge a Tracy–Widom-centred estimate from the eigenvalues nearest to it (:func:`_soft_edge`);
    ``density`` at ``at`` by a Gaussian kernel (bandwidth ``(upper − lower) d^{-1/2}/2``,
    bias ``O(1/d)``); ``outlier`` = largest eigenvalue; ``overlap = cos²(v, r)`` with ``r`` the
    top right eigenvector of ``Â`` (``pca``: top eigenvector of ``S``). ``threshold`` is a
    limit and has no finite-``d`` version. A model with a masking ratio fits the ratio-``p``
    estimator ``Â_p`` (``method`` ``ssr`` becomes ``masked``); its ``m`` is ``(1/d) tr (S + B_S)^{-1}``
    with ``B_S = (p/(1−p)) diag S + λ/(1−p)²``, ``train-error`` the masked training loss at ``p``
    and ``gen-error`` the masked test error ``E(q)`` with the true ``Σ``.

    ``extrapolate=True`` removes the ``O(1/d)`` finite-size bias by Richardson extrapolation:
    replica ``k`` also draws a sample of dimension ``d' = ⌊d/2⌋`` from
    ``default_rng([seed, k, 2])`` and reports ``(d·x_d − d'·x_{d'})/(d − d')``. This matters
    for self-averaging quantities (``m``, the errors, the density), whose ``O(1/d)`` bias is of
    the same order as their ``O(1/d)`` fluctuation, so that their raw z-score against the
    limit does not shrink with ``d`` (it grows like √seeds). For ``edges`` it applies to the
    Tracy–Widom-centred estimate, whose ``d^{-2/3}`` bias is removed by the centring but which
    keeps an ``O(1/d)`` shift (the fluctuations of ``diag R`` move the edges of ``Â`` at second
    order); it matters at edges of low density (small ``C``, effective size ``Cd``), e.g. the
    lower edge of heteroscedastic SSR bulks: for ν = ½δ₁ + ½δ₆, γ = 1/2, λ = 1/10 the mean raw
    extreme minus the Tracy–Widom prediction is +0.028 ± 0.011, +0.024 ± 0.007, +0.005 ± 0.008
    at d = 600, 1200, 2400 (60, 40, 16 replicas). The price is a standard error about 2.5 times
    larger.

    ``data`` is the law of the i.i.d. standardised entries of the rows (a spec such as
    ``"rademacher"``, ``"student-t(5)"``, ``"sparse(1/10)"``, or a :class:`numerics.data.DataLaw`;
    :func:`sample`): the theory limits are those of Gaussian data when the law has a finite fourth
    moment (universality, measured in docs/performance.md). The Gaussian default draws exactly what
    it drew before.

    ``map_tasks(function, tasks, progress)`` (default: a loop in this process) runs the replicas:
    it must return ``[function(k) for k in tasks]`` in task order and call ``progress(done, total)``
    as tasks finish (``ssr.parallel.Executor.map`` runs them on Dask). Each replica seeds its own
    generator from ``k``, so the result does not depend on where or in which order replicas run.

    With a given covariance (``Model(covariance=...)``) the rows are ``x = L z`` with that ``Σ``
    (:func:`_sample_covariance`; ``z`` from the data law), ``d`` defaults to its size (another
    ``d`` is refused), the finite-``d`` errors use that ``Σ``, and ``overlap`` (no planted
    direction) and ``extrapolate`` (``Σ`` at ``d/2`` is not defined by one matrix) are refused.

    ``progress(done, seeds)``, if given, is called after each replica with the number of
    replicas finished so far (``1, …, seeds``).

    Bad input raises :class:`~numerics.model.BadParameter` (a ``ValueError``) naming the
    parameter.

    >>> from numerics.model import Model
    >>> res = simulate("edges", Model(gamma="1/2", lam="1/5"), d=30, seeds=2, method="pca")
    >>> res.values.shape, res.mean.shape
    ((2, 2), (2,))
    >>> simulate("threshold", Model(gamma=1, lam=1), d=30)
    Traceback (most recent call last):
    ...
    numerics.parsing.BadParameter: quantity: 'threshold' is a limit, it has no finite-d simulation
    """
    if quantity not in quantities.REGISTRY:
        raise BadParameter("quantity", f"expected one of {', '.join(QUANTITIES)}, got {quantity!r}")
    if method not in METHODS:
        raise BadParameter("method", f"expected one of {', '.join(METHODS)}, got {method!r}")
    entry = quantities.get(quantity)
    if entry.finite is None:
        raise BadParameter("quantity", f"{quantity!r} is a limit, it has no finite-d simulation")
    if not isinstance(model, Model):
        raise TypeError(f"model: expected a numerics.model.Model, got {type(model).__name__}")
    method = estimators.select(method, model, entry.estimators).name
    if method not in entry.estimators:
        raise BadParameter("method", f"{quantity!r} is only defined for {', '.join(entry.estimators)}, "
                                     f"got method {method!r}")
    if model.covariance is not None:
        d = _covariance_size(model, d, quantity, extrapolate)
    elif d is None:
        raise BadParameter("d", "missing the dimension d (or give a covariance)")
    d = _count(d, "d", 2)
    seeds = _count(seeds, "seeds", 2)
    seed = _count(seed, "seed", 0)
    if entry.needs_at:
        if at is None:
            raise BadParameter("at", "the density needs a point, e.g. --at 0.5")
        at = float(parse_number(at, "at")) if isinstance(at, str) else at
        if isinstance(at, bool) or not isinstance(at, numbers.Real) or not np.isfinite(float(at)):
            raise BadParameter("at", f"expected a finite real number, got {at!r}")
        at = float(at)
    data = parse_data(data)
    if progress is not None and not callable(progress):
        raise TypeError("progress: expected a callable progress(done, seeds) or None")

    if extrapolate and d < 16:
        raise BadParameter("extrapolate", f"needs d >= 16 (it also simulates d/2), got d = {d}")
    task = functools.partial(_replica_task, (quantity, method, model, d, at, seed, data, bool(extrapolate)))
    if map_tasks is None:
        map_tasks = _map_in_process
    elif not callable(map_tasks):
        raise TypeError("map_tasks: expected a callable map_tasks(function, tasks, progress) or None")
    pairs = map_tasks(task, range(seeds), progress)
    plain = [pair[0] for pair in pairs]
    values = [pair[1] for pair in pairs]
    values = np.array(values, dtype=float)
    mean = values.mean(axis=0)
    stderr = values.std(axis=0, ddof=1) / np.sqrt(seeds)
    if values.ndim == 1:
        mean, stderr = float(mean), float(stderr)
    return SimulationResult(
        quantity=quantity,
        mean=mean,
        stderr=stderr,
        values=values,
        d=d,
        n=_sample_size(model, d),
        seeds=seeds,
        seed=seed,
        extrapolated=bool(extrapolate),
        plain=np.array(plain, dtype=float) if extrapolate else None,
        data=data.spec,
    )
