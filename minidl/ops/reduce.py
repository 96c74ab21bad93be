"""Reductions: sum, mean, amax/amin, prod, cumsum, over some axes (all of them by default).

Backward spreads ``dy`` back over the reduced axes: ``sum`` copies it to every element,
``mean`` copies ``dy / n``, ``amax``/``amin`` send it to the elements that attained the
extreme, tied extremes sharing it equally (as ``torch.amax``). ``max(dim)``/``min(dim)``,
which also return indices and send the whole gradient to the index returned, are a
gather of the argmax (``Tensor.max``). Each backward is written with ops that also run
on Tensors (``BroadcastTo.call``...), so it can be recorded and differentiated again.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..autograd.function import Function, array_of
from .elementwise import Where
from .shape import BroadcastTo, Flip

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any


class _Primitive(Function):
    on_arrays = True


def _keep_axes(dy, shape, axis, keepdims):
    """``dy`` with the reduced axes put back as length 1, so it broadcasts to ``shape``."""
    if keepdims or axis is None:
        return dy if axis is not None or dy.ndim == len(shape) else \
            dy.reshape((1,) * len(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    kept = tuple(1 if k in axes else n for k, n in enumerate(shape))
    return dy.reshape(kept)


class Sum(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, axis: int | tuple[int, ...] | None, keepdims: bool,
                dtype: Any = None) -> Any:
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        ctx.source_dtype = x.dtype
        return np.asarray(np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype))

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        dy = _keep_axes(dy, ctx.shape, ctx.axis, ctx.keepdims)
        return BroadcastTo.call(dy, ctx.shape), None, None, None   # ∂Σx/∂x_i = 1


class Mean(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, axis: int | tuple[int, ...] | None, keepdims: bool) -> Any:
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        if x.size:
            out = np.asarray(np.mean(x, axis=axis, keepdims=keepdims))
        else:                                     # the mean of nothing is NaN, silently
            count = np.sum(np.ones_like(x), axis=axis, keepdims=keepdims)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.asarray(np.sum(x, axis=axis, keepdims=keepdims) / count,
                                 dtype=x.dtype)
        ctx.n = x.size // max(out.size, 1) if x.size else 1
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        dy = _keep_axes(dy, ctx.shape, ctx.axis, ctx.keepdims)
        return BroadcastTo.call(dy / ctx.n, ctx.shape), None, None  # ∂mean/∂x_i = 1/n


class Amax(_Primitive):
    """``amax`` (``Amin`` below): the extreme value; tied elements share the gradient.

    A NaN in the reduced slice makes the result NaN. PyTorch's two names then differ, and
    so does this op's ``nan_ties``: ``max()`` (True) shares the gradient among the NaNs;
    ``amax`` (False) counts no element equal to NaN, so the share is 0/0 = NaN for every
    element of the slice.
    """

    reduce = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx: Any, x: Any, axis: int | tuple[int, ...] | None, keepdims: bool,
                nan_ties: bool = True) -> Any:
        out = cls.reduce(x, axis=axis, keepdims=True)  # type: ignore[arg-type, unused-ignore]  # (staticmethod: NumPy's first overload)
        ctx.save_for_backward(x, out)
        ctx.shape, ctx.axis, ctx.keepdims, ctx.nan_ties = x.shape, axis, keepdims, nan_ties
        return np.asarray(out if keepdims else np.squeeze(out, axis=axis))

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        x, out = ctx.saved_tensors
        xa, oa = array_of(x), array_of(out)
        hit = xa == oa
        if ctx.nan_ties and xa.dtype.kind == "f":
            hit |= np.isnan(xa) & np.isnan(oa)
        with np.errstate(invalid="ignore"):
            share = (hit / np.sum(hit, axis=ctx.axis, keepdims=True)).astype(xa.dtype)
        return _keep_axes(dy, ctx.shape, ctx.axis, ctx.keepdims) * share, None, None


class Amin(Amax):
    reduce = staticmethod(np.min)


class Prod(_Primitive):
    """``prod`` over one axis or all: ∂y/∂x_i = Π_{j≠i} x_j (computed without dividing,
    so zeros are fine)."""

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int | tuple[int, ...] | None, keepdims: bool) -> Any:
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        return np.asarray(np.prod(x, axis=axis, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        axis = ctx.axis
        flat = axis is None
        xs = x.reshape(-1) if flat else x
        ax = 0 if flat else axis
        # the product of the elements before i times the product of those after it
        before = Cumprod.call(xs, ax, True)
        after = Flip.call(Cumprod.call(Flip.call(xs, (ax,)), ax, True), (ax,))
        others = before * after
        if flat:
            others = others.reshape(ctx.shape)
        return _keep_axes(dy, ctx.shape, axis, ctx.keepdims) * others, None, None


class Cumprod(_Primitive):
    """Cumulative product along ``axis``; ``exclusive``: Π of the elements strictly before."""

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int, exclusive: bool = False) -> Any:
        ctx.save_for_backward(x)
        ctx.axis, ctx.exclusive = axis, exclusive
        out = np.cumprod(x, axis=axis)
        if exclusive:
            out = np.concatenate([np.ones_like(np.take(x, [0], axis=axis)),
                                  np.take(out, np.arange(x.shape[axis] - 1), axis=axis)],
                                 axis=axis) if x.shape[axis] else out
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        # ∂L/∂x_k = Σ_{i ≥ k (or > k)} ȳ_i · Π_{j ≤ i, j ≠ k} x_j, computed as the sum over
        # i of ȳ_i times the product with x_k left out (no division)
        (x,) = ctx.saved_tensors
        ax = ctx.axis
        n = x.shape[ax]
        xm = x.swapaxes(ax, -1)                                          # (..., n)
        lead = xm.shape[:-1]
        # P[..., k, i] = Π_{j ≤ i (or < i), j ≠ k} x_j: the product with x_k set to 1
        rep = Where.call(np.eye(n, dtype=bool), 1.0, xm.reshape(lead + (1, n)))
        P = Cumprod.call(rep, len(lead) + 1, ctx.exclusive)
        later = np.arange(n)[None, :] >= np.arange(n)[:, None] + (1 if ctx.exclusive else 0)
        P = Where.call(later, P, 0.0)                                    # only i ≥ k (> k)
        dx = (dy.swapaxes(ax, -1).reshape(lead + (1, n)) * P).sum(axis=-1)
        return dx.swapaxes(ax, -1), None, None


class Cumsum(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, axis: int) -> Any:
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        # ∂L/∂x_k = Σ_{i ≥ k} ȳ_i: a cumulative sum from the end
        ax = ctx.axis
        return Flip.call(Cumsum.call(Flip.call(dy, (ax,)), ax), (ax,)), None
