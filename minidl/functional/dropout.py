"""Dropout: zero each element with probability p, scale the rest by 1/(1 − p); the
channel-wise ``dropout1d/2d/3d`` zero whole channels (feature maps) instead."""
from __future__ import annotations

import warnings

from .. import random as _random
from ..arguments import check_number
from ..tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]


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


def _feature_dropout(op, input, p, training, batched):
    """Zero each (n, c) channel with probability p and scale the rest by 1/(1 − p): the
    mask has shape (N, C, 1, …, 1), drawn from minidl's seeded generator. An unbatched
    input is seen as a batch of one."""
    check_number(p, op, "p")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: p must be between 0 and 1, got {p}")
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not training or p == 0.0:
        return input
    x = input if batched else input.unsqueeze(0)
    if x.ndim < 2:
        raise ValueError(f"{op}: input must have a channel axis, got shape {input.shape}")
    if p == 1.0:
        return input * 0.0
    mask_shape = x.shape[:2] + (1,) * (x.ndim - 2)
    keep = _random.generator().random(mask_shape) >= p
    scale = (keep / (1.0 - p)).astype(x.dtype)
    y = x * Tensor._make(scale, None)
    return y if batched else y[0]


def dropout1d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Channel-wise dropout on (N, C, L) or (C, L): ``y[n, c, :] = x[n, c, :] · m[n, c] / (1 − p)``,
    m[n, c] ~ Bernoulli(1 − p). The gradient is the same mask. ``inplace`` is accepted;
    the result is always a new tensor.

    Raises:
        ValueError: an input that is not 2-D or 3-D, or p outside [0, 1].

    >>> import minidl as md, minidl.functional as F
    >>> F.dropout1d(md.ones(2, 3, 4), 0.5, training=False).shape
    (2, 3, 4)
    """
    if isinstance(input, Tensor) and input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: input must be (N, C, L) or (C, L), got shape {input.shape}")
    return _feature_dropout("dropout1d", input, p, training, getattr(input, "ndim", 3) == 3)


def dropout2d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Channel-wise dropout on (N, C, H, W): ``y[n, c] = x[n, c] · m[n, c] / (1 − p)``,
    m[n, c] ~ Bernoulli(1 − p); the gradient is the same mask.

    As PyTorch, a 3-D input (C, H, W) drops whole slices along its first axis (with
    PyTorch's warning about that behaviour), and other ranks warn and drop along the
    first two axes.

    >>> import minidl as md, minidl.functional as F
    >>> _ = md.manual_seed(0)
    >>> y = F.dropout2d(md.ones(1, 8, 2, 2), 0.5)
    >>> sorted(set(y.numpy().ravel().tolist()))                # whole channels: 0 or 1/(1 − p)
    [0.0, 2.0]
    """
    ndim = getattr(input, "ndim", 4)
    if ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated "
                      f"(as in PyTorch); dropout2d expects (N, C, H, W) or (C, H, W)",
                      UserWarning, stacklevel=2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "as in PyTorch; use dropout1d for that", UserWarning, stacklevel=2)
    return _feature_dropout("dropout2d", input, p, training, ndim == 4)


def dropout3d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Channel-wise dropout on (N, C, D, H, W) or (C, D, H, W): whole (n, c) volumes are
    zeroed with probability p, the rest scaled by 1/(1 − p) (other ranks warn, as PyTorch).

    >>> import minidl as md, minidl.functional as F
    >>> F.dropout3d(md.ones(1, 2, 2, 2, 2), 0.3, training=False).shape
    (1, 2, 2, 2, 2)
    """
    ndim = getattr(input, "ndim", 5)
    if ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated "
                      f"(as in PyTorch); dropout3d expects (N, C, D, H, W) or (C, D, H, W)",
                      UserWarning, stacklevel=2)
    return _feature_dropout("dropout3d", input, p, training, ndim == 5)
