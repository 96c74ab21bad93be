"""Softmax and log-softmax: formulas, stability at ±1e4 and beyond, gradients by
hypothesis + gradcheck, the VJP-sums-to-zero invariant, PyTorch cross-checks."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md
import minidl.functional as F
from tests.helpers import leaf, torch_vjp, vjp


@st.composite
def logits_and_dim(draw, scale=3.0):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    x = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1))).uniform(-scale, scale, shape)
    return x, draw(st.integers(-len(shape), len(shape) - 1))


@pytest.mark.parametrize("f", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
@given(args=logits_and_dim())
def test_gradient(f, args):
    x, dim = args
    assert md.gradcheck(lambda t: f(t, dim), (leaf(x),), atol=1e-6, rtol=1e-5)


@given(logits_and_dim())
def test_formula_and_softmax_vjp_sums_to_zero(args):
    x, dim = args
    e = np.exp(x)
    want = e / e.sum(dim, keepdims=True)
    np.testing.assert_allclose(F.softmax(md.tensor(x), dim).numpy(), want, rtol=1e-13)
    np.testing.assert_allclose(F.log_softmax(md.tensor(x), dim).numpy(), np.log(want),
                               rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(md.tensor(x).softmax(dim).numpy(), want, rtol=1e-13)
    _, (g,), _ = vjp(lambda t: F.softmax(t, dim), x)
    np.testing.assert_allclose(g.sum(dim), 0.0, atol=1e-12)


@pytest.mark.parametrize("big", [1e4, 1e6, 1e300])
def test_stable_for_huge_logits(big):
    x = md.tensor(np.array([[big, -big, 0.0], [big, big, -big]]), requires_grad=True)
    p = F.softmax(x, 1)
    np.testing.assert_array_equal(p.numpy(), [[1, 0, 0], [0.5, 0.5, 0]])
    lp = F.log_softmax(x, dim=-1)
    assert np.all(np.isfinite(lp.numpy()[:, :2]))
    np.testing.assert_allclose(lp.numpy()[0, :1], [0.0])
    np.testing.assert_allclose(lp.numpy()[1, :2], [-np.log(2)] * 2)
    (lp * md.tensor(np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 0.0]]))).sum().backward()
    np.testing.assert_allclose(x.grad, [[1 - 6, 2, 3], [0, 0, 0]], atol=1e-12)


def test_float32_stays_float32():
    x = md.tensor([[1e4, 0.0, -1e4]])
    assert F.softmax(x, 1).dtype == np.float32
    assert F.log_softmax(x, 1).dtype == np.float32
    np.testing.assert_array_equal(F.softmax(x, 1).numpy(), [[1, 0, 0]])


def test_bad_dim():
    with pytest.raises(ValueError, match="softmax: dim 2 is out of range"):
        F.softmax(md.ones(2, 3), 2)
    with pytest.raises(ValueError, match="log_softmax: dim -3 is out of range"):
        F.log_softmax(md.ones(2, 3), -3)
    with pytest.raises(TypeError, match="softmax: input must be a Tensor"):
        F.softmax(np.ones(3), 0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for shape, dim in [((4, 5), 1), ((2, 3, 4), 0), ((2, 3, 4), -1), ((6,), 0)]:
        x = rng.standard_normal(shape) * 5
        out, (g,), u = vjp(lambda t, dim=dim: getattr(F, name)(t, dim), x)
        t_out, (tg,) = torch_vjp(torch, lambda t, dim=dim: getattr(torch, name)(t, dim), x,
                                 upstream=u)
        np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_blocked_path_matches_the_formula(name, threads, monkeypatch):
    """Inputs above the split size are done a block of rows at a time (on 1 or 2
    threads): the same numbers as the one-shot formula, forward and VJP."""
    from minidl import parallel
    from minidl.ops import softmax as sm
    monkeypatch.setattr(sm, "_SPLIT", 64)
    monkeypatch.setattr(sm, "_BLOCK", 40)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 5, 9)) * 4
    x[0, 0, :] = -np.inf                                   # a row of −inf: NaN, as before
    x[1, 1, 2] = 1e4
    u = rng.standard_normal(x.shape)
    m = np.max(x, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.exp(x - m)
        p = e / e.sum(-1, keepdims=True)
        want = p if name == "softmax" else (x - m) - np.log(e.sum(-1, keepdims=True))
    want_grad = (p * (u - (u * p).sum(-1, keepdims=True)) if name == "softmax"
                 else u - p * u.sum(-1, keepdims=True))
    before = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        with np.errstate(invalid="ignore"):
            t = md.tensor(x, requires_grad=True)
            y = getattr(F, name)(t, -1)
            y.backward(md.tensor(u))
    finally:
        parallel.set_num_threads(before)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-13, atol=1e-14)
    rows = slice(1, None)                                  # (the −inf row's gradient is NaN)
    np.testing.assert_allclose(t.grad.numpy()[rows], want_grad[rows], rtol=1e-12, atol=1e-13)


@given(S=st.integers(1, 70), rows=st.integers(1, 40), dtype=st.sampled_from([np.float32, np.float64]),
       special=st.sampled_from([None, np.inf, -np.inf, np.nan]), seed=st.integers(0, 2 ** 16))
def test_short_rows_reduce_as_numpy_does(S, rows, dtype, special, seed):
    # short last axes take the column-loop max and the product-with-ones sum: the same
    # numbers as np.max and np.sum, with inf, −inf and NaN where they propagate
    from minidl.ops.softmax import _row_max, _row_sum
    x = np.random.default_rng(seed).normal(0, 3, (rows, 2, S)).astype(dtype)
    if special is not None:
        x[0, 0, :] = -np.inf                   # a whole row of −inf
        x[-1, 1, S // 2] = special
    np.testing.assert_array_equal(_row_max(x, -1), np.where(
        x.max(axis=-1, keepdims=True) == -np.inf, 0, x.max(axis=-1, keepdims=True)))
    np.testing.assert_allclose(_row_sum(np.abs(x), 2), np.abs(x).sum(axis=2, keepdims=True),
                               rtol=1e-6 if dtype == np.float32 else 1e-13)
    y = F.softmax(md.tensor(x), -1).numpy()
    with np.errstate(invalid="ignore"):        # ∞ − ∞ and 0/0: NaN, as PyTorch
        m = x.max(-1, keepdims=True)
        e = np.exp(x - np.where(np.isneginf(m), 0, m))
        np.testing.assert_allclose(y, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)
