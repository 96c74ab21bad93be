"""F.relu tanh sigmoid gelu softmax log_softmax: the public wrappers (gradients of the
primitives are property-tested in tests/ops); here formulas, type errors and PyTorch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md
import minidl.functional as F
from tests.helpers import leaf, torch_vjp, vjp

ACTS = ["relu", "tanh", "sigmoid", "gelu"]


@pytest.mark.parametrize("name", ACTS)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                    elements=st.floats(0.1, 4)),
       sign=st.integers(0, 2 ** 32 - 1))
def test_gradient(name, x, sign):
    x = x * np.random.default_rng(sign).choice([-1.0, 1.0], x.shape)  # |x| >= 0.1: no kink
    assert md.gradcheck(getattr(F, name), (leaf(x),), atol=1e-6, rtol=1e-5)


def test_formulas():
    x = np.linspace(-3, 3, 13)
    t = md.tensor(x)
    np.testing.assert_allclose(F.relu(t).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(F.tanh(t).numpy(), np.tanh(x), rtol=1e-15)
    np.testing.assert_allclose(F.sigmoid(t).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(F.softmax(t, 0).numpy(), np.exp(x) / np.exp(x).sum(), rtol=1e-14)
    np.testing.assert_allclose(F.log_softmax(t, dim=-1).numpy(),
                               x - np.log(np.exp(x).sum()), rtol=1e-14)


@pytest.mark.parametrize("name", ACTS + ["softmax", "log_softmax"])
def test_input_must_be_a_tensor(name):
    args = (np.ones(3), 0) if "softmax" in name else (np.ones(3),)
    with pytest.raises(TypeError, match=rf"{name}: input must be a Tensor, got ndarray"):
        getattr(F, name)(*args)


@pytest.mark.parametrize("name", ACTS)
def test_float32_stays_float32(name):
    assert getattr(F, name)(md.randn(3, 4)).dtype == np.float32


@pytest.mark.parametrize("name, kwargs", [("relu", {}), ("tanh", {}), ("sigmoid", {}),
                                          ("gelu", {}), ("gelu", {"approximate": "tanh"}),
                                          ("softmax", {"dim": 1}), ("log_softmax", {"dim": 0})])
def test_against_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).uniform(0.1, 3, (4, 5)) * np.random.default_rng(1).choice(
        [-1, 1], (4, 5))
    out, (g,), u = vjp(lambda t: getattr(F, name)(t, **kwargs), x)
    t_out, (tg,) = torch_vjp(torch, lambda t: getattr(torch.nn.functional, name)(t, **kwargs),
                             x, upstream=u)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------- composites
# silu, leaky_relu, elu, softplus: written as formulas from primitives; here each against
# its formula in NumPy, central differences (hypothesis, random upstream) and PyTorch,
# including the kinks and the far tails.
def _np_softplus(x, beta=1.0, threshold=20.0):
    z = beta * x
    return np.where(z > threshold, x, np.logaddexp(0.0, z) / beta)


COMPOSITES = {
    "silu": ({}, lambda x: x / (1 + np.exp(-x))),
    "leaky_relu": ({"negative_slope": 0.2}, lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": ({"alpha": 1.5}, lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
    "softplus": ({"beta": 2.0, "threshold": 5.0}, lambda x: _np_softplus(x, 2.0, 5.0)),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composite_formulas(name):
    kwargs, formula = COMPOSITES[name]
    x = np.linspace(-6, 6, 49)
    np.testing.assert_allclose(getattr(F, name)(md.tensor(x), **kwargs).numpy(), formula(x),
                               rtol=1e-13, atol=1e-15)


def test_softplus_tails_are_accurate_and_finite():
    x = np.array([-1000.0, -60.0, -30.0, 0.0, 19.9, 20.1, 1000.0])
    y = F.softplus(md.tensor(x)).numpy()
    np.testing.assert_allclose(y, _np_softplus(x), rtol=1e-12, atol=1e-300)
    t = md.tensor(x, requires_grad=True)
    F.softplus(t).backward(md.tensor(np.ones_like(x)))
    sig = np.exp(-np.logaddexp(0.0, -x))
    np.testing.assert_allclose(np.asarray(t.grad), np.where(x > 20, 1.0, sig), rtol=1e-12)


def test_elu_gradient_is_finite_for_large_inputs():
    t = md.tensor(np.array([-800.0, 0.0, 800.0]), requires_grad=True)
    F.elu(t).backward(md.tensor(np.ones(3)))
    np.testing.assert_array_equal(np.asarray(t.grad), [np.exp(-800.0), 1.0, 1.0])


@pytest.mark.parametrize("name", sorted(COMPOSITES))
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                    elements=st.floats(0.05, 6)),
       sign=st.integers(0, 2 ** 32 - 1))
def test_composite_gradients(name, x, sign):
    x = x * np.random.default_rng(sign).choice([-1.0, 1.0], x.shape)   # away from the kink 0
    kwargs = COMPOSITES[name][0]
    if name == "softplus":
        x = np.where(np.abs(2.0 * x - 5.0) < 0.1, x + 0.2, x)          # away from the threshold
    assert md.gradcheck(lambda t: getattr(F, name)(t, **kwargs), (leaf(x),), atol=1e-6,
                        rtol=1e-5, seed=sign % 1000)


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composites_against_torch(name):
    torch = pytest.importorskip("torch")
    kwargs = COMPOSITES[name][0]
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-8, 8, 20), [0.0, -40.0, 40.0, 2.5, -1e-3, 1e-3]])
    out, (g,), u = vjp(lambda t: getattr(F, name)(t, **kwargs), x)
    t_out, (tg,) = torch_vjp(torch, lambda t: getattr(torch.nn.functional, name)(t, **kwargs),
                             x, upstream=u)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-15)                 # kinks included


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composites_keep_float32(name):
    assert getattr(F, name)(md.randn(3, 4)).dtype == np.float32
    with pytest.raises(TypeError, match=rf"{name}: input must be a Tensor"):
        getattr(F, name)(np.ones(3))


def test_softmax_without_dim_uses_pytorchs_legacy_choice():
    x = md.tensor(np.arange(24.0).reshape(2, 3, 4))
    with pytest.warns(UserWarning, match="softmax: implicit dimension"):
        y = F.softmax(x)                                      # 3-D: dim 0, as PyTorch
    np.testing.assert_allclose(y.numpy(), F.softmax(x, dim=0).numpy())
    with pytest.warns(UserWarning):
        y = F.log_softmax(md.tensor(np.ones((2, 5))))         # 2-D: dim 1
    np.testing.assert_allclose(y.numpy(), np.full((2, 5), -np.log(5)), rtol=1e-14)
    assert F.softmax(md.tensor(np.ones(3)), dim=0, dtype=np.float32).dtype == np.float32
