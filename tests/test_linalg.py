"""md.linalg: the norms against their formulas, against PyTorch's torch.linalg, and their
first and second derivatives against central differences."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
from tests.helpers import check_gradients

INF = float("inf")


def _torch():
    return pytest.importorskip("torch")


def test_vector_norms_are_their_formulas():
    x = np.array([[3.0, -4.0, 0.0], [1.0, 2.0, -2.0]])
    t = md.tensor(x)
    np.testing.assert_allclose(md.linalg.vector_norm(t).numpy(), np.sqrt((x ** 2).sum()))
    np.testing.assert_allclose(md.linalg.vector_norm(t, 1, dim=1).numpy(), [7.0, 5.0])
    np.testing.assert_allclose(md.linalg.vector_norm(t, 3, dim=0).numpy(),
                               (np.abs(x) ** 3).sum(0) ** (1 / 3))
    np.testing.assert_allclose(md.linalg.vector_norm(t, INF, dim=1).numpy(), [4.0, 2.0])
    np.testing.assert_allclose(md.linalg.vector_norm(t, -INF, dim=1).numpy(), [0.0, 1.0])
    np.testing.assert_allclose(md.linalg.vector_norm(t, 0, dim=1).numpy(), [2.0, 3.0])


def test_matrix_norms_are_their_formulas():
    A = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -1.0]])
    t = md.tensor(A)
    np.testing.assert_allclose(md.linalg.matrix_norm(t).numpy(), np.sqrt((A ** 2).sum()))
    np.testing.assert_allclose(md.linalg.matrix_norm(t, 1).numpy(), np.abs(A).sum(0).max())
    np.testing.assert_allclose(md.linalg.matrix_norm(t, -1).numpy(), np.abs(A).sum(0).min())
    np.testing.assert_allclose(md.linalg.matrix_norm(t, INF).numpy(), np.abs(A).sum(1).max())
    np.testing.assert_allclose(md.linalg.norm(t, dim=1).numpy(), np.sqrt((A ** 2).sum(1)))
    assert md.linalg.norm(t, keepdim=True).shape == (1, 1)


@given(shape=st.sampled_from([(4,), (3, 4), (2, 3, 4)]),
       ord=st.sampled_from([2, 1, 3, 0.5, INF, -INF]), keepdim=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_vector_norm_matches_torch_with_gradients(shape, ord, keepdim, seed):
    torch = _torch()
    x = np.random.default_rng(seed).standard_normal(shape)
    dim = None if len(shape) == 1 else -1
    m = md.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    ym = md.linalg.vector_norm(m, ord, dim, keepdim)
    yt = torch.linalg.vector_norm(t, ord, dim, keepdim)
    np.testing.assert_allclose(ym.numpy(), yt.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(seed + 1).standard_normal(tuple(yt.shape))
    ym.backward(md.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ord", ["fro", 1, -1, INF, -INF])
def test_matrix_norm_matches_torch(ord):
    torch = _torch()
    A = np.random.default_rng(3).standard_normal((2, 3, 4))
    for dim in ((-2, -1), (0, 2)):
        m, t = md.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
        ym = md.linalg.matrix_norm(m, ord, dim)
        yt = torch.linalg.matrix_norm(t, ord, dim)
        np.testing.assert_allclose(ym.numpy(), yt.detach().numpy(), rtol=1e-12)
        ym.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-10)


@given(ord=st.sampled_from([2, 1, 3]), seed=st.integers(0, 2 ** 16))
def test_norm_gradients_and_second_derivatives(ord, seed):
    x = np.random.default_rng(seed).uniform(0.5, 2.0, (3, 4)) * \
        np.random.default_rng(seed + 1).choice([-1.0, 1.0], (3, 4))       # away from 0
    check_gradients(lambda t: md.linalg.vector_norm(t, ord, 1), x)
    assert md.gradgradcheck(lambda t: md.linalg.vector_norm(t, ord, 1),
                            (md.tensor(x, requires_grad=True),))
    assert md.gradgradcheck(lambda t: md.linalg.matrix_norm(t),
                            (md.tensor(x, requires_grad=True),))


def test_bad_arguments_and_what_is_not_implemented():
    x = md.tensor(np.ones((2, 2)))
    with pytest.raises(NotImplementedError, match="ord=2"):
        md.linalg.matrix_norm(x, 2)
    with pytest.raises(NotImplementedError, match="linalg.inv"):
        md.linalg.inv(x)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        md.linalg.matrix_norm(md.ones(3))
    with pytest.raises(ValueError, match="floating"):
        md.linalg.vector_norm(md.tensor([1, 2]))
    with pytest.raises(TypeError, match="vector_norm: ord"):
        md.linalg.vector_norm(x, "fro")
    with pytest.raises(TypeError, match="x"):
        md.linalg.vector_norm(np.ones(2))
