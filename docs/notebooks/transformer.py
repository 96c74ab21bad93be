# %% [markdown]
# # The Transformer encoder layer, step by step
#
# The [Transformer encoder page](../blocks/transformer.md) derives it. With
# $\mathrm{SA}(x) = \operatorname{MHA}(x, x, x)$, $\mathrm{FF}(x) = \max(0, x W_1^\top + b_1) W_2^\top + b_2$
# and $\mathrm{LN}$ the layer norm over the last axis:
#
# $$
# \text{post-norm (default):}\quad x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x)),\quad
# x \leftarrow \mathrm{LN}_2(x + \mathrm{FF}(x))
# $$
#
# and pre-norm (`norm_first=True`):
#
# $$
# x \leftarrow x + \mathrm{SA}(\mathrm{LN}_1(x)),\quad
# x \leftarrow x + \mathrm{FF}(\mathrm{LN}_2(x))
# $$

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
import minidl.nn as nn
from minidl import reference

rng = np.random.default_rng(0)
L, N, E, nhead, F_ = 5, 2, 8, 2, 16

# %% [markdown]
# ## 1. The literal loop against the module, both norm placements

# %%
x = rng.standard_normal((L, N, E))                                  # (L, N, E)
for norm_first in (False, True):
    md.manual_seed(0)
    layer = nn.TransformerEncoderLayer(E, nhead, F_, dropout=0.0, norm_first=norm_first, dtype=md.float64)
    params = {k: np.asarray(v) for k, v in layer.state_dict().items()}
    loop = reference.transformer_encoder_layer(x, params, nhead, norm_first=norm_first)
    err = np.abs(layer(md.tensor(x)).detach().numpy() - loop).max()
    print(f"norm_first={norm_first}: max |module − loop| = {err:.1e}")

# the post-norm formula by hand, from the pieces
md.manual_seed(0)
layer = nn.TransformerEncoderLayer(E, nhead, F_, dropout=0.0, dtype=md.float64).eval()
xt = md.tensor(x)
with md.no_grad():
    sa = layer.self_attn(xt, xt, xt, need_weights=False)[0]
    y = layer.norm1(xt + sa)
    y = layer.norm2(y + layer.linear2(layer.linear1(y).relu()))
    print("by hand vs module:", np.abs(y.numpy() - layer(xt).numpy()).max())

# %% [markdown]
# ## 2. The gradient check, through attention, the feed-forward and both layer norms

# %%
xg = md.tensor(rng.standard_normal((3, 2, E)), requires_grad=True)
print(md.gradcheck(layer, (xg,)))

# %% [markdown]
# ## 3. Experiment: pre-norm trains where post-norm stalls
#
# Train a 6-layer encoder to reverse a sequence (position $l$ must output the content at
# $L - 1 - l$), with Adam at a large learning rate and no warm-up. In the pre-norm stack
# (with the final LayerNorm PyTorch's `TransformerEncoder(norm=...)` adds) every layer
# has an identity path $x + \ldots$ from the loss, with no LayerNorm on it; in the
# post-norm stack every residual sum passes through a LayerNorm on its way down. In this
# seeded run, at this learning rate, the post-norm stack barely moves; the pre-norm one learns.

# %%
Lr, E2, depth = 8, 16, 6
positions = np.eye(Lr)


def batch(n):
    content = rng.standard_normal((Lr, n, E2 - Lr))
    x = np.concatenate([np.repeat(positions[:, None], n, axis=1), content], axis=-1)     # (L, N, E)
    return md.tensor(x), md.tensor(content[::-1].copy())                              # target: reversed


curves = {}
for norm_first, label in [(False, "post-norm"), (True, "pre-norm (norm_first=True)")]:
    md.manual_seed(0)
    layer = nn.TransformerEncoderLayer(E2, 2, 32, dropout=0.0, norm_first=norm_first, dtype=md.float64)
    final = nn.LayerNorm(E2, dtype=md.float64) if norm_first else None
    stack = nn.TransformerEncoder(layer, depth, norm=final, enable_nested_tensor=False)
    head = nn.Linear(E2, E2 - Lr, dtype=md.float64)
    opt = md.optim.Adam([*stack.parameters(), *head.parameters()], lr=1e-2)
    losses = []
    for _ in range(120):
        x, target = batch(8)
        opt.zero_grad()
        loss = F.mse_loss(head(stack(x)), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    curves[label] = losses

fig, ax = plt.subplots(figsize=(6, 3.5))
for label, losses in curves.items():
    ax.plot(np.convolve(losses, np.ones(10) / 10, mode="valid"), label=label)
ax.set(xlabel="Adam step (lr = 0.01, no warm-up)", ylabel="MSE (mean of 10 steps)",
       title=f"reversing a sequence with a {depth}-layer encoder")
ax.legend()
fig.tight_layout()
plt.show()
print({label: round(float(np.mean(v[-10:])), 3) for label, v in curves.items()})
