"""``CosineSimilarity`` and ``PairwiseDistance``: modules on :mod:`minidl.functional.distance`."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import functional as F
from .module import Module

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    r"""``Σ (x₁/max(‖x₁‖, ε)) (x₂/max(‖x₂‖, ε))`` along ``dim``; see
    :func:`minidl.functional.cosine_similarity`.

    Shape:
        x1 and x2 broadcasting to (*, D, *) → the same without ``dim``.

    >>> import minidl as md, minidl.nn as nn
    >>> nn.CosineSimilarity(dim=1)(md.ones(5, 3), md.ones(5, 3))
    tensor([1., 1., 1., 1., 1.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    r"""``‖x₁ − x₂ + ε‖_p`` along the last axis; see :func:`minidl.functional.pairwise_distance`.

    Shape:
        (N, D) or (D,) → (N,) or () ((N, 1) with ``keepdim``).

    >>> import minidl as md, minidl.nn as nn
    >>> nn.PairwiseDistance(eps=0.0)(md.zeros(2, 4), md.ones(2, 4))
    tensor([2., 2.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
