"""numerics.threads: one BLAS thread below the crossover dimension, BLAS's own count from it on.

The thread counts are read back through ``threadpoolctl`` (what the limit acts on), starting
from a known count of 2 so that a limit to 1 is visible; nothing here depends on machine load.
"""
from __future__ import annotations

import contextlib

import pytest

from numerics import threads

threadpoolctl = pytest.importorskip("threadpoolctl")


def _counts():
    return [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    """BLAS at 2 threads for the test (the session runs at 1); skipped where BLAS cannot have 2."""
    threads._get_controller()  # NumPy's and SciPy's BLAS loaded
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        if not _counts() or set(_counts()) != {2}:
            pytest.skip(f"BLAS cannot be set to 2 threads here: {_counts()}")
        yield


def test_crossover_is_a_dimension():
    assert isinstance(threads.CROSSOVER, int) and threads.CROSSOVER > 1


@pytest.mark.parametrize("d", [1, 10, 400, threads.CROSSOVER - 1])
def test_below_the_crossover_one_thread_then_restored(two_threads, d):
    with threads.blas_threads(d):
        assert set(_counts()) == {1}
    assert set(_counts()) == {2}


@pytest.mark.parametrize("d", [threads.CROSSOVER, 10 * threads.CROSSOVER])
def test_from_the_crossover_the_count_is_left_alone(two_threads, d):
    assert isinstance(threads.blas_threads(d), contextlib.nullcontext)
    with threads.blas_threads(d):
        assert set(_counts()) == {2}


def test_one_thread_limits_every_blas(two_threads):
    with threads.one_thread():
        assert set(_counts()) == {1}
    assert set(_counts()) == {2}


@pytest.mark.parametrize("d", [5, threads.CROSSOVER])
def test_a_lower_limit_is_never_raised(d):
    """At 1 thread already (as ``OPENBLAS_NUM_THREADS=1`` asks), no dimension raises it."""
    threads._get_controller()
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        with threads.blas_threads(d):
            assert set(_counts()) == {1}
        assert set(_counts()) == {1}


def test_without_threadpoolctl_every_context_is_a_no_op(monkeypatch):
    monkeypatch.setattr(threads, "_controller", False)  # what _get_controller stores without threadpoolctl
    assert isinstance(threads.one_thread(), contextlib.nullcontext)
    assert isinstance(threads.blas_threads(3), contextlib.nullcontext)


def test_the_controller_is_made_once():
    first = threads._get_controller()
    assert first is not None and threads._get_controller() is first
