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

Speed: each pass writes into the output in place, and a large input along its last axis
is done a block of rows at a time (the block stays in cache through the passes), the
blocks spread over threads with :mod:`minidl.parallel`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import parallel
from ..autograd.function import Function
from .elementwise import Exp

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any


# NumPy reduces along a short last axis one row at a time, at about 40 ns a row: for the
# short rows of attention (S = 8: a max and a sum cost five times the exp) a row's sum is
# instead a matrix-vector product with ones (one BLAS call), and its max a loop over the
# S columns, each an elementwise maximum over all rows at once.
_SHORT_MAX = 8             # rows at most this long: the max by columns
_SHORT_SUM = 64            # rows at most this long: the sum as a product with ones


def _last_axis_rows(a, axis, short):
    """``a`` as its (rows, S) matrix when ``axis`` is its last, short (S <= ``short``)
    axis and ``a`` is a contiguous float32/float64 array; else None."""
    if axis % a.ndim == a.ndim - 1 and a.shape[-1] <= short and a.size and a.flags.c_contiguous \
            and a.dtype.char in "fd":
        return a.reshape(-1, a.shape[-1])
    return None


def _row_sum(a, axis):
    """Σ along ``axis``, kept as a length-1 axis."""
    rows = _last_axis_rows(a, axis, _SHORT_SUM)
    if rows is None:
        return np.sum(a, axis=axis, keepdims=True)
    return (rows @ np.ones(rows.shape[1], a.dtype)).reshape(a.shape[:-1] + (1,))


def _row_max(x, axis):
    rows = _last_axis_rows(x, axis, _SHORT_MAX)
    if rows is None:
        m = np.max(x, axis=axis, keepdims=True)
    else:
        m = rows[:, 0].copy()
        for j in range(1, rows.shape[1]):
            np.maximum(m, rows[:, j], out=m)                # NaN propagates, as np.max
        m = m.reshape(x.shape[:-1] + (1,))
    # a row of −inf is not shifted (its softmax is NaN either way); a row holding +∞ is,
    # so that it gives NaN (∞ − ∞) as PyTorch's does
    return np.where(m == -np.inf, 0, m)


# Large inputs are done a block of rows at a time, the blocks spread over threads by
# minidl.parallel: a block (about _BLOCK numbers) stays in cache through its four passes,
# and each pass writes into the output in place (no temporaries of the input's size).
_BLOCK = 1 << 15           # numbers per block
_SPLIT = 1 << 17           # inputs smaller than this are done in one go


def _by_rows(fill, out, axis, *inputs):
    """Run ``fill(out_block, *input_blocks, axis)`` over blocks of rows when the softmax
    axis is the last one and the input is large, else once on the whole arrays."""
    if axis != out.ndim - 1 or out.size < _SPLIT:
        fill(out, *inputs, axis=axis)
        return out
    S = out.shape[-1]
    flat = [a.reshape(-1, S) for a in (out,) + inputs]        # (rows, S); out: a view

    def body(lo, hi):
        fill(*(a[lo:hi] for a in flat), axis=1)
    parallel.for_blocks(flat[0].shape[0], body, block=max(1, _BLOCK // max(S, 1)))
    return out


def _float(x):
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _softmax_fill(out, x, axis):
    with np.errstate(invalid="ignore", over="ignore"):      # (per thread)
        np.subtract(x, _row_max(x, axis), out=out)
        np.exp(out, out=out)
        out /= _row_sum(out, axis)                          # y = e^(x − m) / Σ e^(x − m)


def _log_softmax_fill(out, x, axis):
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        np.subtract(x, _row_max(x, axis), out=out)          # x − m
        lse = np.log(_row_sum(np.exp(out), axis))
        out -= lse                                           # y = x − m − log Σ e^(x − m)


def _softmax_vjp_fill(dx, y, dy, axis):
    np.multiply(dy, y, out=dx)
    s = _row_sum(dx, axis)                                  # Σ_j dy_j y_j
    np.subtract(dy, s, out=dx)
    dx *= y                                                  # y ⊙ (dy − Σ_j dy_j y_j)


def _log_softmax_vjp_fill(dx, y, dy, axis):
    s = _row_sum(dy, axis)                                   # Σ_j dy_j
    np.exp(y, out=dx)
    dx *= s
    np.subtract(dy, dx, out=dx)                              # dy − softmax(x) Σ_j dy_j


def softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """Softmax of a NumPy array along ``axis``."""
    x = _float(x)
    if x.shape[axis] == 0:
        return x.copy()
    return _by_rows(_softmax_fill, np.empty(x.shape, x.dtype), axis % x.ndim, x)


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """Log-softmax of a NumPy array along ``axis``."""
    x = _float(x)
    if x.shape[axis] == 0:
        return x.copy()
    return _by_rows(_log_softmax_fill, np.empty(x.shape, x.dtype), axis % x.ndim, x)


def _vjp(fill, y, dy, axis):
    dtype = np.result_type(y, dy)
    return _by_rows(fill, np.empty(y.shape, dtype), axis % y.ndim, y, dy)


class Softmax(Function):
    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int) -> Any:
        y = softmax_array(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (y,) = ctx.saved_tensors
        if type(dy) is np.ndarray and type(y) is np.ndarray:    # an ordinary backward pass
            return _vjp(_softmax_vjp_fill, y, dy, ctx.axis), None
        return y * (dy - (dy * y).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int) -> Any:
        y = log_softmax_array(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (y,) = ctx.saved_tensors
        if type(dy) is np.ndarray and type(y) is np.ndarray:
            return _vjp(_log_softmax_vjp_fill, y, dy, ctx.axis), None
        return dy - Exp.call(y) * dy.sum(axis=ctx.axis, keepdims=True), None
