"""md.Function: the torch.autograd.Function-style way to write an op, and the engine's
checks on what a backward returns."""
import numpy as np
import pytest

import minidl as md
from tests.helpers import leaf


class Cube(md.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * dy


class ScaledAdd(md.Function):
    """y = a + alpha * b, with a keyword argument and a non-tensor positional argument."""

    @staticmethod
    def forward(ctx, a, b, alpha, *, flip=False):
        ctx.alpha = alpha
        ctx.record = ctx.needs_input_grad
        return (b + alpha * a) if flip else (a + alpha * b)

    @staticmethod
    def backward(ctx, dy):
        need_a, need_b, _ = ctx.needs_input_grad
        return (dy if need_a else None), (ctx.alpha * dy if need_b else None), None


def test_custom_function_forward_and_backward():
    x = leaf([1.0, -2.0])
    y = Cube.apply(x)
    assert isinstance(y, md.Tensor) and isinstance(y.grad_fn, Cube)
    np.testing.assert_array_equal(y.numpy(), [1.0, -8.0])
    y.backward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 24.0])
    assert md.gradcheck(Cube.apply, (leaf([0.3, -1.1, 2.0]),))


def test_needs_input_grad_and_non_tensor_arguments():
    a, b = leaf([1.0, 2.0]), md.tensor(np.array([3.0, 4.0]))
    y = ScaledAdd.apply(a, b, 2.0)
    assert y.grad_fn.record == (True, False, False)
    np.testing.assert_array_equal(y.numpy(), [7.0, 10.0])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    assert b.grad is None
    z = ScaledAdd.apply(np.ones(2), a, 3.0, flip=True)  # plain arrays are accepted as inputs
    np.testing.assert_array_equal(z.numpy(), [1 + 3.0, 2 + 3.0])


def test_ctx_carries_state_and_saved_tensors_are_tensors():
    x = leaf([2.0])
    y = Cube.apply(x)
    (saved,) = y.grad_fn.saved_tensors
    assert saved is x                                  # as in PyTorch: the input itself
    y.backward(np.ones(1))
    with pytest.raises(RuntimeError, match="second time"):
        y.grad_fn.saved_tensors                        # freed by backward


class ArrayCube(md.Function):
    """A primitive in the library's own style: forward and backward on arrays."""

    on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * dy


def test_primitive_on_arrays_gets_arrays_and_tensors_when_recorded():
    x = leaf([2.0, -1.0])
    y = ArrayCube.apply(x)
    (saved,) = y.grad_fn.saved_tensors
    assert isinstance(saved, np.ndarray) and saved[0] == 2.0
    (g,) = md.autograd.grad(y.sum(), x, create_graph=True)   # backward runs on Tensors
    (h,) = md.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(h.numpy(), 6 * x.numpy())


def test_no_graph_when_nothing_requires_grad_or_under_no_grad():
    assert Cube.apply(md.tensor(np.ones(2))).grad_fn is None
    with md.no_grad():
        y = Cube.apply(leaf([1.0]))
    assert y.grad_fn is None and not y.requires_grad


class WrongShape(md.Function):
    on_arrays = True  # forward and backward on arrays, as the library's ops
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, dy):
        return np.ones(dy.size + 1)


class WrongCount(md.Function):
    on_arrays = True  # forward and backward on arrays, as the library's ops
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, dy):
        return dy


class WrongValues(md.Function):
    """y = x², with the factor 2 forgotten in backward: right shape, wrong values."""
    on_arrays = True  # forward and backward on arrays, as the library's ops

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return x * dy


def test_wrong_gradient_shape_names_the_function():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"WrongShape\.backward returned a gradient of shape "
                                           r"\(4,\) for input 0, of shape \(3,\)"):
        WrongShape.apply(x).sum().backward()
    y = leaf(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"WrongShape\.backward .* for input 0, of shape \(2, 3\)"):
        WrongShape.apply(y).sum().backward()


def test_wrong_gradient_count_names_the_function():
    with pytest.raises(RuntimeError, match="WrongCount.backward returned 1 gradients but forward "
                                           "took 2 arguments"):
        WrongCount.apply(leaf([1.0]), leaf([2.0])).backward(np.ones(1))


def test_gradcheck_catches_wrong_values():
    with pytest.raises(md.GradcheckError, match="input 0"):
        md.gradcheck(WrongValues.apply, (leaf([0.5, -1.0, 2.0]),))


class BroadcastGrad(md.Function):
    """y = x + b (b broadcast); backward returns dy for both, unreduced."""
    on_arrays = True  # forward and backward on arrays, as the library's ops

    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, dy):
        return dy, dy


def test_engine_reduces_broadcast_gradients_of_custom_functions():
    x, b = leaf(np.zeros((4, 3))), leaf(np.zeros((1, 3)))
    s = leaf(0.0)
    BroadcastGrad.apply(x, b).backward(np.ones((4, 3)))
    np.testing.assert_array_equal(b.grad, [[4.0, 4.0, 4.0]])
    BroadcastGrad.apply(x, s).backward(np.ones((4, 3)))
    assert s.grad == 12.0


def test_base_class_methods_must_be_overridden():
    class Empty(md.Function):
        on_arrays = True  # forward and backward on arrays, as the library's ops
        pass
    with pytest.raises(NotImplementedError, match="forward"):
        Empty.apply(leaf([1.0]))
