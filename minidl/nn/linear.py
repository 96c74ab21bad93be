"""``Linear`` (the fully connected layer, F3), ``Identity``, ``Flatten`` and ``Unflatten``."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .. import functional as F
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, _check_device
import numpy as np

if TYPE_CHECKING:
    from typing import Sequence
    from .._typing import DType


class Linear(Module):
    """Fully connected layer: y = x Wᵀ + b.

    Args:
        in_features, out_features: sizes of each input and output row.
        bias: learn an additive bias (default True).

    Shape:
        input (*, in_features) → output (*, out_features).

    Attributes:
        weight: (out_features, in_features), U(−1/√in_features, 1/√in_features)
        bias: (out_features,), U(−1/√in_features, 1/√in_features)

    >>> import minidl as md, minidl.nn as nn
    >>> nn.Linear(3, 2)(md.ones(5, 3)).shape
    (5, 2)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = dtype or get_default_dtype()
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))      # U(±1/√in_features)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (default: all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"Flatten: input must be a Tensor, got {type(input).__name__}")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (one entry may be -1), the inverse of
    :class:`Flatten`: (*, S, *) → (*, s_1, …, s_k, *) with Π s_i = S.

    >>> import minidl as md, minidl.nn as nn
    >>> unflatten = nn.Unflatten(1, (2, 5, 5))
    >>> unflatten
    Unflatten(dim=1, unflattened_size=(2, 5, 5))
    >>> unflatten(md.ones(3, 50)).shape
    (3, 2, 5, 5)
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"Unflatten: input must be a Tensor, got {type(input).__name__}")
        return input.unflatten(self.dim, tuple(self.unflattened_size))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
