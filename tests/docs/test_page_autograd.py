"""The claims of docs/guides/autograd.md, asserted: the chain rule worked by hand, the
``backward(ctx, dy)`` contract (a vector–Jacobian product), fan-out, why reverse mode, and
higher-order gradients. The guide's own snippets run as doctests in tests/test_docs.py."""
import numpy as np
import pytest

import minidl as md
import minidl.functional as F


def test_chain_rule_by_hand_on_the_pictures_graph():
    """autograd.md, "The chain rule by hand": L = (x w + x)² at x = 2, w = 3 gives
    b̄ = 2b = 16, ā = 16, w̄ = ā x = 32, and x̄ = ā w + b̄ = 48 + 16 = 64 (fan-out: summed)."""
    x = md.tensor(np.array(2.0), requires_grad=True)
    w = md.tensor(np.array(3.0), requires_grad=True)
    a = x * w
    b = a + x
    L = b ** 2
    a_bar, b_bar = md.autograd.grad(L, (a, b), retain_graph=True)
    assert b_bar.item() == 16 and a_bar.item() == 16
    L.backward()
    assert w.grad.item() == 32 and x.grad.item() == 64
    # the two uses of x separately: through a = x·w (48) and through b = a + x (16)
    x1 = md.tensor(np.array(2.0), requires_grad=True)
    x2 = md.tensor(np.array(2.0), requires_grad=True)
    ((x1 * 3.0 + x2) ** 2).backward()
    assert (x1.grad.item(), x2.grad.item()) == (48, 16)


@pytest.mark.parametrize("name, fn, shape", [
    ("tanh", lambda t: t.tanh(), (3, 4)),
    ("matmul", lambda t: t @ md.tensor(np.arange(12.0).reshape(4, 3) / 10), (2, 4)),
    ("softmax", lambda t: F.softmax(t, dim=-1), (2, 5)),
    ("sum over an axis", lambda t: t.sum(dim=0), (3, 2)),
])
def test_backward_is_a_vector_jacobian_product(name, fn, shape):
    """autograd.md, "What backward(ctx, dy) must return": x̄ = ȳᵀ ∂y/∂x, of x's shape, for a
    random upstream ȳ — equal to the product with the Jacobian built explicitly."""
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(shape)
    x = md.tensor(x0.copy(), requires_grad=True)
    y = fn(x)
    u = rng.standard_normal(y.shape)
    y.backward(md.tensor(u))
    J = md.autograd.functional.jacobian(fn, md.tensor(x0.copy())).numpy()   # (*y, *x)
    expected = np.tensordot(u, J, axes=u.ndim)
    assert x.grad.shape == x.shape
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-12)


def test_a_custom_function_backward_receives_dy_and_returns_the_vjp():
    """autograd.md: Cube's backward gets dy = ∂L/∂y (the upstream gradient, y's shape) and
    returns dy · 3x² — uᵀ J with J = diag(3x²)."""
    seen = []

    class Cube(md.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, dy):
            seen.append(dy.numpy().copy())
            (x,) = ctx.saved_tensors
            return dy * 3 * x ** 2

    x = md.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    u = np.array([1.0, 10.0, 100.0])
    Cube.apply(x).backward(md.tensor(u))
    np.testing.assert_array_equal(seen[0], u)
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 120.0, 75.0])


def test_fan_out_gradients_are_summed():
    """autograd.md, "Fan-out means a sum": a value used by k ops receives the sum of the k
    paths' gradients; a weight shared by every RNN step receives the sum over the steps."""
    x = md.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.tanh()
    (y * 2 + y.exp() + y ** 2).sum().backward()
    t = np.tanh([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), (2 + np.exp(t) + 2 * t) * (1 - t ** 2))
    # a weight used at three steps: its gradient is the sum of three separate copies'
    rng = np.random.default_rng(1)
    W0, xs = rng.standard_normal((2, 2)), rng.standard_normal((3, 1, 2))
    shared = md.tensor(W0.copy(), requires_grad=True)
    copies = [md.tensor(W0.copy(), requires_grad=True) for _ in range(3)]
    for Ws in ([shared] * 3, copies):
        h = md.tensor(np.zeros((1, 2)))
        for t in range(3):
            h = (h @ Ws[t].T + md.tensor(xs[t])).tanh()
        h.sum().backward()
    np.testing.assert_allclose(shared.grad.numpy(), sum(c.grad.numpy() for c in copies))


def test_reverse_mode_one_pass_gives_every_derivative():
    """autograd.md, "Why reverse mode": one forward and one backward give all 200 partial
    derivatives of a scalar loss; central differences need 2·200 more evaluations and agree."""
    rng = np.random.default_rng(0)
    A = md.tensor(rng.standard_normal((50, 200)))
    calls = []

    def loss(theta):
        calls.append(1)
        return ((A @ theta).tanh() ** 2).sum()

    theta = md.tensor(rng.standard_normal(200) * 0.1, requires_grad=True)
    loss(theta).backward()
    assert len(calls) == 1 and theta.grad.shape == (200,)
    t0, eps = theta.numpy().copy(), 1e-6
    central = [(loss(md.tensor(t0 + eps * e)).item() - loss(md.tensor(t0 - eps * e)).item()) / (2 * eps)
               for e in np.eye(200)]
    assert len(calls) == 401
    np.testing.assert_allclose(central, theta.grad.numpy(), atol=1e-6)


def test_hessian_vector_product_equals_the_explicit_hessian():
    """autograd.md §6: H v from two backward passes (∇(∇f · v)) equals the Hessian built
    explicitly, times v — for a non-diagonal Hessian too."""
    rng = np.random.default_rng(2)
    A = md.tensor(rng.standard_normal((4, 3)))

    def f(w):
        return ((A @ w).tanh() ** 3).sum()

    w = md.tensor(rng.standard_normal(3), requires_grad=True)
    (g,) = md.autograd.grad(f(w), w, create_graph=True)
    v = rng.standard_normal(3)
    (hv,) = md.autograd.grad((g * md.tensor(v)).sum(), w)
    H = md.autograd.functional.hessian(f, md.tensor(w.numpy().copy())).numpy()
    assert not np.allclose(H, np.diag(np.diag(H)))
    np.testing.assert_allclose(hv.numpy(), H @ v, atol=1e-10)


def test_gradient_penalty_gradient_matches_central_differences():
    """autograd.md §6: ∂/∂W of (‖∂out/∂x‖ − 1)², through the first backward, equals central
    differences of the penalty written out in NumPy."""
    W = md.tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    x = md.tensor(np.array([[0.2, -0.1]]), requires_grad=True)
    (dx,) = md.autograd.grad((x @ W.T).tanh().sum(), x, create_graph=True)
    ((dx.norm() - 1) ** 2).backward()

    def penalty_of(Wa):
        d = (1 - np.tanh(np.array([[0.2, -0.1]]) @ Wa.T) ** 2) @ Wa
        return (np.linalg.norm(d) - 1) ** 2

    W0, eps = W.numpy().copy(), 1e-6
    central = np.array([(penalty_of(W0 + eps * E) - penalty_of(W0 - eps * E)) / (2 * eps)
                        for E in np.eye(4).reshape(4, 2, 2)]).reshape(2, 2)
    np.testing.assert_allclose(W.grad.numpy(), central, atol=1e-8)
    assert np.abs(W.grad.numpy()).min() > 0.1
