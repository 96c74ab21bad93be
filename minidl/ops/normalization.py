r"""Layer normalisation as one node (the composite in ``functional/normalization.py`` made
nine of them per call: mean, subtract, square, mean, add ε, square root, divide, scale,
shift — and every Transformer layer calls it twice).

For each row of D elements (the trailing ``normalized_shape`` axes), with
x̂ = (x − μ) · r, r = (σ² + ε)^(−1/2) (σ² biased) and g = ȳ ⊙ γ:

    y = x̂ ⊙ γ + β
    x̄ = r · (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂))          (means over the row)
    γ̄ = Σ_rows ȳ ⊙ x̂,        β̄ = Σ_rows ȳ

The forward keeps x̂ and r for an ordinary backward. A recorded backward
(``create_graph=True``) recomputes them from x with Tensor ops, so the gradient is a
function of x and differentiates again; the formula is the same code in both cases.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..autograd.function import Function

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any

__all__ = ["LayerNorm"]


def _normalise(x, axes, eps):
    """x̂ and r of each row: on arrays or on Tensors (the same methods)."""
    mu = x.mean(axis=axes, keepdims=True)
    centred = x - mu
    var = (centred * centred).mean(axis=axes, keepdims=True)        # σ², biased
    r = (var + eps) ** -0.5
    return centred * r, r


class LayerNorm(Function):
    """``layer_norm(x, normalized_shape, weight, bias, eps)`` over ``axes`` (the trailing
    ones); arguments validated by :func:`minidl.functional.layer_norm`."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, weight: Any, bias: Any, axes: tuple[int, ...], eps: float) -> Any:
        x_hat, r = _normalise(x, axes, eps)
        ctx.axes, ctx.eps, ctx.x_hat, ctx.r = axes, eps, x_hat, r
        ctx.save_for_backward(x, weight)
        y = x_hat * weight if weight is not None else x_hat
        if bias is not None:
            y = y + bias
        return y

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        axes = ctx.axes
        if ctx._graph:                           # recorded: x̂ and r as functions of x
            x_hat, r = _normalise(x, axes, ctx.eps)
        else:
            x_hat, r = ctx.x_hat, ctx.r
        lead = tuple(range(dy.ndim - len(axes)))

        def over_rows(t):                        # Σ over the leading (row) axes
            return t.sum(axis=lead) if lead else t

        dx = dw = db = None
        if need_x:
            g = dy * weight if weight is not None else dy
            dx = r * (g - g.mean(axis=axes, keepdims=True)
                      - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))
        if need_w:
            dw = over_rows(dy * x_hat)
        if need_b:
            db = over_rows(dy)
        return dx, dw, db, None, None
