"""``ssr verify --quick --report DIR``: the rendered report, its structure and its numbers.

One real quick report is rendered once (module fixture, about a minute on one core); the tests
read it back: the claims table, every figure (PNG + CSV), the finite-size slopes, the seeds,
and the numbers in the CSVs against independent recomputation. Reproducibility is checked by
rebuilding figures with the same seeds and comparing bytes.
"""
from __future__ import annotations

import csv
import re
from fractions import Fraction

import numpy as np
import pytest

from numerics import theory
from ssr import cli, report, verify
from numerics.model import Model

PNG = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.slow  # renders a real `ssr verify --quick --report` (~40 s)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    directory = tmp_path_factory.mktemp("report")
    import io
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["verify", "--quick", "--report", str(directory)])
    return status, out.getvalue(), directory


def _rows(path):
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    return rows[0], rows[1:]


def _series(path, name):
    header, rows = _rows(path)
    assert header == ["series", "x", "y", "err"]
    picked = [row for row in rows if row[0] == name]
    assert picked, f"no series {name!r} in {path}"
    return (np.array([float(r[1]) for r in picked]), np.array([float(r[2]) for r in picked]),
            [r[3] for r in picked])


def test_the_quick_report_passes_and_has_every_section(rendered):
    status, out, directory = rendered
    quick = [c for c in verify.CLAIMS if not c.full_only]
    assert status == 0
    assert out.strip().splitlines()[-1] == f"{len(quick)} passed, 0 failed"
    page = (directory / "index.md").read_text(encoding="utf-8")
    for heading in ("# Verification report", "## Claims", "## Figures", "## Seeds", "## Run"):
        assert f"\n{heading}\n" in f"\n{page}"
    table = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(table) == len(quick)
    assert all(line.rstrip().endswith("| PASS |") for line in table)
    for claim in quick:
        assert f"| `{claim.id}` |" in page
    assert "$" in table[0]  # the closed form, in LaTeX
    assert "wall time:" in page and "numpy " in page and "default_rng([0, k])" in page


def test_every_listed_figure_exists_with_its_csv(rendered):
    _, _, directory = rendered
    page = (directory / "index.md").read_text(encoding="utf-8")
    html = (directory / "index.html").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", page)
    assert len(images) == len(report.FIGURES)
    for png in images:
        assert (directory / png).read_bytes()[:8] == PNG
        assert f'src="{png}"' in html
    for stem in ("spectrum-isotropic-gamma-half", "spectrum-isotropic-gamma-two", "spectrum-heteroscedastic",
                 "spectrum-rotational", "bbp-isotropic", "bbp-heteroscedastic", "errors-vs-lambda",
                 "errors-vs-gamma", "finite-size", "phase", "masked-errors", "masked-phase", "masked-spectrum",
                 "universality"):
        assert f"{stem}.png" in images
        assert (directory / f"{stem}.csv").stat().st_size > 100
        assert f"{stem}.csv" in page
    assert "<table>" in html and '<span class="math">$' in html


@pytest.mark.parametrize("stem, model, mass", [
    ("spectrum-isotropic-gamma-half", Model("1/2", "1/5"), 1.0),
    ("spectrum-isotropic-gamma-two", Model("2", "1/5"), 0.5),
    ("spectrum-heteroscedastic", Model("1/2", "1/5", noise="1:1/2,6:1/2"), 1.0),
    ("spectrum-rotational", Model("1/2", "1/5", noise="1:1/2,6:1/2", basis="rotational"), 1.0),
    ("masked-spectrum", Model("1/2", "1/10", noise="1:1/2,6:1/2", mask_ratio="3/10"), 1.0),
])
def test_spectrum_figures_hold_their_numbers(rendered, stem, model, mass):
    _, _, directory = rendered
    path = directory / f"{stem}.csv"
    centres, heights, _ = _series(path, "histogram")
    width = centres[1] - centres[0]
    # every eigenvalue of the continuous part was binned: histogram mass = its share of d
    assert abs(heights.sum() * width - mass) < 1e-9
    x, density, _ = _series(path, "theory")
    assert density[0] == density[-1] == 0.0  # zero at the edges
    assert abs(np.sum((density[1:] + density[:-1]) / 2 * np.diff(x)) - mass) < 0.02  # the plotted limit density has the right mass
    for i in (5, len(x) // 2):  # the plotted values are the theory at the plotted points
        at = Fraction(f"{x[i]:.5e}")
        assert float(theory.evaluate("density", model, at=at, dps=15)) == density[i]
    if model.gamma > 1:
        (a0,), (weight,), _ = _series(path, "atom-theory")
        (mean,), (share,), _ = _series(path, "atom-simulation")
        assert weight == 0.5 and share == 0.5 and abs(mean - a0) < 0.01


def test_bbp_figures_show_the_transition(rendered):
    _, _, directory = rendered
    for stem, model in (("bbp-isotropic", Model("1/2", "1/5")),
                        ("bbp-heteroscedastic", Model("1/2", "1/5", noise="1:1/2,6:1/2"))):
        for method in ("ssr", "pca"):
            critical = float(theory.evaluate("threshold", model, method=method, dps=15))
            thetas, overlaps, _ = _series(directory / f"{stem}.csv", f"{method}-overlap-theory")
            assert np.all(overlaps[thetas < critical] == 0) and np.all(overlaps[thetas > 1.05 * critical] > 0)
            thetas, separations, _ = _series(directory / f"{stem}.csv", f"{method}-outlier-theory")
            assert np.all(separations[thetas < critical] == 0) and np.all(separations[thetas > 1.05 * critical] > 0)
            points, means, errors = _series(directory / f"{stem}.csv", f"{method}-overlap-simulation")
            assert len(points) == report.QUICK.sweep_points and all(float(e) >= 0 for e in errors)


def test_errors_against_gamma_peak_at_one(rendered):
    _, _, directory = rendered
    gammas, gen, _ = _series(directory / "errors-vs-gamma.csv", "gen-error-theory")
    assert 0.85 < gammas[np.argmax(gen)] < 1.2
    lams, train, _ = _series(directory / "errors-vs-lambda.csv", "train-error-theory")
    assert np.all(np.diff(train) > 0)  # more ridge, more training error
    lam, value = lams[3], train[3]
    model = Model("1/2", Fraction(f"{lam:.3e}"))
    assert float(theory.evaluate("train-error", model, dps=15)) == value


def test_finite_size_slopes_are_refitted_from_the_csv_and_shown(rendered):
    _, _, directory = rendered
    page = (directory / "index.md").read_text(encoding="utf-8")
    for quantity, method, expected in report.SCALING:
        dims, rms, errors = _series(directory / "finite-size.csv", f"{quantity}-{method}-rms")
        assert list(dims) == list(report.QUICK.scaling_dims)
        slope, se = report.fit_slope(dims, rms, [float(e) for e in errors])
        row = next(line for line in page.splitlines() if line.startswith(f"| {quantity} ({method}) |"))
        assert f"{slope:+.3f} ± {se:.3f}" in row
        assert ("FLAGGED" in row) == report.contradicts(slope, se, expected)


def test_phase_csv_has_the_grid(rendered):
    _, _, directory = rendered
    header, rows = _rows(directory / "phase.csv")
    assert header[:2] == ["theta", "contrast"] and "overlap_gap" in header
    assert len(rows) == report.QUICK.phase_points[0] * report.QUICK.phase_points[1]
    assert any(row[header.index("region")] == "ssr-only" for row in rows)


def test_masked_spectrum_lies_below_the_supremum_of_the_map(rendered):
    _, _, directory = rendered
    path = directory / "masked-spectrum.csv"
    (supremum,), _, _ = _series(path, "supremum")
    assert supremum == 1 / (1 - 0.3)
    centres, heights, _ = _series(path, "histogram")
    x, _, _ = _series(path, "theory")
    lower, upper = (float(e) for e in theory.evaluate("edges", Model("1/2", "1/10", noise="1:1/2,6:1/2",
                                                                     mask_ratio="3/10"), dps=15))
    assert (x[0], x[-1]) == (lower, upper) and upper < supremum
    assert np.all(heights[centres > upper + 0.05 * (upper - lower)] == 0)  # no eigenvalue far above the edge


_NU = "1:1/2,6:1/2"


def test_masked_errors_hold_the_theory_checkpoints_and_the_optimum(rendered):
    _, _, directory = rendered
    path = directory / "masked-errors.csv"
    # masking checkpoints of docs/theory.md (rotational, γ = 1/2, λ = 1/10; recipe in
    # tests/numerics/test_masking.py): E(q = p = 0.3), E(p = 0.3, q = 0), E(p = 0)
    p, same, _ = _series(path, "gamma-1/2-q-p-theory")
    _, loo, _ = _series(path, "gamma-1/2-q-0-theory")
    n = report.QUICK.masked_curve_points  # the equally spaced ratios, then midpoints where the curves bend
    assert np.all(np.diff(p) > 0) and p[0] == 0 and abs(p[-1] - 0.9) < 1e-15
    assert all(np.min(abs(p - 0.9 * k / (n - 1))) < 1e-15 for k in range(n)) and len(p) > n
    at = int(np.argmin(abs(p - 0.3)))
    assert abs(p[at] - 0.3) < 1e-15
    assert (round(same[at], 4), round(loo[at], 4), round(loo[0], 4)) == (2.7948, 2.4881, 2.9330)
    assert same[0] == loo[0]  # q = p = 0 is the leave-one-out error
    model = Model("1/2", "1/10", noise=_NU, basis="rotational", mask_ratio=Fraction(3, 50), test_mask_ratio="0.15")
    _, fifteen, _ = _series(path, "gamma-1/2-q-0.15-theory")
    assert float(theory.evaluate("gen-error", model, dps=15)) == fifteen[int(np.argmin(abs(p - 0.06)))]  # the theory
    # the marked optimum is mask-optimum at Q = 0 (checkpoint 0.2310389457...), and the minimum of the curve
    (best,), (at_best,), _ = _series(path, "gamma-1/2-optimum")
    assert abs(best - 0.2310389457) < 1e-9 and at_best <= loo.min() + 1e-12
    (best,), _, _ = _series(path, "gamma-2-optimum")
    assert best > 0.9  # γ = 2: the optimum lies beyond the plotted range, and the page says so
    assert "beyond the plotted p ≤ 0.9" in (directory / "index.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("gamma", ["1/2", "2"])
def test_masked_errors_simulations_sit_on_the_theory(rendered, gamma):
    _, _, directory = rendered
    path = directory / "masked-errors.csv"
    d = report.QUICK.masked_d
    values = {}
    for q in ("0", "0.15", "p"):
        p, theory_values, _ = _series(path, f"gamma-{gamma}-q-{q}-theory")
        points, means, errors = _series(path, f"gamma-{gamma}-q-{q}-simulation")
        assert len(points) == report.QUICK.masked_points
        limit = np.array([theory_values[np.argmin(abs(p - x))] for x in points])
        se = np.array([float(e) for e in errors])
        # mean ± stderr of a normalised trace, biased by O(1/d) at finite d (measured: d·bias within ±12)
        assert np.all(abs(means - limit) < 4 * se + 20 / d), (q, means - limit, se)
        values[q] = means
    assert values["0"][0] == values["p"][0]  # p = 0: q = 0 and q = p on the same fit are the same number


def test_masked_phase_holds_the_thresholds_and_their_minimum(rendered):
    _, _, directory = rendered
    path = directory / "masked-phase.csv"
    p, critical, _ = _series(path, "diagonal-threshold")
    assert len(p) == report.QUICK.masked_threshold_points
    # masking checkpoints of docs/theory.md (recipe in tests/numerics/test_masking.py):
    # θ_c = 1.3517, 1.3369, 1.3887 at p = 0, 0.3, 0.6 (diagonal basis)
    picked = [critical[np.argmin(abs(p - x))] for x in (0, 0.3, 0.6)]
    assert [round(c, 4) for c in picked] == [1.3517, 1.3369, 1.3887]
    _, flat, _ = _series(path, "rotational-threshold")
    assert np.ptp(flat) < 1e-12 and flat[0] > critical.max()
    # the quick budget takes the parabola through the grid minimum; threshold-optimum gives
    # p = 0.199376934041796 (theory.evaluate("threshold-optimum", Model("1/2", "1/10", noise=_NU), dps=15))
    (best,), (lowest,), _ = _series(path, "threshold-minimum")
    assert abs(best - 0.199376934041796) < 0.01 and lowest <= critical.min()
    assert "no optimum search" in (directory / "index.md").read_text(encoding="utf-8")
    header, rows = _rows(path)
    grid = [row for row in rows if row[0].startswith("overlap-theta-")]
    assert len(grid) == report.QUICK.masked_phase_points[0] * report.QUICK.masked_phase_points[1]
    for name, x, y, _ in grid:
        theta, threshold = float(name.rsplit("-", 1)[1]), critical[np.argmin(abs(p - float(x)))]
        assert (float(y) > 0) == (theta > threshold)  # the overlap is positive exactly above θ_c(p)


@pytest.mark.parametrize("name", ["bbp-isotropic", "finite-size", "masked-errors", "universality"])
def test_figures_are_reproducible_bit_for_bit(rendered, tmp_path, name):
    _, _, directory = rendered
    index = [entry[0] for entry in report.FIGURES].index(name)
    figure = report.FIGURES[index][1](index, report.QUICK, str(tmp_path))
    assert (tmp_path / figure.csv).read_bytes() == (directory / figure.csv).read_bytes()
    assert (tmp_path / figure.png).read_bytes() == (directory / figure.png).read_bytes()


def test_new_figures_are_appended_last():
    # universality, then real-images, appended at the end of FIGURES: the figure index in every
    # other figure's seeds is unchanged
    assert [name for name, _ in report.FIGURES][-2:] == ["universality", "real-images"]
    assert len(report.FIGURES) == 15


def test_universality_figure_holds_its_numbers(rendered):
    _, _, directory = rendered
    path = directory / "universality.csv"
    page = (directory / "index.md").read_text(encoding="utf-8")
    model = report.UNIVERSALITY_MODEL
    # the limits are the Gaussian theory at dps 15, evaluated here independently of the figure
    limits = {"gen-error": theory.evaluate("gen-error", model, dps=15), "train-error": theory.evaluate("train-error", model, dps=15),
              "m": theory.evaluate("m", model, dps=15), "upper-edge": theory.evaluate("edges", model, dps=15)[1],
              "outlier": theory.evaluate("outlier", model, dps=15), "overlap": theory.evaluate("overlap", model, dps=15),
              "pca-upper-edge": theory.evaluate("edges", model, method="pca", dps=15)[1]}
    assert [key for key, _, _ in report.UNIVERSALITY_QUANTITIES] == list(limits)
    assert float(model.theta) > float(theory.evaluate("threshold", model, dps=15))  # SSR sees the spike
    assert float(model.theta) < float(theory.evaluate("threshold", model, method="pca", dps=15))  # S: a bulk extreme
    table = [line for line in page.splitlines() if line.startswith("| ") and " | E z⁴ |" not in line]
    heavy = {"student-t(3)", "student-t(5/2)"}
    for key, value in limits.items():
        (_,), (plotted,), _ = _series(path, f"{key}/theory")
        assert plotted == float(value)
        column = 2 + [k for k, _, _ in report.UNIVERSALITY_QUANTITIES].index(key)
        for index, spec in enumerate(report.UNIVERSALITY_DATA):
            (x,), (rel,), (err,) = _series(path, f"{key}/{spec}")
            assert x == index and float(err) > 0
            z = rel / float(err)  # (mean − θ)/|θ| over se/|θ|
            row = next(line for line in table if line.startswith(f"| {spec} |")).split(" | ")
            assert row[column].strip(" |") == f"{100 * rel:+.2f} % ± {100 * float(err):.2f} (z = {z:+.1f})"
            sentence = next(line for line in page.splitlines()
                            if line.startswith(f"Heavy tails, {spec} " if spec in heavy else "With a finite fourth moment"))
            label = dict((k, l) for k, l, _ in report.UNIVERSALITY_QUANTITIES)[key]
            if spec in heavy:  # every heavy-tailed number is in its sentence, on the side its z puts it
                part = sentence.split("; within 4 standard errors: ")
                where = part[0] if abs(z) >= 4 else part[-1]
                assert f"{label} {100 * rel:+.2f} % (z = {z:+.1f})" in where
            elif abs(z) >= 4:
                assert f"{label} {100 * rel:+.2f} % (z = {z:+.1f}) with {spec}" in sentence
    assert "| theory (Gaussian limit) | — |" in page
    index = [name for name, _ in report.FIGURES].index("universality")
    assert f"default_rng([{report.SEED}, {index}, law, replica, 2]) at d/2" in page
