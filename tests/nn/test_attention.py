"""nn.MultiheadAttention (F8): parameters, forward vs the reference, PyTorch cross-checks, bad input."""
import math

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
import minidl.reference as R

TIGHT = dict(rtol=1e-9, atol=1e-10)


def _params(m):
    b = m.in_proj_bias
    return (m.in_proj_weight.numpy(), None if b is None else b.numpy(), m.out_proj.weight.numpy(),
            None if m.out_proj.bias is None else m.out_proj.bias.numpy())


# ---------------------------------------------------------------------- parameters
def test_parameters_names_shapes_and_init():
    md.manual_seed(1)
    E, h = 64, 8
    m = nn.MultiheadAttention(E, h)
    sd = m.state_dict()
    assert list(sd) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert [p.shape for _, p in m.named_parameters()] == [(3 * E, E), (3 * E,), (E, E), (E,)]
    assert all(p.dtype == np.float32 for p in m.parameters())
    assert (m.embed_dim, m.num_heads, m.head_dim, m.batch_first, m.dropout) == (E, h, 8, False, 0.0)
    bound = math.sqrt(6.0 / (E + 3 * E))                      # xavier over the whole (3E, E)
    W = m.in_proj_weight.numpy()
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.95 * bound
    assert abs(W.std() - bound / math.sqrt(3)) < 0.05 * bound  # uniform: std = bound/√3
    np.testing.assert_array_equal(m.in_proj_bias.numpy(), 0.0)
    np.testing.assert_array_equal(m.out_proj.bias.numpy(), 0.0)
    Wo = m.out_proj.weight.numpy()                               # Linear's default U(±1/√E)
    assert np.abs(Wo).max() <= 1 / math.sqrt(E) and np.abs(Wo).max() > 0.95 / math.sqrt(E)


def test_no_bias_dtype_and_seeded_init():
    m = nn.MultiheadAttention(6, 2, bias=False, batch_first=True, dtype=np.float64)
    assert m.in_proj_bias is None and m.out_proj.bias is None
    assert list(m.state_dict()) == ["in_proj_weight", "out_proj.weight"]
    assert m.in_proj_weight.dtype == np.float64 and m.batch_first
    md.manual_seed(5)
    a = nn.MultiheadAttention(6, 2).state_dict()
    md.manual_seed(5)
    b = nn.MultiheadAttention(6, 2).state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


@pytest.mark.parametrize("kw,error,match", [
    (dict(embed_dim=10, num_heads=3), ValueError, "embed_dim E=10 must be divisible by num_heads h=3"),
    (dict(embed_dim=8, num_heads=0), ValueError, "num_heads must be a positive int"),
    (dict(embed_dim=8, num_heads=2, dropout=1.5), ValueError, "dropout must be between 0 and 1"),
    (dict(embed_dim=8, num_heads=2, add_bias_kv=True), NotImplementedError, "add_bias_kv"),
    (dict(embed_dim=8, num_heads=2, add_zero_attn=True), NotImplementedError, "add_zero_attn"),
    (dict(embed_dim=8, num_heads=2, kdim=4), NotImplementedError, "kdim=4 differs from embed_dim=8"),
    (dict(embed_dim=8, num_heads=2, vdim=3), NotImplementedError, "vdim=3"),
])
def test_constructor_bad_input(kw, error, match):
    with pytest.raises(error, match="MultiheadAttention: " + match):
        nn.MultiheadAttention(**kw)


def test_kdim_vdim_equal_to_embed_dim_are_accepted():
    m = nn.MultiheadAttention(8, 2, kdim=8, vdim=8)
    assert m.kdim == m.vdim == 8


# ---------------------------------------------------------------------- forward vs reference
@pytest.mark.parametrize("batch_first", [False, True])
def test_forward_matches_reference(batch_first):
    md.set_default_dtype(np.float64)
    rng = np.random.default_rng(0)
    m = nn.MultiheadAttention(8, 4, batch_first=batch_first)
    m.out_proj.bias.numpy()[...] = rng.standard_normal(8)        # make every parameter matter
    m.in_proj_bias.numpy()[...] = rng.standard_normal(24)
    L, S, N = 5, 3, 2
    shape = (lambda n: (N, n, 8)) if batch_first else (lambda n: (n, N, 8))
    x, y = rng.standard_normal(shape(L)), rng.standard_normal(shape(S))
    kpm = rng.random((N, S)) < 0.3
    out, w = m(md.tensor(x), md.tensor(y), md.tensor(y), key_padding_mask=kpm)
    r_out, r_w = R.multi_head_attention(x, y, y, 4, *_params(m), key_padding_mask=kpm,
                                        batch_first=batch_first)
    np.testing.assert_allclose(out.numpy(), r_out, **TIGHT)
    np.testing.assert_allclose(w.numpy(), r_w, **TIGHT)
    assert out.shape == shape(L) and w.shape == (N, L, S)


def test_float32_forward_and_shapes():
    m = nn.MultiheadAttention(16, 4)
    x = md.randn(7, 3, 16)
    out, w = m(x, x, x, average_attn_weights=False)
    assert out.dtype == np.float32 and out.shape == (7, 3, 16) and w.shape == (3, 4, 7, 7)
    r_out, _ = R.multi_head_attention(x.numpy(), x.numpy(), x.numpy(), 4, *_params(m))
    np.testing.assert_allclose(out.numpy(), r_out, rtol=1e-4, atol=1e-5)
    out, w = m(x, x, x, need_weights=False)
    assert w is None


def test_dropout_only_in_training():
    md.set_default_dtype(np.float64)
    m = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = md.randn(6, 2, 8)
    train_out, train_w = m(x, x, x)
    m.eval()
    eval_out, eval_w = m(x, x, x)
    r_out, r_w = R.multi_head_attention(x.numpy(), x.numpy(), x.numpy(), 2, *_params(m))
    np.testing.assert_allclose(eval_out.numpy(), r_out, **TIGHT)
    np.testing.assert_allclose(eval_w.numpy(), r_w, **TIGHT)
    assert not np.allclose(train_out.numpy(), r_out)


# ---------------------------------------------------------------------- PyTorch
def _pair(torch, E, h, batch_first=False, bias=True, seed=0):
    """A PyTorch module with non-zero biases and a minidl module loaded from its state_dict."""
    torch.manual_seed(seed)
    tm = torch.nn.MultiheadAttention(E, h, bias=bias, batch_first=batch_first).double()
    if bias:
        with torch.no_grad():
            tm.in_proj_bias.normal_()
            tm.out_proj.bias.normal_()
    m = nn.MultiheadAttention(E, h, bias=bias, batch_first=batch_first).double()
    m.load_state_dict(tm.state_dict())
    return tm, m


def _compare(torch, tm, m, query, key, value, self_attention, mask_kw, fwd_kw, rng, weights_upstream=True):
    """Forward and every gradient (inputs and the four parameters) of both modules."""
    # minidl
    xs = [md.tensor(a, requires_grad=True) for a in ((query,) if self_attention else (query, key, value))]
    q, k, v = (xs[0],) * 3 if self_attention else xs
    out, w = m(q, k, v, **mask_kw, **fwd_kw)
    g_out = rng.standard_normal(out.shape)
    loss = (out * md.tensor(g_out)).sum()
    g_w = None
    if w is not None and weights_upstream:
        g_w = rng.standard_normal(w.shape)
        loss = loss + (w * md.tensor(g_w)).sum()
    loss.backward()
    # PyTorch
    txs = [torch.tensor(a, requires_grad=True) for a in ((query,) if self_attention else (query, key, value))]
    tq, tk, tv = (txs[0],) * 3 if self_attention else txs
    t_kw = {key_: torch.tensor(val) if isinstance(val, np.ndarray) else val for key_, val in mask_kw.items()}
    t_out, t_w = tm(tq, tk, tv, **t_kw, **fwd_kw)
    t_loss = (t_out * torch.tensor(g_out)).sum()
    if g_w is not None:
        t_loss = t_loss + (t_w * torch.tensor(g_w)).sum()
    t_loss.backward()

    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), **TIGHT)
    if fwd_kw.get("need_weights", True):
        assert w.shape == tuple(t_w.shape)
        np.testing.assert_allclose(w.numpy(), t_w.detach().numpy(), **TIGHT)
    else:
        assert w is None and t_w is None
    for x, tx in zip(xs, txs):
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), **TIGHT)
    t_params = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), **TIGHT, err_msg=name)


FWD = [dict(), dict(need_weights=False), dict(average_attn_weights=False)]


@pytest.mark.parametrize("fwd_kw", FWD)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("attention", ["self", "cross"])
def test_matches_torch_no_mask(attention, batch_first, fwd_kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    E, h, N, L = 8, 2, 3, 5
    S = L if attention == "self" else 4
    tm, m = _pair(torch, E, h, batch_first)
    shape = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    query, key, value = (rng.standard_normal(shape(n)) for n in (L, S, S))
    _compare(torch, tm, m, query, key, value, attention == "self", {}, fwd_kw, rng)


def _masks(rng, kind, N, h, L, S):
    if kind == "kpm_bool":
        kpm = rng.random((N, S)) < 0.3
        kpm[:, 0] = False                                     # keep every row alive (PyTorch: NaN weights)
        return {"key_padding_mask": kpm}
    if kind == "kpm_float":
        return {"key_padding_mask": rng.standard_normal((N, S))}
    if kind == "am_bool":
        am = rng.random((L, S)) < 0.4
        am[:, 0] = False
        return {"attn_mask": am}
    if kind == "am_float":
        return {"attn_mask": rng.standard_normal((L, S))}
    if kind == "am3_bool":
        am = rng.random((N * h, L, S)) < 0.4
        am[..., 0] = False
        return {"attn_mask": am}
    if kind == "am3_float":
        return {"attn_mask": rng.standard_normal((N * h, L, S))}
    if kind == "both_bool":
        d = _masks(rng, "kpm_bool", N, h, L, S)
        d.update(_masks(rng, "am_bool", N, h, L, S))
        return d
    if kind == "both_float":
        d = _masks(rng, "kpm_float", N, h, L, S)
        d.update(_masks(rng, "am3_float", N, h, L, S))
        return d
    raise AssertionError(kind)


MASKS = ["kpm_bool", "kpm_float", "am_bool", "am_float", "am3_bool", "am3_float", "both_bool", "both_float"]


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("batch_first,attention,fwd_kw", [
    (False, "self", FWD[0]), (True, "cross", FWD[1]), (False, "cross", FWD[2])])
def test_matches_torch_with_masks(kind, batch_first, attention, fwd_kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    E, h, N, L = 6, 3, 2, 4
    S = L if attention == "self" else 5
    tm, m = _pair(torch, E, h, batch_first, seed=3)
    shape = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    query, key, value = (rng.standard_normal(shape(n)) for n in (L, S, S))
    _compare(torch, tm, m, query, key, value, attention == "self", _masks(rng, kind, N, h, L, S),
             fwd_kw, rng)


@pytest.mark.parametrize("fwd_kw", FWD)
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
def test_matches_torch_unbatched(fwd_kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    E, h, L, S = 6, 2, 4, 3
    tm, m = _pair(torch, E, h, seed=5)
    query, key, value = rng.standard_normal((L, E)), rng.standard_normal((S, E)), rng.standard_normal((S, E))
    kpm = np.array([False, True, False])
    am = rng.standard_normal((h, L, S))
    _compare(torch, tm, m, query, key, value, False, {"key_padding_mask": kpm, "attn_mask": am}, fwd_kw, rng)


def test_matches_torch_no_bias_and_causal():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    E, h, N, L = 8, 4, 2, 5
    tm, m = _pair(torch, E, h, bias=False, seed=7)
    x = rng.standard_normal((L, N, E))
    causal = np.triu(np.ones((L, L), bool), 1)
    _compare(torch, tm, m, x, x, x, True, {"attn_mask": causal}, {"is_causal": True}, rng)
    # and minidl's is_causal alone applies the same mask
    a, _ = m(md.tensor(x), md.tensor(x), md.tensor(x), is_causal=True)
    b, _ = m(md.tensor(x), md.tensor(x), md.tensor(x), attn_mask=causal)
    np.testing.assert_allclose(a.numpy(), b.numpy(), **TIGHT)


def test_fully_masked_rows_match_torch_without_weights_and_are_finite():
    # PyTorch (need_weights=False, its SDPA path) gives zero head outputs there too;
    # with need_weights=True it gives NaN weights, minidl zeros.
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    E, h, N, L, S = 6, 2, 3, 4, 5
    tm, m = _pair(torch, E, h, seed=9)
    x, y = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))
    kpm = np.zeros((N, S), bool)
    kpm[1] = True                                             # batch element 1: all keys are padding
    am = np.zeros((L, S), bool)
    am[2] = True                                              # query 2 may attend to nothing
    mask_kw = {"key_padding_mask": kpm, "attn_mask": am}
    _compare(torch, tm, m, x, y, y, False, mask_kw, {"need_weights": False}, rng)
    X, Y = md.tensor(x, requires_grad=True), md.tensor(y, requires_grad=True)
    out, w = m(X, Y, Y, **mask_kw)
    (out * md.tensor(rng.standard_normal(out.shape))).sum().backward()
    b_o = m.out_proj.bias.numpy()
    np.testing.assert_allclose(out.numpy()[:, 1], np.broadcast_to(b_o, (L, E)), rtol=1e-12)
    np.testing.assert_allclose(out.numpy()[2], np.broadcast_to(b_o, (N, E)), rtol=1e-12)
    np.testing.assert_array_equal(w.numpy()[1], 0.0)
    np.testing.assert_array_equal(w.numpy()[:, 2], 0.0)
    for g in [X.grad, Y.grad] + [p.grad for p in m.parameters()]:
        assert np.all(np.isfinite(g))
    _, t_w = tm(*(torch.tensor(a) for a in (x, y, y)), key_padding_mask=torch.tensor(kpm),
                attn_mask=torch.tensor(am))
    t_w = t_w.detach().numpy()
    assert np.isnan(t_w[1]).all()                             # PyTorch's NaN, documented
    live = ~np.isnan(t_w)
    np.testing.assert_allclose(w.numpy()[live], t_w[live], **TIGHT)


def test_state_dict_round_trip_with_torch():
    torch = pytest.importorskip("torch")
    m = nn.MultiheadAttention(8, 2).double()
    tm = torch.nn.MultiheadAttention(8, 2).double()
    tm.load_state_dict({k: torch.tensor(v) for k, v in m.state_dict().items()})
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 2, 8))
    out, w = m(md.tensor(x), md.tensor(x), md.tensor(x))
    t_out, t_w = tm(*(torch.tensor(x),) * 3)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), **TIGHT)
    np.testing.assert_allclose(w.numpy(), t_w.detach().numpy(), **TIGHT)


# ---------------------------------------------------------------------- bad input at forward
@pytest.mark.parametrize("shapes,kw,match", [
    (((5, 2, 8), (4, 2, 8), (3, 2, 8)), {}, "same length S"),
    (((5, 2, 8), (4, 3, 8), (4, 3, 8)), {}, "same batch size N"),
    (((5, 2, 8), (4, 2, 6), (4, 2, 6)), {}, "E=8 features"),
    (((5, 2, 6), (4, 2, 6), (4, 2, 6)), {}, r"in_proj_weight must be \(3E, E\)"),
    (((2, 8), (4, 2, 8), (4, 2, 8)), {}, "must all be"),
    (((5, 2, 8), (4, 2, 8), (4, 2, 8)), {"attn_mask": np.zeros((4, 5), bool)}, "attn_mask must be"),
    (((5, 2, 8), (4, 2, 8), (4, 2, 8)), {"key_padding_mask": np.zeros((2, 5), bool)}, "key_padding_mask must be"),
])
def test_forward_bad_input(shapes, kw, match):
    m = nn.MultiheadAttention(8, 2)
    with pytest.raises(ValueError, match="multi_head_attention") as e:
        m(*(md.zeros(*s) for s in shapes), **kw)
    assert e.match(match)
