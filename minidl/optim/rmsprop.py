"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, _lerp_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), PyTorch's algorithm step for step.

    At step t, for each parameter θ with gradient ∇f(θ) (γ lr, α alpha, ε eps,
    λ weight_decay, μ momentum; v, ḡ and b start at zero):

        g_t = −∇f(θ_{t−1}) if maximize else ∇f(θ_{t−1})
        g_t = g_t + λ θ_{t−1}                          (if λ ≠ 0)
        v_t = α v_{t−1} + (1 − α) g_t²                 (``square_avg``)
        ḡ_t = α ḡ_{t−1} + (1 − α) g_t                  (``grad_avg``, if centered)
        s_t = √(v_t − ḡ_t²) + ε if centered else √v_t + ε
        b_t = μ b_{t−1} + g_t / s_t,  θ_t = θ_{t−1} − γ b_t     (if μ > 0, ``momentum_buffer``)
        θ_t = θ_{t−1} − γ g_t / s_t                              (if μ = 0)

    ε is added after the square root, as PyTorch does. Centered RMSprop divides by an
    estimate of the gradient's standard deviation instead of its root mean square. The
    update is in place on the parameter's array, in its dtype; parameters whose ``grad``
    is None are skipped.

    Args:
        params: an iterable of Parameters, or of parameter-group dicts.
        lr: γ ≥ 0 (default 1e-2).
        alpha: smoothing constant α ≥ 0 (default 0.99).
        eps: ε ≥ 0 (default 1e-8).
        weight_decay: λ ≥ 0 (default 0).
        momentum: μ ≥ 0 (default 0).
        centered: subtract the squared running mean of g from v.
        maximize: ascend instead of descend.
        foreach: PyTorch's faster kernel for the same formula; accepted.
        capturable, differentiable: only False (True raises NotImplementedError).

    Raises:
        ValueError: lr, alpha, eps, weight_decay or momentum < 0; an empty parameter list.
        TypeError: params holds something that is not a Tensor.
        NotImplementedError: ``capturable=True`` or ``differentiable=True``.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> w = nn.Parameter(md.tensor([1.0], dtype=md.float64))
    >>> w.grad = md.tensor([2.0], dtype=md.float64)
    >>> optim.RMSprop([w], lr=0.01, alpha=0.75, eps=0.0).step()
    >>> w.numpy()                # v = 0.25 · 4 = 1, θ = 1 − 0.01 · 2 / √1
    array([0.98])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, group):
        for key in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            self._check_number(group, key, low=0)
        self._check_flags(group)

    def _update(self, theta, grad, state, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, mu = group["weight_decay"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(theta)
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(theta)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(theta)
        state["step"] += 1
        if wd != 0:
            g = g + wd * theta                               # L2 penalty λθ
        v = state["square_avg"]
        v *= alpha                                           # v = α v + (1 − α) g²
        v += (1 - alpha) * g * g
        if group["centered"]:
            g_avg = state["grad_avg"]
            _lerp_(g_avg, g, 1 - alpha)                      # ḡ = α ḡ + (1 − α) g
            s = np.sqrt(v + -1 * g_avg * g_avg)              # √(v − ḡ²)
        else:
            s = np.sqrt(v)
        s += eps
        if mu > 0:
            b = state["momentum_buffer"]
            b *= mu                                          # b = μ b + g / s
            b += g / s
            theta += -lr * b
        else:
            theta += -lr * g / s                             # θ = θ − γ g / s
