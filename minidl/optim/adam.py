"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
import math

import numpy as np

from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), PyTorch's algorithm step for step.

    At step t = 1, 2, …, for each parameter θ with gradient ∇f(θ) (γ lr, β₁ β₂ betas,
    ε eps, λ weight_decay; m and v start at zero):

        g_t = −∇f(θ_{t−1}) if maximize else ∇f(θ_{t−1})
        g_t = g_t + λ θ_{t−1}                     (Adam: L2 penalty in the gradient)
        m_t = β₁ m_{t−1} + (1 − β₁) g_t           first moment   (``exp_avg``)
        v_t = β₂ v_{t−1} + (1 − β₂) g_t²          second moment  (``exp_avg_sq``)
        v̂_t = max(v̂_{t−1}, v_t) if amsgrad else v_t          (``max_exp_avg_sq``)
        θ_t = θ_{t−1} − γ/(1 − β₁ᵗ) · m_t / (√v̂_t / √(1 − β₂ᵗ) + ε)

    that is θ ← θ − γ m̂ / (√v̂ + ε) with the bias corrections m̂ = m/(1 − β₁ᵗ),
    v̂ = v/(1 − β₂ᵗ), ε added after the square root as PyTorch does. The update is in
    place on ``p._array``, in ``p``'s dtype; parameters whose ``grad`` is None are skipped
    (their step count does not advance).

    Args:
        params: an iterable of Parameters, or of parameter-group dicts.
        lr: γ ≥ 0 (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε ≥ 0 (default 1e-8).
        weight_decay: λ ≥ 0 (default 0).
        amsgrad: use the running maximum of v (AMSGrad).
        maximize: ascend instead of descend.

    Raises:
        ValueError: lr, eps or weight_decay < 0, a beta outside [0, 1), an empty
            parameter list.
        TypeError: params holds something that is not a Tensor; betas is not a pair.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> w = nn.Parameter(md.tensor([1.0, -2.0]))
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                        # the first step moves each weight by ≈ lr
    >>> w.data                            # float32 arithmetic, bit for bit as PyTorch's
    tensor([ 0.90000004, -1.9       ])
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        name = type(self).__name__
        self._check_number(group, "lr", low=0)
        self._check_number(group, "eps", low=0)
        self._check_number(group, "weight_decay", low=0)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = tuple(betas)
        for j, beta in enumerate(betas):
            if not isinstance(beta, (int, float, np.floating)) or isinstance(beta, bool):
                raise TypeError(f"{name}: betas[{j}] must be a number, got "
                                f"{type(beta).__name__}")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: betas[{j}] must be in [0, 1), got {beta}")

    def _update(self, p, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p._array)
            state["exp_avg_sq"] = np.zeros_like(p._array)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p._array)
        state["step"] += 1
        t = state["step"]
        if wd != 0:
            if self._decoupled:
                p._array *= 1 - lr * wd                       # AdamW: θ ← θ(1 − γλ)
            else:
                g = g + wd * p._array                         # Adam: g ← g + λθ
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1                                          # m = β₁ m + (1 − β₁) g
        m += (1 - beta1) * g
        v *= beta2                                          # v = β₂ v + (1 − β₂) g²
        v += (1 - beta2) * (g * g)
        if group["amsgrad"]:
            v_max = state.setdefault("max_exp_avg_sq", np.zeros_like(p._array))
            np.maximum(v_max, v, out=v_max)                 # v̂ = max(v̂, v)
            v = v_max
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step_size = lr / bias_correction1
        denom = np.sqrt(v) / math.sqrt(bias_correction2) + eps   # a Python float: no up-cast
        p._array -= step_size * (m / denom)


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with *decoupled* weight decay.

    Before the Adam step (with no λθ in the gradient) every weight shrinks:

        θ_{t−1} ← θ_{t−1} (1 − γ λ)
        g_t = ±∇f(θ_{t−1}),  m_t, v_t, v̂_t as in :class:`Adam`
        θ_t = θ_{t−1} − γ/(1 − β₁ᵗ) · m_t / (√v̂_t / √(1 − β₂ᵗ) + ε)

    The gradient is taken at the weights before the shrink, as in PyTorch.

    Args:
        params, lr, betas, eps, amsgrad, maximize: as in :class:`Adam`.
        weight_decay: λ ≥ 0 (default 1e-2).

    Raises:
        ValueError / TypeError: as :class:`Adam`.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> w = nn.Parameter(md.tensor([1.0]))
    >>> w.grad = md.zeros(1).data                  # no gradient signal: only the decay
    >>> optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    >>> w.data                                     # 1 · (1 − 0.1 · 0.5)
    tensor([0.95])
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
