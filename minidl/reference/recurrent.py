"""F4–F6, the recurrent step and the LSTM cell, as literal loops (forward only, NumPy only).

Shape legend: N batch, D input features, H hidden units, O output units.
Weights are stored (out_features, in_features) and inputs are batched rows, so ``x Wᵀ``
in a formula is, for sample n and output unit u, row ``x[n]`` dotted with row ``W[u]``.
"""
from __future__ import annotations

import numpy as np

from .conv import _result_dtype


def _sigmoid(z):
    with np.errstate(over="ignore"):                  # exp(-z) overflows to inf for z < -709: σ = 0, fine
        return 1.0 / (1.0 + np.exp(-z))


def _relu(z):
    return np.maximum(z, 0.0)


_ACTIVATIONS = {"tanh": np.tanh, "relu": _relu, "sigmoid": _sigmoid}


def _activation(activation):
    if callable(activation):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(f"rnn_step: activation must be 'tanh', 'relu', 'sigmoid' or a callable, "
                         f"got {activation!r}")
    return _ACTIVATIONS[activation]


def _row_dot(W_row, v):
    """Σ_k W[u, k] · v[k], written out."""
    total = 0.0
    for k in range(len(v)):
        total += W_row[k] * v[k]
    return total


def rnn_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray | None = None,
    W_ho: np.ndarray | None = None,
    W_xo: np.ndarray | None = None,
    b_o: np.ndarray | None = None,
    activation: str = "tanh",
) -> tuple[np.ndarray, np.ndarray | None]:
    r"""One step of the article's recurrent network, its two equations as loops.

    The formulas (F4 and F5), per sample n and unit u::

        h_t[n, u] = f( Σ_k W_hh[u, k] · h_{t−1}[n, k] + Σ_k W_xh[u, k] · x_t[n, k] + b_h[u] )
        o_t[n, v] = f( Σ_k W_ho[v, k] · h_t[n, k]     + Σ_k W_xo[v, k] · x_t[n, k] + b_o[v] )

    that is, in batched rows (x_t (N, D), h_t (N, H), o_t (N, O), one sample per row),
    h_t = f(h_{t−1} W_hhᵀ + x_t W_xhᵀ + b_h) and o_t = f(h_t W_hoᵀ + x_t W_xoᵀ + b_o).
    A missing bias, or a missing ``W_xo`` (when ``W_ho`` is given), drops that term; no
    ``W_ho`` means there is no output equation and ``o_t`` is None.

    This is a reference: slow on purpose, sums accumulated in float64.

    Args:
        x_t: (N, D), the input at step t.
        h_prev: (N, H), the hidden state h_{t−1}.
        W_xh: (H, D).  W_hh: (H, H).  b_h: (H,) or None.
        W_ho: (O, H) or None.  W_xo: (O, D) or None.  b_o: (O,) or None.
        activation: f, one of "tanh", "relu", "sigmoid", or a callable applied
            elementwise to an array of pre-activations.

    Returns:
        (h_t, o_t): h_t (N, H); o_t (N, O), or None when ``W_ho`` is None.

    Raises:
        ValueError: wrong ranks, or an unknown activation name.

    Example:
        >>> h, o = rnn_step(np.ones((1, 1)), np.full((1, 1), 0.5), np.array([[2.0]]), np.array([[3.0]]))
        >>> bool(np.isclose(h[0, 0], np.tanh(3.0 * 0.5 + 2.0 * 1.0)))
        True
    """
    f = _activation(activation)
    x_t, h_prev, W_xh, W_hh = (np.asarray(a) for a in (x_t, h_prev, W_xh, W_hh))
    b_h, W_ho, W_xo, b_o = (None if a is None else np.asarray(a) for a in (b_h, W_ho, W_xo, b_o))
    out_dtype = _result_dtype(x_t, h_prev, W_xh, W_hh, b_h, W_ho, W_xo, b_o)
    if x_t.ndim != 2 or h_prev.ndim != 2:
        raise ValueError(f"rnn_step: x_t must be (N, D) and h_prev (N, H), got shapes "
                         f"{x_t.shape} and {h_prev.shape}")
    if W_xh.ndim != 2 or W_hh.ndim != 2:
        raise ValueError(f"rnn_step: W_xh must be (H, D) and W_hh (H, H), got shapes "
                         f"{W_xh.shape} and {W_hh.shape}")
    N, D = x_t.shape
    H = h_prev.shape[1]
    x_t, h_prev, W_xh, W_hh = (a.astype(np.float64) for a in (x_t, h_prev, W_xh, W_hh))
    b_h, W_ho, W_xo, b_o = (None if a is None else a.astype(np.float64) for a in (b_h, W_ho, W_xo, b_o))

    # Hidden update (F4): the pre-activation of every (n, u), then f.
    z_h = np.zeros((N, H))
    for n in range(N):
        for u in range(H):
            z_h[n, u] = (_row_dot(W_hh[u], h_prev[n])
                         + _row_dot(W_xh[u], x_t[n])
                         + (0.0 if b_h is None else b_h[u]))
    h_t = f(z_h)

    if W_ho is None:
        return np.asarray(h_t).astype(out_dtype), None

    # Output (F5), from the new hidden state h_t.
    O = W_ho.shape[0]
    z_o = np.zeros((N, O))
    for n in range(N):
        for v in range(O):
            z_o[n, v] = (_row_dot(W_ho[v], h_t[n])
                         + (0.0 if W_xo is None else _row_dot(W_xo[v], x_t[n]))
                         + (0.0 if b_o is None else b_o[v]))
    o_t = f(z_o)
    return np.asarray(h_t).astype(out_dtype), np.asarray(o_t).astype(out_dtype)


def lstm_cell(
    input: np.ndarray,
    hx_cx: tuple[np.ndarray, np.ndarray],
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""One LSTM step with PyTorch's weight layout, each gate on its own line.

    ``w_ih`` (4H, D) and ``w_hh`` (4H, H) stack the weights of the four gates in the order
    input i, forget f, cell g, output o: W_ii = w_ih[0:H], W_if = w_ih[H:2H],
    W_ig = w_ih[2H:3H], W_io = w_ih[3H:4H], and likewise W_h· in ``w_hh``, b_i· in ``b_ih``
    and b_h· in ``b_hh``. Per sample n and unit u (x = input[n], h = h[n], c = c[n])::

        i[u] = σ   ( W_ii[u]·x + b_ii[u] + W_hi[u]·h + b_hi[u] )
        f[u] = σ   ( W_if[u]·x + b_if[u] + W_hf[u]·h + b_hf[u] )
        g[u] = tanh( W_ig[u]·x + b_ig[u] + W_hg[u]·h + b_hg[u] )
        o[u] = σ   ( W_io[u]·x + b_io[u] + W_ho[u]·h + b_ho[u] )
        c'[u] = f[u]·c[u] + i[u]·g[u]
        h'[u] = o[u]·tanh(c'[u])

    with σ(z) = 1 / (1 + e^{−z}) and ``W[u]·x = Σ_k W[u, k] x[k]``.

    This is a reference: slow on purpose, sums accumulated in float64.

    Args:
        input: (N, D), or unbatched (D,).
        hx_cx: the pair (h, c), each (N, H) (or (H,) when unbatched); None means zeros.
        w_ih: (4H, D).  w_hh: (4H, H).  b_ih, b_hh: (4H,) or None.

    Returns:
        (h', c'), each (N, H), or (H,) for an unbatched input.

    Raises:
        ValueError: wrong ranks, or weights whose first dimension is not 4H.

    Example:
        >>> h, c = lstm_cell(np.zeros(1), None, np.zeros((4, 1)), np.zeros((4, 1)))
        >>> h, c                                  # all gates σ(0) = 0.5, g = tanh(0) = 0
        (array([0.]), array([0.]))
    """
    x = np.asarray(input)
    w_ih, w_hh = np.asarray(w_ih), np.asarray(w_hh)
    b_ih = None if b_ih is None else np.asarray(b_ih)
    b_hh = None if b_hh is None else np.asarray(b_hh)
    if x.ndim not in (1, 2):
        raise ValueError(f"lstm_cell: input must be (N, D) or (D,), got shape {x.shape}")
    if w_ih.ndim != 2 or w_hh.ndim != 2 or w_ih.shape[0] % 4 or w_hh.shape[0] != w_ih.shape[0]:
        raise ValueError(f"lstm_cell: w_ih must be (4H, D) and w_hh (4H, H), got shapes "
                         f"{w_ih.shape} and {w_hh.shape}")
    H = w_ih.shape[0] // 4
    unbatched = x.ndim == 1
    if unbatched:
        x = x[np.newaxis]
    N = x.shape[0]

    if hx_cx is None:
        h, c = np.zeros((N, H)), np.zeros((N, H))
    else:
        h, c = (np.asarray(a) for a in hx_cx)
        if unbatched:
            h, c = h[np.newaxis], c[np.newaxis]
        if h.shape != (N, H) or c.shape != (N, H):
            raise ValueError(f"lstm_cell: h and c must be (N, H) = {(N, H)} "
                             f"(or (H,) unbatched), got shapes {h.shape} and {c.shape}")
    out_dtype = _result_dtype(x, h, c, w_ih, w_hh, b_ih, b_hh)

    x, h, c, w_ih, w_hh = (a.astype(np.float64) for a in (x, h, c, w_ih, w_hh))
    b_ih = np.zeros(4 * H) if b_ih is None else b_ih.astype(np.float64)
    b_hh = np.zeros(4 * H) if b_hh is None else b_hh.astype(np.float64)
    W_ii, W_if, W_ig, W_io = w_ih[0:H], w_ih[H:2 * H], w_ih[2 * H:3 * H], w_ih[3 * H:4 * H]
    W_hi, W_hf, W_hg, W_ho = w_hh[0:H], w_hh[H:2 * H], w_hh[2 * H:3 * H], w_hh[3 * H:4 * H]
    b_ii, b_if, b_ig, b_io = b_ih[0:H], b_ih[H:2 * H], b_ih[2 * H:3 * H], b_ih[3 * H:4 * H]
    b_hi, b_hf, b_hg, b_ho = b_hh[0:H], b_hh[H:2 * H], b_hh[2 * H:3 * H], b_hh[3 * H:4 * H]

    h_new = np.zeros((N, H))
    c_new = np.zeros((N, H))
    for n in range(N):
        for u in range(H):
            i = _sigmoid(_row_dot(W_ii[u], x[n]) + b_ii[u] + _row_dot(W_hi[u], h[n]) + b_hi[u])   # input gate
            f = _sigmoid(_row_dot(W_if[u], x[n]) + b_if[u] + _row_dot(W_hf[u], h[n]) + b_hf[u])   # forget gate
            g = np.tanh(_row_dot(W_ig[u], x[n]) + b_ig[u] + _row_dot(W_hg[u], h[n]) + b_hg[u])    # cell candidate
            o = _sigmoid(_row_dot(W_io[u], x[n]) + b_io[u] + _row_dot(W_ho[u], h[n]) + b_ho[u])   # output gate
            c_new[n, u] = f * c[n, u] + i * g
            h_new[n, u] = o * np.tanh(c_new[n, u])

    if unbatched:
        h_new, c_new = h_new[0], c_new[0]
    return h_new.astype(out_dtype), c_new.astype(out_dtype)
