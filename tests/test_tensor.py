"""Tensor: construction, attributes, conversions, operators, comparisons, factories, errors."""
import numpy as np
import pytest

import minidl as md


def test_construction_and_attributes():
    a = np.arange(6.0).reshape(2, 3)
    t = md.Tensor(a, requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float64
    assert t.is_leaf and t.requires_grad and t.grad is None and t.grad_fn is None
    a[0, 0] = 99.0                         # the data were copied
    assert t.numpy()[0, 0] == 0.0
    assert md.tensor(t).dtype == np.float64
    assert md.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert t.size() == (2, 3) and t.size(1) == 3 and t.numel() == 6 and t.dim() == 2
    assert len(t) == 2
    y = t * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad


def test_numpy_item_detach_tolist():
    t = md.tensor([[1.5]], requires_grad=True)
    assert isinstance(t.numpy(), np.ndarray) and t.numpy() is np.asarray(t)
    assert t.item() == 1.5 and float(t) == 1.5 and int(t) == 1
    d = (t * 2).detach()
    assert d.is_leaf and not d.requires_grad and d.item() == 3.0
    assert t.tolist() == [[1.5]]
    with pytest.raises(ValueError, match=r"item: only one-element tensors .* shape \(2,\)"):
        md.ones(2).item()
    with pytest.raises(ValueError, match="bool: the truth value"):
        bool(md.ones(2))


def test_operators_match_numpy():
    a = np.array([[1.0, 2.0, 3.0]])
    b = np.array([[2.0], [4.0]])
    A, B = md.tensor(a), md.tensor(b)
    pairs = [(A + B, a + b), (A - B, a - b), (A * B, a * b), (A / B, a / b), (A ** B, a ** b),
             (-A, -a), (A @ a.T, a @ a.T), (b @ A, b @ a), (1 + A, 1 + a), (1 - A, 1 - a),
             (2 * A, 2 * a), (2 / A, 2 / a), (2 ** A, 2 ** a), (a + B, a + b)]
    for got, want in pairs:
        assert isinstance(got, md.Tensor)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-15)


def test_comparisons_carry_no_gradient():
    x = md.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for c, want in [(x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]),
                    (x >= 2, [0, 1, 1]), (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1]),
                    (x > md.tensor([0.0, 5.0, 0.0]), [1, 0, 1])]:
        assert c.dtype == np.bool_ and not c.requires_grad and c.grad_fn is None
        np.testing.assert_array_equal(c.numpy(), np.array(want, bool))
    assert (x == None) is False and (x != None) is True  # noqa: E711


def test_tensors_are_hashable_and_iterable():
    x = md.tensor([1.0, 2.0])
    assert {x: 1}[x] == 1
    assert [v.item() for v in x] == [1.0, 2.0]


def test_factories():
    assert md.zeros(2, 3).shape == md.zeros((2, 3)).shape == (2, 3)
    assert md.zeros(2).dtype == np.float32 and not md.zeros(2).numpy().any()
    assert np.all(md.ones(3, dtype=np.float64).numpy() == 1) and md.ones(3, dtype=np.float64).dtype == np.float64
    assert md.full((2, 2), 7.0).numpy().tolist() == [[7, 7], [7, 7]]
    assert md.zeros_like(md.ones(2, dtype=np.float64)).dtype == np.float64
    assert md.ones_like(md.zeros(3)).numpy().tolist() == [1, 1, 1]
    assert md.randn(2, 3, requires_grad=True).requires_grad
    assert md.arange(5).numpy().tolist() == [0, 1, 2, 3, 4] and md.arange(5).dtype == np.int64
    assert md.arange(1, 7, 2).numpy().tolist() == [1, 3, 5]
    assert md.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(md.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    with pytest.raises(ValueError, match="arange: step must be non-zero"):
        md.arange(0, 1, 0)
    with pytest.raises(ValueError, match="zeros: sizes must be non-negative"):
        md.zeros(-1, 2)


def test_random_factories_follow_manual_seed():
    md.manual_seed(5)
    a, b = md.randn(3, 4), md.rand(2)
    md.manual_seed(5)
    np.testing.assert_array_equal(md.randn(3, 4).numpy(), a.numpy())
    np.testing.assert_array_equal(md.rand(2).numpy(), b.numpy())
    assert a.dtype == np.float32 and np.all((b.numpy() >= 0) & (b.numpy() < 1))
    assert isinstance(md.manual_seed(1), md.Generator)          # as torch.manual_seed
    with pytest.raises(TypeError, match="manual_seed: seed must be an int"):
        md.manual_seed(1.5)
    x = md.randn(20000).numpy()
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.03


def test_repr():
    assert repr(md.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(md.tensor([1.0], requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(md.tensor([1.0], requires_grad=True) * 2)
    assert "dtype" not in repr(md.tensor([1])) and "dtype=int32" in repr(md.tensor([1], dtype=md.int32))
    assert "dtype=float64" in repr(md.tensor(np.ones(1)))


def test_requires_grad_rules():
    with pytest.raises(TypeError, match="requires_grad_: only Tensors of floating point dtype .* int64"):
        md.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="requires_grad"):
        md.tensor([1, 2]).requires_grad_()
    y = md.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad_(False)
    t = md.tensor([1.0]).requires_grad_()
    assert t.requires_grad


def test_bad_data():
    with pytest.raises(TypeError, match="tensor: cannot make a tensor from data of type str"):
        md.tensor("abc")
    with pytest.raises(TypeError, match="len"):
        len(md.tensor(1.0))


def test_wrong_operand_kinds_are_type_errors():
    with pytest.raises(TypeError, match="add: operands must be tensors, arrays or numbers, got str"):
        md.ones(2) + "a"
    with pytest.raises(TypeError, match="mul: operands must be .* got NoneType"):
        None * md.ones(2)
    with pytest.raises(TypeError, match="matmul: operands must be .* got dict"):
        md.ones(2) @ {}
    with pytest.raises(TypeError, match="where: operands must be"):
        md.where(md.ones(2) > 0, md.ones(2), "x")


def test_numpy_conversions_share_or_copy_as_numpy_asks():
    # np.asarray(t) shares memory (as t.numpy()); np.array(t) copies (NumPy 2 passes
    # copy=True): writing into the copy must leave the tensor alone
    t = md.tensor(np.array([1.0, 2.0]))
    shared = np.asarray(t)
    assert np.shares_memory(shared, t.numpy())
    copied = np.array(t)
    copied[0] = 5.0
    assert t.tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="without a copy"):
        np.asarray(t, dtype=np.float32, copy=False)
