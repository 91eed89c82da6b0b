"""The layout shows the one-way dependency: application (``ssr``) → core (``numerics``) → ``derive``,
and the repository cites only its own documents.

The import graph between the project's modules (every import: at module level and inside
functions, absolute and relative, ``from package import submodule``, and ``importlib`` calls
that name a project module) has no cycle.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("derive", "numerics", "ssr")


def _modules() -> dict[str, Path]:
    """The project's modules by dotted name (``numerics`` for ``numerics/__init__.py``)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            modules[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return modules


def _resolve(name: str, modules) -> str | None:
    """The project module that importing ``name`` loads last (its longest prefix that is one)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def _dynamic_import(node: ast.AST) -> bool:
    """``importlib.import_module(...)``, ``import_module(...)`` or ``__import__(...)``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    return name in {"import_module", "__import__"}


def _imports(module: str, path: Path, modules) -> set[str]:
    """The project modules that ``module`` imports, anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.stem == "__init__" else module.rpartition(".")[0]
    targets: set[str | None] = set()
    dynamic = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(_resolve(alias.name, modules) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in modules else _resolve(base, modules))
        elif _dynamic_import(node):
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                targets.add(_resolve(argument.value, modules))
            else:
                dynamic = True
    if dynamic:  # a computed module name: every dotted string in the module naming a project module counts
        targets.update(node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                       and isinstance(node.value, str) and "." in node.value and node.value in modules)
    targets.discard(None)
    targets.discard(module)
    return targets


def import_graph() -> dict[str, set[str]]:
    """Each project module → the project modules it imports."""
    modules = _modules()
    return {module: _imports(module, path, modules) for module, path in modules.items()}


def _components(graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _shortest_cycle(graph, start: str, within: set[str]) -> list[str]:
    """The shortest import path from ``start`` back to ``start`` inside one component."""
    parent = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node] & within):
            if target == start:
                path = [node]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if target not in parent:
                parent[target] = node
                queue.append(target)
    return []


def cycles(graph) -> list[str]:
    """Each import cycle as a path ``a → b → a``: the shortest one through every module of a cycle."""
    found = []
    for component in _components(graph):
        seen = set()
        for start in component:
            path = _shortest_cycle(graph, start, set(component))
            key = frozenset(zip(path, path[1:]))
            if key not in seen:
                seen.add(key)
                found.append(" → ".join(path))
    return found


def test_the_checker_sees_every_kind_of_import(tmp_path):
    source = ("import numerics.model\nfrom numerics import theory\nfrom . import laws\nfrom .scale import x\n"
              "def f():\n    from ssr import cli\n    importlib.import_module('derive.spiked')\n")
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    modules = dict.fromkeys(["numerics", "numerics.model", "numerics.theory", "numerics.laws", "numerics.scale",
                             "numerics.probe", "ssr", "ssr.cli", "derive", "derive.spiked"])
    assert _imports("numerics.probe", path, modules) == {
        "numerics.model", "numerics.theory", "numerics.laws", "numerics.scale", "ssr.cli", "derive.spiked"}
    path.write_text("SOLVERS = {'a': 'numerics.model'}\ndef f(r):\n    return importlib.import_module(SOLVERS[r])\n",
                    encoding="utf-8")
    assert _imports("numerics.probe", path, modules) == {"numerics.model"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a → b → c → a"]


def test_the_modules_import_each_other_without_a_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(found)


@pytest.mark.parametrize("package, forbidden", [("derive", {"numerics", "ssr"}), ("numerics", {"ssr"})])
def test_the_core_never_imports_the_application_layer(package, forbidden):
    wrong = sorted(f"{module} → {target}" for module, targets in import_graph().items()
                   if module.split(".")[0] == package for target in targets if target.split(".")[0] in forbidden)
    assert not wrong, wrong


def test_the_application_layer_uses_the_core():
    used = {target.split(".")[0] for module, targets in import_graph().items() if module.startswith("ssr")
            for target in targets}
    assert {"numerics", "derive"} <= used


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
