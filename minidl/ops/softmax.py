"""Softmax and log-softmax along one axis, stable for logits of any size.

Forward subtracts the row maximum first (softmax is unchanged by a shift), so no
``exp`` overflows even for logits of ±1e4 or more.

    softmax:      y_i = exp(x_i - m) / Σ_j exp(x_j - m),      m = max_j x_j
    log_softmax:  y_i = x_i - m - log Σ_j exp(x_j - m)

VJPs, with ``dy = ∂L/∂y`` and sums along the same axis:

    softmax:      ∂L/∂x = y ⊙ (dy - Σ_j dy_j y_j)
    log_softmax:  ∂L/∂x = dy - softmax(x) · Σ_j dy_j

so the gradient of softmax always sums to zero along the axis.
"""
import numpy as np

from ..function import Function


def softmax_array(x, axis):
    """Softmax of a NumPy array along ``axis``."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax_array(x, axis):
    """Log-softmax of a NumPy array along ``axis``."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        y = softmax_array(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return y * (dy - np.sum(dy * y, axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        y = log_softmax_array(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return dy - np.exp(y) * np.sum(dy, axis=ctx.axis, keepdims=True), None
