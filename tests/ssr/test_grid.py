"""Grids of ``ssr eval`` (:mod:`ssr.grid`): exact ranges, their product, one line per point.

The values are the real ones (in-process :func:`ssr.cli.main`): each grid line must equal the
line of a single ``ssr eval`` at that point, so the grid changes nothing but the loop.
"""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath as mp
import pytest

from numerics.model import BadParameter
from ssr import cli
from ssr.grid import parse_range

TWO_ATOMS = "1:1/2,6:1/2"


def _run(argv, capsys):
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_range_is_exact_inclusive_and_evenly_spaced():
    points = parse_range("1/10:0.3:5", "lam")
    assert points == tuple(Fraction(1, 10) + k * Fraction(1, 20) for k in range(5))
    assert points[0] == Fraction(1, 10) and points[-1] == Fraction(3, 10)
    assert parse_range("1:0:3", "gamma") == (Fraction(1), Fraction(1, 2), Fraction(0))  # descending
    assert parse_range("1e-3:1e-2:2", "lam") == (Fraction(1, 1000), Fraction(1, 100))
    assert parse_range("0.5", "gamma") is None


@pytest.mark.parametrize("text, message", [
    ("0:1:0", "lam: a range START:STOP:COUNT needs an integer COUNT >= 2 (at most 100000), got '0'"),
    ("0:1:1", "lam: a range START:STOP:COUNT needs an integer COUNT >= 2 (at most 100000), got '1'"),
    ("0:1:2.5", "lam: a range START:STOP:COUNT needs an integer COUNT >= 2 (at most 100000), got '2.5'"),
    ("0:1:-3", "lam: a range START:STOP:COUNT needs an integer COUNT >= 2 (at most 100000), got '-3'"),
    ("0:1:100001", "lam: a range START:STOP:COUNT needs an integer COUNT >= 2 (at most 100000), got '100001'"),
    ("0:1", "lam: expected a number or a range START:STOP:COUNT, got '0:1'"),
    ("0:1:2:3", "lam: expected a number or a range START:STOP:COUNT, got '0:1:2:3'"),
    ("1/2:1/2:3", "lam: a range START:STOP:COUNT needs START != STOP, got '1/2:1/2:3'"),
    ("nan:1:3", "lam: expected a finite number such as 0.2, 1/2 or 1e-3, got 'nan'"),
])
def test_a_bad_range_is_one_message_naming_the_parameter(text, message):
    with pytest.raises(BadParameter) as err:
        parse_range(text, "lam")
    assert str(err.value) == message


@pytest.mark.parametrize("option", ["--gamma", "--lam", "--theta", "--at", "--mask-ratio", "--test-mask-ratio"])
def test_every_numeric_option_reports_a_bad_range_on_one_line(option, capsys):
    status, out, err = _run(["eval", "density" if option == "--at" else "m", option, "0:1:0"], capsys)
    assert status == 2 and out == ""
    assert err.startswith(f"ssr: error: {option[2:]}: a range START:STOP:COUNT needs an integer COUNT >= 2")
    assert err.count("\n") == 1


def test_an_invalid_point_fails_before_any_output(capsys):
    status, out, err = _run(["eval", "m", "--gamma", "0:1:3", "--dps", "10"], capsys)
    assert (status, out, err) == (2, "", "ssr: error: gamma: must be > 0, got 0\n")


def test_a_grid_that_is_too_large_is_refused(capsys):
    status, out, err = _run(["eval", "m", "--gamma", "1:2:1000", "--lam", "1:2:1000"], capsys)
    assert status == 2 and out == ""
    assert err == "ssr: error: lam: the grid has 1000 x 1000 = 1000000 points, more than 100000\n"


def test_noise_atoms_are_not_a_range(capsys):
    status, out, err = _run(["eval", "m", "--noise", "1:1/2,6:1/2", "--dps", "10"], capsys)
    assert status == 0 and err == "" and out.count("\n") == 1
    status, _, err = _run(["eval", "m", "--noise", "1:1:3"], capsys)
    assert status == 2 and err.startswith("ssr: error: noise:")


def test_grid_lines_are_the_single_evaluations_in_product_order(capsys):
    argv = ["eval", "m", "--noise", TWO_ATOMS, "--dps", "20"]
    status, out, err = _run([*argv, "--lam", "1/10:3/10:3", "--gamma", "1/2:2:2"], capsys)
    assert status == 0 and err == ""
    lines = out.splitlines()
    expected = []
    for gamma in ("1/2", "2"):  # gamma outermost, whatever the order on the command line
        for lam in ("1/10", "1/5", "3/10"):
            _, single, _ = _run([*argv, "--gamma", gamma, "--lam", lam], capsys)
            expected.append(single.rstrip("\n"))
    assert lines == expected


def test_json_lines_carry_each_point(capsys):
    status, out, err = _run(["eval", "gen-error", "--mask-ratio", "0:1/2:3", "--test-mask-ratio", "0",
                             "--noise", TWO_ATOMS, "--dps", "12", "--json"], capsys)
    assert status == 0 and err == ""
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["params"]["mask_ratio"] for r in records] == ["0", "1/4", "1/2"]
    assert all(r["params"]["test_mask_ratio"] == "0" and r["quantity"] == "gen-error" for r in records)
    assert len({r["value"] for r in records}) == 3


def test_a_single_point_prints_exactly_as_before(capsys):
    status, out, _ = _run(["eval", "m", "--json", "--dps", "12"], capsys)
    assert status == 0 and out.count("\n") == 1
    assert json.loads(out)["value"] == "1.21699056603"


def test_a_grid_over_the_spectral_point(capsys):
    status, out, err = _run(["eval", "density", "--at", "1/2:1:3", "--dps", "10", "--json"], capsys)
    assert status == 0 and err == ""
    assert [json.loads(line)["params"]["at"] for line in out.splitlines()] == ["1/2", "3/4", "1"]


def test_a_solver_failure_names_the_grid_point(capsys, monkeypatch):
    from numerics import theory

    evaluate = theory.evaluate

    def failing(quantity, model, **kwargs):
        if model.mask_ratio == Fraction(1, 4):
            raise theory.ConvergenceError("(E1) fixed point for delta", mp.mpf(1), mp.mpf(10) ** -30)
        return evaluate(quantity, model, **kwargs)

    monkeypatch.setattr(theory, "evaluate", failing)
    status, out, err = _run(["eval", "m", "--mask-ratio", "0:1/2:3", "--dps", "10"], capsys)
    assert status == 2 and out.count("\n") == 1  # the first point, then the failure
    assert err == ("ssr: error: m: (E1) fixed point for delta did not converge: residual 1.0 > tol 1.0e-30 "
                   "(at mask-ratio=1/4)\n")
