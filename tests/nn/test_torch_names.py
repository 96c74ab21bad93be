"""The nn modules real PyTorch programs use (Conv1d, ConvTranspose2d, AdaptiveAvgPool2d,
Upsample, GroupNorm, PReLU, ...): parameter names, shapes and initial distributions,
state_dict round trips with PyTorch, forward and gradients in float64, repr, errors."""
import math

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
from tests.helpers import torch_vjp, vjp

RTOL, ATOL = 1e-9, 1e-11


def _pair_with_torch(name, *args, **kwargs):
    """(ours, theirs): the same module built by both libraries, in float64, with PyTorch's
    parameters loaded into ours (after checking the names and shapes agree)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    assert [v.shape for v in ours_sd.values()] == [tuple(v.shape) for v in theirs_sd.values()]
    ours.load_state_dict(theirs_sd)
    assert repr(ours) == repr(theirs)
    return ours, theirs


def _agree(ours, theirs, *arrays, seed=0):
    """Forward and the gradients of the inputs and of every parameter agree."""
    torch = pytest.importorskip("torch")
    y, grads, u = vjp(ours, *arrays, seed=seed)
    y_t, grads_t = torch_vjp(torch, theirs, *arrays, upstream=u)
    np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
    for g, g_t in zip(grads, grads_t):
        np.testing.assert_allclose(np.asarray(g), g_t, rtol=RTOL, atol=ATOL)
    for (name, p), (_, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(np.asarray(p.grad), p_t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=name)
    return y


def _uniform_bound_ok(array, bound):
    a = np.asarray(array)
    assert np.all(np.abs(a) <= bound)
    assert np.abs(a).max() > 0.6 * bound                     # fills the range


# ---------------------------------------------------------------------- convolutions
@pytest.mark.parametrize("args, kwargs, shape", [
    ((4, 6, 3), dict(stride=2, padding=1, groups=2), (2, 4, 9)),
    ((4, 6, 3), dict(padding="same", dilation=2, padding_mode="circular"), (2, 4, 9)),
    ((4, 6, 4), dict(padding="same", padding_mode="reflect"), (2, 4, 9)),
    ((4, 6, 3), dict(padding=2, padding_mode="replicate", bias=False), (4, 9)),
    ((4, 6, 3), dict(padding="valid"), (2, 4, 9)),
])
def test_conv1d_matches_pytorch(args, kwargs, shape):
    ours, theirs = _pair_with_torch("Conv1d", *args, **kwargs)
    _agree(ours, theirs, np.random.default_rng(0).standard_normal(shape))


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 5, 5)),
    ("ConvTranspose2d", (4, 6, (3, 2)), dict(stride=(2, 1), dilation=(1, 2), bias=False),
     (4, 3, 5)),
    ("ConvTranspose2d", (100, 8, 4), dict(stride=1, padding=0, bias=False), (2, 100, 1, 1)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=3, padding=1, output_padding=2, dilation=2),
     (2, 4, 5)),
])
def test_conv_transpose_matches_pytorch(name, args, kwargs, shape):
    ours, theirs = _pair_with_torch(name, *args, **kwargs)
    _agree(ours, theirs, np.random.default_rng(1).standard_normal(shape))


def test_conv_transpose2d_output_size():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair_with_torch("ConvTranspose2d", 4, 6, 3, stride=2, padding=1)
    x = np.random.default_rng(2).standard_normal((1, 4, 5, 5))
    for size in ([9, 9], [10, 10], [1, 6, 9, 10]):
        y = ours(md.tensor(x), output_size=size)
        y_t = theirs(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), rtol=RTOL, atol=ATOL)
    with pytest.raises(ValueError, match="ConvTranspose2d: requested output size .* between 9 "
                                         "and 10"):
        ours(md.tensor(x), output_size=(11, 11))


@pytest.mark.parametrize("cls, args, weight_shape, fan_in", [
    (nn.Conv1d, (6, 8, 5), (8, 6, 5), 30),
    (nn.Conv1d, (6, 9, 5, 1, 0, 1, 3), (9, 2, 5), 10),
    (nn.ConvTranspose2d, (6, 8, (3, 2)), (6, 8, 3, 2), 48),
    (nn.ConvTranspose2d, (6, 8, 3, 1, 0, 0, 2), (6, 4, 3, 3), 36),
    (nn.ConvTranspose1d, (6, 8, 4), (6, 8, 4), 32),
])
def test_conv_parameters_and_initialisation(cls, args, weight_shape, fan_in):
    md.manual_seed(3)
    layer = cls(*args)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == weight_shape and layer.bias.shape == (args[1],)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(fan_in)                    # kaiming_uniform(a=√5) = U(±1/√fan_in)
    _uniform_bound_ok(layer.weight, bound)
    assert np.all(np.abs(layer.bias.numpy()) <= bound)
    md.manual_seed(3)
    np.testing.assert_array_equal(cls(*args).weight.numpy(), layer.weight.numpy())


def test_conv_module_errors():
    with pytest.raises(ValueError, match="Conv1d: in_channels=3 must be divisible by groups=2"):
        nn.Conv1d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv1d: padding='same' is not supported for strided"):
        nn.Conv1d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Conv1d: padding_mode must be one of"):
        nn.Conv1d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(TypeError, match="Conv1d: kernel_size must be an int or a tuple of 1"):
        nn.Conv1d(3, 4, (3, 3))
    with pytest.raises(ValueError, match="ConvTranspose2d: only 'zeros' padding_mode"):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="ConvTranspose2d: output_padding must be smaller"):
        nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="ConvTranspose1d: padding must be an int or a tuple"):
        nn.ConvTranspose1d(3, 4, 3, padding="same")
    with pytest.raises(ValueError, match="minidl runs on the CPU only"):
        nn.Conv1d(3, 4, 3, device="cuda")


# ---------------------------------------------------------------------- pooling
@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (1,), {}, (3, 7, 5)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveMaxPool1d", (4,), {}, (3, 7)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True), (2, 3, 8)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 8)),
])
def test_pooling_modules_match_pytorch(name, args, kwargs, shape):
    ours, theirs = _pair_with_torch(name, *args, **kwargs)
    rng = np.random.default_rng(5)
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1
    _agree(ours, theirs, x)


def test_adaptive_max_pool_module_return_indices():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair_with_torch("AdaptiveMaxPool2d", 3, return_indices=True)
    x = np.random.default_rng(6).standard_normal((2, 2, 7, 8))
    y, i = ours(md.tensor(x))
    y_t, i_t = theirs(torch.tensor(x))
    np.testing.assert_array_equal(i.numpy(), i_t.numpy())
    np.testing.assert_allclose(y.numpy(), y_t.numpy())


# ---------------------------------------------------------------------- upsampling, pixel shuffle
@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("Upsample", (), dict(scale_factor=2, mode="bilinear", align_corners=False), (2, 3, 4, 5)),
    ("Upsample", (), dict(size=(3, 7)), (2, 3, 4, 5)),
    ("Upsample", (), dict(scale_factor=(2, 1.5), mode="bicubic", align_corners=True), (1, 2, 3, 4)),
    ("Upsample", (), dict(size=9, mode="linear"), (2, 3, 4)),
    ("UpsamplingNearest2d", (), dict(scale_factor=3), (1, 2, 3, 4)),
    ("UpsamplingBilinear2d", (), dict(size=(5, 6)), (1, 2, 3, 4)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 4)),
    ("PixelUnshuffle", (2,), {}, (2, 2, 4, 6)),
])
def test_vision_modules_match_pytorch(name, args, kwargs, shape):
    ours, theirs = _pair_with_torch(name, *args, **kwargs)
    _agree(ours, theirs, np.random.default_rng(8).standard_normal(shape))


# ---------------------------------------------------------------------- distances
def test_distance_modules_match_pytorch():
    rng = np.random.default_rng(10)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    ours, theirs = _pair_with_torch("CosineSimilarity", dim=1, eps=1e-6)
    _agree(ours, theirs, a, b)
    ours, theirs = _pair_with_torch("PairwiseDistance", p=1.0, keepdim=True)
    _agree(ours, theirs, a, b)


# ---------------------------------------------------------------------- dropout, unflatten, padding
@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d"])
def test_channel_dropout_modules(name):
    ours, _ = _pair_with_torch(name, p=0.25)
    x = md.ones(4, 6, 2, 2, 2)[:, :, 0, 0] if name == "Dropout1d" else md.ones(
        *((4, 6, 2, 2) if name == "Dropout2d" else (4, 6, 2, 2, 2)))
    assert ours.eval()(x) is x
    md.manual_seed(0)
    y = ours.train()(x).numpy()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.75], rtol=1e-6)
    with pytest.raises(ValueError, match=f"{name}: p must be between 0 and 1"):
        getattr(nn, name)(p=-0.1)


def test_unflatten_matches_pytorch():
    ours, theirs = _pair_with_torch("Unflatten", 1, (2, -1, 3))
    _agree(ours, theirs, np.random.default_rng(12).standard_normal((4, 12, 2)))
    with pytest.raises(TypeError, match="Unflatten: unflattened_size must be a tuple of ints"):
        nn.Unflatten(1, 6)


@pytest.mark.parametrize("name, args, shape", [
    ("ZeroPad2d", (2,), (2, 3, 4, 4)), ("ZeroPad2d", ((1, 0, 2, 3),), (3, 4, 4)),
    ("ZeroPad1d", ((1, 2),), (2, 3, 4)), ("ZeroPad3d", (1,), (1, 2, 2, 3, 4)),
    ("ConstantPad1d", (2, 3.5), (2, 3, 4)), ("ConstantPad2d", ((1, 2, 3, 4), -1.0), (1, 2, 3, 3)),
    ("ConstantPad3d", (1, 0.5), (1, 2, 2, 3, 4)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 2, 0, 3),), (2, 3, 4, 5)),
    ("ReflectionPad3d", (1,), (1, 2, 2, 3, 4)),
    ("ReplicationPad1d", ((3, 1),), (2, 3, 4)), ("ReplicationPad2d", (2,), (3, 4, 4)),
    ("ReplicationPad3d", ((1, 0, 2, 1, 0, 2),), (1, 2, 2, 3, 4)),
    ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 2, 0, 1),), (2, 3, 4, 5)),
    ("CircularPad3d", (1,), (1, 2, 2, 3, 4)),
])
def test_padding_modules_match_pytorch(name, args, shape):
    ours, theirs = _pair_with_torch(name, *args)
    _agree(ours, theirs, np.random.default_rng(13).standard_normal(shape))


def test_padding_module_errors():
    with pytest.raises(TypeError, match="ZeroPad2d: padding must be an int or a tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(ValueError, match="pad: mode 'reflect' needs each amount < the axis length"):
        nn.ReflectionPad2d(3)(md.ones(1, 1, 3, 3))


# ---------------------------------------------------------------------- group norm, instance norm
@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("GroupNorm", (2, 4), {}, (3, 4, 5, 5)), ("GroupNorm", (1, 3), dict(bias=False), (3, 3, 4)),
    ("GroupNorm", (3, 3), dict(affine=False, eps=1e-3), (2, 3, 4)),
    ("InstanceNorm2d", (3,), {}, (2, 3, 4, 4)),
    ("InstanceNorm2d", (3,), dict(affine=True), (3, 4, 4)),
    ("InstanceNorm1d", (3,), dict(affine=True, track_running_stats=True, momentum=0.2), (2, 3, 6)),
    ("InstanceNorm3d", (2,), dict(affine=True, bias=False), (2, 2, 2, 3, 2)),
])
def test_norm_modules_match_pytorch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair_with_torch(name, *args, **kwargs)
    rng = np.random.default_rng(15)
    for p, p_t in zip(ours.parameters(), theirs.parameters()):    # not the initial 1s and 0s
        values = rng.standard_normal(p.shape)
        p.numpy()[...] = values
        p_t.data.copy_(torch.tensor(values))
    _agree(ours, theirs, rng.standard_normal(shape))
    for (k, v), (_, v_t) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(v, v_t.numpy(), rtol=1e-12, err_msg=k)   # running stats
    if "track_running_stats" in kwargs:
        x = rng.standard_normal(shape)
        np.testing.assert_allclose(ours.eval()(md.tensor(x)).numpy(),
                                   theirs.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_norm_module_initialisation_and_errors():
    gn = nn.GroupNorm(2, 4)
    np.testing.assert_array_equal(gn.weight.numpy(), 1.0)
    np.testing.assert_array_equal(gn.bias.numpy(), 0.0)
    assert gn.weight.dtype == np.float32
    with pytest.raises(ValueError, match="GroupNorm: num_channels=5 must be divisible by "
                                         "num_groups=2"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D or 4D input \(got 2D"):
        nn.InstanceNorm2d(3)(md.ones(3, 4))
    with pytest.raises(ValueError, match="InstanceNorm2d: expected input's size at dim=1 to "
                                         r"match num_features \(3\), but got: 2"):
        nn.InstanceNorm2d(3, affine=True)(md.ones(1, 2, 4, 4))


# ---------------------------------------------------------------------- losses
@pytest.mark.parametrize("name, kwargs, n_inputs", [
    ("SmoothL1Loss", dict(beta=0.5), 2), ("SmoothL1Loss", dict(reduction="sum"), 2),
    ("HuberLoss", dict(delta=0.7, reduction="none"), 2),
    ("MarginRankingLoss", dict(margin=0.3), 2), ("CosineEmbeddingLoss", dict(margin=0.2), 2),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True), 3),
])
def test_loss_modules_match_pytorch(name, kwargs, n_inputs):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair_with_torch(name, **kwargs)
    rng = np.random.default_rng(16)
    shape = (5,) if name == "MarginRankingLoss" else (5, 3)
    arrays = [rng.standard_normal(shape) for _ in range(n_inputs)]
    if name in ("MarginRankingLoss", "CosineEmbeddingLoss"):
        target = np.sign(rng.standard_normal(5))
        y, grads, u = vjp(lambda a, b: ours(a, b, md.tensor(target)), *arrays)
        y_t, grads_t = torch_vjp(torch, lambda a, b: theirs(a, b, torch.tensor(target)), *arrays,
                                 upstream=u)
        np.testing.assert_allclose(y, y_t, rtol=RTOL, atol=ATOL)
        for g, g_t in zip(grads, grads_t):
            np.testing.assert_allclose(np.asarray(g), g_t, rtol=RTOL, atol=ATOL)
    else:
        _agree(ours, theirs, *arrays)


# ---------------------------------------------------------------------- activations
@pytest.mark.parametrize("name, args, kwargs", [
    ("ReLU6", (), {}), ("Hardtanh", (-2.0, 2.0), {}),
    ("Threshold", (0.1, 20.0), {}),
    ("PReLU", (), {}), ("PReLU", (3, 0.1), {}), ("LogSigmoid", (), {}), ("Mish", (), {}),
    ("Softsign", (), {}), ("GLU", (), dict(dim=2)), ("Hardswish", (), {}),
    ("Hardsigmoid", (), {}), ("Tanhshrink", (), {}), ("Softmin", (), dict(dim=1)),
    ("Hardshrink", (0.3,), {}), ("Softshrink", (), {}), ("SELU", (), {}),
    ("CELU", (1.5,), {}),
])
def test_activation_modules_match_pytorch(name, args, kwargs):
    ours, theirs = _pair_with_torch(name, *args, **kwargs)
    x = np.random.default_rng(19).standard_normal((2, 3, 4)) * 3
    y = ours(md.tensor(x))
    assert y.shape == theirs(pytest.importorskip("torch").tensor(x)).shape
    if name != "Hardsigmoid":                                 # (PyTorch's float32 1/6)
        _agree(ours, theirs, x)


def test_activation_reprs_with_inplace():
    torch = pytest.importorskip("torch")
    for name, args in (("ReLU6", (True,)), ("Hardtanh", (-2, 2, True)), ("Threshold", (0.1, 2, True)),
                       ("SELU", (True,)), ("CELU", (2.0, True)), ("Mish", (True,)),
                       ("Hardswish", (True,)), ("Softmin", ())):
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_prelu_parameter():
    act = nn.PReLU(4, init=0.1)
    assert list(act.state_dict()) == ["weight"] and act.weight.shape == (4,)
    np.testing.assert_allclose(act.weight.numpy(), 0.1, rtol=1e-6)
    assert act.weight.dtype == np.float32
    with pytest.raises(ValueError, match="PReLU: num_parameters must be a positive int"):
        nn.PReLU(0)


def test_hardtanh_deprecated_spellings_warn():
    with pytest.warns(FutureWarning, match="min_value` is deprecated"):
        act = nn.Hardtanh(min_value=-0.5)
    assert act.min_val == -0.5


# ---------------------------------------------------------------------- nn.utils.rnn
def test_pad_sequence_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20)
    arrays = [rng.standard_normal((n, 2, 3)) for n in (4, 1, 3)]
    for batch_first in (False, True):
        for side in ("right", "left"):
            kw = dict(batch_first=batch_first, padding_value=-2.5, padding_side=side)
            y, grads, u = vjp(lambda *t, kw=kw: nn.utils.rnn.pad_sequence(list(t), **kw), *arrays)
            y_t, grads_t = torch_vjp(torch, lambda *t, kw=kw: torch.nn.utils.rnn.pad_sequence(
                list(t), **kw), *arrays, upstream=u)
            np.testing.assert_array_equal(y, y_t)
            for g, g_t in zip(grads, grads_t):
                np.testing.assert_array_equal(np.asarray(g), g_t)
    padded = nn.utils.rnn.pad_sequence([md.tensor(a) for a in arrays])
    back = nn.utils.rnn.unpad_sequence(padded, [4, 1, 3])
    for a, b in zip(arrays, back):
        np.testing.assert_array_equal(b.numpy(), a)


def test_pad_sequence_gradcheck_and_errors():
    from tests.helpers import check_gradients
    rng = np.random.default_rng(21)
    assert check_gradients(lambda a, b: nn.utils.rnn.pad_sequence([a, b], padding_value=1.0),
                           rng.standard_normal((3, 2)), rng.standard_normal((1, 2)))
    with pytest.raises(ValueError, match="pad_sequence: every sequence must be"):
        nn.utils.rnn.pad_sequence([md.ones(3, 2), md.ones(2, 3)])
    with pytest.raises(ValueError, match="pad_sequence: received an empty list"):
        nn.utils.rnn.pad_sequence([])
    with pytest.raises(ValueError, match="pad_sequence: padding_side must be"):
        nn.utils.rnn.pad_sequence([md.ones(3)], padding_side="top")
    from minidl.nn.utils import clip_grad_norm_, parameters_to_vector  # noqa: F401 (still there)


# ---------------------------------------------------------------------- Unfold, Fold
def test_unfold_fold_modules_match_pytorch():
    ours, theirs = _pair_with_torch("Unfold", kernel_size=(2, 3), padding=1, stride=(1, 2))
    x = np.random.default_rng(23).standard_normal((2, 3, 5, 6))
    cols = _agree(ours, theirs, x)
    ours, theirs = _pair_with_torch("Fold", output_size=(5, 6), kernel_size=(2, 3), padding=1,
                                    stride=(1, 2))
    _agree(ours, theirs, cols)


def test_lrn_softmax2d_and_margin_loss_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(24)
    ours, theirs = _pair_with_torch("LocalResponseNorm", 3, alpha=0.1, beta=0.5, k=1.5)
    _agree(ours, theirs, rng.standard_normal((2, 5, 3, 3)))
    ours, theirs = _pair_with_torch("Softmax2d")
    _agree(ours, theirs, rng.standard_normal((2, 5, 3, 3)))
    x, y = rng.standard_normal((4, 3)), np.sign(rng.standard_normal((4, 3)))
    for name, target, kw in (("SoftMarginLoss", y, {}), ("HingeEmbeddingLoss", y, {"margin": 0.5}),
                             ("MultiLabelSoftMarginLoss", (y > 0) * 1.0, {})):
        ours, theirs = _pair_with_torch(name, **kw)
        got = ours(md.tensor(x), md.tensor(target)).item()
        want = theirs(torch.tensor(x), torch.tensor(target)).item()
        assert got == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="Softmax2d: expected a 3-D"):
        nn.Softmax2d()(md.ones(2, 3))
