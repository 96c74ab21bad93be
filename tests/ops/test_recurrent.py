"""The fused LSTM scan (minidl/ops/recurrent.py) against the composite recurrence it
fuses: outputs and every gradient, float64, random upstream gradients.
(Its gradcheck and PyTorch tests are in tests/nn/test_recurrent.py.)"""
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
