r"""``ssr phase`` and :mod:`ssr.phase`: the SSR-vs-PCA map (issue 3, item 4).

Two real runs on a tiny grid (4 θ × 3 contrasts, dps 15) through the command line, in process:
the diagonal basis at ``γ = 1/2`` and the rotational basis at ``γ = 1/3``. Independent oracles
on the isotropic row (contrast 1, ``Σ₀ = I``):

- Baik, Ben Arous & Péché (2005): the detection threshold is ``√γ`` for PCA; SSR shares the
  eigenvectors of ``S`` when ``D̄`` is scalar, so its threshold is the same;
- Paul (2007): the squared overlap above the threshold is ``(1 − γ/θ²)/(1 + γ/θ)``.

The failure paths (a solver error at a grid point, a failed threshold) and the bad-input checks
use a fake ``numerics.theory.evaluate``, so they make no solve.
"""
from __future__ import annotations

import csv
import io
import math
import struct
from fractions import Fraction

import mpmath as mp
import pytest

from ssr import cli, phase
from numerics.fixedpoint import ConvergenceError

PHASE_COLUMNS = ["theta", "contrast", "theta_c_ssr", "theta_c_pca", "overlap_ssr", "overlap_pca",
                 "region", "overlap_gap"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(argv, capsys):
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _read(path):
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def _paul_overlap(gamma: float, theta: float) -> float:
    """Paul (2007), isotropic bulk: ``(1 − γ/θ²)/(1 + γ/θ)`` above ``√γ``, else 0."""
    return (1 - gamma / theta**2) / (1 + gamma / theta) if theta > math.sqrt(gamma) else 0.0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The two real runs: ``{basis: (directory, status, stdout, stderr, gamma)}``."""
    results = {}
    for basis, gamma in (("diagonal", "1/2"), ("rotational", "1/3")):
        out = tmp_path_factory.mktemp(basis)
        capture_out, capture_err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdout", capture_out)
            patch.setattr("sys.stderr", capture_err)
            mp.mp.dps = 15
            status = cli.main(["phase", "--basis", basis, "--gamma", gamma, "--points", "4x3",
                               "--dps", "15", "--out", str(out)])
        results[basis] = (out, status, capture_out.getvalue(), capture_err.getvalue(), float(Fraction(gamma)))
    return results


@pytest.mark.slow  # the module fixture `runs` runs `ssr phase` twice (~7 s)
@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
def test_run_succeeds_and_writes_the_three_files(runs, basis):
    out, status, stdout, stderr, _ = runs[basis]
    assert status == 0, stderr
    assert stderr == ""  # not a terminal: no progress line
    assert sorted(p.name for p in out.iterdir()) == ["phase.csv", "phase.png", "thresholds.csv"]
    assert "failed overlap solves: 0 of 24" in stdout


@pytest.mark.slow  # the module fixture `runs` runs `ssr phase` twice (~7 s)
@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
def test_csv_has_one_row_per_grid_point_with_the_documented_columns(runs, basis):
    out = runs[basis][0]
    with open(out / "phase.csv", newline="") as stream:
        header = next(csv.reader(stream))
    assert header == PHASE_COLUMNS
    rows = _read(out / "phase.csv")
    thetas = sorted({float(r["theta"]) for r in rows})
    contrasts = sorted({float(r["contrast"]) for r in rows})
    assert len(thetas) == 4 and len(contrasts) == 3 and len(rows) == 12
    assert {(float(r["theta"]), float(r["contrast"])) for r in rows} == {(t, c) for t in thetas for c in contrasts}
    assert contrasts[0] == 1.0 and contrasts[-1] == 20.0  # default range 1:20, endpoints exact
    assert all(r["region"] in phase.REGIONS for r in rows)
    thresholds = _read(out / "thresholds.csv")
    assert list(thresholds[0]) == ["contrast", "theta_c_ssr", "theta_c_pca"]
    assert [float(r["contrast"]) for r in thresholds] == contrasts


@pytest.mark.slow  # the module fixture `runs` runs `ssr phase` twice (~7 s)
@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
def test_csv_columns_are_consistent(runs, basis):
    rows = _read(runs[basis][0] / "phase.csv")
    for r in rows:
        theta, ssr, pca = float(r["theta"]), float(r["theta_c_ssr"]), float(r["theta_c_pca"])
        assert r["region"] == phase.classify(Fraction(r["theta"]), mp.mpf(r["theta_c_ssr"]), mp.mpf(r["theta_c_pca"]))
        assert (float(r["overlap_ssr"]) > 0) == (theta > ssr)
        assert (float(r["overlap_pca"]) > 0) == (theta > pca)
        assert 0 <= float(r["overlap_ssr"]) < 1 and 0 <= float(r["overlap_pca"]) < 1
        assert float(r["overlap_gap"]) == pytest.approx(float(r["overlap_ssr"]) - float(r["overlap_pca"]),
                                                        abs=1e-14)


@pytest.mark.slow  # the module fixture `runs` runs `ssr phase` twice (~7 s)
def test_diagonal_heteroscedastic_ssr_detects_where_pca_does_not(runs):
    out, _, stdout, _, _ = runs["diagonal"]
    thresholds = _read(out / "thresholds.csv")
    for r in thresholds[1:]:  # contrast > 1
        assert float(r["theta_c_ssr"]) < float(r["theta_c_pca"]) - 0.1
    rows = _read(out / "phase.csv")
    only = [r for r in rows if r["region"] == "ssr-only"]
    assert only, "no grid point in the SSR-only region"
    for r in only:
        assert float(r["overlap_pca"]) == 0 and float(r["overlap_gap"]) > 0
        assert float(r["theta_c_ssr"]) < float(r["theta"]) <= float(r["theta_c_pca"])
    assert not [r for r in rows if r["region"] == "pca-only"]
    assert "SSR-only region: yes" in stdout and "for contrast >= 4.472" in stdout


@pytest.mark.slow  # the module fixture `runs` runs `ssr phase` twice (~7 s)
@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
def test_isotropic_row_matches_bbp_threshold_and_paul_overlap(runs, basis):
    out, _, _, _, gamma = runs[basis]
    first = _read(out / "thresholds.csv")[0]
    assert float(first["contrast"]) == 1.0
    assert abs(float(first["theta_c_ssr"]) - math.sqrt(gamma)) < 1e-12
    assert abs(float(first["theta_c_pca"]) - math.sqrt(gamma)) < 1e-12
    isotropic = [r for r in _read(out / "phase.csv") if float(r["contrast"]) == 1.0]
    assert any(float(r["theta"]) > math.sqrt(gamma) for r in isotropic)
    for r in isotropic:
        expected = _paul_overlap(gamma, float(r["theta"]))
        assert abs(float(r["overlap_pca"]) - expected) < 1e-12
        assert abs(float(r["overlap_ssr"]) - expected) < 1e-12


@pytest.mark.slow  # the module fixture `runs` runs `ssr phase` twice (~7 s)
def test_rotational_thresholds_coincide_on_every_row(runs):
    out, _, stdout, _, _ = runs["rotational"]
    thresholds = _read(out / "thresholds.csv")
    assert len(thresholds) == 3
    for r in thresholds:
        assert abs(float(r["theta_c_ssr"]) - float(r["theta_c_pca"])) < 1e-12
    rows = _read(out / "phase.csv")
    for r in rows:
        assert abs(float(r["theta_c_ssr"]) - float(r["theta_c_pca"])) < 1e-12
        assert r["region"] in ("none", "both")
        assert abs(float(r["overlap_gap"])) < 1e-12
    assert float(thresholds[-1]["theta_c_pca"]) > float(thresholds[0]["theta_c_pca"]) + 0.1  # not trivial
    assert "SSR-only region: no" in stdout
    assert "rotational basis: max |theta_c^SSR - theta_c^PCA| = " in stdout
    assert "(equal to working precision)" in stdout


@pytest.mark.slow  # the module fixture `runs` runs `ssr phase` twice (~7 s)
@pytest.mark.parametrize("basis", ["diagonal", "rotational"])
def test_png_is_a_valid_image(runs, basis):
    data = (runs[basis][0] / "phase.png").read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 600 and height >= 400
    assert len(data) > 10_000


@pytest.mark.slow  # the module fixture `runs` runs `ssr phase` twice (~7 s)
def test_summary_lists_every_threshold(runs):
    stdout = runs["diagonal"][2]
    assert stdout.startswith("ssr phase: plane theta-contrast; gamma=1/2, lam=1/5, basis=diagonal")
    lines = stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.split()[:2] == ["contrast", "s2/s1"]) + 1
    table = [line.split() for line in lines[start:start + 3]]
    for row, r in zip(table, _read(runs["diagonal"][0] / "thresholds.csv")):
        assert float(row[0]) == float(r["contrast"])
        assert float(row[1]) == pytest.approx(float(r["theta_c_ssr"]), rel=1e-9)
        assert float(row[2]) == pytest.approx(float(r["theta_c_pca"]), rel=1e-9)
    assert lines[start + 3].startswith("SSR-only region: ")


# --- the library functions, without solves ------------------------------------------------------

@pytest.mark.parametrize("contrast, weights", [(1, ("1/2", "1/2")), (Fraction(7, 2), ("1/3", "2/3")),
                                               (20, ("9/10", "1/10"))])
def test_contrast_law_has_mean_one_and_the_requested_ratio(contrast, weights):
    law = phase.contrast_law(contrast, weights)
    assert sum(s * w for s, w in law) == 1
    if contrast == 1:
        assert law == ((Fraction(1), Fraction(1)),)
    else:
        (s1, w1), (s2, w2) = law
        assert s2 / s1 == contrast and (w1, w2) == tuple(Fraction(w) for w in weights)


def test_gamma_grid_avoids_the_hard_edge_and_keeps_its_endpoints():
    grid = phase.axis_grid("gamma", "1/10", 10, 3)
    assert grid == (Fraction(1, 10), Fraction(101, 100), Fraction(10))
    contrast = phase.axis_grid("contrast", 1, 20, 5)
    assert contrast[0] == 1 and contrast[-1] == 20
    assert all(b / a == pytest.approx(20 ** 0.25, rel=1e-3) for a, b in zip(contrast, contrast[1:]))


def test_classify_and_auto_theta_max():
    assert phase.classify(Fraction(1), mp.mpf(2), mp.mpf(3)) == "none"
    assert phase.classify(Fraction(5, 2), mp.mpf(2), mp.mpf(3)) == "ssr-only"
    assert phase.classify(Fraction(5, 2), mp.mpf(3), mp.mpf(2)) == "pca-only"
    assert phase.classify(Fraction(3), mp.mpf(2), mp.mpf(3)) == "ssr-only"  # θ = θ_c: not detected
    assert phase.classify(Fraction(4), mp.mpf(2), mp.mpf(3)) == "both"
    top = phase.auto_theta_max([mp.mpf("0.45")], [mp.mpf("1.4165")])
    assert top == Fraction(18, 10)
    assert phase.auto_theta_max([mp.mpf("7.1")], [mp.mpf("9.25")]) == 12


# --- failure paths and bad input (fake evaluate: no solve) --------------------------------------

@pytest.fixture
def fake(monkeypatch):
    """``numerics.theory.evaluate`` replaced: θ_c = 1 (ssr), 2 (pca); overlaps 1/2 (ssr), PCA fails."""
    from numerics import theory

    calls = []
    state = {"fail_threshold": False}

    def evaluate(quantity, model, *, method="ssr", at=None, dps=30, route=None):
        calls.append((quantity, method, model))
        if quantity == "threshold":
            if state["fail_threshold"] and method == "ssr" and not model.isotropic:
                raise ConvergenceError("(E3) bulk edge system", mp.mpf(1), mp.mpf("1e-20"))
            return mp.mpf(1) if method == "ssr" else mp.mpf(2)
        if method == "pca":
            raise ConvergenceError("(E4) outlier system", mp.mpf("1e-3"), mp.mpf("1e-20"))
        return mp.mpf(1) / 2

    monkeypatch.setattr(theory, "evaluate", evaluate)
    return calls, state


def test_failed_overlaps_are_nan_counted_and_do_not_stop_the_run(fake, tmp_path, capsys):
    status, out, err = _run(["phase", "--points", "4x3", "--out", str(tmp_path)], capsys)
    assert status == 0, err
    rows = _read(tmp_path / "phase.csv")
    failed = [r for r in rows if r["overlap_pca"] == "nan"]
    assert len(failed) == 3  # θ grid (0, 2.5]: only θ = 2.5 is above θ_c^PCA = 2, once per row
    assert all(r["overlap_gap"] == "nan" and float(r["theta"]) == 2.5 for r in failed)
    assert "failed overlap solves: 3 of 24" in out
    assert (tmp_path / "phase.png").read_bytes()[:8] == PNG_MAGIC


def test_failed_threshold_exits_2_with_one_line(fake, tmp_path, capsys):
    calls, state = fake
    state["fail_threshold"] = True
    status, out, err = _run(["phase", "--points", "4x3", "--out", str(tmp_path)], capsys)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("ssr: error: threshold: 2 of 6 thresholds could not be computed")
    assert not (tmp_path / "phase.csv").exists()
    assert all(quantity == "threshold" for quantity, _, _ in calls)


def test_progress_line_on_a_terminal(fake, tmp_path, capsys, monkeypatch):
    stream = io.StringIO()
    stream.isatty = lambda: True
    monkeypatch.setattr("sys.stderr", stream)
    status = cli.main(["phase", "--points", "2x2", "--out", str(tmp_path)])
    assert status == 0
    text = stream.getvalue()
    assert "\rssr phase: thresholds [" in text and "] 2/2," in text
    assert "ssr phase: overlaps [####################] 4/4," in text and "left ~" in text
    assert text.endswith("\r")  # the line is erased at the end


BAD_INPUT = [
    (["--points", "1"], "points"),
    (["--points", "3x1"], "points"),
    (["--points", "4x"], "points"),
    (["--points", "abc"], "points"),
    (["--plane", "theta-lambda"], "plane"),
    (["--basis", "haar"], "basis"),
    (["--range", "2:1"], "range"),
    (["--range", "5"], "range"),
    (["--theta-max", "0"], "theta-max"),
    (["--theta-max", "-1/2"], "theta-max"),
    (["--lam", "0"], "lam"),
    (["--gamma", "nan"], "gamma"),
    (["--dps", "0"], "dps"),
    (["--noise", "1:1/3,2:1/3,3:1/3"], "noise"),
    (["--noise", "1:1/2"], "noise"),
    (["--plane", "theta-gamma", "--gamma", "1/2"], "gamma"),
    (["--unknown", "1"], "unknown"),
]


@pytest.mark.parametrize("argv, name", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_exits_2_with_one_line_naming_the_parameter(argv, name, fake, tmp_path, capsys):
    calls, _ = fake
    out_dir = tmp_path / "out"
    status, out, err = _run(["phase", *argv, "--out", str(out_dir)], capsys)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"ssr: error: {name}: ")
    assert "Traceback" not in err
    assert calls == [] and not out_dir.exists()


def test_missing_or_unusable_out_exits_2(fake, tmp_path, capsys):
    status, out, err = _run(["phase"], capsys)
    assert status == 2 and err == "ssr: error: out: missing required argument --out\n"
    target = tmp_path / "file"
    target.write_text("x")
    status, out, err = _run(["phase", "--out", str(target)], capsys)
    assert status == 2 and len(err.splitlines()) == 1 and err.startswith("ssr: error: out: ")
    assert fake[0] == []
