"""Activation modules: each calls its function in ``minidl.functional``."""
from .. import functional as F
from .module import Module


class ReLU(Module):
    """relu(x) = max(x, 0)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace  # accepted for PyTorch compatibility; minidl never overwrites

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """tanh(x)."""

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^−x)."""

    def forward(self, input):
        return F.sigmoid(input)


class GELU(Module):
    """GELU(x) = x Φ(x); ``approximate="tanh"`` for the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """softmax along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim if self.dim is not None else -1)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log-softmax along ``dim``."""

    def forward(self, input):
        return F.log_softmax(input, self.dim if self.dim is not None else -1)
