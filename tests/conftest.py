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
