r"""The estimators (``--method``): one record each, everything the theory and the simulation need.

An :class:`Estimator` says, for the deterministic equivalents (E1)–(E4) of docs/theory.md,

- its **ridge** ``b(s)`` in (E1) ``δ = γ ∫ s/(s/(1+δ) + b(s)) dν`` and ``R̄ = (Σ₀/(1+δ) + B)^{-1}``
  (``None``: the estimator has no resolvent, as PCA, whose ``T`` is ``S`` itself);
- its **scale** ``D̄ = diag R̄`` (diagonal basis ``R̄(s)``; rotational basis ``m̄ = ∫ R̄ dν`` on
  every coordinate; ``1`` without a resolvent) and so the **shift** ``B D̄`` of
  ``T = D̄^{1/2}(S + B)D̄^{1/2}`` — built once, for every estimator, by
  :func:`numerics.reduction.spectral_system`;
- its **eigenvalue map** ``t ↦ a`` from the spectrum of ``T`` to that of the estimated matrix,
  with its inverse and Jacobian (for the density);
- its **finite-d fit** (:meth:`Estimator.fit`, a :class:`Fit` with the matrix, the spectrum
  and the top eigenvector, each computed once on demand).

Which quantities an estimator has is decided by the quantity registry
(:mod:`numerics.quantities`: ``Quantity.estimators``), never here. A new estimator is one
more entry of :data:`ESTIMATORS`; no solver tests its name.

The ratio-``p`` estimator (``masked``; docs/theory.md, "Random masks") is the third entry: masking
is an extra diagonal ridge ``b(s) = (p s + λ/(1−p))/(1−p)`` (rotational basis: ``s → s̄ = ∫ s dν``,
a scalar ridge) and its eigenvalues are ``(1 − 1/t)/(1−p)``; ``p`` is the model's ``mask_ratio``.
:func:`select` turns the leave-one-out ``ssr`` into ``masked`` when the model has a ratio.

>>> [e.name for e in ESTIMATORS.values()]
['ssr', 'pca', 'masked']
>>> get("pca").to_a(None, 3)
3
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath as mp

from numerics import bases
from numerics.parsing import BadParameter

__all__ = ["Estimator", "Fit", "ESTIMATORS", "NAMES", "get", "select"]


class Fit:
    """A finite-``d`` fit on one data set: each piece is computed once, when first asked for.

    ``matrix`` (the ``d×d`` estimate, when there is one), ``precision`` (``R``), ``spectrum``
    (ascending eigenvalues) and ``top_vector`` (unit top right eigenvector) come from the
    functions the estimator gives; ``p`` is the training masking ratio (``0``: leave-one-out);
    ``estimator`` the name of the estimator that made it.
    """

    def __init__(self, X, lam, parts: dict, p: float = 0.0, estimator: str | None = None):
        self.X, self.lam, self.p, self.estimator = X, lam, p, estimator
        self._parts = parts
        self._done: dict = {}

    def __getattr__(self, name):
        parts = self.__dict__.get("_parts", {})
        if name not in parts:
            raise AttributeError(f"this estimator has no {name!r}")
        done = self.__dict__["_done"]
        if name not in done:
            done[name] = parts[name](self)
        return done[name]


@dataclass(frozen=True)
class Estimator:
    """One estimator: its deterministic equivalent, eigenvalue map and finite-``d`` fit.

    ``ridge(model, lam)`` returns ``s ↦ b(s)`` (``None`` for an estimator without resolvent);
    ``to_a(model, t)`` maps an eigenvalue of ``T`` to one of the estimate, ``from_a`` inverts it,
    ``jacobian(model, a) = dt/da``; ``a_sup(model)`` is the supremum of the map (``None``: none),
    above which the density vanishes; ``parts`` lists the finite-``d`` pieces of a :class:`Fit`.
    ``mask(model)`` is the training masking ratio ``p`` the estimator uses (an ``mpf``; ``0`` for
    the leave-one-out and PCA estimators) and ``under_mask`` names the estimator a model with a
    masking ratio turns this one into (``None``: it has no masked form). ``masking_closed_forms``:
    whether its SymPy closed forms are those of :mod:`derive.masking` (functions of ``p`` and ``q``)
    rather than :mod:`derive.isotropic` and :mod:`derive.spiked` (functions of the method).
    """

    name: str
    meaning: str
    ridge: Callable | None
    to_a: Callable
    from_a: Callable
    jacobian: Callable
    a_sup: Callable
    parts: dict
    mask: Callable = lambda model: 0
    under_mask: str | None = None
    masking_closed_forms: bool = False

    @property
    def resolvent(self) -> bool:
        """Whether the estimator is built from ``R = (S + B)^{-1}`` (it then has errors and ``m``)."""
        return self.ridge is not None

    def fit(self, X, model) -> Fit:
        """The finite-``d`` fit of this estimator on data ``X`` at the ridge of ``model``."""
        return Fit(X, float(model.lam), self.parts, float(self.mask(model)), self.name)


def _fits():
    """:mod:`numerics.estimator` (NumPy/SciPy), imported on first use so the CLI starts fast."""
    from numerics import estimator

    return estimator


def _ssr_ridge(model, lam):
    return lambda s: lam


def _precision(fit):
    """``R = (S + B_S)^{-1}``: ``(S + λI)^{-1}``, or for ``p > 0`` ``(1−p)G^{-1}`` (masked)."""
    R = _fits()._precision(fit.X, fit.lam, fit.p)
    if fit.p:
        R *= 1 - fit.p
    return R


def _ratio(model, like):
    """The model's masking ratio ``p`` as an ``mpf`` (or exact, for a symbolic ``like``)."""
    p = model.mask_ratio
    return mp.mpf(p.numerator) / p.denominator if isinstance(like, mp.mpf) else p


def _masked_ridge(model, lam):
    """``b(s) = (p σ² + λ/(1−p))/(1−p)`` at the variance ``σ² = lim S_kk`` of the coordinate
    (:meth:`numerics.bases.Basis.at_variance`): ``σ² = s`` in the diagonal basis, ``s̄ = ∫ s dν``
    in the rotational basis (a scalar ridge; exact for a symbolic ``lam``)."""
    p = _ratio(model, lam)
    ridge = lambda v: (p * v + lam / (1 - p)) / (1 - p)  # noqa: E731
    return bases.get(model.basis).at_variance(model.law, ridge, exact=not isinstance(lam, mp.mpf))


def _mask_mp(model):
    p = model.mask_ratio
    return mp.mpf(p.numerator) / p.denominator


def _ssr_top(fit):
    return _fits()._top_vector_from_precision(fit.precision)[1]


def _pca_top(fit):
    return _fits().pca_top(fit.X)[1]


ESTIMATORS: dict[str, Estimator] = {
    "ssr": Estimator(
        name="ssr",
        meaning="leave-one-out SSR, A = I - diag(R)^-1 R, R = (S + lam I)^-1",
        ridge=_ssr_ridge,
        to_a=lambda model, t: 1 - 1 / t,
        from_a=lambda model, a: 1 / (1 - a),
        jacobian=lambda model, a: 1 / (1 - a) ** 2,
        a_sup=lambda model: 1,
        parts={
            "precision": _precision,
            "matrix": lambda fit: _fits()._ssr_from_precision(fit.precision),
            "spectrum": lambda fit: _fits()._spectrum_from_precision(fit.precision),
            "top_vector": _ssr_top,
        },
        under_mask="masked"),
    "pca": Estimator(
        name="pca",
        meaning="PCA, the top eigenpair of S = X^T X / n",
        ridge=None,
        to_a=lambda model, t: t,
        from_a=lambda model, a: a,
        jacobian=lambda model, a: 1,
        a_sup=lambda model: None,
        parts={
            "spectrum": lambda fit: _fits().pca_spectrum(fit.X),
            "top_vector": _pca_top,
        }),
    "masked": Estimator(
        name="masked",
        meaning="ratio-p masked SSR, A_p = (I - diag(G^-1)^-1 G^-1)/(1-p), "
                "G = (1-p)S + p diag(S) + lam/(1-p)",
        ridge=_masked_ridge,
        to_a=lambda model, t: (1 - 1 / t) / (1 - _mask_mp(model)),
        from_a=lambda model, a: 1 / (1 - (1 - _mask_mp(model)) * a),
        jacobian=lambda model, a: (1 - _mask_mp(model)) / (1 - (1 - _mask_mp(model)) * a) ** 2,
        a_sup=lambda model: 1 / (1 - _mask_mp(model)),
        parts={
            "precision": _precision,
            "matrix": lambda fit: _fits()._ssr_from_precision(fit.precision) / (1 - fit.p),
            "spectrum": lambda fit: _fits()._spectrum_from_precision(fit.precision) / (1 - fit.p),
            "top_vector": _ssr_top,
        },
        mask=_mask_mp,
        under_mask="masked",
        masking_closed_forms=True),
}

#: The names accepted by ``--method``, in registry order.
NAMES = tuple(ESTIMATORS)


def get(name) -> Estimator:
    """The estimator called ``name`` (an :class:`Estimator` passes through)."""
    if isinstance(name, Estimator):
        return name
    try:
        return ESTIMATORS[name]
    except (KeyError, TypeError):
        raise BadParameter("method", f"invalid choice {name!r} (choose from {', '.join(NAMES)})") from None


def select(name, model, allowed=None) -> Estimator:
    """The estimator that ``--method name`` means for ``model``.

    A model with a masking ratio (``model.masked``) turns an estimator into its ``under_mask``
    form (``ssr`` → ``masked``), and so does a quantity that only the masked form has
    (``allowed``: the quantity's estimators). An estimator without a masked form (PCA) and a
    masking ratio give :class:`BadParameter` naming ``mask-ratio``.
    """
    est = get(name)
    wants_mask = model.masked or (allowed is not None and est.name not in allowed
                                  and est.under_mask in allowed)
    if not wants_mask or est.under_mask == est.name:
        return est
    if est.under_mask is None:
        raise BadParameter("mask-ratio", f"the {est.name} estimator has no masking ratio "
                                         f"(--mask-ratio and --test-mask-ratio belong to ssr)")
    return get(est.under_mask)
