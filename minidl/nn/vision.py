"""``Upsample`` (and ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``), ``PixelShuffle``,
``PixelUnshuffle``: modules on :mod:`minidl.functional.vision`."""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

from .. import functional as F
from .module import Module

if TYPE_CHECKING:
    from typing import Any
    from ..tensor import Tensor

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
           "PixelUnshuffle"]


class Upsample(Module):
    r"""Resize the spatial axes: :func:`minidl.functional.interpolate` with these arguments.

    Args:
        size: an int or a tuple of output sizes (exactly one of size / scale_factor).
        scale_factor: a number or a tuple (stored as floats, as PyTorch).
        mode: ``"nearest"`` (default), ``"nearest-exact"``, ``"linear"``, ``"bilinear"``,
            ``"bicubic"``, ``"trilinear"`` or ``"area"``.
        align_corners: for the interpolating modes only.
        recompute_scale_factor: compute the index scale from the sizes.

    Shape:
        (N, C, *in_sizes) → (N, C, *out_sizes), ``out = floor(in · scale_factor)`` or ``size``.

    >>> import minidl as md, minidl.nn as nn
    >>> up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
    >>> up
    Upsample(scale_factor=2.0, mode='bilinear')
    >>> up(md.ones(1, 3, 4, 5)).shape
    (1, 3, 8, 10)
    """

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        factor: Any = scale_factor
        if isinstance(scale_factor, tuple):
            factor = tuple(float(f) for f in scale_factor)
        elif isinstance(scale_factor, numbers.Real) and scale_factor:
            factor = float(scale_factor)
        elif not scale_factor:
            factor = None
        self.scale_factor = factor
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode="nearest")`` on (N, C, H, W).

    >>> import minidl as md, minidl.nn as nn
    >>> nn.UpsamplingNearest2d(scale_factor=2)(md.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode="bilinear", align_corners=True)`` on (N, C, H, W).

    >>> import minidl as md, minidl.nn as nn
    >>> nn.UpsamplingBilinear2d(size=(3, 5))(md.ones(1, 1, 2, 2)).shape
    (1, 1, 3, 5)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    r"""(*, C·r², H, W) → (*, C, H·r, W·r); see :func:`minidl.functional.pixel_shuffle`.

    >>> import minidl as md, minidl.nn as nn
    >>> shuffle = nn.PixelShuffle(3)
    >>> shuffle
    PixelShuffle(upscale_factor=3)
    >>> shuffle(md.ones(1, 9, 4, 4)).shape
    (1, 1, 12, 12)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    r"""(*, C, H·r, W·r) → (*, C·r², H, W); see :func:`minidl.functional.pixel_unshuffle`.

    >>> import minidl as md, minidl.nn as nn
    >>> unshuffle = nn.PixelUnshuffle(3)
    >>> unshuffle
    PixelUnshuffle(downscale_factor=3)
    >>> unshuffle(md.ones(1, 1, 12, 12)).shape
    (1, 9, 4, 4)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
