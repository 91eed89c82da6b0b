"""``--scheduler`` / ``--workers``: a real Dask cluster gives the local results bit for bit.

The cluster is a :class:`distributed.LocalCluster` of two worker processes on 127.0.0.1 (module
scope); its workers import this checkout (``PYTHONPATH`` set to the repository root before it
starts). Worker processes run one BLAS thread (``OPENBLAS_NUM_THREADS=1``), and OpenBLAS's
threaded Cholesky rounds differently from its serial one, so the local reference runs under
``threadpool_limits(1)``: same seeds, same thread count, same bits.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

import distributed  # noqa: E402  (a hard dependency: dask[distributed] in pyproject.toml)
import threadpoolctl  # noqa: E402

from numerics.model import Model  # noqa: E402
from numerics.simulate import simulate  # noqa: E402
from ssr import phase  # noqa: E402
from ssr.cli import main  # noqa: E402
from ssr.parallel import WORKER_ENV, Executor, environment, map_tasks  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster():
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with environment({"PYTHONPATH": path, **WORKER_ENV}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                                     dashboard_address=":0", silence_logs=40) as local:
        yield local


def _serial(function, *args, **kwargs):
    with threadpoolctl.threadpool_limits(1):
        return function(*args, **kwargs)


def _cli(capsys, argv):
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


CASES = [
    ("gen-error", Model(gamma="1/2", lam="1/5"), {}),
    ("edges", Model(gamma="1/2", lam="1/5", noise="1:1/2,4:1/2"), {}),
    ("overlap", Model(gamma="1/2", lam="1/5", theta=3, basis="rotational", noise="1:1/2,3:1/2"), {}),
    ("m", Model(gamma=2, lam="1/10"), {"extrapolate": True, "data": "rademacher"}),
]


@pytest.mark.parametrize("quantity, model, options", CASES, ids=[case[0] for case in CASES])
def test_simulate_on_the_scheduler_is_the_local_run_bit_for_bit(cluster, quantity, model, options):
    local = _serial(simulate, quantity, model, d=40, seeds=5, seed=7, **options)
    done = []
    with Executor(scheduler=cluster.scheduler_address) as executor:
        remote = simulate(quantity, model, d=40, seeds=5, seed=7, map_tasks=executor.map,
                          progress=lambda k, total: done.append((k, total)), **options)
    assert np.array_equal(remote.values, local.values)
    assert np.array_equal(remote.mean, local.mean) and np.array_equal(remote.stderr, local.stderr)
    assert done == [(k, 5) for k in range(1, 6)]  # counted with as_completed


SIMULATE = ["simulate", "gen-error", "--d", "30", "--seeds", "4", "--theta", "2", "--json"]


def test_cli_simulate_scheduler_and_workers_print_the_local_numbers(cluster, capsys):
    status, out, _ = _serial(_cli, capsys, SIMULATE)
    assert status == 0
    local = json.loads(out)
    for extra in (["--scheduler", cluster.scheduler_address], ["--workers", "2"]):
        status, out, err = _cli(capsys, SIMULATE + extra)
        assert status == 0, err
        remote = json.loads(out)
        assert (remote["mean"], remote["stderr"]) == (local["mean"], local["stderr"])


def _bits(values):
    return [[None if mp.isnan(x) else x._mpf_ for x in row] for row in values]


PHASE = dict(points=(2, 2), axis_range=(1, 8))


@pytest.fixture(scope="module")
def local_phase():
    return phase.phase_map("theta-contrast", dps=6, **PHASE)


def test_phase_on_the_scheduler_is_the_local_map_bit_for_bit(cluster, local_phase):
    local = local_phase
    stages = []
    with Executor(scheduler=cluster.scheduler_address) as executor:
        remote = phase.phase_map("theta-contrast", dps=6, map_tasks=executor.map,
                                 progress=lambda *step: stages.append(step), **PHASE)
    assert remote.thetas == local.thetas
    assert _bits([remote.theta_c_ssr, remote.theta_c_pca]) == _bits([local.theta_c_ssr, local.theta_c_pca])
    assert _bits(remote.overlap_ssr) == _bits(local.overlap_ssr)
    assert _bits(remote.overlap_pca) == _bits(local.overlap_pca)
    assert remote.failures == local.failures
    assert stages[-1] == ("overlaps", 4, 4) and ("thresholds", 2, 2) in stages


def test_cli_phase_with_local_workers_writes_the_local_csv(tmp_path, capsys, local_phase):
    (tmp_path / "local").mkdir()
    phase.write_csv(local_phase, str(tmp_path / "local"))
    status, _, err = _cli(capsys, ["phase", "--points", "2x2", "--dps", "6", "--range", "1:8",
                                   "--out", str(tmp_path / "dask"), "--workers", "2"])
    assert status == 0, err
    for name in ("phase.csv", "thresholds.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()


def test_map_tasks_keeps_task_order_on_the_cluster(cluster):
    tasks = list(range(20, 0, -1))
    done = []
    assert map_tasks(abs, [-t for t in tasks], scheduler=cluster.scheduler_address,
                     progress=lambda k, total: done.append(k)) == tasks
    assert done == list(range(1, 21))


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "nonsense", "tcp://127.0.0.1:x"])
def test_an_unreachable_or_malformed_scheduler_is_one_line_exit_2(capsys, address):
    status, out, err = _cli(capsys, ["simulate", "m", "--d", "10", "--seeds", "2", "--scheduler", address])
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("ssr: error: scheduler: ")


def test_scheduler_and_workers_together_are_refused(capsys):
    status, _, err = _cli(capsys, ["simulate", "m", "--d", "10", "--workers", "2", "--scheduler", "tcp://a:1"])
    assert status == 2 and err.startswith("ssr: error: workers: ")


def test_verify_claim_on_the_scheduler_is_the_local_check(cluster):
    from ssr import verify

    claim = next(claim for claim in verify.CLAIMS if claim.id == "m")
    local = _serial(verify.check, claim, quick=True)
    with Executor(scheduler=cluster.scheduler_address) as executor:
        remote = verify.check(claim, quick=True, map_tasks=executor.map)
    assert np.array_equal(remote.simulation.values, local.simulation.values)
    assert (remote.estimate, remote.stderr, remote.z, remote.passed) == \
        (local.estimate, local.stderr, local.z, local.passed)


def test_cli_verify_takes_the_cluster_options(capsys):
    status, _, err = _cli(capsys, ["verify", "--quick", "--match", "m", "--scheduler", "nonsense"])
    assert status == 2 and err.startswith("ssr: error: scheduler: ")


def test_a_task_error_on_the_cluster_is_the_same_one_line(cluster, capsys):
    argv = ["simulate", "edges", "--d", "6", "--seeds", "2"]
    local = _cli(capsys, argv)
    remote = _cli(capsys, [*argv, "--scheduler", cluster.scheduler_address])
    assert local[0] == remote[0] == 2 and remote[2] == local[2]
    assert remote[2].startswith("ssr: error: d: the bulk has 6 eigenvalue(s)") and remote[2].count("\n") == 1


def test_sweep_on_the_scheduler_writes_the_rows_of_the_local_sweep(cluster, tmp_path, capsys):
    """``ssr sweep`` with ``--scheduler``: chunks of points as tasks, rows appended as they arrive;
    the file holds exactly the local sweep's rows (as a set, each once), and a rerun resumes it."""
    argv = ["sweep", "gen-error", "--noise", "1:1/2,6:1/2", "--gamma", "1/4:2:9", "--lam", "1/10:1:5", "--dps", "15"]
    assert _cli(capsys, [*argv, "--out", str(tmp_path / "local")])[0] == 0
    status, out, _ = _cli(capsys, [*argv, "--out", str(tmp_path / "cluster"), "--scheduler", cluster.scheduler_address])
    assert status == 0 and "45 computed" in out
    local = (tmp_path / "local" / "sweep.csv").read_text().splitlines()
    remote = (tmp_path / "cluster" / "sweep.csv").read_text().splitlines()
    assert local[0] == remote[0] and set(local) == set(remote) and len(set(remote)) == len(remote) == 46
    status, out, _ = _cli(capsys, [*argv, "--out", str(tmp_path / "cluster")])  # resumed locally: nothing left
    assert status == 0 and "0 computed, 45 already" in out
