"""Containers: ``Sequential`` (call in order) and ``ModuleList`` (hold a list)."""
from collections import OrderedDict

from .module import Module


class Sequential(Module):
    """Call the given modules one after the other: ``Sequential(a, b)(x) = b(a(x))``.

    Sub-modules are named ``"0"``, ``"1"``, … (so their weights ``"0.weight"``, …).
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        if isinstance(i, slice):  # a Sequential keeping the original names, as in PyTorch
            return Sequential(OrderedDict(list(self._modules.items())[i]))
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (names ``"0"``, ``"1"``, …)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i):
        items = list(self._modules.values())
        return ModuleList(items[i]) if isinstance(i, slice) else items[i]

    def __setitem__(self, i, module):
        key = list(self._modules)[i]
        self.add_module(key, module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, *args, **kwargs):
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
