# %% [markdown]
# # Autograd, step by step
#
# The [autograd guide](../guides/autograd.md) walks through the engine. Every op is a node
# that, given the upstream gradient $\bar y = \partial L / \partial y$, returns one
# vector–Jacobian product per input,
#
# $$
# \bar x_j = \sum_m \bar y_m \frac{\partial y_m}{\partial x_j},
# $$
#
# and the engine visits the nodes once, from the output down, **summing** the gradients of
# a value used several times (fan-out).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minidl as md

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The chain rule by hand, on the guide's graph
#
# $L = (x w + x)^2$ at $x = 2$, $w = 3$: $a = x w = 6$, $b = a + x = 8$, $L = b^2 = 64$.
# Backward: $\bar b = 2b = 16$, $\bar a = \bar b = 16$, $\bar w = \bar a\,x = 32$, and $x$,
# used twice, gets $\bar a\,w + \bar b = 48 + 16 = 64$.

# %%
x = md.tensor(2.0, requires_grad=True)
w = md.tensor(3.0, requires_grad=True)
a = x * w
b = a + x
L = b ** 2
L.backward()
print(L.item(), x.grad.item(), w.grad.item())          # 64, 64, 32

# %% [markdown]
# ## 2. The literal loop: central differences, one input entry at a time
#
# The slow, obviously-right way to a gradient, $\partial L/\partial \theta_j \approx
# (L(\theta + \varepsilon e_j) - L(\theta - \varepsilon e_j)) / 2\varepsilon$: two forward
# passes per parameter. `md.gradcheck` does this for every input (with a random upstream
# gradient for outputs that are not scalars).

# %%
def loss(W, v):
    return ((v @ W).tanh() ** 2).sum()


W0, v0 = rng.standard_normal((4, 3)), rng.standard_normal((5, 4))
eps = 1e-6
numeric = np.zeros_like(W0)
for i in range(W0.shape[0]):
    for j in range(W0.shape[1]):
        up, down = W0.copy(), W0.copy()
        up[i, j] += eps
        down[i, j] -= eps
        L_up, L_down = loss(md.tensor(up), md.tensor(v0)).item(), loss(md.tensor(down), md.tensor(v0)).item()
        numeric[i, j] = (L_up - L_down) / (2 * eps)
Wt = md.tensor(W0, requires_grad=True)
loss(Wt, md.tensor(v0)).backward()
print("max |backward − central differences| =", np.abs(Wt.grad.numpy() - numeric).max())
print(md.gradcheck(loss, (md.tensor(W0, requires_grad=True), md.tensor(v0, requires_grad=True))))

# %% [markdown]
# ## 3. The fast op: a custom `md.Function` and its vector–Jacobian product
#
# `backward(ctx, dy)` receives $\bar y$ (the shape of $y$) and returns $\bar y^\top J$
# without ever building $J$. Here $y = x^3$, $J = \operatorname{diag}(3x^2)$.

# %%
class Cube(md.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * 3 * x ** 2


xc = md.tensor(rng.standard_normal(5), requires_grad=True)
u = rng.standard_normal(5)                                   # a random upstream gradient
Cube.apply(xc).backward(md.tensor(u))
J = md.autograd.functional.jacobian(lambda t: t ** 3, md.tensor(xc.numpy()))
print("VJP = uᵀJ:", np.allclose(xc.grad.numpy(), u @ J.numpy()), "  gradcheck:", md.gradcheck(Cube.apply, (xc,)))

# %% [markdown]
# ## 4. Higher order: a Hessian–vector product
#
# With `create_graph=True` the backward is itself recorded, so it can be differentiated:
# $Hv = \nabla_\theta (\nabla_\theta L \cdot v)$, here against central differences of the
# gradient.

# %%
theta = md.tensor(rng.standard_normal(4), requires_grad=True)
f = lambda t: (t.tanh() * t).sum() + (t ** 2).prod()
v = md.tensor(rng.standard_normal(4))
(g,) = md.autograd.grad(f(theta), theta, create_graph=True)
(Hv,) = md.autograd.grad((g * v).sum(), theta)


def grad_at(t):
    t = md.tensor(t, requires_grad=True)
    f(t).backward()
    return t.grad.numpy()


fd = (grad_at(theta.numpy() + 1e-6 * v.numpy()) - grad_at(theta.numpy() - 1e-6 * v.numpy())) / 2e-6
print("max |Hv − central difference of ∇L| =", np.abs(Hv.numpy() - fd).max())

# %% [markdown]
# ## 5. Experiment: why reverse mode
#
# One backward pass gives the gradient of a scalar loss with respect to *every* parameter,
# for about the cost of a forward pass or two; central differences need two forward passes
# per parameter. Time both for growing parameter counts $n$.

# %%
sizes = [4, 16, 64, 256]
t_backward, t_numeric = [], []
for n in sizes:
    Wn, vn = rng.standard_normal((n, 8)), md.tensor(rng.standard_normal((16, n)))
    t0 = time.perf_counter()
    Wt = md.tensor(Wn, requires_grad=True)
    loss(Wt, vn).backward()
    t1 = time.perf_counter()
    flat = Wn.ravel()
    for j in range(flat.size):                                # 2 forward passes per parameter
        for step in (eps, -eps):
            flat[j] += step
            loss(md.tensor(Wn), vn)
            flat[j] -= step
    t2 = time.perf_counter()
    t_backward.append(t1 - t0)
    t_numeric.append(t2 - t1)

fig, ax = plt.subplots(figsize=(6, 3.5))
params = [8 * n for n in sizes]
ax.loglog(params, t_backward, "o-", label="one forward + one backward")
ax.loglog(params, t_numeric, "o-", label="central differences (2 passes per parameter)")
ax.set(xlabel="number of parameters", ylabel="seconds", title="the gradient of a scalar loss")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
