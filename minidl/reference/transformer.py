"""F10, layer norm and one Transformer encoder layer, as literal loops (forward only).

Shape legend: L sequence length, N batch, E embedding (d_model), h heads, F the
feed-forward width (dim_feedforward).
"""
import math

import numpy as np

from .attention import multi_head_attention
from .linear import linear


def layer_norm(x, weight=None, bias=None, eps=1e-5):
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


def _feed_forward(x, W1, b1, W2, b2, activation):
    """linear2(activation(linear1(x))) for every row of x (..., E)."""
    rows = x.reshape(-1, x.shape[-1])
    hidden = linear(rows, W1, b1)
    if activation == "relu":
        hidden = np.maximum(hidden, 0.0)
    elif activation == "gelu":
        erf = np.vectorize(math.erf)
        hidden = 0.5 * hidden * (1.0 + erf(hidden / math.sqrt(2.0)))
    else:
        raise ValueError(f"transformer_encoder_layer: activation must be 'relu' or 'gelu', "
                         f"got {activation!r}")
    return linear(hidden, W2, b2).reshape(x.shape)


def transformer_encoder_layer(src, params, nhead, activation="relu", norm_first=False,
                              eps=1e-5, src_mask=None, src_key_padding_mask=None):
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
