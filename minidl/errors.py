"""The library's own exception classes (nothing to import: every module may use them).

PyTorch raises ``RuntimeError`` for most bad arguments, where NumPy habits and minidl's
promise say ``ValueError``/``TypeError``; these are both, so either ``except`` works.
"""


class ArgumentError(ValueError, RuntimeError):
    """A bad shape or value: a ValueError, and a RuntimeError as PyTorch raises there."""


class ArgumentTypeError(TypeError, RuntimeError):
    """An argument of the wrong kind: a TypeError, and a RuntimeError as PyTorch raises."""


class DimensionError(IndexError, ValueError):
    """A dimension out of range: an IndexError as in PyTorch (and a ValueError)."""
