"""Scale of ``fit_ssr`` and of ``ssr simulate`` (issue 11): ratios measured in one run.

Run as ``python benchmarks/scale.py [--memory]``; output recorded in ``benchmarks/results/scale.txt``.
No assertions: the numbers depend on the machine and its load (printed).

1. ``fit_ssr`` against the BLAS floor at ``d = 2000, 4000`` (``n = 2d``): ``XᵀX`` (``syrk``) and
   the Cholesky inverse (``dpotrf`` + ``dpotri``) of ``XᵀX/n + λI``, the work no implementation of
   ``Â = I − diag(R)⁻¹R`` avoids (the floor does not even mirror the triangle ``potri`` leaves).
2. ``fit_ssr`` against the ``np.linalg.inv`` route of EASE (Steck 2019): ``P = inv(XᵀX + λnI)``,
   ``B = I − P/diag(P)`` (LU inverse, ``2d³`` flops against ``d³`` for the Cholesky inverse).
3. ``fit_ssr`` against ``d`` separate scikit-learn ``Ridge`` fits (``alpha = nλ``, no intercept:
   row ``k`` regresses ``x_k`` on the other ``d − 1`` coordinates) at ``d = 200``.
4. The Dask speed-up: ``simulate("gen-error", d=800, seeds=16)`` in this process against
   ``ssr.parallel.Executor(workers=2)`` (a two-process ``LocalCluster``), with and without its start.
5. ``--memory``: the peak resident memory of one replica of ``gen-error`` at ``d = 10⁴``
   (``n = 2·10⁴``, ``γ = 1/2``) in a fresh subprocess (``ru_maxrss``), against the sizes of
   ``X`` (``8nd`` bytes) and of one ``d×d`` matrix (``8d²``).

Timings are the best of interleaved rounds (every route sees the same background load).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
from scipy.linalg import lapack

from numerics.estimator import fit_ssr
from numerics.model import Model
from numerics.simulate import simulate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_fit import best_times  # noqa: E402  (the interleaved best-of timer, one copy)

LAM = 0.2




def floor(X: np.ndarray, lam: float) -> np.ndarray:
    """``syrk`` of ``XᵀX`` (numpy's ``X.T @ X``), ``/n + λI``, ``dpotrf`` and ``dpotri``, all in place."""
    G = X.T @ X
    G /= X.shape[0]
    G.flat[:: G.shape[0] + 1] += lam
    U, _ = lapack.dpotrf(G, lower=False, clean=False, overwrite_a=True)
    R, _ = lapack.dpotri(U, lower=False, overwrite_c=True)
    return R


def ease(X: np.ndarray, lam: float) -> np.ndarray:
    """EASE's closed form: ``P = inv(XᵀX + λnI)``, ``B = I − P/diag(P)`` (zero diagonal)."""
    G = X.T @ X
    G.flat[:: G.shape[0] + 1] += lam * X.shape[0]
    P = np.linalg.inv(G)
    B = P / -np.diag(P)[:, None]  # row k predicts x_k (EASE writes the transpose, x ≈ xB)
    B.flat[:: B.shape[0] + 1] = 0.0
    return B


def sklearn_ridges(X: np.ndarray, lam: float) -> np.ndarray:
    """``d`` scikit-learn ``Ridge`` fits, row ``k`` from ``x_k`` on ``X_{−k}``."""
    from sklearn.linear_model import Ridge

    n, d = X.shape
    A = np.zeros((d, d))
    for k in range(d):
        others = np.arange(d) != k
        A[k, others] = Ridge(alpha=lam * n, fit_intercept=False).fit(X[:, others], X[:, k]).coef_
    return A


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def fits() -> None:
    rng = np.random.default_rng(0)
    print("1-2. fit_ssr vs the floor (syrk + dpotrf + dpotri) and vs EASE (np.linalg.inv), n = 2d, "
          "best of 3 interleaved rounds")
    print(f"{'d':>6} {'floor [s]':>10} {'fit_ssr [s]':>12} {'EASE inv [s]':>13} {'fit/floor':>10} "
          f"{'EASE/fit':>9} {'max |fit-EASE|':>15}")
    for d in (2000, 4000):
        X = rng.standard_normal((2 * d, d))
        fit_ssr(X, LAM)  # warm up threads and caches
        t_floor, t_fit, t_ease = best_times([lambda: floor(X, LAM), lambda: fit_ssr(X, LAM),
                                             lambda: ease(X, LAM)], 3)
        gap = float(np.max(np.abs(fit_ssr(X, LAM) - ease(X, LAM))))
        print(f"{d:>6} {t_floor:>10.3f} {t_fit:>12.3f} {t_ease:>13.3f} {t_fit / t_floor:>10.3f} "
              f"{t_ease / t_fit:>9.2f} {gap:>15.1e}")
    print(f"   (load average {_load()})")


def ridges() -> None:
    print()
    print("3. fit_ssr vs d separate scikit-learn Ridge fits (alpha = n lam, no intercept), n = 2d")
    try:
        import sklearn
    except ImportError:
        print("   scikit-learn is not installed: skipped")
        return
    d = 200
    X = np.random.default_rng(1).standard_normal((2 * d, d))
    start = time.perf_counter()
    B = sklearn_ridges(X, LAM)
    t_ridge = time.perf_counter() - start
    (t_fit,) = best_times([lambda: fit_ssr(X, LAM)], 5)
    gap = float(np.max(np.abs(fit_ssr(X, LAM) - B)) / np.max(np.abs(B)))
    print(f"{'d':>6} {'Ridge x d [s]':>14} {'fit_ssr [s]':>12} {'speed-up':>9} {'max rel. gap':>13}  "
          f"(scikit-learn {sklearn.__version__})")
    print(f"{d:>6} {t_ridge:>14.3f} {t_fit:>12.5f} {t_ridge / t_fit:>9.0f} {gap:>13.1e}")


def dask_speedup() -> None:
    from ssr.parallel import Executor

    print()
    print("4. Dask: simulate('gen-error', d=800, n=1600, seeds=16), in process vs 2 local worker processes")
    model = Model(gamma="1/2", lam="1/5")
    run = dict(d=800, seeds=16, seed=0)
    start = time.perf_counter()
    local = simulate("gen-error", model, **run)
    t_local = time.perf_counter() - start
    start = time.perf_counter()
    with Executor(workers=2) as executor:
        t_start = time.perf_counter() - start
        begin = time.perf_counter()
        remote = simulate("gen-error", model, map_tasks=executor.map, **run)
        t_map = time.perf_counter() - begin
    t_total = time.perf_counter() - start
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # the workers' thread count
        begin = time.perf_counter()
        serial = simulate("gen-error", model, **run)
        t_serial = time.perf_counter() - begin
    same = np.array_equal(serial.values, remote.values)
    from numerics.threads import CROSSOVER

    setting = "1 BLAS thread" if run["d"] < CROSSOVER else "default BLAS threads"
    print(f"   in process ({setting}: numerics.threads, CROSSOVER = {CROSSOVER}): {t_local:.2f} s; 2 workers: {t_map:.2f} s "
          f"(+ {t_start:.2f} s to start the cluster, {t_total:.2f} s in all)")
    print(f"   speed-up {t_local / t_map:.2f}x on the replicas, {t_local / t_total:.2f}x with the start; "
          f"in process with 1 BLAS thread (the workers' count): {t_serial:.2f} s, speed-up "
          f"{t_serial / t_map:.2f}x")
    print(f"   values identical to the in-process run at 1 BLAS thread: {same}; to the default run "
          f"({setting}): {np.array_equal(local.values, remote.values)} "
          f"(OpenBLAS's threaded Cholesky rounds differently from its serial one)")
    print(f"   (load average {_load()}, {os.cpu_count()} cores)")


_REPLICA = """
import resource, time
import numpy as np
from numerics.model import Model
from numerics.simulate import _replica
start = time.perf_counter()
value = _replica("gen-error", "ssr", Model(gamma="1/2", lam="1/5"), {d}, None,
                 np.random.default_rng([0, 0]), None)
print(repr(value), time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def memory(d: int = 10_000) -> None:
    print()
    print(f"5. one replica of gen-error at d = {d}, n = {2 * d} (gamma = 1/2), in a fresh process")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", _REPLICA.format(d=d)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    value, seconds, peak = out[0], float(out[1]), int(out[2]) * 1024
    gib = 2.0 ** 30
    print(f"   gen-error = {value} in {seconds:.0f} s; peak RSS {peak / gib:.2f} GiB "
          f"(X: {8 * 2 * d * d / gib:.2f} GiB, one d x d matrix: {8 * d * d / gib:.2f} GiB; "
          f"peak = X + {(peak - 8 * 2 * d * d) / (8 * d * d):.1f} d x d)")


def main() -> None:
    print(f"numpy {np.__version__}, {os.cpu_count()} cores, load average {_load()}")
    fits()
    ridges()
    dask_speedup()
    if "--memory" in sys.argv[1:]:
        memory()


if __name__ == "__main__":
    main()
