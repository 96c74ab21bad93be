# %% [markdown]
# # Softmax and cross-entropy, step by step
#
# The [softmax and cross-entropy page](../blocks/softmax-cross-entropy.md) derives the
# gradients. For logits $z$ $(N, C)$ and integer targets $t$ $(N,)$:
#
# $$
# p_{n,j} = \frac{e^{z_{n,j} - m_n}}{\sum_k e^{z_{n,k} - m_n}} \;(m_n = \max_k z_{n,k}), \qquad
# \ell = \frac{1}{N} \sum_n -\log p_{n, t_n}, \qquad
# \frac{\partial \ell}{\partial z_{n,j}} = \frac{p_{n,j} - [j = t_n]}{N}.
# $$
#
# With class weights $w$, `reduction="mean"` divides by $\sum_n w_{t_n}$, the weights of
# the target classes.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
from minidl import reference

rng = np.random.default_rng(0)
N, C = 6, 4

# %% [markdown]
# ## 1. The literal loops against the fast ops

# %%
z = rng.standard_normal((N, C)) * 3
t = rng.integers(0, C, size=N)
print("softmax:", np.abs(F.softmax(md.tensor(z), dim=1).numpy() - reference.softmax(z)).max(),
      "  log_softmax:", np.abs(F.log_softmax(md.tensor(z), dim=1).numpy() - reference.log_softmax(z)).max(),
      "  cross_entropy:", abs(F.cross_entropy(md.tensor(z), md.tensor(t)).item() - reference.cross_entropy(z, t)))

# subtracting the row maximum changes nothing mathematically, and prevents exp overflowing
big = np.array([[1000.0, 999.0, 990.0]])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.exp(big).sum()
print("naive:", naive, "  stable:", F.softmax(md.tensor(big), dim=1).numpy())

# %% [markdown]
# ## 2. The gradient: p − onehot(t), the class-weighted mean, and gradcheck

# %%
zt = md.tensor(z, requires_grad=True)
F.cross_entropy(zt, md.tensor(t)).backward()
p = reference.softmax(z)
print("(p − onehot)/N:", np.allclose(zt.grad.numpy(), (p - np.eye(C)[t]) / N))

w = rng.uniform(0.5, 2.0, size=C)
weighted = F.cross_entropy(md.tensor(z), md.tensor(t), weight=md.tensor(w)).item()
print("weighted mean = Σ w_t·(−log p_t) / Σ w_t:",
      np.isclose(weighted, (w[t] * -np.log(p[np.arange(N), t])).sum() / w[t].sum()))

print(md.gradcheck(lambda z: F.cross_entropy(z, md.tensor(t), weight=md.tensor(w), label_smoothing=0.1), (zt,)))

# %% [markdown]
# ## 3. Experiment: the loss and its gradient against the margin
#
# Two classes, the target's logit ahead of the other by a margin $\delta$: the loss is
# $\log(1 + e^{-\delta})$ and its gradient $-(1 - p_t)$ fades once the example is
# classified with confidence, while a wrong example ($\delta < 0$) gets a gradient near 1.

# %%
margins = np.linspace(-6, 6, 121)
logits = md.tensor(np.stack([margins, np.zeros_like(margins)], axis=1), requires_grad=True)
loss = F.cross_entropy(logits, md.tensor(np.zeros(len(margins), dtype=np.int64)), reduction="sum")
loss.backward()
per_example = np.log1p(np.exp(-margins))

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(margins, per_example, label="loss −log p_t = log(1 + e^(−δ))")
ax.plot(margins, logits.grad.numpy()[:, 0], label="∂loss/∂z_t = p_t − 1")
ax.axhline(0, color="0.6", lw=0.8)
ax.set(xlabel="margin δ = z_t − z_other", title="cross-entropy of two classes")
ax.legend()
fig.tight_layout()
plt.show()
print("loss matches log(1 + e^−δ):", np.isclose(loss.item(), per_example.sum()))
