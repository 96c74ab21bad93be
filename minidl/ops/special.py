"""GELU and the error function it needs (NumPy has no vectorised ``erf``).

    GELU(x) = x · Φ(x) = ½ x · erfc(−x/√2)          (Φ: the standard normal CDF)
    GELU'(x) = Φ(x) + x · φ(x),     φ(x) = exp(−x²/2) / √(2π)

``approximate="tanh"`` uses ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))), as PyTorch does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import math

import numpy as np

from ..autograd.function import Function
from .elementwise import Exp, Tanh

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any

    from numpy.typing import ArrayLike

_SQRT_PI = math.sqrt(math.pi)


def erfc(z: ArrayLike) -> np.ndarray:
    """Complementary error function of an array, to about 1e-13 relative accuracy.

    |z| < 2: the Maclaurin series erf(z) = 2/√π Σ_n (−1)ⁿ z^(2n+1) / (n! (2n+1)), and
    erfc = 1 − erf. |z| >= 2: the continued fraction
    erfc(z) = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + …)))), and erfc(−z) = 2 − erfc(z).
    """
    with np.errstate(over="ignore", under="ignore"):  # e^(-z²) → 0 for huge |z|: harmless
        return _erfc(np.asarray(z, dtype=np.float64))


def _erfc(z):
    out = np.empty_like(z)
    near = np.abs(z) < 2.0
    zn = z[near]
    z2 = zn * zn
    term = zn.copy()
    series = zn.copy()
    for n in range(1, 40):
        term = term * (-z2) / n
        series = series + term / (2 * n + 1)
    out[near] = 1 - 2 / _SQRT_PI * series
    za = np.abs(z[~near])
    t = za.copy()
    for k in range(80, 0, -1):  # the continued fraction, evaluated from its tail
        t = za + (k / 2) / t
    tail = np.exp(-za * za) / _SQRT_PI / t
    out[~near] = np.where(z[~near] > 0, tail, 2 - tail)
    return out


def erf(z: ArrayLike) -> np.ndarray:
    return 1 - erfc(z)


_K = math.sqrt(2 / math.pi)


class Erfc(Function):
    """erfc(x), with erfc'(x) = −2/√π · exp(−x²)."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return erfc(x).astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(under="ignore"):
            return dy * (-2 / _SQRT_PI) * Exp.call(-(x * x))


class Gelu(Function):
    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, approximate: str) -> Any:
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            with np.errstate(over="ignore"):  # x³ → ±inf for huge x: tanh saturates, harmless
                return (0.5 * x * (1 + np.tanh(_K * (x + 0.044715 * x ** 3)))).astype(x.dtype)
        return (0.5 * x * erfc(-x / math.sqrt(2))).astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            if ctx.approximate == "tanh":                        # 0·∞ at huge x, as PyTorch
                t = Tanh.call(_K * (x + 0.044715 * (x * x * x)))
                d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _K * (1 + 3 * 0.044715 * (x * x))
            else:
                cdf = 0.5 * Erfc.call(-x / math.sqrt(2))                 # Φ(x)
                pdf = Exp.call(-0.5 * (x * x)) / math.sqrt(2 * math.pi)  # φ(x)
                d = cdf + x * pdf
        return dy * d, None


# ---------------------------------------------------------------------- erfinv, lgamma, polygamma
def erfinv(y: ArrayLike) -> np.ndarray:
    """The inverse of erf on [−1, 1] (±∞ at ±1, NaN outside), as an array.

    A first guess from Giles' approximation (in w = −ln(1 − y²)), then Newton steps:
    on erf(x) = |y| for |y| < ½ (erf by its series, no cancellation), and on
    ln erfc(x) = ln(1 − |y|) beyond (1 − |y| is exact for |y| ≥ ½, and the logarithm
    makes the exponential tail nearly linear)::

        x ← x − (erf(x) − |y|) / erf'(x)        x ← x + (ln erfc(x) − ln(1 − |y|)) erfc(x) / erf'(x)

    >>> erfinv([0.0, 0.5, -1.0])
    array([0.        , 0.47693628,       -inf])
    """
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        w = -np.log((1 - a) * (1 + a))
        lo = w - 2.5
        p_lo = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p_lo = c + p_lo * lo
        hi = np.sqrt(w) - 3
        p_hi = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p_hi = c + p_hi * hi
        x = np.where(w < 5, p_lo, p_hi) * a
        inside = a < 1
        x = np.where(inside, x, 0.0)
        near = a < 0.5
        log_target = np.log(1 - a)
        for _ in range(4):
            slope = 2 / _SQRT_PI * np.exp(-x * x)            # erf'(x)
            tail = erfc(x)
            x = np.where(near, x - (_erf_series(x) - a) / slope,          # erf(x) = |y|
                         x + (np.log(tail) - log_target) * tail / slope)  # ln erfc(x) = ln(1 − |y|)
        x = np.where(inside, x, np.where(a == 1, np.inf, np.nan))
    return np.copysign(x, y) if x.ndim else np.copysign(x, y)[()]


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf(x) = 2/√π Σ_n (−1)ⁿ x^(2n+1) / (n! (2n+1)) for |x| < 1 (used where |x| < ½)."""
    x = np.where(np.abs(x) < 1, x, 0.0)
    term = x.copy()
    total = x.copy()
    for n in range(1, 25):
        term = term * (-x * x) / n
        total = total + term / (2 * n + 1)
    return 2 / _SQRT_PI * total


class Erfinv(Function):
    """erfinv(x), with erfinv'(x) = √π/2 · exp(erfinv(x)²)."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = erfinv(x).astype(x.dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (out,) = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore"):
            return dy * (_SQRT_PI / 2) * Exp.call(out * out)


def _lgamma_one(v: float) -> float:
    if math.isnan(v):
        return v
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):               # the poles 0, −1, −2, ...: +∞
        return math.inf


_lgamma_ufunc = np.frompyfunc(_lgamma_one, 1, 1)


def lgamma(x: ArrayLike) -> np.ndarray:
    """ln |Γ(x)| of an array (``math.lgamma`` element by element; +∞ at the poles).

    >>> lgamma([1.0, 5.0, 0.0])
    array([0.        , 3.17805383,        inf])
    """
    return np.asarray(_lgamma_ufunc(np.asarray(x, dtype=np.float64)), dtype=np.float64)


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def digamma(x: ArrayLike) -> np.ndarray:
    """ψ(x) = Γ'(x)/Γ(x) of an array.

    x < ½: the reflection ψ(x) = ψ(1 − x) − π / tan(πx); then the recurrence
    ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10 and the asymptotic series
    ψ(x) ≈ ln x − 1/(2x) − Σ_k B₂ₖ / (2k x²ᵏ). Poles: ψ(±0) = ∓∞ (as PyTorch),
    NaN at the negative integers.

    >>> digamma([1.0, 0.5])                     # −γ and −γ − 2 ln 2
    array([-0.57721566, -1.96351003])
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x < 0.5
        z = np.where(reflect, 1 - x, x)
        z = np.where(np.isfinite(z), z, np.inf)   # ±∞, NaN: answered below
        shift = np.zeros_like(z)
        while True:
            small = z < 10
            if not small.any():
                break
            shift = shift - np.where(small, 1 / z, 0.0)
            z = np.where(small, z + 1, z)
        inv2 = 1 / (z * z)
        series = np.zeros_like(z)
        power = np.ones_like(z)
        for k, b in enumerate(_BERNOULLI, 1):
            power = power * inv2
            series = series + b / (2 * k) * power
        out = np.log(z) - 0.5 / z - series + shift
        pole = reflect & (x == np.floor(x))
        out = np.where(reflect, out - math.pi / np.tan(math.pi * x), out)
        out = np.where(pole, np.where(x == 0, -np.copysign(np.inf, x), np.nan), out)
        out = np.where(x == np.inf, np.inf, np.where((x == -np.inf) | np.isnan(x), np.nan, out))
    return out


def polygamma(n: int, x: ArrayLike) -> np.ndarray:
    """ψ⁽ⁿ⁾(x), the n-th derivative of ψ (n = 0: digamma).

    n ≥ 1: ψ⁽ⁿ⁾(x) = (−1)ⁿ⁺¹ n! Σ_k 1/(x + k)ⁿ⁺¹ — the recurrence takes x up to
    max(20, 2n + 10), then the asymptotic series
    (−1)ⁿ⁺¹ [(n−1)!/xⁿ + n!/(2xⁿ⁺¹) + Σ_k B₂ₖ (2k+n−1)!/((2k)! x²ᵏ⁺ⁿ)].

    >>> polygamma(1, [1.0])                     # π²/6
    array([1.64493407])
    """
    if n == 0:
        return digamma(x)
    x = np.asarray(x, dtype=np.float64)
    sign = (-1) ** (n + 1)
    start = max(20, 2 * n + 10)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = np.where(np.isfinite(x), x, np.inf)   # ±∞, NaN: answered below
        total = np.zeros_like(z)
        while True:
            small = z < start
            if not small.any():
                break
            total = total + np.where(small, 1 / z ** (n + 1), 0.0)
            z = np.where(small, z + 1, z)
        series = math.factorial(n - 1) / z ** n + math.factorial(n) / (2 * z ** (n + 1))
        for k, b in enumerate(_BERNOULLI, 1):
            series = series + b * math.factorial(2 * k + n - 1) / (
                math.factorial(2 * k) * z ** (2 * k + n))
        out = sign * (math.factorial(n) * total + series)
        pole = (x <= 0) & (x == np.floor(x))
        out = np.where(pole, np.inf if sign > 0 else np.nan, out)
        out = np.where(np.isnan(x) | (x == -np.inf), np.nan, np.where(x == np.inf, 0.0, out))
    return out


class Lgamma(Function):
    """ln |Γ(x)|, with lgamma'(x) = ψ(x) (digamma)."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return lgamma(x).astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        return dy * Polygamma.call(0, x)


class Polygamma(Function):
    """ψ⁽ⁿ⁾(x) (n = 0: digamma), with d/dx ψ⁽ⁿ⁾ = ψ⁽ⁿ⁺¹⁾."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, n: int, x: Any) -> Any:
        ctx.save_for_backward(x)
        ctx.n = n
        return polygamma(n, x).astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(invalid="ignore"):
            return None, dy * Polygamma.call(ctx.n + 1, x)
