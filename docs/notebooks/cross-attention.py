# %% [markdown]
# # Cross-attention and the decoder layer, step by step
#
# The [cross-attention page](../blocks/cross-attention.md) derives it. The queries come
# from the target sequence $x$ $(L, N, E)$, the keys and values from the encoder's output,
# the memory $m$ $(S, N, E)$:
#
# $$
# \operatorname{CrossAttn}(x, m) = \operatorname{MHA}(x, m, m), \qquad
# A_i = \operatorname{softmax}\!\Big(\frac{(x W_i^{Q\top} + b_i^Q)(m W_i^{K\top} + b_i^K)^\top}{\sqrt{E/h}}\Big)
# \quad (N, L, S) \text{ per head } i
# $$
#
# and the post-norm decoder layer is
# $x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x))$, $x \leftarrow \mathrm{LN}_2(x + \operatorname{CrossAttn}(x, m))$,
# $x \leftarrow \mathrm{LN}_3(x + \mathrm{FF}(x))$.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
import minidl.nn as nn
from minidl import reference

rng = np.random.default_rng(0)
L, S, N, E, nhead = 4, 6, 2, 8, 2

# %% [markdown]
# ## 1. The literal loop against the module (with a causal target mask)

# %%
tgt, memory = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))
md.manual_seed(0)
layer = nn.TransformerDecoderLayer(E, nhead, 16, dropout=0.0, dtype=md.float64)
params = {k: np.asarray(v) for k, v in layer.state_dict().items()}
causal = nn.Transformer.generate_square_subsequent_mask(L, dtype=md.float64)
loop = reference.transformer_decoder_layer(tgt, memory, params, nhead, tgt_mask=np.asarray(causal))
fast = layer(md.tensor(tgt), md.tensor(memory), tgt_mask=causal)
print("max |module − loop| =", np.abs(fast.detach().numpy() - loop).max())

# %% [markdown]
# ## 2. The gradient check: into the target and into the memory
#
# The memory reaches the output only through the keys and values of the cross-attention,
# so its gradient is the encoder's whole learning signal.

# %%
args = (md.tensor(rng.standard_normal((3, 2, E)), requires_grad=True),
        md.tensor(rng.standard_normal((5, 2, E)), requires_grad=True))
print(md.gradcheck(lambda t, m: layer(t, m), args))

# %% [markdown]
# ## 3. Experiment: cross-attention learns an alignment
#
# Each target position $l$ must fetch the content of memory position $\pi(l)$ for a fixed
# permutation $\pi$. One cross-attention layer (one head) is trained; its weights become
# the permutation matrix.

# %%
Lc = Sc = 6
perm = rng.permutation(Sc)
pos = np.eye(Sc)
Ec = 2 * Sc


def batch(n):
    content = rng.standard_normal((Sc, n, Sc))
    mem = np.concatenate([np.repeat(pos[:, None], n, axis=1), content], axis=-1)      # (S, N, E)
    query = np.concatenate([np.repeat(pos[:, None], n, axis=1), np.zeros((Lc, n, Sc))], axis=-1)
    return md.tensor(query), md.tensor(mem), md.tensor(content[perm])


md.manual_seed(0)
attn = nn.MultiheadAttention(Ec, 1, dtype=md.float64)
opt = md.optim.Adam(attn.parameters(), lr=0.05)
losses = []
for _ in range(150):
    q, m, target = batch(16)
    opt.zero_grad()
    out, _ = attn(q, m, m, need_weights=False)
    loss = F.mse_loss(out[..., Sc:], target)
    loss.backward()
    opt.step()
    losses.append(loss.item())

q, m, _ = batch(1)
with md.no_grad():
    _, weights = attn(q, m, m)                                # (N, L, S)
fig, (a0, a1, a2) = plt.subplots(1, 3, figsize=(10.5, 3.2))
a0.semilogy(losses)
a0.set(xlabel="Adam step", ylabel="MSE", title="training loss")
a1.imshow(weights.numpy()[0], cmap="viridis", vmin=0, vmax=1)
a1.set(title="learned cross-attention weights", xlabel="memory position s", ylabel="target position l")
a2.imshow(pos[perm], cmap="viridis", vmin=0, vmax=1)
a2.set(title="the permutation π", xlabel="memory position s", ylabel="target position l")
fig.tight_layout()
plt.show()
