"""``MaxPool2d`` and ``AvgPool2d`` (F2): PyTorch's arguments and repr, on top of
:func:`minidl.functional.max_pool2d` and :func:`minidl.functional.avg_pool2d`; the 1-D
and adaptive pools on their functions in ``minidl/functional/pooling.py``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import functional as F
from ..arguments import pair as _pair
from .module import Module

if TYPE_CHECKING:
    from .._typing import Size2
    from ..tensor import Tensor

__all__ = ["MaxPool2d", "AvgPool2d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


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

    def __init__(
        self,
        kernel_size: Size2,
        stride: Size2 | None = None,
        padding: Size2 = 0,
        dilation: Size2 = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        _check_pool_args("MaxPool2d", kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, input: Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
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

    def __init__(
        self,
        kernel_size: Size2,
        stride: Size2 | None = None,
        padding: Size2 = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
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

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    """Adaptive pooling modules: the output size is fixed, the windows are PyTorch's
    ``start = floor(i·H/H_out)``, ``end = ceil((i + 1)·H/H_out)``."""

    function: Callable[..., Any]        # the functional form, set by each subclass

    def __init__(self, output_size: int | None | tuple[int | None, ...]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Any:
        return type(self).function(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: int | None | tuple[int | None, ...],
                 return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = bool(return_indices)

    def forward(self, input: Tensor) -> Any:
        return type(self).function(input, self.output_size, self.return_indices)


class AdaptiveAvgPool2d(_AdaptivePool):
    r"""2-D adaptive average pooling to a fixed ``output_size`` (an int, or a pair whose
    entries may be None = keep the input's size); see
    :func:`minidl.functional.adaptive_avg_pool2d`.

    Shape:
        (N, C, H, W) or (C, H, W) → (N, C, H_out, W_out) or (C, H_out, W_out).

    >>> import minidl as md, minidl.nn as nn
    >>> pool = nn.AdaptiveAvgPool2d((1, 1))
    >>> pool
    AdaptiveAvgPool2d(output_size=(1, 1))
    >>> pool(md.ones(8, 512, 7, 7)).shape
    (8, 512, 1, 1)
    """

    function = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool1d(_AdaptivePool):
    r"""1-D adaptive average pooling to ``output_size`` L_out; (N, C, L) or (C, L) →
    (N, C, L_out) or (C, L_out). See :func:`minidl.functional.adaptive_avg_pool1d`.

    >>> import minidl as md, minidl.nn as nn
    >>> nn.AdaptiveAvgPool1d(5)(md.ones(2, 3, 12)).shape
    (2, 3, 5)
    """

    function = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    r"""2-D adaptive max pooling to a fixed ``output_size``; with ``return_indices`` also
    the flat index of each maximum in its plane. See
    :func:`minidl.functional.adaptive_max_pool2d`.

    Shape:
        (N, C, H, W) or (C, H, W) → (N, C, H_out, W_out) or (C, H_out, W_out).

    >>> import minidl as md, minidl.nn as nn
    >>> pool = nn.AdaptiveMaxPool2d((5, None))
    >>> pool
    AdaptiveMaxPool2d(output_size=(5, None))
    >>> pool(md.ones(1, 64, 8, 9)).shape
    (1, 64, 5, 9)
    """

    function = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    r"""1-D adaptive max pooling to ``output_size`` L_out; see
    :func:`minidl.functional.adaptive_max_pool1d`.

    >>> import minidl as md, minidl.nn as nn
    >>> nn.AdaptiveMaxPool1d(1)(md.ones(2, 3, 12)).shape
    (2, 3, 1)
    """

    function = staticmethod(F.adaptive_max_pool1d)


class MaxPool1d(Module):
    r"""1-D max pooling, ``y[n, c, i] = max_q x_pad[n, c, i·s + q·d]``; see
    :func:`minidl.functional.max_pool1d`.

    Args:
        kernel_size, stride (default kernel_size), padding (<= kernel_size / 2), dilation,
        return_indices, ceil_mode: as PyTorch's.

    Shape:
        (N, C, L) or (C, L) → (N, C, L_out) or (C, L_out),
        ``L_out = floor((L + 2p − d(k − 1) − 1) / s) + 1``.

    >>> import minidl as md, minidl.nn as nn
    >>> pool = nn.MaxPool1d(3, stride=2)
    >>> pool
    MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> pool(md.ones(20, 16, 50)).shape
    (20, 16, 24)
    """

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0,
                 dilation: int = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, input: Tensor) -> Any:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


def _single(op, name, value):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise TypeError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        return (value[0],)
    return (value,)


class AvgPool1d(Module):
    r"""1-D average pooling; see :func:`minidl.functional.avg_pool1d`.

    Args:
        kernel_size, stride (default kernel_size), padding, ceil_mode, count_include_pad:
        as PyTorch's (stored as 1-tuples, as PyTorch).

    Shape:
        (N, C, L) or (C, L) → (N, C, L_out) or (C, L_out), ``L_out = floor((L + 2p − k) / s) + 1``.

    >>> import minidl as md, minidl.nn as nn
    >>> pool = nn.AvgPool1d(3, stride=2)
    >>> pool
    AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))
    >>> pool(md.ones(1, 1, 7)).shape
    (1, 1, 3)
    """

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        op = "AvgPool1d"
        self.kernel_size = _single(op, "kernel_size", kernel_size)
        self.stride = _single(op, "stride", stride if stride is not None else kernel_size)
        self.padding = _single(op, "padding", padding)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
