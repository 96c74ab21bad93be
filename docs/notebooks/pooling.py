# %% [markdown]
# # Max and average pooling, step by step
#
# The [pooling page](../blocks/pooling.md) has the derivations. For window $(i, j)$ with
# kernel $k$, stride $s$ and its set of positions $R_{ij}$:
#
# $$
# y^{\max}_{n,c,i,j} = \max_{(r, q) \in R_{ij}} x_{n,c,r,q}, \qquad
# y^{\text{avg}}_{n,c,i,j} = \frac{1}{D_{ij}} \sum_{(r, q) \in R_{ij}} \tilde x_{n,c,r,q}
# $$
#
# where the divisor $D_{ij}$ is $k^2$ by default (`count_include_pad=True`). The max's
# gradient goes to one element per window (the first maximum); the average's is spread
# as $1/D_{ij}$ over the window.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
from minidl import reference

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The literal loops, checked by hand

# %%
x = np.array([[[[1.0, 3.0, 2.0, 2.0],
                [0.0, 3.0, 2.0, 1.0],
                [4.0, 1.0, 0.0, 5.0],
                [2.0, 2.0, 1.0, 3.0]]]])
print(reference.max_pool2d(x, 2)[0, 0])        # max of each 2×2 block: 3, 2 / 4, 5
print(reference.avg_pool2d(x, 2)[0, 0])        # mean of each block: 7/4, 7/4 / 9/4, 9/4

# %% [markdown]
# ## 2. The fast ops against the loops
#
# The fast ops read every window as a strided view; they agree with the loops for every
# kernel, stride, padding, dilation and `ceil_mode`.

# %%
xr = rng.standard_normal((2, 3, 9, 9))
cases = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, ceil_mode=True)]
for kw in cases:
    err_max = np.abs(F.max_pool2d(md.tensor(xr), **kw).numpy() - reference.max_pool2d(xr, **kw)).max()
    err_avg = np.abs(F.avg_pool2d(md.tensor(xr), **kw).numpy() - reference.avg_pool2d(xr, **kw)).max()
    print(kw, f"max: {err_max:.1e}   avg: {err_avg:.1e}")

# %% [markdown]
# ## 3. Where the gradient goes, and the gradient check
#
# In the top-left window above, 3 appears twice; in the top-right one, 2 appears three
# times. The whole gradient of a window goes to its *first* maximum in row-major order
# (PyTorch's choice).

# %%
xt = md.tensor(x, requires_grad=True)
F.max_pool2d(xt, 2).backward(np.ones((1, 1, 2, 2)))
print(xt.grad.numpy()[0, 0])

# away from ties (random inputs), against central differences with gradcheck
xg = md.tensor(rng.standard_normal((2, 2, 7, 7)), requires_grad=True)
print(md.gradcheck(lambda t: F.max_pool2d(t, 3, stride=2, padding=1), (xg,)),
      md.gradcheck(lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, count_include_pad=False), (xg,)))

# %% [markdown]
# ## 4. Experiment: how much does max pooling ignore a one-pixel shift?
#
# Shift a random smooth image one pixel to the right and count the max-pooling outputs
# that do not change, for growing kernels (stride = kernel). Larger windows make the output
# more invariant to small shifts.

# %%
img = rng.standard_normal((1, 1, 66, 66))
img = F.avg_pool2d(md.tensor(img), 3, stride=1).numpy()        # smooth it a little: (1, 1, 64, 64)
shifted = np.roll(img, 1, axis=3)
kernels = [1, 2, 3, 4, 6, 8]
same = []
for k in kernels:
    a = F.max_pool2d(md.tensor(img[..., :, 8:56]), k).numpy()
    b = F.max_pool2d(md.tensor(shifted[..., :, 8:56]), k).numpy()
    same.append(np.isclose(a, b).mean())

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(kernels, same, "o-")
ax.set(xlabel="kernel size k (stride k)", ylabel="outputs unchanged", ylim=(0, 1),
       title="max pooling after a 1-pixel shift")
fig.tight_layout()
plt.show()
