"""Reductions sum/mean/max/min: formulas, gradients (hypothesis + gradcheck), ties, torch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md
from tests.helpers import leaf, torch_vjp, vjp


@st.composite
def tensor_and_axis(draw, distinct=False):
    """An array (values 0.37 apart when ``distinct``: no ties), an axis argument, keepdims."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    if distinct:
        x = (rng.permutation(int(np.prod(shape))) * 0.37 - 1.0).reshape(shape)
    else:
        x = rng.uniform(-2, 2, shape)
    ndim = len(shape)
    axis = draw(st.none() | (st.integers(-ndim, ndim - 1) if ndim else st.none())
                | st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim)
                .map(tuple))
    if axis == ():                  # PyTorch: every axis; NumPy: none. Test the shared meaning
        axis = None
    return x, axis, draw(st.booleans())


def check(f, x):
    return md.gradcheck(f, (leaf(x),), atol=1e-6, rtol=1e-5)


@given(tensor_and_axis())
def test_sum_gradient(args):
    x, axis, keep = args
    assert check(lambda t: t.sum(axis, keepdims=keep), x)


@given(tensor_and_axis())
def test_mean_gradient(args):
    x, axis, keep = args
    assert check(lambda t: t.mean(dim=axis, keepdim=keep), x)


@pytest.mark.parametrize("name", ["max", "min"])
@given(args=tensor_and_axis(distinct=True))
def test_extreme_gradient(name, args):
    x, axis, keep = args
    assert check(lambda t: getattr(t, name)(axis=axis, keepdims=keep), x)


@given(tensor_and_axis(distinct=True))
def test_reductions_match_numpy(args):
    x, axis, keep = args
    t = md.tensor(x)
    for name in ("sum", "mean", "amax", "amin"):
        got = getattr(t, name)(axis=axis, keepdims=keep)
        want = getattr(np, name)(x, axis=axis, keepdims=keep)
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-13, atol=1e-15)


def test_dim_and_axis_spellings_agree():
    x = md.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).numpy(), x.sum(axis=1, keepdims=True).numpy())
    np.testing.assert_array_equal(x.max(1).values.numpy(), np.arange(24.0).reshape(2, 3, 4).max(1))
    assert x.mean(dim=(0, 2)).shape == (3,)
    assert x.sum().shape == ()


def test_tied_maxima_share_the_gradient_equally():
    x = md.tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    x.amax(axis=1).backward(np.array([1.0, 3.0]))
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1.0, 1.0, 1.0]])
    y = md.tensor(np.array([5.0, -1.0, -1.0, 0.0]), requires_grad=True)
    y.min().backward()
    np.testing.assert_allclose(y.grad, [0, 0.5, 0.5, 0])


def test_mean_gradient_is_one_over_n():
    x = md.tensor(np.ones((2, 5)), requires_grad=True)
    x.mean(1).backward(np.array([1.0, 2.0]))
    np.testing.assert_allclose(x.grad, [[0.2] * 5, [0.4] * 5])


def test_int_sum_keeps_int():
    assert md.tensor([1, 2, 3]).sum().dtype == np.int64
    assert md.tensor([1, 2, 3]).sum().item() == 6


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_axis_out_of_range(name):
    with pytest.raises(ValueError, match=rf"{name}: dim 2 is out of range for a tensor with 2"):
        getattr(md.ones(2, 3), name)(axis=2)
    with pytest.raises(ValueError, match=rf"{name}: dim"):
        getattr(md.ones(2, 3), name)(dim=(0, 0))
    with pytest.raises(TypeError, match=rf"{name}: dim must be an int"):
        getattr(md.ones(2, 3), name)(axis=1.5)


def test_max_over_empty_axis_is_a_clear_error():
    with pytest.raises(ValueError, match=r"max: cannot reduce over an empty axis.*\(0, 3\)"):
        md.ones(0, 3).max(0)
    assert md.ones(0, 3).max(1).values.shape == (0,)


def test_zero_dim_tensor_reduces_over_dim_0():
    x = md.tensor(np.float64(2.0), requires_grad=True)
    y = x.sum(0)
    y.backward()
    assert y.item() == 2.0 and x.grad == 1.0


@pytest.mark.parametrize("name, tname", [("sum", "sum"), ("mean", "mean"), ("amax", "amax"),
                                         ("amin", "amin")])
def test_against_torch_including_ties(name, tname):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (3, 4, 5)).astype(np.float64)  # many ties
    for axis in (None, 1, (0, 2), -1):
        for keep in (False, True):
            dims = (0, 1, 2) if axis is None else axis
            out, (g,), u = vjp(lambda t, axis=axis, keep=keep: getattr(t, name)(axis=axis, keepdims=keep), x)
            t_out, (tg,) = torch_vjp(
                torch, lambda t, dims=dims, keep=keep: getattr(torch, tname)(t, dim=dims, keepdim=keep),
                x, upstream=u)
            np.testing.assert_allclose(out, t_out, rtol=1e-13)
            np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-10)


@given(tensor_and_axis(), st.booleans())
def test_var_gradient_and_formula(args, unbiased):
    x, axis, keep = args
    n = x.size // max(np.sum(x, axis=axis).size, 1)
    if unbiased and n < 2:
        return
    assert check(lambda t: t.var(axis, keepdims=keep, unbiased=unbiased), x)
    np.testing.assert_allclose(md.tensor(x).var(axis, keepdims=keep, unbiased=unbiased).numpy(),
                               np.var(x, axis=axis, keepdims=keep, ddof=int(unbiased)),
                               rtol=1e-12, atol=1e-14)


def test_mean_of_an_empty_tensor_is_nan_without_a_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = md.zeros(0, 3).mean()
        m0 = md.zeros(0, 3).mean(0)
    assert np.isnan(m.item()) and m.dtype == np.float32
    assert m0.shape == (3,) and np.all(np.isnan(m0.numpy()))
    torch = pytest.importorskip("torch")
    assert torch.zeros(0, 3).mean(0).shape == m0.shape


def test_nan_in_max_and_amax_gradients_as_pytorch():
    """max() shares the gradient among the NaNs; amax gives NaN to the whole slice."""
    x = md.tensor([1.0, np.nan, 2.0, np.nan], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0, 0.5])
    x = md.tensor([[1.0, np.nan], [2.0, 3.0]], requires_grad=True)
    x.amax(0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, np.nan], [1, np.nan]])
