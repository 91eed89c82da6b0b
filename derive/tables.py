"""The name tables of :mod:`derive`: one lookup for every ``{name: setting}`` table.

:mod:`derive.spiked` and :mod:`derive.heteroscedastic` keep a table per estimator (``pca``,
``ssr``), :mod:`derive.masking` one per eigenbasis (``diagonal``, ``rotational``); every
derivation reads its setting through :func:`entry` instead of comparing names.
"""
from __future__ import annotations

__all__ = ["entry"]


def entry(table: dict, name, what: str):
    """``table[name]``, or a ``ValueError`` naming ``what`` and the valid names."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"{what}: expected one of {tuple(table)}, got {name!r}") from None
