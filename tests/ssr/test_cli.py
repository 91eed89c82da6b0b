"""The ``ssr`` command line: argument handling, error reporting and output shape.

The numerical work (``numerics.theory.evaluate``, ``numerics.simulate.simulate``) is replaced
by fakes here; its agreement with the mathematics is tested in the modules' own tests.
"""
from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
import types
from dataclasses import dataclass
from fractions import Fraction
from importlib.metadata import entry_points

import mpmath as mp
import numpy as np
import pytest

import derive
import ssr
from ssr import cli
from numerics.model import BadParameter

# Digits of pi from mpmath at dps=60: mp.nstr(mp.pi / 10, 40) and mp.nstr(2 * mp.pi / 10, 40).
PI_TENTH_40 = "0.3141592653589793238462643383279502884197"
TWO_PI_TENTH_40 = "0.6283185307179586476925286766559005768394"


def _significant_digits(text: str) -> int:
    mantissa = text.lstrip("+-").split("e")[0].replace(".", "")
    return len(mantissa.lstrip("0"))


@pytest.fixture
def theory(monkeypatch):
    """``numerics.theory`` with ``evaluate`` replaced by a recording fake; returns the calls."""
    module = importlib.import_module("numerics.theory")
    calls = []

    def evaluate(quantity, model, *, method="ssr", at=None, dps=30, notes=None):
        calls.append(dict(quantity=quantity, model=model, method=method, at=at, dps=dps))
        with mp.workdps(dps):
            x = mp.pi / 10
            return [x, 2 * x] if quantity == "edges" else x

    monkeypatch.setattr(module, "evaluate", evaluate, raising=False)
    return types.SimpleNamespace(module=module, calls=calls)


@dataclass
class _Result:
    mean: object
    stderr: object
    values: object
    d: int
    n: int
    seeds: int
    seed: int


@pytest.fixture
def simulation(monkeypatch, theory):
    """``numerics.simulate`` with ``simulate`` replaced by a recording fake; returns the calls."""
    module = importlib.import_module("numerics.simulate")
    calls = []

    def simulate(quantity, model, *, d, seeds=10, method="ssr", at=None, seed=0, progress=None,
                 extrapolate=False, data="gaussian"):
        calls.append(dict(quantity=quantity, model=model, d=d, seeds=seeds, method=method,
                          at=at, seed=seed, progress=progress, data=data))
        for k in range(1, seeds + 1):
            if progress is not None:
                progress(k, seeds)
        n = int(d / model.gamma)
        if quantity == "edges":
            return _Result(np.array([0.125, 0.75]), np.array([0.001, 0.002]),
                           np.zeros((seeds, 2)), d, n, seeds, seed)
        return _Result(0.1, 0.0123456789, np.zeros(seeds), d, n, seeds, seed)

    monkeypatch.setattr(module, "simulate", simulate, raising=False)
    return types.SimpleNamespace(module=module, calls=calls)


def _run(argv, capsys):
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


BAD_INPUT = [
    (["eval", "m", "--gamma", "-1"], "gamma"),
    (["eval", "m", "--gamma", "-1/2"], "gamma"),
    (["eval", "m", "--gamma", "0"], "gamma"),
    (["eval", "m", "--gamma", "1/0"], "gamma"),
    (["eval", "m", "--gamma", "abc"], "gamma"),
    (["eval", "m", "--gamma", "__import__('os').getcwd()"], "gamma"),
    (["eval", "m", "--gamma"], "gamma"),
    (["eval", "m", "--lam", "0"], "lam"),
    (["eval", "m", "--lam", "-1e-3"], "lam"),
    (["eval", "m", "--theta", "nan"], "theta"),
    (["eval", "m", "--theta", "inf"], "theta"),
    (["eval", "m", "--theta", "-1"], "theta"),
    (["eval", "m", "--dps", "0"], "dps"),
    (["eval", "m", "--dps", "-3"], "dps"),
    (["eval", "m", "--dps", "abc"], "dps"),
    (["eval", "m", "--dps", "2.5"], "dps"),
    (["eval", "m", "--dps", "1001"], "dps"),
    (["eval", "m", "--dps", "1_0"], "dps"),
    (["eval", "foo"], "QUANTITY"),
    (["eval"], "QUANTITY"),
    (["eval", "m", "--basis", "foo"], "basis"),
    (["eval", "m", "--method", "foo"], "method"),
    (["eval", "m", "--noise", "1:0.5"], "noise"),
    (["eval", "m", "--noise", "1"], "noise"),
    (["eval", "m", "--noise", "0:1"], "noise"),
    (["eval", "density"], "at"),
    (["eval", "density", "--at", "x"], "at"),
    (["eval", "m", "--at", "1"], "at"),
    (["eval", "m", "--zz", "3"], "zz"),
    (["eval", "m", "--json=1"], "json"),
    (["simulate", "m"], "d"),
    (["simulate", "m", "--d", "1"], "d"),
    (["simulate", "m", "--d", "20001"], "d"),
    (["simulate", "m", "--d", "10.5"], "d"),
    (["simulate", "m", "--d", "100", "--seeds", "1"], "seeds"),
    (["simulate", "m", "--d", "100", "--seeds", "10001"], "seeds"),
    (["simulate", "m", "--d", "100", "--seed", "-1"], "seed"),
    (["simulate", "m", "--d", "100", "--gamma", "0"], "gamma"),
    (["simulate", "density", "--d", "100"], "at"),
    (["simulate", "foo", "--d", "100"], "QUANTITY"),
    (["verify", "--quick=yes"], "quick"),
    (["verify", "--match", "no-such-claim"], "match"),
    (["eval", "m", "--mask-ratio", "1"], "mask-ratio"),
    (["eval", "m", "--mask-ratio", "-0.1"], "mask-ratio"),
    (["eval", "m", "--mask-ratio", "x"], "mask-ratio"),
    (["eval", "m", "--test-mask-ratio", "3/2"], "test-mask-ratio"),
    (["eval", "edges", "--method", "pca", "--mask-ratio", "0.3"], "mask-ratio"),
    (["simulate", "m", "--d", "100", "--mask-ratio", "1/0"], "mask-ratio"),
    (["simulate", "m", "--d", "100", "--data", "cauchy"], "data"),
    (["simulate", "m", "--d", "100", "--data", "student-t(2)"], "data"),
    (["simulate", "m", "--d", "100", "--data", "student-t(1/0)"], "data"),
    (["simulate", "m", "--d", "100", "--data", "student-t(nan)"], "data"),
    (["simulate", "m", "--d", "100", "--data", "student-t"], "data"),
    (["simulate", "m", "--d", "100", "--data", "sparse(0)"], "data"),
    (["simulate", "m", "--d", "100", "--data", "sparse(11/10)"], "data"),
    (["simulate", "m", "--d", "100", "--data", "rademacher(1)"], "data"),
    (["simulate", "m", "--d", "100", "--data", "-1"], "data"),
    (["simulate", "m", "--d", "100", "--data"], "data"),
    (["eval", "m", "--data", "rademacher"], "data"),
    ([], "COMMAND"),
    (["foo"], "COMMAND"),
]


@pytest.mark.parametrize("argv, name", BAD_INPUT,
                         ids=[" ".join(argv) or "<none>" for argv, _ in BAD_INPUT])
def test_bad_input_exits_2_with_one_line_naming_the_parameter(argv, name, capsys, simulation,
                                                              theory):
    status, out, err = _run(argv, capsys)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.endswith("\n")
    assert err.startswith(f"ssr: error: {name}: ")
    assert "Traceback" not in err and "usage:" not in err
    assert simulation.calls == [] and theory.calls == []


def test_bad_input_calls_no_solver(capsys, theory):
    status, _, _ = _run(["eval", "m", "--lam", "0"], capsys)
    assert status == 2 and theory.calls == []


def test_general_noise_reaches_the_solver_exactly(capsys, theory):
    status, _, err = _run(["eval", "m", "--noise", "1:1/2,6:1/2", "--basis", "rotational"], capsys)
    assert status == 0 and err == ""
    model = theory.calls[0]["model"]
    assert model.noise == ((Fraction(1), Fraction(1, 2)), (Fraction(6), Fraction(1, 2)))
    assert model.basis == "rotational"


def test_signed_values_reach_the_number_parser(capsys, theory):
    status, _, err = _run(["eval", "m", "--theta", "-1/2"], capsys)
    assert status == 2
    assert err == "ssr: error: theta: must be >= 0, got -1/2\n"


def test_messages_are_specific(capsys, theory):
    _, _, err = _run(["eval", "foo"], capsys)
    assert err == ("ssr: error: QUANTITY: invalid choice 'foo' (choose from m, train-error, "
                   "gen-error, edges, density, threshold, outlier, overlap, mask-optimum, lam-optimum, threshold-optimum)\n")
    _, _, err = _run(["eval", "m", "--dps", "2.5"], capsys)
    assert err == "ssr: error: dps: expected an integer in [1, 1000], got '2.5'\n"
    _, _, err = _run(["eval", "m", "--noise", "1:0.5"], capsys)
    assert err == "ssr: error: noise: weights must sum to 1, they sum to 1/2\n"


def test_eval_json_shape(capsys, theory):
    status, out, err = _run(["eval", "gen-error", "--dps", "40", "--json"], capsys)
    assert status == 0 and err == ""
    assert len(out.splitlines()) == 1
    data = json.loads(out)
    assert set(data) == {"quantity", "value", "dps", "params"}
    assert data["quantity"] == "gen-error"
    assert data["dps"] == 40
    assert data["value"] == PI_TENTH_40
    assert _significant_digits(data["value"]) == 40
    assert data["params"] == {"gamma": "1/2", "lam": "1/5", "theta": "0", "noise": "1:1",
                              "basis": "diagonal", "method": "ssr", "at": None}


def test_eval_parses_numbers_exactly_and_forwards_them(capsys, theory):
    status, out, _ = _run(["eval", "density", "--gamma", "0.2", "--lam", "1e-3",
                           "--theta", "3/2", "--at", "0.25", "--basis", "rotational",
                           "--method", "pca", "--dps", "12", "--json"], capsys)
    assert status == 0
    (call,) = theory.calls
    assert call["quantity"] == "density" and call["method"] == "pca" and call["dps"] == 12
    assert call["at"] == Fraction(1, 4)
    model = call["model"]
    assert (model.gamma, model.lam, model.theta) == (Fraction(1, 5), Fraction(1, 1000),
                                                    Fraction(3, 2))
    assert model.basis == "rotational"
    params = json.loads(out)["params"]
    assert params == {"gamma": "1/5", "lam": "1/1000", "theta": "3/2", "noise": "1:1",
                      "basis": "rotational", "method": "pca", "at": "1/4"}


def test_eval_edges_is_a_list_of_strings(capsys, theory):
    status, out, _ = _run(["eval", "edges", "--dps", "40", "--json"], capsys)
    assert status == 0
    assert json.loads(out)["value"] == [PI_TENTH_40, TWO_PI_TENTH_40]


@pytest.mark.parametrize("dps", [1, 5, 30, 100])
def test_eval_value_has_dps_significant_digits(dps, capsys, theory):
    _, out, _ = _run(["eval", "m", "--dps", str(dps), "--json"], capsys)
    assert _significant_digits(json.loads(out)["value"]) == dps


def test_eval_leaves_global_precision_alone(capsys, theory):
    before = mp.mp.dps
    _run(["eval", "m", "--dps", "200", "--json"], capsys)
    assert mp.mp.dps == before


def test_eval_human_readable_line(capsys, theory):
    status, out, err = _run(["eval", "gen-error"], capsys)
    assert status == 0 and err == ""
    assert out == ("gen-error = 0.314159265358979323846264338328 (dps=30; gamma=1/2, "
                   "lam=1/5, theta=0, noise=1:1, basis=diagonal, method=ssr)\n")
    _, out, _ = _run(["eval", "edges", "--dps", "3"], capsys)
    assert out.startswith("edges = [0.314, 0.628] (dps=3;")


def test_convergence_failure_is_one_line_exit_2(capsys, theory, monkeypatch):
    def failing(*args, **kwargs):
        raise theory.module.ConvergenceError("(E4) outlier system", mp.mpf("1e-5"), mp.mpf("1e-28"))

    monkeypatch.setattr(theory.module, "evaluate", failing)
    status, out, err = _run(["eval", "outlier", "--theta", "2"], capsys)
    assert status == 2 and out == ""
    assert err == "ssr: error: outlier: (E4) outlier system did not converge: residual 1.0e-5 > tol 1.0e-28\n"


def test_internal_error_is_one_line_exit_1(capsys, theory, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(theory.module, "evaluate", broken)
    monkeypatch.delenv("SSR_TRACEBACK", raising=False)
    status, out, err = _run(["eval", "m"], capsys)
    assert status == 1 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("ssr: internal error: ZeroDivisionError: division by zero second line")
    monkeypatch.setenv("SSR_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["eval", "m"])


def test_simulate_json_shape(capsys, simulation):
    status, out, err = _run(["simulate", "gen-error", "--d", "100", "--seeds", "5",
                             "--seed", "7", "--json"], capsys)
    assert status == 0 and err == ""
    assert len(out.splitlines()) == 1
    data = json.loads(out)
    assert set(data) == {"quantity", "value", "dps", "params", "mean", "stderr",
                         "d", "n", "seeds", "seed", "extrapolate", "data"}
    assert data["data"] == "gaussian"
    assert data["mean"] == repr(0.1) and data["stderr"] == repr(0.0123456789)
    assert float(data["value"]) == 0.1 and data["dps"] == 17
    assert (data["d"], data["n"], data["seeds"], data["seed"]) == (100, 200, 5, 7)
    assert data["extrapolate"] is False
    assert data["params"]["gamma"] == "1/2" and data["params"]["at"] is None
    (call,) = simulation.calls
    assert (call["d"], call["seeds"], call["seed"]) == (100, 5, 7)
    assert call["progress"] is None


def test_simulate_edges_and_at_forwarded(capsys, simulation):
    status, out, _ = _run(["simulate", "edges", "--d", "50", "--json"], capsys)
    assert status == 0
    data = json.loads(out)
    assert data["mean"] == ["0.125", "0.75"] and data["stderr"] == ["0.001", "0.002"]
    assert [float(v) for v in data["value"]] == [0.125, 0.75]
    _run(["simulate", "density", "--d", "50", "--at", "1/3", "--json"], capsys)
    assert simulation.calls[-1]["at"] == Fraction(1, 3)


def test_simulate_human_readable_line(capsys, simulation):
    status, out, _ = _run(["simulate", "m", "--d", "100", "--seeds", "3"], capsys)
    assert status == 0
    assert out == ("m = 0.1 +/- 0.012 (d=100, n=200, seeds=3, seed=0; gamma=1/2, lam=1/5, "
                   "theta=0, noise=1:1, basis=diagonal, method=ssr)\n")


def test_simulate_data_law_is_parsed_exactly_and_named_in_the_output(capsys, simulation):
    status, out, err = _run(["simulate", "gen-error", "--d", "100", "--seeds", "3",
                             "--data", "student-t(5/2)", "--json"], capsys)
    assert status == 0 and err == ""
    assert json.loads(out)["data"] == "student-t(5/2)"
    law = simulation.calls[-1]["data"]
    assert law.spec == "student-t(5/2)" and law.nu == Fraction(5, 2)
    status, out, _ = _run(["simulate", "m", "--d", "100", "--seeds", "3", "--data", " sparse(1e-1) "], capsys)
    assert status == 0
    assert out == ("m = 0.1 +/- 0.012 (d=100, n=200, seeds=3, seed=0, data=sparse(1/10); gamma=1/2, lam=1/5, "
                   "theta=0, noise=1:1, basis=diagonal, method=ssr)\n")
    assert simulation.calls[-1]["data"].q == Fraction(1, 10)
    _run(["simulate", "m", "--d", "100", "--data", "gaussian"], capsys)
    assert simulation.calls[-1]["data"].gaussian


def test_simulate_value_error_names_parameter(capsys, simulation, monkeypatch):
    def refusing(*args, **kwargs):
        raise ValueError("d: too small for gamma=1/2 (need n >= 2)")

    monkeypatch.setattr(simulation.module, "simulate", refusing)
    status, _, err = _run(["simulate", "m", "--d", "2"], capsys)
    assert status == 2
    assert err == "ssr: error: d: too small for gamma=1/2 (need n >= 2)\n"


def test_simulate_bad_parameter_is_reported_with_the_cli_name(capsys, simulation, monkeypatch):
    def refusing(quantity, *args, **kwargs):
        raise BadParameter("quantity", f"{quantity!r} is a limit, it has no finite-d simulation")

    monkeypatch.setattr(simulation.module, "simulate", refusing)
    status, _, err = _run(["simulate", "threshold", "--d", "100"], capsys)
    assert status == 2
    assert err == "ssr: error: QUANTITY: 'threshold' is a limit, it has no finite-d simulation\n"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_simulate_progress_only_on_a_terminal(capsys, simulation, monkeypatch):
    terminal = _Terminal()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stderr", terminal)
        assert cli.main(["simulate", "m", "--d", "100", "--seeds", "3"]) == 0
        shown = terminal.getvalue()
        assert "ssr simulate: replicas [" in shown and " 1/3," in shown and " 3/3," in shown
        assert "left ~" in shown and "#" * 20 in shown  # a full bar at the end
        assert shown.endswith("\r")  # the progress line is erased at the end
        assert cli.main(["simulate", "m", "--d", "100", "--seeds", "3", "--json"]) == 0
        assert simulation.calls[-1]["progress"] is None
    assert cli.main(["simulate", "m", "--d", "100", "--seeds", "3"]) == 0
    assert simulation.calls[-1]["progress"] is None
    assert capsys.readouterr().err == ""


def test_verify_and_derive_delegate(monkeypatch, capsys, tmp_path):
    seen = {}
    out = str(tmp_path / "out")

    def run(quick, report, match=None):
        seen["verify"] = (quick, report)
        return 3

    def write_all(check, progress=None):
        seen["derive"] = check
        seen["derive-progress"] = progress
        return 4

    verify = types.ModuleType("ssr.verify")
    verify.run = run
    documents = types.ModuleType("derive.documents")
    documents.write_all = write_all
    monkeypatch.setitem(sys.modules, "ssr.verify", verify)
    monkeypatch.setattr(ssr, "verify", verify, raising=False)
    monkeypatch.setitem(sys.modules, "derive.documents", documents)
    monkeypatch.setattr(derive, "documents", documents, raising=False)
    _fake_codegen(monkeypatch, seen)
    assert cli.main(["verify", "--quick", "--report", out]) == 3
    assert cli.main(["derive", "--check"]) == 4
    assert seen == {"verify": (True, out), "derive": True, "derive-progress": None,  # not a terminal
                    "closed": True}
    seen.clear()
    assert cli.main(["verify"]) == 3 and seen["verify"] == (False, None)


def _fake_codegen(monkeypatch, seen: dict, status: int = 0):
    """``numerics.codegen`` with ``write`` replaced by a fake recording ``check`` in ``seen["closed"]``."""
    import numerics

    def write(check=False, path=None):
        seen["closed"] = check
        return status

    codegen = types.ModuleType("numerics.codegen")
    codegen.write = write
    monkeypatch.setitem(sys.modules, "numerics.codegen", codegen)
    monkeypatch.setattr(numerics, "codegen", codegen, raising=False)


def test_derive_shows_a_progress_bar_on_a_terminal(monkeypatch):
    def write_all(check, progress=None):
        for done, name in enumerate(["isotropic.md", "spiked.md"]):
            progress(name, done, 2)
        progress("done", 2, 2)
        return 0

    documents = types.ModuleType("derive.documents")
    documents.write_all = write_all
    monkeypatch.setitem(sys.modules, "derive.documents", documents)
    monkeypatch.setattr(derive, "documents", documents, raising=False)
    _fake_codegen(monkeypatch, {})
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["derive"]) == 0
    shown = terminal.getvalue()
    assert "ssr derive [" in shown and "deriving spiked.md" in shown and " 2/2" in shown
    assert shown.endswith("\r")


@pytest.mark.parametrize("documents_status, closed_status, expected", [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 1)])
def test_derive_fails_when_the_documents_or_the_generated_module_are_stale(
        monkeypatch, documents_status, closed_status, expected):
    seen = {}
    documents = types.ModuleType("derive.documents")
    documents.write_all = lambda check, progress=None: documents_status
    monkeypatch.setitem(sys.modules, "derive.documents", documents)
    monkeypatch.setattr(derive, "documents", documents, raising=False)
    _fake_codegen(monkeypatch, seen, closed_status)
    assert cli.main(["derive", "--check"]) == expected and seen == {"closed": True}
    assert cli.main(["derive"]) == expected and seen == {"closed": False}


def test_derive_check_names_a_tampered_generated_module(monkeypatch, capsys, tmp_path):
    """The real generator against a tampered copy of numerics/_closed.py (the real one is untouched)."""
    from numerics import codegen

    documents = types.ModuleType("derive.documents")
    documents.write_all = lambda check, progress=None: 0
    monkeypatch.setitem(sys.modules, "derive.documents", documents)
    monkeypatch.setattr(derive, "documents", documents, raising=False)
    copy = tmp_path / "_closed.py"
    text = codegen.PATH.read_text(encoding="utf-8")
    copy.write_text(text.replace("sqrt(", "mpf(2) * sqrt(", 1), encoding="utf-8")
    monkeypatch.setattr(codegen, "PATH", copy)
    assert cli.main(["derive", "--check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ssr: error: derive: ") and str(copy) in err and len(err.splitlines()) == 1
    assert cli.main(["derive"]) == 0 and copy.read_text(encoding="utf-8") == text
    assert cli.main(["derive", "--check"]) == 0
    assert codegen.PATH.read_text(encoding="utf-8") == text


_NO_HEAVY_IMPORTS = """import sys
from ssr.cli import main
for argv in {argvs!r}:
    assert main(argv) == 0, argv
    print(sorted(name for name in ("sympy", "matplotlib", "scipy", "dask") if name in sys.modules))
"""


def test_eval_imports_neither_sympy_nor_matplotlib(tmp_path):
    """``ssr eval`` starts fast: the closed route runs the generated numerics/_closed.py, the fixed
    point needs mpmath only; SymPy, matplotlib, SciPy (and dask) are never imported."""
    import os
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    argvs = [["eval", "m"], ["eval", "gen-error", "--mask-ratio", "0.3"],
             ["eval", "outlier", "--theta", "2", "--method", "pca", "--json"],
             ["eval", "m", "--noise", "1:1/2,6:1/2", "--dps", "20"]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", _NO_HEAVY_IMPORTS.format(argvs=argvs)], capture_output=True,
                          text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("m = 1.216990566028301905660330188") and lines[2].startswith("gen-error = ")
    assert lines[1::2] == ["[]"] * len(argvs)


def test_help_works_without_the_numerical_modules(monkeypatch, capsys):
    for name in ("numerics.theory", "numerics.simulate", "ssr.verify", "derive.documents"):
        monkeypatch.setitem(sys.modules, name, None)  # makes any import of them fail
    assert cli.main(["--help"]) == 0
    assert "simulate" in capsys.readouterr().out
    assert cli.main(["eval", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(quantity in out for quantity in cli.QUANTITIES) and "1/5" in out


def test_quantities_match_theory():
    from numerics import theory

    assert tuple(theory.QUANTITIES) == cli.QUANTITIES


def test_console_script_is_declared():
    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "ssr"]
    assert script.value == "ssr.cli:main"


@pytest.mark.parametrize("argv, name", [
    (["eval", "m", "--gamma", "-1"], "gamma"),
    (["simulate", "m", "--d", "1"], "d"),
])
def test_subprocess_bad_input(argv, name):
    proc = subprocess.run([sys.executable, "-m", "ssr.cli", *argv],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith(f"ssr: error: {name}: ")
    assert "Traceback" not in proc.stderr


def test_subprocess_help():
    proc = subprocess.run([sys.executable, "-m", "ssr.cli", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "eval" in proc.stdout and "derive" in proc.stdout


def test_verify_report_into_an_unusable_directory_exits_2_before_any_claim(monkeypatch, capsys, tmp_path):
    """``--report DIR`` is checked before the claims run (it used to fail after all of them)."""
    def run(quick, report):
        raise AssertionError("verify.run must not start")

    verify = types.ModuleType("ssr.verify")
    verify.run = run
    monkeypatch.setitem(sys.modules, "ssr.verify", verify)
    monkeypatch.setattr(ssr, "verify", verify, raising=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for target in (blocker, blocker / "below"):
        assert cli.main(["verify", "--quick", "--report", str(target)]) == 2
        _, err = capsys.readouterr()
        assert err.startswith("ssr: error: report: ") and err.count("\n") == 1, err


def test_mask_ratio_selects_the_masked_estimator(capsys, theory):
    status, out, err = _run(["eval", "gen-error", "--mask-ratio", "0.3", "--test-mask-ratio", "0", "--json"], capsys)
    assert status == 0 and err == ""
    call = theory.calls[-1]
    assert call["method"] == "masked"
    assert (call["model"].mask_ratio, call["model"].test_mask_ratio) == (Fraction(3, 10), Fraction(0))
    params = json.loads(out)["params"]
    assert (params["method"], params["mask_ratio"], params["test_mask_ratio"]) == ("masked", "3/10", "0")


def test_no_mask_ratio_keeps_the_leave_one_out_output(capsys, theory):
    status, out, _ = _run(["eval", "gen-error", "--json"], capsys)
    params = json.loads(out)["params"]
    assert status == 0 and params["method"] == "ssr" and "mask_ratio" not in params


def test_theory_checkpoints_through_the_command_line(capsys):
    """Masking checkpoints of docs/theory.md with the real solvers (2.7948, 2.4881; see
    tests/numerics/test_masking.py for their recipe) and a boundary optimum's note."""
    base = ["eval", "gen-error", "--noise", "1:1/2,6:1/2", "--basis", "rotational", "--gamma", "1/2",
            "--lam", "1/10", "--mask-ratio", "0.3", "--dps", "10", "--json"]
    values = []
    for extra in ([], ["--test-mask-ratio", "0"]):
        status, out, _ = _run(base + extra, capsys)
        assert status == 0
        values.append(float(json.loads(out)["value"]))
    assert abs(values[0] - 2.7948) < 5e-5 and abs(values[1] - 2.4881) < 5e-5
    status, out, err = _run(["eval", "mask-optimum", "--noise", "1:1/2,6:1/2", "--gamma", "1/2", "--lam", "1/10",
                             "--test-mask-ratio", "0", "--dps", "10"], capsys)
    assert status == 0 and err == ""
    first, note = out.splitlines()
    assert first.startswith("mask-optimum = 1.000000000 ") and note.startswith("note: ") and "boundary" in note
    status, out, err = _run(["eval", "mask-optimum", "--dps", "10"], capsys)
    assert status == 2 and out == "" and err.startswith("ssr: error: test-mask-ratio: ")


# --- a given covariance (--covariance FILE) -----------------------------------------------------------

def _ar1(d, rho=0.5):
    k = np.arange(d)
    s = np.sqrt(1 + 5 * (k + 0.5) / d)
    return s[:, None] * rho ** np.abs(k[:, None] - k[None, :]) * s[None, :]


@pytest.fixture
def covariance_file(tmp_path):
    path = tmp_path / "cov.npy"
    np.save(path, _ar1(12))
    return path


def test_eval_covariance_is_float64_with_its_accuracy(capsys, covariance_file):
    from numerics import covariance

    argv = ["eval", "gen-error", "--covariance", str(covariance_file), "--gamma", "1/2", "--lam", "1/10",
            "--mask-ratio", "0.3"]
    status, out, err = _run(argv + ["--json"], capsys)
    assert status == 0 and err == ""
    data = json.loads(out)
    eq = covariance.solve(_ar1(12), gamma=0.5, lam=0.1, mask_ratio=0.3)
    assert data["precision"] == "float64" and data["accuracy"] == float(f"{eq.accuracy:.2g}")
    assert data["dps"] == min(17, int(-np.log10(eq.accuracy))) and _significant_digits(data["value"]) == data["dps"]
    assert abs(float(data["value"]) - eq.test_error()) <= 10.0 ** (1 - data["dps"]) * eq.test_error()
    assert data["params"]["covariance"] == str(covariance_file) and data["params"]["covariance_d"] == 12
    assert "noise" not in data["params"] and "basis" not in data["params"]
    status, out, err = _run(argv, capsys)
    assert status == 0 and out.startswith(f"gen-error = {data['value']} (float64, accuracy ~")
    assert f"covariance={covariance_file} (d=12)" in out and "mask_ratio=3/10" in out


def test_eval_covariance_text_matrix(capsys, tmp_path):
    path = tmp_path / "cov.txt"
    np.savetxt(path, _ar1(6))
    status, out, _ = _run(["eval", "m", "--covariance", str(path), "--json"], capsys)
    assert status == 0 and json.loads(out)["params"]["covariance_d"] == 6


def test_simulate_covariance_takes_its_size(capsys, covariance_file):
    status, out, err = _run(["simulate", "train-error", "--covariance", str(covariance_file), "--seeds", "2",
                             "--json"], capsys)
    assert status == 0 and err == ""
    data = json.loads(out)
    assert (data["d"], data["n"]) == (12, 24) and data["params"]["covariance"] == str(covariance_file)


@pytest.mark.parametrize("content, argv, name", [
    ("missing", ["eval", "m"], "covariance"),
    (np.ones((2, 3)), ["eval", "m"], "covariance"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), ["eval", "m"], "covariance"),  # not positive definite
    (np.array([[1.0, 0.1], [0.2, 1.0]]), ["eval", "m"], "covariance"),  # not symmetric
    (np.array([[np.inf, 0.0], [0.0, 1.0]]), ["eval", "m"], "covariance"),
    (np.array([1, "a"], dtype=object), ["eval", "m"], "covariance"),  # needs pickle: refused
    (b"\x93NUMPY garbage", ["eval", "m"], "covariance"),
    (_ar1(4), ["eval", "m", "--noise", "1:1/2,6:1/2"], "noise"),
    (_ar1(4), ["eval", "m", "--basis", "rotational"], "basis"),
    (_ar1(4), ["eval", "m", "--theta", "1"], "theta"),
    (_ar1(4), ["eval", "edges"], "covariance"),
    (_ar1(4), ["eval", "density", "--at", "0"], "covariance"),
    (_ar1(4), ["simulate", "m", "--d", "5"], "d"),
    (_ar1(4), ["simulate", "overlap"], "covariance"),
    (_ar1(4), ["simulate", "m", "--extrapolate"], "extrapolate"),
])
def test_bad_covariance_input_exits_2_with_one_line(capsys, tmp_path, content, argv, name):
    path = tmp_path / "cov.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, np.ndarray):
        np.save(path, content, allow_pickle=True)
    status, out, err = _run(argv + ["--covariance", str(path)], capsys)
    assert status == 2 and out == ""
    assert err.startswith(f"ssr: error: {name}: ") and err.count("\n") == 1 and "Traceback" not in err
