"""The second engine: several outputs, higher-order gradients, in-place ops and version
counters, autograd.grad, hooks — each against its definition and against PyTorch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
from tests.helpers import leaf


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------- several outputs
class SplitScale(md.Function):
    """Two outputs from one input: y1 = 2x, y2 = x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x * x

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * 2 + g2 * 2 * x


def test_custom_function_with_two_outputs_gets_one_gradient_per_output():
    x = leaf([1.0, -2.0, 3.0])
    a, b = SplitScale.apply(x)
    (a.sum() * 3 + (b * md.tensor([1.0, 2.0, 3.0], dtype=md.float64)).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 + 2 * np.array([1.0, -2.0, 3.0]) * [1, 2, 3])


def test_unused_output_gets_zeros():
    x = leaf([1.0, 2.0])
    a, b = SplitScale.apply(x)
    b.sum().backward()                    # a unused: g1 is zeros, not None
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_custom_function_double_backward_matches_torch():
    torch = _torch()
    x = leaf([0.5, -1.5])
    a, b = SplitScale.apply(x)
    (g,) = md.autograd.grad((a * b).sum(), x, create_graph=True)   # d/dx 2x³ = 6x²
    (h,) = md.autograd.grad(g.sum(), x)                            # 12x
    np.testing.assert_allclose(g.numpy(), 6 * x.numpy() ** 2)
    np.testing.assert_allclose(h.numpy(), 12 * x.numpy())

    class TSplit(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2, x * x

        @staticmethod
        def backward(ctx, g1, g2):
            (x,) = ctx.saved_tensors
            return g1 * 2 + g2 * 2 * x
    tx = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
    ta, tb = TSplit.apply(tx)
    (tg,) = torch.autograd.grad((ta * tb).sum(), tx, create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy())


def test_mark_non_differentiable_output_has_no_grad():
    class ArgAndValue(md.Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return x.max(), idx

        @staticmethod
        def backward(ctx, g, _):
            x, idx = ctx.saved_tensors
            out = md.zeros_like(x)
            out[idx] = g
            return out

    x = leaf([1.0, 5.0, 2.0])
    v, i = ArgAndValue.apply(x)
    assert v.requires_grad and not i.requires_grad
    v.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_mark_dirty_returns_the_input_rebased():
    class AddOneInPlace(md.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    w = leaf([1.0, 2.0])
    x = w * 3
    y = AddOneInPlace.apply(x)
    assert y is x
    np.testing.assert_allclose(y.numpy(), [4.0, 7.0])
    (y * y).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.array([4.0, 7.0]) * 3)


def test_max_dim_returns_values_and_indices_with_gradient_to_index():
    torch = _torch()
    a = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    x = leaf(a)
    values, indices = x.max(dim=1)
    u = np.array([1.5, -2.0])
    values.backward(md.tensor(u))
    tx = torch.tensor(a, requires_grad=True)
    tv, ti = tx.max(dim=1)
    tv.backward(torch.tensor(u))
    np.testing.assert_array_equal(indices.numpy(), ti.numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert indices.dtype == np.int64 and leaf(a).max(dim=1).indices.shape == (2,)


@given(st.integers(1, 4), st.booleans(), st.booleans())
def test_topk_and_sort_match_torch(k, largest, descending):
    torch = _torch()
    rng = np.random.default_rng(k)
    a = rng.standard_normal((3, 5))
    u = rng.standard_normal((3, k))
    x = leaf(a)
    v, i = x.topk(k, dim=1, largest=largest)
    v.backward(md.tensor(u))
    tx = torch.tensor(a, requires_grad=True)
    tv, ti = tx.topk(k, dim=1, largest=largest)
    tv.backward(torch.tensor(u))
    np.testing.assert_allclose(v.numpy(), tv.detach().numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    sv, si = leaf(a).sort(dim=0, descending=descending)
    tsv, tsi = torch.tensor(a).sort(dim=0, descending=descending)
    np.testing.assert_allclose(sv.numpy(), tsv.numpy())
    np.testing.assert_array_equal(si.numpy(), tsi.numpy())


@pytest.mark.parametrize("how", ["split2", "split_list", "chunk", "unbind"])
def test_split_chunk_unbind_gradients_match_torch(how):
    torch = _torch()
    a = np.arange(24.0).reshape(4, 6) / 10
    rng = np.random.default_rng(1)

    def run(lib_x):
        if how == "split2":
            parts = lib_x.split(2, dim=1)
        elif how == "split_list":
            parts = lib_x.split([1, 3, 2], dim=1)
        elif how == "chunk":
            parts = lib_x.chunk(3, dim=0)
        else:
            parts = lib_x.unbind(1)
        return parts

    x = leaf(a)
    tx = torch.tensor(a, requires_grad=True)
    parts, tparts = run(x), run(tx)
    assert len(parts) == len(tparts)
    total = tsum = 0
    for k, (p, tp) in enumerate(zip(parts, tparts)):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy())
        if k != 1:                                   # one piece unused: zeros there
            w = rng.standard_normal(p.shape)
            total = total + (p * md.tensor(w)).sum()
            tsum = tsum + (tp * torch.tensor(w)).sum()
    total.backward()
    tsum.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_unbind_backward_is_one_node_not_one_per_piece():
    x = leaf(np.ones((50, 3)))
    parts = x.unbind(0)
    assert len({id(p.grad_fn) for p in parts}) == 1


# ---------------------------------------------------------------------- higher order
def test_hessian_vector_product_and_gradient_penalty_match_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 4))
    xv = rng.standard_normal((5, 4))
    v = rng.standard_normal((3, 4))

    def loss_md(w, x):
        return (x @ w.T).tanh().pow(2).sum()

    w = leaf(W)
    x = leaf(xv)
    (g,) = md.autograd.grad(loss_md(w, x), w, create_graph=True)
    (hv,) = md.autograd.grad((g * md.tensor(v)).sum(), w)
    penalty = md.autograd.grad(loss_md(w, x), x, create_graph=True)[0].norm() ** 2
    penalty.backward()

    tw = torch.tensor(W, requires_grad=True)
    tx = torch.tensor(xv, requires_grad=True)
    (tg,) = torch.autograd.grad(loss_md(tw, tx), tw, create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), tw)
    tpen = torch.autograd.grad(loss_md(tw, tx), tx, create_graph=True)[0].norm() ** 2
    tpen.backward()
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_third_derivative():
    x = md.tensor(2.0, dtype=md.float64, requires_grad=True)
    y = x ** 4
    (d1,) = md.autograd.grad(y, x, create_graph=True)
    (d2,) = md.autograd.grad(d1, x, create_graph=True)
    (d3,) = md.autograd.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == (32.0, 48.0, 48.0)


def test_backward_create_graph_then_backward_on_grad():
    x = leaf([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([1.0, 2.0]))


def test_functional_jacobian_hessian_hvp_match_torch():
    torch = _torch()
    from torch.autograd import functional as TF
    a = np.array([0.3, -0.7, 1.1])

    def f(x):
        return (x * x).sin() * x.sum()

    def s(x):
        return (x.exp() * x).sum()

    J = md.autograd.functional.jacobian(f, leaf(a, False))
    H = md.autograd.functional.hessian(s, leaf(a, False))
    _, hv = md.autograd.functional.hvp(s, leaf(a, False), leaf([1.0, 2.0, 3.0], False))
    _, jv = md.autograd.functional.jvp(f, leaf(a, False), leaf([1.0, 0.0, -1.0], False))
    _, vj = md.autograd.functional.vjp(f, leaf(a, False), leaf([1.0, 0.0, -1.0], False))
    ta = torch.tensor(a)
    np.testing.assert_allclose(J.numpy(), TF.jacobian(f, ta).numpy(), rtol=1e-12)
    np.testing.assert_allclose(H.numpy(), TF.hessian(s, ta).numpy(), rtol=1e-12)
    np.testing.assert_allclose(hv.numpy(), TF.hvp(s, ta, torch.tensor([1.0, 2.0, 3.0]))[1]
                               .numpy(), rtol=1e-12)
    np.testing.assert_allclose(jv.numpy(), TF.jvp(f, ta, torch.tensor([1.0, 0.0, -1.0]))[1]
                               .numpy(), rtol=1e-12)
    np.testing.assert_allclose(vj.numpy(), TF.vjp(f, ta, torch.tensor([1.0, 0.0, -1.0]))[1]
                               .numpy(), rtol=1e-12)


def test_autograd_grad_arguments():
    x = leaf([1.0, 2.0])
    y = leaf([3.0])
    z = (x * 2).sum()
    with pytest.raises(RuntimeError, match="not used"):
        md.autograd.grad(z, [x, y], retain_graph=True)
    gx, gy = md.autograd.grad(z, [x, y], allow_unused=True, retain_graph=True)
    assert gy is None and x.grad is None
    gx, gy = md.autograd.grad(z, [x, y], materialize_grads=True)
    np.testing.assert_allclose(gy.numpy(), [0.0])
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()


def test_grad_with_respect_to_an_intermediate_stops_there():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = md.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    assert x.grad is None


def test_backward_inputs_accumulates_only_there():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0])


def test_hooks_and_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 10)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())        # before the ×10 hook
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * h.numpy() * 10)
    np.testing.assert_allclose(seen[0], x.grad.numpy())


def test_a_leaf_used_twice_runs_its_hook_once_with_the_sum():
    # as PyTorch's AccumulateGrad: the contributions are summed, then the hook sees the
    # total once (and a hook's replacement applies to the total)
    x = leaf([1.0, -2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 2 + x * 3).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [5.0, 5.0])
    x.grad = None
    x.register_hook(lambda g: g * 10)
    (x * 2 + x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [50.0, 50.0])


def test_leaf_gradients_own_their_memory():
    # Add's backward hands the same array to both inputs, and a summed gradient is the
    # engine's own: .grad must never alias another gradient or the upstream one
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    g = md.tensor([1.0, 1.0], dtype=md.float64)
    (a + b).backward(g)
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    assert not np.shares_memory(a.grad.numpy(), g.numpy())
    a.grad.add_(1)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    s = leaf(2.0)                         # a 0-d leaf used twice: .grad is a 0-d Tensor
    (s * s + s).backward()
    assert isinstance(np.asarray(s.grad), np.ndarray) and s.grad.shape == ()
    assert float(s.grad) == 5.0
    (s * 3 + s).backward()                # accumulates in place into the owned array
    assert float(s.grad) == 9.0


# ---------------------------------------------------------------------- in place
def test_setitem_on_a_non_leaf_is_differentiable_and_matches_torch():
    torch = _torch()
    a = np.arange(12.0).reshape(3, 4) / 3
    v = np.array([1.0, -1.0, 2.0, 0.5])

    def run(lib, x, val):
        y = x * 2
        y[1] = val * 3
        y[:, 0] = 0.25
        y[np.array([0, 2]), 2] = 7.0 if lib is md else 7.0
        return (y * y).sum()

    x, val = leaf(a), leaf(v)
    run(md, x, val).backward()
    tx = torch.tensor(a, requires_grad=True)
    tv = torch.tensor(v, requires_grad=True)
    y = tx * 2
    y[1] = tv * 3
    y[:, 0] = 0.25
    y[torch.tensor([0, 2]), 2] = 7.0
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(val.grad.numpy(), tv.grad.numpy())


def test_inplace_chain_matches_torch():
    torch = _torch()
    a = np.array([0.5, -1.0, 2.0])

    def run(x):
        y = x * 1.5
        y.add_(1).mul_(x).sub_(0.5, alpha=2).div_(2.0)
        y.clamp_(min=-0.3)
        z = y.exp()
        return (z * x).sum()

    x = leaf(a)
    run(x).backward()
    tx = torch.tensor(a, requires_grad=True)
    run(tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_inplace_on_a_view_updates_the_base_history():
    torch = _torch()
    a = np.arange(6.0).reshape(2, 3)

    def run(x):
        y = x.clone()
        row = y[0]
        row.mul_(3)
        y.transpose(0, 1)[2].add_(x[:, 0])
        return (y ** 2).sum()

    x = leaf(a)
    run(x).backward()
    tx = torch.tensor(a, requires_grad=True)
    run(tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_inplace_on_a_leaf_that_requires_grad_is_an_error_outside_no_grad():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w[0] = 3.0
    with md.no_grad():
        w.add_(1)
        w[0] = 5.0
    np.testing.assert_allclose(w.numpy(), [5.0, 3.0])
    assert w.is_leaf and w.requires_grad


def test_saved_value_changed_in_place_is_detected():
    x = leaf([1.0, 2.0])
    y = x.exp()                  # saves its output
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    x2 = leaf([1.0, 2.0])
    h = x2 * 1
    z = h * h                    # saves h
    h.mul_(2)
    with pytest.raises(RuntimeError, match="Mul.*version"):
        z.sum().backward()


def test_inplace_after_a_use_that_saved_nothing_is_fine():
    torch = _torch()
    x = leaf([1.0, 2.0])
    h = x * 1
    z = h + 2                    # Add saves nothing
    h.mul_(3)
    (z.sum() + h.sum()).backward()
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    th = tx * 1
    tz = th + 2
    th.mul_(3)
    (tz.sum() + th.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_version_counter_is_shared_with_views_and_detach():
    x = md.zeros(4)
    v = x[1:3]
    d = x.detach()
    assert x._version == 0
    v.fill_(2)
    assert x._version == v._version == d._version == 1
    np.testing.assert_allclose(x.numpy(), [0, 2, 2, 0])


def test_data_is_a_tensor_sharing_memory_and_grad_is_a_tensor():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    assert isinstance(w.grad, md.Tensor) and isinstance(w.data, md.Tensor)
    assert float(w.grad.norm()) == pytest.approx(np.sqrt(20.0))
    snapshot = w.data.clone()
    w.data.add_(1)                              # PyTorch's .data: no graph, no error
    np.testing.assert_allclose(w.numpy(), [2.0, 3.0])
    np.testing.assert_allclose(snapshot.numpy(), [1.0, 2.0])
    w.data = md.tensor([7.0, 8.0], dtype=md.float64)
    np.testing.assert_allclose(np.asarray(w), [7.0, 8.0])
    assert w.numpy() is np.asarray(w)


def test_buffer_filled_with_values_that_require_grad():
    torch = _torch()
    x = leaf([1.0, 2.0, 3.0])
    out = md.zeros(3, 2, dtype=md.float64)
    for t in range(3):
        out[t] = x[t] * md.tensor([1.0, 2.0], dtype=md.float64)
    (out ** 2).sum().backward()
    tx = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    tout = torch.zeros(3, 2, dtype=torch.float64)
    for t in range(3):
        tout[t] = tx[t] * torch.tensor([1.0, 2.0], dtype=torch.float64)
    (tout ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


# ---------------------------------------------------------------------- regressions
def test_regressions_found_by_the_differential_fuzzer():
    torch = _torch()
    # softmax over an empty axis: an empty tensor
    assert md.zeros(2, 0).softmax(dim=1).shape == (2, 0)
    assert md.zeros(2, 0).log_softmax(dim=1).shape == (2, 0)
    # gradients at NaN: relu 1, maximum 1 (both), abs 0
    for name, fn in (("relu", lambda t: t.relu()), ("abs", lambda t: t.abs()),
                     ("maximum", lambda t: t.maximum(t * 0 + 1))):
        x = leaf([np.nan, 1.0])
        fn(x).sum().backward()
        tx = torch.tensor([np.nan, 1.0], dtype=torch.float64, requires_grad=True)
        (torch.maximum(tx, tx * 0 + 1) if name == "maximum" else getattr(tx, name)()).sum() \
            .backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy(), err_msg=name)
    # bool ** 2 is int64
    assert (md.tensor([True, False]) ** 2).dtype == np.int64
    # a max-pool window lying wholly in the padding reports PyTorch's index
    import torch.nn.functional as TF
    a = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    _, idx = md.nn.functional.max_pool2d(md.tensor(a), 2, stride=2, padding=1, ceil_mode=True,
                                         return_indices=True)
    _, tidx = TF.max_pool2d(torch.tensor(a), 2, stride=2, padding=1, ceil_mode=True,
                            return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_set_grad_enabled_as_decorator_and_context_and_call():
    @md.set_grad_enabled(False)
    def f(x):
        return x * 2
    x = leaf([1.0])
    assert not f(x).requires_grad and md.is_grad_enabled()
    with md.set_grad_enabled(False):
        assert not md.is_grad_enabled()
    assert md.is_grad_enabled()
    md.set_grad_enabled(False)
    assert not md.is_grad_enabled()
    md.set_grad_enabled(True)
    assert md.is_grad_enabled()


@pytest.mark.parametrize("call, match", [
    (lambda: md.nn.functional.dropout(md.ones(3), "a"), "dropout"),
    (lambda: md.ones(3).clip("a", 1), "clamp"),
    (lambda: md.tensor([[1, 2], [3]]), "tensor"),
    (lambda: md.randn(2.5), "randn"),
    (lambda: md.tensor(np.array([object()])), "tensor"),
    (lambda: md.nn.functional.scaled_dot_product_attention(
        md.ones(1, 2, 4), md.ones(1, 2, 4), md.ones(1, 2, 4), scale="x"),
     "scaled_dot_product_attention"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert match in str(info.value)


def test_million_node_chain_backward_is_iterative():
    x = md.tensor(1.0, dtype=md.float64, requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_backward_is_silent_about_ieee_special_values():
    """PyTorch computes ∞ · 0 = NaN in a gradient without a warning; so does minidl."""
    import warnings
    x = md.tensor([1.0, np.inf, 2.0], requires_grad=True)
    w = md.tensor([0.0, 0.0, 3.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = (x * w).sum()                          # the forward's NaN is NumPy's business
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward(md.tensor(np.inf))
    np.testing.assert_array_equal(x.grad.numpy(), [np.nan, np.nan, np.inf])
    np.testing.assert_array_equal(w.grad.numpy(), [np.inf, np.inf, np.inf])
