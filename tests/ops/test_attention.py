"""The fused attention primitive (minidl/ops/attention.py) against the composite it fuses:
forward, weights and gradients (random upstream, masks with dead rows, the weights used
downstream), the blocked and threaded path, gradcheck and the second derivative."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
from minidl import parallel
from minidl.ops import attention as att
from tests.helpers import check_gradients, check_second, leaf


def _inputs(lead, L, S, E, Ev, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    q, k = (rng.standard_normal(lead + (n, E)).astype(dtype) for n in (L, S))
    v = rng.standard_normal(lead + (S, Ev)).astype(dtype)
    return q, k, v


def _bias(lead, L, S, seed, dead_row=True):
    """A 0/−inf bias with one row that excludes everything (when asked)."""
    rng = np.random.default_rng(seed + 1)
    keep = rng.random(lead + (L, S)) < 0.7
    keep[..., :, 0] = True
    if dead_row:
        keep[(0,) * len(lead) + (L - 1,)] = False
    return np.where(keep, 0.0, -np.inf)


def _both(q, k, v, bias, scale, use_weights, seed=0):
    """(out, weights, dq, dk, dv) from the fused op and from the composite."""
    rng = np.random.default_rng(seed + 2)
    results = []
    for f in (att.Attention.apply, att.attention_composite):
        tq, tk, tv = leaf(q), leaf(k), leaf(v)
        out, w = f(tq, tk, tv, bias, scale)
        g_out = rng.standard_normal(out.shape)
        loss = (out * md.tensor(g_out)).sum()
        if use_weights:
            g_w = np.random.default_rng(seed + 3).standard_normal(w.shape)
            loss = loss + (w * md.tensor(g_w)).sum()
        loss.backward()
        results.append([out.numpy(), w.numpy(), tq.grad.numpy(), tk.grad.numpy(),
                        tv.grad.numpy()])
        rng = np.random.default_rng(seed + 2)
    return results


@given(lead=st.sampled_from([(), (3,), (2, 3)]), L=st.integers(1, 5), S=st.integers(1, 5),
       E=st.integers(1, 4), masked=st.booleans(), use_weights=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_fused_equals_composite(lead, L, S, E, masked, use_weights, seed):
    q, k, v = _inputs(lead, L, S, E, 3, seed)
    bias = _bias(lead, L, S, seed) if masked else None
    fused, composite = _both(q, k, v, bias, 0.7, use_weights, seed)
    for a, b in zip(fused, composite):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    if masked:                                            # the dead row: zeros, never NaN
        out, w = fused[:2]
        assert np.all(np.isfinite(out)) and np.all(np.isfinite(w))
        np.testing.assert_array_equal(w[(0,) * len(lead) + (L - 1,)], 0.0)


def test_dead_rows_get_zero_output_and_gradient():
    q, k, v = _inputs((2,), 3, 4, 2, 2, 0)
    bias = np.zeros((2, 3, 4))
    bias[1, 2] = -np.inf
    tq, tk, tv = leaf(q), leaf(k), leaf(v)
    out, w = att.Attention.apply(tq, tk, tv, bias, 1.0)
    np.testing.assert_array_equal(out.numpy()[1, 2], 0.0)
    (out * md.tensor(np.random.default_rng(0).standard_normal(out.shape))).sum().backward()
    np.testing.assert_array_equal(tq.grad.numpy()[1, 2], 0.0)
    assert np.all(np.isfinite(tk.grad.numpy()))


@pytest.mark.parametrize("threads", [1, 2])
def test_blocks_and_threads_give_the_composite(threads, monkeypatch):
    """Many blocks (a small block size), split over 1 or 2 threads, float32 as used."""
    monkeypatch.setattr(att, "_BLOCK", 64)
    before = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        q, k, v = _inputs((5, 3), 8, 6, 4, 5, 1, np.float32)
        bias = _bias((5, 3), 8, 6, 1).astype(np.float32)
        fused, composite = _both(q, k, v, bias, 0.5, True)
    finally:
        parallel.set_num_threads(before)
    for a, b in zip(fused, composite):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@given(lead=st.sampled_from([(), (2,)]), L=st.integers(1, 3), S=st.integers(1, 3),
       seed=st.integers(0, 2 ** 16))
def test_gradcheck(lead, L, S, seed):
    q, k, v = _inputs(lead, L, S, 2, 2, seed)
    bias = _bias(lead, L, S, seed, dead_row=False)
    assert check_gradients(lambda a, b, c: att.Attention.apply(a, b, c, bias, 0.8)[0], q, k, v)
    assert check_gradients(lambda a, b, c: att.Attention.apply(a, b, c, None, 0.8)[1], q, k, v)


def test_second_derivative():
    q, k, v = _inputs((2,), 3, 2, 2, 2, 4)
    bias = _bias((2,), 3, 2, 4)
    assert check_second(lambda a, b, c: att.Attention.apply(a, b, c, bias, 0.9)[0], q, k, v)
    assert check_second(lambda a, b, c: att.Attention.apply(a, b, c, None, 0.9)[1], q, k, v)


def test_sdpa_uses_the_fused_op_only_where_it_applies():
    import minidl.functional as F
    q, k, v = (md.tensor(a, requires_grad=True) for a in _inputs((2,), 3, 4, 2, 2, 0))
    assert "Attention" in repr(F.scaled_dot_product_attention(q, k, v).grad_fn)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert "Attention" not in repr(out.grad_fn)                       # dropout: the composite
