"""Elementwise primitives: formulas against NumPy, gradients by hypothesis + gradcheck
(broadcasting in both directions, a random upstream gradient), PyTorch cross-checks."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md
from tests.helpers import leaf, torch_vjp, vjp

# ---------------------------------------------------------------------- strategies
# Shapes of at most 3 axes of length <= 4: gradcheck perturbs every element.
pair_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                max_side=4)
one_shape = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def array(shape, lo=-2.0, hi=2.0):
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))


@st.composite
def away_from_zero(draw, shape, lo=0.1, hi=2.0):
    """Values with |x| in [lo, hi]: off the kinks of relu and abs, safe to divide by."""
    magnitude = draw(array(shape, lo, hi))
    sign = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))
    return magnitude * sign


@st.composite
def broadcast_pair(draw, lo=-2.0, hi=2.0, second=None):
    """Two arrays whose shapes broadcast against each other (in either direction)."""
    shapes = draw(pair_shapes).input_shapes
    a = draw(array(shapes[0], lo, hi))
    b = draw(second(shapes[1]) if second else array(shapes[1], lo, hi))
    return a, b


def gradcheck(func, *arrays):
    return md.gradcheck(func, tuple(leaf(a) for a in arrays), atol=1e-6, rtol=1e-5)


# ---------------------------------------------------------------------- gradients
@given(broadcast_pair())
def test_add_gradient(ab):
    assert gradcheck(lambda a, b: a + b, *ab)


@given(broadcast_pair())
def test_sub_gradient(ab):
    assert gradcheck(lambda a, b: a - b, *ab)


@given(broadcast_pair())
def test_mul_gradient(ab):
    assert gradcheck(lambda a, b: a * b, *ab)


@given(broadcast_pair(second=lambda s: away_from_zero(s, 0.5, 2.0)))
def test_div_gradient(ab):
    assert gradcheck(lambda a, b: a / b, *ab)


@given(broadcast_pair(lo=0.5, hi=2.0))
def test_pow_gradient_tensor_exponent(ab):
    assert gradcheck(lambda a, b: a ** b, *ab)


@given(array(one_shape, 0.5, 2.0), st.sampled_from([2, 3, -1, 0.5, -1.5, 2.7]))
def test_pow_gradient_number_exponent(x, p):
    assert gradcheck(lambda a: a ** p, x)


@given(array(one_shape, -2.0, 2.0), st.sampled_from([2.0, 0.5, 3]))
def test_rpow_gradient(x, base):
    assert gradcheck(lambda a: base ** a, x)


@given(broadcast_pair(second=lambda s: away_from_zero(s, 0.5, 2.0)))
def test_reflected_operators_gradient(ab):
    a, b = ab
    c = b[()] if b.ndim == 0 else 1.5  # a number on the left
    assert gradcheck(lambda x: c - x, a)
    assert gradcheck(lambda y: 2.5 / y, b)
    assert gradcheck(lambda y: c * y + 1.0, b)


@given(broadcast_pair())
def test_maximum_gradient(ab):
    a, b = ab
    b = np.where(np.abs(a - b) < 0.05, b + 0.2, b)  # no ties (they split the gradient)
    assert gradcheck(md.maximum, a, b)


@given(st.data())
def test_where_gradient(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                          max_side=4)).input_shapes
    c = data.draw(hnp.arrays(np.bool_, shapes[0]))
    x, y = data.draw(array(shapes[1])), data.draw(array(shapes[2]))
    assert gradcheck(lambda a, b: md.where(c, a, b), x, y)


UNARY = {
    "neg": (lambda t: -t, -2.0, 2.0),
    "exp": (lambda t: t.exp(), -2.0, 2.0),
    "log": (lambda t: t.log(), 0.2, 3.0),
    "sqrt": (lambda t: t.sqrt(), 0.2, 3.0),
    "tanh": (lambda t: t.tanh(), -3.0, 3.0),
    "sigmoid": (lambda t: t.sigmoid(), -5.0, 5.0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_gradient(name, data):
    f, lo, hi = UNARY[name]
    x = data.draw(array(data.draw(one_shape), lo, hi))
    assert gradcheck(f, x)


@pytest.mark.parametrize("name", ["relu", "abs"])
@given(data=st.data())
def test_kinked_unary_gradient(name, data):
    x = data.draw(away_from_zero(data.draw(one_shape)))
    assert gradcheck(lambda t: getattr(t, name)(), x)


@given(data=st.data())
def test_clip_gradient(data):
    x = data.draw(array(data.draw(one_shape), -2.0, 2.0))
    x = np.where(np.abs(np.abs(x) - 1.0) < 0.05, x * 0.8, x)  # off the bounds ±1
    assert gradcheck(lambda t: t.clip(-1.0, 1.0), x)
    assert gradcheck(lambda t: t.clip(min=-1.0), x)
    assert gradcheck(lambda t: t.clip(max=1.0), x)


# ---------------------------------------------------------------------- formulas
def test_forward_matches_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 2, (3, 1, 4)), rng.uniform(0.5, 2, (5, 1))
    A, B = md.tensor(a), md.tensor(b)
    for got, want in [(A + B, a + b), (A - B, a - b), (A * B, a * b), (A / B, a / b),
                      (A ** B, a ** b), (-A, -a), (A.exp(), np.exp(a)), (A.log(), np.log(a)),
                      (A.sqrt(), np.sqrt(a)), (A.tanh(), np.tanh(a)),
                      (A.sigmoid(), 1 / (1 + np.exp(-a))), ((A - 1).relu(), np.maximum(a - 1, 0)),
                      ((A - 1).abs(), np.abs(a - 1)), (A.clip(0.7, 1.5), np.clip(a, 0.7, 1.5)),
                      (md.maximum(A, B), np.maximum(a, b)), (2 - A, 2 - a), (2 / A, 2 / a),
                      (2 ** A, 2 ** a), (md.where(A > 1, A, B), np.where(a > 1, a, b))]:
        assert got.dtype == np.float64
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-14, atol=0)


def test_hand_computed_gradients():
    x = md.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = md.tensor([2.0, 2.0, 2.0], requires_grad=True)
    ((x * y + x / y - x ** 2).sum()).backward()
    np.testing.assert_allclose(x.grad, [2 + 0.5 - 2, 2 + 0.5 + 4, 2 + 0.5 - 6])
    np.testing.assert_allclose(y.grad, [1 - 1 / 4, -2 + 2 / 4, 3 - 3 / 4])


def test_sigmoid_is_stable_for_huge_inputs():
    x = md.tensor(np.array([-1e4, -800.0, 0.0, 800.0, 1e4]), requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 0.5, 1.0, 1.0])
    y.backward(np.ones(5))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25, 0.0, 0.0])


def test_kink_conventions():
    x = md.tensor([0.0, 0.0, 1.0], requires_grad=True)
    (x.relu() + x.abs()).backward(np.ones(3))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 2.0])       # relu'(0) = |x|'(0) = 0
    c = md.tensor([-1.0, 1.0, 0.5], requires_grad=True)
    c.clip(-1.0, 1.0).backward(np.ones(3))
    np.testing.assert_array_equal(c.grad, [1.0, 1.0, 1.0])       # passes at the bounds
    a, b = md.tensor([1.0, 2.0], requires_grad=True), md.tensor([1.0, 1.0], requires_grad=True)
    md.maximum(a, b).backward(np.array([2.0, 4.0]))
    np.testing.assert_array_equal(a.grad, [1.0, 4.0])            # ties split equally
    np.testing.assert_array_equal(b.grad, [1.0, 0.0])


def test_pow_gradient_at_zero_is_finite_as_torch():
    x = md.tensor([0.0, 2.0], requires_grad=True, dtype=np.float64)
    p = md.tensor([2.0, 3.0], requires_grad=True, dtype=np.float64)
    (x ** p).backward(np.ones(2))
    np.testing.assert_allclose(x.grad, [0.0, 12.0])
    np.testing.assert_allclose(p.grad, [0.0, 8 * np.log(2)])
    z = md.tensor([0.0, 1.0], requires_grad=True, dtype=np.float64)
    (z ** 0).backward(np.ones(2))
    np.testing.assert_array_equal(z.grad, [0.0, 0.0])


def test_where_condition_carries_no_gradient_and_must_be_boolean():
    with pytest.raises(TypeError, match="where: condition must be boolean"):
        md.where(md.tensor([1.0, 0.0]), md.ones(2), md.zeros(2))


def test_backward_never_writes_into_the_upstream_gradient():
    rng = np.random.default_rng(1)
    a, b = leaf(rng.uniform(0.5, 2, (3, 4))), leaf(rng.uniform(0.5, 2, (4,)))
    for f in (lambda: a + b, lambda: a - b, lambda: a * b, lambda: a / b, lambda: a ** b,
              lambda: md.maximum(a, b), lambda: (-(-a).exp().log()).sqrt().tanh().sigmoid(),
              lambda: a.relu().abs().clip(0.6, 1.9)):
        g = rng.standard_normal((3, 4))
        g.setflags(write=False)  # a write would raise
        f().backward(g)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("op, name", [(lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"),
                                      (lambda a, b: a * b, "mul"), (lambda a, b: a / b, "div"),
                                      (lambda a, b: a ** b, "pow"), (md.maximum, "maximum"),
                                      (lambda a, b: b + a, "add"), (lambda a, b: a < b, "lt"),
                                      (lambda a, b: a == b, "eq")])
def test_broadcast_mismatch_names_op_and_shapes(op, name):
    with pytest.raises(ValueError, match=rf"{name}: shapes \((2, 3|4,)\)?.*cannot be broadcast"):
        op(md.ones(2, 3), md.ones(4))


def test_broadcast_mismatch_message():
    with pytest.raises(ValueError) as e:
        md.ones(2, 3) + md.ones(4)
    assert str(e.value).startswith("add: shapes (2, 3) and (4,) cannot be broadcast together")


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip: at least one"):
        md.ones(2).clip()


# ---------------------------------------------------------------------- PyTorch
torch_ops = [
    ("add", lambda a, b: a + b, lambda a, b: a + b),
    ("sub", lambda a, b: a - b, lambda a, b: a - b),
    ("mul", lambda a, b: a * b, lambda a, b: a * b),
    ("div", lambda a, b: a / b, lambda a, b: a / b),
    ("pow", lambda a, b: a ** b, lambda a, b: a ** b),
    ("maximum", md.maximum, None),
]


@pytest.mark.parametrize("name, f, tf", torch_ops)
def test_binary_against_torch(name, f, tf):
    torch = pytest.importorskip("torch")
    tf = tf or torch.maximum
    rng = np.random.default_rng(2)
    for sa, sb in [((3, 4), (4,)), ((1, 4), (3, 1)), ((2, 1, 4), (3, 4)), ((), (2, 3))]:
        a, b = rng.uniform(0.5, 2, sa), rng.uniform(0.5, 2, sb)
        out, grads, g = vjp(f, a, b)
        t_out, t_grads = torch_vjp(torch, tf, a, b, upstream=g)
        np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-12)
        for got, want in zip(grads, t_grads):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "neg",
                                  "clip"])
def test_unary_against_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 2, (3, 5)) * rng.choice([-1, 1], (3, 5))
    if name in ("log", "sqrt"):
        x = np.abs(x)
    f = {"neg": lambda t: -t, "clip": lambda t: t.clip(-1.0, 1.5)}.get(
        name, lambda t: getattr(t, name)())
    tf = {"neg": lambda t: -t, "clip": lambda t: t.clamp(-1.0, 1.5)}.get(
        name, lambda t: getattr(t, name)())
    out, (grad,), g = vjp(f, x)
    t_out, (t_grad,) = torch_vjp(torch, tf, x, upstream=g)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-9, atol=1e-10)


def test_clamp_gradient_at_ties_and_nan_is_pytorchs():
    """torch.clamp: x's gradient passes on [min, max] ends included, nowhere at NaN; with
    tensor bounds a tie goes to x, min takes x < min, max takes what exceeds it."""
    x = md.tensor([np.nan, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0])
    x = md.tensor([1.0, 2.0, 3.0, np.nan, 1.0, 2.0], dtype=md.float64, requires_grad=True)
    lo = md.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 3.0], dtype=md.float64, requires_grad=True)
    hi = md.tensor([5.0, 2.0, 3.0, 5.0, 0.5, 4.0], dtype=md.float64, requires_grad=True)
    y = x.clamp(lo, hi)
    np.testing.assert_array_equal(y.detach().numpy(), [1, 2, 3, np.nan, 0.5, 3])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(lo.grad.numpy(), [0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(hi.grad.numpy(), [0, 0, 0, 0, 1, 0])
