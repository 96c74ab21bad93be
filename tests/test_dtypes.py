"""dtype rules: arrays keep theirs, Python data get the default (float32 unless changed),
int lists int64, Python and NumPy scalars never up-cast a tensor, PyTorch's promotion."""
import numpy as np
import pytest

import minidl as md
import minidl.functional as F


def test_arrays_keep_their_dtype():
    for dt in (np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_):
        assert md.tensor(np.zeros(2, dt)).dtype == dt
    assert md.tensor(np.float64(1.0)).dtype == np.float64


def test_python_data_get_the_default_dtype():
    assert md.tensor(1.0).dtype == np.float32
    assert md.tensor([1.0, 2]).dtype == np.float32
    assert md.tensor([[1, 2], [3, 4]]).dtype == np.int64
    assert md.tensor(3).dtype == np.int64
    assert md.tensor([True, False]).dtype == np.bool_
    md.set_default_dtype(np.float64)
    assert md.get_default_dtype() == np.float64
    assert md.tensor([1.0]).dtype == np.float64 and md.zeros(2).dtype == np.float64
    assert md.randn(2).dtype == np.float64 and md.arange(0.0, 1.0, 0.5).dtype == np.float64
    assert md.tensor([1]).dtype == np.int64
    md.set_default_dtype(np.float32)
    assert md.tensor([1.0]).dtype == np.float32


def test_set_default_dtype_only_floats():
    with pytest.raises(TypeError, match="set_default_dtype: only floating dtypes"):
        md.set_default_dtype(np.int64)


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64])
def test_scalars_never_upcast(dt):
    x = md.tensor(np.ones(3, dt))
    for scalar in (2, 2.5, True, np.float64(2.5), np.int64(3), np.float32(0.5)):
        results = [x + scalar, scalar + x, x * scalar, x / scalar, scalar / x, x ** scalar,
                   md.maximum(x, scalar), md.where(x > 0, x, scalar)]
        if not isinstance(scalar, bool):          # PyTorch refuses `-` with a bool
            results += [x - scalar, scalar - x]
        for y in results:
            assert y.dtype == dt, (scalar, y.dtype)


def test_promotion_as_pytorch():
    i = md.tensor([1, 2, 3])
    f32 = md.tensor(np.ones(3, np.float32))
    f64 = md.tensor(np.ones(3, np.float64))
    assert (i * 2).dtype == np.int64 and (i + i).dtype == np.int64
    assert (i * 2.5).dtype == np.float32          # NumPy would say float64
    assert (2.5 * i).dtype == np.float32
    assert (i / 2).dtype == np.float32 and (i / i).dtype == np.float32
    np.testing.assert_allclose((i / 2).numpy(), [0.5, 1.0, 1.5])
    assert (i + f32).dtype == np.float32          # NumPy would say float64
    assert (f32 + i).dtype == np.float32
    assert (i @ f32).dtype == np.float32
    assert (f32 + f64).dtype == np.float64
    assert i.exp().dtype == np.float32 and i.sqrt().dtype == np.float32
    assert F.softmax(i, 0).dtype == np.float32 and F.gelu(i).dtype == np.float32
    md.set_default_dtype(np.float64)
    assert (i * 2.5).dtype == np.float64 and i.tanh().dtype == np.float64


def test_gradient_has_the_leaf_dtype():
    w = md.tensor(np.ones(3, np.float32), requires_grad=True)
    x = md.tensor(np.full(3, 2.0, np.float64))
    y = (w * x).sum()                              # float32 * float64 → float64
    assert y.dtype == np.float64
    y.backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, [2, 2, 2])


def test_cast_is_differentiable():
    x = md.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and x.to(np.float32) is x
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2, 4])
    assert x.float() is x


@pytest.mark.parametrize("scalar", [np.float64(0.5), np.float32(0.5), np.float16(0.5)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_numpy_float_scalar_counts_as_a_python_number(scalar, dtype):
    """PyTorch: a NumPy float scalar does not up-cast a floating tensor (NumPy's NEP 50
    would turn float32 * np.float64(0.5) into float64)."""
    t = md.ones(3, dtype=dtype)
    for out in (t * scalar, scalar * t, t + scalar, t - scalar, t / scalar):
        assert out.dtype == dtype
    np.testing.assert_array_equal((t * scalar).numpy(), np.full(3, 0.5, dtype))
