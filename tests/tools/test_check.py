"""The gradient-check report: every row passes, and the checker catches what it should."""
import io

import numpy as np
import pytest

import minidl as md
import minidl.functional as F
from minidl.tools import check as C


def test_every_row_passes():
    rows = list(C.check_rows())
    groups = {r.group for r in rows}
    assert groups == {f"F{i}" for i in range(1, 12)} | {"op", "eng"}
    failed = [C.format_row(r) for r in rows if not r.passed]
    assert not failed, "\n".join(failed)


def test_report_lists_every_primitive():
    names = " ".join(name for _, name, _ in C.CASES)
    for op in ("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "tanh",
               "sigmoid", "relu", "abs", "clip", "maximum", "where", "sum", "mean", "max",
               "min", "matmul", "reshape", "transpose", "getitem", "cat", "stack", "softmax",
               "log_softmax", "gelu", "layer_norm", "embedding", "conv2d", "max_pool2d",
               "avg_pool2d"):
        assert op in names


class _WrongTanh(md.Function):
    """tanh with a wrong backward (1 − y instead of 1 − y²)."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return dy * (1 - y)


def test_gradient_error_catches_a_wrong_backward():
    x = md.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    assert C.gradient_error(lambda t: t.tanh(), [x]) < 1e-8
    assert C.gradient_error(lambda t: _WrongTanh.apply(t), [x]) > 0.1


def test_gradient_error_uses_a_random_upstream_gradient():
    # with an all-ones upstream the VJP of softmax is 0 whatever the backward: a checker
    # using L = sum(softmax(x)) would miss a backward that returns zeros
    class ZeroSoftmax(md.Function):
        on_arrays = True

        @staticmethod
        def forward(ctx, x):
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)

        @staticmethod
        def backward(ctx, dy):
            return np.zeros_like(dy)
    x = md.tensor(np.array([[0.1, -0.4, 0.7]]), requires_grad=True)
    assert C.gradient_error(lambda t: ZeroSoftmax.apply(t), [x]) > 0.1


def test_gradient_error_restores_inputs():
    a = np.random.default_rng(0).standard_normal((3, 2))
    x = md.tensor(a.copy(), requires_grad=True)
    C.gradient_error(lambda t: (t * t).sum(axis=1), [x])
    np.testing.assert_array_equal(x.numpy(), a)


def test_forward_error():
    err, tol = C.forward_error(md.tensor(np.array([1.0, 2.0])), np.array([1.0, 2.5]))
    assert err == 0.5 and tol == pytest.approx(2.5e-9)
    with pytest.raises(RuntimeError, match="output shape"):
        C.forward_error(md.tensor(np.zeros(2)), np.zeros(3))


def test_missing_and_broken_ops_fail_without_crashing(monkeypatch):
    monkeypatch.delattr(F, "conv2d")

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(F, "linear", broken)
    rows = {r.name: r for r in C.check_rows()}
    conv = rows["convolution (cross-correlation)  F.conv2d"]
    assert conv.status == "missing" and "F.conv2d is missing" in conv.note
    linear = rows["fully connected  F.linear"]
    assert linear.status == "error" and "ZeroDivisionError: boom" in linear.note
    assert rows["add"].passed
    stream = io.StringIO()
    assert C.run_check(stream) == 1
    text = stream.getvalue()
    assert "MISSING" in text and "ERROR" in text and "fail" in text


def test_report_restores_the_default_dtype():
    list(C.check_rows())
    assert md.get_default_dtype() == np.float32
