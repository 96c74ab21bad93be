"""Shape primitives: reshape, transpose, indexing, broadcast, concatenate, stack.

None of these change a value, they only move values around, so each backward moves
the gradient back: reshape it, transpose it by the inverse permutation, scatter it into
the indexed positions (adding where an index repeats), split it.
"""
import numpy as np

from ..function import Function


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, dy):
        return dy.reshape(ctx.shape), None


class Transpose(Function):
    """Permute the axes: ``y = x.transpose(axes)``."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, dy):
        return dy.transpose(np.argsort(ctx.axes)), None       # the inverse permutation


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, dy):
        return dy, None                                       # the engine sums it back


def _is_basic(index):
    """True if ``x[index]`` is basic indexing (a view): ints, slices, None, Ellipsis."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               for i in items if not isinstance(i, bool))


class GetItem(Function):
    """``y = x[index]`` with basic or advanced (integer-array, boolean) indexing."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        return x[index]

    @staticmethod
    def backward(ctx, dy):
        dx = np.zeros(ctx.shape, dtype=dy.dtype)
        if _is_basic(ctx.index):
            dx[ctx.index] = dy                                # each element picked at most once
        else:
            np.add.at(dx, ctx.index, dy)                      # repeated indices add up
        return dx, None


class Concatenate(Function):
    """``y = concatenate([x_1, ..., x_n], axis)``; called as ``apply(*xs, axis=axis)``."""

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        ctx.bounds = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, dy):
        return tuple(np.split(dy, ctx.bounds, axis=ctx.axis))


class Stack(Function):
    """``y = stack([x_1, ..., x_n], axis)``; called as ``apply(*xs, axis=axis)``."""

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, dy):
        return tuple(np.moveaxis(dy, ctx.axis, 0))
