"""nn.RNNCell, nn.RNN, nn.LSTMCell, nn.LSTM, nn.GRUCell, nn.GRU and the fused LSTMScan:
PyTorch parity, BPTT, errors."""
import itertools
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl as md
import minidl.functional as F
import minidl.nn as nn
from minidl.ops.recurrent import LSTMScan
from tests.helpers import check_gradients, leaf

RTOL, ATOL = 1e-9, 1e-10


def _torch():
    return pytest.importorskip("torch")


def _close(got, want, what):
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def _pair(cls_name, torch, **kw):
    """A float64 PyTorch module and the minidl module with its state dict loaded."""
    theirs = getattr(torch.nn, cls_name)(**kw).double()
    ours = getattr(nn, cls_name)(**kw).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())                 # torch tensors accepted
    return ours, theirs


def _compare(ours, theirs, torch, x, states, rng):
    """Forward and every gradient (input, initial states, parameters), random upstream."""
    xm = leaf(x)
    xt = torch.tensor(x, requires_grad=True)
    sm = [leaf(s) for s in states]
    st_ = [torch.tensor(s, requires_grad=True) for s in states]
    is_lstm = isinstance(ours, (nn.LSTM, nn.LSTMCell))       # GRU and RNN: one state
    arg_m = None if not states else (tuple(sm) if is_lstm else sm[0])
    arg_t = None if not states else (tuple(st_) if is_lstm else st_[0])
    out_m, out_t = ours(xm, arg_m), theirs(xt, arg_t)
    flat_m = [out_m] if isinstance(out_m, md.Tensor) else \
        [out_m[0], *(out_m[1] if isinstance(out_m[1], tuple) else (out_m[1],))]
    flat_t = [out_t] if isinstance(out_t, torch.Tensor) else \
        [out_t[0], *(out_t[1] if isinstance(out_t[1], tuple) else (out_t[1],))]
    loss_m, loss_t = 0, 0
    for a, b in zip(flat_m, flat_t):
        assert a.shape == tuple(b.shape)
        _close(a.numpy(), b.detach().numpy(), "forward")
        u = rng.standard_normal(a.shape)
        loss_m = loss_m + (a * md.tensor(u)).sum()
        loss_t = loss_t + (b * torch.tensor(u)).sum()
    loss_m.backward()
    loss_t.backward()
    _close(xm.grad, xt.grad.numpy(), "input grad")
    for a, b in zip(sm, st_):
        _close(a.grad, b.grad.numpy(), "initial state grad")
    for name, p in theirs.named_parameters():
        _close(getattr(ours, name).grad, p.grad.numpy(), name)


# ---------------------------------------------------------------------- construction
@pytest.mark.parametrize("cls_name, kw", [
    ("RNN", dict(num_layers=2)), ("RNN", dict(num_layers=2, bias=False, bidirectional=True)),
    ("LSTM", dict(num_layers=3)), ("LSTM", dict(num_layers=2, bias=False, bidirectional=True)),
    ("RNNCell", {}), ("LSTMCell", dict(bias=False)),
    ("GRU", dict(num_layers=2)), ("GRU", dict(num_layers=2, bias=False, bidirectional=True)),
    ("GRUCell", {}), ("GRUCell", dict(bias=False)),
])
def test_parameter_names_and_shapes_match_torch(cls_name, kw):
    torch = _torch()
    ours = getattr(nn, cls_name)(3, 5, **kw)
    theirs = getattr(torch.nn, cls_name)(3, 5, **kw)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert all(p.dtype == np.float32 for p in ours.parameters())


@pytest.mark.parametrize("cls_name", ["LSTM", "GRU"])
def test_initialisation_is_uniform_within_one_over_sqrt_hidden(cls_name):
    lstm = getattr(nn, cls_name)(10, 64, num_layers=2)
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound                 # fills the range
    assert abs(values.mean()) < 0.01 * bound and abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound
    md.manual_seed(3)
    a = nn.RNN(4, 8).state_dict()
    md.manual_seed(3)
    b = nn.RNN(4, 8).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)          # seeded: repeats exactly


def test_repr():
    assert repr(nn.LSTM(28, 128, num_layers=2, batch_first=True)) == \
        "LSTM(28, 128, num_layers=2, batch_first=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.GRU(3, 4, bidirectional=True)) == "GRU(3, 4, bidirectional=True)"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


# ---------------------------------------------------------------------- cells vs PyTorch
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("state, batched", [(True, True), (False, True), (True, False)])
def test_rnn_cell_matches_torch(nonlinearity, bias, state, batched):
    torch = _torch()
    rng = np.random.default_rng(0)
    ours, theirs = _pair("RNNCell", torch, input_size=3, hidden_size=4, bias=bias,
                         nonlinearity=nonlinearity)
    lead = (5,) if batched else ()
    states = [rng.standard_normal(lead + (4,))] if state else []
    _compare(ours, theirs, torch, rng.standard_normal(lead + (3,)), states, rng)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("state, batched", [(True, True), (False, True), (True, False)])
def test_lstm_cell_matches_torch(bias, state, batched):
    torch = _torch()
    rng = np.random.default_rng(1)
    ours, theirs = _pair("LSTMCell", torch, input_size=3, hidden_size=4, bias=bias)
    lead = (5,) if batched else ()
    states = [rng.standard_normal(lead + (4,)), rng.standard_normal(lead + (4,))] if state else []
    _compare(ours, theirs, torch, rng.standard_normal(lead + (3,)), states, rng)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("state, batched", [(True, True), (False, True), (True, False)])
def test_gru_cell_matches_torch(bias, state, batched):
    torch = _torch()
    rng = np.random.default_rng(11)
    ours, theirs = _pair("GRUCell", torch, input_size=3, hidden_size=4, bias=bias)
    lead = (5,) if batched else ()
    states = [rng.standard_normal(lead + (4,))] if state else []
    _compare(ours, theirs, torch, rng.standard_normal(lead + (3,)), states, rng)


# ---------------------------------------------------------------------- sequences vs PyTorch
CONFIGS = list(itertools.product([True, False], [False, True], [False, True]))  # bias, batch_first, state


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias, batch_first, state", CONFIGS)
def test_rnn_matches_torch(nonlinearity, bias, batch_first, state):
    torch = _torch()
    rng = np.random.default_rng(2)
    ours, theirs = _pair("RNN", torch, input_size=3, hidden_size=4, num_layers=2,
                         nonlinearity=nonlinearity, bias=bias, batch_first=batch_first)
    L, N = 5, 2
    x = rng.standard_normal((N, L, 3) if batch_first else (L, N, 3))
    states = [rng.standard_normal((2, N, 4))] if state else []
    _compare(ours, theirs, torch, x, states, rng)


@pytest.mark.parametrize("bias, batch_first, state", CONFIGS)
def test_lstm_matches_torch(bias, batch_first, state):
    torch = _torch()
    rng = np.random.default_rng(3)
    ours, theirs = _pair("LSTM", torch, input_size=3, hidden_size=4, num_layers=2, bias=bias,
                         batch_first=batch_first)
    L, N = 5, 2
    x = rng.standard_normal((N, L, 3) if batch_first else (L, N, 3))
    states = [rng.standard_normal((2, N, 4)), rng.standard_normal((2, N, 4))] if state else []
    _compare(ours, theirs, torch, x, states, rng)


@pytest.mark.parametrize("bias, batch_first, state", CONFIGS)
def test_gru_matches_torch(bias, batch_first, state):
    torch = _torch()
    rng = np.random.default_rng(12)
    ours, theirs = _pair("GRU", torch, input_size=3, hidden_size=4, num_layers=2, bias=bias,
                         batch_first=batch_first)
    L, N = 5, 2
    x = rng.standard_normal((N, L, 3) if batch_first else (L, N, 3))
    states = [rng.standard_normal((2, N, 4))] if state else []
    _compare(ours, theirs, torch, x, states, rng)


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first, state", [(False, True), (True, False)])
def test_bidirectional_matches_torch(cls_name, batch_first, state):
    torch = _torch()
    rng = np.random.default_rng(4)
    ours, theirs = _pair(cls_name, torch, input_size=3, hidden_size=4, num_layers=2,
                         bidirectional=True, batch_first=batch_first)
    assert "weight_hh_l1_reverse" in ours.state_dict()
    L, N = 4, 3
    x = rng.standard_normal((N, L, 3) if batch_first else (L, N, 3))
    n_states = 2 if cls_name == "LSTM" else 1
    states = [rng.standard_normal((4, N, 4)) for _ in range(n_states)] if state else []
    _compare(ours, theirs, torch, x, states, rng)


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("state", [False, True])
def test_unbatched_sequence_matches_torch(cls_name, state):
    torch = _torch()
    rng = np.random.default_rng(5)
    ours, theirs = _pair(cls_name, torch, input_size=3, hidden_size=4, num_layers=2,
                         batch_first=True)                     # ignored for an unbatched input
    n_states = 2 if cls_name == "LSTM" else 1
    states = [rng.standard_normal((2, 4)) for _ in range(n_states)] if state else []
    _compare(ours, theirs, torch, rng.standard_normal((6, 3)), states, rng)


def test_lstm_float32_matches_torch():
    torch = _torch()
    theirs = torch.nn.LSTM(28, 16, batch_first=True)
    ours = nn.LSTM(28, 16, batch_first=True)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(6).standard_normal((4, 28, 28)).astype(np.float32)
    out, (h, c) = ours(md.tensor(x))
    tout, (th, tc) = theirs(torch.tensor(x))
    assert out.dtype == h.dtype == c.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c.numpy(), tc.detach().numpy(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------- dropout between layers
@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
def test_dropout_one_zeroes_the_inputs_of_upper_layers_like_torch(cls_name):
    """p = 1 is deterministic: every layer but the first sees zeros; the output itself
    (the last layer's) is never dropped."""
    torch = _torch()
    rng = np.random.default_rng(7)
    ours, theirs = _pair(cls_name, torch, input_size=3, hidden_size=4, num_layers=3, dropout=1.0)
    _compare(ours.train(), theirs.train(), torch, rng.standard_normal((5, 2, 3)), [], rng)
    x = md.tensor(rng.standard_normal((5, 2, 3)))
    out = ours(x)[0]
    ours.eval()
    assert not np.allclose(out.numpy(), ours(x)[0].numpy())          # eval: no dropout
    assert np.abs(out.numpy()).min() > 0                          # the last layer is not dropped


def test_dropout_half_is_random_in_training_only():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5).double()
    x = md.tensor(np.random.default_rng(8).standard_normal((5, 2, 3)))
    a, b = lstm(x)[0].numpy(), lstm(x)[0].numpy()
    assert not np.allclose(a, b)
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].numpy(), lstm(x)[0].numpy())
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.RNN(3, 4, dropout=0.5)


# ---------------------------------------------------------------------- fused vs composed
@settings(max_examples=15)
@given(L=st.integers(1, 5), N=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 4),
       seed=st.integers(0, 2**31 - 1), bias=st.booleans(), state=st.booleans(),
       bidirectional=st.booleans())
def test_lstm_fused_equals_a_loop_of_lstm_cell(L, N, D, H, seed, bias, state, bidirectional):
    """nn.LSTM (one input GEMM + LSTMScan) against F.lstm_cell step by step, forward and
    every gradient, random upstream gradients on output, h_n and c_n."""
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(seed)
    lstm = nn.LSTM(D, H, num_layers=2, bias=bias, bidirectional=bidirectional)
    K = 2 * (2 if bidirectional else 1)
    x = rng.standard_normal((L, N, D))
    h0, c0 = rng.standard_normal((K, N, H)), rng.standard_normal((K, N, H))
    ups = None
    results = []
    for fused in (True, False):
        lstm.zero_grad()
        xs, hs, cs = leaf(x), leaf(h0), leaf(c0)
        if fused:
            out, (h_n, c_n) = lstm(xs, (hs, cs) if state else None)
        else:
            out, (h_n, c_n) = _composed_lstm(lstm, xs, (hs, cs) if state else None)
        if ups is None:
            ups = [rng.standard_normal(t.shape) for t in (out, h_n, c_n)]
        sum((t * md.tensor(u)).sum() for t, u in zip((out, h_n, c_n), ups)).backward()
        results.append([out.numpy(), h_n.numpy(), c_n.numpy(), xs.grad] + ([hs.grad, cs.grad] if state else [])
                       + [p.grad for p in lstm.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _composed_lstm(lstm, x, hx):
    """The same network as an explicit loop of the composite F.lstm_cell."""
    L, N, _ = x.shape
    dirs = 2 if lstm.bidirectional else 1
    steps = [x[t] for t in range(L)]
    h_n, c_n = [], []
    for layer in range(lstm.num_layers):
        outs = []
        for d in range(dirs):
            w = lstm._weights(layer, d)
            k = layer * dirs + d
            state = None if hx is None else (hx[0][k], hx[1][k])
            hs = [None] * L
            for t in (range(L - 1, -1, -1) if d else range(L)):
                state = F.lstm_cell(steps[t], state, *w)
                hs[t] = state[0]
            outs.append(hs)
            h_n.append(state[0])
            c_n.append(state[1])
        steps = outs[0] if dirs == 1 else [md.cat([a, b], dim=1) for a, b in zip(*outs)]
    return md.stack(steps), (md.stack(h_n), md.stack(c_n))


@settings(max_examples=10)
@given(L=st.integers(1, 4), N=st.integers(1, 3), H=st.integers(1, 3), seed=st.integers(0, 2**31 - 1))
def test_lstm_scan_gradcheck(L, N, H, seed):
    rng = np.random.default_rng(seed)
    xz, h0, c0, w_hh = (rng.standard_normal(s) for s in [(L, N, 4 * H), (N, H), (N, H), (4 * H, H)])
    check_gradients(LSTMScan.apply, xz, h0, c0, w_hh)


def test_lstm_scan_does_not_modify_its_upstream_gradient():
    rng = np.random.default_rng(9)
    xz, h0, c0, w = (leaf(rng.standard_normal(s)) for s in [(3, 2, 8), (2, 2), (2, 2), (8, 2)])
    hs, c_last = LSTMScan.apply(xz, h0, c0, w)
    g = rng.standard_normal(hs.shape)
    g_c = rng.standard_normal(c_last.shape)
    g.flags.writeable = g_c.flags.writeable = False            # any write would raise
    md.autograd.backward([hs, c_last], [md.from_numpy(g), md.from_numpy(g_c)])
    assert xz.grad is not None and w.grad is not None


# ---------------------------------------------------------------------- long sequences
L_LONG = 10_000


def test_rnn_backprop_through_10000_steps_matches_torch():
    """nn.RNN is a composite: about ten engine nodes per step, so backward walks a graph of
    ~100 000 nodes, iteratively (no recursion limit)."""
    torch = _torch()
    rng = np.random.default_rng(10)
    ours, theirs = _pair("RNN", torch, input_size=1, hidden_size=3)
    x = 0.5 * np.sin(np.arange(L_LONG)).reshape(L_LONG, 1, 1)
    h0 = 0.1 * rng.standard_normal((1, 1, 3))
    hm, ht = leaf(h0), torch.tensor(h0, requires_grad=True)
    out_m, _ = ours(md.tensor(x), hm)
    out_t, _ = theirs(torch.tensor(x), ht)
    u = rng.standard_normal(out_m.shape)
    (out_m * md.tensor(u)).sum().backward()
    (out_t * torch.tensor(u)).sum().backward()
    _close(out_m.numpy(), out_t.detach().numpy(), "forward")
    _close(hm.grad, ht.grad.numpy(), "h_0 grad")
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad, p.grad.numpy(), rtol=1e-8, atol=1e-9,
                                   err_msg=name)


def test_lstm_backprop_through_10000_steps():
    """Forward against PyTorch; the gradients equal those of the same sequence run as two
    halves, the state of the first handed (with its graph) to the second."""
    torch = _torch()
    rng = np.random.default_rng(11)
    ours, theirs = _pair("LSTM", torch, input_size=1, hidden_size=3)
    x = md.tensor(0.5 * np.sin(np.arange(L_LONG)).reshape(L_LONG, 1, 1))
    u = md.tensor(rng.standard_normal((L_LONG, 1, 3)))
    h0, c0 = (0.1 * rng.standard_normal((1, 1, 3)) for _ in range(2))
    grads = []
    for halves in (False, True):
        ours.zero_grad()
        hm, cm = leaf(h0), leaf(c0)
        if halves:
            a, state = ours(x[:L_LONG // 2], (hm, cm))
            b, _ = ours(x[L_LONG // 2:], state)
            out = md.cat([a, b], dim=0)
        else:
            out, _ = ours(x, (hm, cm))
        (out * u).sum().backward()
        grads.append([out.numpy(), hm.grad, cm.grad] + [p.grad for p in ours.parameters()])
    with torch.no_grad():
        want, _ = theirs(torch.tensor(x.numpy()), (torch.tensor(h0), torch.tensor(c0)))
    _close(grads[0][0], want.numpy(), "forward")
    assert all(np.isfinite(g).all() for g in grads[0]) and np.abs(grads[0][1]).max() > 0
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_backprop_memory_is_linear_in_the_number_of_steps():
    def peak(L):
        rnn = nn.RNN(1, 4).double()
        x = md.tensor(np.ones((L, 1, 1)))
        tracemalloc.start()
        out, h_n = rnn(x)
        (out * out).sum().backward()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(200), peak(800)
    assert large < 4 * 1.25 * small                            # 4× the steps: ≈ 4× the memory


# ---------------------------------------------------------------------- bad input
def test_input_feature_size_is_checked():
    lstm = nn.LSTM(28, 16, batch_first=True)
    with pytest.raises(ValueError, match=r"^LSTM: input has 5 features but input_size is 28; "
                                         r"input shape \(64, 28, 5\)$"):
        lstm(md.zeros(64, 28, 5))
    with pytest.raises(ValueError, match=r"RNN: input has 2 features but input_size is 3"):
        nn.RNN(3, 4)(md.zeros(5, 2))
    # cells: checked once, by the functional op the cell calls
    with pytest.raises(ValueError, match=r"rnn_cell: input has 2 features but w_ih expects "
                                         r"D = 3; input shape \(4, 2\)"):
        nn.RNNCell(3, 4)(md.zeros(4, 2))
    with pytest.raises(ValueError, match=r"lstm_cell: input has 2 features but w_ih expects D = 3"):
        nn.LSTMCell(3, 4)(md.zeros(2))
    with pytest.raises(ValueError, match=r"gru_cell: input has 2 features but w_ih expects D = 3"):
        nn.GRUCell(3, 4)(md.zeros(2))
    with pytest.raises(ValueError, match=r"GRU: input has 2 features but input_size is 3"):
        nn.GRU(3, 4)(md.zeros(5, 2))


def test_wrong_ranks_and_kinds():
    with pytest.raises(ValueError, match=r"LSTM: input must be \(L, N, D\) or unbatched \(L, D\), "
                                         r"got shape \(3,\)"):
        nn.LSTM(3, 4)(md.zeros(3))
    with pytest.raises(ValueError, match=r"RNN: input must be \(N, L, D\) .* got shape \(1, 2, 3, 3\)"):
        nn.RNN(3, 4, batch_first=True)(md.zeros(1, 2, 3, 3))
    with pytest.raises(ValueError, match=r"lstm_cell: input must be \(N, D\) or unbatched \(D,\)"):
        nn.LSTMCell(3, 4)(md.zeros(1, 2, 3))
    with pytest.raises(TypeError, match="RNN: input must be a Tensor, got ndarray"):
        nn.RNN(3, 4)(np.zeros((2, 1, 3)))
    with pytest.raises(TypeError, match="LSTM: hx must be a pair"):
        nn.LSTM(3, 4)(md.zeros(2, 1, 3), md.zeros(1, 1, 4))
    with pytest.raises(ValueError, match=r"LSTM: the input sequence is empty; input shape \(0, 2, 3\)"):
        nn.LSTM(3, 4)(md.zeros(0, 2, 3))


def test_hidden_state_shapes_are_checked():
    x = md.zeros(5, 2, 3)
    with pytest.raises(ValueError, match=r"RNN: h_0 must be \(num_layers \* num_directions, N, H\) = "
                                         r"\(2, 2, 4\) for input shape \(5, 2, 3\), got shape \(1, 2, 4\)"):
        nn.RNN(3, 4, num_layers=2)(x, md.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"LSTM: c_0 must be .* = \(2, 2, 4\) .* got shape \(2, 2, 5\)"):
        nn.LSTM(3, 4, bidirectional=True)(x, (md.zeros(2, 2, 4), md.zeros(2, 2, 5)))
    with pytest.raises(ValueError, match=r"LSTM: h_0 must be \(num_layers \* num_directions, H\) = "
                                         r"\(1, 4\)"):
        nn.LSTM(3, 4)(md.zeros(5, 3), (md.zeros(1, 1, 4), md.zeros(1, 1, 4)))
    with pytest.raises(ValueError, match=r"rnn_cell: hx must be \(N, H\) = \(2, 4\) .* got shape \(4,\)"):
        nn.RNNCell(3, 4)(md.zeros(2, 3), md.zeros(4))
    with pytest.raises(ValueError, match=r"GRU: h_0 must be \(num_layers \* num_directions, N, H\)"):
        nn.GRU(3, 4)(x, md.zeros(2, 2, 4))
    with pytest.raises(ValueError, match=r"lstm_cell: c must be \(H,\) = \(4,\)"):
        nn.LSTMCell(3, 4)(md.zeros(3), (md.zeros(4), md.zeros(1, 4)))


@pytest.mark.parametrize("make, message", [
    (lambda: nn.RNN(0, 4), r"RNN: input_size must be a positive int, got 0"),
    (lambda: nn.LSTM(3, -1), r"LSTM: hidden_size must be a positive int, got -1"),
    (lambda: nn.LSTM(3, 4, num_layers=0), r"LSTM: num_layers must be a positive int, got 0"),
    (lambda: nn.RNNCell(3, 0), r"RNNCell: hidden_size must be a positive int, got 0"),
    (lambda: nn.LSTMCell(2.5, 3), r"LSTMCell: input_size must be a positive int, got 2.5"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), r"RNN: nonlinearity must be 'tanh' or 'relu', "
                                                   r"got 'sigmoid'"),
    (lambda: nn.RNNCell(3, 4, nonlinearity="gelu"), r"RNNCell: nonlinearity must be 'tanh' or "
                                                    r"'relu', got 'gelu'"),
    (lambda: nn.LSTM(3, 4, dropout=1.5), r"LSTM: dropout must be a number in \[0, 1\], got 1.5"),
    (lambda: nn.LSTM(3, 4, proj_size=4), r"LSTM: proj_size must be an int in \[0, hidden_size\)"),
])
def test_bad_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_proj_size_is_not_implemented():
    with pytest.raises(NotImplementedError, match="LSTM: proj_size=2"):
        nn.LSTM(3, 4, proj_size=2)


# ---------------------------------------------------------------------- GRU: the reference loop
@settings(max_examples=10)
@given(L=st.integers(1, 4), N=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 3),
       layers=st.integers(1, 2), bidirectional=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_gru_equals_the_literal_reference(L, N, D, H, layers, bidirectional, seed):
    import minidl.reference as ref
    md.manual_seed(seed % 1000)
    gru = nn.GRU(D, H, num_layers=layers, bidirectional=bidirectional).double()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((L, N, D))
    h0 = rng.standard_normal((layers * (1 + bidirectional), N, H))
    out, h_n = gru(leaf(x, False), leaf(h0, False))
    sd = gru.state_dict()
    sfx = ["", "_reverse"][:1 + bidirectional]
    weights = [[tuple(sd[f"{n}_l{k}{s}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
                for s in sfx] for k in range(layers)]
    want_out, want_h = ref.gru(x, h0, weights, bidirectional)
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.numpy(), want_h, rtol=1e-12, atol=1e-14)


@settings(max_examples=8)
@given(L=st.integers(1, 3), N=st.integers(1, 2), H=st.integers(1, 3), seed=st.integers(0, 2**31 - 1))
def test_gru_layer_gradcheck(L, N, H, seed):
    """Every parameter, the input and h_0 of a 2-layer bidirectional GRU (random upstream)."""
    md.manual_seed(seed % 1000)
    gru = nn.GRU(2, H, num_layers=2, bidirectional=True).double()
    rng = np.random.default_rng(seed)

    def run(x, h0, *params):             # the parameters are perturbed in place by gradcheck
        out, h_n = gru(x, h0)
        return md.cat([out.reshape(-1), h_n.reshape(-1)])

    x, h0 = leaf(rng.standard_normal((L, N, 2))), leaf(rng.standard_normal((4, N, H)))
    assert md.gradcheck(run, (x, h0, *gru.parameters()), atol=1e-6, rtol=1e-5, seed=seed % 997)
