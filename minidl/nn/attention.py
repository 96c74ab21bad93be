"""``MultiheadAttention`` (F8): PyTorch's module, parameters and forward, on ``F.multi_head_attention``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from . import init
from .linear import Linear
from .module import Module, Parameter, _check_device

if TYPE_CHECKING:
    from .._typing import DType
    from ..tensor import Tensor

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    r"""Multi-head attention: MultiHead(Q, K, V) = Concat(head_1, …, head_h) W_oᵀ + b_o.

    The formula (F8), with W_q, W_k, W_v the three (E, E) blocks of ``in_proj_weight``
    and W_o the weight of ``out_proj``::

        head_i = Attention(query W_qᵀ[:, cols_i] + b_q[cols_i], key W_kᵀ[:, cols_i] + b_k[cols_i],
                           value W_vᵀ[:, cols_i] + b_v[cols_i])  cols_i = i·E_h … (i+1)·E_h − 1
        output = Concat(head_1, …, head_h) W_oᵀ + b_o

    where Attention(q, k, v) = softmax(q kᵀ / √E_h) v (F7) and E_h = E / h. Self-attention
    is ``m(x, x, x)``; cross-attention takes key and value from another sequence of length
    S. See :func:`minidl.functional.multi_head_attention` for the masks (boolean True
    means IGNORE here — the opposite of ``scaled_dot_product_attention``'s boolean mask),
    the gradient and the convention for a fully masked query row (zero weights, output
    row = ``out_proj.bias``).

    Args:
        embed_dim: E, the model width; query, key and value all have E features.
        num_heads: h; E must be divisible by h.
        dropout: probability of zeroing an attention weight while training (default 0).
        bias: learn ``in_proj_bias`` and ``out_proj.bias`` (default True).
        add_bias_kv, add_zero_attn: not supported (must be False).
        kdim, vdim: feature sizes of key and value; only None or E is supported.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        device: accepted for PyTorch compatibility; only "cpu" (or None).
        dtype: dtype of the parameters (default: the default dtype).

    Shape:
        query (L, N, E), key and value (S, N, E) — (N, L, E) and (N, S, E) with
        ``batch_first``, or unbatched (L, E) and (S, E);
        output like query; weights (N, L, S), or (N, h, L, S) when
        ``average_attn_weights=False``, without N when unbatched.

    Attributes:
        in_proj_weight: (3E, E), W_q, W_k, W_v stacked, xavier-uniform
            U(−√(6 / 4E), √(6 / 4E)) over the whole (3E, E) matrix, as PyTorch.
        in_proj_bias: (3E,), zeros (None when ``bias=False``).
        out_proj: ``Linear(E, E)``; weight U(−1/√E, 1/√E) (Linear's default), bias zeros.

    State-dict names (as PyTorch): ``in_proj_weight``, ``in_proj_bias``,
    ``out_proj.weight``, ``out_proj.bias``.

    Raises:
        ValueError: E not divisible by h, or a bad ``dropout``.
        NotImplementedError: ``add_bias_kv``, ``add_zero_attn``, or ``kdim``/``vdim`` ≠ E.

    >>> import minidl as md, minidl.nn as nn
    >>> mha = nn.MultiheadAttention(8, 2)
    >>> x = md.randn(5, 3, 8)                                # (L, N, E)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    ((5, 3, 8), (3, 5, 5))
    >>> list(mha.state_dict())
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__()
        op = "MultiheadAttention"
        for name, v in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{op}: {name} must be a positive int, got {v!r}")
        if embed_dim % num_heads:
            raise ValueError(f"{op}: embed_dim E={embed_dim} must be divisible by num_heads "
                             f"h={num_heads}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{op}: dropout must be between 0 and 1, got {dropout}")
        for name, v in (("add_bias_kv", add_bias_kv), ("add_zero_attn", add_zero_attn)):
            if v:
                raise NotImplementedError(f"{op}: {name}=True is not supported by minidl "
                                          f"(only False)")
        for name, dim in (("kdim", kdim), ("vdim", vdim)):
            if dim is not None and dim != embed_dim:
                raise NotImplementedError(f"{op}: {name}={dim} differs from embed_dim={embed_dim}; "
                                          f"minidl supports only key and value with E features")
        if device not in (None, "cpu"):
            raise ValueError(f"{op}: minidl runs on the CPU only, got device={device!r}")
        self.embed_dim = int(embed_dim)
        self.kdim = self.vdim = self.embed_dim
        self._qkv_same_embed_dim = True
        self.num_heads = int(num_heads)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = float(dropout)
        self.batch_first = bool(batch_first)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False

        dtype = dtype or get_default_dtype()
        E = self.embed_dim
        self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)  # type: ignore[arg-type]

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """(output, weights) of multi-head attention; see the class docstring for shapes.

        ``key_padding_mask`` (N, S): bool True = ignore that key, or float added.
        ``attn_mask`` (L, S) or (N·h, L, S): bool True = not allowed, or float added.
        ``is_causal``: with no ``attn_mask``, apply the causal mask (key s allowed for
        query l iff s ≤ l); with an ``attn_mask``, a hint that it is causal (it is used
        as given). Weights are None when ``need_weights`` is False.
        """
        return F.multi_head_attention(
            query, key, value, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.out_proj.weight, self.out_proj.bias, key_padding_mask=key_padding_mask,
            attn_mask=attn_mask, need_weights=need_weights,
            average_attn_weights=average_attn_weights, batch_first=self.batch_first,
            dropout_p=self.dropout, training=self.training, is_causal=is_causal)

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")
