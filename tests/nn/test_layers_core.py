"""Tests of the core layers: Linear, activations, Dropout, Flatten, CrossEntropyLoss, MSELoss."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl as md
import minidl.nn as nn
from tests.helpers import leaf, torch_vjp, vjp

RTOL, ATOL = 1e-9, 1e-10


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------- Linear
def test_linear_default_init_bounds_and_spread():
    in_features = 400
    bound = 1 / math.sqrt(in_features)
    layer = nn.Linear(in_features, 2500)
    for name, values in (("weight", layer.weight.numpy()), ("bias", layer.bias.numpy())):
        n = values.size
        assert values.dtype == np.float32
        assert values.min() >= -bound and values.max() <= bound, name
        # with n draws from U(-b, b), the extremes lie within ~b·10/n of the bounds
        # (P(miss) = (1 - 10/(2n))^n ≈ e^-5 per side)
        assert values.min() < -bound * (1 - 10 / n) and values.max() > bound * (1 - 10 / n), name
        # mean 0 and std b/√3: 6 standard errors of each estimate
        assert abs(values.mean()) < 6 * (bound / math.sqrt(3)) / math.sqrt(n), name
        assert abs(values.std() - bound / math.sqrt(3)) < 6 * bound * math.sqrt(4 / 45 / n), name


def test_linear_init_reproducible_with_manual_seed():
    md.manual_seed(7)
    a = nn.Linear(5, 3)
    md.manual_seed(7)
    b = nn.Linear(5, 3)
    c = nn.Linear(5, 3)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    assert not np.array_equal(b.weight.numpy(), c.weight.numpy())


def test_linear_dtype_follows_default_dtype():
    md.set_default_dtype(np.float64)
    lin = nn.Linear(3, 2)
    assert lin.weight.dtype == np.float64 and lin.bias.dtype == np.float64
    assert nn.Linear(3, 2, dtype=np.float32).weight.dtype == np.float32


@given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2),
       in_features=st.integers(1, 5), out_features=st.integers(1, 4), bias=st.booleans())
def test_linear_vs_torch(batch, in_features, out_features, bias):
    torch = pytest.importorskip("torch")
    rng = _rng(len(batch) + 10 * in_features + out_features)
    x = rng.standard_normal((*batch, in_features))
    upstream = rng.standard_normal((*batch, out_features))
    lin = nn.Linear(in_features, out_features, bias=bias).double()
    tlin = torch.nn.Linear(in_features, out_features, bias=bias).double()
    lin.load_state_dict(tlin.state_dict())
    xm, xt = leaf(x), torch.tensor(x, requires_grad=True)
    out = lin(xm)
    out.backward(upstream)
    tout = tlin(xt)
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(lin.weight.grad, tlin.weight.grad.numpy(), rtol=RTOL, atol=ATOL)
    if bias:
        np.testing.assert_allclose(lin.bias.grad, tlin.bias.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_linear_parameters_get_gradients():
    lin = nn.Linear(3, 2).double()
    x = _rng().standard_normal((4, 3))
    u = _rng(1).standard_normal((4, 2))
    lin(md.tensor(x)).backward(u)
    np.testing.assert_allclose(lin.weight.grad, u.T @ x, rtol=1e-13)
    np.testing.assert_allclose(lin.bias.grad, u.sum(0), rtol=1e-13)


def test_linear_size_mismatch_message():
    lin = nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"linear: input has 5 features \(input shape \(2, 5\)\) "
                                         r"but weight expects 4 \(weight shape \(3, 4\)\)"):
        lin(md.ones(2, 5))
    with pytest.raises(TypeError, match="linear: input must be a Tensor"):
        lin(np.ones((2, 4)))
    with pytest.raises(ValueError, match="Linear: in_features must be a non-negative int"):
        nn.Linear(-1, 3)
    with pytest.raises(ValueError, match="Linear: out_features must be a non-negative int"):
        nn.Linear(3, 2.5)


# ---------------------------------------------------------------------- activations
ACTIVATIONS = [
    ("ReLU", {}, lambda torch: torch.nn.ReLU()),
    ("Tanh", {}, lambda torch: torch.nn.Tanh()),
    ("Sigmoid", {}, lambda torch: torch.nn.Sigmoid()),
    ("GELU", {}, lambda torch: torch.nn.GELU()),
    ("GELU", {"approximate": "tanh"}, lambda torch: torch.nn.GELU(approximate="tanh")),
    ("Softmax", {"dim": 1}, lambda torch: torch.nn.Softmax(dim=1)),
    ("LogSoftmax", {"dim": -1}, lambda torch: torch.nn.LogSoftmax(dim=-1)),
]


@pytest.mark.parametrize("name, kwargs, make_torch", ACTIVATIONS)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3), seed=st.integers(0, 2**16))
def test_activation_modules_vs_torch(name, kwargs, make_torch, shape, seed):
    torch = pytest.importorskip("torch")
    rng = _rng(seed)
    x = rng.standard_normal(shape) * 3
    x = np.where(np.abs(x) < 1e-3, 0.5, x)  # away from relu's kink
    upstream = rng.standard_normal(shape)
    module = getattr(nn, name)(**kwargs)
    out, (grad,), _ = vjp(module, x, upstream=upstream)
    tout, (tgrad,) = torch_vjp(torch, make_torch(torch), x, upstream=upstream)
    np.testing.assert_allclose(out, tout, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grad, tgrad, rtol=RTOL, atol=ATOL)


def test_relu_gradient_at_zero_is_zero():
    x = leaf([-1.0, 0.0, 2.0])
    nn.ReLU()(x).backward(np.ones(3))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        nn.GELU(approximate="fast")(md.ones(2))


# ---------------------------------------------------------------------- Flatten
@pytest.mark.parametrize("start_dim, end_dim", [(1, -1), (0, -1), (1, 2), (2, 3), (0, 0), (-2, -1)])
def test_flatten_vs_torch(start_dim, end_dim):
    torch = pytest.importorskip("torch")
    x = _rng().standard_normal((2, 3, 4, 5))
    upstream_shape = tuple(torch.nn.Flatten(start_dim, end_dim)(torch.zeros(2, 3, 4, 5)).shape)
    upstream = _rng(1).standard_normal(upstream_shape)
    out, (grad,), _ = vjp(nn.Flatten(start_dim, end_dim), x, upstream=upstream)
    tout, (tgrad,) = torch_vjp(torch, torch.nn.Flatten(start_dim, end_dim), x, upstream=upstream)
    np.testing.assert_array_equal(out, tout)
    np.testing.assert_array_equal(grad, tgrad)


def test_flatten_rejects_arrays():
    with pytest.raises(TypeError, match="Flatten: input must be a Tensor, got ndarray"):
        nn.Flatten()(np.ones((2, 3)))


# ---------------------------------------------------------------------- Dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_training_statistics(p):
    n = 200_000
    x = md.ones(n, dtype=np.float64)
    y = nn.Dropout(p)(x).numpy()
    kept = y != 0
    # kept elements are scaled by 1/(1 - p), exactly
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-15)
    # zero fraction ~ Binomial(n, p)/n: within 5 standard deviations √(p(1-p)/n)
    assert abs((~kept).mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    # each y_i has mean 1 and variance p/(1-p): the sample mean is within 5 s.e. of 1
    assert abs(y.mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / n)


def test_dropout_gradient_is_the_same_mask():
    p = 0.3
    x = _rng().standard_normal((50, 40)) + 5.0  # nowhere zero
    upstream = _rng(1).standard_normal((50, 40))
    out, (grad,), _ = vjp(nn.Dropout(p), x, upstream=upstream)
    mask = out != 0
    np.testing.assert_allclose(out, x * mask / (1 - p), rtol=1e-15)
    np.testing.assert_allclose(grad, upstream * mask / (1 - p), rtol=1e-15)
    assert 0 < mask.mean() < 1


def test_dropout_eval_is_identity_and_seeded_train_repeats():
    drop = nn.Dropout(0.5)
    x = leaf(_rng().standard_normal((10, 10)))
    drop.eval()
    y = drop(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    y.backward(np.full((10, 10), 2.0))
    np.testing.assert_array_equal(x.grad, np.full((10, 10), 2.0))
    drop.train()
    md.manual_seed(5)
    a = drop(x).numpy()
    md.manual_seed(5)
    b = drop(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert np.any(a == 0)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).numpy(), np.zeros((10, 10)))


def test_dropout_inside_model_follows_train_eval():
    model = nn.Sequential(nn.Linear(20, 20), nn.Dropout(0.5))
    x = md.randn(8, 20)
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
    model.train()
    assert not np.array_equal(model(x).numpy(), model(x).numpy())


def test_dropout_bad_p():
    with pytest.raises(ValueError, match="Dropout: p must be between 0 and 1, got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(TypeError, match="Dropout: p must be a number, got str"):
        nn.Dropout("0.5")


# ---------------------------------------------------------------------- losses
@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"},
    {"weight": [0.2, 1.0, 3.0, 0.5]}, {"ignore_index": 1}, {"label_smoothing": 0.1},
])
def test_cross_entropy_loss_vs_torch(kwargs):
    torch = pytest.importorskip("torch")
    rng = _rng(3)
    logits = rng.standard_normal((6, 4)) * 2
    target = np.array([0, 1, 3, 2, 1, 3])
    upstream = rng.standard_normal(6) if kwargs.get("reduction") == "none" else np.array(1.7)
    ours_kwargs = dict(kwargs)
    theirs_kwargs = dict(kwargs)
    if "weight" in kwargs:
        ours_kwargs["weight"] = np.array(kwargs["weight"])
        theirs_kwargs["weight"] = torch.tensor(kwargs["weight"], dtype=torch.float64)
    loss = nn.CrossEntropyLoss(**ours_kwargs)
    tloss = torch.nn.CrossEntropyLoss(**theirs_kwargs)
    out, (grad,), _ = vjp(lambda x: loss(x, md.tensor(target)), logits, upstream=upstream)
    tout, (tgrad,) = torch_vjp(torch, lambda x: tloss(x, torch.tensor(target)), logits,
                               upstream=upstream)
    np.testing.assert_allclose(out, tout, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grad, tgrad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_vs_torch(reduction):
    torch = pytest.importorskip("torch")
    rng = _rng(4)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    upstream = rng.standard_normal((5, 3)) if reduction == "none" else np.array(0.7)
    out, grads, _ = vjp(nn.MSELoss(reduction=reduction), x, y, upstream=upstream)
    tout, tgrads = torch_vjp(torch, torch.nn.MSELoss(reduction=reduction), x, y,
                             upstream=upstream)
    np.testing.assert_allclose(out, tout, rtol=RTOL, atol=ATOL)
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(g, tg, rtol=RTOL, atol=ATOL)


def test_loss_modules_bad_input():
    with pytest.raises(ValueError, match="cross_entropy: target values must be in \\[0, 3\\)"):
        nn.CrossEntropyLoss()(md.zeros(2, 3), md.tensor([0, 3]))
    with pytest.raises(ValueError, match="cross_entropy: reduction must be"):
        nn.CrossEntropyLoss(reduction="avg")(md.zeros(2, 3), md.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(2, 3\) and target shape \(3, 2\)"):
        nn.MSELoss()(md.zeros(2, 3), md.zeros(3, 2))


# ---------------------------------------------------------------------- the other activations and losses
@pytest.mark.parametrize("name, kw", [("SiLU", {}), ("LeakyReLU", {"negative_slope": 0.3}),
                                      ("ELU", {"alpha": 0.7}), ("Softplus", {"beta": 2.0}),
                                      ("Identity", {}), ("Flatten", {"start_dim": 0})])
def test_more_activation_modules_match_torch(name, kw):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 4)) * 3
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    np.testing.assert_allclose(ours(md.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(),
                               rtol=1e-13, atol=1e-15)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name, kw, make", [
    ("NLLLoss", {"ignore_index": 1}, lambda r: (np.log(r.dirichlet(np.ones(3), 4)), r.integers(0, 3, 4))),
    ("L1Loss", {"reduction": "sum"}, lambda r: (r.standard_normal((3, 2)), r.standard_normal((3, 2)))),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True},
     lambda r: (np.log(r.dirichlet(np.ones(3), 4)), np.log(r.dirichlet(np.ones(3), 4)))),
    ("BCELoss", {}, lambda r: (r.uniform(0.1, 0.9, 5), r.uniform(0, 1, 5))),
    ("BCEWithLogitsLoss", {"reduction": "none"}, lambda r: (r.standard_normal(5), r.uniform(0, 1, 5))),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "reduction": "sum"},
     lambda r: (r.standard_normal((4, 3, 2)), r.integers(0, 3, (4, 2)))),
])
def test_more_loss_modules_match_torch(name, kw, make):
    torch = pytest.importorskip("torch")
    x, y = make(np.random.default_rng(1))
    xm, xt = md.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, want = getattr(nn, name)(**kw)(xm, md.tensor(y)), getattr(torch.nn, name)(**kw)(
        xt, torch.tensor(y))
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-14)
    u = np.random.default_rng(2).standard_normal(want.shape)
    out.backward(md.tensor(u))
    want.backward(torch.tensor(u))
    np.testing.assert_allclose(np.asarray(xm.grad), xt.grad.numpy(), rtol=1e-11, atol=1e-13)


def test_loss_weights_are_buffers_and_legacy_reduction():
    torch = pytest.importorskip("torch")
    w = np.array([1.0, 2.0, 0.5])
    assert list(nn.CrossEntropyLoss(weight=md.tensor(w)).state_dict()) == \
        list(torch.nn.CrossEntropyLoss(weight=torch.tensor(w)).state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=md.tensor(w)).state_dict()) == ["pos_weight"]
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.NLLLoss(reduce=False).reduction == "none"
