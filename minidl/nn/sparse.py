"""``Embedding``: a learned table of vectors, one row per token id."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from . import init
from .module import Module, Parameter, _check_device

if TYPE_CHECKING:
    from .._typing import DType
    from ..tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    r"""A lookup table: index i → row i of ``weight``, y[..., e] = W[input[...], e].

    Gradient: the gradient of each output row is added into the row it was read from
    (repeated indices add up); the ``padding_idx`` row is initialised to zeros and
    never receives a gradient, so it stays as it is under training (as PyTorch).

    Args:
        num_embeddings: size of the table (the number of token ids).
        embedding_dim: E, the size of each vector.
        padding_idx: an id whose row is zero and receives no gradient, or None.
            Negative values count from the end.

    Shape:
        input: integer ids (*) in [0, num_embeddings) → output (*, E).

    Attributes:
        weight: (num_embeddings, E), initialised from N(0, 1) (the padding row zeroed).

    Raises:
        ValueError: non-positive sizes or ``padding_idx`` out of range; in forward, an
            id outside [0, num_embeddings).

    >>> import minidl as md, minidl.nn as nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(md.tensor([[1, 2, 0], [4, 0, 0]])).shape    # (N, L) ids → (N, L, E)
    (2, 3, 3)
    >>> emb.weight._array[0]
    array([0., 0., 0.], dtype=float32)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__()
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Embedding: {name} must be a positive int, got {v!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be in [-{num_embeddings}, "
                                 f"{num_embeddings}), got {padding_idx}")
            padding_idx = int(padding_idx) % num_embeddings
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = padding_idx
        dtype = dtype or get_default_dtype()
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)                              # N(0, 1)
        if self.padding_idx is not None:
            self.weight._array[self.padding_idx] = 0.0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
