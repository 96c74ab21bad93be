"""TransformerDecoderLayer, TransformerDecoder and Transformer (F8's cross-attention).

Three kinds of test: against the literal reference ``minidl.reference.transformer_decoder_layer``,
gradients against central differences (hypothesis, float64, random upstream gradient),
and forward values and every gradient against PyTorch 2.13 in float64.
"""
import math

import numpy as np
import pytest

import minidl as md
import minidl.functional as F
import minidl.nn as nn
import minidl.reference as ref

T, S, N, E, H, FF = 4, 6, 3, 8, 2, 16   # target length, source length, batch, d_model, heads, ffn

ATTN = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
DECODER_NAMES = ([f"self_attn.{k}" for k in ATTN] + [f"multihead_attn.{k}" for k in ATTN]
                 + ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
                    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
                    "norm3.weight", "norm3.bias"])


def _arr(t):
    return np.asarray(t)


def _fill(module, rng, scale=0.5):
    """Give every parameter of a minidl module independent random values (float64)."""
    module.load_state_dict({k: rng.standard_normal(v.shape) * scale
                            for k, v in module.state_dict().items()})


def _torch_fill(module, rng, scale=0.5):
    import torch
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * scale))


def _masks(kind, rng, batch=N):
    """(tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask) as NumPy."""
    causal = np.triu(np.ones((T, T), bool), 1)                    # True = may not attend
    tgt_kpm = np.zeros((batch, T), bool)
    tgt_kpm[0, -1] = True
    mem_kpm = np.zeros((batch, S), bool)
    mem_kpm[1 % batch, -2:] = True
    mem_kpm[-1, 0] = True
    if kind == "none":
        return None, None, None, None
    if kind == "bool":
        return causal, None, tgt_kpm, mem_kpm
    if kind == "float":
        memory_mask = rng.standard_normal((T, S))
        memory_mask[0, 1] = -np.inf
        return (np.where(causal, -np.inf, 0.0), memory_mask, np.where(tgt_kpm, -np.inf, 0.0),
                np.where(mem_kpm, -np.inf, 0.0))
    if kind == "memory_bool":
        memory_mask = np.zeros((T, S), bool)
        memory_mask[:, 0] = True
        memory_mask[2, 3] = True
        return None, memory_mask, None, None
    raise ValueError(kind)


# ====================================================================== structure
def test_layer_state_dict_names_shapes_and_defaults():
    layer = nn.TransformerDecoderLayer(E, H, FF)
    assert list(layer.state_dict()) == DECODER_NAMES
    assert isinstance(layer.self_attn, nn.MultiheadAttention)
    assert isinstance(layer.multihead_attn, nn.MultiheadAttention)
    assert layer.self_attn is not layer.multihead_attn
    for name in ("dropout", "dropout1", "dropout2", "dropout3"):
        assert isinstance(getattr(layer, name), nn.Dropout) and getattr(layer, name).p == 0.1
    assert layer.self_attn.dropout == layer.multihead_attn.dropout == 0.1
    assert layer.linear1.weight.shape == (FF, E) and layer.linear2.weight.shape == (E, FF)
    assert layer.norm_first is False and layer.batch_first is False
    assert layer.activation is F.relu and layer.norm3.eps == 1e-5
    default = nn.TransformerDecoderLayer(E, H)
    assert default.linear1.weight.shape == (2048, E)
    no_bias = nn.TransformerDecoderLayer(E, H, FF, bias=False)
    assert [k for k in no_bias.state_dict() if "bias" in k] == []
    assert nn.TransformerDecoderLayer(E, H, activation="gelu").activation is F.gelu
    assert nn.TransformerDecoderLayer(E, H, dtype=np.float64).linear1.weight.dtype == np.float64


def test_state_dict_names_and_shapes_equal_torch():
    torch = pytest.importorskip("torch")
    t_model = torch.nn.Transformer(E, H, 2, 3, FF)
    model = nn.Transformer(E, H, 2, 3, FF)
    t_sd = t_model.state_dict()
    assert list(model.state_dict()) == list(t_sd)
    for k, v in model.state_dict().items():
        assert v.shape == tuple(t_sd[k].shape), k
    assert "encoder.norm.weight" in t_sd and "decoder.norm.bias" in t_sd
    t_dec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, H, FF), 2)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF), 2)
    assert list(dec.state_dict()) == list(t_dec.state_dict())


def test_transformer_defaults_are_pytorchs():
    model = nn.Transformer()
    assert model.d_model == 512 and model.nhead == 8 and model.batch_first is False
    assert len(model.encoder.layers) == 6 and len(model.decoder.layers) == 6
    layer = model.decoder.layers[0]
    assert layer.linear1.weight.shape == (2048, 512) and layer.dropout.p == 0.1
    assert layer.activation is F.relu and layer.norm_first is False
    assert isinstance(model.encoder.norm, nn.LayerNorm) and model.encoder.norm.eps == 1e-5
    assert isinstance(model.decoder.norm, nn.LayerNorm)


def test_transformer_initialisation_is_xavier_uniform_for_every_matrix():
    md.manual_seed(0)
    d, ff = 32, 96
    model = nn.Transformer(d, 4, 2, 2, ff)
    for name, p in model.named_parameters():
        w = _arr(p)
        if w.ndim > 1:
            fan_out, fan_in = w.shape
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            assert np.abs(w).max() <= bound, name
            assert np.abs(w).max() > 0.9 * bound, name          # fills the interval
            # U(−a, a) has variance a²/3
            assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.15, name
        elif "norm" in name and name.endswith("weight"):
            np.testing.assert_array_equal(w, 1.0)
        elif "in_proj_bias" in name or "out_proj.bias" in name or "norm" in name:
            np.testing.assert_array_equal(w, 0.0)
    # each layer drew its own values (deep copies are redrawn independently)
    a = _arr(model.decoder.layers[0].linear1.weight)
    b = _arr(model.decoder.layers[1].linear1.weight)
    assert not np.array_equal(a, b)


def test_custom_encoder_and_decoder_are_used():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, dropout=0.0), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF, dropout=0.0), 1)
    model = nn.Transformer(E, H, custom_encoder=enc, custom_decoder=dec)
    assert model.encoder is enc and model.decoder is dec
    assert enc.norm is None and list(model.state_dict())[0] == "encoder.layers.0.self_attn.in_proj_weight"
    src, tgt = md.randn(S, N, E), md.randn(T, N, E)
    np.testing.assert_allclose(_arr(model(src, tgt)), _arr(dec(tgt, enc(src))), rtol=1e-6)


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(4)
    assert isinstance(m, md.Tensor) and m.shape == (4, 4) and m.dtype == np.float32
    expected = np.where(np.arange(4)[None, :] > np.arange(4)[:, None], -np.inf, 0.0)
    np.testing.assert_array_equal(_arr(m), expected)
    m64 = nn.Transformer.generate_square_subsequent_mask(3, device="cpu", dtype=md.float64)
    assert m64.dtype == np.float64
    assert nn.Transformer(E, H, 1, 1, FF).generate_square_subsequent_mask(2).shape == (2, 2)
    md.set_default_dtype(np.float64)
    assert nn.Transformer.generate_square_subsequent_mask(2).dtype == np.float64
    with pytest.raises(ValueError, match="CPU only"):
        nn.Transformer.generate_square_subsequent_mask(2, device="cuda")


def test_generate_square_subsequent_mask_equals_torch():
    torch = pytest.importorskip("torch")
    for sz in (1, 5):
        np.testing.assert_array_equal(_arr(nn.Transformer.generate_square_subsequent_mask(sz)),
                                      torch.nn.Transformer.generate_square_subsequent_mask(sz).numpy())


# ====================================================================== reference
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "memory_bool"])
def test_layer_against_literal_reference(norm_first, masks, batch_first):
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(11)
    layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first,
                                       activation="gelu" if norm_first else "relu",
                                       batch_first=batch_first)
    _fill(layer, rng)
    tgt = rng.standard_normal((N, T, E) if batch_first else (T, N, E))
    memory = rng.standard_normal((N, S, E) if batch_first else (S, N, E))
    tm, mm, tk, mk = _masks(masks, rng)
    y = layer(md.tensor(tgt), md.tensor(memory), tgt_mask=tm, memory_mask=mm,
              tgt_key_padding_mask=tk, memory_key_padding_mask=mk)
    expected = ref.transformer_decoder_layer(
        tgt, memory, layer.state_dict(), H, activation="gelu" if norm_first else "relu",
        norm_first=norm_first, tgt_mask=tm, memory_mask=mm, tgt_key_padding_mask=tk,
        memory_key_padding_mask=mk, batch_first=batch_first)
    assert y.shape == expected.shape
    np.testing.assert_allclose(_arr(y), expected, rtol=1e-10, atol=1e-12)


def test_layer_without_bias_against_reference():
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(12)
    layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, bias=False)
    _fill(layer, rng)
    tgt, memory = rng.standard_normal((T, N, E)), rng.standard_normal((S, N, E))
    expected = ref.transformer_decoder_layer(tgt, memory, layer.state_dict(), H)
    np.testing.assert_allclose(_arr(layer(md.tensor(tgt), md.tensor(memory))), expected,
                               rtol=1e-10, atol=1e-12)


def test_reference_is_the_formula_written_by_hand():
    """One position, one head, identity projections: the cross-attention sub-layer reads
    the memory with softmax weights, by hand."""
    rng = np.random.default_rng(13)
    e = 2
    eye, zero = np.eye(e), np.zeros
    p = {"self_attn.in_proj_weight": zero((3 * e, e)), "self_attn.out_proj.weight": zero((e, e)),
         "multihead_attn.in_proj_weight": np.vstack([eye, eye, eye]),
         "multihead_attn.out_proj.weight": eye,
         "linear1.weight": zero((3, e)), "linear2.weight": zero((e, 3))}
    x = rng.standard_normal((1, 1, e))                     # T = N = 1
    m = rng.standard_normal((3, 1, e))                     # S = 3
    got = ref.transformer_decoder_layer(x, m, p, nhead=1, norm_first=True, eps=1e-5)
    # pre-norm: SA and FF add zero; CA(LN(x), m) = Σ_s a_s m_s with a = softmax(q·m_s/√e)
    mu, var = x[0, 0].mean(), x[0, 0].var()
    q = (x[0, 0] - mu) / math.sqrt(var + 1e-5)
    scores = np.array([q @ m[s, 0] / math.sqrt(e) for s in range(3)])
    a = np.exp(scores - scores.max())
    a /= a.sum()
    want = x[0, 0] + sum(a[s] * m[s, 0] for s in range(3))
    np.testing.assert_allclose(got[0, 0], want, rtol=1e-12)


# ====================================================================== gradients
def test_layer_gradient_check_into_target_memory_and_parameters():
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(14)
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, activation="gelu")
    _fill(layer, rng)
    tgt = md.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    memory = md.tensor(rng.standard_normal((5, 2, 4)), requires_grad=True)
    params = [p for _, p in layer.named_parameters()]
    up = rng.standard_normal((3, 2, 4))
    causal = np.triu(np.ones((3, 3), bool), 1)
    kpm = np.zeros((2, 5), bool)
    kpm[0, -1] = True

    def f(t, m, *_):
        y = layer(t, m, tgt_mask=causal, memory_key_padding_mask=kpm)
        return (y * md.tensor(up)).sum()                 # a random upstream gradient

    assert md.gradcheck(f, (tgt, memory, *params), atol=1e-6, rtol=1e-5)


def test_gradient_property_over_generated_shapes():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.given(t=st.integers(1, 3), s=st.integers(1, 4), n=st.integers(1, 2),
                      h=st.sampled_from([1, 2]), norm_first=st.booleans(),
                      batch_first=st.booleans(), seed=st.integers(0, 2 ** 16))
    def check(t, s, n, h, norm_first, batch_first, seed):
        md.set_default_dtype(np.float64)
        rng = np.random.default_rng(seed)
        e = 2 * h
        layer = nn.TransformerDecoderLayer(e, h, 3, dropout=0.0, norm_first=norm_first,
                                           batch_first=batch_first, activation=F.tanh)
        _fill(layer, rng)
        shape = (lambda L: (n, L, e)) if batch_first else (lambda L: (L, n, e))
        tgt = md.tensor(rng.standard_normal(shape(t)), requires_grad=True)
        memory = md.tensor(rng.standard_normal(shape(s)), requires_grad=True)
        up = md.tensor(rng.standard_normal(shape(t)))
        mask = nn.Transformer.generate_square_subsequent_mask(t, dtype=np.float64)
        params = [p for _, p in layer.named_parameters()]
        assert md.gradcheck(lambda a, b, *_: (layer(a, b, tgt_mask=mask) * up).sum(),
                            (tgt, memory, *params), atol=1e-6, rtol=1e-4)

    check()


# ====================================================================== against PyTorch
def _torch_masks(torch, masks):
    return [None if m is None else torch.tensor(m) for m in masks]


def _compare_grads(tx, mx, t_named, m_named):
    np.testing.assert_allclose(_arr(mx.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    t_params = dict(t_named)
    m_params = list(m_named)
    assert [k for k, _ in m_params] == list(t_params)
    for name, p in m_params:
        np.testing.assert_allclose(_arr(p.grad), t_params[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-10, err_msg=name)


def _layer_pair(torch, rng, **kwargs):
    t_layer = torch.nn.TransformerDecoderLayer(E, H, dtype=torch.float64, **kwargs)
    _torch_fill(t_layer, rng)
    layer = nn.TransformerDecoderLayer(E, H, dtype=np.float64, **kwargs)
    layer.load_state_dict(t_layer.state_dict())
    return t_layer, layer


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "memory_bool"])
def test_layer_against_torch(norm_first, batch_first, masks):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20)
    t_layer, layer = _layer_pair(torch, rng, dim_feedforward=FF, dropout=0.0,
                                 batch_first=batch_first, norm_first=norm_first)
    tshape = (N, T, E) if batch_first else (T, N, E)
    mshape = (N, S, E) if batch_first else (S, N, E)
    tgt, memory, up = (rng.standard_normal(s) for s in (tshape, mshape, tshape))
    np_masks = _masks(masks, rng)
    names = ("tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask")
    t_kw = dict(zip(names, _torch_masks(torch, np_masks)))
    m_kw = dict(zip(names, np_masks))

    t_tgt = torch.tensor(tgt, requires_grad=True)
    t_mem = torch.tensor(memory, requires_grad=True)
    t_y = t_layer(t_tgt, t_mem, **t_kw)
    t_y.backward(torch.tensor(up))
    m_tgt = md.tensor(tgt, requires_grad=True)
    m_mem = md.tensor(memory, requires_grad=True)
    y = layer(m_tgt, m_mem, **m_kw)
    y.backward(up)

    np.testing.assert_allclose(_arr(y), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(_arr(m_mem.grad), t_mem.grad.numpy(), rtol=1e-9, atol=1e-10)
    _compare_grads(t_tgt, m_tgt, t_layer.named_parameters(), layer.named_parameters())


@pytest.mark.parametrize("hint", ["tgt_is_causal", "memory_is_causal", "both"])
def test_layer_causal_hints_against_torch(hint):
    """PyTorch needs the mask with an ``*_is_causal`` hint; minidl accepts the hint alone
    (it then builds the causal mask) or with the mask; all three agree."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(21)
    t_layer, layer = _layer_pair(torch, rng, dim_feedforward=FF, dropout=0.0)
    tgt, memory, up = (rng.standard_normal(s) for s in ((T, N, E), (S, N, E), (T, N, E)))
    causal_tt = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    causal_ts = torch.triu(torch.full((T, S), float("-inf"), dtype=torch.float64), diagonal=1)
    t_kw, m_kw = {}, {}
    if hint in ("tgt_is_causal", "both"):
        t_kw.update(tgt_mask=causal_tt, tgt_is_causal=True)
        m_kw.update(tgt_is_causal=True)
    if hint in ("memory_is_causal", "both"):
        t_kw.update(memory_mask=causal_ts, memory_is_causal=True)
        m_kw.update(memory_is_causal=True)
    t_tgt, t_mem = torch.tensor(tgt, requires_grad=True), torch.tensor(memory, requires_grad=True)
    t_y = t_layer(t_tgt, t_mem, **t_kw)
    t_y.backward(torch.tensor(up))
    for with_mask in (False, True):
        kw = dict(m_kw)
        if with_mask:
            kw.update({k: md.tensor(v.numpy()) for k, v in t_kw.items() if k.endswith("mask")})
        layer.zero_grad()
        m_tgt, m_mem = md.tensor(tgt, requires_grad=True), md.tensor(memory, requires_grad=True)
        y = layer(m_tgt, m_mem, **kw)
        y.backward(up)
        np.testing.assert_allclose(_arr(y), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(_arr(m_mem.grad), t_mem.grad.numpy(), rtol=1e-9, atol=1e-10)
        _compare_grads(t_tgt, m_tgt, t_layer.named_parameters(), layer.named_parameters())
    # the masked-out memory positions really changed the answer
    y_plain = layer(md.tensor(tgt), md.tensor(memory))
    assert not np.allclose(_arr(y_plain), t_y.detach().numpy())


@pytest.mark.parametrize("activation", ["gelu", "callable"])
def test_layer_activation_and_unbatched_against_torch(activation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(22)
    t_act = torch.tanh if activation == "callable" else "gelu"
    m_act = F.tanh if activation == "callable" else "gelu"
    t_layer = torch.nn.TransformerDecoderLayer(E, H, FF, 0.0, t_act, dtype=torch.float64)
    _torch_fill(t_layer, rng)
    layer = nn.TransformerDecoderLayer(E, H, FF, 0.0, m_act, dtype=np.float64)
    layer.load_state_dict(t_layer.state_dict())
    tgt, memory, up = (rng.standard_normal(s) for s in ((T, E), (S, E), (T, E)))   # unbatched
    mask = np.triu(np.ones((T, T), bool), 1)
    t_tgt, t_mem = torch.tensor(tgt, requires_grad=True), torch.tensor(memory, requires_grad=True)
    t_y = t_layer(t_tgt, t_mem, tgt_mask=torch.tensor(mask))
    t_y.backward(torch.tensor(up))
    m_tgt, m_mem = md.tensor(tgt, requires_grad=True), md.tensor(memory, requires_grad=True)
    y = layer(m_tgt, m_mem, tgt_mask=mask)
    y.backward(up)
    assert y.shape == (T, E)
    np.testing.assert_allclose(_arr(y), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(_arr(m_mem.grad), t_mem.grad.numpy(), rtol=1e-9, atol=1e-10)
    _compare_grads(t_tgt, m_tgt, t_layer.named_parameters(), layer.named_parameters())


@pytest.mark.parametrize("final_norm", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_stack_against_torch(final_norm, norm_first):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(23)
    t_dec = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(E, H, FF, 0.0, norm_first=norm_first, batch_first=True,
                                         dtype=torch.float64), 3,
        norm=torch.nn.LayerNorm(E, dtype=torch.float64) if final_norm else None)
    _torch_fill(t_dec, rng)
    dec = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(E, H, FF, 0.0, norm_first=norm_first, batch_first=True,
                                   dtype=np.float64), 3,
        norm=nn.LayerNorm(E, dtype=np.float64) if final_norm else None)
    dec.load_state_dict(t_dec.state_dict())
    tgt, memory, up = (rng.standard_normal(s) for s in ((N, T, E), (N, S, E), (N, T, E)))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    kpm = np.zeros((N, S), bool)
    kpm[2, 3:] = True
    t_tgt, t_mem = torch.tensor(tgt, requires_grad=True), torch.tensor(memory, requires_grad=True)
    t_y = t_dec(t_tgt, t_mem, tgt_mask=mask, memory_key_padding_mask=torch.tensor(kpm))
    t_y.backward(torch.tensor(up))
    m_tgt, m_mem = md.tensor(tgt, requires_grad=True), md.tensor(memory, requires_grad=True)
    y = dec(m_tgt, m_mem, tgt_mask=md.tensor(mask.numpy()), memory_key_padding_mask=kpm)
    y.backward(up)
    np.testing.assert_allclose(_arr(y), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(_arr(m_mem.grad), t_mem.grad.numpy(), rtol=1e-9, atol=1e-10)
    _compare_grads(t_tgt, m_tgt, t_dec.named_parameters(), dec.named_parameters())


@pytest.mark.parametrize("config", [dict(), dict(batch_first=True, norm_first=True,
                                                  activation="gelu")])
def test_full_transformer_against_torch(config):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(24)
    t_model = torch.nn.Transformer(E, H, 2, 2, FF, 0.0, dtype=torch.float64, **config)
    _torch_fill(t_model, rng)
    model = nn.Transformer(E, H, 2, 2, FF, 0.0, dtype=np.float64, **config)
    model.load_state_dict(t_model.state_dict())
    bf = config.get("batch_first", False)
    sshape, tshape = ((N, S, E), (N, T, E)) if bf else ((S, N, E), (T, N, E))
    src, tgt, up = (rng.standard_normal(s) for s in (sshape, tshape, tshape))
    src_kpm = np.zeros((N, S), bool)
    src_kpm[0, -2:] = True
    tgt_kpm = np.zeros((N, T), bool)
    tgt_kpm[1, -1] = True
    masks = dict(src_mask=np.zeros((S, S), bool),
                 tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(
                     T, dtype=torch.float64).numpy(),
                 src_key_padding_mask=src_kpm, tgt_key_padding_mask=tgt_kpm,
                 memory_key_padding_mask=src_kpm)
    t_src, t_tgt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    t_y = t_model(t_src, t_tgt, **{k: torch.tensor(v) for k, v in masks.items()})
    t_y.backward(torch.tensor(up))
    m_src, m_tgt = md.tensor(src, requires_grad=True), md.tensor(tgt, requires_grad=True)
    y = model(m_src, m_tgt, **{k: (md.tensor(v) if v.dtype != bool else v)
                               for k, v in masks.items()})
    y.backward(up)
    np.testing.assert_allclose(_arr(y), t_y.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(_arr(m_src.grad), t_src.grad.numpy(), rtol=1e-9, atol=1e-10)
    _compare_grads(t_tgt, m_tgt, t_model.named_parameters(), model.named_parameters())


def test_weights_move_both_ways_through_state_dicts():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(25)
    md.manual_seed(3)
    model = nn.Transformer(E, H, 1, 2, FF, 0.0, dtype=np.float64)
    t_model = torch.nn.Transformer(E, H, 1, 2, FF, 0.0, dtype=torch.float64)
    t_model.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    src, tgt = rng.standard_normal((S, N, E)), rng.standard_normal((T, N, E))
    mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=np.float64)
    with torch.no_grad():
        t_y = t_model(torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(_arr(mask)))
    np.testing.assert_allclose(_arr(model(md.tensor(src), md.tensor(tgt), tgt_mask=mask)),
                               t_y.numpy(), rtol=1e-9, atol=1e-10)
    back = nn.Transformer(E, H, 1, 2, FF, 0.0, dtype=np.float64)     # and back again
    back.load_state_dict(t_model.state_dict())
    for k, v in back.state_dict().items():
        np.testing.assert_array_equal(v, model.state_dict()[k], err_msg=k)


def test_float32_transformer_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(26)
    t_model = torch.nn.Transformer(E, H, 1, 1, FF, 0.0)
    model = nn.Transformer(E, H, 1, 1, FF, 0.0)
    model.load_state_dict(t_model.state_dict())
    src = rng.standard_normal((S, N, E)).astype(np.float32)
    tgt = rng.standard_normal((T, N, E)).astype(np.float32)
    with torch.no_grad():
        t_y = t_model(torch.tensor(src), torch.tensor(tgt),
                      tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(T))
    y = model(md.tensor(src), md.tensor(tgt),
              tgt_mask=nn.Transformer.generate_square_subsequent_mask(T))
    assert y.dtype == np.float32
    np.testing.assert_allclose(_arr(y), t_y.numpy(), rtol=1e-4, atol=1e-5)


# ====================================================================== behaviour
def test_decoder_is_layers_in_turn_then_norm_every_layer_reading_memory():
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(30)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF, dropout=0.0), 2,
                                norm=nn.LayerNorm(E))
    _fill(dec, rng)
    tgt, memory = md.tensor(rng.standard_normal((T, N, E))), md.tensor(rng.standard_normal((S, N, E)))
    expected = dec.norm(dec.layers[1](dec.layers[0](tgt, memory), memory))
    np.testing.assert_allclose(_arr(dec(tgt, memory)), _arr(expected), rtol=1e-13)
    ids = {id(p) for p in dec.parameters()}
    assert len(ids) == len(list(dec.parameters()))


def test_causal_target_position_does_not_see_the_future():
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(31)
    layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0)
    tgt = rng.standard_normal((T, N, E))
    memory = md.tensor(rng.standard_normal((S, N, E)))
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    changed = tgt.copy()
    changed[-1] += 1.0                                          # change only the last position
    a = _arr(layer(md.tensor(tgt), memory, tgt_mask=mask))
    b = _arr(layer(md.tensor(changed), memory, tgt_mask=mask))
    np.testing.assert_allclose(a[:-1], b[:-1], rtol=1e-13)      # earlier positions unchanged
    assert not np.allclose(a[-1], b[-1])


def test_memory_padding_really_ignores_padded_source_positions():
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(32)
    layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0)
    tgt = md.tensor(rng.standard_normal((T, N, E)))
    memory = rng.standard_normal((S, N, E))
    kpm = np.zeros((N, S), bool)
    kpm[:, -2:] = True
    changed = memory.copy()
    changed[-2:] = rng.standard_normal((2, N, E)) * 10           # the padded positions only
    a = layer(tgt, md.tensor(memory), memory_key_padding_mask=kpm)
    b = layer(tgt, md.tensor(changed), memory_key_padding_mask=kpm)
    np.testing.assert_allclose(_arr(a), _arr(b), rtol=1e-13)
    m = md.tensor(memory, requires_grad=True)
    layer(tgt, m, memory_key_padding_mask=kpm).backward(rng.standard_normal((T, N, E)))
    np.testing.assert_array_equal(_arr(m.grad)[-2:], 0.0)       # nothing flows back there
    assert np.abs(_arr(m.grad)[:-2]).min() > 0


def test_dropout_in_training_off_in_eval():
    layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.5)
    tgt, memory = md.randn(T, N, E), md.randn(S, N, E)
    assert not np.allclose(_arr(layer(tgt, memory)), _arr(layer(tgt, memory)))
    layer.eval()
    np.testing.assert_array_equal(_arr(layer(tgt, memory)), _arr(layer(tgt, memory)))


# ====================================================================== bad input
def test_bad_construction():
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: d_model E=10 must be "
                                         r"divisible by nhead h=4"):
        nn.TransformerDecoderLayer(10, 4)
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: activation must be 'relu'"):
        nn.TransformerDecoderLayer(8, 2, activation="swish")
    with pytest.raises(TypeError, match=r"TransformerDecoderLayer: activation"):
        nn.TransformerDecoderLayer(8, 2, activation=3)
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: dropout"):
        nn.TransformerDecoderLayer(8, 2, dropout=1.5)
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: minidl runs on the CPU"):
        nn.TransformerDecoderLayer(8, 2, device="cuda")
    layer = nn.TransformerDecoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"TransformerDecoder: num_layers must be a positive"):
        nn.TransformerDecoder(layer, 0)
    with pytest.raises(TypeError, match=r"TransformerDecoder: decoder_layer must be a Module"):
        nn.TransformerDecoder("layer", 2)
    with pytest.raises(TypeError, match=r"TransformerDecoder: norm must be a Module"):
        nn.TransformerDecoder(layer, 2, norm="ln")
    with pytest.raises(TypeError, match=r"Transformer: custom_encoder must be a Module"):
        nn.Transformer(8, 2, custom_encoder="enc")
    with pytest.raises(ValueError, match=r"Transformer.generate_square_subsequent_mask: sz"):
        nn.Transformer.generate_square_subsequent_mask(-1)


def test_bad_forward_input():
    layer = nn.TransformerDecoderLayer(E, H, FF)
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: tgt must be \(T, N, E\).*"
                                         r"d_model = 8, got shape \(4, 3, 6\)"):
        layer(md.randn(4, 3, 6), md.randn(S, 3, E))
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: memory must be .*"
                                         r"got shape \(6, 3, 5\)"):
        layer(md.randn(T, 3, E), md.randn(6, 3, 5))
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: tgt and memory must be .*"
                                         r"same batch size N.*\(4, 3, 8\).*\(6, 2, 8\)"):
        layer(md.randn(T, 3, E), md.randn(6, 2, E))
    with pytest.raises(TypeError, match=r"TransformerDecoderLayer: memory must be a Tensor"):
        layer(md.randn(T, 3, E), np.ones((6, 3, 8)))
    model = nn.Transformer(E, H, 1, 1, FF)
    with pytest.raises(ValueError, match=r"Transformer: src and tgt must have the same batch "
                                         r"size N.*\(6, 2, 8\).*\(4, 3, 8\)"):
        model(md.randn(6, 2, E), md.randn(4, 3, E))
    with pytest.raises(ValueError, match=r"Transformer: src and tgt must have E = d_model = 8"):
        model(md.randn(6, 3, E), md.randn(4, 3, 4))
    with pytest.raises(ValueError, match=r"Transformer: src and tgt must be"):
        model(md.randn(6, E), md.randn(4, 3, E))
