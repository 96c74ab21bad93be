"""``Conv2d``, the convolution layer (F1): PyTorch's arguments, parameter names and
initialisation, on top of :func:`minidl.functional.conv2d`."""
import math

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..arguments import is_int as _is_int, pair as _pair
from . import init
from .module import Module, Parameter, _check_device

__all__ = ["Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _NotImplementedArgument(NotImplementedError, ValueError):
    """A value PyTorch accepts and minidl does not do (a ValueError too, for old callers)."""


class Conv2d(Module):
    r"""2-D convolution layer (cross-correlation, as in PyTorch).

    The formula (see :func:`minidl.functional.conv2d` for stride, padding, dilation and
    groups in full)::

        y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q x_pad[n, g·C_in/groups + c, i·s_h + p·d_h, j·s_w + q·d_w] · w[o, c, p, q]

    Args:
        in_channels, out_channels: C_in and C_out, both divisible by ``groups``.
        kernel_size: an int or a pair (kH, kW).
        stride: an int or a pair, >= 1.
        padding: an int or a pair, >= 0, or ``"valid"`` or ``"same"`` (stride 1 only).
        dilation: an int or a pair, >= 1.
        groups: split the channels into this many independent groups.
        bias: learn an additive bias per output channel (default True).
        padding_mode: only ``"zeros"`` is implemented.
        device: only None or ``"cpu"``.
        dtype: the parameters' dtype (default: the default dtype).

    Shape:
        input (N, C_in, H, W) or (C_in, H, W) → output (N, C_out, H_out, W_out) or
        (C_out, H_out, W_out), with ``H_out = floor((H + 2·p_h − d_h·(kH − 1) − 1) / s_h) + 1``
        and the same for W_out.

    Attributes:
        weight: (C_out, C_in/groups, kH, kW), U(−1/√fan_in, 1/√fan_in)
        bias: (C_out,), U(−1/√fan_in, 1/√fan_in), with fan_in = (C_in/groups)·kH·kW

    Raises:
        TypeError, ValueError: arguments of the wrong kind or out of range.

    >>> import minidl as md, minidl.nn as nn
    >>> conv = nn.Conv2d(1, 32, 3)
    >>> conv
    Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))
    >>> conv(md.ones(8, 1, 28, 28)).shape
    (8, 32, 26, 26)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        _check_device(type(self).__name__, device)
        super().__init__()
        op = "Conv2d"
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("groups", groups)):
            if not _is_int(v):
                raise TypeError(f"{op}: {name} must be an int, got {v!r}")
            if v < 1:
                raise ValueError(f"{op}: {name} must be >= 1, got {v}")
        if in_channels % groups:
            raise ValueError(f"{op}: in_channels={in_channels} must be divisible by "
                             f"groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{op}: out_channels={out_channels} must be divisible by "
                             f"groups={groups}")
        kernel_size = _pair(kernel_size, op, "kernel_size")
        stride = _pair(stride, op, "stride")
        dilation = _pair(dilation, op, "dilation")
        for name, v in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
            if min(v) < 1:
                raise ValueError(f"{op}: {name} must be >= 1, got {name}={v}")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{op}: padding must be an int, a pair of ints, 'valid' or "
                                 f"'same', got {padding!r}")
            if padding == "same" and stride != (1, 1):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions, got stride={stride}")
        else:
            padding = _pair(padding, op, "padding")
            if min(padding) < 0:
                raise ValueError(f"{op}: padding must be >= 0, got padding={padding}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{op}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        if padding_mode != "zeros":
            raise _NotImplementedArgument(f"{op}: padding_mode={padding_mode!r} is not "
                                          f"implemented in minidl; only 'zeros'")
        if device not in (None, "cpu"):
            raise ValueError(f"{op}: minidl runs on the CPU only, got device={device!r}")

        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.groups, self.padding_mode = dilation, int(groups), padding_mode
        dtype = np.dtype(dtype or get_default_dtype())
        shape = (self.out_channels, self.in_channels // self.groups) + kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))         # (C_out, C_in/groups, kH, kW)
        self.bias = Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform(a=√5) → U(±1/√fan_in), and U(±1/√fan_in) for bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)  # (C_in/groups)·kH·kW
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
