# %% [markdown]
# # The recurrent update and output, step by step
#
# The [recurrent page](../blocks/recurrent.md) derives backpropagation through time. In
# batched rows ($x_t$ is $(N, D)$, $h_t$ is $(N, H)$):
#
# $$
# h_t = f(h_{t-1} W_{hh}^\top + x_t W_{xh}^\top + b_h), \qquad
# o_t = f(h_t W_{ho}^\top + x_t W_{xo}^\top + b_o)
# $$
#
# with $f = \tanh$. The same $W_{hh}$ acts at every step, so the gradient reaching $h_0$
# from step $T$ is a product of $T$ Jacobians.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
from minidl import reference

rng = np.random.default_rng(0)
N, D, H, O = 3, 4, 5, 2

# %% [markdown]
# ## 1. The literal loop against the fast step

# %%
names = ["W_xh", "W_hh", "b_h", "W_ho", "W_xo", "b_o"]
shapes = [(H, D), (H, H), (H,), (O, H), (O, D), (O,)]
params = {n: 0.5 * rng.standard_normal(s) for n, s in zip(names, shapes)}
x_t, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
h_loop, o_loop = reference.rnn_step(x_t, h_prev, **params)
h_fast, o_fast = F.rnn_step(md.tensor(x_t), md.tensor(h_prev), **{n: md.tensor(v) for n, v in params.items()})
by_hand = np.tanh(h_prev[0] @ params["W_hh"][0] + x_t[0] @ params["W_xh"][0] + params["b_h"][0])
print(h_loop[0, 0], by_hand)
print("max |fast − loop|:", np.abs(h_fast.numpy() - h_loop).max(), np.abs(o_fast.numpy() - o_loop).max())

# %% [markdown]
# ## 2. The gradient check, every input and parameter, through both equations

# %%
inputs = [md.tensor(a, requires_grad=True) for a in (x_t, h_prev, *params.values())]


def step(x, h, *p):
    return F.rnn_step(x, h, *p)


print(md.gradcheck(step, tuple(inputs)))

# %% [markdown]
# ## 3. Experiment: the gradient at $h_0$ over 50 steps
#
# Run 50 steps from $h_0$ with $W_{hh}$ scaled to spectral radius $\rho$ and measure
# $\lVert \partial \lVert h_T \rVert^2 / \partial h_0 \rVert$. For $\rho < 1$ (and with
# $\tanh' \le 1$) it shrinks geometrically with $T$: the vanishing gradient the LSTM
# notebook compares against.

# %%
T = 50
W_xh = 0.5 * rng.standard_normal((H, D))
A = rng.standard_normal((H, H))
xs = rng.standard_normal((T, N, D))
fig, ax = plt.subplots(figsize=(6, 3.5))
for rho in (0.5, 0.9, 1.5):
    W_hh = md.tensor(A * rho / np.abs(np.linalg.eigvals(A)).max())
    norms = []
    for steps in range(2, T + 1, 2):
        h0 = md.tensor(0.1 * np.ones((N, H)), requires_grad=True)
        h = h0
        for t in range(steps):
            h, _ = F.rnn_step(md.tensor(xs[t]), h, md.tensor(W_xh), W_hh)
        (h ** 2).sum().backward()
        norms.append(np.linalg.norm(h0.grad.numpy()))
    ax.semilogy(range(2, T + 1, 2), norms, label=f"spectral radius of W_hh = {rho}")
ax.set(xlabel="steps T", ylabel="‖∂‖h_T‖²/∂h₀‖", title="vanilla RNN: the gradient reaching h₀")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
