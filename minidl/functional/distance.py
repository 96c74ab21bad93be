r"""Norms and distances between vectors: ``normalize``, ``cosine_similarity``,
``pairwise_distance``, composites of ``norm``, ``clamp`` and elementwise ops.

Each guards a division by a norm with PyTorch's ε, and each uses it the way PyTorch
does (the three differ, so a program gets the same numbers near zero vectors):

- ``normalize``: x / max(‖x‖_p, ε) — the clamp is part of the formula; where it binds
  (‖x‖_p < ε) the denominator is the constant ε.
- ``cosine_similarity``: Σ (x₁/max(‖x₁‖, ε)) (x₂/max(‖x₂‖, ε)) — each vector divided by
  its own clamped norm; the clamp changes the *value* only, the gradient flows through
  ‖x‖ as if unclamped (PyTorch clamps in place without recording it).
- ``pairwise_distance``: ‖x₁ − x₂ + ε‖_p — ε is *added* to the difference.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..arguments import check_number, check_tensor, normalize_axis
from ..tensor import where

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def _norm(x, p, dim, keepdim):
    """‖x‖_p along ``dim`` with PyTorch's gradient 0 at a zero vector for every p (the
    general-p formula (Σ|x|^p)^(1/p) is evaluated at 1 where the sum is 0, so no 0^(1/p − 1)
    reaches the gradient)."""
    if p in (1, 2, float("inf"), -float("inf"), 0):
        return x.norm(p, dim=dim, keepdim=keepdim)
    total = (x.abs() ** p).sum(dim, keepdim)
    positive = total > 0
    return where(positive, where(positive, total, 1.0) ** (1.0 / p), 0.0)


def normalize(
    input: Tensor,
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    r"""``v / max(‖v‖_p, ε)`` for every vector v along ``dim``.

    Gradient: that of the formula; where ‖v‖_p >= ε it is (I − v̂ ∂‖v‖/∂v …) through the
    norm; where ‖v‖_p < ε the denominator is the constant ε, so the gradient is 1/ε. At
    the tie ‖v‖_p = ε the clamp passes its gradient (PyTorch's clamp convention).

    Args:
        input: (*), a floating Tensor.
        p: the norm's exponent (default 2).
        dim: the axis (or axes) of the vectors (default 1).
        eps: the smallest denominator (default 1e-12).
        out: not supported (must be None).

    Returns:
        input's shape.

    Raises:
        TypeError: ``input`` not a Tensor, ``p``/``eps`` not numbers.
        DimensionError: ``dim`` out of range.
        NotImplementedError: ``out`` given.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.normalize(md.tensor(np.array([[3.0, 4.0], [0.0, 0.0]])))
    tensor([[0.6, 0.8],
            [0. , 0. ]], dtype=float64)
    """
    op = "normalize"
    check_tensor(input, op, "input")
    check_number(p, op, "p")
    check_number(eps, op, "eps")
    if out is not None:
        raise NotImplementedError(f"{op}: out= is not supported in minidl; use the result")
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least one dimension, got a 0-d tensor")
    axis = normalize_axis(dim, input.ndim, op)
    denom = _norm(input, p, axis, True).clamp(min=eps)     # max(‖v‖_p, ε)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    r"""Cosine of the angle between x₁ and x₂ along ``dim`` (after broadcasting):

    .. math::

        \cos(x_1, x_2) = \sum_i \frac{x_{1,i}}{\max(\lVert x_1\rVert_2, ε)}
                               \frac{x_{2,i}}{\max(\lVert x_2\rVert_2, ε)}

    (each vector divided by its own clamped norm first, as PyTorch, which keeps the value
    in [−1, 1]).

    Gradient: as if the norms were not clamped (PyTorch's rule: it clamps the norms'
    values in place, outside the graph): with n₁ = max(‖x₁‖, ε) as a value,
    ∂/∂x₁ = x₂/(n₁ n₂) − (x₁·x₂)/(n₁² n₂) · x₁/‖x₁‖ (0 where x₁ = 0).

    Args:
        x1, x2: Tensors that broadcast to a common shape (*, D, *).
        dim: the vector axis of the broadcast shape (default 1).
        eps: the smallest norm (default 1e-8).

    Returns:
        the broadcast shape without ``dim``.

    Raises:
        TypeError: non-Tensor inputs or a non-number eps.
        ValueError: shapes that do not broadcast; DimensionError: ``dim`` out of range.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> a = md.tensor(np.array([[1.0, 0.0], [1.0, 1.0]]))
    >>> F.cosine_similarity(a, md.tensor(np.array([[2.0, 0.0]])))
    tensor([1.        , 0.70710678], dtype=float64)
    """
    op = "cosine_similarity"
    check_tensor(x1, op, "x1")
    check_tensor(x2, op, "x2")
    check_number(eps, op, "eps")
    try:
        shape = _broadcast_shape(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"{op}: x1 and x2 must broadcast to a common shape, got shapes "
                         f"{x1.shape} and {x2.shape}") from None
    if x1.shape != shape:
        x1 = x1.expand(*shape)
    if x2.shape != shape:
        x2 = x2.expand(*shape)
    axis = normalize_axis(dim, len(shape), op)

    def unit(x):
        norm = x.norm(2, dim=axis, keepdim=True)
        value = norm.detach()
        clamped = norm + (value.clamp(min=eps) - value)       # value max(‖x‖, ε), gradient of ‖x‖
        return x / clamped

    return (unit(x1) * unit(x2)).sum(dim=axis)


def _broadcast_shape(a, b):
    return tuple(np.broadcast_shapes(tuple(a), tuple(b)))


def pairwise_distance(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    eps: float = 1e-6,
    keepdim: bool = False,
) -> Tensor:
    r"""``‖x₁ − x₂ + ε‖_p`` along the last axis (after broadcasting), PyTorch's formula
    (ε is added to every difference, which keeps the norm's gradient finite at x₁ = x₂).

    Gradient: through the p-norm (for p = 2: (d + ε)/‖d + ε‖ to x₁ and its negative to
    x₂; 0 where the norm is 0).

    Args:
        x1, x2: (N, D) or (D,), broadcasting to a common shape.
        p: the norm's exponent (default 2).
        eps: added to the differences (default 1e-6).
        keepdim: keep the reduced axis.

    Returns:
        (N,) (or (N, 1) with keepdim; () for 1-D inputs).

    Raises:
        TypeError: non-Tensor inputs or non-number p/eps.
        ValueError: shapes that do not broadcast.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> a, b = md.tensor(np.array([[0.0, 0.0]])), md.tensor(np.array([[3.0, 4.0]]))
    >>> F.pairwise_distance(a, b, eps=0.0)
    tensor([5.], dtype=float64)
    """
    op = "pairwise_distance"
    check_tensor(x1, op, "x1")
    check_tensor(x2, op, "x2")
    check_number(p, op, "p")
    check_number(eps, op, "eps")
    if not isinstance(keepdim, bool):
        raise TypeError(f"{op}: keepdim must be a bool, got {keepdim!r}")
    try:
        shape = _broadcast_shape(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"{op}: x1 and x2 must broadcast to a common shape, got shapes "
                         f"{x1.shape} and {x2.shape}") from None
    if len(shape) == 0:
        raise ValueError(f"{op}: x1 and x2 must have at least one dimension, got 0-d tensors")
    return _norm(x1 - x2 + eps, p, len(shape) - 1, keepdim)
