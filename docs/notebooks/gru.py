# %% [markdown]
# # The GRU, step by step
#
# The [GRU page](../blocks/gru.md) derives the gradients. In batched rows, with the gates
# stacked in PyTorch's order $r, z, n$:
#
# $$
# r = \sigma(x W_{ir}^\top + b_{ir} + h W_{hr}^\top + b_{hr}), \qquad
# z = \sigma(x W_{iz}^\top + b_{iz} + h W_{hz}^\top + b_{hz}),
# $$
#
# $$
# n = \tanh\big(x W_{in}^\top + b_{in} + r \odot (h W_{hn}^\top + b_{hn})\big), \qquad
# h' = (1 - z) \odot n + z \odot h .
# $$

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
from minidl import reference

rng = np.random.default_rng(0)
N, D, H = 3, 4, 5

# %% [markdown]
# ## 1. The literal loop, the formulas by hand, and the fast cell

# %%
x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
w_ih, w_hh = 0.5 * rng.standard_normal((3 * H, D)), 0.5 * rng.standard_normal((3 * H, H))
b_ih, b_hh = 0.5 * rng.standard_normal(3 * H), 0.5 * rng.standard_normal(3 * H)
loop = reference.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)
fast = F.gru_cell(*map(md.tensor, (x, h, w_ih, w_hh, b_ih, b_hh)))

gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh                 # (N, 3H) each
sig = lambda a: 1 / (1 + np.exp(-a))
r, z = sig(gi[:, :H] + gh[:, :H]), sig(gi[:, H:2 * H] + gh[:, H:2 * H])
n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
print("by hand vs loop:", np.abs((1 - z) * n + z * h - loop).max())
print("fast vs loop:", np.abs(fast.numpy() - loop).max())

# %% [markdown]
# ## 2. The gradient check

# %%
args = tuple(md.tensor(a, requires_grad=True) for a in (x, h, w_ih, w_hh, b_ih, b_hh))
print(md.gradcheck(F.gru_cell, args))

# %% [markdown]
# ## 3. Experiment: the update gate as a copy switch
#
# With $z \approx 1$ the cell copies $h$ through and $\partial h'/\partial h \approx
# \operatorname{diag}(z)$. Set the update-gate bias $b_{iz}$ and measure the gradient that
# reaches $h_0$ after $T$ steps, $L = \lVert h_T \rVert^2$.

# %%
T = 40
xs = rng.standard_normal((T, N, D))
W_ih, W_hh = md.tensor(0.3 * rng.standard_normal((3 * H, D))), md.tensor(0.3 * rng.standard_normal((3 * H, H)))
fig, ax = plt.subplots(figsize=(6, 3.5))
for b_z in (-2.0, 0.0, 2.0, 4.0):
    bias = np.zeros(3 * H)
    bias[H:2 * H] = b_z
    B = md.tensor(bias)
    norms = []
    for steps in range(2, T + 1, 2):
        h0 = md.tensor(np.full((N, H), 0.5), requires_grad=True)
        ht = h0
        for t in range(steps):
            ht = F.gru_cell(md.tensor(xs[t]), ht, W_ih, W_hh, B)
        (ht ** 2).sum().backward()
        norms.append(np.linalg.norm(h0.grad.numpy()))
    ax.semilogy(range(2, T + 1, 2), norms, label=f"update-gate bias {b_z:+.0f} (z ≈ {1 / (1 + np.exp(-b_z)):.2f})")
ax.set(xlabel="steps T", ylabel="‖∂L/∂h₀‖", title="GRU: the gradient reaching h₀")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
