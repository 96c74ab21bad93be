"""Embedding lookup (a row of a table per integer index, written with indexing) and
``one_hot``."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, where

__all__ = ["embedding", "one_hot"]


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    r"""Look up rows of an embedding table: y[..., e] = W[input[...], e].

    .. math::

        y_{i_1 \dots i_k,\, e} = W_{\,\mathrm{input}[i_1 \dots i_k],\; e}

    Gradient: each output row's gradient is added into the row of W it came from, so a
    row used r times receives the sum of r gradients (repeated indices add up); rows not
    used receive zero. With ``padding_idx`` p, positions whose index is p still read
    W[p] but send it no gradient (as PyTorch). The integer indices get no gradient.

    Args:
        input: integer indices of any shape (*), each in [0, num_embeddings); a Tensor,
            an ``np.ndarray`` or a nested list.
        weight: W, (num_embeddings, E).
        padding_idx: an index whose row receives no gradient, or None. Negative values
            count from the end, as PyTorch.

    Returns:
        (*, E).

    Raises:
        TypeError: ``weight`` is not a Tensor, or the indices are not integers.
        ValueError: ``weight`` is not 2-D, an index is outside [0, num_embeddings), or
            ``padding_idx`` is out of range.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> W = md.tensor(np.array([[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]), requires_grad=True)
    >>> y = F.embedding(md.tensor([[2, 0], [2, 2]]), W)       # (2, 2) indices → (2, 2, 2)
    >>> y.data[0]
    tensor([[2. , 2.5],
            [0. , 0.5]], dtype=float64)
    >>> y.sum().backward()
    >>> W.grad                                                  # row 2 used three times
    tensor([[1., 1.],
            [0., 0.],
            [3., 3.]], dtype=float64)
    """
    op = "embedding"
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: weight must be a Tensor, got {type(weight).__name__}")
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be (num_embeddings, E), got shape {weight.shape}")
    idx = np.asarray(input._array if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: input must hold integer indices, got dtype {idx.dtype}")
    num_embeddings = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num_embeddings):
        bad = idx[(idx < 0) | (idx >= num_embeddings)]
        raise ValueError(f"{op}: indices must be in [0, {num_embeddings}) for a weight of shape "
                         f"{weight.shape}, got {bad.ravel()[:5].tolist()} (input shape "
                         f"{idx.shape})")
    y = weight[idx]                                           # (*, E)
    if padding_idx is None:
        return y
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{op}: padding_idx must be in [-{num_embeddings}, {num_embeddings}) "
                         f"for a weight of shape {weight.shape}, got {padding_idx}")
    is_pad = (idx == padding_idx % num_embeddings)[..., None]   # (*, 1)
    if not is_pad.any():
        return y
    return where(is_pad, weight.detach()[idx], y)             # padding rows: no gradient


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """One-hot encoding of integer classes: y[..., c] = 1 if tensor[...] == c else 0.

    Not differentiable (integer in, integer out), as PyTorch.

    Args:
        tensor: integer classes of any shape (*), each in [0, num_classes).
        num_classes: C, or -1 (default) for one more than the largest class given.

    Returns:
        an int64 Tensor (*, C).

    Raises:
        TypeError: the classes are not integers.
        ValueError: a class is negative or not below ``num_classes``, or
            ``num_classes=-1`` with an empty input.

    >>> import minidl as md, minidl.functional as F
    >>> F.one_hot(md.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    op = "one_hot"
    idx = np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: tensor must hold integer classes (int64 in PyTorch), got dtype "
                        f"{idx.dtype}")
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool):
        raise TypeError(f"{op}: num_classes must be an int, got {num_classes!r}")
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError(f"{op}: cannot infer num_classes (-1) from an empty tensor of "
                             f"shape {idx.shape}; pass num_classes")
        num_classes = int(idx.max()) + 1
    if num_classes < 0:
        raise ValueError(f"{op}: num_classes must be -1 or >= 0, got {num_classes}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        bad = idx[(idx < 0) | (idx >= num_classes)]
        raise ValueError(f"{op}: classes must be in [0, {num_classes}), got "
                         f"{bad.ravel()[:5].tolist()} (tensor shape {idx.shape})")
    return Tensor(idx[..., None] == np.arange(num_classes), dtype=np.int64)   # (*, C)
