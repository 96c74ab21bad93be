"""Argument checks and normalisation shared by the whole library (one copy of each).

Every public op checks its arguments once, at the call the user made, with these
helpers, and names itself in the message: ``conv2d: stride must be an int or a pair of
ints, got 'x'``. Nothing here imports the Tensor class; tensors are recognised through
the class the engine has registered.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Sequence, overload

import numpy as np

from .autograd.function import tensor_type
from .errors import ArgumentError, ArgumentTypeError, DimensionError  # noqa: F401

if TYPE_CHECKING:
    from typing import TypeVar

    from typing_extensions import TypeIs

    _T = TypeVar("_T")


def is_int(v: object) -> TypeIs[int | np.integer[Any]]:
    """A Python or NumPy integer (not a bool).

    (For a type checker a bool is an int: no type says "an int but not a bool", so a
    False answer narrows a bool away as well.)
    """
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def check_tensor(t: object, op: str, name: str) -> None:
    """``t`` must be a Tensor."""
    if not isinstance(t, tensor_type()):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def check_number(value: _T, op: str, name: str, low: float | None = None,
                 high: float | None = None, low_open: bool = False) -> _T:
    """``value`` must be a real number in [low, high] (``(low, ...`` with low_open)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{op}: {name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and value > high:  # type: ignore[operator, unused-ignore]  # (numbers.Real's stubs)
        raise ValueError(f"{op}: {name} must be <= {high}, got {value!r}")
    return value


def pair(value: object, op: str, name: str) -> tuple[int, int]:
    """``3 -> (3, 3)``, ``(1, 2) -> (1, 2)``: an int-or-pair hyper-parameter, type-checked."""
    if is_int(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
        return int(value[0]), int(value[1])
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


@overload
def normalize_axis(axis: None, ndim: int, op: str) -> None: ...
@overload
def normalize_axis(axis: int | np.integer[Any], ndim: int, op: str) -> int: ...
@overload
def normalize_axis(axis: Sequence[int | np.integer[Any]], ndim: int, op: str) -> tuple[int, ...]: ...
def normalize_axis(axis: int | Sequence[int | np.integer[Any]] | np.integer[Any] | None, ndim: int,
                   op: str) -> int | tuple[int, ...] | None:
    """An axis (or tuple of axes) as non-negative ints, checked against ``ndim``.

    A 0-d tensor accepts axis 0 and -1 (as PyTorch). ``None`` stays ``None``.
    """
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    bound = max(ndim, 1)
    for a in axes:
        if not is_int(a):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {axis!r}")
        if not -bound <= a < bound:
            raise DimensionError(f"{op}: dim {a} is out of range for a tensor with {ndim} "
                                 f"dimensions (expected a dim in [{-bound}, {bound - 1}])")
        out.append(int(a) % bound)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {axis!r} repeats a dimension")
    return tuple(out) if isinstance(axis, (tuple, list)) else out[0]


def reduce_dims(t_ndim: int, op: str, dim: Any, keepdim: Any, axis: Any = None,
                keepdims: Any = None) -> tuple[int | tuple[int, ...] | None, bool]:
    """The ``dim``/``keepdim`` of a reduction (NumPy's ``axis``/``keepdims`` are aliases).

    ``dim=None`` and ``dim=()`` both reduce over every axis (PyTorch's meaning).
    """
    if axis is not None:
        if dim is not None and dim != ():
            raise TypeError(f"{op}: got both dim and axis")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    dim = normalize_axis(dim, t_ndim, op)
    if t_ndim == 0:
        dim = None  # a 0-d tensor: dim 0 / -1 means the whole (one-element) tensor
    if not isinstance(keepdim, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdim must be a bool, got {keepdim!r}")
    return dim, bool(keepdim)


def shape_arg(shape: Sequence[Any], op: str = "reshape") -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` → ``(2, 3)``, each size an int."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)) or \
            len(shape) == 1 and type(shape[0]).__name__ == "Size":
        shape = tuple(shape[0])
    for n in shape:
        if not is_int(n):
            raise TypeError(f"{op}: sizes must be ints, got {tuple(shape)!r}")
    return tuple(int(n) for n in shape)


def size_arg(size: Sequence[Any], op: str) -> tuple[int, ...]:
    """A factory's size: ints >= 0."""
    shape = shape_arg(size, op)
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: sizes must be non-negative, got {shape}")
    return shape
