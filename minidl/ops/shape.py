"""Shape and indexing primitives: reshape, permute, broadcast, indexing, gather, concatenate,
stack, split, flip, repeat, and the writes behind ``t[index] = v`` and in-place ops on views.

None of these change a value, they only move values around, so each backward moves the
gradient back: reshape it, permute it by the inverse permutation, scatter it into the
indexed positions (adding where an index repeats), split what was joined, join what was
split. Every backward is another op of this file (``GetItem`` ↔ ``IndexGrad``,
``Gather`` ↔ ``ScatterAdd``, ``Concatenate`` ↔ ``Split``, ``Stack`` ↔ ``Unbind``), so it
can be recorded and differentiated again.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..autograd.function import Function

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any


class _Primitive(Function):
    on_arrays = True


class Reshape(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return dy.reshape(ctx.shape), None


class Permute(_Primitive):
    """Reorder the axes: output axis i is input axis ``axes[i]``."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple[int, ...]) -> Any:
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return Permute.call(dy, tuple(int(a) for a in np.argsort(ctx.axes))), None


class BroadcastTo(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple[int, ...]) -> Any:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return dy, None                                       # the engine sums it back


def is_basic(index: Any) -> bool:
    """True if ``x[index]`` is basic indexing (a view): ints, slices, None, Ellipsis."""
    items = index if isinstance(index, tuple) else (index,)
    return all((isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))
               or isinstance(i, slice) or i is None or i is Ellipsis for i in items)


class GetItem(_Primitive):
    """``y = x[index]`` with basic or advanced (integer-array, boolean) indexing."""

    @staticmethod
    def forward(ctx: Any, x: Any, index: Any) -> Any:
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return IndexGrad.call(dy, ctx.shape, ctx.index), None


class IndexGrad(_Primitive):
    """The adjoint of ``GetItem``: zeros of ``shape`` with ``dy`` added at ``index``."""

    @staticmethod
    def forward(ctx: Any, dy: Any, shape: tuple[int, ...], index: Any) -> Any:
        ctx.index = index
        dx = np.zeros(shape, dtype=dy.dtype)
        if is_basic(index):
            dx[index] = dy                                    # each element picked at most once
        else:
            np.add.at(dx, index, dy)                          # repeated indices add up
        return dx

    @staticmethod
    def backward(ctx: Any, ddx: Any) -> Any:
        return GetItem.call(ddx, ctx.index), None, None


class IndexPut(_Primitive):
    """``y = x`` with ``y[index] = v`` (``t[index] = v`` records this)."""

    @staticmethod
    def forward(ctx: Any, x: Any, v: Any, index: Any) -> Any:
        ctx.index = index
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        need_x, need_v = ctx.needs_input_grad[:2]
        dx = ZeroAt.call(dy, ctx.index) if need_x else None   # overwritten: no gradient
        dv = GetItem.call(dy, ctx.index) if need_v else None  # the engine sums broadcasts
        return dx, dv, None


class ZeroAt(_Primitive):
    """``dy`` with zeros at ``index`` (its own adjoint)."""

    @staticmethod
    def forward(ctx: Any, dy: Any, index: Any) -> Any:
        ctx.index = index
        out = dy.copy()
        out[index] = 0
        return out

    @staticmethod
    def backward(ctx: Any, dd: Any) -> Any:
        return ZeroAt.call(dd, ctx.index), None


def replay(x: Any, chain: tuple[Any, ...]) -> Any:
    """Apply a view chain ``((op, args), ...)`` to ``x`` (an array or a Tensor)."""
    for op, args in chain:
        x = op.call(x, *args)
    return x


class CopySlices(_Primitive):
    """An in-place write into a view of ``base``: ``view(base)[...] = value``, where the
    view is the chain of view ops ``chain`` from the base. Forward writes in place and
    returns the base itself; the engine then sees the base as this op's output."""

    @staticmethod
    def forward(ctx: Any, base: Any, value: Any, chain: tuple[Any, ...]) -> Any:
        ctx.chain = chain
        view = replay(base, chain)
        view[...] = value
        return base

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        need_base, need_value = ctx.needs_input_grad[:2]
        dbase = ZeroView.call(dy, ctx.chain) if need_base else None
        dvalue = replay(dy, ctx.chain) if need_value else None
        return dbase, dvalue, None


class ZeroView(_Primitive):
    """``dy`` with zeros in the view ``chain`` (its own adjoint)."""

    @staticmethod
    def forward(ctx: Any, dy: Any, chain: tuple[Any, ...]) -> Any:
        ctx.chain = chain
        out = dy.copy()
        replay(out, chain)[...] = 0
        return out

    @staticmethod
    def backward(ctx: Any, dd: Any) -> Any:
        return ZeroView.call(dd, ctx.chain), None


def along(index: np.ndarray, axis: int) -> tuple[Any, ...]:
    """The advanced index that picks ``x[..., index[...], ...]`` along ``axis`` (gather)."""
    grids: list[Any] = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)


class Gather(_Primitive):
    """``y[i, j, k] = x[i, index[i, j, k], k]`` for ``axis = 1`` (``torch.gather``)."""

    @staticmethod
    def forward(ctx: Any, x: Any, index: Any, axis: int) -> Any:
        ctx.shape, ctx.index, ctx.axis = x.shape, index, axis
        return x[along(index, axis)]

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return ScatterAdd.call(dy, ctx.shape, ctx.index, ctx.axis), None, None


class ScatterAdd(_Primitive):
    """The adjoint of ``Gather``: zeros of ``shape`` with ``src`` added along ``axis``."""

    @staticmethod
    def forward(ctx: Any, src: Any, shape: tuple[int, ...], index: Any, axis: int) -> Any:
        ctx.index, ctx.axis = index, axis
        out = np.zeros(shape, dtype=src.dtype)
        np.add.at(out, along(index, axis), src)
        return out

    @staticmethod
    def backward(ctx: Any, dd: Any) -> Any:
        return Gather.call(dd, ctx.index, ctx.axis), None, None, None


class Concatenate(_Primitive):
    """``y = concatenate([x_1, ..., x_n], axis)``; called as ``apply(*xs, axis=axis)``."""

    @staticmethod
    def forward(ctx: Any, *xs: Any, axis: int) -> Any:
        ctx.axis = axis
        ctx.sizes = tuple(x.shape[axis] for x in xs)
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        parts = Split.call(dy, ctx.sizes, ctx.axis)
        return tuple(parts)


class Split(_Primitive):
    """``x`` cut along ``axis`` into pieces of ``sizes``: several outputs, all views."""

    @staticmethod
    def forward(ctx: Any, x: Any, sizes: tuple[int, ...], axis: int) -> Any:
        ctx.axis = axis
        bounds = np.cumsum(sizes)[:-1]
        return tuple(np.split(x, bounds, axis=axis))

    @staticmethod
    def backward(ctx: Any, *dys: Any) -> Any:
        return Concatenate.call(*dys, axis=ctx.axis), None, None


class Stack(_Primitive):
    """``y = stack([x_1, ..., x_n], axis)``; called as ``apply(*xs, axis=axis)``."""

    @staticmethod
    def forward(ctx: Any, *xs: Any, axis: int) -> Any:
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return tuple(Unbind.call(dy, ctx.axis))


class Unbind(_Primitive):
    """``x`` sliced along ``axis`` into its ``x.shape[axis]`` pieces: several outputs."""

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int) -> Any:
        ctx.axis = axis
        lead = (slice(None),) * axis
        return tuple(x[lead + (i,)] for i in range(x.shape[axis]))

    @staticmethod
    def backward(ctx: Any, *dys: Any) -> Any:
        return Stack.call(*dys, axis=ctx.axis), None


class Flip(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple[int, ...]) -> Any:
        ctx.axes = axes
        return np.flip(x, axes)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return Flip.call(dy, ctx.axes), None


class Repeat(_Primitive):
    """``torch.repeat``: tile ``x`` ``reps[i]`` times along axis i (new leading axes first)."""

    @staticmethod
    def forward(ctx: Any, x: Any, reps: tuple[int, ...]) -> Any:
        shape = (1,) * (len(reps) - x.ndim) + x.shape
        ctx.shape, ctx.full, ctx.reps = x.shape, shape, reps
        return np.tile(x.reshape(shape), reps)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        # view ȳ as (r_0, n_0, r_1, n_1, ...) and sum over the copies r_i
        split = tuple(v for r, n in zip(ctx.reps, ctx.full) for v in (r, n))
        summed = dy.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(ctx.shape), None
