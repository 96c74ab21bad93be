"""Adadelta: steps scaled by the ratio of running RMS of past updates and gradients."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's algorithm step for step.

    At step t, for each parameter θ with gradient ∇f(θ) (γ lr, ρ rho, ε eps,
    λ weight_decay; v and u start at zero):

        g_t = −∇f(θ_{t−1}) if maximize else ∇f(θ_{t−1})
        g_t = g_t + λ θ_{t−1}                            (if λ ≠ 0)
        v_t = ρ v_{t−1} + (1 − ρ) g_t²                   (``square_avg``)
        Δ_t = √(u_{t−1} + ε) / √(v_t + ε) · g_t
        u_t = ρ u_{t−1} + (1 − ρ) Δ_t²                   (``acc_delta``)
        θ_t = θ_{t−1} − γ Δ_t

    The ratio of root-mean-squares gives each weight its own step size in the weight's
    own units; γ = 1 is the paper's method, and PyTorch's default. The update is in place
    on the parameter's array, in its dtype; parameters whose ``grad`` is None are skipped.

    Args:
        params: an iterable of Parameters, or of parameter-group dicts.
        lr: γ ≥ 0 (default 1.0).
        rho: ρ in [0, 1] (default 0.9).
        eps: ε ≥ 0 (default 1e-6).
        weight_decay: λ ≥ 0 (default 0).
        maximize: ascend instead of descend.
        foreach: PyTorch's faster kernel for the same formula; accepted.
        capturable, differentiable: only False (True raises NotImplementedError).

    Raises:
        ValueError: lr, eps or weight_decay < 0, rho outside [0, 1]; an empty parameter list.
        TypeError: params holds something that is not a Tensor.
        NotImplementedError: ``capturable=True`` or ``differentiable=True``.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> w = nn.Parameter(md.tensor([1.0], dtype=md.float64))
    >>> w.grad = md.tensor([2.0], dtype=md.float64)
    >>> optim.Adadelta([w], rho=0.0, eps=1.0).step()
    >>> w.numpy()                # v = 4, Δ = √1 / √5 · 2, θ = 1 − Δ
    array([0.10557281])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, capturable=capturable, foreach=foreach,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_number(group, "lr", low=0)
        self._check_number(group, "rho", low=0, high=1, high_inclusive=True)
        self._check_number(group, "eps", low=0)
        self._check_number(group, "weight_decay", low=0)
        self._check_flags(group)

    def _update(self, theta, grad, state, group):
        lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(theta)
            state["acc_delta"] = np.zeros_like(theta)
        state["step"] += 1
        g = -grad if group["maximize"] else grad
        if wd != 0:
            g = g + wd * theta                               # L2 penalty λθ
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho                                             # v = ρ v + (1 − ρ) g²
        v += (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g      # Δ = √(u + ε)/√(v + ε) · g
        u *= rho                                             # u = ρ u + (1 − ρ) Δ²
        u += (1 - rho) * delta * delta
        theta += -lr * delta                                 # θ = θ − γ Δ
