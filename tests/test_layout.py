"""The layout shows the one-way dependency: application (``ssr``) → core (``numerics``) → ``derive``;
and the repository cites only its own documents."""
from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported(package: str) -> set[str]:
    """Top-level packages imported anywhere (also inside functions) by the modules of ``package``."""
    names = set()
    for path in (ROOT / package).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package, forbidden", [("derive", {"numerics", "ssr"}), ("numerics", {"ssr"})])
def test_the_core_never_imports_the_application_layer(package, forbidden):
    assert not _imported(package) & forbidden


def test_the_application_layer_uses_the_core():
    assert {"numerics", "derive"} <= _imported("ssr")


def test_the_readme_names_every_registered_quantity_and_estimator():
    """The README's list of QUANTITY names is documentation of the registry: it may not drift."""
    from numerics import estimators, quantities

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(text for text in readme.split("\n\n") if text.startswith("QUANTITY is one of"))
    assert all(f"`{name}`" in line for name in quantities.names())
    assert all(name in readme for name in estimators.NAMES)


# --- the project stands on its own: no citation of a private document ----------------------------

#: A citation of the private notes the project started from: the word SPEC followed by ".md", by a
#: section sign or by a section number. Users never get those notes; the project's own theory is
#: docs/theory.md, the derivations in derivations/ and the module docstrings.
_PRIVATE_CITATION = re.compile(r"SPEC(\.md|\s*§|\s+[0-9])")

#: TEMPORARY: these two files are being rewritten by another change, which removes their citations;
#: delete this exclusion when it is merged.
_PRIVATE_CITATION_PENDING = {"README.md", "ssr/report.py"}


def _tracked_text_files() -> list[str]:
    """The repository's tracked files (``git ls-files``), or a walk of the checkout without git."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        return [name for name in listed.stdout.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        pass
    skip = {".git", "build", "dist", "_build", "__pycache__", ".pytest_cache", "auto_examples"}
    names = []
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and not d.endswith(".egg-info")]
        names += [(Path(top) / name).relative_to(ROOT).as_posix() for name in files]
    return names


def test_no_file_cites_the_private_notes():
    hits = []
    for name in _tracked_text_files():
        if name in _PRIVATE_CITATION_PENDING:
            continue
        path = ROOT / name
        if not path.is_file():  # deleted in the work tree, not yet in the index
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary (images, .npy)
            continue
        text = data.decode("utf-8", errors="replace")
        hits += [f"{name}:{number}: {line.strip()}" for number, line in enumerate(text.splitlines(), 1)
                 if _PRIVATE_CITATION.search(line)]
    assert not hits, "cite docs/theory.md or state the fact instead:\n" + "\n".join(hits)
