"""``Optimizer``: what SGD, Adam and AdamW share — parameter groups, state, checkpoints.

An optimiser holds a list of *parameter groups*, each a dict ``{"params": [p, ...],
"lr": ..., <other hyper-parameters>}``, so that parts of a model can learn at different
rates, and a per-parameter ``state`` dict (a momentum buffer, Adam's moment estimates).
``step()`` updates every parameter that has a gradient, in place on ``p._array`` and in
``p``'s dtype; no graph is recorded.

``state_dict()`` has PyTorch's shape: parameters are named by their position over all
groups (0, 1, 2, …), so the dict holds no Tensors and can be written with ``md.save``::

    {"state": {0: {"momentum_buffer": array(...)}, ...},
     "param_groups": [{"lr": 0.1, "momentum": 0.9, ..., "params": [0, 1, 2]}]}
"""
import numbers

import numpy as np

from ..tensor import Tensor

__all__ = ["Optimizer"]


def _as_array(value):
    """A NumPy array from an array, a minidl Tensor or a PyTorch tensor."""
    if isinstance(value, Tensor):
        return value._array
    if hasattr(value, "detach"):  # a PyTorch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class Optimizer:
    """Base class: subclasses set ``defaults`` and write ``_check_group`` and ``_update``.

    Args:
        params: an iterable of Parameters (Tensors), or of dicts ``{"params": [...],
            "lr": ..., ...}`` (parameter groups; keys left out take the defaults).
        defaults: the hyper-parameters of the subclass, by name.

    Raises:
        TypeError: ``params`` is a single Tensor, or holds something that is not a Tensor.
        ValueError: an empty parameter list, a parameter given twice, a non-leaf tensor,
            or a hyper-parameter out of range.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}          # Parameter -> dict of its state
        self.param_groups = []
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
    def add_param_group(self, param_group):
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
        """Raise ValueError / TypeError for hyper-parameters out of range."""
        self._check_number(group, "lr", low=0)

    def _check_number(self, group, key, low=None, high=None):
        """``group[key]`` must be a real number in [low, high)."""
        name, value = type(self).__name__, group[key]
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"{name}: {key} must be a number, got {type(value).__name__}")
        if low is not None and not value >= low:
            raise ValueError(f"{name}: {key} must be >= {low}, got {value}")
        if high is not None and not value < high:
            raise ValueError(f"{name}: {key} must be < {high}, got {value}")

    # ------------------------------------------------------------------ training loop
    def zero_grad(self, set_to_none=True):
        """Clear the gradient of every parameter (to None, or to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.grad)

    def step(self, closure=None):
        """Update every parameter that has a gradient (``p.grad is None``: skipped).

        Args:
            closure: optional function that recomputes the loss (calls ``backward``) and
                returns it; its result is returned.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = np.asarray(p.grad)
                if grad.shape != p._array.shape:
                    raise ValueError(f"{type(self).__name__}: a parameter of shape "
                                     f"{p._array.shape} has a gradient of shape {grad.shape}")
                state = self.state.setdefault(p, {})
                self._update(p, grad, state, group)
                if not state:
                    del self.state[p]
        return loss

    def _update(self, p, grad, state, group):
        raise NotImplementedError

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self):
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
            state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                   for k, v in s.items()}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned (or ``md.load`` read back), so that
        training resumes exactly where it stopped. Hyper-parameters come from the saved
        groups; floating state arrays are cast to their parameter's dtype.

        Raises:
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

        new_state = {}
        for i, s in state_dict["state"].items():
            i = int(i)
            if i not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, which is "
                                 f"in no parameter group")
            p = by_index[i]
            entry = {}
            for key, value in s.items():
                if key == "step":
                    entry[key] = int(round(float(_as_array(value))))
                    continue
                if value is None:
                    continue
                arr = _as_array(value)
                if arr.shape != p._array.shape:
                    raise ValueError(f"{name}.load_state_dict: {key} of parameter {i} has "
                                     f"shape {arr.shape}, the parameter {p._array.shape}")
                entry[key] = np.array(arr, dtype=p._array.dtype)
            if entry:
                new_state[p] = entry

        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            updated = dict(group)
            for key in self.defaults:
                if key in saved:
                    value = saved[key]
                    updated[key] = tuple(value) if isinstance(value, (list, tuple)) else value
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
