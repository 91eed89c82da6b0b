"""numerics.laws: the population laws ν and their integrals at the working precision.

Oracles: exact ``Fraction`` sums for the discrete laws (computed with no rounding at all, then
compared with the law's ``mpf`` integral), closed forms for the moments of the densities, and
the CDF obtained by quadrature of the density for the quantiles.
"""
from __future__ import annotations

from fractions import Fraction as F

import mpmath as mp
import numpy as np
import pytest

from numerics.laws import DiscreteLaw, EmpiricalLaw, FileLaw, PowerLaw, UniformLaw
from numerics.model import BadParameter

ATOMS = ((F(1), F(1, 3)), (F(2), F(1, 6)), (F(5), F(1, 2)))


def _q(x: F):
    return mp.mpf(x.numerator) / x.denominator


def _close(x, y, digits):
    assert abs(x - y) <= mp.mpf(10) ** (-digits) * max(abs(y), 1), (x, y)


# --- DiscreteLaw -------------------------------------------------------------------------------

def test_discrete_integrate_equals_an_exact_sum():
    """``∫ h dν`` for ``h(s) = 1/(s + 3/10)``: the exact rational ``Σ w/(s + 3/10)`` rounded once."""
    law = DiscreteLaw(ATOMS)
    exact = sum(w / (s + F(3, 10)) for s, w in ATOMS)
    with mp.workdps(40):
        value = law.integrate(lambda s: 1 / (s + mp.mpf(3) / 10))
        _close(value, _q(exact), 38)
        # and the mean, Σ w s = 1/3 + 1/3 + 5/2 = 19/6
        _close(law.mean(), _q(F(19, 6)), 39)


def test_discrete_integrate_is_an_ordered_fsum():
    law = DiscreteLaw(ATOMS)
    with mp.workdps(30):
        h = lambda s: mp.exp(s) * mp.sin(s)  # noqa: E731
        assert law.integrate(h) == mp.fsum(_q(w) * h(_q(s)) for s, w in ATOMS)


def test_discrete_support_poles_and_equality():
    law = DiscreteLaw(ATOMS)
    assert law.discrete and law.support() == (F(1), F(5))
    assert law.poles() == [1, 2, 5]
    assert law == DiscreteLaw([(1, F(1, 3)), (2, F(1, 6)), (5, F(1, 2))]) and hash(law) == hash(DiscreteLaw(ATOMS))
    assert law != DiscreteLaw(((F(1), F(1, 2)), (F(5), F(1, 2))))


def test_discrete_atoms_rounded_at_each_precision():
    law = DiscreteLaw(((F(1, 3), F(1)),))
    with mp.workdps(15):
        low = law.atoms()[0][0]
    with mp.workdps(50):
        high = law.atoms()[0][0]
        assert abs(high - mp.mpf(1) / 3) < mp.mpf(10) ** -49
        assert abs(low - mp.mpf(1) / 3) > mp.mpf(10) ** -20  # the 15-digit value was not reused


@pytest.mark.parametrize("u, expected", [
    (0.0, 1.0), (F(1, 3), 1.0), (0.3334, 2.0), (F(1, 2), 2.0), (0.5000001, 5.0), (1.0, 5.0)])
def test_discrete_quantile_is_the_generalised_inverse(u, expected):
    """``F⁻¹(u) = min{s : F(s) ≥ u}`` with ``F(1) = 1/3``, ``F(2) = 1/2``, ``F(5) = 1`` (exact)."""
    assert DiscreteLaw(ATOMS).quantile(u) == expected


# --- EmpiricalLaw, FileLaw ---------------------------------------------------------------------

def test_empirical_merges_repeated_values():
    law = EmpiricalLaw(["0.5", "2", "1/2", "2", "2", "7"])
    assert law.exact == ((F(1, 2), F(1, 3)), (F(2), F(1, 2)), (F(7), F(1, 6)))
    assert sum(w for _, w in law.exact) == 1


@pytest.mark.parametrize("values", [[], ["1", "0"], ["-1", "2"]])
def test_empirical_refuses_non_positive_or_empty(values):
    with pytest.raises(ValueError):
        EmpiricalLaw(values)


def test_file_law_npy_floats_are_taken_exactly(tmp_path):
    values = np.array([0.1, 0.3, 0.1, 2.0])
    path = tmp_path / "eig.npy"
    np.save(path, values)
    law = FileLaw(str(path))
    # 0.1 is the double nearest 1/10, not 1/10: Fraction(0.1) is that binary value
    assert law.exact == ((F(0.1), F(1, 2)), (F(0.3), F(1, 4)), (F(2), F(1, 4)))
    assert law.exact[0][0] != F(1, 10)
    assert law.size == 4 and law.spec == f"file({path})"
    assert law == EmpiricalLaw([F(0.1), F(0.1), F(0.3), F(2)])


def test_file_law_text_numbers_are_parsed_exactly(tmp_path):
    path = tmp_path / "eig.txt"
    path.write_text("0.1, 1/3\n1e-3 0.1\n")
    law = FileLaw(str(path))
    assert law.exact == ((F(1, 1000), F(1, 4)), (F(1, 10), F(1, 2)), (F(1, 3), F(1, 4)))


def test_file_law_equal_by_atoms_not_path(tmp_path):
    (tmp_path / "a.txt").write_text("1 2")
    (tmp_path / "b.txt").write_text("2\n1\n")
    a, b = FileLaw(str(tmp_path / "a.txt")), FileLaw(str(tmp_path / "b.txt"))
    assert a == b and hash(a) == hash(b)


@pytest.mark.parametrize("name, content, says", [
    ("missing.txt", None, "no such file"),
    ("words.txt", "1 two 3", "finite number"),
    ("neg.txt", "1 -2", "positive"),
    ("empty.txt", "", "non-empty"),
    ("nan.npy", np.array([1.0, np.nan]), "finite"),
    ("square.npy", np.eye(2), "1-d array"),
    ("text.npy", np.array(["a", "b"]), "1-d array"),
])
def test_file_law_refusals_are_one_line(tmp_path, name, content, says):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        np.save(path, content)
    with pytest.raises(BadParameter, match=says) as info:
        FileLaw(str(path), "noise")
    assert info.value.name == "noise" and "\n" not in str(info.value)


# --- densities ---------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [(F(1), F(6)), (F(1, 3), F(7, 2))])
def test_uniform_moments_closed_form(a, b):
    """Mean ``(a+b)/2`` and second moment ``(a² + ab + b²)/3``, exact rationals, to 30 digits."""
    law = UniformLaw(a, b)
    with mp.workdps(30):
        _close(law.mean(), _q((a + b) / 2), 29)
        _close(law.integrate(lambda s: s * s), _q((a * a + a * b + b * b) / 3), 29)
        _close(law.integrate(lambda s: mp.mpf(1)), mp.mpf(1), 29)


def _powerlaw_mean(alpha, a, b):
    """``∫ s·s^{−α} ds / ∫ s^{−α} ds`` on ``[a, b]`` in closed form (α = 1, 2 are the log cases)."""
    def primitive_integral(k):  # ∫_a^b s^k ds
        if k == -1:
            return mp.log(b / a)
        return (b ** (k + 1) - a ** (k + 1)) / (k + 1)
    return primitive_integral(1 - alpha) / primitive_integral(-alpha)


@pytest.mark.parametrize("alpha", [F(1), F(2), F(3, 2), F(-1, 2), F(0)])
def test_powerlaw_mean_closed_form(alpha):
    law = PowerLaw(alpha, F(1), F(6))
    with mp.workdps(30):
        expected = _powerlaw_mean(_q(alpha), mp.mpf(1), mp.mpf(6))
        _close(law.mean(), expected, 29)
        _close(law.integrate(lambda s: mp.mpf(1)), mp.mpf(1), 29)


def test_powerlaw_alpha_one_mean_is_b_minus_a_over_log():
    with mp.workdps(30):
        _close(PowerLaw(1, 2, 9).mean(), 7 / mp.log(mp.mpf(9) / 2), 29)


def test_density_mean_follows_the_working_precision():
    law = PowerLaw(F(3, 2), 1, 20)
    with mp.workdps(15):
        low = law.mean()
    with mp.workdps(40):
        high = law.mean()
        _close(high, _powerlaw_mean(mp.mpf(3) / 2, mp.mpf(1), mp.mpf(20)), 39)
    assert abs(high - low) > 0  # the 15-digit value was not returned at 40 digits


@pytest.mark.parametrize("law", [UniformLaw(1, 6), PowerLaw(1, 1, 6), PowerLaw(F(5, 2), F(1, 2), 4),
                                 PowerLaw(-2, 1, 3)])
@pytest.mark.parametrize("u", [0.0, 0.1, 0.5, 0.93, 1.0])
def test_quantile_inverts_the_cdf(law, u):
    """``F(Q(u)) = u`` with ``F`` the quadrature of the density from ``a`` (not the closed form)."""
    q = law.quantile(u)
    assert float(law.lower) - 1e-12 <= q <= float(law.upper) + 1e-12
    cdf = mp.quad(law.pdf, [_q(law.lower), mp.mpf(q)]) if q > law.lower else 0
    assert abs(cdf - u) < 1e-12


def test_density_laws_equal_by_spec():
    assert UniformLaw(1, 6) == UniformLaw(F(2, 2), "6") and hash(UniformLaw(1, 6)) == hash(UniformLaw(1, 6))
    assert UniformLaw(1, 6) != PowerLaw(0, 1, 6)  # the same density, a different law expression
    assert PowerLaw(1, 1, 6) != PowerLaw(1, 1, 7)
    assert not UniformLaw(1, 6).discrete and UniformLaw(1, 6).poles() == []


@pytest.mark.parametrize("make", [lambda: UniformLaw(2, 1), lambda: UniformLaw(0, 1), lambda: PowerLaw(1, 3, 3)])
def test_density_refuses_bad_support(make):
    with pytest.raises(ValueError, match="0 < a < b"):
        make()
