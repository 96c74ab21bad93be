# %% [markdown]
# # Positional encoding, step by step
#
# The [positional encoding page](../blocks/positional-encoding.md) has the details. For
# position $pos$ and pair index $i = 0 \ldots \lceil E/2 \rceil - 1$, with frequency
# $\omega_i = 10000^{-2i/E}$:
#
# $$
# PE_{pos, 2i} = \sin(pos\,\omega_i), \qquad PE_{pos, 2i+1} = \cos(pos\,\omega_i).
# $$
#
# Each (sin, cos) pair is a point on the unit circle at angle $pos\,\omega_i$. Moving $k$
# positions turns it by $k\,\omega_i$ whatever $pos$ is: $PE_{pos+k} = R_k\, PE_{pos}$ with
# $R_k$ block-diagonal, one $2\times2$ rotation per pair, independent of $pos$.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.nn as nn
from minidl import reference

# %% [markdown]
# ## 1. The literal loop, the formula, and the module's table

# %%
L, E = 50, 16
loop = reference.positional_encoding(L, E)
omega = 10000.0 ** (-np.arange(0, E, 2) / E)               # (⌈E/2⌉,)
formula = np.zeros((L, E))
formula[:, 0::2], formula[:, 1::2] = np.sin(np.arange(L)[:, None] * omega), np.cos(np.arange(L)[:, None] * omega)
module = nn.PositionalEncoding(E, max_len=L)
print("formula vs loop:", np.abs(formula - loop).max())
print("module (a float32 table) vs loop:", np.abs(module.pe.numpy() - loop).max())
print("frequencies from", omega[0], "down to", omega[-1], "= 10000^(-(E-2)/E) =", 10000 ** (-(E - 2) / E))

# %% [markdown]
# ## 2. The gradient: the encoding is added, so the gradient passes through unchanged

# %%
x = md.tensor(np.random.default_rng(0).standard_normal((5, 2, E)), requires_grad=True)   # (L, N, E)
print(md.gradcheck(module, (x,)))
dy = np.random.default_rng(1).standard_normal((5, 2, E))
module(x).backward(dy)
print("x.grad == upstream:", np.array_equal(x.grad.numpy(), dy))

# %% [markdown]
# ## 3. Experiment: relative position is a rotation
#
# Build $R_k$ from the frequencies alone and check $PE_{pos+k} = R_k PE_{pos}$ for every
# $pos$; then see that $PE_{pos} \cdot PE_{pos+k}$ depends on $k$ only.

# %%
def rotation(k):
    R = np.zeros((E, E))
    for i, w in enumerate(omega):
        c, s = np.cos(k * w), np.sin(k * w)
        R[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, s], [-s, c]]      # (sin, cos) turned by k·ω_i
    return R


for k in (1, 5, 17):
    err = max(np.abs(rotation(k) @ loop[pos] - loop[pos + k]).max() for pos in range(L - k))
    print(f"k = {k:2d}: max over pos of |R_k PE_pos − PE_(pos+k)| = {err:.1e}")

gram = loop @ loop.T                                          # (L, L): PE_pos · PE_pos'
fig, (a0, a1) = plt.subplots(1, 2, figsize=(9.5, 3.6))
im = a0.imshow(gram, cmap="viridis")
a0.set(title="PE_pos · PE_pos′: constant along diagonals", xlabel="pos′", ylabel="pos")
fig.colorbar(im, ax=a0, fraction=0.046)
for pos in (0, 10, 25):
    a1.plot(range(L - pos), gram[pos, pos:], label=f"from pos = {pos}")
a1.set(xlabel="offset k", ylabel="PE_pos · PE_(pos+k)", title="the same curve from every pos")
a1.legend()
fig.tight_layout()
plt.show()
