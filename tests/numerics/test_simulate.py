"""Tests of numerics.simulate: sampling law, seeding contract, shapes and errors.

Comparisons with the theory limits live elsewhere; here every check is finite-d.
"""
from fractions import Fraction

import numpy as np
import pytest

from numerics.estimator import fit_ssr, gen_error, pca_spectrum, ssr_spectrum, train_error
from numerics.model import BadParameter, Model
from numerics import quantities
from numerics import simulate as simulation
from numerics.simulate import _soft_edge, QUANTITIES, _haar, atom_counts, sample, simulate

HETERO = "1:1/3,4:1/2,9:1/6"


def assert_covariance(X, Sigma, k=6.0):
    """Every entry of the sample covariance within k standard errors of Σ.

    For Gaussian rows, Var(x_i x_j) = Σ_ii Σ_jj + Σ_ij², so the standard error of the (i, j)
    entry of XᵀX/n is sqrt((Σ_ii Σ_jj + Σ_ij²)/n). k = 6 keeps the union bound over d²
    entries below 1e-5.
    """
    n = X.shape[0]
    diag = np.diag(Sigma)
    se = np.sqrt((np.outer(diag, diag) + Sigma**2) / n)
    z = np.abs(X.T @ X / n - Sigma) / se
    assert z.max() < k


@pytest.mark.parametrize("seed", [0, 17, 99])
@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
def test_sample_covariance(basis, seed):
    model = Model(gamma="1/200", lam=1, theta=3, noise=HETERO, basis=basis)
    d = 30
    X, Sigma, v = sample(model, d, np.random.default_rng(seed))
    assert X.shape == (6000, d)
    assert np.isclose(v @ v, 1.0, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(Sigma, Sigma.T)
    assert_covariance(X, Sigma)
    # Σ − θ v vᵀ = Σ₀ has the laid-out spectrum: 10 × 1, 15 × 4, 5 × 9
    bulk = np.linalg.eigvalsh(Sigma - 3 * np.outer(v, v))
    np.testing.assert_allclose(bulk, np.repeat([1.0, 4.0, 9.0], [10, 15, 5]), atol=1e-12)
    if basis == "diagonal":
        np.testing.assert_array_equal(Sigma - np.diag(np.diag(Sigma)), 3 * (np.outer(v, v) - np.diag(v**2)))
    else:
        off = Sigma - 3 * np.outer(v, v)
        assert np.abs(off - np.diag(np.diag(off))).max() > 0.1  # generic eigenbasis


def test_sample_spike_variance_along_v():
    # Var(vᵀx) = vᵀΣ₀v + θ; for Σ₀ = I that is 1 + θ, within 5 standard errors sqrt(2/n)(1+θ).
    model = Model(gamma="1/100", lam=1, theta=4)
    X, Sigma, v = sample(model, 50, np.random.default_rng(1))
    n = X.shape[0]
    projected = np.mean((X @ v) ** 2)
    assert abs(projected - 5.0) < 5 * 5.0 * np.sqrt(2 / n)
    np.testing.assert_allclose(Sigma, np.eye(50) + 4 * np.outer(v, v), atol=1e-15)


def test_v_uniform_on_sphere():
    # E v = 0 and E v vᵀ = I/d for the uniform law: check the mean of v over many draws.
    d, draws = 20, 400
    model = Model(gamma=1, lam=1, theta=1)
    vs = np.array([sample(model, d, np.random.default_rng(i))[2] for i in range(draws)])
    np.testing.assert_allclose(np.linalg.norm(vs, axis=1), 1.0, atol=1e-14)
    # each coordinate of v has mean 0 and variance 1/d; v_1 v_2 has mean 0 (no preferred axis)
    assert np.abs(vs.mean(axis=0)).max() < 5 / np.sqrt(d * draws)
    assert abs(np.mean(vs[:, 0] ** 2) - 1 / d) < 5 * np.std(vs[:, 0] ** 2) / np.sqrt(draws)
    assert abs(np.mean(vs[:, 0] * vs[:, 1])) < 5 * np.std(vs[:, 0] * vs[:, 1]) / np.sqrt(draws)


@pytest.mark.parametrize("d", [1, 2, 7, 10, 99, 200])
@pytest.mark.parametrize("noise", ["1:1", "1:1/3,2:2/3", "1:1/7,2:2/7,3:4/7", "1:1/2,2:1/4,3:1/4"])
def test_atom_counts(noise, d):
    law = Model(gamma=1, lam=1, noise=noise).noise
    counts = atom_counts(law, d)
    assert sum(counts) == d
    assert len(counts) == len(law)
    for c, (_, w) in zip(counts, law):
        assert abs(c - w * d) < 1


def test_atom_counts_largest_remainder():
    law = ((Fraction(1), Fraction(1, 10)), (Fraction(2), Fraction(3, 10)), (Fraction(3), Fraction(6, 10)))
    # 7 × (1/10, 3/10, 6/10) = (0.7, 2.1, 4.2): floors (0, 2, 4), the spare slot goes to 0.7
    assert atom_counts(law, 7) == (1, 2, 4)


@pytest.mark.parametrize("d", [2, 5, 40])
def test_haar_is_orthogonal(d):
    O = _haar(d, np.random.default_rng(d))
    np.testing.assert_allclose(O @ O.T, np.eye(d), atol=1e-12)
    np.testing.assert_allclose(O.T @ O, np.eye(d), atol=1e-12)


def test_haar_first_column_is_uniform():
    # the first column of a Haar matrix is uniform on the sphere: E O_11 = 0, E O_11² = 1/d
    d, draws = 5, 2000
    first = np.array([_haar(d, np.random.default_rng(i))[0, 0] for i in range(draws)])
    assert abs(first.mean()) < 5 * np.sqrt(1 / (d * draws))
    se = np.std(first**2) / np.sqrt(draws)
    assert abs(np.mean(first**2) - 1 / d) < 5 * se


@pytest.mark.parametrize(
    "gamma, d, n", [("1/2", 40, 80), ("2", 40, 20), ("3", 10, 3), ("100", 10, 1), ("1/3", 7, 21)]
)
def test_sample_size(gamma, d, n):
    X, _, _ = sample(Model(gamma=gamma, lam=1), d, np.random.default_rng(0))
    assert X.shape == (n, d)


def test_sample_rejects_bad_arguments():
    model = Model(gamma=1, lam=1)
    with pytest.raises(TypeError, match="rng"):
        sample(model, 10, 0)
    with pytest.raises(ValueError, match="^d:"):
        sample(model, 0, np.random.default_rng(0))


CASES = [
    ("m", "ssr"),
    ("train-error", "ssr"),
    ("gen-error", "ssr"),
    ("edges", "ssr"),
    ("edges", "pca"),
    ("density", "ssr"),
    ("density", "pca"),
    ("outlier", "ssr"),
    ("outlier", "pca"),
    ("overlap", "ssr"),
    ("overlap", "pca"),
]


@pytest.mark.parametrize("quantity, method", CASES)
def test_simulate_reproducible_and_shaped(quantity, method):
    model = Model(gamma="1/2", lam="1/5", theta=2, noise="1:1/2,3:1/2", basis="rotational")
    kwargs = dict(d=40, seeds=3, method=method, at=1.0 if method == "pca" else 0.0)
    first = simulate(quantity, model, seed=5, **kwargs)
    again = simulate(quantity, model, seed=5, **kwargs)
    other = simulate(quantity, model, seed=6, **kwargs)
    np.testing.assert_array_equal(first.values, again.values)
    assert not np.any(first.values == other.values)
    shape = (3, 2) if quantity == "edges" else (3,)
    assert first.values.shape == shape
    assert (first.quantity, first.d, first.n, first.seeds, first.seed) == (quantity, 40, 80, 3, 5)
    np.testing.assert_allclose(first.mean, first.values.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(first.stderr, first.values.std(axis=0, ddof=1) / np.sqrt(3), rtol=1e-14)
    if quantity == "edges":
        assert first.mean.shape == (2,) and first.stderr.shape == (2,)
        assert np.all(first.values[:, 0] < first.values[:, 1])
    else:
        assert isinstance(first.mean, float) and isinstance(first.stderr, float)
    assert np.all(np.isfinite(first.values))


def test_replica_k_uses_its_own_generator():
    # Documented contract: replica k draws from default_rng([seed, k]); recompute replicas directly.
    model = Model(gamma="2", lam="1/2", theta=1, noise=HETERO)
    res = simulate("gen-error", model, d=30, seeds=4, seed=11)
    for k in (0, 3):
        X, Sigma, _ = sample(model, 30, np.random.default_rng([11, k]))
        R = np.linalg.inv(X.T @ X / X.shape[0] + 0.5 * np.eye(30))
        M = R / np.diag(R)[:, None]  # I − Â
        assert np.isclose(res.values[k], np.trace(M @ Sigma @ M.T) / 30, rtol=1e-10, atol=0)
    # replica k does not depend on the number of replicas
    longer = simulate("gen-error", model, d=30, seeds=6, seed=11)
    np.testing.assert_array_equal(longer.values[:4], res.values)


def test_simulate_values_match_estimator():
    model = Model(gamma="3", lam="1/4", theta=5, noise=HETERO)
    d, seed = 45, 2
    X, Sigma, v = sample(model, d, np.random.default_rng([seed, 0]))
    n = X.shape[0]
    A = fit_ssr(X, 0.25)
    R = np.linalg.inv(X.T @ X / n + 0.25 * np.eye(d))
    a = ssr_spectrum(X, 0.25)
    s = pca_spectrum(X)

    def first(quantity, method="ssr", **kw):
        return simulate(quantity, model, d=d, seeds=2, seed=seed, method=method, **kw).values[0]

    assert np.isclose(first("m"), np.trace(R) / d, rtol=1e-10, atol=0)
    assert np.isclose(first("train-error"), train_error(X, A), rtol=1e-10, atol=0)
    assert np.isclose(first("gen-error"), gen_error(A, Sigma), rtol=1e-10, atol=0)
    assert np.isclose(first("outlier"), a[-1], rtol=1e-10, atol=0)
    assert np.isclose(first("outlier", "pca"), s[-1], rtol=1e-10, atol=0)
    # γ = 3: PCA's bulk is the top n = 15 eigenvalues (the null directions are an atom at 0); SSR's
    # diagonal heteroscedastic bulk keeps them all (the null directions spread a continuous part);
    # θ > 0: drop the largest; each edge is the Tracy–Widom-centred estimate from the nearest ones
    for method, spectrum, start in (("ssr", a, 0), ("pca", s, d - n)):
        bulk = spectrum[start:-1]
        np.testing.assert_allclose(first("edges", method),
                                   [_soft_edge(bulk, d), _soft_edge(bulk[::-1], d)], rtol=1e-10)
    # overlap: cos² of v with the top right eigenvector of Â / top eigenvector of S
    values, vectors = np.linalg.eig(A)
    r = vectors[:, np.argmax(values.real)].real
    assert np.isclose(first("overlap"), (v @ r) ** 2 / (r @ r), rtol=1e-8, atol=0)
    u = np.linalg.eigh(X.T @ X / n)[1][:, -1]
    assert np.isclose(first("overlap", "pca"), (v @ u) ** 2, rtol=1e-8, atol=0)
    # density: Gaussian kernel over all d eigenvalues with h = (upper − lower) d^{-1/2} / 2
    h = (a[-2] - a[d - n]) / np.sqrt(d) / 2
    at = 0.9  # inside the bulk [a[d − n], a[−2]]
    assert a[d - n] < at < a[-2]
    kde = np.mean(np.exp(-((at - a) ** 2) / (2 * h * h))) / (h * np.sqrt(2 * np.pi))
    assert np.isclose(first("density", at=at), kde, rtol=1e-10, atol=0)


def test_edges_without_spike_and_atom():
    model = Model(gamma="1/2", lam=1)
    res = simulate("edges", model, d=30, seeds=2, seed=0, method="pca")
    X, _, _ = sample(model, 30, np.random.default_rng([0, 0]))
    s = pca_spectrum(X)
    np.testing.assert_allclose(res.values[0], [_soft_edge(s, 30), _soft_edge(s[::-1], 30)], rtol=1e-12)
    # the centring moves each edge outwards from the extreme eigenvalue
    assert res.values[0][0] <= s[0] and res.values[0][1] >= s[-1]


@pytest.mark.parametrize("seed", [0, 17, 42])
def test_soft_edges_are_unbiased_at_the_stderr_scale(seed):
    # Oracle: Marchenko–Pastur edges (1 ± √γ)² (Marchenko & Pastur 1967). The raw extreme
    # eigenvalue is biased by E[TW₁](Cd)^{-2/3}, as large as its fluctuation; the centred
    # estimate must land within 4 standard errors over seeds.
    gamma = 0.5
    res = simulate("edges", Model(gamma="1/2", lam=1), d=300, seeds=12, seed=seed, method="pca")
    oracle = np.array([(1 - np.sqrt(gamma)) ** 2, (1 + np.sqrt(gamma)) ** 2])
    z = (res.mean - oracle) / res.stderr
    assert np.all(np.abs(z) < 4), z


def test_density_integrates_to_one():
    # The kernel estimate sums unit-mass kernels over all d eigenvalues.
    model = Model(gamma="2", lam="1/2")
    grid = np.linspace(-3, 3, 301)
    values = [simulate("density", model, d=20, seeds=2, at=x).values[0] for x in grid]
    assert abs(np.sum(values) * (grid[1] - grid[0]) - 1) < 1e-3


def test_progress_is_called():
    calls = []
    simulate("m", Model(gamma=1, lam=1), d=10, seeds=4, progress=lambda k, K: calls.append((k, K)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_quantities_are_the_registry():
    assert QUANTITIES == quantities.names()


@pytest.mark.parametrize(
    "quantity, kwargs, name",
    [
        ("threshold", {}, "quantity"),
        ("nope", {}, "quantity"),
        ("m", {"method": "svd"}, "method"),
        ("m", {"method": "pca"}, "method"),
        ("train-error", {"method": "pca"}, "method"),
        ("gen-error", {"method": "pca"}, "method"),
        ("density", {}, "at"),
        ("density", {"at": float("nan")}, "at"),
        ("density", {"at": "x"}, "at"),
        ("m", {"d": 1}, "d"),
        ("m", {"d": 10.0}, "d"),
        ("m", {"seeds": 1}, "seeds"),
        ("m", {"seed": -1}, "seed"),
    ],
)
def test_simulate_bad_input(quantity, kwargs, name):
    kwargs = {"d": 10, **kwargs}
    with pytest.raises(BadParameter, match=f"^{name}:") as info:
        simulate(quantity, Model(gamma=1, lam=1), **kwargs)
    assert info.value.name == name
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("quantity", ["edges", "density"])
@pytest.mark.parametrize("theta", [0, 1])
def test_bulk_too_small(quantity, theta):
    # γ = 100, d = 10: n = 1 sample, so at most one non-null eigenvalue
    with pytest.raises(BadParameter, match="^d:"):
        simulate(quantity, Model(gamma=100, lam=1, theta=theta), d=10, at=0.5)


def test_threshold_message():
    with pytest.raises(ValueError) as info:
        simulate("threshold", Model(gamma=1, lam=1), d=10)
    assert str(info.value) == "quantity: 'threshold' is a limit, it has no finite-d simulation"


def test_density_accepts_exact_at():
    model = Model(gamma="1/2", lam="1/5")
    a = simulate("density", model, d=20, seeds=2, at="1/4")
    b = simulate("density", model, d=20, seeds=2, at=Fraction(1, 4))
    c = simulate("density", model, d=20, seeds=2, at=0.25)
    np.testing.assert_array_equal(a.values, c.values)
    np.testing.assert_array_equal(b.values, c.values)


def _blas_threads_now() -> set:
    from threadpoolctl import threadpool_info

    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_blas_threads_by_size():
    """numerics.threads: one BLAS thread below the crossover; from it on, the count is left alone
    (never raised above an outer limit); the outer count is restored after the block."""
    import scipy.linalg  # noqa: F401  (both OpenBLAS copies loaded)
    from threadpoolctl import threadpool_limits

    from numerics.threads import CROSSOVER, blas_threads

    with threadpool_limits(limits=2, user_api="blas"):
        with blas_threads(CROSSOVER - 1):
            assert _blas_threads_now() == {1}
        assert _blas_threads_now() == {2}
        with blas_threads(CROSSOVER):
            assert _blas_threads_now() == {2}
    with threadpool_limits(limits=1, user_api="blas"):
        with blas_threads(CROSSOVER):
            assert _blas_threads_now() == {1}


def test_replicas_below_crossover_run_on_one_thread_bit_for_bit(monkeypatch):
    """The automatic choice at small d gives the one-thread values bit for bit, whatever the
    outer thread count, and every replica's linear algebra (sample, fit, value) runs on one thread."""
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    from numerics import simulate as simulation

    model = Model(gamma="1/2", lam="1/10", theta=2, noise=HETERO, basis="rotational")
    with threadpool_limits(limits=1, user_api="blas"):
        serial = simulate("gen-error", model, d=200, seeds=3, extrapolate=True)
    seen = []
    real_sample = simulation.sample

    def spy(*args, **kwargs):
        seen.append(_blas_threads_now())
        return real_sample(*args, **kwargs)

    monkeypatch.setattr(simulation, "sample", spy)
    with threadpool_limits(limits=2, user_api="blas"):
        auto = simulate("gen-error", model, d=200, seeds=3, extrapolate=True)
    assert seen == [{1}] * 6  # 3 replicas at d and at d/2
    np.testing.assert_array_equal(auto.values, serial.values)
    np.testing.assert_array_equal(auto.plain, serial.plain)


# --- split supports (issue 16): simulate_support ------------------------------------------------


def test_support_statistics_cuts_at_the_gaps():
    bulk = np.concatenate([np.linspace(0, 1, 30), np.linspace(5, 6, 10), [9.0, 9.5]])
    stats = simulation.support_statistics(bulk, [3.0, 7.0], 42)
    assert stats[:3].tolist() == [30 / 42, 10 / 42, 2 / 42]
    assert stats[3] < 0 < 1 < stats[4] and stats[5] < 5 < 6 < stats[6]  # TW-centred: beyond the extremes
    assert np.isnan(stats[7:]).all()  # two eigenvalues are too few for edges
    with pytest.raises(BadParameter, match="cuts"):
        simulation.support_statistics(bulk, [7.0, 3.0], 42)


def test_simulate_support_counts_are_rigid_and_reproducible():
    model = Model(gamma="1/2", lam="1/10", noise="1:9/10,100:1/10")  # PCA: [0.092, 2.71] ∪ [60.7, 150.2]
    first = simulation.simulate_support(model, [30.0], d=100, seeds=3, method="pca")
    again = simulation.simulate_support(model, [30.0], d=100, seeds=3, method="pca")
    assert np.array_equal(first.values, again.values) and first.values.shape == (3, 6)
    assert first.values[:, :2].tolist() == [[0.9, 0.1]] * 3  # exact separation: 90 and 10 eigenvalues
    richardson = simulation.simulate_support(model, [30.0], d=100, seeds=2, method="pca", extrapolate=True)
    assert richardson.extrapolated and richardson.plain.shape == (2, 6)
    assert richardson.values[:, :2].tolist() == [[0.9, 0.1]] * 2
    np.testing.assert_array_equal(richardson.plain, first.values[:2])
