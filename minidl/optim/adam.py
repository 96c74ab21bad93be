"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, _lerp_

__all__ = ["Adam", "AdamW"]


def _check_betas(opt, group):
    name, betas = type(opt).__name__, group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    group["betas"] = tuple(betas)
    for j, beta in enumerate(betas):
        if not isinstance(beta, (int, float, np.floating)) or isinstance(beta, bool):
            raise TypeError(f"{name}: betas[{j}] must be a number, got {type(beta).__name__}")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{name}: betas[{j}] must be in [0, 1), got {beta}")


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
    v̂ = v/(1 − β₂ᵗ), ε added after the square root as PyTorch does. With
    ``decoupled_weight_decay=True`` the decay is AdamW's (θ ← θ(1 − γλ) before the step,
    no λθ in g). The update is in place on the parameter's array, in its dtype;
    parameters whose ``grad`` is None are skipped (their ``"step"`` does not advance).

    Args:
        params: an iterable of Parameters, or of parameter-group dicts.
        lr: γ ≥ 0 (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε ≥ 0 (default 1e-8).
        weight_decay: λ ≥ 0 (default 0).
        amsgrad: use the running maximum of v (AMSGrad).
        maximize: ascend instead of descend.
        decoupled_weight_decay: AdamW's decay instead of the L2 penalty.
        foreach, fused: PyTorch's faster kernels for the same formula; accepted, and the
            update is minidl's one loop either way.
        capturable, differentiable: only False (True raises NotImplementedError).

    Raises:
        ValueError: lr, eps or weight_decay < 0, a beta outside [0, 1), an empty
            parameter list.
        TypeError: params holds something that is not a Tensor; betas is not a pair.
        NotImplementedError: ``capturable=True`` or ``differentiable=True``.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> w = nn.Parameter(md.tensor([1.0, -2.0]))
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                        # the first step moves each weight by ≈ lr
    >>> w.numpy()                         # float32 arithmetic, as PyTorch gives it
    array([ 0.90000004, -1.9       ], dtype=float32)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_number(group, "lr", low=0)
        self._check_number(group, "eps", low=0)
        self._check_number(group, "weight_decay", low=0)
        _check_betas(self, group)
        self._check_flags(group)

    def _update(self, theta, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(theta)
            state["exp_avg_sq"] = np.zeros_like(theta)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(theta)
        state["step"] += 1
        t = state["step"]
        if wd != 0:
            if group["decoupled_weight_decay"]:
                theta *= 1 - lr * wd                        # AdamW: θ ← θ(1 − γλ)
            else:
                g = g + wd * theta                          # Adam: g ← g + λθ
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(m, g, 1 - beta1)                             # m = β₁ m + (1 − β₁) g
        v *= beta2                                          # v = β₂ v + (1 − β₂) g²
        v += (1 - beta2) * g * g
        if group["amsgrad"]:
            v_max = state.setdefault("max_exp_avg_sq", np.zeros_like(theta))
            np.maximum(v_max, v, out=v_max)                 # v̂ = max(v̂, v)
            v = v_max
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step_size = lr / bias_correction1
        denom = np.sqrt(v) / math.sqrt(bias_correction2) + eps   # a Python float: no up-cast
        theta += -step_size * m / denom


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with *decoupled* weight decay.

    Before the Adam step (with no λθ in the gradient) every weight shrinks:

        θ_{t−1} ← θ_{t−1} (1 − γ λ)
        g_t = ±∇f(θ_{t−1}),  m_t, v_t, v̂_t as in :class:`Adam`
        θ_t = θ_{t−1} − γ/(1 − β₁ᵗ) · m_t / (√v̂_t / √(1 − β₂ᵗ) + ε)

    The gradient is taken at the weights before the shrink, as in PyTorch. The groups
    hold ``decoupled_weight_decay=True``, as PyTorch's do.

    Args:
        params, lr, betas, eps, amsgrad, maximize, foreach, capturable, differentiable,
            fused: as in :class:`Adam`.
        weight_decay: λ ≥ 0 (default 1e-2).

    Raises:
        ValueError / TypeError / NotImplementedError: as :class:`Adam`.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> w = nn.Parameter(md.tensor([1.0]))
    >>> w.grad = md.zeros(1)                       # no gradient signal: only the decay
    >>> optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    >>> w.numpy()                                  # 1 · (1 − 0.1 · 0.5)
    array([0.95], dtype=float32)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
