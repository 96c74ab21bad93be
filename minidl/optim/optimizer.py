"""``Optimizer``: what every optimiser shares — parameter groups, state, checkpoints.

An optimiser holds a list of *parameter groups*, each a dict ``{"params": [p, ...],
"lr": ..., <other hyper-parameters>}``, so that parts of a model can learn at different
rates (a learning-rate scheduler changes ``param_groups[i]["lr"]``), and a
per-parameter ``state`` dict (a momentum buffer, Adam's moment estimates). ``step()``
updates every parameter that has a gradient, in place on its array (``p.numpy()``) and
in ``p``'s dtype; no graph is recorded.

``state_dict()`` has PyTorch's layout: parameters are named by their position over all
groups (0, 1, 2, …), so the dict holds only arrays and numbers and can be written with
``md.save``; a state dict saved by PyTorch (``torch.optim.X.state_dict()``) loads too::

    {"state": {0: {"momentum_buffer": array(...)}, ...},
     "param_groups": [{"lr": 0.1, "momentum": 0.9, ..., "params": [0, 1, 2]}]}

A subclass sets ``defaults`` and writes ``_check_group`` (hyper-parameters in range)
and ``_update`` (one parameter's step, the formula of its docstring). A PyTorch-style
subclass that overrides ``step`` itself and keeps its own ``self.state[p]`` works too.
"""
from __future__ import annotations

import numbers
from collections import defaultdict
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer"]

# Arguments PyTorch has for choosing *how* an update is computed. foreach and fused pick a
# faster kernel for the same formula, so minidl accepts them and runs its one loop;
# capturable (CUDA graphs) and differentiable (a step recorded by autograd) change what a
# step is, and minidl does not do them.
_NOT_DONE = {
    "capturable": "capturable=True (steps captured in CUDA graphs) is not supported: "
                  "minidl runs on the CPU",
    "differentiable": "differentiable=True (recording the update in the autograd graph) "
                      "is not implemented: minidl's optimisers update the arrays in place",
}


def _as_array(value):
    """A NumPy array from an array, a number, a minidl Tensor or a PyTorch tensor."""
    if isinstance(value, Tensor):
        return np.asarray(value)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a PyTorch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _lerp_(a, b, weight):
    """``a ← a + weight (b − a)`` in place, rounded as PyTorch's ``lerp_`` rounds it."""
    if abs(weight) < 0.5:
        a += weight * (b - a)
    else:
        a[...] = b - (b - a) * (1 - weight)


class Optimizer:
    """Base class of the optimisers.

    Args:
        params: an iterable of Parameters (Tensors); or of ``(name, Parameter)`` pairs
            (as ``model.named_parameters()`` gives; the names go to the group's
            ``"param_names"``); or of dicts ``{"params": [...], "lr": ..., ...}``
            (parameter groups; keys left out take the defaults).
        defaults: the hyper-parameters of the subclass, by name.

    Raises:
        TypeError: ``params`` is a single Tensor, or holds something that is not a Tensor.
        ValueError: an empty parameter list, a parameter given twice, a non-leaf tensor,
            or a hyper-parameter out of range.
        NotImplementedError: ``capturable=True`` or ``differentiable=True``.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)   # Parameter -> its state
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts "
                            f"(parameter groups), got a single Tensor; wrap it in a list")
        if isinstance(params, dict):
            params = [params]
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts "
                            f"(parameter groups), got {type(params).__name__}") from None
        if not params:
            raise ValueError(f"{name}: got an empty parameter list (params)")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group ``{"params": [...], <hyper-parameters>}``; missing keys take the
        optimiser's defaults. Useful to unfreeze layers while training goes on."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: params must hold Tensors or dicts (parameter groups), "
                            f"not a mix; got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry, got keys "
                             f"{sorted(param_group)}")
        group = dict(param_group)
        ps = group["params"]
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        if not ps:
            raise ValueError(f"{name}: got an empty parameter list (params)")
        named = [isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in ps]
        if all(named):
            group["param_names"] = [n for n, _ in ps]
            ps = [p for _, p in ps]
        elif any(named):
            raise TypeError(f"{name}: params must be all Tensors or all (name, Tensor) "
                            f"pairs, not a mix")
        for j, p in enumerate(ps):
            if isinstance(p, dict):
                raise TypeError(f"{name}: params must hold Tensors or dicts (parameter "
                                f"groups), not a mix; got a dict at position {j}")
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params must be Tensors (Parameters), got "
                                f"{type(p).__name__} at position {j}")
            if not p.is_leaf:
                raise ValueError(f"{name}: params[{j}] is not a leaf tensor (it was computed "
                                 f"by an op); optimise the leaves it came from")
        if len({id(p) for p in ps}) != len(ps):
            raise ValueError(f"{name}: a parameter appears twice in params; each must be "
                             f"given once")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in ps):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = ps
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raise ValueError / TypeError for hyper-parameters out of range (subclasses)."""

    def _check_number(self, group, key, low=None, high=None, high_inclusive=False):
        """``group[key]`` must be a real number in [low, high) (or [low, high])."""
        name, value = type(self).__name__, group[key]
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"{name}: {key} must be a number, got {type(value).__name__}")
        if low is not None and not value >= low:
            raise ValueError(f"{name}: {key} must be >= {low}, got {value}")
        if high is not None and not (value <= high if high_inclusive else value < high):
            raise ValueError(f"{name}: {key} must be {'<=' if high_inclusive else '<'} "
                             f"{high}, got {value}")

    def _check_flags(self, group):
        """PyTorch's implementation switches: accepted, or NotImplementedError naming them."""
        name = type(self).__name__
        for key, message in _NOT_DONE.items():
            if group.get(key):
                raise NotImplementedError(f"{name}: {message}")
        if group.get("foreach") and group.get("fused"):
            raise RuntimeError(f"{name}: fused and foreach cannot be True together")
        for key in ("maximize", "nesterov", "amsgrad", "centered", "decoupled_weight_decay"):
            if key in group and not isinstance(group[key], (bool, np.bool_)):
                raise TypeError(f"{name}: {key} must be a bool, got {type(group[key]).__name__}")

    # ------------------------------------------------------------------ training loop
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter (to None, or to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.grad)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient (``p.grad is None``: skipped).

        Args:
            closure: optional function that recomputes the loss (calls ``backward``) and
                returns it; it runs with gradients enabled, and its result is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                theta = p.numpy()
                grad = np.asarray(p.grad)
                if grad.shape != theta.shape:
                    raise ValueError(f"{type(self).__name__}: a parameter of shape "
                                     f"{theta.shape} has a gradient of shape {grad.shape}")
                grad = grad.astype(theta.dtype, copy=False)
                state = self.state[p]
                self._update(theta, grad, state, group)
                p._vc[0] += 1        # an in-place change of p: saved copies of it are stale
                if not state:
                    del self.state[p]
        return loss

    def _update(self, theta, grad, state, group):
        """One parameter's step: ``theta`` (its array, changed in place), ``grad`` (an
        array of the same shape and dtype), its ``state`` dict and its ``group``."""
        raise NotImplementedError(f"{type(self).__name__} must define step() or _update()")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """PyTorch-shaped state: ``{"state": {index: {name: array or number}},
        "param_groups": [{hyper-parameters..., "params": [indices]}]}``; arrays are
        copies, so later steps do not change a saved dict."""
        index, groups, n = {}, [], 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = list(range(n, n + len(group["params"])))
            for p in group["params"]:
                index[id(p)] = n
                n += 1
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if not s:
                continue
            state[index[id(p)]] = {k: (np.array(v) if isinstance(v, (np.ndarray, Tensor))
                                       else v) for k, v in s.items()}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (or ``md.load`` read back, or PyTorch's
        optimiser saved), so that training resumes exactly where it stopped. The saved
        groups' hyper-parameters replace the current ones (as in PyTorch, a scheduler's
        ``initial_lr`` too); floating state arrays are cast to their parameter's dtype.

        Raises:
            TypeError: ``state_dict`` is not a dict with "state" and "param_groups".
            ValueError: the saved groups do not match this optimiser's groups in number or
                size, or a saved array's shape differs from its parameter's.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict \
                or "param_groups" not in state_dict:
            raise TypeError(f"{name}.load_state_dict: expected a dict with 'state' and "
                            f"'param_groups', got {type(state_dict).__name__}")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups, the optimiser {len(self.param_groups)}")
        by_index = {}
        for j, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {j} has "
                                 f"{len(saved['params'])} parameters in the state dict and "
                                 f"{len(group['params'])} in the optimiser")
            for i, p in zip(saved["params"], group["params"]):
                by_index[int(i)] = p

        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for i, s in state_dict["state"].items():
            i = int(i)
            if i not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, which is "
                                 f"in no parameter group")
            p = by_index[i]
            theta = p.numpy()
            entry: dict[str, Any] = {}
            for key, value in s.items():
                if key == "step":
                    entry[key] = int(round(float(_as_array(value))))
                    continue
                if value is None:
                    continue
                arr = _as_array(value)
                if arr.dtype.kind == "f" and arr.shape != theta.shape:
                    raise ValueError(f"{name}.load_state_dict: {key} of parameter {i} has "
                                     f"shape {arr.shape}, the parameter {theta.shape}")
                entry[key] = np.array(arr, dtype=theta.dtype if arr.dtype.kind == "f" else None)
            if entry:
                new_state[p] = entry

        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            updated = {k: v for k, v in saved.items() if k != "params"}
            for key, value in updated.items():
                if isinstance(self.defaults.get(key), tuple) and isinstance(value, list):
                    updated[key] = tuple(value)      # betas come back from a file as a list
            for key, value in self.defaults.items():
                updated.setdefault(key, value)
            updated["params"] = group["params"]
            self._check_group(updated)
            new_groups.append(updated)
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for j, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {j}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
