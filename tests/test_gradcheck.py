"""md.gradcheck: float64 only, central differences, random non-uniform upstream, failure
report naming the input, index, values and error; fast mode on a random projection."""
import numpy as np
import pytest

import minidl as md
from tests.helpers import leaf


class HalfWrong(md.Function):
    """y = x·w; the gradient of w is right, that of x is off by 10% at element [1, 2]."""
    on_arrays = True  # forward and backward on arrays, as the library's ops

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        dx = dy * w
        dx = dx.copy()
        dx[1, 2] *= 1.1
        return dx, dy * x


class SumTrap(md.Function):
    """softmax-like: backward is wrong by a constant per row, invisible to y.sum()."""
    on_arrays = True  # forward and backward on arrays, as the library's ops

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x - x.mean(axis=-1, keepdims=True)

    @staticmethod
    def backward(ctx, dy):
        return dy  # forgets to subtract the mean of dy


def test_passes_on_correct_gradients():
    x, w = leaf(np.random.default_rng(0).standard_normal((2, 3))), leaf([0.5, -1.0, 2.0])
    assert md.gradcheck(lambda a, b: (a * b).tanh() @ b, (x, w)) is True
    assert md.gradcheck(lambda a: (a.exp(), a * 2), x) is True   # a tuple of outputs


def test_failure_names_input_index_and_values():
    x, w = leaf(np.ones((2, 3)) * 0.5), leaf(np.full((2, 3), 2.0))
    with pytest.raises(md.GradcheckError) as e:
        md.gradcheck(HalfWrong.apply, (x, w))
    msg = str(e.value)
    assert "input 0" in msg and "(2, 3)" in msg and "index (1, 2)" in msg
    assert "analytic" in msg and "numerical" in msg and "error" in msg
    analytic = float(msg.split("analytic ")[1].split(",")[0])
    numerical = float(msg.split("numerical ")[1].split(",")[0])
    np.testing.assert_allclose(analytic, 1.1 * numerical, rtol=1e-6)
    assert md.gradcheck(HalfWrong.apply, (x, w), raise_exception=False) is False
    assert x.grad is None and w.grad is None   # gradcheck leaves .grad as it found it


def test_random_upstream_catches_what_sum_would_miss():
    x = leaf(np.random.default_rng(1).standard_normal((2, 4)))
    y = SumTrap.apply(x)
    y.sum().backward()                           # with an all-ones upstream ...
    np.testing.assert_allclose(x.grad, 1.0)      # ... the wrong backward is not visible
    with pytest.raises(md.GradcheckError):
        md.gradcheck(SumTrap.apply, (x,))


def test_fast_mode():
    rng = np.random.default_rng(2)
    x = leaf(rng.standard_normal((40, 50)))
    w = leaf(rng.standard_normal((50, 30)))
    assert md.gradcheck(lambda a, b: (a @ b).tanh(), (x, w), fast_mode=True)
    with pytest.raises(md.GradcheckError, match="input 0 .*projection"):
        md.gradcheck(HalfWrong.apply, (leaf(np.full((2, 3), 0.5)), leaf(np.full((2, 3), 40.0))),
                     fast_mode=True, atol=1e-8, rtol=1e-8)


def test_float32_inputs_are_refused_clearly():
    x = md.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="gradcheck: input 0 has dtype float32; gradcheck needs "
                                        "float64"):
        md.gradcheck(lambda t: t * 2, (x,))


def test_nothing_to_check_and_bad_outputs():
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):
        md.gradcheck(lambda t: t * 2, (md.tensor(np.ones(2)),))
    with pytest.raises(TypeError, match="gradcheck: func must return a Tensor"):
        md.gradcheck(lambda t: 3.0, (leaf([1.0]),))


def test_non_tensor_arguments_pass_through():
    x = leaf([0.2, 0.4])
    assert md.gradcheck(lambda t, p, lo: (t ** p).clip(lo), (x, 3, -5.0))


def test_nan_gradient_fails():
    class NanGrad(md.Function):
        on_arrays = True  # forward and backward on arrays, as the library's ops
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, dy):
            return dy * np.nan

    assert md.gradcheck(NanGrad.apply, (leaf([1.0]),), raise_exception=False) is False
