"""nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d: names, shapes, initialisation, repr, PyTorch."""
import math

import numpy as np
import pytest

import minidl as md
import minidl.functional as F
import minidl.nn as nn
from tests.helpers import torch_vjp, vjp

RTOL, ATOL = 1e-9, 1e-10


# ---------------------------------------------------------------------- Conv2d
def test_conv2d_parameters_names_shapes_dtype():
    conv = nn.Conv2d(6, 4, (3, 2), groups=2)
    sd = conv.state_dict()
    assert list(sd) == ["weight", "bias"]
    assert sd["weight"].shape == (4, 3, 3, 2) and sd["bias"].shape == (4,)
    assert sd["weight"].dtype == np.float32
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    no_bias = nn.Conv2d(2, 3, 1, bias=False, dtype=np.float64)
    assert list(no_bias.state_dict()) == ["weight"] and no_bias.bias is None
    assert no_bias.weight.dtype == np.float64


@pytest.mark.parametrize("C_in, C_out, k, groups", [(1, 32, 3, 1), (8, 4, (2, 5), 2), (3, 6, 1, 3)])
def test_conv2d_default_initialisation_bounds(C_in, C_out, k, groups):
    kH, kW = (k, k) if isinstance(k, int) else k
    md.manual_seed(1)
    conv = nn.Conv2d(C_in, C_out, k, groups=groups)
    bound = 1 / math.sqrt(C_in // groups * kH * kW)             # kaiming_uniform(a=√5) = U(±1/√fan_in)
    for p in (conv.weight.numpy(), conv.bias.numpy()):
        assert np.all(np.abs(p) <= bound)
    w = conv.weight.numpy()
    assert np.abs(w).max() > 0.7 * bound                        # fills the range, not a narrower one
    assert abs(w.mean()) < 0.25 * bound and w.std() > 0.4 * bound   # U(±a): std a/√3 ≈ 0.58 a
    md.manual_seed(1)
    again = nn.Conv2d(C_in, C_out, k, groups=groups)
    np.testing.assert_array_equal(again.weight.numpy(), w)          # seeded: repeats exactly


def test_conv2d_loads_pytorch_weights_and_agrees():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2),
                             groups=2).double()
    ours = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2,
                     dtype=np.float64)
    ours.load_state_dict(theirs.state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 8))
    y, (dx,), u = vjp(ours, x)
    y_t, (dx_t,) = torch_vjp(torch, theirs, x, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_t, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("args, kwargs", [
    ((1, 32, 3), {}),
    ((4, 8, (2, 3)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
    ((4, 8, 3), dict(padding="same")),
    ((4, 8, 3), dict(padding=(0, 1), stride=(1, 2))),
])
def test_conv2d_repr_is_pytorchs(args, kwargs):
    torch = pytest.importorskip("torch")
    assert repr(nn.Conv2d(*args, **kwargs)) == repr(torch.nn.Conv2d(*args, **kwargs))


def test_conv2d_forward_is_the_functional_op_and_accepts_unbatched():
    md.set_default_dtype(np.float64)
    conv = nn.Conv2d(3, 2, 2, stride=1, padding=1)
    x = md.randn(3, 5, 4)
    y = conv(x)
    assert y.shape == (2, 6, 5)
    np.testing.assert_array_equal(y.numpy(), F.conv2d(x, conv.weight, conv.bias, padding=1).numpy())


@pytest.mark.parametrize("args, kwargs, exc, word", [
    ((3, 4, 3), dict(groups=2), ValueError, "in_channels=3 must be divisible by groups=2"),
    ((4, 3, 3), dict(groups=2), ValueError, "out_channels=3 must be divisible by groups=2"),
    ((0, 4, 3), {}, ValueError, "in_channels"),
    ((4, 4, 0), {}, ValueError, "kernel_size"),
    ((4, 4, 3), dict(stride=0), ValueError, "stride"),
    ((4, 4, 3), dict(dilation=(1, 0)), ValueError, "dilation"),
    ((4, 4, 3), dict(padding=-1), ValueError, "padding"),
    ((4, 4, 3), dict(padding="same", stride=2), ValueError, "padding='same'"),
    ((4, 4, 3), dict(padding="full"), ValueError, "padding"),
    ((4, 4, 3), dict(padding_mode="mirror"), ValueError, "padding_mode"),
    ((4, 4, 3), dict(device="cuda"), ValueError, "device"),
    ((4.0, 4, 3), {}, TypeError, "in_channels"),
    ((4, 4, 2.5), {}, TypeError, "kernel_size"),
])
def test_conv2d_constructor_validates(args, kwargs, exc, word):
    with pytest.raises(exc) as info:
        nn.Conv2d(*args, **kwargs)
    assert str(info.value).startswith("Conv2d:") and word in str(info.value)


def test_conv2d_forward_error_names_the_op():
    with pytest.raises(ValueError, match="conv2d: input has 3 channels but weight expects 1"):
        nn.Conv2d(1, 32, 3)(md.zeros(8, 3, 28, 28))


# ---------------------------------------------------------------------- pooling modules
def test_pooling_modules_have_no_state_and_pytorchs_repr():
    torch = pytest.importorskip("torch")
    for ours, theirs in [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
                         (nn.MaxPool2d((2, 3), 1, 1, 2, True, True),
                          torch.nn.MaxPool2d((2, 3), 1, 1, 2, True, True)),
                         (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
                         (nn.AvgPool2d(3, 2, 1, True, False, 4), torch.nn.AvgPool2d(3, 2, 1, True, False, 4))]:
        assert repr(ours) == repr(theirs)
        assert len(ours.state_dict()) == 0 and list(ours.parameters()) == []


def test_pooling_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 8))
    for ours, theirs in [(nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
                         (nn.AvgPool2d((2, 3), (2, 1), (1, 1), True, False),
                          torch.nn.AvgPool2d((2, 3), (2, 1), (1, 1), True, False))]:
        y, (dx,), u = vjp(ours, x)
        y_t, (dx_t,) = torch_vjp(torch, theirs, x, upstream=u)
        np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(dx, dx_t, rtol=RTOL, atol=ATOL)


def test_max_pool_module_return_indices():
    y, idx = nn.MaxPool2d(2, return_indices=True)(md.tensor(np.arange(16.0).reshape(1, 4, 4)))
    np.testing.assert_array_equal(y.numpy(), [[[5.0, 7.0], [13.0, 15.0]]])
    np.testing.assert_array_equal(idx.numpy(), [[[5, 7], [13, 15]]])


@pytest.mark.parametrize("make, word", [
    (lambda: nn.MaxPool2d(0), "kernel_size"),
    (lambda: nn.MaxPool2d(2, stride=0), "stride"),
    (lambda: nn.MaxPool2d(2, dilation=0), "dilation"),
    (lambda: nn.MaxPool2d(3, padding=2), "half"),
    (lambda: nn.AvgPool2d(2, padding=-1), "padding"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), "divisor_override"),
])
def test_pooling_constructors_validate(make, word):
    with pytest.raises(ValueError) as info:
        make()
    assert word in str(info.value) and str(info.value).split(":")[0] in ("MaxPool2d", "AvgPool2d")


def test_a_small_cnn_runs_forward_and_backward():
    """Conv → ReLU → MaxPool → Conv → AvgPool → Flatten → Linear, as the article's CNN."""
    md.set_default_dtype(np.float64)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3, padding=1), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Linear(8 * 3 * 3, 10))
    x = md.randn(2, 1, 14, 14)
    out = model(x)
    assert out.shape == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
    assert md.gradcheck(lambda t: model(t), (md.tensor(x.numpy(), requires_grad=True),), fast_mode=True)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("kw", [dict(padding=1), dict(padding=(2, 1), dilation=(1, 2)),
                                dict(padding="same"), dict(padding=1, stride=2, groups=2)])
def test_conv2d_padding_modes_match_pytorch(mode, kw):
    """padding_mode pads by its rule (F.pad), then convolves without padding."""
    rng = np.random.default_rng(0)
    m = nn.Conv2d(4, 6, 3, padding_mode=mode, dtype=md.float64, **kw)
    x = rng.standard_normal((2, 4, 7, 8))
    p = (1, 1) if kw["padding"] == "same" else (kw["padding"],) * 2 if isinstance(
        kw["padding"], int) else kw["padding"]
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    padded = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), mode=np_mode)
    expected = F.conv2d(md.tensor(padded), m.weight, m.bias, m.stride, 0, m.dilation, m.groups)
    np.testing.assert_allclose(m(md.tensor(x)).detach().numpy(), expected.detach().numpy(),
                               rtol=1e-12)
    assert f"padding_mode={mode}" in repr(m)
    torch = pytest.importorskip("torch")
    t = torch.nn.Conv2d(4, 6, 3, padding_mode=mode, dtype=torch.float64, **kw)
    m.load_state_dict(t.state_dict())
    tx, mx = torch.tensor(x, requires_grad=True), md.tensor(x, requires_grad=True)
    ty, my = t(tx), m(mx)
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g))
    my.backward(md.tensor(g))
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-10)
    assert repr(m) == repr(t)
