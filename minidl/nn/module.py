"""``Module`` and ``Parameter``: layers that own their weights, as in ``torch.nn``.

A Module keeps three ordered registries, filled by plain attribute assignment:
``_parameters`` (a :class:`Parameter`), ``_modules`` (a sub-Module) and ``_buffers``
(a Tensor that is state but not a parameter, such as the positional-encoding table,
registered with :meth:`Module.register_buffer`). ``state_dict`` walks them and names
every entry by its path of attribute names, ``"layers.0.self_attn.in_proj_weight"``,
exactly as PyTorch would, so weights move between the two libraries by name.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

import numpy as np

from ..dtypes import as_array
from ..tensor import Tensor

if TYPE_CHECKING:
    from typing_extensions import Self
    from .._typing import TensorLike


class Parameter(Tensor):
    """A Tensor that is a weight of a Module: it requires grad and is registered.

    Args:
        data: an array, a Tensor (its data are shared) or a nested list.
        requires_grad: True by default.
    """

    __slots__ = ()

    def __init__(self, data: TensorLike | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros(0, dtype=np.float32)
        Tensor.__init__(self)
        self._array = data._array if isinstance(data, Tensor) else as_array(data)
        if isinstance(data, Tensor):
            self._vc = data._vc               # shares the memory, hence the version
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(ValueError, RuntimeError):
    """``load_state_dict`` found missing, unexpected or mis-shaped entries."""


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns, printed as PyTorch prints it."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")

    __str__ = __repr__


def _to_numpy(value):
    """An array from a NumPy array, a minidl Tensor or anything with ``.numpy()`` (torch)."""
    if isinstance(value, Tensor):
        return np.asarray(value)
    if hasattr(value, "detach"):  # a PyTorch tensor
        value = value.detach()
    if hasattr(value, "cpu"):
        value = value.cpu()
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    return np.asarray(value)


def _check_device(owner, device):
    """minidl runs on the CPU only: accept None, "cpu" or a cpu device; refuse the rest."""
    if device is None:
        return
    kind = getattr(device, "type", device)
    if not isinstance(kind, str) or kind.split(":")[0] != "cpu":
        raise ValueError(f"{owner}: minidl runs on the CPU only, got device={device!r}")


def _check_name(owner, kind, name, module, registry):
    """PyTorch's rules for the name of a parameter, buffer or sub-module."""
    if not isinstance(name, str):
        raise TypeError(f"{owner}: {kind} name should be a string, got {type(name).__name__}")
    if not name:
        raise KeyError(f'{owner}: {kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{owner}: {kind} name can\'t contain ".", got {name!r}')
    if name not in registry and (name in module.__dict__ or hasattr(type(module), name)
                                 or any(name in r for r in (module._parameters,
                                                            module._buffers, module._modules))):
        raise KeyError(f"{owner}: attribute {name!r} already exists")


def _set_grad_zero(p):
    """Zero ``p.grad`` in place, whether it is a Tensor or an array (one place to adjust)."""
    g = p.grad
    (g.numpy() if isinstance(g, Tensor) else g)[...] = 0


class Module:
    """Base class of every layer: subclass it, assign parameters and sub-modules as
    attributes in ``__init__``, and write ``forward``.

    >>> import minidl as md, minidl.nn as nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8)
    ...         self.fc2 = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> list(TwoLayer().state_dict())
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registries
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 f"assigning attributes")
        params, modules, buffers = self._parameters, self._modules, self._buffers
        kind = type(self).__name__
        if isinstance(value, (Parameter, Module)):
            # a plain attribute or another registry's entry of that name would shadow it
            self.__dict__.pop(name, None)
            target = params if isinstance(value, Parameter) else modules
            for registry in (params, modules, buffers):
                if registry is not target:
                    registry.pop(name, None)
            self._non_persistent.discard(name)
            target[name] = value  # an existing name keeps its place in the order
        elif name in params:
            if value is not None:
                raise TypeError(f"{kind}: cannot assign {type(value).__name__} as parameter "
                                f"'{name}' (a Parameter or None is expected)")
            params[name] = None  # the module has no such parameter
        elif name in modules:
            if value is not None:
                raise TypeError(f"{kind}: cannot assign {type(value).__name__} as child "
                                f"module '{name}' (a Module or None is expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, (Tensor, np.ndarray)):
                raise TypeError(f"{kind}: cannot assign {type(value).__name__} as buffer "
                                f"'{name}' (a Tensor, an array or None is expected)")
            buffers[name] = value if value is None or isinstance(value, Tensor) else Tensor(value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None: a declared but absent parameter, as ``bias=False``)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("register_parameter", "parameter", name, self, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: cannot assign {type(param).__name__} object "
                            f"to parameter {name!r} (a Parameter or None is required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is not a parameter: saved in the state dict unless
        ``persistent=False``, cast by ``to(dtype)``, returned by ``buffers()``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("register_buffer", "buffer", name, self, self._buffers)
        if isinstance(tensor, np.ndarray):
            tensor = Tensor(tensor)                   # a convenience: an array becomes a Tensor
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: cannot assign {type(tensor).__name__} object to "
                            f"buffer {name!r} (a Tensor or None is required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a sub-module (or None) under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        _check_name("add_module", "module", name, self, self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The module at the dotted path ``target`` ("" is self), as PyTorch's."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(path {target!r})")
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter {name!r}")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._buffers:
            raise AttributeError(f"{type(module).__name__} has no buffer {name!r}")
        return module._buffers[name]

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every module below it, depth first in
        registration order; a module reachable by two paths is listed once unless
        ``remove_duplicate=False``."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if module is None or (remove_duplicate and id(module) in memo):
                continue
            memo.add(id(module))
            yield name, module
            children = [(f"{name}.{k}" if name else k, m) for k, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, each parameter once (unless ``remove_duplicate=False``),
        in registration order."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_name, m in modules:
            for name, p in m._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(name, buffer) pairs, persistent or not, each buffer once."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_name, m in modules:
            for name, b in m._buffers.items():
                if b is None or (remove_duplicate and id(b) in seen):
                    continue
                seen.add(id(b))
                yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Self:
        """Training mode (dropout active, batch norm uses and updates batch statistics);
        returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Self:
        """Evaluation mode (dropout off); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear ``.grad`` of every parameter."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                _set_grad_zero(p)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Self:
        """Call ``fn`` on every sub-module, then on self (post-order, as PyTorch: each
        child's whole subtree before the next child); returns self. Typical use:
        ``model.apply(init_weights)``."""
        stack: list[tuple[Module, bool]] = [(self, False)]
        while stack:                       # iterative post-order: children, then the module
            module, expanded = stack.pop()
            if expanded:
                fn(module)
                continue
            stack.append((module, True))
            stack.extend((c, False) for c in reversed(list(module.children())))
        return self

    # ------------------------------------------------------------------ dtype
    def to(self, *args: Any, **kwargs: Any) -> Self:
        """Cast every floating parameter and buffer to a dtype, in place; returns self.

        Called as PyTorch's: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)`` (its dtype), or with ``device=``/``dtype=``/``non_blocking=``
        keywords. The device must be the CPU (``"cpu"``, ``md.device("cpu")``): minidl
        runs on the CPU only, and asking for another device is a ValueError.
        """
        owner = f"{type(self).__name__}.to"
        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"{owner}: unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) or hasattr(a, "type") and not isinstance(a, (type, np.dtype)):
                device = a
            elif isinstance(a, bool) or a is None:
                continue                                        # non_blocking, positional
            else:
                dtype = a
        _check_device(owner, device)
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"{owner}: only floating dtypes are supported, got {dtype}")
        for m in self.modules():
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is not None and t._array.dtype.kind == "f" and t._array.dtype != dtype:
                    t._array = t._array.astype(dtype)
                    if t.grad is not None:
                        t.grad = t.grad.astype(dtype)
        return self

    def cpu(self) -> Self:
        return self

    def cuda(self, device: Any = None) -> Self:
        raise ValueError(f"{type(self).__name__}.cuda: minidl runs on the CPU only")

    def double(self) -> Self:
        return self.to(np.float64)

    def float(self) -> Self:
        return self.to(np.float32)

    # ------------------------------------------------------------------ state
    def state_dict(
        self, destination: dict[str, Any] | None = None, prefix: str = "", keep_vars: bool = False
    ) -> dict[str, Any]:
        """An ordered mapping of PyTorch-style names to (copies of) NumPy arrays:
        every parameter, then every persistent buffer, module by module. A module
        reachable by two paths (a shared layer) is listed under both, as in PyTorch.
        ``prefix`` is put before every name; ``keep_vars=True`` gives the Tensors
        themselves. (``destination`` is accepted and ignored, as PyTorch deprecates it.)"""
        return OrderedDict((prefix + k, t if keep_vars else np.array(t.numpy(), copy=True))
                           for k, t in self._state_tensors().items())

    def _state_tensors(self):
        """name → Tensor for every parameter and persistent buffer, along every path."""
        out = OrderedDict()
        stack: list[tuple[str, Module, tuple[int, ...]]] = [("", self, ())]  # (path, module, ancestor ids)
        while stack:
            mod_name, m, ancestors = stack.pop()
            for registry in (m._parameters, m._buffers):
                for name, t in registry.items():
                    if t is not None and not (registry is m._buffers and name in m._non_persistent):
                        out[f"{mod_name}.{name}" if mod_name else name] = t
            below = ancestors + (id(m),)
            children = [(f"{mod_name}.{k}" if mod_name else k, c, below)
                        for k, c in m._modules.items() if c is not None and id(c) not in below]
            stack.extend(reversed(children))
        return out

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        """Copy values from ``state_dict`` (names → arrays, minidl Tensors or PyTorch
        tensors) into this module's parameters and buffers, keeping their dtypes.

        Raises:
            StateDictError (a ValueError and a RuntimeError): listing in one message every
            mis-shaped entry and, with ``strict=True``, every missing and unexpected name.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"load_state_dict: expected a mapping of names to arrays, got "
                            f"{type(state_dict).__name__}")
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        values, mismatched = {}, []
        for k, t in own.items():
            if k in state_dict:
                v = _to_numpy(state_dict[k])
                if v.shape != t.shape:
                    mismatched.append(f"{k}: checkpoint shape {v.shape}, model shape {t.shape}")
                values[k] = v
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("size mismatch: " + "; ".join(mismatched))
        if problems:
            raise StateDictError(f"load_state_dict: error(s) loading into {type(self).__name__}: "
                                 + " | ".join(problems))
        for k, v in values.items():
            t = own[k]
            t._array[...] = v                  # in place: views and optimisers keep it
            t._vc[0] += 1
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
