"""Shape primitives: reshape/view/flatten/squeeze/unsqueeze, transpose/permute/T,
indexing (basic and advanced, repeated indices accumulate), broadcast_to/expand, cat, stack."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md
from tests.helpers import leaf, torch_vjp, vjp

shapes = hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)


def check(f, *arrays):
    return md.gradcheck(f, tuple(leaf(a) for a in arrays), atol=1e-6, rtol=1e-5)


def rand(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, shape)


@given(shapes, st.integers(0, 2 ** 32 - 1), st.data())
def test_reshape_gradient(shape, seed, data):
    x = rand(shape, seed)
    new = data.draw(st.permutations(shape)).copy()
    new[data.draw(st.integers(0, len(new) - 1))] = -1
    assert check(lambda t: t.reshape(*new), x)
    assert check(lambda t: t.view(tuple(new)).flatten(), x)


@given(shapes, st.integers(0, 2 ** 32 - 1), st.data())
def test_permute_and_transpose_gradient(shape, seed, data):
    x = rand(shape, seed)
    axes = data.draw(st.permutations(range(len(shape))))
    assert check(lambda t: t.permute(*axes), x)
    assert check(lambda t: t.T, x)
    np.testing.assert_array_equal(md.tensor(x).permute(*axes).numpy(), x.transpose(axes))
    np.testing.assert_array_equal(md.tensor(x).T.numpy(), x.T)
    if len(shape) >= 2:                     # PyTorch's transpose: a swap of two axes
        assert check(lambda t: t.transpose(0, -1), x)
        np.testing.assert_array_equal(md.tensor(x).transpose(0, -1).numpy(),
                                      np.swapaxes(x, 0, -1))


@given(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3).map(lambda s: s + (1,)),
       st.integers(0, 2 ** 32 - 1), st.data())
def test_squeeze_unsqueeze_gradient(shape, seed, data):
    x = rand(shape, seed)
    d = data.draw(st.integers(-len(shape) - 1, len(shape)))
    assert check(lambda t: t.unsqueeze(d), x)
    assert check(lambda t: t.squeeze(), x)
    assert check(lambda t: t.squeeze(-1), x)
    assert md.tensor(x).unsqueeze(d).shape == np.expand_dims(x, d).shape
    assert md.tensor(x).squeeze().shape == np.squeeze(x).shape


@st.composite
def indexed(draw):
    shape = draw(shapes)
    x = rand(shape, draw(st.integers(0, 2 ** 32 - 1)))
    kind = draw(st.sampled_from(["int", "slice", "ellipsis", "array", "bool", "mixed"]))
    n = shape[0]
    if kind == "int":
        index = draw(st.integers(-n, n - 1))
    elif kind == "slice":
        index = slice(draw(st.integers(0, n)), None, draw(st.integers(1, 2)))
    elif kind == "ellipsis":
        index = (Ellipsis, None, draw(st.integers(0, shape[-1] - 1)))
    elif kind == "array":  # repeated indices allowed: their gradients must add up
        index = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))
    elif kind == "bool":
        index = draw(hnp.arrays(np.bool_, shape))
    else:
        rows = np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)))
        index = (rows, slice(None)) if len(shape) > 1 else (rows,)
    return x, index


@given(indexed())
def test_getitem_gradient(args):
    x, index = args
    assert check(lambda t: t[index], x)
    np.testing.assert_array_equal(md.tensor(x)[index].numpy(), x[index])


def test_repeated_indices_accumulate():
    x = md.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 2, 0, 0]].backward(np.array([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(x.grad, [1101.0, 0.0, 10.0])
    y = md.tensor(np.zeros((3, 2)), requires_grad=True)
    y[md.tensor([1, 1]), md.tensor([0, 0])].sum().backward()
    np.testing.assert_array_equal(y.grad, [[0, 0], [2, 0], [0, 0]])


def test_getitem_out_of_range_names_op_and_shape():
    with pytest.raises(IndexError, match=r"getitem: .*\(tensor shape \(2, 3\)\)"):
        md.ones(2, 3)[5]


@given(st.integers(1, 3), st.integers(0, 2 ** 32 - 1), st.data())
def test_cat_and_stack_gradient(n, seed, data):
    base = data.draw(shapes)
    axis = data.draw(st.integers(-len(base), len(base) - 1))
    parts = []
    for i in range(n):
        s = list(base)
        s[axis] = data.draw(st.integers(1, 3))
        parts.append(rand(tuple(s), seed + i))
    assert check(lambda *ts: md.cat(list(ts), dim=axis), *parts)
    np.testing.assert_array_equal(md.cat([md.tensor(p) for p in parts], axis).numpy(),
                                  np.concatenate(parts, axis))
    same = [rand(base, seed + i) for i in range(n)]
    sa = data.draw(st.integers(-len(base) - 1, len(base)))
    assert check(lambda *ts: md.stack(ts, sa), *same)
    np.testing.assert_array_equal(md.stack([md.tensor(p) for p in same], sa).numpy(),
                                  np.stack(same, sa))


@given(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=3),
       st.integers(0, 2 ** 32 - 1))
def test_broadcast_to_gradient(shapes_, seed):
    shape, target = shapes_.input_shapes[0], shapes_.result_shape
    x = rand(shape, seed)
    assert check(lambda t: md.broadcast_to(t, target), x)


def test_expand_keeps_axes_with_minus_one():
    x = md.tensor(np.array([[1.0], [2.0]]), requires_grad=True)
    y = x.expand(3, -1, 4)
    assert y.shape == (3, 2, 4)
    y.backward(np.ones((3, 2, 4)))
    np.testing.assert_array_equal(x.grad, [[12.0], [12.0]])


def test_reshape_spellings():
    x = md.arange(6)
    assert x.reshape(2, 3).shape == x.reshape((2, 3)).shape == x.view([2, 3]).shape == (2, 3)
    assert x.reshape(-1, 2).shape == (3, 2)
    assert md.ones(2, 3, 4).flatten(1).shape == (2, 12)
    assert md.ones(2, 3, 4).flatten(0, 1).shape == (6, 4)
    assert md.tensor(3.0).flatten().shape == (1,)
    assert md.ones(2, 3, 4).swapaxes(0, 2).shape == (4, 3, 2)


# ---------------------------------------------------------------------- errors
def test_reshape_to_incompatible_size_names_both_shapes():
    with pytest.raises(ValueError) as e:
        md.ones(64, 1600).reshape(-1, 9216)
    assert "reshape" in str(e.value) and "(64, 1600)" in str(e.value) and "(-1, 9216)" in str(e.value)
    with pytest.raises(ValueError, match=r"view: .*\(2, 3\).*\(4,\)"):
        md.ones(2, 3).view(4)
    with pytest.raises(ValueError, match="reshape"):
        md.ones(6).reshape(-1, -1)
    with pytest.raises(TypeError, match="reshape: sizes must be ints"):
        md.ones(6).reshape(2.0, 3)


def test_permute_not_a_permutation():
    with pytest.raises(ValueError, match=r"permute: \(0, 0, 1\) is not a permutation .*\(2, 3, 4\)"):
        md.ones(2, 3, 4).permute(0, 0, 1)
    with pytest.raises(ValueError, match="permute: .* not a permutation"):
        md.ones(2, 3, 4).permute(0, 1)
    with pytest.raises(IndexError, match="transpose: dim 2 is out of range"):
        md.ones(2, 3).transpose(0, 2)


@pytest.mark.parametrize("call, name", [
    (lambda t: t.squeeze(5), "squeeze"), (lambda t: t.unsqueeze(4), "unsqueeze"),
    (lambda t: t.flatten(3), "flatten"), (lambda t: t.swapaxes(0, 3), "swapaxes"),
    (lambda t: md.cat([t, t], dim=3), "cat"), (lambda t: md.stack([t, t], dim=4), "stack")])
def test_axis_out_of_range(call, name):
    with pytest.raises(ValueError, match=rf"{name}: dim -?\d+ is out of range for a tensor with \d"):
        call(md.ones(2, 3, 1))


def test_cat_and_stack_bad_input():
    with pytest.raises(TypeError, match="cat: expected a list or tuple of tensors, got Tensor"):
        md.cat(md.ones(2, 3))
    with pytest.raises(TypeError, match="stack: expected a list"):
        md.stack(md.ones(2, 3))
    with pytest.raises(ValueError, match="cat: expected a non-empty list"):
        md.cat([])
    with pytest.raises(ValueError, match=r"cat: shapes \[\(2, 3\), \(2, 4\)\] differ outside axis 0"):
        md.cat([md.ones(2, 3), md.ones(2, 4)])
    with pytest.raises(ValueError, match=r"stack: all tensors must have the same shape"):
        md.stack([md.ones(2, 3), md.ones(3, 2)])
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(2, 3\) to \(4, 3\)"):
        md.broadcast_to(md.ones(2, 3), (4, 3))


# ---------------------------------------------------------------------- PyTorch
def test_shape_ops_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    cases = [
        (lambda t: t.reshape(4, -1), lambda t: t.reshape(4, -1)),
        (lambda t: t.permute(2, 0, 1), lambda t: t.permute(2, 0, 1)),
        (lambda t: t[[1, 1, 0], 1:, ::2], lambda t: t[[1, 1, 0], 1:, ::2]),
        (lambda t: t[t > 0], lambda t: t[t > 0]),
        (lambda t: t[..., 2], lambda t: t[..., 2]),
        (lambda t: md.cat([t, t * 2], dim=1), lambda t: torch.cat([t, t * 2], dim=1)),
        (lambda t: md.stack([t, t * 2], dim=-1), lambda t: torch.stack([t, t * 2], dim=-1)),
        (lambda t: t.unsqueeze(1).flatten(2), lambda t: t.unsqueeze(1).flatten(2)),
    ]
    for f, tf in cases:
        out, (g,), u = vjp(f, x)
        t_out, (tg,) = torch_vjp(torch, tf, x, upstream=u)
        np.testing.assert_array_equal(out, t_out)
        np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-14)


@given(shapes, st.integers(0, 2 ** 32 - 1), st.data())
def test_swapaxes_clone_expand_gradient(shape, seed, data):
    x = rand(shape, seed)
    a = data.draw(st.integers(-len(shape), len(shape) - 1))
    b = data.draw(st.integers(-len(shape), len(shape) - 1))
    assert check(lambda t: t.swapaxes(a, b), x)
    assert check(lambda t: t.clone() * t, x)
    lead = data.draw(st.integers(1, 3))
    assert check(lambda t: t.expand(lead, *shape), x)
    np.testing.assert_array_equal(md.tensor(x).swapaxes(a, b).numpy(), np.swapaxes(x, a, b))
