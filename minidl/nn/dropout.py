"""``Dropout`` and the channel-wise ``Dropout1d/2d/3d``: active in training mode, the
identity in evaluation mode."""
from __future__ import annotations

from .. import functional as F
from .module import Module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tensor import Tensor


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p) while
    training; the identity after ``eval()``."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        owner = type(self).__name__
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            raise TypeError(f"{owner}: p must be a number, got {type(p).__name__}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{owner}: p must be between 0 and 1, got {p}")
        self.p = p
        self.inplace = inplace  # accepted for PyTorch compatibility; minidl never overwrites

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Channel-wise dropout on (N, C, L) or (C, L): each channel x[n, c, :] is zeroed with
    probability ``p`` and the rest scaled by 1/(1 − p) while training; the identity after
    ``eval()``. See :func:`minidl.functional.dropout1d`.

    >>> import minidl.nn as nn
    >>> nn.Dropout1d(0.2)
    Dropout1d(p=0.2, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training)


class Dropout2d(Dropout):
    """Channel-wise dropout on (N, C, H, W): each feature map x[n, c] is zeroed with
    probability ``p`` and the rest scaled by 1/(1 − p) while training; the identity after
    ``eval()``. See :func:`minidl.functional.dropout2d`.

    >>> import minidl.nn as nn
    >>> nn.Dropout2d()
    Dropout2d(p=0.5, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training)


class Dropout3d(Dropout):
    """Channel-wise dropout on (N, C, D, H, W) or (C, D, H, W); see
    :func:`minidl.functional.dropout3d`.

    >>> import minidl.nn as nn
    >>> nn.Dropout3d(0.1)
    Dropout3d(p=0.1, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training)
