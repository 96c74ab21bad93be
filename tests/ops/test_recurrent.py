"""The fused LSTM scan (minidl/ops/recurrent.py) against the composite recurrence it
fuses: outputs and every gradient, float64, random upstream gradients.
(Its gradcheck and PyTorch tests are in tests/nn/test_recurrent.py.)"""
import warnings

import numpy as np
import pytest

import minidl as md
from minidl.ops.recurrent import LSTMScan, lstm_scan_composite
from tests.helpers import leaf


def _run(f, arrays, upstream):
    leaves = [leaf(a) for a in arrays]
    hs, c_last = f(*leaves)
    md.autograd.backward([hs, c_last], [md.tensor(u) for u in upstream])
    return [hs.numpy(), c_last.numpy()] + [t.grad.numpy() for t in leaves]


@pytest.mark.parametrize("L, N, H", [(1, 1, 1), (4, 7, 3), (6, 2, 5)])
def test_fused_scan_matches_the_composite(L, N, H):
    rng = np.random.default_rng(L * 100 + N * 10 + H)
    arrays = [rng.standard_normal(s) for s in [(L, N, 4 * H), (N, H), (N, H), (4 * H, H)]]
    upstream = [rng.standard_normal((L, N, H)), rng.standard_normal((N, H))]
    for a, b in zip(_run(LSTMScan.apply, arrays, upstream),
                    _run(lstm_scan_composite, arrays, upstream)):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def _arrays(seed, L=4, N=3, H=2, scale=1.0):
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(s) for s in [(L, N, 4 * H), (N, H), (N, H), (4 * H, H)]]


def test_saturated_gates_match_the_composite_without_warnings():
    """Pre-activations of ±hundreds: σ is 0 or 1 and tanh ±1 (e^−z overflows to inf,
    1/(1 + inf) = 0), no NaN and no overflow warning; the gradients vanish as they should."""
    arrays = _arrays(3, scale=300.0)
    upstream = [np.ones((4, 3, 2)), np.ones((3, 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # a RuntimeWarning would fail
        fused = _run(LSTMScan.apply, arrays, upstream)
    for a, b in zip(fused, _run(lstm_scan_composite, arrays, upstream)):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)
    assert np.abs(fused[0]).max() <= 1.0                 # h = o ⊙ tanh c
    assert np.abs(fused[2]).max() <= 1.0 + 1e-12         # σ' = tanh' = 0: only o ⊙ tanh' c


def test_float32_scan_matches_the_float64_one():
    arrays = _arrays(4, L=6, N=5, H=3)
    hs64, c64 = (np.asarray(t) for t in LSTMScan.apply(*[md.tensor(a) for a in arrays]))
    hs32, c32 = (np.asarray(t) for t in LSTMScan.apply(*[md.tensor(a.astype(np.float32))
                                                         for a in arrays]))
    assert hs32.dtype == np.float32 and c32.dtype == np.float32
    np.testing.assert_allclose(hs32, hs64, atol=2e-6)
    np.testing.assert_allclose(c32, c64, atol=2e-6)


def test_changing_an_output_in_place_is_an_error_in_backward():
    """The backward reads the hidden states it returned: an in-place change of the output
    must raise (as PyTorch), not give a silently wrong gradient."""
    xz, h0, c0, w = (leaf(a) for a in _arrays(5))
    hs, c_last = LSTMScan.apply(xz, h0, c0, w)
    hs.mul_(2.0)
    with pytest.raises(RuntimeError, match="LSTMScan.*modified by an inplace operation"):
        hs.sum().backward()


def test_retain_graph_gives_the_same_gradient_twice():
    xz, h0, c0, w = (leaf(a) for a in _arrays(6))
    hs, c_last = LSTMScan.apply(xz, h0, c0, w)
    up = md.tensor(np.random.default_rng(7).standard_normal(hs.shape))
    hs.backward(up, retain_graph=True)
    first = [t.grad.numpy().copy() for t in (xz, h0, c0, w)]
    hs.backward(up)
    for t, g in zip((xz, h0, c0, w), first):
        np.testing.assert_allclose(t.grad.numpy(), 2 * g, rtol=1e-13, atol=1e-14)
