"""``minidl.optim.lr_scheduler``: learning rates that change as training goes on.

A scheduler changes ``optimizer.param_groups[i]["lr"]`` each time its ``step()`` is
called (once per epoch, or once per batch for OneCycleLR), after ``optimizer.step()``::

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)
        sched.step()

Each scheduler gives PyTorch's learning rate at every step, computed the way PyTorch
computes it. Most are *chainable*: ``step()`` turns the group's current lr into the next
one (StepLR multiplies by γ every ``step_size`` epochs), so two schedulers on one
optimiser compose, and an lr changed by hand carries on from its new value. A few are
functions of the step count (LambdaLR, OneCycleLR). ``step(epoch)`` (deprecated in
PyTorch) jumps to an epoch with the *closed form*, the formula in each docstring.

Creating a scheduler stores each group's starting lr as ``group["initial_lr"]`` (unless
already there) and makes the first step (``last_epoch`` becomes 0). ``state_dict()`` is
every attribute but the optimiser, with PyTorch's names (``last_epoch``, ``base_lrs``,
``_last_lr``, ``_step_count``, the hyper-parameters), so a checkpoint resumes exactly;
``md.save`` can write it.
"""
from __future__ import annotations

import math
import numbers
import types
import warnings
from bisect import bisect_right
from collections import Counter
from typing import Any, Callable, Iterable, Mapping, Sequence

from .optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "LinearLR", "OneCycleLR", "ReduceLROnPlateau"]

_EPOCH_DEPRECATED = ("The epoch parameter in `scheduler.step()` was deprecated by PyTorch "
                     "(it jumps with the closed form); call `scheduler.step()` without it.")


def _check_optimizer(name, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: optimizer must be a minidl.optim Optimizer, got "
                        f"{type(optimizer).__name__}")


def _check_real(name, key, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` must be a real number in the interval given; returns it."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name}: {key} must be a number, got {type(value).__name__}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name}: {key} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name}: {key} must be {'<' if high_open else '<='} {high}, "
                         f"got {value}")
    return value


def _check_int(name, key, value, low):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name}: {key} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name}: {key} must be >= {low}, got {value}")
    return int(value)


def _per_group(name, key, optimizer, value):
    """One value per parameter group: a list of that length, or one value repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name}: {key} has {len(value)} values, the optimizer "
                             f"{len(optimizer.param_groups)} parameter groups")
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base class: a subclass writes ``get_lr()`` (the chainable rule) and, where there
    is one, ``_get_closed_form_lr()``.

    Args:
        optimizer: the :class:`~minidl.optim.Optimizer` whose ``lr`` values it changes.
        last_epoch: the index of the last epoch done; -1 (default) starts afresh. A value
            ≥ 0 resumes, and needs ``initial_lr`` in every group.

    Raises:
        TypeError: ``optimizer`` is not an Optimizer.
        KeyError: ``last_epoch`` ≥ 0 and a group has no ``initial_lr``.
    """

    _is_initial = False
    optimizer: Optimizer
    base_lrs: list[float]
    last_epoch: int

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        if not isinstance(last_epoch, numbers.Integral) or isinstance(last_epoch, bool):
            raise TypeError(f"{name}: last_epoch must be an int, got "
                            f"{type(last_epoch).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: param 'initial_lr' is not specified in "
                                   f"param_groups[{i}] when resuming with last_epoch="
                                   f"{last_epoch}; load the optimizer's state dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The next lr of every group (the chainable rule); ``step()`` calls it."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lr of every group as the last ``step()`` left it (a list)."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (``last_epoch += 1``) and set each group's lr.

        Args:
            epoch: deprecated in PyTorch: jump to this epoch with the closed form.
        """
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(_EPOCH_DEPRECATED, UserWarning, stacklevel=2)
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimiser (PyTorch's names), for a checkpoint."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (by this library or PyTorch's)."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict, got "
                            f"{type(state_dict).__name__}")
        self.__dict__.update(state_dict)
        if "_last_lr" in state_dict:
            self._last_lr = list(self._last_lr)
        if "base_lrs" in state_dict:
            self.base_lrs = list(self.base_lrs)

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


_LRScheduler = LRScheduler   # PyTorch's old name


class LambdaLR(LRScheduler):
    r"""lr = base_lr · λ(epoch), with a function λ per group (or one for all).

        η_t = η_0 · λ(t)          (η_0 the group's ``initial_lr``, t = ``last_epoch``)

    Args:
        optimizer: the optimiser.
        lr_lambda: a function of the epoch (an int) returning a factor, or a list with one
            function per parameter group.
        last_epoch: -1 to start afresh (default).

    Raises:
        ValueError: a list of functions whose length is not the number of groups.
        TypeError: ``lr_lambda`` (or an entry) is not callable.

    ``state_dict()`` keeps what is not a plain function: a callable object's attributes
    (as PyTorch does); plain functions and lambdas are left out (``None``).

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> opt = optim.SGD([nn.Parameter(md.zeros(1))], lr=1.0)
    >>> sched = optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5 ** epoch)
    >>> for _ in range(3):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.125]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer("LambdaLR", optimizer)
        self.optimizer = optimizer
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(f"LambdaLR: expected {len(optimizer.param_groups)} "
                                 f"lr_lambdas (one per parameter group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        for j, fn in enumerate(self.lr_lambdas):
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be callable (a function of the "
                                f"epoch), got {type(fn).__name__} for group {j}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * fn(self.last_epoch)
                for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        state = dict(state_dict)
        saved_fns = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state)
        for fn, saved in zip(self.lr_lambdas, saved_fns):
            if saved is not None:
                fn.__dict__.update(saved)


class StepLR(LRScheduler):
    r"""Multiply the lr by γ every ``step_size`` epochs.

        η_t = η_0 · γ^⌊t / step_size⌋

    (chainable: at an epoch t > 0 divisible by ``step_size`` the current lr is
    multiplied by γ; otherwise it is kept.)

    Args:
        optimizer: the optimiser.
        step_size: the period, an int ≥ 1.
        gamma: the factor γ (default 0.1).
        last_epoch: -1 to start afresh (default).

    Raises:
        ValueError: ``step_size`` < 1.  TypeError: a non-int ``step_size``.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> opt = optim.SGD([nn.Parameter(md.zeros(1))], lr=1.0)
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _check_int("StepLR", "step_size", step_size, 1)
        self.gamma = _check_real("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply the lr by γ at each milestone epoch.

        η_t = η_0 · γ^(number of milestones ≤ t)

    (chainable: at a milestone the current lr is multiplied by γ — by γᵏ if the
    milestone is listed k times.)

    Args:
        optimizer: the optimiser.
        milestones: epochs (ints) at which to decay.
        gamma: the factor γ (default 0.1).
        last_epoch: -1 to start afresh (default).

    Raises:
        TypeError: a milestone that is not an int.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> opt = optim.SGD([nn.Parameter(md.zeros(1))], lr=1.0)
    >>> sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        milestones = list(milestones)
        for m in milestones:
            if not isinstance(m, numbers.Integral) or isinstance(m, bool):
                raise TypeError(f"MultiStepLR: milestones must be ints, got {m!r}")
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = _check_real("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base_lr in self.base_lrs]

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        # md.load gives the Counter back as a plain dict with int keys
        self.milestones = Counter({int(k): int(v) for k, v in dict(self.milestones).items()})


class ExponentialLR(LRScheduler):
    r"""Multiply the lr by γ every epoch.

        η_t = η_0 · γᵗ

    Args:
        optimizer: the optimiser.
        gamma: the factor γ.
        last_epoch: -1 to start afresh (default).

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> opt = optim.SGD([nn.Parameter(md.zeros(1))], lr=1.0)
    >>> sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> opt.step(); sched.step(); opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _check_real("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from η_0 down to η_min over ``T_max`` epochs (SGDR without
    restarts); past T_max the cosine goes on, back up and down with period 2·T_max.

        η_t = η_min + (η_0 − η_min) · (1 + cos(π t / T_max)) / 2

    PyTorch computes it chainably, and so does minidl: each step scales the distance
    to η_min by the ratio of consecutive cosine terms,

        η_t = η_min + (η_{t−1} − η_min) · (1 + cos(π t / T_max)) / (1 + cos(π (t−1) / T_max)),

    except when that ratio is 0/0 (t − 1 − T_max a multiple of 2 T_max, at the bottom),
    where it adds (η_0 − η_min)(1 − cos(π / T_max)) / 2.

    Args:
        optimizer: the optimiser.
        T_max: the half period, an int ≥ 1.
        eta_min: the lowest lr η_min (default 0).
        last_epoch: -1 to start afresh (default).

    Raises:
        ValueError: ``T_max`` < 1.  TypeError: a non-int ``T_max``.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> opt = optim.SGD([nn.Parameter(md.zeros(1))], lr=1.0)
    >>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
    >>> opt.step(); sched.step()
    >>> round(sched.get_last_lr()[0], 12)       # (1 + cos(π/2)) / 2
    0.5
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = _check_int("CosineAnnealingLR", "T_max", T_max, 1)
        self.eta_min = _check_real("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:      # resumed: the closed form, once
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base_lr in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:            # at the bottom: the ratio would be 0/0
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, lr in zip(self.base_lrs, self._current_lrs())]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        return [eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T)) / 2
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale the lr by a factor that goes linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then stays (a warm-up).

        η_t = η_0 · (f_s + (f_e − f_s) · min(t, total_iters) / total_iters)

    Chainable, as in PyTorch: epoch 0 multiplies the current lr by f_s; each epoch
    1 … total_iters multiplies it by the ratio of consecutive factors,
    1 + (f_e − f_s) / (total_iters · f_s + (t − 1)(f_e − f_s)).

    Args:
        optimizer: the optimiser.
        start_factor: f_s in (0, 1] (default 1/3).
        end_factor: f_e in [0, 1] (default 1).
        total_iters: the number of epochs of the ramp (default 5).
        last_epoch: -1 to start afresh (default).

    Raises:
        ValueError: a factor out of its range.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> opt = optim.SGD([nn.Parameter(md.zeros(1))], lr=1.0)
    >>> sched = optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor = _check_real("LinearLR", "start_factor", start_factor,
                                        low=0, high=1, low_open=True)
        self.end_factor = _check_real("LinearLR", "end_factor", end_factor, low=0, high=1)
        self.total_iters = _check_int("LinearLR", "total_iters", total_iters, 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        f_s, f_e, n, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [lr * f_s for lr in self._current_lrs()]
        if self._is_initial or t > n:
            return self._current_lrs()
        ratio = 1.0 + (f_e - f_s) / (n * f_s + (t - 1) * (f_e - f_s))
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        f_s, f_e, n = self.start_factor, self.end_factor, self.total_iters
        return [base_lr * (f_s + (f_e - f_s) * min(n, self.last_epoch) / n)
                for base_lr in self.base_lrs]


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2018): the lr climbs from max_lr/div_factor to
    max_lr, then anneals far below; momentum (or Adam's β₁) moves the opposite way.
    Step it after every *batch*.

    With T = ``total_steps`` (or ``epochs · steps_per_epoch``), p = pct_start, phase ends
    s₁ = pT − 1 and s₂ = T − 1, η_init = max_lr / div_factor and
    η_min = η_init / final_div_factor:

        phase 1 (t ≤ s₁):  η_t = anneal(η_init, max_lr, t / s₁)
        phase 2:           η_t = anneal(max_lr, η_min, (t − s₁) / (s₂ − s₁))

    where anneal(a, b, x) = b + (a − b)(1 + cos πx)/2 ('cos') or a + (b − a)x ('linear').
    With ``three_phase`` the phases are η_init → max_lr until pT − 1, back to η_init until
    2pT − 2, then down to η_min at T − 1. Momentum follows max_momentum → base_momentum →
    max_momentum on the same clock when ``cycle_momentum``. The groups get PyTorch's keys
    ``initial_lr``, ``max_lr``, ``min_lr``, ``max_momentum``, ``base_momentum``.

    Args:
        optimizer: the optimiser (with momentum or betas if ``cycle_momentum``).
        max_lr: the peak lr, or a list with one per group.
        total_steps: T; or give ``epochs`` and ``steps_per_epoch``.
        pct_start: p, the fraction of the steps spent climbing, a float in [0, 1]
            (default 0.3).
        anneal_strategy: 'cos' (default) or 'linear'.
        cycle_momentum: cycle momentum inversely to the lr (default True).
        base_momentum, max_momentum: its range (defaults 0.85, 0.95; or lists per group).
        div_factor: η_init = max_lr / div_factor (default 25).
        final_div_factor: η_min = η_init / final_div_factor (default 1e4).
        three_phase: the three-phase schedule (default False).
        last_epoch: -1 to start afresh (default).

    Raises:
        ValueError: neither total_steps nor epochs and steps_per_epoch, a count ≤ 0,
            pct_start out of [0, 1], an unknown anneal_strategy, cycle_momentum with an
            optimiser that has neither momentum nor betas; stepping more than T times.

    Examples:
        >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
        >>> opt = optim.SGD([nn.Parameter(md.zeros(1))], lr=0.1, momentum=0.9)
        >>> sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
        >>> sched.get_last_lr()                 # max_lr / div_factor
        [0.04]
        >>> for _ in range(2):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr(), opt.param_groups[0]["momentum"]     # at the peak
        ([1.0], 0.85)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        name = "OneCycleLR"
        _check_optimizer(name, optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            self.total_steps = _check_int(name, "total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_check_int(name, "epochs", epochs, 1)
                                * _check_int(name, "steps_per_epoch", steps_per_epoch, 1))
        else:
            raise ValueError(f"{name}: give total_steps, or epochs and steps_per_epoch")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"{name}: pct_start must be a float in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self._anneal_func_type = anneal_strategy
        T = self.total_steps
        if three_phase:
            self._schedule_phases = [
                dict(end_step=float(pct_start * T) - 1, start_lr="initial_lr",
                     end_lr="max_lr", start_momentum="max_momentum",
                     end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * T) - 2, start_lr="max_lr",
                     end_lr="initial_lr", start_momentum="base_momentum",
                     end_momentum="max_momentum"),
                dict(end_step=T - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum"),
            ]
        else:
            self._schedule_phases = [
                dict(end_step=float(pct_start * T) - 1, start_lr="initial_lr",
                     end_lr="max_lr", start_momentum="max_momentum",
                     end_momentum="base_momentum"),
                dict(end_step=T - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
            ]
        max_lrs = _per_group(name, "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with "
                                 f"momentum or betas, got {type(optimizer).__name__}")
            self.use_beta1 = "betas" in optimizer.defaults
            max_ms = _per_group(name, "max_momentum", optimizer, max_momentum)
            base_ms = _per_group(name, "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, m_max, m_base in zip(optimizer.param_groups, max_ms, base_ms):
                    self._set_momentum(group, m_max)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {t} times; total_steps is "
                             f"{self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if t <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (t - start_step) / (end_step - start_step)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[phase["start_momentum"]],
                                                group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                self._set_momentum(group, momentum)
        return lrs


class ReduceLROnPlateau(LRScheduler):
    r"""Reduce the lr by ``factor`` when a metric has stopped improving.

    ``step(metric)`` after each evaluation. A metric is *better* than the best so far
    when (mode 'min', threshold_mode 'rel') m < best · (1 − threshold); ('min', 'abs')
    m < best − threshold; ('max', 'rel') m > best · (1 + threshold); ('max', 'abs')
    m > best + threshold. After more than ``patience`` epochs in a row without
    improvement, each group's lr becomes max(lr · factor, min_lr) — if that changes it
    by more than ``eps`` — and ``cooldown`` epochs follow in which bad epochs are not
    counted.

    Args:
        optimizer: the optimiser.
        mode: 'min' (default) or 'max'.
        factor: the factor, < 1 (default 0.1).
        patience: bad epochs tolerated (default 10).
        threshold: the least change that counts as improvement (default 1e-4).
        threshold_mode: 'rel' (default) or 'abs'.
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: a floor, or a list with one per group (default 0).
        eps: smallest change of lr applied (default 1e-8).

    Raises:
        ValueError: factor ≥ 1, an unknown mode or threshold_mode, a min_lr list of the
            wrong length.

    >>> import minidl as md, minidl.nn as nn, minidl.optim as optim
    >>> opt = optim.SGD([nn.Parameter(md.zeros(1))], lr=1.0)
    >>> sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
    ...     sched.step(loss)
    >>> sched.get_last_lr()                 # two bad epochs in a row: halved once
    [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        _check_optimizer(name, optimizer)
        self.factor = _check_real(name, "factor", factor, high=1.0, high_open=True)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
            self.min_lrs = _per_group(name, "min_lr", optimizer, min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = _check_int(name, "patience", patience, 0)
        self.cooldown = _check_int(name, "cooldown", cooldown, 0)
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: float, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one evaluation of the metric (a number or a one-element Tensor)."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATED, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0          # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} "
                                   f"parameter groups but min_lr has {len(self.min_lrs)} "
                                   f"values (a group was added); set min_lrs to match")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
