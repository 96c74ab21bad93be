"""The GRU cell and a GRU layer over a sequence, as literal loops (forward only, NumPy only).

Shape legend: L sequence length, N batch, D input features, H hidden units. Weights
are stored as PyTorch stores them: the three gates stacked in the order reset r,
update z, new n, each block (H, D) in ``w_ih`` and (H, H) in ``w_hh``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .conv import _result_dtype
from .recurrent import _row_dot, _sigmoid


def gru_cell(
    input: np.ndarray,
    hx: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> np.ndarray:
    r"""One GRU step with PyTorch's weight layout, each gate on its own line.

    W_ir = w_ih[0:H], W_iz = w_ih[H:2H], W_in = w_ih[2H:3H], likewise W_h· in ``w_hh``,
    b_i· in ``b_ih`` and b_h· in ``b_hh``. Per sample n and unit u (x = input[n],
    h = hx[n])::

        r[u] = σ   ( W_ir[u]·x + b_ir[u] + W_hr[u]·h + b_hr[u] )
        z[u] = σ   ( W_iz[u]·x + b_iz[u] + W_hz[u]·h + b_hz[u] )
        n[u] = tanh( W_in[u]·x + b_in[u] + r[u] · (W_hn[u]·h + b_hn[u]) )
        h'[u] = (1 − z[u]) · n[u] + z[u] · h[u]

    with σ(z) = 1 / (1 + e^{−z}) and ``W[u]·x = Σ_k W[u, k] x[k]``. The reset gate
    multiplies W_hn h + b_hn, bias included (PyTorch's form).

    This is a reference: slow on purpose, sums accumulated in float64.

    Args:
        input: (N, D), or unbatched (D,).
        hx: (N, H) (or (H,) when unbatched); None means zeros.
        w_ih: (3H, D).  w_hh: (3H, H).  b_ih, b_hh: (3H,) or None.

    Returns:
        h': (N, H), or (H,) for an unbatched input.

    Raises:
        ValueError: wrong ranks, or weights whose first dimension is not 3H.

    Example:
        >>> gru_cell(np.zeros(1), np.ones(1), np.zeros((3, 1)), np.zeros((3, 1)))
        array([0.5])
    """
    x = np.asarray(input)
    w_ih, w_hh = np.asarray(w_ih), np.asarray(w_hh)
    b_ih = None if b_ih is None else np.asarray(b_ih)
    b_hh = None if b_hh is None else np.asarray(b_hh)
    if x.ndim not in (1, 2):
        raise ValueError(f"gru_cell: input must be (N, D) or (D,), got shape {x.shape}")
    if w_ih.ndim != 2 or w_hh.ndim != 2 or w_ih.shape[0] % 3 or w_hh.shape[0] != w_ih.shape[0]:
        raise ValueError(f"gru_cell: w_ih must be (3H, D) and w_hh (3H, H), got shapes "
                         f"{w_ih.shape} and {w_hh.shape}")
    H = w_ih.shape[0] // 3
    unbatched = x.ndim == 1
    if unbatched:
        x = x[np.newaxis]
    N = x.shape[0]
    if hx is None:
        h = np.zeros((N, H))
    else:
        h = np.asarray(hx)
        if unbatched:
            h = h[np.newaxis]
        if h.shape != (N, H):
            raise ValueError(f"gru_cell: hx must be (N, H) = {(N, H)} (or (H,) unbatched), "
                             f"got shape {h.shape}")
    out_dtype = _result_dtype(x, h, w_ih, w_hh, b_ih, b_hh)

    x, h, w_ih, w_hh = (a.astype(np.float64) for a in (x, h, w_ih, w_hh))
    b_ih = np.zeros(3 * H) if b_ih is None else b_ih.astype(np.float64)
    b_hh = np.zeros(3 * H) if b_hh is None else b_hh.astype(np.float64)
    W_ir, W_iz, W_in = w_ih[0:H], w_ih[H:2 * H], w_ih[2 * H:3 * H]
    W_hr, W_hz, W_hn = w_hh[0:H], w_hh[H:2 * H], w_hh[2 * H:3 * H]
    b_ir, b_iz, b_in = b_ih[0:H], b_ih[H:2 * H], b_ih[2 * H:3 * H]
    b_hr, b_hz, b_hn = b_hh[0:H], b_hh[H:2 * H], b_hh[2 * H:3 * H]

    h_new = np.zeros((N, H))
    for n in range(N):
        for u in range(H):
            r = _sigmoid(_row_dot(W_ir[u], x[n]) + b_ir[u] + _row_dot(W_hr[u], h[n]) + b_hr[u])   # reset gate
            z = _sigmoid(_row_dot(W_iz[u], x[n]) + b_iz[u] + _row_dot(W_hz[u], h[n]) + b_hz[u])   # update gate
            n_u = np.tanh(_row_dot(W_in[u], x[n]) + b_in[u]
                          + r * (_row_dot(W_hn[u], h[n]) + b_hn[u]))                            # new state
            h_new[n, u] = (1.0 - z) * n_u + z * h[n, u]
    if unbatched:
        h_new = h_new[0]
    return h_new.astype(out_dtype)


def gru(
    input: np.ndarray, h_0: np.ndarray | None, weights: Sequence[Any], bidirectional: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""A (multi-layer, optionally bidirectional) GRU over a time-major sequence, as loops.

    For layer k and direction d, with (w_ih, w_hh, b_ih, b_hh) = ``weights[k][d]``::

        for t in 0 … L−1   (d = 0)    or   t in L−1 … 0   (d = 1):
            h = gru_cell(x_t, h, w_ih, w_hh, b_ih, b_hh);   out_d[t] = h

    where x_t is the input at step t for the first layer and the concatenation
    [out_0[t], out_1[t]] of the layer below for the others (no dropout here).

    Args:
        input: (L, N, D).
        h_0: (num_layers · num_directions, N, H), or None (zeros).
        weights: a list over layers of a list over directions of
            (w_ih, w_hh, b_ih, b_hh) tuples (biases may be None).
        bidirectional: whether each layer has a reverse direction.

    Returns:
        (output (L, N, num_directions · H), h_n (num_layers · num_directions, N, H)).

    Example:
        >>> W = [[(np.zeros((3, 1)), np.zeros((3, 1)), None, None)]]
        >>> out, h_n = gru(np.zeros((2, 1, 1)), np.ones((1, 1, 1)), W)
        >>> out[:, 0, 0], h_n[0, 0, 0]         # z = ½ and n = 0: h halves each step
        (array([0.5 , 0.25]), np.float64(0.25))
    """
    x = np.asarray(input)
    L, N, _ = x.shape
    directions = 2 if bidirectional else 1
    layer_input = [x[t] for t in range(L)]
    h_n = []
    for k, layer in enumerate(weights):
        outputs = []
        for d in range(directions):
            w_ih, w_hh, b_ih, b_hh = layer[d]
            H = np.asarray(w_hh).shape[1]
            h = np.zeros((N, H)) if h_0 is None else np.asarray(h_0)[k * directions + d]
            out: list[Any] = [None] * L
            for t in (range(L - 1, -1, -1) if d else range(L)):
                h = gru_cell(layer_input[t], h, w_ih, w_hh, b_ih, b_hh)
                out[t] = h
            outputs.append(out)
            h_n.append(h)
        layer_input = [np.concatenate([o[t] for o in outputs], axis=-1) for t in range(L)]
    return np.stack(layer_input), np.stack(h_n)
