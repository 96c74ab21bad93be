"""max_pool2d and avg_pool2d (F2): formulas, gradients, invariants, PyTorch and bad input."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minidl as md
import minidl.functional as F
import minidl.reference
from tests.helpers import check_gradients, leaf, torch_vjp, vjp

RTOL, ATOL = 1e-9, 1e-10


def _t(a, requires_grad=False):
    return md.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _distinct(rng, shape):
    """A shuffled ramp: no ties, so max pooling is smooth. Neighbours are min(0.5, 4/n)
    apart (≫ the 1e-6 step of the central differences), the values within ±2 for large
    tensors, so that rounding in a projection over thousands of them stays below the
    tolerance."""
    n = int(np.prod(shape))
    step = min(0.5, 4.0 / n)
    return ((rng.permutation(n) - n / 2) * step).reshape(shape)


# ---------------------------------------------------------------------- hypothesis space
def _every_window_sees_input(size, k, s, p, d, ceil_mode):
    """False when some dilated window holds only padding (PyTorch allows it and returns
    −inf; the reference loop cannot, so the generated cases avoid it)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return all(any(p <= i * s + u * d < p + size for u in range(k)) for i in range(out))


@st.composite
def pool_configs(draw, max_pool=True, max_hw=9):
    """(shape, kwargs): a valid pooling problem (PyTorch's rules) for either op."""
    kH, kW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.sampled_from([None, 1, 2, 3, (1, 2), (3, 1)]))
    p = (draw(st.integers(0, kH // 2)), draw(st.integers(0, kW // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if max_pool else (1, 1)
    span_h, span_w = d[0] * (kH - 1) + 1, d[1] * (kW - 1) + 1
    H = draw(st.integers(max(1, span_h - 2 * p[0]), max_hw))
    W = draw(st.integers(max(1, span_w - 2 * p[1]), max_hw))
    ceil_mode = draw(st.booleans())
    s_h, s_w = (kH, kW) if stride is None else (stride, stride) if isinstance(stride, int) else stride
    assume(_every_window_sees_input(H, kH, s_h, p[0], d[0], ceil_mode))
    assume(_every_window_sees_input(W, kW, s_w, p[1], d[1], ceil_mode))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), H, W)
    if draw(st.booleans()):
        shape = shape[1:]                                           # unbatched (C, H, W)
    kw = dict(kernel_size=(kH, kW), stride=stride, padding=p, ceil_mode=ceil_mode)
    if max_pool:
        kw["dilation"] = d
    else:
        kw["count_include_pad"] = draw(st.booleans())
    return shape, kw


# ---------------------------------------------------------------------- 1. formulas
def test_max_pool_hand_computed():
    # the CS231n-style 4×4 example: 2×2 windows, stride 2
    x = _t([[[[1.0, 5.0, 2.0, 0.0],
               [3.0, 4.0, 2.0, 2.0],
               [0.0, 1.0, 7.0, 8.0],
               [6.0, 0.0, 8.0, 1.0]]]], requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[5.0, 2.0], [6.0, 8.0]])
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[1, 2], [12, 11]])    # ties: first in scan order
    assert idx.dtype == np.int64
    y.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 1.0, 2.0, 0.0],
                                                 [0.0, 0.0, 0.0, 0.0],
                                                 [0.0, 0.0, 0.0, 4.0],
                                                 [3.0, 0.0, 0.0, 0.0]])


def test_max_pool_overlapping_windows_add_up():
    # 9 is the maximum of all four overlapping 2×2 windows (stride 1): it gets 1 + 2 + 3 + 4
    x = _t([[[1.0, 2.0, 3.0], [4.0, 9.0, 6.0], [7.0, 8.0, 5.0]]], requires_grad=True)
    y = F.max_pool2d(x, 2, stride=1)
    np.testing.assert_array_equal(y.numpy(), [[[9.0, 9.0], [9.0, 9.0]]])
    y.backward(np.array([[[1.0, 2.0], [3.0, 4.0]]]))
    np.testing.assert_array_equal(x.grad[0], [[0.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 0.0]])


def test_avg_pool_hand_computed():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(F.avg_pool2d(_t(x), 2).numpy()[0, 0],
                                  [[2.5, 4.5], [10.5, 12.5]])          # (0+1+4+5)/4, ...
    np.testing.assert_array_equal(F.avg_pool2d(_t(x), 2, divisor_override=1).numpy()[0, 0],
                                  [[10.0, 18.0], [42.0, 50.0]])        # the window sums
    # padding 1, stride 2 on [[1, 2], [3, 4]]: each window holds one real cell
    x2 = _t([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(F.avg_pool2d(x2, 2, padding=1).numpy()[0, 0],
                                  [[0.25, 0.5], [0.75, 1.0]])          # padding counts: / 4
    np.testing.assert_array_equal(F.avg_pool2d(x2, 2, padding=1, count_include_pad=False).numpy()[0, 0],
                                  [[1.0, 2.0], [3.0, 4.0]])            # padding does not: / 1
    # ceil_mode on 3×3: the edge windows hang past the border and count 2, 2 and 1 cells
    x3 = _t(np.arange(1.0, 10.0).reshape(1, 3, 3))
    np.testing.assert_array_equal(F.avg_pool2d(x3, 2, ceil_mode=True).numpy()[0],
                                  [[3.0, 4.5], [7.5, 9.0]])


@given(pool_configs(max_pool=True), st.integers(0, 2**31 - 1))
def test_max_pool_matches_reference(cfg, seed):
    shape, kw = cfg
    x = np.random.default_rng(seed).standard_normal(shape)
    y, idx = F.max_pool2d(_t(x), **kw, return_indices=True)
    y_ref, idx_ref = minidl.reference.max_pool2d(x, **kw, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), y_ref)
    np.testing.assert_array_equal(idx.numpy(), idx_ref)


@given(pool_configs(max_pool=True), st.integers(0, 2**31 - 1))
def test_max_pool_ties_pick_the_first_maximum(cfg, seed):
    shape, kw = cfg
    x = np.random.default_rng(seed).integers(0, 3, shape).astype(np.float64)   # many ties
    y, idx = F.max_pool2d(_t(x), **kw, return_indices=True)
    y_ref, idx_ref = minidl.reference.max_pool2d(x, **kw, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), y_ref)
    np.testing.assert_array_equal(idx.numpy(), idx_ref)


@given(pool_configs(max_pool=False), st.integers(0, 2**31 - 1))
def test_avg_pool_matches_reference(cfg, seed):
    shape, kw = cfg
    x = np.random.default_rng(seed).standard_normal(shape)
    np.testing.assert_allclose(F.avg_pool2d(_t(x), **kw).numpy(),
                               minidl.reference.avg_pool2d(x, **kw), rtol=RTOL, atol=ATOL)


def test_max_pool_nan_propagates_like_the_reference():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan                   # two NaNs in the first window
    y, idx = F.max_pool2d(_t(x), 2, return_indices=True)
    y_ref, idx_ref = minidl.reference.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), y_ref)             # (NaN == NaN for assert_array_equal)
    assert np.isnan(y.numpy()[0, 0, 0, 0])
    np.testing.assert_array_equal(idx.numpy(), idx_ref)


def test_float32_stays_float32():
    x = md.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32),
                  requires_grad=True)
    for pool in (lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: F.avg_pool2d(t, 3, 2, 1, True)):
        x.grad = None
        y = pool(x)
        assert y.dtype == np.float32
        y.backward(np.ones(y.shape, np.float32))
        assert x.grad.dtype == np.float32


# ---------------------------------------------------------------------- 2. gradients
@settings(max_examples=15)
@given(pool_configs(max_pool=True, max_hw=7), st.integers(0, 2**31 - 1))
def test_max_pool_gradient_central_differences(cfg, seed):
    shape, kw = cfg
    x = _distinct(np.random.default_rng(seed), shape)
    assert check_gradients(lambda t: F.max_pool2d(t, **kw), x)


@settings(max_examples=15)
@given(pool_configs(max_pool=False, max_hw=7), st.integers(0, 2**31 - 1),
       st.sampled_from([None, None, 1, 3]))
def test_avg_pool_gradient_central_differences(cfg, seed, divisor_override):
    shape, kw = cfg
    x = np.random.default_rng(seed).standard_normal(shape)
    assert check_gradients(lambda t: F.avg_pool2d(t, **kw, divisor_override=divisor_override), x)


@settings(max_examples=10)
@given(st.integers(0, 2**31 - 1), st.sampled_from([2, 3]), st.sampled_from([None, 1]),
       st.booleans())
def test_gradients_fast_mode_larger(seed, k, stride, ceil_mode):
    rng = np.random.default_rng(seed)
    x = _distinct(rng, (4, 5, 17, 15))
    assert check_gradients(lambda t: F.max_pool2d(t, k, stride, 1, ceil_mode=ceil_mode), x, fast=True)
    assert check_gradients(lambda t: F.avg_pool2d(t, k, stride, 1, ceil_mode, False), x, fast=True)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4),
       st.integers(0, 2**31 - 1))
def test_avg_pool_conserves_the_total_gradient_when_windows_tile(kH, kW, n_h, n_w, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, kH * n_h, kW * n_w))
    _, (dx,), u = vjp(lambda t: F.avg_pool2d(t, (kH, kW)), x)
    np.testing.assert_allclose(dx.sum(), u.sum(), rtol=1e-9, atol=1e-9)
    # and each cell gets its window's ȳ / (kH·kW)
    np.testing.assert_allclose(dx, np.kron(u, np.ones((kH, kW))) / (kH * kW), rtol=1e-12)


@given(pool_configs(max_pool=True), st.integers(0, 2**31 - 1))
def test_max_pool_routes_each_window_gradient_to_its_maximum(cfg, seed):
    """∂L/∂x is ȳ scattered (and summed) onto the reference's argmax positions, even with ties."""
    shape, kw = cfg
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, shape).astype(np.float64)
    _, idx_ref = minidl.reference.max_pool2d(x, **kw, return_indices=True)
    _, (dx,), u = vjp(lambda t: F.max_pool2d(t, **kw), x)
    H, W = shape[-2:]
    expected = np.zeros((int(np.prod(shape[:-2])), H * W))
    planes = np.arange(expected.shape[0])[:, None]
    np.add.at(expected, (planes, idx_ref.reshape(len(expected), -1)), u.reshape(len(expected), -1))
    np.testing.assert_allclose(dx, expected.reshape(shape), rtol=1e-12, atol=1e-12)
    assert np.count_nonzero(dx) <= u.size                    # one element per window, never shared


# ---------------------------------------------------------------------- 3. PyTorch
MAX_GRID = [  # (shape, kernel, stride, padding, dilation, ceil_mode)
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 9, 7), 3, 2, 1, 1, True),
    ((1, 2, 10, 11), (2, 3), (2, 1), (1, 1), (2, 1), True),
    ((2, 2, 7, 9), 3, (3, 2), (0, 1), 2, False),
    ((3, 5, 6), 2, 1, 1, 1, True),                           # unbatched
    ((1, 2, 5, 5), 4, 3, 2, 1, True),
]


@pytest.mark.parametrize("case", MAX_GRID)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_matches_pytorch(case, ties):
    torch = pytest.importorskip("torch")
    shape, k, s, p, d, cm = case
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    y, (dx,), u = vjp(lambda t: F.max_pool2d(t, k, s, p, d, cm), x)
    y_t, (dx_t,) = torch_vjp(torch, lambda t: torch.nn.functional.max_pool2d(t, k, s, p, d, cm),
                             x, upstream=u)
    np.testing.assert_array_equal(y, y_t)
    np.testing.assert_allclose(dx, dx_t, rtol=RTOL, atol=ATOL)
    _, idx = F.max_pool2d(_t(x), k, s, p, d, cm, return_indices=True)
    _, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, cm, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())


AVG_GRID = [  # (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, True, True, None),
    ((2, 3, 9, 7), 3, 2, 1, True, False, None),
    ((1, 2, 10, 11), (2, 3), (2, 1), (1, 1), True, True, None),
    ((2, 2, 7, 9), 3, (3, 2), (0, 1), False, False, 2),
    ((3, 5, 6), 2, 1, 1, True, True, None),                   # unbatched
    ((1, 2, 5, 5), 4, 3, 2, True, True, 5),
    ((1, 2, 5, 5), 4, 3, 2, True, False, None),
]


@pytest.mark.parametrize("case", AVG_GRID)
def test_avg_pool_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    shape, k, s, p, cm, cip, do = case
    x = np.random.default_rng(4).standard_normal(shape)
    y, (dx,), u = vjp(lambda t: F.avg_pool2d(t, k, s, p, cm, cip, do), x)
    y_t, (dx_t,) = torch_vjp(torch, lambda t: torch.nn.functional.avg_pool2d(t, k, s, p, cm, cip, do),
                             x, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_t, rtol=RTOL, atol=ATOL)


def test_max_pool_window_of_only_padding_gives_minus_infinity_like_pytorch():
    torch = pytest.importorskip("torch")
    x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    kw = dict(kernel_size=(1, 2), stride=1, padding=(0, 1), dilation=(1, 3))
    y, (dx,), u = vjp(lambda t: F.max_pool2d(t, **kw), x)
    y_t, (dx_t,) = torch_vjp(torch, lambda t: torch.nn.functional.max_pool2d(t, **kw), x, upstream=u)
    np.testing.assert_array_equal(y, y_t)
    np.testing.assert_array_equal(dx, dx_t)
    assert np.isneginf(y).sum() == 0 and y.shape == (1, 1, 2, 2)
    x2 = np.array([[[[3.0]]]])                                # the only window holds padding only
    kw2 = dict(kernel_size=(1, 2), padding=(0, 1), dilation=(1, 2))
    y, (dx,), u = vjp(lambda t: F.max_pool2d(t, **kw2), x2)
    y_t, (dx_t,) = torch_vjp(torch, lambda t: torch.nn.functional.max_pool2d(t, **kw2), x2, upstream=u)
    assert np.isneginf(y).all() and np.isneginf(y_t).all()
    np.testing.assert_array_equal(dx, dx_t)                   # no gradient reaches the input


def test_max_pool_nan_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = x[0, 0, 4, 5] = np.nan
    y, idx = F.max_pool2d(_t(x), 3, 2, 1, return_indices=True)
    y_t, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), y_t.numpy())
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())


# ---------------------------------------------------------------------- 4. bad input
@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("shape, kw, exc, words", [
    ((3, 32), dict(kernel_size=2), ValueError, ["input must be (N, C, H, W) or (C, H, W)", "(3, 32)"]),
    ((1, 1, 4, 4), dict(kernel_size=0), ValueError, ["kernel_size"]),
    ((1, 1, 4, 4), dict(kernel_size=2, stride=0), ValueError, ["stride"]),
    ((1, 1, 4, 4), dict(kernel_size=2, padding=-1), ValueError, ["padding"]),
    ((1, 1, 4, 4), dict(kernel_size=3, padding=2), ValueError, ["padding", "half"]),
    ((1, 1, 4, 4), dict(kernel_size=(4, 2), padding=(2, 2)), ValueError, ["padding", "half"]),
    ((1, 1, 2, 5), dict(kernel_size=3), ValueError, ["empty", "(1, 1, 2, 5)"]),
    ((1, 1, 0, 5), dict(kernel_size=1), ValueError, ["empty"]),
    ((1, 1, 4, 4), dict(kernel_size=2.0), TypeError, ["kernel_size"]),
    ((1, 1, 4, 4), dict(kernel_size=2, stride=(1, 1, 1)), TypeError, ["stride"]),
])
def test_bad_input(op, shape, kw, exc, words):
    with pytest.raises(exc) as info:
        getattr(F, op)(md.zeros(*shape), **kw)
    message = str(info.value)
    assert message.startswith(op + ":")
    for w in words:
        assert w in message


def test_bad_input_specific_to_each_op():
    with pytest.raises(ValueError, match="max_pool2d: dilation"):
        F.max_pool2d(md.zeros(1, 1, 4, 4), 2, dilation=0)
    with pytest.raises(ValueError, match="max_pool2d: output would be empty"):
        F.max_pool2d(md.zeros(1, 1, 4, 4), 2, dilation=4)        # span 5 > 4
    with pytest.raises(ValueError, match="avg_pool2d: divisor_override"):
        F.avg_pool2d(md.zeros(1, 1, 4, 4), 2, divisor_override=0)
    with pytest.raises(TypeError, match="avg_pool2d: divisor_override"):
        F.avg_pool2d(md.zeros(1, 1, 4, 4), 2, divisor_override=1.5)
    with pytest.raises(TypeError, match="max_pool2d: input must be a Tensor"):
        F.max_pool2d(np.zeros((1, 1, 4, 4)), 2)


def test_backward_leaves_a_read_only_upstream_gradient_alone():
    x = leaf(_distinct(np.random.default_rng(5), (1, 2, 4, 4)))
    for pool in (lambda t: F.max_pool2d(t, 2, 1), lambda t: F.avg_pool2d(t, 2, 1)):
        x.grad = None
        y = pool(x)
        up = np.broadcast_to(np.arange(3.0), y.shape)        # read-only view
        y.backward(up)
        np.testing.assert_array_equal(up, np.broadcast_to(np.arange(3.0), y.shape))
        assert x.grad.shape == x.shape


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("op, kw", [
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),          # overlapping, padded
    ("max_pool2d", dict(kernel_size=2)),                                # disjoint
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", dict(kernel_size=2)),
])
def test_blocks_over_threads_match_the_reference(op, kw, threads, monkeypatch):
    """Large inputs are pooled a block of batch elements at a time, on 1 or 2 threads:
    the reference loops' output, and the gradients of the unsplit run."""
    import minidl.ops.pooling as pooling
    from minidl import parallel
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 3, 9, 8))
    f = getattr(F, op)
    out, (g,), u = vjp(lambda t: f(t, **kw), x)
    want_y, want_idx = F.max_pool2d(md.tensor(x), 3, 2, 1, return_indices=True)
    monkeypatch.setattr(pooling, "_SPLIT", 16)
    monkeypatch.setattr(pooling, "_BLOCK", 400)                         # 2 batch elements
    before = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        split_out, (split_g,), _ = vjp(lambda t: f(t, **kw), x, upstream=u)
        y, idx = F.max_pool2d(md.tensor(x), 3, 2, 1, return_indices=True)
    finally:
        parallel.set_num_threads(before)
    np.testing.assert_allclose(split_out, getattr(minidl.reference, op)(x, **kw), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_array_equal(split_out, out)
    np.testing.assert_array_equal(split_g.numpy(), g.numpy())
    np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())
    np.testing.assert_array_equal(y.numpy(), want_y.numpy())


def test_max_pool_gradient_of_an_all_minus_inf_window_goes_to_the_returned_index():
    """Every input tap −∞ ties with the padding: PyTorch picks the window's first tap
    inside the input for the index and for the gradient (not the padding tap scanned
    first, which would drop the gradient)."""
    x = np.full((1, 1, 3, 3), -np.inf)
    x[0, 0, 2, 2] = 1.0
    t = md.tensor(x, requires_grad=True)
    y, idx = F.max_pool2d(t, 3, 1, 1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 0, 1], [0, 8, 8], [3, 8, 8]])
    g = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    y.backward(md.tensor(g))
    expected = np.zeros(9)
    np.add.at(expected, idx.numpy().reshape(-1), g.reshape(-1))
    np.testing.assert_array_equal(t.grad.numpy().reshape(-1), expected)
    torch = pytest.importorskip("torch")
    tt = torch.tensor(x, requires_grad=True)
    ty, ti = torch.nn.functional.max_pool2d(tt, 3, 1, 1, return_indices=True)
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(ti.numpy(), idx.numpy())
    np.testing.assert_array_equal(tt.grad.numpy(), t.grad.numpy())
