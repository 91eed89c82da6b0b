"""
Predict masked-image-modelling errors on real images
====================================================

``ssr images`` is the textbook case of masked modelling: predict hidden pixels of natural-image
patches. It fits the ratio-``p`` estimator :math:`\\hat A_p` on 12×12 patches of the 13 images
bundled with scikit-image (no download), measures its masked test error on a held-out third of
the patches, and compares it with the **given-covariance** theory (the covariance of the
held-out patches is the population :math:`\\Sigma`) and with Gaussian data of the same
:math:`\\Sigma`.

This example runs the command's own machinery, :func:`ssr.images.run`, at its quick budget
(:data:`ssr.images.QUICK`: 6 training sets per point; about 10 s on two cores), then draws the
two figures ``ssr images`` writes.
"""

import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt

from ssr import images

start = time.monotonic()
result = images.run(images.QUICK, seed=0)
print(f"{result.patches} patches (d = {result.d}), {result.held_out} held out; "
      f"{len(result.rows)} points (gamma x p) in {time.monotonic() - start:.1f} s")

# %%
# The deviations from theory, ``(value − theory)/theory`` ± one standard error, for the patches
# and for the Gaussian surrogate (the table ``ssr images`` prints):

print(images.summary_table(result))

# %%
# The Gaussian surrogate sits on the theory (the given-covariance equivalent is exact for
# Gaussian rows), the real patches do not: the theory is optimistic, most of all for
# leave-one-out (``p = 0``). The gap is the non-Gaussianity of patches — their contrast varies
# from patch to patch, which the elliptical model (a per-sample scale law) describes.
#
# The figures of the command, written to a temporary directory and shown here:

out = Path(tempfile.mkdtemp(prefix="ssr-images-"))


def show(path, dpi=120):
    """Display a PNG written by ``ssr images`` at its own resolution."""
    picture = plt.imread(path)
    height, width = picture.shape[:2]
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(picture)
    ax.set_axis_off()


show(images.plot_errors(result, str(out / "images-errors.png")))

# %%
# The spectrum of :math:`\hat A_p` at :math:`\gamma = 1/2`, :math:`p = 1/4` (eigenvalues pooled
# over the training sets) against the limiting density of the given-covariance theory (E3):

show(images.plot_spectrum(result, str(out / "images-spectrum.png")))
distance = images.spectrum_distance(result)
print(f"Kolmogorov distance to the theory density: patches {distance['patches']:.3f}, "
      f"Gaussian surrogate {distance['surrogate']:.3f}")

# %%
# The same run from the command line (``--quick``; without it, 10 training sets and finer
# curves)::
#
#     ssr images --out images/ --quick
