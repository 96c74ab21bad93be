"""F.dropout: y = x ⊙ m / (1 − p), m ~ Bernoulli(1 − p) from the seeded generator."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md
import minidl.functional as F
from tests.helpers import leaf


def test_mask_scale_and_gradient():
    x = leaf(np.full((200, 100), 2.0))
    y = F.dropout(x, p=0.25)
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], 2.0 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.01          # 20 000 draws: sd ≈ 0.003
    u = np.random.default_rng(0).standard_normal(x.shape)
    y.backward(u)
    np.testing.assert_allclose(x.grad, u * kept / 0.75)   # the same mask flows back


def test_seeded_and_reproducible():
    md.manual_seed(3)
    a = F.dropout(md.ones(50), 0.5).numpy()
    md.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(md.ones(50), 0.5).numpy(), a)
    assert not np.array_equal(F.dropout(md.ones(50), 0.5).numpy(), a)


def test_identity_cases():
    x = md.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((4, 5)))
    assert F.dropout(x, 0.3).dtype == np.float32


def test_bad_input():
    with pytest.raises(ValueError, match="dropout: p must be between 0 and 1, got 1.5"):
        F.dropout(md.ones(2), 1.5)
    with pytest.raises(TypeError, match="dropout: input must be a Tensor"):
        F.dropout(np.ones(2))


@given(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), st.sampled_from([0.1, 0.5, 0.9]),
       st.integers(0, 2 ** 32 - 1))
def test_gradient(shape, p, seed):
    x = np.random.default_rng(seed).standard_normal(shape)

    def f(t):
        md.manual_seed(seed)          # the same mask for every evaluation
        return F.dropout(t, p)
    assert md.gradcheck(f, (leaf(x),), atol=1e-6, rtol=1e-5)
