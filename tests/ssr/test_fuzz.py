"""Fuzz the command line: random argv from the real option names and hostile values.

Every run of :func:`ssr.cli.main` (in this process) returns 0 (a value on stdout) or 2 (one line
``ssr: error: ...`` on stderr): never another status, never an exception, never a traceback, and
never longer than :data:`LIMIT` seconds (``SIGALRM``; Hypothesis's ``deadline`` reports slow ones).
The fast subcommands only (``eval`` at ``--dps`` ≤ 15, ``simulate`` at ``--d`` ≤ 12, ``sweep``
into a temporary directory, and the argument errors of ``phase`` and ``images``); valid
``--workers`` (a cluster start) and other ``--out`` writes are kept out, their invalid values
are in. ``verify`` and ``derive`` take minutes when valid and have no argument to fuzz beyond
their flags. Derandomised; ``SSR_HYPOTHESIS_RANDOM=1`` explores.
"""
from __future__ import annotations

import contextlib
import io
import os
import signal
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ssr.cli import _parser, _subparsers, main

LIMIT = 60  # seconds per example: a hang guard on a shared machine (examples take milliseconds)

HOSTILE = ["0", "-1", "1e999", "-1e999", "1e-999", "nan", "-nan", "inf", "-inf", "", " ", "1/0", "0/0",
           "10**1000", "__import__('os').system('echo hi')", "eval('1')", "ü", "∞", "１", "1_000", "0x10",
           "9" * 400, "1e308", "5e-324", "-5e-324", "2", "1/2", "1/5", "3", "0.3", "3:1/2,1:1/2", "1:1",
           "1:2", "uniform(1,6)", "powerlaw(2,1,4)", "--", "-", "\x00", "a" * 300, "tcp://", "${HOME}"]
# values that would make a run slow or write files: small valid ones and the hostile ones only
SMALL = {
    "--d": ["2", "3", "8", "12", "0", "1", "-4", "20001", "1e999", "nan", "", "1.5", "9" * 120],
    "--seeds": ["2", "3", "1", "0", "10001", "nan", "", "-2"],
    "--dps": ["1", "5", "15", "0", "1001", "nan", "", "-3", "9" * 120],
    "--points": ["1", "0", "401", "2x", "x2", "nan", "", "2x2x2"],
    "--workers": ["0", "-1", "257", "nan", "", "1e999", "two"],
    "--scheduler": ["", " ", "nonsense", "tcp://127.0.0.1:x", "tcp://127.0.0.1:99999", "ü:1"],
    "--out": ["", "/proc/forbidden", "/dev/null"],
    "--report": ["", "/dev/null"],
    "--covariance": ["", "/nonexistent.npy", "/dev/null", "nan"],
    "--data": ["gaussian", "rademacher", "student-t(5)", "student-t(2)", "sparse(0)", "sparse(1/10)", "",
               "t(5)", "student-t(nan)"],
}
FAST_QUANTITIES = ["m", "train-error", "gen-error", "threshold", "outlier", "overlap", "edges", "density"]
#: Where fuzzed sweeps write (one directory per test session; a reused one holds another sweep: exit 2).
SWEEPS = tempfile.mkdtemp(prefix="ssr-fuzz-")
SWEEP_OUT = [os.path.join(SWEEPS, name) for name in ("a", "b", "c")] + ["", "/proc/forbidden"]
#: ``images`` runs for seconds when valid: only invalid training-set counts are drawn.
IMAGES_SUBSETS = ["0", "1", "1001", "nan", "", "-3", "two", "1e999"]


def _options(command: str) -> dict:
    sub = next(p for p in _subparsers(_parser()) if p.prog.endswith(" " + command))
    return {action.option_strings[-1]: action.nargs for action in sub._actions
            if action.option_strings and action.option_strings[-1] not in ("--help", "-h")}


OPTIONS = {command: _options(command) for command in ("eval", "simulate", "phase", "sweep", "images")}


@st.composite
def argvs(draw):
    command = draw(st.sampled_from(sorted(OPTIONS)))
    argv = [command]
    if command not in ("phase", "images"):
        argv.append(draw(st.sampled_from(FAST_QUANTITIES + ["threshold-optimum", "", "nan", "M"])))
    names = draw(st.lists(st.sampled_from(sorted(OPTIONS[command])), max_size=5))
    for name in names:
        if OPTIONS[command][name] == 0:  # a flag
            argv.append(name)
            continue
        pool = {("sweep", "--out"): SWEEP_OUT, ("images", "--subsets"): IMAGES_SUBSETS}.get((command, name))
        value = draw(st.sampled_from(pool or SMALL.get(name, HOSTILE)))
        argv.extend(draw(st.sampled_from([[name, value], [f"{name}={value}"]])))
    if command == "eval" and "--dps" not in names:
        argv += ["--dps", "10"]
    if command == "simulate" and "--d" not in names:
        argv += ["--d", "6"]
    if command == "phase" and "--points" not in names:
        argv += ["--points", "401"]  # phase is slow when valid: keep to its argument checks
    if command == "sweep":
        argv += ["--dps", "10"] if "--dps" not in names else []
        argv += ["--out", draw(st.sampled_from(SWEEP_OUT[:3]))] if "--out" not in names else []
    if command == "images" and "--subsets" not in names:
        argv += ["--subsets", "0"]  # images runs for seconds when valid: keep to its argument checks
    return argv


def _alarm(signum, frame):
    raise TimeoutError(f"an example ran longer than {LIMIT} s")


@pytest.fixture(autouse=True, scope="module")
def _derived():
    for quantity in FAST_QUANTITIES:  # pay the one-off derivations before the timed examples
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["eval", quantity, "--dps", "5", "--theta", "2", *(["--at", "1"] if quantity == "density" else [])])


@settings(max_examples=160, deadline=LIMIT * 1000, derandomize=not os.environ.get("SSR_HYPOTHESIS_RANDOM"),
          suppress_health_check=[HealthCheck.too_slow], database=None)
@given(argvs())
def test_every_argv_exits_0_with_a_value_or_2_with_one_line(argv):
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    out, err = out.getvalue(), err.getvalue()
    assert "Traceback" not in out + err, argv
    assert status in (0, 2), (argv, status, err)
    if status == 2:
        assert err.startswith("ssr: error: ") and err.count("\n") == 1, (argv, err)
        assert out == "", argv
    else:
        assert out.strip() and " = " in out or out.startswith("{"), (argv, out)
