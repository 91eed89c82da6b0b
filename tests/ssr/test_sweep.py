"""``ssr sweep``: incremental rows, resumption after ``kill -9``, refusal of a changed command.

The kill test runs the sweep as a subprocess (``PYTHONPATH`` = this checkout), polls the row
count of ``sweep.csv`` and sends SIGKILL at about a third; the rerun must yield exactly the rows
of an uninterrupted run, without duplicates. The other tests run :func:`ssr.cli.main` in-process.
"""
from __future__ import annotations

import csv
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ssr import cli, sweep

ROOT = Path(__file__).resolve().parents[2]
#: 60 x 20 isotropic points (closed form, cheap): the grid of the issue's kill test.
BIG = ["sweep", "m", "--gamma", "1/10:1:60", "--lam", "1/10:2:20", "--dps", "15"]
SMALL = ["sweep", "gen-error", "--noise", "1:1/2,6:1/2", "--gamma", "1/4:1:4", "--lam", "1/10:1/2:3", "--dps", "12"]


def _run(argv, capsys):
    status = cli.main([str(item) for item in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _rows(path: Path) -> int:
    try:
        return max(path.read_bytes().count(b"\n") - 1, 0)
    except FileNotFoundError:
        return 0


def _kill_when(process, csv, rows: int, poll: float) -> None:
    """SIGKILL ``process`` once ``csv`` holds ``rows`` rows (60 s at most); it must die of the kill."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if _rows(csv) >= rows:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(poll)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, process.stderr.read()


def test_a_sweep_killed_at_a_third_resumes_to_the_uninterrupted_rows(tmp_path, capsys):
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "ssr", *BIG, "--out", str(killed)], env=env,
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _kill_when(process, killed / "sweep.csv", 400, poll=0.001)
    done = _rows(killed / "sweep.csv")
    assert 400 <= done < 1200  # really interrupted, at about a third
    _assert_complete_rows(killed / "sweep.csv")

    status, out, err = _run([*BIG, "--out", killed], capsys)  # the same command again
    assert status == 0 and err == ""
    assert f"{1200 - done} computed, {done} already in" in out

    full = tmp_path / "full"
    assert _run([*BIG, "--out", full], capsys)[0] == 0
    resumed, uninterrupted = _lines(killed / "sweep.csv"), _lines(full / "sweep.csv")
    assert resumed[0] == uninterrupted[0]  # the header
    assert len(resumed) == len(set(resumed)) == 1201  # no duplicate, no torn row
    assert set(resumed) == set(uninterrupted)


def _assert_complete_rows(path: Path) -> None:
    """Every line of ``path`` but a torn last one (no newline) is a complete row of every column."""
    data = path.read_bytes()
    complete = data[:data.rfind(b"\n") + 1]
    rows = list(csv.reader(complete.decode("utf-8").splitlines()))
    assert rows and all(len(row) == len(sweep.COLUMNS) for row in rows)


#: A child ``ssr`` whose every evaluation takes 40 ms more and logs, to the file in ``SSR_TEST_LOG``,
#: how many rows ``sweep.csv`` held when it started (``start N``) and that it finished (``done``).
_SLOW = r"""
import os, sys, time
from numerics import theory
from ssr.cli import main
log, csv_path, real = open(os.environ["SSR_TEST_LOG"], "a", buffering=1), os.environ["SSR_TEST_CSV"], theory.evaluate
def slow(*args, **kwargs):
    with open(csv_path, "rb") as handle:
        rows = max(handle.read().count(b"\n") - 1, 0)
    log.write(f"start {rows}\n")
    value = real(*args, **kwargs)
    time.sleep(0.04)
    log.write("done\n")
    return value
theory.evaluate = slow
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_sweep_loses_at_most_the_row_being_written(tmp_path):
    """In process, each row is on disk as soon as its point is done: when point k starts, the file
    holds exactly its k predecessors (chunked writing would hold 0 there for k < 20), and a SIGKILL
    leaves every finished point's row but at most the one being written, all rows complete."""
    out, log = tmp_path / "out", tmp_path / "log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SSR_TEST_LOG": str(log), "SSR_TEST_CSV": str(out / "sweep.csv")}
    process = subprocess.Popen([sys.executable, "-c", _SLOW, *BIG, "--out", str(out)], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _kill_when(process, out / "sweep.csv", 30, poll=0.005)
    events = log.read_text().split("\n")[:-1]
    starts = [int(event.split()[1]) for event in events if event.startswith("start")]
    assert starts == list(range(len(starts)))  # the file grew by one row per point, before the next
    finished = events.count("done")
    rows = _rows(out / "sweep.csv")
    assert 30 <= rows < 1200 and finished - 1 <= rows <= finished
    _assert_complete_rows(out / "sweep.csv")


def test_a_failing_point_keeps_every_earlier_row(tmp_path, capsys, monkeypatch):
    """A solver error at the 8th point: the one-line error names the point (exit 2) and the file
    holds exactly the 7 rows before it, those of an uninterrupted sweep; a rerun completes it."""
    from numerics import theory

    assert _run([*SMALL, "--out", tmp_path / "full"], capsys)[0] == 0
    full = _lines(tmp_path / "full" / "sweep.csv")
    real, calls = theory.evaluate, []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 8:
            raise theory.ConvergenceError("(E1) fixed point", 1, 0)
        return real(*args, **kwargs)

    monkeypatch.setattr(theory, "evaluate", failing)
    status, out, err = _run([*SMALL, "--out", tmp_path / "failed"], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("ssr: error: gen-error: (E1) fixed point did not converge") and "(at gamma=3/4, lam=3/10)" in err
    assert _lines(tmp_path / "failed" / "sweep.csv") == full[:8]  # the header and the 7 rows before
    monkeypatch.setattr(theory, "evaluate", real)
    status, out, _ = _run([*SMALL, "--out", tmp_path / "failed"], capsys)
    assert status == 0 and "5 computed, 7 already in" in out
    assert _lines(tmp_path / "failed" / "sweep.csv") == full


def test_rows_hold_every_parameter_and_the_eval_value(tmp_path, capsys):
    assert _run([*SMALL, "--out", tmp_path], capsys)[0] == 0
    with open(tmp_path / "sweep.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    assert [(r["gamma"], r["lam"]) for r in rows[:4]] == [("0.25", "0.1"), ("0.25", "0.3"), ("0.25", "0.5"),
                                                          ("0.5", "0.1")]
    assert [r["point"] for r in rows[:2]] == ["1/4;1/10;0;;;", "1/4;3/10;0;;;"]
    row = rows[5]
    gamma, lam = row["point"].split(";")[:2]
    status, out, _ = _run(["eval", "gen-error", "--noise", "1:1/2,6:1/2", "--gamma", gamma,
                           "--lam", lam, "--dps", "12", "--json"], capsys)
    assert status == 0
    assert row["value"] == json.loads(out)["value"]
    assert (row["noise"], row["basis"], row["method"], row["dps"], row["theta"]) == \
        ("1:1/2,6:1/2", "diagonal", "ssr", "12", "0.0")
    record = json.loads((tmp_path / "sweep.json").read_text())
    assert record["options"]["gamma"] == "1/4:1:4" and record["quantity"] == "gen-error"


def test_a_torn_last_line_is_dropped_and_missing_rows_are_computed(tmp_path, capsys):
    assert _run([*SMALL, "--out", tmp_path], capsys)[0] == 0
    path = tmp_path / "sweep.csv"
    complete = path.read_bytes()
    lines = complete.split(b"\n")
    path.write_bytes(b"\n".join(lines[:6]) + b"\n" + lines[6][:9])  # 5 rows, then a torn one
    status, out, err = _run([*SMALL, "--out", tmp_path], capsys)
    assert status == 0 and err == ""
    assert "7 computed, 5 already in" in out and "dropped a torn last line" in out
    assert path.read_bytes() == complete


def test_an_empty_csv_left_by_a_kill_gets_its_header(tmp_path, capsys):
    assert _run([*SMALL, "--out", tmp_path], capsys)[0] == 0
    complete = (tmp_path / "sweep.csv").read_bytes()
    (tmp_path / "sweep.csv").write_bytes(complete[:5])  # killed while writing the header
    assert _run([*SMALL, "--out", tmp_path], capsys)[0] == 0
    assert (tmp_path / "sweep.csv").read_bytes() == complete


def test_the_same_command_spelled_differently_is_the_same_sweep(tmp_path, capsys):
    assert _run([*SMALL, "--out", tmp_path], capsys)[0] == 0
    respelled = ["sweep", "gen-error", "--lam", "0.1:0.5:3", "--gamma", "0.25:1:4", "--dps", "12",
                 "--noise", "6:0.5,1:0.5", "--out", tmp_path]
    status, out, _ = _run(respelled, capsys)
    assert status == 0 and "0 computed, 12 already in" in out


@pytest.mark.parametrize("change, message", [
    (["--lam", "1/10:1/2:4"], "lam: 1/10:1/2:3 there, 1/10:1/2:4 here"),
    (["--dps", "13"], "dps: 12 there, 13 here"),
    (["--theta", "1"], "theta: 0 there, 1 here"),
    (["--basis", "rotational"], "basis: diagonal there, rotational here"),
])
def test_a_changed_command_refuses_the_old_directory(tmp_path, capsys, change, message):
    assert _run([*SMALL, "--out", tmp_path], capsys)[0] == 0
    before = (tmp_path / "sweep.csv").read_bytes()
    status, out, err = _run([*SMALL, *change, "--out", tmp_path], capsys)
    assert status == 2 and out == ""
    assert err == f"ssr: error: out: {str(tmp_path)!r} holds a different sweep ({message}); give a new --out DIR\n"
    assert (tmp_path / "sweep.csv").read_bytes() == before


def test_a_different_quantity_refuses_the_old_directory(tmp_path, capsys):
    assert _run([*SMALL, "--out", tmp_path], capsys)[0] == 0
    status, _, err = _run(["sweep", "m", *SMALL[2:], "--out", tmp_path], capsys)
    assert status == 2 and "(quantity: gen-error there, m here)" in err and err.count("\n") == 1


def test_foreign_files_are_not_mixed_into(tmp_path, capsys):
    (tmp_path / "sweep.csv").write_text("gamma,value\n1,2\n")
    status, _, err = _run([*SMALL, "--out", tmp_path], capsys)
    assert status == 2 and "has a sweep.csv but no sweep.json" in err
    assert _run([*SMALL, "--out", tmp_path / "b"], capsys)[0] == 0
    with open(tmp_path / "b" / "sweep.csv", "a") as handle:
        handle.write("9,9,0,,,,1:1/2,6:1/2,diagonal,,ssr,12,1,\n")
    status, _, err = _run([*SMALL, "--out", tmp_path / "b"], capsys)
    assert status == 2 and "line 14 is not a row of this sweep" in err and err.count("\n") == 1


def test_a_second_writer_is_refused(tmp_path, capsys):
    with open(tmp_path / "sweep.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        status, _, err = _run([*SMALL, "--out", tmp_path], capsys)
    assert status == 2 and err == f"ssr: error: out: another ssr sweep is writing into {str(tmp_path)!r}\n"


def test_bad_input_is_one_line(tmp_path, capsys):
    status, _, err = _run(["sweep", "m", "--gamma", "0:1:1", "--out", tmp_path], capsys)
    assert status == 2 and err.startswith("ssr: error: gamma: a range START:STOP:COUNT") and err.count("\n") == 1
    status, _, err = _run(["sweep", "m", "--gamma", "1:2:3"], capsys)
    assert status == 2 and err == "ssr: error: out: missing required argument --out\n"
    assert not (tmp_path / "sweep.json").exists()


def test_a_terminal_sees_a_progress_bar_and_stdout_only_the_summary(tmp_path, capsys, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main([*SMALL, "--out", str(tmp_path)]) == 0
    assert "ssr sweep: gen-error [" in terminal.getvalue() and "12/12" in terminal.getvalue()
    assert capsys.readouterr().out.count("\n") == 1


def test_every_numeric_column_loads_as_float64_in_pandas(tmp_path, capsys):
    """``pandas.read_csv``: the inputs and values are ``float64`` (a filter ``df.lam == 0.1`` works);
    ``edges`` has one row per interval with ``lower`` and ``upper``."""
    import pandas as pd
    assert _run([*SMALL, "--out", tmp_path / "a"], capsys)[0] == 0
    df = pd.read_csv(tmp_path / "a" / "sweep.csv")
    for name in ("gamma", "lam", "value", "lower", "upper", "theta", "at", "mask_ratio", "test_mask_ratio"):
        assert df[name].dtype == "float64", name
    assert len(df[df.lam == 0.1]) == 4 and df.value.notna().all()
    edges = ["sweep", "edges", "--method", "pca", "--noise", "1:1/2,6:1/2", "--gamma", "1/4:1/2:2", "--dps", "12"]
    assert _run([*edges, "--out", tmp_path / "b"], capsys)[0] == 0
    df = pd.read_csv(tmp_path / "b" / "sweep.csv")
    for name in ("gamma", "lower", "upper"):
        assert df[name].dtype == "float64", name
    assert df.value.isna().all() and (df.interval <= df.intervals).all()
    # the split bulk of γ = 1/2 has two intervals, one row each
    assert list(df[df.gamma == 0.5].interval) == [1, 2]
    status, out, _ = _run(["eval", "edges", "--method", "pca", "--noise", "1:1/2,6:1/2", "--gamma", "1/2",
                           "--dps", "12", "--json"], capsys)
    pairs = json.loads(out)["intervals"]
    assert [[repr(x) for x in pair] for pair in df[df.gamma == 0.5][["lower", "upper"]].values.tolist()] == \
        [[repr(float(x)) for x in pair] for pair in pairs]


def test_a_kill_during_the_rows_of_a_split_support_drops_the_incomplete_point(tmp_path, capsys):
    edges = ["sweep", "edges", "--method", "pca", "--noise", "1:1/2,6:1/2", "--gamma", "1/4:1/2:2", "--dps", "12",
             "--out", tmp_path]
    assert _run(edges, capsys)[0] == 0
    path = tmp_path / "sweep.csv"
    complete = path.read_bytes()
    path.write_bytes(b"\n".join(complete.split(b"\n")[:3]) + b"\n")  # the header, γ = 1/4, one of two intervals
    status, out, _ = _run(edges, capsys)
    assert status == 0 and "1 computed, 1 already in" in out
    assert path.read_bytes() == complete
