"""nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d: parameters and buffers, state dict, PyTorch
forward and every gradient (batch norm: several training steps, running statistics, eval),
bad input."""
import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
from tests.helpers import leaf


def test_parameters_and_initialisation():
    ln = nn.LayerNorm((3, 4))
    assert [(k, v.shape) for k, v in ln.state_dict().items()] == [("weight", (3, 4)),
                                                                  ("bias", (3, 4))]
    np.testing.assert_array_equal(ln.weight.numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(ln.bias.numpy(), np.zeros((3, 4)))
    assert ln.weight.dtype == np.float32 and ln.normalized_shape == (3, 4)
    assert nn.LayerNorm(5).normalized_shape == (5,)


def test_without_affine_or_bias():
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []
    ln = nn.LayerNorm(4, bias=False)
    assert list(ln.state_dict()) == ["weight"] and ln.bias is None
    x = md.tensor(np.array([[1.0, 2.0, 3.0, 6.0]]))
    np.testing.assert_allclose(ln(x).numpy(), nn.LayerNorm(4, elementwise_affine=False)(x).numpy())


def test_forward_uses_eps():
    x = md.tensor(np.array([[0.0, 2.0]]))                 # σ² = 1
    np.testing.assert_allclose(nn.LayerNorm(2, eps=3.0)(x).numpy(), [[-0.5, 0.5]], rtol=1e-7)


def test_repr():
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"


@pytest.mark.parametrize("normalized_shape, shape", [(6, (4, 6)), ((2, 5), (3, 2, 5)),
                                                     ((3,), (2, 2, 3))])
@pytest.mark.parametrize("bias", [True, False])
def test_against_torch(normalized_shape, shape, bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    t_ln = torch.nn.LayerNorm(normalized_shape, eps=1e-4, bias=bias, dtype=torch.float64)
    with torch.no_grad():                                 # non-trivial γ, β
        for p in t_ln.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    ln = nn.LayerNorm(normalized_shape, eps=1e-4, bias=bias, dtype=np.float64)
    ln.load_state_dict(t_ln.state_dict())
    assert list(ln.state_dict()) == list(t_ln.state_dict())

    x = rng.standard_normal(shape) * 3 + 1
    up = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    t_y = t_ln(tx)
    t_y.backward(torch.tensor(up))
    mx = md.tensor(x, requires_grad=True)
    y = ln(mx)
    y.backward(up)
    np.testing.assert_allclose(y.numpy(), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(mx.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    t_params = dict(t_ln.named_parameters())
    for name, p in ln.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), rtol=1e-9, atol=1e-10)


def test_bad_input():
    with pytest.raises(ValueError, match=r"layer_norm: .*normalized_shape \(8,\).*\(2, 3, 4\)"):
        nn.LayerNorm(8)(md.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"LayerNorm: normalized_shape"):
        nn.LayerNorm((4, -1))
    with pytest.raises(ValueError, match=r"LayerNorm: eps"):
        nn.LayerNorm(4, eps=-0.1)


# ====================================================================== BatchNorm1d / 2d
def _bn_pair(torch, cls_name, **kw):
    theirs = getattr(torch.nn, cls_name)(**kw).double()
    ours = getattr(nn, cls_name)(**kw).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if kw.get("affine", True):                                   # non-trivial γ, β
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("cls_name, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                             ("BatchNorm2d", (3, 3, 4, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("affine, track", [(True, True), (False, True), (True, False)])
def test_batch_norm_training_steps_then_eval_match_torch(cls_name, shape, momentum, affine, track):
    """Several training steps (outputs, every gradient, running statistics after each),
    then evaluation (running statistics used) — all as PyTorch, float64."""
    torch = pytest.importorskip("torch")
    ours, theirs = _bn_pair(torch, cls_name, num_features=3, momentum=momentum, affine=affine,
                            track_running_stats=track)
    rng = np.random.default_rng(0)
    for step in range(4):
        for mode in ("train", "eval") if step == 3 else ("train",):
            getattr(ours, mode)(), getattr(theirs, mode)()
            x = rng.standard_normal(shape) * 2 + step
            u = rng.standard_normal(shape)
            xm, xt = leaf(x), torch.tensor(x, requires_grad=True)
            ym, yt = ours(xm), theirs(xt)
            np.testing.assert_allclose(ym.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
            ym.backward(md.tensor(u))
            yt.backward(torch.tensor(u))
            np.testing.assert_allclose(np.asarray(xm.grad), xt.grad.numpy(), rtol=1e-10,
                                       atol=1e-12)
            for name, p in theirs.named_parameters():
                np.testing.assert_allclose(np.asarray(getattr(ours, name).grad), p.grad.numpy(),
                                           rtol=1e-10, atol=1e-12, err_msg=name)
                p.grad = None
                getattr(ours, name).grad = None
            for name, b in theirs.state_dict().items():
                np.testing.assert_allclose(ours.state_dict()[name], b.numpy(), rtol=1e-13,
                                           err_msg=f"{name} after step {step}")


def test_batch_norm_module_buffers_and_repr():
    bn = nn.BatchNorm2d(4)
    assert [(k, v.shape, v.dtype) for k, v in bn.state_dict().items()] == [
        ("weight", (4,), np.float32), ("bias", (4,), np.float32),
        ("running_mean", (4,), np.float32), ("running_var", (4,), np.float32),
        ("num_batches_tracked", (), np.int64)]
    assert [k for k, _ in bn.named_buffers()] == ["running_mean", "running_var",
                                                   "num_batches_tracked"]
    assert repr(bn) == "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, " \
                       "track_running_stats=True)"
    assert list(nn.BatchNorm1d(2, affine=False, track_running_stats=False).state_dict()) == []
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64


def test_batch_norm_cumulative_average_with_momentum_none():
    bn = nn.BatchNorm1d(1, momentum=None).double()
    batches = [np.array([[1.0], [3.0]]), np.array([[5.0], [9.0]]), np.array([[0.0], [1.0]])]
    for x in batches:
        bn(md.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), [np.mean([b.mean() for b in batches])])
    # the first update replaces the initial 1 entirely (factor 1/1)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               [np.mean([b.var(ddof=1) for b in batches])])
    assert bn.num_batches_tracked.item() == 3


def test_batch_norm_eval_without_tracked_stats_uses_the_batch():
    bn = nn.BatchNorm1d(2, track_running_stats=False).double().eval()
    x = np.random.default_rng(1).standard_normal((5, 2))
    np.testing.assert_allclose(bn(md.tensor(x)).numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5),
                               rtol=1e-12)


def test_batch_norm_module_bad_input():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4-D \(N, C, H, W\) input, got "
                                         r"shape \(2, 3\)"):
        nn.BatchNorm2d(3)(md.zeros(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2-D \(N, C\) or 3-D"):
        nn.BatchNorm1d(3)(md.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"batch_norm: running_mean must be \(C,\) = \(4,\)"):
        nn.BatchNorm1d(3)(md.zeros(2, 4))                       # checked once, by F.batch_norm
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="CPU only"):
        nn.BatchNorm1d(3, device="cuda")


def test_batch_norm_bias_false_as_pytorch():
    """PyTorch 2.13's keyword-only ``bias=False``: γ without β (names, repr, forward)."""
    m = nn.BatchNorm2d(3, bias=False)
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    assert "affine=True, bias=False" in repr(m)
    x = md.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4)))
    with md.no_grad():
        m.weight.fill_(2.0)
    y = m(x).numpy()
    mean, var = x.numpy().mean((0, 2, 3), keepdims=True), x.numpy().var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, 2 * (x.numpy() - mean) / np.sqrt(var + 1e-5), rtol=1e-5, atol=1e-6)
    assert "bias=False" in repr(nn.LayerNorm(4, bias=False))
