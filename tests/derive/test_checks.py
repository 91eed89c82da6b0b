"""The derivation checks of :mod:`derive.checks` run under ``python -O`` (a bare ``assert`` would not)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from derive import checks
from derive.checks import DerivationError, check, check_same

DERIVE = Path(checks.__file__).resolve().parent


def _run_optimised(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh ``python -O`` (``sys.flags.optimize == 1``: bare asserts are stripped)."""
    return subprocess.run([sys.executable, "-O", "-c", code], capture_output=True, text=True, timeout=300)


def test_check_raises_under_python_O():
    result = _run_optimised(
        "import sys\n"
        "assert False, 'stripped by -O'\n"
        "from derive.checks import DerivationError, check\n"
        "try:\n"
        "    check(False, 'x')\n"
        "except DerivationError as error:\n"
        "    print('raised', error, sys.flags.optimize)\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["raised", "x", "1"]


@pytest.mark.slow
def test_derivation_checks_run_under_python_O():
    # count the checks a derivation performs in an optimised interpreter
    result = _run_optimised(
        "from derive import isotropic\n"
        "calls = []\n"
        "original = isotropic.check\n"
        "isotropic.check = lambda condition, message: (calls.append(message), original(condition, message))\n"
        "isotropic.mp_edges()\n"
        "print(len(calls))\n")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 3  # δ = γm in (E1), two roots of the discriminant, z₊ − z₋ > 0


@pytest.mark.slow
def test_a_failing_derivation_check_stops_python_O():
    # the weights do not sum to 1: with a bare assert, -O would return a wrong threshold silently
    result = _run_optimised(
        "from sympy import Rational\n"
        "from derive import heteroscedastic\n"
        "heteroscedastic.ridgeless_threshold(((1, Rational(1, 2)), (2, Rational(1, 3))))\n")
    assert result.returncode != 0
    assert "DerivationError: ridgeless threshold: the weights of the law do not sum to 1" in result.stderr


def test_no_bare_assert_left_in_derive():
    offenders = [f"{path.name}:{node.lineno}" for path in sorted(DERIVE.glob("*.py"))
                 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Assert)]
    assert offenders == []


def test_derivation_error_is_not_an_assertion_error():
    assert issubclass(DerivationError, RuntimeError) and not issubclass(DerivationError, AssertionError)
    check(True, "never raised")
    with pytest.raises(DerivationError, match="^the branch$"):
        check(None, "the branch")  # an undecided SymPy assumption query fails, as with assert


def test_check_same_decides_exactly_or_at_points():
    x = sp.Symbol("x", positive=True)
    r = sp.Symbol("r", real=True)
    assert check_same(sp.factor(x**2 - 1), (x - 1) * (x + 1), "factor") == "exact"
    # sqrt(1/r) = 1/sqrt(r) only for r > 0: SymPy cannot simplify it, the test points decide
    points = [{r: sp.Rational(1, 3)}, {r: 7}]
    assert check_same(sp.sqrt(1 / r), 1 / sp.sqrt(r), "roots", points=points) == "numeric (2 points, 40 digits)"
    assert check_same([x, sp.sqrt(1 / r)], [x, 1 / sp.sqrt(r)], "lists", points=points).startswith("numeric")
    with pytest.raises(DerivationError, match="no test points"):
        check_same(sp.sqrt(1 / r), 1 / sp.sqrt(r), "roots")
    with pytest.raises(DerivationError, match="roots: the forms differ"):
        check_same(sp.sqrt(1 / r), 1 / sp.sqrt(r), "roots", points=[{r: -2}])
    # agreement is to dps − 10 digits: 10⁻⁴⁵ passes at dps = 50, 10⁻³⁵ does not
    assert check_same(x, x + sp.Rational(1, 10**45), "shift", points=[{x: 1}]).startswith("numeric")
    with pytest.raises(DerivationError, match="shift: the forms differ"):
        check_same(x, x + sp.Rational(1, 10**35), "shift", points=[{x: 1}])
