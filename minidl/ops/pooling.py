r"""F2, max pooling and average pooling: primitives, each forward beside its backward.

Pooling summarises each window of each channel by one number, its maximum or its mean.
Output size per spatial dimension (k kernel, s stride, p padding, d dilation; d = 1 for
average pooling), exactly as PyTorch::

    H_out = floor((H + 2p − d(k − 1) − 1) / s) + 1        (ceil_mode=False)
    H_out = ceil ((H + 2p − d(k − 1) − 1) / s) + 1        (ceil_mode=True)

and with ``ceil_mode`` a last window that would start in the bottom/right padding or past
it is dropped: if (H_out − 1)·s ≥ H + p then H_out −= 1. So every window starts inside
the input or its top/left padding, but a ``ceil_mode`` window may run past the padded
border.

How it is computed (no Python loop over batch elements or output positions): for each
kernel offset (p, q), the entries ``x_pad[:, :, i·s_h + p·d_h, j·s_w + q·d_w]`` of all
windows form one strided slice of the padded input, a view. Pooling is then a loop over
the kH·kW offsets combining those slices elementwise (a running maximum with its
argmax, or a running sum), and the backward is the same loop in reverse, adding each
offset's share of the gradient into the slice it came from.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, overload

import numpy as np

from .. import parallel
from ..arguments import check_tensor, pair
from ..autograd.function import Function
from .conv import _offset_slices, _pad

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any, Literal, Tuple, Union

    from .._typing import Size2
    from ..tensor import Tensor

    Pair = Tuple[int, int]
    Pads = Tuple[Pair, Pair]                       # ((top, bottom), (left, right))
    Shape = Tuple[int, ...]
    # (x.shape, x_pad.shape, pads, kernel, stride, dilation, out_size) of max pooling
    MaxGeometry = Tuple[Shape, Shape, Pads, Pair, Pair, Pair, Pair]
    # (x.shape, x_pad.shape, pads, kernel, stride, out_size, divisor) of average pooling
    AvgGeometry = Tuple[Shape, Shape, Pads, Pair, Pair, Pair, Union[float, np.ndarray]]

__all__ = ["max_pool2d", "avg_pool2d"]


# ---------------------------------------------------------------------- geometry
def _out_size(op, size, k, s, p, d, ceil_mode, shape):
    """PyTorch's pooling output size along one dimension (module docstring)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1    # floor, or ceil, of span / s, plus 1
    if ceil_mode and (out - 1) * s >= size + p:             # last window would start in the padding
        out -= 1
    if out < 1:
        raise ValueError(f"{op}: output would be empty: input shape {shape}, kernel_size {k}, "
                         f"stride {s}, padding {p}, dilation {d} give an output size of {out}")
    return out


def _setup(op, input, kernel_size, stride, padding, dilation, ceil_mode):
    """Check the arguments as PyTorch does; return the geometry of the pooling:
    kernel, stride, dilation, output size and the ((top, bottom), (left, right)) padding
    of x_pad, whose bottom/right part also covers ceil_mode windows that run past the
    padded border."""
    check_tensor(input, op, "input")
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {input.shape}")
    kH, kW = pair(kernel_size, op, "kernel_size")
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        s_h, s_w = kH, kW
    else:
        s_h, s_w = pair(stride, op, "stride")
    p_h, p_w = pair(padding, op, "padding")
    d_h, d_w = pair(dilation, op, "dilation")
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"{op}: ceil_mode must be a bool, got {ceil_mode!r}")
    for name, value, both in (("kernel_size", kernel_size, (kH, kW)), ("stride", stride, (s_h, s_w)),
                              ("dilation", dilation, (d_h, d_w))):
        if min(both) < 1:
            raise ValueError(f"{op}: {name} must be >= 1, got {name}={value!r}")
    if min(p_h, p_w) < 0:
        raise ValueError(f"{op}: padding must be >= 0, got padding={padding!r}")
    if p_h > kH // 2 or p_w > kW // 2:                    # PyTorch: pad <= kernel_size / 2
        raise ValueError(f"{op}: padding must be at most half of kernel_size, got "
                         f"padding={padding!r}, kernel_size={kernel_size!r}")
    if min(input.shape) == 0:
        raise ValueError(f"{op}: input has an empty axis, so the output would be empty; "
                         f"input shape {input.shape}")
    H, W = input.shape[-2:]
    H_out = _out_size(op, H, kH, s_h, p_h, d_h, ceil_mode, input.shape)
    W_out = _out_size(op, W, kW, s_w, p_w, d_w, ceil_mode, input.shape)
    # x_pad must reach the end of the last window: (out − 1)·s + d(k − 1) + 1
    bottom = max(p_h, (H_out - 1) * s_h + d_h * (kH - 1) + 1 - H - p_h)
    right = max(p_w, (W_out - 1) * s_w + d_w * (kW - 1) + 1 - W - p_w)
    return ((kH, kW), (s_h, s_w), (d_h, d_w), (H_out, W_out), ((p_h, bottom), (p_w, right)))


def _batched(x):
    return x[np.newaxis] if x.ndim == 3 else x


# Large inputs are done a block of batch elements at a time (a block's slices stay in
# cache through the kH·kW passes), the blocks spread over threads by minidl.parallel:
# the passes are memory-bound and NumPy runs each on one core.
_BLOCK = 1 << 18            # input elements per block
_SPLIT = 1 << 18            # smaller inputs are done in one go


def _by_batch(body, x_shape):
    """``body(lo, hi)`` for batch elements lo .. hi − 1 of an (N, C, H, W) input."""
    N = x_shape[0]
    per_n = int(np.prod(x_shape[1:]))
    if N * per_n < _SPLIT:
        body(0, N)
    else:
        parallel.for_blocks(N, body, block=max(1, _BLOCK // max(per_n, 1)))


def _disjoint(kernel, stride, dilation):
    """True when no input element lies in two windows (so gradients need no adding)."""
    return all(k == 1 or s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


# ---------------------------------------------------------------------- max pooling
class MaxPool2d(Function):
    """max_pool2d on arrays; the arguments are validated by :func:`max_pool2d`.

    Two outputs: the pooled values and, for each, the flat index ``r·W + t`` of the
    maximum in its H×W plane (an int64 array, carrying no gradient); only the pooled
    values when called with ``return_indices=False``. The backward is a
    scatter of ȳ to the chosen elements (:class:`PoolScatter`), whose own backward is
    the gather of the same elements (:class:`PoolGather`)."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, kernel: Pair, stride: Pair, dilation: Pair, out_size: Pair,
                pads: Pads, return_indices: bool = True) -> Any:
        ctx.unbatched = x.ndim == 3
        x = _batched(x)
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        x_pad = _pad(x, pads, low)                        # (N, C, Hp, Wp), padding never wins
        offsets = _offset_slices(*kernel, stride, dilation, *out_size)
        has_nan = x.dtype.kind == "f" and np.isnan(np.min(x))
        y = np.empty(x.shape[:2] + tuple(out_size), x.dtype)          # (N, C, H_out, W_out)
        argmax = np.zeros(y.shape, np.uint8 if len(offsets) <= 256 else np.int32)

        def pool(lo, hi):                                 # batch elements lo .. hi − 1
            # Running maximum over the kernel offsets, in row-major (p, q) order. A later
            # offset replaces the current best only if strictly larger, so ties keep the
            # first maximum in scan order; a NaN always replaces it (NaN propagates), as
            # PyTorch's ``val > max || isnan(val)``.
            x_n, y_n, argmax_n = x_pad[lo:hi], y[lo:hi], argmax[lo:hi]
            _, _, rows, cols = offsets[0]
            np.copyto(y_n, x_n[:, :, rows, cols])
            for k, (_, _, rows, cols) in enumerate(offsets[1:], start=1):
                # one contiguous copy of the slice: NumPy's elementwise ops on a strided
                # view of a small-stride slice are many times slower than the copy itself
                candidate = np.ascontiguousarray(x_n[:, :, rows, cols])
                wins = candidate > y_n
                if has_nan:
                    wins |= np.isnan(candidate)
                np.maximum(y_n, candidate, out=y_n)       # (NaN propagates)
                # which offset (p·kW + q) won: where it wins, argmax += (k − argmax) becomes
                # k (argmax < k always; this is much faster than np.putmask)
                argmax_n += wins.astype(argmax.dtype) * (argmax.dtype.type(k) - argmax_n)
        _by_batch(pool, x_pad.shape)
        if any(pads[0] + pads[1]) and (y == low).any():
            _first_tap_for_padding_winners(argmax, x.shape, pads, kernel, stride, dilation,
                                           out_size)
        ctx.geometry = (x.shape, x_pad.shape, pads, kernel, stride, dilation, out_size)
        ctx.argmax = argmax
        if not return_indices:                            # one output: y
            return y[0] if ctx.unbatched else y
        indices = _flat_indices(argmax, x.shape, pads, kernel, stride, dilation, out_size)
        if ctx.unbatched:
            return y[0], indices[0]
        return y, indices

    @staticmethod
    def backward(ctx: Any, dy: Any, dindices: Any = None) -> Any:
        if ctx.unbatched:
            dy = dy.reshape((1,) + tuple(dy.shape))
        dx = PoolScatter.call(dy, ctx.argmax, ctx.geometry)
        if ctx.unbatched:
            dx = dx.reshape(tuple(dx.shape[1:]))
        return dx, None, None, None, None, None, None


def _first_tap_for_padding_winners(argmax, x_shape, pads, kernel, stride, dilation, out_size):
    """A window whose every input tap is −∞ ties with its padding, and the scan keeps the
    first tap, which may be padding. PyTorch then picks the window's first tap inside
    the input, for the index and for the gradient: so does this (``argmax`` in place)."""
    H, W = x_shape[2:]
    kH, kW = kernel
    (r0, r_first), (t0, t_first) = _window_starts(pads, stride, dilation, out_size)
    r = r0[:, None] + (argmax // kW).astype(np.int64) * dilation[0]
    t = t0[None, :] + (argmax % kW).astype(np.int64) * dilation[1]
    in_pad = (r < 0) | (r >= H) | (t < 0) | (t >= W)
    p_first, q_first = (r_first - r0) // dilation[0], (t_first - t0) // dilation[1]
    k_first = p_first[:, None] * kW + q_first[None, :]                      # (H_out, W_out)
    exists = ((p_first < kH) & (r_first < H))[:, None] & ((q_first < kW) & (t_first < W))[None, :]
    np.copyto(argmax, np.broadcast_to(k_first, argmax.shape).astype(argmax.dtype),
              where=in_pad & exists)


def _window_starts(pads, stride, dilation, out_size):
    """Per axis: each window's first tap (may be in the padding) and its first tap inside
    the input, in input coordinates."""
    starts = []
    for n, s, p, d in zip(out_size, stride, (pads[0][0], pads[1][0]), dilation):
        start = np.arange(n) * s - p
        first = np.where(start < 0, start + (-start + d - 1) // d * d, start)  # first tap >= 0
        starts.append((start, first))
    return starts


def _flat_indices(argmax, x_shape, pads, kernel, stride, dilation, out_size):
    """PyTorch's ``return_indices``: the flat index r·W + t of each window's maximum. A
    window whose maximum is in the padding (it holds no input element, or only −∞)
    reports its first tap inside the input, as PyTorch does."""
    H, W = x_shape[2:]
    kW = kernel[1]
    (r0, r_first), (t0, t_first) = _window_starts(pads, stride, dilation, out_size)
    r = r0[:, None] + (argmax // kW).astype(np.int64) * dilation[0]
    t = t0[None, :] + (argmax % kW).astype(np.int64) * dilation[1]
    in_pad = (r < 0) | (r >= H) | (t < 0) | (t >= W)
    r = np.where(in_pad, r_first[:, None], r)
    t = np.where(in_pad, t_first[None, :], t)
    return r * W + t


class PoolScatter(Function):
    """∂L/∂x of max pooling: each window's gradient goes to the element it chose."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, dy: Any, argmax: Any, geometry: MaxGeometry) -> Any:
        ctx.argmax, ctx.geometry = argmax, geometry
        x_shape, xp_shape, ((top, _), (left, _)), kernel, stride, dilation, out_size = geometry
        dx_pad = np.zeros(xp_shape, dtype=dy.dtype)
        offsets = _offset_slices(*kernel, stride, dilation, *out_size)
        disjoint = _disjoint(kernel, stride, dilation)

        def scatter(lo, hi):                              # batch elements lo .. hi − 1
            dx_n, dy_n, argmax_n = dx_pad[lo:hi], dy[lo:hi], argmax[lo:hi]
            for k, (_, _, rows, cols) in enumerate(offsets):
                if disjoint:
                    # no element is in two windows: each offset writes ȳ where it won, 0
                    # elsewhere, into its own slice
                    np.multiply(dy_n, argmax_n == k, out=dx_n[:, :, rows, cols])
                else:                                     # overlapping windows add up
                    dx_n[:, :, rows, cols] += np.where(argmax_n == k, dy_n, 0)
        _by_batch(scatter, xp_shape)
        H, W = x_shape[2:]
        return dx_pad[:, :, top:top + H, left:left + W]

    @staticmethod
    def backward(ctx: Any, ddx: Any) -> Any:
        return PoolGather.call(ddx, ctx.argmax, ctx.geometry), None, None


class PoolGather(Function):
    """The adjoint of :class:`PoolScatter`: each window's chosen element of ``x``."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, argmax: Any, geometry: MaxGeometry) -> Any:
        ctx.argmax, ctx.geometry = argmax, geometry
        _, _, pads, kernel, stride, dilation, out_size = geometry
        x_pad = _pad(x, pads, 0)
        y = np.zeros(argmax.shape, dtype=x.dtype)
        for k, (_, _, rows, cols) in enumerate(_offset_slices(*kernel, stride, dilation,
                                                                *out_size)):
            np.copyto(y, x_pad[:, :, rows, cols], where=argmax == k)
        return y

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return PoolScatter.call(dy, ctx.argmax, ctx.geometry), None, None


@overload
def max_pool2d(input: Tensor, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0,
               dilation: Size2 = 1, ceil_mode: bool = False,
               return_indices: Literal[False] = False) -> Tensor: ...
@overload
def max_pool2d(input: Tensor, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0,
               dilation: Size2 = 1, ceil_mode: bool = False, *,
               return_indices: Literal[True]) -> tuple[Tensor, Tensor]: ...
@overload
def max_pool2d(input: Tensor, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0,
               dilation: Size2 = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]: ...
def max_pool2d(input: Tensor, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0,
               dilation: Size2 = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    r"""2-D max pooling: the largest value of each window of each channel.

    The formula, with ``x_pad`` the input padded with −∞ (so padding never wins)::

        y[n, c, i, j] = max_{p, q} x_pad[n, c, i·s_h + p·d_h, j·s_w + q·d_w]

        p = 0 .. kH − 1,   q = 0 .. kW − 1

    Gradient: each window sends its whole upstream gradient ȳ[n, c, i, j] to the one
    element it chose, and an element chosen by several overlapping windows gets the sum.
    **Ties:** the chosen element is the first maximum in the window's row-major scan
    order (p, then q), the element PyTorch picks (and reports with ``return_indices``);
    the gradient is not shared among tied elements. A NaN in a window is chosen (NaN
    propagates, as in PyTorch). Padding is never chosen and gets no gradient.

    Args:
        input: (N, C, H, W), or unbatched (C, H, W).
        kernel_size: an int or a pair (kH, kW), >= 1.
        stride: an int or a pair, >= 1; None (the default) means ``kernel_size``.
        padding: an int or a pair, at most half of ``kernel_size`` (as PyTorch).
        dilation: an int or a pair, >= 1: the spacing of the window's taps.
        ceil_mode: round the output size up instead of down (see Returns).
        return_indices: also return where each maximum came from.

    Returns:
        y: (N, C, H_out, W_out), or (C, H_out, W_out) for an unbatched input, with ::

            H_out = floor((H + 2·p_h − d_h·(kH − 1) − 1) / s_h) + 1

        (``ceil`` instead of ``floor`` with ``ceil_mode``, minus one if that last window
        would start at or after H + p_h; the same for W_out).
        indices (only with ``return_indices``): an int64 Tensor shaped like y, the flat
        index r·W + t of each maximum in its unpadded H×W plane, as PyTorch's.

    Raises:
        TypeError: ``input`` is not a Tensor, or a hyper-parameter is not an int or pair.
        ValueError: wrong rank, kernel_size/stride/dilation < 1, negative padding or
            padding over half the kernel, or an empty output.

    Example:
        >>> import numpy as np, minidl as md, minidl.functional as F
        >>> x = md.tensor(np.array([[[1.0, 5.0, 2.0, 0.0],
        ...                          [3.0, 4.0, 2.0, 2.0],
        ...                          [0.0, 1.0, 7.0, 8.0],
        ...                          [6.0, 0.0, 8.0, 1.0]]]), requires_grad=True)
        >>> y, idx = F.max_pool2d(x, 2, return_indices=True)
        >>> y
        tensor([[[5., 2.],
                 [6., 8.]]], dtype=float64, grad_fn=<MaxPool2dBackward>)
        >>> idx                                           # tie 2, 2, 2 and 8, 8: the first wins
        tensor([[[ 1,  2],
                 [12, 11]]])
    """
    op = "max_pool2d"
    kernel, stride, dilation, out_size, pads = _setup(op, input, kernel_size, stride, padding,
                                                      dilation, ceil_mode)
    return MaxPool2d.apply(input, kernel, stride, dilation, out_size, pads, bool(return_indices))


# ---------------------------------------------------------------------- average pooling
def _avg_divisor(H, W, kernel, stride, padding, out_size, count_include_pad,
                 divisor_override, dtype):
    """The divisor of each window: a number, or an (H_out, W_out) array.

    With ``count_include_pad`` a window counts its cells inside input + padding (all kH·kW
    of them unless a ceil_mode window runs past the padded border); without it only its
    cells inside the input. Windows are rectangles, so the count is a product of a count
    along rows and one along columns."""
    if divisor_override is not None:
        return divisor_override
    counts = []
    for size, k, s, p, n in zip((H, W), kernel, stride, padding, out_size):
        start = np.arange(n) * s - p                      # first row of each window
        end = np.minimum(start + k, size + p)             # clipped to input + padding
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    if count_include_pad and counts[0].min() == kernel[0] and counts[1].min() == kernel[1]:
        return kernel[0] * kernel[1]                      # every window is whole
    return (counts[0][:, None] * counts[1][None, :]).astype(dtype)


class AvgPool2d(Function):
    """avg_pool2d on arrays; the arguments are validated by :func:`avg_pool2d`. The
    backward, spreading ȳ / divisor over each window, is :class:`AvgPoolGrad`, whose own
    backward is this op again (both are linear)."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: Any, kernel: Pair, stride: Pair, out_size: Pair, pads: Pads,
                divisor: float | np.ndarray) -> Any:
        ctx.unbatched = x.ndim == 3
        x = _batched(x)
        x_pad = _pad(x, pads, 0)                          # (N, C, Hp, Wp), zeros
        offsets = _offset_slices(*kernel, stride, (1, 1), *out_size)
        total = np.empty(x.shape[:2] + tuple(out_size), x.dtype)   # (N, C, H_out, W_out)

        def pool(lo, hi):                                 # batch elements lo .. hi − 1
            x_n, total_n = x_pad[lo:hi], total[lo:hi]
            _, _, rows, cols = offsets[0]
            np.copyto(total_n, x_n[:, :, rows, cols])
            for _, _, rows, cols in offsets[1:]:          # the sum over the window
                total_n += np.ascontiguousarray(x_n[:, :, rows, cols])   # (see max_pool2d)
            total_n /= divisor
        _by_batch(pool, x_pad.shape)
        ctx.geometry = (x.shape, x_pad.shape, pads, kernel, stride, out_size, divisor)
        return total[0] if ctx.unbatched else total

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        if ctx.unbatched:
            dy = dy.reshape((1,) + tuple(dy.shape))
        dx = AvgPoolGrad.call(dy, ctx.geometry)
        if ctx.unbatched:
            dx = dx.reshape(tuple(dx.shape[1:]))
        return dx, None, None, None, None, None


class AvgPoolGrad(Function):
    """∂L/∂x of average pooling (batched): each cell of a window gets ȳ / divisor."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, dy: Any, geometry: AvgGeometry) -> Any:
        ctx.geometry = geometry
        x_shape, xp_shape, ((top, _), (left, _)), kernel, stride, out_size, divisor = geometry
        share = dy / divisor                              # each cell's share: ȳ / divisor
        N, C, H_out, W_out = share.shape
        (kH, kW) = kernel
        H, W = x_shape[2:]
        # when the windows tile the input, every element is written below: no zeros needed
        tiles = stride == kernel and (H_out * kH, W_out * kW) == (H, W) and xp_shape == x_shape
        dx_pad = (np.empty if tiles else np.zeros)(xp_shape, dtype=share.dtype)
        offsets = _offset_slices(kH, kW, stride, (1, 1), H_out, W_out)
        disjoint = _disjoint(kernel, stride, (1, 1))

        def spread(lo, hi):                               # batch elements lo .. hi − 1
            dx_n, share_n = dx_pad[lo:hi], share[lo:hi]
            for _, _, rows, cols in offsets:
                if disjoint:                              # each element in at most one window
                    dx_n[:, :, rows, cols] = share_n
                else:                                     # overlapping windows add up
                    dx_n[:, :, rows, cols] += share_n
        _by_batch(spread, xp_shape)
        return dx_pad[:, :, top:top + H, left:left + W]

    @staticmethod
    def backward(ctx: Any, ddx: Any) -> Any:
        _, _, pads, kernel, stride, out_size, divisor = ctx.geometry
        return AvgPool2d.call(ddx, kernel, stride, out_size, pads, divisor), None


def avg_pool2d(input: Tensor, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    r"""2-D average pooling: the mean of each window of each channel.

    The formula, for output (i, j), with window rows h0 .. h1 − 1 and columns w0 .. w1 − 1
    (the window clipped to input + padding)::

        h0 = i·s_h − p_h,   h1 = min(h0 + kH, H + p_h)
        w0 = j·s_w − p_w,   w1 = min(w0 + kW, W + p_w)

        y[n, c, i, j] = ( Σ_{r = max(h0,0)}^{min(h1,H)−1} Σ_{t = max(w0,0)}^{min(w1,W)−1} x[n, c, r, t] ) / divisor

        divisor = (h1 − h0)·(w1 − w0)                                   (count_include_pad=True)
                = (min(h1, H) − max(h0, 0))·(min(w1, W) − max(w0, 0))   (count_include_pad=False)
                = divisor_override                                      (when given)

    Padding counts as zeros. The divisor is kH·kW for every whole window, but (PyTorch's
    rule) a ``ceil_mode`` window that runs past the padded border counts only its part
    inside input + padding.

    Gradient: linear, so each window spreads ȳ[n, c, i, j] / divisor evenly over its
    input cells, and overlapping windows add up: per (n, c), Σ ∂L/∂x = Σ_{i,j}
    ȳ[n, c, i, j]·|R_ij| / divisor_ij, |R_ij| the window's cells inside the input. So the
    total gradient is conserved, Σ ∂L/∂x = Σ ȳ, whenever no padding is counted
    (``count_include_pad=False`` or no padding, and no ``divisor_override``), overlapping
    windows included; with padding counted, the padding's share of each window's gradient
    is lost.

    Args:
        input: (N, C, H, W), or unbatched (C, H, W).
        kernel_size: an int or a pair (kH, kW), >= 1.
        stride: an int or a pair, >= 1; None (the default) means ``kernel_size``.
        padding: an int or a pair, at most half of ``kernel_size`` (as PyTorch).
        ceil_mode: round the output size up instead of down (see Returns).
        count_include_pad: whether zero padding counts in the divisor.
        divisor_override: if given (a non-zero int), the divisor of every window.

    Returns:
        (N, C, H_out, W_out), or (C, H_out, W_out) for an unbatched input, with ::

            H_out = floor((H + 2·p_h − kH) / s_h) + 1

        (``ceil`` instead of ``floor`` with ``ceil_mode``, minus one if that last window
        would start at or after H + p_h; the same for W_out).

    Raises:
        TypeError: ``input`` is not a Tensor, or a hyper-parameter is not an int or pair.
        ValueError: wrong rank, kernel_size/stride < 1, negative padding or padding over
            half the kernel, ``divisor_override`` of 0, or an empty output.

    Example:
        >>> import numpy as np, minidl as md, minidl.functional as F
        >>> x = md.tensor(np.arange(1.0, 10.0).reshape(1, 3, 3))   # rows 1 2 3 | 4 5 6 | 7 8 9
        >>> F.avg_pool2d(x, 2, ceil_mode=True).numpy()[0]           # edge windows: 2, 2 and 1 cells
        array([[3. , 4.5],
               [7.5, 9. ]])
    """
    op = "avg_pool2d"
    kernel, stride, _, out_size, pads = _setup(op, input, kernel_size, stride, padding, 1,
                                               ceil_mode)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or isinstance(divisor_override, bool):
            raise TypeError(f"avg_pool2d: divisor_override must be an int or None, got "
                            f"{divisor_override!r}")
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must be non-zero, got 0")
    H, W = input.shape[-2:]
    dtype = input.dtype if input.dtype.kind == "f" else np.float64
    divisor = _avg_divisor(H, W, kernel, stride, (pads[0][0], pads[1][0]), out_size,
                           count_include_pad, divisor_override, dtype)
    return AvgPool2d.apply(input, kernel, stride, out_size, pads, divisor)
