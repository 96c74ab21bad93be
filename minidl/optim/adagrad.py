"""Adagrad: per-weight learning rates from the sum of all squared gradients so far."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011), PyTorch's algorithm step for step.

    At step t = 1, 2, …, for each parameter θ with gradient ∇f(θ) (γ lr, η lr_decay,
    λ weight_decay, ε eps, s₀ = initial_accumulator_value):

        g_t = −∇f(θ_{t−1}) if maximize else ∇f(θ_{t−1})
        g_t = g_t + λ θ_{t−1}                         (if λ ≠ 0)
        γ_t = γ / (1 + (t − 1) η)
        s_t = s_{t−1} + g_t²                          (``sum``, starting at s₀)
        θ_t = θ_{t−1} − γ_t g_t / (√s_t + ε)

    As in PyTorch the state (``"step"`` = 0, ``"sum"`` = s₀) is created when the
    optimiser is, for every parameter it is given (later groups: at their first step),
    and s₀ is always the constructor's ``initial_accumulator_value``, even for a group
    that names its own (PyTorch's rule).
    The update is in place on the parameter's array, in its dtype; parameters whose
    ``grad`` is None are skipped.

    Args:
        params: an iterable of Parameters, or of parameter-group dicts.
        lr: γ ≥ 0 (default 1e-2).
        lr_decay: η ≥ 0 (default 0).
        weight_decay: λ ≥ 0 (default 0).
        initial_accumulator_value: s₀ ≥ 0 (default 0).
        eps: ε ≥ 0 (default 1e-10).
        maximize: ascend instead of descend.
        foreach, fused: PyTorch's faster kernels for the same formula; accepted.
        differentiable: only False (True raises NotImplementedError).

    Raises:
        ValueError: a hyper-parameter < 0; an empty parameter list.
        TypeError: params holds something that is not a Tensor.
        NotImplementedError: ``differentiable=True``.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> w = nn.Parameter(md.tensor([1.0], dtype=md.float64))
    >>> w.grad = md.tensor([3.0], dtype=md.float64)
    >>> optim.Adagrad([w], lr=0.1, initial_accumulator_value=16.0, eps=0.0).step()
    >>> w.numpy()                # s = 16 + 9 = 25, θ = 1 − 0.1 · 3 / 5
    array([0.94])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p.numpy())

    def _check_group(self, group):
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            self._check_number(group, key, low=0)
        self._check_flags(group)

    def _init_state(self, state, theta):
        state["step"] = 0
        state["sum"] = np.full_like(theta, self.defaults["initial_accumulator_value"])

    def _update(self, theta, grad, state, group):
        if not state:
            self._init_state(state, theta)
        state["step"] += 1
        t = state["step"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * theta            # L2 penalty λθ
        lr_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g                                           # s = s + g²
        theta += -lr_t * g / (np.sqrt(s) + group["eps"])     # θ = θ − γ_t g / (√s + ε)
