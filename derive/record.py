"""Recording derivations as readable Markdown/LaTeX.

A derivation function is decorated with :func:`recorded`: it receives a
:class:`Derivation` and calls :meth:`Derivation.step` for each operation SymPy performs,
in order. Its result and its steps are computed once per process and cached; a caller that
passes ``doc=`` gets the steps appended to its own document, each derivation at most once.
A document may open with a table of headline results (:meth:`Derivation.headline`, rows of
:class:`Row`), rendered right after the introduction, before the recorded steps.

>>> import sympy as sp
>>> doc = Derivation("Example")
>>> doc.step("A step with an equation.", sp.Eq(sp.Symbol("y"), 2))
>>> "y = 2" in doc.markdown()
True
>>> doc.headline([Row("the answer $y$", sp.Integer(2), "always", "exact")])
>>> text = doc.markdown()
>>> text.index("## Headline results") < text.index("A step with an equation.")
True
>>> print([line for line in text.splitlines() if line.startswith("| the answer")][0])
| the answer $y$ | $2$ | always | exact |
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import sympy as sp

__all__ = ["Derivation", "Row", "recorded"]

_HEADLINE_INTRO = (
    "The main results in their simplest form. Each entry is the output of a SymPy operation "
    "(substitution, simplification, factorisation) on the closed forms derived below, and SymPy checks "
    "that it equals them: *exact* means that the difference cancels or simplifies to 0, *numeric* that "
    "it vanishes to the stated number of digits at rational test points where SymPy cannot decide."
)


class Row(NamedTuple):
    """One line of the headline table: ``quantity`` and ``conditions`` are Markdown (inline ``$…$``),
    ``form`` a SymPy object (or a list of them) shown as LaTeX, ``check`` how it was verified."""

    quantity: str
    form: object
    conditions: str
    check: str


class Derivation:
    """An ordered list of steps (prose plus an optional displayed formula)."""

    def __init__(self, title: str, intro: str = ""):
        self.title = title
        self.intro = intro
        self._items: list[tuple[str, str]] = []  # (key, markdown)
        self._headline: list[Row] = []
        self._seen: set[str] = set()
        self._key = ""

    def section(self, heading: str, text: str = "") -> None:
        """Start a new section (a Markdown ``##`` heading)."""
        body = f"## {heading}\n" + (f"\n{text}\n" if text else "")
        self._items.append((self._key, body))

    def step(self, text: str, expr=None) -> None:
        """Record one step: ``text`` (Markdown with inline ``$…$``) and a displayed formula."""
        body = text.strip() + "\n"
        if expr is not None:
            body += f"\n$$\n{_latex(expr)}\n$$\n"
        self._items.append((self._key, body))

    def headline(self, rows) -> None:
        """Open the document (after the intro) with the table "Headline results" of ``rows``."""
        self._headline = [Row(*row) for row in rows]

    def assume(self, other: "Derivation") -> None:
        """Treat the derivations recorded in ``other`` as known: they will not be repeated here."""
        self._seen.update(key for key, _ in other._items)

    def extend(self, items: list[tuple[str, str]]) -> None:
        """Append recorded steps, skipping derivations this document already holds."""
        fresh = [(key, body) for key, body in items if key not in self._seen]
        self._items.extend(fresh)
        self._seen.update(key for key, _ in fresh)

    def markdown(self) -> str:
        """The document as Markdown (LaTeX between ``$$``)."""
        parts = [f"# {self.title}\n"]
        if self.intro:
            parts.append(self.intro.strip() + "\n")
        if self._headline:
            parts.append(_table(self._headline))
        parts.extend(body for _, body in self._items)
        return "\n".join(parts)


def _table(rows) -> str:
    """The headline section: a Markdown table with one inline formula (or several) per row."""
    def cell(form):
        forms = form if isinstance(form, (list, tuple)) else [form]
        return "; ".join("$" + _latex(f).replace("|", r"\vert ") + "$" for f in forms)  # "|" ends a cell
    lines = ["| quantity | simplest form | conditions / branch | check |", "|---|---|---|---|"]
    lines += [f"| {row.quantity} | {cell(row.form)} | {row.conditions} | {row.check} |" for row in rows]
    return f"## Headline results\n\n{_HEADLINE_INTRO}\n\n" + "\n".join(lines) + "\n"


def _latex(expr) -> str:
    if isinstance(expr, (list, tuple)):
        return r" \\ ".join(_latex(e) for e in expr).join([r"\begin{gathered}", r"\end{gathered}"])
    if isinstance(expr, str):
        return expr
    return sp.latex(expr)


def recorded(func):
    """Cache ``func(*args, doc=...)`` and replay its recorded steps into callers' documents."""
    cache: dict = {}

    @functools.wraps(func)
    def wrapper(*args, doc: Derivation | None = None):
        if args not in cache:
            key = f"{func.__module__}.{func.__qualname__}{args!r}"
            own = Derivation(func.__name__)
            own._key = key
            result = func(*args, doc=own)
            cache[args] = (result, own._items)
        result, items = cache[args]
        if doc is not None:
            doc.extend(items)
        return result

    return wrapper
