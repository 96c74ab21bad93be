"""Losses (F11): cross_entropy (class indices or probabilities, weights, ignore_index,
label_smoothing, reductions, (N, C, d...) inputs), nll_loss, mse_loss."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
import minidl.functional as F
from tests.helpers import leaf


def log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


# ---------------------------------------------------------------------- formulas
def test_cross_entropy_formula():
    x = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    t = np.array([1, 2])
    lp = log_softmax(x, 1)
    per = -lp[[0, 1], [1, 2]]
    np.testing.assert_allclose(F.cross_entropy(md.tensor(x), md.tensor(t)).item(), per.mean())
    np.testing.assert_allclose(F.cross_entropy(md.tensor(x), t, reduction="sum").item(), per.sum())
    np.testing.assert_allclose(F.cross_entropy(md.tensor(x), t, reduction="none").data, per)
    assert F.cross_entropy(md.tensor([[0.0, 0.0]]), md.tensor([1])).item() == pytest.approx(np.log(2))


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x = leaf([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    F.cross_entropy(x, [1, 2]).backward()
    p = np.exp(log_softmax(x.data, 1))
    np.testing.assert_allclose(x.grad, (p - np.eye(3)[[1, 2]]) / 2, rtol=1e-13)


@pytest.mark.parametrize("big", [1e4, 1e6, 1e200])
def test_cross_entropy_is_finite_for_huge_logits(big):
    x = leaf([[big, -big, 0.0], [big, big, -big], [-big, 0.0, big]])
    t = md.tensor([1, 0, 2])
    loss = F.cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(loss.data, [2 * big, np.log(2), 0.0], rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [[1, -1, 0], [-0.5, 0.5, 0], [0, 0, 0]], atol=1e-12)
    f32 = F.cross_entropy(md.tensor([[1e4, -1e4]]), md.tensor([1]))
    assert f32.dtype == np.float32 and f32.item() == 2e4


def test_mse_loss_formula_and_gradient():
    x, y = leaf([[1.0, 2.0], [3.0, 5.0]]), np.array([[0.0, 2.0], [1.0, 1.0]])
    loss = F.mse_loss(x, md.tensor(y))
    assert loss.item() == pytest.approx((1 + 0 + 4 + 16) / 4)
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * (x.data - y) / 4)
    assert F.mse_loss(x, y, reduction="sum").item() == pytest.approx(21)
    np.testing.assert_allclose(F.mse_loss(x, y, reduction="none").data, (x.data - y) ** 2)


def test_all_targets_ignored_gives_nan_and_zero_gradient_as_torch():
    x = leaf(np.ones((2, 3)))
    loss = F.cross_entropy(x, [-100, -100])
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


# ---------------------------------------------------------------------- gradients
@st.composite
def ce_case(draw):
    N, C = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    extra = draw(st.sampled_from([(), (2,), (1, 2)]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.standard_normal((N, C) + extra) * 2
    if draw(st.booleans()):
        p = rng.uniform(0.1, 1, (N, C) + extra)
        target = p / p.sum(1, keepdims=True)
    else:
        target = rng.integers(0, C, (N,) + extra)
        if draw(st.booleans()):
            target.flat[0] = -100             # ignored, but at least one...
            target.flat[-1] = 0 if target.size > 1 else -100
    weight = rng.uniform(0.5, 2, C) if draw(st.booleans()) else None
    return (x, target, weight, draw(st.sampled_from(["mean", "sum", "none"])),
            draw(st.sampled_from([0.0, 0.2])))


@given(ce_case())
def test_cross_entropy_gradient(case):
    x, target, weight, reduction, smoothing = case
    if reduction == "mean" and target.dtype.kind == "i" and np.all(target == -100):
        return  # NaN by definition
    w = None if weight is None else md.tensor(weight)
    assert md.gradcheck(lambda t: F.cross_entropy(t, target, weight=w, reduction=reduction,
                                                  label_smoothing=smoothing),
                        (leaf(x),), atol=1e-6, rtol=1e-5)


@given(st.integers(0, 2 ** 32 - 1), st.sampled_from(["mean", "sum", "none"]))
def test_mse_gradient(seed, reduction):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 4, rng.integers(0, 3)))
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    assert md.gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), (leaf(x), leaf(y)),
                        atol=1e-6, rtol=1e-5)


# ---------------------------------------------------------------------- PyTorch
def _torch_ce(torch, x, target, **kw):
    xt = torch.tensor(x, requires_grad=True)
    tt = torch.tensor(target)
    if "weight" in kw and kw["weight"] is not None:
        kw["weight"] = torch.tensor(kw["weight"])
    loss = torch.nn.functional.cross_entropy(xt, tt, **kw)
    return loss, xt


CE_CASES = [
    dict(shape=(5, 4)),
    dict(shape=(5, 4), weight=True),
    dict(shape=(5, 4), ignore=True),
    dict(shape=(5, 4), weight=True, ignore=True, label_smoothing=0.1),
    dict(shape=(5, 4), label_smoothing=0.3),
    dict(shape=(3, 4, 2, 3), weight=True, ignore=True, label_smoothing=0.2),
    dict(shape=(4,)),
    dict(shape=(5, 4), probs=True),
    dict(shape=(5, 4), probs=True, weight=True, label_smoothing=0.25),
    dict(shape=(3, 4, 5), probs=True, weight=True),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", CE_CASES, ids=lambda c: "-".join(f"{k}" for k in c if k != "shape")
                         + str(c["shape"]))
def test_cross_entropy_against_torch(case, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shape = case["shape"]
    C = shape[1] if len(shape) > 1 else shape[0]
    x = rng.standard_normal(shape) * 3
    if case.get("probs"):
        p = rng.uniform(0, 1, shape)
        target = p / p.sum(1 if len(shape) > 1 else 0, keepdims=True)
    else:
        target = rng.integers(0, C, shape[:1] + shape[2:] if len(shape) > 1 else ())
        if case.get("ignore"):
            target.flat[::3] = 2 if case.get("ignore_index") else -100
    kw = dict(weight=rng.uniform(0.5, 2, C) if case.get("weight") else None,
              reduction=reduction, label_smoothing=case.get("label_smoothing", 0.0))
    t_loss, xt = _torch_ce(torch, x, target, **dict(kw))
    u = rng.standard_normal(t_loss.shape)
    t_loss.backward(torch.tensor(u))
    xm = leaf(x)
    loss = F.cross_entropy(xm, target, weight=None if kw["weight"] is None else
                           md.tensor(kw["weight"]), reduction=reduction,
                           label_smoothing=kw["label_smoothing"])
    loss.backward(u)
    np.testing.assert_allclose(loss.data, t_loss.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_ignore_index_against_torch(ignore_index):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((6, 3))
    target = np.array([0, 2, 1, 2, -100 if ignore_index == -100 else 0, 1])
    t_loss, xt = _torch_ce(torch, x, target, ignore_index=ignore_index)
    t_loss.backward()
    xm = leaf(x)
    loss = F.cross_entropy(xm, target, ignore_index=ignore_index)
    loss.backward()
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_against_torch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    t_loss = torch.nn.functional.mse_loss(xt, yt, reduction=reduction)
    u = rng.standard_normal(t_loss.shape)
    t_loss.backward(torch.tensor(u))
    xm, ym = leaf(x), leaf(y)
    loss = F.mse_loss(xm, ym, reduction=reduction)
    loss.backward(u)
    np.testing.assert_allclose(loss.data, t_loss.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ym.grad, yt.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------- errors
def test_cross_entropy_bad_targets():
    x = md.ones(2, 3)
    with pytest.raises(ValueError, match=r"cross_entropy: target values must be in \[0, 3\).*\[3\]"):
        F.cross_entropy(x, md.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"cross_entropy: target values must be in \[0, 3\).*-1"):
        F.cross_entropy(x, [-1, 0])
    with pytest.raises(ValueError) as e:
        F.cross_entropy(x, md.tensor([0, 1, 2]))
    assert "cross_entropy" in str(e.value) and "(2, 3)" in str(e.value) and "(3,)" in str(e.value)
    with pytest.raises(ValueError, match=r"cross_entropy: probability targets must have the "
                                         r"input's shape \(2, 3\), got \(2, 2\)"):
        F.cross_entropy(x, np.full((2, 2), 0.5))
    with pytest.raises(TypeError, match="cross_entropy: target must hold integer class"):
        F.cross_entropy(x, np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"cross_entropy: weight must be \(3,\)"):
        F.cross_entropy(x, [0, 1], weight=md.ones(2))
    with pytest.raises(ValueError, match="cross_entropy: reduction must be"):
        F.cross_entropy(x, [0, 1], reduction="avg")
    with pytest.raises(ValueError, match="cross_entropy: label_smoothing must be in"):
        F.cross_entropy(x, [0, 1], label_smoothing=1.5)
    with pytest.raises(TypeError, match="cross_entropy: input must be a Tensor"):
        F.cross_entropy(np.ones((2, 3)), [0, 1])


def test_mse_loss_bad_input():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(2, 3\) and target shape "
                                         r"\(3, 2\) cannot be broadcast together"):
        F.mse_loss(md.ones(2, 3), md.ones(3, 2))
    with pytest.warns(UserWarning, match=r"mse_loss: target shape \(3,\) differs"):
        loss = F.mse_loss(md.zeros(2, 1), md.tensor([1.0, 2.0, 3.0]))  # PyTorch broadcasts
    assert loss.item() == pytest.approx((1 + 4 + 9) / 3)
    with pytest.raises(TypeError, match="mse_loss: input must be a Tensor"):
        F.mse_loss(np.ones(3), md.ones(3))
