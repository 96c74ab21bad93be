"""The gradient-check report: every row passes, and the checker catches what it should."""
import io
import time

import numpy as np
import pytest

import minidl as md
import minidl.functional as F
from minidl.tools import check as C


def test_every_row_passes_within_a_minute():
    t0 = time.perf_counter()
    rows = list(C.check_rows())
    assert time.perf_counter() - t0 < 60
    groups = {r.group for r in rows}
    assert groups == ({f"F{i}" for i in range(1, 12)}
                      | {"op", "eng", "geom", "kink", "loss", "gg", "optim", "dtype", "self"})
    failed = [C.format_row(r) for r in rows if not r.passed]
    assert not failed, "\n".join(failed)
    kinds = {r.grad for r in rows}
    assert {"gradcheck", "gradgradcheck", "convention", "caught"} <= kinds


def test_report_lists_every_primitive():
    names = " ".join(name for _, name, _ in C.CASES)
    for op in ("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "log1p", "sqrt", "sin",
               "cos", "tanh", "sigmoid", "relu", "abs", "clip", "maximum", "minimum", "where",
               "sum", "mean", "max", "min", "amax", "amin", "prod", "cumprod", "cumsum",
               "matmul", "reshape", "transpose", "expand", "flip", "repeat", "getitem",
               "setitem", "gather", "scatter_add", "cat", "stack", "split", "unbind",
               "softmax", "log_softmax", "gelu", "layer_norm", "batch_norm", "embedding",
               "conv2d", "max_pool2d", "avg_pool2d", "ceil_mode", "return_indices",
               "LSTMScan", "floor", "ceil", "round", "trunc", "sign", "label_smoothing",
               "weights", "ignore_index", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
               "Adadelta"):
        assert op in names, op


def test_kinks_and_ties_are_checked_at_the_kink():
    """The kink rows really put inputs on the kink (else they would test nothing)."""
    rng = np.random.default_rng(0)
    relu = C._relu_convention(rng)
    assert np.sum(relu.inputs[0].numpy() == 0) == 3
    clip = C._clip_convention(rng)
    x = clip.inputs[0].numpy()
    assert np.sum(x == -0.5) == 2 and np.sum(x == 0.6) == 2
    pool = C._maxpool_convention(2)(rng)
    assert len(np.unique(pool.inputs[0].numpy())) <= 3          # integers 0..2: many ties


class _ReluOneAtZero(md.Function):
    """relu whose subgradient at 0 is 1 (PyTorch's is 0)."""
    on_arrays = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * (x >= 0)


def test_convention_error_catches_a_wrong_subgradient():
    x = md.tensor(np.array([-1.0, 0.0, 0.0, 2.0]), dtype=np.float64, requires_grad=True)
    want = lambda u: [u * (x.numpy() > 0)]
    assert C.convention_error(lambda t: t.relu(), [x], want) == 0.0
    assert C.convention_error(lambda t: _ReluOneAtZero.apply(t), [x], want) > 0.4
    # while central differences straddling the kink cannot tell the two apart reliably
    assert not md.gradcheck(lambda t: t.relu(), (x,), raise_exception=False)


def test_convention_error_uses_a_random_upstream_gradient():
    x = md.tensor(np.array([[0.1, -0.4, 0.7]]), dtype=np.float64, requires_grad=True)
    # the convention u ↦ (the VJP with an all-ones upstream) is wrong for any other u
    ones_vjp = lambda u: [np.zeros((1, 3))]                   # softmax's VJP of ones is 0
    assert C.convention_error(lambda t: F.softmax(t, dim=1), [x], ones_vjp) > 0.01


def test_a_wrong_tie_rule_fails_its_row(monkeypatch):
    from minidl.ops import elementwise
    monkeypatch.setattr(elementwise.Maximum, "compare", staticmethod(np.greater_equal))
    rows = {r.name: r for r in C.check_rows(names={"maximum, tied (each gets half)", "maximum"})}
    tied = rows["maximum, tied (each gets half)"]
    assert tied.status == "FAIL" and "convention" in tied.note
    assert rows["maximum"].passed                              # off the ties it is right


def test_a_wrong_backward_fails_its_gradcheck_row(monkeypatch):
    from minidl.ops import elementwise
    monkeypatch.setattr(elementwise.Sigmoid, "backward",
                        staticmethod(lambda ctx, dy: dy * ctx.saved_tensors[0]))
    rows = {r.name: r for r in C.check_rows(names={"sigmoid", "tanh"})}
    assert rows["sigmoid"].status == "FAIL" and rows["sigmoid"].grad == "FAIL"
    assert "input 0" in rows["sigmoid"].note
    assert rows["tanh"].passed


class _TwoPaths(md.Function):
    """y = 2x whose backward is right on arrays (an ordinary pass) and wrong on Tensors
    (the path create_graph=True takes): gradcheck and gradgradcheck both pass it."""
    on_arrays = True

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, dy):
        return dy * (2.0 if type(dy) is np.ndarray else 3.0)


def test_a_wrong_recorded_backward_is_caught():
    x = md.tensor(np.array([0.5, -1.0, 2.0]), dtype=np.float64, requires_grad=True)
    fn = lambda t: _TwoPaths.apply(t) * t
    assert md.gradcheck(fn, (x,)) and md.gradgradcheck(fn, (x,))
    assert C.recorded_error(lambda t: t.tanh() * t, [x]) < 1e-12
    assert C.recorded_error(fn, [x]) > 0.1
    row = C.CheckRow("op", "x")
    C._evaluate(C.Case(fn, [x], 2 * x.numpy() ** 2), row, 0)
    assert row.status == "FAIL" and "create_graph" in row.note


def test_the_self_test_fails_when_gradcheck_is_blind(monkeypatch):
    monkeypatch.setattr(md, "gradcheck", lambda *args, **kwargs: True)
    row = C.CheckRow("self", "x")
    C._evaluate(C.case_gradcheck_self_test(np.random.default_rng(0)), row, 0)
    assert row.status == "FAIL" and row.grad == "MISSED"


def test_an_optimiser_row_fails_on_a_wrong_rule():
    def wrong_momentum(theta, grads, lr, momentum):        # dampening applied on step 1 too
        return C._sgd_rule(theta, grads, lr, momentum=momentum, dampening=0.5)
    good = C._case_optim("SGD", C._sgd_rule, lr=0.1, momentum=0.9)(np.random.default_rng(0))
    bad = C._case_optim("SGD", wrong_momentum, lr=0.1, momentum=0.9)(np.random.default_rng(0))
    assert good.forward_error <= good.forward_tol
    assert bad.forward_error > 1e-3


def test_the_float32_row_names_an_op_that_promotes(monkeypatch):
    from minidl.ops import elementwise
    forward = elementwise.Exp.forward
    monkeypatch.setattr(elementwise.Exp, "forward",
                        staticmethod(lambda ctx, x: forward(ctx, x).astype(np.float64)))
    row = C.CheckRow("dtype", "x")
    C._evaluate(C.case_float32(np.random.default_rng(0)), row, 0)
    assert row.status == "FAIL" and "exp log sqrt" in row.note


def test_forward_error():
    err, tol = C.forward_error(md.tensor(np.array([1.0, 2.0])), np.array([1.0, 2.5]))
    assert err == 0.5 and tol == pytest.approx(2.5e-9)
    with pytest.raises(RuntimeError, match="output shape"):
        C.forward_error(md.tensor(np.zeros(2)), np.zeros(3))
    # indices compare exactly and must stay integers; −inf matches −inf
    assert C.forward_error(md.tensor(np.array([3, 1])), np.array([3, 2]))[0] == 1.0
    with pytest.raises(RuntimeError, match="integer output"):
        C.forward_error(md.tensor(np.array([3.0, 1.0])), np.array([3, 1]))
    assert C.forward_error(md.tensor(np.array([-np.inf, 1.0])), np.array([-np.inf, 1.0]))[0] == 0
    assert C.forward_error(md.tensor(np.array([0.0, 1.0])), np.array([-np.inf, 1.0]))[0] == np.inf


def test_missing_and_broken_ops_fail_without_crashing(monkeypatch):
    monkeypatch.delattr(F, "conv2d")

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(F, "linear", broken)
    names = {"convolution (cross-correlation)  F.conv2d", "fully connected  F.linear", "add"}
    rows = {r.name: r for r in C.check_rows(names=names)}
    conv = rows["convolution (cross-correlation)  F.conv2d"]
    assert conv.status == "missing" and "F.conv2d is missing" in conv.note
    linear = rows["fully connected  F.linear"]
    assert linear.status == "error" and "ZeroDivisionError: boom" in linear.note
    assert rows["add"].passed
    stream = io.StringIO()
    assert C.run_check(stream, names=names) == 1
    text = stream.getvalue()
    assert "MISSING" in text and "ERROR" in text and "fail" in text


def test_report_restores_the_default_dtype():
    list(C.check_rows(names={"add", "dtype"}))
    assert md.get_default_dtype() == np.float32
