"""F2, max pooling and average pooling, as literal loops (forward only, NumPy only).

Both follow PyTorch exactly, including its corner cases:

* ``stride`` defaults to ``kernel_size``;
* output size (per spatial dimension, k kernel, s stride, p padding, d dilation)::

      H_out = floor((H + 2p − d(k − 1) − 1) / s) + 1          (ceil_mode=False)
      H_out = ceil ((H + 2p − d(k − 1) − 1) / s) + 1          (ceil_mode=True)

  and with ``ceil_mode`` the last window is dropped when it would start inside the
  right/bottom padding or past it: if (H_out − 1)·s ≥ H + p then H_out −= 1;
  ``ceil_mode`` windows may run past the padded border;
* padding is at most half the kernel size, p ≤ ⌊k/2⌋ (PyTorch's rule). Without dilation
  every window then holds at least one input element; with dilation a window can fall
  entirely on padding, and max pooling gives −inf there (index −1 here).

Shape legend: N batch, C channels, H / W height and width, kH / kW kernel size.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .conv import _pair, _result_dtype

if TYPE_CHECKING:
    from .._typing import Size2


def _pool_out_size(op, size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size along one dimension (see the module docstring)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1   # floor, or ceil, of span / s, plus 1
    if ceil_mode and (out - 1) * s >= size + p:            # last window would start in/after the padding
        out -= 1
    if out < 1:
        raise ValueError(f"{op}: output would be empty along a dimension of size {size} "
                         f"(kernel {k}, stride {s}, padding {p}, dilation {d})")
    return out


def _pool_setup(op, input, kernel_size, stride, padding, dilation):
    """Ranks, int-or-pair arguments and PyTorch's checks, shared by both poolings."""
    x = np.asarray(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    kH, kW = _pair(kernel_size, op, "kernel_size")
    s_h, s_w = (kH, kW) if stride is None or (not np.isscalar(stride) and len(stride) == 0) \
        else _pair(stride, op, "stride")
    p_h, p_w = _pair(padding, op, "padding")
    d_h, d_w = _pair(dilation, op, "dilation")
    if min(kH, kW, s_h, s_w, d_h, d_w) < 1 or min(p_h, p_w) < 0:
        raise ValueError(f"{op}: kernel_size, stride, dilation must be >= 1 and padding >= 0, got "
                         f"kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}")
    # PyTorch: pad should be smaller than or equal to half of the kernel size.
    if p_h > kH // 2 or p_w > kW // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half of the kernel size "
                         f"(kernel_size={kernel_size})")
    return x, (kH, kW), (s_h, s_w), (p_h, p_w), (d_h, d_w)


def max_pool2d(
    input: np.ndarray,
    kernel_size: Size2,
    stride: Size2 | None = None,
    padding: Size2 = 0,
    dilation: Size2 = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    r"""2-D max pooling, one output element at a time, with PyTorch's semantics.

    The formula, with the input padded by -inf (so a padding cell is never the maximum)::

        y[n, c, i, j] = max_{p, q} x_pad[n, c, i·s_h + p·d_h, j·s_w + q·d_w]

        p = 0 .. kH − 1,   q = 0 .. kW − 1

    Ties: the first maximum in the window's scan order (row-major: p, then q) is the
    one reported by ``return_indices``, as PyTorch does. A NaN in the window wins, as in
    PyTorch (so NaN propagates).

    This is a reference: slow on purpose, one Python loop per index of the formula.

    Args:
        input: (N, C, H, W), or unbatched (C, H, W).
        kernel_size: an int or a pair (kH, kW).
        stride: an int or a pair; None (the default) means ``kernel_size``.
        padding: an int or a pair, at most half of the kernel size.
        dilation: an int or a pair.
        ceil_mode: round the output size up instead of down (see the module docstring).
        return_indices: also return where each maximum came from.

    Returns:
        y: (N, C, H_out, W_out), or (C, H_out, W_out) for an unbatched input, with
        ``H_out = floor_or_ceil((H + 2p_h − d_h(kH − 1) − 1) / s_h) + 1`` (module docstring).
        indices (only when ``return_indices``): int64, same shape as y, the flat index
        r·W + t of the maximum in the *unpadded* H×W plane of its (n, c), as PyTorch's.

    Raises:
        ValueError: wrong rank, padding too large, or an empty output.

    Example:
        >>> x = np.arange(16.0).reshape(1, 4, 4)
        >>> max_pool2d(x, 2)[0]
        array([[ 5.,  7.],
               [13., 15.]])
    """
    op = "max_pool2d"
    x, (kH, kW), (s_h, s_w), (p_h, p_w), (d_h, d_w) = _pool_setup(
        op, input, kernel_size, stride, padding, dilation)
    out_dtype = _result_dtype(x)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    N, C, H, W = x.shape
    H_out = _pool_out_size(op, H, kH, s_h, p_h, d_h, ceil_mode)
    W_out = _pool_out_size(op, W, kW, s_w, p_w, d_w, ceil_mode)

    y = np.empty((N, C, H_out, W_out), dtype=out_dtype)
    indices = np.empty((N, C, H_out, W_out), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    best, best_index = -np.inf, None
                    for p in range(kH):
                        for q in range(kW):
                            r = i * s_h - p_h + p * d_h          # row and column in the unpadded input
                            t = j * s_w - p_w + q * d_w
                            if not (0 <= r < H and 0 <= t < W):
                                continue                         # a padding cell: -inf, never the max
                            v = x[n, c, r, t]
                            if best_index is None or v > best or np.isnan(v):   # strict >: first max wins
                                best, best_index = v, r * W + t
                    y[n, c, i, j] = best                 # -inf if the window is all padding
                    indices[n, c, i, j] = -1 if best_index is None else best_index

    if unbatched:
        y, indices = y[0], indices[0]
    return (y, indices) if return_indices else y


def avg_pool2d(
    input: np.ndarray,
    kernel_size: Size2,
    stride: Size2 | None = None,
    padding: Size2 = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    r"""2-D average pooling, one output element at a time, with PyTorch's semantics.

    The formula, for output (i, j), with window rows h0 .. h1 − 1 and columns w0 .. w1 − 1::

        h0 = i·s_h − p_h,   h1 = min(h0 + kH, H + p_h)     (the window, clipped to input + padding)
        w0 = j·s_w − p_w,   w1 = min(w0 + kW, W + p_w)
        pool_size = (h1 − h0)·(w1 − w0)

        y[n, c, i, j] = ( Σ_{r = max(h0,0)}^{min(h1,H)−1} Σ_{t = max(w0,0)}^{min(w1,W)−1} x[n, c, r, t] ) / divisor

        divisor = pool_size                                             (count_include_pad=True)
                = (min(h1, H) − max(h0, 0))·(min(w1, W) − max(w0, 0))   (count_include_pad=False)

    So padding cells count as zeros in the divisor when ``count_include_pad`` is True, but
    the part of a ``ceil_mode`` window that runs past the padded border never counts: the
    divisor is not always kH·kW even with ``count_include_pad=True``. (This is PyTorch's
    rule, and surprising: with ceil_mode and no padding, a window that hangs over the
    edge is averaged over only its cells inside the input.)

    This is a reference: slow on purpose, one Python loop per index of the formula.

    Args:
        input: (N, C, H, W), or unbatched (C, H, W).
        kernel_size: an int or a pair (kH, kW).
        stride: an int or a pair; None (the default) means ``kernel_size``.
        padding: an int or a pair, at most half of the kernel size.
        ceil_mode: round the output size up instead of down (see the module docstring).
        count_include_pad: whether zero padding counts in the divisor.

    Returns:
        (N, C, H_out, W_out), or (C, H_out, W_out) for an unbatched input, with
        ``H_out = floor_or_ceil((H + 2p_h − kH) / s_h) + 1`` (module docstring, d = 1).

    Raises:
        ValueError: wrong rank, padding too large, or an empty output.

    Example:
        >>> x = np.arange(1.0, 10.0).reshape(1, 3, 3)          # rows 1 2 3 | 4 5 6 | 7 8 9
        >>> avg_pool2d(x, 2, ceil_mode=True)[0]               # edge windows: 2, 2 and 1 cells
        array([[3. , 4.5],
               [7.5, 9. ]])
    """
    op = "avg_pool2d"
    x, (kH, kW), (s_h, s_w), (p_h, p_w), _ = _pool_setup(op, input, kernel_size, stride, padding, 1)
    out_dtype = _result_dtype(x)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    N, C, H, W = x.shape
    H_out = _pool_out_size(op, H, kH, s_h, p_h, 1, ceil_mode)
    W_out = _pool_out_size(op, W, kW, s_w, p_w, 1, ceil_mode)

    x = x.astype(np.float64)                           # sums in float64
    y = np.empty((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    h0, w0 = i * s_h - p_h, j * s_w - p_w
                    h1, w1 = min(h0 + kH, H + p_h), min(w0 + kW, W + p_w)
                    pool_size = (h1 - h0) * (w1 - w0)          # window ∩ (input + padding)
                    h0, w0 = max(h0, 0), max(w0, 0)            # window ∩ input
                    h1, w1 = min(h1, H), min(w1, W)
                    total = 0.0
                    for r in range(h0, h1):
                        for t in range(w0, w1):
                            total += x[n, c, r, t]
                    divisor = pool_size if count_include_pad else (h1 - h0) * (w1 - w0)
                    y[n, c, i, j] = total / divisor

    if unbatched:
        y = y[0]
    return y.astype(out_dtype)
