"""F.scaled_dot_product_attention (F7): formula, gradients, PyTorch, masked rows, bad input."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl as md
import minidl.functional as F
import minidl.reference as R
from tests.helpers import check_gradients, leaf, vjp

TIGHT = dict(rtol=1e-9, atol=1e-10)


def _numpy_sdpa(q, k, v, bias=None, scale=None):
    """A direct NumPy transcription of softmax(q kᵀ · scale + bias) v (dead rows → 0)."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        scores = scores + bias
    m = scores.max(axis=-1, keepdims=True)
    dead = np.isneginf(m)
    e = np.exp(scores - np.where(dead, 0.0, m))
    a = np.where(dead, 0.0, e / np.where(dead, 1.0, e.sum(axis=-1, keepdims=True)))
    return a @ v


def _arrays(rng, batch, L, S, E, Ev):
    return (rng.standard_normal(batch + (L, E)), rng.standard_normal(batch + (S, E)),
            rng.standard_normal(batch + (S, Ev)))


def _sdpa(q, k, v, **kw):
    return F.scaled_dot_product_attention(md.tensor(q), md.tensor(k), md.tensor(v), **kw).numpy()


# ---------------------------------------------------------------------- 1. formula
def test_hand_computed_weights_quarter_three_quarters():
    # scores 0 and log 3 → weights 1/4, 3/4 → 1/4·4 + 3/4·8 = 7
    q = np.array([[1.0]])
    k = np.array([[0.0], [np.log(3.0)]])
    v = np.array([[4.0], [8.0]])
    np.testing.assert_allclose(_sdpa(q, k, v, scale=1.0), [[7.0]], rtol=1e-12)
    # default scale 1/√E with E = 4: q·k = 4 · 0.5 · log 3 = 2 log 3 → scaled log 3
    q4, k4 = np.full((1, 4), 0.5), np.vstack([np.zeros(4), np.full(4, np.log(3.0))])
    np.testing.assert_allclose(_sdpa(q4, k4, v), [[7.0]], rtol=1e-12)


def test_equal_keys_average_the_values():
    rng = np.random.default_rng(1)
    v = rng.standard_normal((5, 3))
    out = _sdpa(rng.standard_normal((4, 2)), np.ones((5, 2)), v)
    np.testing.assert_allclose(out, np.tile(v.mean(axis=0), (4, 1)), rtol=1e-12)


def test_bool_mask_true_takes_part_float_mask_added():
    q, k, v = np.array([[1.0]]), np.array([[0.0], [0.0]]), np.array([[4.0], [8.0]])
    np.testing.assert_allclose(_sdpa(q, k, v, attn_mask=np.array([[False, True]])), [[8.0]])
    np.testing.assert_allclose(_sdpa(q, k, v, attn_mask=np.array([[0.0, np.log(3.0)]])), [[7.0]])


def test_causal_is_lower_triangular_top_left():
    # L = 2, S = 3: query 0 sees key 0, query 1 sees keys 0 and 1 (never key 2)
    q, k = np.zeros((2, 1)), np.zeros((3, 1))
    v = np.array([[1.0], [3.0], [100.0]])
    np.testing.assert_allclose(_sdpa(q, k, v, is_causal=True), [[1.0], [2.0]])


MASKS = ["none", "bool", "float", "float_inf", "causal"]


def _mask(rng, kind, mask_shape, L, S):
    if kind == "bool":
        return {"attn_mask": rng.random(mask_shape) < 0.7}
    if kind == "float":
        return {"attn_mask": rng.standard_normal(mask_shape)}
    if kind == "float_inf":
        return {"attn_mask": np.where(rng.random(mask_shape) < 0.7, rng.standard_normal(mask_shape),
                                      -np.inf)}
    if kind == "causal":
        return {"is_causal": True}
    return {}


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("batch,mask_batch", [((), ()), ((2, 3), ()), ((2, 3), (3,)), ((2, 1), (2, 3))])
def test_matches_reference_and_numpy(kind, batch, mask_batch):
    rng = np.random.default_rng(7)
    L, S, E, Ev = 4, 5, 3, 2
    q, k, v = _arrays(rng, batch, L, S, E, Ev)
    kw = _mask(rng, kind, mask_batch + (L, S), L, S)
    out = _sdpa(q, k, v, **kw)
    np.testing.assert_allclose(out, R.scaled_dot_product_attention(q, k, v, **kw), **TIGHT)
    bias = None
    if kind == "causal":
        bias = np.where(np.triu(np.ones((L, S), bool), 1), -np.inf, 0.0)
    elif kind == "bool":
        bias = np.where(kw["attn_mask"], 0.0, -np.inf)
    elif kind != "none":
        bias = kw["attn_mask"]
    np.testing.assert_allclose(out, _numpy_sdpa(q, k, v, bias), **TIGHT)


def test_custom_scale_and_broadcast_batch_axes():
    rng = np.random.default_rng(3)
    q = rng.standard_normal((2, 1, 3, 4))
    k = rng.standard_normal((1, 5, 6, 4))
    v = rng.standard_normal((5, 6, 2))
    out = _sdpa(q, k, v, scale=0.3)
    assert out.shape == (2, 5, 3, 2)
    np.testing.assert_allclose(out, _numpy_sdpa(q, k, v, scale=0.3), **TIGHT)
    np.testing.assert_allclose(out, R.scaled_dot_product_attention(q, k, v, scale=0.3), **TIGHT)


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    q, k, v = (a.astype(np.float32) for a in _arrays(rng, (2,), 3, 4, 5, 6))
    mask = rng.standard_normal((3, 4))                        # a float64 mask does not up-cast
    out = F.scaled_dot_product_attention(md.tensor(q), md.tensor(k), md.tensor(v), attn_mask=mask)
    assert out.dtype == np.float32 and out.shape == (2, 3, 6)
    np.testing.assert_allclose(out.numpy(), _numpy_sdpa(*(a.astype(np.float64) for a in (q, k, v)), mask),
                               rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- fully masked rows
@pytest.mark.parametrize("kind", ["bool", "float_inf"])
def test_fully_masked_row_gives_zeros_forward_and_backward(kind):
    rng = np.random.default_rng(4)
    L, S = 3, 4
    q, k, v = _arrays(rng, (2,), L, S, 3, 2)
    allowed = rng.random((L, S)) < 0.8
    allowed[:, 0] = True
    allowed[1] = False                                        # query 1 sees nothing
    mask = allowed if kind == "bool" else np.where(allowed, 0.0, -np.inf)
    out, (dq, dk, dv), _ = vjp(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask),
                               q, k, v)
    for a in (out, dq, dk, dv):
        assert np.all(np.isfinite(a))
    np.testing.assert_array_equal(out[:, 1], 0.0)
    np.testing.assert_array_equal(dq[:, 1], 0.0)
    np.testing.assert_allclose(out, R.scaled_dot_product_attention(q, k, v, attn_mask=mask), **TIGHT)
    # the other rows are untouched: same as attention over those rows alone
    keep = [0, 2]
    sub = _sdpa(q[:, keep], k, v, attn_mask=mask[keep])
    np.testing.assert_allclose(out[:, keep], sub, **TIGHT)
    check_gradients(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask), q, k, v)


def test_every_row_masked_gives_all_zeros():
    rng = np.random.default_rng(5)
    q, k, v = _arrays(rng, (), 2, 3, 2, 2)
    out, grads, _ = vjp(lambda a, b, c: F.scaled_dot_product_attention(
        a, b, c, attn_mask=np.zeros((2, 3), bool)), q, k, v)
    np.testing.assert_array_equal(out, 0.0)
    for g in grads:
        np.testing.assert_array_equal(g, 0.0)


# ---------------------------------------------------------------------- dropout
def test_dropout_zero_is_deterministic_and_seeded_dropout_repeats():
    rng = np.random.default_rng(6)
    q, k, v = (md.tensor(a) for a in _arrays(rng, (2,), 5, 6, 3, 4))
    a = F.scaled_dot_product_attention(q, k, v).numpy()
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0).numpy(), a)
    md.manual_seed(11)
    d1 = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    md.manual_seed(11)
    d2 = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    d3 = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(d1, d2)
    assert not np.allclose(d1, a) and not np.allclose(d1, d3)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy(), 0.0)


def test_dropout_is_unbiased_on_average():
    rng = np.random.default_rng(8)
    q, k, v = (md.tensor(x) for x in _arrays(rng, (), 3, 4, 2, 2))
    exact = F.scaled_dot_product_attention(q, k, v).numpy()
    mean = np.mean([F.scaled_dot_product_attention(q, k, v, dropout_p=0.3).numpy()
                    for _ in range(4000)], axis=0)
    np.testing.assert_allclose(mean, exact, atol=0.06)


def test_dropout_weights_are_zero_or_scaled():
    # with v = identity the output rows ARE the (dropped) weights
    rng = np.random.default_rng(9)
    q, k = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    a = _sdpa(q, k, np.eye(5))
    d = _sdpa(q, k, np.eye(5), dropout_p=0.25)
    kept = d != 0
    assert kept.any() and (~kept).any()
    np.testing.assert_allclose(d[kept], a[kept] / 0.75, rtol=1e-12)


# ---------------------------------------------------------------------- 2. gradients
@st.composite
def _cases(draw):
    nbatch = draw(st.integers(0, 2))
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=nbatch, max_size=nbatch)))
    L, S, E, Ev = (draw(st.integers(1, 4)) for _ in range(4))
    kind = draw(st.sampled_from(MASKS))
    scale = draw(st.sampled_from([None, 0.5, 2.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    return batch, L, S, E, Ev, kind, scale, seed


@given(_cases())
def test_gradients_property(case):
    batch, L, S, E, Ev, kind, scale, seed = case
    rng = np.random.default_rng(seed)
    q, k, v = _arrays(rng, batch, L, S, E, Ev)
    kw = _mask(rng, kind, (L, S), L, S)
    f = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, scale=scale, **kw)  # noqa: E731
    check_gradients(f, q, k, v)
    # invariants: shifting every key by one vector leaves the output unchanged, so
    # Σ_s dk = 0; each live weight row sums to 1, so Σ_s dv = Σ_l dout over live rows.
    out, (dq, dk, dv), up = vjp(f, q, k, v, seed=seed)
    np.testing.assert_allclose(dk.sum(axis=-2), 0.0, atol=1e-10)
    live = np.any(out != 0, axis=-1, keepdims=True) | (kind in ("none", "float", "causal"))
    np.testing.assert_allclose(dv.sum(axis=-2), np.broadcast_to(np.sum(up * live, axis=-2),
                                                                 dv.shape[:-2] + (Ev,)), atol=1e-10)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31 - 1))
@settings(max_examples=10)
def test_gradient_into_a_float_mask(L, S, seed):
    rng = np.random.default_rng(seed)
    q, k, v = _arrays(rng, (2,), L, S, 3, 2)
    check_gradients(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m),
                    q, k, v, rng.standard_normal((L, S)))


# ---------------------------------------------------------------------- 3. PyTorch
def _torch_case(torch, kind, rng, batch=(2, 3), L=4, S=5, E=3, Ev=2):
    q, k, v = _arrays(rng, batch, L, S, E, Ev)
    kw = _mask(rng, kind, (L, S), L, S)
    tkw = {key: torch.tensor(val) if isinstance(val, np.ndarray) else val for key, val in kw.items()}
    return (q, k, v), kw, tkw


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("shape", [(2, 3, 4, 5, 3, 2), (1, 1, 6, 3, 4, 5)])
def test_matches_torch_forward_and_gradients(kind, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    *batch, L, S, E, Ev = shape
    (q, k, v), kw, tkw = _torch_case(torch, kind, rng, tuple(batch), L, S, E, Ev)
    out, grads, up = vjp(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kw), q, k, v)
    ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    t_out = torch.nn.functional.scaled_dot_product_attention(*ts, **tkw)
    t_out.backward(torch.tensor(up))
    np.testing.assert_allclose(out, t_out.detach().numpy(), **TIGHT)
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g, t.grad.numpy(), **TIGHT)


def test_matches_torch_scale_and_float_mask_gradient():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    q, k, v = _arrays(rng, (3,), 4, 6, 5, 2)
    m = rng.standard_normal((4, 6))
    out, grads, up = vjp(lambda a, b, c, mm: F.scaled_dot_product_attention(a, b, c, attn_mask=mm,
                                                                           scale=0.7), q, k, v, m)
    ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v, m)]
    t_out = torch.nn.functional.scaled_dot_product_attention(*ts[:3], attn_mask=ts[3], scale=0.7)
    t_out.backward(torch.tensor(up))
    np.testing.assert_allclose(out, t_out.detach().numpy(), **TIGHT)
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g, t.grad.numpy(), **TIGHT)


def test_fully_masked_row_matches_torch_zeros():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    q, k, v = _arrays(rng, (2,), 3, 4, 3, 2)
    mask = np.ones((3, 4), bool)
    mask[2] = False
    out, grads, up = vjp(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask), q, k, v)
    ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    t_out = torch.nn.functional.scaled_dot_product_attention(*ts, attn_mask=torch.tensor(mask))
    t_out.backward(torch.tensor(up))
    np.testing.assert_allclose(out, t_out.detach().numpy(), **TIGHT)
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g, t.grad.numpy(), **TIGHT)


# ---------------------------------------------------------------------- 4. bad input
def _t(*shape, dtype=np.float64):
    return md.tensor(np.ones(shape, dtype=dtype))


@pytest.mark.parametrize("q,k,v,kw,match", [
    ((3,), (4, 3), (4, 2), {}, "query, key, value must be"),
    ((2, 3), (4, 5), (4, 2), {}, "query has E=3 features but key has 5"),
    ((2, 3), (4, 3), (5, 2), {}, "key has S=4 positions but value has 5"),
    ((2, 2, 3), (3, 4, 3), (4, 2), {}, "batch axes of query, key, value do not broadcast"),
    ((2, 3), (4, 3), (4, 2), {"attn_mask": np.ones((3, 4), bool)}, r"attn_mask of shape \(3, 4\)"),
    ((2, 3), (4, 3), (4, 2), {"attn_mask": np.ones((2, 5))}, r"attn_mask of shape \(2, 5\)"),
    ((2, 3), (4, 3), (4, 2), {"attn_mask": np.ones(3, bool)}, r"attn_mask of shape \(3,\)"),
    ((2, 3), (4, 3), (4, 2), {"attn_mask": np.ones((2, 4), bool), "is_causal": True}, "is_causal"),
    ((2, 3), (4, 3), (4, 2), {"dropout_p": 1.5}, "dropout_p"),
    ((2, 3), (0, 3), (0, 2), {}, "S = 0"),
])
def test_bad_input_value_error(q, k, v, kw, match):
    with pytest.raises(ValueError, match="scaled_dot_product_attention") as e:
        F.scaled_dot_product_attention(_t(*q), _t(*k), _t(*v), **kw)
    assert e.match(match)


def test_bad_input_type_error():
    with pytest.raises(TypeError, match="scaled_dot_product_attention: query must be a Tensor"):
        F.scaled_dot_product_attention(np.ones((2, 3)), _t(4, 3), _t(4, 2))
    with pytest.raises(TypeError, match="scaled_dot_product_attention: attn_mask must be boolean or floating"):
        F.scaled_dot_product_attention(_t(2, 3), _t(4, 3), _t(4, 2), attn_mask=np.ones((2, 4), int))


# ====================================================================== F.multi_head_attention
def _mha_params(rng, E, bias=True):
    W_in, W_out = rng.standard_normal((3 * E, E)) / np.sqrt(E), rng.standard_normal((E, E)) / np.sqrt(E)
    b_in, b_out = (rng.standard_normal(3 * E), rng.standard_normal(E)) if bias else (None, None)
    return W_in, b_in, W_out, b_out


def _mha(query, key, value, h, params, self_attention=False, **kw):
    t = [None if a is None else md.tensor(a) for a in params]
    q = md.tensor(query)
    k, v = (q, q) if self_attention else (md.tensor(key), md.tensor(value))
    out, w = F.multi_head_attention(q, k, v, h, *t, **kw)
    return out.numpy(), (None if w is None else w.numpy())


def _mha_masks(rng, kind, N, h, L, S, unbatched=False):
    """(keyword arguments, the same for the reference) for one mask kind (MHA meaning: True = ignore)."""
    kw = {}
    if "kpm" in kind:
        shape = (S,) if unbatched else (N, S)
        kw["key_padding_mask"] = (rng.random(shape) < 0.3 if "bool" in kind
                                  else rng.standard_normal(shape))
    if "am2" in kind:
        kw["attn_mask"] = rng.random((L, S)) < 0.3 if "bool" in kind else rng.standard_normal((L, S))
    if "am3" in kind:
        shape = (h if unbatched else N * h, L, S)
        kw["attn_mask"] = rng.random(shape) < 0.3 if "bool" in kind else rng.standard_normal(shape)
    return kw


MHA_MASKS = ["none", "kpm_bool", "kpm_float", "am2_bool", "am2_float", "am3_bool", "am3_float",
             "kpm_am2_bool", "kpm_am3_float", "kpm_bool_am2_float"]


def _mixed_masks(rng, kind, N, h, L, S, unbatched=False):
    if kind == "kpm_bool_am2_float":
        kw = _mha_masks(rng, "kpm_bool", N, h, L, S, unbatched)
        kw.update(_mha_masks(rng, "am2_float", N, h, L, S, unbatched))
        return kw
    return _mha_masks(rng, kind, N, h, L, S, unbatched)


@pytest.mark.parametrize("kind", MHA_MASKS)
@pytest.mark.parametrize("layout", ["LNE", "NLE", "unbatched"])
@pytest.mark.parametrize("attention", ["self", "cross"])
def test_mha_matches_reference(kind, layout, attention):
    rng = np.random.default_rng(20)
    N, h, E, L = 3, 2, 4, 5
    S = L if attention == "self" else 6
    unbatched = layout == "unbatched"
    shape = {"LNE": lambda n: (n, N, E), "NLE": lambda n: (N, n, E), "unbatched": lambda n: (n, E)}[layout]
    query, key, value = (rng.standard_normal(shape(n)) for n in (L, S, S))
    if attention == "self":
        key = value = query
    params = _mha_params(rng, E)
    kw = _mixed_masks(rng, kind, N, h, L, S, unbatched)
    for avg in (True, False):
        out, w = _mha(query, key, value, h, params, self_attention=attention == "self",
                      batch_first=layout == "NLE", average_attn_weights=avg, **kw)
        r_out, r_w = R.multi_head_attention(query, key, value, h, *params, batch_first=layout == "NLE",
                                            average_attn_weights=avg, **kw)
        np.testing.assert_allclose(out, r_out, **TIGHT)
        np.testing.assert_allclose(w, r_w, **TIGHT)
    out2, w2 = _mha(query, key, value, h, params, batch_first=layout == "NLE", need_weights=False, **kw)
    assert w2 is None
    np.testing.assert_allclose(out2, r_out, **TIGHT)


def test_mha_numpy_transcription_and_no_bias():
    # Concat(head_1..head_h) Wᴼ written directly in NumPy, (L, N, E), no biases
    rng = np.random.default_rng(21)
    L, S, N, E, h = 4, 3, 2, 6, 3
    E_h = E // h
    x, y = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))
    W_in, _, W_out, _ = _mha_params(rng, E, bias=False)
    out, w = _mha(x, y, y, h, (W_in, None, W_out, None), average_attn_weights=False)
    Q, K, V = x @ W_in[:E].T, y @ W_in[E:2 * E].T, y @ W_in[2 * E:].T
    heads, weights = [], []
    for i in range(h):
        cols = slice(i * E_h, (i + 1) * E_h)
        qi, ki, vi = (np.transpose(a[..., cols], (1, 0, 2)) for a in (Q, K, V))   # (N, ·, E_h)
        s = qi @ np.swapaxes(ki, 1, 2) / np.sqrt(E_h)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        weights.append(a)
        heads.append(np.transpose(a @ vi, (1, 0, 2)))                              # (L, N, E_h)
    np.testing.assert_allclose(out, np.concatenate(heads, axis=-1) @ W_out.T, **TIGHT)
    np.testing.assert_allclose(w, np.stack(weights, axis=1), **TIGHT)


def test_mha_fully_masked_row_output_is_out_proj_bias():
    rng = np.random.default_rng(22)
    L, S, N, E, h = 3, 4, 2, 4, 2
    x, y = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))
    params = _mha_params(rng, E)
    kpm = np.zeros((N, S), bool)
    kpm[1] = True                                             # batch element 1: every key is padding
    am = np.zeros((L, S), bool)
    am[0] = True                                              # query 0 may attend to nothing
    f = lambda *a: F.multi_head_attention(a[0], a[1], a[2], h, *a[3:], key_padding_mask=kpm,  # noqa: E731
                                          attn_mask=am, average_attn_weights=False)
    out, w = _mha(x, y, y, h, params, key_padding_mask=kpm, attn_mask=am, average_attn_weights=False)
    np.testing.assert_allclose(out[:, 1], np.broadcast_to(params[3], (L, E)), rtol=1e-12)
    np.testing.assert_allclose(out[0], np.broadcast_to(params[3], (N, E)), rtol=1e-12)
    np.testing.assert_array_equal(w[1], 0.0)
    np.testing.assert_array_equal(w[:, :, 0], 0.0)
    np.testing.assert_allclose(w[0, :, 1:].sum(-1), 1.0, rtol=1e-12)
    r_out, r_w = R.multi_head_attention(x, y, y, h, *params, key_padding_mask=kpm, attn_mask=am,
                                        average_attn_weights=False)
    np.testing.assert_allclose(out, r_out, **TIGHT)
    np.testing.assert_allclose(w, r_w, **TIGHT)
    inputs = [leaf(a) for a in (x, y, y, *params)]
    o, wt = f(*inputs)
    (o * md.tensor(rng.standard_normal(o.shape))).sum().backward()
    for t in inputs:
        assert np.all(np.isfinite(t.grad))
    np.testing.assert_array_equal(inputs[0].grad[:, 1], 0.0)  # nothing of query n=1 reaches the output
    check_gradients(lambda *a: f(*a), x, y, y, *params)


def test_mha_is_causal_without_mask_is_the_causal_mask():
    rng = np.random.default_rng(23)
    x = rng.standard_normal((5, 2, 4))
    params = _mha_params(rng, 4)
    causal = np.triu(np.ones((5, 5), bool), 1)                # True = not allowed
    a = _mha(x, x, x, 2, params, is_causal=True)
    b = _mha(x, x, x, 2, params, attn_mask=causal)
    c = _mha(x, x, x, 2, params, attn_mask=causal, is_causal=True)   # a hint: mask used as given
    for got in (a, c):
        np.testing.assert_allclose(got[0], b[0], **TIGHT)
        np.testing.assert_allclose(got[1], b[1], **TIGHT)
    assert np.all(np.triu(b[1], 1) == 0) and not np.allclose(b[1], _mha(x, x, x, 2, params)[1])


def test_mha_dropout_weights_are_the_ones_used():
    # with dropout the returned (per-head) weights are the dropped ones: rebuild the output from them
    rng = np.random.default_rng(24)
    L, S, N, E, h = 4, 5, 2, 6, 2
    x, y = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))
    W_in, b_in, W_out, b_out = params = _mha_params(rng, E)
    out, w = _mha(x, y, y, h, params, dropout_p=0.4, average_attn_weights=False)   # w (N, h, L, S)
    V = (y @ W_in[2 * E:].T + b_in[2 * E:]).reshape(S, N, h, E // h).transpose(1, 2, 0, 3)
    concat = (w @ V).transpose(2, 0, 1, 3).reshape(L, N, E)
    np.testing.assert_allclose(out, concat @ W_out.T + b_out, **TIGHT)
    assert np.any(w == 0)
    evaluation = _mha(x, y, y, h, params, dropout_p=0.4, training=False)
    np.testing.assert_allclose(evaluation[0], _mha(x, y, y, h, params)[0], **TIGHT)


@st.composite
def _mha_cases(draw):
    h = draw(st.integers(1, 3))
    E = h * draw(st.integers(1, 2))
    N, L = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    attention = draw(st.sampled_from(["self", "cross"]))
    S = L if attention == "self" else draw(st.integers(1, 3))
    layout = draw(st.sampled_from(["LNE", "NLE", "unbatched"]))
    kind = draw(st.sampled_from(MHA_MASKS + ["causal"]))
    avg = draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    return h, E, N, L, S, attention, layout, kind, avg, seed


@given(_mha_cases())
@settings(max_examples=20)
def test_mha_gradients_property(case):
    # every input and parameter, through both outputs (output and weights)
    h, E, N, L, S, attention, layout, kind, avg, seed = case
    rng = np.random.default_rng(seed)
    unbatched = layout == "unbatched"
    if unbatched:
        N = 1
    shape = {"LNE": lambda n: (n, N, E), "NLE": lambda n: (N, n, E), "unbatched": lambda n: (n, E)}[layout]
    kw = ({"is_causal": True} if kind == "causal" else _mixed_masks(rng, kind, N, h, L, S, unbatched))
    kw.update(batch_first=layout == "NLE", average_attn_weights=avg)
    params = _mha_params(rng, E)
    if attention == "self":
        f = lambda x, *p: F.multi_head_attention(x, x, x, h, *p, **kw)  # noqa: E731
        check_gradients(f, rng.standard_normal(shape(L)), *params)
    else:
        f = lambda x, y, z, *p: F.multi_head_attention(x, y, z, h, *p, **kw)  # noqa: E731
        check_gradients(f, *(rng.standard_normal(shape(n)) for n in (L, S, S)), *params)


def _mt(*shape):
    return md.tensor(np.ones(shape))


@pytest.mark.parametrize("args,kw,match", [
    (((5, 2, 6), (5, 2, 6), (5, 2, 6), 4), {}, "E=6 must be divisible by num_heads h=4"),
    (((5, 2, 6), (5, 2, 6), (5, 2, 6), 0), {}, "num_heads must be a positive int"),
    (((5, 6), (5, 2, 6), (5, 2, 6), 2), {}, r"must all be \(L, N, E\)"),
    (((5, 2, 2, 6), (5, 2, 2, 6), (5, 2, 2, 6), 2), {}, "must all be"),
    (((5, 2, 6), (4, 2, 5), (4, 2, 5), 2), {}, "key and value must have E=6 features"),
    (((5, 2, 6), (4, 3, 6), (4, 3, 6), 2), {}, "same batch size N"),
    (((5, 2, 6), (4, 2, 6), (3, 2, 6), 2), {}, "same length S"),
    (((5, 2, 6), (4, 2, 6), (4, 2, 6), 2), {"attn_mask": np.ones((5, 5), bool)}, r"attn_mask must be \(L, S\)"),
    (((5, 2, 6), (4, 2, 6), (4, 2, 6), 2), {"attn_mask": np.ones((2, 5, 4))}, r"\(N·h, L, S\) = \(4, 5, 4\)"),
    (((5, 2, 6), (4, 2, 6), (4, 2, 6), 2), {"key_padding_mask": np.ones((4, 2), bool)}, "key_padding_mask must be"),
    (((5, 6), (4, 6), (4, 6), 2), {"key_padding_mask": np.ones((1, 4), bool)}, r"key_padding_mask must be \(S,\)"),
    (((5, 2, 6), (4, 2, 6), (4, 2, 6), 2), {"dropout_p": -0.1}, "dropout_p"),
])
def test_mha_bad_input_value_error(args, kw, match):
    *shapes, h = args
    E = shapes[0][-1]
    params = (_mt(3 * E, E), _mt(3 * E), _mt(E, E), _mt(E))
    with pytest.raises(ValueError, match="multi_head_attention") as e:
        F.multi_head_attention(*(_mt(*s) for s in shapes), h, *params, **kw)
    assert e.match(match)


@pytest.mark.parametrize("which,shape,match", [
    (0, (3 * 6, 5), r"in_proj_weight must be \(3E, E\)"),
    (1, (6,), r"in_proj_bias must be \(3E,\)"),
    (2, (6, 5), r"out_proj_weight must be \(E, E\)"),
    (3, (5,), r"out_proj_bias must be \(E,\)"),
])
def test_mha_bad_parameter_shapes(which, shape, match):
    params = [_mt(18, 6), _mt(18), _mt(6, 6), _mt(6)]
    params[which] = _mt(*shape)
    x = _mt(5, 2, 6)
    with pytest.raises(ValueError, match="multi_head_attention: " + match):
        F.multi_head_attention(x, x, x, 2, *params)


def test_mha_bad_input_type_error():
    x = _mt(5, 2, 6)
    params = (_mt(18, 6), _mt(18), _mt(6, 6), _mt(6))
    with pytest.raises(TypeError, match="multi_head_attention: key must be a Tensor"):
        F.multi_head_attention(x, np.ones((5, 2, 6)), x, 2, *params)
    with pytest.raises(TypeError, match="multi_head_attention: key_padding_mask must be boolean or floating"):
        F.multi_head_attention(x, x, x, 2, *params, key_padding_mask=np.zeros((2, 5), int))
