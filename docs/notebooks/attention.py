# %% [markdown]
# # Scaled dot-product attention, step by step
#
# The [attention page](../blocks/attention.md) derives the gradient. For queries $Q$
# $(L, d_k)$, keys $K$ $(S, d_k)$ and values $V$ $(S, d_v)$:
#
# $$
# \operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\Big(\frac{Q K^\top}{\sqrt{d_k}}\Big) V
# $$
#
# Each output row is a weighted mean of the value rows, the weights a softmax of how well
# the query matches each key.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
from minidl import reference

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The literal loop, the formula in NumPy, and the fast op

# %%
q, k, v = rng.standard_normal((2, 4, 8)), rng.standard_normal((2, 6, 8)), rng.standard_normal((2, 6, 3))
loop = reference.scaled_dot_product_attention(q, k, v)
s = q @ k.swapaxes(-1, -2) / np.sqrt(8)
w = np.exp(s - s.max(-1, keepdims=True))
w /= w.sum(-1, keepdims=True)
fast = F.scaled_dot_product_attention(md.tensor(q), md.tensor(k), md.tensor(v))
print("formula vs loop:", np.abs(w @ v - loop).max(), "  fast vs loop:", np.abs(fast.numpy() - loop).max())

# a causal mask: query l sees keys s ≤ l only
causal = F.scaled_dot_product_attention(md.tensor(q), md.tensor(k[:, :4]), md.tensor(v[:, :4]), is_causal=True)
print("causal, fast vs loop:",
      np.abs(causal.numpy() - reference.scaled_dot_product_attention(q, k[:, :4], v[:, :4], is_causal=True)).max())

# %% [markdown]
# ## 2. The gradient check (queries, keys and values)

# %%
args = tuple(md.tensor(a, requires_grad=True) for a in (q, k, v))
print(md.gradcheck(F.scaled_dot_product_attention, args))

# %% [markdown]
# ## 3. Experiment: why divide by $\sqrt{d_k}$
#
# For queries and keys with independent unit-variance entries, $q \cdot k$ has variance
# $d_k$. Without the scale the scores grow with $d_k$, the softmax saturates (its largest
# weight goes to 1) and the gradient reaching the scores vanishes. With it, the variance
# stays 1 whatever $d_k$.

# %%
dims = [4, 16, 64, 256, 1024]
rows = []
for d_k in dims:
    qd = md.tensor(rng.standard_normal((64, d_k)), requires_grad=True)
    kd = md.tensor(rng.standard_normal((64, d_k)))
    row = []
    for scale in (1.0, 1 / np.sqrt(d_k)):
        scores = (qd @ kd.transpose(0, 1)) * scale
        weights = F.softmax(scores, dim=-1)
        qd.grad = None
        (weights * md.tensor(rng.standard_normal((64, 64)))).sum().backward()   # a random upstream gradient
        row += [scores.detach().numpy().var(), weights.detach().numpy().max(-1).mean(),
                np.linalg.norm(qd.grad.numpy()) / np.sqrt(d_k)]
    rows.append(row)
rows = np.array(rows)

fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, col, title in zip(axes, range(3), ["variance of the scores", "mean largest softmax weight",
                                           "‖∂L/∂Q‖ / √d_k"]):
    ax.loglog(dims, rows[:, col], "o-", label="QKᵀ")
    ax.loglog(dims, rows[:, 3 + col], "o-", label="QKᵀ / √d_k")
    ax.set(xlabel="d_k", title=title)
axes[1].set_yscale("linear")
axes[0].legend()
fig.tight_layout()
plt.show()
