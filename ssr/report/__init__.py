r"""The figures of ``ssr verify --report DIR`` and the report pages around them.

Every figure is a PNG with a CSV beside it holding exactly the plotted numbers, in long format
``series, x, y, err`` (``err`` is the standard error over seeds of a simulated point, empty for
a theory curve). Theory comes from :func:`numerics.theory.evaluate` (closed forms for the
isotropic bulk, the fixed point for general bulks) at ``dps = 15`` (a figure shows ~4 digits);
simulations draw their samples with :func:`numerics.simulate.sample` from
``numpy.random.default_rng([SEED, figure, point, replica])`` (:data:`SEED` = 2026, ``figure``
the index of the figure in :data:`FIGURES`), so rerunning with the same budget reproduces
every number bit for bit (same platform and BLAS).

One module per family of figures (budgets in :data:`FULL` and :data:`QUICK`):

- :mod:`ssr.report.spectrum` — ``spectrum-*`` and ``masked-spectrum``: histogram of the
  eigenvalues of ``Â`` (or ``Â_p``) of one sample against the limiting density;
- :mod:`ssr.report.bbp` — ``bbp-*``: outlier separation and overlap against ``θ`` across the
  transition, SSR and PCA;
- :mod:`ssr.report.errors` — ``errors-vs-lambda``, ``errors-vs-gamma``: ``E_train`` and ``E_gen``;
- :mod:`ssr.report.finite_size` — ``finite-size``: RMS error against ``d`` with fitted slopes;
- :mod:`ssr.report.phase` — ``phase``: the SSR-vs-PCA phase diagram of :mod:`ssr.phase`;
- :mod:`ssr.report.masked` — ``masked-errors`` (``E(q)`` against the training ratio ``p``) and
  ``masked-phase`` (the ``(p, θ)`` detection diagram);
- :mod:`ssr.report.universality` — ``universality``: non-Gaussian data against the Gaussian limit;
- :mod:`ssr.report.real_images` — ``real-images``: the figure of ``ssr images``;
- :mod:`ssr.report.common` — budgets, :class:`Figure`, seeds and drawing helpers;
- :mod:`ssr.report.html` — ``index.html`` and the environment lines of the page.

This package imports :mod:`numerics`, :mod:`ssr.phase` and :mod:`ssr.images`; only
:mod:`ssr.verify` imports it.
"""
from __future__ import annotations

import os

from numerics.model import Model
from ssr.report import bbp, errors, finite_size, masked, phase, real_images, spectrum, universality
from ssr.report.common import FULL, QUICK, SEED, Budget, Figure
from ssr.report.finite_size import SCALING, SLOPE_TOLERANCE, contradicts, fit_slope
from ssr.report.html import environment, render_html
from ssr.report.universality import (UNIVERSALITY_DATA, UNIVERSALITY_MODEL, UNIVERSALITY_QUANTITIES, Z_LIMIT,
                                     universality_rows, universality_sentences)

__all__ = ["SEED", "SLOPE_TOLERANCE", "FULL", "QUICK", "FIGURES", "Figure", "Budget", "build_figures",
           "render_html", "environment", "SCALING", "fit_slope", "contradicts", "UNIVERSALITY_MODEL",
           "UNIVERSALITY_DATA", "UNIVERSALITY_QUANTITIES", "Z_LIMIT", "universality_rows", "universality_sentences"]

_NU = "1:1/2,6:1/2"

#: (name, builder) in order; the builder takes (figure index, budget, directory). The index is part
#: of every figure's seeds: append new figures at the end.
FIGURES = (
    ("spectrum-isotropic-gamma<1",
     lambda i, b, o: spectrum.spectrum(Model("1/2", "1/5"), "isotropic-gamma-half", i, b, o)),
    ("spectrum-isotropic-gamma>1",
     lambda i, b, o: spectrum.spectrum(Model("2", "1/5"), "isotropic-gamma-two", i, b, o)),
    ("spectrum-heteroscedastic",
     lambda i, b, o: spectrum.spectrum(Model("1/2", "1/5", noise=_NU), "heteroscedastic", i, b, o)),
    ("spectrum-rotational",
     lambda i, b, o: spectrum.spectrum(Model("1/2", "1/5", noise=_NU, basis="rotational"), "rotational", i, b, o)),
    ("bbp-isotropic", lambda i, b, o: bbp.bbp(Model("1/2", "1/5"), "isotropic", 2.5, i, b, o)),
    ("bbp-heteroscedastic", lambda i, b, o: bbp.bbp(Model("1/2", "1/5", noise=_NU), "heteroscedastic", 7.0, i, b, o)),
    ("errors-vs-lambda", lambda i, b, o: errors.errors("lambda", i, b, o)),
    ("errors-vs-gamma", lambda i, b, o: errors.errors("gamma", i, b, o)),
    ("finite-size", finite_size.finite_size),
    ("phase", phase.phase),
    ("masked-errors", masked.masked_errors),
    ("masked-phase", masked.masked_phase),
    ("masked-spectrum", lambda i, b, o: spectrum.spectrum(Model("1/2", "1/10", noise=_NU, mask_ratio="3/10"),
                                                          "masked", i, b, o, name="masked-spectrum")),
    ("universality", universality.universality),
    ("real-images", real_images.real_images),
)


def build_figures(directory: str, budget: Budget, progress=None) -> list[Figure]:
    """Draw every figure of :data:`FIGURES` into ``directory``; ``progress(name, done, total)``."""
    os.makedirs(directory, exist_ok=True)
    figures = []
    for index, (name, builder) in enumerate(FIGURES):
        if progress is not None:
            progress(name, index, len(FIGURES))
        figures.append(builder(index, budget, directory))
    if progress is not None:
        progress("done", len(FIGURES), len(FIGURES))
    return figures
