"""Matrix product ``y = x @ w`` with NumPy's rules (1-D operands, batch broadcasting).

For 2-D operands the VJP is the familiar pair

    ∂L/∂x = ∂L/∂y · wᵀ,        ∂L/∂w = xᵀ · ∂L/∂y.

Batch dimensions broadcast like any elementwise op and the engine sums them back. A
1-D operand is treated as a matrix with a length-1 axis added (a row for ``x``, a
column for ``w``) and that axis is removed again, exactly as ``np.matmul`` does. The
backward is written with ``@``, ``swapaxes`` and ``reshape``, which Tensors have too, so
it can be recorded and differentiated again.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..autograd.function import Function

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any


def _rows(a: Any) -> Any:
    """``a`` (..., k) as the matrix (n, k) of its rows (a view when ``a`` is contiguous)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])    # (not −1: k may be 0)


class MatMul(Function):
    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any) -> Any:
        ctx.save_for_backward(x, w)
        if x.ndim > 2 and w.ndim == 2:       # a batch under one matrix: one GEMM (see Linear)
            return (_rows(x) @ w).reshape(x.shape[:-1] + (w.shape[1],))
        return x @ w

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        x, w = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad
        dx = dw = None
        if x.ndim == 1 and w.ndim == 1:                      # a dot product: dy is a scalar
            return (dy * w if need_x else None), (dy * x if need_w else None)
        if x.ndim == 1:                                      # (k,) @ (..., k, m) → (..., m)
            k = x.shape[0]
            if need_x:
                dx = (w @ dy.reshape(dy.shape + (1,))).reshape(dy.shape[:-1] + (k,))
            if need_w:
                dw = x.reshape(k, 1) * dy.reshape(dy.shape[:-1] + (1, dy.shape[-1]))
            return dx, dw
        if w.ndim == 1:                                      # (..., n, k) @ (k,) → (..., n)
            k = w.shape[0]
            if need_x:
                dx = dy.reshape(dy.shape + (1,)) * w
            if need_w:
                dw = (x.swapaxes(-1, -2) @ dy.reshape(dy.shape + (1,))).reshape(
                    dy.shape[:-1] + (k,))
            return dx, dw
        if w.ndim == 2 and x.ndim > 2:
            # a shared weight under a batch of inputs: fold the batch into one GEMM
            if need_x:
                dx = (_rows(dy) @ w.swapaxes(0, 1)).reshape(x.shape)
            if need_w:
                dw = _rows(x).swapaxes(0, 1) @ _rows(dy)
            return dx, dw
        if need_x:
            dx = dy @ w.swapaxes(-1, -2)                     # (..., n, m) @ (..., m, k)
        if need_w:
            dw = x.swapaxes(-1, -2) @ dy                     # (..., k, n) @ (..., n, m)
        return dx, dw


class Linear(Function):
    """The fully connected layer as one node: ``y = x Wᵀ + b`` (F3).

    x (*, in), W (out, in), b (out,) or None → y (*, out). The VJP, with the batch axes
    of x folded into one of n rows (X (n, in), Ȳ (n, out)):

        ∂L/∂x = Ȳ W,        ∂L/∂W = Ȳᵀ X,        ∂L/∂b = Σ_rows Ȳ.

    One node instead of three (transpose, matmul, add): the layer is the most common op
    of every model, so its per-op cost counts. Written with ``@``, ``reshape``, ``.T``
    and ``sum``, so a recorded backward differentiates again. ``F.linear`` uses it when
    x, W and b share one floating dtype; otherwise it composes the three ops.
    """

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any) -> Any:
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              w if ctx.needs_input_grad[0] else None)
        # the batch axes folded into rows: one GEMM (NumPy's matmul would loop over the
        # batch, one small GEMM per matrix, at half the speed)
        y = _rows(x) @ w.T
        if b is not None:
            y += b                                # y is a new array: add in place
        return y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        rows = _rows(dy)                          # Ȳ (n, out)
        dx = (rows @ w).reshape(dy.shape[:-1] + (w.shape[1],)) if need_x else None
        dw = rows.T @ _rows(x) if need_w else None
        db = rows.sum(0) if need_b else None
        return dx, dw, db
