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
