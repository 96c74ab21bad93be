"""Padding layers, PyTorch's ``ZeroPad``/``ConstantPad``/``ReflectionPad``/``ReplicationPad``/
``CircularPad`` in 1, 2 and 3 dimensions: each is :func:`minidl.functional.pad` with a fixed
pad tuple (left, right[, top, bottom[, front, back]]) and mode."""
from __future__ import annotations

from .. import functional as F
from ..arguments import is_int
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


def _pad_tuple(owner, padding, n):
    """An int (the same amount on all 2n sides) or a 2n-tuple of ints."""
    if is_int(padding):
        return (int(padding),) * (2 * n)
    if isinstance(padding, (tuple, list)) and len(padding) == 2 * n and all(
            is_int(p) for p in padding):
        return tuple(int(p) for p in padding)
    raise TypeError(f"{owner}: padding must be an int or a tuple of {2 * n} ints, got "
                    f"{padding!r}")


class _PadNd(Module):
    n = 1
    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _pad_tuple(type(self).__name__, padding, self.n)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Constant padding of the last axis of (N, C, W) or (C, W) with ``value``; ``padding``
    is an int or (left, right). See :func:`minidl.functional.pad`.

    >>> import minidl as md, minidl.nn as nn
    >>> nn.ConstantPad1d(2, 3.5)
    ConstantPad1d(padding=(2, 2), value=3.5)
    >>> nn.ConstantPad1d((1, 0), 3.5)(md.zeros(1, 2))
    tensor([[3.5, 0. , 0. ]])
    """

    n = 1


class ConstantPad2d(_ConstantPadNd):
    """Constant padding of the last two axes of (N, C, H, W) or (C, H, W) with ``value``;
    ``padding`` is an int or (left, right, top, bottom).

    >>> import minidl as md, minidl.nn as nn
    >>> nn.ConstantPad2d((1, 2, 3, 4), 3.5)
    ConstantPad2d(padding=(1, 2, 3, 4), value=3.5)
    >>> nn.ConstantPad2d((1, 2, 3, 4), 3.5)(md.zeros(1, 2, 2)).shape
    (1, 9, 5)
    """

    n = 2


class ConstantPad3d(_ConstantPadNd):
    """Constant padding of the last three axes with ``value``; ``padding`` is an int or
    (left, right, top, bottom, front, back)."""

    n = 3


class ZeroPad1d(ConstantPad1d):
    """Zero padding of the last axis; ``padding`` is an int or (left, right).

    >>> import minidl.nn as nn
    >>> nn.ZeroPad1d((1, 2))
    ZeroPad1d((1, 2))
    """

    def __init__(self, padding: int | tuple[int, ...] | str) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Zero padding of the last two axes; ``padding`` is an int or (left, right, top, bottom).

    >>> import minidl as md, minidl.nn as nn
    >>> nn.ZeroPad2d(2)
    ZeroPad2d((2, 2, 2, 2))
    >>> nn.ZeroPad2d(2)(md.ones(1, 3, 4, 4)).shape
    (1, 3, 8, 8)
    """

    n = 2


class ZeroPad3d(ZeroPad1d):
    """Zero padding of the last three axes; ``padding`` is an int or a 6-tuple."""

    n = 3


class ReflectionPad1d(_PadNd):
    """Reflection padding of the last axis, ``… x₂ x₁ | x₀ x₁ …`` (each amount < the size).

    >>> import numpy as np, minidl as md, minidl.nn as nn
    >>> nn.ReflectionPad1d(2)(md.tensor(np.array([[[0.0, 1.0, 2.0]]])))
    tensor([[[2., 1., 0., 1., 2., 1., 0.]]], dtype=float64)
    """

    n, mode = 1, "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Reflection padding of the last two axes of (N, C, H, W) or (C, H, W).

    >>> import minidl.nn as nn
    >>> nn.ReflectionPad2d(1)
    ReflectionPad2d((1, 1, 1, 1))
    """

    n = 2


class ReflectionPad3d(ReflectionPad1d):
    """Reflection padding of the last three axes."""

    n = 3


class ReplicationPad1d(_PadNd):
    """Replication padding of the last axis, ``x₀ x₀ | x₀ x₁ …`` (the edge value repeated).

    >>> import numpy as np, minidl as md, minidl.nn as nn
    >>> nn.ReplicationPad1d((2, 1))(md.tensor(np.array([[[0.0, 1.0, 2.0]]])))
    tensor([[[0., 0., 0., 1., 2., 2.]]], dtype=float64)
    """

    n, mode = 1, "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Replication padding of the last two axes of (N, C, H, W) or (C, H, W).

    >>> import minidl.nn as nn
    >>> nn.ReplicationPad2d((1, 0, 2, 0))
    ReplicationPad2d((1, 0, 2, 0))
    """

    n = 2


class ReplicationPad3d(ReplicationPad1d):
    """Replication padding of the last three axes."""

    n = 3


class CircularPad1d(_PadNd):
    """Circular padding of the last axis, ``… x_{n−1} | x₀ x₁ …`` (wrap around).

    >>> import numpy as np, minidl as md, minidl.nn as nn
    >>> nn.CircularPad1d(1)(md.tensor(np.array([[[0.0, 1.0, 2.0]]])))
    tensor([[[2., 0., 1., 2., 0.]]], dtype=float64)
    """

    n, mode = 1, "circular"


class CircularPad2d(CircularPad1d):
    """Circular padding of the last two axes."""

    n = 2


class CircularPad3d(CircularPad1d):
    """Circular padding of the last three axes."""

    n = 3
