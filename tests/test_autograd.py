"""The backward walk: accumulation, graph freeing, retain_graph, errors, deep graphs
(iterative, no recursion limit), memory released as the walk goes, no_grad, detach."""
import gc
import sys
import weakref

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
from tests.helpers import leaf


def test_scalar_backward_gets_one():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_non_scalar_backward_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"backward: gradient can be implicitly created only "
                                           r"for a single-element output, got shape \(2,\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"backward: gradient has shape \(3,\) but the tensor has "
                                         r"shape \(2,\)"):
        (x * 2).backward(np.ones(3))
    (x * 2).backward(md.tensor(np.array([1.0, -1.0])))   # a Tensor gradient is fine
    np.testing.assert_array_equal(x.grad, [2.0, -2.0])


def test_backward_of_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        md.ones(2).sum().backward()


def test_backward_on_a_leaf_accumulates_into_it():
    x = leaf([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [6.0, 8.0])


def test_gradients_accumulate_until_cleared():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 3])
    assert x.zero_grad_().grad is None


def test_leaf_grad_is_owned_not_shared():
    x = leaf([1.0, 2.0])
    g = np.array([5.0, 6.0])
    x.backward(g)
    x.grad[0] = 0.0
    assert g[0] == 5.0


def test_non_leaves_and_constants_get_no_grad():
    x = leaf([1.0, 2.0])
    c = md.tensor(np.array([3.0, 4.0]))
    y = x * c
    (y * y).sum().backward()
    assert y.grad is None and c.grad is None
    np.testing.assert_allclose(x.grad, 2 * x.numpy() * c.numpy() ** 2)


def test_graph_is_freed_and_second_backward_is_a_clear_error():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph"):
        y.backward()


def test_second_backward_through_a_freed_shared_subgraph_is_an_error():
    x = leaf([1.0, 2.0])
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 2).sum().backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first)
    np.testing.assert_allclose(first, np.exp(x.numpy()) * (1 + x.numpy()))


def test_a_node_used_many_times():
    x = leaf([0.5, -1.5])
    h = x.tanh()
    total = h
    for _ in range(49):
        total = total + h                  # h feeds 50 consumers
    (total * h).sum().backward()           # d/dx 50 h² = 100 h (1 - h²)
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(x.grad, 100 * t * (1 - t * t), rtol=1e-13)


def test_diamond_graph():
    x = leaf([0.3, 1.2])
    a = x * 2
    b = a.exp()
    c = a.tanh()
    (b * c).sum().backward()               # d/dx e^{2x} tanh(2x)
    a_ = 2 * x.numpy()
    want = 2 * (np.exp(a_) * np.tanh(a_) + np.exp(a_) * (1 - np.tanh(a_) ** 2))
    np.testing.assert_allclose(x.grad, want, rtol=1e-13)


def test_a_node_consumed_at_different_depths():
    # z reaches the output directly and through tanh: z's node must wait for both
    x = leaf([0.5, -0.3])
    z = x * 2.0
    (z * z.tanh()).backward(np.ones(2))
    t = np.tanh(2 * x.numpy())
    np.testing.assert_allclose(x.grad, 2 * (t + 2 * x.numpy() * (1 - t * t)), rtol=1e-13)
    y = leaf([0.7])
    h = y.exp()
    deep = h
    for _ in range(5):
        deep = (deep * 0.5).tanh()
    (h * deep).backward(np.ones(1))
    assert md.gradcheck(lambda a: a.exp() * _tanh_chain(a.exp()), (leaf([0.7]),))


def _tanh_chain(t):
    for _ in range(5):
        t = (t * 0.5).tanh()
    return t


@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "tanh", "sigmoid", "sub"]),
                          st.integers(0, 10 ** 6), st.integers(0, 10 ** 6)),
                min_size=1, max_size=25))
def test_random_dag_gradients(program):
    """Random graphs: each node applies an op to one or two earlier nodes (any depth)."""
    def f(a, b):
        nodes = [a, b]
        for op, i, j in program:
            u, v = nodes[i % len(nodes)], nodes[j % len(nodes)]
            if op == "add":
                nodes.append(u + v)
            elif op == "mul":
                nodes.append((u * v).tanh())
            elif op == "sub":
                nodes.append(u - 0.5 * v)
            else:
                nodes.append(getattr(u, op)())
        return nodes[-1] * nodes[len(nodes) // 2]
    assert md.gradcheck(f, (leaf([0.3, -0.8]), leaf([[1.1], [-0.4]])), atol=1e-6, rtol=1e-5)


def test_same_tensor_twice_in_one_op():
    x = leaf([3.0])
    (x * x).backward(np.ones(1))
    (x + x).backward(np.ones(1))
    np.testing.assert_array_equal(x.grad, [6.0 + 2.0])


def test_repeated_indices_accumulate():
    x = leaf([1.0, 2.0, 3.0])
    x[np.array([2, 2, 0, 2])].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 7.0])


def test_broadcast_gradients_are_summed_by_the_engine():
    b = leaf(np.ones((3, 1)))
    s = leaf(2.0)
    (md.tensor(np.ones((2, 3, 4))) * b * s).sum().backward()
    np.testing.assert_array_equal(b.grad, np.full((3, 1), 16.0))
    assert s.grad.shape == () and s.grad == 24.0


def test_deep_chain_does_not_hit_the_recursion_limit():
    x = leaf([1.0])
    y = x
    n = 100_000
    assert n > 20 * sys.getrecursionlimit()
    for _ in range(n):
        y = y * 1.00001
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad, [1.00001 ** n], rtol=1e-9)
    z = x                                   # a deep graph that is dropped without backward
    for _ in range(n // 2):
        z = z + 1.0
    del z, y
    gc.collect()


def _rnn_like(steps, rng):
    """h_t = tanh(h_{t-1} W + x_t); 4 nodes per step; returns (h_T, W)."""
    W = leaf(rng.standard_normal((3, 3)) * 0.5)
    h = md.tensor(np.zeros((1, 3)))
    xs = rng.standard_normal((steps, 1, 3))
    for t in range(steps):
        h = (h @ W + xs[t]).tanh()
    return h, W, xs


def test_rnn_like_graph_gradient():
    rng = np.random.default_rng(0)
    h, W, xs = _rnn_like(30, rng)
    h.sum().backward()
    # the same recurrence, differentiated by hand (backprop through time)
    hs = [np.zeros((1, 3))]
    for t in range(30):
        hs.append(np.tanh(hs[-1] @ W.numpy() + xs[t]))
    dh, dW = np.ones((1, 3)), np.zeros((3, 3))
    for t in range(29, -1, -1):
        da = dh * (1 - hs[t + 1] ** 2)
        dW += hs[t].T @ da
        dh = da @ W.numpy().T
    np.testing.assert_allclose(W.grad, dW, rtol=1e-12)


def test_rnn_like_graph_of_a_million_nodes():
    # SPEC: a graph of a million nodes never hits the recursion limit (a few seconds)
    h, W, _ = _rnn_like(250_000, np.random.default_rng(0))   # 1 000 000 nodes
    h.sum().backward()
    assert W.grad.shape == W.shape and np.all(np.isfinite(W.grad))


class _SaveScratch(md.Function):
    """y = x + 1, saving a fresh scratch array whose lifetime the test watches."""
    on_arrays = True  # forward and backward on arrays, as the library's ops
    refs = []          # weakrefs to every node's scratch array, in forward order
    seen_alive = []    # when node k's backward runs: how many later scratches are alive

    @staticmethod
    def forward(ctx, x):
        scratch = np.ones(1000) * x.sum()
        ctx.save_for_backward(scratch)
        ctx.k = len(_SaveScratch.refs)
        _SaveScratch.refs.append(weakref.ref(scratch))
        return x + 1

    @staticmethod
    def backward(ctx, dy):
        later = _SaveScratch.refs[ctx.k + 1:]
        _SaveScratch.seen_alive.append(sum(r() is not None for r in later))
        return dy


def test_saved_arrays_are_released_as_the_walk_goes():
    _SaveScratch.refs, _SaveScratch.seen_alive = [], []
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(20):
        y = _SaveScratch.apply(y)
    assert all(r() is not None for r in _SaveScratch.refs)
    y.sum().backward()
    assert _SaveScratch.seen_alive == [0] * 20   # nodes already visited had freed theirs
    assert all(r() is None for r in _SaveScratch.refs)
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_intermediate_tensors_are_freed_after_backward():
    x = leaf(np.ones(1000))
    h1 = x.exp()
    refs = [weakref.ref(h1.numpy())]
    h2 = h1.tanh()
    refs.append(weakref.ref(h2.numpy()))
    y = (h2 * 3.0).sum()
    del h1, h2
    assert all(r() is not None for r in refs)      # kept alive by the graph
    y.backward()
    assert all(r() is None for r in refs)          # released without waiting for gc


def test_retained_graph_keeps_its_saved_arrays():
    x = leaf(np.ones(10))
    h = x.exp()
    ref = weakref.ref(h.numpy())
    y = h.tanh().sum()
    del h
    y.backward(retain_graph=True)
    assert ref() is not None


def test_no_grad_context_and_decorators():
    x = leaf([1.0, 2.0])
    with md.no_grad():
        assert not md.is_grad_enabled()
        y = x * 2
        with md.enable_grad():
            z = x * 2
    assert md.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @md.no_grad()
    def f(t):
        return t * 2

    @md.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad and g.__name__ == "g"
    assert (x * 2).requires_grad
    with pytest.raises(KeyError):
        with md.no_grad():
            raise KeyError
    assert md.is_grad_enabled()                    # restored after an exception
    with md.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert md.is_grad_enabled()


def test_detach_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 3).detach()
    assert d.is_leaf and not d.requires_grad
    np.testing.assert_array_equal(d.numpy(), [3.0, 6.0])
    (x * d).sum().backward()                       # only the direct path counts
    np.testing.assert_array_equal(x.grad, [3.0, 6.0])
