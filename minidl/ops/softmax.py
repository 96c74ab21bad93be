"""Softmax and log-softmax along one axis, stable for logits of any size.

Forward subtracts the row maximum first (softmax is unchanged by a shift), so no
``exp`` overflows even for logits of ±1e4 or more.

    softmax:      y_i = exp(x_i - m) / Σ_j exp(x_j - m),      m = max_j x_j
    log_softmax:  y_i = x_i - m - log Σ_j exp(x_j - m)

VJPs, with ``dy = ∂L/∂y`` and sums along the same axis:

    softmax:      ∂L/∂x = y ⊙ (dy - Σ_j dy_j y_j)
    log_softmax:  ∂L/∂x = dy - softmax(x) · Σ_j dy_j

so the gradient of softmax always sums to zero along the axis. A softmax over an empty
axis is an empty tensor (as PyTorch).
"""
import numpy as np

from ..autograd.function import Function
from .elementwise import Exp


def _row_max(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0)      # a row of −inf (or +inf) is not shifted


def softmax_array(x, axis):
    """Softmax of a NumPy array along ``axis``."""
    if x.shape[axis] == 0:
        return x.copy()
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(x - _row_max(x, axis))
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax_array(x, axis):
    """Log-softmax of a NumPy array along ``axis``."""
    if x.shape[axis] == 0:
        return x.copy()
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = x - _row_max(x, axis)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class Softmax(Function):
    on_arrays = True

    @staticmethod
    def forward(ctx, x, axis):
        y = softmax_array(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return y * (dy - (dy * y).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    on_arrays = True

    @staticmethod
    def forward(ctx, x, axis):
        y = log_softmax_array(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return dy - Exp.call(y) * dy.sum(axis=ctx.axis, keepdims=True), None
