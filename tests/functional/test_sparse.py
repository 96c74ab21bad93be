"""F.embedding: the lookup, its gradient (repeated indices add up), PyTorch, bad input."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
import minidl.functional as F
from tests.helpers import check_gradients, leaf, torch_vjp, vjp


def loop_embedding_grad(idx, upstream, num_embeddings, padding_idx=None):
    """∂L/∂W by the definition: every output row adds its gradient into the row it read."""
    dW = np.zeros((num_embeddings, upstream.shape[-1]))
    flat_idx = idx.reshape(-1)
    flat_up = upstream.reshape(-1, upstream.shape[-1])
    for position in range(flat_idx.size):
        row = flat_idx[position]
        if row != padding_idx:
            dW[row] += flat_up[position]
    return dW


# ---------------------------------------------------------------------- formula
def test_hand_computed_lookup_and_gradient():
    W = leaf(np.array([[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]))
    y = F.embedding(md.tensor([[2, 0], [2, 2]]), W)
    np.testing.assert_array_equal(y.numpy(), [[[2.0, 2.5], [0.0, 0.5]], [[2.0, 2.5], [2.0, 2.5]]])
    y.backward(np.array([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]))
    # row 2 is read three times: 1+5+7, 2+6+8; row 0 once; row 1 never
    np.testing.assert_array_equal(W.grad, [[3.0, 4.0], [0.0, 0.0], [13.0, 16.0]])


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 1, 3)])
def test_output_shape_and_values(shape):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((5, 3))
    idx = rng.integers(0, 5, size=shape)
    y = F.embedding(idx, leaf(W, False))
    assert y.shape == shape + (3,)
    np.testing.assert_array_equal(y.numpy(), W[idx])


def test_accepts_tensor_array_and_list_indices():
    W = leaf(np.arange(6.0).reshape(3, 2), False)
    for idx in (md.tensor([1, 2]), np.array([1, 2]), [1, 2], np.array([1, 2], dtype=np.int32)):
        np.testing.assert_array_equal(F.embedding(idx, W).numpy(), [[2.0, 3.0], [4.0, 5.0]])


def test_padding_idx_reads_the_row_but_sends_it_no_gradient():
    W = leaf(np.arange(8.0).reshape(4, 2))
    idx = np.array([[1, 3, 1], [3, 0, 2]])
    y = F.embedding(idx, W, padding_idx=3)
    np.testing.assert_array_equal(y.numpy(), W.numpy()[idx])           # forward unchanged
    up = np.arange(12.0).reshape(2, 3, 2) + 1
    y.backward(up)
    np.testing.assert_array_equal(W.grad, loop_embedding_grad(idx, up, 4, padding_idx=3))
    np.testing.assert_array_equal(W.grad[3], [0.0, 0.0])


def test_negative_padding_idx_counts_from_the_end():
    W = leaf(np.ones((4, 2)))
    F.embedding(np.array([3, 3, 1]), W, padding_idx=-1).backward(np.ones((3, 2)))
    np.testing.assert_array_equal(W.grad, [[0, 0], [1, 1], [0, 0], [0, 0]])


def test_indices_get_no_gradient_and_weight_keeps_dtype():
    W = md.randn(4, 3, requires_grad=True)
    y = F.embedding(md.tensor([0, 1]), W)
    assert y.dtype == np.float32
    y.backward(np.ones((2, 3), dtype=np.float32))
    assert W.grad.dtype == np.float32


# ---------------------------------------------------------------------- gradients
@st.composite
def embedding_cases(draw):
    num_embeddings = draw(st.integers(1, 5))
    E = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num_embeddings, size=shape)     # few rows: repeats are common
    padding_idx = draw(st.one_of(st.none(), st.integers(0, num_embeddings - 1)))
    return num_embeddings, E, idx, padding_idx, seed


@given(embedding_cases())
def test_gradient_property(case):
    # without padding_idx (the padding row's zero gradient is a convention, not ∂y/∂W)
    num_embeddings, E, idx, _, seed = case
    W = np.random.default_rng(seed + 1).standard_normal((num_embeddings, E))
    assert check_gradients(lambda w: F.embedding(idx, w), W)


@given(embedding_cases())
def test_gradient_is_the_sum_over_repeated_indices(case):
    num_embeddings, E, idx, padding_idx, seed = case
    W = np.random.default_rng(seed + 1).standard_normal((num_embeddings, E))
    _, (dW,), up = vjp(lambda w: F.embedding(idx, w, padding_idx), W, seed=seed)
    np.testing.assert_allclose(dW, loop_embedding_grad(idx, up, num_embeddings, padding_idx),
                               rtol=1e-13, atol=1e-13)
    # invariant: without padding, the total gradient is the total upstream gradient
    if padding_idx is None:
        np.testing.assert_allclose(dW.sum(axis=0), up.reshape(-1, E).sum(axis=0), atol=1e-12)


# ---------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_against_torch(padding_idx):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    W = rng.standard_normal((6, 4))
    idx = np.array([[2, 5, 2, 0], [1, 2, 5, 5], [3, 3, 3, 2]])
    up = rng.standard_normal(idx.shape + (4,))
    out, (dW,), _ = vjp(lambda w: F.embedding(idx, w, padding_idx), W, upstream=up)
    t_out, (t_dW,) = torch_vjp(
        torch, lambda w: torch.nn.functional.embedding(torch.tensor(idx), w, padding_idx), W,
        upstream=up)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=0)
    np.testing.assert_allclose(dW, t_dW, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------- bad input
def test_out_of_range_indices():
    W = md.randn(5, 2)
    with pytest.raises(ValueError, match=r"embedding: indices must be in \[0, 5\).*\[5\]"):
        F.embedding(np.array([0, 5]), W)
    with pytest.raises(ValueError, match=r"embedding: .*\[-1\]"):
        F.embedding(md.tensor([[-1, 2]]), W)


def test_bad_kinds_and_shapes():
    with pytest.raises(TypeError, match=r"embedding: input must hold integer indices.*float"):
        F.embedding(md.tensor([0.0, 1.0]), md.randn(3, 2))
    with pytest.raises(TypeError, match=r"embedding: weight must be a Tensor"):
        F.embedding([0, 1], np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"embedding: weight must be \(num_embeddings, E\).*\(6,\)"):
        F.embedding([0, 1], md.randn(6))
    with pytest.raises(ValueError, match=r"embedding: padding_idx .*got 3"):
        F.embedding([0, 1], md.randn(3, 2), padding_idx=3)
