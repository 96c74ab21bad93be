# %% [markdown]
# # Multi-head attention, step by step
#
# The [multi-head attention page](../blocks/multi-head-attention.md) derives it. With
# PyTorch's packed `in_proj_weight` (rows $W^Q$, $W^K$, $W^V$, each $(E, E)$), head $i$
# uses the columns $iE/h \ldots (i+1)E/h - 1$ of the projections, in batched rows:
#
# $$
# Q = x_q W^{Q\top} + b^Q,\quad K = x_k W^{K\top} + b^K,\quad V = x_v W^{V\top} + b^V,
# $$
#
# $$
# \text{head}_i = \operatorname{softmax}\!\Big(\frac{Q_i K_i^\top}{\sqrt{E/h}}\Big) V_i, \qquad
# \operatorname{MHA} = \operatorname{Concat}(\text{head}_1, \ldots, \text{head}_h)\, W^{O\top} + b^O .
# $$

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
import minidl.nn as nn
from minidl import reference

rng = np.random.default_rng(0)
L, S, N, E, h = 4, 5, 2, 8, 2

# %% [markdown]
# ## 1. The literal loop, the fast op, and the heads concatenated by hand

# %%
xq, xk = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))    # (L, N, E), (S, N, E)
W_in, b_in = rng.standard_normal((3 * E, E)) / np.sqrt(E), 0.1 * rng.standard_normal(3 * E)
W_o, b_o = rng.standard_normal((E, E)) / np.sqrt(E), 0.1 * rng.standard_normal(E)
loop, _ = reference.multi_head_attention(xq, xk, xk, h, W_in, b_in, W_o, b_o)
fast, _ = F.multi_head_attention(*map(md.tensor, (xq, xk, xk)), h, *map(md.tensor, (W_in, b_in, W_o, b_o)))
print("fast vs loop:", np.abs(fast.numpy() - loop).max())

# each head on its own slice of columns, with plain NumPy, then concatenated
Q, K, V = xq @ W_in[:E].T + b_in[:E], xk @ W_in[E:2 * E].T + b_in[E:2 * E], xk @ W_in[2 * E:].T + b_in[2 * E:]
heads = []
for i in range(h):
    cols = slice(i * E // h, (i + 1) * E // h)
    qi, ki, vi = (a[:, :, cols].transpose(1, 0, 2) for a in (Q, K, V))               # (N, L or S, E/h)
    heads.append(reference.scaled_dot_product_attention(qi, ki, vi).transpose(1, 0, 2))  # (L, N, E/h)
by_hand = np.concatenate(heads, axis=-1) @ W_o.T + b_o
print("heads concatenated vs loop:", np.abs(by_hand - loop).max())

# %% [markdown]
# ## 2. The gradient check (inputs and every weight)

# %%
args = tuple(md.tensor(a, requires_grad=True) for a in (xq, xk, W_in, b_in, W_o, b_o))
print(md.gradcheck(lambda q, kv, *w: F.multi_head_attention(q, kv, kv, h, *w, need_weights=False)[0], args))

# %% [markdown]
# ## 3. Experiment: what several heads buy
#
# A task one head cannot do: from each position $l$, output the content at $l-1$ in the
# first half of the channels and the content at $l+2$ in the second half. One head has one
# set of weights per query, so it can only mix the two; two heads can look in two places.

# %%
Lt, C = 8, 8                                  # positions, content channels; E = Lt + C
pos = np.eye(Lt)


def batch(n):
    content = rng.standard_normal((Lt, n, C))
    x = np.concatenate([np.repeat(pos[:, None], n, axis=1), content], axis=-1)      # (L, N, E)
    target = np.concatenate([np.roll(content, 1, axis=0), np.roll(content, -2, axis=0)], axis=-1)  # (L, N, 2C = E)
    return md.tensor(x), md.tensor(target)


curves = {}
for heads_ in (1, 2, 4):
    md.manual_seed(0)
    mha = nn.MultiheadAttention(Lt + C, heads_, dtype=md.float64)
    opt = md.optim.Adam(mha.parameters(), lr=0.02)
    losses = []
    for _ in range(150):
        x, target = batch(16)
        opt.zero_grad()
        out, _ = mha(x, x, x, need_weights=False)
        loss = F.mse_loss(out, target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    curves[heads_] = losses

fig, ax = plt.subplots(figsize=(6, 3.5))
for heads_, losses in curves.items():
    ax.semilogy(losses, label=f"{heads_} head{'s' if heads_ > 1 else ''}")
ax.set(xlabel="Adam step", ylabel="mean squared error", title="look at l − 1 and l + 2 at once")
ax.legend()
fig.tight_layout()
plt.show()
print({k: round(v[-1], 3) for k, v in curves.items()})
