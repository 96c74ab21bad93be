"""Matrix product: NumPy's rules (1-D operands, batch broadcasting both ways), gradients
by hypothesis + gradcheck, PyTorch cross-checks, size-mismatch errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md
from tests.helpers import leaf, torch_vjp, vjp


@st.composite
def matmul_operands(draw):
    """Shapes (..., n, k) @ (..., k, m) with broadcast batch axes, or 1-D operands."""
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    ba, bb = batch.input_shapes
    a_shape = (k,) if draw(st.booleans()) and not ba else ba + (n, k)
    b_shape = (k,) if draw(st.booleans()) and not bb else bb + (k, m)
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, a_shape), rng.uniform(-2, 2, b_shape)


@given(matmul_operands())
def test_matmul_gradient(ab):
    a, b = ab
    assert md.gradcheck(lambda x, w: x @ w, (leaf(a), leaf(b)), atol=1e-6, rtol=1e-5)


@given(matmul_operands())
def test_matmul_forward_matches_numpy(ab):
    a, b = ab
    out = md.tensor(a) @ md.tensor(b)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-13, atol=1e-14)
    assert out.shape == np.shape(a @ b)


def test_matmul_with_arrays_and_method():
    a, b = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    np.testing.assert_array_equal((a @ md.tensor(b)).numpy(), a @ b)
    np.testing.assert_array_equal(md.tensor(a).matmul(b).numpy(), a @ b)


def test_matmul_hand_computed_gradient():
    x = md.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    w = md.tensor(np.array([[3.0], [4.0]]), requires_grad=True)
    (x @ w).backward(np.array([[2.0]]))
    np.testing.assert_array_equal(x.grad, [[6.0, 8.0]])
    np.testing.assert_array_equal(w.grad, [[2.0], [4.0]])


@pytest.mark.parametrize("sa, sb", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (2, 4, 3)),
                                    ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (4,)), ((4,), (4,))])
def test_matmul_against_torch(sa, sb):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    out, grads, u = vjp(lambda x, w: x @ w, a, b)
    t_out, t_grads = torch_vjp(torch, lambda x, w: x @ w, a, b, upstream=u)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-12)
    for g, tg in zip(grads, t_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-10)


def test_matmul_size_mismatch_names_shapes():
    with pytest.raises(ValueError) as e:
        md.ones(2, 3) @ md.ones(4, 2)
    assert str(e.value).startswith("matmul: shapes (2, 3) and (4, 2) do not match")
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4,\)"):
        md.ones(3) @ md.ones(4)
    with pytest.raises(ValueError, match=r"matmul: the batch axes of shapes \(2, 3, 4\) and "
                                         r"\(3, 4, 5\)"):
        md.ones(2, 3, 4) @ md.ones(3, 4, 5)
    with pytest.raises(ValueError, match="matmul: both operands must have at least 1"):
        md.ones(3) @ md.tensor(2.0)


@pytest.mark.parametrize("x_shape", [(5,), (3, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_linear_equals_the_composite_and_pytorch(x_shape, bias):
    """F.linear's one node (ops/linalg.py Linear) against x @ Wᵀ + b built from matmul,
    transpose and add, with a random upstream gradient."""
    import minidl.functional as F
    rng = np.random.default_rng(len(x_shape) + bias)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((4, 5))]
    if bias:
        arrays.append(rng.standard_normal(4))
    g = rng.standard_normal(x_shape[:-1] + (4,))
    fused = [md.tensor(a, requires_grad=True) for a in arrays]
    plain = [md.tensor(a, requires_grad=True) for a in arrays]
    y = F.linear(*fused)
    assert y.grad_fn.name() == "Linear"
    z = plain[0] @ plain[1].T + (plain[2] if bias else 0)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-13, atol=1e-13)
    y.backward(md.tensor(g))
    z.backward(md.tensor(g))
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    t = torch.nn.functional.linear(*ts)
    t.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(fused, ts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_with_mixed_dtypes_composes_and_promotes():
    import minidl.functional as F
    w = md.ones(4, 3, requires_grad=True)
    y = F.linear(md.ones(2, 3, dtype=md.float64), w)
    assert y.dtype == np.float64 and y.grad_fn.name() == "MatMul"
    np.testing.assert_array_equal(y.detach().numpy(), np.full((2, 4), 3.0))


def test_a_batch_over_an_empty_inner_axis_gives_zeros():
    # k = 0: the product is a sum of nothing (zeros), in one GEMM as for any batch
    for x, w in (((2, 3, 0), (0, 2)), ((0, 3, 4), (4, 2)), ((2, 0, 4), (4, 2))):
        a, b = md.zeros(*x, requires_grad=True), md.ones(*w, requires_grad=True)
        y = a @ b
        y.sum().backward()
        assert y.shape == x[:-1] + w[-1:] and not y.numpy().any()
        assert a.grad.shape == x and b.grad.shape == w
        lin = md.nn.functional.linear(a, b.T)
        assert lin.shape == y.shape
