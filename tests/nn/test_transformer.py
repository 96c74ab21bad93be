"""PositionalEncoding (F9), TransformerEncoderLayer and TransformerEncoder (F10)."""
import copy
import math

import numpy as np
import pytest

import minidl as md
import minidl.functional as F
import minidl.nn as nn
import minidl.reference as ref

L, N, E, H, FF = 5, 3, 8, 2, 16       # sequence length, batch, d_model, heads, dim_feedforward


# ====================================================================== PositionalEncoding
def test_pe_hand_values():
    pe = nn.PositionalEncoding(d_model=4, max_len=10).pe.numpy().astype(np.float64)
    np.testing.assert_allclose(pe[0], [0.0, 1.0, 0.0, 1.0], atol=1e-7)   # sin 0, cos 0
    np.testing.assert_allclose(pe[1, 0], math.sin(1.0), rtol=1e-6)        # PE(1, 0) = sin 1
    np.testing.assert_allclose(pe[1, 1], math.cos(1.0), rtol=1e-6)        # PE(1, 1) = cos 1
    np.testing.assert_allclose(pe[2, 2], math.sin(2 / 100), rtol=1e-6)    # 10000^(2/4) = 100
    np.testing.assert_allclose(pe[3, 3], math.cos(3 / 100), rtol=1e-6)


@pytest.mark.parametrize("d_model", [1, 2, 5, 6, 16])
def test_pe_table_against_formula_and_reference(d_model):
    md.set_default_dtype(np.float64)
    max_len = 30
    pe = nn.PositionalEncoding(d_model, max_len=max_len).pe.numpy()
    assert pe.shape == (max_len, d_model)
    expected = np.zeros((max_len, d_model))
    for pos in range(max_len):
        for i in range((d_model + 1) // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            expected[pos, 2 * i] = math.sin(angle)
            if 2 * i + 1 < d_model:
                expected[pos, 2 * i + 1] = math.cos(angle)
    np.testing.assert_allclose(pe, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pe, ref.positional_encoding(max_len, d_model), rtol=1e-12,
                               atol=1e-14)


def test_pe_odd_d_model_has_floor_half_cosine_columns():
    md.set_default_dtype(np.float64)
    pe = nn.PositionalEncoding(5, max_len=8).pe.numpy()
    pos = np.arange(8.0)
    np.testing.assert_allclose(pe[:, 4], np.sin(pos / 10000 ** (4 / 5)), rtol=1e-12)  # a sine
    np.testing.assert_allclose(pe[:, 1::2], np.cos(pos[:, None] / 10000 ** (np.array([0, 2]) / 5)),
                               rtol=1e-12)                                 # ⌊5/2⌋ = 2 cosines


def test_pe_against_torch_tutorial_formula():
    torch = pytest.importorskip("torch")
    d_model, max_len = 12, 50
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64)
                         * (-math.log(10000.0) / d_model))
    table = torch.zeros(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * div_term)
    table[:, 1::2] = torch.cos(position * div_term)
    md.set_default_dtype(np.float64)
    np.testing.assert_allclose(nn.PositionalEncoding(d_model, max_len).pe.numpy(), table.numpy(),
                               rtol=1e-12, atol=1e-13)


def test_pe_is_a_buffer_not_a_parameter():
    pe = nn.PositionalEncoding(6, max_len=20)
    assert list(pe.parameters()) == []
    assert list(pe.state_dict()) == ["pe"] and pe.state_dict()["pe"].shape == (20, 6)
    assert [name for name, _ in pe.named_buffers()] == ["pe"]
    assert pe.pe.dtype == np.float32
    pe.double()
    assert pe.pe.dtype == np.float64


@pytest.mark.parametrize("batch_first", [False, True])
def test_pe_forward_adds_the_table_in_both_layouts(batch_first):
    rng = np.random.default_rng(0)
    pe = nn.PositionalEncoding(E, max_len=10, batch_first=batch_first).double()
    x = rng.standard_normal((N, L, E) if batch_first else (L, N, E))
    table = ref.positional_encoding(10, E)[:L]     # float64-exact, though .double() cast float32
    expected = x + (table[None] if batch_first else table[:, None])
    np.testing.assert_allclose(pe(md.tensor(x)).numpy(), expected, rtol=1e-15, atol=1e-15)
    unbatched = rng.standard_normal((L, E))
    np.testing.assert_allclose(pe(md.tensor(unbatched)).numpy(), unbatched + table, rtol=1e-15,
                               atol=1e-15)


def test_pe_gradient_passes_straight_through_and_dtype_is_kept():
    pe = nn.PositionalEncoding(E, max_len=10)
    x = md.tensor(np.random.default_rng(1).standard_normal((L, N, E)), requires_grad=True)
    up = np.random.default_rng(2).standard_normal((L, N, E))
    y = pe(x)
    assert y.dtype == np.float64                 # a float32 table never changes x's dtype
    y.backward(up)
    np.testing.assert_array_equal(x.grad, up)
    assert pe(md.randn(L, N, E)).dtype == np.float32


def test_pe_dropout_in_training_only():
    pe = nn.PositionalEncoding(E, max_len=10, dropout=0.5)
    x = md.ones(L, N, E)
    y = pe(x).numpy()
    kept = y != 0
    assert 0 < kept.mean() < 1
    expected = 2.0 * (1.0 + pe.pe.numpy()[:L, None])              # scaled by 1/(1 − p)
    np.testing.assert_allclose(y[kept], np.broadcast_to(expected, y.shape)[kept], rtol=1e-6)
    pe.eval()
    np.testing.assert_allclose(pe(x).numpy(), np.broadcast_to(expected / 2, (L, N, E)), rtol=1e-7)


def test_pe_bad_input():
    pe = nn.PositionalEncoding(4, max_len=6)
    with pytest.raises(ValueError, match=r"PositionalEncoding: input has length L = 7 .*max_len = 6"):
        pe(md.zeros(7, 2, 4))
    with pytest.raises(ValueError, match=r"PositionalEncoding: input must be \(L, N, E\).*"
                                         r"d_model = 4, got shape \(3, 2, 5\)"):
        pe(md.zeros(3, 2, 5))
    with pytest.raises(ValueError, match=r"PositionalEncoding: .*got shape \(1, 3, 2, 4\)"):
        pe(md.zeros(1, 3, 2, 4))
    with pytest.raises(ValueError, match=r"length L = 7 .*\(3, 7, 4\)"):
        nn.PositionalEncoding(4, max_len=6, batch_first=True)(md.zeros(3, 7, 4))
    with pytest.raises(ValueError, match=r"PositionalEncoding: d_model"):
        nn.PositionalEncoding(0)
    with pytest.raises(ValueError, match=r"PositionalEncoding: dropout"):
        nn.PositionalEncoding(4, dropout=1.5)


def test_pe_docstring_explains_the_sqrt_d_model_scaling():
    doc = nn.PositionalEncoding.__doc__
    assert "src * √d_model + PE" in doc and "belongs to the model" in doc


# ====================================================================== encoder layer
TORCH_NAMES = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
               "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
               "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]


def _randomize(module, rng):
    """Give every parameter of a PyTorch module independent random values."""
    import torch
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))


def test_layer_structure_and_state_dict_names():
    layer = nn.TransformerEncoderLayer(E, H, FF)
    assert list(layer.state_dict()) == TORCH_NAMES
    assert isinstance(layer.self_attn, nn.MultiheadAttention)
    for name in ("dropout", "dropout1", "dropout2"):
        assert isinstance(getattr(layer, name), nn.Dropout) and getattr(layer, name).p == 0.1
    assert layer.linear1.weight.shape == (FF, E) and layer.linear2.weight.shape == (E, FF)
    assert layer.norm_first is False and layer.activation is F.relu
    assert nn.TransformerEncoderLayer(E, H, activation="gelu").activation is F.gelu
    no_bias = nn.TransformerEncoderLayer(E, H, FF, bias=False)
    assert list(no_bias.state_dict()) == ["self_attn.in_proj_weight", "self_attn.out_proj.weight",
                                          "linear1.weight", "linear2.weight", "norm1.weight",
                                          "norm2.weight"]


def test_state_dict_names_equal_torch():
    torch = pytest.importorskip("torch")
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, FF), 2,
                                        norm=torch.nn.LayerNorm(E), enable_nested_tensor=False)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF), 2, norm=nn.LayerNorm(E))
    assert list(enc.state_dict()) == list(t_enc.state_dict())
    for k, v in enc.state_dict().items():
        assert v.shape == tuple(t_enc.state_dict()[k].shape)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal+padding"])
def test_layer_against_literal_reference(norm_first, masks):
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(3)
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first)
    for p in layer.parameters():
        p.numpy()[...] = rng.standard_normal(p.shape) * 0.5
    x = rng.standard_normal((L, N, E))
    src_mask = kpm = None
    if masks != "none":
        src_mask = np.triu(np.ones((L, L), bool), 1)           # True = may not attend
        kpm = np.zeros((N, L), bool)
        kpm[1, -2:] = True
    y = layer(md.tensor(x), src_mask=src_mask, src_key_padding_mask=kpm)
    expected = ref.transformer_encoder_layer(x, layer.state_dict(), H, norm_first=norm_first,
                                             src_mask=src_mask, src_key_padding_mask=kpm)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)


def _compare_encoders(torch, *, norm_first=False, activation="relu", batch_first=False,
                      masks="none", final_norm=False, num_layers=2, seed=0):
    """Forward and every gradient of a minidl encoder against PyTorch's, in float64."""
    rng = np.random.default_rng(seed)
    kwargs = dict(dim_feedforward=FF, dropout=0.0, batch_first=batch_first,
                  norm_first=norm_first)
    t_act = {"relu": "relu", "gelu": "gelu", "tanh": torch.tanh}[activation]
    m_act = {"relu": "relu", "gelu": "gelu", "tanh": F.tanh}[activation]
    t_layer = torch.nn.TransformerEncoderLayer(E, H, activation=t_act, dtype=torch.float64,
                                               **kwargs)
    t_norm = torch.nn.LayerNorm(E, dtype=torch.float64) if final_norm else None
    t_enc = torch.nn.TransformerEncoder(t_layer, num_layers, norm=t_norm,
                                        enable_nested_tensor=False)
    _randomize(t_enc, rng)
    t_enc.train()                             # no fast path; dropout is 0 anyway
    layer = nn.TransformerEncoderLayer(E, H, activation=m_act, dtype=np.float64, **kwargs)
    enc = nn.TransformerEncoder(layer, num_layers,
                                norm=nn.LayerNorm(E, dtype=np.float64) if final_norm else None)
    enc.load_state_dict(t_enc.state_dict())

    shape = (N, L, E) if batch_first else (L, N, E)
    x = rng.standard_normal(shape)
    up = rng.standard_normal(shape)
    bool_causal = np.triu(np.ones((L, L), bool), 1)                # True = may not attend
    float_causal = np.where(bool_causal, -np.inf, 0.0)
    padding = np.zeros((N, L), bool)
    padding[0, -2:] = True
    padding[2, -1] = True
    t_kw, m_kw = {}, {}
    if masks == "bool_causal":
        t_kw["mask"] = torch.tensor(bool_causal)
        m_kw["mask"] = bool_causal
    elif masks == "float_causal":
        t_kw["mask"] = torch.tensor(float_causal)
        m_kw["mask"] = md.tensor(float_causal)
    elif masks == "is_causal":                  # PyTorch needs the mask with the hint
        t_kw = dict(mask=torch.tensor(bool_causal), is_causal=True)
        m_kw = dict(is_causal=True)
    elif masks == "is_causal_hint":
        t_kw = dict(mask=torch.tensor(bool_causal), is_causal=True)
        m_kw = dict(mask=bool_causal, is_causal=True)
    elif masks == "padding":
        t_kw["src_key_padding_mask"] = torch.tensor(padding)
        m_kw["src_key_padding_mask"] = padding
    elif masks == "causal+padding":
        t_kw = dict(mask=torch.tensor(bool_causal), src_key_padding_mask=torch.tensor(padding))
        m_kw = dict(mask=bool_causal, src_key_padding_mask=padding)

    tx = torch.tensor(x, requires_grad=True)
    t_y = t_enc(tx, **t_kw)
    t_y.backward(torch.tensor(up))
    mx = md.tensor(x, requires_grad=True)
    y = enc(mx, **m_kw)
    y.backward(up)

    np.testing.assert_allclose(y.numpy(), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(mx.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    t_params = dict(t_enc.named_parameters())
    names = [name for name, _ in enc.named_parameters()]
    assert names == list(t_params)
    for name, p in enc.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), rtol=1e-9, atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_against_torch_layouts(norm_first, activation, batch_first):
    torch = pytest.importorskip("torch")
    _compare_encoders(torch, norm_first=norm_first, activation=activation,
                      batch_first=batch_first, masks="causal+padding")


@pytest.mark.parametrize("masks", ["none", "bool_causal", "float_causal", "is_causal",
                                   "is_causal_hint", "padding"])
@pytest.mark.parametrize("config", [dict(), dict(norm_first=True, activation="gelu",
                                                  batch_first=True)])
def test_encoder_against_torch_masks(masks, config):
    torch = pytest.importorskip("torch")
    _compare_encoders(torch, masks=masks, **config)


def test_encoder_with_final_norm_and_callable_activation_against_torch():
    torch = pytest.importorskip("torch")
    _compare_encoders(torch, final_norm=True, activation="tanh", num_layers=3, masks="padding")


def test_layer_gradient_check():
    """A tiny layer's gradients against central differences (float64, random upstream)."""
    md.set_default_dtype(np.float64)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu")
    x = md.tensor(np.random.default_rng(4).standard_normal((3, 2, 4)), requires_grad=True)
    params = [p for _, p in layer.named_parameters()]
    mask = np.triu(np.ones((3, 3), bool), 1)
    assert md.gradcheck(lambda x_, *_: layer(x_, src_mask=mask), (x, *params), atol=1e-6,
                        rtol=1e-5)


def test_layer_unbatched_input_matches_batch_of_one():
    md.set_default_dtype(np.float64)
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0)
    x = np.random.default_rng(5).standard_normal((L, E))
    np.testing.assert_allclose(layer(md.tensor(x)).numpy(),
                               layer(md.tensor(x[:, None])).numpy()[:, 0], rtol=1e-12, atol=1e-13)


def test_dropout_is_active_in_training_and_off_in_eval():
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.5)
    x = md.randn(L, N, E)
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())


# ====================================================================== encoder stack
def test_encoder_layers_are_independent_deep_copies():
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0)
    enc = nn.TransformerEncoder(layer, num_layers=3)
    assert len(enc.layers) == 3 and enc.norm is None
    ids = {id(p) for p in enc.parameters()}
    assert len(ids) == 3 * len(list(layer.parameters()))            # nothing shared
    assert not ids & {id(p) for p in layer.parameters()}            # not the original's
    for copy_ in enc.layers:                                        # same initial values
        for (k, a), (_, b) in zip(copy_.state_dict().items(), layer.state_dict().items()):
            np.testing.assert_array_equal(a, b, err_msg=k)
            assert not np.shares_memory(copy_._state_tensors()[k].numpy(),
                                        layer._state_tensors()[k].numpy())
    enc.layers[0].linear1.weight.numpy()[...] = 0.0                    # changing one copy ...
    assert np.abs(enc.layers[1].linear1.weight.numpy()).sum() > 0      # ... leaves the others
    y = enc(md.randn(L, N, E)).sum()
    y.backward()
    assert enc.layers[2].linear1.weight.grad is not None and layer.linear1.weight.grad is None


def test_deepcopy_of_a_module_copies_parameters():
    lin = nn.Linear(3, 2)
    twin = copy.deepcopy(lin)
    assert isinstance(twin.weight, nn.Parameter) and twin.weight.requires_grad
    assert twin.weight is not lin.weight and not np.shares_memory(twin.weight.numpy(), lin.weight.numpy())
    np.testing.assert_array_equal(twin.weight.numpy(), lin.weight.numpy())


def test_encoder_forward_is_the_layers_in_turn_then_the_norm():
    md.set_default_dtype(np.float64)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, dropout=0.0), 2,
                                norm=nn.LayerNorm(E))
    enc.layers[1].norm2.bias.numpy()[...] = 0.3                     # make the layers differ
    enc.norm.weight.numpy()[...] = 2.0
    x = md.tensor(np.random.default_rng(6).standard_normal((L, N, E)))
    expected = enc.norm(enc.layers[1](enc.layers[0](x)))
    np.testing.assert_allclose(enc(x).numpy(), expected.numpy(), rtol=1e-14)


# ====================================================================== bad input
def test_layer_bad_construction():
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: d_model E=10 must be "
                                         r"divisible by nhead h=4"):
        nn.TransformerEncoderLayer(10, 4)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: activation must be 'relu', "
                                         r"'gelu' or a callable, got 'swish'"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    with pytest.raises(TypeError, match=r"TransformerEncoderLayer: activation"):
        nn.TransformerEncoderLayer(8, 2, activation=3)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: dropout"):
        nn.TransformerEncoderLayer(8, 2, dropout=-0.1)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: nhead"):
        nn.TransformerEncoderLayer(8, 0)


def test_layer_bad_src():
    layer = nn.TransformerEncoderLayer(E, H, FF)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: src must be \(L, N, E\).*"
                                         r"d_model = 8, got shape \(5, 3, 6\)"):
        layer(md.randn(5, 3, 6))
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: src .*got shape \(2, 5, 3, 8\)"):
        layer(md.randn(2, 5, 3, 8))
    with pytest.raises(ValueError, match=r"\(N, L, E\)"):
        nn.TransformerEncoderLayer(E, H, FF, batch_first=True)(md.randn(3, 5))
    with pytest.raises(TypeError, match=r"TransformerEncoderLayer: src must be a Tensor"):
        layer(np.ones((5, 3, 8)))


def test_encoder_bad_construction():
    layer = nn.TransformerEncoderLayer(E, H, FF)
    with pytest.raises(ValueError, match=r"TransformerEncoder: num_layers must be a positive int"):
        nn.TransformerEncoder(layer, 0)
    with pytest.raises(TypeError, match=r"TransformerEncoder: encoder_layer must be a Module"):
        nn.TransformerEncoder("layer", 2)
    with pytest.raises(TypeError, match=r"TransformerEncoder: norm must be a Module"):
        nn.TransformerEncoder(layer, 2, norm="ln")
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: src .*\(5, 3, 4\)"):
        nn.TransformerEncoder(layer, 2)(md.randn(5, 3, 4))


def test_positional_encoding_uses_a_loaded_or_edited_table_for_every_dtype():
    """The exact float64 table serves a float64 input only while the buffer still holds
    the built table; a loaded or edited one is used as it is, whatever the input dtype."""
    pe = nn.PositionalEncoding(8, max_len=20)
    x64, x32 = md.zeros(5, 1, 8, dtype=md.float64), md.zeros(5, 1, 8)
    built = pe(x64).numpy()
    assert np.abs(built - pe.double()(x64).numpy()).max() == 0      # cast up: still exact
    state = pe.state_dict()
    state["pe"] = np.ones_like(state["pe"])
    pe.load_state_dict(state)
    np.testing.assert_array_equal(pe(x64).numpy(), np.ones((5, 1, 8)))
    np.testing.assert_array_equal(pe(x32).numpy(), np.ones((5, 1, 8)))
    with md.no_grad():
        pe.pe.mul_(3)
    np.testing.assert_array_equal(pe(x64).numpy(), np.full((5, 1, 8), 3.0))
