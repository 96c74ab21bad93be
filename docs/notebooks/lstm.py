# %% [markdown]
# # The LSTM, step by step
#
# The [LSTM page](../blocks/lstm.md) derives the gradients. In batched rows, with the
# gates stacked in PyTorch's order $i, f, g, o$:
#
# $$
# [i, f, g, o] = [\sigma, \sigma, \tanh, \sigma]\big(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}\big),
# $$
#
# $$
# c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t).
# $$
#
# The cell path $c_{t-1} \to c_t$ has no matrix and no squashing: along it the gradient is
# multiplied by $f$ only.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as md
import minidl.functional as F
from minidl import reference

rng = np.random.default_rng(0)
N, D, H = 3, 4, 5

# %% [markdown]
# ## 1. The literal loop against the fast cell

# %%
x = rng.standard_normal((N, D))
h, c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
w_ih, w_hh = 0.5 * rng.standard_normal((4 * H, D)), 0.5 * rng.standard_normal((4 * H, H))
b_ih, b_hh = 0.5 * rng.standard_normal(4 * H), 0.5 * rng.standard_normal(4 * H)
h_loop, c_loop = reference.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
h_fast, c_fast = F.lstm_cell(md.tensor(x), (md.tensor(h), md.tensor(c)), *map(md.tensor, (w_ih, w_hh, b_ih, b_hh)))
print("max |fast − loop|:", np.abs(h_fast.numpy() - h_loop).max(), np.abs(c_fast.numpy() - c_loop).max())

# one unit by hand: the forget gate is rows H..2H of the stacked weights
z = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh                       # (N, 4H)
sig = lambda a: 1 / (1 + np.exp(-a))
i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
print(np.allclose(c_loop, f * c + i * g), np.allclose(h_loop, o * np.tanh(f * c + i * g)))

# %% [markdown]
# ## 2. The gradient check (inputs, both states, all four weights and biases)

# %%
args = [md.tensor(a, requires_grad=True) for a in (x, h, c, w_ih, w_hh, b_ih, b_hh)]
print(md.gradcheck(lambda x, h, c, *w: F.lstm_cell(x, (h, c), *w), tuple(args)))

# %% [markdown]
# ## 3. Experiment: why the cell path keeps gradients alive
#
# Over 50 steps, compare $\lVert\partial L/\partial c_0\rVert$ for an LSTM whose forget
# gates sit near 1 (forget bias $+3$) with $\lVert\partial L/\partial h_0\rVert$ for a
# vanilla RNN of the same size and weight scale; $L = \lVert h_T \rVert^2$.

# %%
T = 50
xs = rng.standard_normal((T, N, D))
W_ih, W_hh = md.tensor(0.3 * rng.standard_normal((4 * H, D))), md.tensor(0.3 * rng.standard_normal((4 * H, H)))
bias = np.zeros(4 * H)
bias[H:2 * H] = 3.0                                              # forget gate f = σ(≈3) ≈ 0.95
B = md.tensor(bias)
W_xh, R_hh = md.tensor(0.3 * rng.standard_normal((H, D))), md.tensor(0.3 * rng.standard_normal((H, H)))
lstm_norms, rnn_norms = [], []
Ts = range(2, T + 1, 2)
for steps in Ts:
    h0 = md.tensor(np.zeros((N, H)), requires_grad=True)
    c0 = md.tensor(np.zeros((N, H)), requires_grad=True)
    hl, cl, hr = h0, c0, h0
    for t in range(steps):
        hl, cl = F.lstm_cell(md.tensor(xs[t]), (hl, cl), W_ih, W_hh, B)
    (hl ** 2).sum().backward()
    lstm_norms.append(np.linalg.norm(c0.grad.numpy()))
    h0.grad = None
    for t in range(steps):
        hr, _ = F.rnn_step(md.tensor(xs[t]), hr, W_xh, R_hh)
    (hr ** 2).sum().backward()
    rnn_norms.append(np.linalg.norm(h0.grad.numpy()))

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(Ts, lstm_norms, label="LSTM: ‖∂L/∂c₀‖ (forget bias 3)")
ax.semilogy(Ts, rnn_norms, label="RNN: ‖∂L/∂h₀‖")
ax.set(xlabel="steps T", ylabel="gradient norm", title="the gradient reaching the first state")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
print(f"after {T} steps: LSTM {lstm_norms[-1]:.2e}, RNN {rnn_norms[-1]:.2e}")
