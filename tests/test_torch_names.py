"""Tensor methods and ``md.*`` functions that real PyTorch programs use: each against its
formula (and PyTorch in float64 where installed), composites through md.gradcheck with a
random upstream gradient."""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
from tests.helpers import check_second

seeds = st.integers(0, 2 ** 32 - 1)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(a):
    return md.tensor(a, requires_grad=True)


def grads_ok(fn, *arrays):
    return md.gradcheck(fn, tuple(leaf(a) for a in arrays), eps=1e-6, atol=1e-5, rtol=1e-4)


# ------------------------------------------------------------------ formulas
def test_addmm_family_formulas_and_beta_zero_ignores_nan():
    c, a, b = rand((3, 5)), rand((3, 4), 1), rand((4, 5), 2)
    np.testing.assert_allclose(md.tensor(c).addmm(md.tensor(a), md.tensor(b), beta=0.5,
                                                  alpha=2).numpy(), 0.5 * c + 2 * a @ b)
    nan = np.full((3, 5), np.nan)
    np.testing.assert_allclose(md.addmm(md.tensor(nan), md.tensor(a), md.tensor(b),
                                        beta=0).numpy(), a @ b)
    b1, b2, cc = rand((2, 3, 4)), rand((2, 4, 5), 1), rand((2, 3, 5), 2)
    np.testing.assert_allclose(md.baddbmm(md.tensor(cc), md.tensor(b1), md.tensor(b2),
                                          alpha=3).numpy(), cc + 3 * b1 @ b2)
    np.testing.assert_allclose(md.addbmm(md.tensor(c), md.tensor(b1), md.tensor(b2)).numpy(),
                               c + (b1 @ b2).sum(0))
    v = rand(4, 3)
    np.testing.assert_allclose(md.addmv(md.tensor(c[:, 0]), md.tensor(a), md.tensor(v)).numpy(),
                               c[:, 0] + a @ v)


def test_index_add_repeat_interleave_and_friends():
    x, s = rand((3, 4)), rand((3, 4), 1)
    out = md.tensor(x).index_add(0, md.tensor([2, 0, 2]), md.tensor(s), alpha=2).numpy()
    expected = x.copy()
    for i, j in enumerate([2, 0, 2]):
        expected[j] += 2 * s[i]
    np.testing.assert_allclose(out, expected)
    t = md.tensor(x)
    assert t.index_add_(1, md.tensor([3]), md.tensor(s[:, :1])) is t
    np.testing.assert_allclose(t.numpy()[:, 3], x[:, 3] + s[:, 0])
    np.testing.assert_array_equal(md.tensor([1, 2]).repeat_interleave(2).numpy(), [1, 1, 2, 2])
    np.testing.assert_array_equal(md.repeat_interleave(md.tensor([[1, 2], [3, 4]]),
                                                       md.tensor([1, 2]), dim=0).numpy(),
                                  [[1, 2], [3, 4], [3, 4]])
    np.testing.assert_array_equal(md.tensor([[1, 2], [3, 4]]).repeat_interleave(2).numpy(),
                                  [1, 1, 2, 2, 3, 3, 4, 4])
    with pytest.raises(ValueError, match="repeat_interleave: repeats"):
        md.tensor([1, 2]).repeat_interleave(md.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="index_add: source must have shape"):
        md.tensor(x).index_add(0, md.tensor([0]), md.tensor(s))


def test_small_linear_algebra():
    v, w = rand(3), rand(3, 1)
    np.testing.assert_allclose(md.outer(md.tensor(v), md.tensor(w)).numpy(), np.outer(v, w))
    np.testing.assert_allclose(md.tensor(v).cross(md.tensor(w)).numpy(), np.cross(v, w))
    m = rand((3, 3), 2)
    assert md.tensor(m).trace().item() == pytest.approx(np.trace(m))
    np.testing.assert_allclose(md.tensor(v).diag(1).numpy(), np.diag(v, 1))
    np.testing.assert_allclose(md.diag(md.tensor(m), -1).numpy(), np.diag(m, -1))
    a, b = rand((2, 3, 4)), rand((3, 4, 5), 1)
    np.testing.assert_allclose(md.tensordot(md.tensor(a), md.tensor(b)).numpy(),
                               np.tensordot(a, b))
    np.testing.assert_allclose(md.tensordot(md.tensor(a), md.tensor(b), ([1], [0])).numpy(),
                               np.tensordot(a, b, ([1], [0])))


def test_special_functions_against_scipy():
    special = pytest.importorskip("scipy.special")
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(md.erf(md.tensor(x)).numpy(), special.erf(x), atol=1e-15)
    np.testing.assert_allclose(md.tensor(x).erfc().numpy(), special.erfc(x), rtol=1e-14)


def test_statistics_and_nan_to_num():
    x = rand((4, 5))
    assert md.tensor(x).median().item() == np.sort(x.reshape(-1))[9]          # lower median
    values, indices = md.tensor(x).median(1)
    np.testing.assert_allclose(values.numpy(), np.sort(x, 1)[:, 2])
    np.testing.assert_array_equal(indices.numpy(), np.argsort(x, 1)[:, 2])
    var, mean = md.var_mean(md.tensor(x), 0)
    np.testing.assert_allclose(var.numpy(), x.var(0, ddof=1))
    np.testing.assert_allclose(mean.numpy(), x.mean(0))
    y = md.tensor([1.0, np.nan, np.inf, -np.inf], requires_grad=True)
    z = y.nan_to_num(posinf=7.0)
    np.testing.assert_array_equal(z.detach().numpy(), [1.0, 0.0, 7.0, np.finfo(np.float32).min])
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 0.0, 0.0, 0.0])


def test_sets_searching_and_limits():
    values, inverse, counts = md.tensor([3, 1, 2, 3, 1]).unique(return_inverse=True,
                                                                return_counts=True)
    np.testing.assert_array_equal(values.numpy(), [1, 2, 3])
    np.testing.assert_array_equal(inverse.numpy(), [2, 0, 1, 2, 0])
    np.testing.assert_array_equal(counts.numpy(), [2, 1, 2])
    np.testing.assert_array_equal(md.isin(md.tensor([1, 2, 3]), md.tensor([2, 5])).numpy(),
                                  [False, True, False])
    np.testing.assert_array_equal(md.bucketize(md.tensor([0.0, 1.0, 5.0]),
                                               md.tensor([1.0, 4.0])).numpy(), [0, 0, 2])
    np.testing.assert_array_equal(md.searchsorted(md.tensor([[1, 3], [2, 4]]),
                                                  md.tensor([[3], [3]]), right=True).numpy(),
                                  [[2], [1]])
    assert md.finfo(md.float32).eps == np.finfo(np.float32).eps
    assert md.finfo().eps == np.finfo(md.get_default_dtype()).eps
    assert md.iinfo(md.int32).max == 2 ** 31 - 1
    with pytest.raises(TypeError, match="finfo: expected a floating dtype"):
        md.finfo(md.int64)
    assert md.Size([2, 3]) == (2, 3) and md.Size([2, 3]).numel() == 6
    assert md.broadcast_shapes((2, 1), (3,)) == (2, 3)
    a, b = md.broadcast_tensors(md.ones(2, 1), md.ones(3))
    assert a.shape == b.shape == (2, 3)


def test_bernoulli_and_inference_mode():
    md.manual_seed(0)
    p = md.tensor([0.0, 1.0, 0.5] * 100)
    s = p.bernoulli()
    assert s.dtype == p.dtype and set(np.unique(s.numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(s.numpy()[:2], [0.0, 1.0])
    assert 0.35 < s.numpy()[2::3].mean() < 0.65
    x = md.tensor([1.0], requires_grad=True)
    with md.inference_mode():
        assert not (x * 2).requires_grad and md.is_inference_mode_enabled()
    with md.inference_mode(False):
        assert (x * 2).requires_grad

    @md.inference_mode
    def bare():
        return (x * 2).requires_grad
    assert bare() is False and md.is_grad_enabled()


def test_augmented_assignment_is_in_place_as_in_pytorch():
    """``p -= lr * p.grad`` under no_grad changes the parameter itself (Python would
    otherwise rebind ``p`` to a new tensor and the model would never learn)."""
    p = md.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    same = p
    with md.no_grad():
        p -= 0.25 * p.grad
        p *= 2
        p /= 4
        p += 1
        p **= 2
    assert p is same and p.requires_grad and p._vc[0] == 5
    np.testing.assert_allclose(p.detach().numpy(), ((np.array([1.0, 2.0]) * 0.5 * 2 / 4) + 1) ** 2)
    with pytest.raises(RuntimeError, match="leaf"):
        p -= 1                                            # outside no_grad: refused
    i = md.tensor([5, 7])
    i //= 2
    i %= 2
    np.testing.assert_array_equal(i.numpy(), [0, 1])
    m = md.tensor([True, False])
    m |= md.tensor([False, True])
    m &= md.tensor([True, False])
    m ^= md.tensor([True, True])
    np.testing.assert_array_equal(m.numpy(), [False, True])
    with pytest.raises(TypeError, match="can't be cast"):
        m |= md.tensor([1, 2])
    x = md.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0                                              # a non-leaf: recorded in place
    y *= 3
    y += x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])
    z = x * 1.0
    z *= z                           # the saved operand changed in place: refused, as PyTorch
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# ------------------------------------------------------------------ gradients
@given(seeds)
def test_composite_gradients(seed):
    c, a, b = rand((2, 3), seed), rand((2, 4), seed + 1), rand((4, 3), seed + 2)
    assert grads_ok(lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=1.5), c, a, b)
    b1, b2, cc = rand((2, 2, 3), seed), rand((2, 3, 2), seed + 1), rand((2, 2, 2), seed + 2)
    assert grads_ok(lambda c, x, y: md.baddbmm(c, x, y, beta=2), cc, b1, b2)
    x, s = rand((3, 2), seed), rand((3, 2), seed + 1)
    assert grads_ok(lambda x, s: x.index_add(0, md.tensor([1, 1, 0]), s, alpha=-2), x, s)
    assert grads_ok(lambda x: x.repeat_interleave(md.tensor([2, 0, 1]), dim=0), x)
    v, w = rand((4, 3), seed), rand((4, 3), seed + 1)
    assert grads_ok(lambda v, w: v.cross(w, dim=1), v, w)
    assert grads_ok(lambda v: v.erf() * v.erfc(), v)
    assert grads_ok(lambda v, w: v.hypot(w), v, w)
    assert grads_ok(lambda v: v.median(0).values + md.var_mean(v, 1)[0].sum(), v)
    assert grads_ok(lambda a, b: md.tensordot(a.reshape(2, 2, 2), b.reshape(2, 2, 3), 2),
                    rand(8, seed), rand(12, seed + 1))
    assert grads_ok(lambda v: v.sum_to_size(1, 3), v)


def test_composite_second_derivatives():
    v, w = rand((4, 3), 1), rand((4, 3), 2)
    assert check_second(lambda v, w: v.cross(w, dim=1) * v, v, w)
    assert check_second(lambda v: v.erf() * v, v)
    assert check_second(lambda c, a, b: c.addmm(a, b, alpha=2) ** 2, rand((2, 3)),
                        rand((2, 4), 1), rand((4, 3), 2))


# ------------------------------------------------------------------ against PyTorch
CASES = {
    "addmm": (lambda L, c, a, b: L.addmm(c, a, b, beta=0.3, alpha=1.7), [(3, 5), (3, 4), (4, 5)]),
    "baddbmm": (lambda L, c, a, b: c.baddbmm(a, b, alpha=0.5), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    "addbmm": (lambda L, c, a, b: L.addbmm(c, a, b), [(3, 5), (2, 3, 4), (2, 4, 5)]),
    "addmv": (lambda L, c, a, b: L.addmv(c, a, b, beta=2), [(3,), (3, 4), (4,)]),
    "outer": (lambda L, a, b: L.outer(a, b), [(3,), (4,)]),
    "cross": (lambda L, a, b: L.cross(a, b, dim=0), [(3, 2), (3, 2)]),
    "trace": (lambda L, a: a.trace(), [(4, 4)]),
    "diag": (lambda L, a: L.diag(a, 1), [(4,)]),
    "erf": (lambda L, a: L.erf(a), [(5,)]),
    "erfc": (lambda L, a: L.erfc(a), [(5,)]),
    "hypot": (lambda L, a, b: L.hypot(a, b), [(5,), (5,)]),
    "median": (lambda L, a: L.median(a, 1).values, [(3, 4)]),
    "median_all": (lambda L, a: L.median(a), [(3, 4)]),
    "var_mean": (lambda L, a: L.var_mean(a, 0)[0] + L.var_mean(a, 0)[1], [(3, 4)]),
    "std_mean": (lambda L, a: L.std_mean(a, 1, keepdim=True)[0], [(3, 4)]),
    "repeat_interleave": (lambda L, a: a.repeat_interleave(3, dim=1), [(2, 3)]),
    "index_add": (lambda L, a, s: a.index_add(0, L.tensor([1, 0, 1]), s, alpha=3),
                  [(2, 3), (3, 3)]),
    "tensordot": (lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [1, 0])), [(2, 3, 4), (4, 2, 5)]),
    "float_power": (lambda L, a: a.abs().float_power(1.5), [(5,)]),
    "sum_to_size": (lambda L, a: a.sum_to_size(1, 4), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    fn, shapes = CASES[name]
    arrays = [rand(s, k) for k, s in enumerate(shapes)]
    ours = [leaf(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, t = fn(md, *ours), fn(torch, *theirs)
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert str(t.dtype) == f"torch.{y.dtype}"
    g = rand(t.shape, 9)
    y.backward(md.tensor(g))
    t.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_unique_nan_to_num_and_limits_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([3, 1, 2, 3, 1])
    for a, b in zip(md.tensor(x).unique(return_inverse=True, return_counts=True),
                    torch.tensor(x).unique(return_inverse=True, return_counts=True)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    y = np.array([1.0, np.nan, np.inf, -np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(md.tensor(y).nan_to_num().numpy(),
                                      torch.tensor(y).nan_to_num().numpy())
    for dt in ("float16", "float32", "float64"):
        ours, theirs = md.finfo(getattr(md, dt)), torch.finfo(getattr(torch, dt))
        assert (ours.eps, ours.max, ours.tiny) == (theirs.eps, theirs.max, theirs.tiny)
    assert md.iinfo(md.int8).min == torch.iinfo(torch.int8).min


def test_variable_is_a_detached_tensor_as_in_pytorch():
    from minidl.autograd import Variable
    x = md.tensor([1.0, 2.0], requires_grad=True) * 2
    v = Variable(x)
    assert v is not x and not v.requires_grad and v.grad_fn is None
    assert isinstance(x, Variable) and not isinstance(x.numpy(), Variable)
    w = Variable(md.ones(2), requires_grad=True)
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])
    with md.no_grad():
        v.add_(1)                                         # shares memory, as PyTorch's
    np.testing.assert_array_equal(x.detach().numpy(), [3.0, 5.0])


@pytest.mark.parametrize("p", [3, 0.5, 1.5])
def test_p_norm_gradient_is_zero_at_zero_elements_and_vectors(p):
    """PyTorch: the p-norm's gradient is 0 at a zero element and at a zero vector (the
    formula p·|x|^(p−1) · s^(1/p − 1)/p would give 0·∞ = NaN there)."""
    a = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.0]])
    x = md.tensor(a, requires_grad=True)
    n = x.norm(p, dim=1)
    np.testing.assert_allclose(n.detach().numpy(), [0.0, (1 + 2 ** p) ** (1 / p)])
    n.sum().backward()
    s = 1 + 2 ** p
    expected = np.array([[0, 0, 0], [s ** (1 / p - 1), -(2 ** (p - 1)) * s ** (1 / p - 1), 0]])
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_searching_sets_and_broadcasting_match_pytorch():
    torch = pytest.importorskip("torch")
    seq, vals = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]), np.array([[3.0, 0.0], [6.0, 4.5]])
    for right in (False, True):
        ours = md.searchsorted(md.tensor(seq), md.tensor(vals), right=right)
        theirs = torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
        b = md.bucketize(md.tensor(vals), md.tensor(seq[0]), right=right)
        np.testing.assert_array_equal(b.numpy(), torch.bucketize(torch.tensor(vals), torch.tensor(
            seq[0]), right=right).numpy())
    for invert in (False, True):
        np.testing.assert_array_equal(
            md.isin(md.tensor([1, 2, 3, 2]), md.tensor([2, 7]), invert=invert).numpy(),
            torch.isin(torch.tensor([1, 2, 3, 2]), torch.tensor([2, 7]), invert=invert).numpy())
    ours = md.broadcast_tensors(md.ones(2, 1, dtype=md.float64), md.zeros(3, dtype=md.float64))
    theirs = torch.broadcast_tensors(torch.ones(2, 1, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    assert [t.shape for t in ours] == [tuple(t.shape) for t in theirs]
    assert tuple(md.broadcast_shapes((2, 1), (4, 1, 3))) == tuple(torch.broadcast_shapes((2, 1), (4, 1, 3)))
    v, m = md.var_mean(md.tensor(seq), keepdim=True), torch.var_mean(torch.tensor(seq), dim=None,
                                                                      keepdim=True)
    for a, b in zip(v, m):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    assert md.tensor([0.3, 0.7], dtype=md.float64).bernoulli().dtype == np.float64
