"""``Unfold`` (im2col) and ``Fold`` (col2im): modules on :func:`minidl.functional.unfold` and
:func:`minidl.functional.fold`."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import functional as F
from .module import Module

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    r"""Extract sliding blocks: (N, C, H, W) → (N, C·kH·kW, L); see
    :func:`minidl.functional.unfold`.

    >>> import minidl as md, minidl.nn as nn
    >>> unfold = nn.Unfold(kernel_size=(2, 3))
    >>> unfold
    Unfold(kernel_size=(2, 3), dilation=1, padding=0, stride=1)
    >>> unfold(md.ones(2, 5, 3, 4)).shape
    (2, 30, 4)
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        dilation: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        stride: int | tuple[int, ...] = 1,
    ) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    r"""Sum sliding blocks into an image: (N, C·kH·kW, L) → (N, C, H, W); see
    :func:`minidl.functional.fold`.

    >>> import minidl as md, minidl.nn as nn
    >>> fold = nn.Fold(output_size=(4, 5), kernel_size=(2, 2))
    >>> fold
    Fold(output_size=(4, 5), kernel_size=(2, 2), dilation=1, padding=0, stride=1)
    >>> fold(md.ones(1, 3 * 2 * 2, 12)).shape
    (1, 3, 4, 5)
    """

    def __init__(
        self,
        output_size: int | tuple[int, ...],
        kernel_size: int | tuple[int, ...],
        dilation: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        stride: int | tuple[int, ...] = 1,
    ) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
