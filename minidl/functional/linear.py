"""The fully connected layer (F3): y = x Wᵀ + b, one primitive node (``ops/linalg.py``)."""
from __future__ import annotations

from ..ops.linalg import Linear
from ..tensor import Tensor

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Fully connected layer: y = x Wᵀ + b.

    Args:
        input: (*, in_features)
        weight: (out_features, in_features), stored as PyTorch stores it
        bias: (out_features,) or None

    Returns:
        (*, out_features)

    Raises:
        ValueError: input's last axis differs from ``weight``'s second.

    >>> import minidl as md, minidl.functional as F
    >>> F.linear(md.ones(2, 3), md.ones(4, 3), md.zeros(4)).shape
    (2, 4)
    """
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type(t).__name__}")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be (out_features, in_features), got shape "
                         f"{weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has {input.shape[-1] if input.ndim else 0} features "
                         f"(input shape {input.shape}) but weight expects {weight.shape[1]} "
                         f"(weight shape {weight.shape})")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear: bias must be a Tensor or None, got {type(bias).__name__}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must be ({weight.shape[0]},) to match weight shape "
                         f"{weight.shape}, got {bias.shape}")
    dtype = weight.dtype
    if dtype.kind == "f" and input.dtype == dtype and (bias is None or bias.dtype == dtype):
        return Linear.apply(input, weight, bias)             # one node (ops/linalg.py)
    y = input @ weight.T                                     # (*, out_features)
    return y if bias is None else y + bias
