"""nn.Embedding: the table, padding_idx, PyTorch forward and gradient, bad input."""
import numpy as np
import pytest

import minidl as md
import minidl.nn as nn


def test_weight_is_standard_normal():
    emb = nn.Embedding(400, 50)
    assert list(emb.state_dict()) == ["weight"] and emb.weight.shape == (400, 50)
    w = emb.weight.numpy()
    assert w.dtype == np.float32
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1.0) < 0.02       # N(0, 1), 20 000 draws


def test_padding_row_is_zero_and_stays_zero_under_training():
    emb = nn.Embedding(5, 3, padding_idx=1)
    np.testing.assert_array_equal(emb.weight.numpy()[1], np.zeros(3))
    idx = md.tensor([[1, 2, 1], [4, 1, 0]])
    y = emb(idx)
    np.testing.assert_array_equal(y.numpy()[0, 0], np.zeros(3))
    y.backward(np.ones((2, 3, 3), dtype=np.float32))
    np.testing.assert_array_equal(emb.weight.grad[1], np.zeros(3))
    np.testing.assert_array_equal(emb.weight.grad[[0, 2, 3, 4], 0], [1.0, 1.0, 0.0, 1.0])
    assert nn.Embedding(5, 3, padding_idx=-1).padding_idx == 4


def test_repr():
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"


def test_against_torch_with_padding_idx():
    torch = pytest.importorskip("torch")
    t_emb = torch.nn.Embedding(7, 4, padding_idx=3, dtype=torch.float64)
    emb = nn.Embedding(7, 4, padding_idx=3, dtype=np.float64)
    emb.load_state_dict(t_emb.state_dict())
    idx = np.array([[3, 1, 6, 1], [0, 3, 3, 6]])
    up = np.random.default_rng(0).standard_normal((2, 4, 4))
    t_y = t_emb(torch.tensor(idx))
    t_y.backward(torch.tensor(up))
    y = emb(md.tensor(idx))
    y.backward(up)
    np.testing.assert_allclose(y.numpy(), t_y.detach().numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(emb.weight.grad, t_emb.weight.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match=r"embedding: indices must be in \[0, 4\).*\[4, 7\]"):
        nn.Embedding(4, 2)(md.tensor([0, 4, 7]))
    with pytest.raises(ValueError, match=r"Embedding: padding_idx must be in \[-4, 4\), got 4"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match=r"Embedding: embedding_dim must be a positive int"):
        nn.Embedding(4, 0)
