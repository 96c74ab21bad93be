# %% [markdown]
# # Batch normalisation, step by step
#
# The [batch norm page](../blocks/batch-norm.md) derives the gradient. In training, for
# input $(N, C)$ or $(N, C, H, W)$, each channel $c$ is normalised by the mean and the
# biased variance of its values over the batch (and $H$, $W$):
#
# $$
# \hat x = \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \varepsilon}}, \qquad y = \gamma_c \hat x + \beta_c,
# $$
#
# while the running statistics move by `momentum` towards $\mu_c$ and the *unbiased*
# variance; in evaluation those running statistics are used instead.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
import minidl.nn as nn
from minidl import reference

rng = np.random.default_rng(0)
N, C, H, W = 4, 3, 5, 5

# %% [markdown]
# ## 1. The literal loop, the formula, and the fast op (training mode)

# %%
x = rng.normal(2.0, 3.0, size=(N, C, H, W))
gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
mean0, var0 = np.zeros(C), np.ones(C)
y_loop, mean_loop, var_loop = reference.batch_norm(x, mean0, var0, gamma, beta, training=True)

mu, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))                  # per channel, biased
by_hand = gamma[:, None, None] * (x - mu[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5) + beta[:, None, None]
running_mean, running_var = md.tensor(mean0.copy()), md.tensor(var0.copy())
y_fast = F.batch_norm(md.tensor(x), running_mean, running_var, md.tensor(gamma), md.tensor(beta), training=True)
print("formula vs loop:", np.abs(by_hand - y_loop).max(), "  fast vs loop:", np.abs(y_fast.numpy() - y_loop).max())
n = N * H * W
print("running var = 0.9·1 + 0.1·unbiased var:",
      np.allclose(running_var.numpy(), 0.9 + 0.1 * var * n / (n - 1)), np.allclose(running_var.numpy(), var_loop))

# %% [markdown]
# ## 2. The gradient check (input, γ and β; training mode, where μ and σ² depend on x)

# %%
args = tuple(md.tensor(a, requires_grad=True) for a in (rng.standard_normal((4, 3, 2, 2)), gamma, beta))
print(md.gradcheck(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), args))

# %% [markdown]
# ## 3. Experiment: a deep sigmoid network with and without batch norm
#
# Eight `Linear → Sigmoid` layers trained with SGD on a small classification task: without
# normalisation the signal and its gradient shrink layer by layer and training crawls;
# with a `BatchNorm1d` before each sigmoid it learns.

# %%
X = rng.standard_normal((256, 10))
Y = md.tensor((X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(np.int64))
X = md.tensor(X)


def network(batch_norm):
    layers, width = [], 10
    for _ in range(8):
        layers.append(nn.Linear(width, 32, dtype=md.float64))
        if batch_norm:
            layers.append(nn.BatchNorm1d(32, dtype=md.float64))
        layers.append(nn.Sigmoid())
        width = 32
    return nn.Sequential(*layers, nn.Linear(32, 2, dtype=md.float64))


curves = {}
for bn in (False, True):
    md.manual_seed(0)
    model = network(bn)
    opt = md.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    curves["with BatchNorm1d" if bn else "without"] = losses

fig, ax = plt.subplots(figsize=(6, 3.5))
for label, losses in curves.items():
    ax.plot(losses, label=label)
ax.set(xlabel="SGD step (lr 0.5)", ylabel="training cross-entropy", title="8 sigmoid layers")
ax.legend()
fig.tight_layout()
plt.show()
print({k: round(v[-1], 3) for k, v in curves.items()})
