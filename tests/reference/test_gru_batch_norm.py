"""The literal GRU and batch-norm references: hand-computed cases and PyTorch (float64)."""
import math

import numpy as np
import pytest

import minidl.reference as ref


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def test_gru_cell_hand_computed():
    # D = H = 1; r = σ(2), z = σ(−1), n = tanh(0.5 + r·(−1·3 + 0.2))
    w_ih, w_hh = np.array([[1.0], [-1.0], [0.5]]), np.array([[1.0 / 3], [0.0], [-1.0]])
    b_hh = np.array([0.0, 0.0, 0.2])
    r, z = _sigmoid(1.0 + 1.0), _sigmoid(-1.0)
    n = math.tanh(0.5 + r * (-3.0 + 0.2))
    out = ref.gru_cell(np.array([1.0]), np.array([3.0]), w_ih, w_hh, None, b_hh)
    np.testing.assert_allclose(out, [(1 - z) * n + z * 3.0], rtol=1e-15)


def test_batch_norm_hand_computed():
    x = np.array([[[1.0, 3.0]], [[5.0, 7.0]]])                    # (N, C, L) = (2, 1, 2)
    y, m, v = ref.batch_norm(x, np.zeros(1), np.ones(1), np.array([2.0]), np.array([1.0]),
                             training=True, momentum=0.5, eps=0.0)
    s = math.sqrt(5.0)                                            # μ = 4, σ² = 5, unbiased 20/3
    np.testing.assert_allclose(y[:, 0], 2 * (np.array([[1.0, 3.0], [5.0, 7.0]]) - 4) / s + 1,
                               rtol=1e-15)
    np.testing.assert_allclose(m, [2.0])
    np.testing.assert_allclose(v, [0.5 + 0.5 * 20 / 3], rtol=1e-15)
    y, m2, v2 = ref.batch_norm(x, m, v, eps=0.0)                  # evaluation: stats unchanged
    np.testing.assert_allclose(y, (x - 2.0) / math.sqrt(v[0]), rtol=1e-15)
    np.testing.assert_array_equal((m2, v2), (m, v))


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3), (2, 3, 2, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_against_torch(shape, training):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    C = shape[1]
    x = rng.standard_normal(shape)
    rm, rv, w, b = rng.standard_normal(C), rng.uniform(0.5, 2, C), rng.standard_normal(C), \
        rng.standard_normal(C)
    y, m, v = ref.batch_norm(x, rm, rv, w, b, training, 0.25, 1e-3)
    rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)
    want = torch.nn.functional.batch_norm(torch.tensor(x), rm_t, rv_t, torch.tensor(w),
                                          torch.tensor(b), training, 0.25, 1e-3)
    np.testing.assert_allclose(y, want.numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(m, rm_t.numpy(), rtol=1e-14)
    np.testing.assert_allclose(v, rv_t.numpy(), rtol=1e-14)


@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, False), (2, True)])
def test_gru_against_torch(num_layers, bidirectional):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    L, N, D, H = 4, 2, 3, 5
    layer = torch.nn.GRU(D, H, num_layers, bidirectional=bidirectional).double()
    x = np.random.default_rng(1).standard_normal((L, N, D))
    h0 = np.random.default_rng(2).standard_normal((num_layers * (1 + bidirectional), N, H))
    want_out, want_h = layer(torch.tensor(x), torch.tensor(h0))
    p = {k: v.detach().numpy() for k, v in layer.named_parameters()}
    sfx = ["", "_reverse"][:1 + bidirectional]
    weights = [[tuple(p[f"{n}_l{k}{s}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
                for s in sfx] for k in range(num_layers)]
    out, h_n = ref.gru(x, h0, weights, bidirectional)
    np.testing.assert_allclose(out, want_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n, want_h.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_gru_cell_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = [rng.standard_normal(s) for s in [(3, 4), (3, 2), (6, 4), (6, 2), (6,), (6,)]]
    want = torch.gru_cell(*[torch.tensor(v) for v in a])
    np.testing.assert_allclose(ref.gru_cell(*a), want.numpy(), rtol=1e-12, atol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match=r"gru_cell: w_ih must be \(3H, D\)"):
        ref.gru_cell(np.zeros((1, 2)), None, np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var are needed"):
        ref.batch_norm(np.zeros((2, 2)), None, None)
