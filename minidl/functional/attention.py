r"""Scaled dot-product attention (F7) and multi-head attention (F8), written as formulas.

Both are composites: matmul, softmax, add and where from ``minidl/ops``; the engine
differentiates them, so there is no backward here.

Shape legend: N batch, L target (query) length, S source (key/value) length, E embedding
(query/key features), Ev value features, h heads, E_h = E / h features per head.

Masks, one rule inside: every mask becomes an additive bias on the scores, 0 where a
position takes part and −inf where it does not (a float mask is already such a bias).
The two public functions read a BOOLEAN mask in OPPOSITE ways, because PyTorch does:

==================================  =====================  ==========================
                                    bool ``True`` means    float mask
==================================  =====================  ==========================
``scaled_dot_product_attention``    position TAKES PART    added to the scores
``multi_head_attention`` (both      position is IGNORED    added to the scores
``key_padding_mask``, ``attn_mask``)
==================================  =====================  ==========================

A query row whose every position is masked out has no softmax (0/0). minidl gives it
zero weights and a zero output row, and zero gradients, never NaN (PyTorch 2.13's
``scaled_dot_product_attention`` also gives zeros; its ``MultiheadAttention`` gives NaN
weights there when ``need_weights=True``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..arguments import check_number
from ..ops.attention import Attention
from ..ops.softmax import Softmax
from ..tensor import Tensor, where
from .dropout import dropout as _dropout
from .linear import linear as _linear

if TYPE_CHECKING:
    from typing import Any, Union

    Mask = Union[Tensor, np.ndarray, list[Any], tuple[Any, ...]]   # bool, or float (a bias)

__all__ = ["scaled_dot_product_attention", "multi_head_attention"]


# ---------------------------------------------------------------------- the formula
def _attention(q, k, v, bias, scale, dropout_p):
    """softmax(q kᵀ · scale + bias) v and the weights; q (..., L, E), k (..., S, E), v (..., S, Ev).

    ``bias`` is None, an ``np.ndarray`` or a Tensor broadcastable to (..., L, S), 0 where
    a position takes part and −inf where it does not. Returns (output, weights).

    Without dropout, with a constant (or no) bias and q, k, v of one dtype and the same
    leading axes, the same formula runs as the fused primitive
    :class:`minidl.ops.attention.Attention` (one node, a block of the batch at a time;
    tested against this composite).
    """
    scores_shape = q.shape[:-1] + k.shape[-2:-1]              # (..., L, S)
    if (dropout_p == 0.0 and q.shape[:-2] == k.shape[:-2] == v.shape[:-2]
            and q.dtype == k.dtype == v.dtype
            and (bias is None or isinstance(bias, np.ndarray)
                 and np.broadcast_shapes(bias.shape, scores_shape) == scores_shape)):
        return Attention.apply(q, k, v, bias, scale)
    # scale · q kᵀ, scaling q first: the same product, L·E multiplications instead of L·S
    scores = (q * scale) @ k.mT                               # (..., L, S)
    dead = None
    if bias is not None:
        scores = scores + bias                                # −inf drops out of the softmax
        b = bias._array if isinstance(bias, Tensor) else bias
        dead = np.isneginf(b).all(axis=-1, keepdims=True)     # (..., L, 1) rows with no key left
        if dead.any():
            scores = where(dead, 0.0, scores)                 # any finite row: no 0/0, no NaN
        else:
            dead = None
    weights = Softmax.apply(scores, scores.ndim - 1)          # (..., L, S)
    if dead is not None:
        weights = where(dead, 0.0, weights)                   # zero weights, zero gradient
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, training=True)
    return weights @ v, weights                               # (..., L, Ev), (..., L, S)


# ---------------------------------------------------------------------- input checks
def _check_tensor(op, name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating tensor, got dtype {x.dtype}")


def _mask_array(op, name, mask):
    """(kind, value): ("bool", np.ndarray) or ("float", Tensor) for a mask given as either."""
    if isinstance(mask, Tensor):
        data = mask._array
    elif isinstance(mask, (np.ndarray, list, tuple)):
        data = np.asarray(mask)
        mask = None
    else:
        raise TypeError(f"{op}: {name} must be a Tensor or an array, got {type(mask).__name__}")
    if data.dtype == bool:
        return "bool", data
    if data.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be boolean or floating, got dtype {data.dtype}")
    return "float", mask if mask is not None else Tensor._make(data, None)


def _float_bias(kind, m, dtype, true_means_allowed):
    """An additive bias (0 / −inf) from a boolean mask, or the float mask cast to ``dtype``."""
    if kind == "bool":
        allowed = m if true_means_allowed else ~m
        return np.where(allowed, 0.0, -np.inf).astype(dtype)
    return m.to(dtype)


def _causal_bias(L, S, dtype):
    """(L, S): 0 where s ≤ l (lower triangle, top-left aligned), −inf above."""
    return np.where(np.arange(S)[None, :] > np.arange(L)[:, None], -np.inf, 0.0).astype(dtype)


# ---------------------------------------------------------------------- F7
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Mask | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None) -> Tensor:
    r"""Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V over any leading batch axes (F7).

    The formula, for every batch index and query position l::

        score[l, s]   = scale · Σ_e q[l, e] k[s, e]  + bias[l, s]
        a[l, s]       = exp(score[l, s]) / Σ_s' exp(score[l, s'])
        out[l, e_v]   = Σ_s a[l, s] · v[s, e_v]

    with scale = 1/√d_k (d_k = E) unless given, and bias from the mask:

    * boolean ``attn_mask``: True = position s TAKES PART for query l (bias 0), False =
      excluded (bias −inf) — PyTorch's meaning for this function. (The OPPOSITE of
      :func:`multi_head_attention`'s boolean masks, where True = ignore.)
    * float ``attn_mask``: added to the scores as it is (−inf excludes).
    * ``is_causal=True``: s takes part iff s ≤ l — lower-triangular, aligned top-left
      also when L ≠ S. It cannot be combined with ``attn_mask``.

    Dropout (``dropout_p > 0``) zeroes each weight a[l, s] with probability p and scales
    the rest by 1/(1 − p) (drawn from minidl's generator; always active, as in PyTorch's
    function — pass 0 in evaluation). With p = 0 the result is deterministic.

    Gradient: the composite's — with A = softmax(score) and dout = ∂L/∂out,
    ``dv = Aᵀ dout``, ``dA = dout vᵀ``, ``dscore = A ⊙ (dA − Σ_s dA ⊙ A)``,
    ``dq = scale · dscore k``, ``dk = scale · dscoreᵀ q`` (and ``dscore`` into a float
    mask that requires grad). Excluded positions get zero gradient. A query row whose
    every position is excluded gets zero weights, a zero output row and zero gradients
    (never NaN), as PyTorch 2.13.

    Args:
        query: (..., L, E).
        key: (..., S, E).
        value: (..., S, Ev). The leading axes of query, key and value broadcast.
        attn_mask: None, or a bool or float Tensor/array broadcastable to (..., L, S).
        dropout_p: probability of dropping an attention weight, in [0, 1].
        is_causal: apply the causal mask described above.
        scale: the factor on Q Kᵀ; None means 1/√E.

    Returns:
        (..., L, Ev), the leading axes broadcast.

    Raises:
        TypeError: a non-Tensor input, or a mask that is neither bool nor float.
        ValueError: ranks below 2, key/query feature sizes E that differ, key/value
            lengths S that differ, leading axes or a mask that do not broadcast,
            ``is_causal`` with ``attn_mask``, ``dropout_p`` outside [0, 1], S = 0.

    Example:
        >>> import numpy as np, minidl as md, minidl.functional as F
        >>> q = md.tensor([[1.0]])                            # L = 1, E = 1
        >>> k = md.tensor([[0.0], [float(np.log(3.0))]])      # S = 2: weights 1/4, 3/4
        >>> v = md.tensor([[4.0], [8.0]])
        >>> F.scaled_dot_product_attention(q, k, v, scale=1.0)
        tensor([[7.]])
        >>> F.scaled_dot_product_attention(q, k, v, attn_mask=np.array([[True, False]]))
        tensor([[4.]])
    """
    op = "scaled_dot_product_attention"
    for name, x in (("query", query), ("key", key), ("value", value)):
        _check_tensor(op, name, x)
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"{op}: query, key, value must be (..., L, E), (..., S, E), (..., S, Ev), "
                         f"got shapes {query.shape}, {key.shape}, {value.shape}")
    L, E = query.shape[-2:]
    S, Ev = value.shape[-2:]
    if key.shape[-1] != E:
        raise ValueError(f"{op}: query has E={E} features but key has {key.shape[-1]}; query "
                         f"shape {query.shape}, key shape {key.shape}")
    if key.shape[-2] != S:
        raise ValueError(f"{op}: key has S={key.shape[-2]} positions but value has {S}; key shape "
                         f"{key.shape}, value shape {value.shape}")
    if S == 0:
        raise ValueError(f"{op}: key and value have no positions (S = 0); key shape {key.shape}")
    try:
        batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(f"{op}: the batch axes of query, key, value do not broadcast: shapes "
                         f"{query.shape}, {key.shape}, {value.shape}") from None
    check_number(dropout_p, op, "dropout_p")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be between 0 and 1, got {dropout_p}")
    if scale is not None:
        check_number(scale, op, "scale")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: is_causal=True cannot be combined with an attn_mask")
    if scale is None:
        if E == 0:
            raise ValueError(f"{op}: query has no features (E = 0), so 1/√E is undefined; "
                             f"query shape {query.shape}")
        scale = 1.0 / math.sqrt(E)
    dtype = np.result_type(query.dtype, key.dtype)

    bias = None
    if is_causal:
        bias = _causal_bias(L, S, dtype)                      # (L, S)
    elif attn_mask is not None:
        kind, m = _mask_array(op, "attn_mask", attn_mask)
        try:
            full = np.broadcast_shapes(m.shape, batch + (L, S))
        except ValueError:
            full = None
        if full is None or full[-2:] != (L, S):               # (S,) or (L, S) or (..., L, S)
            raise ValueError(f"{op}: attn_mask of shape {m.shape} does not broadcast to "
                             f"(..., L, S) = {batch + (L, S)}")
        bias = _float_bias(kind, m, dtype, true_means_allowed=True)

    out, _ = _attention(query, key, value, bias, scale, dropout_p)
    return out


# ---------------------------------------------------------------------- F8
def multi_head_attention(query: Tensor, key: Tensor, value: Tensor, num_heads: int,
                         in_proj_weight: Tensor, in_proj_bias: Tensor | None,
                         out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                         key_padding_mask: Mask | None = None, attn_mask: Mask | None = None,
                         need_weights: bool = True, average_attn_weights: bool = True,
                         batch_first: bool = False, *, dropout_p: float = 0.0,
                         training: bool = True, is_causal: bool = False,
                         ) -> tuple[Tensor, Tensor | None]:
    r"""MultiHead(Q, K, V) = Concat(head_1, …, head_h) W_Oᵀ + b_O, as PyTorch's (F8).

    The formula, with W_Q, W_K, W_V the three (E, E) blocks of ``in_proj_weight``
    (b_Q, b_K, b_V of ``in_proj_bias``) and W_O = ``out_proj_weight``::

        Q = query W_Qᵀ + b_Q    K = key W_Kᵀ + b_K    V = value W_Vᵀ + b_V      (L, E) (S, E) (S, E)
        head_i = softmax(Q_i K_iᵀ / √E_h + bias) V_i        Q_i = Q[:, i·E_h : (i+1)·E_h], …
        output = Concat(head_1, …, head_h) W_Oᵀ + b_O                            (L, E)

    i.e. head_i = Attention(query W_{Q,i}ᵀ + b_{Q,i}, key W_{K,i}ᵀ + b_{K,i},
    value W_{V,i}ᵀ + b_{V,i}) with W_{Q,i} (E_h, E) the rows i·E_h … (i+1)·E_h − 1 of W_Q
    (likewise W_{K,i}, W_{V,i} and the biases). The paper's head_i = Attention(Q W_iᵠ, …),
    with Q the input query and W_iᵠ of shape (E, E_h), is this with W_iᵠ = W_{Q,i}ᵀ (no
    biases); its Concat(…) Wᴼ has Wᴼ = W_Oᵀ.
    Self-attention is ``query is key is value`` (then one (3E, E) product makes Q, K, V);
    cross-attention takes key and value from another sequence of length S.

    Masks — boolean True means IGNORE here, the OPPOSITE of
    :func:`scaled_dot_product_attention` (True = takes part), as in PyTorch:

    * ``key_padding_mask`` (N, S): bool True = key s of batch element n is padding,
      ignored by every query and head; float: added to those scores.
    * ``attn_mask`` (L, S), shared by all batch elements and heads, or (N·h, L, S), one
      per batch element n and head i at row n·h + i: bool True = query l may NOT attend to
      key s; float: added to the scores.
    * ``is_causal``: with no ``attn_mask``, key s is allowed for query l iff s ≤ l; with
      an ``attn_mask`` it is only a hint (PyTorch's meaning) and the mask is used as given.

    Both masks become additive biases (True → −inf) and are summed. A query row whose every
    key is masked out gets zero weights and a zero head output (never NaN), so its output
    row is ``out_proj_bias``; PyTorch returns NaN weights there when ``need_weights=True``.

    Dropout (``dropout_p > 0`` and ``training``) zeroes attention weights with
    probability p and scales the rest by 1/(1 − p); the returned weights are the dropped
    ones, as PyTorch's.

    Gradient: the composite's (linear maps, reshapes, and the attention gradient of
    :func:`scaled_dot_product_attention`); flows to query, key, value and all four
    parameters (and to a float mask that requires grad).

    Args:
        query: (L, N, E), (N, L, E) with ``batch_first``, or unbatched (L, E).
        key, value: (S, N, E), (N, S, E) with ``batch_first``, or unbatched (S, E).
        num_heads: h; E must be divisible by h.
        in_proj_weight: (3E, E).  in_proj_bias: (3E,) or None.
        out_proj_weight: (E, E).  out_proj_bias: (E,) or None.
        key_padding_mask: None, or (N, S) ((S,) unbatched), bool (True = ignore) or float.
        attn_mask: None, or (L, S) or (N·h, L, S) ((h, L, S) unbatched), bool (True = not
            allowed) or float.
        need_weights: also return the attention weights.
        average_attn_weights: average the weights over the h heads.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        dropout_p, training: attention dropout, applied only when ``training``.
        is_causal: see Masks.

    Returns:
        (output, weights): output shaped like query; weights (N, L, S) averaged over heads,
        (N, h, L, S) when not ``average_attn_weights`` (without N when unbatched), or None
        when not ``need_weights``.

    Raises:
        TypeError: a non-Tensor input or parameter, or a mask neither bool nor float.
        ValueError: wrong ranks, E not divisible by h, key/value lengths or batch sizes
            that differ, key/value features ≠ E, parameters or masks of the wrong shape,
            ``dropout_p`` outside [0, 1].

    Example:
        >>> import numpy as np, minidl as md, minidl.functional as F
        >>> E, x = 2, md.ones(3, 2)                        # unbatched self-attention, L = S = 3
        >>> W_out = md.tensor(np.eye(E), dtype=np.float32)          # W_O = I
        >>> W_in = md.tensor(np.vstack([np.eye(E)] * 3), dtype=np.float32)   # W_Q = W_K = W_V = I
        >>> out, w = F.multi_head_attention(x, x, x, 1, W_in, None, W_out, None)
        >>> out.shape, w                                   # equal keys: uniform weights 1/3
        ((3, 2), tensor([[0.33333334, 0.33333334, 0.33333334],
                [0.33333334, 0.33333334, 0.33333334],
                [0.33333334, 0.33333334, 0.33333334]]))
    """
    op = "multi_head_attention"
    for name, x in (("query", query), ("key", key), ("value", value),
                    ("in_proj_weight", in_proj_weight), ("out_proj_weight", out_proj_weight)):
        _check_tensor(op, name, x)
    for name, b in (("in_proj_bias", in_proj_bias), ("out_proj_bias", out_proj_bias)):
        if b is not None:
            _check_tensor(op, name, b)
    if not isinstance(num_heads, (int, np.integer)) or isinstance(num_heads, bool) or num_heads < 1:
        raise ValueError(f"{op}: num_heads must be a positive int, got {num_heads!r}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be between 0 and 1, got {dropout_p}")
    layout = "(N, L, E)" if batch_first else "(L, N, E)"
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(f"{op}: query, key, value must all be {layout} (or unbatched (L, E)), "
                         f"got shapes {query.shape}, {key.shape}, {value.shape}")
    self_attention = query is key and key is value
    shapes = (f"query {query.shape}, key {key.shape}, value {value.shape} "
              f"(layout {'(L, E)' if query.ndim == 2 else layout})")

    # The inputs stay in the caller's layout, (L, N, E) or (N, L, E) (unbatched: (L, 1, E));
    # the projections treat every position alike, and only the heads are permuted.
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = (x.unsqueeze(1) for x in (query, key, value))    # (L, 1, E)
    bf = batch_first and not unbatched
    seq, bat = (1, 0) if bf else (0, 1)                      # which axis is L (or S), which N
    L, N, E = query.shape[seq], query.shape[bat], query.shape[2]
    S = key.shape[seq]
    h = int(num_heads)
    if E % h:
        raise ValueError(f"{op}: embed_dim E={E} must be divisible by num_heads h={h}")
    E_h = E // h
    if key.shape[2] != E or value.shape[2] != E:
        raise ValueError(f"{op}: key and value must have E={E} features like query (kdim/vdim "
                         f"are not supported); got {shapes}")
    if key.shape[bat] != N or value.shape[bat] != N:
        raise ValueError(f"{op}: query, key, value must have the same batch size N; got {shapes}")
    if value.shape[seq] != S:
        raise ValueError(f"{op}: key and value must have the same length S; got {shapes}")
    if S == 0:
        raise ValueError(f"{op}: key and value have no positions (S = 0); got {shapes}")
    if in_proj_weight.shape != (3 * E, E):
        raise ValueError(f"{op}: in_proj_weight must be (3E, E) = {(3 * E, E)}, got shape "
                         f"{in_proj_weight.shape}")
    if in_proj_bias is not None and in_proj_bias.shape != (3 * E,):
        raise ValueError(f"{op}: in_proj_bias must be (3E,) = {(3 * E,)}, got shape "
                         f"{in_proj_bias.shape}")
    if out_proj_weight.shape != (E, E):
        raise ValueError(f"{op}: out_proj_weight must be (E, E) = {(E, E)}, got shape "
                         f"{out_proj_weight.shape}")
    if out_proj_bias is not None and out_proj_bias.shape != (E,):
        raise ValueError(f"{op}: out_proj_bias must be (E,) = {(E,)}, got shape "
                         f"{out_proj_bias.shape}")
    dtype = query.dtype

    # The masks, as one additive bias broadcastable to (N, h, L, S).
    bias = None
    if attn_mask is not None:
        kind, m = _mask_array(op, "attn_mask", attn_mask)
        if m.shape == (L, S):
            pass                                              # shared by every n and head
        elif m.shape == (N * h, L, S):
            m = m.reshape(N, h, L, S)                         # row n·h + i is (n, head i)
        else:
            per_head = f"(h, L, S) = {(h, L, S)}" if unbatched else f"(N·h, L, S) = {(N * h, L, S)}"
            raise ValueError(f"{op}: attn_mask must be (L, S) = {(L, S)} or {per_head}, got shape "
                             f"{m.shape}")
        bias = _float_bias(kind, m, dtype, true_means_allowed=False)
    elif is_causal:
        bias = _causal_bias(L, S, dtype)
    if key_padding_mask is not None:
        kind, m = _mask_array(op, "key_padding_mask", key_padding_mask)
        want = (S,) if unbatched else (N, S)
        if m.shape != want:
            raise ValueError(f"{op}: key_padding_mask must be {'(S,)' if unbatched else '(N, S)'} "
                             f"= {want}, got shape {m.shape}")
        m = m.reshape(N, 1, 1, S)                             # every query and head
        kpm_bias = _float_bias(kind, m, dtype, true_means_allowed=False)
        bias = kpm_bias if bias is None else bias + kpm_bias

    # Q, K, V = x Wᵀ + b: one (3E, E) product for self-attention, three otherwise.
    to_heads = (0, 2, 1, 3) if bf else (1, 2, 0, 3)           # (·, ·, h, E_h) → (N, h, ·, E_h)
    from_heads = (0, 2, 1, 3) if bf else (2, 0, 1, 3)         # and back
    if self_attention:
        qkv = _project(query, in_proj_weight, in_proj_bias, (3, h, E_h))   # (·, ·, 3, h, E_h)
        qkv = qkv.permute((2, 0, 3, 1, 4) if bf else (2, 1, 3, 0, 4))    # (3, N, h, L, E_h)
        q, k, v = qkv.unbind(0)                               # (N, h, L, E_h) each
    else:
        W_q, W_k, W_v = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
        q = _project(query, W_q, b_q)                         # (L, N, E) or (N, L, E)
        k = _project(key, W_k, b_k)                           # (S, N, E) or (N, S, E)
        v = _project(value, W_v, b_v)
        q, k, v = (x.reshape(x.shape[:2] + (h, E_h)).permute(to_heads) for x in (q, k, v))
        #                                                       (N, h, L or S, E_h)

    # head_i = Attention(Q_i, K_i, V_i) for every head at once.
    p = dropout_p if training else 0.0
    heads, weights = _attention(q, k, v, bias, 1.0 / math.sqrt(E_h), p)   # (N, h, L, E_h), (N, h, L, S)

    # Concat(head_1, …, head_h) W_oᵀ + b_o, back in the caller's layout.
    concat = heads.permute(from_heads)                        # (L, N, h, E_h) or (N, L, h, E_h)
    output = _project(concat, out_proj_weight, out_proj_bias)   # (L, N, E) or (N, L, E)
    if unbatched:
        output = output.reshape(L, E)

    if not need_weights:
        return output, None
    if average_attn_weights:
        weights = weights.mean(axis=1)                        # (N, L, S)
    if unbatched:
        weights = weights.squeeze(0)
    return output, weights


def _project(x, W, b, split=None):
    """x Wᵀ + b on (A, B, ...) with E_in features per (a, b) → (A, B, E_out), or
    (A, B, *split) when the E_out features are split into axes (the heads).

    One (A·B, E_in) matrix product with its bias (``F.linear``, one node) between two
    reshapes: a GEMM, not A smaller ones, and no separate transpose or bias-add node."""
    A, B = x.shape[:2]
    y = _linear(x.reshape(A * B, -1), W, b)                   # (A·B, E_out)
    return y.reshape((A, B) + (tuple(split) if split else (W.shape[0],)))
