r"""Adaptive pooling and 1-D pooling: composites over the pooling primitives and matmul.

Adaptive pooling fixes the *output* size (H_out, W_out) and chooses the windows, as
PyTorch does: output row i covers input rows ::

    start_i = floor(i·H / H_out),   end_i = ceil((i + 1)·H / H_out)

(the same for columns), so neighbouring windows may overlap by one row and their sizes
may differ by one. When H_out divides H this is ordinary pooling with kernel = stride =
H / H_out, which is how it is computed then.

- ``adaptive_avg_pool2d`` is separable: with A_h (H_out, H) the matrix whose row i holds
  1/(end_i − start_i) on columns start_i .. end_i − 1 (and A_w likewise),
  ``y = A_h · x · A_wᵀ`` on every (n, c) plane — two matrix products.
- ``adaptive_max_pool2d`` gathers every window, padded to the largest window size by
  repeating its last row/column (a repeated element never changes a maximum, and comes
  after the original in the scan order, so the first maximum is still a real element),
  and takes the maximum over the window axis.
- ``max_pool1d``/``avg_pool1d`` are the 2-D primitives on a signal one row high.

Shapes legend: N batch, C channels, H/W height and width, L length.
"""
from __future__ import annotations

from typing import TYPE_CHECKING


import numpy as np

from ..arguments import check_tensor, is_int
from ..ops.pooling import avg_pool2d, max_pool2d
from ..tensor import Tensor

if TYPE_CHECKING:
    from typing import Any

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "avg_pool1d", "max_pool1d"]


def _output_size(op, output_size, in_sizes):
    """``output_size`` (an int, or a tuple with ints or None = keep that size) as a tuple."""
    n = len(in_sizes)
    if is_int(output_size):
        sizes = (int(output_size),) * n
    elif isinstance(output_size, (tuple, list)) and len(output_size) == n and all(
            v is None or is_int(v) for v in output_size):
        sizes = tuple(s if v is None else int(v) for v, s in zip(output_size, in_sizes))
    else:
        kind = "an int" if n == 1 else f"an int or a tuple of {n} ints or None"
        raise TypeError(f"{op}: output_size must be {kind}, got {output_size!r}")
    if min(sizes) < 1:
        raise ValueError(f"{op}: output_size must be >= 1, got {output_size!r}")
    return sizes


def _check_input(op, input, n):
    check_tensor(input, op, "input")
    if input.ndim not in (n + 1, n + 2):
        desc = "(N, C, L) or (C, L)" if n == 1 else "(N, C, H, W) or (C, H, W)"
        raise ValueError(f"{op}: input must be {desc}, got shape {input.shape}")
    if min(input.shape[-n:]) < 1 or (input.ndim == n + 2 and input.shape[1] == 0):
        raise ValueError(f"{op}: input has an empty axis, so the output would be empty; "
                         f"input shape {input.shape}")


def _windows(size, out):
    """PyTorch's adaptive windows along one axis: (start, end) for each output index."""
    return [(i * size // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _average_matrix(size, out, dtype):
    """A (out, size): row i is 1/(end_i − start_i) on start_i .. end_i − 1, else 0."""
    A = np.zeros((out, size), dtype=dtype)
    for i, (start, end) in enumerate(_windows(size, out)):
        A[i, start:end] = 1.0 / (end - start)
    return A


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    r"""2-D adaptive average pooling: the mean of PyTorch's adaptive windows.

    ::

        y[n, c, i, j] = mean_{r = start_i}^{end_i − 1} mean_{t = start_j}^{end_j − 1} x[n, c, r, t]

        start_i = floor(i·H / H_out),   end_i = ceil((i + 1)·H / H_out)

    computed as A_h · x · A_wᵀ (module docstring), or as ``avg_pool2d`` with kernel =
    stride = (H / H_out, W / W_out) when those divide.

    Gradient: linear; each window spreads ȳ / (its size) evenly over its cells (cells of
    overlapping windows add up), ∂L/∂x = A_hᵀ · ȳ · A_w.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        output_size: an int, or a pair (H_out, W_out) whose entries may be None (keep the
            input's size).

    Returns:
        (N, C, H_out, W_out) or (C, H_out, W_out).

    Raises:
        TypeError: ``input`` is not a Tensor or ``output_size`` is not an int / pair.
        ValueError: wrong rank, an empty input, an output size < 1.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.arange(5.0).reshape(1, 1, 5))     # windows [0, 3) and [2, 5)
    >>> F.adaptive_avg_pool2d(x, (1, 2))
    tensor([[[1., 3.]]], dtype=float64)
    """
    op = "adaptive_avg_pool2d"
    _check_input(op, input, 2)
    H, W = input.shape[-2:]
    H_out, W_out = _output_size(op, output_size, (H, W))
    if H % H_out == 0 and W % W_out == 0:                   # the windows tile the input
        k = (H // H_out, W // W_out)
        return avg_pool2d(input, k, k)
    x = input if input.dtype.kind == "f" else input.float()
    A_h = Tensor(_average_matrix(H, H_out, x.dtype))       # (H_out, H)
    A_w = Tensor(_average_matrix(W, W_out, x.dtype))       # (W_out, W)
    return A_h @ x @ A_w.T                                  # (N, C, H_out, W_out)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    r"""2-D adaptive max pooling: the maximum of PyTorch's adaptive windows.

    ::

        y[n, c, i, j] = max_{start_i <= r < end_i, start_j <= t < end_j} x[n, c, r, t]

        start_i = floor(i·H / H_out),   end_i = ceil((i + 1)·H / H_out)

    Gradient: each window sends ȳ[n, c, i, j] to the one element it chose (the first
    maximum in row-major scan order, the one PyTorch picks); overlapping windows add up.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        output_size: an int, or a pair (H_out, W_out) whose entries may be None.
        return_indices: also return the flat index r·W + t of each maximum in its plane.

    Returns:
        y (N, C, H_out, W_out) or (C, H_out, W_out); with ``return_indices`` also the
        int64 indices, shaped like y.

    Raises:
        TypeError, ValueError: as :func:`adaptive_avg_pool2d`.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[[3.0, 1.0, 4.0, 1.0, 5.0]]]))  # windows [0, 3) and [2, 5)
    >>> F.adaptive_max_pool2d(x, (1, 2), return_indices=True)
    (tensor([[[4., 5.]]], dtype=float64), tensor([[[2, 4]]]))
    """
    op = "adaptive_max_pool2d"
    _check_input(op, input, 2)
    H, W = input.shape[-2:]
    H_out, W_out = _output_size(op, output_size, (H, W))
    if H % H_out == 0 and W % W_out == 0:                   # the windows tile the input
        k = (H // H_out, W // W_out)
        return max_pool2d(input, k, k, return_indices=return_indices)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for axis_index, (size, out) in enumerate(((H, H_out), (W, W_out))):
        windows = _windows(size, out)
        k_max = max(end - start for start, end in windows)
        # window i's positions start_i .. end_i − 1, the last one repeated up to k_max
        index = np.array([[min(start + q, end - 1) for q in range(k_max)]
                          for start, end in windows])       # (out, k_max)
        (rows if axis_index == 0 else cols).append(index)
    R, C = rows[0], cols[0]                                 # (H_out, kh), (W_out, kw)
    R4, C4 = R[:, :, None, None], C[None, None, :, :]       # broadcast to (H_out, kh, W_out, kw)
    windows = input[..., R4, C4]                            # (N, C, H_out, kh, W_out, kw)
    lead = windows.ndim - 4
    perm = tuple(range(lead)) + (lead, lead + 2, lead + 1, lead + 3)
    windows = windows.permute(*perm)                        # (N, C, H_out, W_out, kh, kw)
    kh, kw = R.shape[1], C.shape[1]
    y, where = windows.reshape(windows.shape[:-2] + (kh * kw,)).max(dim=-1)
    if not return_indices:
        return y
    w = np.asarray(where)
    i_idx = np.arange(H_out)[:, None]
    j_idx = np.arange(W_out)[None, :]
    flat = R[i_idx, w // kw] * W + C[j_idx, w % kw]         # r·W + t of each maximum
    return y, Tensor(flat.astype(np.int64))


def _one_row(op, input, fn2d, output_size):
    _check_input(op, input, 1)
    (L_out,) = _output_size(op, output_size, input.shape[-1:])
    return fn2d(input.unsqueeze(-2), (1, L_out))


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    r"""1-D adaptive average pooling: y[n, c, i] = mean_{start_i <= t < end_i} x[n, c, t],
    with start_i = floor(i·L / L_out), end_i = ceil((i + 1)·L / L_out).

    Args:
        input: (N, C, L) or (C, L).
        output_size: an int L_out.

    Returns:
        (N, C, L_out) or (C, L_out).

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.adaptive_avg_pool1d(md.tensor(np.arange(4.0).reshape(1, 4)), 2)
    tensor([[0.5, 2.5]], dtype=float64)
    """
    return _one_row("adaptive_avg_pool1d", input, adaptive_avg_pool2d, output_size).squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    r"""1-D adaptive max pooling: y[n, c, i] = max_{start_i <= t < end_i} x[n, c, t]
    (windows as :func:`adaptive_avg_pool1d`; the gradient goes to the first maximum).

    Returns:
        (N, C, L_out) or (C, L_out), and with ``return_indices`` the int64 positions t.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.adaptive_max_pool1d(md.tensor(np.array([[1.0, 3.0, 2.0, 0.0]])), 2)
    tensor([[3., 2.]], dtype=float64)
    """
    out = _one_row("adaptive_max_pool1d", input,
                   lambda x, s: adaptive_max_pool2d(x, s, return_indices=True), output_size)
    y, indices = out[0].squeeze(-2), out[1].squeeze(-2)
    return (y, indices) if return_indices else y


def _single(op, name, value, default=None):
    if value is None and default is not None:
        return default
    if is_int(value):
        return int(value)
    if isinstance(value, (tuple, list)) and len(value) == 1 and is_int(value[0]):
        return int(value[0])
    raise TypeError(f"{op}: {name} must be an int (or a 1-tuple), got {value!r}")


def _check_1d(op, input, k, s, p, d, ceil_mode):
    _check_input(op, input, 1)
    for name, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if v < 1:
            raise ValueError(f"{op}: {name} must be >= 1, got {name}={v}")
    if p < 0 or p > k // 2:
        raise ValueError(f"{op}: padding must be >= 0 and at most half of kernel_size, got "
                         f"padding={p}, kernel_size={k}")
    L = input.shape[-1]
    span = L + 2 * p - d * (k - 1) - 1
    L_out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (L_out - 1) * s >= L + p:
        L_out -= 1
    if L_out < 1:
        raise ValueError(f"{op}: output would be empty: input shape {input.shape}, "
                         f"kernel_size {k}, stride {s}, padding {p}, dilation {d}")


def max_pool1d(
    input: Tensor,
    kernel_size: int | tuple[int, ...],
    stride: int | tuple[int, ...] | None = None,
    padding: int | tuple[int, ...] | str = 0,
    dilation: int | tuple[int, ...] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    r"""1-D max pooling: ``y[n, c, i] = max_q x_pad[n, c, i·s + q·d]`` (x_pad padded with −∞).

    :func:`~minidl.functional.max_pool2d` on (N, C, 1, L); the gradient goes to the first
    maximum of each window (PyTorch's choice), overlapping windows add up.

    Args:
        input: (N, C, L) or (C, L).
        kernel_size, stride (default kernel_size), padding (<= kernel_size / 2),
            dilation: ints (or 1-tuples).
        ceil_mode: round the output size up. return_indices: also return the positions.

    Returns:
        (N, C, L_out) or (C, L_out), ``L_out = floor((L + 2p − d(k − 1) − 1) / s) + 1``
        (ceil with ``ceil_mode``); with ``return_indices`` also the int64 positions.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.max_pool1d(md.tensor(np.array([[1.0, 3.0, 2.0, 5.0, 4.0]])), 2)
    tensor([[3., 5.]], dtype=float64)
    """
    op = "max_pool1d"
    k = _single(op, "kernel_size", kernel_size)
    s = _single(op, "stride", stride, default=k) if not (
        isinstance(stride, (tuple, list)) and len(stride) == 0) else k
    p, d = _single(op, "padding", padding), _single(op, "dilation", dilation)
    _check_1d(op, input, k, s, p, d, ceil_mode)
    out = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                     return_indices=True)
    y, indices = out[0].squeeze(-2), out[1].squeeze(-2)
    return (y, indices) if return_indices else y


def avg_pool1d(
    input: Tensor,
    kernel_size: int | tuple[int, ...],
    stride: int | tuple[int, ...] | None = None,
    padding: int | tuple[int, ...] | str = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    r"""1-D average pooling: the mean of each window, ``avg_pool2d`` on (N, C, 1, L).

    ``y[n, c, i] = Σ_{t in window i} x_pad[n, c, t] / divisor`` with the divisor rules of
    :func:`~minidl.functional.avg_pool2d` (padding counts unless ``count_include_pad=False``).
    Gradient: linear, ȳ / divisor spread over each window.

    Args:
        input: (N, C, L) or (C, L).
        kernel_size, stride (default kernel_size), padding (<= kernel_size / 2): ints.
        ceil_mode, count_include_pad: as ``avg_pool2d``.

    Returns:
        (N, C, L_out) or (C, L_out), ``L_out = floor((L + 2p − k) / s) + 1``.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.avg_pool1d(md.tensor(np.array([[1.0, 3.0, 2.0, 5.0]])), 2)
    tensor([[2. , 3.5]], dtype=float64)
    """
    op = "avg_pool1d"
    k = _single(op, "kernel_size", kernel_size)
    s = _single(op, "stride", stride, default=k) if not (
        isinstance(stride, (tuple, list)) and len(stride) == 0) else k
    p = _single(op, "padding", padding)
    _check_1d(op, input, k, s, p, 1, ceil_mode)
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                      count_include_pad).squeeze(-2)
