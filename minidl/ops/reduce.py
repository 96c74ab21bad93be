"""Reductions: sum, mean, max, min over some axes (all of them by default).

Backward spreads ``dy`` back over the reduced axes: ``sum`` copies it to every element,
``mean`` copies ``dy / n``, and ``max``/``min`` send it to the elements that attained
the extreme; tied extremes share it equally (as ``torch.amax`` does).
"""
import numpy as np

from ..function import Function


def _restore_axes(dy, axis, keepdims):
    """Put back the reduced axes (as length 1) so ``dy`` broadcasts against the input."""
    if keepdims or axis is None:
        return dy
    return np.expand_dims(dy, axis)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, dy):
        dy = _restore_axes(dy, ctx.axis, ctx.keepdims)
        return np.broadcast_to(dy, ctx.shape), None, None      # ∂Σx/∂x_i = 1


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        out = np.mean(x, axis=axis, keepdims=keepdims)
        ctx.n = x.size // max(out.size, 1) if x.size else 1
        return out

    @staticmethod
    def backward(ctx, dy):
        dy = _restore_axes(dy, ctx.axis, ctx.keepdims)
        return np.broadcast_to(dy / ctx.n, ctx.shape), None, None   # ∂mean/∂x_i = 1/n


class _Extreme(Function):
    reduce = None  # np.max or np.min

    @classmethod
    def forward(cls, ctx, x, axis, keepdims):
        out = cls.reduce(x, axis=axis, keepdims=True)
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out if keepdims else np.squeeze(out, axis=axis)

    @staticmethod
    def backward(ctx, dy):
        x, out = ctx.saved_tensors
        dy = _restore_axes(dy, ctx.axis, ctx.keepdims)
        hit = x == out                                       # the elements that attain it
        share = hit / np.sum(hit, axis=ctx.axis, keepdims=True)   # ties share equally
        return dy * share, None, None


class Max(_Extreme):
    reduce = staticmethod(np.max)


class Min(_Extreme):
    reduce = staticmethod(np.min)
