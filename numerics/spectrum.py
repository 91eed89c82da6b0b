"""Statistics of the spectrum of one finite-``d`` fit: the continuous bulk among its eigenvalues,
Tracy–Widom-centred soft edges and a kernel density.

They are what the finite-``d`` estimators of the spectral quantities (:mod:`numerics.quantities`:
``edges``, ``density``) and the Monte Carlo of :mod:`numerics.simulate` read from a spectrum.
"""
from __future__ import annotations

import numpy as np

from numerics import bases, estimators
from numerics.parsing import BadParameter

__all__ = ["TRACY_WIDOM_MEAN", "bulk", "null_atom", "soft_edge", "bulk_edges", "kernel_density"]


#: Mean of the Tracy–Widom law TW₁ (β = 1), from Bornemann, Math. Comp. 79 (2010), Table 4.
TRACY_WIDOM_MEAN = -1.2065335745820


def bulk(values: np.ndarray, n: int, spiked: bool, null_atom: bool = True) -> np.ndarray:
    """The ascending eigenvalues of the continuous bulk among the ascending ``values``.

    For ``d > n`` with ``null_atom`` only the top ``n`` eigenvalues form the continuous bulk (the
    ``d − n`` null directions of ``S`` give an atom: a scalar shift, see :func:`null_atom`);
    without it the null directions spread into a continuous part of the spectrum, which the
    theory's ``edges`` includes. With a spike the largest eigenvalue is dropped (it is the
    outlier above threshold; below threshold the next one converges to the same edge).
    """
    d = values.shape[0]
    bulk = values[max(0, d - n):] if null_atom else values
    if spiked:
        bulk = bulk[:-1]
    if bulk.shape[0] < 8:
        raise BadParameter(
            "d", f"the bulk has {bulk.shape[0]} eigenvalue(s) at d = {d}, n = {n}; increase d"
        )
    return bulk


def null_atom(model, est) -> bool:
    """Whether the ``d − n`` null directions of ``S`` (``γ > 1``) form an atom of the spectrum: the
    shift of ``T`` is one number (no resolvent, the rotational basis or an isotropic bulk);
    otherwise (diagonal basis, heteroscedastic) they spread into a continuous part."""
    return (not estimators.get(est).resolvent) or bases.get(model.basis).scalar_shift or model.isotropic


def soft_edge(extremes: np.ndarray, d: int) -> float:
    r"""Tracy–Widom-centred estimate of a soft edge from the eigenvalues nearest to it.

    ``extremes`` are the eigenvalues ordered from the edge inwards (``λ_1`` first). Near a
    square-root edge ``ρ(x) = (C/π)√|x₊ − x| (1 + O(|x₊ − x|))`` the counting function
    inverts to ``|x₊ − λ_k| = b t_k + c t_k² + …`` with ``t_k = (k − ½)^{2/3}`` and
    ``b = (3π/2)^{2/3} (Cd)^{-2/3}`` (the ``c`` term is the curvature of the density, relevant
    when ``C`` is small and the first ``√d`` eigenvalues reach beyond the square-root regime,
    as at the lower edge of heteroscedastic SSR bulks). The extreme eigenvalue fluctuates as
    ``x₊ ± (Cd)^{-2/3} TW₁``, so the raw ``λ_1`` is biased by ``E[TW₁] (Cd)^{-2/3}``, the
    same order as its fluctuation (its z-score against the limit grows like √seeds). We fit
    ``a + b t + c t²`` by least squares to ``|λ_k − λ_1|`` on ``k = 3 … ⌈√d⌉ + 3`` and remove
    the bias: ``x̂₊ = λ_1 ∓ E[TW₁] (2/(3π))^{2/3} b``; the remaining bias is ``o(d^{-2/3})``.
    The estimate uses only the data, no theory value.
    """
    k = np.arange(3, min(extremes.shape[0], int(np.ceil(np.sqrt(d))) + 3) + 1)
    distance = np.abs(extremes[k - 1] - extremes[0])
    t = (k - 0.5) ** (2 / 3)
    design = np.column_stack([np.ones_like(t), t, t * t])
    slope = np.linalg.lstsq(design, distance, rcond=None)[0][1]
    shift = -TRACY_WIDOM_MEAN * (2 / (3 * np.pi)) ** (2 / 3) * slope
    direction = np.sign(extremes[0] - extremes[-1])
    return float(extremes[0] + direction * shift)


def bulk_edges(bulk: np.ndarray, d: int) -> np.ndarray:
    """``[lower, upper]`` of the continuous ``bulk``: Tracy–Widom-centred soft edges (:func:`soft_edge`)."""
    return np.array([soft_edge(bulk, d), soft_edge(bulk[::-1], d)])


def kernel_density(values: np.ndarray, at: float, edges: np.ndarray) -> float:
    """Gaussian-kernel density ``(1/d) Σ_i φ_h(at − a_i)`` with ``h = (upper − lower) d^{-1/2} / 2``.

    The sum runs over all ``d`` eigenvalues, so the continuous part keeps its mass
    (``1/γ`` when ``γ > 1``); evaluate away from the atom and the outlier by several ``h``.
    Bias ``O(h²)`` (``h ~ d^{-1/2}``) plus ``O(1/d)`` finite-size effects; the kernel
    smooths the square-root edges, so the gap to the limit shrinks with ``d``.
    """
    d = values.shape[0]
    h = (edges[1] - edges[0]) * d ** -0.5 * 0.5
    z = (at - values) / h
    return float(np.exp(-0.5 * z * z).sum() / (d * h * np.sqrt(2 * np.pi)))
