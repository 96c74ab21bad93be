"""Shape and indexing primitives: reshape, permute, broadcast, indexing, gather, concatenate,
stack, split, flip, repeat, and the writes behind ``t[index] = v`` and in-place ops on views.

None of these change a value, they only move values around, so each backward moves the
gradient back: reshape it, permute it by the inverse permutation, scatter it into the
indexed positions (adding where an index repeats), split what was joined, join what was
split. Every backward is another op of this file (``GetItem`` ↔ ``IndexGrad``,
``Gather`` ↔ ``ScatterAdd``, ``Concatenate`` ↔ ``Split``, ``Stack`` ↔ ``Unbind``), so it
can be recorded and differentiated again.
"""
import numpy as np

from ..autograd.function import Function


class _Primitive(Function):
    on_arrays = True


class Reshape(_Primitive):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, dy):
        return dy.reshape(ctx.shape), None


class Permute(_Primitive):
    """Reorder the axes: output axis i is input axis ``axes[i]``."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, dy):
        return Permute.call(dy, tuple(int(a) for a in np.argsort(ctx.axes))), None


class BroadcastTo(_Primitive):
    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, dy):
        return dy, None                                       # the engine sums it back


def is_basic(index):
    """True if ``x[index]`` is basic indexing (a view): ints, slices, None, Ellipsis."""
    items = index if isinstance(index, tuple) else (index,)
    return all((isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))
               or isinstance(i, slice) or i is None or i is Ellipsis for i in items)


class GetItem(_Primitive):
    """``y = x[index]`` with basic or advanced (integer-array, boolean) indexing."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, dy):
        return IndexGrad.call(dy, ctx.shape, ctx.index), None


class IndexGrad(_Primitive):
    """The adjoint of ``GetItem``: zeros of ``shape`` with ``dy`` added at ``index``."""

    @staticmethod
    def forward(ctx, dy, shape, index):
        ctx.index = index
        dx = np.zeros(shape, dtype=dy.dtype)
        if is_basic(index):
            dx[index] = dy                                    # each element picked at most once
        else:
            np.add.at(dx, index, dy)                          # repeated indices add up
        return dx

    @staticmethod
    def backward(ctx, ddx):
        return GetItem.call(ddx, ctx.index), None, None


class IndexPut(_Primitive):
    """``y = x`` with ``y[index] = v`` (``t[index] = v`` records this)."""

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, dy):
        need_x, need_v = ctx.needs_input_grad[:2]
        dx = ZeroAt.call(dy, ctx.index) if need_x else None   # overwritten: no gradient
        dv = GetItem.call(dy, ctx.index) if need_v else None  # the engine sums broadcasts
        return dx, dv, None


class ZeroAt(_Primitive):
    """``dy`` with zeros at ``index`` (its own adjoint)."""

    @staticmethod
    def forward(ctx, dy, index):
        ctx.index = index
        out = dy.copy()
        out[index] = 0
        return out

    @staticmethod
    def backward(ctx, dd):
        return ZeroAt.call(dd, ctx.index), None


def replay(x, chain):
    """Apply a view chain ``((op, args), ...)`` to ``x`` (an array or a Tensor)."""
    for op, args in chain:
        x = op.call(x, *args)
    return x


class CopySlices(_Primitive):
    """An in-place write into a view of ``base``: ``view(base)[...] = value``, where the
    view is the chain of view ops ``chain`` from the base. Forward writes in place and
    returns the base itself; the engine then sees the base as this op's output."""

    @staticmethod
    def forward(ctx, base, value, chain):
        ctx.chain = chain
        view = replay(base, chain)
        view[...] = value
        return base

    @staticmethod
    def backward(ctx, dy):
        need_base, need_value = ctx.needs_input_grad[:2]
        dbase = ZeroView.call(dy, ctx.chain) if need_base else None
        dvalue = replay(dy, ctx.chain) if need_value else None
        return dbase, dvalue, None


class ZeroView(_Primitive):
    """``dy`` with zeros in the view ``chain`` (its own adjoint)."""

    @staticmethod
    def forward(ctx, dy, chain):
        ctx.chain = chain
        out = dy.copy()
        replay(out, chain)[...] = 0
        return out

    @staticmethod
    def backward(ctx, dd):
        return ZeroView.call(dd, ctx.chain), None


def along(index, axis):
    """The advanced index that picks ``x[..., index[...], ...]`` along ``axis`` (gather)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)


class Gather(_Primitive):
    """``y[i, j, k] = x[i, index[i, j, k], k]`` for ``axis = 1`` (``torch.gather``)."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.shape, ctx.index, ctx.axis = x.shape, index, axis
        return x[along(index, axis)]

    @staticmethod
    def backward(ctx, dy):
        return ScatterAdd.call(dy, ctx.shape, ctx.index, ctx.axis), None, None


class ScatterAdd(_Primitive):
    """The adjoint of ``Gather``: zeros of ``shape`` with ``src`` added along ``axis``."""

    @staticmethod
    def forward(ctx, src, shape, index, axis):
        ctx.index, ctx.axis = index, axis
        out = np.zeros(shape, dtype=src.dtype)
        np.add.at(out, along(index, axis), src)
        return out

    @staticmethod
    def backward(ctx, dd):
        return Gather.call(dd, ctx.index, ctx.axis), None, None, None


class Concatenate(_Primitive):
    """``y = concatenate([x_1, ..., x_n], axis)``; called as ``apply(*xs, axis=axis)``."""

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        ctx.sizes = tuple(x.shape[axis] for x in xs)
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, dy):
        parts = Split.call(dy, ctx.sizes, ctx.axis)
        return tuple(parts)


class Split(_Primitive):
    """``x`` cut along ``axis`` into pieces of ``sizes``: several outputs, all views."""

    @staticmethod
    def forward(ctx, x, sizes, axis):
        ctx.axis = axis
        bounds = np.cumsum(sizes)[:-1]
        return tuple(np.split(x, bounds, axis=axis))

    @staticmethod
    def backward(ctx, *dys):
        return Concatenate.call(*dys, axis=ctx.axis), None, None


class Stack(_Primitive):
    """``y = stack([x_1, ..., x_n], axis)``; called as ``apply(*xs, axis=axis)``."""

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, dy):
        return tuple(Unbind.call(dy, ctx.axis))


class Unbind(_Primitive):
    """``x`` sliced along ``axis`` into its ``x.shape[axis]`` pieces: several outputs."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        lead = (slice(None),) * axis
        return tuple(x[lead + (i,)] for i in range(x.shape[axis]))

    @staticmethod
    def backward(ctx, *dys):
        return Stack.call(*dys, axis=ctx.axis), None


class Flip(_Primitive):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes)

    @staticmethod
    def backward(ctx, dy):
        return Flip.call(dy, ctx.axes), None


class Repeat(_Primitive):
    """``torch.repeat``: tile ``x`` ``reps[i]`` times along axis i (new leading axes first)."""

    @staticmethod
    def forward(ctx, x, reps):
        shape = (1,) * (len(reps) - x.ndim) + x.shape
        ctx.shape, ctx.full, ctx.reps = x.shape, shape, reps
        return np.tile(x.reshape(shape), reps)

    @staticmethod
    def backward(ctx, dy):
        # view ȳ as (r_0, n_0, r_1, n_1, ...) and sum over the copies r_i
        split = tuple(v for r, n in zip(ctx.reps, ctx.full) for v in (r, n))
        summed = dy.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(ctx.shape), None
