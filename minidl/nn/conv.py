"""``Conv2d``, the convolution layer (F1): PyTorch's arguments, parameter names and
initialisation, on top of :func:`minidl.functional.conv2d`; ``Conv1d``, ``ConvTranspose1d``
and ``ConvTranspose2d`` on :func:`minidl.functional.conv1d` and the transposed convolutions."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..arguments import is_int as _is_int, pair as _pair
from . import init
from .module import Module, Parameter, _check_device

if TYPE_CHECKING:
    from .._typing import DType, Size2
    from ..tensor import Tensor

__all__ = ["Conv2d", "Conv1d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


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
        padding_mode: ``"zeros"`` (default), ``"reflect"``, ``"replicate"`` or
            ``"circular"``: how the input is padded before the convolution.
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

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size2,
        stride: Size2 = 1,
        padding: Size2 | str = 0,
        dilation: Size2 = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
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
        for name, v in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):  # type: ignore[assignment]
            if min(v) < 1:  # type: ignore[call-overload]
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

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform(a=√5) → U(±1/√fan_in), and U(±1/√fan_in) for bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)  # (C_in/groups)·kH·kW
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode == "zeros" or self.padding == "valid":
            return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)
        # reflect / replicate / circular: pad by that rule first, then convolve unpadded
        pads: list[int] = []
        dilation, kernel = _ints(self.dilation, 2, "Conv2d", "dilation"), _ints(
            self.kernel_size, 2, "Conv2d", "kernel_size")
        for i in (1, 0):                                  # F.pad lists the last axis first
            if self.padding == "same":
                total = dilation[i] * (kernel[i] - 1)
                pads += [total // 2, total - total // 2]
            else:
                p = _ints(self.padding, 2, "Conv2d", "padding")[i]
                pads += [p, p]
        return F.conv2d(F.pad(input, tuple(pads), mode=self.padding_mode), self.weight,
                        self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
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


def _ints(value, n, op, name):
    """An int or an n-tuple of ints as an n-tuple, type-checked."""
    if _is_int(value):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(_is_int(v) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")


class _ConvNd(Module):
    """What Conv1d, ConvTranspose1d and ConvTranspose2d share: argument checks, the
    parameters, PyTorch's initialisation and repr. ``n`` spatial dimensions."""

    n = 1
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, padding_mode, device, dtype, output_padding=0):
        op = type(self).__name__
        _check_device(op, device)
        super().__init__()
        n = self.n
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
        kernel_size = _ints(kernel_size, n, op, "kernel_size")
        stride = _ints(stride, n, op, "stride")
        dilation = _ints(dilation, n, op, "dilation")
        output_padding = _ints(output_padding, n, op, "output_padding")
        for name, v in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
            if min(v) < 1:
                raise ValueError(f"{op}: {name} must be >= 1, got {name}={v}")
        if isinstance(padding, str):
            if self.transposed:
                raise ValueError(f"{op}: padding must be an int or a tuple of ints (no "
                                 f"'same'/'valid' for a transposed convolution), got {padding!r}")
            if padding not in ("valid", "same"):
                raise ValueError(f"{op}: padding must be an int, a tuple of ints, 'valid' or "
                                 f"'same', got {padding!r}")
            if padding == "same" and stride != (1,) * n:
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions, got stride={stride}")
        else:
            padding = _ints(padding, n, op, "padding")
            if min(padding) < 0:
                raise ValueError(f"{op}: padding must be >= 0, got padding={padding}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{op}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        if self.transposed:
            if padding_mode != "zeros":
                raise ValueError(f"{op}: only 'zeros' padding_mode is supported (as in "
                                 f"PyTorch), got {padding_mode!r}")
            for a, s, d in zip(output_padding, stride, dilation):
                if a >= s and a >= d:
                    raise ValueError(f"{op}: output_padding must be smaller than either stride "
                                     f"or dilation, got output_padding={output_padding}, "
                                     f"stride={stride}, dilation={dilation}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.groups, self.padding_mode = dilation, int(groups), padding_mode
        self.output_padding = output_padding
        dtype = np.dtype(dtype or get_default_dtype())
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform(a=√5) → U(±1/√fan_in), and U(±1/√fan_in) for
        the bias, with fan_in = weight.shape[1]·Πk (for a transposed convolution that is
        (C_out/groups)·Πk, as PyTorch)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _padded(self, input):
        """The input padded by ``padding_mode`` (reflect/replicate/circular), or itself."""
        if self.padding_mode == "zeros":
            return input, self.padding
        if self.padding == "valid":
            return input, 0
        pads = []
        for i in reversed(range(self.n)):                 # F.pad lists the last axis first
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                pads += [total // 2, total - total // 2]
            else:
                pads += [self.padding[i], self.padding[i]]
        return F.pad(input, tuple(pads), mode=self.padding_mode), 0

    def extra_repr(self):
        n = self.n
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    r"""1-D convolution layer (cross-correlation, as in PyTorch), on :func:`minidl.functional.conv1d`::

        y[n, o, i] = b[o] + Σ_c Σ_q x_pad[n, g·C_in/groups + c, i·s + q·d] · w[o, c, q]

    Args:
        in_channels, out_channels: C_in and C_out, both divisible by ``groups``.
        kernel_size: an int (or a 1-tuple) k.
        stride: >= 1. padding: an int >= 0, ``"valid"`` or ``"same"`` (stride 1 only).
        dilation: >= 1. groups: independent channel groups. bias: default True.
        padding_mode: ``"zeros"`` (default), ``"reflect"``, ``"replicate"`` or
            ``"circular"`` (the input is padded with :func:`minidl.functional.pad` first).
        device: only None or ``"cpu"``. dtype: the parameters' dtype.

    Shape:
        (N, C_in, L) or (C_in, L) → (N, C_out, L_out) or (C_out, L_out),
        ``L_out = floor((L + 2p − d(k − 1) − 1) / s) + 1``.

    Attributes:
        weight: (C_out, C_in/groups, k), U(−1/√fan_in, 1/√fan_in)
        bias: (C_out,), U(−1/√fan_in, 1/√fan_in), fan_in = (C_in/groups)·k

    >>> import minidl as md, minidl.nn as nn
    >>> conv = nn.Conv1d(16, 33, 3, stride=2)
    >>> conv
    Conv1d(16, 33, kernel_size=(3,), stride=(2,))
    >>> conv(md.ones(20, 16, 50)).shape
    (20, 33, 24)
    """

    n = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int | str = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._padded(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class _ConvTransposeNd(_ConvNd):
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
            output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
            dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule: each size must lie
        between the smallest output, output_padding 0, and that plus stride − 1)."""
        if output_size is None:
            return self.output_padding
        op, n = type(self).__name__, self.n
        size = tuple(output_size)
        if len(size) == n + 2 or (len(size) == n + 1 and input.ndim == n + 1):
            size = size[-n:]
        if len(size) != n or not all(_is_int(v) for v in size):
            raise ValueError(f"{op}: output_size must have {n} or {n + 2} elements, got "
                             f"{output_size!r}")
        result = []
        for i in range(n):
            dim = input.shape[input.ndim - n + i]
            smallest = ((dim - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            largest = smallest + self.stride[i] - 1
            if not smallest <= size[i] <= largest:
                raise ValueError(f"{op}: requested output size {tuple(output_size)} is not "
                                 f"reachable: dimension {i} must be between {smallest} and "
                                 f"{largest} for input shape {input.shape}")
            result.append(int(size[i]) - smallest)
        return tuple(result)


class ConvTranspose1d(_ConvTransposeNd):
    r"""1-D transposed convolution layer, on :func:`minidl.functional.conv_transpose1d`
    (the input-gradient of a 1-D convolution used as a layer).

    Args:
        in_channels, out_channels, kernel_size, stride, padding, output_padding, groups,
        bias, dilation: as :func:`minidl.functional.conv_transpose1d`.
        padding_mode: only ``"zeros"`` (as PyTorch).

    Shape:
        (N, C_in, L) or (C_in, L) → (N, C_out, L_out) or (C_out, L_out),
        ``L_out = (L − 1)·s − 2p + d(k − 1) + output_padding + 1``; ``forward(input,
        output_size)`` picks the output_padding that gives ``output_size``.

    Attributes:
        weight: (C_in, C_out/groups, k), U(−1/√fan_in, 1/√fan_in)
        bias: (C_out,), U(−1/√fan_in, 1/√fan_in), fan_in = (C_out/groups)·k (PyTorch's
        fan of this weight layout)

    >>> import minidl as md, minidl.nn as nn
    >>> up = nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1)
    >>> up
    ConvTranspose1d(8, 4, kernel_size=(4,), stride=(2,), padding=(1,))
    >>> up(md.ones(2, 8, 10)).shape
    (2, 4, 20)
    """

    n = 1

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    r"""2-D transposed convolution layer, on :func:`minidl.functional.conv_transpose2d`:
    the input-gradient of a convolution, used as an upsampling layer (DCGAN, U-Net).

    Args:
        in_channels, out_channels: C_in and C_out, both divisible by ``groups``.
        kernel_size, stride, padding, output_padding, dilation: ints or pairs, as
            :func:`minidl.functional.conv_transpose2d`.
        groups: independent channel groups. bias: default True.
        padding_mode: only ``"zeros"`` (as PyTorch).
        device: only None or ``"cpu"``. dtype: the parameters' dtype.

    Shape:
        (N, C_in, H, W) or (C_in, H, W) → (N, C_out, H_out, W_out) or (C_out, H_out, W_out),
        ``H_out = (H − 1)·s_h − 2·p_h + d_h·(kH − 1) + output_padding_h + 1``;
        ``forward(input, output_size)`` picks the output_padding that gives ``output_size``.

    Attributes:
        weight: (C_in, C_out/groups, kH, kW), U(−1/√fan_in, 1/√fan_in)
        bias: (C_out,), U(−1/√fan_in, 1/√fan_in), fan_in = (C_out/groups)·kH·kW (PyTorch's
        fan of this weight layout)

    >>> import minidl as md, minidl.nn as nn
    >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
    >>> up
    ConvTranspose2d(16, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))
    >>> up(md.ones(1, 16, 12, 12)).shape
    (1, 8, 24, 24)
    """

    n = 2

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)
