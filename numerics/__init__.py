"""The mathematical core: high-precision theory, estimators and simulation for masked SSR.

Layout (one-way dependencies: the application layer :mod:`ssr` uses this package, never the
other way round): :mod:`numerics.parsing` (exact numbers, ``BadParameter``), :mod:`numerics.model`
(parameters), :mod:`numerics.laws` (population laws),
:mod:`numerics.estimators` (the estimator registry), :mod:`numerics.quantities` (the quantity
registry), :mod:`numerics.reduction` (the shared formulas), :mod:`numerics.fixedpoint` and
:mod:`numerics.algebraic` (the two solving routes), :mod:`numerics.theory` (evaluation),
:mod:`numerics.estimator` (finite-``d`` fits), :mod:`numerics.spectrum` (statistics of a finite-``d``
spectrum), :mod:`numerics.simulate` (Monte Carlo) and
:mod:`numerics.threads` (BLAS threads by matrix size).

``fit_ssr`` is imported on first use (NumPy and SciPy load only then):

>>> import numpy as np
>>> from numerics import fit_ssr
>>> X = np.random.default_rng(0).standard_normal((50, 5))
>>> fit_ssr(X, 0.2).shape
(5, 5)
"""

__all__ = ["fit_ssr"]


def __getattr__(name):
    if name == "fit_ssr":
        from numerics.estimator import fit_ssr

        return fit_ssr
    raise AttributeError(f"module 'numerics' has no attribute {name!r}")
