"""Acceptance tests, written as an outside suite would: only the public interface of SPEC.md,
compared with PyTorch in float64 (forward values and every gradient), plus optimiser
trajectories, state-dict names, save/load safety, initialisation, dtypes and error messages.

Covers attention (F7, F8), positional encoding (F9), the Transformer encoder (F10),
LayerNorm, Embedding, the Module API, the optimisers and ``md.save``/``md.load``.
"""
import math

import numpy as np
import pytest

import minidl as md
import minidl.functional as F
import minidl.nn as nn
import minidl.optim as optim

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RTOL, ATOL = 1e-9, 1e-10


def close(actual, expected, rtol=RTOL, atol=ATOL):
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    if isinstance(actual, md.Tensor):
        actual = actual.numpy()
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def rng(seed=0):
    return np.random.default_rng(seed)


def pair(array):
    """(minidl leaf, torch leaf), both float64 and requiring grad, from one array."""
    array = np.asarray(array, dtype=np.float64)
    return md.tensor(array.copy(), requires_grad=True), torch.tensor(array, requires_grad=True)


def backward_both(md_out, t_out, seed=1):
    """Backward a random non-uniform upstream gradient through both outputs."""
    g = rng(seed).standard_normal(t_out.shape)
    md_out.backward(g)
    t_out.backward(torch.tensor(g))


def torch_to_minidl(t_module, md_module):
    md_module.double()
    md_module.load_state_dict(t_module.state_dict())
    return md_module


def compare_parameter_grads(md_module, t_module):
    t_params = dict(t_module.named_parameters())
    md_params = dict(md_module.named_parameters())
    assert list(md_params) == list(t_params)
    for name, p in md_params.items():
        assert p.grad is not None, name
        close(p.grad, t_params[name].grad, atol=1e-9)


# ====================================================================== F7: SDPA
@pytest.mark.parametrize("batch", [(), (3,), (2, 3), (2, 1, 3)])
@pytest.mark.parametrize("mask", [None, "bool", "float", "causal"])
def test_sdpa_matches_torch(batch, mask):
    r = rng(len(batch))
    L, S, E, Ev = 4, 6, 5, 3
    q, tq = pair(r.standard_normal(batch + (L, E)))
    k, tk = pair(r.standard_normal(batch + (S, E)))
    v, tv = pair(r.standard_normal(batch + (S, Ev)))
    kwargs_md, kwargs_t = {}, {}
    if mask == "bool":
        m = r.random((L, S)) > 0.4
        m[:, 0] = True
        kwargs_md["attn_mask"], kwargs_t["attn_mask"] = md.tensor(m), torch.tensor(m)
    elif mask == "float":
        m = r.standard_normal(batch + (L, S))
        m[..., 0, 1] = -np.inf                    # one excluded position per row 0
        kwargs_md["attn_mask"], kwargs_t["attn_mask"] = md.tensor(m), torch.tensor(m)
    elif mask == "causal":
        kwargs_md["is_causal"] = kwargs_t["is_causal"] = True
    out = F.scaled_dot_product_attention(q, k, v, **kwargs_md)
    t_out = TF.scaled_dot_product_attention(tq, tk, tv, **kwargs_t)
    close(out, t_out)
    backward_both(out, t_out)
    for a, b in ((q, tq), (k, tk), (v, tv)):
        close(a.grad, b.grad)


def test_sdpa_scale_and_float_mask_gradient():
    r = rng(5)
    q, tq = pair(r.standard_normal((2, 3, 4)))
    k, tk = pair(r.standard_normal((2, 5, 4)))
    v, tv = pair(r.standard_normal((2, 5, 2)))
    m, tm = pair(r.standard_normal((3, 5)))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.37)
    t_out = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm, scale=0.37)
    close(out, t_out)
    backward_both(out, t_out)
    for a, b in ((q, tq), (k, tk), (v, tv), (m, tm)):
        close(a.grad, b.grad)


def test_sdpa_one_dimensional_mask_broadcasts_like_torch():
    r = rng(6)
    q, tq = pair(r.standard_normal((2, 3, 4)))
    k, tk = pair(r.standard_normal((2, 5, 4)))
    v, tv = pair(r.standard_normal((2, 5, 2)))
    m = np.array([True, False, True, True, False])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=md.tensor(m))
    close(out, TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(m)))


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_row_gives_zeros_like_torch(kind):
    r = rng(7)
    q, tq = pair(r.standard_normal((2, 3, 4)))
    k, tk = pair(r.standard_normal((2, 5, 4)))
    v, tv = pair(r.standard_normal((2, 5, 3)))
    allowed = np.ones((3, 5), dtype=bool)
    allowed[1] = False
    m = allowed if kind == "bool" else np.where(allowed, 0.0, -np.inf)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=md.tensor(m))
    t_out = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(m))
    assert np.all(out.numpy()[:, 1] == 0.0)
    close(out, t_out)
    backward_both(out, t_out)
    for a, b in ((q, tq), (k, tk), (v, tv)):
        assert np.all(np.isfinite(a.grad))
        close(a.grad, b.grad)


def test_sdpa_float32_stays_float32_with_float64_masks():
    q = md.randn(2, 3, 4)
    m = np.zeros((3, 3))
    m[0, 2] = -np.inf
    for kwargs in ({"attn_mask": m}, {"attn_mask": md.tensor(m)}, {"attn_mask": m == 0},
                   {"is_causal": True}, {}):
        assert F.scaled_dot_product_attention(q, q, q, **kwargs).dtype == np.float32


def test_sdpa_errors_name_op_argument_and_shapes():
    q, k = md.randn(2, 3, 4), md.randn(2, 5, 6)
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention.*key.*\(2, 5, 6\)"):
        F.scaled_dot_product_attention(q, k, md.randn(2, 5, 6))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention.*attn_mask.*\(4, 4\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((4, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention.*value"):
        F.scaled_dot_product_attention(q, q, md.randn(2, 4, 4))


# ====================================================================== F8: MHA
E, H = 8, 2


def make_mha(batch_first=False, bias=True, seed=0):
    torch.manual_seed(seed)
    t = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first,
                                    dtype=torch.float64)
    with torch.no_grad():
        for p in t.parameters():        # non-zero biases, so they are tested too
            p.add_(0.1 * torch.randn_like(p))
    m = nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first)
    return torch_to_minidl(t, m), t


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("cross", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_mha_module_matches_torch(batch_first, cross, average):
    m, t = make_mha(batch_first)
    r = rng(2)
    L, S, N = 4, 6 if cross else 4, 3
    shape = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    x, tx = pair(r.standard_normal(shape(L)))
    if cross:
        kv, tkv = pair(r.standard_normal(shape(S)))
        args, t_args = (x, kv, kv), (tx, tkv, tkv)
    else:
        args, t_args = (x, x, x), (tx, tx, tx)
    out, w = m(*args, average_attn_weights=average)
    t_out, t_w = t(*t_args, average_attn_weights=average)
    close(out, t_out)
    close(w, t_w)
    g = rng(3).standard_normal(t_out.shape)
    gw = rng(4).standard_normal(t_w.shape)
    (out * md.tensor(g)).sum().__add__((w * md.tensor(gw)).sum()).backward()
    ((t_out * torch.tensor(g)).sum() + (t_w * torch.tensor(gw)).sum()).backward()
    close(x.grad, tx.grad)
    if cross:
        close(kv.grad, tkv.grad)
    compare_parameter_grads(m, t)


@pytest.mark.parametrize("mask_kind", ["bool", "float"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_masks_match_torch(mask_kind, batch_first):
    m, t = make_mha(batch_first, seed=1)
    r = rng(8)
    L, S, N = 4, 5, 3
    q, tq = pair(r.standard_normal((N, L, E) if batch_first else (L, N, E)))
    kv, tkv = pair(r.standard_normal((N, S, E) if batch_first else (S, N, E)))
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, -2:] = True
    kpm[2, 0] = True
    am = r.random((L, S)) > 0.7
    am[:, 1] = False
    if mask_kind == "float":
        kpm = np.where(kpm, -np.inf, 0.0)
        am = np.where(am, -np.inf, 0.0) + 0.3 * r.standard_normal((L, S))
    out, w = m(q, kv, kv, key_padding_mask=md.tensor(kpm), attn_mask=md.tensor(am))
    t_out, t_w = t(tq, tkv, tkv, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am))
    close(out, t_out)
    close(w, t_w)
    backward_both(out, t_out)
    close(q.grad, tq.grad)
    close(kv.grad, tkv.grad)
    compare_parameter_grads(m, t)


def test_mha_3d_attn_mask_need_weights_false_and_unbatched():
    m, t = make_mha(seed=2)
    r = rng(9)
    L, S, N = 3, 4, 2
    q, tq = pair(r.standard_normal((L, N, E)))
    kv, tkv = pair(r.standard_normal((S, N, E)))
    am = r.random((N * H, L, S)) > 0.6
    am[..., 0] = False
    out, w = m(q, kv, kv, attn_mask=md.tensor(am), need_weights=False)
    t_out, t_w = t(tq, tkv, tkv, attn_mask=torch.tensor(am), need_weights=False)
    assert w is None and t_w is None
    close(out, t_out)
    backward_both(out, t_out)
    close(q.grad, tq.grad)
    compare_parameter_grads(m, t)

    # unbatched (L, E) with a key padding mask (S,)
    m.zero_grad()
    t.zero_grad()
    q, tq = pair(r.standard_normal((L, E)))
    kv, tkv = pair(r.standard_normal((S, E)))
    kpm = np.array([False, True, False, False])
    out, w = m(q, kv, kv, key_padding_mask=kpm, average_attn_weights=False)
    t_out, t_w = t(tq, tkv, tkv, key_padding_mask=torch.tensor(kpm), average_attn_weights=False)
    assert out.shape == (L, E) and w.shape == (H, L, S)
    close(out, t_out)
    close(w, t_w)
    backward_both(out, t_out)
    close(q.grad, tq.grad)
    compare_parameter_grads(m, t)


def test_mha_no_bias_matches_torch():
    m, t = make_mha(bias=False, seed=3)
    assert list(m.state_dict()) == list(t.state_dict()) == ["in_proj_weight", "out_proj.weight"]
    q, tq = pair(rng(10).standard_normal((3, 2, E)))
    out, _ = m(q, q, q)
    t_out, _ = t(tq, tq, tq)
    close(out, t_out)


def test_functional_mha_matches_torch():
    r = rng(11)
    L, S, N = 3, 5, 2
    q, tq = pair(r.standard_normal((L, N, E)))
    k, tk = pair(r.standard_normal((S, N, E)))
    v, tv = pair(r.standard_normal((S, N, E)))
    W_in, tW_in = pair(r.standard_normal((3 * E, E)) / 3)
    b_in, tb_in = pair(r.standard_normal(3 * E))
    W_o, tW_o = pair(r.standard_normal((E, E)) / 3)
    b_o, tb_o = pair(r.standard_normal(E))
    out, w = F.multi_head_attention(q, k, v, H, W_in, b_in, W_o, b_o)
    t_out, t_w = TF.multi_head_attention_forward(
        tq, tk, tv, E, H, tW_in, tb_in, None, None, False, 0.0, tW_o, tb_o, training=False)
    close(out, t_out)
    close(w, t_w)
    backward_both(out, t_out)
    for a, b in ((q, tq), (k, tk), (v, tv), (W_in, tW_in), (b_in, tb_in), (W_o, tW_o),
                 (b_o, tb_o)):
        close(a.grad, b.grad)
    # batch_first=True is the same computation on transposed inputs
    out_bf, w_bf = F.multi_head_attention(q.transpose(1, 0, 2), k.transpose(1, 0, 2),
                                          v.transpose(1, 0, 2), H, W_in, b_in, W_o, b_o,
                                          batch_first=True)
    close(out_bf.numpy().transpose(1, 0, 2), t_out)
    close(w_bf, t_w)


def test_mha_defaults_init_and_attributes():
    md.manual_seed(0)
    m = nn.MultiheadAttention(64, 4)
    t = torch.nn.MultiheadAttention(64, 4)
    assert m.kdim == m.vdim == 64 and m.head_dim == 16 and m.batch_first is False
    assert m.in_proj_weight.dtype == np.float32
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    a = math.sqrt(6 / (64 + 192))
    w = m.in_proj_weight.numpy()
    assert np.abs(w).max() <= a and np.abs(w).max() > 0.95 * a
    assert np.all(m.in_proj_bias.numpy() == 0) and np.all(m.out_proj.bias.numpy() == 0)
    b = 1 / 8
    assert np.abs(m.out_proj.weight.numpy()).max() <= b


def test_mha_errors():
    with pytest.raises(ValueError, match="MultiheadAttention.*num_heads"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(E, H)
    x = md.randn(3, 2, E)
    with pytest.raises(ValueError, match=r"multi_head_attention.*key_padding_mask.*\(2, 4\)"):
        m(x, x, x, key_padding_mask=np.zeros((2, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"multi_head_attention.*attn_mask.*\(5, 5\)"):
        m(x, x, x, attn_mask=np.zeros((5, 5), dtype=bool))
    with pytest.raises(ValueError, match=r"multi_head_attention.*\(3, 2, 6\)"):
        m(x, md.randn(3, 2, 6), md.randn(3, 2, 6))


def test_mha_float32_stays_float32():
    m = nn.MultiheadAttention(E, H)
    x = md.randn(3, 2, E, requires_grad=True)
    kpm = np.zeros((2, 3))                    # float64 masks must not up-cast
    am = np.zeros((3, 3))
    am[0, 2] = -np.inf
    out, w = m(x, x, x, key_padding_mask=kpm, attn_mask=am)
    assert out.dtype == np.float32 and w.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and m.in_proj_weight.grad.dtype == np.float32
    out, w = m(x, x, x, is_causal=True, attn_mask=None, key_padding_mask=kpm == 1)
    assert out.dtype == np.float32 and w.dtype == np.float32


# ====================================================================== F9: PE
@pytest.mark.parametrize("d_model", [6, 7])
@pytest.mark.parametrize("batch_first", [False, True])
def test_positional_encoding_values_float64(d_model, batch_first):
    """A default (float32) module on a float64 input adds the exact float64 table."""
    pe = nn.PositionalEncoding(d_model, max_len=50, batch_first=batch_first)
    L, N = 9, 2
    x, _ = pair(rng(12).standard_normal((N, L, d_model) if batch_first else (L, N, d_model)))
    table = np.zeros((L, d_model))
    for pos in range(L):
        for j in range(d_model):
            angle = pos / 10000 ** ((j - j % 2) / d_model)
            table[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    expected = x.numpy() + (table[None] if batch_first else table[:, None])
    y = pe(x)
    assert y.dtype == np.float64
    close(y, expected, rtol=1e-12, atol=1e-13)
    close(pe.double()(x), expected, rtol=1e-12, atol=1e-13)   # also after .double()
    y.backward(np.ones_like(x.numpy()) * 2)
    close(x.grad, 2 * np.ones_like(x.numpy()))
    assert [n for n, _ in pe.named_parameters()] == [] and "pe" in pe.state_dict()


def test_positional_encoding_float32_and_max_len_error():
    pe = nn.PositionalEncoding(4, max_len=5)
    assert pe(md.zeros(5, 2, 4)).dtype == np.float32
    with pytest.raises(ValueError, match="PositionalEncoding.*max_len"):
        pe(md.zeros(6, 2, 4))


# ====================================================================== LayerNorm, Embedding
@pytest.mark.parametrize("normalized_shape", [(5,), (4, 5), (3, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(normalized_shape, affine):
    t = torch.nn.LayerNorm(normalized_shape, elementwise_affine=affine, dtype=torch.float64)
    if affine:
        with torch.no_grad():
            t.weight.copy_(torch.randn_like(t.weight))
            t.bias.copy_(torch.randn_like(t.bias))
    m = torch_to_minidl(t, nn.LayerNorm(normalized_shape, elementwise_affine=affine))
    assert list(m.state_dict()) == list(t.state_dict())
    x, tx = pair(3 * rng(13).standard_normal((2, 3, 4, 5)) + 1)
    out, t_out = m(x), t(tx)
    close(out, t_out)
    backward_both(out, t_out)
    close(x.grad, tx.grad)
    if affine:
        compare_parameter_grads(m, t)
    # functional form
    x2, tx2 = pair(rng(14).standard_normal((2, 3, 4, 5)))
    close(F.layer_norm(x2, normalized_shape, eps=1e-3),
          TF.layer_norm(tx2, normalized_shape, eps=1e-3))


def test_layer_norm_float32_and_errors():
    ln = nn.LayerNorm(5)
    assert ln.weight.dtype == np.float32 and np.all(ln.weight.numpy() == 1)
    assert np.all(ln.bias.numpy() == 0)
    assert ln(md.randn(2, 5)).dtype == np.float32
    with pytest.raises(ValueError, match=r"layer_norm.*normalized_shape.*\(2, 4\)"):
        ln(md.randn(2, 4))


def test_embedding_matches_torch():
    t = torch.nn.Embedding(10, 4, dtype=torch.float64)
    m = torch_to_minidl(t, nn.Embedding(10, 4))
    idx = np.array([[1, 2, 2], [9, 0, 1]])
    out, t_out = m(md.tensor(idx)), t(torch.tensor(idx))
    close(out, t_out)
    backward_both(out, t_out)
    compare_parameter_grads(m, t)
    W, tW = pair(rng(15).standard_normal((6, 3)))
    out, t_out = F.embedding(md.tensor(idx % 6), W), TF.embedding(torch.tensor(idx % 6), tW)
    close(out, t_out)
    backward_both(out, t_out)
    close(W.grad, tW.grad)


def test_embedding_init_and_errors():
    md.manual_seed(3)
    w = nn.Embedding(400, 50).weight.numpy()
    assert w.dtype == np.float32
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02        # N(0, 1)
    with pytest.raises(ValueError, match=r"embedding.*\[0, 400\)"):
        nn.Embedding(400, 50)(md.tensor([1, 400]))


# ====================================================================== F10: encoder
def make_encoder(norm_first, activation, batch_first, final_norm=False, d=8, h=2, ff=16):
    torch.manual_seed(4)
    t_layer = torch.nn.TransformerEncoderLayer(d, h, ff, dropout=0.0, activation=activation,
                                               batch_first=batch_first, norm_first=norm_first,
                                               dtype=torch.float64)
    t = torch.nn.TransformerEncoder(t_layer, 2, enable_nested_tensor=False,
                                    norm=torch.nn.LayerNorm(d, dtype=torch.float64)
                                    if final_norm else None)
    with torch.no_grad():                      # non-trivial LayerNorm parameters too
        for name, p in t.named_parameters():
            if "norm" in name or "bias" in name:
                p.add_(0.2 * torch.randn_like(p))
    layer = nn.TransformerEncoderLayer(d, h, ff, dropout=0.0, activation=activation,
                                       batch_first=batch_first, norm_first=norm_first)
    m = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(d) if final_norm else None)
    return torch_to_minidl(t, m), t


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder_matches_torch(norm_first, activation, batch_first):
    m, t = make_encoder(norm_first, activation, batch_first, final_norm=norm_first)
    assert list(m.state_dict()) == list(t.state_dict())
    L, N = 5, 3
    x, tx = pair(rng(16).standard_normal((N, L, 8) if batch_first else (L, N, 8)))
    kpm = np.zeros((N, L), dtype=bool)
    kpm[1, -2:] = True
    out = m(x, src_key_padding_mask=md.tensor(kpm))
    t_out = t(tx, src_key_padding_mask=torch.tensor(kpm))
    close(out, t_out)
    backward_both(out, t_out)
    close(x.grad, tx.grad)
    compare_parameter_grads(m, t)


@pytest.mark.parametrize("how", ["bool", "float", "is_causal"])
def test_transformer_encoder_causal_matches_torch(how):
    m, t = make_encoder(False, "relu", False)
    L, N = 5, 2
    x, tx = pair(rng(17).standard_normal((L, N, 8)))
    float_mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    t_out = t(tx, mask=float_mask, is_causal=True)
    if how == "bool":
        out = m(x, mask=md.tensor(np.triu(np.ones((L, L), dtype=bool), 1)))
    elif how == "float":
        out = m(x, mask=md.tensor(float_mask.numpy()))
    else:
        out = m(x, is_causal=True)
    close(out, t_out)
    backward_both(out, t_out)
    close(x.grad, tx.grad)
    compare_parameter_grads(m, t)


def test_transformer_layer_unbatched_and_float32():
    torch.manual_seed(5)
    t = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=torch.float64)
    m = torch_to_minidl(t, nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0))
    x, tx = pair(rng(18).standard_normal((4, 8)))
    out, t_out = m(x), t(tx)
    close(out, t_out)
    backward_both(out, t_out)
    compare_parameter_grads(m, t)
    m32 = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, activation="gelu")
    x32 = md.randn(4, 2, 8, requires_grad=True)
    mask = np.triu(np.full((4, 4), -np.inf), 1)               # a float64 mask
    y = m32(x32, src_mask=mask)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x32.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in m32.parameters())


def test_transformer_errors():
    with pytest.raises(ValueError, match="TransformerEncoderLayer.*nhead"):
        nn.TransformerEncoderLayer(10, 3)
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer.*src.*\(4, 2, 6\)"):
        layer(md.randn(4, 2, 6))


# ====================================================================== optimisers
def make_mlp(seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    t.double()
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    return torch_to_minidl(t, m), t


OPTIMISERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, weight_decay=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.02)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("name,kwargs", OPTIMISERS)
def test_optimiser_trajectory_7_steps(name, kwargs):
    m, t = make_mlp()
    opt = getattr(optim, name)(m.parameters(), **kwargs)
    t_opt = getattr(torch.optim, name)(t.parameters(), **kwargs)
    r = rng(19)
    for _ in range(7):
        x = r.standard_normal((6, 4))
        y = r.integers(0, 3, 6)
        opt.zero_grad()
        t_opt.zero_grad()
        loss = F.cross_entropy(m(md.tensor(x)), md.tensor(y))
        t_loss = TF.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
        close(loss, t_loss)
        loss.backward()
        t_loss.backward()
        opt.step()
        t_opt.step()
        for (k, p), (tk, tp) in zip(m.named_parameters(), t.named_parameters()):
            assert k == tk
            close(p, tp, atol=1e-9)


def test_optimiser_param_groups_and_state_dict_resume(tmp_path):
    m, t = make_mlp(1)
    groups = lambda mod: [{"params": mod[0].parameters(), "lr": 0.01},  # noqa: E731
                          {"params": mod[2].parameters()}]
    opt = optim.Adam(groups(m), lr=0.03, weight_decay=0.01)
    t_opt = torch.optim.Adam(groups(t), lr=0.03, weight_decay=0.01)
    x = rng(20).standard_normal((5, 4))

    def step(model, o, lib):
        o.zero_grad()
        out = model(lib.tensor(x))
        (out * out).sum().backward()
        o.step()

    for _ in range(3):
        step(m, opt, md)
        step(t, t_opt, torch)
    md.save({"model": m.state_dict(), "opt": opt.state_dict()}, tmp_path / "ckpt.npz")
    ckpt = md.load(tmp_path / "ckpt.npz")
    m2, _ = make_mlp(2)
    m2.load_state_dict(ckpt["model"])
    opt2 = optim.Adam(groups(m2), lr=0.5)
    opt2.load_state_dict(ckpt["opt"])
    for _ in range(4):
        step(m2, opt2, md)
        step(t, t_opt, torch)
    for p, tp in zip(m2.parameters(), t.parameters()):
        close(p, tp, atol=1e-9)


def test_optimiser_errors():
    p = nn.Parameter(md.zeros(2))
    with pytest.raises(ValueError, match="SGD.*lr"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match=r"Adam.*betas\[1\]"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="SGD.*nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)


def test_optimiser_keeps_float32():
    lin = nn.Linear(3, 2)
    opt = optim.Adam(lin.parameters(), lr=0.1, weight_decay=0.1, amsgrad=True)
    for _ in range(2):
        opt.zero_grad()
        lin(md.randn(4, 3)).sum().backward()
        opt.step()
    assert all(p.dtype == np.float32 for p in lin.parameters())
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values()
               if isinstance(v, np.ndarray))


# ====================================================================== Module API
def test_state_dict_names_match_torch():
    pairs = [
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)),
         torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))),
        (nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8)),
         torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 2,
                                     norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)),
        (nn.TransformerEncoderLayer(8, 2, 16, norm_first=True, bias=False),
         torch.nn.TransformerEncoderLayer(8, 2, 16, norm_first=True, bias=False)),
        (nn.MultiheadAttention(8, 2), torch.nn.MultiheadAttention(8, 2)),
    ]
    for m, t in pairs:
        sd, t_sd = m.state_dict(), t.state_dict()
        assert list(sd) == list(t_sd)
        assert all(sd[k].shape == tuple(t_sd[k].shape) for k in sd)
        assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert [n for n, _ in m.named_children()] == [n for n, _ in t.named_children()]
        assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
        m.load_state_dict(t_sd)                       # a PyTorch state dict loads by name
        for k in sd:
            close(m.state_dict()[k].astype(np.float64), t_sd[k].double())


def test_load_state_dict_strict_errors_list_names():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    sd = m.state_dict()
    del sd["2.bias"]
    sd["3.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError, match=r"2\.bias") as e:
        m.load_state_dict(sd)
    assert "3.weight" in str(e.value)
    result = m.load_state_dict(sd, strict=False)
    assert list(result.missing_keys) == ["2.bias"] and list(result.unexpected_keys) == ["3.weight"]
    sd = m.state_dict()
    sd["0.weight"] = np.zeros((4, 5))
    with pytest.raises(RuntimeError, match=r"0\.weight.*\(4, 5\).*\(4, 3\)"):
        m.load_state_dict(sd)


def test_module_modes_zero_grad_dtype_and_repr():
    m = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m and not any(mod.training for mod in m.modules())
    x = md.ones(5, 3)
    close(m(x), m(x))                                   # dropout off in eval
    m.train()
    assert all(mod.training for mod in m.modules())
    m(x).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None or not p.grad.any() for p in m.parameters())
    assert m.double() is m and all(p.dtype == np.float64 for p in m.parameters())
    assert m(md.ones(5, 3, dtype=np.float64)).dtype == np.float64
    assert m.float() is m and all(p.dtype == np.float32 for p in m.parameters())
    m.to(np.float64)
    assert all(p.dtype == np.float64 for p in m.parameters())
    text = repr(nn.Sequential(nn.Linear(3, 4), nn.ReLU()))
    assert "Linear(in_features=3, out_features=4, bias=True)" in text and "ReLU()" in text
    assert "(0)" in text and "(1)" in text
    assert "MultiheadAttention" in repr(nn.TransformerEncoderLayer(8, 2, 16))


def test_default_initialisation_and_seed():
    md.manual_seed(7)
    a = nn.Linear(50, 40)
    md.manual_seed(7)
    b = nn.Linear(50, 40)
    close(a.weight, b.weight.numpy(), rtol=0, atol=0)
    c = nn.Linear(50, 40)
    assert not np.array_equal(b.weight.numpy(), c.weight.numpy())
    bound = 1 / math.sqrt(50)
    for p in (a.weight, a.bias):
        assert np.abs(p.numpy()).max() <= bound and np.abs(p.numpy()).max() > 0.9 * bound
    assert abs(a.weight.numpy().std() - bound / math.sqrt(3)) < 0.01   # uniform's std
    assert a.weight.dtype == np.float32
    md.set_default_dtype(np.float64)
    for mod in (nn.Linear(2, 3), nn.LayerNorm(3), nn.Embedding(4, 3), nn.MultiheadAttention(4, 2),
                nn.TransformerEncoderLayer(4, 2, 8)):
        assert all(p.dtype == np.float64 for p in mod.parameters()), type(mod).__name__
    assert nn.PositionalEncoding(4).pe.dtype == np.float64


def test_float32_through_every_owned_module():
    x = md.randn(4, 2, 8, requires_grad=True)
    mods = [nn.Linear(8, 8), nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU(), nn.Dropout(0.3),
            nn.LayerNorm(8), nn.LayerNorm((2, 8)), nn.PositionalEncoding(8),
            nn.TransformerEncoderLayer(8, 2, 16), nn.Flatten()]
    for mod in mods:
        y = mod(x)
        assert y.dtype == np.float32, type(mod).__name__
    assert nn.Embedding(5, 3)(md.tensor([1, 2])).dtype == np.float32
    logits = md.randn(4, 3)
    assert nn.CrossEntropyLoss()(logits, md.tensor([0, 1, 2, 0])).dtype == np.float32
    assert nn.MSELoss()(logits, md.zeros(4, 3)).dtype == np.float32


# ====================================================================== save / load
def test_save_load_round_trip_and_refusals(tmp_path):
    m = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    path = tmp_path / "model.npz"
    md.save(m.state_dict(), path)
    loaded = md.load(path)
    assert list(loaded) == list(m.state_dict())
    m2 = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    m2.load_state_dict(loaded)
    for k, v in m.state_dict().items():
        assert np.array_equal(m2.state_dict()[k], v) and m2.state_dict()[k].dtype == v.dtype

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.txt"):
        md.load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(2))
    with pytest.raises(ValueError, match="plain.npz"):
        md.load(plain)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, obj=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled.npz.*pickle"):
        md.load(pickled)
    t_file = tmp_path / "torch.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), t_file)
    with pytest.raises(ValueError, match="torch.pt"):
        md.load(t_file)
    np.save(tmp_path / "arr.npy", np.ones(3))
    with pytest.raises(ValueError, match="arr.npy"):
        md.load(tmp_path / "arr.npy")


# ====================================================================== more, found while reviewing
@pytest.mark.parametrize("E_, h, batch_first", [(4, 1, False), (12, 4, True), (6, 3, False)])
def test_mha_head_counts_match_torch(E_, h, batch_first):
    torch.manual_seed(h)
    t = torch.nn.MultiheadAttention(E_, h, batch_first=batch_first, dtype=torch.float64)
    m = torch_to_minidl(t, nn.MultiheadAttention(E_, h, batch_first=batch_first))
    q, tq = pair(rng(h).standard_normal((2, 5, E_)))
    k, tk = pair(rng(h + 1).standard_normal((2, 5, E_) if batch_first else (7, 5, E_)))
    out, w = m(q, k, k, average_attn_weights=False)
    t_out, t_w = t(tq, tk, tk, average_attn_weights=False)
    close(out, t_out)
    close(w, t_w)
    backward_both(out, t_out)
    close(q.grad, tq.grad)
    close(k.grad, tk.grad)
    compare_parameter_grads(m, t)


def test_adamw_trains_a_transformer_encoder_like_torch():
    m, t = make_encoder(True, "gelu", True, final_norm=True)
    opt = optim.AdamW(m.parameters(), lr=0.01, weight_decay=0.1)
    t_opt = torch.optim.AdamW(t.parameters(), lr=0.01, weight_decay=0.1)
    r = rng(21)
    for _ in range(7):
        x = r.standard_normal((2, 4, 8))
        opt.zero_grad()
        t_opt.zero_grad()
        causal = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
        out, t_out = m(md.tensor(x), is_causal=True), t(torch.tensor(x), is_causal=True, mask=causal)
        (out * out).mean().backward()
        (t_out * t_out).mean().backward()
        opt.step()
        t_opt.step()
    t_params = dict(t.named_parameters())
    for name, p in m.named_parameters():
        close(p, t_params[name], rtol=1e-8, atol=1e-9)


def test_module_to_accepts_cpu_device():
    lin = nn.Linear(2, 3)
    assert lin.to("cpu") is lin and lin.weight.dtype == np.float32
    assert lin.to(device="cpu", dtype=np.float64) is lin and lin.weight.dtype == np.float64
    with pytest.raises(ValueError, match="Linear.to.*cuda"):
        lin.to(device="cuda")


def test_adam_float32_step_is_done_in_float32_like_torch():
    """Regression: the bias correction was np.sqrt(python float), a float64 scalar that
    lifted the float32 update into float64 (0.9 here, where PyTorch gives 0.90000004)."""
    w = nn.Parameter(md.tensor(np.array([1.0, -2.0, 0.3], dtype=np.float32)))
    tw = torch.tensor([1.0, -2.0, 0.3], requires_grad=True)
    opt, t_opt = optim.Adam([w], lr=0.1), torch.optim.Adam([tw], lr=0.1)
    (w * w).sum().backward()
    (tw * tw).sum().backward()
    opt.step()
    t_opt.step()
    np.testing.assert_array_equal(w.numpy(), tw.detach().numpy())
