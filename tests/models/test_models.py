"""The article's three models (shapes, the CNN's computed flatten size) and the data."""
import numpy as np
import pytest

import minidl as md
from minidl.models import CNN, LSTMModel, TransformerModel
from minidl.models.cnn import conv_out_size
from minidl.models.data import MissingExtraError, resize_bilinear


# ---------------------------------------------------------------------------- models
@pytest.mark.parametrize("n", [1, 3])
def test_cnn_output_shape(n):
    model = CNN(input_size=28)
    assert model(md.randn(n, 1, 28, 28)).shape == (n, 10)


@pytest.mark.parametrize("size, features", [(28, 64 * 5 * 5), (56, 9216), (32, 64 * 6 * 6),
                                            (10, 64)])
def test_cnn_flatten_size_is_computed(size, features):
    # 28 → 26 → 13 → 11 → 5: 1600 features; 9216 = 64·12·12 needs a 54..57 input
    model = CNN(input_size=size, num_classes=7)
    assert model.fc1.in_features == features == model.flat_features
    assert model(md.zeros(2, 1, size, size)).shape == (2, 7)


def test_cnn_forward_is_conv_pool_twice():
    """The forward equals the layers applied by hand, in the article's order."""
    import minidl.functional as F
    model = CNN(input_size=12)
    x = md.randn(2, 1, 12, 12)
    h = F.max_pool2d(F.relu(model.conv1(x)), 2)
    h = F.max_pool2d(F.relu(model.conv2(h)), 2)
    want = model.fc2(F.relu(model.fc1(h.reshape(2, -1))))
    np.testing.assert_allclose(model(x).numpy(), want.numpy(), rtol=1e-6)


def test_cnn_rejects_too_small_input():
    with pytest.raises(ValueError, match="CNN: input_size 9"):
        CNN(input_size=9)


def test_conv_out_size():
    assert conv_out_size(28, 3) == 26 and conv_out_size(26, 2, 2) == 13
    assert conv_out_size(11, 2, 2) == 5 and conv_out_size(5, 3, 2, 1) == 3


def test_lstm_output_shape_and_last_step():
    model = LSTMModel(input_size=8, hidden_size=6, num_layers=2, num_classes=10)
    x = md.randn(4, 8, 8)
    logits = model(x)
    assert logits.shape == (4, 10)
    out, _ = model.lstm(x)
    np.testing.assert_allclose(logits.numpy(), model.fc(out[:, -1, :]).numpy(), rtol=1e-6)


def test_transformer_output_shape_and_mean_pooling():
    model = TransformerModel(8, hidden_size=8, num_layers=2, num_heads=2, num_classes=10,
                             dropout=0.0)
    model.eval()
    x = md.randn(5, 8, 8)
    assert model(x).shape == (5, 10)
    # the article's forward, step by step: project, ×√d_model, + PE, encoder, mean, fc
    h = model.embedding(x.transpose(1, 0, 2)) * np.sqrt(8)
    h = model.transformer_encoder(model.pos_encoder(h))
    np.testing.assert_allclose(model(x).numpy(), model.fc(h.mean(axis=0)).numpy(), rtol=1e-5,
                               atol=1e-6)


def test_transformer_layer_arguments_in_the_right_places():
    model = TransformerModel(8, hidden_size=16, num_layers=1, num_heads=4, num_classes=10,
                             dim_feedforward=24)
    layer = model.transformer_encoder.layers[0]
    assert layer.self_attn.num_heads == 4                 # nhead, not hidden_size
    assert layer.linear1.weight.shape == (24, 16)         # (dim_feedforward, d_model)
    assert model.embedding.weight.shape == (16, 8)        # input rows → d_model


def test_transformer_sees_order():
    """The positional encoding makes the model depend on the order of the rows."""
    model = TransformerModel(8, hidden_size=8, num_layers=1, num_heads=2, num_classes=10,
                             dropout=0.0).eval()
    x = md.randn(2, 8, 8)
    flipped = md.tensor(x.numpy()[:, ::-1].copy())
    assert not np.allclose(model(x).numpy(), model(flipped).numpy())


# ---------------------------------------------------------------------------- data
def _bilinear_loop(img, height, width):
    """A literal loop: half-pixel centres, clamped at the border."""
    H, W = img.shape
    out = np.zeros((height, width))
    for o in range(height):
        for p in range(width):
            s = min(max((o + 0.5) * H / height - 0.5, 0), H - 1)
            t = min(max((p + 0.5) * W / width - 0.5, 0), W - 1)
            i0, j0 = int(np.floor(s)), int(np.floor(t))
            i1, j1 = min(i0 + 1, H - 1), min(j0 + 1, W - 1)
            a, b = s - i0, t - j0
            out[o, p] = ((1 - a) * (1 - b) * img[i0, j0] + (1 - a) * b * img[i0, j1]
                         + a * (1 - b) * img[i1, j0] + a * b * img[i1, j1])
    return out


def test_resize_bilinear_matches_a_literal_loop():
    pytest.importorskip("scipy")
    rng = np.random.default_rng(0)
    imgs = rng.random((3, 8, 8))
    got = resize_bilinear(imgs, 28, 28)
    assert got.shape == (3, 28, 28)
    for n in range(3):
        np.testing.assert_allclose(got[n], _bilinear_loop(imgs[n], 28, 28), rtol=1e-12)


def test_resize_bilinear_hand_cases():
    pytest.importorskip("scipy")
    np.testing.assert_allclose(resize_bilinear(np.array([[[0.0, 1.0]]]), 1, 4),
                               [[[0.0, 0.25, 0.75, 1.0]]])
    const = np.full((1, 8, 8), 0.3)
    np.testing.assert_allclose(resize_bilinear(const, 28, 28), 0.3)
    same = np.random.default_rng(1).random((2, 5, 5))
    np.testing.assert_allclose(resize_bilinear(same, 5, 5), same)   # identity size
    odd = np.random.default_rng(2).random((2, 7, 5))
    got = resize_bilinear(odd, 10, 3)                              # down along W
    assert got.shape == (2, 10, 3)
    np.testing.assert_allclose(got[1], _bilinear_loop(odd[1], 10, 3), rtol=1e-12)


def test_resize_bilinear_without_scipy_says_what_to_install(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)
    with pytest.raises(MissingExtraError, match=r"minidl\[examples\]"):
        resize_bilinear(np.zeros((1, 8, 8)), 28, 28)


def test_resize_bilinear_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"resize_bilinear: images must be \(N, H, W\)"):
        resize_bilinear(np.zeros((8, 8)), 28, 28)


def test_digits_split():
    pytest.importorskip("sklearn")
    from minidl.models.data import load_digits
    d = load_digits()
    assert d.x_train.shape == (1437, 8, 8) and d.x_test.shape == (360, 8, 8)
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    # stratified: every class has (almost) the same share in both parts
    train_share = np.bincount(d.y_train, minlength=10) / len(d.y_train)
    test_share = np.bincount(d.y_test, minlength=10) / len(d.y_test)
    np.testing.assert_allclose(train_share, test_share, atol=0.005)
    again = load_digits()
    np.testing.assert_array_equal(d.y_test, again.y_test)              # fixed split
    x28, y, xt28, yt = d.view("image28")
    assert x28.shape == (1437, 1, 28, 28) and x28.dtype == np.float32
    assert d.view("rows")[0].shape == (1437, 8, 8)
    with pytest.raises(ValueError, match="Digits.view: kind"):
        d.view("pixels")
