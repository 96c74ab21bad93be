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
