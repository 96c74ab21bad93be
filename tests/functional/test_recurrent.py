"""F.rnn_step (F4, F5), F.rnn_cell and F.lstm_cell (F6): formulas, gradients, PyTorch, errors."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minidl as md
import minidl.functional as F
import minidl.reference as ref
from tests.helpers import check_gradients, leaf

ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
               "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}


def T(a):
    return md.tensor(np.asarray(a, dtype=np.float64))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------------- hand-computed steps
def test_rnn_step_hand_computed():
    # h = tanh(3·0.5 + (2·1 + 1·0) + 0.1) = tanh(3.6); o = tanh(±h + x terms + b_o)
    h_t, o_t = F.rnn_step(T([[1.0, 0.0]]), T([[0.5]]), T([[2.0, 1.0]]), T([[3.0]]), b_h=T([0.1]),
                          W_ho=T([[1.0], [-1.0]]), W_xo=T([[0.0, 1.0], [1.0, 0.0]]),
                          b_o=T([0.2, 0.0]))
    np.testing.assert_allclose(h_t.numpy(), [[0.9985079423323266]], rtol=1e-14)
    np.testing.assert_allclose(o_t.numpy(), [[0.8331989331313115, 0.001492056560450132]], rtol=1e-12)


def test_rnn_step_relu_and_no_output():
    h_t, o_t = F.rnn_step(T([[1.0]]), T([[0.5]]), T([[2.0]]), T([[-3.0]]), activation="relu")
    assert o_t is None
    np.testing.assert_array_equal(h_t.numpy(), [[0.5]])                 # relu(−1.5 + 2)
    h_t, _ = F.rnn_step(T([[1.0]]), T([[1.0]]), T([[2.0]]), T([[-3.0]]), activation="relu")
    np.testing.assert_array_equal(h_t.numpy(), [[0.0]])                 # relu(−1) = 0


def test_lstm_cell_hand_computed():
    # i = σ(1), f = σ(0), g = tanh(2), o = σ(−1); h = 0 so w_hh plays no part
    w_ih = T([[1.0], [0.0], [2.0], [-1.0]])
    w_hh = T([[5.0], [5.0], [5.0], [5.0]])
    h, c = F.lstm_cell(T([1.0]), (T([0.0]), T([0.5])), w_ih, w_hh)
    np.testing.assert_allclose(c.numpy(), [0.9547606324503499], rtol=1e-14)   # 0.5·0.5 + σ(1)·tanh(2)
    np.testing.assert_allclose(h.numpy(), [0.19953589965433768], rtol=1e-14)  # σ(−1)·tanh(c)


def test_rnn_cell_hand_computed():
    h = F.rnn_cell(T([[1.0, 2.0]]), T([[0.5]]), T([[1.0, -1.0]]), T([[2.0]]), T([0.25]), T([0.5]))
    np.testing.assert_allclose(h.numpy(), [[math.tanh(1 - 2 + 2 * 0.5 + 0.25 + 0.5)]], rtol=1e-15)


# ---------------------------------------------------------------------- against the references
def _rnn_numpy(x, h, W_xh, W_hh, b_h, W_ho, W_xo, b_o, f):
    """The two equations transcribed directly into NumPy."""
    h_t = f(h @ W_hh.T + x @ W_xh.T + (0 if b_h is None else b_h))
    if W_ho is None:
        return h_t, None
    z = h_t @ W_ho.T + (0 if W_xo is None else x @ W_xo.T) + (0 if b_o is None else b_o)
    return h_t, f(z)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("with_output", [False, True])
@pytest.mark.parametrize("with_W_xo", [False, True])
@pytest.mark.parametrize("with_biases", [False, True])
def test_rnn_step_matches_reference_and_numpy(activation, with_output, with_W_xo, with_biases):
    rng = np.random.default_rng(1)
    N, D, H, O = 3, 4, 5, 2
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    W_xh, W_hh = rng.standard_normal((H, D)), rng.standard_normal((H, H))
    b_h = rng.standard_normal(H) if with_biases else None
    W_ho = rng.standard_normal((O, H)) if with_output else None
    W_xo = rng.standard_normal((O, D)) if with_output and with_W_xo else None
    b_o = rng.standard_normal(O) if with_output and with_biases else None
    args = (x, h, W_xh, W_hh, b_h, W_ho, W_xo, b_o)
    h_t, o_t = F.rnn_step(*(None if a is None else T(a) for a in args), activation=activation)
    rh, ro = ref.rnn_step(*args, activation=activation)
    nh, no = _rnn_numpy(*args, ACTIVATIONS[activation])
    np.testing.assert_allclose(h_t.numpy(), rh, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_t.numpy(), nh, rtol=1e-12, atol=1e-14)
    if with_output:
        np.testing.assert_allclose(o_t.numpy(), ro, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(o_t.numpy(), no, rtol=1e-12, atol=1e-14)
    else:
        assert o_t is None and ro is None


def test_rnn_step_callable_activation():
    rng = np.random.default_rng(2)
    x, h, W_xh, W_hh, W_ho = (rng.standard_normal(s) for s in [(2, 3), (2, 4), (4, 3), (4, 4), (2, 4)])
    h_t, o_t = F.rnn_step(T(x), T(h), T(W_xh), T(W_hh), W_ho=T(W_ho), activation=lambda z: z * z)
    eh, eo = _rnn_numpy(x, h, W_xh, W_hh, None, W_ho, None, None, lambda z: z * z)
    np.testing.assert_allclose(h_t.numpy(), eh, rtol=1e-13)
    np.testing.assert_allclose(o_t.numpy(), eo, rtol=1e-13)


def _lstm_numpy(x, h, c, w_ih, w_hh, b_ih, b_hh):
    H = h.shape[-1]
    z = x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih) + (0 if b_hh is None else b_hh)
    i, f, g, o = _sigmoid(z[..., :H]), _sigmoid(z[..., H:2 * H]), np.tanh(z[..., 2 * H:3 * H]), \
        _sigmoid(z[..., 3 * H:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("batched", [False, True])
def test_lstm_cell_matches_reference_and_numpy(bias, batched):
    rng = np.random.default_rng(3)
    N, D, H = 3, 4, 5
    shape = (N,) if batched else ()
    x, h, c = rng.standard_normal(shape + (D,)), rng.standard_normal(shape + (H,)), \
        rng.standard_normal(shape + (H,))
    w_ih, w_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    b_ih, b_hh = (rng.standard_normal(4 * H), rng.standard_normal(4 * H)) if bias else (None, None)
    hm, cm = F.lstm_cell(T(x), (T(h), T(c)), T(w_ih), T(w_hh),
                         None if b_ih is None else T(b_ih), None if b_hh is None else T(b_hh))
    hr, cr = ref.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
    hn, cn = _lstm_numpy(x, h, c, w_ih, w_hh, b_ih, b_hh)
    assert hm.shape == cm.shape == shape + (H,)
    for got, want in ((hm, hr), (cm, cr), (hm, hn), (cm, cn)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)


def test_lstm_cell_default_state_is_zeros():
    rng = np.random.default_rng(4)
    x, w_ih, w_hh = rng.standard_normal((2, 3)), rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    h, c = F.lstm_cell(T(x), None, T(w_ih), T(w_hh))
    hr, cr = ref.lstm_cell(x, None, w_ih, w_hh)
    np.testing.assert_allclose(h.numpy(), hr, rtol=1e-12)
    np.testing.assert_allclose(c.numpy(), cr, rtol=1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell_is_rnn_step_with_summed_bias(nonlinearity):
    rng = np.random.default_rng(5)
    x, h = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    w_ih, w_hh, b_ih, b_hh = (rng.standard_normal(s) for s in [(5, 4), (5, 5), (5,), (5,)])
    got = F.rnn_cell(T(x), T(h), T(w_ih), T(w_hh), T(b_ih), T(b_hh), nonlinearity=nonlinearity)
    want, _ = ref.rnn_step(x, h, w_ih, w_hh, b_ih + b_hh, activation=nonlinearity)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)
    unbatched = F.rnn_cell(T(x[1]), T(h[1]), T(w_ih), T(w_hh), T(b_ih), T(b_hh),
                           nonlinearity=nonlinearity)
    np.testing.assert_allclose(unbatched.numpy(), want[1], rtol=1e-12, atol=1e-14)
    no_state = F.rnn_cell(T(x), None, T(w_ih), T(w_hh), nonlinearity=nonlinearity)
    np.testing.assert_allclose(no_state.numpy(), ACTIVATIONS[nonlinearity](x @ w_ih.T), rtol=1e-12)


# ---------------------------------------------------------------------- gradient properties
sizes = st.integers(1, 4)


@settings(max_examples=20)
@given(N=sizes, D=sizes, H=sizes, O=sizes, seed=st.integers(0, 2**31 - 1),
       activation=st.sampled_from(["tanh", "sigmoid", "relu", "callable"]),
       bias=st.booleans(), output=st.booleans(), W_xo=st.booleans())
def test_rnn_step_gradients(N, D, H, O, seed, activation, bias, output, W_xo):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((N, D)), rng.standard_normal((N, H)),
              rng.standard_normal((H, D)), rng.standard_normal((H, H)),
              rng.standard_normal(H) if bias else None,
              rng.standard_normal((O, H)) if output else None,
              rng.standard_normal((O, D)) if output and W_xo else None,
              rng.standard_normal(O) if output and bias else None]
    f = (lambda z: z * z.tanh()) if activation == "callable" else activation
    if activation == "relu":                     # keep every pre-activation away from the kink
        x, h, W_xh, W_hh, b_h, W_ho, W_xo, b_o = arrays
        a = h @ W_hh.T + x @ W_xh.T + (0 if b_h is None else b_h)
        assume(np.abs(a).min() > 1e-3)
        if output:
            z = np.maximum(a, 0) @ W_ho.T + (0 if W_xo is None else x @ W_xo.T) \
                + (0 if b_o is None else b_o)
            assume(np.abs(z).min() > 1e-3)
    check_gradients(lambda *a: F.rnn_step(*a, activation=f), *arrays)


@settings(max_examples=20)
@given(N=sizes, D=sizes, H=sizes, seed=st.integers(0, 2**31 - 1),
       nonlinearity=st.sampled_from(["tanh", "relu"]), bias=st.booleans(), state=st.booleans(),
       batched=st.booleans())
def test_rnn_cell_gradients(N, D, H, seed, nonlinearity, bias, state, batched):
    rng = np.random.default_rng(seed)
    lead = (N,) if batched else ()
    arrays = [rng.standard_normal(lead + (D,)), rng.standard_normal(lead + (H,)) if state else None,
              rng.standard_normal((H, D)), rng.standard_normal((H, H)),
              rng.standard_normal(H) if bias else None, rng.standard_normal(H) if bias else None]
    if nonlinearity == "relu":
        x, h, w_ih, w_hh, b_ih, b_hh = arrays
        a = x @ w_ih.T + (0 if h is None else h @ w_hh.T) + (0 if b_ih is None else b_ih + b_hh)
        assume(np.abs(a).min() > 1e-3)
    check_gradients(lambda *a: F.rnn_cell(*a, nonlinearity=nonlinearity), *arrays)


@settings(max_examples=20)
@given(N=sizes, D=sizes, H=sizes, L=st.integers(1, 4), seed=st.integers(0, 2**31 - 1),
       bias=st.booleans(), state=st.booleans())
def test_lstm_cell_gradients_over_a_sequence(N, D, H, L, seed, bias, state):
    """L steps of lstm_cell; random upstream gradients on every h_t and on the last c."""
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((L, N, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    w_ih, w_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)

    def run(xs, h0, c0, w_ih, w_hh, b_ih, b_hh):
        hc = (h0, c0) if state else None
        hs = []
        for t in range(L):
            hc = F.lstm_cell(xs[t], hc, w_ih, w_hh, b_ih, b_hh)
            hs.append(hc[0])
        return md.stack(hs), hc[1]

    check_gradients(run, xs, h0 if state else None, c0 if state else None, w_ih, w_hh,
                    b_ih if bias else None, b_hh if bias else None)


def test_lstm_cell_gradient_of_c_alone():
    """Only c' used: ∂c'/∂c = f exactly (the constant-error carousel)."""
    rng = np.random.default_rng(6)
    x, h, c = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal((2, 4))), \
        leaf(rng.standard_normal((2, 4)))
    w_ih, w_hh = leaf(rng.standard_normal((16, 3))), leaf(rng.standard_normal((16, 4)))
    _, c_new = F.lstm_cell(x, (h, c), w_ih, w_hh)
    u = rng.standard_normal((2, 4))
    c_new.backward(u)
    z = x.numpy() @ w_ih.numpy().T + h.numpy() @ w_hh.numpy().T
    np.testing.assert_allclose(c.grad, u * _sigmoid(z[:, 4:8]), rtol=1e-13)


# ---------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [False, True])
def test_rnn_cell_matches_torch(nonlinearity, bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    N, D, H = 3, 4, 5
    arrays = [rng.standard_normal((N, D)), rng.standard_normal((N, H)),
              rng.standard_normal((H, D)), rng.standard_normal((H, H))]
    if bias:
        arrays += [rng.standard_normal(H), rng.standard_normal(H)]
    ours = [leaf(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.rnn_cell(*ours, nonlinearity=nonlinearity)
    cell = torch.rnn_tanh_cell if nonlinearity == "tanh" else torch.rnn_relu_cell
    want = cell(*theirs) if bias else cell(*theirs, None, None)
    u = rng.standard_normal((N, H))
    out.backward(u)
    want.backward(torch.tensor(u))
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-14)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("bias", [False, True])
def test_lstm_cell_matches_torch(bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    N, D, H = 3, 4, 5
    arrays = [rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
              rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))]
    if bias:
        arrays += [rng.standard_normal(4 * H), rng.standard_normal(4 * H)]
    ours = [leaf(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    h, c = F.lstm_cell(ours[0], (ours[1], ours[2]), *ours[3:])
    th, tc = torch.lstm_cell(theirs[0], (theirs[1], theirs[2]), *theirs[3:],
                             *(() if bias else (None, None)))
    uh, uc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    (h * T(uh) + c * T(uc)).sum().backward()
    (th * torch.tensor(uh) + tc * torch.tensor(uc)).sum().backward()
    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c.numpy(), tc.detach().numpy(), rtol=1e-12, atol=1e-14)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------- bad input
def _rnn_args():
    return [T(np.zeros((2, 3))), T(np.zeros((2, 4))), T(np.zeros((4, 3))), T(np.zeros((4, 4)))]


@pytest.mark.parametrize("index, bad, words", [
    (0, np.zeros(3), "x_t"),                      # wrong rank
    (1, np.zeros((5, 4)), "batch size"),          # batch sizes differ
    (2, np.zeros((4, 2)), "W_xh"),                # W_xh not (H, D)
    (3, np.zeros((4, 3)), "W_hh"),                # W_hh not (H, H)
])
def test_rnn_step_bad_shapes(index, bad, words):
    args = _rnn_args()
    args[index] = T(bad)
    with pytest.raises(ValueError, match="rnn_step") as e:
        F.rnn_step(*args)
    assert words in str(e.value) and str(bad.shape) in str(e.value)


def test_rnn_step_bad_optional_terms_and_activation():
    args = _rnn_args()
    with pytest.raises(ValueError, match=r"rnn_step: b_h must be \(H,\) = \(4,\), got shape \(3,\)"):
        F.rnn_step(*args, b_h=T(np.zeros(3)))
    with pytest.raises(ValueError, match=r"rnn_step: W_ho must be \(O, H\)"):
        F.rnn_step(*args, W_ho=T(np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"rnn_step: W_xo must be \(O, D\) = \(2, 3\)"):
        F.rnn_step(*args, W_ho=T(np.zeros((2, 4))), W_xo=T(np.zeros((2, 4))))
    with pytest.raises(ValueError, match="rnn_step: W_xo and b_o .* need.* W_ho"):
        F.rnn_step(*args, W_xo=T(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="rnn_step: activation must be 'tanh', 'relu', "
                                         "'sigmoid' or a callable, got 'gelu'"):
        F.rnn_step(*args, activation="gelu")
    with pytest.raises(TypeError, match="rnn_step: W_hh must be a Tensor, got ndarray"):
        F.rnn_step(args[0], args[1], args[2], np.zeros((4, 4)))
    with pytest.raises(TypeError, match="rnn_step: the activation must map"):
        F.rnn_step(*args, activation=lambda z: z.sum())


def test_cells_bad_input():
    x, h = T(np.zeros((2, 3))), T(np.zeros((2, 4)))
    w_ih, w_hh = T(np.zeros((16, 3))), T(np.zeros((16, 4)))
    with pytest.raises(ValueError, match=r"lstm_cell: input has 5 features but w_ih expects D = 3; "
                                         r"input shape \(2, 5\)"):
        F.lstm_cell(T(np.zeros((2, 5))), None, w_ih, w_hh)
    with pytest.raises(ValueError, match=r"lstm_cell: input must be \(N, D\) or unbatched \(D,\), "
                                         r"got shape \(1, 2, 3\)"):
        F.lstm_cell(T(np.zeros((1, 2, 3))), None, w_ih, w_hh)
    with pytest.raises(ValueError, match=r"lstm_cell: c must be \(N, H\) = \(2, 4\) .* got shape \(2, 5\)"):
        F.lstm_cell(x, (h, T(np.zeros((2, 5)))), w_ih, w_hh)
    with pytest.raises(ValueError, match=r"lstm_cell: w_ih must be \(4H, D\) and w_hh \(4H, H\)"):
        F.lstm_cell(x, None, T(np.zeros((15, 3))), w_hh)
    with pytest.raises(ValueError, match=r"lstm_cell: b_ih must be \(4H,\) = \(16,\)"):
        F.lstm_cell(x, None, w_ih, w_hh, T(np.zeros(4)))
    with pytest.raises(TypeError, match="lstm_cell: hx must be a pair"):
        F.lstm_cell(x, h, w_ih, w_hh)
    with pytest.raises(ValueError, match="rnn_cell: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        F.rnn_cell(x, h, T(np.zeros((4, 3))), T(np.zeros((4, 4))), nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"rnn_cell: hx must be \(N, H\) = \(2, 4\) .* got shape \(3, 4\)"):
        F.rnn_cell(x, T(np.zeros((3, 4))), T(np.zeros((4, 3))), T(np.zeros((4, 4))))


# ====================================================================== gru_cell
def test_gru_cell_hand_computed():
    # D = H = 1. r = σ(1·1 + 0.5·2) = σ(2); z = σ(0); n = tanh(−1 + r·(1·2 + 0.5)); h' mixes
    x, h = T([[1.0]]), T([[2.0]])
    w_ih, w_hh = T([[1.0], [0.0], [-1.0]]), T([[0.5], [0.0], [1.0]])
    b_hh = T([0.0, 0.0, 0.5])
    r = _sigmoid(2.0)
    n = math.tanh(-1.0 + r * 2.5)
    out = F.gru_cell(x, h, w_ih, w_hh, None, b_hh)
    np.testing.assert_allclose(out.numpy(), [[0.5 * n + 0.5 * 2.0]], rtol=1e-14)


def test_gru_cell_reset_gate_multiplies_the_hidden_bias():
    # b_hn sits inside r ⊙ (W_hn h + b_hn): with r → 0 it has no effect, unlike b_in
    x, h = T([[0.0]]), T([[0.0]])
    w = T(np.zeros((3, 1)))
    far = -50.0                                               # r = σ(−50) ≈ 0, z = σ(0)
    out_hn = F.gru_cell(x, h, w, w, T([far, 0, 0]), T([0, 0, 3.0]))
    out_in = F.gru_cell(x, h, w, w, T([far, 0, 3.0]), T([0, 0, 0]))
    np.testing.assert_allclose(out_hn.numpy(), [[0.5 * math.tanh(3.0 * _sigmoid(far))]],
                               rtol=1e-12)
    np.testing.assert_allclose(out_in.numpy(), [[0.5 * math.tanh(3.0)]], rtol=1e-14)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("state", [False, True])
def test_gru_cell_matches_reference(bias, batched, state):
    rng = np.random.default_rng(11)
    N, D, H = 3, 4, 5
    x = rng.standard_normal((N, D) if batched else (D,))
    h = rng.standard_normal((N, H) if batched else (H,)) if state else None
    w_ih, w_hh = rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H))
    b_ih, b_hh = (rng.standard_normal(3 * H), rng.standard_normal(3 * H)) if bias else (None,) * 2
    want = ref.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)
    got = F.gru_cell(T(x), None if h is None else T(h), T(w_ih), T(w_hh),
                     None if b_ih is None else T(b_ih), None if b_hh is None else T(b_hh))
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)


@settings(max_examples=20)
@given(N=sizes, D=sizes, H=sizes, L=st.integers(1, 3), seed=st.integers(0, 2**31 - 1),
       bias=st.booleans(), state=st.booleans())
def test_gru_cell_gradients_over_a_sequence(N, D, H, L, seed, bias, state):
    """L steps of gru_cell; random upstream gradients on every h_t (check_gradients)."""
    rng = np.random.default_rng(seed)
    xs, h0 = rng.standard_normal((L, N, D)), rng.standard_normal((N, H))
    w_ih, w_hh = rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H))
    b_ih, b_hh = rng.standard_normal(3 * H), rng.standard_normal(3 * H)

    def run(xs, h0, w_ih, w_hh, b_ih, b_hh):
        h, hs = h0, []
        for t in range(L):
            h = F.gru_cell(xs[t], h, w_ih, w_hh, b_ih, b_hh)
            hs.append(h)
        return md.stack(hs)

    check_gradients(run, xs, h0 if state else None, w_ih, w_hh, b_ih if bias else None,
                    b_hh if bias else None)


@pytest.mark.parametrize("bias", [False, True])
def test_gru_cell_matches_torch(bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    N, D, H = 3, 4, 5
    arrays = [rng.standard_normal((N, D)), rng.standard_normal((N, H)),
              rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H))]
    if bias:
        arrays += [rng.standard_normal(3 * H), rng.standard_normal(3 * H)]
    ours = [leaf(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.gru_cell(*ours)
    want = torch.gru_cell(*theirs) if bias else torch.gru_cell(*theirs, None, None)
    u = rng.standard_normal((N, H))
    out.backward(md.tensor(u))
    want.backward(torch.tensor(u))
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-14)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gru_cell_bad_input():
    x, h = T(np.zeros((2, 3))), T(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"gru_cell: w_ih must be \(3H, D\) and w_hh \(3H, H\)"):
        F.gru_cell(x, h, T(np.zeros((16, 3))), T(np.zeros((16, 4))))
    with pytest.raises(ValueError, match=r"gru_cell: hx must be \(N, H\) = \(2, 4\)"):
        F.gru_cell(x, T(np.zeros((3, 4))), T(np.zeros((12, 3))), T(np.zeros((12, 4))))
    with pytest.raises(ValueError, match=r"gru_cell: input has 2 features but w_ih expects D = 3"):
        F.gru_cell(T(np.zeros((2, 2))), h, T(np.zeros((12, 3))), T(np.zeros((12, 4))))
    with pytest.raises(TypeError, match="gru_cell: input must be a Tensor"):
        F.gru_cell(np.zeros((2, 3)), h, T(np.zeros((12, 3))), T(np.zeros((12, 4))))
