"""The references added for the docs (F3, F9, F10, F11) against NumPy, hand cases and PyTorch."""
import math

import numpy as np
import pytest

import minidl.reference as ref

rng = np.random.default_rng(7)


def test_linear_is_x_wt_plus_b():
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((3, 5)), rng.standard_normal(3)
    np.testing.assert_allclose(ref.linear(x, W, b), x @ W.T + b, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ref.linear(x, W), x @ W.T, rtol=1e-13, atol=1e-13)


def test_linear_rejects_mismatched_features():
    with pytest.raises(ValueError, match="linear"):
        ref.linear(np.ones((2, 3)), np.ones((4, 5)))


def test_softmax_rows_and_extreme_logits():
    x = np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]])
    y = ref.softmax(x)
    np.testing.assert_allclose(y[0], [1.0, 0.0, 0.0], atol=0)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(y[1], e / e.sum(), rtol=1e-14)
    np.testing.assert_allclose(np.exp(ref.log_softmax(x)), y, rtol=1e-14, atol=1e-300)
    assert ref.log_softmax(x)[0, 2] == pytest.approx(-2e4)


def test_cross_entropy_hand_case():
    x = np.array([[0.0, math.log(3.0)], [0.0, 0.0]])
    # row 0: class 1 has probability 3/4; row 1: class 0 has 1/2
    assert ref.cross_entropy(x, np.array([1, 0])) == pytest.approx(
        (-math.log(0.75) - math.log(0.5)) / 2, rel=1e-14)


def test_positional_encoding_formula():
    pe = ref.positional_encoding(6, 8)
    assert pe[0].tolist() == [0.0, 1.0] * 4
    assert pe[1, 0] == pytest.approx(math.sin(1.0)) and pe[1, 1] == pytest.approx(math.cos(1.0))
    assert pe[3, 2] == pytest.approx(math.sin(3 / 10000 ** (2 / 8)))
    assert pe[5, 7] == pytest.approx(math.cos(5 / 10000 ** (6 / 8)))


def test_layer_norm_against_numpy():
    x = rng.standard_normal((3, 4, 6))
    g, b = rng.standard_normal(6), rng.standard_normal(6)
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    np.testing.assert_allclose(ref.layer_norm(x, g, b), (x - mu) / np.sqrt(var + 1e-5) * g + b,
                               rtol=1e-12, atol=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 7)) * 3
    t = np.array([0, 6, 3, 3])
    tx = torch.tensor(x)
    np.testing.assert_allclose(ref.softmax(x), torch.softmax(tx, 1).numpy(), rtol=1e-13)
    np.testing.assert_allclose(ref.log_softmax(x), torch.log_softmax(tx, 1).numpy(), rtol=1e-13)
    assert ref.cross_entropy(x, t) == pytest.approx(
        torch.nn.functional.cross_entropy(tx, torch.tensor(t)).item(), rel=1e-13)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_against_torch(norm_first, activation):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation,
                                             norm_first=norm_first).double().train()
    src = rng.standard_normal((5, 3, 8))
    mask = np.zeros((3, 5), dtype=bool)
    mask[1, 3:] = True                                    # batch 1 ignores its last two keys
    expected = layer(torch.tensor(src), src_key_padding_mask=torch.tensor(mask)).detach().numpy()
    params = {k: v.numpy() for k, v in layer.state_dict().items()}
    got = ref.transformer_encoder_layer(src, params, 2, activation=activation,
                                        norm_first=norm_first, src_key_padding_mask=mask)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
