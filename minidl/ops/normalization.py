r"""Layer normalisation as one node (the composite in ``functional/normalization.py`` made
nine of them per call: mean, subtract, square, mean, add ε, square root, divide, scale,
shift — and every Transformer layer calls it twice).

For each row of D elements (the trailing ``normalized_shape`` axes), with
x̂ = (x − μ) · r, r = (σ² + ε)^(−1/2) (σ² biased) and g = ȳ ⊙ γ:

    y = x̂ ⊙ γ + β
    x̄ = r · (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂))          (means over the row)
    γ̄ = Σ_rows ȳ ⊙ x̂,        β̄ = Σ_rows ȳ

The op works on the rows of the (R, D) matrix the input reshapes to, and takes the mean
over a row as a product with the vector (1/D, ..., 1/D): one matrix-vector product,
several times faster in NumPy than ``mean`` over an axis. The forward keeps x̂ and r for
an ordinary backward. A recorded backward (``create_graph=True``) recomputes them from x
with Tensor ops, so the gradient is a function of x and differentiates again; the
formula is the same code in both cases.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..autograd.function import Function

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any

__all__ = ["LayerNorm"]


def _normalise(x, mean, eps):
    """x̂ and r of each row of x (R, D): on arrays or on Tensors (the same methods).
    ``mean`` is the vector (1/D, ..., 1/D), so that ``t @ mean`` is the row means."""
    mu = x @ mean                                                   # (R,)
    centred = x - mu.reshape(-1, 1)
    r = ((centred * centred) @ mean + eps) ** -0.5                  # (σ² + ε)^(−1/2), σ² biased
    return centred * r.reshape(-1, 1), r


class LayerNorm(Function):
    """``layer_norm(x, normalized_shape, weight, bias, eps)`` over ``axes`` (the trailing
    ones); arguments validated by :func:`minidl.functional.layer_norm`."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, weight: Any, bias: Any, axes: tuple[int, ...], eps: float) -> Any:
        row = x.shape[x.ndim - len(axes):]        # normalized_shape
        D = math.prod(row)
        mean = np.full(D, 1 / D if D else 0.0, x.dtype)
        x_hat, r = _normalise(x.reshape(-1, D), mean, eps)           # (R, D), (R,)
        ctx.shape, ctx.row, ctx.mean, ctx.eps = x.shape, row, mean, eps
        ctx.x_hat, ctx.r = x_hat, r
        ctx.save_for_backward(x, weight)
        y = x_hat * weight.reshape(D) if weight is not None else x_hat.copy()
        if bias is not None:
            y += bias.reshape(D)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        mean = ctx.mean
        D = mean.shape[0]
        if ctx._graph:                           # recorded: x̂ and r as functions of x
            x_hat, r = _normalise(x.reshape(-1, D), mean, ctx.eps)
        else:
            x_hat, r = ctx.x_hat, ctx.r
        dy = dy.reshape(-1, D)                   # ȳ (R, D)
        dx = dw = db = None
        if need_x:
            g = dy * weight.reshape(D) if weight is not None else dy
            dx = r.reshape(-1, 1) * (g - (g @ mean).reshape(-1, 1)
                                     - x_hat * ((g * x_hat) @ mean).reshape(-1, 1))
            dx = dx.reshape(ctx.shape)
        if need_w:
            dw = (dy * x_hat).sum(0).reshape(ctx.row)              # Σ over the rows
        if need_b:
            db = dy.sum(0).reshape(ctx.row)
        return dx, dw, db, None, None
