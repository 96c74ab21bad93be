"""nn.init (PyTorch's fans, gains and distributions) and nn.utils (clipping, vectors)."""
import math

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn


@pytest.mark.parametrize("name, param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                         ("tanh", None), ("relu", None), ("leaky_relu", None),
                                         ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_equals_torch(name, param):
    torch = pytest.importorskip("torch")
    assert nn.init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_fans():
    assert nn.init._calculate_fan_in_and_fan_out(md.zeros(8, 3, 5, 5)) == (75, 200)
    assert nn.init._calculate_fan_in_and_fan_out(md.zeros(4, 6)) == (6, 4)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(md.zeros(3))


def _std_bound(values):
    return values.std(), np.abs(values).max()


@pytest.mark.parametrize("fn, kw, shape, std", [
    ("xavier_uniform_", {"gain": 2.0}, (200, 300), 2.0 * math.sqrt(2 / 500)),
    ("xavier_normal_", {}, (200, 300), math.sqrt(2 / 500)),
    ("kaiming_uniform_", {"a": 0.1, "mode": "fan_out"}, (100, 30, 3, 3),
     math.sqrt(2 / 1.01) / math.sqrt(900)),
    ("kaiming_normal_", {"nonlinearity": "relu"}, (300, 400), math.sqrt(2) / math.sqrt(400)),
    ("uniform_", {"a": -3.0, "b": 3.0}, (300, 300), math.sqrt(3.0)),
    ("normal_", {"mean": 0.0, "std": 0.5}, (300, 300), 0.5),
])
def test_distributions_have_pytorchs_spread(fn, kw, shape, std):
    t = getattr(nn.init, fn)(md.zeros(*shape, dtype=np.float64), **kw)
    s, m = _std_bound(t.numpy())
    assert s == pytest.approx(std, rel=0.03)
    if "uniform" in fn:
        assert m <= math.sqrt(3) * std * (1 + 1e-12) and m > 0.99 * math.sqrt(3) * std


def test_orthogonal_trunc_normal_eye_constant():
    w = nn.init.orthogonal_(md.zeros(4, 6, dtype=np.float64), gain=2.0).numpy()
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(4), atol=1e-12)
    t = nn.init.trunc_normal_(md.zeros(5000, dtype=np.float64), std=1.0, a=-0.5, b=1.0).numpy()
    assert t.min() >= -0.5 and t.max() <= 1.0 and t.std() > 0.3
    np.testing.assert_array_equal(nn.init.eye_(md.zeros(2, 3)).numpy(), np.eye(2, 3))
    np.testing.assert_array_equal(nn.init.constant_(md.zeros(2), 0.25).numpy(), [0.25, 0.25])
    md.manual_seed(1)
    a = nn.init.normal_(md.zeros(3)).numpy().copy()
    md.manual_seed(1)
    np.testing.assert_array_equal(nn.init.normal_(md.zeros(3)).numpy(), a)   # seeded


def _with_grads(grads):
    params = []
    for g in grads:
        p = nn.Parameter(md.ones(*g.shape, dtype=np.float64))
        (p * md.tensor(g)).sum().backward()
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_equals_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    ours = _with_grads(grads)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, md.Tensor)
    np.testing.assert_allclose(total.item(), want.item(), rtol=1e-14)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(p.grad), t.grad.numpy(), rtol=1e-14)


def test_clip_grad_norm_nonfinite_and_value():
    ps = _with_grads([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert nn.utils.clip_grad_norm_([nn.Parameter(md.zeros(2))], 1.0).item() == 0.0   # no grads
    ps = _with_grads([np.array([-3.0, 0.2, 7.0])])
    nn.utils.clip_grad_value_(ps, 0.5)
    np.testing.assert_array_equal(np.asarray(ps[0].grad), [-0.5, 0.2, 0.5])


def test_parameters_to_vector_and_back():
    net = nn.Linear(3, 2).double()
    vec = nn.utils.parameters_to_vector(net.parameters())
    np.testing.assert_array_equal(vec.numpy(), np.concatenate([net.weight.numpy().ravel(),
                                                               net.bias.numpy()]))
    (vec * md.tensor(np.arange(8.0))).sum().backward()        # differentiable
    np.testing.assert_array_equal(np.asarray(net.bias.grad), [6.0, 7.0])
    nn.utils.vector_to_parameters(md.tensor(np.arange(8.0)), net.parameters())
    np.testing.assert_array_equal(net.weight.numpy(), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="length 8"):
        nn.utils.vector_to_parameters(md.tensor(np.arange(7.0)), net.parameters())
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.utils.vector_to_parameters(np.arange(8.0), net.parameters())
