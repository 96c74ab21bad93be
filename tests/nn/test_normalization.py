"""nn.LayerNorm: parameters, state dict, PyTorch forward and every gradient, bad input."""
import numpy as np
import pytest

import minidl as md
import minidl.nn as nn


def test_parameters_and_initialisation():
    ln = nn.LayerNorm((3, 4))
    assert [(k, v.shape) for k, v in ln.state_dict().items()] == [("weight", (3, 4)),
                                                                  ("bias", (3, 4))]
    np.testing.assert_array_equal(ln.weight.numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(ln.bias.numpy(), np.zeros((3, 4)))
    assert ln.weight.dtype == np.float32 and ln.normalized_shape == (3, 4)
    assert nn.LayerNorm(5).normalized_shape == (5,)


def test_without_affine_or_bias():
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []
    ln = nn.LayerNorm(4, bias=False)
    assert list(ln.state_dict()) == ["weight"] and ln.bias is None
    x = md.tensor(np.array([[1.0, 2.0, 3.0, 6.0]]))
    np.testing.assert_allclose(ln(x).numpy(), nn.LayerNorm(4, elementwise_affine=False)(x).numpy())


def test_forward_uses_eps():
    x = md.tensor(np.array([[0.0, 2.0]]))                 # σ² = 1
    np.testing.assert_allclose(nn.LayerNorm(2, eps=3.0)(x).numpy(), [[-0.5, 0.5]], rtol=1e-7)


def test_repr():
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True)"


@pytest.mark.parametrize("normalized_shape, shape", [(6, (4, 6)), ((2, 5), (3, 2, 5)),
                                                     ((3,), (2, 2, 3))])
@pytest.mark.parametrize("bias", [True, False])
def test_against_torch(normalized_shape, shape, bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    t_ln = torch.nn.LayerNorm(normalized_shape, eps=1e-4, bias=bias, dtype=torch.float64)
    with torch.no_grad():                                 # non-trivial γ, β
        for p in t_ln.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    ln = nn.LayerNorm(normalized_shape, eps=1e-4, bias=bias, dtype=np.float64)
    ln.load_state_dict(t_ln.state_dict())
    assert list(ln.state_dict()) == list(t_ln.state_dict())

    x = rng.standard_normal(shape) * 3 + 1
    up = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    t_y = t_ln(tx)
    t_y.backward(torch.tensor(up))
    mx = md.tensor(x, requires_grad=True)
    y = ln(mx)
    y.backward(up)
    np.testing.assert_allclose(y.numpy(), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(mx.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    t_params = dict(t_ln.named_parameters())
    for name, p in ln.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), rtol=1e-9, atol=1e-10)


def test_bad_input():
    with pytest.raises(ValueError, match=r"layer_norm: .*normalized_shape \(8,\).*\(2, 3, 4\)"):
        nn.LayerNorm(8)(md.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"LayerNorm: normalized_shape"):
        nn.LayerNorm((4, -1))
    with pytest.raises(ValueError, match=r"LayerNorm: eps"):
        nn.LayerNorm(4, eps=-0.1)
