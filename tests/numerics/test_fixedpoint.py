"""Solvers never fail silently: residuals are verified and failures quote residual and tolerance."""
import mpmath as mp
import pytest

from numerics import fixedpoint
from numerics.fixedpoint import ConvergenceError, newton
from numerics.model import Model


def test_newton_verifies_its_residual():
    root = newton(lambda t: t**2 - 2, mp.mpf(1), what="sqrt2", tol=mp.mpf(10) ** -12)
    assert abs(root - mp.sqrt(2)) < mp.mpf(10) ** -12


def test_newton_without_a_root_raises_with_residual_and_tol():
    # x² + 1 has no real root: Newton from a real start cannot reach the tolerance
    with pytest.raises(ConvergenceError) as err:
        newton(lambda t: t**2 + 1, mp.mpf("0.5"), what="no real root", tol=mp.mpf(10) ** -20, maxsteps=30)
    message = str(err.value)
    assert "no real root did not converge" in message
    assert "residual" in message and "tol 1.0e-20" in message
    assert err.value.residual > err.value.tol


def test_multidimensional_newton():
    x, y = newton(lambda a, b: [a + b - 3, a - b - 1], (mp.mpf(0), mp.mpf(0)), what="linear", tol=mp.mpf(10) ** -25)
    assert abs(x - 2) < mp.mpf(10) ** -25 and abs(y - 1) < mp.mpf(10) ** -25


@pytest.mark.parametrize("gamma, lam", [("1/10", "1e-3"), ("1/2", "1/5"), ("5", "3")])
def test_first_order_residual_at_high_precision(gamma, lam):
    model = Model(gamma=gamma, lam=lam)
    delta = fixedpoint.delta_ridge(model, dps=60)
    with mp.workdps(80):
        g, l = model.mp("gamma"), model.mp("lam")
        residual = g / (1 / (1 + delta) + l) - delta  # (E1) with ν = δ₁
        assert abs(residual) < mp.mpf(10) ** -58 * abs(delta)
    assert mp.mp.dps == 15


def test_spectral_branch_has_positive_imaginary_part():
    system = fixedpoint.spectral_setting(Model(gamma="1/2", lam="1/5"), "pca")
    with mp.workdps(30):
        for t in ("0.5", "1", "2.5"):
            delta = system.solve(mp.mpf(t))
            assert mp.im(system.g(delta, mp.mpf(t))) > 0  # inside the bulk (0.086, 2.914)
        delta = system.solve(mp.mpf(4))
        assert abs(mp.im(system.g(delta, mp.mpf(4)))) < mp.mpf(10) ** -25  # outside: real
