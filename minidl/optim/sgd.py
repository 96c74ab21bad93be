"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from .optimizer import Optimizer
from typing import Any, Iterable

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, PyTorch's algorithm step for step.

    At step t, for each parameter θ with gradient ∇f(θ) (γ lr, λ weight_decay,
    μ momentum, τ dampening, b the momentum buffer):

        g_t = −∇f(θ_{t−1}) if maximize else ∇f(θ_{t−1})
        g_t = g_t + λ θ_{t−1}                            (if λ ≠ 0)
        b_t = g_t                        at the first step (no dampening yet)
        b_t = μ b_{t−1} + (1 − τ) g_t    afterwards       (if μ ≠ 0)
        g_t = g_t + μ b_t if nesterov else b_t            (if μ ≠ 0)
        θ_t = θ_{t−1} − γ g_t

    (PyTorch negates the gradient for ``maximize`` *before* adding the weight decay, and
    so does minidl.) The update is in place on the parameter's array, in its dtype;
    parameters whose ``grad`` is None are skipped. With μ = 0 no state is kept; otherwise
    the state is ``"momentum_buffer"`` (b).

    Args:
        params: an iterable of Parameters, or of parameter-group dicts
            ``{"params": [...], "lr": ...}``.
        lr: learning rate γ ≥ 0 (default 1e-3).
        momentum: μ ≥ 0 (default 0).
        dampening: τ (default 0).
        weight_decay: λ ≥ 0, an L2 penalty added to the gradient (default 0).
        nesterov: Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: ascend instead of descend.
        foreach, fused: PyTorch's faster kernels for the same formula; accepted, and the
            update is minidl's one loop either way.
        differentiable: only False (True raises NotImplementedError).

    Raises:
        ValueError: lr, momentum or weight_decay < 0; nesterov without momentum or with
            dampening; an empty parameter list.
        TypeError: params holds something that is not a Tensor.
        NotImplementedError: ``differentiable=True``.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> w = nn.Parameter(md.tensor([1.0, 2.0]))
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()          # ∂/∂w = 2w = [2, 4]
    >>> opt.step()
    >>> w.numpy()                         # w − 0.1 · 2w
    array([0.8, 1.6], dtype=float32)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _check_group(self, group):
        self._check_number(group, "lr", low=0)
        self._check_number(group, "momentum", low=0)
        self._check_number(group, "dampening")
        self._check_number(group, "weight_decay", low=0)
        self._check_flags(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, theta, grad, state, group):
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        wd = group["weight_decay"]
        g = -grad if group["maximize"] else grad
        if wd != 0:
            g = g + wd * theta                               # L2 penalty λθ
        if mu != 0:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = g.copy()      # b_1 = g_1
            else:
                b *= mu                                      # b_t = μ b_{t−1} + (1 − τ) g_t
                b += (1 - tau) * g
            g = g + mu * b if group["nesterov"] else b
        theta += -lr * g                                     # θ_t = θ_{t−1} − γ g_t
