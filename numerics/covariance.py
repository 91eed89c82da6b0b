r"""The given-covariance route: (E1)–(E3) at the masking ridge with the actual ``d×d`` matrices, in float64.

For a population covariance ``Σ`` (``d×d``, symmetric positive definite) that is neither diagonal
nor Haar-rotated (real data), this route (docs/theory.md, "A given covariance matrix") evaluates
the deterministic equivalents with the matrices themselves. With the training masking ratio ``p ∈ [0, 1)``,
ridge ``λ > 0`` and ``γ = d/n``:

- the masking ridge ``B = diag(b_k)``, ``b_k = (p Σ_kk + λ/(1−p))/(1−p)`` ("Random masks" in
  docs/theory.md);
- (E1) ``δ = γ (1/d) tr(Σ R̄)``, ``R̄ = (Σ/(1+δ) + B)^{-1}``;
- (E2) ``R X R ≍ R̄ X R̄ + c(X) R̄ Σ R̄`` with ``c(X) = κ γ (1/d) tr(Σ R̄ X R̄)/(1+δ)²`` and
  ``κ = 1/(1 − γ (1/d) tr(Σ R̄ Σ R̄)/(1+δ)²)``.

The masked test error ``E(q)`` and the masked training loss ``L_p`` are the per-coordinate
formulas of :func:`numerics.reduction.test_error` and :func:`numerics.reduction.train_error`
with ``D_k = R̄_kk``, ``(R̄Σ)_kk`` and the sandwiches ``(RΣR)_kk``, ``(R diag(Σ) R)_kk``,
``(RBR)_kk`` from (E2), averaged over ``k``; ``m = (1/d) tr R̄``.

**One eigendecomposition.** With ``M = B^{-1/2} Σ B^{-1/2} = W diag(μ) Wᵀ`` and ``x = 1 + δ``,
``R̄ = B^{-1/2} W diag(r) Wᵀ B^{-1/2}`` with ``r_i = x/(μ_i + x)``, so (E1) is the scalar equation
``δ = γ (1/d) Σ_i μ_i x/(μ_i + x)`` (:func:`_solve_e1`) and every diagonal entry afterwards is a
row of ``W∘W`` against a vector: ``R̄_kk = (W∘W r)_k/b_k``, ``(R̄Σ)_kk = (W∘W (μ r))_k``,
``(R̄ΣR̄)_kk = (W∘W (μ r²))_k/b_k``; ``κ = 1/(1 − γ (1/d) Σ_i (μ_i/(μ_i+x))²)``. Only
``(R̄ diag(Σ) R̄)_kk = Σ_j R̄_kj² Σ_jj`` needs the matrix ``P = W diag(r) Wᵀ`` (one product,
computed when ``p > 0`` or ``q > 0`` asks for it). Cost ``O(d³)``: about a second at d = 2000.

**Exact identities used (they hold at the root of (E1)).** ``R̄ − R̄BR̄ = R̄ΣR̄/x`` (from
``R̄^{-1} = Σ/x + B``) and ``c(B) = 1/x − κ/x²`` (from (E1): ``γ (1/d) tr(ΣR̄BR̄) = x/κ − 1``).
Per coordinate, with ``u = (R̄Σ)_kk/R̄_kk``, ``w = κ (R̄ΣR̄)_kk/R̄_kk²`` (``= (RΣR)_kk/R_kk²``),
``z − Σ_kk = [Σ_{j≠k} R̄_kj² Σ_jj + c(Δ) (R̄ΣR̄)_kk]/R̄_kk²`` (``z = (RΔR)_kk/R_kk²``, ``Δ = diag Σ``),
``α = (1−q)/(1−p)`` and ``β = q(1−q)/(1−p)²``, the formulas of :mod:`numerics.reduction` read

    E_k(q) = (1−α)² Σ_kk + 2α(1−α) u + α² w + β (z − Σ_kk),
    L_k    = w/x² + p/(1−p) · (z − Σ_kk),

which removes their cancellations (``p = q = 0``: ``E = (1/d) Σ_k w_k``, ``L = E/(1+δ)²``). The
tests compare with an independent mpmath evaluation of the literal formulas (no eigenvectors,
no identities).

**Accuracy** (:attr:`Equivalent.accuracy`). A first-order running error bound, computed with
the result:

- the backward error ``e ≥ ‖M − W diag(μ) Wᵀ‖_F`` of the eigendecomposition, *measured* with
  four fixed Gaussian probes ``y`` (``E‖Ey‖² = ‖E‖_F²``; twice the root mean square is taken),
  plus the rounding of forming ``M`` (``2 eps ‖M‖_F``), and the loss of orthogonality of ``W``
  (probed the same way) as a relative error of every ``W∘W`` product;
- a diagonal entry of a function ``f(M)`` whose divided differences obey
  ``|f[μ_i, μ_j]| ≤ c r_i r_j`` (``r``, ``μ r``, ``μ r²`` do, with ``c = 1/x, 1, 1``) moves by at
  most ``c e (R_M²)_kk`` (Daleckii–Krein), ``R_M = W diag(r) Wᵀ``; sums of ``d`` positive terms
  add ``√d eps`` (Higham's probabilistic bound; the worst case is ``d eps``);
- ``δ`` has error ``κ (|residual of (E1)| + √d eps δ + γ mean(r²) e)`` (``|dF/dδ| = 1/κ`` and
  ``|Δμ_i| ≤ e``), ``κ`` a relative error ``κ`` times that of ``1 − 1/κ``;
- these propagate, with absolute values, through the per-coordinate formulas above to a bound
  on each result; ``accuracy`` is the largest relative bound over ``m``, ``L_p`` and ``E(q)`` on
  ``q ∈ {0, 0.01, …, 0.99, p}``, at least ``eps``. The tests check that it bounds the error
  against 30-digit arithmetic; it is pessimistic (measured: by 600 to 5600 times on the
  AR(1) matrices of the tests, mostly from the probes' own rounding and the Frobenius norm).

**Under a scale law** (elliptical data ``x = √τ Σ^{1/2} z``, ``τ ~ ρ``, ``E τ = 1``; ``scale=`` of
:func:`solve`, :func:`evaluate`, :func:`density`). Every Gaussian equation holds with
``1/(1+δ) → c(δ) = ∫ τ/(1+τδ) dρ`` and ``1/(1+δ)² → e₂(δ) = ∫ τ²/(1+τδ)² dρ``:
``R̄ = (c(δ)Σ + B)^{-1}``, so ``r_i = 1/(1 + c(δ)μ_i)`` and (E1) reads
``δ = γ (1/d) Σ_i μ_i/(1 + c(δ)μ_i)`` (a unique root; :func:`_solve_e1_scaled`),
``κ = 1/(1 − γ e₂ (1/d) Σ_i (μ_i r_i)²)``, ``c(X) = κ γ e₂ (1/d) tr(ΣR̄XR̄)``. The identities become
``R̄ − R̄BR̄ = c R̄ΣR̄`` and ``c − c(B) = κ f(δ)``, ``f = c − δe₂ = ∫ τ/(1+τδ)² dρ`` (computed as that
integral, without the cancellation), so ``w`` and ``E_k(q)`` keep their form and
``L_k = f w + p/(1−p) · (z − Σ_kk)`` (Gaussian: ``f = 1/x²``). ``c`` and ``e₂`` are
:meth:`numerics.scale.ScaleLaw.first_np` / :meth:`~numerics.scale.ScaleLaw.second_np` over the
float atoms of ``ρ`` (a density law: its Gauss–Legendre atoms), one vectorised sum each (a law
of ``10⁵`` samples: about 10 ms for a solve at d = 144, measured). For ``ρ = δ₁`` (or
``scale=None``) the Gaussian expressions above run unchanged, bit for bit.

What changes in the accuracy under ``ρ`` (:func:`_solve_scaled`): the divided-difference
constant of ``r`` is ``c(δ)`` (was ``1/x``; those of ``μr`` and ``μr²`` stay 1); where ``r``,
``μr``, ``μr²`` moved with ``δ`` by at most ``ddelta/x`` (relative), they move with ``c`` by at
most ``dfirst = ddelta e₂/c + t_ρ`` (``|dr/r| = (1−r)|dc/c|``); ``e₂`` and ``f`` carry
``ddelta · 2e₃/e₂ + t_ρ`` and ``ddelta · 2h/f + t_ρ`` (``e₃ = ∫ τ³/(1+τδ)³ dρ``,
``h = ∫ τ²/(1+τδ)³ dρ``, their derivatives); ``1 − 1/κ = γ e₂ mean((μr)²)`` is bounded term by
term (no longer as one function of ``x``); ``ddelta`` gains ``t_ρ δ``. ``t_ρ`` is the stated
relative error of a sum over the ``N`` atoms, ``(4 + √N) eps`` (the conversion of exact atoms
and the summation), plus for a density law the *measured* difference of ``c``, ``e₂`` at the
root from the law's own 20-digit integral (the quadrature error is otherwise not bounded).
The bound is first order and stays pessimistic: the tests check it against a 30-digit
evaluation of the literal formulas under a discrete ``ρ``.

The spectrum (E3) (:func:`density`) solves ``δ(u) = γ (1/d) tr(C (C/(1+δ(u)) + BD̄ − u)^{-1})``,
``C = D̄^{1/2}ΣD̄^{1/2}``, ``D̄ = diag R̄``, one complex ``d×d`` solve per Newton step (under ``ρ``:
``C c(δ(u))`` for ``C/(1+δ(u))``, with the complex ``c`` summed over the atoms of ``ρ``).

>>> import numpy as np
>>> Sigma = np.diag([1.0, 6.0])
>>> round(evaluate("m", Sigma, gamma=0.5, lam=0.1), 11)   # R̄ diagonal: m of ½δ₁ + ½δ₆
0.92195523163
"""
from __future__ import annotations

import functools
import hashlib
import math
import numbers
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy import linalg, optimize

from numerics import quantities as _quantities
from numerics.parsing import BadParameter, parse_number

__all__ = [
    "QUANTITIES",
    "SYMMETRY_TOL",
    "E1_TOL",
    "ETA",
    "Covariance",
    "Equivalent",
    "ConvergenceError",
    "as_covariance",
    "load",
    "solve",
    "evaluate",
    "density",
]

#: The quantities of the given-covariance route.
QUANTITIES = tuple(q.name for q in _quantities.REGISTRY.values() if q.given is not None)
#: Relative asymmetry ``max|Σ − Σᵀ| / max|Σ|`` accepted (then ``Σ`` is symmetrised).
SYMMETRY_TOL = 1e-10
#: Relative residual ``|F(δ)|/δ`` required of the root of (E1).
E1_TOL = 1e-12
#: Default height of the spectral parameter, relative to the mean eigenvalue of ``T`` (:func:`density`).
ETA = 1e-9
_EPS = float(np.finfo(float).eps)
_PROBES = 4


class ConvergenceError(RuntimeError):
    """A root or fixed point of this route did not reach its tolerance (quotes both)."""

    def __init__(self, what: str, residual: float, tol: float):
        self.residual, self.tol = residual, tol
        super().__init__(f"{what} did not converge: residual {residual:.3g} > tol {tol:.3g}")


# --- the covariance ----------------------------------------------------------------------------

def _validate(array) -> np.ndarray:
    """``array`` as a symmetric positive definite float64 ``d×d`` matrix, or :class:`BadParameter`."""
    try:
        A = np.asarray(array)
    except Exception as err:  # e.g. ragged nested lists
        raise BadParameter("covariance", f"not a numeric array ({type(err).__name__})") from None
    if A.dtype.kind not in "iuf":
        raise BadParameter("covariance", f"expected a real numeric array, got dtype {A.dtype}")
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise BadParameter("covariance", f"expected a square d×d matrix, got shape {A.shape}")
    d = A.shape[0]
    if d < 2:
        raise BadParameter("covariance", f"need d >= 2, got a {d}×{d} matrix")
    A = np.array(A, dtype=np.float64)
    if not np.all(np.isfinite(A)):
        raise BadParameter("covariance", "contains nan or inf")
    scale = float(np.max(np.abs(A)))
    asymmetry = float(np.max(np.abs(A - A.T)))
    if scale == 0 or asymmetry > SYMMETRY_TOL * scale:
        raise BadParameter("covariance", f"not symmetric: max|S - S^T| / max|S| = "
                                         f"{asymmetry / scale if scale else float('nan'):.3g} > {SYMMETRY_TOL:g}")
    A = (A + A.T) / 2
    try:
        L = linalg.cholesky(A, lower=True, check_finite=False)
    except linalg.LinAlgError:
        smallest = float(linalg.eigvalsh(A, subset_by_index=[0, 0], check_finite=False)[0])
        raise BadParameter("covariance", f"not positive definite: smallest eigenvalue {smallest:.6g}") from None
    return A, L


class Covariance:
    """A validated population covariance: read-only float64 ``array``, its Cholesky factor, a spec.

    Equal and hashed by content (the SHA-256 of the symmetrised float64 matrix), whatever the
    ``spec`` (the file it came from, or ``array(d=…, sha=…)``).

    >>> import numpy as np
    >>> a = Covariance(np.eye(3)); a.spec, a.d
    ('array(d=3, sha=1332df685c45)', 3)
    >>> a == Covariance(np.eye(3), spec="eye.npy")
    True
    """

    __slots__ = ("array", "cholesky", "d", "sha256", "spec")

    def __init__(self, array, spec: str | None = None):
        A, L = _validate(array)
        A.flags.writeable = False
        L.flags.writeable = False
        self.array, self.cholesky, self.d = A, L, A.shape[0]
        self.sha256 = hashlib.sha256(A.tobytes()).hexdigest()
        self.spec = str(spec) if spec is not None else f"array(d={self.d}, sha={self.sha256[:12]})"

    def __eq__(self, other):
        return isinstance(other, Covariance) and other.sha256 == self.sha256 and other.d == self.d

    def __hash__(self):
        return hash(self.sha256)

    def __repr__(self):
        return f"Covariance({self.spec})"


def as_covariance(value) -> Covariance:
    """A :class:`Covariance` (passes through) from an array-like, validated."""
    return value if isinstance(value, Covariance) else Covariance(value)


def load(path) -> Covariance:
    """Read a covariance from ``path``: ``.npy`` by :func:`numpy.load` (``allow_pickle=False``),
    any other suffix as a text matrix by :func:`numpy.loadtxt`; :class:`BadParameter` naming
    ``covariance`` for a missing, unreadable or invalid file. The spec is the path."""
    path = Path(path)
    if not path.is_file():
        raise BadParameter("covariance", f"no such file {str(path)!r}")
    try:
        if path.suffix.lower() == ".npy":
            array = np.load(path, allow_pickle=False)
        else:
            array = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except (OSError, ValueError, EOFError) as err:
        raise BadParameter("covariance", f"cannot read {str(path)!r}: {' '.join(str(err).split())[:160]}") from None
    return Covariance(array, spec=str(path))


# --- parameters ----------------------------------------------------------------------------------

def _real(value, name: str, *, low: float, closed: bool, high: float | None = None) -> float:
    if isinstance(value, str):
        value = parse_number(value, name)
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Fraction)):
        raise BadParameter(name, f"expected a real number, got {value!r}")
    x = float(value)
    ok = math.isfinite(x) and (x >= low if closed else x > low) and (high is None or x < high)
    if not ok:
        bound = (">= " if closed else "> ") + f"{low:g}" + ("" if high is None else f" and < {high:g}")
        raise BadParameter(name, f"must be finite and {bound}, got {value!r}")
    return x


def _parameters(gamma, lam, mask_ratio):
    return (_real(gamma, "gamma", low=0, closed=False), _real(lam, "lam", low=0, closed=False),
            _real(mask_ratio, "mask-ratio", low=0, closed=True, high=1))


# --- (E1) ------------------------------------------------------------------------------------------

def _solve_e1(mu: np.ndarray, gamma: float) -> tuple[float, float]:
    r"""The root ``δ > 0`` of ``F(δ) = γ (1/d) Σ_i μ_i x/(μ_i + x) − δ``, ``x = 1 + δ``; returns ``(δ, |F(δ)|)``.

    ``F`` is concave with ``F(0) > 0`` and ``F(γ mean μ) < 0``, so the root is unique and
    bracketed: :func:`scipy.optimize.brentq`, then two Newton steps (``F' = −1/κ``). Raises
    :class:`ConvergenceError` when ``|F(δ)| > E1_TOL · δ``.
    """
    def F(delta):
        x = 1 + delta
        return gamma * float(np.mean(mu * x / (mu + x))) - delta

    def slope(delta):
        x = 1 + delta
        return gamma * float(np.mean((mu / (mu + x)) ** 2)) - 1

    return _bracketed_root(F, slope, gamma * float(np.mean(mu)))


def _bracketed_root(F, slope, high: float) -> tuple[float, float]:
    """The root of the (E1) residual ``F`` in ``(0, high)``: :func:`scipy.optimize.brentq`, then two
    Newton steps with ``slope = F'`` (each kept only if it lowers ``|F|``); ``(δ, |F(δ)|)``, or
    :class:`ConvergenceError` when ``|F(δ)| > E1_TOL · δ``."""
    try:
        delta = optimize.brentq(F, 0.0, high, xtol=1e-300, rtol=4 * _EPS, maxiter=500)
    except (ValueError, RuntimeError) as err:
        raise ConvergenceError(f"(E1) bracketing ({err})", float("inf"), E1_TOL) from None
    for _ in range(2):
        step = -F(delta) / slope(delta)
        if abs(F(delta + step)) <= abs(F(delta)):
            delta += step
    residual = abs(F(delta))
    if not residual <= E1_TOL * delta:
        raise ConvergenceError("(E1) delta = gamma tr(Sigma Rbar)/d", residual / delta, E1_TOL)
    return delta, residual


def _solve_e1_scaled(mu: np.ndarray, gamma: float, rho: "_Rho") -> tuple[float, float]:
    r"""(E1) under the scale law ``ρ``: the root ``δ > 0`` of ``F(δ) = γ (1/d) Σ_i μ_i/(1 + c(δ) μ_i) − δ``.

    ``F(0) > 0`` (``c(0) = E τ = 1``) and ``F(γ mean μ) < 0``; the map ``δ ↦ γ (1/d) Σ μ_i/(1 + c(δ)μ_i)``
    is positive, increasing and strictly sub-homogeneous (``c(αδ) > c(δ)/α`` for ``α > 1``), so the
    root is unique (a standard interference function): :func:`scipy.optimize.brentq`, then two
    Newton steps (``F' = γ e₂(δ) (1/d) Σ (μ_i r_i)² − 1 = −1/κ``). Each ``F`` is one vectorised
    sum over the atoms of ``ρ``. Raises :class:`ConvergenceError` when ``|F(δ)| > E1_TOL · δ``.
    """
    def F(delta):
        return gamma * float(np.mean(mu / (1 + rho.first(delta) * mu))) - delta

    def slope(delta):
        r = 1 / (1 + rho.first(delta) * mu)
        return gamma * rho.second(delta) * float(np.mean((mu * r) ** 2)) - 1

    return _bracketed_root(F, slope, gamma * float(np.mean(mu)))


# --- the scale law in float64 ----------------------------------------------------------------------

class _Rho:
    r"""The scale law ``ρ`` of elliptical data in float64: ``c(δ)`` and ``e₂(δ)`` by
    :meth:`numerics.scale.ScaleLaw.first_np` / :meth:`~numerics.scale.ScaleLaw.second_np` over its
    float atoms ``(τ_j, w_j)`` (:meth:`~numerics.scale.ScaleLaw.floats`), each one vectorised sum.

    :meth:`moments` adds, at the root, the integrals the train error and the error bounds need:
    ``f(δ) = ∫ τ/(1+τδ)² dρ = c − δ e₂`` (computed directly: no cancellation),
    ``e₃(δ) = ∫ τ³/(1+τδ)³ dρ`` (``e₂' = −2e₃``) and ``h(δ) = ∫ τ²/(1+τδ)³ dρ`` (``f' = −2h``).

    ``rounding``: the relative rounding error stated for each of these sums: ``(4 + √N) eps`` for
    ``N`` atoms (the conversion of exact atoms to floats and the sum of ``N`` positive terms, in the
    probabilistic form used for the sums over ``d``), plus, for a density law (Gauss–Legendre
    atoms), the measured quadrature error of ``c`` and ``e₂`` at the root against the law's own
    integral at 20 digits (:meth:`measure_quadrature`).
    """

    def __init__(self, law):
        self.law = law
        self.tau, self.weight = law.floats()
        self.rounding = (4 + math.sqrt(self.tau.size)) * _EPS

    def first(self, delta):
        return float(self.law.first_np(delta))

    def second(self, delta):
        return float(self.law.second_np(delta))

    def moments(self, delta):
        """``(f, e₃, h)`` at ``δ`` (see the class docstring)."""
        t = self.tau / (1 + self.tau * delta)
        wt = self.weight * t
        f = float(np.sum(wt / (1 + self.tau * delta)))
        e3 = float(np.sum(wt * t * t))
        h = float(np.sum(wt * t / (1 + self.tau * delta)))
        return f, e3, h

    def measure_quadrature(self, delta, first, second) -> float:
        """For a density law: the relative difference of the float64 ``c(δ)``, ``e₂(δ)`` from
        :meth:`~numerics.scale.ScaleLaw.first` / :meth:`~numerics.scale.ScaleLaw.second` at 20
        digits (``0`` for atoms, which are the law itself)."""
        if self.law.law.discrete or hasattr(self.law.law, "floats"):
            return 0.0
        import mpmath as mp

        with mp.workdps(20):
            exact_first = float(self.law.first(mp.mpf(delta)))
            exact_second = float(self.law.second(mp.mpf(delta)))
        return max(abs(first - exact_first) / exact_first, abs(second - exact_second) / exact_second)


# --- the deterministic equivalent -------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Equivalent:
    r"""The deterministic equivalent of ``R = (S + B)^{-1}`` for one ``Σ``, ``γ``, ``λ``, ``p`` (:func:`solve`).

    Scalars: ``delta`` (``δ``), ``kappa`` (``κ``), ``residual`` (``|F(δ)|`` of (E1)), ``accuracy``
    (the stated relative accuracy of every result, see the module docstring). Per-coordinate
    arrays (length ``d``, read-only): ``sigma`` (``Σ_kk``), ``ridge`` (``b_k``), ``scale``
    (``D̄_k = R̄_kk``), ``cross`` (``(R̄Σ)_kk``), ``spread`` (``(R̄ΣR̄)_kk``).

    >>> import numpy as np
    >>> eq = solve(np.eye(4), gamma=0.5, lam=0.2)
    >>> round(eq.m(), 12), round(eq.train_error() * (1 + eq.delta) ** 2 - eq.test_error(0), 14)
    (1.216990566028, 0.0)
    """

    gamma: float
    lam: float
    mask_ratio: float
    delta: float
    kappa: float
    residual: float
    sigma: np.ndarray
    ridge: np.ndarray
    scale: np.ndarray
    cross: np.ndarray
    spread: np.ndarray
    _eig: tuple = field(repr=False)
    _err: dict = field(repr=False)
    #: elliptical data: ``c(δ)``, ``e₂(δ)``, ``f(δ)`` at the root and their relative error bounds
    #: (``first``, ``second``, ``train``, ``dfirst``, ``dsecond``, ``dtrain``); ``None``: Gaussian data
    _rho: dict | None = field(default=None, repr=False)

    def __post_init__(self):
        for name in ("sigma", "ridge", "scale", "cross", "spread"):
            getattr(self, name).flags.writeable = False

    @functools.cached_property
    def accuracy(self) -> float:
        """The stated relative accuracy of :meth:`m`, :meth:`train_error` and :meth:`test_error`
        (any ``q`` on the grid ``0, 0.01, …, 0.99`` and ``p``): the largest first-order error
        bound relative to its value, at least ``eps`` (module docstring). Computed on first use
        (it needs the ``d×d`` product of :attr:`_off` even when ``p = q = 0``)."""
        grid = sorted(set(np.round(np.arange(100) / 100, 2).tolist()) | {self.mask_ratio})
        bounds = [self._m_bound(), self._train_bound()] + [self._test_bound(q) for q in grid]
        return max(_EPS, *(err / abs(v) for v, err in bounds))

    @property
    def d(self) -> int:
        return self.sigma.shape[0]

    # - pieces -------------------------------------------------------------------------------------
    @functools.cached_property
    def _off(self) -> tuple[np.ndarray, np.ndarray]:
        r"""``(Σ_{j≠k} R̄_kj² Σ_jj, its error bound)`` per ``k``: from ``P = W diag(r) Wᵀ``
        (``R̄_kj = P_kj/√(b_k b_j)``), the diagonal ``j = k`` left out exactly."""
        mu, W, r = self._eig
        Wr = W * np.sqrt(r)
        P = Wr @ Wr.T
        Pkk = P.diagonal().copy()
        np.fill_diagonal(P, 0.0)
        weight = self.sigma / self.ridge
        off = (P * P) @ weight / self.ridge
        e, t = self._err["e"], self._err["t"]
        x = 1 + self.delta
        R2 = self._err["R2"]
        # ‖ΔP e_k‖ ≤ (e/x)‖P e_k‖ + √d eps √(P_kk tr P) (eigen-perturbation, then rounding)
        if self._rho is None:
            dP = (e / x) * np.sqrt(R2) + t * np.sqrt(Pkk * Pkk.sum())
            bound = 2 * weight.max() * np.sqrt(R2) * dP / self.ridge + off * (t + 2 * self._err["ddelta"] / x)
            return off, bound
        # under ρ: r = 1/(1 + cμ) has divided differences −c r_i r_j and moves with c by (1−r) dc/c
        dP = (e * self._rho["first"]) * np.sqrt(R2) + t * np.sqrt(Pkk * Pkk.sum())
        bound = 2 * weight.max() * np.sqrt(R2) * dP / self.ridge + off * (t + 2 * self._rho["dfirst"])
        return off, bound

    @functools.cached_property
    def _c_diag(self) -> tuple[float, float]:
        """``c(diag Σ) = κ γ (1/d) Σ_k (R̄ΣR̄)_kk Σ_kk/(1+δ)²`` (under ``ρ``: ``· e₂(δ)``) and its error bound."""
        err = self._err
        if self._rho is not None:
            e2 = self._rho["second"]
            value = self.kappa * self.gamma * float(np.mean(self.spread * self.sigma)) * e2
            bound = value * (err["dkappa"] / self.kappa + self._rho["dsecond"] + err["t"]) \
                + self.kappa * self.gamma * float(np.mean(err["dspread"] * self.sigma)) * e2
            return value, bound
        x = 1 + self.delta
        value = self.kappa * self.gamma * float(np.mean(self.spread * self.sigma)) / x ** 2
        bound = value * (err["dkappa"] / self.kappa + 2 * err["ddelta"] / x + err["t"]) \
            + self.kappa * self.gamma * float(np.mean(err["dspread"] * self.sigma)) / x ** 2
        return value, bound

    def _zk(self) -> tuple[np.ndarray, np.ndarray]:
        """``z_k − Σ_kk = ((R̄ΔR̄)_kk + c(Δ)(R̄ΣR̄)_kk)/R̄_kk² − Σ_kk ≥ 0`` and its error bound."""
        off, doff = self._off
        c, dc = self._c_diag
        D, err = self.scale, self._err
        value = (off + c * self.spread) / D ** 2
        bound = (doff + dc * self.spread + c * err["dspread"]) / D ** 2 + 2 * value * err["dscale"] / D
        return value, bound

    def _w(self) -> tuple[np.ndarray, np.ndarray]:
        """``w_k = κ (R̄ΣR̄)_kk / R̄_kk²`` and its error bound."""
        err = self._err
        w = self.kappa * self.spread / self.scale ** 2
        return w, w * (err["dkappa"] / self.kappa + err["dspread"] / self.spread + 2 * err["dscale"] / self.scale)

    # - results ------------------------------------------------------------------------------------
    def _m_bound(self):
        m = float(np.mean(self.scale))
        return m, float(np.mean(self._err["dscale"])) + self._err["t"] * m

    def _train_bound(self):
        p = self.mask_ratio
        x = 1 + self.delta
        w, dw = self._w()
        if self._rho is None:
            terms = [w / x ** 2]
            bound = dw / x ** 2 + 2 * w / x ** 2 * self._err["ddelta"] / x
        else:  # (RBR)_kk under ρ: R̄ − R̄BR̄ = c R̄ΣR̄ and c − c(B) = κ f, f = ∫ τ/(1+τδ)² dρ
            f = self._rho["train"]
            terms = [w * f]
            bound = dw * f + w * f * self._rho["dtrain"]
        if p:
            z, dz = self._zk()
            terms.append(p / (1 - p) * z)
            bound = bound + p / (1 - p) * dz
        return _total(terms, bound, self._err["t"])

    def _test_bound(self, q: float):
        q = _real(q, "test-mask-ratio", low=0, closed=True, high=1)
        p = self.mask_ratio
        alpha, beta = (1 - q) / (1 - p), q * (1 - q) / (1 - p) ** 2
        D, err = self.scale, self._err
        u = self.cross / D
        du = err["dcross"] / D + u * err["dscale"] / D
        w, dw = self._w()
        terms = [(1 - alpha) ** 2 * self.sigma, 2 * alpha * (1 - alpha) * u, alpha ** 2 * w]
        bound = abs(2 * alpha * (1 - alpha)) * du + alpha ** 2 * dw
        if beta:
            z, dz = self._zk()
            terms.append(beta * z)
            bound = bound + beta * dz
        return _total(terms, bound, err["t"])

    def m(self) -> float:
        """``m = (1/d) tr R̄``, the limit of ``(1/d) tr (S + B)^{-1}``."""
        return self._m_bound()[0]

    def train_error(self) -> float:
        """The masked training loss ``L_p`` at the training ratio (``p = 0``: ``E_train``)."""
        return self._train_bound()[0]

    def test_error(self, q=None) -> float:
        """The masked test error ``E(q)`` (default ``q = p``; ``p = q = 0``: the leave-one-out ``E_gen``)."""
        return self._test_bound(self.mask_ratio if q is None else q)[0]

    def value(self, quantity: str, test_mask_ratio=None) -> float:
        """``m``, ``gen-error`` (``E(q)``, ``q = test_mask_ratio``, default ``p``) or ``train-error``."""
        if quantity in QUANTITIES:  # the registry says how (Quantity.given)
            return _quantities.get(quantity).given(self, test_mask_ratio)
        raise BadParameter("covariance", f"{quantity!r} is not available for a given covariance "
                                         f"(available: {', '.join(QUANTITIES)})")


def _total(terms, bound, t):
    """``(1/d) Σ_k Σ_i terms_i[k]`` and its error bound: propagated ``bound`` plus the rounding
    of the sum (``(4 + √d) eps`` times the sum of absolute values)."""
    value = float(np.mean(sum(terms)))
    size = float(np.mean(sum(np.abs(term) for term in terms)))
    return value, float(np.mean(bound)) + (4 * _EPS + t) * size


def _probe_error(M, mu, W) -> tuple[float, float]:
    """Backward error ``‖M − W diag(μ) Wᵀ‖_F`` and ``‖WᵀW − I‖_F`` estimated by Gaussian probes.

    ``E‖E y‖² = ‖E‖_F²`` for ``y ~ N(0, I)``; twice the root mean square over fixed probes
    (``default_rng(0)``: deterministic, not a simulation). The probes' own rounding inflates
    the estimate (conservative).
    """
    Y = np.random.default_rng(0).standard_normal((M.shape[0], _PROBES))
    WtY = W.T @ Y
    backward = M @ Y - W @ (mu[:, None] * WtY)
    orthogonal = W.T @ (W @ Y) - Y
    rms = lambda Z: 2 * float(np.sqrt(np.mean(np.sum(Z * Z, axis=0))))  # noqa: E731
    return rms(backward), rms(orthogonal)


def solve(Sigma, *, gamma, lam, mask_ratio=0.0, scale=None) -> Equivalent:
    r"""Solve (E1) for the covariance ``Sigma`` and return its :class:`Equivalent`.

    ``Sigma``: a :class:`Covariance` or an array (validated: square, ``d ≥ 2``, finite,
    symmetric to ``SYMMETRY_TOL``, positive definite); ``gamma > 0``, ``lam > 0``, ``mask_ratio``
    ``p ∈ [0, 1)`` (floats, ints, ``Fraction`` or exact strings). One ``eigh`` of
    ``M = B^{-1/2}ΣB^{-1/2}`` (module docstring). Bad input raises :class:`BadParameter`; an
    unconverged (E1) :class:`ConvergenceError`.

    ``scale``: the scale law ``ρ`` of elliptical data (a :class:`numerics.scale.ScaleLaw`, or what
    :func:`numerics.model.parse_scale_law` reads, e.g. ``"1/2:1/2,3/2:1/2"``); ``None`` or the
    Gaussian ``δ₁``: Gaussian data, computed exactly as before the scale law existed.
    """
    cov = as_covariance(Sigma)
    rho = _as_rho(scale)
    gamma, lam, p = _parameters(gamma, lam, mask_ratio)
    S = cov.array
    d = cov.d
    sigma = np.diag(S).copy()
    b = (p * sigma + lam / (1 - p)) / (1 - p)
    s = 1 / np.sqrt(b)
    M = S * s[:, None] * s[None, :]
    M = (M + M.T) / 2
    mu, W = linalg.eigh(M, driver="evd", check_finite=False)
    if not mu[0] > 0:
        raise BadParameter("covariance", f"not numerically positive definite: smallest eigenvalue of "
                                         f"B^-1/2 Sigma B^-1/2 is {mu[0]:.3g}")
    if rho is not None:
        return _solve_scaled(gamma, lam, p, sigma, b, M, mu, W, rho)
    delta, residual = _solve_e1(mu, gamma)
    x = 1 + delta
    r = x / (mu + x)
    kappa = 1 / (1 - gamma * float(np.mean((mu / (mu + x)) ** 2)))
    Q = W * W
    F = Q @ np.column_stack([r, mu * r, mu * r * r, r * r])
    scale, cross, spread, R2 = F[:, 0] / b, F[:, 1], F[:, 2] / b, F[:, 3]

    # first-order error bounds (module docstring)
    probe, orth = _probe_error(M, mu, W)
    e = probe + 2 * _EPS * float(np.linalg.norm(M))
    t = orth + math.sqrt(d) * _EPS
    ddelta = kappa * (residual + math.sqrt(d) * _EPS * delta + gamma * float(np.mean(r * r)) * e)
    one_minus = 1 - 1 / kappa  # γ mean((1 − r)²)
    dtau = gamma * float(np.mean(2 * (1 - r) * (r * r * e / x + r * (1 - r) * ddelta / x))) + t * one_minus
    err = dict(
        e=e, t=t, R2=R2, ddelta=ddelta, dkappa=kappa * kappa * dtau,
        dscale=(e * R2 / x) / b + (t + ddelta / x) * scale,
        dcross=e * R2 + (t + ddelta / x) * cross,
        dspread=e * R2 / b + (t + 2 * ddelta / x) * spread,
    )
    return Equivalent(gamma, lam, p, delta, kappa, residual, sigma, b, scale, cross, spread,
                      _eig=(mu, W, r), _err=err)


def _as_rho(scale) -> _Rho | None:
    """``None`` for Gaussian data (``scale`` ``None`` or ``δ₁``), else the float64 view of ``ρ``."""
    if scale is None:
        return None
    from numerics.scale import parse_scale_law

    law = parse_scale_law(scale)[0]
    return None if law.gaussian else _Rho(law)


def _solve_scaled(gamma, lam, p, sigma, b, M, mu, W, rho: _Rho) -> Equivalent:
    r"""The rest of :func:`solve` under a scale law ``ρ`` (elliptical data).

    ``R̄ = (c(δ)Σ + B)^{-1} = B^{-1/2} W diag(r) Wᵀ B^{-1/2}`` with ``r_i = 1/(1 + c(δ)μ_i)``
    (Gaussian: ``c = 1/(1+δ)``, ``r = x/(μ+x)``); ``κ = 1/(1 − γ e₂(δ) (1/d) Σ_i (μ_i r_i)²)``. The
    error bounds are those of the Gaussian route with ``1/x`` (the divided-difference constant of
    ``r``) replaced by ``c(δ)`` and the relative moves of ``r``, ``μr``, ``μr²`` with ``δ``
    (``≤ ddelta/x`` for Gaussian data) by the relative error ``dfirst`` of ``c``; see the module
    docstring, "Under a scale law".
    """
    d = mu.size
    delta, residual = _solve_e1_scaled(mu, gamma, rho)
    first, second = rho.first(delta), rho.second(delta)
    train, e3, h = rho.moments(delta)
    r = 1 / (1 + first * mu)
    mur = mu * r
    one_minus = gamma * second * float(np.mean(mur ** 2))  # 1 − 1/κ
    kappa = 1 / (1 - one_minus)
    Q = W * W
    F = Q @ np.column_stack([r, mur, mur * r, r * r])
    scale, cross, spread, R2 = F[:, 0] / b, F[:, 1], F[:, 2] / b, F[:, 3]

    # first-order error bounds (module docstring)
    probe, orth = _probe_error(M, mu, W)
    e = probe + 2 * _EPS * float(np.linalg.norm(M))
    t = orth + math.sqrt(d) * _EPS
    tc = rho.rounding + rho.measure_quadrature(delta, first, second)
    # |F'| = 1/κ; the computed F differs from the true one by the rounding of the mean (√d eps δ),
    # of c (tc: μ_i r_i moves by (1 − r_i) tc relative) and by the eigenvalue errors (γ mean(r²) e)
    ddelta = kappa * (residual + (math.sqrt(d) * _EPS + tc) * delta + gamma * float(np.mean(r * r)) * e)
    dfirst = ddelta * second / first + tc          # |c'| = e₂
    dsecond = ddelta * 2 * e3 / second + tc        # |e₂'| = 2e₃
    dtrain = ddelta * 2 * h / train + tc           # |f'| = 2h
    # 1 − 1/κ = γ e₂ mean((μr)²): d(μr) = r² dμ − μr (1 − r) dc/c
    dtau = gamma * second * float(np.mean(2 * mur * (r * r * e + mur * (1 - r) * dfirst))) \
        + (t + dsecond) * one_minus
    err = dict(
        e=e, t=t, R2=R2, ddelta=ddelta, dkappa=kappa * kappa * dtau,
        dscale=(e * R2 * first) / b + (t + dfirst) * scale,
        dcross=e * R2 + (t + dfirst) * cross,
        dspread=e * R2 / b + (t + 2 * dfirst) * spread,
    )
    law = dict(first=first, second=second, train=train, dfirst=dfirst, dsecond=dsecond, dtrain=dtrain)
    return Equivalent(gamma, lam, p, delta, kappa, residual, sigma, b, scale, cross, spread,
                      _eig=(mu, W, r), _err=err, _rho=law)


def evaluate(quantity: str, Sigma, *, gamma, lam, mask_ratio=0.0, test_mask_ratio=None, scale=None) -> float:
    """The limit of ``quantity`` (``m``, ``gen-error``, ``train-error``) for the covariance ``Sigma``.

    ``gen-error`` is the masked test error ``E(q)`` at ``q = test_mask_ratio`` (default the
    training ratio ``p = mask_ratio``; ``p = q = 0`` is the leave-one-out ``E_gen``); any other
    quantity raises :class:`BadParameter` naming ``covariance``. Float64; see
    :attr:`Equivalent.accuracy` (``solve(...).accuracy``) for its stated relative accuracy.
    ``scale``: the scale law of elliptical data (:func:`solve`).
    """
    if quantity not in QUANTITIES:
        raise BadParameter("covariance", f"{quantity!r} is not available for a given covariance "
                                         f"(available: {', '.join(QUANTITIES)})")
    return solve(Sigma, gamma=gamma, lam=lam, mask_ratio=mask_ratio, scale=scale).value(quantity, test_mask_ratio)


# --- (E3): the spectrum -------------------------------------------------------------------------------

_NEWTON_TOL = 1e-11
_NEWTON_STEPS = 40


def _newton_u(C, h, gamma, u, delta, rho=None):
    """Solve ``δ = γ (1/d) tr(C (C/(1+δ) + diag(h) − u)^{-1})`` by damped Newton from ``delta``.

    Returns ``(δ, |F|)`` or ``None`` when the residual does not reach ``_NEWTON_TOL (1 + |δ|)``.
    ``F'(δ) = γ (1/d) tr(GCGC)/(1+δ)² − 1`` with ``GC = A^{-1}C`` (one complex solve a step).
    Under a scale law ``rho`` (:class:`_Rho`): ``C c(δ)`` for ``C/(1+δ)`` and ``e₂(δ)`` for
    ``1/(1+δ)²``, both complex sums over the atoms of ``ρ``.
    """
    d = C.shape[0]
    shift = h - u

    def F(delta):
        if rho is None:
            A = C / (1 + delta)
        else:
            A = C * complex(rho.law.first_np(delta))
        A[np.diag_indices(d)] += shift
        try:
            X = np.linalg.solve(A, C)
        except np.linalg.LinAlgError:
            return None, None
        if rho is None:
            return gamma * np.trace(X) / d - delta, gamma * np.sum(X * X.T) / d / (1 + delta) ** 2 - 1
        return gamma * np.trace(X) / d - delta, gamma * np.sum(X * X.T) / d * complex(rho.law.second_np(delta)) - 1

    value, slope = F(delta)
    for _ in range(_NEWTON_STEPS):
        if value is None or not np.isfinite(value):
            return None
        if abs(value) <= _NEWTON_TOL * (1 + abs(delta)):
            return delta, abs(value)
        step = -value / slope
        for _ in range(30):  # damping: accept the first step that lowers |F|
            new, new_slope = F(delta + step)
            if new is not None and np.isfinite(new) and abs(new) < abs(value):
                break
            step /= 2
        else:
            return None
        delta, value, slope = delta + step, new, new_slope
    return None


def _delta_u(C, h, gamma, x, eta, scale, rho=None):
    r"""``δ(x + iη)`` on the Stieltjes branch, by continuation from ``Im u = Y`` large down to ``η``.

    At ``Y = 10 (‖C‖_∞ + max h + |x|)`` the start ``δ ≈ −γ (1/d) tr C / u`` (the large-``u``
    expansion) is in Newton's basin; ``Im u`` then shrinks geometrically (factor ``1/4``, refined
    down to ``0.999`` when a step fails), each solve starting from the previous ``δ``, and every
    accepted ``δ`` must lie on the branch (``Im δ ≥ 0``). Raises :class:`ConvergenceError`.
    """
    d = C.shape[0]
    Y = 10 * (np.abs(C).sum(axis=1).max() + h.max() + abs(x))
    y = Y
    result = _newton_u(C, h, gamma, x + 1j * y, -gamma * np.trace(C) / d / (x + 1j * y), rho)
    if result is None:
        raise ConvergenceError(f"(E3) delta(u) at u = {x:.6g} + {y:.3g}i", float("inf"), _NEWTON_TOL)
    delta = result[0]
    factor = 0.25
    while y > eta:
        target = max(eta, y * factor)
        result = _newton_u(C, h, gamma, x + 1j * target, delta, rho)
        if result is not None and result[0].imag >= -_NEWTON_TOL * abs(result[0]):
            y, delta = target, result[0]
            factor = max(factor * factor, 0.25)
            continue
        factor = factor ** 0.5
        if factor > 0.999:
            raise ConvergenceError(f"(E3) delta(u) continuation at u = {x:.6g} + {target:.3g}i",
                                   float("inf") if result is None else result[1], _NEWTON_TOL)
    return delta


def density(a, Sigma, *, gamma, lam, mask_ratio=0.0, eta=None, scale=None):
    r"""The limiting density of the eigenvalues of ``Â_p`` at ``a`` (a float, or an array of them).

    (E3) with the actual matrices: the eigenvalues of ``Â_p`` are ``a = (1 − 1/t)/(1−p)`` for the
    eigenvalues ``t`` of ``T = D̄^{1/2}(S + B)D̄^{1/2}``, ``D̄ = diag R̄``, and
    ``(T − u)^{-1} ≍ G(u) = (C/(1+δ(u)) + BD̄ − u)^{-1}`` with ``C = D̄^{1/2}ΣD̄^{1/2}`` and
    ``δ(u) = γ (1/d) tr(C G(u))`` (:func:`_delta_u`). Stieltjes inversion:
    ``ρ_T(t) = (1/π) Im (1/d) tr G(t + iη)`` and ``ρ(a) = ρ_T(t(a)) · dt/da`` with
    ``t(a) = 1/(1 − (1−p)a)``, ``dt/da = (1−p)/(1 − (1−p)a)²``; ``0`` for ``a ≥ 1/(1−p)``.

    ``η = eta`` (default ``ETA`` times the mean eigenvalue ``(1/d) tr(C + BD̄)`` of ``T``): the value
    is the density smoothed by a Cauchy kernel of half-width ``η`` in ``t``. Inside the bulk this
    changes it by a relative ``O(η/distance to an edge)`` (measured against the discrete-law route
    for a diagonal ``Σ``: ``4e-10`` mid-bulk, ``2e-8`` at a tenth of the width from an edge);
    within ``O(η)`` of a square-root edge by ``O(√η)``; an atom of mass ``w`` at ``t₀`` (``γ > 1``
    with a scalar shift ``BD̄``, e.g. ``Σ ∝ I``) adds ``w η/(π (t − t₀)²)``.

    For an array, the points are visited in increasing order and each ``δ`` starts from the
    previous point's (one or two Newton steps); it is accepted only when Newton converges, it lies
    on the branch (``Im δ > 0``) and it moved by less than a tenth of ``|δ| + γ tr(C)/(d · mean t)``; otherwise the point
    is solved by the continuation in ``Im u`` of :func:`_delta_u`, as a single point always is.
    ``C`` and ``BD̄`` do not commute: each Newton step is one complex ``d×d`` solve (d ≤ 1000).

    ``scale``: the scale law ``ρ`` of elliptical data (:func:`solve`): ``G(u) = (c(δ(u)) C + BD̄ −
    u)^{-1}`` with the complex ``c(δ) = ∫ τ/(1+τδ) dρ`` (``Im δ > 0`` keeps ``1 + τδ`` off zero),
    ``D̄ = diag R̄`` of the elliptical (E1); ``None``: Gaussian data as before.

    >>> import numpy as np
    >>> rho = density([0.0, 0.5, 2.0], np.eye(3), gamma=0.5, lam=0.2)   # Σ = I: the closed form
    >>> [round(float(v), 8) for v in rho]                               # 0.46632183, 1.02424452
    [0.46632183, 1.02424452, 0.0]
    """
    eq = solve(Sigma, gamma=gamma, lam=lam, mask_ratio=mask_ratio, scale=scale)
    rho = _as_rho(scale)
    S = as_covariance(Sigma).array
    p = eq.mask_ratio
    root = np.sqrt(eq.scale)
    C = S * root[:, None] * root[None, :]
    C = (C + C.T) / 2
    h = eq.ridge * eq.scale
    mean_t = float(np.trace(C) + h.sum()) / eq.d
    eta = ETA * mean_t if eta is None else _real(eta, "eta", low=0, closed=False)
    points = np.atleast_1d(np.asarray(a, dtype=float))
    if not np.all(np.isfinite(points)):
        raise BadParameter("at", "expected finite points")
    out = np.zeros(points.shape)
    flat = points.ravel()
    previous = None
    typical = eq.gamma * float(np.trace(C)) / eq.d / mean_t  # the size of δ(u) for |u| ~ mean_t
    for index in np.argsort(flat, kind="stable"):
        gap = 1 - (1 - p) * flat[index]
        if gap <= 0:
            continue
        t = 1 / gap
        delta = None
        if previous is not None:
            warm = _newton_u(C, h, eq.gamma, t + 1j * eta, previous, rho)
            if warm is not None and warm[0].imag > 0 and abs(warm[0] - previous) < 0.1 * (abs(previous) + typical):
                delta = warm[0]
        if delta is None:
            delta = _delta_u(C, h, eq.gamma, t, eta, mean_t, rho)
        previous = delta
        A = C / (1 + delta) if rho is None else C * complex(rho.law.first_np(delta))
        A[np.diag_indices(eq.d)] += h - (t + 1j * eta)
        g = np.trace(np.linalg.inv(A)) / eq.d
        out.flat[index] = max(0.0, g.imag / np.pi) * (1 - p) / gap ** 2
    return float(out[0]) if np.ndim(a) == 0 else out
