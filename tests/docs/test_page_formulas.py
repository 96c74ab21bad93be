"""Every gradient formula on a block page, transcribed in NumPy and compared with minidl.

Each test quotes the page and the formula it transcribes; the page links back to the test
by name. A transcription is written from the page's formula, index by index or as the
page's matrix expression (batched rows, as the code: x is (N, D), y = x Wᵀ + b), never by
calling minidl; minidl's gradient comes from its own backward in float64 with a random
upstream gradient. If a page and the code drift apart, one of these fails.
"""
import math

import numpy as np
import pytest

import minidl as md
import minidl.functional as F
import minidl.nn as nn

RNG = np.random.default_rng


def leaf(a):
    return md.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def backward(out, upstream):
    """Run ``out.backward(upstream)``; return ``upstream`` (an ndarray)."""
    out.backward(md.tensor(upstream))
    return upstream


def g(t):
    """A leaf's gradient as an ndarray."""
    assert t.grad is not None
    return t.grad.numpy()


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------------------
# docs/blocks/convolution.md
# ----------------------------------------------------------------------------------------

def _conv_forward_np(x, w, b, s, p, d, groups):
    """convolution.md §1: y[n,o,i,j] = b_o + Σ_{c,u,v} x̃[n, γ(o) C_in/g + c, i s_h + u d_h,
    j s_w + v d_w] w[o,c,u,v], γ(o) = ⌊o / (C_out/g)⌋."""
    N, C_in, H, W = x.shape
    C_out, Cg, kH, kW = w.shape
    Og = C_out // groups
    xt = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    H_out = (H + 2 * p[0] - d[0] * (kH - 1) - 1) // s[0] + 1
    W_out = (W + 2 * p[1] - d[1] * (kW - 1) - 1) // s[1] + 1
    y = np.zeros((N, C_out, H_out, W_out))
    for o in range(C_out):
        gamma = o // Og
        for i in range(H_out):
            for j in range(W_out):
                for c in range(Cg):
                    for u in range(kH):
                        for v in range(kW):
                            y[:, o, i, j] += (xt[:, gamma * Cg + c, i * s[0] + u * d[0],
                                                 j * s[1] + v * d[1]] * w[o, c, u, v])
                y[:, o, i, j] += b[o]
    return y


@pytest.mark.parametrize("groups, s, p, d", [(1, (1, 1), (0, 0), (1, 1)),
                                              (2, (2, 1), (1, 2), (1, 2)),
                                              (3, (1, 2), (2, 1), (2, 1))])
def test_conv2d_gradients_with_groups(groups, s, p, d):
    r"""convolution.md §4, the three gradients, with groups:

    b̄_o = Σ_{n,i,j} ȳ[n,o,i,j];
    w̄[o,c,u,v] = Σ_{n,i,j} ȳ[n,o,i,j] x̃[n, γ(o) C_in/g + c, i s_h + u d_h, j s_w + v d_w];
    x̃̄[n,c,r,q] = Σ_{o in group γ(c)} Σ_{i s_h + u d_h = r, j s_w + v d_w = q}
                   ȳ[n,o,i,j] w[o, c − γ(c) C_in/g, u, v],  γ(c) = ⌊c / (C_in/g)⌋,
    and x̄ is x̃̄ without its border.
    """
    rng = RNG(groups)
    N, Cg, Og, H, W, kH, kW = 2, 2, 2, 6, 7, 3, 2
    C_in, C_out = Cg * groups, Og * groups
    x, w, b = rng.standard_normal((N, C_in, H, W)), rng.standard_normal((C_out, Cg, kH, kW)), \
        rng.standard_normal(C_out)
    xs, ws, bs = leaf(x), leaf(w), leaf(b)
    y = F.conv2d(xs, ws, bs, stride=s, padding=p, dilation=d, groups=groups)
    close(y.numpy(), _conv_forward_np(x, w, b, s, p, d, groups))
    yb = backward(y, rng.standard_normal(y.shape))
    H_out, W_out = yb.shape[2:]

    xt = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    b_bar = yb.sum(axis=(0, 2, 3))
    w_bar = np.zeros_like(w)
    xt_bar = np.zeros_like(xt)
    for o in range(C_out):
        gamma_o = o // Og
        for c in range(Cg):
            for u in range(kH):
                for v in range(kW):
                    for i in range(H_out):
                        for j in range(W_out):
                            r, q = i * s[0] + u * d[0], j * s[1] + v * d[1]
                            w_bar[o, c, u, v] += (yb[:, o, i, j] * xt[:, gamma_o * Cg + c, r, q]).sum()
    for c in range(C_in):
        gamma_c = c // Cg                                   # the input channel's group
        for o in range(gamma_c * Og, (gamma_c + 1) * Og):   # only that group's outputs
            for u in range(kH):
                for v in range(kW):
                    for i in range(H_out):
                        for j in range(W_out):
                            r, q = i * s[0] + u * d[0], j * s[1] + v * d[1]
                            xt_bar[:, c, r, q] += yb[:, o, i, j] * w[o, c - gamma_c * Cg, u, v]
    x_bar = xt_bar[:, :, p[0]:p[0] + H, p[1]:p[1] + W]
    close(g(bs), b_bar)
    close(g(ws), w_bar)
    close(g(xs), x_bar)


def test_conv2d_article_formula_f1_with_the_output_coordinates():
    """convolution.md §1, the F1 note: the article's y(x, y) = Σ_i Σ_j x(i, j)·w(i, j) read
    with output coordinates (r, q): y(r, q) = Σ_i Σ_j x(r+i, q+j)·w(i, j)."""
    rng = RNG(1)
    x, w = rng.standard_normal((5, 6)), rng.standard_normal((2, 3))
    y = F.conv2d(md.tensor(x[None, None]), md.tensor(w[None, None])).numpy()[0, 0]
    expected = np.array([[sum(x[r + i, q + j] * w[i, j] for i in range(2) for j in range(3))
                          for q in range(4)] for r in range(4)])
    close(y, expected)


# ----------------------------------------------------------------------------------------
# docs/blocks/pooling.md
# ----------------------------------------------------------------------------------------

def _avg_windows(H, W, k, s, p, ceil_mode, count_include_pad, divisor_override):
    """pooling.md §1: for each output (i, j), R_ij (its real input pixels, as slices) and
    its divisor D_ij: kH·kW with count_include_pad=True — a ceil_mode window that runs past
    the padded border counts only its part inside input plus padding —, |R_ij| with
    count_include_pad=False, divisor_override when given."""
    def out_size(n, k, s, p):
        num = n + 2 * p - k
        o = (-(-num // s) if ceil_mode else num // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:              # last window entirely in the padding
            o -= 1
        return o
    H_out, W_out = out_size(H, k[0], s[0], p[0]), out_size(W, k[1], s[1], p[1])
    windows = {}
    for i in range(H_out):
        for j in range(W_out):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], H + p[0]), min(w0 + k[1], W + p[1])
            counted = (h1 - h0) * (w1 - w0)                 # inside input plus padding
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
            real = (h1 - h0) * (w1 - w0)                    # |R_ij|
            D = divisor_override or (counted if count_include_pad else real)
            windows[i, j] = (slice(h0, h1), slice(w0, w1), real, D)
    return (H_out, W_out), windows


AVG_CASES = [  # (k, s, p, ceil_mode, count_include_pad, divisor_override)
    ((2, 2), (2, 2), (0, 0), False, True, None),
    ((3, 3), (2, 2), (1, 1), False, True, None),
    ((3, 3), (2, 2), (1, 1), False, False, None),
    ((3, 2), (2, 3), (1, 1), True, True, None),
    ((3, 2), (2, 3), (1, 0), True, False, None),
    ((3, 3), (1, 1), (1, 1), False, True, 4),
]


@pytest.mark.parametrize("k, s, p, ceil_mode, count_include_pad, divisor_override", AVG_CASES)
def test_avg_pool2d_gradient(k, s, p, ceil_mode, count_include_pad, divisor_override):
    """pooling.md §4: x̄_rq = Σ_{(i,j): (r,q) ∈ R_ij} ȳ_ij / D_ij — R_ij the window's real
    pixels, D_ij its divisor (they differ under count_include_pad / ceil_mode)."""
    rng = RNG(3)
    x = rng.standard_normal((2, 3, 7, 8))
    xs = leaf(x)
    y = F.avg_pool2d(xs, k, s, p, ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                     divisor_override=divisor_override)
    (H_out, W_out), windows = _avg_windows(7, 8, k, s, p, ceil_mode, count_include_pad,
                                           divisor_override)
    assert y.shape[2:] == (H_out, W_out)
    y_np = np.zeros(y.shape)
    for (i, j), (rs, qs, _, D) in windows.items():
        y_np[:, :, i, j] = x[:, :, rs, qs].sum(axis=(2, 3)) / D
    close(y.numpy(), y_np)
    yb = backward(y, rng.standard_normal(y.shape))
    x_bar = np.zeros_like(x)
    for (i, j), (rs, qs, _, D) in windows.items():
        x_bar[:, :, rs, qs] += yb[:, :, i, j, None, None] / D
    close(g(xs), x_bar)


@pytest.mark.parametrize("k, s, p, ceil_mode, count_include_pad, conserved", [
    ((3, 3), (1, 1), (1, 1), False, False, True),   # overlapping windows, padding not counted
    ((3, 3), (2, 2), (1, 1), True, False, True),
    ((2, 2), (2, 2), (0, 0), True, True, True),     # no padding at all: nothing to count
    ((3, 3), (2, 2), (1, 1), False, True, False),   # padding counted: its share is lost
])
def test_avg_pool2d_conserves_gradient_whenever_no_padding_is_counted(
        k, s, p, ceil_mode, count_include_pad, conserved):
    """pooling.md §4: Σ x̄ = Σ_ij ȳ_ij |R_ij| / D_ij, so Σ x̄ = Σ ȳ whenever no padding is
    counted (D_ij = |R_ij| for every window) — overlapping windows are fine."""
    rng = RNG(4)
    xs = leaf(rng.standard_normal((1, 2, 7, 7)))
    y = F.avg_pool2d(xs, k, s, p, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    yb = backward(y, rng.uniform(0.5, 1.5, y.shape))      # positive: a loss cannot cancel
    assert np.isclose(g(xs).sum(), yb.sum()) == conserved
    _, windows = _avg_windows(7, 7, k, s, p, ceil_mode, count_include_pad, None)
    total = sum(yb[:, :, i, j].sum() * real / D for (i, j), (_, _, real, D) in windows.items())
    close(g(xs).sum(), total)


@pytest.mark.parametrize("k, s, p, d, ceil_mode", [((2, 2), (2, 2), (0, 0), (1, 1), False),
                                                   ((3, 3), (1, 1), (1, 1), (1, 1), False),
                                                   ((2, 3), (2, 1), (1, 1), (2, 1), True)])
def test_max_pool2d_gradient_with_ties(k, s, p, d, ceil_mode):
    """pooling.md §4–5: x̄_rq = Σ_{(i,j): (r*_ij, q*_ij) = (r,q)} ȳ_ij, with (r*, q*) the
    FIRST maximum of the window in row-major scan order (ties: the whole gradient to one)."""
    rng = RNG(5)
    x = rng.integers(0, 3, (2, 2, 6, 7)).astype(float)     # values 0, 1, 2: ties everywhere
    xs = leaf(x)
    y = F.max_pool2d(xs, k, s, p, d, ceil_mode=ceil_mode)
    yb = backward(y, rng.standard_normal(y.shape))
    x_bar = np.zeros_like(x)
    H, W = x.shape[2:]
    for n in range(2):
        for c in range(2):
            for i in range(y.shape[2]):
                for j in range(y.shape[3]):
                    best, where = -np.inf, None
                    for u in range(k[0]):                  # row-major scan: strict > keeps the first
                        for v in range(k[1]):
                            r, q = i * s[0] + u * d[0] - p[0], j * s[1] + v * d[1] - p[1]
                            if 0 <= r < H and 0 <= q < W and x[n, c, r, q] > best:
                                best, where = x[n, c, r, q], (r, q)
                    assert y.numpy()[n, c, i, j] == best
                    x_bar[n, c][where] += yb[n, c, i, j]
    close(g(xs), x_bar)


def test_pooling_page_example_has_a_three_way_tie():
    """pooling.md §7: the top-right window (2, 0, 2, 2) is a three-way tie, the bottom-right
    (7, 8, 8, 1) a two-way tie; the first in scan order takes the whole gradient."""
    x = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 2.0, 2.0],
                  [0.0, 1.0, 7.0, 8.0], [6.0, 0.0, 8.0, 1.0]])
    top_right, bottom_right = x[:2, 2:], x[2:, 2:]
    assert (top_right == top_right.max()).sum() == 3
    assert (bottom_right == bottom_right.max()).sum() == 2
    xs = leaf(x[None, None])
    F.max_pool2d(xs, 2).backward(md.tensor(np.ones((1, 1, 2, 2))))
    assert g(xs)[0, 0, 0, 2] == 1 and g(xs)[0, 0, 1, 2:].sum() == 0 and g(xs)[0, 0, 0, 3] == 0


# ----------------------------------------------------------------------------------------
# docs/blocks/linear.md
# ----------------------------------------------------------------------------------------

def test_linear_gradients():
    """linear.md §4: W̄ = ȳᵀ x, x̄ = ȳ W, b̄ = Σ_n ȳ_n (y = x Wᵀ + b, x (N, D), W (O, D))."""
    rng = RNG(6)
    x, W, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    xs, Ws, bs = leaf(x), leaf(W), leaf(b)
    y = F.linear(xs, Ws, bs)
    close(y.numpy(), x @ W.T + b)
    yb = backward(y, rng.standard_normal(y.shape))
    close(g(Ws), yb.T @ x)
    close(g(xs), yb @ W)
    close(g(bs), yb.sum(axis=0))


# ----------------------------------------------------------------------------------------
# docs/blocks/recurrent.md
# ----------------------------------------------------------------------------------------

def test_rnn_step_backpropagation_through_time():
    """recurrent.md §4, batched rows, z_t = h_t W_hoᵀ + x_t W_xoᵀ + b_o, o_t = f(z_t):

    z̄_t = ō_t ⊙ f'(z_t);  h̄_t += z̄_t W_ho;  ā_t = h̄_t ⊙ f'(a_t);  h̄_{t−1} += ā_t W_hh;
    x̄_t = ā_t W_xh + z̄_t W_xo;
    W̄_hh = Σ_t ā_tᵀ h_{t−1}, W̄_xh = Σ_t ā_tᵀ x_t, b̄_h = Σ_t Σ_n ā_t,
    W̄_ho = Σ_t z̄_tᵀ h_t, W̄_xo = Σ_t z̄_tᵀ x_t, b̄_o = Σ_t Σ_n z̄_t.
    """
    rng = RNG(7)
    T, N, D, H, O = 4, 3, 2, 5, 3
    x = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    P = {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,), "W_ho": (O, H), "W_xo": (O, D), "b_o": (O,)}
    P = {k: rng.standard_normal(v) * 0.6 for k, v in P.items()}
    leaves = {k: leaf(v) for k, v in P.items()}
    xs, h0s = [leaf(x[t]) for t in range(T)], leaf(h0)
    h, hs, os_ = h0s, [], []
    for t in range(T):
        h, o = F.rnn_step(xs[t], h, **leaves)
        hs.append(h)
        os_.append(o)
    o_bar = rng.standard_normal((T, N, O))
    hT_bar = rng.standard_normal((N, H))
    loss = sum((o * md.tensor(o_bar[t])).sum() for t, o in enumerate(os_)) + (h * md.tensor(hT_bar)).sum()
    loss.backward()

    # forward in NumPy, keeping every state
    hn, on = [h0], []
    for t in range(T):
        hn.append(np.tanh(hn[-1] @ P["W_hh"].T + x[t] @ P["W_xh"].T + P["b_h"]))
        on.append(np.tanh(hn[-1] @ P["W_ho"].T + x[t] @ P["W_xo"].T + P["b_o"]))
    grads = {k: np.zeros_like(v) for k, v in P.items()}
    x_bar = np.zeros_like(x)
    h_bar = hT_bar.copy()                                 # h̄_T: from above the last step
    for t in reversed(range(T)):
        h_prev, h_t, o_t = hn[t], hn[t + 1], on[t]
        z_bar = o_bar[t] * (1 - o_t ** 2)                 # f'(z) = 1 − tanh²
        h_bar = h_bar + z_bar @ P["W_ho"]                 # the path through the output
        a_bar = h_bar * (1 - h_t ** 2)
        x_bar[t] = a_bar @ P["W_xh"] + z_bar @ P["W_xo"]
        grads["W_hh"] += a_bar.T @ h_prev
        grads["W_xh"] += a_bar.T @ x[t]
        grads["b_h"] += a_bar.sum(axis=0)
        grads["W_ho"] += z_bar.T @ h_t
        grads["W_xo"] += z_bar.T @ x[t]
        grads["b_o"] += z_bar.sum(axis=0)
        h_bar = a_bar @ P["W_hh"]                         # h̄_{t−1} (nothing else uses h_{t−1})
    for k in P:
        close(g(leaves[k]), grads[k])
    for t in range(T):
        close(g(xs[t]), x_bar[t])
    close(g(h0s), h_bar)


# ----------------------------------------------------------------------------------------
# docs/blocks/lstm.md
# ----------------------------------------------------------------------------------------

def _lstm_bptt(x, h0, c0, w_ih, w_hh, b_ih, b_hh, out_bar, hn_bar, cn_bar):
    """lstm.md §4, transcribed (batched rows). Returns every gradient."""
    T, N, _ = x.shape
    H = h0.shape[1]
    hs, cs, gates = [h0], [c0], []
    for t in range(T):
        z = x[t] @ w_ih.T + b_ih + hs[-1] @ w_hh.T + b_hh
        i, f, gg, o = (sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]),
                       sigmoid(z[:, 3 * H:]))
        cs.append(f * cs[-1] + i * gg)
        hs.append(o * np.tanh(cs[-1]))
        gates.append((i, f, gg, o))
    dw_ih, dw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
    db_ih, db_hh = np.zeros_like(b_ih), np.zeros_like(b_hh)
    dx = np.zeros_like(x)
    h_bar, c_bar = hn_bar.copy(), cn_bar.copy()
    for t in reversed(range(T)):
        i, f, gg, o = gates[t]
        h_bar = h_bar + out_bar[t]                       # the output at t adds in
        tc = np.tanh(cs[t + 1])
        o_bar = h_bar * tc                               # ō_t = h̄_t ⊙ tanh(c_t)
        c_bar = c_bar + h_bar * o * (1 - tc ** 2)        # c̄_t += h̄_t ⊙ o_t ⊙ (1 − tanh² c_t)
        f_bar, i_bar, g_bar = c_bar * cs[t], c_bar * gg, c_bar * i
        z_bar = np.concatenate([i_bar * i * (1 - i), f_bar * f * (1 - f), g_bar * (1 - gg ** 2),
                                o_bar * o * (1 - o)], axis=1)
        dw_ih += z_bar.T @ x[t]
        dw_hh += z_bar.T @ hs[t]
        db_ih += z_bar.sum(axis=0)                       # b̄_ih += Σ_n z̄
        db_hh += z_bar.sum(axis=0)                       # b̄_hh += Σ_n z̄
        dx[t] = z_bar @ w_ih
        h_bar = z_bar @ w_hh                             # h̄_{t−1} = z̄ W_hh, then += the output at t−1
        c_bar = c_bar * f                                # c̄_{t−1} = c̄_t ⊙ f_t
    return dict(x=dx, h0=h_bar, c0=c_bar, weight_ih_l0=dw_ih, weight_hh_l0=dw_hh,
                bias_ih_l0=db_ih, bias_hh_l0=db_hh), hs, cs


def test_lstm_gradients_fused_scan_and_composite_cell():
    """lstm.md §4: ō_t = h̄_t ⊙ tanh c_t; c̄_t += h̄_t ⊙ o_t ⊙ (1 − tanh² c_t); f̄_t = c̄_t ⊙ c_{t−1};
    c̄_{t−1} = c̄_t ⊙ f_t; ī_t = c̄_t ⊙ g_t; ḡ_t = c̄_t ⊙ i_t; z̄ = [ī i(1−i), f̄ f(1−f), ḡ(1−g²),
    ō o(1−o)]; W̄_ih += z̄ᵀ x_t; W̄_hh += z̄ᵀ h_{t−1}; b̄_ih += Σ_n z̄; b̄_hh += Σ_n z̄;
    x̄_t = z̄ W_ih; h̄_{t−1} += z̄ W_hh — against nn.LSTM (the fused LSTMScan) and against a
    loop of the composite F.lstm_cell."""
    rng = RNG(8)
    T, N, D, H = 5, 3, 2, 4
    lstm = nn.LSTM(D, H).double()
    P = {k: rng.standard_normal(v.shape) * 0.7 for k, v in lstm.state_dict().items()}
    lstm.load_state_dict(P)
    x, h0, c0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    out_bar, hn_bar, cn_bar = (rng.standard_normal((T, N, H)), rng.standard_normal((N, H)),
                               rng.standard_normal((N, H)))
    expected, hs, cs = _lstm_bptt(x, h0, c0, *P.values(), out_bar, hn_bar, cn_bar)

    xs, h0s, c0s = leaf(x), leaf(h0[None]), leaf(c0[None])
    out, (hn, cn) = lstm(xs, (h0s, c0s))
    assert "LSTMScan" in repr(out.grad_fn)
    close(out.numpy(), np.stack(hs[1:]))
    ((out * md.tensor(out_bar)).sum() + (hn * md.tensor(hn_bar[None])).sum()
     + (cn * md.tensor(cn_bar[None])).sum()).backward()
    close(g(xs), expected["x"])
    close(g(h0s)[0], expected["h0"])
    close(g(c0s)[0], expected["c0"])
    for name, p in lstm.named_parameters():
        close(g(p), expected[name])

    # the composite cell, step by step
    Ps = {k: leaf(v) for k, v in P.items()}
    xs = [leaf(x[t]) for t in range(T)]
    h0s, c0s = leaf(h0), leaf(c0)
    h, c, loss = h0s, c0s, 0
    for t in range(T):
        h, c = F.lstm_cell(xs[t], (h, c), *Ps.values())
        loss = loss + (h * md.tensor(out_bar[t])).sum()
    (loss + (h * md.tensor(hn_bar)).sum() + (c * md.tensor(cn_bar)).sum()).backward()
    close(np.stack([g(t) for t in xs]), expected["x"])
    close(g(h0s), expected["h0"])
    close(g(c0s), expected["c0"])
    for name in P:
        close(g(Ps[name]), expected[name])


# ----------------------------------------------------------------------------------------
# docs/blocks/gru.md
# ----------------------------------------------------------------------------------------

def test_gru_gradients():
    """gru.md §4: z̄_t = h̄_t ⊙ (h_{t−1} − n_t); n̄_t = h̄_t ⊙ (1 − z_t); h̄_{t−1} += h̄_t ⊙ z_t;
    ā_n = n̄_t ⊙ (1 − n_t²); ḡ_{x,n} = ā_n; ḡ_{h,n} = ā_n ⊙ r_t; r̄_t = ā_n ⊙ g_{h,n};
    ḡ_{·,r} = r̄_t ⊙ r_t(1 − r_t); ḡ_{·,z} = z̄_t ⊙ z_t(1 − z_t); W̄_ih += ḡ_xᵀ x_t;
    W̄_hh += ḡ_hᵀ h_{t−1}; b̄_ih += Σ_n ḡ_x; b̄_hh += Σ_n ḡ_h; x̄_t = ḡ_x W_ih;
    h̄_{t−1} += ḡ_h W_hh — against a loop of F.gru_cell and against nn.GRU."""
    rng = RNG(9)
    T, N, D, H = 4, 3, 2, 3
    gru = nn.GRU(D, H).double()
    P = {k: rng.standard_normal(v.shape) * 0.7 for k, v in gru.state_dict().items()}
    gru.load_state_dict(P)
    w_ih, w_hh, b_ih, b_hh = P.values()
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    out_bar = rng.standard_normal((T, N, H))

    hs, cache = [h0], []
    for t in range(T):
        gx, gh = x[t] @ w_ih.T + b_ih, hs[-1] @ w_hh.T + b_hh
        r = sigmoid(gx[:, :H] + gh[:, :H])
        z = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
        hs.append((1 - z) * n + z * hs[-1])
        cache.append((r, z, n, gh))
    dw_ih, dw_hh, db_ih, db_hh = (np.zeros_like(a) for a in (w_ih, w_hh, b_ih, b_hh))
    dx, h_bar = np.zeros_like(x), np.zeros((N, H))
    for t in reversed(range(T)):
        r, z, n, gh = cache[t]
        h_prev = hs[t]
        h_bar = h_bar + out_bar[t]
        z_bar = h_bar * (h_prev - n)
        n_bar = h_bar * (1 - z)
        a_n = n_bar * (1 - n ** 2)
        r_bar = a_n * gh[:, 2 * H:]
        g_r, g_z = r_bar * r * (1 - r), z_bar * z * (1 - z)
        g_x = np.concatenate([g_r, g_z, a_n], axis=1)
        g_h = np.concatenate([g_r, g_z, a_n * r], axis=1)
        dw_ih += g_x.T @ x[t]
        dw_hh += g_h.T @ h_prev
        db_ih += g_x.sum(axis=0)
        db_hh += g_h.sum(axis=0)
        dx[t] = g_x @ w_ih
        h_bar = h_bar * z + g_h @ w_hh                   # h̄_{t−1}: both paths
    expected = dict(weight_ih_l0=dw_ih, weight_hh_l0=dw_hh, bias_ih_l0=db_ih, bias_hh_l0=db_hh)

    xs, h0s = leaf(x), leaf(h0[None])
    out, _ = gru(xs, h0s)
    close(out.numpy(), np.stack(hs[1:]))
    (out * md.tensor(out_bar)).sum().backward()
    close(g(xs), dx)
    close(g(h0s)[0], h_bar)
    for name, p in gru.named_parameters():
        close(g(p), expected[name])

    Ps = {k: leaf(v) for k, v in P.items()}
    xs = [leaf(x[t]) for t in range(T)]
    h = h0s = leaf(h0)
    loss = 0
    for t in range(T):
        h = F.gru_cell(xs[t], h, *Ps.values())
        loss = loss + (h * md.tensor(out_bar[t])).sum()
    loss.backward()
    close(np.stack([g(t) for t in xs]), dx)
    close(g(h0s), h_bar)
    for name in P:
        close(g(Ps[name]), expected[name])


# ----------------------------------------------------------------------------------------
# docs/blocks/attention.md
# ----------------------------------------------------------------------------------------

def _softmax_rows(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _attention_backward(Q, K, V, Y_bar, bias=0.0):
    """attention.md §4 for one (L, E) × (S, E) × (S, E_v) problem: returns Q̄, K̄, V̄, P."""
    d_k = Q.shape[-1]
    A = Q @ K.T / math.sqrt(d_k) + bias
    P = _softmax_rows(A)
    V_bar = P.T @ Y_bar                                    # V̄ = Pᵀ Ȳ
    P_bar = Y_bar @ V.T                                    # P̄ = Ȳ Vᵀ
    A_bar = P * (P_bar - (P_bar * P).sum(axis=-1, keepdims=True))
    return A_bar @ K / math.sqrt(d_k), A_bar.T @ Q / math.sqrt(d_k), V_bar, P


def test_scaled_dot_product_attention_gradients():
    """attention.md §4: V̄ = Pᵀ Ȳ, P̄ = Ȳ Vᵀ, Ā_ls = P_ls (P̄_ls − Σ_s' P̄_ls' P_ls'),
    Q̄ = Ā K / √d_k, K̄ = Āᵀ Q / √d_k (batched over the leading axes)."""
    rng = RNG(10)
    B, L, S, E, Ev = 2, 3, 4, 5, 2
    q, k, v = rng.standard_normal((B, L, E)), rng.standard_normal((B, S, E)), rng.standard_normal((B, S, Ev))
    qs, ks, vs = leaf(q), leaf(k), leaf(v)
    y = F.scaled_dot_product_attention(qs, ks, vs)
    yb = backward(y, rng.standard_normal(y.shape))
    for b in range(B):
        Qb, Kb, Vb, P = _attention_backward(q[b], k[b], v[b], yb[b])
        close(y.numpy()[b], P @ v[b])
        close(g(qs)[b], Qb)
        close(g(ks)[b], Kb)
        close(g(vs)[b], Vb)


# ----------------------------------------------------------------------------------------
# docs/blocks/multi-head-attention.md and docs/blocks/cross-attention.md
# ----------------------------------------------------------------------------------------

def _mha_np(xq, xk, xv, h, W_in, b_in, W_o, b_o, Y_bar, key_bias=None):
    """multi-head-attention.md §1 and §4 for one batch element, rows:
    Q = x^Q W_Qᵀ + b_Q, K = x^K W_Kᵀ + b_K, V = x^V W_Vᵀ + b_V; head_i = Attention(Q_i, K_i, V_i)
    with Q_i = Q[:, i d:(i+1) d]; Y = Concat(head_1, …, head_h) W_Oᵀ + b_O. Backward:
    W̄_O = Ȳᵀ C, b̄_O = Σ_l Ȳ, C̄ = Ȳ W_O; each head's attention rule; then each projection as
    a linear layer: W̄_Q = Q̄ᵀ x^Q, b̄_Q = Σ_l Q̄, x̄^Q = Q̄ W_Q (likewise K, V)."""
    E = xq.shape[1]
    d = E // h
    W_Q, W_K, W_V = W_in[:E], W_in[E:2 * E], W_in[2 * E:]
    b_Q, b_K, b_V = b_in[:E], b_in[E:2 * E], b_in[2 * E:]
    Q, K, V = xq @ W_Q.T + b_Q, xk @ W_K.T + b_K, xv @ W_V.T + b_V
    bias = 0.0 if key_bias is None else key_bias[None, :]
    heads, grads = [], []
    C_bar = Y_bar @ W_o
    for i in range(h):
        blk = slice(i * d, (i + 1) * d)
        Qb, Kb, Vb, P = _attention_backward(Q[:, blk], K[:, blk], V[:, blk], C_bar[:, blk], bias)
        heads.append(P @ V[:, blk])
        grads.append((Qb, Kb, Vb))
    C = np.concatenate(heads, axis=1)                      # Concat(head_1, …, head_h)
    Y = C @ W_o.T + b_o
    Q_bar, K_bar, V_bar = (np.concatenate([gr[j] for gr in grads], axis=1) for j in range(3))
    return Y, dict(
        W_in=np.concatenate([Q_bar.T @ xq, K_bar.T @ xk, V_bar.T @ xv]),
        b_in=np.concatenate([Q_bar.sum(0), K_bar.sum(0), V_bar.sum(0)]),
        W_o=Y_bar.T @ C, b_o=Y_bar.sum(0),
        xq=Q_bar @ W_Q, xk=K_bar @ W_K, xv=V_bar @ W_V)


def _mha_params(rng, E):
    return (rng.standard_normal((3 * E, E)) * 0.5, rng.standard_normal(3 * E) * 0.5,
            rng.standard_normal((E, E)) * 0.5, rng.standard_normal(E) * 0.5)


def test_multi_head_attention_self_attention_gradients():
    """multi-head-attention.md §1/§4: Y = Concat(head_i) W_Oᵀ + b_O with
    head_i = Attention(x W_{Q,i}ᵀ + b_{Q,i}, …) (W_{Q,i} the rows i·d … (i+1)·d − 1 of W_Q);
    the in_proj_weight gradient is [W̄_Q; W̄_K; W̄_V], and in self-attention
    x̄ = x̄^Q + x̄^K + x̄^V (the three paths summed where the graph fans in)."""
    rng = RNG(11)
    L, N, E, h = 4, 2, 6, 3
    x = rng.standard_normal((L, N, E))
    P = _mha_params(rng, E)
    xs = leaf(x)
    Ps = [leaf(p) for p in P]
    y, _ = F.multi_head_attention(xs, xs, xs, h, *Ps)
    yb = backward(y, rng.standard_normal(y.shape))
    totals = {k: 0 for k in ("W_in", "b_in", "W_o", "b_o")}
    for n in range(N):
        Y, gr = _mha_np(x[:, n], x[:, n], x[:, n], h, *P, yb[:, n])
        close(y.numpy()[:, n], Y)
        close(g(xs)[:, n], gr["xq"] + gr["xk"] + gr["xv"])
        for k in totals:
            totals[k] = totals[k] + gr[k]
    for p, k in zip(Ps, ("W_in", "b_in", "W_o", "b_o")):
        close(g(p), totals[k])


def test_cross_attention_gradient_into_memory():
    """cross-attention.md §4, per head (rows): v̄_s = Σ_t a_ts ō_t, ā_ts = ō_t · v_s,
    z̄_ts = a_ts (ā_ts − Σ_s' a_ts' ā_ts'), k̄_s = Σ_t z̄_ts q_t / √E_h, and the memory receives
    m̄ = K̄ W_K + V̄ W_V; a padded source position receives exactly zero."""
    rng = RNG(12)
    T, S, N, E, h = 3, 5, 2, 4, 2
    x, m = rng.standard_normal((T, N, E)), rng.standard_normal((S, N, E))
    P = _mha_params(rng, E)
    pad = np.zeros((N, S), bool)
    pad[1, 3:] = True                                      # batch element 1: its last 2 are padding
    xs, ms = leaf(x), leaf(m)
    y, _ = F.multi_head_attention(xs, ms, ms, h, *[leaf(p) for p in P], key_padding_mask=md.tensor(pad))
    yb = backward(y, rng.standard_normal(y.shape))
    for n in range(N):
        key_bias = np.where(pad[n], -np.inf, 0.0)
        Y, gr = _mha_np(x[:, n], m[:, n], m[:, n], h, *P, yb[:, n], key_bias)
        close(y.numpy()[:, n], Y)
        close(g(ms)[:, n], gr["xk"] + gr["xv"])           # m̄ = K̄ W_K + V̄ W_V
    assert np.all(g(ms)[3:, 1] == 0) and np.all(g(ms)[:, 0] != 0)


def test_cross_attention_memory_gradient_is_summed_over_decoder_layers():
    """cross-attention.md §4: the memory receives m̄ from every decoder layer — their sum."""
    md.manual_seed(0)
    layers = [nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0).double() for _ in range(2)]
    rng = RNG(13)
    tgt, mem = rng.standard_normal((3, 2, 8)), rng.standard_normal((4, 2, 8))
    up = rng.standard_normal((3, 2, 8))
    m_shared, m1, m2 = leaf(mem), leaf(mem), leaf(mem)
    backward(layers[1](layers[0](md.tensor(tgt), m_shared), m_shared), up)
    backward(layers[1](layers[0](md.tensor(tgt), m1), m2), up)
    close(g(m_shared), g(m1) + g(m2))
    assert np.abs(g(m1)).max() > 1e-3 and np.abs(g(m2)).max() > 1e-3


# ----------------------------------------------------------------------------------------
# docs/blocks/positional-encoding.md
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("E", [6, 7])
def test_positional_encoding_table_frequencies_and_gradient(E):
    """positional-encoding.md §1/§3/§4: PE[pos, 2i] = sin(pos ω_i), PE[pos, 2i+1] = cos(pos ω_i),
    ω_i = 10000^(−2i/E) for i = 0 … ⌈E/2⌉ − 1 (the lowest, 10000^(−2(⌈E/2⌉−1)/E), is
    10000^(−(E−2)/E) for even E); x̄ = ȳ and the table receives nothing."""
    pe = nn.PositionalEncoding(d_model=E, max_len=20).double()
    table = pe.pe.numpy().reshape(20, E)
    omega = 10000.0 ** (-np.arange(0, E, 2) / E)
    assert omega.shape == (math.ceil(E / 2),)
    if E % 2 == 0:
        assert np.isclose(omega[-1], 10000.0 ** (-(E - 2) / E)) and omega[-1] > 1 / 10000
    pos = np.arange(20.0)[:, None]
    close(table[:, 0::2], np.sin(pos * omega), 1e-7)          # the table is built in float32
    close(table[:, 1::2], np.cos(pos * omega[:E // 2]), 1e-7)
    x = leaf(np.random.default_rng(0).standard_normal((5, 2, E)))
    y = pe(x)
    yb = backward(y, np.random.default_rng(1).standard_normal(y.shape))
    close(g(x), yb)
    assert pe.pe.grad is None and list(pe.parameters()) == []


def test_positional_encoding_dropout_gradient():
    """positional-encoding.md §4: with dropout, y = (x + PE) ⊙ m/(1 − p) and
    x̄ = ȳ ⊙ m/(1 − p) for the same mask m."""
    md.manual_seed(0)
    p = 0.4
    pe = nn.PositionalEncoding(d_model=6, dropout=p, max_len=20).double().train()
    x = leaf(np.random.default_rng(2).standard_normal((5, 3, 6)))
    y = pe(x)
    yb = backward(y, np.random.default_rng(3).standard_normal(y.shape))
    kept = y.numpy() != 0                                  # x + PE is never exactly 0 here
    assert 0 < kept.mean() < 1
    close(y.numpy(), (x.numpy() + pe.pe.numpy()[:5, None, :]) * kept / (1 - p), 1e-7)
    close(g(x), yb * kept / (1 - p))


# ----------------------------------------------------------------------------------------
# docs/blocks/transformer.md (residual, layer norm) and docs/blocks/batch-norm.md
# ----------------------------------------------------------------------------------------

def test_residual_connection_gradient():
    """transformer.md §4: y = x + SA(x) gives x̄ = ȳ + ȳ ∂SA/∂x — the upstream gradient plus
    the sub-layer's own vector–Jacobian product."""
    md.manual_seed(0)
    sa = nn.MultiheadAttention(6, 2).double()
    x0 = np.random.default_rng(4).standard_normal((4, 2, 6))
    yb = np.random.default_rng(5).standard_normal((4, 2, 6))
    x = leaf(x0)
    backward(x + sa(x, x, x)[0], yb)
    x_sub = leaf(x0)
    backward(sa(x_sub, x_sub, x_sub)[0], yb)                # ȳ ∂SA/∂x alone
    close(g(x), yb + g(x_sub))


def _norm_backward(x, gamma, y_bar, eps, axes):
    """transformer.md §4 / batch-norm.md §4: s = √(σ² + ε), x̂ = (x − μ)/s, g = ȳ ⊙ γ,
    x̄ = (g − ⟨g⟩ − x̂ ⟨g ⊙ x̂⟩)/s, means ⟨·⟩ over the normalised values."""
    mu = x.mean(axis=axes, keepdims=True)
    s = np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    xh = (x - mu) / s
    gg = y_bar * gamma
    return (gg - gg.mean(axis=axes, keepdims=True) - xh * (gg * xh).mean(axis=axes, keepdims=True)) / s, xh


def test_layer_norm_gradients():
    """transformer.md §4: x̄ = (1/s)(g − (1/E) Σ_e g_e − x̂ (1/E) Σ_e g_e x̂_e) with
    s = √(σ² + ε); γ̄ = Σ_rows ȳ ⊙ x̂; β̄ = Σ_rows ȳ."""
    rng = RNG(14)
    x = rng.standard_normal((3, 4, 5)) * rng.uniform(0.01, 3, (3, 4, 1))
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    xs, gs, bs = leaf(x), leaf(gamma), leaf(beta)
    y = F.layer_norm(xs, (5,), gs, bs, eps=1e-5)
    yb = backward(y, rng.standard_normal(y.shape))
    x_bar, xh = _norm_backward(x, gamma, yb, 1e-5, -1)
    close(y.numpy(), xh * gamma + beta)
    close(g(xs), x_bar, 1e-8)
    close(g(gs), (yb * xh).sum(axis=(0, 1)))
    close(g(bs), yb.sum(axis=(0, 1)))


def test_layer_norm_gradient_orthogonal_to_xhat_only_without_eps():
    """transformer.md §4: Σ_e x̄_e = 0 always, but x̂ · x̄ = (ε/(σ² + ε)) (E/s) ⟨g ⊙ x̂⟩: zero
    only for ε = 0, and large for a row whose σ² is not ≫ ε (std 0.01 here)."""
    rng = RNG(15)
    E = 16
    row = rng.standard_normal(E)
    row = 0.01 * (row - row.mean()) / row.std()            # std exactly 0.01
    yb = rng.standard_normal(E)
    for eps in (0.0, 1e-5):
        xs = leaf(row[None])
        backward(F.layer_norm(xs, (E,), eps=eps), yb[None])
        x_bar = g(xs)[0]
        s = math.sqrt(row.var() + eps)
        xh = (row - row.mean()) / s
        assert abs(x_bar.sum()) < 1e-9
        predicted = eps / (row.var() + eps) * E / s * (yb * xh).mean()
        close(xh @ x_bar, predicted, 1e-7)
        if eps == 0:
            assert abs(xh @ x_bar) < 1e-8
        else:
            assert abs(xh @ x_bar) > 50                # −54 here, as the page says


def test_batch_norm_gradients_training_and_evaluation():
    """batch-norm.md §4: training, per channel (means over the m values):
    x̄ = (1/s)(g − ⟨g⟩ − x̂ ⟨g ⊙ x̂⟩), γ̄_c = Σ ȳ ⊙ x̂, β̄_c = Σ ȳ; evaluation:
    x̄ = ȳ ⊙ γ / √(σ̂² + ε); Σ x̄ = 0 per channel in training, and
    x̂ · x̄ = (ε/(σ² + ε)) (m/s) ⟨g ⊙ x̂⟩ (zero only for ε = 0)."""
    rng = RNG(16)
    x = rng.standard_normal((4, 3, 2, 5)) * 2 + 1
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    for training in (True, False):
        xs, gs, bs = leaf(x), leaf(gamma), leaf(beta)
        y = F.batch_norm(xs, md.tensor(rm.copy()), md.tensor(rv.copy()), gs, bs, training=training)
        yb = backward(y, rng.standard_normal(y.shape))
        G = gamma[None, :, None, None]
        if training:
            x_bar, xh = _norm_backward(x, G, yb, 1e-5, (0, 2, 3))
            assert np.abs(g(xs).sum(axis=(0, 2, 3))).max() < 1e-9
            # x̂ · x̄ = (ε/(σ² + ε)) (m/s) ⟨g ⊙ x̂⟩ per channel, m = N·H·W values
            var, m = x.var(axis=(0, 2, 3)), x.size // 3
            predicted = (1e-5 / (var + 1e-5) * m / np.sqrt(var + 1e-5)
                         * (yb * G * xh).mean(axis=(0, 2, 3)))
            close((g(xs) * xh).sum(axis=(0, 2, 3)), predicted, 1e-8)
        else:
            xh = (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5)
            x_bar = yb * G / np.sqrt(rv[None, :, None, None] + 1e-5)
        close(y.numpy(), xh * G + beta[None, :, None, None])
        close(g(xs), x_bar, 1e-8)
        close(g(gs), (yb * xh).sum(axis=(0, 2, 3)))
        close(g(bs), yb.sum(axis=(0, 2, 3)))


# ----------------------------------------------------------------------------------------
# docs/blocks/softmax-cross-entropy.md
# ----------------------------------------------------------------------------------------

def test_softmax_and_log_softmax_gradients():
    """softmax-cross-entropy.md §4: softmax x̄_k = y_k (ȳ_k − Σ_i ȳ_i y_i) (sums to zero);
    log-softmax x̄_k = ȳ_k − y_k Σ_i ȳ_i (y the softmax)."""
    rng = RNG(17)
    x = rng.standard_normal((4, 6)) * 3
    p = _softmax_rows(x)
    for fn, rule in ((F.softmax, lambda yb: p * (yb - (yb * p).sum(1, keepdims=True))),
                     (F.log_softmax, lambda yb: yb - p * yb.sum(1, keepdims=True))):
        xs = leaf(x)
        yb = backward(fn(xs, dim=1), rng.standard_normal(x.shape))
        close(g(xs), rule(yb))
    xs = leaf(x)
    backward(F.softmax(xs, dim=1), rng.standard_normal(x.shape))
    assert np.abs(g(xs).sum(axis=1)).max() < 1e-12


@pytest.mark.parametrize("weighted, ignore, smoothing, reduction", [
    (False, False, 0.0, "mean"), (True, False, 0.0, "mean"), (True, True, 0.0, "mean"),
    (False, True, 0.0, "mean"), (True, True, 0.2, "mean"), (False, False, 0.1, "mean"),
    (True, True, 0.2, "sum"), (True, False, 0.3, "none")])
def test_cross_entropy_gradient_weights_ignore_index_label_smoothing(weighted, ignore, smoothing,
                                                                    reduction):
    """softmax-cross-entropy.md §4: with coefficients a_nc = (1 − ε) w_{t_n} δ_{c,t_n} + (ε/C) w_c
    (w = 1 without weights; a_n· = 0 for an ignored row), ℓ_n = −Σ_c a_nc log p_nc; 'mean'
    divides Σ_n ℓ_n by W = Σ_n w_{t_n} over the rows not ignored (the weights of the target
    classes, not of all classes); the gradient is x̄_nk = ȳ_n (p_nk Σ_c a_nc − a_nk), ȳ_n = 1/W
    for 'mean'."""
    rng = RNG(18)
    N, C = 7, 4
    x = rng.standard_normal((N, C)) * 2
    t = rng.integers(0, C, N)
    if ignore:
        t[[1, 4]] = -100
    w = rng.uniform(0.2, 3.0, C) if weighted else np.ones(C)
    xs = leaf(x)
    loss = F.cross_entropy(xs, md.tensor(t), weight=md.tensor(w) if weighted else None,
                           reduction=reduction, label_smoothing=smoothing)
    up = rng.standard_normal(loss.shape) if reduction == "none" else np.array(1.0)
    backward(loss, up)
    p, keep = _softmax_rows(x), t != -100
    a = np.zeros((N, C))
    a[keep] = smoothing / C * w
    a[np.flatnonzero(keep), t[keep]] += (1 - smoothing) * w[t[keep]]
    ell = -(a * np.log(p)).sum(axis=1)
    W = w[t[keep]].sum()
    if reduction == "mean":
        close(loss.numpy(), ell.sum() / W)
        y_bar = np.full(N, 1 / W)
    elif reduction == "sum":
        close(loss.numpy(), ell.sum())
        y_bar = np.ones(N)
    else:
        close(loss.numpy(), ell)
        y_bar = up
    close(g(xs), y_bar[:, None] * (p * a.sum(axis=1, keepdims=True) - a))


def test_cross_entropy_weighted_mean_formula_matches_pytorch():
    """softmax-cross-entropy.md §5: the same transcription against PyTorch (float64)."""
    torch = pytest.importorskip("torch")
    rng = RNG(19)
    x, t, w = rng.standard_normal((6, 3)), rng.integers(0, 3, 6), rng.uniform(0.2, 3.0, 3)
    t[2] = -100
    ref = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t), weight=torch.tensor(w),
                                            label_smoothing=0.2).item()
    p, keep = _softmax_rows(x), t != -100
    a = np.zeros((6, 3))
    a[keep] = 0.2 / 3 * w
    a[np.flatnonzero(keep), t[keep]] += 0.8 * w[t[keep]]
    assert np.isclose(-(a * np.log(p)).sum() / w[t[keep]].sum(), ref, rtol=1e-12)
