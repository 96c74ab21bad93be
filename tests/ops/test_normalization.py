"""The fused layer norm (ops/normalization.py) against the nine-op composite it replaces,
with random upstream gradients, and its gradient through md.gradcheck."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
import minidl.functional as F
from minidl.ops.normalization import LayerNorm
from tests.helpers import check_gradients, check_second


def composite(x, axes, w, b, eps):
    mu = x.mean(axis=axes, keepdims=True)
    c = x - mu
    var = (c * c).mean(axis=axes, keepdims=True)
    y = c / (var + eps).sqrt()
    y = y if w is None else y * w
    return y if b is None else y + b


@given(st.sampled_from([((5,), 1), ((3, 4), 1), ((2, 3, 4), 2), ((2, 1, 3), 1)]),
       st.sampled_from([0, 1, 2]), st.sampled_from([0.0, 1e-5, 0.5]), st.integers(0, 2**31 - 1))
def test_fused_layer_norm_equals_the_composite(geometry, affine, eps, seed):
    shape, k = geometry
    rng = np.random.default_rng(seed)
    norm_shape = shape[len(shape) - k:]
    axes = tuple(range(len(shape) - k, len(shape)))
    arrays = [rng.standard_normal(shape)] + [rng.standard_normal(norm_shape) for _ in range(affine)]
    if eps == 0.0:
        arrays[0][..., 0] += 1.0                   # no constant row: σ² > 0
    g = rng.standard_normal(shape)
    fused = [md.tensor(a, requires_grad=True) for a in arrays]
    plain = [md.tensor(a, requires_grad=True) for a in arrays]
    pad = [None] * (2 - affine)
    y = F.layer_norm(fused[0], norm_shape, *fused[1:], *pad, eps=eps)
    assert y.grad_fn.name() == "LayerNorm"
    z = composite(plain[0], axes, *(plain[1:] + pad), eps)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-11, atol=1e-11)
    y.backward(md.tensor(g))
    z.backward(md.tensor(g))
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_fused_layer_norm_gradients_and_second_derivative():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal(4), rng.standard_normal(4)
    f = lambda x, w, b: LayerNorm.apply(x, w, b, (2,), 1e-5)              # noqa: E731
    assert check_gradients(f, x, w, b)
    assert check_second(lambda x, w, b: f(x, w, b) ** 2, x, w, b)
    assert check_second(lambda x: LayerNorm.apply(x, None, None, (1, 2), 0.1).tanh(), x)


def test_mixed_dtypes_use_the_composite():
    y = F.layer_norm(md.ones(2, 3, dtype=md.float64), 3, md.ones(3, requires_grad=True))
    assert y.dtype == np.float64 and y.grad_fn.name() != "LayerNorm"
    with pytest.raises(ValueError, match="layer_norm: weight must be a Tensor of normalized_shape"):
        F.layer_norm(md.ones(2, 3), 3, md.ones(2))
