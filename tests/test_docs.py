"""The documentation builds offline with zero warnings (``sphinx-build -W``), gallery executed.

Slow tier: the build executes the five gallery examples (a Dask cluster, ``ssr images --quick``)
and takes about a minute on two cores. The documentation dependencies are part of the ``test``
extra (``pip install -e ".[test]"``), so a missing one is a failure that says what to install,
never a skip.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REQUIRED = {"sphinx": "sphinx", "myst_parser": "myst-parser", "sphinx_gallery": "sphinx-gallery"}


def _missing() -> list[str]:
    return [dist for module, dist in REQUIRED.items() if importlib.util.find_spec(module) is None]


@pytest.mark.slow
def test_the_documentation_builds_offline_without_warnings(tmp_path):
    missing = _missing()
    if missing:
        pytest.fail(f"building the docs needs {', '.join(missing)}: pip install -e \".[test]\" "
                    f"(or \".[docs]\")", pytrace=False)
    out = tmp_path / "html"
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "OPENBLAS_NUM_THREADS": "1",
        "SSR_DOCS_RERUN": "1",  # execute every gallery example, even if unchanged since the last build
        # nothing may come from the network while building: any HTTP(S) client honouring the
        # proxy variables fails at once
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "",
        "MPLBACKEND": "Agg",
    })
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-b", "html",
               "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"sphinx-build failed (exit {run.returncode}):\n{run.stderr[-6000:]}"
    assert "WARNING" not in run.stderr, run.stderr[-6000:]

    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    for page in ("index.html", "theory.html", "cli.html", "verification.html", "performance.html",
                 "derivations/masking.html", "api/numerics.theory.html", "auto_examples/index.html"):
        assert page in pages, page
    examples = sorted(p.name for p in (DOCS / "examples").glob("plot_*.py"))
    assert len(examples) >= 5
    for example in examples:
        html = (out / "auto_examples" / example.replace(".py", ".html")).read_text(encoding="utf-8")
        assert "sphx-glr-script-out" in html or "sphx-glr-single-img" in html, example  # it ran

    # the CLI reference is generated from the parser: every subcommand and every quantity is there
    cli = (out / "cli.html").read_text(encoding="utf-8")
    from numerics import quantities

    for name in ("eval", "simulate", "verify", "derive", "phase", "images", "sweep"):
        assert f"usage: ssr {name}" in cli, name
    assert all(name in cli for name in quantities.names())
    # the derivations are included (not copied) and, like the theory page, cite only the project's own documents
    masking = (out / "derivations" / "masking.html").read_text(encoding="utf-8")
    assert "Headline results" in masking and "SPEC" not in masking
    assert "SPEC" not in (out / "theory.html").read_text(encoding="utf-8")
