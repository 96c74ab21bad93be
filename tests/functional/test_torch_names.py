"""The PyTorch names real programs use (conv1d, transposed convolutions, adaptive pooling,
interpolate, distances, ...): literal loops, gradcheck with a random upstream gradient
over hypothesis-generated shapes and hyper-parameters, PyTorch in float64, bad input."""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minidl as md
import minidl.functional as F
from tests.helpers import check_gradients, torch_vjp, vjp

RTOL, ATOL = 1e-9, 1e-11


def _rand(rng, *shape):
    return rng.standard_normal(shape)


def _against_torch(name, arrays, seed=0, torch_name=None, forward_only=False, **kwargs):
    """F.<name>(*arrays, **kwargs) against torch.nn.functional.<name>: forward and the
    gradient of every array, with the same random upstream gradient."""
    torch = pytest.importorskip("torch")
    tf = getattr(torch.nn.functional, torch_name or name)
    y, grads, u = vjp(lambda *t: getattr(F, name)(*t, **kwargs), *arrays, seed=seed)
    y_t, grads_t = torch_vjp(torch, lambda *t: tf(*t, **kwargs), *arrays, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
    for g, g_t in zip(grads, grads_t if not forward_only else ()):
        if g_t is None:
            assert g is None or not np.any(np.asarray(g))
        else:
            np.testing.assert_allclose(np.asarray(g), g_t, rtol=RTOL, atol=ATOL)
    return y


def _gradcheck(name, arrays, **kwargs):
    assert check_gradients(lambda *t: getattr(F, name)(*t, **kwargs), *arrays)


# ---------------------------------------------------------------------- conv1d
def test_conv1d_literal_loop():
    rng = np.random.default_rng(0)
    x, w, b = _rand(rng, 2, 4, 9), _rand(rng, 6, 2, 3), _rand(rng, 6)
    s, p, d, g = 2, 1, 2, 2
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p)))
    L_out = (9 + 2 * p - d * 2 - 1) // s + 1
    y = np.zeros((2, 6, L_out))
    for n in range(2):
        for o in range(6):
            grp = o // 3
            for i in range(L_out):
                y[n, o, i] = b[o] + sum(x_pad[n, grp * 2 + c, i * s + q * d] * w[o, c, q]
                                        for c in range(2) for q in range(3))
    out = F.conv1d(md.tensor(x), md.tensor(w), md.tensor(b), s, p, d, g)
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-12, atol=1e-12)


@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_conv1d_gradients_and_pytorch(data, seed):
    rng = np.random.default_rng(seed)
    groups = data.draw(st.sampled_from([1, 2]))
    C_in, C_out = groups * data.draw(st.integers(1, 2)), groups * data.draw(st.integers(1, 2))
    k, s, d = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    padding = data.draw(st.sampled_from([0, 1, "same", "valid"]) if s == 1 else st.integers(0, 1))
    L = data.draw(st.integers(d * (k - 1) + 1, 7))
    batched = data.draw(st.booleans())
    x = _rand(rng, *((2,) if batched else ()), C_in, L)
    arrays = [x, _rand(rng, C_out, C_in // groups, k), _rand(rng, C_out)]
    kw = dict(stride=s, padding=padding, dilation=d, groups=groups)
    _gradcheck("conv1d", arrays, **kw)
    _against_torch("conv1d", arrays, seed=seed, **kw)


def test_conv1d_errors():
    x, w = md.ones(2, 3, 8), md.ones(4, 3, 3)
    with pytest.raises(ValueError, match=r"conv1d: input must be \(N, C_in, L\)"):
        F.conv1d(md.ones(2, 3, 8, 8), w)
    with pytest.raises(ValueError, match=r"conv1d: weight must be \(C_out, C_in/groups, k\)"):
        F.conv1d(x, md.ones(4, 3, 3, 3))
    with pytest.raises(ValueError, match="conv1d: input has 3 channels but weight expects 2"):
        F.conv1d(x, md.ones(4, 2, 3))
    with pytest.raises(ValueError, match=r"conv1d: bias must be \(C_out,\) = \(4,\)"):
        F.conv1d(x, w, md.ones(3))
    with pytest.raises(ValueError, match="conv1d: padding='same' is not supported for strided"):
        F.conv1d(x, w, stride=2, padding="same")
    with pytest.raises(TypeError, match="conv1d: stride must be an int"):
        F.conv1d(x, w, stride=1.5)
    with pytest.raises(ValueError, match="conv1d: kernel .* is longer than the padded input"):
        F.conv1d(md.ones(2, 3, 2), w)
    with pytest.raises(TypeError, match="conv1d: weight must be a Tensor"):
        F.conv1d(x, np.ones((4, 3, 3)))


# ---------------------------------------------------------------------- conv_transpose
def _conv_transpose2d_loop(x, w, b, s, p, op, g, d):
    """The scatter formula literally: each input pixel stamps its scaled kernel."""
    N, C_in, H, W = x.shape
    _, C_out_g, kH, kW = w.shape
    H_full = (H - 1) * s[0] + d[0] * (kH - 1) + 1 + op[0]
    W_full = (W - 1) * s[1] + d[1] * (kW - 1) + 1 + op[1]
    y = np.zeros((N, C_out_g * g, H_full, W_full))
    C_in_g = C_in // g
    for n in range(N):
        for c in range(C_in):
            grp = c // C_in_g
            for i in range(H):
                for j in range(W):
                    for o in range(C_out_g):
                        for kp in range(kH):
                            for kq in range(kW):
                                y[n, grp * C_out_g + o, i * s[0] + kp * d[0],
                                  j * s[1] + kq * d[1]] += x[n, c, i, j] * w[c, o, kp, kq]
    H_out = H_full - op[0] - 2 * p[0] + op[0]
    W_out = W_full - op[1] - 2 * p[1] + op[1]
    y = y[:, :, p[0]:p[0] + H_out, p[1]:p[1] + W_out]
    return y + b[None, :, None, None]


@pytest.mark.parametrize("s, p, op, g, d", [((1, 1), (0, 0), (0, 0), 1, (1, 1)),
                                             ((2, 3), (1, 0), (1, 2), 2, (1, 2)),
                                             ((2, 2), (2, 1), (0, 1), 1, (2, 1)),
                                             ((1, 2), (0, 1), (1, 1), 2, (2, 2))])
def test_conv_transpose2d_literal_scatter(s, p, op, g, d):
    rng = np.random.default_rng(1)
    x, w, b = _rand(rng, 2, 4, 3, 4), _rand(rng, 4, 3, 3, 2), _rand(rng, 3 * g)
    out = F.conv_transpose2d(md.tensor(x), md.tensor(w), md.tensor(b), s, p, op, g, d)
    np.testing.assert_allclose(out.numpy(), _conv_transpose2d_loop(x, w, b, s, p, op, g, d),
                               rtol=1e-12, atol=1e-12)


def test_conv_transpose2d_is_the_input_gradient_of_conv2d():
    rng = np.random.default_rng(2)
    x, w = md.tensor(_rand(rng, 2, 3, 7, 6), requires_grad=True), md.tensor(_rand(rng, 4, 3, 3, 3))
    y = F.conv2d(x, w, stride=2, padding=1)
    u = _rand(rng, *y.shape)
    y.backward(u)
    again = F.conv_transpose2d(md.tensor(u), w, stride=2, padding=1, output_padding=(0, 1))
    np.testing.assert_allclose(again.numpy(), x.grad.numpy(), rtol=1e-12, atol=1e-12)


@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_conv_transpose2d_gradients_and_pytorch(data, seed):
    rng = np.random.default_rng(seed)
    groups = data.draw(st.sampled_from([1, 2]))
    C_in, C_out_g = groups * data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    kH, kW = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    s = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2)))
    d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    op = tuple(data.draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    p = (data.draw(st.integers(0, 1)), data.draw(st.integers(0, 1)))
    H, W = data.draw(st.integers(2, 4)), data.draw(st.integers(2, 4))
    assume((H - 1) * s[0] - 2 * p[0] + d[0] * (kH - 1) + op[0] >= 0)
    assume((W - 1) * s[1] - 2 * p[1] + d[1] * (kW - 1) + op[1] >= 0)
    batched = data.draw(st.booleans())
    x = _rand(rng, *((2,) if batched else ()), C_in, H, W)
    arrays = [x, _rand(rng, C_in, C_out_g, kH, kW), _rand(rng, C_out_g * groups)]
    kw = dict(stride=s, padding=p, output_padding=op, groups=groups, dilation=d)
    _gradcheck("conv_transpose2d", arrays, **kw)
    _against_torch("conv_transpose2d", arrays, seed=seed, **kw)


def test_conv_transpose2d_second_derivative():
    rng = np.random.default_rng(3)
    x, w = md.tensor(_rand(rng, 1, 2, 3, 3), requires_grad=True), md.tensor(
        _rand(rng, 2, 2, 2, 2), requires_grad=True)
    assert md.gradgradcheck(lambda a, b: F.conv_transpose2d(a, b, stride=2, padding=1), (x, w))


@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_conv_transpose1d_gradients_and_pytorch(data, seed):
    rng = np.random.default_rng(seed)
    groups = data.draw(st.sampled_from([1, 2]))
    C_in, C_out_g = groups * data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    k, s, d = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    op = data.draw(st.integers(0, max(s, d) - 1))
    p = data.draw(st.integers(0, 1))
    L = data.draw(st.integers(2, 5))
    assume((L - 1) * s - 2 * p + d * (k - 1) + op >= 0)
    arrays = [_rand(rng, 2, C_in, L), _rand(rng, C_in, C_out_g, k),
              _rand(rng, C_out_g * groups)]
    kw = dict(stride=s, padding=p, output_padding=op, groups=groups, dilation=d)
    _gradcheck("conv_transpose1d", arrays, **kw)
    _against_torch("conv_transpose1d", arrays, seed=seed, **kw)


def test_conv_transpose_errors():
    x = md.ones(1, 4, 5, 5)
    with pytest.raises(ValueError, match="conv_transpose2d: input has 4 channels but weight"):
        F.conv_transpose2d(x, md.ones(3, 2, 3, 3))
    with pytest.raises(ValueError, match="conv_transpose2d: output_padding must be smaller than "
                                         "either stride or dilation"):
        F.conv_transpose2d(x, md.ones(4, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"conv_transpose2d: bias must be \(C_out,\) = \(4,\)"):
        F.conv_transpose2d(x, md.ones(4, 2, 3, 3), md.ones(2), groups=2)
    with pytest.raises(ValueError, match="conv_transpose2d: output would be empty"):
        F.conv_transpose2d(md.ones(1, 4, 1, 1), md.ones(4, 2, 1, 1), padding=1)
    with pytest.raises(ValueError, match=r"conv_transpose2d: weight must be \(C_in, C_out/groups"):
        F.conv_transpose2d(x, md.ones(4, 2, 3))
    with pytest.raises(TypeError, match="conv_transpose1d: padding must be an int"):
        F.conv_transpose1d(md.ones(1, 4, 5), md.ones(4, 2, 3), padding="same")


# ---------------------------------------------------------------------- pooling
def _distinct(rng, *shape):
    """Values at least 0.1 apart (no ties within a window, central differences stay away
    from a change of the maximum)."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01)


def test_adaptive_pools_literal_windows():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 7, 5))
    H_out, W_out = 3, 4
    avg = np.zeros((2, 3, H_out, W_out))
    mx = np.zeros_like(avg)
    for i in range(H_out):
        h0, h1 = (i * 7) // H_out, -(-((i + 1) * 7) // H_out)
        for j in range(W_out):
            w0, w1 = (j * 5) // W_out, -(-((j + 1) * 5) // W_out)
            avg[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
            mx[:, :, i, j] = x[:, :, h0:h1, w0:w1].max(axis=(2, 3))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(md.tensor(x), (H_out, W_out)).numpy(), avg,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(F.adaptive_max_pool2d(md.tensor(x), (H_out, W_out)).numpy(), mx)


@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_adaptive_pool2d_gradients_and_pytorch(data, seed):
    rng = np.random.default_rng(seed)
    H, W = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    size = (data.draw(st.one_of(st.none(), st.integers(1, 7))),
            data.draw(st.one_of(st.none(), st.integers(1, 7))))
    if data.draw(st.booleans()):
        size = data.draw(st.integers(1, 4))
    shape = ((2,) if data.draw(st.booleans()) else ()) + (2, H, W)
    x = _distinct(rng, *shape)
    _gradcheck("adaptive_avg_pool2d", [x], output_size=size)
    _against_torch("adaptive_avg_pool2d", [x], seed=seed, output_size=size)
    _gradcheck("adaptive_max_pool2d", [x], output_size=size)
    _against_torch("adaptive_max_pool2d", [x], seed=seed, output_size=size)
    torch = pytest.importorskip("torch")
    _, idx = F.adaptive_max_pool2d(md.tensor(x), size, return_indices=True)
    _, idx_t = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())
    assert idx.dtype == np.int64


@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_pool1d_gradients_and_pytorch(data, seed):
    rng = np.random.default_rng(seed)
    L = data.draw(st.integers(3, 9))
    x = _distinct(rng, 2, 3, L)
    size = data.draw(st.integers(1, 5))
    for name in ("adaptive_avg_pool1d", "adaptive_max_pool1d"):
        _gradcheck(name, [x], output_size=size)
        _against_torch(name, [x], seed=seed, output_size=size)
    k = data.draw(st.integers(1, 3))
    kw = dict(kernel_size=k, stride=data.draw(st.integers(1, 3)),
              padding=data.draw(st.integers(0, k // 2)), ceil_mode=data.draw(st.booleans()))
    avg_kw = dict(kw, count_include_pad=data.draw(st.booleans()))
    _gradcheck("avg_pool1d", [x], **avg_kw)
    _against_torch("avg_pool1d", [x], seed=seed, **avg_kw)
    max_kw = dict(kw, dilation=data.draw(st.integers(1, 2)))
    assume(L + 2 * max_kw["padding"] >= max_kw["dilation"] * (k - 1) + 1)
    _gradcheck("max_pool1d", [x], **max_kw)
    _against_torch("max_pool1d", [x], seed=seed, **max_kw)


def test_adaptive_max_pool_ties_go_to_the_first_maximum():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 5, 5))                              # every window is one tie
    y, (dx,), u = vjp(lambda t: F.adaptive_max_pool2d(t, 3), x)
    _, (dx_t,) = torch_vjp(torch, lambda t: torch.nn.functional.adaptive_max_pool2d(t, 3), x,
                           upstream=u)
    np.testing.assert_allclose(np.asarray(dx), dx_t)


def test_pooling_errors():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: input must be \(N, C, H, W\)"):
        F.adaptive_avg_pool2d(md.ones(4, 4), 2)
    with pytest.raises(ValueError, match="adaptive_max_pool2d: output_size must be >= 1"):
        F.adaptive_max_pool2d(md.ones(1, 4, 4), (0, 2))
    with pytest.raises(TypeError, match="adaptive_avg_pool2d: output_size must be an int or a "
                                        "tuple of 2"):
        F.adaptive_avg_pool2d(md.ones(1, 4, 4), (2, 2, 2))
    with pytest.raises(ValueError, match="adaptive_avg_pool1d: input has an empty axis"):
        F.adaptive_avg_pool1d(md.ones(1, 3, 0), 2)
    with pytest.raises(ValueError, match="max_pool1d: padding must be >= 0 and at most half"):
        F.max_pool1d(md.ones(1, 3, 8), 2, padding=2)
    with pytest.raises(TypeError, match=r"avg_pool1d: kernel_size must be an int \(or a 1-tuple"):
        F.avg_pool1d(md.ones(1, 3, 8), (2, 2))
    with pytest.raises(ValueError, match="max_pool1d: output would be empty"):
        F.max_pool1d(md.ones(1, 3, 2), 3)


# ---------------------------------------------------------------------- interpolate, pixel shuffle
def test_bilinear_literal_formula():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    y = F.interpolate(md.tensor(x), size=(3, 5), mode="bilinear", align_corners=True).numpy()
    for i in range(3):
        for j in range(5):
            r, c = i * (2 - 1) / (3 - 1), j * (3 - 1) / (5 - 1)   # aligned corners
            r0, c0 = min(int(r), 0), min(int(c), 1)
            lr, lc = r - r0, c - c0
            want = ((1 - lr) * (1 - lc) * x[0, 0, r0, c0] + (1 - lr) * lc * x[0, 0, r0, c0 + 1]
                    + lr * (1 - lc) * x[0, 0, r0 + 1, c0] + lr * lc * x[0, 0, r0 + 1, c0 + 1])
            assert y[0, 0, i, j] == pytest.approx(want, abs=1e-12)


_RESIZES = [dict(size=(7, 3)), dict(size=5), dict(scale_factor=2), dict(scale_factor=(1.7, 0.6)),
            dict(scale_factor=0.5), dict(scale_factor=2.5, recompute_scale_factor=True),
            dict(size=(1, 1))]


@given(mode=st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic", "area"]),
       resize=st.sampled_from(_RESIZES), align=st.sampled_from([None, True, False]),
       H=st.integers(1, 5), W=st.integers(1, 5), seed=st.integers(0, 2 ** 16))
def test_interpolate_2d_gradients_and_pytorch(mode, resize, align, H, W, seed):
    kw = dict(resize, mode=mode)
    if mode in ("bilinear", "bicubic") and align is not None:
        kw["align_corners"] = align
    x = _rand(np.random.default_rng(seed), 2, 2, H, W)
    assume(all(s >= 1 for s in np.floor(np.array([H, W]) * np.array(
        resize.get("scale_factor", 1.0))).astype(int)))
    _gradcheck("interpolate", [x], **kw)
    _against_torch("interpolate", [x], seed=seed, forward_only=_torch_nearest_grad_differs(
        x, kw), **kw)


def _torch_nearest_grad_differs(x, kw):
    """PyTorch's nearest backward kernel treats an output of size n or 2n as a copy or a
    doubling even when a scale factor makes its forward pick other elements (its gradient
    then is not the forward's derivative); minidl's gradient is the forward's."""
    if kw["mode"] != "nearest" or "scale_factor" not in kw or kw.get("recompute_scale_factor"):
        return False
    sizes = F.interpolate(md.tensor(x), **kw).shape[2:]
    return any(m in (n, 2 * n) for n, m in zip(x.shape[2:], sizes))


def test_interpolate_nearest_gradient_is_the_forwards_derivative():
    x = md.tensor(np.arange(5.0).reshape(1, 1, 5), requires_grad=True)
    y = F.interpolate(x, scale_factor=2.1)                  # 10 outputs, not a doubling
    np.testing.assert_array_equal(y.numpy()[0, 0], [0, 0, 0, 1, 1, 2, 2, 3, 3, 4])
    y.backward(md.tensor(np.arange(10.0).reshape(1, 1, 10)))
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [3, 7, 11, 15, 9])


@given(mode=st.sampled_from(["nearest", "nearest-exact", "linear", "area"]),
       resize=st.sampled_from([dict(size=7), dict(scale_factor=1.3), dict(size=2), dict(size=1)]),
       align=st.sampled_from([None, True]), L=st.integers(1, 6), seed=st.integers(0, 2 ** 16))
def test_interpolate_1d_gradients_and_pytorch(mode, resize, align, L, seed):
    kw = dict(resize, mode=mode)
    if mode == "linear" and align:
        kw["align_corners"] = True
    assume(int(L * resize.get("scale_factor", 1)) >= 1)
    x = _rand(np.random.default_rng(seed), 2, 3, L)
    _gradcheck("interpolate", [x], **kw)
    _against_torch("interpolate", [x], seed=seed, forward_only=_torch_nearest_grad_differs(
        x, kw), **kw)


def test_interpolate_3d_and_second_derivative():
    rng = np.random.default_rng(7)
    x = _rand(rng, 1, 2, 2, 3, 4)
    _against_torch("interpolate", [x], size=(3, 4, 5), mode="trilinear", align_corners=True)
    _against_torch("interpolate", [x], scale_factor=2, mode="nearest")
    t = md.tensor(_rand(rng, 1, 1, 3, 3), requires_grad=True)
    assert md.gradgradcheck(lambda a: F.interpolate(a * a, scale_factor=1.5, mode="bicubic"), (t,))


def test_interpolate_errors():
    x = md.ones(1, 2, 4, 4)
    with pytest.raises(ValueError, match="interpolate: give exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="interpolate: give exactly one of size and scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match=r"interpolate: mode 'linear' needs a 3-D input"):
        F.interpolate(x, size=2, mode="linear")
    with pytest.raises(ValueError, match="interpolate: align_corners can only be set"):
        F.interpolate(x, size=2, mode="nearest", align_corners=False)
    with pytest.raises(ValueError, match="interpolate: mode must be one of"):
        F.interpolate(x, size=2, mode="lanczos")
    with pytest.raises(ValueError, match="interpolate: size must be an int or a tuple of 2 ints"):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(ValueError, match="interpolate: the output size .* would be empty"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(NotImplementedError, match="interpolate: antialias=True"):
        F.interpolate(x, size=2, mode="bilinear", antialias=True)
    with pytest.raises(TypeError, match="interpolate: input must be a Tensor"):
        F.interpolate(np.ones((1, 2, 4, 4)), size=2)


@given(shape=st.sampled_from([(2, 18, 2, 3), (8, 1, 2), (1, 2, 4, 2, 3)]), r=st.sampled_from([1, 2]),
       seed=st.integers(0, 2 ** 16))
def test_pixel_shuffle_gradients_and_pytorch(shape, r, seed):
    x = _rand(np.random.default_rng(seed), *shape)
    if shape[-3] % (r * r) == 0:
        y = _against_torch("pixel_shuffle", [x], seed=seed, upscale_factor=r)
        _gradcheck("pixel_shuffle", [x], upscale_factor=r)
        np.testing.assert_array_equal(F.pixel_unshuffle(md.tensor(y), r).numpy(), x)
    if shape[-1] % r == 0 and shape[-2] % r == 0:
        _against_torch("pixel_unshuffle", [x], seed=seed, downscale_factor=r)


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match=r"pixel_shuffle: the channels \(3\) must be divisible "
                                         "by upscale_factor² = 4"):
        F.pixel_shuffle(md.ones(1, 3, 2, 2), 2)
    with pytest.raises(ValueError, match=r"pixel_unshuffle: height \(3\) and width \(4\)"):
        F.pixel_unshuffle(md.ones(1, 1, 3, 4), 2)
    with pytest.raises(TypeError, match="pixel_shuffle: upscale_factor must be an int"):
        F.pixel_shuffle(md.ones(1, 4, 2, 2), 2.0)
    with pytest.raises(ValueError, match="pixel_shuffle: input must be"):
        F.pixel_shuffle(md.ones(4, 2), 2)


# ---------------------------------------------------------------------- distances
def test_distance_literal_formulas():
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(F.normalize(md.tensor(a)).numpy(),
                               a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-12)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(F.cosine_similarity(md.tensor(a), md.tensor(b)).numpy(), cos,
                               rtol=1e-12)
    np.testing.assert_allclose(F.pairwise_distance(md.tensor(a), md.tensor(b), eps=0.0).numpy(),
                               np.linalg.norm(a - b, axis=1), rtol=1e-12)


@given(p=st.sampled_from([1, 2, 3.0, 1.5, float("inf")]), dim=st.sampled_from([0, 1, -1]),
       eps=st.sampled_from([1e-12, 0.3]), zero_row=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_normalize_gradients_and_pytorch(p, dim, eps, zero_row, seed):
    x = _distinct(np.random.default_rng(seed), 3, 4) - 0.55
    if zero_row:
        x[1] = 0.0                                          # PyTorch's gradient there is finite
    else:
        _gradcheck("normalize", [x], p=p, dim=dim, eps=eps)
    _against_torch("normalize", [x], seed=seed, p=p, dim=dim, eps=eps)


@given(shapes=st.sampled_from([((4, 3), (4, 3)), ((4, 3), (1, 3)), ((2, 1, 3), (1, 4, 3)),
                               ((3,), (3,))]),
       eps=st.sampled_from([1e-8, 0.5]), tiny=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_cosine_similarity_gradients_and_pytorch(shapes, eps, tiny, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = _rand(rng, *shapes[0]), _rand(rng, *shapes[1])
    dim = -1 if len(shapes[0]) != 2 else 1
    if tiny:
        x1 = x1 * 0.01                                       # norms below eps = 0.5: clamped
    norms = [np.linalg.norm(x, axis=-1) for x in (x1, x2)]
    if all(n.min() > 1.1 * eps for n in norms):           # PyTorch's gradient ignores the clamp,
        _gradcheck("cosine_similarity", [x1, x2], dim=dim, eps=eps)   # so only unclamped here
    _against_torch("cosine_similarity", [x1, x2], seed=seed, dim=dim, eps=eps)


def test_cosine_similarity_clamped_norm_gradient_is_pytorchs():
    x1 = np.array([[1e-3, 2e-3, 0.0], [0.0, 0.0, 0.0]])
    x2 = np.array([[1.0, -1.0, 2.0], [1.0, 2.0, 3.0]])
    _against_torch("cosine_similarity", [x1, x2], eps=0.1)


@given(p=st.sampled_from([1, 2, 3.0, float("inf")]), eps=st.sampled_from([1e-6, 0.0, 0.1]),
       keepdim=st.booleans(), shapes=st.sampled_from([((4, 3), (4, 3)), ((4, 3), (3,)),
                                                      ((5,), (5,))]),
       seed=st.integers(0, 2 ** 16))
def test_pairwise_distance_gradients_and_pytorch(p, eps, keepdim, shapes, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = _rand(rng, *shapes[0]), _rand(rng, *shapes[1])     # no ties, no zero differences
    _gradcheck("pairwise_distance", [x1, x2], p=p, eps=eps, keepdim=keepdim)
    _against_torch("pairwise_distance", [x1, x2], seed=seed, p=p, eps=eps, keepdim=keepdim)


def test_distance_errors():
    with pytest.raises(ValueError, match="cosine_similarity: x1 and x2 must broadcast"):
        F.cosine_similarity(md.ones(3, 4), md.ones(2, 4))
    with pytest.raises(md.errors.DimensionError, match="normalize: dim 2 is out of range"):
        F.normalize(md.ones(3, 4), dim=2)
    with pytest.raises(TypeError, match="pairwise_distance: x2 must be a Tensor"):
        F.pairwise_distance(md.ones(3, 4), [1.0] * 4)
    with pytest.raises(NotImplementedError, match="normalize: out= is not supported"):
        F.normalize(md.ones(3, 4), out=md.ones(3, 4))


# ---------------------------------------------------------------------- channel dropout
@pytest.mark.parametrize("name, shape", [("dropout1d", (40, 30, 5)), ("dropout1d", (300, 5)),
                                         ("dropout2d", (40, 30, 3, 2)),
                                         ("dropout3d", (40, 30, 2, 2, 2)),
                                         ("dropout3d", (300, 2, 2, 2))])
def test_channel_dropout_zeroes_whole_channels(name, shape):
    md.manual_seed(11)
    p = 0.3
    x = md.tensor(np.random.default_rng(0).uniform(1, 2, shape), requires_grad=True)
    y = getattr(F, name)(x, p)
    batched = len(shape) == {"dropout1d": 3, "dropout2d": 4, "dropout3d": 5}[name]
    channels = shape[0] * shape[1] if batched else shape[0]
    ratio = (y.numpy() / x.numpy()).reshape(channels, -1)      # one row per (n, c) channel
    per_channel = ratio[:, 0]
    np.testing.assert_allclose(ratio, per_channel[:, None] * np.ones_like(ratio))  # whole channels
    assert set(np.round(np.unique(per_channel), 12)) <= {0.0, round(1 / (1 - p), 12)}
    assert abs((per_channel == 0).mean() - p) < 0.06
    u = np.random.default_rng(1).standard_normal(shape)
    y.backward(u)
    np.testing.assert_allclose(x.grad.numpy(), u * y.numpy() / x.numpy())        # the same mask
    assert getattr(F, name)(x, p, training=False) is x
    np.testing.assert_array_equal(getattr(F, name)(x, 1.0).numpy(), 0.0)


def test_channel_dropout_errors_and_warnings():
    with pytest.raises(ValueError, match="dropout2d: p must be between 0 and 1"):
        F.dropout2d(md.ones(1, 2, 3, 3), 1.5)
    with pytest.raises(ValueError, match=r"dropout1d: input must be \(N, C, L\) or \(C, L\)"):
        F.dropout1d(md.ones(1, 2, 3, 3))
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        F.dropout2d(md.ones(2, 3, 3))
    with pytest.raises(TypeError, match="dropout3d: input must be a Tensor"):
        F.dropout3d(np.ones((1, 2, 2, 2, 2)))


# ---------------------------------------------------------------------- group norm, instance norm
def test_group_norm_literal_formula():
    rng = np.random.default_rng(14)
    x, w, b = _rand(rng, 2, 6, 3, 2), _rand(rng, 6), _rand(rng, 6)
    want = np.empty_like(x)
    for n in range(2):
        for g in range(3):
            block = x[n, 2 * g:2 * g + 2]
            want[n, 2 * g:2 * g + 2] = (block - block.mean()) / np.sqrt(block.var() + 1e-5)
    want = want * w[None, :, None, None] + b[None, :, None, None]
    got = F.group_norm(md.tensor(x), 3, md.tensor(w), md.tensor(b)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_group_norm_gradients_and_pytorch(data, seed):
    rng = np.random.default_rng(seed)
    G = data.draw(st.integers(1, 3))
    C = G * data.draw(st.integers(1, 2))
    spatial = tuple(data.draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    assume(C // G * int(np.prod(spatial)) > 1)
    x, w, b = _rand(rng, 2, C, *spatial), _rand(rng, C), _rand(rng, C)
    eps = data.draw(st.sampled_from([1e-5, 0.1]))
    assert check_gradients(lambda a, c, d: F.group_norm(a, G, c, d, eps), x, w, b)
    torch = pytest.importorskip("torch")
    y, grads, u = vjp(lambda a, c, d: F.group_norm(a, G, c, d, eps), x, w, b, seed=seed)
    y_t, grads_t = torch_vjp(torch, lambda a, c, d: torch.nn.functional.group_norm(a, G, c, d, eps),
                             x, w, b, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=1e-10)
    for g, g_t in zip(grads, grads_t):
        np.testing.assert_allclose(np.asarray(g), g_t, rtol=1e-8, atol=1e-10)


@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_instance_norm_gradients_and_pytorch(data, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    C = data.draw(st.integers(1, 3))
    spatial = tuple(data.draw(st.lists(st.integers(2, 3), min_size=1, max_size=2)))
    x, w, b = _rand(rng, 2, C, *spatial), _rand(rng, C), _rand(rng, C)
    assert check_gradients(lambda a, c, d: F.instance_norm(a, weight=c, bias=d), x, w, b)
    y, grads, u = vjp(lambda a, c, d: F.instance_norm(a, weight=c, bias=d), x, w, b, seed=seed)
    y_t, grads_t = torch_vjp(torch, lambda a, c, d: torch.nn.functional.instance_norm(
        a, weight=c, bias=d), x, w, b, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=1e-10)
    for g, g_t in zip(grads, grads_t):
        np.testing.assert_allclose(np.asarray(g), g_t, rtol=1e-8, atol=1e-10)
    # running statistics: the update, then evaluation with them
    rm, rv = rng.standard_normal(C), rng.uniform(0.5, 2, C)
    ours_m, ours_v = md.tensor(rm.copy()), md.tensor(rv.copy())
    theirs_m, theirs_v = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    F.instance_norm(md.tensor(x), ours_m, ours_v, momentum=0.3)
    torch.nn.functional.instance_norm(torch.tensor(x), theirs_m, theirs_v, momentum=0.3)
    np.testing.assert_allclose(ours_m.numpy(), theirs_m.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_v.numpy(), theirs_v.numpy(), rtol=1e-12)
    y = F.instance_norm(md.tensor(x), ours_m, ours_v, use_input_stats=False)
    y_t = torch.nn.functional.instance_norm(torch.tensor(x), theirs_m, theirs_v,
                                            use_input_stats=False)
    np.testing.assert_allclose(y.numpy(), y_t.numpy(), rtol=1e-12)


def test_norm_errors():
    with pytest.raises(ValueError, match="group_norm: the number of channels C = 6 must be "
                                         "divisible by num_groups = 4"):
        F.group_norm(md.ones(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"group_norm: weight must be \(C,\) = \(6,\)"):
        F.group_norm(md.ones(2, 6, 3), 3, md.ones(3))
    with pytest.raises(ValueError, match="instance_norm: expected more than 1 spatial element"):
        F.instance_norm(md.ones(2, 6, 1))
    with pytest.raises(ValueError, match=r"instance_norm: input must be \(N, C, \*\)"):
        F.instance_norm(md.ones(2, 6))


# ---------------------------------------------------------------------- losses
def _away_from_kinks(rng, shape, kinks):
    """Differences d = x − y whose |d| stays 0.05 away from each kink."""
    d = rng.uniform(0.1, 2.0, shape) * rng.choice([-1, 1], shape)
    for k in kinks:
        d = np.where(np.abs(np.abs(d) - k) < 0.05, d + 0.1, d)
    y = rng.standard_normal(shape)
    return y + d, y


def test_smooth_l1_and_huber_literal_formulas():
    d = np.array([-3.0, -0.5, 0.0, 0.2, 1.0, 2.5])
    beta, delta = 0.8, 1.5
    smooth = np.where(np.abs(d) < beta, 0.5 * d ** 2 / beta, np.abs(d) - 0.5 * beta)
    huber = np.where(np.abs(d) < delta, 0.5 * d ** 2, delta * (np.abs(d) - 0.5 * delta))
    x, zero = md.tensor(d), md.zeros(6, dtype=np.float64)
    np.testing.assert_allclose(F.smooth_l1_loss(x, zero, reduction="none", beta=beta).numpy(),
                               smooth, rtol=1e-12)
    np.testing.assert_allclose(F.huber_loss(x, zero, reduction="none", delta=delta).numpy(),
                               huber, rtol=1e-12)


@given(reduction=st.sampled_from(["mean", "sum", "none"]), beta=st.sampled_from([0.0, 0.5, 1.0]),
       seed=st.integers(0, 2 ** 16))
def test_smooth_l1_and_huber_gradients_and_pytorch(reduction, beta, seed):
    rng = np.random.default_rng(seed)
    x, y = _away_from_kinks(rng, (3, 4), [0.0, beta])
    _gradcheck("smooth_l1_loss", [x, y], reduction=reduction, beta=beta)
    _against_torch("smooth_l1_loss", [x, y], seed=seed, reduction=reduction, beta=beta)
    delta = beta or 0.7
    _gradcheck("huber_loss", [x, y], reduction=reduction, delta=delta)
    _against_torch("huber_loss", [x, y], seed=seed, reduction=reduction, delta=delta)


def test_losses_at_their_kinks_match_pytorch():
    x = np.array([0.0, 1.0, -1.0, 0.5, 2.0])
    y = np.array([0.0, 0.0, 0.0, 0.0, 0.0])                  # d = 0 and |d| = β = 1
    _against_torch("smooth_l1_loss", [x, y], reduction="sum")
    _against_torch("huber_loss", [x, y], reduction="sum")
    torch = pytest.importorskip("torch")
    t = np.array([1.0, 1.0, -1.0, 1.0, -1.0])                # hinge exactly at 0 for some
    a, b = np.array([1.0, 0.5, 0.0, 0.2, 1.0]), np.array([1.2, 0.5, 0.0, 1.0, 0.8])
    y_m, (da, db), u = vjp(lambda p, q: F.margin_ranking_loss(p, q, md.tensor(t), margin=0.2,
                                                              reduction="none"), a, b)
    y_t, (da_t, db_t) = torch_vjp(torch, lambda p, q: torch.nn.functional.margin_ranking_loss(
        p, q, torch.tensor(t), margin=0.2, reduction="none"), a, b, upstream=u)
    np.testing.assert_allclose(y_m, y_t, atol=1e-15)
    np.testing.assert_allclose(np.asarray(da), da_t)
    np.testing.assert_allclose(np.asarray(db), db_t)


@given(reduction=st.sampled_from(["mean", "sum", "none"]), margin=st.sampled_from([0.0, 0.3]),
       batched=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_ranking_and_embedding_losses_gradients_and_pytorch(reduction, margin, batched, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    shape = (5, 3) if batched else (3,)
    x1, x2 = _rand(rng, *shape), _rand(rng, *shape)
    t = np.sign(rng.standard_normal(shape[:-1])) if batched else np.array(
        float(np.sign(rng.standard_normal())))
    for name, a, b, target in (("margin_ranking_loss", x1[..., 0], x2[..., 0],
                                np.sign(rng.standard_normal(x1[..., 0].shape))),
                               ("cosine_embedding_loss", x1, x2, t)):
        kw = dict(margin=margin, reduction=reduction)
        def f(p, q, name=name, target=target, kw=kw):
            return getattr(F, name)(p, q, md.tensor(target), **kw)
        value = np.asarray(f(md.tensor(a), md.tensor(b)).detach())
        assume(np.all(np.abs(value) > 1e-3) or reduction != "none")        # away from the kink
        assert check_gradients(f, a, b)
        y_m, grads, u = vjp(f, a, b, seed=seed)
        y_t, grads_t = torch_vjp(torch, lambda p, q, name=name, target=target, kw=kw: getattr(
            torch.nn.functional, name)(p, q, torch.tensor(target), **kw), a, b, upstream=u)
        np.testing.assert_allclose(y_m, y_t, rtol=RTOL, atol=ATOL)
        for g, g_t in zip(grads, grads_t):
            np.testing.assert_allclose(np.asarray(g), g_t, rtol=RTOL, atol=ATOL)


@given(p=st.sampled_from([1, 2, 3.0]), swap=st.booleans(), margin=st.sampled_from([0.5, 2.0]),
       reduction=st.sampled_from(["mean", "sum", "none"]), batched=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_triplet_margin_loss_gradients_and_pytorch(p, swap, margin, reduction, batched, seed):
    rng = np.random.default_rng(seed)
    shape = (4, 3) if batched else (3,)
    arrays = [_rand(rng, *shape) for _ in range(3)]
    kw = dict(margin=margin, p=p, swap=swap, reduction=reduction)
    _gradcheck("triplet_margin_loss", arrays, **kw)
    _against_torch("triplet_margin_loss", arrays, seed=seed, **kw)


def test_loss_errors():
    x = md.ones(3, 4)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be a number >= 0"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="huber_loss: delta must be a number > 0"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="huber_loss: reduction must be"):
        F.huber_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="margin_ranking_loss: input1, input2 and target must "
                                         "have the same number of dimensions"):
        F.margin_ranking_loss(md.ones(3), md.ones(3), md.ones(3, 1))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: expected input1, input2 \(N, D\)"):
        F.cosine_embedding_loss(x, x, md.ones(3, 4))
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be > 0"):
        F.triplet_margin_loss(x, x, x, margin=0.0)


# ---------------------------------------------------------------------- activations
_KINKS = np.array([-6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 25.0, -40.0])

_ACTIVATIONS = [("hardtanh", {}), ("hardtanh", dict(min_val=-0.5, max_val=3.0)), ("relu6", {}),
                ("threshold", dict(threshold=0.5, value=-2.0)), ("hardsigmoid", {}),
                ("hardswish", {}), ("logsigmoid", {}), ("mish", {}), ("softsign", {}),
                ("tanhshrink", {}), ("hardshrink", {}), ("softshrink", dict(lambd=1.0)),
                ("selu", {}), ("celu", dict(alpha=2.0)), ("softmin", dict(dim=-1)),
                ("glu", dict(dim=-1))]


def test_activation_literal_formulas():
    x = np.linspace(-5, 5, 11)
    cases = {"relu6": np.clip(x, 0, 6), "hardtanh": np.clip(x, -1, 1),
             "hardsigmoid": np.clip(x / 6 + 0.5, 0, 1),
             "hardswish": x * np.clip(x + 3, 0, 6) / 6, "logsigmoid": -np.log1p(np.exp(-x)),
             "mish": x * np.tanh(np.log1p(np.exp(x))), "softsign": x / (1 + np.abs(x)),
             "tanhshrink": x - np.tanh(x), "hardshrink": np.where(np.abs(x) > 0.5, x, 0),
             "softshrink": np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
             "selu": 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
             "celu": np.where(x > 0, x, np.expm1(x)),
             "softmin": np.exp(-x) / np.exp(-x).sum()}
    for name, want in cases.items():
        kw = dict(dim=0) if name == "softmin" else {}
        np.testing.assert_allclose(getattr(F, name)(md.tensor(x), **kw).numpy(), want, rtol=1e-12,
                                   atol=1e-14, err_msg=name)


@pytest.mark.parametrize("name, kwargs", _ACTIVATIONS)
def test_activations_at_kinks_match_pytorch(name, kwargs):
    """Values and gradients at and beyond every kink (PyTorch's conventions there)."""
    torch = pytest.importorskip("torch")
    x = np.concatenate([_KINKS, np.random.default_rng(17).standard_normal(11) * 4])[None]
    tf = getattr(torch.nn.functional, name)
    y, (dx,), u = vjp(lambda t: getattr(F, name)(t, **kwargs), x)
    y_t, (dx_t,) = torch_vjp(torch, lambda t: tf(t, **kwargs), x, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
    rtol = 1e-7 if name == "hardsigmoid" else RTOL          # PyTorch's float32 1/6
    np.testing.assert_allclose(np.asarray(dx), dx_t, rtol=rtol, atol=ATOL)


@given(case=st.sampled_from(_ACTIVATIONS), seed=st.integers(0, 2 ** 16))
def test_activation_gradients(case, seed):
    name, kwargs = case
    x = np.random.default_rng(seed).uniform(-5, 5, (3, 6))
    for k in (-6, -3, -1, -0.5, 0, 0.5, 1, 3, 6, 2):         # keep central differences off kinks
        x = np.where(np.abs(x - k) < 0.01, x + 0.03, x)
    _gradcheck(name, [x], **kwargs)


@given(channels=st.sampled_from([1, 3]), shape_tail=st.sampled_from([(), (4,), (2, 3)]),
       seed=st.integers(0, 2 ** 16))
def test_prelu_gradients_and_pytorch(channels, shape_tail, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3) + shape_tail)
    x[0, 0].flat[0] = 0.0                                   # the kink: slope a, as PyTorch
    w = rng.uniform(0.1, 0.5, channels)
    _against_torch("prelu", [x, w], seed=seed)
    x[0, 0].flat[0] = 0.2
    _gradcheck("prelu", [x, w])


def test_gumbel_softmax():
    md.manual_seed(18)
    logits = md.tensor(np.log(np.array([[0.1, 0.2, 0.7]])).repeat(4000, 0), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.numpy().sum(-1), 1.0)
    md.manual_seed(18)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    h = hard.numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(-1) == 1)
    np.testing.assert_array_equal(h.argmax(-1), soft.numpy().argmax(-1))   # same draws
    np.testing.assert_allclose(h.mean(0), [0.1, 0.2, 0.7], atol=0.03)       # Gumbel-max sampling
    u = np.random.default_rng(0).standard_normal(h.shape)
    hard.backward(u)
    g_hard = logits.grad.numpy().copy()
    logits.grad = None
    soft.backward(u)
    np.testing.assert_allclose(g_hard, logits.grad.numpy())                # straight-through
    with pytest.raises(ValueError, match="gumbel_softmax: tau must be > 0"):
        F.gumbel_softmax(logits, tau=0.0)


def test_activation_errors():
    with pytest.raises(ValueError, match="glu: halving dimension must be even, but dimension 1 "
                                         "is size 5"):
        F.glu(md.ones(2, 5))
    with pytest.raises(ValueError, match=r"hardtanh: min_val \(2\) must be <= max_val \(1\)"):
        F.hardtanh(md.ones(2), 2, 1)
    with pytest.raises(ValueError, match="prelu: weight must have one element or C"):
        F.prelu(md.ones(2, 3), md.ones(2))
    with pytest.raises(TypeError, match="relu6: input must be a Tensor"):
        F.relu6(np.ones(3))


# ---------------------------------------------------------------------- unfold, fold
def test_unfold_literal_and_fold_is_its_adjoint():
    rng = np.random.default_rng(22)
    x = rng.standard_normal((2, 3, 5, 4))
    k, s = (2, 3), (2, 1)
    cols = F.unfold(md.tensor(x), k, stride=s).numpy()
    L_h, L_w = (5 - 2) // 2 + 1, (4 - 3) // 1 + 1
    for c in range(3):
        for p in range(2):
            for q in range(3):
                for i in range(L_h):
                    for j in range(L_w):
                        assert cols[:, (c * 2 + p) * 3 + q, i * L_w + j].tolist() == \
                            x[:, c, i * 2 + p, j + q].tolist()
    z = rng.standard_normal(cols.shape)                      # ⟨unfold x, z⟩ = ⟨x, fold z⟩
    lhs = (cols * z).sum()
    rhs = (x * F.fold(md.tensor(z), (5, 4), k, stride=s).numpy()).sum()
    assert lhs == pytest.approx(rhs, rel=1e-12)


@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_unfold_fold_gradients_and_pytorch(data, seed):
    rng = np.random.default_rng(seed)
    k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    kw = dict(kernel_size=k, dilation=(data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))),
              padding=(data.draw(st.integers(0, 1)), data.draw(st.integers(0, 1))),
              stride=(data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))))
    H, W = data.draw(st.integers(3, 5)), data.draw(st.integers(3, 5))
    batched = data.draw(st.booleans())
    x = _rand(rng, *((2,) if batched else ()), 2, H, W)
    assume(all((n + 2 * p - d * (kk - 1) - 1) >= 0 for n, p, d, kk in
               zip((H, W), kw["padding"], kw["dilation"], k)))
    cols = _against_torch("unfold", [x], seed=seed, **kw)
    _gradcheck("unfold", [x], **kw)
    z = _rand(rng, *cols.shape)
    _against_torch("fold", [z], seed=seed, output_size=(H, W), **kw)
    _gradcheck("fold", [z], output_size=(H, W), **kw)


def test_fold_errors():
    with pytest.raises(ValueError, match="fold: expected size of input's dimension 1 to be "
                                         "divisible by the product of kernel_size"):
        F.fold(md.ones(1, 5, 4), (3, 3), 2)
    with pytest.raises(ValueError, match="fold: given output_size=.* the calculated number of "
                                         "sliding blocks 2 \\* 2 = 4, but got 5"):
        F.fold(md.ones(1, 4, 5), (3, 3), 2)
    with pytest.raises(ValueError, match=r"unfold: input must be \(N, C, H, W\)"):
        F.unfold(md.ones(3, 3), 2)
    with pytest.raises(ValueError, match="unfold: no sliding block fits"):
        F.unfold(md.ones(1, 1, 2, 2), 3)


# ---------------------------------------------------------------------- LRN, more losses
@given(shape=st.sampled_from([(2, 6, 3, 2), (2, 5, 4), (1, 4, 2, 2, 2)]),
       size=st.integers(1, 6), seed=st.integers(0, 2 ** 16))
def test_local_response_norm_gradients_and_pytorch(shape, size, seed):
    x = _rand(np.random.default_rng(seed), *shape)
    kw = dict(size=size, alpha=0.3, beta=0.6, k=2.0)
    _gradcheck("local_response_norm", [x], **kw)
    _against_torch("local_response_norm", [x], seed=seed, **kw)


@given(reduction=st.sampled_from(["mean", "sum", "none"]), seed=st.integers(0, 2 ** 16))
def test_margin_losses_gradients_and_pytorch(reduction, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (4, 3))
    x = np.where(np.abs(x - 1.0) < 0.05, x + 0.1, x)         # off the hinge's kink
    y = np.sign(rng.standard_normal((4, 3)))
    labels = (rng.uniform(size=(4, 3)) > 0.5) * 1.0
    w = rng.uniform(0.5, 2, 3)
    for name, target, kw in (("soft_margin_loss", y, {}), ("hinge_embedding_loss", y, {}),
                             ("multilabel_soft_margin_loss", labels, {}),
                             ("multilabel_soft_margin_loss", labels, {"weight": w})):
        extra = {k: md.tensor(v) for k, v in kw.items()}
        extra_t = {k: torch.tensor(v) for k, v in kw.items()}

        def f(a, name=name, target=target, extra=extra):
            return getattr(F, name)(a, md.tensor(target), reduction=reduction, **extra)
        assert check_gradients(f, x)
        y_m, (g,), u = vjp(f, x, seed=seed)
        y_t, (g_t,) = torch_vjp(torch, lambda a, name=name, target=target, extra_t=extra_t: getattr(
            torch.nn.functional, name)(a, torch.tensor(target), reduction=reduction, **extra_t),
            x, upstream=u)
        np.testing.assert_allclose(y_m, y_t, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(np.asarray(g), g_t, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------- affine_grid, grid_sample
@given(align=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_affine_grid_gradients_and_pytorch(align, seed):
    theta = _rand(np.random.default_rng(seed), 2, 2, 3)
    _gradcheck("affine_grid", [theta], size=(2, 3, 4, 5), align_corners=align)
    _against_torch("affine_grid", [theta], seed=seed, size=(2, 3, 4, 5), align_corners=align)


@given(mode=st.sampled_from(["bilinear", "nearest"]), padding_mode=st.sampled_from(["zeros", "border"]),
       align=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_grid_sample_gradients_and_pytorch(mode, padding_mode, align, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x, grid = _rand(rng, 2, 2, 3, 4), rng.uniform(-1.2, 1.2, (2, 3, 2, 2))
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align)
    y, (dx, dg), u = vjp(lambda a, g: F.grid_sample(a, g, **kw), x, grid, seed=seed)
    y_t, (dx_t, dg_t) = torch_vjp(torch, lambda a, g: torch.nn.functional.grid_sample(a, g, **kw),
                                  x, grid, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(np.asarray(dx), dx_t, rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(0 if dg is None else np.asarray(dg), dg_t, rtol=1e-8, atol=1e-10)
    if mode == "bilinear":                                   # grid points off the pixel lattice
        assert check_gradients(lambda a, g: F.grid_sample(a, g, **kw), x, grid)


def test_spatial_transformer_identity_and_errors():
    x = md.tensor(np.random.default_rng(25).standard_normal((2, 3, 4, 5)))
    identity = md.tensor(np.tile(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (2, 1, 1)))
    grid = F.affine_grid(identity, (2, 3, 4, 5), align_corners=False)
    np.testing.assert_allclose(F.grid_sample(x, grid, align_corners=False).numpy(), x.numpy(),
                               atol=1e-12)
    with pytest.raises(NotImplementedError, match="grid_sample: mode='bilinear' with "
                                                  "padding_mode='reflection' is not implemented"):
        F.grid_sample(x, grid, padding_mode="reflection")
    with pytest.raises(ValueError, match=r"grid_sample: grid must be \(N, H_out, W_out, 2\)"):
        F.grid_sample(x, grid[:1])
    with pytest.raises(ValueError, match=r"affine_grid: theta must be \(N, 2, 3\)"):
        F.affine_grid(identity[:, :1], (2, 3, 4, 5))
