# %% [markdown]
# # Convolution, step by step
#
# The [convolution page](../blocks/convolution.md) derives everything used here. The formula
# (a cross-correlation: the kernel is not flipped), for stride $s$, padding $p$, dilation $d$:
#
# $$
# y_{n,o,i,j} = b_o + \sum_{c} \sum_{u} \sum_{v}
# \tilde x_{n,\, c,\, i s + u d,\, j s + v d}\; w_{o,c,u,v}
# $$
#
# with $\tilde x$ the zero-padded input. Input $(N, C_{in}, H, W)$, weight $(C_{out}, C_{in}, kH, kW)$.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
from minidl import reference

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The literal loop
#
# `minidl.reference.conv2d` has one Python `for` per index of the formula. On a tiny case we
# can check one output element by hand: the top-left window times the kernel.

# %%
x = rng.standard_normal((2, 3, 6, 6))          # (N, C_in, H, W)
w = rng.standard_normal((4, 3, 3, 3))          # (C_out, C_in, kH, kW)
b = rng.standard_normal(4)
y_loop = reference.conv2d(x, w, b, stride=1, padding=1)
by_hand = b[0] + (np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))[0, :, 0:3, 0:3] * w[0]).sum()
print(y_loop.shape, y_loop[0, 0, 0, 0], by_hand)

# %% [markdown]
# ## 2. The fast op
#
# `F.conv2d` builds the im2col matrix of windows as a strided view and does one matrix
# product. It must agree with the loop to rounding, for every stride, padding and dilation.

# %%
for stride, padding, dilation in [(1, 0, 1), (2, 1, 1), (1, 2, 2)]:
    fast = F.conv2d(md.tensor(x), md.tensor(w), md.tensor(b), stride=stride, padding=padding, dilation=dilation)
    loop = reference.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    print(f"stride {stride} padding {padding} dilation {dilation}: shape {fast.shape}, "
          f"max |fast − loop| = {np.abs(fast.numpy() - loop).max():.1e}")

t0 = time.perf_counter()
reference.conv2d(x, w, b, padding=1)
t1 = time.perf_counter()
F.conv2d(md.tensor(x), md.tensor(w), md.tensor(b), padding=1)
t2 = time.perf_counter()
print(f"loop {1e3 * (t1 - t0):.1f} ms, fast {1e3 * (t2 - t1):.2f} ms")

# %% [markdown]
# ## 3. The gradient check
#
# `md.gradcheck` compares the backward (col2im for the input, one GEMM for the weight, a sum
# for the bias) with central differences, in float64, including groups.

# %%
xt = md.tensor(rng.standard_normal((2, 4, 5, 5)), requires_grad=True)
wt = md.tensor(rng.standard_normal((6, 2, 3, 3)), requires_grad=True)   # groups=2: C_in/g = 2
bt = md.tensor(rng.standard_normal(6), requires_grad=True)
print(md.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2), (xt, wt, bt)))

# %% [markdown]
# ## 4. Experiment: learn an edge detector
#
# Make pairs (image, its Sobel edges) and fit a $3\times3$ kernel to them with gradient
# descent: the loss falls and the learned kernel becomes the Sobel kernel.

# %%
sobel = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])[None, None]
images = rng.standard_normal((16, 1, 12, 12))
target = md.tensor(reference.conv2d(images, sobel))

kernel = md.tensor(0.1 * rng.standard_normal((1, 1, 3, 3)), requires_grad=True)
opt = md.optim.SGD([kernel], lr=0.05)
losses = []
for _ in range(60):
    opt.zero_grad()
    loss = ((F.conv2d(md.tensor(images), kernel) - target) ** 2).mean()
    loss.backward()
    opt.step()
    losses.append(loss.item())

fig, (a0, a1, a2) = plt.subplots(1, 3, figsize=(9, 2.8))
a0.semilogy(losses)
a0.set(xlabel="step", ylabel="mean squared error", title="fitting the kernel")
for ax, k, title in [(a1, sobel[0, 0], "Sobel kernel"), (a2, kernel.detach().numpy()[0, 0], "learned kernel")]:
    ax.imshow(k, cmap="RdBu", vmin=-2, vmax=2)
    for (i, j), v in np.ndenumerate(k):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center")
    ax.set(title=title, xticks=[], yticks=[])
fig.tight_layout()
plt.show()
