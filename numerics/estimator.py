"""The masked self-supervised ridge (SSR) estimator and the PCA baseline at finite size.

Data ``X ∈ R^{n×d}`` (rows are samples), sample covariance ``S = XᵀX/n``, ridge ``λ > 0``
and precision ``R = (S + λI)^{-1}`` (docs/theory.md, "The estimators"). Predicting every
coordinate ``k`` from the other ``d − 1`` by ridge regression and stacking the ``d`` predictors as
rows gives

    Â = argmin_{A_kk = 0} (1/n) ‖X − X Aᵀ‖_F² + λ ‖A‖_F² = I − diag(R)^{-1} R.

The objective separates over rows; the Lagrange multiplier of ``A_kk = 0`` makes row ``k``
equal to ``e_kᵀ − R_k·/R_kk``. Everything here costs one product ``XᵀX`` and one Cholesky
factorisation of ``S + λI`` (plus one symmetric eigendecomposition for spectral quantities),
instead of ``d`` separate regressions.

``Â = D^{-1/2} (I − D^{-1/2} R D^{-1/2}) D^{1/2}`` with ``D = diag R`` is similar to a
symmetric matrix, so its eigenvalues are real and are computed from the symmetric form.

>>> import numpy as np
>>> X = np.random.default_rng(0).standard_normal((40, 5))
>>> A = fit_ssr(X, 0.5)
>>> A.shape, bool(np.all(np.diag(A) == 0))
((5, 5), True)
>>> a = ssr_spectrum(X, 0.5)
>>> bool(abs(a.sum()) < 1e-12)   # tr Â = 0
True
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.linalg import eigh, lapack

__all__ = [
    "fit_ssr",
    "train_error",
    "gen_error",
    "ssr_spectrum",
    "ssr_top_vector",
    "pca_spectrum",
    "pca_top",
]


def _as_data(X, *, min_d: int, check_finite: bool = True) -> np.ndarray:
    """``X`` as a C-contiguous float64 ``(n, d)`` array, or ``ValueError`` naming ``X``.

    ``check_finite=False`` leaves the check for nan/inf to the caller (:func:`_precision` reads
    it off the diagonal of ``XᵀX`` instead of a pass over ``X``).
    """
    X = np.asarray(X)
    if X.dtype.kind not in "iuf":
        raise ValueError(f"X: expected a real numeric array, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D array (n samples, d coordinates), got {X.ndim}-D")
    n, d = X.shape
    if n < 1:
        raise ValueError("X: need at least one sample (n >= 1), got n = 0")
    if d < min_d:
        raise ValueError(f"X: need at least {min_d} coordinates (d >= {min_d}), got d = {d}")
    X = np.ascontiguousarray(X, dtype=np.float64)
    if check_finite and not np.all(np.isfinite(X)):
        raise ValueError("X: contains nan or inf")
    return X


def _as_lam(lam) -> float:
    """``lam`` as a finite positive float (accepts ``Fraction``), or ``ValueError`` naming ``lam``."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise ValueError(f"lam: expected a real number > 0, got {lam!r}")
    value = float(lam)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"lam: expected a finite number > 0, got {lam!r}")
    return value


def _as_square(M, d: int, name: str) -> np.ndarray:
    """``M`` as a finite real float64 ``(d, d)`` array, or ``ValueError`` naming ``name``."""
    M = np.asarray(M)
    if M.dtype.kind not in "iuf":
        raise ValueError(f"{name}: expected a real numeric array, got dtype {M.dtype}")
    if M.shape != (d, d):
        raise ValueError(f"{name}: expected shape ({d}, {d}), got {M.shape}")
    M = np.asarray(M, dtype=np.float64)
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{name}: contains nan or inf")
    return M


def _as_mask_ratio(p, name="mask_ratio") -> float:
    """``p`` as a float in ``[0, 1)`` (accepts ``Fraction``), or ``ValueError`` naming ``name``."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise ValueError(f"{name}: expected a real number in [0, 1), got {p!r}")
    value = float(p)
    if not np.isfinite(value) or not 0 <= value < 1:
        raise ValueError(f"{name}: expected a number in [0, 1), got {p!r}")
    return value


def _precision(X, lam, mask_ratio=0) -> np.ndarray:
    """Return ``R = G^{-1}``, ``G = (1−p)S + p·diag(S) + λ/(1−p)``, ``S = XᵀX/n``.

    ``p = mask_ratio``; for ``p = 0`` (the default) ``G = S + λI``. One product ``XᵀX`` (BLAS
    ``syrk``), one Cholesky factorisation ``G = UᵀU`` (LAPACK ``potrf``) and its inversion from
    the factor (``potri``), all in one ``d×d`` buffer (``S`` is scaled and shifted into ``G`` in
    place, then overwritten by ``U`` and ``R``: the same floating-point operations as forming
    ``G`` in a copy); no general inverse, no loop over coordinates. ``G`` is positive definite
    for ``λ > 0``; if rounding destroys that (``λ`` far below ``‖S‖·eps``) a ``ValueError``
    naming ``lam`` is raised.
    """
    X = _as_data(X, min_d=2, check_finite=False)
    lam = _as_lam(lam)
    p = _as_mask_ratio(mask_ratio)
    n, d = X.shape
    M = X.T @ X  # numpy recognises XᵀX and calls BLAS syrk
    if not np.all(np.isfinite(np.diag(M))):  # a nan or inf in column k makes (XᵀX)_kk nan or inf
        _as_data(X, min_d=2)  # raises if X has one; else finite entries overflowed, as before
    M /= n
    if p == 0:
        M.flat[:: d + 1] += lam
    else:
        spread = np.diag(M).copy()
        M *= 1 - p
        M.flat[:: d + 1] += p * spread + lam / (1 - p)
    # M is exactly symmetric, so its transpose is the same matrix in Fortran order: LAPACK then
    # works in M's buffer (a C-ordered M would be copied by f2py, overwrite_a or not)
    U, info = lapack.dpotrf(M.T, lower=False, clean=False, overwrite_a=True)
    del M  # U is the same buffer
    if info == 0:
        R, info = lapack.dpotri(U, lower=False, overwrite_c=True)
    if info != 0:
        raise ValueError(
            f"lam: S + lam*I is not numerically positive definite (LAPACK info = {info}); "
            f"lam = {lam!r} is too small relative to the scale of X"
        )
    del U
    _fill_lower(R)
    return R.T  # symmetric: the same values, C-ordered


def _fill_lower(R: np.ndarray, block: int = 256) -> None:
    """Mirror the upper triangle of ``R`` into its lower triangle, in place.

    LAPACK ``potri`` returns only the upper triangle. Copying by column blocks keeps the
    transposed reads cache friendly (a fancy-indexed copy is several times slower).
    """
    d = R.shape[0]
    for start in range(0, d, block):
        stop = min(start + block, d)
        R[stop:, start:stop] = R[start:stop, stop:].T
        corner = R[start:stop, start:stop]
        corner[...] = np.triu(corner) + np.triu(corner, 1).T


def _ssr_from_precision(R: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """``Â = I − diag(R)^{-1} R`` with its diagonal set to exactly zero (in ``R``'s buffer if ``overwrite``)."""
    scale = -np.diag(R)[:, None]  # a new array, not a view of R
    if overwrite:
        A = R
        A /= scale  # the same divisions as R / scale, without a second d×d buffer
    else:
        A = R / scale
    A.flat[:: A.shape[0] + 1] = 0.0
    return A


def _symmetric_form(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(K, D^{-1/2})`` with ``K = I − D^{-1/2} R D^{-1/2}`` (zero diagonal), ``D = diag R``.

    ``Â = D^{-1/2} K D^{1/2}``: ``K`` and ``Â`` share eigenvalues, and ``K y = a y`` gives
    ``Â (D^{-1/2} y) = a D^{-1/2} y``.
    """
    scale = 1.0 / np.sqrt(np.diag(R))
    K = R * -scale[:, None]
    K *= scale[None, :]
    K.flat[:: K.shape[0] + 1] = 0.0
    return K, scale


def _spectrum_from_precision(R: np.ndarray) -> np.ndarray:
    K, _ = _symmetric_form(R)
    return np.linalg.eigvalsh(K)


def _top_vector_from_precision(R: np.ndarray) -> tuple[float, np.ndarray]:
    K, scale = _symmetric_form(R)
    d = K.shape[0]
    values, vectors = eigh(K, subset_by_index=[d - 1, d - 1])
    return float(values[0]), _unit(scale * vectors[:, 0])


def _unit(r: np.ndarray) -> np.ndarray:
    """``r / ‖r‖`` with the sign fixed so that the entry of largest modulus is positive."""
    r = r / np.linalg.norm(r)
    return r if r[np.argmax(np.abs(r))] > 0 else -r


def fit_ssr(X, lam, mask_ratio=0) -> np.ndarray:
    """The SSR matrix ``Â = I − diag(R)^{-1} R``, ``R = (XᵀX/n + λI)^{-1}``.

    With ``mask_ratio = p ∈ (0, 1)`` (random masks: each coordinate hidden independently with
    probability ``p``, row ``k`` minimising the expected masked loss given that ``k`` is hidden)
    it is ``Â_p = (1/(1−p)) (I − diag(G⁻¹)⁻¹G⁻¹)``, ``G = (1−p)S + p·diag(S) + λ/(1−p)``, zero
    diagonal, from the same single factorisation; ``p = 0`` (default) is ``Â`` bit for bit.

    Row ``k`` of ``Â`` is the ridge predictor of coordinate ``k`` from the other ``d − 1``
    coordinates, minimising ``(1/n)‖x_k − X_{−k} a‖² + λ‖a‖²``; the diagonal is exactly
    zero. Cost: one ``XᵀX`` and one Cholesky factorisation of ``S + λI``.

    Parameters: ``X`` finite real ``(n, d)`` with ``n ≥ 1``, ``d ≥ 2`` (``d > n`` allowed);
    ``lam`` finite ``> 0`` (``float``, ``int`` or ``Fraction``); ``mask_ratio`` in ``[0, 1)``.
    Otherwise ``ValueError`` naming the argument.

    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
    >>> A = fit_ssr(X, 1)
    >>> # d = 2: Â_01 is the scalar ridge of x_0 on x_1, Σ x_0 x_1 / (Σ x_1² + nλ)
    >>> bool(np.isclose(A[0, 1], (2 - 3 + 0) / (4 + 1 + 1 + 3)))
    True
    """
    A = _ssr_from_precision(_precision(X, lam, mask_ratio), overwrite=True)
    p = _as_mask_ratio(mask_ratio)
    if p:
        A /= 1 - p
    return A


def train_error(X, A, mask_ratio=0) -> float:
    """Training error ``E_train = ‖X − X Aᵀ‖_F² / (n d)`` of a predictor matrix ``A``.

    With ``mask_ratio = p > 0`` it is the expected masked training loss ``L_p`` (every
    coordinate hidden with probability ``p``, the hidden one predicted from the visible ones,
    averaged over masks and samples, without the penalty):
    ``‖X − (1−p) X Aᵀ‖_F²/(nd) + p(1−p) (1/d) Σ_kj A_kj² S_jj``, ``S = XᵀX/n``.

    >>> import numpy as np
    >>> train_error(np.ones((2, 3)), np.zeros((3, 3)))
    1.0
    """
    X = _as_data(X, min_d=1)
    n, d = X.shape
    A = _as_square(A, d, "A")
    p = _as_mask_ratio(mask_ratio)
    if p == 0:
        residual = X - X @ A.T
        return float(np.vdot(residual, residual) / (n * d))
    residual = X - (1 - p) * (X @ A.T)
    spread = np.einsum("ij,ij->j", X, X) / n
    return float(np.vdot(residual, residual) / (n * d) + p * (1 - p) * np.sum(A**2 @ spread) / d)


def gen_error(A, Sigma, test_mask_ratio=0) -> float:
    """Generalisation error ``E_gen = E‖x − Ax‖²/d = tr((I−A) Σ (I−A)ᵀ)/d``, ``x ~ N(0, Σ)``.

    With ``test_mask_ratio = q > 0`` it is the masked test error ``E(q)`` (a fresh
    ``x`` and a fresh mask of ratio ``q``):
    ``tr((I−(1−q)A) Σ (I−(1−q)A)ᵀ)/d + q(1−q) (1/d) Σ_kj A_kj² Σ_jj``.

    >>> import numpy as np
    >>> gen_error(np.zeros((2, 2)), np.diag([1.0, 3.0]))
    2.0
    """
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] < 1:
        raise ValueError(f"A: expected a square (d, d) array, got shape {A.shape}")
    d = A.shape[0]
    A = _as_square(A, d, "A")
    Sigma = _as_square(Sigma, d, "Sigma")
    q = _as_mask_ratio(test_mask_ratio, "test_mask_ratio")
    M = -A if q == 0 else -(1 - q) * A
    M.flat[:: d + 1] += 1.0
    variances = np.diag(Sigma)
    if np.count_nonzero(Sigma) == np.count_nonzero(variances):
        # diagonal Σ: (MΣ)_ij = M_ij Σ_jj, the one nonzero term of the BLAS sum, so the value
        # is the same bit for bit, without the d³ product and its d×d result
        M2 = M * variances
        value = float(np.vdot(M2, M) / d)
    else:
        value = float(np.vdot(M @ Sigma, M) / d)
    if q:
        value += q * (1 - q) * float(np.sum(A**2 @ np.diag(Sigma))) / d
    return value


def ssr_spectrum(X, lam) -> np.ndarray:
    """The ``d`` real eigenvalues of ``Â`` in ascending order.

    Computed as the eigenvalues of the symmetric ``I − D^{-1/2} R D^{-1/2}`` (``D = diag R``),
    which is similar to ``Â`` (``eigvalsh``, backward stable). They sum to ``tr Â = 0``.
    """
    R = _precision(X, lam)
    return _spectrum_from_precision(R)


def ssr_top_vector(X, lam) -> tuple[float, np.ndarray]:
    """The top eigenvalue ``a`` of ``Â`` and its unit right eigenvector ``r`` (``Â r = a r``).

    ``r = D^{-1/2} y / ‖D^{-1/2} y‖`` with ``y`` the top eigenvector of the symmetric
    ``I − D^{-1/2} R D^{-1/2}`` (``Â`` is similar to it). This is the SSR estimate of a planted direction.
    Sign convention: the entry of ``r`` of largest modulus is positive.
    """
    R = _precision(X, lam)
    return _top_vector_from_precision(R)


def pca_spectrum(X) -> np.ndarray:
    """The ``d`` eigenvalues of ``S = XᵀX/n``, ascending (``d − n`` of them vanish if ``d > n``)."""
    X = _as_data(X, min_d=1)
    return np.linalg.eigvalsh(X.T @ X / X.shape[0])


def pca_top(X) -> tuple[float, np.ndarray]:
    """The top eigenvalue of ``S = XᵀX/n`` and its unit eigenvector (largest-modulus entry positive)."""
    X = _as_data(X, min_d=1)
    d = X.shape[1]
    values, vectors = eigh(X.T @ X / X.shape[0], subset_by_index=[d - 1, d - 1])
    return float(values[0]), _unit(vectors[:, 0])
