"""``MaxPool2d`` and ``AvgPool2d`` (F2): PyTorch's arguments and repr, on top of
:func:`minidl.functional.max_pool2d` and :func:`minidl.functional.avg_pool2d`."""
import numpy as np

from .. import functional as F
from ..arguments import pair as _pair
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d"]


def _check_pool_args(op, kernel_size, stride, padding, dilation=1):
    """Validate at construction what the functional op would reject at the first call."""
    k = _pair(kernel_size, op, "kernel_size")
    s = k if stride is None else _pair(stride, op, "stride")
    p = _pair(padding, op, "padding")
    d = _pair(dilation, op, "dilation")
    for name, v, pair in (("kernel_size", kernel_size, k), ("stride", stride, s),
                          ("dilation", dilation, d)):
        if min(pair) < 1:
            raise ValueError(f"{op}: {name} must be >= 1, got {name}={v!r}")
    if min(p) < 0:
        raise ValueError(f"{op}: padding must be >= 0, got padding={padding!r}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding must be at most half of kernel_size, got "
                         f"padding={padding!r}, kernel_size={kernel_size!r}")


class MaxPool2d(Module):
    r"""2-D max pooling: ``y[n, c, i, j] = max_{p, q} x_pad[n, c, i·s_h + p·d_h, j·s_w + q·d_w]``.

    See :func:`minidl.functional.max_pool2d` (the gradient goes to the first maximum of
    each window in row-major scan order, as PyTorch).

    Args:
        kernel_size: an int or a pair.
        stride: an int or a pair; None (the default) means ``kernel_size``.
        padding: an int or a pair, at most half of ``kernel_size``.
        dilation: an int or a pair.
        return_indices: also return the flat index of each maximum.
        ceil_mode: round the output size up instead of down.

    Shape:
        (N, C, H, W) or (C, H, W) → (N, C, H_out, W_out) or (C, H_out, W_out), with
        ``H_out = floor((H + 2·p_h − d_h·(kH − 1) − 1) / s_h) + 1`` (ceil with ``ceil_mode``).

    >>> import minidl as md, minidl.nn as nn
    >>> pool = nn.MaxPool2d(2)
    >>> pool
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> pool(md.ones(8, 32, 26, 26)).shape
    (8, 32, 13, 13)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        _check_pool_args("MaxPool2d", kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    r"""2-D average pooling: the mean of each window (see :func:`minidl.functional.avg_pool2d`
    for the divisor with padding and ``ceil_mode``).

    Args:
        kernel_size: an int or a pair.
        stride: an int or a pair; None (the default) means ``kernel_size``.
        padding: an int or a pair, at most half of ``kernel_size``.
        ceil_mode: round the output size up instead of down.
        count_include_pad: whether zero padding counts in the divisor.
        divisor_override: if given, the divisor of every window.

    Shape:
        (N, C, H, W) or (C, H, W) → (N, C, H_out, W_out) or (C, H_out, W_out), with
        ``H_out = floor((H + 2·p_h − kH) / s_h) + 1`` (ceil with ``ceil_mode``).

    >>> import minidl as md, minidl.nn as nn
    >>> pool = nn.AvgPool2d(2)
    >>> pool
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    >>> pool(md.ones(8, 32, 26, 26)).shape
    (8, 32, 13, 13)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        _check_pool_args("AvgPool2d", kernel_size, stride, padding)
        if divisor_override is not None and (
                not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0):
            raise ValueError(f"AvgPool2d: divisor_override must be a non-zero int or None, got "
                             f"{divisor_override!r}")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, bool(ceil_mode)
        self.count_include_pad, self.divisor_override = bool(count_include_pad), divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
