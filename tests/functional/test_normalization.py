"""F.layer_norm: the formula, its gradient, PyTorch, bad input."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
import minidl.functional as F
import minidl.reference as ref
from tests.helpers import check_gradients, leaf, torch_vjp, vjp


def numpy_layer_norm(x, k, weight=None, bias=None, eps=1e-5):
    """A direct NumPy transcription of y = (x − μ)/√(σ² + ε) γ + β over the last k axes."""
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


# ---------------------------------------------------------------------- formula
def test_hand_computed_row():
    # x = [1, 2, 6]: μ = 3, σ² = (4 + 1 + 9)/3 = 14/3
    x = leaf(np.array([[1.0, 2.0, 6.0]]), requires_grad=False)
    y = F.layer_norm(x, 3, eps=0.0)
    s = math.sqrt(14 / 3)
    np.testing.assert_allclose(y.numpy(), [[-2 / s, -1 / s, 3 / s]], rtol=1e-14)
    w = leaf(np.array([1.0, 2.0, 0.5]), requires_grad=False)
    b = leaf(np.array([0.0, 1.0, -1.0]), requires_grad=False)
    y = F.layer_norm(x, (3,), w, b, eps=0.0)
    np.testing.assert_allclose(y.numpy(), [[-2 / s, -2 / s + 1, 1.5 / s - 1]], rtol=1e-14)


def test_eps_is_added_to_the_biased_variance():
    x = leaf(np.array([[0.0, 2.0]]), requires_grad=False)       # μ = 1, σ² = 1 (biased)
    y = F.layer_norm(x, 2, eps=3.0)
    np.testing.assert_allclose(y.numpy(), [[-0.5, 0.5]], rtol=1e-14)   # ±1/√(1 + 3)


@pytest.mark.parametrize("shape, k", [((5,), 1), ((3, 4), 1), ((2, 3, 4), 2), ((2, 3, 4, 5), 3),
                                      ((2, 3, 4), 3)])
@pytest.mark.parametrize("affine", [False, True])
def test_matches_numpy_transcription(shape, k, affine):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * 3 + 1
    w = rng.standard_normal(shape[-k:]) if affine else None
    b = rng.standard_normal(shape[-k:]) if affine else None
    y = F.layer_norm(leaf(x, False), shape[-k:], None if w is None else leaf(w, False),
                     None if b is None else leaf(b, False))
    np.testing.assert_allclose(y.numpy(), numpy_layer_norm(x, k, w, b), rtol=1e-12, atol=1e-13)


def test_matches_literal_reference():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((3, 2, 6)), rng.standard_normal(6), rng.standard_normal(6)
    y = F.layer_norm(leaf(x, False), (6,), leaf(w, False), leaf(b, False), eps=1e-3)
    np.testing.assert_allclose(y.numpy(), ref.layer_norm(x, w, b, eps=1e-3), rtol=1e-12, atol=1e-13)


def test_invariants_zero_mean_unit_variance_and_shift_invariance():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 5))
    y = F.layer_norm(leaf(x, False), (3, 5), eps=0.0).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-14)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1.0, rtol=1e-13)
    y_shift = F.layer_norm(leaf(x + 7.5, False), (3, 5), eps=0.0).numpy()
    np.testing.assert_allclose(y_shift, y, atol=1e-12)


def test_keeps_float32():
    x = md.randn(2, 4)
    w = md.ones(4)
    assert F.layer_norm(x, 4, w, md.zeros(4)).dtype == np.float32


def test_constant_row_is_finite_with_eps():
    x = leaf(np.full((2, 4), 3.0))
    y = F.layer_norm(x, 4)
    y.backward(np.arange(8.0).reshape(2, 4))
    assert np.all(y.numpy() == 0.0)
    assert np.all(np.isfinite(x.grad))


# ---------------------------------------------------------------------- gradients
@st.composite
def layer_norm_cases(draw):
    lead = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    normalized = draw(st.lists(st.integers(2, 4), min_size=1, max_size=3))
    affine = draw(st.sampled_from(["none", "weight", "both"]))
    seed = draw(st.integers(0, 2 ** 16))
    return tuple(lead), tuple(normalized), affine, seed


@given(layer_norm_cases())
def test_gradient_property(case):
    lead, normalized, affine, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + normalized) * 2 + 0.5
    w = rng.standard_normal(normalized) if affine != "none" else None
    b = rng.standard_normal(normalized) if affine == "both" else None
    assert check_gradients(lambda x_, w_, b_: F.layer_norm(x_, normalized, w_, b_, eps=1e-3),
                           x, w, b)


@given(layer_norm_cases())
def test_input_gradient_is_orthogonal_to_shift_and_to_x_hat(case):
    """With ε = 0 and no affine, x̄ has zero mean and is orthogonal to x̂ over each row."""
    lead, normalized, _, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + normalized)
    _, (dx,), _ = vjp(lambda t: F.layer_norm(t, normalized, eps=0.0), x, seed=seed)
    axes = tuple(range(len(lead), x.ndim))
    x_hat = numpy_layer_norm(x, len(normalized), eps=0.0)
    np.testing.assert_allclose(dx.sum(axis=axes), 0.0, atol=1e-10)
    np.testing.assert_allclose((dx * x_hat).sum(axis=axes), 0.0, atol=1e-10)


# ---------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("shape, k", [((4, 6), 1), ((2, 3, 5), 2), ((3, 2, 2, 4), 3)])
@pytest.mark.parametrize("affine", [False, True])
def test_against_torch(shape, k, affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape) * 2 - 1
    params = [rng.standard_normal(shape[-k:]), rng.standard_normal(shape[-k:])] if affine else []
    up = rng.standard_normal(shape)
    ns = shape[-k:]
    out, grads, _ = vjp(lambda *t: F.layer_norm(t[0], ns, *t[1:]), x, *params, upstream=up)
    t_out, t_grads = torch_vjp(torch, lambda *t: torch.nn.functional.layer_norm(t[0], ns, *t[1:]),
                               x, *params, upstream=up)
    np.testing.assert_allclose(out, t_out, rtol=1e-9, atol=1e-10)
    for g, tg in zip(grads, t_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------- bad input
def test_trailing_shape_mismatch():
    with pytest.raises(ValueError, match=r"layer_norm: .*normalized_shape \(5,\).*\(2, 4\)"):
        F.layer_norm(md.randn(2, 4), 5)
    with pytest.raises(ValueError, match=r"layer_norm: .*normalized_shape \(3, 4\).*\(4,\)"):
        F.layer_norm(md.randn(4), (3, 4))


def test_weight_and_bias_shapes():
    with pytest.raises(ValueError, match=r"layer_norm: weight .*\(4,\).*\(3,\)"):
        F.layer_norm(md.randn(2, 4), 4, weight=md.ones(3))
    with pytest.raises(ValueError, match=r"layer_norm: bias .*\(4,\).*\(4, 1\)"):
        F.layer_norm(md.randn(2, 4), 4, bias=md.ones(4, 1))


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape"):
        F.layer_norm(md.randn(2, 4), (0,))
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape"):
        F.layer_norm(md.randn(2, 4), ())
    with pytest.raises(TypeError, match=r"layer_norm: normalized_shape"):
        F.layer_norm(md.randn(2, 4), 4.0)
    with pytest.raises(ValueError, match=r"layer_norm: eps"):
        F.layer_norm(md.randn(2, 4), 4, eps=-1.0)
    with pytest.raises(TypeError, match=r"layer_norm: input"):
        F.layer_norm(np.ones((2, 4)), 4)


# ====================================================================== batch_norm
def _stats(C, rng):
    return rng.standard_normal(C), rng.uniform(0.5, 2.0, C)


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 5), (2, 3, 4, 5), (2, 2, 2, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_literal_reference(shape, training, affine):
    rng = np.random.default_rng(5)
    C = shape[1]
    x = rng.standard_normal(shape) * 2 + 1
    rm, rv = _stats(C, rng)
    w, b = (rng.standard_normal(C), rng.standard_normal(C)) if affine else (None, None)
    y_ref, rm_ref, rv_ref = ref.batch_norm(x, rm, rv, w, b, training, 0.3, 1e-4)
    rm_t, rv_t = leaf(rm, False), leaf(rv, False)
    y = F.batch_norm(leaf(x, False), rm_t, rv_t, None if w is None else leaf(w, False),
                     None if b is None else leaf(b, False), training=training, momentum=0.3,
                     eps=1e-4)
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(rm_t.numpy(), rm_ref, rtol=1e-13)          # updated in place
    np.testing.assert_allclose(rv_t.numpy(), rv_ref, rtol=1e-13)


def test_batch_norm_hand_computed():
    # channel 0: values 1, 3 → μ = 2, biased σ² = 1, unbiased 2
    x = leaf(np.array([[1.0, 0.0], [3.0, 4.0]]), False)
    rm, rv = leaf(np.zeros(2), False), leaf(np.ones(2), False)
    y = F.batch_norm(x, rm, rv, training=True, momentum=0.5, eps=1e-12)
    np.testing.assert_allclose(y.numpy(), [[-1, -1], [1, 1]], rtol=1e-10)
    np.testing.assert_allclose(rm.numpy(), [1.0, 1.0])                    # ½·0 + ½·μ
    np.testing.assert_allclose(rv.numpy(), [1.5, 4.5])                    # ½·1 + ½·(2, 8)
    y = F.batch_norm(x, rm, rv, eps=0.0)                                  # evaluation
    np.testing.assert_allclose(y.numpy(), (x.numpy() - 1.0) / np.sqrt([1.5, 4.5]), rtol=1e-14)


def test_batch_norm_without_running_stats_uses_the_batch():
    x = np.random.default_rng(0).standard_normal((6, 3))
    y = F.batch_norm(leaf(x, False), None, None, training=True)
    np.testing.assert_allclose(y.numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5),
                               rtol=1e-12)


@given(data=st.data(), training=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_batch_norm_gradient(data, training, seed):
    ndim = data.draw(st.integers(2, 4), label="ndim")
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)))
    shape = (max(shape[0], 2),) + shape[1:]                              # > 1 value per channel
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape) * 2
    w, b = rng.standard_normal(C), rng.standard_normal(C)
    rm, rv = _stats(C, rng)

    def f(x, w, b):   # fresh statistics each call: the finite differences must not move them
        return F.batch_norm(x, leaf(rm, False), leaf(rv, False), w, b, training=training,
                            eps=1e-3)
    assert check_gradients(f, x, w, b, atol=1e-6, rtol=1e-5)


def test_batch_norm_gradient_invariants():
    # in training the input gradient is orthogonal to a shift and to x̂ within each channel
    rng = np.random.default_rng(1)
    x = leaf(rng.standard_normal((5, 2, 3)))
    y = F.batch_norm(x, None, None, training=True, eps=1e-14)       # ε ≈ 0: Σ x̂² = m exactly
    y.backward(md.tensor(rng.standard_normal((5, 2, 3))))
    g = np.asarray(x.grad)
    np.testing.assert_allclose(g.sum(axis=(0, 2)), 0.0, atol=1e-12)
    np.testing.assert_allclose((g * y.numpy()).sum(axis=(0, 2)), 0.0, atol=1e-11)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 2, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_against_torch(shape, training):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    C = shape[1]
    x = rng.standard_normal(shape) * 3 + 2
    w, b = rng.standard_normal(C), rng.standard_normal(C)
    rm, rv = _stats(C, rng)
    rm_md, rv_md = leaf(rm, False), leaf(rv, False)
    rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)
    out, grads, u = vjp(lambda x, w, b: F.batch_norm(x, rm_md, rv_md, w, b, training, 0.2, 1e-4),
                        x, w, b)
    t_out, t_grads = torch_vjp(torch, lambda x, w, b: torch.nn.functional.batch_norm(
        x, rm_t, rv_t, w, b, training, 0.2, 1e-4), x, w, b, upstream=u)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-12)
    for g, tg in zip(grads, t_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm_md.numpy(), rm_t.numpy(), rtol=1e-14)
    np.testing.assert_allclose(rv_md.numpy(), rv_t.numpy(), rtol=1e-14)


def test_batch_norm_bad_input():
    x = md.ones(4, 3)
    with pytest.raises(TypeError, match="batch_norm: input must be a Tensor"):
        F.batch_norm(np.ones((4, 3)), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: input must be \(N, C\) or \(N, C, \*\), "
                                         r"got shape \(3,\)"):
        F.batch_norm(md.ones(3), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean must be \(C,\) = \(3,\) for "
                                         r"input shape \(4, 3\), got shape \(2,\)"):
        F.batch_norm(x, md.zeros(2), md.ones(3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(md.ones(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="eps must be > 0 in training"):
        F.batch_norm(x, None, None, training=True, eps=0.0)
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(x, None, None, training=False)
