"""The elementwise names PyTorch programs call beyond the basics (asin ... digamma, fmax,
xlogy, the in-place forms): values against NumPy/SciPy formulas and PyTorch in float64
(dtype, special values 0, ±inf, NaN, ties), gradients through md.gradcheck with a random
upstream gradient, and PyTorch's gradients at the kinks."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md

seeds = st.integers(0, 2 ** 32 - 1)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)


def leaf(a):
    return md.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def grads_ok(fn, *arrays):
    return md.gradcheck(fn, tuple(leaf(a) for a in arrays), eps=1e-6, atol=1e-5, rtol=1e-4)


# name: (lo, hi) of the random inputs inside the domain
UNARY_DOMAINS = {
    "asin": (-0.95, 0.95), "acos": (-0.95, 0.95), "atan": (-4, 4), "sinh": (-3, 3),
    "cosh": (-3, 3), "asinh": (-4, 4), "acosh": (1.05, 5), "atanh": (-0.95, 0.95),
    "exp2": (-3, 3), "sinc": (-3, 3), "deg2rad": (-400, 400), "rad2deg": (-7, 7),
    "frac": (-5, 5), "logit": (0.02, 0.98), "erfinv": (-0.99, 0.99), "lgamma": (0.1, 8),
    "digamma": (0.1, 8),
}
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "fix": "trunc"}
SPECIAL = np.array([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, -2.5, 1e-300, 30.0,
                    np.inf, -np.inf, np.nan])

# float64 formulas the values must equal (NumPy, math)
FORMULAS = {
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "exp2": np.exp2,
    "sinc": np.sinc, "deg2rad": np.deg2rad, "rad2deg": np.rad2deg,
    "frac": lambda x: x - np.trunc(x), "logit": lambda x: np.log(x / (1 - x)),
    "lgamma": np.vectorize(math.lgamma),
}


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
def test_unary_values_against_the_formula(name):
    lo, hi = UNARY_DOMAINS[name]
    x = np.random.default_rng(len(name)).uniform(lo, hi, (3, 5))
    out = getattr(md, name)(md.tensor(x))
    assert out.dtype == np.float64
    if name in FORMULAS:
        np.testing.assert_allclose(out.numpy(), FORMULAS[name](x), rtol=1e-13, atol=1e-15)
    assert getattr(md.tensor(x), name)().numpy() == pytest.approx(out.numpy(), rel=0)


def test_erfinv_lgamma_digamma_against_identities():
    y = np.random.default_rng(1).uniform(-0.999, 0.999, 200)
    x = md.erfinv(md.tensor(y))
    np.testing.assert_allclose(md.erf(x).numpy(), y, rtol=1e-12, atol=1e-14)
    z = np.random.default_rng(2).uniform(0.1, 6, 50)
    # ψ(x + 1) = ψ(x) + 1/x, and ψ(1) = −γ, ψ'(1) = π²/6
    np.testing.assert_allclose(md.digamma(md.tensor(z + 1)).numpy(),
                               md.digamma(md.tensor(z)).numpy() + 1 / z, rtol=1e-12)
    assert md.digamma(md.tensor(1.0, dtype=md.float64)).item() == pytest.approx(-0.5772156649015329, rel=1e-14)
    assert md.polygamma(1, md.tensor(1.0, dtype=md.float64)).item() == pytest.approx(math.pi ** 2 / 6, rel=1e-14)
    assert md.erfinv(md.tensor([1.0, -1.0, 2.0])).numpy().tolist()[:2] == [np.inf, -np.inf]


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
@given(shape=shapes, seed=seeds)
def test_unary_gradient_matches_central_differences(name, shape, seed):
    lo, hi = UNARY_DOMAINS[name]
    x = np.random.default_rng(seed).uniform(lo, hi, shape)
    if name == "frac":
        x = np.where(np.abs(x - np.round(x)) < 0.01, x + 0.05, x)   # off the jumps
    assert grads_ok(lambda t: getattr(t, name)(), x)


BINARY_CASES = {
    "atan2": lambda a, b: md.atan2(a, b), "logaddexp": lambda a, b: md.logaddexp(a, b),
    "logaddexp2": lambda a, b: md.logaddexp2(a, b), "xlogy": lambda a, b: md.xlogy(a, b.abs()),
    "copysign": lambda a, b: md.copysign(a, b), "fmax": lambda a, b: md.fmax(a, b),
    "fmin": lambda a, b: md.fmin(a, b), "ldexp": lambda a, b: md.ldexp(a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                  max_side=3), seed=seeds)
def test_binary_gradient_with_broadcasting(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(0.3, 2.0, s) * rng.choice([-1.0, 1.0], s) for s in shapes.input_shapes)
    assert grads_ok(BINARY_CASES[name], a, b)


def test_integer_inputs_are_computed_in_the_default_dtype():
    i = md.tensor([1, 2, 3])
    for name in ["asin", "atan", "sinh", "exp2", "sinc", "deg2rad", "lgamma", "digamma",
                 "erfinv", "logit"]:
        assert getattr(i, name)().dtype == np.float32, name
    assert md.atan2(i, i).dtype == np.float32
    assert md.xlogy(i, i).dtype == np.float32 and md.copysign(i, -1).dtype == np.float32
    assert md.fmax(i, i).dtype == np.int64
    with pytest.raises(TypeError, match="frac"):
        i.frac()
    with pytest.raises(TypeError, match="heaviside"):
        md.heaviside(md.tensor([1.0]), md.tensor([1]))


def test_predicates_and_step_functions():
    x = md.tensor([-np.inf, -1.0, -0.0, 0.0, 2.0, np.inf, np.nan])
    assert md.isposinf(x).numpy().tolist() == [False] * 5 + [True, False]
    assert md.isneginf(x).numpy().tolist() == [True] + [False] * 6
    assert md.signbit(x).numpy().tolist() == [True, True, True, False, False, False, False]
    assert md.isreal(x).numpy().all()
    h = md.heaviside(md.tensor([-1.0, 0.0, 3.0]), md.tensor([0.5]))
    assert h.numpy().tolist() == [0.0, 0.5, 1.0]
    one, two = md.tensor([1.0], dtype=md.float64), md.tensor([2.0], dtype=md.float64)
    assert md.nextafter(one, two).item() == np.nextafter(1.0, 2.0)
    assert md.positive(x) is x
    assert md.fix(md.tensor([-1.5, 1.5])).numpy().tolist() == [-1.0, 1.0]


def test_kinks_ties_and_special_values():
    # fmax: NaN ignored, ties send the whole gradient to the first argument
    a, b = leaf([1.0, np.nan, 2.0, np.nan]), leaf([1.0, 3.0, np.nan, np.nan])
    out = md.fmax(a, b)
    np.testing.assert_array_equal(out.numpy(), [1.0, 3.0, 2.0, np.nan])
    out.backward(md.tensor([1.0, 2.0, 3.0, 4.0]))
    assert a.grad.numpy().tolist() == [1.0, 0.0, 3.0, 4.0]
    assert b.grad.numpy().tolist() == [0.0, 2.0, 0.0, 0.0]
    # sinc(0) = 1 with gradient 0; xlogy(0, y) = 0 with gradient 0 in x
    x = leaf([0.0, 0.5])
    md.sinc(x).backward(md.tensor([1.0, 1.0]))
    assert x.grad.numpy()[0] == 0.0
    x, y = leaf([0.0, 2.0]), leaf([0.0, 3.0])
    out = md.xlogy(x, y)
    assert out.numpy().tolist() == [0.0, 2 * math.log(3.0)]
    out.sum().backward()
    assert x.grad.numpy().tolist() == [0.0, math.log(3.0)]      # 0 where x = 0 and y ≤ 0
    assert np.isnan(y.grad.numpy()[0]) and y.grad.numpy()[1] == 2 / 3   # x/y
    # logaddexp at equal infinities and at a tie
    inf = md.tensor([np.inf, -np.inf, 1.0], dtype=md.float64)
    assert md.logaddexp(inf, inf).numpy().tolist() == [np.inf, -np.inf, 1.0 + math.log(2)]
    p, q = leaf([1.0]), leaf([1.0])
    md.logaddexp(p, q).backward()
    assert p.grad.item() == 0.5 and q.grad.item() == 0.5
    # logit: gradient 0 outside [eps, 1 − eps], NaN outside [0, 1] without eps
    z = leaf([0.05, 0.5, 1.2])
    md.logit(z, eps=0.1).sum().backward()
    assert z.grad.numpy()[0] == 0.0 and z.grad.numpy()[1] == 4.0 and z.grad.numpy()[2] == 0.0
    z = leaf([-0.5, 0.5])
    md.logit(z).sum().backward()
    assert np.isnan(z.grad.numpy()[0])
    # copysign: ∂/∂a = ±1, 0 at a = 0
    a = leaf([0.0, 2.0, -3.0])
    md.copysign(a, md.tensor([-1.0, -1.0, 1.0])).sum().backward()
    assert a.grad.numpy().tolist() == [0.0, -1.0, -1.0]


def test_in_place_forms_change_the_tensor_and_are_recorded():
    x = md.tensor([0.1, 0.4, -0.3])
    for name in ["asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "arcsin",
                 "erfinv", "sinc", "deg2rad", "rad2deg", "frac", "fix", "sgn", "exp2",
                 "sin", "cos", "tan", "square", "expm1", "log1p", "erf", "erfc", "negative",
                 "ceil", "floor", "trunc", "sign"]:
        t = x.clone()
        assert getattr(t, name + "_")() is t
        np.testing.assert_allclose(t.numpy(), getattr(x, name)().numpy(), err_msg=name)
    t = x.clone()
    t.atan2_(md.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(t.numpy(), np.arctan2(x.numpy(), [1.0, 2.0, 3.0]))
    t = x.clone()
    t.eq_(md.tensor([0.1, 0.0, -0.3]))
    assert t.numpy().tolist() == [1.0, 0.0, 1.0] and t.dtype == x.dtype
    with pytest.raises(RuntimeError, match="float_power_"):
        x.clone().float_power_(2)
    w = leaf([0.2, 0.6])
    h = w * 1.0
    h.asin_()
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 1 / np.sqrt(1 - np.array([0.2, 0.6]) ** 2))
    m = md.zeros(3, 3)
    assert m.fill_diagonal_(2.0) is m and np.diag(m.numpy()).tolist() == [2.0, 2.0, 2.0]


# ------------------------------------------------------------------ PyTorch, float64
TORCH_UNARY = sorted(set(UNARY_DOMAINS) | set(ALIASES) | {"sgn", "signbit", "positive",
                                                         "isposinf", "isneginf", "isreal"})


@pytest.mark.parametrize("name", TORCH_UNARY)
def test_unary_against_pytorch_values_specials_and_gradients(name):
    torch = pytest.importorskip("torch")
    lo, hi = UNARY_DOMAINS.get(ALIASES.get(name, name), (-3, 3))
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(lo, hi, 20), SPECIAL])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(torch, name)(torch.tensor(x)).numpy()
        out = getattr(md, name)(md.tensor(x))
    assert out.numpy().dtype == expected.dtype, name
    rtol = 1e-9 if name in ("digamma", "lgamma", "erfinv") else 1e-13
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=1e-300)
    if not out.dtype.kind == "f" or name in ("positive", "fix", "sgn"):
        return
    inside = rng.uniform(lo, hi, 20)
    g = rng.standard_normal(20)
    tx = torch.tensor(inside, requires_grad=True)
    getattr(torch, name)(tx).backward(torch.tensor(g))
    mx = leaf(inside)
    getattr(md, name)(mx).backward(md.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


TORCH_BINARY = ["atan2", "arctan2", "logaddexp", "logaddexp2", "xlogy", "copysign", "fmax",
                "fmin", "ldexp", "nextafter", "heaviside"]


@pytest.mark.parametrize("name", TORCH_BINARY)
def test_binary_against_pytorch_with_specials_and_ties(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.uniform(0.2, 3, 12) * rng.choice([-1, 1], 12),
                        [0.0, 0.0, 1.0, 2.0, np.inf, np.inf, -np.inf, np.nan, 1.0, np.nan]])
    b = np.concatenate([rng.uniform(0.2, 3, 12) * rng.choice([-1, 1], 12),
                        [0.0, 2.0, 1.0, np.nan, np.inf, 1.0, -np.inf, 1.0, np.inf, np.nan]])
    if name == "xlogy":
        b = np.abs(b)
    if name == "ldexp":
        a, b = a[:12], np.round(b[:12])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        out = getattr(md, name)(md.tensor(a), md.tensor(b)).numpy()
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-300)
    if name in ("nextafter", "heaviside"):
        return
    g = rng.standard_normal(a.shape)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    getattr(torch, name)(ta, tb).backward(torch.tensor(g))
    ma, mb = leaf(a), leaf(b)
    getattr(md, name)(ma, mb).backward(md.tensor(g))
    finite = np.isfinite(a) & np.isfinite(b) & ((a != 0) | (b != 0))   # PyTorch's 0/0 aside
    np.testing.assert_allclose(ma.grad.numpy()[finite], ta.grad.numpy()[finite], rtol=1e-10)
    np.testing.assert_allclose(mb.grad.numpy()[finite], tb.grad.numpy()[finite], rtol=1e-10)


def test_logit_eps_and_polygamma_against_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([-0.2, 0.0, 0.05, 0.1, 0.3, 0.9, 0.95, 1.0, 1.3])
    g = np.random.default_rng(0).standard_normal(x.shape)
    for eps in (None, 0.1):
        tx, mx = torch.tensor(x, requires_grad=True), leaf(x)
        t_out, m_out = torch.logit(tx, eps), md.logit(mx, eps)
        np.testing.assert_allclose(m_out.numpy(), t_out.detach().numpy(), rtol=1e-13)
        t_out.backward(torch.tensor(g))
        m_out.backward(md.tensor(g))
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    z = np.random.default_rng(1).uniform(-4.5, 6, 30)
    for n in (1, 2, 3):
        np.testing.assert_allclose(md.polygamma(n, md.tensor(z)).numpy(),
                                   torch.polygamma(n, torch.tensor(z)).numpy(), rtol=1e-8)


# ------------------------------------------------------------------ shapes, scans, reductions
def test_scans_and_reductions_against_formulas():
    x = np.array([[1.0, 3.0, 3.0, 2.0, 5.0], [0.5, -1.0, -1.0, 4.0, -2.0]])
    v, i = md.tensor(x).cummax(1)
    np.testing.assert_array_equal(v.numpy(), np.maximum.accumulate(x, 1))
    assert i.numpy().tolist() == [[0, 1, 2, 2, 4], [0, 0, 0, 3, 3]]     # ties: the latest
    v, i = md.tensor(x).cummin(1)
    np.testing.assert_array_equal(v.numpy(), np.minimum.accumulate(x, 1))
    assert i.numpy().tolist() == [[0, 0, 0, 0, 0], [0, 1, 2, 2, 4]]
    np.testing.assert_allclose(md.tensor(x).logcumsumexp(1).numpy(),
                               np.log(np.cumsum(np.exp(x), 1)), rtol=1e-13)
    np.testing.assert_array_equal(md.tensor(x).diff().numpy(), np.diff(x))
    np.testing.assert_array_equal(md.diff(md.tensor(x), n=2, dim=0,
                                          prepend=md.tensor(x[:1])).numpy(),
                                  np.diff(x, 2, 0, prepend=x[:1]))
    lo, hi = md.tensor(x).aminmax(dim=1)
    assert lo.numpy().tolist() == [1.0, -2.0] and hi.numpy().tolist() == [5.0, 4.0]
    y = np.array([1.0, np.nan, 3.0])
    assert md.tensor(y).nanmean().item() == 2.0
    kv, ki = md.tensor(x).kthvalue(2, 1)
    assert kv.numpy().tolist() == [2.0, -1.0]
    assert md.tensor([0, 1, 1, 4]).bincount().numpy().tolist() == [1, 2, 0, 0, 1]
    h = md.tensor([1.0, 2.0, 1.0, 7.0]).histc(bins=4, min=0, max=3)
    assert h.numpy().tolist() == [0.0, 2.0, 1.0, 0.0]
    u, inv, cnt = md.tensor([1, 1, 2, 2, 3, 1]).unique_consecutive(True, True)
    assert (u.numpy().tolist(), inv.numpy().tolist(), cnt.numpy().tolist()) == \
        ([1, 2, 3, 1], [0, 0, 1, 1, 2, 3], [2, 2, 1, 1])
    assert md.tensor([[0, 1], [2, 0]]).argwhere().numpy().tolist() == [[0, 1], [1, 0]]


@given(shape=shapes, seed=seeds)
def test_scan_gradients_match_central_differences(shape, seed):
    x = np.random.default_rng(seed).permutation(np.linspace(-2, 2, int(np.prod(shape))))
    x = x.reshape(shape)
    assert grads_ok(lambda t: t.cummax(-1).values * t, x)
    assert grads_ok(lambda t: t.cummin(0).values, x)
    assert grads_ok(lambda t: t.logcumsumexp(-1), x)
    assert grads_ok(lambda t: t.diff(dim=0), x)
    assert grads_ok(lambda t: t.renorm(2, 0, 1.0), x)


def test_shapes_and_products_against_numpy():
    a = np.arange(12.0).reshape(3, 4)
    t = md.tensor(a)
    np.testing.assert_array_equal(t.ravel().numpy(), a.ravel())
    np.testing.assert_array_equal(t.fliplr().numpy(), np.fliplr(a))
    np.testing.assert_array_equal(t.flipud().numpy(), np.flipud(a))
    for k in range(-1, 5):
        np.testing.assert_array_equal(t.rot90(k).numpy(), np.rot90(a, k))
    assert [p.shape for p in t.hsplit(2)] == [(3, 2), (3, 2)]
    assert [p.shape for p in t.vsplit([1])] == [(1, 4), (2, 4)]
    with pytest.raises(ValueError, match="hsplit"):
        t.hsplit(3)
    np.testing.assert_array_equal(t.take(md.tensor([[0, 11], [5, -1]])).numpy(),
                                  np.take(a, [[0, 11], [5, -1]]))
    np.testing.assert_array_equal(md.column_stack([md.tensor([1, 2]), md.tensor([3, 4])]).numpy(),
                                  [[1, 3], [2, 4]])
    assert md.dstack([t, t]).shape == (3, 4, 2)
    np.testing.assert_array_equal(md.kron(t, md.tensor(np.eye(2))).numpy(), np.kron(a, np.eye(2)))
    np.testing.assert_array_equal(md.diagflat(md.tensor([1.0, 2.0]), 1).numpy(),
                                  np.diagflat([1.0, 2.0], 1))
    e = md.tensor(a[:, :3]).diag_embed(-1).numpy()
    assert e.shape == (3, 4, 4) and np.array_equal(e[1], np.diag(a[1, :3], -1))
    np.testing.assert_allclose(t.inner(t).numpy(), a @ a.T)
    assert md.dist(t, t + 1, 1).item() == 12.0
    np.testing.assert_array_equal(md.triu_indices(3, 3, 1).numpy(), np.array(np.triu_indices(3, 1)))
    np.testing.assert_array_equal(md.tril_indices(3, 4).numpy(),
                                  np.array(np.tril_indices(3, 0, 4)))
    np.testing.assert_array_equal(md.vander(md.tensor([1, 2, 3])).numpy(), np.vander([1, 2, 3]))
    out = t.index_copy(1, md.tensor([0, 2]), md.tensor(-a[:, :2]))
    assert out.numpy()[:, 0].tolist() == (-a[:, 0]).tolist() and out.numpy()[0, 2] == -1.0
    m = md.tensor(a > 5)
    ms = t.masked_scatter(m, md.tensor(-np.arange(12.0)))
    assert ms.numpy()[a > 5].tolist() == (-np.arange(6.0)).tolist()
    assert t.index_fill(0, md.tensor([1]), 0.0).numpy()[1].tolist() == [0.0] * 4


def test_index_copy_masked_scatter_and_kron_gradients():
    a, s = np.random.default_rng(0).standard_normal((3, 4)), np.random.default_rng(1).standard_normal((3, 2))
    assert grads_ok(lambda x, y: x.index_copy(1, md.tensor([3, 0]), y), a, s)
    mask = md.tensor(a > 0)
    assert grads_ok(lambda x, y: x.masked_scatter(mask, y), a, np.arange(12.0))
    assert grads_ok(lambda x, y: md.kron(x, y), a[:2, :2], s[:2])
    assert grads_ok(lambda x: x.diag_embed(1), s)
    assert grads_ok(lambda x, y: md.block_diag(x, y), a, s)


def test_predicates_bitwise_and_dtype_functions():
    t = md.tensor([[1.0, 2.0]])
    assert t.is_cpu and t.get_device() == -1 and t.is_signed() and not t.is_inference()
    assert not md.tensor([1], dtype=md.uint8).is_signed() and t.is_same_size(t * 2)
    assert md.tensor([3.0]).is_nonzero() and not md.tensor([0]).is_nonzero()
    with pytest.raises(RuntimeError, match="ambiguous"):
        t.is_nonzero()
    assert t.H.shape == (2, 1) and t.mH.shape == (2, 1) and t.adjoint().shape == (2, 1)
    i, j = md.tensor([12, 6, 5]), md.tensor([8, 4, 0])
    assert md.gcd(i, j).numpy().tolist() == [4, 2, 5]
    assert md.lcm(i, j).numpy().tolist() == [24, 12, 0]
    assert md.bitwise_and(i, j).numpy().tolist() == [8, 4, 0]
    assert (i << 1).numpy().tolist() == [24, 12, 10] and (i >> 1).numpy().tolist() == [6, 3, 2]
    assert md.bitwise_not(md.tensor([True, False])).numpy().tolist() == [False, True]
    k = i.clone()
    assert k.bitwise_xor_(j) is k and k.numpy().tolist() == [4, 2, 5]
    assert md.promote_types(md.float16, md.int64) == np.float16
    assert md.promote_types(md.uint8, md.int8) == np.int16
    assert not md.can_cast(md.float32, md.int32) and md.can_cast(md.int64, md.float16)
    assert md.result_type(md.tensor([1, 2]), 1.5) == np.float32


def test_scans_and_shapes_against_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 4, (4, 6)).astype(np.float64)       # many ties
    x[1, 2] = np.nan
    for name in ("cummax", "cummin"):
        tv, ti = getattr(torch, name)(torch.tensor(x), 1)
        mv, mi = getattr(md, name)(md.tensor(x), 1)
        np.testing.assert_array_equal(mv.numpy(), tv.numpy())
        np.testing.assert_array_equal(mi.numpy(), ti.numpy())
    y = rng.standard_normal((4, 6))
    g = rng.standard_normal((4, 6))
    for fn in (lambda m, t: m.logcumsumexp(t, 1), lambda m, t: m.cummax(t, 0).values,
               lambda m, t: m.renorm(t, 1, 0, 2.0), lambda m, t: m.rot90(t, 1, (0, 1)).T):
        ty, my = torch.tensor(y, requires_grad=True), leaf(y)
        t_out, m_out = fn(torch, ty), fn(md, my)
        np.testing.assert_allclose(m_out.numpy(), t_out.detach().numpy(), rtol=1e-12)
        t_out.backward(torch.tensor(g))
        m_out.backward(md.tensor(g))
        np.testing.assert_allclose(my.grad.numpy(), ty.grad.numpy(), rtol=1e-12, atol=1e-14)
    w = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float32)
    tb = torch.bincount(torch.tensor([0, 2, 2]), weights=w, minlength=4)
    mb = md.bincount(md.tensor([0, 2, 2]), weights=md.tensor(w.numpy()), minlength=4)
    assert mb.dtype == np.float32 and mb.numpy().tolist() == tb.numpy().tolist()
    z = rng.standard_normal(50)
    np.testing.assert_array_equal(md.histc(md.tensor(z), bins=7).numpy(),
                                  torch.histc(torch.tensor(z), bins=7).numpy())
    for a, b in [(md.float16, torch.float16), (md.int64, torch.int64), (md.bool, torch.bool)]:
        for c, d in [(md.uint8, torch.uint8), (md.float32, torch.float32)]:
            assert md.can_cast(a, c) == torch.can_cast(b, d)
            assert str(md.promote_types(a, c)) == str(torch.promote_types(b, d)).split(".")[1]


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_and_nanquantile_against_pytorch(interpolation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 7))
    x[1, 3] = np.nan
    x[2] = np.nan
    q = np.array([0.0, 0.3, 0.5, 0.99, 1.0])
    for name in ("quantile", "nanquantile"):
        for dim in (None, 0, 1):
            for keepdim in (False, True):
                for qq in (q, 0.4):
                    tq = torch.tensor(qq) if isinstance(qq, np.ndarray) else qq
                    mq = md.tensor(qq) if isinstance(qq, np.ndarray) else qq
                    expected = getattr(torch, name)(torch.tensor(x), tq, dim=dim, keepdim=keepdim,
                                                    interpolation=interpolation).numpy()
                    out = getattr(md, name)(md.tensor(x), mq, dim=dim, keepdim=keepdim,
                                            interpolation=interpolation).numpy()
                    assert out.shape == expected.shape
                    np.testing.assert_allclose(out, expected, rtol=1e-13)
    y = rng.permutation(np.linspace(-1, 1, 28)).reshape(4, 7)
    g = rng.standard_normal((5, 7))
    ty, my = torch.tensor(y, requires_grad=True), leaf(y)
    torch.quantile(ty, torch.tensor(q), 0, interpolation=interpolation).backward(torch.tensor(g))
    md.quantile(my, md.tensor(q), 0, interpolation=interpolation).backward(md.tensor(g))
    np.testing.assert_allclose(my.grad.numpy(), ty.grad.numpy(), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="interpolation"):
        md.quantile(md.tensor(y), 0.5, interpolation="cubic")


def test_nanmedian_and_mode_against_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.integers(0, 4, (5, 6)).astype(np.float64)
    x[0, [1, 4]] = np.nan
    x[3] = np.nan
    for dim in (0, 1):
        tv, ti = torch.nanmedian(torch.tensor(x), dim)
        mv, mi = md.nanmedian(md.tensor(x), dim)
        np.testing.assert_array_equal(mv.numpy(), tv.numpy())
        assert np.array_equal(mi.numpy()[~np.isnan(tv.numpy())], ti.numpy()[~np.isnan(tv.numpy())])
    assert md.nanmedian(md.tensor(x)).item() == torch.nanmedian(torch.tensor(x)).item()
    z = rng.integers(0, 3, (4, 9)).astype(np.float64)
    for dim in (0, 1):
        tv, ti = torch.mode(torch.tensor(z), dim)
        mv, mi = md.mode(md.tensor(z), dim)
        np.testing.assert_array_equal(mv.numpy(), tv.numpy())
        np.testing.assert_array_equal(mi.numpy(), ti.numpy())
    assert grads_ok(lambda t: t.nanmedian(1).values, rng.permutation(np.arange(12.0)).reshape(3, 4))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_against_pytorch(reduce, include_self):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (3, 5)).astype(np.float64)          # ties with src
    src = rng.integers(0, 3, (3, 4)).astype(np.float64)
    idx = rng.integers(0, 5, (3, 4))
    g = rng.standard_normal((3, 5))
    tx, ts = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    expected = tx.scatter_reduce(1, torch.tensor(idx), ts, reduce, include_self=include_self)
    mx, ms = leaf(x), leaf(src)
    if reduce == "prod":
        with pytest.raises(NotImplementedError, match="prod"):
            mx.scatter_reduce(1, md.tensor(idx), ms, reduce, include_self=include_self)
        with md.no_grad():
            out = mx.scatter_reduce(1, md.tensor(idx), ms, reduce, include_self=include_self)
        np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
        return
    out = md.scatter_reduce(mx, 1, md.tensor(idx), ms, reduce, include_self=include_self)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-14)
    expected.backward(torch.tensor(g))
    out.backward(md.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ms.grad.numpy(), ts.grad.numpy(), rtol=1e-13)
    t = md.tensor(x)
    assert t.scatter_reduce_(1, md.tensor(idx), md.tensor(src), reduce,
                             include_self=include_self) is t
    np.testing.assert_allclose(t.numpy(), expected.detach().numpy(), rtol=1e-14)


def test_shape_changing_in_place_forms():
    x = md.arange(6.0).reshape(2, 3)
    assert x.t_() is x and x.shape == (3, 2)
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3).T)
    assert x.unsqueeze_(0).shape == (1, 3, 2) and x.squeeze_().shape == (3, 2)
    assert x.transpose_(0, 1).shape == (2, 3) and x.swapdims_(0, 1).shape == (3, 2)
    w = leaf(np.arange(6.0).reshape(2, 3))
    h = w * 2
    h.t_()
    g = np.arange(6.0).reshape(3, 2)
    h.backward(md.tensor(g))
    np.testing.assert_array_equal(w.grad.numpy(), 2 * g.T)


BINARY_IN_PLACE = ["atan2", "arctan2", "xlogy", "copysign", "hypot", "ldexp", "eq", "ne", "lt",
                   "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
                   "not_equal", "logical_and", "logical_or", "logical_xor", "multiply",
                   "subtract", "true_divide", "divide", "nextafter", "fmod", "remainder"]


@pytest.mark.parametrize("name", BINARY_IN_PLACE)
def test_binary_in_place_forms_against_pytorch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(name))
    a = np.round(rng.uniform(0.5, 3, (3, 4)), 1)
    b = np.round(rng.uniform(0.5, 3, (4,)), 1)          # broadcast, with some equal values
    b[0] = a[0, 0]
    ta, ma = torch.tensor(a), md.tensor(a)
    assert getattr(ma, name + "_")(md.tensor(b)) is ma
    getattr(ta, name + "_")(torch.tensor(b))
    assert ma.dtype == np.float64
    np.testing.assert_allclose(ma.numpy(), ta.numpy(), rtol=1e-14)


def test_mvlgamma_frexp_and_small_aliases_against_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([1.5, 2.0, 3.7, 10.0])
    for p in (1, 2, 3):
        np.testing.assert_allclose(md.mvlgamma(md.tensor(x), p).numpy(),
                                   torch.mvlgamma(torch.tensor(x), p).numpy(), rtol=1e-13)
    with pytest.raises(ValueError, match="mvlgamma"):
        md.tensor([0.2]).mvlgamma(3)
    assert grads_ok(lambda t: t.mvlgamma(2), x)
    y = np.array([8.0, -0.3, 0.0, 1e-310])
    tm, te = torch.frexp(torch.tensor(y))
    mm, me = md.frexp(md.tensor(y))
    np.testing.assert_array_equal(mm.numpy(), tm.numpy())
    np.testing.assert_array_equal(me.numpy(), te.numpy())
    assert me.dtype == np.int32
    t = md.tensor(np.arange(10.0))
    assert [p.shape for p in t.split_with_sizes([3, 7])] == [(3,), (7,)]
    assert t.narrow_copy(0, 2, 3).numpy().tolist() == [2.0, 3.0, 4.0]
    assert t.conj() is t and not t.is_conj() and not t.is_neg()
    np.testing.assert_array_equal(md.tensor([[1.0, 2.0]]).kron(md.tensor([[1.0], [3.0]])).numpy(),
                                  np.kron([[1.0, 2.0]], [[1.0], [3.0]]))
