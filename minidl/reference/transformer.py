"""F10, layer norm, one Transformer encoder layer and one decoder layer (F8's
cross-attention), as literal loops (forward only).

Shape legend: L sequence length, S source length, T target length, N batch, E embedding
(d_model), h heads, F the feed-forward width (dim_feedforward).
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from .attention import multi_head_attention
from .linear import linear


def layer_norm(
    x: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    r"""Layer normalisation over the last axis, one row at a time.

    The formula, for each row x (E,)::

        μ = (1/E) Σ_e x[e],    σ² = (1/E) Σ_e (x[e] − μ)²     (the biased variance)
        y[e] = (x[e] − μ) / √(σ² + ε) · γ[e] + β[e]

    Args:
        x: (..., E).
        weight: γ (E,) or None (ones).  bias: β (E,) or None (zeros).
        eps: ε.

    Returns:
        (..., E).

    Example:
        >>> layer_norm(np.array([[1.0, 3.0]]), eps=0.0)
        array([[-1.,  1.]])
    """
    x = np.asarray(x, dtype=np.float64)
    rows = x.reshape(-1, x.shape[-1])
    E = rows.shape[1]
    y = np.zeros_like(rows)
    for r in range(rows.shape[0]):
        mu = sum(rows[r, e] for e in range(E)) / E
        var = sum((rows[r, e] - mu) ** 2 for e in range(E)) / E
        for e in range(E):
            g = 1.0 if weight is None else weight[e]
            b = 0.0 if bias is None else bias[e]
            y[r, e] = (rows[r, e] - mu) / math.sqrt(var + eps) * g + b
    return y.reshape(x.shape)


def _feed_forward(x, W1, b1, W2, b2, activation, op="transformer_encoder_layer"):
    """linear2(activation(linear1(x))) for every row of x (..., E)."""
    rows = x.reshape(-1, x.shape[-1])
    hidden = linear(rows, W1, b1)
    if activation == "relu":
        hidden = np.maximum(hidden, 0.0)
    elif activation == "gelu":
        erf = np.vectorize(math.erf)
        hidden = 0.5 * hidden * (1.0 + erf(hidden / math.sqrt(2.0)))
    else:
        raise ValueError(f"{op}: activation must be 'relu' or 'gelu', "
                         f"got {activation!r}")
    return linear(hidden, W2, b2).reshape(x.shape)


def transformer_encoder_layer(
    src: np.ndarray,
    params: Mapping[str, np.ndarray],
    nhead: int,
    activation: str = "relu",
    norm_first: bool = False,
    eps: float = 1e-5,
    src_mask: np.ndarray | None = None,
    src_key_padding_mask: np.ndarray | None = None,
) -> np.ndarray:
    r"""One encoder layer (no dropout), as ``nn.TransformerEncoderLayer`` computes it.

    With SA(x) = MultiHead(x, x, x) and FF(x) = W₂ f(W₁ x + b₁) + b₂::

        post-norm (default):  x = LN₁(x + SA(x));   x = LN₂(x + FF(x))
        pre-norm:             x = x + SA(LN₁(x));   x = x + FF(LN₂(x))

    Args:
        src: (L, N, E).
        params: a mapping with PyTorch's names: ``self_attn.in_proj_weight``,
            ``self_attn.in_proj_bias``, ``self_attn.out_proj.weight``,
            ``self_attn.out_proj.bias``, ``linear1.weight``, ``linear1.bias``,
            ``linear2.weight``, ``linear2.bias``, ``norm1.weight``, ``norm1.bias``,
            ``norm2.weight``, ``norm2.bias``.
        nhead: h.
        activation: "relu" or "gelu".
        norm_first: pre-norm instead of post-norm.
        src_mask, src_key_padding_mask: as in ``multi_head_attention`` (True = ignore).

    Returns:
        (L, N, E).
    """
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    x = np.asarray(src, dtype=np.float64)

    def sa(z):
        out, _ = multi_head_attention(z, z, z, nhead, p["self_attn.in_proj_weight"],
                                      p["self_attn.in_proj_bias"], p["self_attn.out_proj.weight"],
                                      p["self_attn.out_proj.bias"],
                                      key_padding_mask=src_key_padding_mask, attn_mask=src_mask,
                                      need_weights=False)
        return out

    def ff(z):
        return _feed_forward(z, p["linear1.weight"], p["linear1.bias"], p["linear2.weight"],
                             p["linear2.bias"], activation)

    def ln1(z):
        return layer_norm(z, p["norm1.weight"], p["norm1.bias"], eps)

    def ln2(z):
        return layer_norm(z, p["norm2.weight"], p["norm2.bias"], eps)

    if norm_first:
        x = x + sa(ln1(x))
        x = x + ff(ln2(x))
    else:
        x = ln1(x + sa(x))
        x = ln2(x + ff(x))
    return x


def transformer_decoder_layer(
    tgt: np.ndarray,
    memory: np.ndarray,
    params: Mapping[str, np.ndarray],
    nhead: int,
    activation: str = "relu",
    norm_first: bool = False,
    eps: float = 1e-5,
    tgt_mask: np.ndarray | None = None,
    memory_mask: np.ndarray | None = None,
    tgt_key_padding_mask: np.ndarray | None = None,
    memory_key_padding_mask: np.ndarray | None = None,
    batch_first: bool = False,
) -> np.ndarray:
    r"""One decoder layer (no dropout), as ``nn.TransformerDecoderLayer`` computes it.

    With SA(x) = MultiHead(x, x, x) (masked self-attention over the target),
    CA(x, m) = MultiHead(x, m, m) (cross-attention: queries from the target x, keys and
    values from the memory m) and FF(x) = W₂ f(W₁ x + b₁) + b₂::

        post-norm (default):  x = LN₁(x + SA(x));   x = LN₂(x + CA(x, m));   x = LN₃(x + FF(x))
        pre-norm:             x = x + SA(LN₁(x));   x = x + CA(LN₂(x), m);   x = x + FF(LN₃(x))

    Written out for one target position t of batch element n, cross-attention is::

        q = W_q x[t] + b_q;   k_s = W_k m[s] + b_k;   v_s = W_v m[s] + b_v      for every s < S
        a[s] = softmax_s(q · k_s / √E_h + bias[t, s])                          (per head)
        CA(x, m)[t] = W_o Concat_heads(Σ_s a[s] v_s) + b_o

    The attention loops are :func:`minidl.reference.multi_head_attention`'s; layer norm
    and the feed-forward network act on each position alone.

    Args:
        tgt: (T, N, E) ((N, T, E) with ``batch_first``).
        memory: (S, N, E) ((N, S, E) with ``batch_first``).
        params: a mapping with PyTorch's names: ``self_attn.*`` and ``multihead_attn.*``
            (``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight``, ``out_proj.bias``),
            ``linear1.weight``, ``linear1.bias``, ``linear2.weight``, ``linear2.bias``,
            ``norm1.*``, ``norm2.*``, ``norm3.*`` (``weight``, ``bias``). A missing bias is
            zero (a layer built with ``bias=False``).
        nhead: h.
        activation: "relu" or "gelu".
        norm_first: pre-norm instead of post-norm.
        tgt_mask (T, T), memory_mask (T, S), tgt_key_padding_mask (N, T),
            memory_key_padding_mask (N, S): as in ``multi_head_attention`` (True = ignore,
            float = added).
        batch_first: the layout of tgt, memory and the result.

    Returns:
        (T, N, E) ((N, T, E) with ``batch_first``), float64.

    Example:
        >>> E, zero = 2, np.zeros
        >>> p = {f"{a}.{w}": v for a in ("self_attn", "multihead_attn")
        ...      for w, v in (("in_proj_weight", zero((3 * E, E))), ("out_proj.weight", zero((E, E))))}
        >>> p.update({"linear1.weight": zero((3, E)), "linear2.weight": zero((E, 3))})
        >>> x = np.array([[[1.0, 3.0]]])                    # T = N = 1: every sub-layer adds 0
        >>> transformer_decoder_layer(x, x, p, nhead=1, eps=0.0)
        array([[[-1.,  1.]]])
    """
    op = "transformer_decoder_layer"
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    x = np.asarray(tgt, dtype=np.float64)
    m = np.asarray(memory, dtype=np.float64)

    def attention(prefix, query, key_value, key_padding_mask, attn_mask):
        out, _ = multi_head_attention(query, key_value, key_value, nhead,
                                      p[f"{prefix}.in_proj_weight"],
                                      p.get(f"{prefix}.in_proj_bias"),
                                      p[f"{prefix}.out_proj.weight"],
                                      p.get(f"{prefix}.out_proj.bias"),
                                      key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                                      need_weights=False, batch_first=batch_first)
        return out

    def sa(z):                                     # masked self-attention over the target
        return attention("self_attn", z, z, tgt_key_padding_mask, tgt_mask)

    def ca(z):                                     # queries from z, keys and values from m
        return attention("multihead_attn", z, m, memory_key_padding_mask, memory_mask)

    def ff(z):
        return _feed_forward(z, p["linear1.weight"], p.get("linear1.bias"), p["linear2.weight"],
                             p.get("linear2.bias"), activation, op)

    def ln(i, z):
        return layer_norm(z, p.get(f"norm{i}.weight"), p.get(f"norm{i}.bias"), eps)

    if norm_first:
        x = x + sa(ln(1, x))
        x = x + ca(ln(2, x))
        x = x + ff(ln(3, x))
    else:
        x = ln(1, x + sa(x))
        x = ln(2, x + ca(x))
        x = ln(3, x + ff(x))
    return x
