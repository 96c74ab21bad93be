"""Matrix product ``y = x @ w`` with NumPy's rules (1-D operands, batch broadcasting).

For 2-D operands the VJP is the familiar pair

    ∂L/∂x = ∂L/∂y · wᵀ,        ∂L/∂w = xᵀ · ∂L/∂y.

Batch dimensions broadcast like any elementwise op and the engine sums them back. A
1-D operand is treated as a matrix with a length-1 axis added (a row for ``x``, a
column for ``w``) and that axis is removed again, exactly as ``np.matmul`` does.
"""
import numpy as np

from ..function import Function


class MatMul(Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad
        x2 = x[None, :] if x.ndim == 1 else x                # (k,) → (1, k)
        w2 = w[:, None] if w.ndim == 1 else w                # (k,) → (k, 1)
        if x.ndim == 1:
            dy = np.expand_dims(dy, -2 if w.ndim > 1 else -1)
        if w.ndim == 1:
            dy = dy[..., None]
        dx = dw = None
        if need_x:
            dx = dy @ np.swapaxes(w2, -1, -2)                # (..., n, m) @ (..., m, k)
            if x.ndim == 1:
                dx = dx.reshape(-1, x.shape[0]).sum(axis=0)
        if need_w:
            if w2.ndim == 2 and x2.ndim > 2:
                # a shared weight under a batch of inputs: fold the batch into one GEMM
                k = x2.shape[-1]
                dw = x2.reshape(-1, k).T @ dy.reshape(-1, dy.shape[-1])
            else:
                dw = np.swapaxes(x2, -1, -2) @ dy            # (..., k, n) @ (..., n, m)
            if w.ndim == 1:
                dw = dw.reshape(-1, w.shape[0]).sum(axis=0) if dw.ndim > 2 else dw[:, 0]
        return dx, dw
