"""Functions that make new tensors: ``tensor zeros ones full empty *_like rand randn
randint randperm arange linspace eye`` and friends, with PyTorch's arguments.

Every factory takes ``dtype=``, ``device=`` (only the CPU) and ``requires_grad=``;
floating results get the default dtype unless ``dtype`` says otherwise, and random ones
draw from minidl's seeded generator (``md.manual_seed``), or from ``generator=``.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .arguments import ArgumentError, is_int, size_arg
from .dtypes import as_dtype, get_default_dtype
from .tensor import Tensor, _rng, check_device, write_out

if TYPE_CHECKING:
    from ._typing import DType
    from .random import Generator

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn",
           "rand_like", "randn_like", "randint", "randint_like", "randperm", "arange",
           "linspace", "logspace", "eye", "multinomial", "bernoulli", "normal",
           "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"]


def _new(values, requires_grad, op):
    t = Tensor._make(values, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dtype(dtype, op, default=None):
    return as_dtype(dtype, op) if dtype is not None else (default or get_default_dtype())


def tensor(
    data: Any,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Make a Tensor from ``data`` (a copy); same as ``md.Tensor(data, ...)``."""
    check_device(device, "tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data: Any, dtype: DType | None = None, device: Any = None) -> Tensor:
    """``data`` as a Tensor, sharing memory with an ``np.ndarray`` when the dtype fits."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return Tensor._make(data, None)
    return Tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._make(array, None)


def _factory_out(fn: Any) -> Any:
    """``fn`` taking PyTorch's keyword ``out=``: the values made in ``out``'s dtype (unless
    ``dtype`` is given) and written into it (:func:`minidl.tensor.write_out`)."""
    @functools.wraps(fn)
    def with_out(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        if out is None:
            return fn(*args, **kwargs)
        if isinstance(out, Tensor) and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        return write_out(fn.__name__, fn(*args, **kwargs), out)
    return with_out


@_factory_out
def zeros(
    *size: int | Sequence[int],
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Tensor | None = None,
) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    check_device(device, "zeros")
    return _new(np.zeros(size_arg(size, "zeros"), _dtype(dtype, "zeros")), requires_grad,
                "zeros")


@_factory_out
def ones(
    *size: int | Sequence[int],
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Tensor | None = None,
) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    check_device(device, "ones")
    return _new(np.ones(size_arg(size, "ones"), _dtype(dtype, "ones")), requires_grad, "ones")


@_factory_out
def empty(
    *size: int | Sequence[int],
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Tensor | None = None,
) -> Tensor:
    """A tensor whose values are not set (minidl gives zeros)."""
    check_device(device, "empty")
    return _new(np.zeros(size_arg(size, "empty"), _dtype(dtype, "empty")), requires_grad,
                "empty")


@_factory_out
def full(
    size: int | Sequence[int],
    fill_value: float | bool,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Tensor | None = None,
) -> Tensor:
    """A tensor of ``fill_value``; its dtype is inferred from the value (bool, int64 or
    the default float) unless given, as PyTorch."""
    check_device(device, "full")
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, (bool, np.bool_)) else \
            np.int64 if is_int(fill_value) else get_default_dtype()
    return _new(np.full(size_arg((size,) if is_int(size) else tuple(size), "full"),
                        fill_value, as_dtype(dtype, "full")), requires_grad, "full")


def _like(t, dtype, op):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    return t.shape, as_dtype(dtype, op) if dtype is not None else t.dtype


def zeros_like(
    input: Tensor,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    shape, dt = _like(input, dtype, "zeros_like")
    return _new(np.zeros(shape, dt), requires_grad, "zeros_like")


def ones_like(
    input: Tensor,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    shape, dt = _like(input, dtype, "ones_like")
    return _new(np.ones(shape, dt), requires_grad, "ones_like")


def empty_like(
    input: Tensor,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    return zeros_like(input, dtype, device, requires_grad)


def full_like(
    input: Tensor,
    fill_value: float | bool,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    shape, dt = _like(input, dtype, "full_like")
    return _new(np.full(shape, fill_value, dt), requires_grad, "full_like")


def rand(
    *size: int | Sequence[int],
    generator: Generator | None = None,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the uniform U[0, 1), from minidl's seeded generator."""
    check_device(device, "rand")
    shape = size_arg(size, "rand")
    return _new(_rng(generator).random(shape).astype(_dtype(dtype, "rand")), requires_grad,
                "rand")


def randn(
    *size: int | Sequence[int],
    generator: Generator | None = None,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the standard normal N(0, 1), from minidl's seeded generator."""
    check_device(device, "randn")
    shape = size_arg(size, "randn")
    return _new(_rng(generator).standard_normal(shape).astype(_dtype(dtype, "randn")),
                requires_grad, "randn")


def rand_like(
    input: Tensor, dtype: DType | None = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    shape, dt = _like(input, dtype, "rand_like")
    return _new(_rng(None).random(shape).astype(dt), requires_grad, "rand_like")


def randn_like(
    input: Tensor, dtype: DType | None = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    shape, dt = _like(input, dtype, "randn_like")
    return _new(_rng(None).standard_normal(shape).astype(dt), requires_grad, "randn_like")


def randint(
    low: int = 0,
    high: int | None = None,
    size: int | Sequence[int] | None = None,
    *,
    generator: Generator | None = None,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` is given."""
    check_device(device, "randint")
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint: missing the size argument (a tuple)")
    if not is_int(low) or not is_int(high):
        raise TypeError(f"randint: low and high must be ints, got {low!r} and {high!r}")
    if high <= low:
        raise ArgumentError(f"randint: expects low < high, got low={low}, high={high}")
    shape = size_arg((tuple(size),) if not is_int(size) else (size,), "randint")
    values = _rng(generator).integers(low, high, shape)
    return _new(values.astype(as_dtype(dtype, "randint") if dtype else np.int64),
                requires_grad, "randint")


def randint_like(
    input: Tensor, low: int = 0, high: int | None = None, dtype: DType | None = None
) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of 0 .. n − 1 (int64)."""
    check_device(device, "randperm")
    if not is_int(n) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    return _new(_rng(generator).permutation(n).astype(as_dtype(dtype, "randperm")
                                                      if dtype else np.int64),
                requires_grad, "randperm")


@_factory_out
def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    *,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Tensor | None = None,
) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``, as ``torch.arange``.

    Integers give int64 unless ``dtype`` is given; any float gives the default dtype.
    """
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise ArgumentError("arange: step must be non-zero")
    if (end - start) * step < 0:
        raise ArgumentError(f"arange: upper bound and larger bound inconsistent with step "
                           f"sign (start={start}, end={end}, step={step})")
    floating = any(isinstance(v, float) for v in (start, end, step))
    if floating:
        n = int(np.ceil((end - start) / step))
        values = start + step * np.arange(n, dtype=np.float64)
    else:
        values = np.arange(start, end, step, dtype=np.int64)
    if dtype is not None:
        values = values.astype(as_dtype(dtype, "arange"))
    elif floating:
        values = values.astype(get_default_dtype())
    return _new(values, requires_grad, "arange")


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` values evenly spaced from ``start`` to ``end`` (both included)."""
    check_device(device, "linspace")
    if not is_int(steps) or steps < 0:
        raise ArgumentError(f"linspace: number of steps must be non-negative, got {steps!r}")
    return _new(np.linspace(start, end, steps).astype(_dtype(dtype, "linspace")),
                requires_grad, "linspace")


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    *,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    check_device(device, "logspace")
    return _new(np.logspace(start, end, steps, base=base).astype(_dtype(dtype, "logspace")),
                requires_grad, "logspace")


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: DType | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The identity matrix (n × m)."""
    check_device(device, "eye")
    return _new(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad, "eye")


def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Indices drawn from the rows of ``input`` (non-negative weights, not necessarily
    summing to one), as ``torch.multinomial``: (num_samples,) or (N, num_samples), int64."""
    p = np.asarray(input._array if isinstance(input, Tensor) else input, dtype=np.float64)
    if p.ndim not in (1, 2):
        raise ArgumentError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {p.shape}")
    if np.any(p < 0) or not np.all(np.isfinite(p)):
        raise ArgumentError("multinomial: probability tensor contains either inf, nan or "
                           "element < 0")
    rows = p.reshape(-1, p.shape[-1])
    if np.any(rows.sum(axis=1) <= 0):
        raise ArgumentError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise ArgumentError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) "
                           f"samples without replacement (n_sample={num_samples}, "
                           f"{rows.shape[1]} categories)")
    rng = _rng(generator)
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for r, row in enumerate(rows):
        out[r] = rng.choice(row.size, size=num_samples, replace=replacement, p=row / row.sum())
    return Tensor._make(out if p.ndim == 2 else out[0], None)


def bernoulli(
    input: Tensor, p: float | None = None, *, generator: Generator | None = None
) -> Tensor:
    """1 with probability ``input`` (elementwise), else 0; the input's dtype."""
    probs = input._array if p is None else np.full(input.shape, p)
    draw = _rng(generator).random(input.shape) < probs
    return Tensor._make(draw.astype(input.dtype), None)


def normal(
    mean: float | Tensor,
    std: float | Tensor = 1.0,
    size: int | Sequence[int] | None = None,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Samples of N(mean, std²): tensors broadcast, or numbers with ``size``."""
    m = mean._array if isinstance(mean, Tensor) else mean
    s = std._array if isinstance(std, Tensor) else std
    if size is not None:
        shape = size_arg((size,) if is_int(size) else tuple(size), "normal")
    else:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    dtype = next((t.dtype for t in (mean, std) if isinstance(t, Tensor)), get_default_dtype())
    return Tensor._make((_rng(generator).standard_normal(shape) * s + m).astype(dtype), None)




def _legacy_constructor(name, dtype):
    """PyTorch's typed constructors: ``LongTensor([[1, 2]])`` holds those values,
    ``FloatTensor(2, 3)`` is a new tensor of that size (zeros here; PyTorch leaves it
    uninitialised). The dtype is fixed by the name, not by the default dtype."""
    def constructor(*args, device=None):
        check_device(device, name)
        if len(args) == 1 and not is_int(args[0]) and not isinstance(args[0], tuple):
            return tensor(args[0], dtype=dtype)
        return zeros(*args, dtype=dtype)
    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = _legacy_constructor.__doc__
    return constructor


FloatTensor = _legacy_constructor("FloatTensor", np.float32)
DoubleTensor = _legacy_constructor("DoubleTensor", np.float64)
LongTensor = _legacy_constructor("LongTensor", np.int64)
IntTensor = _legacy_constructor("IntTensor", np.int32)
BoolTensor = _legacy_constructor("BoolTensor", np.bool_)
ByteTensor = _legacy_constructor("ByteTensor", np.uint8)
