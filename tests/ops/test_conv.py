"""conv2d (F1): formula, gradients, invariants, PyTorch cross-checks and bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl as md
import minidl.functional as F
import minidl.reference
from tests.helpers import check_gradients, leaf, torch_vjp, vjp

RTOL, ATOL = 1e-9, 1e-10


def _t(a, requires_grad=False):
    return md.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------- hypothesis space
@st.composite
def conv_configs(draw, max_hw=9, max_ch=4):
    """(x, w, b, kwargs): a valid conv2d problem, small enough for the reference loops."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    C_in = groups * draw(st.integers(1, max(1, max_ch // groups)))
    C_out = groups * draw(st.integers(1, max(1, max_ch // groups)))
    kH, kW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    span_h, span_w = d[0] * (kH - 1) + 1, d[1] * (kW - 1) + 1
    H = draw(st.integers(max(1, span_h - 2 * p[0]), max_hw))
    W = draw(st.integers(max(1, span_w - 2 * p[1]), max_hw))
    N = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C_in, H, W))
    w = rng.standard_normal((C_out, C_in // groups, kH, kW))
    b = rng.standard_normal(C_out) if draw(st.booleans()) else None
    return x, w, b, dict(stride=s, padding=p, dilation=d, groups=groups)


# ---------------------------------------------------------------------- 1. formula
@given(H=st.integers(3, 12), W=st.integers(3, 12), kH=st.integers(1, 3), kW=st.integers(1, 3),
       seed=st.integers(0, 2**31 - 1))
def test_single_channel_is_scipy_correlate2d_valid(H, W, kH, kW, seed):
    """The article's y(x, y) = Σ_i Σ_j x(x + i, y + j)·w(i, j): a 'valid' cross-correlation."""
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((H, W)), rng.standard_normal((kH, kW))
    y = F.conv2d(_t(x[None, None]), _t(w[None, None])).numpy()[0, 0]
    np.testing.assert_allclose(y, signal.correlate2d(x, w, mode="valid"), rtol=RTOL, atol=ATOL)


def test_hand_computed_padding_stride_bias():
    # x_pad is x with a border of zeros; w = [[1, 0], [0, -1]] so y[i, j] = x_pad[i, j] − x_pad[i+1, j+1] + 1
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)            # [[1 2 3] [4 5 6] [7 8 9]]
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    b = np.array([1.0])
    y = F.conv2d(_t(x), _t(w), _t(b), padding=1).numpy()[0, 0]
    expected = np.array([[0.0, -1.0, -2.0, 1.0],             # 0−1+1, 0−2+1, 0−3+1, 0−0+1
                         [-3.0, -3.0, -3.0, 4.0],            # 0−4+1, 1−5+1, 2−6+1, 3−0+1
                         [-6.0, -3.0, -3.0, 7.0],            # 0−7+1, 4−8+1, 5−9+1, 6−0+1
                         [1.0, 8.0, 9.0, 10.0]])             # 0−0+1, 7+1, 8+1, 9+1
    np.testing.assert_array_equal(y, expected)
    y2 = F.conv2d(_t(x), _t(w), _t(b), stride=2, padding=1).numpy()[0, 0]
    np.testing.assert_array_equal(y2, expected[::2, ::2])   # stride 2 keeps rows/cols 0 and 2


def test_hand_computed_two_channels_dilation():
    # channel 0 = 0..15, channel 1 = ones; dilation 2 taps x[c, i + 2p, j + 2q]
    x = np.stack([np.arange(16.0).reshape(4, 4), np.ones((4, 4))])[None]
    w = np.array([[[[1.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 2.0]]]])
    y = F.conv2d(_t(x), _t(w), dilation=2).numpy()[0, 0]
    # y[0,0] = 0 + 2 + 8 + 10 + 2·1 = 22;  y[0,1] = 1 + 3 + 9 + 11 + 2 = 26;  ...
    np.testing.assert_array_equal(y, [[22.0, 26.0], [38.0, 42.0]])


def test_hand_computed_gradients():
    x = _t(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = _t([[[[1.0, 2.0], [3.0, 4.0]]]], requires_grad=True)
    b = _t([0.5], requires_grad=True)
    F.conv2d(x, w, b).backward(np.ones((1, 1, 2, 2)))
    # ∂L/∂w[p, q] = Σ_ij x[i+p, j+q]: 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
    np.testing.assert_array_equal(w.grad[0, 0], [[12.0, 16.0], [24.0, 28.0]])
    # ∂L/∂x[r, t] = Σ of the kernel taps that touch (r, t)
    np.testing.assert_array_equal(x.grad[0, 0], [[1.0, 3.0, 2.0], [4.0, 10.0, 6.0], [3.0, 7.0, 4.0]])
    np.testing.assert_array_equal(b.grad, [4.0])             # four outputs


@given(conv_configs())
def test_matches_reference_loops(cfg):
    x, w, b, kw = cfg
    y = F.conv2d(_t(x), _t(w), None if b is None else _t(b), **kw)
    np.testing.assert_allclose(y.numpy(), minidl.reference.conv2d(x, w, b, **kw), rtol=RTOL, atol=ATOL)


@given(conv_configs(max_hw=7))
def test_unbatched_input_is_the_batch_of_one(cfg):
    x, w, b, kw = cfg
    bt = None if b is None else _t(b)
    y3 = F.conv2d(_t(x[0]), _t(w), bt, **kw)
    y4 = F.conv2d(_t(x[:1]), _t(w), bt, **kw)
    assert y3.shape == y4.shape[1:]
    np.testing.assert_array_equal(y3.numpy(), y4.numpy()[0])


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    x = md.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = md.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = md.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, np.float32))
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    ref = minidl.reference.conv2d(x.numpy(), w.numpy(), b.numpy(), padding=1)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_non_contiguous_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 5, 3, 2)).transpose(3, 2, 0, 1)        # (2, 3, 5, 5), a view
    w = rng.standard_normal((2, 3, 2, 2))
    np.testing.assert_allclose(F.conv2d(_t(x), _t(w), stride=(1, 2)).numpy(),
                               minidl.reference.conv2d(x, w, stride=(1, 2)), rtol=RTOL, atol=ATOL)


def test_padding_valid_and_same():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2, 3, 3))
    np.testing.assert_array_equal(F.conv2d(_t(x), _t(w), padding="valid").numpy(),
                                  F.conv2d(_t(x), _t(w)).numpy())
    same = F.conv2d(_t(x), _t(w), padding="same")
    assert same.shape == (1, 3, 6, 7)
    np.testing.assert_array_equal(same.numpy(), F.conv2d(_t(x), _t(w), padding=1).numpy())


# ---------------------------------------------------------------------- 2. gradients
@settings(max_examples=15)
@given(conv_configs(max_hw=6, max_ch=3))
def test_gradients_central_differences(cfg):
    x, w, b, kw = cfg
    if b is None:
        assert check_gradients(lambda x_, w_: F.conv2d(x_, w_, None, **kw), x, w)
    else:
        assert check_gradients(lambda x_, w_, b_: F.conv2d(x_, w_, b_, **kw), x, w, b)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31 - 1), groups=st.sampled_from([1, 2, 4]),
       stride=st.sampled_from([1, 2, (2, 1)]), dilation=st.sampled_from([1, 2]))
def test_gradients_fast_mode_larger(seed, groups, stride, dilation):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 8, 13, 11))
    w = rng.standard_normal((8, 8 // groups, 3, 3))
    b = rng.standard_normal(8)
    assert check_gradients(lambda x_, w_, b_: F.conv2d(x_, w_, b_, stride, 1, dilation, groups),
                           x, w, b, fast=True)


@given(conv_configs(max_hw=8))
def test_vjp_is_the_adjoint(cfg):
    """conv2d is linear in x (and in w): ⟨u, conv(x, w)⟩ = ⟨x, ∂L/∂x⟩ = ⟨w, ∂L/∂w⟩ exactly."""
    x, w, _, kw = cfg
    y, (dx, dw), u = vjp(lambda x_, w_: F.conv2d(x_, w_, **kw), x, w)
    total = np.sum(u * y)
    np.testing.assert_allclose(np.sum(x * dx), total, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.sum(w * dw), total, rtol=1e-9, atol=1e-9)


def test_only_the_inputs_that_require_grad_get_one():
    rng = np.random.default_rng(3)
    x = leaf(rng.standard_normal((2, 2, 5, 5)))
    w = leaf(rng.standard_normal((3, 2, 2, 2)), requires_grad=False)
    b = leaf(rng.standard_normal(3), requires_grad=False)
    F.conv2d(x, w, b).backward(np.ones((2, 3, 4, 4)))
    assert x.grad is not None and w.grad is None and b.grad is None
    x2 = leaf(x.numpy(), requires_grad=False)
    w2 = leaf(w.numpy())
    F.conv2d(x2, w2).backward(np.ones((2, 3, 4, 4)))
    assert x2.grad is None and w2.grad is not None


def test_backward_does_not_modify_a_read_only_upstream_gradient():
    x = leaf(np.random.default_rng(4).standard_normal((1, 2, 4, 4)))
    w = leaf(np.ones((2, 2, 2, 2)))
    y = F.conv2d(x, w)
    up = np.broadcast_to(np.arange(3.0)[None, None, None], (1, 2, 3, 3))   # read-only view
    y.backward(up)
    np.testing.assert_array_equal(up, np.broadcast_to(np.arange(3.0), (1, 2, 3, 3)))
    np.testing.assert_array_equal(w.grad[0], w.grad[1])      # same upstream for both channels


# ---------------------------------------------------------------------- 3. PyTorch
GRID = [
    # (N, C_in, H, W, C_out, kernel, stride, padding, dilation, groups, bias)
    (2, 3, 8, 8, 4, 3, 1, 0, 1, 1, True),
    (2, 4, 9, 7, 6, (2, 3), (2, 1), (1, 2), (1, 2), 2, True),
    (1, 6, 10, 11, 6, 3, 2, 1, 2, 3, False),
    (3, 4, 7, 7, 8, 1, (3, 2), 0, 1, 4, True),
    (2, 2, 6, 9, 2, (3, 2), 1, "same", (2, 1), 1, True),
    (2, 2, 6, 9, 4, (4, 2), 1, "same", 1, 2, False),
    (1, 3, 5, 5, 2, 5, 1, "valid", 1, 1, True),
    (2, 3, 12, 12, 5, 4, 3, (0, 2), (2, 3), 1, True),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", GRID)
def test_matches_pytorch_forward_and_every_gradient(case):
    torch = pytest.importorskip("torch")
    N, C_in, H, W, C_out, k, s, p, d, g, has_bias = case
    kH, kW = (k, k) if isinstance(k, int) else k
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((N, C_in, H, W)), rng.standard_normal((C_out, C_in // g, kH, kW))]
    if has_bias:
        arrays.append(rng.standard_normal(C_out))

    def ours(*t):
        return F.conv2d(*t, stride=s, padding=p, dilation=d, groups=g)

    def theirs(*t):
        return torch.nn.functional.conv2d(*t, stride=s, padding=p, dilation=d, groups=g)

    y, grads, u = vjp(ours, *arrays)
    y_t, grads_t = torch_vjp(torch, theirs, *arrays, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
    for got, want in zip(grads, grads_t):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_matches_pytorch_unbatched():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((2, 6, 5)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    y, grads, u = vjp(lambda *t: F.conv2d(*t, padding=(1, 0)), x, w, b)
    y_t, grads_t = torch_vjp(torch, lambda *t: torch.nn.functional.conv2d(*t, padding=(1, 0)),
                             x, w, b, upstream=u)
    assert y.shape == y_t.shape == (3, 7, 3)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
    for got, want in zip(grads, grads_t):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------- 4. bad input
def _conv_error(exc, x_shape, w_shape, b_shape=None, **kw):
    x, w = md.zeros(*x_shape), md.zeros(*w_shape)
    b = None if b_shape is None else md.zeros(*b_shape)
    with pytest.raises(exc) as info:
        F.conv2d(x, w, b, **kw)
    message = str(info.value)
    assert message.startswith("conv2d:")
    return message


def test_bad_input_rank():
    m = _conv_error(ValueError, (3, 32), (4, 3, 3, 3))
    assert m == "conv2d: input must be (N, C_in, H, W) or (C_in, H, W), got shape (3, 32)"
    assert "weight" in _conv_error(ValueError, (1, 3, 8, 8), (4, 3, 3))


def test_bad_channel_mismatch():
    m = _conv_error(ValueError, (8, 3, 28, 28), (32, 1, 3, 3))
    assert m == ("conv2d: input has 3 channels but weight expects 1 (groups=1); "
                 "input shape (8, 3, 28, 28), weight shape (32, 1, 3, 3)")


def test_bad_groups():
    assert "divisible by groups=2" in _conv_error(ValueError, (1, 3, 8, 8), (4, 1, 3, 3), groups=2)
    m = _conv_error(ValueError, (1, 4, 8, 8), (3, 2, 3, 3), groups=2)
    assert "C_out=3" in m and "groups=2" in m
    assert "groups" in _conv_error(ValueError, (1, 4, 8, 8), (4, 4, 3, 3), groups=0)
    assert "groups" in _conv_error(TypeError, (1, 4, 8, 8), (4, 4, 3, 3), groups=1.0)


@pytest.mark.parametrize("kw, word", [(dict(stride=0), "stride"), (dict(stride=(1, -1)), "stride"),
                                      (dict(dilation=0), "dilation"), (dict(padding=-1), "padding"),
                                      (dict(padding=(0, -2)), "padding"),
                                      (dict(padding="full"), "padding"),
                                      (dict(padding="same", stride=2), "padding='same'")])
def test_bad_hyper_parameter_values(kw, word):
    assert word in _conv_error(ValueError, (1, 2, 8, 8), (2, 2, 3, 3), **kw)


@pytest.mark.parametrize("kw, word", [(dict(stride=1.5), "stride"), (dict(padding=(1, 2, 3)), "padding"),
                                      (dict(dilation="2"), "dilation")])
def test_bad_hyper_parameter_kinds(kw, word):
    assert word in _conv_error(TypeError, (1, 2, 8, 8), (2, 2, 3, 3), **kw)


def test_kernel_larger_than_padded_input():
    m = _conv_error(ValueError, (1, 1, 4, 4), (1, 1, 5, 5))
    assert "larger than the padded input (4 x 4)" in m and "(1, 1, 5, 5)" in m
    _conv_error(ValueError, (1, 1, 5, 5), (1, 1, 3, 3), dilation=3)       # span 7 > 5
    assert F.conv2d(md.zeros(1, 1, 4, 4), md.zeros(1, 1, 5, 5), padding=1).shape == (1, 1, 2, 2)


def test_empty_batch_or_kernel():
    assert "empty" in _conv_error(ValueError, (0, 1, 4, 4), (1, 1, 2, 2))
    assert "weight" in _conv_error(ValueError, (1, 1, 4, 4), (1, 1, 0, 2))


def test_bad_bias_shape():
    m = _conv_error(ValueError, (1, 2, 5, 5), (4, 2, 3, 3), b_shape=(3,))
    assert "bias" in m and "(4,)" in m and "(3,)" in m


def test_not_tensors():
    with pytest.raises(TypeError, match="conv2d: input must be a Tensor"):
        F.conv2d(np.zeros((1, 1, 3, 3)), md.zeros(1, 1, 2, 2))
    with pytest.raises(TypeError, match="conv2d: bias must be a Tensor"):
        F.conv2d(md.zeros(1, 1, 3, 3), md.zeros(1, 1, 2, 2), np.zeros(1))


# ---------------------------------------------------------------------- 5. chunks, threads, wide rows
SPLIT_CASES = [
    dict(stride=(2, 1), padding=1, dilation=(1, 2)),                 # the exact grid
    dict(stride=1, padding=(1, 2), dilation=(2, 1)),                 # wide rows, padded
    dict(stride=1, padding=0, dilation=1, groups=2),                 # wide rows, x used as is
]


@pytest.mark.parametrize("kw", SPLIT_CASES)
@pytest.mark.parametrize("threads, chunk", [(1, 1), (1, 2), (2, 1), (2, 2), (2, 100)])
def test_chunks_and_threads_match_the_reference(kw, threads, chunk, monkeypatch):
    """Split over threads (a run of images each) and cut into chunks of images (here
    chunks of 1 and 2 images, and a last chunk shorter than the others): the same output
    and gradients as the literal loops' and as one chunk on one thread."""
    import minidl.ops.conv as conv_module
    from minidl import parallel
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 4, 7, 6))
    w = rng.standard_normal((4, 4 // kw.get("groups", 1), 3, 2))
    b = rng.standard_normal(4)
    out, grads, u = vjp(lambda *t: F.conv2d(*t, **kw), x, w, b)
    monkeypatch.setattr(conv_module, "_SPLIT", 16)
    monkeypatch.setattr(conv_module, "_SPLIT_PER_IMAGE", 1)
    monkeypatch.setattr(conv_module, "_images_per_chunk", lambda per_image: chunk)  # 1, 2, all
    before = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        split_out, split_grads, _ = vjp(lambda *t: F.conv2d(*t, **kw), x, w, b, upstream=u)
    finally:
        parallel.set_num_threads(before)
    np.testing.assert_allclose(split_out, minidl.reference.conv2d(x, w, b, **kw), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(split_out, out, rtol=1e-13, atol=1e-13)
    for g, want in zip(split_grads, grads):
        np.testing.assert_allclose(g.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def _dw_formula(x, dy, kH, kW):
    """∂L/∂w[o, c, p, q] = Σ_{n,i,j} ȳ[n, o, i, j]·x[n, c, i + p, j + q] (stride 1, no padding)."""
    H_out, W_out = dy.shape[2:]
    dw = np.empty((dy.shape[1], x.shape[1], kH, kW))
    for p in range(kH):
        for q in range(kW):
            dw[:, :, p, q] = np.einsum("noij,ncij->oc", dy, x[:, :, p:p + H_out, q:q + W_out])
    return dw


def _dx_formula(w, dy, H, W):
    """∂L/∂x[n, c, i + p, j + q] += Σ_o ȳ[n, o, i, j]·w[o, c, p, q] (stride 1, no padding)."""
    N, _, H_out, W_out = dy.shape
    dx = np.zeros((N, w.shape[1], H, W))
    for p in range(w.shape[2]):
        for q in range(w.shape[3]):
            dx[:, :, p:p + H_out, q:q + W_out] += np.einsum("noij,oc->ncij", dy, w[:, :, p, q])
    return dx


@pytest.mark.filterwarnings("ignore:invalid value", "ignore:overflow")
def test_wrapped_positions_never_leak_inf_or_nan():
    """With stride 1 the columns j >= W_out of each row are computed and thrown away; they
    read real inputs times a zero of Ȳ. An inf there must not turn a gradient into NaN
    that the formula (and PyTorch) keeps finite: x's last column is read by tap q = 0 only
    at those positions, so ∂L/∂w[..., 0] stays finite; likewise an inf in w."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 5, 6))
    x[0, 1, 2, 5] = np.inf                     # last column: only the wrapped q = 0 taps read it
    x[1, 0, 3, 5] = np.nan
    w = rng.standard_normal((3, 2, 2, 2))
    _, (_, dw), u = vjp(lambda x_, w_: F.conv2d(x_, w_), x, w)
    want = _dw_formula(x, u, 2, 2)
    assert np.isfinite(want[:, :, :, 0]).all() and not np.isfinite(want).all()
    np.testing.assert_allclose(dw.numpy(), want, rtol=1e-12, atol=1e-12, equal_nan=True)

    x = rng.standard_normal((2, 2, 5, 6))
    w = rng.standard_normal((3, 2, 2, 2))
    w[1, 0, 1, 1] = np.inf
    _, (dx, _), u = vjp(lambda x_, w_: F.conv2d(x_, w_), x, w)
    want = _dx_formula(w, u, 5, 6)
    assert np.isfinite(want[:, :, 0]).all()    # row 0 is never reached by tap p = 1
    np.testing.assert_allclose(dx.numpy(), want, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.filterwarnings("ignore:invalid value", "ignore:overflow")
def test_non_finite_inputs_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 6, 7))
    x[0, 0, 1, 6], x[1, 2, 5, 0], x[1, 1, 0, 3] = np.inf, -np.inf, np.nan
    w = rng.standard_normal((4, 3, 3, 2))
    w[2, 1, 0, 1] = np.inf
    for kw in (dict(), dict(padding=1), dict(dilation=(2, 1))):
        y, grads, u = vjp(lambda *t, kw=kw: F.conv2d(*t, **kw), x, w)
        y_t, grads_t = torch_vjp(torch, lambda *t, kw=kw: torch.nn.functional.conv2d(*t, **kw),
                                 x, w,
                                 upstream=u)
        np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL, equal_nan=True)
        for got, want in zip(grads, grads_t):
            np.testing.assert_allclose(got.numpy(), want, rtol=RTOL, atol=ATOL, equal_nan=True)
