"""The fused LSTM scan (minidl/ops/recurrent.py) split over the batch on several threads:
the same outputs and gradients as one thread and as the composite recurrence.
(Its formula, gradcheck and PyTorch tests are in tests/nn/test_recurrent.py.)"""
import numpy as np
import pytest

import minidl as md
from minidl import parallel
from minidl.ops import recurrent
from minidl.ops.recurrent import LSTMScan, lstm_scan_composite
from tests.helpers import leaf


def _run(f, arrays, upstream):
    leaves = [leaf(a) for a in arrays]
    hs, c_last = f(*leaves)
    md.autograd.backward([hs, c_last], [md.tensor(u) for u in upstream])
    return [hs.numpy(), c_last.numpy()] + [t.grad.numpy() for t in leaves]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_split_over_the_batch_matches_the_composite(threads, monkeypatch):
    monkeypatch.setattr(recurrent, "_MIN_ROWS", 2)
    rng = np.random.default_rng(2)
    L, N, H = 4, 7, 3
    arrays = [rng.standard_normal(s) for s in [(L, N, 4 * H), (N, H), (N, H), (4 * H, H)]]
    upstream = [rng.standard_normal((L, N, H)), rng.standard_normal((N, H))]
    want = _run(lstm_scan_composite, arrays, upstream)
    before = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        got = _run(LSTMScan.apply, arrays, upstream)
    finally:
        parallel.set_num_threads(before)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def test_float32_batch_split_equals_one_thread(monkeypatch):
    monkeypatch.setattr(recurrent, "_MIN_ROWS", 4)
    rng = np.random.default_rng(3)
    L, N, H = 5, 16, 8
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in [(L, N, 4 * H), (N, H), (N, H), (4 * H, H)]]
    upstream = [rng.standard_normal((L, N, H)), rng.standard_normal((N, H))]
    results = []
    before = parallel.get_num_threads()
    for threads in (1, 2):
        parallel.set_num_threads(threads)
        try:
            leaves = [md.tensor(a, requires_grad=True) for a in arrays]
            hs, c_last = LSTMScan.apply(*leaves)
            md.autograd.backward([hs, c_last], [md.tensor(u, dtype=np.float32) for u in upstream])
            results.append([hs.numpy(), c_last.numpy()] + [t.grad.numpy() for t in leaves])
        finally:
            parallel.set_num_threads(before)
    for a, b in zip(*results):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
