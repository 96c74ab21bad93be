"""Tests of the literal references (``minidl.reference``), the oracle of the fast ops.

Four kinds of check, per formula:
  (a) tiny cases computed by hand;
  (b) SciPy (``scipy.signal.correlate2d``) for single-channel convolution;
  (c) PyTorch in float64 over a small grid of configurations;
  (d) a direct vectorised NumPy transcription of the formula.
"""
import math

import numpy as np
import pytest

import minidl.reference as ref

ATOL = 1e-10
RTOL = 1e-10


def close(actual, expected, atol=ATOL):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=atol)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _torch():
    return pytest.importorskip("torch")


def _t(a):
    torch = _torch()
    return torch.from_numpy(np.ascontiguousarray(a))


# ----------------------------------------------------------------------------------------
# conv2d
# ----------------------------------------------------------------------------------------

def test_conv2d_hand_3x3_input_2x2_kernel():
    x = np.array([[1.0, 2.0, 3.0],
                  [4.0, 5.0, 6.0],
                  [7.0, 8.0, 9.0]])
    w = np.array([[1.0, 2.0],
                  [3.0, 4.0]])
    # y[0,0] = 1·1 + 2·2 + 4·3 + 5·4 = 37; y[0,1] = 2·1 + 3·2 + 5·3 + 6·4 = 47; ...
    y = ref.conv2d(x[None, None], w[None, None], bias=np.array([0.5]))
    close(y, [[[[37.5, 47.5], [67.5, 77.5]]]])
    # no kernel flip: a true convolution would give 1·9... i.e. y[0,0] = 5·1+4·2+2·3+1·4 = 23
    assert y[0, 0, 0, 0] != 23.0 + 0.5


def test_conv2d_hand_padding():
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])                      # unbatched (C_in, H, W)
    y = ref.conv2d(x, np.ones((1, 1, 3, 3)), padding=1)
    assert y.shape == (1, 2, 2)                                   # unbatched out
    close(y, np.full((1, 2, 2), 10.0))                           # every 3x3 window covers all four


def test_conv2d_hand_stride_dilation():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    y = ref.conv2d(x, np.ones((1, 1, 2, 2)), stride=2, dilation=2)
    # H_out = floor((5 − 2·1 − 1)/2) + 1 = 2; y[i,j] = x[2i,2j] + x[2i,2j+2] + x[2i+2,2j] + x[2i+2,2j+2]
    close(y, [[[[0 + 2 + 10 + 12, 2 + 4 + 12 + 14], [10 + 12 + 20 + 22, 12 + 14 + 22 + 24]]]])


def test_conv2d_hand_groups():
    # two groups of one channel each: output channel 0 sees only input channel 0, 1 only 1
    x = np.stack([np.ones((2, 2)), 10 * np.ones((2, 2))])[None]   # (1, 2, 2, 2)
    w = np.ones((2, 1, 1, 1)) * np.array([2.0, 3.0])[:, None, None, None]
    close(ref.conv2d(x, w, groups=2), [[np.full((2, 2), 2.0), np.full((2, 2), 30.0)]])


@pytest.mark.parametrize("shape_x, shape_w", [((3, 3), (2, 2)), ((6, 5), (3, 2)), ((7, 4), (1, 4)), ((4, 4), (4, 4))])
def test_conv2d_matches_scipy_correlate2d(rng, shape_x, shape_w):
    signal = pytest.importorskip("scipy.signal")
    x = rng.standard_normal(shape_x)
    w = rng.standard_normal(shape_w)
    close(ref.conv2d(x[None, None], w[None, None])[0, 0], signal.correlate2d(x, w, mode="valid"))


def _conv2d_numpy(x, w, b, stride, padding, dilation, groups):
    """y = b + Σ_{c,p,q} x_pad[n, g·C_in_g + c, i s + p d, j s + q d] w[o, c, p, q], vectorised."""
    (s_h, s_w), (p_h, p_w), (d_h, d_w) = stride, padding, dilation
    N, C_in, H, W = x.shape
    C_out, C_in_g, kH, kW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (p_h, p_h), (p_w, p_w)))
    H_out = (H + 2 * p_h - d_h * (kH - 1) - 1) // s_h + 1
    W_out = (W + 2 * p_w - d_w * (kW - 1) - 1) // s_w + 1
    rows = np.arange(H_out)[:, None] * s_h + np.arange(kH)[None, :] * d_h    # (H_out, kH)
    cols = np.arange(W_out)[:, None] * s_w + np.arange(kW)[None, :] * d_w    # (W_out, kW)
    patches = x_pad[:, :, rows[:, None, :, None], cols[None, :, None, :]]    # (N, C_in, H_out, W_out, kH, kW)
    C_out_g = C_out // groups
    ys = []
    for g in range(groups):
        xg = patches[:, g * C_in_g:(g + 1) * C_in_g]
        wg = w[g * C_out_g:(g + 1) * C_out_g]
        ys.append(np.einsum("ncijpq,ocpq->noij", xg, wg))
    y = np.concatenate(ys, axis=1)
    return y if b is None else y + b[None, :, None, None]


# (N, C_in, H, W), (C_out, C_in/groups, kH, kW), stride, padding, dilation, groups, bias
CONV_CASES = [
    ((2, 4, 10, 10), (6, 2, 3, 3), 1, 0, 1, 2, True),
    ((1, 3, 7, 8), (2, 3, 3, 2), (2, 1), (1, 0), 1, 1, True),
    ((2, 2, 9, 7), (4, 2, 2, 3), 1, (2, 1), (2, 3), 1, False),
    ((1, 6, 8, 8), (6, 1, 3, 3), (1, 2), 1, 1, 6, True),          # depthwise
    ((2, 4, 6, 9), (4, 2, 1, 1), (3, 2), 0, 1, 2, False),
    ((1, 2, 5, 5), (3, 2, 5, 5), 1, 2, 1, 1, True),
    ((1, 3, 9, 11), (3, 1, 3, 2), (2, 3), (1, 2), (3, 2), 3, True),
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups, bias", CONV_CASES)
def test_conv2d_matches_numpy_transcription(rng, xs, ws, stride, padding, dilation, groups, bias):
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if bias else None
    pair = lambda v: (v, v) if isinstance(v, int) else v
    expected = _conv2d_numpy(x, w, b, pair(stride), pair(padding), pair(dilation), groups)
    close(ref.conv2d(x, w, b, stride, padding, dilation, groups), expected)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups, bias", CONV_CASES)
def test_conv2d_matches_torch(rng, xs, ws, stride, padding, dilation, groups, bias):
    torch = _torch()
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if bias else None
    expected = torch.nn.functional.conv2d(_t(x), _t(w), None if b is None else _t(b),
                                          stride, padding, dilation, groups).numpy()
    close(ref.conv2d(x, w, b, stride, padding, dilation, groups), expected)


def test_conv2d_unbatched_matches_torch(rng):
    torch = _torch()
    x, w, b = rng.standard_normal((2, 6, 5)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    expected = torch.nn.functional.conv2d(_t(x), _t(w), _t(b), padding=(1, 0)).numpy()
    y = ref.conv2d(x, w, b, padding=(1, 0))
    assert y.shape == expected.shape == (3, 7, 3)
    close(y, expected)


def test_conv2d_keeps_float32():
    y = ref.conv2d(np.ones((1, 1, 3, 3), np.float32), np.ones((1, 1, 2, 2), np.float32))
    assert y.dtype == np.float32


def test_conv2d_errors():
    with pytest.raises(ValueError, match="input must be"):
        ref.conv2d(np.ones((3, 3)), np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="weight must be"):
        ref.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="channels"):
        ref.conv2d(np.ones((1, 3, 3, 3)), np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="empty"):
        ref.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4)))


# ----------------------------------------------------------------------------------------
# max_pool2d, avg_pool2d
# ----------------------------------------------------------------------------------------

def test_pool_hand_2x2():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    close(ref.max_pool2d(x, 2), [[[[5, 7], [13, 15]]]])
    close(ref.avg_pool2d(x, 2), [[[[2.5, 4.5], [10.5, 12.5]]]])


def test_max_pool_hand_ties_pick_first_in_scan_order():
    x = np.array([[[1.0, 3.0, 3.0],
                   [3.0, 0.0, 3.0]]])                             # (C, H, W) = (1, 2, 3)
    y, idx = ref.max_pool2d(x, 2, stride=1, return_indices=True)
    close(y, [[[3.0, 3.0]]])
    np.testing.assert_array_equal(idx, [[[1, 1]]])                # (0, 1) comes before (1, 0) and (0, 2)


def test_max_pool_hand_padding_is_minus_inf():
    x = -np.ones((1, 1, 2, 2))                                    # all negative: zero padding would win
    y, idx = ref.max_pool2d(x, 2, padding=1, return_indices=True)
    close(y, -np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(idx, [[[[0, 1], [2, 3]]]])


def test_avg_pool_hand_ceil_mode_divisor():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    # k = s = 2, ceil_mode: H_out = ceil((3 − 2)/2) + 1 = 2; the edge windows hang over the
    # input and count only their cells inside it even with count_include_pad=True.
    for cip in (True, False):
        close(ref.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=cip),
              [[[[(1 + 2 + 4 + 5) / 4, (3 + 6) / 2], [(7 + 8) / 2, 9 / 1]]]])


def test_avg_pool_hand_padding_count_include_pad():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    # k = s = 2, padding 1: four windows, each one input cell and three padding cells
    close(ref.avg_pool2d(x, 2, padding=1, count_include_pad=True), x / 4)
    close(ref.avg_pool2d(x, 2, padding=1, count_include_pad=False), x)


def test_avg_pool_hand_ceil_mode_with_padding():
    x = np.ones((1, 1, 4, 4))
    # k = 3, s = 2, p = 1, ceil: H_out = ceil((4 + 2 − 3)/2) + 1 = 3; last window rows 3..5
    # hits the padded border at H + p = 5: pool_size rows = 5 − 3 = 2 (row 5 is past the padding).
    y = ref.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
    # window rows: [-1, 2) ∩ input = 2 of pool 3; [1, 4) = 3 of 3; [3, 5) = 1 of 2
    inside, pool = np.array([2, 3, 1]), np.array([3, 3, 2])
    close(y[0, 0], np.outer(inside, inside) / np.outer(pool, pool))
    close(ref.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), np.ones((1, 1, 3, 3)))


@pytest.mark.parametrize("H, k, s, p, d, ceil, expected", [
    (5, 2, 2, 0, 1, False, 2), (5, 2, 2, 0, 1, True, 3),
    (4, 2, 2, 1, 1, False, 3), (4, 2, 2, 1, 1, True, 3),          # span 4: floor and ceil agree
    (6, 3, 3, 1, 1, True, 3),                                     # ceil 3; (3 − 1)·3 = 6 ≥ H + p = 7? no → 3
    (5, 3, 3, 1, 1, True, 2),                                     # ceil 3; (3 − 1)·3 = 6 ≥ 5 + 1 → dropped: 2
    (7, 3, 2, 0, 2, False, 2), (8, 3, 2, 0, 2, True, 3),
])
def test_pool_output_size(H, k, s, p, d, ceil, expected):
    y = ref.max_pool2d(np.zeros((1, H, H)), k, s, p, d, ceil_mode=ceil)
    assert y.shape == (1, expected, expected)
    if d == 1:
        assert ref.avg_pool2d(np.zeros((1, H, H)), k, s, p, ceil_mode=ceil).shape == y.shape
    torch = _torch()
    assert tuple(torch.nn.functional.max_pool2d(torch.zeros(1, H, H), k, s, p, d, ceil_mode=ceil).shape) == y.shape


def _pool_numpy(x, k, s, p, pad_value, reduce):
    """Non-ceil pooling, vectorised: pad with pad_value, take all k×k windows with stride s."""
    from numpy.lib.stride_tricks import sliding_window_view
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
    windows = sliding_window_view(x_pad, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    return reduce(windows, axis=(-2, -1))


@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 1), (4, 3, 2)])
def test_pool_matches_numpy_transcription(rng, k, s, p):
    x = rng.standard_normal((2, 3, 9, 9))
    close(ref.max_pool2d(x, k, s, p), _pool_numpy(x, k, s, p, -np.inf, np.max))
    close(ref.avg_pool2d(x, k, s, p, count_include_pad=True), _pool_numpy(x, k, s, p, 0.0, np.mean))


# (N, C, H, W), kernel_size, stride, padding, dilation, ceil_mode
POOL_CASES = [
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((1, 2, 7, 9), 3, 2, 1, 1, False),
    ((1, 2, 7, 9), 3, 2, 1, 1, True),
    ((2, 1, 10, 7), (3, 2), (2, 1), (1, 0), 1, True),
    ((1, 2, 9, 10), 3, (2, 3), (1, 1), (2, 1), False),
    ((1, 2, 9, 10), (2, 3), 2, (1, 1), (2, 2), True),
    ((1, 1, 5, 5), 2, 2, 1, 1, True),
    ((1, 2, 6, 6), 4, 3, 2, 1, True),
    ((1, 1, 5, 6), (3, 3), (3, 2), (1, 1), 1, True),
]


@pytest.mark.parametrize("xs, k, s, p, d, ceil", POOL_CASES)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool2d_matches_torch(rng, xs, k, s, p, d, ceil, ties):
    torch = _torch()
    # with ties, many equal values per window: the reported index must be PyTorch's choice
    x = rng.integers(0, 3, xs).astype(np.float64) if ties else rng.standard_normal(xs)
    y_t, idx_t = torch.nn.functional.max_pool2d(_t(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    y, idx = ref.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    assert y.shape == tuple(y_t.shape)
    close(y, y_t.numpy())
    np.testing.assert_array_equal(idx, idx_t.numpy())
    close(ref.max_pool2d(x, k, s, p, d, ceil), y)                 # without indices, same values


@pytest.mark.parametrize("xs, k, s, p, d, ceil", [c for c in POOL_CASES if c[4] == 1])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(rng, xs, k, s, p, d, ceil, count_include_pad):
    torch = _torch()
    x = rng.standard_normal(xs)
    expected = torch.nn.functional.avg_pool2d(_t(x), k, s, p, ceil_mode=ceil,
                                              count_include_pad=count_include_pad).numpy()
    y = ref.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=count_include_pad)
    assert y.shape == expected.shape
    close(y, expected)


def test_pool_unbatched_matches_torch(rng):
    torch = _torch()
    x = rng.standard_normal((3, 7, 6))
    y_t, i_t = torch.nn.functional.max_pool2d(_t(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    y, i = ref.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    close(y, y_t.numpy())
    np.testing.assert_array_equal(i, i_t.numpy())
    close(ref.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
          torch.nn.functional.avg_pool2d(_t(x), 3, 2, 1, ceil_mode=True).numpy())


def test_pool_errors():
    with pytest.raises(ValueError, match="input must be"):
        ref.max_pool2d(np.ones((4, 4)), 2)
    with pytest.raises(ValueError, match="half"):
        ref.avg_pool2d(np.ones((1, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match="empty"):
        ref.max_pool2d(np.ones((1, 2, 2)), 3)


# ----------------------------------------------------------------------------------------
# rnn_step, lstm_cell
# ----------------------------------------------------------------------------------------

def test_rnn_step_hand():
    x, h = np.array([[1.0]]), np.array([[0.5]])
    h_t, o_t = ref.rnn_step(x, h, W_xh=np.array([[2.0]]), W_hh=np.array([[3.0]]), b_h=np.array([0.1]),
                            W_ho=np.array([[0.5]]), W_xo=np.array([[-1.0]]), b_o=np.array([0.2]))
    expected_h = math.tanh(3.0 * 0.5 + 2.0 * 1.0 + 0.1)
    close(h_t, [[expected_h]])
    close(o_t, [[math.tanh(0.5 * expected_h - 1.0 * 1.0 + 0.2)]])
    h_t, o_t = ref.rnn_step(x, h, np.array([[2.0]]), np.array([[-3.0]]), activation="relu")
    close(h_t, [[0.5]])                                            # relu(−1.5 + 2)
    assert o_t is None


def _rnn_numpy(x, h, W_xh, W_hh, b_h, W_ho, W_xo, b_o, f):
    h_t = f(h @ W_hh.T + x @ W_xh.T + (0 if b_h is None else b_h))
    if W_ho is None:
        return h_t, None
    return h_t, f(h_t @ W_ho.T + (0 if W_xo is None else x @ W_xo.T) + (0 if b_o is None else b_o))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", np.sin])
@pytest.mark.parametrize("with_output, with_W_xo, with_biases", [
    (False, False, True), (True, True, True), (True, False, True), (True, True, False)])
def test_rnn_step_matches_numpy_transcription(rng, activation, with_output, with_W_xo, with_biases):
    N, D, H, O = 3, 4, 5, 2
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    W_xh, W_hh = rng.standard_normal((H, D)), rng.standard_normal((H, H))
    b_h = rng.standard_normal(H) if with_biases else None
    W_ho = rng.standard_normal((O, H)) if with_output else None
    W_xo = rng.standard_normal((O, D)) if with_W_xo else None
    b_o = rng.standard_normal(O) if with_biases and with_output else None
    f = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}.get(
        activation, activation)
    h_t, o_t = ref.rnn_step(x, h, W_xh, W_hh, b_h, W_ho, W_xo, b_o, activation=activation)
    eh, eo = _rnn_numpy(x, h, W_xh, W_hh, b_h, W_ho, W_xo, b_o, f)
    close(h_t, eh)
    if with_output:
        close(o_t, eo)
    else:
        assert o_t is None


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_step_matches_torch_rnn_cell(rng, nonlinearity):
    torch = _torch()
    N, D, H, O = 3, 4, 5, 2
    cell = torch.nn.RNNCell(D, H, nonlinearity=nonlinearity).double()
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    W_ho, W_xo, b_o = rng.standard_normal((O, H)), rng.standard_normal((O, D)), rng.standard_normal(O)
    W_xh, W_hh = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
    b_h = (cell.bias_ih + cell.bias_hh).detach().numpy()          # the article has one bias b_h
    h_t, o_t = ref.rnn_step(x, h, W_xh, W_hh, b_h, W_ho, W_xo, b_o, activation=nonlinearity)
    with torch.no_grad():
        h_torch = cell(_t(x), _t(h))
        act = torch.tanh if nonlinearity == "tanh" else torch.relu
        o_torch = act(h_torch @ _t(W_ho).T + _t(x) @ _t(W_xo).T + _t(b_o))
    close(h_t, h_torch.numpy())
    close(o_t, o_torch.numpy())


def test_lstm_cell_hand():
    # H = D = 1; weights picked so every pre-activation is a round number
    x, h, c = np.array([[1.0]]), np.array([[2.0]]), np.array([[0.5]])
    w_ih = np.array([[1.0], [0.0], [2.0], [-1.0]])                  # rows: i, f, g, o
    w_hh = np.array([[0.5], [1.0], [0.0], [1.0]])
    b_ih = np.array([0.0, 1.0, 0.0, 0.0])
    sig = lambda z: 1 / (1 + math.exp(-z))
    i, f, g, o = sig(1.0 + 1.0), sig(0.0 + 1.0 + 2.0), math.tanh(2.0), sig(-1.0 + 2.0)
    c_new = f * 0.5 + i * g
    h_new, c_out = ref.lstm_cell(x, (h, c), w_ih, w_hh, b_ih)
    close(c_out, [[c_new]])
    close(h_new, [[o * math.tanh(c_new)]])


def _lstm_numpy(x, h, c, w_ih, w_hh, b_ih, b_hh):
    gates = x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih) + (0 if b_hh is None else b_hh)
    i, f, g, o = np.split(gates, 4, axis=-1)
    sig = lambda z: 1 / (1 + np.exp(-z))
    c_new = sig(f) * c + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c_new), c_new


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_lstm_cell_matches_torch_and_numpy(rng, bias, batched):
    torch = _torch()
    D, H = 3, 4
    cell = torch.nn.LSTMCell(D, H, bias=bias).double()
    lead = (2,) if batched else ()
    x, h, c = rng.standard_normal(lead + (D,)), rng.standard_normal(lead + (H,)), rng.standard_normal(lead + (H,))
    params = [p.detach().numpy() for p in (cell.weight_ih, cell.weight_hh)]
    params += [cell.bias_ih.detach().numpy(), cell.bias_hh.detach().numpy()] if bias else [None, None]
    h_new, c_new = ref.lstm_cell(x, (h, c), *params)
    with torch.no_grad():
        h_t, c_t = cell(_t(x), (_t(h), _t(c)))
    assert h_new.shape == c_new.shape == lead + (H,)
    close(h_new, h_t.numpy())
    close(c_new, c_t.numpy())
    eh, ec = _lstm_numpy(x, h, c, *params)
    close(h_new, eh)
    close(c_new, ec)


def test_lstm_cell_zero_state_default(rng):
    x, w_ih, w_hh = rng.standard_normal((2, 3)), rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    zeros = np.zeros((2, 2))
    for a, b in zip(ref.lstm_cell(x, None, w_ih, w_hh), ref.lstm_cell(x, (zeros, zeros), w_ih, w_hh)):
        close(a, b)


def test_recurrent_errors():
    with pytest.raises(ValueError, match="x_t must be"):
        ref.rnn_step(np.ones(3), np.ones((1, 2)), np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="activation"):
        ref.rnn_step(np.ones((1, 3)), np.ones((1, 2)), np.ones((2, 3)), np.ones((2, 2)), activation="gelu")
    with pytest.raises(ValueError, match="4H"):
        ref.lstm_cell(np.ones((1, 3)), None, np.ones((6, 3)), np.ones((6, 2)))


# ----------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ----------------------------------------------------------------------------------------

def test_sdpa_hand():
    q = np.array([[1.0]])
    k = np.array([[0.0], [math.log(3.0)]])                          # scores 0, log 3 → weights 1/4, 3/4
    v = np.array([[4.0, 0.0], [8.0, 1.0]])
    close(ref.scaled_dot_product_attention(q, k, v, scale=1.0), [[1.0 + 6.0, 0.75]])
    # default scale 1/√E, E = 1: same here
    close(ref.scaled_dot_product_attention(q, k, v), [[7.0, 0.75]])
    # masking out key 1 leaves key 0 alone
    close(ref.scaled_dot_product_attention(q, k, v, attn_mask=np.array([[True, False]])), [[4.0, 0.0]])


def test_sdpa_hand_causal_and_fully_masked():
    q = np.zeros((3, 1))
    k = np.zeros((2, 1))
    v = np.array([[2.0], [4.0]])
    # L = 3 > S = 2, causal: row 0 sees key 0; rows 1, 2 see both (equal scores: the mean)
    close(ref.scaled_dot_product_attention(q, k, v, is_causal=True), [[2.0], [3.0], [3.0]])
    mask = np.array([[True, True], [False, False], [False, True]])
    close(ref.scaled_dot_product_attention(q, k, v, attn_mask=mask), [[3.0], [0.0], [4.0]])
    float_mask = np.where(mask, 0.0, -np.inf)
    close(ref.scaled_dot_product_attention(q, k, v, attn_mask=float_mask), [[3.0], [0.0], [4.0]])


def _sdpa_numpy(q, k, v, mask, is_causal, scale):
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        mask = np.tril(np.ones((L, S), dtype=bool))
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    m = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isinf(m), 0, m))
    a = e / np.maximum(e.sum(axis=-1, keepdims=True), np.finfo(float).tiny)   # all-masked row → 0
    return a @ v


# (batch dims of q, k, v), L, S, E, Ev, mask kind, is_causal, scale
SDPA_CASES = [
    (((2,), (2,), (2,)), 3, 3, 4, 4, None, False, None),
    (((2, 3), (2, 3), (2, 3)), 4, 5, 4, 2, None, False, 0.3),
    (((2,), (2,), (2,)), 4, 6, 3, 5, "bool", False, None),
    (((2, 2), (1, 2), (1, 2)), 3, 4, 2, 3, "bool_bcast", False, None),         # broadcast batch dims
    (((3,), (3,), (3,)), 5, 4, 4, 4, "float", False, None),
    (((2, 2), (2, 2), (2, 2)), 3, 3, 3, 3, "float_bcast", False, None),
    (((2,), (2,), (2,)), 4, 4, 3, 3, None, True, None),
    (((2,), (2,), (2,)), 3, 5, 3, 2, None, True, None),                         # causal, L < S
    (((2,), (2,), (2,)), 5, 3, 3, 2, None, True, 0.7),                          # causal, L > S
    (((), (), ()), 4, 3, 2, 3, "bool_full_row", False, None),                   # a fully masked row
]


def _make_mask(rng, kind, batch, L, S):
    if kind is None:
        return None
    if kind == "bool":
        m = rng.random(batch + (L, S)) < 0.7
        m[..., 0] = True
        return m
    if kind == "bool_bcast":
        m = rng.random((1, L, S)) < 0.7                          # broadcasts over the first batch dim
        m[..., 0] = True
        return m
    if kind == "float":
        return rng.standard_normal(batch + (L, S))
    if kind == "float_bcast":
        return rng.standard_normal((L, S))
    if kind == "bool_full_row":
        m = rng.random((L, S)) < 0.6
        m[1] = False
        m[0] = True
        return m
    raise AssertionError(kind)


@pytest.mark.parametrize("dims, L, S, E, Ev, mask_kind, is_causal, scale", SDPA_CASES)
def test_sdpa_matches_torch_and_numpy(rng, dims, L, S, E, Ev, mask_kind, is_causal, scale):
    torch = _torch()
    bq, bk, bv = dims
    q, k, v = rng.standard_normal(bq + (L, E)), rng.standard_normal(bk + (S, E)), rng.standard_normal(bv + (S, Ev))
    mask = _make_mask(rng, mask_kind, bq, L, S)
    y = ref.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal, scale=scale)
    close(y, _sdpa_numpy(q, k, v, mask, is_causal, scale))
    expected = torch.nn.functional.scaled_dot_product_attention(
        _t(q), _t(k), _t(v), attn_mask=None if mask is None else _t(mask), is_causal=is_causal, scale=scale).numpy()
    assert y.shape == expected.shape
    if mask_kind == "bool_full_row":
        close(y[1], np.zeros(Ev))                                    # minidl's convention: zeros, no NaN
    close(y, expected)                                               # PyTorch 2.x also gives zeros there


def test_sdpa_errors():
    q = np.ones((2, 3))
    with pytest.raises(ValueError, match="dropout_p"):
        ref.scaled_dot_product_attention(q, q, q, dropout_p=0.1)
    with pytest.raises(ValueError, match="is_causal"):
        ref.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 2), bool), is_causal=True)
    with pytest.raises(ValueError, match="must be"):
        ref.scaled_dot_product_attention(np.ones(3), q, q)


# ----------------------------------------------------------------------------------------
# multi_head_attention
# ----------------------------------------------------------------------------------------

def _mha_numpy(q, k, v, h, W_in, b_in, W_o, b_o, kpm, am):
    """Vectorised MHA on (N, L, E) inputs with additive masks; returns out (N, L, E), weights (N, h, L, S)."""
    N, L, E = q.shape
    S = k.shape[1]
    E_h = E // h
    b_in = np.zeros(3 * E) if b_in is None else b_in
    Q = (q @ W_in[:E].T + b_in[:E]).reshape(N, L, h, E_h).transpose(0, 2, 1, 3)
    K = (k @ W_in[E:2 * E].T + b_in[E:2 * E]).reshape(N, S, h, E_h).transpose(0, 2, 1, 3)
    V = (v @ W_in[2 * E:].T + b_in[2 * E:]).reshape(N, S, h, E_h).transpose(0, 2, 1, 3)
    scores = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(E_h)                # (N, h, L, S)
    if am is not None:
        am = np.where(am, -np.inf, 0.0) if am.dtype == bool else am
        scores = scores + (am if am.ndim == 2 else am.reshape(N, h, L, S))
    if kpm is not None:
        kpm = np.where(kpm, -np.inf, 0.0) if kpm.dtype == bool else kpm
        scores = scores + kpm[:, None, None, :]
    m = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isinf(m), 0, m))
    a = e / np.maximum(e.sum(axis=-1, keepdims=True), np.finfo(float).tiny)
    heads = (a @ V).transpose(0, 2, 1, 3).reshape(N, L, E)
    return heads @ W_o.T + (0 if b_o is None else b_o), a


# N (None = unbatched), L, S, E, h, batch_first, bias, key_padding_mask kind, attn_mask kind
MHA_CASES = [
    (2, 4, 4, 6, 2, False, True, None, None),                 # self-attention shapes
    (3, 3, 5, 8, 4, False, True, None, None),                 # cross-attention S != L
    (2, 4, 3, 6, 3, True, True, None, None),                  # batch_first
    (2, 3, 5, 4, 2, False, True, "bool", None),
    (2, 3, 5, 4, 2, True, False, "float", None),
    (2, 4, 4, 6, 2, False, True, None, "bool2d"),
    (2, 3, 4, 6, 3, True, True, None, "bool3d"),
    (2, 3, 4, 4, 2, False, True, None, "float2d"),
    (2, 3, 4, 4, 2, False, True, None, "float3d"),
    (3, 4, 5, 6, 2, True, True, "bool", "bool2d"),
    (None, 4, 3, 6, 2, False, True, "bool", None),            # unbatched
    (None, 3, 3, 4, 2, False, True, None, "bool3d"),          # unbatched, one mask per head
    (2, 3, 3, 4, 1, False, True, None, "causal"),             # one head
]


def _mha_masks(rng, N, L, S, h, kpm_kind, am_kind):
    n = 1 if N is None else N
    kpm = None
    if kpm_kind == "bool":
        kpm = rng.random((n, S)) < 0.3
        kpm[:, 0] = False                                     # every row keeps a key: no NaN in PyTorch
    elif kpm_kind == "float":
        kpm = rng.standard_normal((n, S))
    am = None
    if am_kind in ("bool2d", "bool3d"):
        am = rng.random((L, S) if am_kind == "bool2d" else (n * h, L, S)) < 0.3
        am[..., 1 % S] = False                                # key 1 is never masked (and not padding)
        if kpm is not None:
            kpm[:, 1 % S] = False
    elif am_kind == "float2d":
        am = rng.standard_normal((L, S))
    elif am_kind == "float3d":
        am = rng.standard_normal((n * h, L, S))
    elif am_kind == "causal":
        am = ~np.tril(np.ones((L, S), dtype=bool))            # True = not allowed
    if N is None and kpm is not None:
        kpm = kpm[0]
    return kpm, am


@pytest.mark.parametrize("N, L, S, E, h, batch_first, bias, kpm_kind, am_kind", MHA_CASES)
@pytest.mark.parametrize("average", [True, False])
def test_mha_matches_torch_and_numpy(rng, N, L, S, E, h, batch_first, bias, kpm_kind, am_kind, average):
    torch = _torch()
    mha = torch.nn.MultiheadAttention(E, h, bias=bias, batch_first=batch_first, dtype=torch.float64)
    mha.train()                                               # dropout is 0; train() avoids the fast path
    if bias:
        with torch.no_grad():
            mha.in_proj_bias.normal_()
            mha.out_proj.bias.normal_()
    W_in, W_o = mha.in_proj_weight.detach().numpy(), mha.out_proj.weight.detach().numpy()
    b_in = mha.in_proj_bias.detach().numpy() if bias else None
    b_o = mha.out_proj.bias.detach().numpy() if bias else None

    def shape(length):
        if N is None:
            return (length, E)
        return (N, length, E) if batch_first else (length, N, E)

    q, k, v = rng.standard_normal(shape(L)), rng.standard_normal(shape(S)), rng.standard_normal(shape(S))
    kpm, am = _mha_masks(rng, N, L, S, h, kpm_kind, am_kind)

    out, w = ref.multi_head_attention(q, k, v, h, W_in, b_in, W_o, b_o, key_padding_mask=kpm, attn_mask=am,
                                      average_attn_weights=average, batch_first=batch_first)
    with torch.no_grad():
        out_t, w_t = mha(_t(q), _t(k), _t(v), key_padding_mask=None if kpm is None else _t(kpm),
                         attn_mask=None if am is None else _t(am), average_attn_weights=average)
    assert out.shape == tuple(out_t.shape) and w.shape == tuple(w_t.shape)
    close(out, out_t.numpy())
    close(w, w_t.numpy())

    # the vectorised transcription, on (N, L, E)
    to_nle = (lambda a: a[None]) if N is None else (lambda a: a if batch_first else a.transpose(1, 0, 2))
    e_out, e_w = _mha_numpy(to_nle(q), to_nle(k), to_nle(v), h, W_in, b_in, W_o, b_o,
                            None if kpm is None else np.atleast_2d(kpm), am)
    if N is None:
        e_out, e_w = e_out[0], e_w[0]
    elif not batch_first:
        e_out = e_out.transpose(1, 0, 2)
    close(out, e_out)
    close(w, e_w.mean(axis=-3) if average else e_w)

    out2, w2 = ref.multi_head_attention(q, k, v, h, W_in, b_in, W_o, b_o, key_padding_mask=kpm, attn_mask=am,
                                        need_weights=False, batch_first=batch_first)
    assert w2 is None
    close(out2, out)


def test_mha_hand_one_head_identity_projections():
    # E = 1, h = 1, identity projections, no biases: MHA is plain attention with scale 1
    q = np.array([[[1.0]]])                                  # (L, N, E) = (1, 1, 1)
    k = np.array([[[0.0]], [[math.log(3.0)]]])              # (S, N, E) = (2, 1, 1)
    v = np.array([[[4.0]], [[8.0]]])
    W_in, W_o = np.ones((3, 1)), np.ones((1, 1))
    out, w = ref.multi_head_attention(q, k, v, 1, W_in, None, W_o, None)
    close(out, [[[7.0]]])
    close(w, [[[0.25, 0.75]]])
    # key_padding_mask True = IGNORE the key (the opposite of SDPA's bool attn_mask)
    out, w = ref.multi_head_attention(q, k, v, 1, W_in, None, W_o, None, key_padding_mask=np.array([[False, True]]))
    close(out, [[[4.0]]])
    close(w, [[[1.0, 0.0]]])


def test_mha_fully_masked_row_gives_zero_heads(rng):
    torch = _torch()
    L, S, N, E, h = 3, 4, 2, 4, 2
    mha = torch.nn.MultiheadAttention(E, h, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    params = [p.detach().numpy() for p in (mha.in_proj_weight, mha.in_proj_bias,
                                           mha.out_proj.weight, mha.out_proj.bias)]
    q, k = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))
    kpm = np.zeros((N, S), dtype=bool)
    kpm[1] = True                                            # batch element 1: every key is padding
    out, w = ref.multi_head_attention(q, k, k, h, *params, key_padding_mask=kpm)
    close(w[1], np.zeros((L, S)))
    close(out[:, 1], np.broadcast_to(params[3], (L, E)))    # zero heads: output = out_proj_bias
    # PyTorch: NaN with need_weights=True; its need_weights=False path (via SDPA) agrees with us
    mha.train()
    with torch.no_grad():
        out_t, _ = mha(_t(q), _t(k), _t(k), key_padding_mask=_t(kpm), need_weights=False)
    close(out, out_t.numpy())


def test_mha_errors():
    x = np.ones((3, 2, 4))
    W_in, W_o = np.ones((12, 4)), np.ones((4, 4))
    with pytest.raises(ValueError, match="divisible"):
        ref.multi_head_attention(x, x, x, 3, W_in, None, W_o, None)
    with pytest.raises(ValueError, match="attn_mask"):
        ref.multi_head_attention(x, x, x, 2, W_in, None, W_o, None, attn_mask=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="key_padding_mask"):
        ref.multi_head_attention(x, x, x, 2, W_in, None, W_o, None, key_padding_mask=np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="must all be"):
        ref.multi_head_attention(np.ones(4), x, x, 2, W_in, None, W_o, None)
