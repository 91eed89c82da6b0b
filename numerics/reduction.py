r"""The reduction formulas of (E1)–(E4) (docs/theory.md), written once for every route, law and estimator.

The two high-precision routes (:mod:`numerics.fixedpoint`, :mod:`numerics.algebraic`) differ in
how they *solve* (Newton and continuation on one branch, or all roots of a polynomial and a
selection); what they solve and how a solution turns into a quantity is here:

- (E1) ``δ = γ ∫ s/(s/(1+δ) + b(s)) dν`` (:func:`e1_rhs`), ``R̄(s) = 1/(s/(1+δ) + b(s))``;
- the first-order quantities from ``δ`` and ``δ'(λ)``: :func:`m_value`, :func:`kappa`,
  :func:`gen_error`, :func:`train_error`;
- the (E3)–(E4) system of ``T = D̄^{1/2}(S + B)D̄^{1/2}`` (:class:`SpectralSystem`, built by
  :func:`spectral_system` from the estimator's ridge and scale);
- the spectral post-processing: :func:`density` (domain, Jacobian ``dt/da``, cut-off),
  :func:`threshold` (``θ_c = −1/(c(δ₊) q(δ₊, u₊))``) and :func:`overlap` (residue and
  Hellmann–Feynman, see :func:`overlap`).

So a cross-check of the two routes tests the *solving* (branch choice, edges, outliers,
derivatives), not these formulas; the formulas are tested against the closed forms of the
isotropic bulk (which SymPy derives independently) and against simulation.

Why the non-isotropic SymPy results of :mod:`derive` are not a closed route here (each is
compared with the routes in ``tests/derive``):

- ``derive.rotational.gen_error`` / ``train_error`` / ``delta_slope`` are :func:`gen_error`,
  :func:`train_error` and ``δ'(λ)`` written in ``δ``; ``δ`` itself is the root of (E1) that must
  be *selected* (the algebraic route does exactly that), so lambdifying them would only re-run
  these formulas, not give an independent route;
- ``derive.rotational.threshold`` and ``derive.heteroscedastic.pca_threshold_condition`` are the
  threshold as an implicit equation whose largest real root must be selected (again the
  algebraic route); ``edge_equation`` / ``stieltjes_polynomial`` likewise (two-atom laws only);
- ``derive.heteroscedastic.ridgeless_threshold`` and ``large_gamma_threshold`` are ``λ → 0⁺``
  limits, not values at a given ``λ``.

Everything works at the current mpmath precision; callers set it.
"""
from __future__ import annotations

import mpmath as mp

from numerics import bases

__all__ = [
    "GUARD",
    "ConvergenceError",
    "e1_rhs",
    "resolvent",
    "m_value",
    "kappa",
    "test_error",
    "gen_error",
    "train_error",
    "SpectralSystem",
    "spectral_system",
    "density",
    "threshold",
    "overlap",
]

class ConvergenceError(RuntimeError):
    """A fixed point or root search did not reach its tolerance."""

    def __init__(self, what: str, residual, tol):
        self.residual = residual
        self.tol = tol
        super().__init__(f"{what} did not converge: residual {mp.nstr(residual, 5)} > tol {mp.nstr(tol, 5)}")


#: Guard digits of every high-precision route: each works at ``dps + GUARD`` and answers ``dps``.
#: Newton converges quadratically at the working precision, the numerical derivatives of the
#: fixed-point route run at twice the digits, and the algebraic route's roots of discriminants
#: and resultants of the rounded system keep ≥ 13 digits beyond ``dps`` (measured on the general
#: grid of the tests at dps 30: the algebraic route with 15 guard digits agrees with the fixed
#: point at dps 40 to ≥ 43.5 digits for every quantity; it used to take 30 without a reason).
GUARD = 15


def e1_rhs(model, est, lam, delta):
    """The right side ``γ ∫ s/(s/(1+δ) + b(s)) dν`` of (E1) at ridge ``lam``."""
    ridge = est.ridge(model, lam)
    first = model.scale_law.first(delta)
    return model.mp("gamma") * model.law.integrate(lambda s: s / (s * first + ridge(s)))


def resolvent(model, est, delta, lam=None):
    """``s ↦ R̄(s) = 1/(s/(1+δ) + b(s))``, the diagonal of ``R̄`` on a coordinate of variance ``s``."""
    ridge = est.ridge(model, model.mp("lam") if lam is None else lam)
    first = model.scale_law.first(delta)
    return lambda s: 1 / (s * first + ridge(s))


def _scale(model, est, delta):
    """``s ↦ D̄(s) = lim R_kk``: ``R̄(s)`` (diagonal basis), ``m̄ = ∫ R̄ dν`` (rotational), ``1`` (no
    resolvent)."""
    if not est.resolvent:
        return lambda s: mp.mpf(1)
    return _coordinate(model, resolvent(model, est, delta))


def m_value(model, est, delta):
    """``m = lim (1/d) tr R = ∫ R̄ dν``."""
    return model.law.integrate(resolvent(model, est, delta))


def kappa(model, est, delta):
    """(E2) ``κ = 1/(1 − γ e₂(δ) ∫ (s R̄(s))² dν)`` (Gaussian data: ``e₂ = 1/(1+δ)²``)."""
    rbar = resolvent(model, est, delta)
    inner = model.law.integrate(lambda s: (s * rbar(s)) ** 2)
    return 1 / (1 - model.mp("gamma") * inner * model.scale_law.second(delta))


def _coordinate(model, f):
    """``s ↦`` the limit of a diagonal entry ``F_kk`` on a coordinate of variance ``s``.

    ``F`` is a function ``f`` of ``Σ₀`` in its eigenbasis. Diagonal basis: ``f(s)`` itself;
    rotational basis: every coordinate sees the average ``∫ f dν`` (:mod:`numerics.bases`).
    """
    return bases.get(model.basis).coordinate(model.law, f)


def _sandwich(model, est, delta):
    r"""``x ↦ (s ↦ lim (R X R)_kk)`` from (E2), ``RXR ≍ R̄XR̄ + c(X) R̄ΣR̄``.

    ``X`` is a function ``x(s)`` of ``Σ₀`` (``Σ``, ``diag Σ``, ``B`` all are, in both bases) and
    ``c(X) = κ γ e₂(δ) ∫ s x R̄² dν`` ((E2); Gaussian data: ``e₂ = 1/(1+δ)²``).
    """
    rbar = resolvent(model, est, delta)
    factor = kappa(model, est, delta) * model.mp("gamma") * model.scale_law.second(delta)
    spread = _coordinate(model, lambda s: s * rbar(s) ** 2)

    def of(x):
        c = factor * model.law.integrate(lambda s: s * x(s) * rbar(s) ** 2)
        own = _coordinate(model, lambda s: x(s) * rbar(s) ** 2)
        return lambda s: own(s) + c * spread(s)
    return of


def test_error(model, est, delta, q):
    r"""The masked test error ``E(q)`` at test ratio ``q`` (``q = 0``: ``E_gen``).

    ``E(q) = (1/d) Σ_k [Σ_kk − 2(1−q)(AΣ)_kk + (1−q)²(AΣAᵀ)_kk + q(1−q)(AΔAᵀ)_kk]``, ``Δ = diag Σ``,
    for ``A = c(I − D⁻¹R)``, ``c = 1/(1−p)`` (``p`` the estimator's training ratio), ``D = diag R``:
    ``(AΣ)_kk = c(Σ_kk − (RΣ)_kk/R_kk)``, ``(AΣAᵀ)_kk = c²(Σ_kk − 2(RΣ)_kk/R_kk + (RΣR)_kk/R_kk²)``,
    ``(AΔAᵀ)_kk = c²(−Δ_kk + (RΔR)_kk/R_kk²)``; then ``R_kk → D̄``, ``(RΣ)_kk → (R̄Σ)_kk`` and (E2)
    for the sandwiches. At ``p = q = 0`` it is ``κ ∫ s (R̄/D̄)² dν``.
    """
    p = est.mask(model)
    c = 1 / (1 - mp.mpf(p))
    rbar, scale = resolvent(model, est, delta), _scale(model, est, delta)
    sigma = _coordinate(model, lambda s: s)
    cross = _coordinate(model, lambda s: s * rbar(s))
    sandwich = _sandwich(model, est, delta)
    rsr, rdr = sandwich(lambda s: s), sandwich(sigma)

    def term(s):
        D, K, u = scale(s), sigma(s), cross(s) / scale(s)
        a1 = c * (K - u)
        a2 = c * c * (K - 2 * u + rsr(s) / D ** 2)
        a3 = c * c * (-K + rdr(s) / D ** 2)
        return K - 2 * (1 - q) * a1 + (1 - q) ** 2 * a2 + q * (1 - q) * a3

    return model.law.integrate(term)


def gen_error(model, est, delta):
    r"""``E_gen = lim (1/d) Σ_k ‖x_k − (Âx)_k‖²`` at the model's test ratio (:func:`test_error`).

    With the leave-one-out defaults (``p = q = 0``) it is ``κ ∫ s (R̄(s)/D̄(s))² dν`` from (E2)
    ``RΣR ≍ κR̄ΣR̄``: diagonal basis (``D̄ = R̄``) ``κ ∫ s dν``; rotational (``D̄ = m̄``)
    ``κ ∫ s R̄² dν/m̄²``.
    """
    q = model.test_ratio
    return test_error(model, est, delta, mp.mpf(q.numerator) / q.denominator)


def train_error(model, est, delta):
    r"""The (masked) training loss at the estimator's ratio ``p``; ``p = 0``: ``E_train = ‖X − XÂᵀ‖²/(nd)``.

    ``L_p = (1/d) Σ_k [S_kk − 2(1−p)(AS)_kk + (1−p)²(ASAᵀ)_kk + p(1−p)(A diag(S) Aᵀ)_kk]`` (the
    expected masked loss on the training data, without the penalty). With the exact identity
    ``RS = I − RB`` (``(RS)_kk = 1 − R_kk b_k``, ``RSR = R − RBR``), ``diag S → Δ = diag Σ`` and
    (E2) for ``RBR`` and ``RΔR``. At ``p = 0`` this is ``∫ (R̄ + λ ∂_λR̄)/D̄² dν`` (``c(λI) =
    −λ δ'(λ)/(1+δ)²``), without a numerical derivative.
    """
    p = mp.mpf(est.mask(model))
    c = 1 / (1 - p)
    ridge = est.ridge(model, model.mp("lam"))
    scale = _scale(model, est, delta)
    sigma = _coordinate(model, lambda s: s)
    sandwich = _sandwich(model, est, delta)
    rbr, rdr = sandwich(ridge), sandwich(sigma)

    def term(s):
        D, K = scale(s), sigma(s)
        v = 1 / D - ridge(s)  # (RS)_kk / R_kk
        t1 = c * (K - v)
        t2 = c * c * (K - 2 * v + (D - rbr(s)) / D ** 2)
        t3 = c * c * (-K + rdr(s) / D ** 2)
        return K - 2 * (1 - p) * t1 + (1 - p) ** 2 * t2 + p * (1 - p) * t3

    return model.law.integrate(term)


class SpectralSystem:
    r"""(E3)–(E4) for ``T = D̄^{1/2}(S + B)D̄^{1/2}`` (or ``S``): population ``c = D̄ s``, shift ``BD̄``.

    With ``D̄(s)``, ``c(s) = D̄(s) s`` and ``h(s) = b(s) D̄(s)`` on a coordinate of variance ``s``:

    - :meth:`equation` ``(δ, u) = γ ∫ c/(c/(1+δ) + h − u) dν − δ`` (its zero is ``δ(u)``);
    - :meth:`g` ``= ∫ dν/(c/(1+δ) + h − u)``, the limit of ``(1/d) tr (T − u)^{-1}``;
    - :meth:`quadratic_form` ``= wᵀ(C₀/(1+δ) + BD̄ − u)^{-1}w = ∫ D̄ dν/(…)`` for generic ``v``;
    - :meth:`secular` ``= 1 + θ/(1+δ) · quadratic_form``, the left side of (E4).

    ``terms`` lists ``(w, D̄, c, h)`` per atom of a discrete law (what the algebraic solver needs).
    """

    def __init__(self, law, gamma, theta, scale, shift, scale_law=None):
        from numerics.scale import GAUSSIAN

        self.law, self.gamma, self.theta = law, gamma, theta
        self._scale, self._shift = scale, shift
        #: ``ρ`` (:mod:`numerics.scale`): every ``1/(1+δ)`` below is its ``c(δ)``, ``1/(1+δ)²`` its ``e₂(δ)``
        self.scale_law = GAUSSIAN if scale_law is None else scale_law
        self._fill()

    def _fill(self):
        """Fix the coefficients at the atoms of a discrete law, at the construction precision.

        The solvers lower and raise the precision inside one solve (a coarse walk, then a
        polish); they must see one and the same system throughout.
        """
        self._memo: dict = {}
        self._rows = None
        if self.law.discrete:
            self._rows = [(w, *self.coefficients(s)) for s, w in self.law.atoms()]

    def coefficients(self, s, memo: bool = True):
        """``(D̄, c, h)`` on a coordinate of variance ``s`` (computed once per ``s``; ``memo=False``:
        not kept, for values at another precision than the system's)."""
        if s in self._memo:
            return self._memo[s]
        D = self._scale(s)
        found = (D, D * s, self._shift(s, D))
        if memo:
            self._memo[s] = found
        return found

    def _integrate(self, h):
        if self._rows is not None:
            return mp.fsum(w * h(D, c, sh) for w, D, c, sh in self._rows)
        return self.law.integrate(lambda s: h(*self.coefficients(s)))

    @property
    def terms(self) -> list:
        """``[(w, D̄, c, h)]`` per atom (discrete laws only)."""
        if self._rows is None:
            raise TypeError("terms: the law is not discrete")
        return list(self._rows)

    def _at_poles(self) -> list:
        if self._rows is not None:
            return [row[1:] for row in self._rows]
        return [self.coefficients(mp.mpf(x.numerator) / x.denominator) for x in self.law.support()]

    def shifts(self) -> list:
        """The shift ``h`` at each atom of the law (or at the ends of the support of a density)."""
        return [h for _, _, h in self._at_poles()]

    def scales(self) -> list:
        """The scale ``D̄`` at each atom of the law (or at the ends of the support of a density)."""
        return [D for D, _, _ in self._at_poles()]

    @property
    def scalar(self) -> bool:
        """Whether the shift ``BD̄`` is one number (then the ``γ > 1`` null part of ``T`` is an atom)."""
        shifts = self.shifts()
        return max(shifts) - min(shifts) <= mp.eps * max(abs(s) for s in shifts + [mp.mpf(1)])

    def poles(self, delta) -> list:
        """The points ``c·c(δ) + h`` where the integrands of (E3) blow up (one per atom)."""
        first = self.scale_law.first(delta)
        return [c * first + h for D, c, h in self._at_poles()]

    def perturbed(self, epsilon) -> "SpectralSystem":
        """The system of ``T + ε D̄^{-1}`` (shift ``h + ε/D̄``)."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        shift = self._shift
        other._shift = lambda s, D: shift(s, D) + epsilon / D
        other._fill()
        return other

    def equation(self, delta, u):
        first = self.scale_law.first(delta)  # c(δ); 1/(1+δ) for Gaussian data
        return self.gamma * self._integrate(lambda D, c, h: c / (c * first + h - u)) - delta

    def d_equation(self, delta, u):
        """``∂/∂δ`` of :meth:`equation` (it vanishes at a bulk edge; ``c'(δ) = −e₂(δ)``)."""
        first, second = self.scale_law.first(delta), self.scale_law.second(delta)
        return self.gamma * self._integrate(lambda D, c, h: c * c * second / (c * first + h - u) ** 2) - 1

    def edge_equations(self, delta, u):
        """``(equation, d_equation)`` at real ``δ, u`` (a bulk edge solves both) in one pass: for a
        density one quadrature of the two real integrands as the real and imaginary parts of one."""
        first, second = self.scale_law.first(delta), self.scale_law.second(delta)

        def both(D, c, h):
            r = c / (c * first + h - u)
            return mp.mpc(r, r * r * second)

        total = self._integrate(both)
        return self.gamma * total.real - delta, self.gamma * total.imag - 1

    def g(self, delta, u):
        first = self.scale_law.first(delta)
        return self._integrate(lambda D, c, h: 1 / (c * first + h - u))

    def cross_form(self, delta, u):
        """``aᵀ(c(δ)C₀ + BD̄ − u)^{-1}w`` with ``a = D̄^{-1/2}v``, ``w = D̄^{1/2}v``: equal to :meth:`g`."""
        return self.g(delta, u)

    def quadratic_form(self, delta, u):
        first = self.scale_law.first(delta)
        return self._integrate(lambda D, c, h: D / (c * first + h - u))

    def secular(self, delta, u):
        return 1 + self.theta * self.scale_law.first(delta) * self.quadratic_form(delta, u)

    def mean(self):
        """``∫ t dμ_T(t)``: the limit of ``(1/d) tr T`` (``= ∫ (c + h) dν``)."""
        return self._integrate(lambda D, c, h: c + h)

    def null_mean(self):
        """``∫ h dν``: the mean location of the ``d − n`` null directions of ``S`` in ``T`` (``γ > 1``)."""
        return self._integrate(lambda D, c, h: h)


def spectral_system(model, est, delta) -> SpectralSystem:
    """The (E3)–(E4) system of ``model`` for estimator ``est``, at ``δ = δ(λ)`` from (E1).

    Without a resolvent (PCA) ``δ`` is ignored: ``D̄ = 1``, no shift.
    """
    scale = _scale(model, est, delta)
    if est.resolvent:
        ridge = est.ridge(model, model.mp("lam"))
        shift = lambda s, D: ridge(s) * D  # noqa: E731
    else:
        shift = lambda s, D: mp.mpf(0)  # noqa: E731
    return SpectralSystem(model.law, model.mp("gamma"), model.mp("theta"), scale, shift, model.scale_law)


def density(model, est, at, rho_t, dps):
    r"""``ρ_Â(a) = ρ_T(t(a)) · dt/da`` from ``rho_t`` (a route's density of ``T``), 0 off the range.

    ``a`` beyond the supremum of the eigenvalue map has density 0; so has a value of ``ρ_T``
    below ``10^{-(dps+2)}`` (a zero computed with rounding errors).
    """
    value = mp.mpf(at.numerator) / at.denominator if hasattr(at, "numerator") else mp.mpf(at)
    sup = est.a_sup(model)
    if sup is not None and value >= sup:
        return mp.mpf(0)
    rho = max(mp.mpf(0), rho_t(est.from_a(model, value)))
    if rho < mp.mpf(10) ** (-(dps + 2)):
        rho = mp.mpf(0)
    return rho * est.jacobian(model, value)


def threshold(system: SpectralSystem, delta_edge, t_edge):
    r"""``θ_c = −1/(c(δ₊) q(δ₊, u₊))`` (Gaussian data: ``−(1+δ₊)/q``): (E4) holds at the upper edge ``u₊`` of ``T``."""
    return -1 / (system.scale_law.first(delta_edge) * system.quadratic_form(delta_edge, t_edge))


def overlap(system: SpectralSystem, delta_star, t_star, slope, trace):
    r"""Squared overlap ``cos²(v, r)`` of ``v`` with the top (right) eigenvector above threshold.

    Let ``y`` be the top eigenvector of ``T`` (``r = D̄^{-1/2}y`` is the top right eigenvector of
    the estimate; PCA: ``D̄ = 1``). Then ``cos²(v, r) = (vᵀD̄^{-1/2}y)² / (yᵀD̄^{-1}y)``:

    - numerator: ``yyᵀ = −Res_{u*}(T − u)^{-1}`` and, by Sherman–Morrison on the deterministic
      equivalent ``(C₀/(1+δ) + θ/(1+δ) wwᵀ + BD̄ − u)^{-1}``,
      ``(aᵀy)² = θ/(1+δ*) · (aᵀG₀w)² / h'(u*)`` with ``a = D̄^{-1/2}v``, ``w = D̄^{1/2}v``,
      ``h`` the left side of (E4) and ``G₀`` the spike-free resolvent (averaged over ``ν``);
    - denominator: a trace against the random eigenvector, which no fixed-vector equivalent
      gives; by Hellmann–Feynman it is the derivative ``du*/dε`` of the outlier of
      ``T + ε D̄^{-1}`` (a deterministic shift, so (E3)–(E4) still apply).

    ``slope = h'(u*)`` and ``trace = du*/dε`` come from the route.
    """
    numerator = system.theta * system.scale_law.first(delta_star) * system.cross_form(delta_star, t_star) ** 2 / slope
    return numerator / trace
