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
                 "errors-vs-gamma", "finite-size", "phase"):
        assert f"{stem}.png" in images
        assert (directory / f"{stem}.csv").stat().st_size > 100
        assert f"{stem}.csv" in page
    assert "<table>" in html and '<span class="math">$' in html


@pytest.mark.parametrize("stem, model, mass", [
    ("spectrum-isotropic-gamma-half", Model("1/2", "1/5"), 1.0),
    ("spectrum-isotropic-gamma-two", Model("2", "1/5"), 0.5),
    ("spectrum-heteroscedastic", Model("1/2", "1/5", noise="1:1/2,6:1/2"), 1.0),
    ("spectrum-rotational", Model("1/2", "1/5", noise="1:1/2,6:1/2", basis="rotational"), 1.0),
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


@pytest.mark.parametrize("name", ["bbp-isotropic", "finite-size"])
def test_figures_are_reproducible_bit_for_bit(rendered, tmp_path, name):
    _, _, directory = rendered
    index = [entry[0] for entry in report.FIGURES].index(name)
    figure = report.FIGURES[index][1](index, report.QUICK, str(tmp_path))
    assert (tmp_path / figure.csv).read_bytes() == (directory / figure.csv).read_bytes()
    assert (tmp_path / figure.png).read_bytes() == (directory / figure.png).read_bytes()
