"""Shared test fixtures.

STYLE §4: precision is local. Every test starts from mpmath's default context (15 digits),
so a test cannot pass or fail because an earlier one changed ``mp.dps``.
"""
import mpmath as mp
import pytest


@pytest.fixture(autouse=True)
def _reset_mp_dps():
    """Reset the global mpmath precision to its default before each test."""
    mp.mp.dps = 15
    yield


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    """One BLAS thread per process: the matrices here are small (d ≤ 600), and on a shared
    2-core machine multi-threaded OpenBLAS oversubscribes the cores (≈10× slower per call)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
