"""Losses (F11): cross_entropy (class indices or probabilities, weights, ignore_index,
label_smoothing, reductions, (N, C, d...) inputs), nll_loss, mse_loss, l1_loss, kl_div,
binary_cross_entropy, binary_cross_entropy_with_logits."""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minidl as md
import minidl.functional as F
from tests.helpers import check_gradients, leaf, torch_vjp, vjp


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
    np.testing.assert_allclose(F.cross_entropy(md.tensor(x), t, reduction="none").numpy(), per)
    assert F.cross_entropy(md.tensor([[0.0, 0.0]]), md.tensor([1])).item() == pytest.approx(np.log(2))


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x = leaf([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    F.cross_entropy(x, [1, 2]).backward()
    p = np.exp(log_softmax(x.numpy(), 1))
    np.testing.assert_allclose(x.grad, (p - np.eye(3)[[1, 2]]) / 2, rtol=1e-13)


@pytest.mark.parametrize("big", [1e4, 1e6, 1e200])
def test_cross_entropy_is_finite_for_huge_logits(big):
    x = leaf([[big, -big, 0.0], [big, big, -big], [-big, 0.0, big]])
    t = md.tensor([1, 0, 2])
    loss = F.cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [2 * big, np.log(2), 0.0], rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [[1, -1, 0], [-0.5, 0.5, 0], [0, 0, 0]], atol=1e-12)
    f32 = F.cross_entropy(md.tensor([[1e4, -1e4]]), md.tensor([1]))
    assert f32.dtype == np.float32 and f32.item() == 2e4


def test_mse_loss_formula_and_gradient():
    x, y = leaf([[1.0, 2.0], [3.0, 5.0]]), np.array([[0.0, 2.0], [1.0, 1.0]])
    loss = F.mse_loss(x, md.tensor(y))
    assert loss.item() == pytest.approx((1 + 0 + 4 + 16) / 4)
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * (x.numpy() - y) / 4)
    assert F.mse_loss(x, y, reduction="sum").item() == pytest.approx(21)
    np.testing.assert_allclose(F.mse_loss(x, y, reduction="none").numpy(), (x.numpy() - y) ** 2)


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
    np.testing.assert_allclose(loss.numpy(), t_loss.detach().numpy(), rtol=1e-12, atol=1e-13)
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
    np.testing.assert_allclose(loss.numpy(), t_loss.detach().numpy(), rtol=1e-12)
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


# ====================================================================== PyTorch's full surface
# K-dimensional inputs, probability targets, label smoothing with weight and ignore_index,
# and the other losses: each against a literal loop in the test, central differences
# (hypothesis, random upstream) and PyTorch in float64.
def _loop_cross_entropy(x, t, w=None, ignore_index=-100, reduction="mean", eps=0.0):
    """Index targets, written out per position: (N, C, d...) → per-position losses."""
    N, C = x.shape[:2]
    rest = x.shape[2:]
    w = np.ones(C) if w is None else w
    losses, total_w = np.zeros((N,) + rest), 0.0
    for n in range(N):
        for d in np.ndindex(*rest):
            row = x[(n, slice(None)) + d]
            logp = row - row.max() - np.log(np.exp(row - row.max()).sum())
            tc = t[(n,) + d]
            if tc == ignore_index:
                continue
            nll = -w[tc] * logp[tc]
            smooth = -(w * logp).sum()
            losses[(n,) + d] = (1 - eps) * nll + eps / C * smooth
            total_w += w[tc]
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / total_w


@pytest.mark.parametrize("shape", [(4, 5), (3, 4, 2), (2, 3, 2, 3)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_k_dim_matches_loop(shape, reduction, eps, weighted):
    rng = np.random.default_rng(20)
    x = rng.standard_normal(shape) * 2
    t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    t.reshape(-1)[::3] = -1                                     # some ignored
    w = rng.uniform(0.2, 2.0, shape[1]) if weighted else None
    got = F.cross_entropy(md.tensor(x), md.tensor(t), weight=None if w is None else md.tensor(w),
                          ignore_index=-1, reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(got.numpy(), _loop_cross_entropy(x, t, w, -1, reduction, eps),
                               rtol=1e-12, atol=1e-14)


def test_cross_entropy_probability_targets_formula():
    rng = np.random.default_rng(21)
    x, w = rng.standard_normal((3, 4, 2)), rng.uniform(0.5, 2, 4)
    p = rng.dirichlet(np.ones(4), (3, 2)).transpose(0, 2, 1)     # (N, C, d1), sums to 1 over C
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    eps = 0.1
    q = p * (1 - eps) + eps / 4
    want = -(logp * q * w[None, :, None]).sum(axis=1)            # (N, d1)
    got = F.cross_entropy(md.tensor(x), md.tensor(p), weight=md.tensor(w), reduction="none",
                          label_smoothing=eps)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-13)
    got = F.cross_entropy(md.tensor(x), md.tensor(p), weight=md.tensor(w), label_smoothing=eps)
    np.testing.assert_allclose(got.item(), want.mean(), rtol=1e-13)   # mean over N·d1, not weights


def test_nll_loss_k_dim_and_unbatched():
    rng = np.random.default_rng(22)
    logp = np.log(rng.dirichlet(np.ones(3), (2, 4)).transpose(0, 2, 1))     # (2, 3, 4)
    t = rng.integers(0, 3, (2, 4))
    want = -np.take_along_axis(logp, t[:, None], axis=1)[:, 0]
    got = F.nll_loss(md.tensor(logp), md.tensor(t), reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-14)
    got = F.nll_loss(md.tensor(logp[0, :, 0]), md.tensor(np.array(2)))
    np.testing.assert_allclose(got.item(), -logp[0, 2, 0], rtol=1e-14)


def test_legacy_size_average_and_reduce_pick_the_reduction():
    x, t = md.tensor(np.array([[1.0, 2.0], [0.0, 3.0]])), md.tensor([0, 1])
    none = F.cross_entropy(x, t, reduction="none").numpy()
    assert F.cross_entropy(x, t, reduce=False).shape == (2,)
    np.testing.assert_allclose(F.cross_entropy(x, t, size_average=False).item(), none.sum())
    np.testing.assert_allclose(F.nll_loss(x, t, None, True, -100, True).item(), -2.0)
    np.testing.assert_allclose(F.mse_loss(x, x * 0, size_average=False).item(), 14.0)


def _np_bce_logits(x, y, w=None, pw=None):
    p = 1 / (1 + np.exp(-x))
    pw = 1.0 if pw is None else pw
    loss = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    return loss if w is None else loss * w


def test_other_losses_formulas():
    rng = np.random.default_rng(23)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    X, Y = md.tensor(x), md.tensor(y)
    np.testing.assert_allclose(F.l1_loss(X, Y).item(), np.abs(x - y).mean(), rtol=1e-14)
    w = rng.uniform(0.5, 2, (3, 4))
    np.testing.assert_allclose(F.mse_loss(X, Y, weight=md.tensor(w)).item(),
                               (w * (x - y) ** 2).sum() / w.sum(), rtol=1e-14)
    lp, q = np.log(rng.dirichlet(np.ones(4), 3)), rng.dirichlet(np.ones(4), 3)
    q[0, 0] = 0.0
    kl = np.where(q > 0, q * (np.log(np.where(q > 0, q, 1)) - lp), 0.0)
    with pytest.warns(UserWarning, match="kl_div: reduction='mean'"):
        np.testing.assert_allclose(F.kl_div(md.tensor(lp), md.tensor(q)).item(), kl.mean(),
                                   rtol=1e-14)
    np.testing.assert_allclose(F.kl_div(md.tensor(lp), md.tensor(q), reduction="batchmean")
                               .item(), kl.sum() / 3, rtol=1e-14)
    lq = np.log(q[1:])                                            # log_target: e^y (y − x)
    np.testing.assert_allclose(F.kl_div(md.tensor(lp[1:]), md.tensor(lq), reduction="sum",
                                        log_target=True).item(), (q[1:] * (lq - lp[1:])).sum(),
                               rtol=1e-14)
    p, t = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))
    np.testing.assert_allclose(
        F.binary_cross_entropy(md.tensor(p), md.tensor(t), reduction="none").numpy(),
        -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol=1e-14)
    pw = rng.uniform(0.5, 3, 4)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(X, md.tensor(t), weight=md.tensor(w),
                                           pos_weight=md.tensor(pw), reduction="none").numpy(),
        _np_bce_logits(x, t, w, pw), rtol=1e-12)


def test_bce_log_is_clamped_and_logits_form_is_stable():
    out = F.binary_cross_entropy(md.tensor(np.array([0.0, 1.0])), md.tensor(np.array([1.0, 0.0])),
                                 reduction="none")
    np.testing.assert_array_equal(out.numpy(), [100.0, 100.0])
    x = md.tensor(np.array([-1000.0, 1000.0, 0.0]), requires_grad=True)
    y = md.tensor(np.array([1.0, 0.0, 1.0]))
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1000.0, 1000.0, np.log(2)], rtol=1e-15)
    loss.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), [-1.0, 1.0, -0.5], rtol=1e-15)  # σ(x) − y


LOSSES = {
    "l1_loss": lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
    "mse_loss": lambda rng: (rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
    "kl_div": lambda rng: (np.log(rng.dirichlet(np.ones(4), 3)), rng.dirichlet(np.ones(4), 3)),
    "binary_cross_entropy": lambda rng: (rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))),
    "binary_cross_entropy_with_logits": lambda rng: (rng.standard_normal((3, 4)) * 3,
                                                     rng.uniform(0, 1, (3, 4))),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.filterwarnings("ignore:kl_div")
@pytest.mark.filterwarnings("ignore:reduction")            # PyTorch's own kl_div warning
def test_other_losses_against_torch(name, reduction):
    torch = pytest.importorskip("torch")
    if reduction == "batchmean" and name != "kl_div":
        return
    rng = np.random.default_rng(24)
    x, y = LOSSES[name](rng)
    out, grads, u = vjp(lambda a, b: getattr(F, name)(a, b, reduction=reduction), x, y)
    t_out, t_grads = torch_vjp(torch, lambda a, b: getattr(torch.nn.functional, name)(
        a, b, reduction=reduction), x, y, upstream=u)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-14)
    for g, tg in zip(grads, t_grads):                                 # input and target
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_k_dim_smoothing_against_torch(reduction, soft, weighted):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(25)
    x = rng.standard_normal((3, 5, 2, 2)) * 2
    w = rng.uniform(0.3, 2, 5) if weighted else None
    if soft:
        t = rng.dirichlet(np.ones(5), (3, 2, 2)).transpose(0, 3, 1, 2).copy()
    else:
        t = rng.integers(0, 5, (3, 2, 2))
        t[0, 0, 0] = t[2, 1, 0] = 4000
    kw = dict(reduction=reduction, label_smoothing=0.15)
    if not soft:
        kw["ignore_index"] = 4000
    out, (g,), u = vjp(lambda a: F.cross_entropy(
        a, md.tensor(t), weight=None if w is None else md.tensor(w), **kw), x)
    t_out, (tg,) = torch_vjp(torch, lambda a: torch.nn.functional.cross_entropy(
        a, torch.tensor(t), weight=None if w is None else torch.tensor(w), **kw), x, upstream=u)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-13)


@given(data=st.data(), seed=st.integers(0, 2 ** 16), soft=st.booleans(),
       reduction=st.sampled_from(["mean", "sum", "none"]), eps=st.sampled_from([0.0, 0.2]))
def test_cross_entropy_k_dim_gradient(data, seed, soft, reduction, eps):
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=2, max_size=4)))
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape)
    w = md.tensor(rng.uniform(0.5, 2, C))
    if soft:
        t = md.tensor(rng.dirichlet(np.ones(C), (shape[0],) + shape[2:]).transpose(
            (0, len(shape) - 1) + tuple(range(1, len(shape) - 1))).copy())
    else:
        t = md.tensor(rng.integers(0, C, (shape[0],) + shape[2:]))
    check_gradients(lambda a: F.cross_entropy(a, t, weight=w, reduction=reduction,
                                              label_smoothing=eps), x)


@given(seed=st.integers(0, 2 ** 16), name=st.sampled_from(sorted(LOSSES)),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_other_losses_gradient(seed, name, reduction):
    x, y = LOSSES[name](np.random.default_rng(seed))
    if name == "l1_loss":
        assume(np.abs(x - y).min() > 1e-3)                    # away from the kink
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_gradients(lambda a, b: getattr(F, name)(a, b, reduction=reduction), x, y)


def test_other_losses_bad_input():
    x = md.ones(2, 3)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: target shape \(3,\) must be "
                                         r"the input shape \(2, 3\)"):
        F.binary_cross_entropy(x * 0.5, md.ones(3))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: every input value must be "
                                         r"in \[0, 1\]"):
        F.binary_cross_entropy(x * 2, x)
    with pytest.raises(ValueError, match="cross_entropy: ignore_index is not supported for "
                                         "probability targets"):
        F.cross_entropy(x, x * 0.5, ignore_index=0)
    with pytest.raises(ValueError, match="kl_div: reduction must be"):
        F.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: pos_weight of "
                                         r"shape \(2,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=md.ones(2))
    with pytest.raises(ValueError, match=r"mse_loss: weight shape \(3,\) must be the input"):
        F.mse_loss(x, x, weight=md.ones(3))
    with pytest.raises(ValueError, match=r"nll_loss: target shape \(2, 2\) does not fit input "
                                         r"shape \(2, 3, 4\); expected target shape \(2, 4\)"):
        F.nll_loss(md.ones(2, 3, 4), md.tensor(np.zeros((2, 2), dtype=np.int64)))
