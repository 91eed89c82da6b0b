"""Shared SymPy symbols, with the assumptions every derivation relies on.

``gamma`` (= d/n), ``lam`` (ridge λ) and ``theta`` (spike strength θ) are positive;
``delta`` (the self-consistent δ), ``m`` (a Stieltjes transform), ``z``, ``u`` (spectral
parameters of S and of T) and ``a`` (an eigenvalue of Â) are real unless a derivation says
otherwise; ``k`` is a positive auxiliary used to encode ``γ < 1`` as ``γ = 1/(1+k)`` and
``γ > 1`` as ``γ = 1+k`` (SymPy assumptions cannot state ``γ < 1`` directly). ``p`` and ``q``
are the training and test mask ratios (the masking section of docs/theory.md), non-negative; ``p < 1`` is encoded where needed
as ``p = k/(1+k)`` with the same positive ``k``.
"""
import sympy as sp

__all__ = ["gamma", "lam", "theta", "delta", "m", "z", "u", "s", "a", "x", "k", "scale", "p", "q"]

gamma = sp.Symbol("gamma", positive=True)
lam = sp.Symbol("lambda", positive=True)
theta = sp.Symbol("theta", positive=True)
delta = sp.Symbol("delta", real=True)
m = sp.Symbol("m", real=True)
z = sp.Symbol("z", real=True)
u = sp.Symbol("u", real=True)
s = sp.Symbol("s", positive=True)
a = sp.Symbol("a", real=True)
x = sp.Symbol("x", positive=True)
k = sp.Symbol("k", positive=True)
scale = sp.Symbol("d_0", positive=True)
p = sp.Symbol("p", nonnegative=True)  # training mask ratio, 0 ≤ p < 1
q = sp.Symbol("q", nonnegative=True)  # test mask ratio, 0 ≤ q < 1
