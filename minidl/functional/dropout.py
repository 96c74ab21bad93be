"""Dropout: zero each element with probability p, scale the rest by 1/(1 − p)."""
from __future__ import annotations

from .. import random as _random
from ..arguments import check_number
from ..tensor import Tensor

__all__ = ["dropout"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """y = x ⊙ m / (1 − p) with m_i ~ Bernoulli(1 − p) drawn from minidl's seeded generator.

    In evaluation (``training=False``) or with ``p = 0`` it returns the input unchanged.
    The gradient is m / (1 − p), the same mask.
    """
    check_number(p, "dropout", "p")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be between 0 and 1, got {p}")
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(input).__name__}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _random.generator().random(input.shape) >= p
    scale = (keep / (1.0 - p)).astype(input.dtype)
    return input * Tensor._make(scale, None)
