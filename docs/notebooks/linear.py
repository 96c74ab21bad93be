# %% [markdown]
# # The fully connected layer, step by step
#
# The [fully connected page](../blocks/linear.md) derives the gradients. In batched rows
# (input $x$ is $(N, \text{in})$, weight $W$ is $(\text{out}, \text{in})$ as in PyTorch):
#
# $$
# y = x W^\top + b, \qquad y_{n,o} = b_o + \sum_i W_{o,i}\, x_{n,i}
# $$
#
# and backward: $\bar x = \bar y W$, $\bar W = \bar y^\top x$, $\bar b = \sum_n \bar y_n$.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
import minidl.nn as nn
from minidl import reference

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The literal loop and the fast op

# %%
x = rng.standard_normal((5, 4))                 # (N, in)
W = rng.standard_normal((3, 4))                 # (out, in)
b = rng.standard_normal(3)
loop = reference.linear(x, W, b)
fast = F.linear(md.tensor(x), md.tensor(W), md.tensor(b))
print(loop[0, 0], b[0] + sum(W[0, i] * x[0, i] for i in range(4)))   # one entry by hand
print("max |fast − loop| =", np.abs(fast.numpy() - loop).max())

# %% [markdown]
# ## 2. The gradients: the formulas above against the engine, then gradcheck

# %%
xt, Wt, bt = (md.tensor(a, requires_grad=True) for a in (x, W, b))
dy = rng.standard_normal((5, 3))                # a random upstream gradient ȳ
F.linear(xt, Wt, bt).backward(dy)
print(np.allclose(xt.grad.numpy(), dy @ W), np.allclose(Wt.grad.numpy(), dy.T @ x),
      np.allclose(bt.grad.numpy(), dy.sum(0)))
print(md.gradcheck(F.linear, (xt, Wt, bt)))

# %% [markdown]
# ## 3. Experiment: a two-layer network fits what one layer cannot
#
# Points inside a ring are class 1, outside class 0. A single linear layer (a straight
# boundary) cannot separate them; two layers with a `tanh` between them can.

# %%
pts = rng.uniform(-1.5, 1.5, size=(400, 2))
labels = (np.hypot(pts[:, 0], pts[:, 1]) < 1.0).astype(np.int64)
X, Y = md.tensor(pts), md.tensor(labels)


def fit(model, steps=300):
    opt = md.optim.Adam(model.parameters(), lr=0.05)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        history.append(loss.item())
    return history


md.manual_seed(0)
one = nn.Linear(2, 2, dtype=md.float64)
two = nn.Sequential(nn.Linear(2, 16, dtype=md.float64), nn.Tanh(), nn.Linear(16, 2, dtype=md.float64))
curves = {"one linear layer": fit(one), "Linear → tanh → Linear": fit(two)}

fig, (a0, a1) = plt.subplots(1, 2, figsize=(9, 3.4))
for name, h in curves.items():
    a0.plot(h, label=name)
a0.set(xlabel="Adam step", ylabel="cross-entropy", title="training loss")
a0.legend()
g = np.linspace(-1.5, 1.5, 100)
grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
with md.no_grad():
    p = F.softmax(two(md.tensor(grid)), dim=1).numpy()[:, 1].reshape(100, 100)
a1.contourf(g, g, p, levels=20, cmap="RdBu_r", alpha=0.6)
a1.scatter(pts[:, 0], pts[:, 1], c=labels, cmap="RdBu_r", s=6, edgecolors="k", linewidths=0.2)
a1.set(aspect="equal", title="two layers: p(class 1)")
fig.tight_layout()
plt.show()
