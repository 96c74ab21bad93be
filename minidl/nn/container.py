"""Containers, as in ``torch.nn``: ``Sequential`` (call in order), ``ModuleList`` and
``ModuleDict`` (hold modules), ``ParameterList`` and ``ParameterDict`` (hold parameters).

Entries are registered under their index (``"0"``, ``"1"``, …) or key, so their weights
are named ``"0.weight"``, ``"encoder.bias"``, … in the state dict, exactly as PyTorch's.
Deleting from a list renumbers what follows, as PyTorch does.
"""
from __future__ import annotations

import operator
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from ..tensor import Tensor
from .module import Module, Parameter

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(op, i, n):
    """An int index (negative counts from the end) checked against length n."""
    i = operator.index(i)
    if not -n <= i < n:
        raise IndexError(f"{op}: index {i} is out of range for a container of length {n}")
    return i % n


class _ListOfModules(Module):
    """What Sequential and ModuleList share: modules registered under "0", "1", …"""

    def _renumber(self, modules):
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __getitem__(self, i):
        items = list(self._modules.items())
        if isinstance(i, slice):
            return self._slice(items[i])
        return items[_index(type(self).__name__, i, len(items))][1]

    def __setitem__(self, i, module):
        key = list(self._modules)[_index(type(self).__name__, i, len(self._modules))]
        self.add_module(key, module)

    def __delitem__(self, i):
        modules = list(self._modules.values())
        if isinstance(i, slice):
            del modules[i]
        else:
            del modules[_index(type(self).__name__, i, len(modules))]
        self._renumber(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of an iterable; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index`` (the later ones are renumbered)."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
        return self

    def pop(self, index=-1):
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        out = type(self)()
        for m in list(self) + list(other):
            out.append(m)
        return out


class Sequential(_ListOfModules):
    """Call the given modules one after the other: ``Sequential(a, b)(x) = b(a(x))``.

    Built from modules (named ``"0"``, ``"1"``, …) or from one ``OrderedDict`` of
    name → module. Indexing gives a module, slicing a ``Sequential`` keeping the
    original names, as in PyTorch.

    >>> import minidl as md, minidl.nn as nn
    >>> from collections import OrderedDict
    >>> net = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 4)), ("act", nn.ReLU())]))
    >>> net.append(nn.Linear(4, 2))[2].out_features, len(net), list(net.state_dict())[-1]
    (2, 3, '2.bias')
    >>> net(md.ones(5, 3)).shape
    (5, 2)
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):           # OrderedDict (or a dict)
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def _slice(self, items):
        return Sequential(OrderedDict(items))

    def forward(self, input: Any) -> Any:
        for m in self._modules.values():
            input = m(input)
        return input


class ModuleList(_ListOfModules):
    """A list of modules whose parameters are registered (names ``"0"``, ``"1"``, …):
    indexing, slicing, ``len``, iteration, ``append``, ``extend``, ``insert``, ``pop``,
    ``del``, ``+`` and ``+=``, as PyTorch's.

    >>> import minidl.nn as nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    >>> layers.insert(0, nn.Tanh())
    >>> [type(m).__name__ for m in layers], list(layers.state_dict())[:2]
    (['Tanh', 'Linear', 'Linear'], ['1.weight', '1.bias'])
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slice(self, items):
        return ModuleList(m for _, m in items)

    def insert(self, index: int, module: Module) -> None:
        super().insert(index, module)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList is a container; call its modules instead")

    def __repr__(self):
        """As PyTorch prints it: equal neighbours are merged, ``(0-2): 3 x Linear(...)``."""
        items = [(name, repr(m).replace("\n", "\n  ")) for name, m in self._modules.items()]
        if not items:
            return "ModuleList()"
        lines, i = [], 0
        while i < len(items):
            j = i
            while j + 1 < len(items) and items[j + 1][1] == items[i][1]:
                j += 1
            if j == i:
                lines.append(f"({items[i][0]}): {items[i][1]}")
            else:
                lines.append(f"({items[i][0]}-{items[j][0]}): {j - i + 1} x {items[i][1]}")
            i = j + 1
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


def _pairs(op, entries):
    """(key, value) pairs of a mapping or an iterable of pairs."""
    if hasattr(entries, "keys"):
        return [(k, entries[k]) for k in entries.keys()]
    pairs = []
    for j, item in enumerate(entries):
        try:
            key, value = item
        except (TypeError, ValueError):
            raise TypeError(f"{op}.update: element #{j} should be a (key, value) pair, got "
                            f"{type(item).__name__}") from None
        pairs.append((key, value))
    return pairs


class _Dict(Module):
    """What ModuleDict and ParameterDict share; ``_registry`` names the registry."""

    def _store(self):
        return getattr(self, self._registry)

    def __getitem__(self, key):
        return self._store()[key]

    def __delitem__(self, key):
        del self._store()[key]

    def __len__(self):
        return len(self._store())

    def __iter__(self):
        return iter(self._store())

    def __contains__(self, key):
        return key in self._store()

    def keys(self):
        return self._store().keys()

    def items(self):
        return self._store().items()

    def values(self):
        return self._store().values()

    def get(self, key, default=None):
        return self._store().get(key, default)

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def clear(self):
        self._store().clear()

    def update(self, entries):
        """Add or replace entries from a mapping or an iterable of (key, value) pairs."""
        for key, value in _pairs(type(self).__name__, entries):
            self[key] = value

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} is a container; call its entries")


class ModuleDict(_Dict):
    """An ordered mapping of names to modules, registered under those names.

    >>> import minidl.nn as nn
    >>> heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 4)})
    >>> heads["act"] = nn.ReLU()
    >>> list(heads), "cls" in heads, list(heads.state_dict())[0]
    (['cls', 'box', 'act'], True, 'cls.weight')
    """

    _registry = "_modules"

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)


class ParameterList(Module):
    """A list of parameters, registered under ``"0"``, ``"1"``, … (a Tensor that is not a
    Parameter is made one, as PyTorch's).

    >>> import minidl as md, minidl.nn as nn
    >>> ps = nn.ParameterList([nn.Parameter(md.zeros(2)), md.ones(3)])
    >>> ps.append(md.ones(1))
    ParameterList(
        (0): Parameter containing: [float32 of size (2,)]
        (1): Parameter containing: [float32 of size (3,)]
        (2): Parameter containing: [float32 of size (1,)]
    )
    >>> [name for name, _ in ps.named_parameters()], ps[1].requires_grad
    (['0', '1', '2'], True)
    """

    def __init__(self, values: Iterable[Tensor] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    @staticmethod
    def _as_parameter(value):
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            return Parameter(value)
        if value is not None and not isinstance(value, Parameter):
            raise TypeError(f"ParameterList: entries must be Parameters or Tensors, got "
                            f"{type(value).__name__}")
        return value

    def __getitem__(self, i: int | slice) -> Any:
        values = list(self._parameters.values())
        if isinstance(i, slice):
            return ParameterList(values[i])
        return values[_index("ParameterList", i, len(values))]

    def __setitem__(self, i, value):
        key = str(_index("ParameterList", i, len(self._parameters)))
        self.register_parameter(key, self._as_parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def append(self, value: Tensor) -> Self:
        self.register_parameter(str(len(self)), self._as_parameter(value))
        return self

    def extend(self, values: Iterable[Tensor]) -> Self:
        for v in values:
            self.append(v)
        return self

    def __iadd__(self, values):
        return self.extend(values)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ParameterList is a container; use its parameters")

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for k, p in self._parameters.items())

    def __repr__(self):
        body = self.extra_repr()
        if not body:
            return "ParameterList()"
        return "ParameterList(\n    " + body.replace("\n", "\n    ") + "\n)"


class ParameterDict(_Dict):
    """An ordered mapping of names to parameters, registered under those names (a Tensor
    that is not a Parameter is made one).

    >>> import minidl as md, minidl.nn as nn
    >>> pd = nn.ParameterDict({"scale": md.ones(3)})
    >>> pd["shift"] = nn.Parameter(md.zeros(3))
    >>> list(pd.state_dict()), type(pd["scale"]).__name__
    (['scale', 'shift'], 'Parameter')
    """

    _registry = "_parameters"

    def __init__(
        self, parameters: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None
    ) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key, value):
        self.register_parameter(key, ParameterList._as_parameter(value))

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for k, p in self._parameters.items())
