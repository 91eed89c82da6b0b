"""``real-images``: masked image modelling on natural-image patches, the figure and table of
``ssr images`` (:mod:`ssr.images`) inside the report."""
from __future__ import annotations

import os

from ssr.report.common import Budget, Figure


def real_images(index: int, budget: Budget, directory: str) -> Figure:
    """Masked image modelling on natural-image patches (:mod:`ssr.images`, seed 0): the measured
    masked test error against the three predictions — the Gaussian theory of the held-out
    covariance, the elliptical theory (that covariance and the law of the per-patch scales ``τ̂``),
    and the fits on a Gaussian scale-mixture surrogate. The figure is ``ssr images``' own."""
    from ssr import images

    run = images.run(images.QUICK if budget.images_quick else images.FULL, seed=0)
    figure = Figure(name="real-images",
                    title="Real images: masked test error on patches against the Gaussian and the elliptical theory",
                    caption="Â_p fitted on 12×12 patches of scikit-image's images (d = 144, λ = 1/100), masked test "
                            "error on held-out patches (mean ± SE over the training sets) against the Gaussian "
                            "theory of their covariance (solid), the elliptical theory with the law of the patch "
                            "scales τ̂ = xᵀΣ⁻¹x/d (dashed), and a Gaussian scale-mixture surrogate (△); below, the "
                            "deviations from each theory in percent.",
                    seeds=f"seed 0: split default_rng([0, 0]), training sets default_rng([0, 1, i, k]), "
                          f"{run.budget.subsets} per point")
    images.plot_errors(run, os.path.join(directory, f"{figure.name}.png"))
    figure.png = f"{figure.name}.png"
    figure.csv = f"{figure.name}.csv"
    images.write_csv(run, os.path.join(directory, figure.csv))
    figure.notes += ["Deviations per (γ, p), computed by `ssr images` (its `report.md` has the same table):", "",
                     *images.predictions_table(run), "", *images.summary_sentences(run)]
    return figure
