"""``phase``: the SSR-vs-PCA phase diagram of :mod:`ssr.phase` (drawn and written by that module).

This module is ``ssr.report.phase``; the phase maps themselves are ``ssr.phase``, imported here
under the name ``phase_module``.
"""
from __future__ import annotations

import os

from ssr import phase as phase_module
from ssr.report.common import DPS, Budget, Figure


def phase(index: int, budget: Budget, directory: str) -> Figure:
    """The SSR-vs-PCA phase diagram (θ against the contrast of ½δ_{s₁} + ½δ_{s₂}, γ = 1/2)."""
    result = phase_module.phase_map("theta-contrast", dps=DPS, points=budget.phase_points)
    figure = Figure("phase", "SSR vs PCA phase diagram",
                    "Detection regions and overlap gap of SSR and PCA in the (θ, contrast) plane "
                    "(diagonal basis, γ = 1/2, λ = 1/5; theory only, fixed point at dps 15).")
    figure.png = "phase.png"
    phase_module.plot(result, os.path.join(directory, figure.png))
    grid, thresholds = phase_module.write_csv(result, directory)
    figure.csv = os.path.basename(grid)
    figure.notes += ["```", phase_module.summary(result), "```",
                     f"`{figure.csv}`: one row per grid point (θ, contrast, both thresholds, both overlaps, "
                     f"region, overlap gap = the colour of the map); `{os.path.basename(thresholds)}`: the "
                     "threshold curves."]
    return figure
