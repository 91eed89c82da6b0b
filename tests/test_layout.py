"""The layout shows the one-way dependency: application (``ssr``) → core (``numerics``) → ``derive``."""
from __future__ import annotations

import ast
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
