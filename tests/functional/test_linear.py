"""F.linear (F3): y = x Wᵀ + b, with PyTorch's weight layout."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md
import minidl.functional as F
from tests.helpers import leaf, torch_vjp, vjp


@given(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), st.integers(1, 4),
       st.integers(1, 4), st.booleans(), st.integers(0, 2 ** 32 - 1))
def test_gradient(batch, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal(batch + (n_in,)), rng.standard_normal((n_out, n_in)), \
        rng.standard_normal(n_out)
    args = (leaf(x), leaf(W), leaf(b) if bias else None)
    assert md.gradcheck(F.linear, args, atol=1e-6, rtol=1e-5)


def test_formula():
    x = np.array([[1.0, 2.0, 3.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    b = np.array([10.0, 20.0])
    y = F.linear(md.tensor(x), md.tensor(W), md.tensor(b))
    np.testing.assert_array_equal(y.numpy(), [[1 - 3 + 10, 3 + 20]])
    assert F.linear(md.tensor(x[0]), md.tensor(W)).shape == (2,)


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((2, 5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    out, grads, u = vjp(F.linear, x, W, b)
    t_out, t_grads = torch_vjp(torch, torch.nn.functional.linear, x, W, b, upstream=u)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-13)
    for g, tg in zip(grads, t_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-10)


def test_size_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError) as e:
        F.linear(md.ones(8, 1600), md.ones(128, 9216))
    msg = str(e.value)
    assert msg.startswith("linear: input has 1600 features") and "(8, 1600)" in msg \
        and "(128, 9216)" in msg
    with pytest.raises(ValueError, match=r"linear: weight must be \(out_features, in_features\)"):
        F.linear(md.ones(2, 3), md.ones(3))
    with pytest.raises(ValueError, match=r"linear: bias must be \(4,\) .* got \(3,\)"):
        F.linear(md.ones(2, 3), md.ones(4, 3), md.ones(3))
    with pytest.raises(TypeError, match="linear: input must be a Tensor"):
        F.linear(np.ones((2, 3)), md.ones(4, 3))
    with pytest.raises(TypeError, match="linear: bias must be a Tensor or None"):
        F.linear(md.ones(2, 3), md.ones(4, 3), [0.0] * 4)


def test_linear_module_size_mismatch():
    import minidl.nn as nn
    layer = nn.Linear(9216, 128)
    with pytest.raises(ValueError, match=r"linear: input has 1600 features .*\(64, 1600\)"):
        layer(md.ones(64, 1600))
