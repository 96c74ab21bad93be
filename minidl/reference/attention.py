"""F7 and F8, scaled dot-product and multi-head attention, as literal loops (forward only, NumPy only).

Shape legend: N batch, L target (query) length, S source (key/value) length,
E embedding, Ev value features, h heads, E_h = E / h features per head.

Masks, one rule inside: every mask is turned into an additive bias on the scores,
0 where a position takes part and −inf where it does not, so that it drops out of the
softmax. The two public functions read their boolean masks in OPPOSITE ways, because
PyTorch does:

* ``scaled_dot_product_attention``: ``attn_mask`` True = this position TAKES PART.
* ``multi_head_attention``: ``key_padding_mask`` and ``attn_mask`` True = this position
  is IGNORED (not allowed to attend).

A float mask is added to the scores in both. A query row whose every position is
masked out has no softmax (0/0); minidl's convention gives it zero weights and a zero
output row, never NaN (recent PyTorch's ``scaled_dot_product_attention`` does the same,
checked with 2.13; its ``MultiheadAttention`` with ``need_weights=True`` gives NaN).
"""
from __future__ import annotations

import math

import numpy as np

from .conv import _result_dtype


def _attend(q, k, v, bias, scale):
    """One batch element: softmax(q kᵀ · scale + bias) v, a query row at a time.

    q (L, E), k (S, E), v (S, Ev), bias (L, S) additive (−inf = masked out).
    Returns (output (L, Ev), weights (L, S)).
    """
    L, E = q.shape
    S, Ev = v.shape
    out = np.zeros((L, Ev))
    weights = np.zeros((L, S))
    for l in range(L):
        # scores_s = Σ_e q[l, e] k[s, e] · scale + bias[l, s]
        scores = np.empty(S)
        for s in range(S):
            dot = 0.0
            for e in range(E):
                dot += q[l, e] * k[s, e]
            scores[s] = dot * scale + bias[l, s]

        m = scores.max()
        if m == -np.inf:                            # every position masked out: zeros (minidl's convention)
            continue
        a = np.exp(scores - m)                      # softmax over s (shifted by the max, same result)
        a = a / a.sum()
        weights[l] = a

        # out[l] = Σ_s a_s · v[s]
        for s in range(S):
            out[l] += a[s] * v[s]
    return out, weights


def scaled_dot_product_attention(
    query: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    attn_mask: np.ndarray | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> np.ndarray:
    r"""Attention(Q, K, V) = softmax(Q Kᵀ / √E) V, one query row at a time.

    The formula (F7), for each batch element and query position l::

        score[l, s]  = Σ_e Q[l, e] · K[s, e] · scale  (+ mask[l, s] if the mask is float)
        a[l, s]      = exp(score[l, s]) / Σ_{s' taking part} exp(score[l, s'])   (0 if s is masked out)
        out[l, e_v]  = Σ_s a[l, s] · V[s, e_v]

    with scale = 1/√E unless given (E = d_k, the query/key feature size).

    Masks (PyTorch's meaning):

    * a boolean ``attn_mask``: True means position s TAKES PART for query l, False
      excludes it;
    * a float ``attn_mask`` is added to the scores (−inf excludes);
    * ``is_causal=True``: s takes part iff s ≤ l (lower-triangular, top-left aligned
      also when L ≠ S); it cannot be combined with ``attn_mask``.

    A query row whose every position is excluded gives an output row of zeros (minidl's
    convention; recent PyTorch's ``scaled_dot_product_attention``, e.g. 2.13, also gives
    zeros there, older versions gave NaN).

    This is a reference: slow on purpose, sums accumulated in float64; no dropout.

    Args:
        query: (..., L, E).  key: (..., S, E).  value: (..., S, Ev). Leading dims broadcast.
        attn_mask: None, or bool or float, broadcastable to (..., L, S).
        dropout_p: must be 0 here (a reference is deterministic).
        is_causal: apply the causal mask described above.
        scale: the factor on Q Kᵀ; None means 1/√E.

    Returns:
        (..., L, Ev).

    Raises:
        ValueError: ranks below 2, mismatched feature/length dims, ``dropout_p != 0``, or
        ``is_causal`` together with ``attn_mask``.

    Example:
        >>> q, k, v = np.ones((1, 1)), np.array([[0.0], [np.log(3.0)]]), np.array([[4.0], [8.0]])
        >>> scaled_dot_product_attention(q, k, v, scale=1.0)    # weights 1/4, 3/4: 1 + 6
        array([[7.]])
    """
    op = "scaled_dot_product_attention"
    if dropout_p != 0.0:
        raise ValueError(f"{op}: the reference has no dropout; dropout_p must be 0, got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: is_causal=True cannot be combined with an attn_mask")
    q, k, v = np.asarray(query), np.asarray(key), np.asarray(value)
    mask = None if attn_mask is None else np.asarray(attn_mask)
    out_dtype = _result_dtype(q, k, v)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"{op}: query, key, value must be (..., L, E), (..., S, E), (..., S, Ev), "
                         f"got shapes {q.shape}, {k.shape}, {v.shape}")
    L, E = q.shape[-2:]
    S, Ev = v.shape[-2:]
    if k.shape[-1] != E or k.shape[-2] != S:
        raise ValueError(f"{op}: query (..., L, E), key (..., S, E), value (..., S, Ev) do not "
                         f"match: got shapes {q.shape}, {k.shape}, {v.shape}")
    if scale is None:
        scale = 1.0 / math.sqrt(E)

    # The additive bias on the scores: 0 = takes part, −inf = excluded.
    bias = np.zeros((L, S))
    if is_causal:
        for l in range(L):
            for s in range(S):
                if s > l:
                    bias[l, s] = -np.inf
    if mask is not None:
        bias = np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask.astype(np.float64)

    # Flatten the (broadcast) leading dims into one batch axis B.
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2], bias.shape[:-2])
    B = math.prod(batch)
    q = np.broadcast_to(q, batch + (L, E)).reshape(B, L, E).astype(np.float64)
    k = np.broadcast_to(k, batch + (S, E)).reshape(B, S, E).astype(np.float64)
    v = np.broadcast_to(v, batch + (S, Ev)).reshape(B, S, Ev).astype(np.float64)
    bias = np.broadcast_to(bias, batch + (L, S)).reshape(B, L, S)  # type: ignore[assignment, unused-ignore]

    out = np.zeros((B, L, Ev))
    for b in range(B):
        out[b], _ = _attend(q[b], k[b], v[b], bias[b], scale)
    return out.reshape(batch + (L, Ev)).astype(out_dtype)


def multi_head_attention(
    query: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    num_heads: int,
    in_proj_weight: np.ndarray,
    in_proj_bias: np.ndarray | None,
    out_proj_weight: np.ndarray,
    out_proj_bias: np.ndarray | None,
    key_padding_mask: np.ndarray | None = None,
    attn_mask: np.ndarray | None = None,
    need_weights: bool = True,
    average_attn_weights: bool = True,
    batch_first: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    r"""MultiHead(Q, K, V) = Concat(head_1, …, head_h) W_oᵀ + b_o, one head at a time (PyTorch's).

    The formula (F8), for each batch element, with W_q, W_k, W_v the three (E, E) blocks
    of ``in_proj_weight`` (and b_q, b_k, b_v of ``in_proj_bias``)::

        Q = query W_qᵀ + b_q,   K = key W_kᵀ + b_k,   V = value W_vᵀ + b_v        (L, E), (S, E), (S, E)
        head_i = Attention(Q[:, cols_i], K[:, cols_i], V[:, cols_i])           cols_i = i·E_h .. (i+1)·E_h − 1
        output = Concat(head_1, …, head_h) W_oᵀ + b_o                          (L, E)

    with Attention the scaled dot-product attention of F7 (scale 1/√E_h) and
    W_o = ``out_proj_weight``. Self-attention is query = key = value; cross-attention
    has a key/value sequence of another length S.

    Masks — NOTE the boolean meaning is the OPPOSITE of ``scaled_dot_product_attention``'s,
    as in PyTorch's ``nn.MultiheadAttention``:

    * ``key_padding_mask`` (N, S): bool True means IGNORE key s for that batch element
      (it is padding); a float mask is added to the scores of every query and head.
    * ``attn_mask`` (L, S), the same for every batch element and head, or (N·h, L, S),
      one per batch element and head, indexed n·h + i: bool True means query l may NOT
      attend to key s; a float mask is added to the scores.

    Both are turned into additive biases (True → −inf) and summed. A query row whose
    every key is masked out gets zero weights and a zero head output, so its output row
    is just ``out_proj_bias`` (PyTorch gives NaN there when ``need_weights=True``).

    This is a reference: the projections are plain matrix products (they are F3, the
    fully connected layer), the heads and attention are loops; float64 throughout. No
    dropout, no ``bias_k``/``bias_v``/``add_zero_attn``, key and value have E features.

    Args:
        query: (L, N, E), or (N, L, E) when ``batch_first``, or unbatched (L, E).
        key, value: (S, N, E), or (N, S, E) when ``batch_first``, or unbatched (S, E).
        num_heads: h; E must be divisible by h.
        in_proj_weight: (3E, E), W_q, W_k, W_v stacked.  in_proj_bias: (3E,) or None.
        out_proj_weight: (E, E).  out_proj_bias: (E,) or None.
        key_padding_mask: None, or (N, S) ((S,) unbatched), bool (True = ignore) or float.
        attn_mask: None, or (L, S) or (N·h, L, S), bool (True = not allowed) or float.
        need_weights: also return the attention weights.
        average_attn_weights: average the weights over the heads.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).

    Returns:
        (output, weights): output in the layout of ``query``, (L, N, E), (N, L, E) or (L, E);
        weights (N, L, S) averaged over heads, or (N, h, L, S) when not
        ``average_attn_weights`` (without the N for an unbatched input), or None when
        ``need_weights`` is False.

    Raises:
        ValueError: wrong ranks, E not divisible by h, or masks of the wrong shape.

    Example:
        >>> E, x = 2, np.ones((3, 2))                          # unbatched self-attention, L = S = 3
        >>> W_in, W_out = np.vstack([np.eye(E)] * 3), np.eye(E)
        >>> out, w = multi_head_attention(x, x, x, 1, W_in, None, W_out, None)
        >>> out.shape, w                                      # equal keys: uniform weights 1/3
        ((3, 2), array([[0.33333333, 0.33333333, 0.33333333],
               [0.33333333, 0.33333333, 0.33333333],
               [0.33333333, 0.33333333, 0.33333333]]))
    """
    op = "multi_head_attention"
    query, key, value = np.asarray(query), np.asarray(key), np.asarray(value)
    W_in, W_out = np.asarray(in_proj_weight), np.asarray(out_proj_weight)
    b_in = None if in_proj_bias is None else np.asarray(in_proj_bias)
    b_out = None if out_proj_bias is None else np.asarray(out_proj_bias)
    out_dtype = _result_dtype(query, key, value, W_in, W_out, b_in, b_out)
    kpm = None if key_padding_mask is None else np.asarray(key_padding_mask)
    am = None if attn_mask is None else np.asarray(attn_mask)

    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(f"{op}: query, key, value must all be (L, N, E) (or (N, L, E) with batch_first, "
                         f"or unbatched (L, E)), got shapes {query.shape}, {key.shape}, {value.shape}")

    # Everything below works on (N, L, E) / (N, S, E).
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query[np.newaxis], key[np.newaxis], value[np.newaxis]
        if kpm is not None:
            kpm = kpm[np.newaxis]
    elif not batch_first:
        query, key, value = (a.transpose(1, 0, 2) for a in (query, key, value))
    query, key, value = (a.astype(np.float64) for a in (query, key, value))
    N, L, E = query.shape
    S = key.shape[1]
    h = num_heads
    if h < 1 or E % h:
        raise ValueError(f"{op}: embedding E={E} must be divisible by num_heads h={h}")
    E_h = E // h
    if key.shape != (N, S, E) or value.shape != (N, S, E):
        raise ValueError(f"{op}: key and value must be (S, N, E) with N={N}, E={E} (same S), got "
                         f"shapes {key.shape} and {value.shape} (as (N, S, E))")
    if W_in.shape != (3 * E, E) or W_out.shape != (E, E):
        raise ValueError(f"{op}: in_proj_weight must be (3E, E) and out_proj_weight (E, E) with E={E}, "
                         f"got shapes {W_in.shape} and {W_out.shape}")

    # The additive bias on the scores, per (n, head, l, s): 0 = allowed, −inf = not.
    bias = np.zeros((N, h, L, S))
    if am is not None:
        am = np.where(am, -np.inf, 0.0) if am.dtype == bool else am.astype(np.float64)  # True = NOT allowed
        if am.shape == (L, S):
            bias = bias + am                                          # same for every n and head
        elif am.shape == (N * h, L, S):
            bias = bias + am.reshape(N, h, L, S)                      # row n·h + i is (n, head i)
        else:
            raise ValueError(f"{op}: attn_mask must be (L, S) = {(L, S)} or (N·h, L, S) = "
                             f"{(N * h, L, S)}, got shape {am.shape}")
    if kpm is not None:
        if kpm.shape != (N, S):
            raise ValueError(f"{op}: key_padding_mask must be (N, S) = {(N, S)} (or (S,) unbatched), "
                             f"got shape {np.shape(key_padding_mask)}")  # type: ignore[arg-type, unused-ignore]
        kpm = np.where(kpm, -np.inf, 0.0) if kpm.dtype == bool else kpm.astype(np.float64)  # True = ignore key
        bias = bias + kpm[:, np.newaxis, np.newaxis, :]

    W_q, W_k, W_v = W_in[0:E].astype(np.float64), W_in[E:2 * E].astype(np.float64), W_in[2 * E:3 * E].astype(np.float64)
    b_q, b_k, b_v = (np.zeros(E),) * 3 if b_in is None else (b_in[0:E], b_in[E:2 * E], b_in[2 * E:3 * E])
    W_o = W_out.astype(np.float64)
    b_o = np.zeros(E) if b_out is None else b_out
    scale = 1.0 / math.sqrt(E_h)

    output = np.zeros((N, L, E))
    weights = np.zeros((N, h, L, S))
    for n in range(N):
        Q = query[n] @ W_q.T + b_q                          # (L, E)
        K = key[n] @ W_k.T + b_k                            # (S, E)
        V = value[n] @ W_v.T + b_v                          # (S, E)
        concat = np.zeros((L, E))
        for i in range(h):
            cols = slice(i * E_h, (i + 1) * E_h)            # head i's E_h features
            head_i, weights[n, i] = _attend(Q[:, cols], K[:, cols], V[:, cols], bias[n, i], scale)
            concat[:, cols] = head_i                        # Concat(head_1, …, head_h)
        output[n] = concat @ W_o.T + b_o                    # (L, E)

    # Back to the caller's layout.
    if unbatched:
        output = output[0]
    elif not batch_first:
        output = output.transpose(1, 0, 2)                  # (L, N, E)
    output = output.astype(out_dtype)
    if not need_weights:
        return output, None
    if average_attn_weights:
        weights = weights.mean(axis=1)                      # (N, L, S)
    if unbatched:
        weights = weights[0]
    return output, weights.astype(out_dtype)
