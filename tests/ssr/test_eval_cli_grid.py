r"""Done-criterion of ``ssr eval``: ``--dps 30 --json`` agrees with textbook references to ≥ 25 digits.

Grid: every QUANTITY, ``γ ∈ {0.1, 0.5, 2, 5}``, ``λ ∈ {1e-3, 0.2, 3}``, ``θ`` below and above
the threshold ``√γ``, both methods where defined. The command line runs in-process
(:func:`ssr.cli.main`, output captured by ``capsys``). The references are independent of the
package: hand-typed textbook formulas, evaluated with mpmath at dps 40.

- Marchenko–Pastur (1967); Bai & Silverstein (2010), *Spectral Analysis of Large Dimensional
  Random Matrices*, ch. 3: Stieltjes transform at ``−λ``
  ``m = (−(1−γ+λ) + √((1−γ+λ)² + 4γλ))/(2γλ)``; edges ``(1 ∓ √γ)²``; density
  ``√((x₊−x)(x−x₋))/(2πγx)``;
- isotropic SSR (``Â ≍ I − R/m``): eigenvalue map ``a = 1 − 1/(m(s+λ))``, so the SSR density is
  ``ρ_S(s(a)) ds/da`` with ``s(a) = 1/(m(1−a)) − λ``, ``ds/da = 1/(m(1−a)²)``;
  ``E_gen = κ = −m'(λ)/m²``, ``E_train = (m + λm')/m²`` (``m'`` by :func:`mpmath.diff`);
- Baik, Ben Arous & Péché (2005): threshold ``√γ``, outlier ``(1+θ)(1+γ/θ)`` above it and the
  upper edge below; Paul (2007): overlap ``(1 − γ/θ²)/(1 + γ/θ)`` above, 0 below. SSR shares the
  eigenvectors of S, so its threshold and overlap are PCA's and its outlier is the image under a.
- the masked estimator at ``--mask-ratio 0.3`` (docs/theory.md, "Random masks"): an isotropic extra
  ridge, so ``Â_p ≍ Â(λ_eff)/(1−p)`` with ``λ_eff = (p + λ/(1−p))/(1−p)``: ``m``, threshold and
  overlap are SSR's at ``λ_eff``, edges and outlier SSR's divided by ``1 − p``, the density
  ``(1−p) ρ_SSR((1−p)a)``; with ``κ = −m'(λ_eff)/m²`` and ``δ = γm`` the masked test error at
  ``q = p`` is ``E = 1 + (1−q)(κ−1)/(1−p)²`` and the masked training loss
  ``L = 1/(1+δ) − (λ_eff − p/(1−p))(κ−1)`` (the per-coordinate formulas of ``E(q)`` and ``L_p``
  with (E2) and ``RS = I − RB``, worked out by hand for ``Σ = I``, ``R̄ = mI``:
  ``c(X) = (κ−1)·x`` for ``X = xI``).

The optima (``mask-optimum``, ``threshold-optimum``) have no textbook value; their checks are in
``tests/numerics/test_masking.py``.
"""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath as mp
import pytest

from numerics import quantities
from ssr import cli

GAMMAS = ("0.1", "0.5", "2", "5")
LAMS = ("1e-3", "0.2", "3")
THETAS = {"0.1": ("0.2", "0.6"), "0.5": ("0.5", "2"), "2": ("1", "3"), "5": ("1", "5")}  # √γ between
REF_DPS = 40
DPS = 30
MIN_DIGITS = 25
RATIO = "0.3"  # the training ratio of the masked estimator on the grid (test ratio = training ratio)


# --- independent references (hand-typed textbook formulas; see the module docstring) -------------

def _mp(text):
    q = Fraction(text)
    return mp.mpf(q.numerator) / q.denominator


def _m(g, l):
    b = 1 - g + l
    return (-b + mp.sqrt(b * b + 4 * g * l)) / (2 * g * l)


def _mp_edges(g):
    return [(1 - mp.sqrt(g)) ** 2, (1 + mp.sqrt(g)) ** 2]


def _mp_density(g, x):
    lower, upper = _mp_edges(g)
    return mp.sqrt((upper - x) * (x - lower)) / (2 * mp.pi * g * x)


def _a(g, l, s):
    return 1 - 1 / (_m(g, l) * (s + l))


def _edges(g, l, method):
    return _mp_edges(g) if method == "pca" else [_a(g, l, e) for e in _mp_edges(g)]


def _at(g, l, method):
    """The point 30% of the way across the bulk from the lower edge, as an exact decimal string."""
    with mp.workdps(REF_DPS):
        lower, upper = _edges(_mp(g), _mp(l), method)
        return mp.nstr(lower + (upper - lower) * 3 / 10, 25)


def _masked_reference(quantity, g, l, t, at):
    """The masked estimator's value from SSR's at ``λ_eff`` (module docstring)."""
    with mp.workdps(REF_DPS):
        p = _mp(RATIO)
        eff = (p + _mp(l) / (1 - p)) / (1 - p)
        text = mp.nstr(eff, REF_DPS)
        if quantity in ("m", "threshold", "overlap"):
            return reference(quantity, "ssr", g, text, t)
        if quantity in ("edges", "outlier"):
            value = reference(quantity, "ssr", g, text, t)
            return [v / (1 - p) for v in value] if quantity == "edges" else value / (1 - p)
        if quantity == "density":
            return (1 - p) * reference("density", "ssr", g, text, t, mp.nstr((1 - p) * _mp(at), REF_DPS))
        gg = _mp(g)
        m = _m(gg, eff)
        kappa = -mp.diff(lambda lam: _m(gg, lam), eff) / m**2
        if quantity == "gen-error":
            return 1 + (1 - p) * (kappa - 1) / (1 - p) ** 2
        if quantity == "train-error":
            return 1 / (1 + gg * m) - (eff - p / (1 - p)) * (kappa - 1)
    raise AssertionError(quantity)


def _masked_at(g, l):
    """30% of the way across the masked bulk, from the SSR edges at λ_eff divided by 1 − p."""
    with mp.workdps(REF_DPS):
        p = _mp(RATIO)
        lower, upper = (e / (1 - p) for e in _edges(_mp(g), (p + _mp(l) / (1 - p)) / (1 - p), "ssr"))
        return mp.nstr(lower + (upper - lower) * 3 / 10, 25)


def reference(quantity, method, g, l, t, at=None):
    """The textbook value at dps 40 (a list for edges)."""
    if method == "masked":
        return _masked_reference(quantity, g, l, t, at)
    with mp.workdps(REF_DPS):
        g, l, t = _mp(g), _mp(l), _mp(t)
        above = t > mp.sqrt(g)
        if quantity == "m":
            return _m(g, l)
        if quantity in ("gen-error", "train-error"):
            m = _m(g, l)
            slope = mp.diff(lambda lam: _m(g, lam), l)
            return -slope / m**2 if quantity == "gen-error" else (m + l * slope) / m**2
        if quantity == "edges":
            return _edges(g, l, method)
        if quantity == "density":
            x = _mp(at)
            if method == "pca":
                return _mp_density(g, x)
            m = _m(g, l)
            return _mp_density(g, 1 / (m * (1 - x)) - l) / (m * (1 - x) ** 2)
        if quantity == "threshold":
            return mp.sqrt(g)
        if quantity == "outlier":
            spike = (1 + t) * (1 + g / t) if above else _mp_edges(g)[1]
            return spike if method == "pca" else _a(g, l, spike)
        if quantity == "overlap":
            return (1 - g / t**2) / (1 + g / t) if above else mp.mpf(0)
    raise AssertionError(quantity)


# --- the grid -------------------------------------------------------------------------------------

def _grid():
    for entry in quantities.REGISTRY.values():  # a quantity without a reference fails in reference()
        if entry.uses:  # the optima: tests/numerics/test_masking.py
            continue
        quantity = entry.name
        for method in entry.estimators:
            for g in GAMMAS:
                for l in LAMS:
                    for t in THETAS[g]:
                        yield pytest.param(quantity, method, g, l, t, id=f"{quantity}-{method}-g{g}-l{l}-t{t}")


def _significant_digits(text: str) -> int:
    mantissa = text.lstrip("+-").split("e")[0].replace(".", "")
    return len(mantissa.lstrip("0"))


def _run(capsys, quantity, method, g, l, t, at=None):
    argv = ["eval", quantity, "--gamma", g, "--lam", l, "--theta", t, "--method", method,
            "--dps", str(DPS), "--json"]
    if method == "masked":
        argv += ["--mask-ratio", RATIO]
    if at is not None:
        argv += ["--at", at]
    status = cli.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    assert err == ""
    return json.loads(out)


@pytest.mark.parametrize("quantity, method, g, l, t", list(_grid()))
def test_ssr_eval_json_matches_textbook_reference(quantity, method, g, l, t, capsys):
    at = (_masked_at(g, l) if method == "masked" else _at(g, l, method)) if quantity == "density" else None
    payload = _run(capsys, quantity, method, g, l, t, at)
    assert payload["quantity"] == quantity
    assert payload["dps"] == DPS
    assert payload["params"]["gamma"] == str(Fraction(g))
    assert payload["params"]["lam"] == str(Fraction(l))
    assert payload["params"]["theta"] == str(Fraction(t))
    assert payload["params"]["method"] == method
    assert payload["params"]["at"] == (None if at is None else str(Fraction(at)))

    want = reference(quantity, method, g, l, t, at)
    got = payload["value"]
    if quantity == "edges":
        assert isinstance(got, list) and len(got) == 2
    else:
        assert isinstance(got, str)
    pairs = zip(got, want) if quantity == "edges" else [(got, want)]
    with mp.workdps(REF_DPS):
        for text, value in pairs:
            parsed = mp.mpf(text)
            if value == 0:
                assert parsed == 0, text
                continue
            digits = -mp.log10(abs(parsed - value) / abs(value)) if parsed != value else mp.inf
            assert digits >= MIN_DIGITS, (text, mp.nstr(value, 35))
            # the JSON contract of ``ssr eval``: DPS significant digits
            assert _significant_digits(text) == DPS, text


@pytest.mark.parametrize("quantity, method, g, l, t", [
    ("m", "ssr", "5", "0.2", "1"),         # 0.86617008162478605531881696995|0…: 30th digit is 0
    ("outlier", "pca", "0.5", "0.2", "2"),  # exactly (1+θ)(1+γ/θ) = 15/4 = 3.75
])
def test_value_keeps_trailing_zeros(quantity, method, g, l, t, capsys):
    """``ssr eval --json``: "value" is a decimal string with dps significant digits."""
    text = _run(capsys, quantity, method, g, l, t)["value"]
    assert _significant_digits(text) == DPS, text
