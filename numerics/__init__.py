"""High-precision evaluation, estimator, simulation and verification for masked SSR.

>>> import numpy as np
>>> X = np.random.default_rng(0).standard_normal((50, 5))
>>> fit_ssr(X, 0.2).shape
(5, 5)
"""
from numerics.estimator import fit_ssr

__all__ = ["fit_ssr"]
