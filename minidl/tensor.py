"""``Tensor``: a NumPy array that remembers how it was made.

A Tensor holds its values in a private ``np.ndarray`` (``t.numpy()`` gives it, shared,
not copied) and, when it was computed by a recorded op, the node of that op
(``t.grad_fn``, an instance of a :class:`minidl.Function` subclass) and which of the
node's outputs it is. ``t.backward()`` hands the graph to the engine
(``minidl/autograd/engine.py``), which walks it back to the leaves.

Every method here is thin: it checks its arguments (``minidl/arguments.py``), applies
PyTorch's type promotion (``minidl/promotion.py``) and calls one primitive of
``minidl/ops`` — or, for a composite such as ``var``, writes the formula. Names,
arguments and meanings are PyTorch's; NumPy's ``axis=``/``keepdims=`` are accepted as
aliases of ``dim=``/``keepdim=``.

In-place ops (``add_``, ``t[i] = v``, ...) follow PyTorch's rules: every tensor has a
version counter (shared with its views) that an in-place op bumps; on a tensor in the
graph the op is recorded (the tensor's history is rebased onto the new node, and the
base of a view gets a ``CopySlices`` node); on a leaf that requires grad it is an error
unless grad mode is off (``with md.no_grad(): p -= lr * p.grad``).
"""
from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple, overload

import numpy as np

from . import random as _random
from .arguments import (ArgumentError, ArgumentTypeError, check_number, is_int, normalize_axis, reduce_dims,
                        shape_arg)
from .autograd import engine, grad_mode
from .autograd.function import register_tensor_type
from .dtypes import as_array, as_dtype, get_default_dtype
from .ops import elementwise as _ew
from .ops import linalg as _la
from .ops import reduce as _red
from .ops import shape as _shp
from .ops import softmax as _sm
from .ops import special as _sp
from .promotion import promote, result_type

if TYPE_CHECKING:
    # Tensor has methods named int, float, bool and type: inside the class the builtins
    # are written _int, _float, _bool (and the device class _Device)
    from builtins import bool as _bool
    from builtins import float as _float
    from builtins import int as _int
    from typing import Callable, Iterator, Literal, NoReturn, Sequence, SupportsIndex, Union

    from ._typing import DType, TensorLike
    from .autograd.function import Function
    from .random import Generator

    _Dims = Union[_int, tuple[_int, ...], list[_int], None]   # dim=: one, several, all
    _Shape = Union[_int, tuple[_int, ...], list[_int]]        # f(2, 3) or f((2, 3))
    _Operand = Union["Tensor", np.ndarray, _float]            # a tensor or a number
    _Hook = Callable[["Tensor"], Union["Tensor", None]]

__all__ = ["Tensor", "device", "return_types"]

_new_tensor = object.__new__


def write_out(op: str, result: Tensor, out: Tensor | None) -> Tensor:
    """PyTorch's ``out=``: ``result`` written into ``out``, which is returned (``result``
    itself when ``out`` is None).

    ``out`` takes the result's shape (resized when it differs) and keeps its own dtype,
    which the result must be castable to as PyTorch allows (not float into an integer
    tensor, nor anything but bool into a bool one). As in PyTorch, an op with ``out=``
    records no gradient: it is an error where one would be needed.
    """
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise ArgumentTypeError(f"{op}: out must be a Tensor, got {type(out).__name__}")
    if grad_mode._enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad")
    src, dst = result._array, out._array
    if op in ("argmax", "argmin") and dst.dtype != src.dtype:    # indices: int64 only
        raise RuntimeError(f"{op}: expected out tensor to have dtype {src.dtype}, but got "
                           f"{dst.dtype} instead")
    if not np.can_cast(src.dtype, dst.dtype, "same_kind"):
        raise RuntimeError(f"{op}: result type {src.dtype} can't be cast to the desired output "
                           f"type {dst.dtype} of out")
    if dst.shape != src.shape:
        if dst.size:
            warnings.warn(f"{op}: an output with one or more elements was resized since it had "
                          f"shape {list(dst.shape)}, which does not match the required output "
                          f"shape {list(src.shape)} (as PyTorch, which deprecates this; pass an "
                          f"out with zero elements)", UserWarning, stacklevel=3)
        out._array = dst = np.empty(src.shape, dst.dtype)        # resized, as PyTorch
    np.copyto(dst, src, casting="same_kind")
    out._vc[0] += 1
    return out


def _with_out(fn: Any) -> Any:
    """``fn`` taking PyTorch's keyword ``out=`` (see :func:`write_out`)."""
    @functools.wraps(fn)
    def with_out(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        return result if out is None else write_out(fn.__name__, result, out)
    return with_out


class device:
    """``md.device("cpu")``: minidl runs on the CPU only; any other device is an error."""

    type: str
    index: None

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type = type.type
        name = str(type).split(":")[0]
        if name != "cpu":
            raise RuntimeError(f"device: minidl runs on the CPU only, got device {type!r}")
        self.type, self.index = "cpu", None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (device, str)) and str(other).split(":")[0] == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"


if TYPE_CHECKING:
    _Device = device


_CPU = device("cpu")


def check_device(dev: object, op: str) -> None:
    """Accept ``None``, ``"cpu"`` or ``md.device("cpu")``; refuse anything else."""
    if dev is None or dev == "cpu" or isinstance(dev, device):
        return
    if isinstance(dev, int) or str(dev).split(":")[0] != "cpu":
        raise RuntimeError(f"{op}: minidl runs on the CPU only, got device={dev!r}")


class return_types:
    """Named results, as ``torch.return_types``: ``values, indices = x.max(dim=1)``."""

    class max(NamedTuple):
        values: Tensor
        indices: Tensor

    class min(NamedTuple):
        values: Tensor
        indices: Tensor

    class topk(NamedTuple):
        values: Tensor
        indices: Tensor

    class sort(NamedTuple):
        values: Tensor
        indices: Tensor

    class median(NamedTuple):
        values: Tensor
        indices: Tensor

    class aminmax(NamedTuple):
        min: Tensor
        max: Tensor

    class cummax(NamedTuple):
        values: Tensor
        indices: Tensor

    class cummin(NamedTuple):
        values: Tensor
        indices: Tensor

    class kthvalue(NamedTuple):
        values: Tensor
        indices: Tensor

    class nanmedian(NamedTuple):
        values: Tensor
        indices: Tensor

    class mode(NamedTuple):
        values: Tensor
        indices: Tensor


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: an ``np.ndarray`` (its dtype is kept), a Python number or a nested list
            (floats get the default dtype, float32 unless changed; ints int64; bools
            bool). The data are copied.
        requires_grad: record operations on this tensor so that ``backward`` can
            compute ``∂L/∂tensor`` into ``.grad``. Only floating tensors can.
        dtype: convert the data to this dtype.

    Attributes:
        data (Tensor): the same values, cut off from the graph (shares memory).
        grad (Tensor or None): ∂L/∂tensor, accumulated by ``backward``.
        requires_grad (bool), shape, ndim, dtype, device, is_leaf, grad_fn.

    >>> import minidl as md
    >>> x = md.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = ("_array", "_grad", "requires_grad", "_ctx", "_nr", "_vc", "_base", "_view",
                 "_meta", "__weakref__")
    __array_priority__ = 1000

    _array: np.ndarray          # the values
    _grad: Tensor | None
    requires_grad: _bool
    _ctx: Function | None       # the node that computed it (None: a leaf)
    _nr: _int                   # which of the node's outputs it is
    _vc: list[_int]             # the version counter (one item), shared with its views
    _base: Tensor | None        # the tensor it is a view of
    _view: tuple[Any, ...]      # the (op, args) chain that made the view from the base
    _meta: dict[str, Any] | None   # hooks of a leaf, retains_grad

    def __init__(self, data: TensorLike | np.generic | None = None, requires_grad: _bool = False,
                 dtype: DType | None = None, device: Any = None) -> None:
        check_device(device, "tensor")
        if data is None:
            data = np.zeros(0, dtype=dtype or get_default_dtype())
        if isinstance(data, Tensor):
            data = data._array
        self._array = as_array(data, dtype)
        self._grad = None
        self._ctx = None
        self._nr = 0
        self._vc = [0]
        self._base = None
        self._view = ()
        self._meta = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(array: np.ndarray, ctx: Function | None, nr: _int = 0) -> Tensor:
        """Wrap an op's result without copying (the engine's fast path)."""
        t = _new_tensor(Tensor)
        t._array = array
        t._grad = None
        t._ctx = ctx
        t._nr = nr
        t._vc = [0]
        t._base = None
        t._view = ()
        t._meta = None
        t.requires_grad = ctx is not None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def data(self) -> Tensor:
        """The values as a Tensor cut off from the graph (shares memory, PyTorch's
        ``.data``); assigning to it replaces the values."""
        return Tensor._make(self._array, None)

    @data.setter
    def data(self, value: TensorLike) -> None:
        self._array = value._array if isinstance(value, Tensor) else as_array(value)

    @property
    def grad(self) -> Tensor | None:
        """∂L/∂self accumulated by ``backward`` (a Tensor), or None."""
        return self._grad

    @grad.setter
    def grad(self, value: TensorLike | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                value = Tensor._make(np.array(value, dtype=self._array.dtype), None)
            if value._array.shape != self._array.shape:
                raise ArgumentError(f"grad: assigned grad has shape {value.shape} but the "
                                   f"tensor has shape {self.shape}")
        self._grad = value

    @property
    def shape(self) -> tuple[_int, ...]:
        return self._array.shape

    @property
    def ndim(self) -> _int:
        return self._array.ndim

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._array.dtype

    @property
    def device(self) -> _Device:
        return _CPU

    @property
    def is_cuda(self) -> _bool:
        return False

    @property
    def is_leaf(self) -> _bool:
        """True for a tensor not computed by a recorded op (e.g. a parameter)."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The node that computed this tensor, or None for a leaf."""
        return self._ctx

    @property
    def _version(self) -> _int:
        """How many in-place changes this tensor's memory has seen."""
        return self._vc[0]

    @overload
    def size(self, dim: None = None) -> tuple[_int, ...]: ...
    @overload
    def size(self, dim: _int) -> _int: ...
    def size(self, dim: _int | None = None) -> tuple[_int, ...] | _int:
        """The shape (as PyTorch's ``size()``), or its length along ``dim``."""
        if dim is None:
            return self._array.shape
        return self._array.shape[normalize_axis(dim, self.ndim, "size")]

    def numel(self) -> _int:
        return self._array.size

    nelement = numel

    def dim(self) -> _int:
        return self._array.ndim

    ndimension = dim

    def element_size(self) -> _int:
        return self._array.itemsize

    @overload
    def stride(self, dim: None = None) -> tuple[_int, ...]: ...
    @overload
    def stride(self, dim: _int) -> _int: ...
    def stride(self, dim: _int | None = None) -> tuple[_int, ...] | _int:
        strides = tuple(s // self._array.itemsize for s in self._array.strides)
        return strides if dim is None else strides[dim]

    def is_contiguous(self, memory_format: Any = None) -> _bool:
        return self._array.flags.c_contiguous

    def is_floating_point(self) -> _bool:
        return self._array.dtype.kind == "f"

    def is_complex(self) -> _bool:
        return self._array.dtype.kind == "c"

    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        if requires_grad and self._array.dtype.kind not in "fc":
            raise ArgumentTypeError(f"requires_grad_: only Tensors of floating point dtype can "
                               f"require gradients, got dtype {self._array.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad of a non-leaf "
                               "tensor (only leaves' flags can change); use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------------------ conversions
    def numpy(self, force: _bool = False) -> np.ndarray:
        """The values as an ``np.ndarray`` (shared, not copied)."""
        return self._array

    def item(self) -> _int | _float | _bool:
        """The value of a one-element tensor as a Python number."""
        if self._array.size != 1:
            raise ArgumentError(f"item: only one-element tensors can be converted to a "
                                f"Python number, got shape {self.shape}")
        return self._array.item()

    def tolist(self) -> Any:
        return self._array.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's memory (and version counter), cut off from
        the graph."""
        t = Tensor._make(self._array, None)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("detach_: cannot detach a view of a tensor that requires grad")
        self._ctx, self._nr, self.requires_grad = None, 0, False
        return self

    def clone(self, memory_format: Any = None) -> Tensor:
        return _ew.Clone.apply(self)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        return self if self._array.flags.c_contiguous else self.clone()

    def to(self, *args: Any, dtype: DType | None = None, device: Any = None,
           non_blocking: _bool = False, copy: _bool = False, memory_format: Any = None) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(other_tensor)``, ``to("cpu", dtype)``: a cast
        (differentiable); itself when nothing changes (unless ``copy``)."""
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, globals()["device"])):
                device = a
            elif a is not None:
                dtype = a
        check_device(device, "to")
        if dtype is None:
            return self.clone() if copy else self
        dtype = as_dtype(dtype, "to")
        if dtype == self._array.dtype:
            return self.clone() if copy else self
        return _ew.Cast.apply(self, dtype)

    def astype(self, dtype: DType) -> Tensor:
        return self.to(dtype)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("cuda: minidl runs on the CPU only")

    def double(self) -> Tensor:
        return self.to(np.float64)

    def float(self) -> Tensor:
        return self.to(np.float32)

    def half(self) -> Tensor:
        return self.to(np.float16)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def short(self) -> Tensor:
        return self.to(np.int16)

    def byte(self) -> Tensor:
        return self.to(np.uint8)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    @overload
    def type(self, dtype: None = None, non_blocking: _bool = False) -> str: ...
    @overload
    def type(self, dtype: str | np.dtype[Any] | type[Any], non_blocking: _bool = False) -> Tensor: ...
    def type(self, dtype: DType | None = None, non_blocking: _bool = False) -> str | Tensor:
        """``type()`` names the dtype as PyTorch does (``'torch.FloatTensor'``);
        ``type(dtype)`` casts."""
        if dtype is None:
            return _TYPE_NAMES.get(self._array.dtype.name, self._array.dtype.name)
        if isinstance(dtype, str):
            names = {v: k for k, v in _TYPE_NAMES.items()}
            if dtype not in names:
                raise TypeError(f"type: unknown type {dtype!r}")
            dtype = names[dtype]
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy's ufuncs on Tensors (``np.exp(t)``, ``ndarray * t``) are Tensor ops, with
        their gradients; a ufunc minidl has no op for works on values that need none."""
        if method != "__call__":
            return NotImplemented
        if kwargs.get("out") is not None:            # ``array += tensor``: plain values
            if any(isinstance(x, Tensor) and x.requires_grad and grad_mode._enabled
                   for x in inputs + tuple(kwargs["out"])):
                raise TypeError(f"np.{ufunc.__name__}(..., out=...) with a Tensor that "
                                f"requires grad: use Tensor ops (or md.no_grad())")
            kwargs["out"] = tuple(_raw(o) for o in kwargs["out"])
            return ufunc(*(_raw(x) for x in inputs), **kwargs)
        fn = _UFUNCS.get(ufunc)
        if fn is not None and not kwargs:
            return fn(*inputs)
        if any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
            raise TypeError(f"np.{ufunc.__name__} of a Tensor that requires grad has no "
                            f"gradient in minidl; use the Tensor method instead")
        out = ufunc(*(_raw(x) for x in inputs), **kwargs)
        if isinstance(out, tuple):
            return tuple(Tensor._make(np.asarray(o), None) for o in out)
        return Tensor._make(np.asarray(out), None)

    def __array__(self, dtype: DType | None = None, copy: _bool | None = None) -> np.ndarray:
        """NumPy's view of the values (shared, as ``t.numpy()``), or a copy when NumPy asks
        for one (``np.array(t)``, ``copy=True``) or for another dtype."""
        a = self._array
        if dtype is not None and np.dtype(dtype) != a.dtype:
            if copy is False:
                raise ValueError(f"__array__: cannot give a {np.dtype(dtype)} array of a "
                                 f"{a.dtype} tensor without a copy (copy=False)")
            return a.astype(dtype)
        return a.copy() if copy else a

    def __len__(self) -> _int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._array)

    def __iter__(self) -> Iterator[Tensor]:
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __float__(self) -> _float:
        return float(self.item())

    def __int__(self) -> _int:
        return int(self.item())

    def __index__(self) -> _int:
        if self._array.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to "
                            "an index")
        return int(self._array.item())

    def __bool__(self) -> _bool:
        if self._array.size != 1:
            raise ArgumentError(f"bool: the truth value of a Tensor with more than one value "
                               f"is ambiguous (shape {self.shape}); use .any() or .all()")
        return bool(self._array.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self._array, separator=", ", prefix="tensor(")
        extra = ""
        kind = self._array.dtype.kind
        default = kind == "f" and self._array.dtype == get_default_dtype() or \
            self._array.dtype in (np.int64, np.bool_)
        if not default or self._array.size == 0:
            extra += f", dtype={_dtype_name(self._array.dtype)}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name()}Backward>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __format__(self, spec: str) -> str:
        if self._array.ndim == 0:
            return format(self._array.item(), spec)
        return format(repr(self), spec)

    def __deepcopy__(self, memo: dict[_int, Any]) -> Tensor:
        t = Tensor._make(self._array.copy(), None)
        t.requires_grad = self.requires_grad
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._array.copy(), None)
        if type(self) is not Tensor:
            new = object.__new__(type(self))
            for slot in Tensor.__slots__[:-1]:
                setattr(new, slot, getattr(t, slot))
            if hasattr(self, "__dict__"):
                new.__dict__.update(self.__dict__)
            t = new
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (_rebuild, (self._array, self.requires_grad, type(self)))

    # ------------------------------------------------------------------ new tensors
    def new_tensor(self, data: TensorLike, dtype: DType | None = None, device: Any = None,
                   requires_grad: _bool = False) -> Tensor:
        return Tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad,
                      device=device)

    def new_zeros(self, *size: _Shape, dtype: DType | None = None, device: Any = None,
                  requires_grad: _bool = False) -> Tensor:
        return self._new(np.zeros, size, dtype, device, requires_grad)

    def new_ones(self, *size: _Shape, dtype: DType | None = None, device: Any = None,
                 requires_grad: _bool = False) -> Tensor:
        return self._new(np.ones, size, dtype, device, requires_grad)

    def new_empty(self, *size: _Shape, dtype: DType | None = None, device: Any = None,
                  requires_grad: _bool = False) -> Tensor:
        return self._new(np.zeros, size, dtype, device, requires_grad)

    def new_full(self, size: tuple[_int, ...] | list[_int], fill_value: _float,
                 dtype: DType | None = None,
                 device: Any = None, requires_grad: _bool = False) -> Tensor:
        check_device(device, "new_full")
        dt = as_dtype(dtype, "new_full") if dtype is not None else self.dtype
        t = Tensor._make(np.full(shape_arg((size,), "new_full"), fill_value, dt), None)
        return t.requires_grad_(True) if requires_grad else t

    def _new(self, fill, size, dtype, device, requires_grad):
        check_device(device, "new")
        dt = as_dtype(dtype, "new") if dtype is not None else self.dtype
        t = Tensor._make(fill(shape_arg(size, "new"), dt), None)
        return t.requires_grad_(True) if requires_grad else t

    # ------------------------------------------------------------------ arithmetic
    # Each operator is one primitive op (minidl/ops/) after PyTorch's type promotion
    # (minidl/promotion.py). The fast path (a floating tensor with a Python number or a
    # tensor of its own dtype) skips the promotion rules, which give the same answer.
    def __add__(self, other: TensorLike) -> Tensor:
        return _binary(_ew.Add, self, other, "add")

    def __radd__(self, other: TensorLike) -> Tensor:
        return _binary(_ew.Add, other, self, "add")

    def __sub__(self, other: TensorLike) -> Tensor:
        return _binary(_ew.Sub, self, other, "sub")

    def __rsub__(self, other: TensorLike) -> Tensor:
        return _binary(_ew.Sub, other, self, "sub")

    def __mul__(self, other: TensorLike) -> Tensor:
        return _binary(_ew.Mul, self, other, "mul")

    def __rmul__(self, other: TensorLike) -> Tensor:
        return _binary(_ew.Mul, other, self, "mul")

    def __truediv__(self, other: TensorLike) -> Tensor:
        return _binary(_ew.Div, self, other, "div")

    def __rtruediv__(self, other: TensorLike) -> Tensor:
        return _binary(_ew.Div, other, self, "div")

    def __floordiv__(self, other: TensorLike) -> Tensor:
        return _no_grad_binary(_floor_divide, self, other, "floor_divide")

    def __rfloordiv__(self, other: TensorLike) -> Tensor:
        return _no_grad_binary(_floor_divide, other, self, "floor_divide")

    def __mod__(self, other: TensorLike) -> Tensor:
        return _modulo(_ew.Remainder, self, other, "remainder")

    def __rmod__(self, other: TensorLike) -> Tensor:
        return _modulo(_ew.Remainder, other, self, "remainder")

    def __pow__(self, other: TensorLike) -> Tensor:
        if self._array.dtype == np.bool_ and isinstance(other, bool):
            return self.clone() if other else self.new_ones(self.shape)   # x¹, x⁰ (bool)
        _no_bool_pair(self, other, "pow")
        if type(other) is int and other < 0 and self._array.dtype.kind in "biu":
            raise ValueError("pow: Integers to negative integer powers are not allowed "
                             f"(a Python int exponent {other}; PyTorch's rule)")
        return _binary(_ew.Pow, self, other, "pow")

    def __rpow__(self, other: TensorLike) -> Tensor:
        _no_bool_pair(other, self, "pow")
        return _binary(_ew.Pow, other, self, "pow")

    def __matmul__(self, other: Tensor | np.ndarray) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: Tensor | np.ndarray) -> Tensor:
        return _matmul(other, self)

    def __neg__(self) -> Tensor:
        if self._array.dtype == np.bool_:
            raise TypeError("neg: negation of a bool tensor is not supported; use ~")
        return _ew.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    def __invert__(self) -> Tensor:
        if self._array.dtype.kind not in "biu":
            raise TypeError(f"bitwise_not: only integer and bool tensors, got {self.dtype}")
        return Tensor._make(~self._array, None)

    def __and__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_and, self, other, "bitwise_and")

    __rand__ = __and__

    def __or__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_or, self, other, "bitwise_or")

    __ror__ = __or__

    def __xor__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_xor, self, other, "bitwise_xor")

    __rxor__ = __xor__

    # augmented assignment changes the tensor in place, as in PyTorch: ``p -= lr * p.grad``
    # under no_grad updates the parameter (without these Python would rebind ``p``)
    def __iadd__(self, other: TensorLike) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: TensorLike) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: TensorLike) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: TensorLike) -> Tensor:
        return self.div_(other)

    def __ifloordiv__(self, other: TensorLike) -> Tensor:
        return self.div_(other, rounding_mode="floor")

    def __imod__(self, other: TensorLike) -> Tensor:
        return self.remainder_(other)

    def __ipow__(self, other: TensorLike) -> Tensor:
        return self.pow_(other)

    def __iand__(self, other: TensorLike) -> Tensor:
        return self._bitwise_("bitwise_and_", np.bitwise_and, other)

    def __ior__(self, other: TensorLike) -> Tensor:
        return self._bitwise_("bitwise_or_", np.bitwise_or, other)

    def __ixor__(self, other: TensorLike) -> Tensor:
        return self._bitwise_("bitwise_xor_", np.bitwise_xor, other)

    def _bitwise_(self, name, ufunc, other):
        result = _bitwise(ufunc, self, other, name.rstrip("_"))
        if result.dtype != self.dtype:
            raise ArgumentTypeError(f"{name}: result type {_dtype_name(result.dtype)} can't be "
                                    f"cast to the desired output type {_dtype_name(self.dtype)}")
        return self.copy_(result)

    # comparisons give boolean tensors that carry no gradient
    def __lt__(self, other: TensorLike) -> Tensor:
        return _compare(np.less, self, other, "lt")

    def __le__(self, other: TensorLike) -> Tensor:
        return _compare(np.less_equal, self, other, "le")

    def __gt__(self, other: TensorLike) -> Tensor:
        return _compare(np.greater, self, other, "gt")

    def __ge__(self, other: TensorLike) -> Tensor:
        return _compare(np.greater_equal, self, other, "ge")

    # ``t == None`` is False (a bool), as in PyTorch; a value of no supported kind compares
    # by identity (Python's fallback), also a bool
    @overload  # type: ignore[override]
    def __eq__(self, other: None) -> _bool: ...
    @overload
    def __eq__(self, other: Tensor | np.ndarray | complex | np.generic | list[Any] | tuple[Any, ...]) -> Tensor: ...
    @overload
    def __eq__(self, other: object) -> Tensor | _bool: ...
    def __eq__(self, other: object) -> Tensor | _bool:
        if other is None:
            return False
        return _compare(np.equal, self, other, "eq")

    # ``t == None`` is True (a bool), as in PyTorch; a value of no supported kind compares
    # by identity (Python's fallback), also a bool
    @overload  # type: ignore[override]
    def __ne__(self, other: None) -> _bool: ...
    @overload
    def __ne__(self, other: Tensor | np.ndarray | complex | np.generic | list[Any] | tuple[Any, ...]) -> Tensor: ...
    @overload
    def __ne__(self, other: object) -> Tensor | _bool: ...
    def __ne__(self, other: object) -> Tensor | _bool:
        if other is None:
            return True
        return _compare(np.not_equal, self, other, "ne")

    lt, le, gt, ge = __lt__, __le__, __gt__, __ge__
    less, less_equal, greater, greater_equal = __lt__, __le__, __gt__, __ge__

    def eq(self, other: TensorLike) -> Tensor:
        return _compare(np.equal, self, other, "eq")

    def ne(self, other: TensorLike) -> Tensor:
        return _compare(np.not_equal, self, other, "ne")

    def equal(self, other: Tensor) -> _bool:
        """True if both have the same shape and elements (a Python bool)."""
        return self.shape == other.shape and bool(np.array_equal(self._array, other._array))

    def allclose(self, other: TensorLike, rtol: _float = 1e-05, atol: _float = 1e-08,
                 equal_nan: _bool = False) -> _bool:
        return bool(np.allclose(self._array, _raw(other), rtol=rtol, atol=atol,
                                equal_nan=equal_nan))

    def isclose(self, other: TensorLike, rtol: _float = 1e-05, atol: _float = 1e-08,
                equal_nan: _bool = False) -> Tensor:
        return Tensor._make(np.isclose(self._array, _raw(other), rtol=rtol, atol=atol,
                                       equal_nan=equal_nan), None)

    def logical_not(self) -> Tensor:
        return Tensor._make(np.logical_not(self._array), None)

    def logical_and(self, other: TensorLike) -> Tensor:
        return Tensor._make(np.logical_and(self._array, _raw(other)), None)

    def logical_or(self, other: TensorLike) -> Tensor:
        return Tensor._make(np.logical_or(self._array, _raw(other)), None)

    def logical_xor(self, other: TensorLike) -> Tensor:
        return Tensor._make(np.logical_xor(self._array, _raw(other)), None)

    def isnan(self) -> Tensor:
        return Tensor._make(np.isnan(self._array), None)

    def isinf(self) -> Tensor:
        return Tensor._make(np.isinf(self._array), None)

    def isfinite(self) -> Tensor:
        return Tensor._make(np.isfinite(self._array), None)

    def matmul(self, other: Tensor) -> Tensor:
        return _matmul(self, other)

    def mm(self, other: Tensor) -> Tensor:
        if self.ndim != 2 or _ndim(other) != 2:
            raise ArgumentError(f"mm: both arguments must be 2-D, got shapes {self.shape} and "
                               f"{np.shape(_raw(other))}")
        return _matmul(self, other)

    def bmm(self, other: Tensor) -> Tensor:
        if self.ndim != 3 or _ndim(other) != 3:
            raise ArgumentError(f"bmm: both arguments must be 3-D, got shapes {self.shape} and "
                               f"{np.shape(_raw(other))}")
        return _matmul(self, other)

    def dot(self, other: Tensor) -> Tensor:
        if self.ndim != 1 or _ndim(other) != 1:
            raise ArgumentError("dot: 1D tensors expected")
        return _matmul(self, other)

    def mv(self, other: Tensor) -> Tensor:
        return _matmul(self, other)

    def pow(self, exponent: TensorLike) -> Tensor:
        return self ** exponent

    def add(self, other: _Operand, alpha: _float = 1) -> Tensor:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: _Operand, alpha: _float = 1) -> Tensor:
        return self - (other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other: TensorLike) -> Tensor:
        return self * other

    multiply = mul

    def div(self, other: TensorLike, rounding_mode: str | None = None) -> Tensor:
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return _no_grad_binary(_floor_divide, self, other, "div")
        if rounding_mode == "trunc":
            return _no_grad_binary(lambda a, b: np.trunc(np.true_divide(a, b)).astype(
                np.result_type(a, b), copy=False), self, other, "div")
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")

    divide = true_divide = div

    def floor_divide(self, other: TensorLike) -> Tensor:
        return self // other

    def remainder(self, other: TensorLike) -> Tensor:
        return self % other

    def fmod(self, other: TensorLike) -> Tensor:
        return _modulo(_ew.Fmod, self, other, "fmod")

    def neg(self) -> Tensor:
        return -self

    negative = neg

    def reciprocal(self) -> Tensor:
        return 1 / _floating(self)

    def square(self) -> Tensor:
        if self._array.dtype == np.bool_:
            return self.long() * self.long()          # pow(x, 2): bool squares to int64
        return self * self

    def rsqrt(self) -> Tensor:
        return 1 / self.sqrt()

    def lerp(self, end: _Operand, weight: _Operand) -> Tensor:
        return self + weight * (end - self)

    def addcmul(self, tensor1: Tensor, tensor2: Tensor, value: _float = 1) -> Tensor:
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, value: _float = 1) -> Tensor:
        return self + value * tensor1 / tensor2

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        return _ew.Exp.apply(_floating(self))

    def log(self) -> Tensor:
        return _ew.Log.apply(_floating(self))

    def log1p(self) -> Tensor:
        return _ew.Log1p.apply(_floating(self))

    def log2(self) -> Tensor:
        return self.log() / np.log(2.0)

    def log10(self) -> Tensor:
        return self.log() / np.log(10.0)

    def expm1(self) -> Tensor:
        return self.exp() - 1

    def sqrt(self) -> Tensor:
        return _ew.Sqrt.apply(_floating(self))

    def sin(self) -> Tensor:
        return _ew.Sin.apply(_floating(self))

    def cos(self) -> Tensor:
        return _ew.Cos.apply(_floating(self))

    def tan(self) -> Tensor:
        return self.sin() / self.cos()

    def tanh(self) -> Tensor:
        return _ew.Tanh.apply(_floating(self))

    def sigmoid(self) -> Tensor:
        return _ew.Sigmoid.apply(_floating(self))

    def relu(self) -> Tensor:
        if self._array.dtype == np.bool_:
            raise TypeError("relu: not implemented for bool tensors")
        return _ew.Relu.apply(self)

    def abs(self) -> Tensor:
        _no_bool(self, "abs")
        return _ew.Abs.apply(self)

    absolute = abs

    def sign(self) -> Tensor:
        if self._array.dtype == np.bool_:
            return self.clone()                       # sign of a bool is itself (PyTorch)
        out = _ew.Sign.apply(self)
        if self.dtype.kind == "f" and np.isnan(self._array).any():
            out = where(self.isnan(), 0.0, out)       # sign(NaN) = 0, as PyTorch (NumPy: NaN)
        return out

    sgn = sign

    def floor(self) -> Tensor:
        _no_bool(self, "floor")
        return _ew.Floor.apply(self) if self.dtype.kind in "fc" else self.clone()

    def ceil(self) -> Tensor:
        _no_bool(self, "ceil")
        return _ew.Ceil.apply(self) if self.dtype.kind in "fc" else self.clone()

    def round(self, decimals: _int = 0) -> Tensor:
        _no_bool(self, "round")
        if decimals:
            scale = 10.0 ** decimals
            return (self * scale).round() / scale
        return _ew.Round.apply(self) if self.dtype.kind in "fc" else self.clone()

    def trunc(self) -> Tensor:
        _no_bool(self, "trunc")
        return _ew.Trunc.apply(self) if self.dtype.kind in "fc" else self.clone()

    def clamp(self, min: TensorLike | None = None, max: TensorLike | None = None) -> Tensor:
        """Limit values to ``[min, max]``; the gradient passes where ``min <= x <= max``."""
        if min is None and max is None:
            raise ArgumentError("clip: at least one of min and max must be given (clamp)")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, (Tensor, np.ndarray, int, float,
                                                            np.number)) \
                    or isinstance(bound, bool):
                raise TypeError(f"clamp: {name} must be a number or a Tensor, got {bound!r}")
        lo, hi = _raw(min), _raw(max)
        x = self
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            # tensor bounds are differentiable too, with torch.clamp's gradient: x's passes
            # where min ≤ x ≤ max (a tie goes to x), min's where x < min < max, max's where
            # x > max or min > max; elsewhere (min = max > x, a NaN) nobody gets one
            a = self._array
            value = a
            if lo is not None:
                value = np.maximum(value, lo)
            if hi is not None:
                value = np.minimum(value, hi)
            out = Tensor._make(np.asarray(value), None)        # the value, no gradient
            with np.errstate(invalid="ignore"):
                lo_ok = True if lo is None else a >= lo
                hi_ok = True if hi is None else a <= hi
                to_max = None if hi is None else (a > hi) | (False if lo is None else lo > hi)
                to_min = None if lo is None else (a < lo) & (True if hi is None else lo < hi)
            if to_max is not None:
                assert max is not None                      # (to_max is set only with a max)
                nan = np.isnan(value)                       # a NaN anywhere stays NaN
                top = max + Tensor._make(np.where(nan, np.nan, 0.0).astype(value.dtype), None) \
                    if nan.any() else max
                out = where(Tensor._make(np.asarray(to_max), None), top, out)
            if to_min is not None:
                assert min is not None
                out = where(Tensor._make(np.asarray(to_min), None), min, out)
            return where(Tensor._make(np.asarray(lo_ok & hi_ok), None), self, out)
        if self.dtype.kind in "iub" and any(isinstance(b, float) for b in (lo, hi)):
            x = self.to(get_default_dtype())
        elif self.dtype == np.bool_ and any(isinstance(b, int) and not isinstance(b, bool)
                                            for b in (lo, hi)):
            x = self.long()                           # bool with an int bound: int64
        return _ew.Clip.apply(x, lo, hi)

    clip = clamp

    def clamp_min(self, min: TensorLike) -> Tensor:
        return self.clamp(min=min)

    def clamp_max(self, max: TensorLike) -> Tensor:
        return self.clamp(max=max)

    def maximum(self, other: TensorLike) -> Tensor:
        return maximum(self, other)

    def minimum(self, other: TensorLike) -> Tensor:
        return minimum(self, other)

    def where(self, condition: TensorLike, other: TensorLike) -> Tensor:
        return where(condition, self, other)

    def masked_fill(self, mask: TensorLike, value: TensorLike) -> Tensor:
        """``value`` where ``mask`` is True, else this tensor (mask broadcasts)."""
        m = _raw(mask)
        if np.asarray(m).dtype != np.bool_:
            raise ArgumentError(f"masked_fill: mask must be a bool tensor, got dtype "
                               f"{np.asarray(m).dtype}")
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ArgumentError(f"masked_fill: only 0-dimensional value tensors are "
                                   f"supported, got shape {value.shape}")
            value = value.to(self.dtype)
        else:
            value = np.asarray(value).astype(self.dtype) if self.dtype.kind in "iub" \
                else value
        try:                                   # out of place, both broadcast (as PyTorch)
            np.broadcast_shapes(np.shape(m), self.shape)
        except ValueError:
            raise ArgumentError(f"masked_fill: mask of shape {np.shape(m)} does not broadcast "
                                f"with the tensor's shape {self.shape}") from None
        return _ew.Where.apply(m, value, self)

    def softmax(self, dim: _int, dtype: DType | None = None) -> Tensor:
        x = self.to(dtype) if dtype is not None else _floating(self)
        return _sm.Softmax.apply(x, normalize_axis(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: _int, dtype: DType | None = None) -> Tensor:
        x = self.to(dtype) if dtype is not None else _floating(self)
        return _sm.LogSoftmax.apply(x, normalize_axis(dim, self.ndim, "log_softmax"))

    # ------------------------------------------------------------------ more elementwise math
    # Inverse trigonometric and hyperbolic functions, special functions: one primitive
    # each (minidl/ops/elementwise.py, special.py); integers are computed in the default
    # dtype, as PyTorch. The arc* names are PyTorch's (and NumPy's) aliases.
    def asin(self) -> Tensor:
        """asin(x) in [−π/2, π/2]; asin'(x) = 1/√(1 − x²) (NaN outside [−1, 1])."""
        return _ew.Asin.apply(_floating(self))

    def acos(self) -> Tensor:
        """acos(x) in [0, π]; acos'(x) = −1/√(1 − x²)."""
        return _ew.Acos.apply(_floating(self))

    def atan(self) -> Tensor:
        """atan(x) in (−π/2, π/2); atan'(x) = 1/(1 + x²)."""
        return _ew.Atan.apply(_floating(self))

    def sinh(self) -> Tensor:
        """sinh(x) = (eˣ − e⁻ˣ)/2; sinh' = cosh."""
        return _ew.Sinh.apply(_floating(self))

    def cosh(self) -> Tensor:
        """cosh(x) = (eˣ + e⁻ˣ)/2; cosh' = sinh."""
        return _ew.Cosh.apply(_floating(self))

    def asinh(self) -> Tensor:
        """asinh(x) = ln(x + √(x² + 1)); asinh'(x) = 1/√(x² + 1)."""
        return _ew.Asinh.apply(_floating(self))

    def acosh(self) -> Tensor:
        """acosh(x) = ln(x + √(x² − 1)) for x ≥ 1; acosh'(x) = 1/√(x² − 1)."""
        return _ew.Acosh.apply(_floating(self))

    def atanh(self) -> Tensor:
        """atanh(x) = ½ ln((1 + x)/(1 − x)); atanh'(x) = 1/(1 − x²)."""
        return _ew.Atanh.apply(_floating(self))

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other: TensorLike) -> Tensor:
        """atan2(self, other): the angle of the point (other, self) in (−π, π];
        ∂/∂self = other/(self² + other²), ∂/∂other = −self/(self² + other²)."""
        return _float_binary(_ew.Atan2, self, other, "atan2")

    arctan2 = atan2

    def exp2(self) -> Tensor:
        """2ˣ; its gradient is ln 2 · 2ˣ."""
        return 2.0 ** _floating(self)

    def logaddexp(self, other: TensorLike) -> Tensor:
        """ln(eᵃ + eᵇ) = max(a, b) + ln(1 + e^−|a−b|), without overflow; ∂/∂a = σ(a − b)
        (½ each at a tie; a = b = ±∞ gives ±∞).

        >>> import minidl as md
        >>> md.tensor([1000.0, -float('inf')]).logaddexp(md.tensor([1000.0, -float('inf')]))
        tensor([1000.6932,      -inf])
        """
        a, b = _float_pair(self, other, "logaddexp")
        same = Tensor._make(np.asarray(_raw(a) == _raw(b)), None)
        with np.errstate(invalid="ignore"):
            diff = where(same, 0.0, a - b)         # 0, not ∞ − ∞, where a = b (both ±∞)
        return maximum(a, b) + (-diff.abs()).exp().log1p()

    def logaddexp2(self, other: TensorLike) -> Tensor:
        """log₂(2ᵃ + 2ᵇ) = logaddexp(a ln 2, b ln 2) / ln 2."""
        a, b = _float_pair(self, other, "logaddexp2")
        ln2 = float(np.log(2.0))
        return (a * ln2).logaddexp(b * ln2) / ln2

    def xlogy(self, other: TensorLike) -> Tensor:
        """x · ln y, and 0 where x = 0 (unless y is NaN); gradient ln y (0 where x = 0 and
        y ≤ 0) and x / y (NaN at x = y = 0), as PyTorch."""
        x, y = _float_pair(self, other, "xlogy")
        ya = _raw(y)
        with np.errstate(invalid="ignore"):
            kill = (_raw(x) == 0) & ((ya <= 0) | (ya == np.inf))   # where 0 · ln y is not 0
            return x * where(Tensor._make(np.asarray(kill), None), 0.0, y.log())

    def sinc(self) -> Tensor:
        """sin(πx)/(πx), and 1 at x = 0 (where its gradient is 0)."""
        x = _floating(self)
        zero = Tensor._make(np.asarray(x._array == 0), None)
        px = where(zero, 1.0, x) * float(np.pi)     # no 0/0 in the branch not taken
        return where(zero, 1.0, px.sin() / px)

    def deg2rad(self) -> Tensor:
        """x · π/180."""
        return _floating(self) * float(np.pi / 180)

    def rad2deg(self) -> Tensor:
        """x · 180/π."""
        return _floating(self) * float(180 / np.pi)

    def frac(self) -> Tensor:
        """x − trunc(x) (the sign of x); gradient 1."""
        if self.dtype.kind != "f":
            raise TypeError(f"frac: only floating tensors are supported, got "
                            f"{_dtype_name(self.dtype)}")
        return self - self.trunc()

    def fix(self) -> Tensor:
        """trunc(x), rounded towards zero (PyTorch's alias)."""
        return self.trunc()

    def signbit(self) -> Tensor:
        """Is the sign bit set? (True for −0.0 and negative values; a bool tensor)."""
        return Tensor._make(np.asarray(np.signbit(self._array)), None)

    def copysign(self, other: TensorLike) -> Tensor:
        """|self| with the sign of ``other`` (floating); ∂/∂self = ±1 (0 at self = 0),
        ∂/∂other = 0."""
        return _float_binary(_ew.Copysign, self, other, "copysign")

    def heaviside(self, values: Tensor) -> Tensor:
        """0 where x < 0, ``values`` where x = 0, 1 where x > 0 (no gradient, as PyTorch).

        Raises:
            TypeError: the two dtypes differ (as PyTorch).
        """
        v = values if isinstance(values, Tensor) else Tensor(values)
        if v.dtype != self.dtype:
            raise TypeError(f"heaviside: is not yet implemented for tensors with different "
                            f"dtypes ({_dtype_name(self.dtype)} and {_dtype_name(v.dtype)})")
        x = self._array
        return Tensor._make(np.asarray(np.where(x == 0, v._array, x > 0)).astype(self.dtype),
                            None)                  # (NaN: 0, as PyTorch)

    def logit(self, eps: _float | None = None) -> Tensor:
        """ln(x/(1 − x)), x first clamped to [eps, 1 − eps] when ``eps`` is given;
        gradient 1/(x(1 − x)), 0 outside [eps, 1 − eps] (NaN outside [0, 1] without eps)."""
        return _sp_logit(_floating(self), eps)

    def erfinv(self) -> Tensor:
        """The inverse of erf on [−1, 1]; erfinv'(x) = √π/2 · exp(erfinv(x)²)."""
        return _sp.Erfinv.apply(_floating(self))

    def lgamma(self) -> Tensor:
        """ln |Γ(x)| (+∞ at 0, −1, −2, ...); lgamma' = digamma."""
        return _sp.Lgamma.apply(_floating(self))

    def digamma(self) -> Tensor:
        """ψ(x) = Γ'(x)/Γ(x) (−∞ at 0, NaN at the negative integers); ψ' = polygamma(1)."""
        return _sp.Polygamma.apply(0, _floating(self))

    def polygamma(self, n: _int) -> Tensor:
        """ψ⁽ⁿ⁾(x), the n-th derivative of digamma; its gradient is ψ⁽ⁿ⁺¹⁾."""
        if not is_int(n) or n < 0:
            raise ArgumentError(f"polygamma: n must be a non-negative integer, got {n!r}")
        return _sp.Polygamma.apply(int(n), _floating(self))

    def fmax(self, other: TensorLike) -> Tensor:
        """The larger of the two, ignoring a NaN (NaN only if both are); the gradient goes
        to self where self ≥ other or other is NaN (ties included), else to other."""
        a, b = promote("fmax", self, other)
        ra, rb = np.asarray(_raw(a)), np.asarray(_raw(b))
        with np.errstate(invalid="ignore"):
            take_a = (ra >= rb) | (np.isnan(rb) if rb.dtype.kind == "f" else False)
        return where(Tensor._make(np.asarray(take_a), None), a, b)

    def fmin(self, other: TensorLike) -> Tensor:
        """The smaller of the two, ignoring a NaN; the gradient goes to self where
        self ≤ other or other is NaN, else to other."""
        a, b = promote("fmin", self, other)
        ra, rb = np.asarray(_raw(a)), np.asarray(_raw(b))
        with np.errstate(invalid="ignore"):
            take_a = (ra <= rb) | (np.isnan(rb) if rb.dtype.kind == "f" else False)
        return where(Tensor._make(np.asarray(take_a), None), a, b)

    def positive(self) -> Tensor:
        """``+x``: the tensor itself (PyTorch refuses bool)."""
        if self.dtype == np.bool_:
            raise TypeError("positive: the `+` operator, with a bool tensor is not supported")
        return self

    def isposinf(self) -> Tensor:
        return Tensor._make(np.asarray(np.isposinf(self._array)), None)

    def isneginf(self) -> Tensor:
        return Tensor._make(np.asarray(np.isneginf(self._array)), None)

    def isreal(self) -> Tensor:
        """True where the imaginary part is 0 (everywhere for a real tensor)."""
        return Tensor._make(np.asarray(np.isreal(self._array)), None)

    def nextafter(self, other: TensorLike) -> Tensor:
        """The next floating value after self towards other (no gradient)."""
        a, b = promote("nextafter", self, other)
        return Tensor._make(np.asarray(np.nextafter(_raw(a), _raw(b))), None)

    def ldexp(self, other: TensorLike) -> Tensor:
        """self · 2^other (floating)."""
        exponent = other if isinstance(other, Tensor) else Tensor(other)
        return _floating(self) * (2.0 ** exponent)

    # ------------------------------------------------------------------ reductions
    @_with_out
    def sum(self, dim: _Dims = None, keepdim: _bool = False, *, dtype: DType | None = None,
            axis: _Dims = None, keepdims: _bool | None = None, out: Tensor | None = None) -> Tensor:
        """Sum over ``dim`` (all axes by default, or with ``dim=()``)."""
        dim, keepdim = reduce_dims(self.ndim, "sum", dim, keepdim, axis, keepdims)
        x = self
        if dtype is not None:
            x = self.to(dtype)
        elif self._array.dtype.kind in "biu":
            x = self.to(np.int64)         # PyTorch sums integers and bools in int64
        return _red.Sum.apply(x, dim, keepdim)

    def nansum(self, dim: _Dims = None, keepdim: _bool = False) -> Tensor:
        if self.dtype.kind != "f":
            return self.sum(dim, keepdim)             # nothing to skip; int64 as sum
        return where(self.isnan(), 0.0, self).sum(dim, keepdim)

    @_with_out
    def mean(self, dim: _Dims = None, keepdim: _bool = False, *, dtype: DType | None = None,
             axis: _Dims = None, keepdims: _bool | None = None, out: Tensor | None = None) -> Tensor:
        """Mean over ``dim`` (all axes by default)."""
        dim, keepdim = reduce_dims(self.ndim, "mean", dim, keepdim, axis, keepdims)
        x = self.to(dtype) if dtype is not None else self
        if x._array.dtype.kind not in "fc":
            raise ArgumentError(f"mean: could not infer output dtype: input dtype is "
                               f"{_dtype_name(self.dtype)}; pass a floating dtype=")
        return _red.Mean.apply(x, dim, keepdim)

    def var(self, dim: _Dims = None, unbiased: _bool | None = None, keepdim: _bool = False, *,
            correction: _float | None = None, axis: _Dims = None,
            keepdims: _bool | None = None) -> Tensor:
        """Variance: Σ(x − mean)² / (n − correction); ``correction=1`` (unbiased) by default."""
        if isinstance(unbiased, (int, tuple, list)) and not isinstance(unbiased, bool) \
                and dim is None:
            dim, unbiased = unbiased, None           # var(1) in PyTorch is var(dim=1)
        dim, keepdim = reduce_dims(self.ndim, "var", dim, keepdim, axis, keepdims)
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        centred = self - self.mean(dim, keepdim=True)
        sq = (centred * centred).sum(dim, keepdim=keepdim)
        n = self._array.size // max(sq._array.size, 1) if self._array.size else 0
        with np.errstate(divide="ignore", invalid="ignore"):
            return sq / max(n - correction, 0) if n - correction > 0 else sq * np.nan

    def std(self, dim: _Dims = None, unbiased: _bool | None = None, keepdim: _bool = False, *,
            correction: _float | None = None, axis: _Dims = None,
            keepdims: _bool | None = None) -> Tensor:
        """Standard deviation: √var (unbiased by default).

        Gradient: ∂σ/∂x = (x − mean) / ((n − correction) σ); where σ = 0 (all values equal)
        it is 0, as in PyTorch, not 0/0.
        """
        var = self.var(dim, unbiased, keepdim, correction=correction, axis=axis,
                       keepdims=keepdims)
        positive = var._array > 0
        if positive.all() or var._array.dtype.kind != "f":
            return var.sqrt()
        # σ = 0 takes the constant branch; the square root only sees positive values
        safe = where(positive, var, 1.0)
        return where(positive, safe.sqrt(), var * 0.0)

    def prod(self, dim: _int | None = None, keepdim: _bool = False, *,
             dtype: DType | None = None) -> Tensor:
        x = self.to(dtype) if dtype is not None else (
            self.to(np.int64) if self.dtype.kind in "biu" else self)
        dim = normalize_axis(dim, self.ndim, "prod")
        if self.ndim == 0:
            dim = None
        return _red.Prod.apply(x, dim, keepdim)

    def cumsum(self, dim: _int, *, dtype: DType | None = None) -> Tensor:
        x = self.to(dtype) if dtype is not None else (
            self.to(np.int64) if self.dtype.kind in "biu" else self)
        if x.ndim == 0:
            return x.clone()
        return _red.Cumsum.apply(x, normalize_axis(dim, self.ndim, "cumsum"))

    def cumprod(self, dim: _int, *, dtype: DType | None = None) -> Tensor:
        x = self.to(dtype) if dtype is not None else (      # integers and bools in int64
            self.to(np.int64) if self.dtype.kind in "biu" else self)
        if x.ndim == 0:
            normalize_axis(dim, 1, "cumprod")        # dim 0 or -1, as in PyTorch
            return x.clone()                         # a 0-d tensor stays 0-d
        return _red.Cumprod.apply(x, normalize_axis(dim, self.ndim, "cumprod"), False)

    def amax(self, dim: _Dims = (), keepdim: _bool = False, *, axis: _Dims = None,
             keepdims: _bool | None = None) -> Tensor:
        """Largest value over ``dim`` (all by default); tied elements share the gradient (a
        slice holding NaN: NaN, and a NaN gradient, as PyTorch's ``amax``)."""
        return self._extreme(_red.Amax, "amax", dim, keepdim, axis, keepdims)

    def amin(self, dim: _Dims = (), keepdim: _bool = False, *, axis: _Dims = None,
             keepdims: _bool | None = None) -> Tensor:
        """Smallest value over ``dim`` (all by default); tied elements share the gradient."""
        return self._extreme(_red.Amin, "amin", dim, keepdim, axis, keepdims)

    def _extreme(self, op, name, dim, keepdim, axis, keepdims):
        dim, keepdim = reduce_dims(self.ndim, name, dim, keepdim, axis, keepdims)
        _check_nonempty(self, name, dim)
        return op.apply(self, dim, keepdim, nan_ties=False)

    @overload
    def max(self, dim: _int | np.integer[Any], keepdim: _bool = False, *, axis: None = None,
            keepdims: _bool | None = None) -> return_types.max: ...
    @overload
    def max(self, dim: None = None, keepdim: _bool = False, *, axis: _int | np.integer[Any],
            keepdims: _bool | None = None) -> return_types.max: ...
    @overload
    def max(self, dim: tuple[_int, ...] | list[_int] | Tensor | np.ndarray | None = None,
            keepdim: _bool = False, *, axis: tuple[_int, ...] | list[_int] | None = None,
            keepdims: _bool | None = None) -> Tensor: ...
    def max(self, dim: _Dims | np.integer[Any] | Tensor | np.ndarray = None, keepdim: _bool = False,
            *, axis: _Dims | np.integer[Any] = None,
            keepdims: _bool | None = None) -> Tensor | return_types.max:
        """``max()``: the largest value (ties share the gradient). ``max(dim)``: the named
        tuple ``(values, indices)``, the first maximum's index, which gets the whole
        gradient. ``max(other)``: the elementwise maximum."""
        if isinstance(dim, (Tensor, np.ndarray)):
            return maximum(self, dim)
        return self._extreme_dim(np.argmax, _red.Amax, return_types.max, "max", dim,
                                 keepdim, axis, keepdims)

    @overload
    def min(self, dim: _int | np.integer[Any], keepdim: _bool = False, *, axis: None = None,
            keepdims: _bool | None = None) -> return_types.min: ...
    @overload
    def min(self, dim: None = None, keepdim: _bool = False, *, axis: _int | np.integer[Any],
            keepdims: _bool | None = None) -> return_types.min: ...
    @overload
    def min(self, dim: tuple[_int, ...] | list[_int] | Tensor | np.ndarray | None = None,
            keepdim: _bool = False, *, axis: tuple[_int, ...] | list[_int] | None = None,
            keepdims: _bool | None = None) -> Tensor: ...
    def min(self, dim: _Dims | np.integer[Any] | Tensor | np.ndarray = None, keepdim: _bool = False,
            *, axis: _Dims | np.integer[Any] = None,
            keepdims: _bool | None = None) -> Tensor | return_types.min:
        """As :meth:`max`, for the smallest value."""
        if isinstance(dim, (Tensor, np.ndarray)):
            return minimum(self, dim)
        return self._extreme_dim(np.argmin, _red.Amin, return_types.min, "min", dim,
                                 keepdim, axis, keepdims)

    def _extreme_dim(self, arg, op, result, name, dim, keepdim, axis, keepdims):
        if axis is not None:
            dim = axis
        if keepdims is not None:
            keepdim = keepdims
        if dim is None or isinstance(dim, (tuple, list)):     # values only (as amax)
            dim, keepdim = reduce_dims(self.ndim, name, dim, keepdim)
            _check_nonempty(self, name, dim)
            return op.apply(self, dim, keepdim)
        dim = normalize_axis(dim, self.ndim, name)
        _check_nonempty(self, name, dim)
        if self.ndim == 0:
            return result(self.clone(), Tensor._make(np.zeros((), np.int64), None))
        idx = arg(self._array, axis=dim, keepdims=True)
        if self._array.dtype.kind == "f":        # NaN is the extreme, as in PyTorch
            nan = np.isnan(self._array)
            if nan.any():
                first_nan = np.argmax(nan, axis=dim, keepdims=True)
                idx = np.where(np.take_along_axis(nan, first_nan, axis=dim), first_nan, idx)
        values = _shp.Gather.apply(self, idx, dim)
        indices = Tensor._make(idx.astype(np.int64), None)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return result(values, indices)

    @_with_out
    def argmax(self, dim: _int | None = None, keepdim: _bool = False, *, axis: _int | None = None,
               out: Tensor | None = None) -> Tensor:
        _no_bool(self, "argmax")
        return self._arg(np.argmax, "argmax", dim if axis is None else axis, keepdim)

    @_with_out
    def argmin(self, dim: _int | None = None, keepdim: _bool = False, *, axis: _int | None = None,
               out: Tensor | None = None) -> Tensor:
        _no_bool(self, "argmin")
        return self._arg(np.argmin, "argmin", dim if axis is None else axis, keepdim)

    def _arg(self, fn, name, dim, keepdim):
        x = self._array
        if dim is None:
            _check_nonempty(self, name, None)
            flat = x.reshape(-1)
            i = _nan_first(fn, flat, 0)
            out = np.asarray(i, dtype=np.int64)
            return Tensor._make(out.reshape((1,) * x.ndim) if keepdim else out, None)
        dim = normalize_axis(dim, self.ndim, name)
        _check_nonempty(self, name, dim)
        if x.ndim == 0:
            return Tensor._make(np.zeros((), np.int64), None)
        out = _nan_first(fn, x, dim).astype(np.int64)
        return Tensor._make(np.expand_dims(out, dim) if keepdim else out, None)

    def topk(self, k: _int, dim: _int = -1, largest: _bool = True,
             sorted: _bool = True) -> return_types.topk:
        """The ``k`` largest (or smallest) values along ``dim`` and their indices; the
        gradient goes to the elements picked."""
        if not is_int(k):
            raise TypeError(f"topk: k must be an int, got {k!r}")
        dim = normalize_axis(dim, self.ndim, "topk")
        n = self.shape[dim] if self.ndim else 1
        if not 0 <= k <= n:
            raise ArgumentError(f"topk: k ({k}) is out of range for dimension {dim} of "
                               f"size {n}")
        if self.ndim == 0:                     # PyTorch returns the value itself (k 0 or 1)
            return return_types.topk(self.clone(), Tensor._make(np.zeros((), np.int64), None))
        values, indices = self.sort(dim, descending=largest, stable=True)
        lead = (slice(None),) * dim
        return return_types.topk(values[lead + (slice(0, k),)],
                                 indices[lead + (slice(0, k),)])

    def sort(self, dim: _int = -1, descending: _bool = False,
             stable: _bool = False) -> return_types.sort:
        """Sorted values along ``dim`` and their indices (ties keep their order; NaN counts
        as the largest value, as PyTorch)."""
        if self.ndim == 0:
            return return_types.sort(self.clone(), Tensor._make(np.zeros((), np.int64), None))
        dim = normalize_axis(dim, self.ndim, "sort")
        idx = _argsort(self._array, dim, descending)
        values = _shp.Gather.apply(self, idx, dim)
        return return_types.sort(values, Tensor._make(idx.astype(np.int64), None))

    def argsort(self, dim: _int = -1, descending: _bool = False, stable: _bool = False) -> Tensor:
        return self.sort(dim, descending, stable).indices

    def norm(self, p: _float | str = "fro", dim: _Dims = None, keepdim: _bool = False,
             dtype: DType | None = None) -> Tensor:
        """The p-norm over ``dim`` (all elements by default); p = 2 ("fro") by default."""
        x = self.to(dtype) if dtype is not None else _floating(self)
        if p in ("fro", 2, 2.0):
            sq = (x * x).sum(dim, keepdim)
            return _ew.Sqrt.apply(sq) if not (sq._array == 0).any() else _safe_sqrt(sq)
        if p in (float("inf"), "inf"):
            return x.abs().amax(() if dim is None else dim, keepdim)
        if p in (-float("inf"),):
            return x.abs().amin(() if dim is None else dim, keepdim)
        if p == 1:
            return x.abs().sum(dim, keepdim)
        if p == 0:
            return (x != 0).to(x.dtype).sum(dim, keepdim)
        check_number(p, "norm", "p")
        zero = x._array == 0
        if zero.any():
            # PyTorch's gradient is 0 at a zero element (and so at a zero vector), where
            # p·|x|^(p−1) and (1/p)·s^(1/p − 1) would give 0·∞ = NaN: zeros enter as constants
            x = where(Tensor._make(zero, None), Tensor._make(np.zeros((), x.dtype), None), x)
        return (x.abs() ** p).sum(dim, keepdim) ** (1.0 / p)  # type: ignore[operator]  # a number here

    def logsumexp(self, dim: _Dims, keepdim: _bool = False) -> Tensor:
        """log Σ exp(x) over ``dim``, computed stably (the maximum is subtracted first)."""
        dim, keepdim = reduce_dims(self.ndim, "logsumexp", dim, keepdim)
        x = _floating(self)
        if x._array.size == 0:                 # an empty reduction: log 0 = −inf (PyTorch)
            m = Tensor._make(np.zeros(np.sum(x._array, axis=dim, keepdims=True).shape,
                                      x._array.dtype), None)
        else:
            m = x.detach().amax(() if dim is None else dim, keepdim=True)
            m = where(m.isinf(), 0.0, m)
        out = (x - m).exp().sum(dim, keepdim=True).log() + m
        if not keepdim:
            out = out.squeeze(dim) if dim is not None else out.reshape(())
        return out

    @_with_out
    def all(self, dim: _Dims = None, keepdim: _bool = False, *, axis: _Dims = None,
            keepdims: _bool | None = None, out: Tensor | None = None) -> Tensor:
        if isinstance(dim, (tuple, list)) and len(dim) == 0 and axis is None:
            return Tensor._make(self._array.astype(np.bool_), None)   # PyTorch: dim=() keeps all
        dim, keepdim = reduce_dims(self.ndim, "all", dim, keepdim, axis, keepdims)
        return Tensor._make(np.asarray(np.all(self._array, axis=dim, keepdims=keepdim)), None)

    @_with_out
    def any(self, dim: _Dims = None, keepdim: _bool = False, *, axis: _Dims = None,
            keepdims: _bool | None = None, out: Tensor | None = None) -> Tensor:
        if isinstance(dim, (tuple, list)) and len(dim) == 0 and axis is None:
            return Tensor._make(self._array.astype(np.bool_), None)   # PyTorch: dim=() keeps all
        dim, keepdim = reduce_dims(self.ndim, "any", dim, keepdim, axis, keepdims)
        return Tensor._make(np.asarray(np.any(self._array, axis=dim, keepdims=keepdim)), None)

    def count_nonzero(self, dim: _Dims = None) -> Tensor:
        return Tensor._make(np.asarray(np.count_nonzero(self._array, axis=dim),
                                       dtype=np.int64), None)

    @overload
    def nonzero(self, as_tuple: Literal[False] = False) -> Tensor: ...
    @overload
    def nonzero(self, as_tuple: Literal[True]) -> tuple[Tensor, ...]: ...
    @overload
    def nonzero(self, as_tuple: _bool) -> Tensor | tuple[Tensor, ...]: ...
    def nonzero(self, as_tuple: _bool = False) -> Tensor | tuple[Tensor, ...]:
        if self.ndim == 0:                     # a 0-d tensor counts as one element, no index
            if as_tuple:
                return (Tensor._make(np.nonzero(self._array.reshape(1))[0].astype(np.int64), None),)
            return Tensor._make(np.zeros((int(self._array != 0), 0), np.int64), None)
        nz = np.nonzero(self._array)
        if as_tuple:
            return tuple(Tensor._make(i.astype(np.int64), None) for i in nz)
        return Tensor._make(np.stack(nz, axis=-1).astype(np.int64), None)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: _Shape) -> Tensor:
        """This tensor with a new shape: ``reshape(2, 3)`` or ``reshape((2, 3))``."""
        return _reshape(self, shape_arg(shape), "reshape")

    def view(self, *shape: _Shape | DType) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list)) and not is_int(shape[0]):
            return self.to(shape[0])           # view(dtype)
        out = _reshape(self, shape_arg(shape, "view"), "view")
        if out._base is None and out._array.size and not np.shares_memory(out._array,
                                                                           self._array):
            raise ArgumentError(f"view: the tensor's memory (shape {self.shape}, strides "
                               f"{self.stride()}) does not allow a view of shape "
                               f"{out.shape}; use .reshape(...) instead")
        return out

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        """Merge axes ``start_dim..end_dim`` into one (all of them by default)."""
        shape = self.shape
        if not shape:
            return self.reshape(1)
        start = normalize_axis(start_dim, len(shape), "flatten")
        end = normalize_axis(end_dim, len(shape), "flatten")
        if start > end:
            raise ArgumentError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                               f"for a tensor of shape {shape}")
        merged = int(np.prod(shape[start:end + 1]))
        return self.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def unflatten(self, dim: _int, sizes: Sequence[_int]) -> Tensor:
        dim = normalize_axis(dim, self.ndim, "unflatten")
        sizes = tuple(sizes)
        if -1 in sizes:
            known = int(np.prod([s for s in sizes if s != -1]))
            sizes = tuple(self.shape[dim] // known if s == -1 else s for s in sizes)
        return self.reshape(self.shape[:dim] + sizes + self.shape[dim + 1:])

    def squeeze(self, dim: _Dims = None) -> Tensor:
        """Remove length-1 axes (only ``dim`` if given, and only if it has length 1)."""
        shape = self.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        else:
            dims = normalize_axis(tuple(dim) if isinstance(dim, (tuple, list)) else (dim,),
                                  len(shape), "squeeze")
            new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
        return self.reshape(new) if new != shape else self._alias()

    def unsqueeze(self, dim: _int) -> Tensor:
        """Insert a length-1 axis at ``dim`` (``-1`` appends one at the end)."""
        shape = self.shape
        dim = normalize_axis(dim, len(shape) + 1, "unsqueeze")
        return self.reshape(shape[:dim] + (1,) + shape[dim:])

    @overload
    def transpose(self, dim0: _int, dim1: _int, *more: _int) -> Tensor: ...
    @overload
    def transpose(self, dim0: tuple[_int, ...] | list[_int]) -> Tensor: ...
    def transpose(self, dim0: Any, dim1: Any = None, *more: Any) -> Tensor:
        """Swap two axes (PyTorch's meaning): ``t.transpose(0, 1)``.

        A full permutation is :meth:`permute`; ``transpose`` with more than two axes (or
        one tuple) is accepted as NumPy's permutation only because PyTorch has no
        meaning for it.
        """
        if isinstance(dim0, (tuple, list)) and dim1 is None:
            return self.permute(*dim0)
        if more:
            return self.permute(dim0, dim1, *more)
        if dim1 is None:
            raise TypeError("transpose: expected two dims (dim0, dim1); use permute for a "
                            "permutation")
        return self.swapaxes(dim0, dim1, _op="transpose")

    def swapaxes(self, axis0: _int, axis1: _int, _op: str = "swapaxes") -> Tensor:
        """Exchange two axes."""
        a = normalize_axis(axis0, self.ndim, _op)
        b = normalize_axis(axis1, self.ndim, _op)
        if self.ndim == 0:
            return self._alias()
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self._view_op(_shp.Permute, tuple(axes))

    swapdims = swapaxes

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ArgumentError(f"t: expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.swapaxes(0, 1) if self.ndim == 2 else self._alias()

    @overload
    def permute(self, *dims: _int) -> Tensor: ...
    @overload
    def permute(self, dims: tuple[_int, ...] | list[_int], /) -> Tensor: ...
    def permute(self, *dims: Any) -> Tensor:
        """Reorder the axes: output axis i is input axis ``dims[i]``."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        ndim = self.ndim
        try:
            axes = tuple(int(a) % ndim if -ndim <= a < ndim else None for a in dims) \
                if ndim else tuple(None if a not in (0, -1) else 0 for a in dims)
        except TypeError:
            raise TypeError(f"permute: dims must be ints, got {dims!r}") from None
        if len(axes) != ndim or None in axes or sorted(axes) != list(range(ndim)):  # type: ignore[type-var]
            raise ArgumentError(f"permute: {dims} is not a permutation of the {ndim} dims of a "
                               f"tensor of shape {self.shape}")
        return self._view_op(_shp.Permute, axes)

    @property
    def T(self) -> Tensor:
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return self.swapaxes(-2, -1)

    def moveaxis(self, source: _int, destination: _int) -> Tensor:
        src = normalize_axis(source, self.ndim, "movedim")
        dst = normalize_axis(destination, self.ndim, "movedim")
        if self.ndim == 0:
            return self[...]
        order = [i for i in range(self.ndim) if i != src]
        order.insert(dst, src)
        return self.permute(order)

    movedim = moveaxis

    @overload
    def expand(self, *shape: _int) -> Tensor: ...
    @overload
    def expand(self, shape: tuple[_int, ...] | list[_int], /) -> Tensor: ...
    def expand(self, *shape: Any) -> Tensor:
        """Broadcast to ``shape`` (a view; -1 keeps an axis)."""
        shape = shape_arg(shape, "expand")
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ArgumentError(f"expand: the number of sizes ({len(shape)}) must be at least "
                               f"the number of dims ({self.ndim})")
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(shape))
        return broadcast_to(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def repeat(self, *sizes: _Shape) -> Tensor:
        reps = shape_arg(sizes, "repeat")
        if len(reps) < self.ndim:
            raise ArgumentError(f"repeat: the number of repeats ({len(reps)}) can not be "
                               f"smaller than the number of dims ({self.ndim})")
        return _shp.Repeat.apply(self, reps)

    def tile(self, *dims: _Shape) -> Tensor:
        reps = shape_arg(dims, "tile")
        reps = (1,) * (self.ndim - len(reps)) + reps
        return self.repeat(reps)

    @overload
    def flip(self, *dims: _int) -> Tensor: ...
    @overload
    def flip(self, dims: tuple[_int, ...] | list[_int], /) -> Tensor: ...
    def flip(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        axes = normalize_axis(tuple(dims), self.ndim, "flip")
        if self.ndim == 0:
            return self.clone()
        return _shp.Flip.apply(self, axes)

    def roll(self, shifts: _Shape, dims: _Dims = None) -> Tensor:
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = dims if isinstance(dims, (tuple, list)) else (dims,)
        out = self
        for s, d in zip(shifts, dims):
            d = normalize_axis(d, self.ndim, "roll")
            n = self.shape[d]
            if n == 0:
                continue
            s = s % n
            if s:
                out = cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d)
        return out

    def narrow(self, dim: _int, start: _int, length: _int) -> Tensor:
        dim = normalize_axis(dim, self.ndim, "narrow")
        size = self.shape[dim] if self.ndim else 1
        if start < 0:
            start += size
        if not (0 <= start <= size and 0 <= length <= size - start):
            raise ArgumentError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                                f"{dim} of size {size}")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def select(self, dim: _int, index: _int) -> Tensor:
        dim = normalize_axis(dim, self.ndim, "select")
        return self[(slice(None),) * dim + (index,)]

    def split(self, split_size_or_sections: _Shape, dim: _int = 0) -> tuple[Tensor, ...]:
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of
        the listed sizes. One op with several outputs (views)."""
        dim = normalize_axis(dim, self.ndim, "split")
        n = self.shape[dim]
        if is_int(split_size_or_sections):
            size = int(split_size_or_sections)
            if size <= 0 and n:
                raise ArgumentError(f"split: split_size must be positive, got {size}")
            sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n:
                raise ArgumentError(f"split: split_sizes {sizes} must sum to the size of "
                                   f"dimension {dim} ({n})")
        return self._split(tuple(sizes), dim)

    def _split(self, sizes, dim):
        parts = _shp.Split.apply(self, sizes, dim)
        start = 0
        for part, size in zip(parts, sizes):
            index = (slice(None),) * dim + (slice(start, start + size),)
            _mark_view(part, self, _shp.GetItem, (index,))
            start += size
        return parts

    def tensor_split(self, sections: _Shape, dim: _int = 0) -> tuple[Tensor, ...]:
        dim = normalize_axis(dim, self.ndim, "tensor_split")
        n = self.shape[dim]
        if is_int(sections):
            q, r = divmod(n, sections)
            sizes = [q + 1] * r + [q] * (sections - r)
        else:
            bounds = [0] + list(sections) + [n]
            sizes = [b - a for a, b in zip(bounds[:-1], bounds[1:])]
        return self._split(tuple(sizes), dim)

    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """``chunks`` pieces along ``dim`` (each ⌈n / chunks⌉ long; fewer if n is short)."""
        if not is_int(chunks) or chunks <= 0:
            raise ArgumentError(f"chunk: chunks must be a positive int, got {chunks!r}")
        dim_ = normalize_axis(dim, self.ndim, "chunk")
        n = self.shape[dim_]
        if n == 0:                             # PyTorch: `chunks` empty pieces
            return tuple(self[(slice(None),) * dim_ + (slice(0, 0),)] for _ in range(chunks))
        return self.split(-(-n // chunks), dim_)

    def unbind(self, dim: _int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, as a tuple: one op with several outputs (views), whose
        backward stacks their gradients once."""
        dim = normalize_axis(dim, self.ndim, "unbind")
        parts = _shp.Unbind.apply(self, dim)
        if not isinstance(parts, tuple):
            parts = (parts,) if self.shape[dim] else ()
        for i, part in enumerate(parts):
            _mark_view(part, self, _shp.GetItem, ((slice(None),) * dim + (i,),))
        return parts

    def gather(self, dim: _int, index: TensorLike) -> Tensor:
        """``out[i][j] = self[i][index[i][j]]`` for dim = 1 (``torch.gather``)."""
        dim = normalize_axis(dim, self.ndim, "gather")
        idx = np.asarray(_raw(index))
        if idx.dtype.kind not in "iu":
            raise ArgumentError(f"gather: index must be an int64 tensor, got dtype {idx.dtype}")
        if idx.ndim != self.ndim:
            raise ArgumentError(f"gather: index must have as many dims ({idx.ndim}) as the "
                               f"input ({self.ndim})")
        if self.ndim == 0:
            return self.reshape(1).gather(0, idx.reshape(1)).reshape(())
        return _shp.Gather.apply(self, idx, dim)

    def take_along_dim(self, indices: TensorLike, dim: _int) -> Tensor:
        return self.gather(dim, indices)

    def _scatter_positions(self, dim, index, name):
        """The advanced index that ``scatter`` writes through: ``index`` along ``dim``, the
        position itself along every other axis (``out[i][index[i][j]] = src[i][j]``)."""
        dim = normalize_axis(dim, max(self.ndim, 1), name)
        idx = np.asarray(_raw(index))
        if idx.dtype.kind not in "iu":
            raise ArgumentError(f"{name}: index must be an int64 tensor, got dtype {idx.dtype}")
        if idx.ndim != self.ndim:
            raise ArgumentError(f"{name}: index must have as many dims ({idx.ndim}) as the "
                               f"input ({self.ndim})")
        if any(k > n for d, (k, n) in enumerate(zip(idx.shape, self.shape)) if d != dim):
            raise ArgumentError(f"{name}: index of shape {idx.shape} is larger than the input "
                               f"of shape {self.shape} outside dim {dim}")
        n = self.shape[dim] if self.ndim else 1
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise IndexError(f"{name}: index {int(idx.min() if idx.min() < 0 else idx.max())} "
                             f"is out of bounds for dim {dim} with size {n}")
        grids = np.indices(idx.shape, sparse=True)
        return dim, idx, tuple(idx if d == dim else grids[d] for d in range(idx.ndim))

    def _scatter_source(self, src, value, shape, name):
        if src is None:
            src = value
        if isinstance(src, Tensor) and src.ndim:
            if src.ndim != len(shape) or any(k > n for k, n in zip(shape, src.shape)):
                raise ArgumentError(f"{name}: src of shape {src.shape} must have as many dims "
                                   f"as index {shape} and be at least as large")
            src = src[tuple(slice(0, k) for k in shape)]
        return src

    def scatter(self, dim: _int, index: TensorLike, src: TensorLike | None = None,
                value: TensorLike | None = None, *, reduce: str | None = None) -> Tensor:
        """``out = self`` with ``out[i][index[i][j]] = src[i][j]`` (dim = 1; ``src`` may be a
        number). Gradient: to ``self`` where nothing was written, to ``src`` where it was
        written (with repeated indices PyTorch leaves the winner unspecified).

        Raises:
            NotImplementedError: ``reduce=`` (use ``scatter_add``).
        """
        if reduce is not None:
            raise NotImplementedError("scatter: reduce= is not supported by minidl; use "
                                      "scatter_add")
        dim, idx, pos = self._scatter_positions(dim, index, "scatter")
        out = self.clone()
        out[pos] = self._scatter_source(src, value, idx.shape, "scatter")
        return out

    def scatter_(self, dim: _int, index: TensorLike, src: TensorLike | None = None,
                 value: TensorLike | None = None, *, reduce: str | None = None) -> Tensor:
        """In-place :meth:`scatter`."""
        if reduce is not None:
            raise NotImplementedError("scatter_: reduce= is not supported by minidl; use "
                                      "scatter_add_")
        dim, idx, pos = self._scatter_positions(dim, index, "scatter_")
        self[pos] = self._scatter_source(src, value, idx.shape, "scatter_")
        return self

    def scatter_add(self, dim: _int, index: TensorLike, src: TensorLike) -> Tensor:
        """``out = self`` plus ``out[i][index[i][j]] += src[i][j]`` (dim = 1), repeated
        indices accumulating. Gradient: ``∂/∂self = g``, ``∂/∂src[i][j] = g[i][index[i][j]]``.

        Written as a sum against the one-hot encoding of ``index`` (a composite, so it is
        differentiable twice).
        """
        dim, idx, _ = self._scatter_positions(dim, index, "scatter_add")
        src = self._scatter_source(src, None, idx.shape, "scatter_add")
        if not isinstance(src, Tensor):
            src = Tensor(np.asarray(src, dtype=self.dtype))
        n = self.shape[dim]
        onehot = Tensor((idx[..., None] == np.arange(n)).astype(self.dtype))   # (*index, n)
        contrib = (src.unsqueeze(-1) * onehot).sum(dim).movedim(-1, dim)
        if contrib.shape != self.shape:                # index smaller than self: pad with 0
            full = self.new_zeros(self.shape)
            full[tuple(slice(0, k) for k in contrib.shape)] = contrib
            contrib = full
        return self + contrib

    def scatter_add_(self, dim: _int, index: TensorLike, src: TensorLike) -> Tensor:
        """In-place :meth:`scatter_add`."""
        return self.copy_(self.scatter_add(dim, index, src))

    def scatter_reduce(self, dim: _int, index: TensorLike, src: Tensor, reduce: str, *,
                       include_self: _bool = True) -> Tensor:
        """``out = self`` with each ``src[i][j]`` reduced into ``out[i][index[i][j]]``
        (dim = 1) by ``reduce``: ``sum``, ``prod``, ``mean``, ``amax``, ``amin``; with
        ``include_self=False`` the positions written start from the first ``src`` value.

        Gradients as PyTorch: sum and mean pass ``g`` (divided by the count for mean);
        amax/amin split it equally among the values equal to the result.

        Raises:
            NotImplementedError: the gradient of ``reduce='prod'``.
        """
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise ArgumentError(f"scatter_reduce: reduce must be one of sum, prod, mean, amax, "
                                f"amin; got {reduce!r}")
        dim, idx, pos = self._scatter_positions(dim, index, "scatter_reduce")
        src = self._scatter_source(src, None, idx.shape, "scatter_reduce")
        if not isinstance(src, Tensor):
            src = Tensor(np.asarray(src, dtype=self.dtype))
        a, s = self._array, src._array.astype(self.dtype)
        hit = np.zeros(self.shape, bool)
        hit[pos] = True
        counts = np.zeros(self.shape, np.int64)
        np.add.at(counts, pos, 1)
        keep = Tensor._make(np.asarray(include_self | ~hit), None)   # where self takes part
        if reduce in ("sum", "mean"):
            base = self if include_self else where(keep, self, 0)
            total = base.scatter_add(dim, index, src)
            if reduce == "sum":
                return total
            n = counts + (include_self | ~hit)
            if self.dtype.kind in "fc":
                return total / Tensor._make(n.astype(self.dtype), None)
            return total // Tensor._make(n.astype(self.dtype), None)
        ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
        value = a.copy()
        if not include_self:
            value[hit] = {"prod": 1, "amax": _lowest(a.dtype), "amin": _highest(a.dtype)}[reduce]
        ufunc.at(value, pos, s)
        out = Tensor._make(value, None)
        wants = grad_mode._enabled and (self.requires_grad or src.requires_grad)
        if not wants:
            return out
        if reduce == "prod":
            raise NotImplementedError("scatter_reduce: the gradient of reduce='prod' is not "
                                      "supported by minidl")
        # amax/amin: out + Σ (x − x.detach()) · [x = result] / count, which is the value
        # itself and sends g / count to each element equal to the result. (As PyTorch, the
        # count includes self where it equals the result even with include_self=False,
        # and self's own gradient is then 0 where src was written.)
        with np.errstate(invalid="ignore"):
            self_eq = a == value
            src_eq = s == value[pos]
        n = self_eq.astype(np.int64)
        np.add.at(n, pos, src_eq.astype(np.int64))
        n_t = Tensor._make(np.maximum(n, 1).astype(self.dtype), None)
        mine = where(Tensor._make(self_eq & np.asarray(include_self | ~hit), None),
                     self - self.detach(), 0.0)
        theirs = where(Tensor._make(src_eq, None), src - src.detach(), 0.0)
        return out + mine.scatter_add(dim, index, theirs) / n_t

    def scatter_reduce_(self, dim: _int, index: TensorLike, src: Tensor, reduce: str, *,
                        include_self: _bool = True) -> Tensor:
        """In-place :meth:`scatter_reduce`."""
        return self.copy_(self.scatter_reduce(dim, index, src, reduce,
                                              include_self=include_self))

    def index_select(self, dim: _int, index: TensorLike) -> Tensor:
        dim = normalize_axis(dim, self.ndim, "index_select")
        idx = np.asarray(_raw(index)).reshape(-1)
        return self[(slice(None),) * dim + (idx,)]

    def masked_select(self, mask: TensorLike) -> Tensor:
        m = np.broadcast_to(_raw(mask), np.broadcast_shapes(np.shape(_raw(mask)), self.shape))
        return self.expand(m.shape)[m] if m.shape != self.shape else self[m]

    def tril(self, diagonal: _int = 0) -> Tensor:
        return where(_tri_mask(self, diagonal, np.tril), self, self.dtype == np.bool_ and False)

    def triu(self, diagonal: _int = 0) -> Tensor:
        return where(_tri_mask(self, diagonal, np.triu), self, self.dtype == np.bool_ and False)

    def diagonal(self, offset: _int = 0, dim1: _int = 0, dim2: _int = 1) -> Tensor:
        d1 = normalize_axis(dim1, self.ndim, "diagonal")
        d2 = normalize_axis(dim2, self.ndim, "diagonal")
        if d1 == d2:
            raise ArgumentError(f"diagonal: dim1 and dim2 cannot be the same, got {dim1}, {dim2}")
        rest = [d for d in range(self.ndim) if d not in (d1, d2)]
        x = self.permute(rest + [d1, d2]) if (d1, d2) != (self.ndim - 2, self.ndim - 1) else self
        n, m = x.shape[-2:]
        i = np.arange(max(0, -offset), min(n, m - offset))
        return x[..., i, i + offset]

    def __getitem__(self, index: Any) -> Tensor:
        return _getitem(self, index)

    # ------------------------------------------------------------------ views
    def _alias(self):
        """A new Tensor object for the same values and history (PyTorch's alias view)."""
        return self._view_op(_shp.Reshape, self.shape)

    def _view_op(self, op, *args):
        out = op.apply(self, *args)
        _mark_view(out, self, op, args)
        return out

    # ------------------------------------------------------------------ in place
    def __setitem__(self, index: Any, value: TensorLike) -> None:
        index = _index_arg(index)
        torch_index = _torch_index(self.shape, index)
        if type(torch_index) is tuple and len(torch_index) == 3 and \
                isinstance(torch_index[0], str):
            _, first, second = torch_index           # integers first (a view), then arrays
            _getitem_one(self, first)[second] = value
            return
        index = torch_index
        v = value._array if isinstance(value, Tensor) else value
        try:
            target = np.empty(np.shape(self._array), bool)[index]
            np.broadcast_to(np.empty(np.shape(v), bool), target.shape)
        except (IndexError, ValueError) as e:
            raise _index_error("setitem", e, self, index) from None
        value = _as_value(value, self.dtype)
        self._inplace("setitem", lambda old: _shp.IndexPut.apply(old, value, index),
                      lambda a: a.__setitem__(index, _raw(value)), (value,), copy_old=False)

    def _inplace(self, name, compute, fast, others=(), copy_old=True):
        """Change this tensor in place: ``self ← compute(self)``.

        ``fast(array)`` does it on the array when nothing is recorded. When the graph is
        recorded, ``compute`` runs out of place on the old value (a copy, when the op's
        backward needs it) and the result is written back; this tensor's history then
        starts at the new node, and a view's base gets a ``CopySlices`` node.
        """
        needs = self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad
                                          for o in others)
        if grad_mode._enabled and self.requires_grad and self._ctx is None and \
                self._base is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in "
                               f"an in-place operation.")
        if not grad_mode._enabled or not needs:
            if not self._array.flags.writeable:
                raise RuntimeError(f"{name}: this tensor's memory cannot be written (it is an "
                                   f"expanded or read-only view); clone it first")
            fast(self._array)
            self._vc[0] += 1
            return self
        base = self._base
        if base is not None and base.requires_grad and base._ctx is None:
            raise RuntimeError(f"{name}: a view of a leaf Variable that requires grad is being "
                               f"used in an in-place operation.")
        old = Tensor._make(self._array.copy() if copy_old else self._array, self._ctx,
                           self._nr)
        old.requires_grad = self.requires_grad
        new = compute(old)
        if new._array.dtype != self._array.dtype:
            if np.can_cast(new._array.dtype, self._array.dtype, "same_kind") or \
                    self._array.dtype.kind == "f":
                new = new.to(self._array.dtype)
            else:
                raise ArgumentError(f"{name}: result type {_dtype_name(new.dtype)} can't be "
                                   f"cast to the desired output type "
                                   f"{_dtype_name(self.dtype)}")
        if new._array.shape != self._array.shape:
            raise ArgumentError(f"{name}: output with shape {self.shape} doesn't match the "
                               f"broadcast shape {new.shape}")
        if base is None:
            self._array[...] = new._array
            self._vc[0] += 1
            self._ctx, self._nr, self.requires_grad = new._ctx, new._nr, True
            return self
        # a view: the base's history gets the write, the view is read off the new base
        base_old = Tensor._make(base._array, base._ctx, base._nr)
        base_old.requires_grad = base.requires_grad
        base_new = _shp.CopySlices.apply(base_old, new, self._view)
        self._vc[0] += 1
        base._ctx, base._nr, base.requires_grad = base_new._ctx, base_new._nr, True
        again = _shp.replay(base, self._view)
        self._ctx, self._nr, self.requires_grad = again._ctx, again._nr, True
        return self

    def _binary_(self, name, op, other, copy_old=True):
        shape = np.shape(_raw(other))
        if shape and np.broadcast_shapes(shape, self.shape) != self.shape:
            raise RuntimeError(f"{name}: an operand of shape {shape} doesn't broadcast to the "
                               f"tensor's shape {self.shape} (an in-place op keeps its shape)")
        other_v = _as_value(other, self.dtype) if not isinstance(other, Tensor) else other
        return self._inplace(name, lambda old: op(old, other_v),
                             lambda a: a.__setitem__(..., op(Tensor._make(a, None),
                                                             other_v)._array),
                             (other,), copy_old)

    def add_(self, other: TensorLike, alpha: _float = 1) -> Tensor:
        return self._binary_("add_", lambda a, b: a.add(b, alpha=alpha), other, False)

    def sub_(self, other: TensorLike, alpha: _float = 1) -> Tensor:
        return self._binary_("sub_", lambda a, b: a.sub(b, alpha=alpha), other, False)

    def mul_(self, other: TensorLike) -> Tensor:
        return self._binary_("mul_", lambda a, b: a * b, other)

    def div_(self, other: TensorLike, rounding_mode: str | None = None) -> Tensor:
        return self._binary_("div_", lambda a, b: a.div(b, rounding_mode=rounding_mode),
                             other)

    def pow_(self, exponent: TensorLike) -> Tensor:
        return self._binary_("pow_", lambda a, b: a ** b, exponent)

    def remainder_(self, other: TensorLike) -> Tensor:
        return self._binary_("remainder_", lambda a, b: a % b, other)

    def fmod_(self, other: TensorLike) -> Tensor:
        return self._binary_("fmod_", lambda a, b: a.fmod(b), other)

    def floor_divide_(self, other: TensorLike) -> Tensor:
        return self._binary_("floor_divide_", lambda a, b: a // b, other)

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, value: _float = 1) -> Tensor:
        return self._inplace("addcmul_", lambda old: old.addcmul(tensor1, tensor2, value),
                             lambda a: a.__setitem__(..., a + value * _raw(tensor1)
                                                     * _raw(tensor2)),
                             (tensor1, tensor2), copy_old=False)

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, value: _float = 1) -> Tensor:
        return self._inplace("addcdiv_", lambda old: old.addcdiv(tensor1, tensor2, value),
                             lambda a: a.__setitem__(..., a + value * _raw(tensor1)
                                                     / _raw(tensor2)),
                             (tensor1, tensor2), copy_old=False)

    def lerp_(self, end: _Operand, weight: _Operand) -> Tensor:
        return self._binary_("lerp_", lambda a, b: a.lerp(b, weight), end)

    def clamp_(self, min: TensorLike | None = None, max: TensorLike | None = None) -> Tensor:
        return self._unary_("clamp_", lambda a: a.clamp(min, max), (min, max))

    clip_ = clamp_

    def _unary_(self, name, fn, others=()):
        return self._inplace(name, fn, lambda a: a.__setitem__(
            ..., fn(Tensor._make(a, None))._array), others)

    def neg_(self) -> Tensor:
        return self._unary_("neg_", lambda a: -a)

    def exp_(self) -> Tensor:
        return self._unary_("exp_", lambda a: a.exp())

    def log_(self) -> Tensor:
        return self._unary_("log_", lambda a: a.log())

    def sqrt_(self) -> Tensor:
        return self._unary_("sqrt_", lambda a: a.sqrt())

    def abs_(self) -> Tensor:
        return self._unary_("abs_", lambda a: a.abs())

    def relu_(self) -> Tensor:
        return self._unary_("relu_", lambda a: a.relu())

    def sigmoid_(self) -> Tensor:
        return self._unary_("sigmoid_", lambda a: a.sigmoid())

    def tanh_(self) -> Tensor:
        return self._unary_("tanh_", lambda a: a.tanh())

    # in-place forms: the out-of-place op, written back through _inplace (so recorded)
    def asin_(self) -> Tensor:
        return self._unary_("asin_", lambda a: a.asin())

    def acos_(self) -> Tensor:
        return self._unary_("acos_", lambda a: a.acos())

    def atan_(self) -> Tensor:
        return self._unary_("atan_", lambda a: a.atan())

    def sinh_(self) -> Tensor:
        return self._unary_("sinh_", lambda a: a.sinh())

    def cosh_(self) -> Tensor:
        return self._unary_("cosh_", lambda a: a.cosh())

    def asinh_(self) -> Tensor:
        return self._unary_("asinh_", lambda a: a.asinh())

    def acosh_(self) -> Tensor:
        return self._unary_("acosh_", lambda a: a.acosh())

    def atanh_(self) -> Tensor:
        return self._unary_("atanh_", lambda a: a.atanh())

    def arcsin_(self) -> Tensor:
        return self._unary_("arcsin_", lambda a: a.arcsin())

    def arccos_(self) -> Tensor:
        return self._unary_("arccos_", lambda a: a.arccos())

    def arctan_(self) -> Tensor:
        return self._unary_("arctan_", lambda a: a.arctan())

    def arcsinh_(self) -> Tensor:
        return self._unary_("arcsinh_", lambda a: a.arcsinh())

    def arccosh_(self) -> Tensor:
        return self._unary_("arccosh_", lambda a: a.arccosh())

    def arctanh_(self) -> Tensor:
        return self._unary_("arctanh_", lambda a: a.arctanh())

    def exp2_(self) -> Tensor:
        return self._unary_("exp2_", lambda a: a.exp2())

    def sinc_(self) -> Tensor:
        return self._unary_("sinc_", lambda a: a.sinc())

    def deg2rad_(self) -> Tensor:
        return self._unary_("deg2rad_", lambda a: a.deg2rad())

    def rad2deg_(self) -> Tensor:
        return self._unary_("rad2deg_", lambda a: a.rad2deg())

    def frac_(self) -> Tensor:
        return self._unary_("frac_", lambda a: a.frac())

    def fix_(self) -> Tensor:
        return self._unary_("fix_", lambda a: a.fix())

    def sgn_(self) -> Tensor:
        return self._unary_("sgn_", lambda a: a.sgn())

    def erfinv_(self) -> Tensor:
        return self._unary_("erfinv_", lambda a: a.erfinv())

    def lgamma_(self) -> Tensor:
        return self._unary_("lgamma_", lambda a: a.lgamma())

    def digamma_(self) -> Tensor:
        return self._unary_("digamma_", lambda a: a.digamma())

    def sin_(self) -> Tensor:
        return self._unary_("sin_", lambda a: a.sin())

    def cos_(self) -> Tensor:
        return self._unary_("cos_", lambda a: a.cos())

    def tan_(self) -> Tensor:
        return self._unary_("tan_", lambda a: a.tan())

    def ceil_(self) -> Tensor:
        return self._unary_("ceil_", lambda a: a.ceil())

    def floor_(self) -> Tensor:
        return self._unary_("floor_", lambda a: a.floor())

    def trunc_(self) -> Tensor:
        return self._unary_("trunc_", lambda a: a.trunc())

    def sign_(self) -> Tensor:
        return self._unary_("sign_", lambda a: a.sign())

    def square_(self) -> Tensor:
        return self._unary_("square_", lambda a: a.square())

    def rsqrt_(self) -> Tensor:
        return self._unary_("rsqrt_", lambda a: a.rsqrt())

    def reciprocal_(self) -> Tensor:
        return self._unary_("reciprocal_", lambda a: a.reciprocal())

    def expm1_(self) -> Tensor:
        return self._unary_("expm1_", lambda a: a.expm1())

    def log1p_(self) -> Tensor:
        return self._unary_("log1p_", lambda a: a.log1p())

    def log2_(self) -> Tensor:
        return self._unary_("log2_", lambda a: a.log2())

    def log10_(self) -> Tensor:
        return self._unary_("log10_", lambda a: a.log10())

    def erf_(self) -> Tensor:
        return self._unary_("erf_", lambda a: a.erf())

    def erfc_(self) -> Tensor:
        return self._unary_("erfc_", lambda a: a.erfc())

    def absolute_(self) -> Tensor:
        return self._unary_("absolute_", lambda a: a.absolute())

    def negative_(self) -> Tensor:
        return self._unary_("negative_", lambda a: a.negative())

    def logical_not_(self) -> Tensor:
        return self._unary_("logical_not_", lambda a: a.logical_not())

    def atan2_(self, other: TensorLike) -> Tensor:
        return self._binary_("atan2_", lambda a, b: a.atan2(b), other)

    def arctan2_(self, other: TensorLike) -> Tensor:
        return self._binary_("arctan2_", lambda a, b: a.arctan2(b), other)

    def xlogy_(self, other: TensorLike) -> Tensor:
        return self._binary_("xlogy_", lambda a, b: a.xlogy(b), other)

    def copysign_(self, other: TensorLike) -> Tensor:
        return self._binary_("copysign_", lambda a, b: a.copysign(b), other)

    def heaviside_(self, other: TensorLike) -> Tensor:
        return self._binary_("heaviside_", lambda a, b: a.heaviside(b), other)

    def nextafter_(self, other: TensorLike) -> Tensor:
        return self._binary_("nextafter_", lambda a, b: a.nextafter(b), other)

    def ldexp_(self, other: TensorLike) -> Tensor:
        return self._binary_("ldexp_", lambda a, b: a.ldexp(b), other)

    def hypot_(self, other: TensorLike) -> Tensor:
        return self._binary_("hypot_", lambda a, b: a.hypot(b), other)

    def eq_(self, other: TensorLike) -> Tensor:
        return self._binary_("eq_", lambda a, b: a.eq(b), other)

    def ne_(self, other: TensorLike) -> Tensor:
        return self._binary_("ne_", lambda a, b: a.ne(b), other)

    def lt_(self, other: TensorLike) -> Tensor:
        return self._binary_("lt_", lambda a, b: a.lt(b), other)

    def le_(self, other: TensorLike) -> Tensor:
        return self._binary_("le_", lambda a, b: a.le(b), other)

    def gt_(self, other: TensorLike) -> Tensor:
        return self._binary_("gt_", lambda a, b: a.gt(b), other)

    def ge_(self, other: TensorLike) -> Tensor:
        return self._binary_("ge_", lambda a, b: a.ge(b), other)

    def greater_(self, other: TensorLike) -> Tensor:
        return self._binary_("greater_", lambda a, b: a.greater(b), other)

    def greater_equal_(self, other: TensorLike) -> Tensor:
        return self._binary_("greater_equal_", lambda a, b: a.greater_equal(b), other)

    def less_(self, other: TensorLike) -> Tensor:
        return self._binary_("less_", lambda a, b: a.less(b), other)

    def less_equal_(self, other: TensorLike) -> Tensor:
        return self._binary_("less_equal_", lambda a, b: a.less_equal(b), other)

    def not_equal_(self, other: TensorLike) -> Tensor:
        return self._binary_("not_equal_", lambda a, b: a.not_equal(b), other)

    def logical_and_(self, other: TensorLike) -> Tensor:
        return self._binary_("logical_and_", lambda a, b: a.logical_and(b), other)

    def logical_or_(self, other: TensorLike) -> Tensor:
        return self._binary_("logical_or_", lambda a, b: a.logical_or(b), other)

    def logical_xor_(self, other: TensorLike) -> Tensor:
        return self._binary_("logical_xor_", lambda a, b: a.logical_xor(b), other)

    def multiply_(self, other: TensorLike) -> Tensor:
        return self._binary_("multiply_", lambda a, b: a.multiply(b), other)

    def subtract_(self, other: TensorLike) -> Tensor:
        return self._binary_("subtract_", lambda a, b: a.subtract(b), other)

    def true_divide_(self, other: TensorLike) -> Tensor:
        return self._binary_("true_divide_", lambda a, b: a.true_divide(b), other)

    def logit_(self, eps: _float | None = None) -> Tensor:
        return self._unary_("logit_", lambda a: a.logit(eps))

    def polygamma_(self, n: _int) -> Tensor:
        return self._unary_("polygamma_", lambda a: a.polygamma(n))

    def float_power_(self, exponent: TensorLike) -> Tensor:
        if self.dtype != np.float64:
            raise RuntimeError(f"float_power_: the base given to float_power_ has dtype "
                               f"{_dtype_name(self.dtype)} but the operation's result requires "
                               f"dtype Double")
        return self._binary_("float_power_", lambda a, b: a.float_power(b), exponent)

    def clamp_min_(self, min: TensorLike) -> Tensor:
        return self.clamp_(min=min)

    def clamp_max_(self, max: TensorLike) -> Tensor:
        return self.clamp_(max=max)

    def round_(self, decimals: _int = 0) -> Tensor:
        return self._unary_("round_", lambda a: a.round(decimals))

    def divide_(self, other: TensorLike, *, rounding_mode: str | None = None) -> Tensor:
        return self.div_(other, rounding_mode=rounding_mode)

    def nan_to_num_(self, nan: _float = 0.0, posinf: _float | None = None,
                    neginf: _float | None = None) -> Tensor:
        return self._unary_("nan_to_num_", lambda a: a.nan_to_num(nan, posinf, neginf))

    def cumsum_(self, dim: _int, *, dtype: DType | None = None) -> Tensor:
        return self._unary_("cumsum_", lambda a: a.cumsum(dim, dtype=dtype))

    def cumprod_(self, dim: _int, *, dtype: DType | None = None) -> Tensor:
        return self._unary_("cumprod_", lambda a: a.cumprod(dim, dtype=dtype))

    def tril_(self, diagonal: _int = 0) -> Tensor:
        return self._unary_("tril_", lambda a: a.tril(diagonal))

    def triu_(self, diagonal: _int = 0) -> Tensor:
        return self._unary_("triu_", lambda a: a.triu(diagonal))

    def addmm_(self, mat1: Tensor, mat2: Tensor, *, beta: _float = 1, alpha: _float = 1) -> Tensor:
        return self._unary_("addmm_", lambda a: a.addmm(mat1, mat2, beta=beta, alpha=alpha),
                            (mat1, mat2))

    def addmv_(self, mat: Tensor, vec: Tensor, *, beta: _float = 1, alpha: _float = 1) -> Tensor:
        return self._unary_("addmv_", lambda a: a.addmv(mat, vec, beta=beta, alpha=alpha),
                            (mat, vec))

    def baddbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: _float = 1,
                 alpha: _float = 1) -> Tensor:
        return self._unary_("baddbmm_", lambda a: a.baddbmm(batch1, batch2, beta=beta,
                                                            alpha=alpha), (batch1, batch2))

    def addbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: _float = 1,
                alpha: _float = 1) -> Tensor:
        return self._unary_("addbmm_", lambda a: a.addbmm(batch1, batch2, beta=beta,
                                                           alpha=alpha), (batch1, batch2))

    def fill_diagonal_(self, fill_value: _float, wrap: _bool = False) -> Tensor:
        """Write ``fill_value`` on the main diagonal (all dimensions equal, or a tall
        matrix: ``wrap=True`` restarts it every ``cols + 1`` rows, as PyTorch)."""
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise ArgumentError(f"fill_diagonal_: all dimensions of input must be of equal "
                                f"length (or a matrix), got shape {self.shape}")
        mask = np.zeros(self.shape, bool)
        if self.ndim == 2:
            rows, cols = self.shape
            k = np.arange(min(rows, cols))
            mask[k, k] = True
            if wrap and rows > cols + 1:
                step = cols + 1
                for start in range(step, rows, step):
                    k = np.arange(min(rows - start, cols))
                    mask[start + k, k] = True
        else:
            k = np.arange(self.shape[0])
            mask[(k,) * self.ndim] = True
        return self.masked_fill_(Tensor._make(mask, None), fill_value)

    def _reshape_inplace(self, name, fn):
        """``squeeze_``, ``t_``, ...: this tensor becomes ``fn(self)`` — a new shape over the
        same memory (recorded as the view op when the graph is)."""
        if grad_mode._enabled and self.requires_grad:
            if self._ctx is None and self._base is None:
                raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used "
                                   f"in an in-place operation.")
            if self._base is not None:
                raise NotImplementedError(f"{name}: changing the shape of a view that is in "
                                          f"the graph is not supported by minidl")
            old = Tensor._make(self._array, self._ctx, self._nr)
            old.requires_grad = True
            new = fn(old)
            self._ctx, self._nr = new._ctx, new._nr
        else:
            new = fn(Tensor._make(self._array, None))
        self._array = new._array
        return self

    def squeeze_(self, dim: _Dims = None) -> Tensor:
        return self._reshape_inplace("squeeze_", lambda a: a.squeeze(dim))

    def unsqueeze_(self, dim: _int) -> Tensor:
        return self._reshape_inplace("unsqueeze_", lambda a: a.unsqueeze(dim))

    def transpose_(self, dim0: _int, dim1: _int) -> Tensor:
        return self._reshape_inplace("transpose_", lambda a: a.transpose(dim0, dim1))

    def swapaxes_(self, axis0: _int, axis1: _int) -> Tensor:
        return self._reshape_inplace("swapaxes_", lambda a: a.swapaxes(axis0, axis1))

    swapdims_ = swapaxes_

    def t_(self) -> Tensor:
        return self._reshape_inplace("t_", lambda a: a.t())

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: TensorLike) -> Tensor:
        v = _as_value(value, self.dtype)
        return self._inplace("fill_", lambda old: old * 0 + v if isinstance(v, Tensor)
                             else _shp.IndexPut.apply(old, v, ...),
                             lambda a: a.fill(_raw(v)), (v,), copy_old=False)

    def copy_(self, src: TensorLike, non_blocking: _bool = False) -> Tensor:
        """Copy ``src``'s values into this tensor (broadcasting; differentiable)."""
        if isinstance(src, Tensor) and src.dtype != self.dtype:
            src = src.to(self.dtype)
        v = _as_value(src, self.dtype)
        try:
            np.broadcast_to(np.empty(np.shape(_raw(v)), bool), self.shape)
        except ValueError:
            raise ArgumentError(f"copy_: the source of shape {np.shape(_raw(v))} does not "
                               f"broadcast to the tensor's shape {self.shape}") from None
        return self._inplace("copy_", lambda old: _shp.IndexPut.apply(old, v, ...),
                             lambda a: a.__setitem__(..., _raw(v)), (v,), copy_old=False)

    def masked_fill_(self, mask: TensorLike, value: TensorLike) -> Tensor:
        m = _raw(mask)
        if np.broadcast_shapes(np.shape(m), self.shape) != self.shape:
            raise ArgumentError(f"masked_fill_: mask of shape {np.shape(m)} must broadcast to "
                                f"the tensor's shape {self.shape}")
        return self._inplace("masked_fill_", lambda old: old.masked_fill(mask, value),
                             lambda a: np.copyto(a, _raw(value), where=np.broadcast_to(
                                 m, a.shape)), (value,), copy_old=False)

    def index_fill_(self, dim: _int, index: TensorLike, value: TensorLike) -> Tensor:
        dim = normalize_axis(dim, self.ndim, "index_fill_")
        idx = (slice(None),) * dim + (np.asarray(_raw(index)).reshape(-1),)
        self[idx] = value
        return self

    # ------------------------------------------------------------------ more of PyTorch's names
    # Composites of the ops above (so differentiable twice), or non-differentiable helpers.
    def index_add(self, dim: _int, index: TensorLike, source: TensorLike, *,
                  alpha: _float = 1) -> Tensor:
        """``out = self`` with ``out[..., index[i], ...] += alpha · source[..., i, ...]`` along
        ``dim`` (repeated indices accumulate). Gradient: ``g`` to ``self``, ``alpha ·
        g[..., index[i], ...]`` to ``source``."""
        dim = normalize_axis(dim, self.ndim, "index_add")
        idx = np.asarray(_raw(index))
        if idx.ndim > 1 or idx.dtype.kind not in "iu":
            raise ArgumentError(f"index_add: index must be a 1-D integer tensor, got shape "
                                f"{idx.shape} and dtype {idx.dtype}")
        source = source if isinstance(source, Tensor) else Tensor(np.asarray(source, self.dtype))
        src_shape = source.shape if source.ndim else (1,)
        expected = self.shape[:dim] + (idx.size,) + self.shape[dim + 1:]
        if tuple(src_shape) != expected:
            raise ArgumentError(f"index_add: source must have shape {expected} (self's shape "
                                f"with {idx.size} along dim {dim}), got {tuple(source.shape)}")
        where = idx.reshape((1,) * dim + (-1,) + (1,) * (self.ndim - dim - 1))
        full_index = np.broadcast_to(where, expected)
        return self.scatter_add(dim, full_index, source.reshape(expected) * alpha)

    def index_add_(self, dim: _int, index: TensorLike, source: TensorLike, *,
                   alpha: _float = 1) -> Tensor:
        """In-place :meth:`index_add`."""
        return self.copy_(self.index_add(dim, index, source, alpha=alpha))

    def repeat_interleave(self, repeats: _int | Tensor, dim: _int | None = None, *,
                          output_size: _int | None = None) -> Tensor:
        """Each element repeated ``repeats`` times along ``dim`` (the flattened tensor when
        ``dim`` is None): ``[1, 2].repeat_interleave(2) = [1, 1, 2, 2]``. Gradient: the
        copies' gradients summed back into their element."""
        x = self.reshape(-1) if dim is None else self
        dim = 0 if dim is None else normalize_axis(dim, self.ndim, "repeat_interleave")
        r = np.asarray(_raw(repeats))
        n = x.shape[dim] if x.ndim else 1
        if r.dtype.kind not in "iu" or r.ndim > 1 or r.size not in (1, n) or (r < 0).any():
            raise ArgumentError(f"repeat_interleave: repeats must be a non-negative int or a "
                                f"1-D tensor of {n} of them, got {r.tolist()}")
        positions = np.repeat(np.arange(n), np.broadcast_to(r.reshape(-1), (n,)))
        if output_size is not None and output_size != positions.size:
            raise ArgumentError(f"repeat_interleave: output_size={output_size} but the repeats "
                                f"sum to {positions.size}")
        return x.index_select(dim, positions)

    def bernoulli(self, p: _float | None = None, *, generator: Generator | None = None) -> Tensor:
        """0/1 samples: element i is 1 with probability ``self[i]`` (or ``p``), from minidl's
        generator; no gradient."""
        out = Tensor._make(np.empty(self.shape, self.dtype), None)
        return out.bernoulli_(self._array if p is None else p, generator=generator)

    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: _float = 1, alpha: _float = 1) -> Tensor:
        """``beta · self + alpha · (mat1 @ mat2)``; with ``beta = 0`` ``self`` is ignored (NaN
        in it does not propagate), as PyTorch."""
        return _scaled_sum(self, mat1 @ mat2, beta, alpha)

    def addmv(self, mat: Tensor, vec: Tensor, *, beta: _float = 1, alpha: _float = 1) -> Tensor:
        """``beta · self + alpha · (mat @ vec)``."""
        return _scaled_sum(self, mat @ vec, beta, alpha)

    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta: _float = 1,
                alpha: _float = 1) -> Tensor:
        """``beta · self + alpha · (batch1 @ batch2)`` for batches of matrices (N, n, m)."""
        if batch1.ndim != 3 or batch2.ndim != 3:
            raise ArgumentError(f"baddbmm: batch1 and batch2 must be 3-D, got shapes "
                                f"{tuple(batch1.shape)} and {tuple(batch2.shape)}")
        return _scaled_sum(self, batch1.bmm(batch2), beta, alpha)

    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta: _float = 1,
               alpha: _float = 1) -> Tensor:
        """``beta · self + alpha · Σ_b batch1[b] @ batch2[b]``."""
        return _scaled_sum(self, batch1.bmm(batch2).sum(0), beta, alpha)

    def outer(self, vec2: Tensor) -> Tensor:
        """``out[i, j] = self[i] · vec2[j]`` (1-D tensors)."""
        if self.ndim != 1 or _ndim(vec2) != 1:
            raise ArgumentError(f"outer: expected two 1-D tensors, got shapes {self.shape} "
                                f"and {np.shape(_raw(vec2))}")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def diag(self, diagonal: _int = 0) -> Tensor:
        """The ``diagonal``-th diagonal of a matrix, or the square matrix with a vector on it."""
        if self.ndim == 1:
            k = self.shape[0]
            n = k + abs(diagonal)
            rows = np.arange(k) + max(0, -diagonal)
            cols = np.arange(k) + max(0, diagonal)
            out = self.new_zeros(n, n)
            out[rows, cols] = self
            return out
        if self.ndim != 2:
            raise ArgumentError(f"diag: expected a 1-D or 2-D tensor, got shape {self.shape}")
        return self.diagonal(diagonal)

    def trace(self) -> Tensor:
        """Σ_i self[i, i] of a matrix."""
        if self.ndim != 2:
            raise ArgumentError(f"trace: expected a matrix, got shape {self.shape}")
        _no_bool(self, "trace")
        return self.diagonal().sum()

    def cross(self, other: Tensor, dim: _int | None = None) -> Tensor:
        """The cross product of 3-vectors along ``dim`` (default: the first axis of size 3,
        as ``torch.cross``; ``torch.linalg.cross`` uses the last)."""
        a, b = (self, other) if self.shape == other.shape else broadcast_tensors(self, other)
        if dim is None:
            dim = next((k for k, n in enumerate(a.shape) if n == 3), None)
            if dim is None:
                raise ArgumentError(f"cross: no dimension of size 3 in shape {a.shape}")
        dim = normalize_axis(dim, a.ndim, "cross")
        if a.shape[dim] != 3:
            raise ArgumentError(f"cross: dimension {dim} must have size 3, got {a.shape[dim]}")
        a0, a1, a2 = a.unbind(dim)
        b0, b1, b2 = b.unbind(dim)
        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)

    def erf(self) -> Tensor:
        """erf(x) = 1 − erfc(x); erf'(x) = 2/√π · e^(−x²)."""
        return 1 - _sp.Erfc.apply(_floating(self))

    def erfc(self) -> Tensor:
        """erfc(x) = 1 − erf(x) = 2/√π ∫_x^∞ e^(−t²) dt."""
        return _sp.Erfc.apply(_floating(self))

    def hypot(self, other: Tensor) -> Tensor:
        """√(self² + other²) of floating tensors (PyTorch refuses integers)."""
        if result_type(self, other).kind in "biu":
            raise TypeError(f"hypot: not implemented for {_dtype_name(self.dtype)} tensors")
        return (self * self + other * other).sqrt()

    def float_power(self, exponent: TensorLike) -> Tensor:
        """``self ** exponent`` computed in float64 (PyTorch's ``float_power``)."""
        e = exponent.double() if isinstance(exponent, Tensor) else exponent
        return self.double() ** e

    def nan_to_num(self, nan: _float = 0.0, posinf: _float | None = None,
                   neginf: _float | None = None) -> Tensor:
        """NaN → ``nan``, +∞ → ``posinf`` (default: the dtype's largest value), −∞ →
        ``neginf`` (its most negative). Gradient: ``g`` where the input was finite, else 0."""
        a = self._array
        if a.dtype.kind not in "fc":
            return self.clone()
        info = np.finfo(a.dtype)
        posinf = info.max if posinf is None else posinf
        neginf = info.min if neginf is None else neginf
        with np.errstate(invalid="ignore"):
            replaced = np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)
        return where(Tensor._make(np.isfinite(a), None), self,
                     Tensor._make(replaced, None))

    @overload
    def median(self, dim: None = None, keepdim: _bool = False) -> Tensor: ...
    @overload
    def median(self, dim: _int, keepdim: _bool = False) -> return_types.median: ...
    def median(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor | return_types.median:
        """The lower median (PyTorch's: of an even count, the smaller middle value). With
        ``dim``, ``(values, indices)``; the gradient goes to the returned index."""
        _no_bool(self, "median")
        if dim is None:
            flat = self.reshape(-1)
            if flat.shape[0] == 0:
                return Tensor._make(np.array(np.nan, self.dtype), None)
            v = flat.median(0).values
            if not (self.requires_grad and grad_mode._enabled) or np.isinf(v._array):
                return v
            # PyTorch spreads the gradient equally over every element equal to the median
            # (every NaN when it is NaN): value v, gradient mask / count
            tied = np.isnan(flat._array) if np.isnan(v._array) else flat._array == v._array
            shift = where(Tensor._make(tied, None), flat - flat.detach(), 0.0).sum()
            return Tensor._make(v._array, None) + shift / int(tied.sum())
        dim = normalize_axis(dim, self.ndim, "median")
        n = self.shape[dim] if self.ndim else 1
        if n == 0:
            raise ArgumentError(f"median: dimension {dim} has size 0")
        if self.ndim == 0:
            return return_types.median(self.clone(), Tensor._make(np.zeros((), np.int64), None))
        # the lower middle of the sorted values; a row holding NaN gives NaN and the index
        # of its first NaN (NaN sorts last, ties keep their order), as PyTorch
        order = _argsort(self._array, dim, False)
        nans = np.isnan(self._array).sum(axis=dim, keepdims=True) if self.dtype.kind == "f" else 0
        k = np.where(nans > 0, n - nans, (n - 1) // 2)
        k = np.broadcast_to(k, self.shape[:dim] + (1,) + self.shape[dim + 1:])
        index = np.take_along_axis(order, k, axis=dim).astype(np.int64)
        v = _shp.Gather.apply(self, index, dim)
        i = Tensor._make(index, None)
        if not keepdim:
            v, i = v.squeeze(dim), i.squeeze(dim)
        return return_types.median(v, i)

    def var_mean(self, dim: _Dims = None, unbiased: _bool | None = None, keepdim: _bool = False, *,
                 correction: _float | None = None) -> tuple[Tensor, Tensor]:
        """``(var, mean)`` in one call (unbiased variance by default)."""
        return (self.var(dim, unbiased, keepdim, correction=correction),
                self.mean(dim, keepdim=keepdim))

    def std_mean(self, dim: _Dims = None, unbiased: _bool | None = None, keepdim: _bool = False, *,
                 correction: _float | None = None) -> tuple[Tensor, Tensor]:
        """``(std, mean)`` in one call (unbiased by default)."""
        return (self.std(dim, unbiased, keepdim, correction=correction),   # σ'(0) = 0 as std
                self.mean(dim, keepdim=keepdim))

    def sum_to_size(self, *size: _Shape) -> Tensor:
        """Sum over the axes that broadcasting from ``size`` would have added or stretched."""
        size = shape_arg(size, "sum_to_size")
        try:
            np.broadcast_shapes(tuple(size), self.shape)
            lead = self.ndim - len(size)
            assert lead >= 0 and all(s in (1, n) for s, n in zip(size, self.shape[lead:]))
        except (ValueError, AssertionError):
            raise ArgumentError(f"sum_to_size: size {tuple(size)} is not expandable to the "
                                f"tensor's shape {self.shape}") from None
        out = self.sum(tuple(range(lead))) if lead else self
        axes = tuple(k for k, (s, n) in enumerate(zip(size, out.shape)) if s == 1 and n != 1)
        return out.sum(axes, keepdim=True) if axes else out

    @overload
    def unique(self, sorted: _bool = True, return_inverse: Literal[False] = False,
               return_counts: Literal[False] = False, dim: _int | None = None) -> Tensor: ...
    @overload
    def unique(self, sorted: _bool = True, return_inverse: _bool = False, return_counts: _bool = False,
               dim: _int | None = None) -> Tensor | tuple[Tensor, ...]: ...
    def unique(self, sorted: _bool = True, return_inverse: _bool = False, return_counts: _bool = False,
               dim: _int | None = None) -> Tensor | tuple[Tensor, ...]:
        """The distinct values, sorted (no gradient); optionally the index of each element's
        value among them and each value's count."""
        if dim is not None:
            dim = normalize_axis(dim, self.ndim, "unique")
        out = np.unique(self._array, return_inverse=True, return_counts=True, axis=dim)
        values, inverse, counts = out
        result = [Tensor._make(values, None)]
        if return_inverse:
            shape = self.shape if dim is None else (self.shape[dim],)
            result.append(Tensor._make(inverse.reshape(shape).astype(np.int64), None))
        if return_counts:
            result.append(Tensor._make(counts.astype(np.int64), None))
        return result[0] if len(result) == 1 else tuple(result)

    @property
    def itemsize(self) -> _int:
        return self._array.itemsize

    @property
    def nbytes(self) -> _int:
        return self._array.nbytes

    def data_ptr(self) -> _int:
        """The address of the first element (equal for tensors that share it)."""
        return self._array.__array_interface__["data"][0]

    def uniform_(self, a: _float = 0.0, b: _float = 1.0, generator: Generator | None = None) -> Tensor:
        """Fill with samples of U[a, b) from minidl's generator (no gradient)."""
        gen = _rng(generator)
        return self._fill_random(lambda: gen.uniform(a, b, self.shape), "uniform_")

    def normal_(self, mean: _float = 0.0, std: _float = 1.0,
                generator: Generator | None = None) -> Tensor:
        """Fill with samples of N(mean, std²) from minidl's generator (no gradient)."""
        gen = _rng(generator)
        return self._fill_random(lambda: gen.normal(mean, std, self.shape), "normal_")

    def bernoulli_(self, p: TensorLike = 0.5, generator: Generator | None = None) -> Tensor:
        gen = _rng(generator)
        return self._fill_random(lambda: gen.random(self.shape) < _raw(p), "bernoulli_")

    def random_(self, low: _int = 0, high: _int | None = None,
                generator: Generator | None = None) -> Tensor:
        gen = _rng(generator)
        if high is None:
            low, high = 0, low if low else 2 ** 24
        return self._fill_random(lambda: gen.integers(low, high, self.shape), "random_")

    def exponential_(self, lambd: _float = 1.0, generator: Generator | None = None) -> Tensor:
        gen = _rng(generator)
        return self._fill_random(lambda: gen.exponential(1.0 / lambd, self.shape),
                                 "exponential_")

    def _fill_random(self, draw, name):
        if grad_mode._enabled and self.requires_grad and self._ctx is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in "
                               f"an in-place operation.")
        with grad_mode.no_grad():
            values = Tensor._make(np.asarray(draw()).astype(self.dtype), None)
            return self.copy_(values)

    def requires_grad_and_zero_grad(self) -> Tensor:
        self._grad = None
        return self

    # ------------------------------------------------------------------ shapes, scans, reductions (PyTorch's names)
    def ravel(self) -> Tensor:
        """The values as one axis (``reshape(-1)``)."""
        return self.reshape(-1)

    def fliplr(self) -> Tensor:
        """Reverse the columns (dim 1; needs ≥ 2 dims)."""
        if self.ndim < 2:
            raise ArgumentError(f"fliplr: input must be >= 2-d, got shape {self.shape}")
        return self.flip(1)

    def flipud(self) -> Tensor:
        """Reverse the rows (dim 0; needs ≥ 1 dim)."""
        if self.ndim < 1:
            raise ArgumentError("flipud: input must be >= 1-d, got a 0-d tensor")
        return self.flip(0)

    def rot90(self, k: _int = 1, dims: Sequence[_int] = (0, 1)) -> Tensor:
        """Rotate by 90° ``k`` times in the plane ``dims`` (from the first towards the
        second axis, as PyTorch)."""
        if len(dims) != 2 or self.ndim < 2:
            raise ArgumentError(f"rot90: expected two dims of a >= 2-d tensor, got dims "
                                f"{tuple(dims)} and shape {self.shape}")
        d0, d1 = (normalize_axis(d, self.ndim, "rot90") for d in dims)
        if d0 == d1:
            raise ArgumentError(f"rot90: the two dims must differ, got {tuple(dims)}")
        k %= 4
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip(d0, d1)
        if k == 3:
            return self.flip(d0).transpose(d0, d1)
        return self._alias()

    def _split_like_numpy(self, sections, dim, name):
        if is_int(sections) and self.shape[dim] % sections:
            raise ArgumentError(f"{name}: dimension {dim} of size {self.shape[dim]} is not "
                                f"divisible by the split size {sections}")
        return self.tensor_split(sections, dim)

    def hsplit(self, sections: _Shape) -> tuple[Tensor, ...]:
        """Split along dim 1 (dim 0 of a 1-d tensor) into equal parts or at indices."""
        return self._split_like_numpy(sections, 1 if self.ndim > 1 else 0, "hsplit")

    def vsplit(self, sections: _Shape) -> tuple[Tensor, ...]:
        """Split along dim 0 (needs ≥ 2 dims)."""
        if self.ndim < 2:
            raise ArgumentError(f"vsplit: requires a tensor with at least 2 dimensions, got "
                                f"shape {self.shape}")
        return self._split_like_numpy(sections, 0, "vsplit")

    def dsplit(self, sections: _Shape) -> tuple[Tensor, ...]:
        """Split along dim 2 (needs ≥ 3 dims)."""
        if self.ndim < 3:
            raise ArgumentError(f"dsplit: requires a tensor with at least 3 dimensions, got "
                                f"shape {self.shape}")
        return self._split_like_numpy(sections, 2, "dsplit")

    def take(self, index: TensorLike) -> Tensor:
        """The elements at ``index`` of the flattened tensor (the shape of ``index``)."""
        idx = np.asarray(_raw(index))
        n = self.numel()
        if idx.dtype.kind not in "iu" or idx.size and (idx.min() < -n or idx.max() >= n):
            raise ArgumentError(f"take: index must be integers in [-{n}, {n}), got "
                                f"{idx.dtype} {idx.min() if idx.size else ''}"
                                f"..{idx.max() if idx.size else ''}")
        return self.reshape(-1)[Tensor._make(idx.astype(np.int64), None)]

    def index_copy(self, dim: _int, index: TensorLike, source: TensorLike) -> Tensor:
        """A copy with the slices ``index`` along ``dim`` replaced by ``source``'s."""
        return self.clone().index_copy_(dim, index, source)

    def index_copy_(self, dim: _int, index: TensorLike, source: TensorLike) -> Tensor:
        dim = normalize_axis(dim, max(self.ndim, 1), "index_copy_")
        idx = np.asarray(_raw(index)).reshape(-1).astype(np.int64)
        self[(slice(None),) * dim + (idx,)] = source
        return self

    def index_fill(self, dim: _int, index: TensorLike, value: TensorLike) -> Tensor:
        """A copy with the slices ``index`` along ``dim`` set to ``value``."""
        return self.clone().index_fill_(dim, index, value)

    def masked_scatter(self, mask: TensorLike, source: Tensor) -> Tensor:
        """A copy where the True positions of ``mask`` (broadcast, in row-major order) take
        the consecutive elements of ``source``."""
        return self.clone().masked_scatter_(mask, source)

    def masked_scatter_(self, mask: TensorLike, source: Tensor) -> Tensor:
        m = np.asarray(_raw(mask))
        if m.dtype != np.bool_:
            raise ArgumentError(f"masked_scatter_: mask must be a bool tensor, got {m.dtype}")
        m = np.broadcast_to(m, self.shape)
        count = int(m.sum())
        if source.numel() < count:
            raise ArgumentError(f"masked_scatter_: the mask has {count} True elements but "
                                f"source has only {source.numel()}")
        self[Tensor._make(np.ascontiguousarray(m), None)] = source.reshape(-1)[:count]
        return self

    def diag_embed(self, offset: _int = 0, dim1: _int = -2, dim2: _int = -1) -> Tensor:
        """Matrices with the last dimension of this tensor on their ``offset`` diagonal
        (shape ``(..., n + |offset|, n + |offset|)``)."""
        if (dim1, dim2) not in ((-2, -1), (self.ndim - 1, self.ndim)):
            raise NotImplementedError("diag_embed: only dim1=-2, dim2=-1 are supported by "
                                      "minidl")
        n = self.shape[-1] if self.ndim else 1
        m = n + abs(offset)
        out = self.new_zeros(self.shape[:-1] + (m, m))
        k = np.arange(n)
        rows, cols = (k, k + offset) if offset >= 0 else (k - offset, k)
        out[(Ellipsis, rows, cols)] = self
        return out

    def diagflat(self, offset: _int = 0) -> Tensor:
        """The flattened values on the ``offset`` diagonal of a square matrix."""
        return self.reshape(-1).diag(offset)

    def inner(self, other: Tensor) -> Tensor:
        """Σ over the last dimension of both (a product if either is 0-d)."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        from .functions import tensordot
        return tensordot(self, other, ([self.ndim - 1], [other.ndim - 1]))

    def vdot(self, other: Tensor) -> Tensor:
        """Σ x̄ᵢ yᵢ of two 1-d tensors (real: the dot product)."""
        return self.dot(other)

    def addr(self, vec1: Tensor, vec2: Tensor, *, beta: _float = 1, alpha: _float = 1) -> Tensor:
        """beta · self + alpha · vec1 ⊗ vec2 (``beta = 0`` ignores self, NaN included)."""
        return _scaled_sum(self, vec1.outer(vec2), beta, alpha)

    def dist(self, other: Tensor, p: _float = 2) -> Tensor:
        """The p-norm of ``self − other`` (broadcast), over all elements."""
        return (self - other).reshape(-1).norm(p=p)

    def renorm(self, p: _float, dim: _int, maxnorm: _float) -> Tensor:
        """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to it
        (by maxnorm / (norm + 1e-7), as PyTorch)."""
        dim = normalize_axis(dim, self.ndim, "renorm")
        others = tuple(d for d in range(self.ndim) if d != dim)
        total = self.abs().pow(p).sum(others, keepdim=True) if others else self.abs().pow(p)
        over = Tensor._make(np.asarray(total._array ** (1 / p) > maxnorm), None)
        norm = where(over, total, 1.0).pow(1 / p)     # (no 0 · ∞ where the slice is kept)
        return self * where(over, maxnorm / (norm + 1e-7), 1.0)

    def aminmax(self, *, dim: _int | None = None, keepdim: _bool = False) -> return_types.aminmax:
        """``(min, max)`` over ``dim`` (or everything), as ``torch.aminmax``."""
        if dim is None:
            lo, hi = self.amin(), self.amax()
            if keepdim:
                lo, hi = lo.reshape((1,) * self.ndim), hi.reshape((1,) * self.ndim)
            return return_types.aminmax(lo, hi)
        return return_types.aminmax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def _cum_extreme(self, dim, better, name, result):
        dim = normalize_axis(dim, max(self.ndim, 1), name)
        a = self._array if self.ndim else self._array.reshape(1)
        moved = np.moveaxis(a, dim, -1)
        idx = np.zeros(moved.shape, np.int64)
        best = moved[..., :1].copy()
        best_i = np.zeros(moved.shape[:-1] + (1,), np.int64)
        with np.errstate(invalid="ignore"):
            for j in range(moved.shape[-1]):
                v = moved[..., j:j + 1]
                take = better(v, best) | (v == best)            # ties: the latest index
                if v.dtype.kind == "f":                         # a NaN takes over, and stays
                    take = (take | np.isnan(v)) & ~np.isnan(best)
                best = np.where(take, v, best)
                best_i = np.where(take, j, best_i)
                idx[..., j:j + 1] = best_i
        indices = np.moveaxis(idx, -1, dim).reshape(self.shape)
        src = self if self.ndim else self.reshape(1)
        values = src.gather(dim, Tensor._make(indices.reshape(src.shape), None)).reshape(
            self.shape)
        return result(values, Tensor._make(indices, None))

    def cummax(self, dim: _int) -> return_types.cummax:
        """Running maximum along ``dim`` and the index it came from (the latest of equal
        values; a NaN stays); the gradient goes to that index.

        >>> import minidl as md
        >>> md.tensor([1.0, 3.0, 2.0, 3.0]).cummax(0).indices
        tensor([0, 1, 1, 3])
        """
        return self._cum_extreme(dim, np.greater, "cummax", return_types.cummax)

    def cummin(self, dim: _int) -> return_types.cummin:
        """Running minimum along ``dim`` and its index (see :meth:`cummax`)."""
        return self._cum_extreme(dim, np.less, "cummin", return_types.cummin)

    def logcumsumexp(self, dim: _int) -> Tensor:
        """ln Σ_{j ≤ i} exp(x_j) along ``dim``, shifted by the (constant) maximum."""
        x = _floating(self)
        dim = normalize_axis(dim, max(x.ndim, 1), "logcumsumexp")
        with np.errstate(invalid="ignore"):
            m = np.max(x._array, axis=dim, keepdims=True) if x.ndim else x._array
            m = np.where(np.isfinite(m), m, 0.0).astype(x.dtype)
        shift = Tensor._make(np.asarray(m), None)
        with np.errstate(divide="ignore"):
            return (x - shift).exp().cumsum(dim).log() + shift

    def diff(self, n: _int = 1, dim: _int = -1, prepend: Tensor | None = None,
             append: Tensor | None = None) -> Tensor:
        """The n-th forward difference along ``dim``: ``x[i+1] − x[i]``, after concatenating
        ``prepend`` and ``append``."""
        dim = normalize_axis(dim, self.ndim, "diff")
        x = self
        if prepend is not None or append is not None:
            parts = [t for t in (prepend, self, append) if t is not None]
            x = cat([t if t.ndim == self.ndim else t.expand(
                self.shape[:dim] + (1,) + self.shape[dim + 1:]) for t in parts], dim)
        for _ in range(n):
            length = x.shape[dim]
            if length == 0:
                break
            hi, lo = x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1)
            x = hi.logical_xor(lo) if x.dtype == np.bool_ else hi - lo
        return x

    def nanmean(self, dim: _Dims = None, keepdim: _bool = False) -> Tensor:
        """The mean of the non-NaN values (NaN if there are none)."""
        if self.dtype.kind != "f":
            raise TypeError(f"nanmean: expected a floating tensor, got {_dtype_name(self.dtype)}")
        count = (~self.isnan()).sum(dim, keepdim=keepdim).to(self.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.nansum(dim, keepdim) / count

    def argwhere(self) -> Tensor:
        """The indices of the non-zero elements, one row each (``nonzero()``)."""
        return self.nonzero()

    def msort(self) -> Tensor:
        """Sorted along dim 0 (``sort(dim=0).values``)."""
        return self.sort(dim=0).values

    def kthvalue(self, k: _int, dim: _int = -1, keepdim: _bool = False) -> return_types.kthvalue:
        """The k-th smallest value along ``dim`` (k from 1) and its index."""
        d = normalize_axis(dim, max(self.ndim, 1), "kthvalue")
        n = self.shape[d] if self.ndim else 1
        if not 1 <= k <= n:
            raise ArgumentError(f"kthvalue: k = {k} is out of range for a dimension of size {n}")
        values, indices = self.sort(dim=d)
        v, i = values.narrow(d, k - 1, 1), indices.narrow(d, k - 1, 1)
        if not keepdim:
            v, i = v.squeeze(d), i.squeeze(d)
        return return_types.kthvalue(v, i)

    def bincount(self, weights: Tensor | None = None, minlength: _int = 0) -> Tensor:
        """Counts of each non-negative integer (summed ``weights`` if given: float64, or the
        weights' float32) in a 1-d tensor."""
        a = self._array
        if a.ndim != 1 or a.dtype.kind not in "iu" or a.size and a.min() < 0:
            raise ArgumentError(f"bincount: expected a 1-d tensor of non-negative integers, "
                                f"got shape {self.shape} and dtype {_dtype_name(self.dtype)}")
        if weights is None:
            return Tensor._make(np.bincount(a, minlength=minlength).astype(np.int64), None)
        w = np.asarray(_raw(weights))
        dtype = np.float32 if w.dtype == np.float32 else np.float64
        return Tensor._make(np.bincount(a, w, minlength).astype(dtype), None)

    def histc(self, bins: _int = 100, min: _float = 0, max: _float = 0) -> Tensor:
        """A histogram of ``bins`` equal bins over [min, max] (the data's range when
        min = max); values outside are ignored."""
        a = self._array
        lo, hi = (float(a.min()), float(a.max())) if min == max and a.size else (min, max)
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        counts, _ = np.histogram(a[(a >= lo) & (a <= hi)], bins=bins, range=(lo, hi))
        return Tensor._make(counts.astype(a.dtype if a.dtype.kind == "f" else np.float32), None)

    def unique_consecutive(self, return_inverse: _bool = False, return_counts: _bool = False,
                           dim: _int | None = None) -> Any:
        """The values with each run of equal consecutive elements kept once (flattened;
        ``dim=`` is not supported)."""
        if dim is not None:
            raise NotImplementedError("unique_consecutive: dim= is not supported by minidl")
        a = self._array.reshape(-1)
        starts = np.ones(a.shape, bool)
        starts[1:] = a[1:] != a[:-1]
        out = [Tensor._make(a[starts], None)]
        if return_inverse:
            out.append(Tensor._make((np.cumsum(starts) - 1).reshape(self.shape), None))
        if return_counts:
            out.append(Tensor._make(np.diff(np.append(np.flatnonzero(starts), a.size)), None))
        return out[0] if len(out) == 1 else tuple(out)

    def quantile(self, q: _float | Tensor, dim: _int | None = None, keepdim: _bool = False, *,
                 interpolation: str = "linear") -> Tensor:
        """The q-quantiles along ``dim`` (of everything if None), between the sorted values
        at ⌊q(n−1)⌋ and ⌈q(n−1)⌉: ``linear`` (interpolated), ``lower``, ``higher``,
        ``midpoint``, ``nearest`` (half to even). A 1-d ``q`` adds a first dimension. NaN
        in a slice gives NaN.

        >>> import minidl as md
        >>> md.tensor([1.0, 2.0, 3.0, 4.0]).quantile(md.tensor([0.25, 0.5]))
        tensor([1.75, 2.5 ])
        """
        return _quantile(self, q, dim, keepdim, interpolation, "quantile", ignore_nan=False)

    def nanquantile(self, q: _float | Tensor, dim: _int | None = None, keepdim: _bool = False,
                    *, interpolation: str = "linear") -> Tensor:
        """:meth:`quantile` of the non-NaN values of each slice (NaN if there are none)."""
        return _quantile(self, q, dim, keepdim, interpolation, "nanquantile", ignore_nan=True)

    @overload
    def nanmedian(self, dim: None = None, keepdim: _bool = False) -> Tensor: ...
    @overload
    def nanmedian(self, dim: _int, keepdim: _bool = False) -> return_types.nanmedian: ...
    def nanmedian(self, dim: _int | None = None,
                  keepdim: _bool = False) -> Tensor | return_types.nanmedian:
        """The lower median of the non-NaN values (NaN if there are none); with ``dim``,
        ``(values, indices)`` and the gradient goes to the returned index."""
        _no_bool(self, "nanmedian")
        if dim is None:
            flat = self.reshape(-1)
            if self.dtype.kind == "f" and np.isnan(flat._array).any():
                keep = ~np.isnan(flat._array)
                flat = flat[Tensor._make(keep, None)] if keep.any() else flat
            return flat.median()
        dim = normalize_axis(dim, max(self.ndim, 1), "nanmedian")
        if self.ndim == 0:
            return return_types.nanmedian(self.clone(),
                                          Tensor._make(np.zeros((), np.int64), None))
        n = self.shape[dim]
        if n == 0:
            raise ArgumentError(f"nanmedian: dimension {dim} has size 0")
        order = _argsort(self._array, dim, False)                 # NaN sorts last
        valid = (~np.isnan(self._array)).sum(axis=dim, keepdims=True) \
            if self.dtype.kind == "f" else n
        k = np.broadcast_to(np.maximum(valid - 1, 0) // 2,
                            self.shape[:dim] + (1,) + self.shape[dim + 1:])
        i = np.take_along_axis(order, k, axis=dim).astype(np.int64)
        v = _shp.Gather.apply(self, i, dim)
        it = Tensor._make(i, None)
        if not keepdim:
            v, it = v.squeeze(dim), it.squeeze(dim)
        return return_types.nanmedian(v, it)

    def mode(self, dim: _int = -1, keepdim: _bool = False) -> return_types.mode:
        """The most frequent value along ``dim`` (the smallest of equally frequent ones) and
        the index of its last occurrence, as PyTorch; the gradient goes to that index."""
        d = normalize_axis(dim, max(self.ndim, 1), "mode")
        src = self if self.ndim else self.reshape(1)
        moved = np.moveaxis(src._array, d, -1)
        rows = moved.reshape(-1, moved.shape[-1])
        best = np.empty(rows.shape[0], np.int64)
        for r, row in enumerate(rows):
            values, counts = np.unique(row, return_counts=True)
            value = values[np.argmax(counts)]                 # the first (smallest) of the most
            best[r] = np.flatnonzero(row == value)[-1] if value == value else \
                np.flatnonzero(np.isnan(row))[-1]
        idx = np.moveaxis(best.reshape(moved.shape[:-1] + (1,)), -1, d)
        v = _shp.Gather.apply(src, idx, d)
        it = Tensor._make(idx, None)
        if not keepdim or self.ndim == 0:
            v, it = v.squeeze(d), it.squeeze(d)
        return return_types.mode(v.reshape(()) if self.ndim == 0 else v,
                                 it.reshape(()) if self.ndim == 0 else it)

    not_equal = ne

    def addr_(self, vec1: Tensor, vec2: Tensor, *, beta: _float = 1, alpha: _float = 1) -> Tensor:
        return self._unary_("addr_", lambda a: a.addr(vec1, vec2, beta=beta, alpha=alpha),
                            (vec1, vec2))

    def renorm_(self, p: _float, dim: _int, maxnorm: _float) -> Tensor:
        return self._unary_("renorm_", lambda a: a.renorm(p, dim, maxnorm))

    def kron(self, other: Tensor) -> Tensor:
        """The Kronecker product (see ``md.kron``)."""
        from .functions import kron
        return kron(self, other)

    def broadcast_to(self, size: Sequence[_int]) -> Tensor:
        return broadcast_to(self, size)

    def split_with_sizes(self, split_sizes: Sequence[_int], dim: _int = 0) -> tuple[Tensor, ...]:
        return self.split(list(split_sizes), dim)

    def narrow_copy(self, dim: _int, start: _int, length: _int) -> Tensor:
        return self.narrow(dim, start, length).clone()

    def unsafe_chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        return self.chunk(chunks, dim)

    def unsafe_split(self, split_size: _Shape, dim: _int = 0) -> tuple[Tensor, ...]:
        return self.split(split_size, dim)

    # a real tensor is its own conjugate
    def conj(self) -> Tensor:
        return self

    def resolve_conj(self) -> Tensor:
        return self

    def resolve_neg(self) -> Tensor:
        return self

    def is_conj(self) -> _bool:
        return False

    def is_neg(self) -> _bool:
        return False

    def mvlgamma(self, p: _int) -> Tensor:
        """The multivariate log-gamma: p(p−1)/4 · ln π + Σ_{j=1..p} lgamma(x − (j−1)/2)
        (every element must be > (p−1)/2, as PyTorch checks)."""
        x = _floating(self)
        if not is_int(p) or p < 1:
            raise ArgumentError(f"mvlgamma: p must be a positive integer, got {p!r}")
        if x.numel() and not (x._array > (p - 1) / 2).all():
            raise ArgumentError(f"mvlgamma: all elements must be greater than (p-1)/2 = "
                                f"{(p - 1) / 2}")
        total = x.lgamma()
        for j in range(2, p + 1):
            total = total + (x - (j - 1) / 2).lgamma()
        return total + p * (p - 1) / 4 * float(np.log(np.pi))

    def mvlgamma_(self, p: _int) -> Tensor:
        return self._unary_("mvlgamma_", lambda a: a.mvlgamma(p))

    def frexp(self) -> tuple[Tensor, Tensor]:
        """``(mantissa, exponent)`` with self = mantissa · 2^exponent, |mantissa| in [½, 1)
        (an int32 exponent; no gradient)."""
        if self.dtype.kind != "f":
            raise TypeError(f"frexp: only floating tensors, got {_dtype_name(self.dtype)}")
        m, e = np.frexp(self._array)
        return Tensor._make(np.asarray(m), None), Tensor._make(np.asarray(e, np.int32), None)

    # properties and predicates
    @property
    def is_cpu(self) -> _bool:
        return True

    def get_device(self) -> _int:
        """−1: a CPU tensor."""
        return -1

    def is_signed(self) -> _bool:
        return self.dtype.kind in "ifc"

    def is_same_size(self, other: Tensor) -> _bool:
        return self.shape == other.shape

    def is_nonzero(self) -> _bool:
        """The truth of a one-element tensor (a RuntimeError otherwise, as PyTorch)."""
        if self.numel() != 1:
            what = "no values" if not self.numel() else "more than one value"
            raise RuntimeError(f"is_nonzero: Boolean value of Tensor with {what} is ambiguous")
        return bool(self._array.reshape(-1)[0])

    def is_inference(self) -> _bool:
        return False

    @property
    def H(self) -> Tensor:
        """The (conjugate) transpose of a matrix."""
        if self.ndim > 2:
            raise ArgumentError(f"H: only 0-d, 1-d and 2-d tensors, got shape {self.shape}")
        return self.t() if self.ndim == 2 else self._alias()

    @property
    def mH(self) -> Tensor:
        """The (conjugate) transpose of the last two dimensions."""
        return self.mT

    def adjoint(self) -> Tensor:
        return self.mT

    # bitwise and integer functions (no gradient)
    def bitwise_and(self, other: TensorLike) -> Tensor:
        return self & other

    def bitwise_or(self, other: TensorLike) -> Tensor:
        return self | other

    def bitwise_xor(self, other: TensorLike) -> Tensor:
        return self ^ other

    def bitwise_not(self) -> Tensor:
        return ~self

    def bitwise_and_(self, other: TensorLike) -> Tensor:
        return self._bitwise_("bitwise_and_", np.bitwise_and, other)

    def bitwise_or_(self, other: TensorLike) -> Tensor:
        return self._bitwise_("bitwise_or_", np.bitwise_or, other)

    def bitwise_xor_(self, other: TensorLike) -> Tensor:
        return self._bitwise_("bitwise_xor_", np.bitwise_xor, other)

    def bitwise_not_(self) -> Tensor:
        return self.copy_(~self)

    def bitwise_left_shift(self, other: TensorLike) -> Tensor:
        return _bitwise(np.left_shift, self, other, "bitwise_left_shift")

    def bitwise_right_shift(self, other: TensorLike) -> Tensor:
        return _bitwise(np.right_shift, self, other, "bitwise_right_shift")

    def __lshift__(self, other: TensorLike) -> Tensor:
        return self.bitwise_left_shift(other)

    def __rshift__(self, other: TensorLike) -> Tensor:
        return self.bitwise_right_shift(other)

    def bitwise_left_shift_(self, other: TensorLike) -> Tensor:
        return self._bitwise_("bitwise_left_shift_", np.left_shift, other)

    def bitwise_right_shift_(self, other: TensorLike) -> Tensor:
        return self._bitwise_("bitwise_right_shift_", np.right_shift, other)

    def gcd(self, other: TensorLike) -> Tensor:
        """Greatest common divisor of integers (gcd(0, 0) = 0)."""
        return _bitwise(np.gcd, self, other, "gcd")

    def lcm(self, other: TensorLike) -> Tensor:
        """Least common multiple of integers."""
        return _bitwise(np.lcm, self, other, "lcm")

    def gcd_(self, other: TensorLike) -> Tensor:
        return self._bitwise_("gcd_", np.gcd, other)

    def lcm_(self, other: TensorLike) -> Tensor:
        return self._bitwise_("lcm_", np.lcm, other)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient: TensorLike | None = None, retain_graph: _bool | None = None,
                 create_graph: _bool = False, inputs: Tensor | Sequence[Tensor] | None = None) -> None:
        """Compute ∂self/∂leaf for every leaf that requires grad, into ``leaf.grad``.

        Args:
            gradient: ∂L/∂self, of ``self``'s shape; may be omitted only when ``self``
                has a single element (then it is 1).
            retain_graph: keep the graph (and what it saved) so that ``backward`` can
                run through it again. By default it is freed as the walk goes.
            create_graph: record the backward pass, so that the gradients (which then
                require grad) can be differentiated again.
            inputs: accumulate only into these tensors.

        Gradients accumulate: call ``zero_grad`` (or set ``.grad = None``) between steps.
        """
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook: _Hook) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned
        Tensor replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self._ctx is None:
            if self._meta is None:
                self._meta = {}
            hooks = self._meta.setdefault("hooks", [])
        else:
            node_hooks: dict[_int, list[_Hook]] | None = getattr(self._ctx, "_hooks", None)
            if node_hooks is None:
                node_hooks = self._ctx._hooks = {}
            hooks = node_hooks.setdefault(self._nr, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep the gradient of this computed tensor in ``.grad`` after backward."""
        if self._ctx is None:
            return
        if self._meta is not None and self._meta.get("retains_grad"):
            return
        if self._meta is None:
            self._meta = {}
        self._meta["retains_grad"] = True
        import weakref
        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                g = grad if grad.requires_grad else Tensor._make(grad._array.copy(), None)
                t._grad = g if t._grad is None else t._grad + g
        self.register_hook(keep)

    @property
    def retains_grad(self) -> _bool:
        return bool(self._meta and self._meta.get("retains_grad"))

    def zero_grad_(self) -> Tensor:
        self._grad = None
        return self


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


register_tensor_type(Tensor)

_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "float16": "torch.HalfTensor", "int64": "torch.LongTensor",
               "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
               "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
               "bool": "torch.BoolTensor"}


def _dtype_name(dtype):
    return np.dtype(dtype).name


def _rebuild(array, requires_grad, cls):
    t = Tensor._make(np.array(array), None)
    if cls is not Tensor:
        new = object.__new__(cls)
        for slot in Tensor.__slots__[:-1]:
            setattr(new, slot, getattr(t, slot))
        t = new
    t.requires_grad = requires_grad
    return t


_UFUNCS: dict[np.ufunc, Callable[..., Any]] = {
    np.add: lambda a, b: _binary(_ew.Add, a, b, "add"),
    np.subtract: lambda a, b: _binary(_ew.Sub, a, b, "sub"),
    np.multiply: lambda a, b: _binary(_ew.Mul, a, b, "mul"),
    np.true_divide: lambda a, b: _binary(_ew.Div, a, b, "div"),
    np.power: lambda a, b: _binary(_ew.Pow, a, b, "pow"),
    np.matmul: lambda a, b: _matmul(a, b),
    np.maximum: lambda a, b: maximum(a, b),
    np.minimum: lambda a, b: minimum(a, b),
    np.negative: lambda a: -a,
    np.exp: lambda a: a.exp(),
    np.log: lambda a: a.log(),
    np.log1p: lambda a: a.log1p(),
    np.sqrt: lambda a: a.sqrt(),
    np.sin: lambda a: a.sin(),
    np.cos: lambda a: a.cos(),
    np.tanh: lambda a: a.tanh(),
    np.abs: lambda a: a.abs(),
    np.sign: lambda a: a.sign(),
    np.floor_divide: lambda a, b: _no_grad_binary(np.floor_divide, a, b, "floor_divide"),
    np.remainder: lambda a, b: _no_grad_binary(np.remainder, a, b, "remainder"),
    np.equal: lambda a, b: _compare(np.equal, _as_left(a), b, "eq"),
    np.not_equal: lambda a, b: _compare(np.not_equal, _as_left(a), b, "ne"),
    np.less: lambda a, b: _compare(np.less, _as_left(a), b, "lt"),
    np.less_equal: lambda a, b: _compare(np.less_equal, _as_left(a), b, "le"),
    np.greater: lambda a, b: _compare(np.greater, _as_left(a), b, "gt"),
    np.greater_equal: lambda a, b: _compare(np.greater_equal, _as_left(a), b, "ge"),
}


def _as_left(a):
    return a if isinstance(a, Tensor) else Tensor._make(np.asarray(a), None)


# ---------------------------------------------------------------------- helpers
def _rng(generator):
    """The ``np.random.Generator`` to draw from: minidl's own, or a ``md.Generator``'s."""
    if generator is None:
        return _random.generator()
    return getattr(generator, "_rng", generator)


def _raw(x):
    return x._array if isinstance(x, Tensor) else x


def _ndim(x):
    return np.ndim(_raw(x))


def _as_value(value, dtype):
    """A value to write into a tensor of ``dtype``: a Tensor stays (cast); numbers and
    arrays become arrays of ``dtype``."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else value.to(dtype)
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"expected a number, an array or a Tensor as the value, got "
                        f"{type(value).__name__}")
    return arr.astype(dtype)


def _floating(t):
    """``t`` itself if floating, else cast to the default dtype (for exp, log, ...)."""
    if t._array.dtype.kind in "fc":
        return t
    return Tensor._make(t._array.astype(get_default_dtype()), None)


_FLOAT_SCALARS = (np.float16, np.float32, np.float64)


def _binary(op, a, b, name):
    """``op(a, b)`` after PyTorch's type promotion (``name`` for the error messages)."""
    # Fast paths, which the promotion rules would answer the same way: two floating
    # tensors of one dtype, or a floating tensor and a number. A number takes the
    # tensor's dtype (a NumPy float scalar counts as a number: NumPy would let
    # np.float64(0.5) turn float32 into float64); it is passed as a 0-d array of that
    # dtype, which NumPy combines with an array twice as fast as a Python float.
    if isinstance(a, Tensor) and a._array.dtype.kind == "f":
        dtype, tb = a._array.dtype, type(b)
        if tb is float or tb is int or tb in _FLOAT_SCALARS:
            b = np.array(b, dtype)
        elif not (isinstance(b, Tensor) and b._array.dtype == dtype):
            a, b = _promoted(op, a, b, name)
    elif isinstance(b, Tensor) and b._array.dtype.kind == "f" and (
            type(a) is float or type(a) is int or type(a) in _FLOAT_SCALARS):
        a = np.array(a, b._array.dtype)
    else:
        a, b = _promoted(op, a, b, name)
    try:
        return op.apply(a, b)
    except ValueError as e:
        sa, sb = np.shape(_raw(a)), np.shape(_raw(b))
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise ArgumentError(f"{name}: shapes {sa} and {sb} cannot be broadcast together "
                                f"(each axis, aligned from the right, must be equal or "
                                f"1)") from None
        raise ValueError(f"{name}: {e} (shapes {sa} and {sb})") from None


def _quantile(x, q, dim, keepdim, interpolation, name, ignore_nan):
    """quantile / nanquantile: the sorted values (a gather, so differentiable) at the two
    ranks around q (n − 1), combined as ``interpolation`` says."""
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ArgumentError(f"{name}: interpolation must be one of linear, lower, higher, "
                            f"midpoint, nearest; got {interpolation!r}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input tensor must be either float or double dtype, got "
                        f"{_dtype_name(x.dtype)}")
    qs = np.asarray(_raw(q), dtype=np.float64)
    if qs.ndim > 1 or ((qs < 0) | (qs > 1)).any():
        raise ArgumentError(f"{name}: q must be a number or a 1-d tensor of values in [0, 1], "
                            f"got {qs}")
    if dim is None:
        src, d = x.reshape(-1), 0
    else:
        d = normalize_axis(dim, max(x.ndim, 1), name)
        src = x if x.ndim else x.reshape(1)
    n = src.shape[d]
    if n == 0:
        raise ArgumentError(f"{name}: the input has no values along dimension {d}")
    ordered = src.sort(dim=d).values                              # NaN last
    nan = np.isnan(src._array)
    count = (~nan).sum(axis=d, keepdims=True) if ignore_nan else \
        np.full(src.shape[:d] + (1,) + src.shape[d + 1:], n)
    bad = (count == 0) if ignore_nan else nan.any(axis=d, keepdims=True)
    outs = []
    for qv in qs.reshape(-1):
        rank = qv * np.maximum(count - 1, 0)
        lo, hi = np.floor(rank).astype(np.int64), np.ceil(rank).astype(np.int64)
        v_lo, v_hi = _shp.Gather.apply(ordered, lo, d), _shp.Gather.apply(ordered, hi, d)
        if interpolation == "linear":
            v = v_lo + (v_hi - v_lo) * Tensor._make((rank - lo).astype(x.dtype), None)
        elif interpolation == "lower":
            v = v_lo
        elif interpolation == "higher":
            v = v_hi
        elif interpolation == "midpoint":
            v = (v_lo + v_hi) * 0.5
        else:
            v = _shp.Gather.apply(ordered, np.round(rank).astype(np.int64), d)
        if bad.any():
            v = where(Tensor._make(bad, None), float("nan"), v)
        if dim is None:
            v = v.reshape((1,) * x.ndim if keepdim else ())
        elif not keepdim:
            v = v.squeeze(d) if x.ndim else v.reshape(())
        outs.append(v)
    return stack(outs, 0) if qs.ndim == 1 else outs[0]


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


def _float_pair(a, b, name):
    """``a, b`` cast to their promoted dtype, floating (integers: the default dtype)."""
    a, b = promote(name, a, b, 0.5)[:2]
    return (a if isinstance(a, Tensor) else Tensor._make(np.asarray(a, get_default_dtype()
                                                                    if not isinstance(b, Tensor)
                                                                    else b._array.dtype), None),
            b if isinstance(b, Tensor) else Tensor._make(np.asarray(b, a._array.dtype), None))


def _float_binary(op, a, b, name):
    """``op(a, b)`` of two floating operands (integers promoted to the default dtype)."""
    a, b = _float_pair(a, b, name)
    try:
        return op.apply(a, b)
    except ValueError:
        raise ArgumentError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast "
                            f"together") from None


def _sp_logit(x, eps):
    if eps is not None and not isinstance(eps, (int, float)):
        raise TypeError(f"logit: eps must be a number or None, got {eps!r}")
    return _ew.Logit.apply(x, None if eps is None else float(eps))


def _promoted(op, a, b, name):
    if op is _ew.Div and _kind_int(a) and _kind_int(b):
        return promote(name, a, b, 0.5)[:2]          # true division of integers: floats
    return promote(name, a, b)


def _scaled_sum(x, product, beta, alpha):
    """``beta · x + alpha · product``; ``beta = 0`` ignores ``x`` (NaN included), as PyTorch."""
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product
    return product + (x if beta == 1 else x * beta)


def _kind_int(x):
    x = _raw(x)
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "biu"
    return isinstance(x, (int, np.integer, bool, np.bool_))


def _no_bool(t, name):
    """PyTorch has no kernel for these on bool tensors: refuse, as it does."""
    if t._array.dtype == np.bool_:
        raise TypeError(f"{name}: not implemented for bool tensors")


def _no_bool_pair(a, b, name):
    """bool ** bool: PyTorch has no kernel (NumPy would answer in int8)."""
    if all(isinstance(t, (bool, np.bool_)) or isinstance(t, Tensor) and t._array.dtype == np.bool_
           for t in (a, b)):
        raise TypeError(f"{name}: not implemented for bool tensors")


def _check_integer_divisor(a, b, name):
    """PyTorch refuses an integer division by zero (and bool operands) instead of
    answering: NumPy would give 0 and a warning."""
    dtype = np.result_type(_raw(a), _raw(b))
    if dtype == np.bool_:
        raise TypeError(f"{name}: not implemented for bool tensors (PyTorch's rule)")
    if dtype.kind in "iu" and np.any(np.asarray(_raw(b)) == 0) and \
            np.broadcast(np.asarray(_raw(a)), np.asarray(_raw(b))).size:
        raise RuntimeError(f"{name}: ZeroDivisionError (an integer divisor is 0)")


def _modulo(op, a, b, name):
    """``remainder`` / ``fmod``: differentiable (∂/∂a = 1, ∂/∂b = -quotient)."""
    a, b = promote(name, a, b)
    _check_integer_divisor(a, b, name)
    try:
        return op.apply(a, b)
    except ValueError:
        raise ArgumentError(f"{name}: shapes {np.shape(_raw(a))} and {np.shape(_raw(b))} "
                            f"cannot be broadcast together") from None


def _no_grad_binary(ufunc, a, b, name):
    """An elementwise op whose gradient is zero almost everywhere (floor_divide, %)."""
    a, b = promote(name, a, b)
    _check_integer_divisor(a, b, name)
    with np.errstate(divide="ignore", invalid="ignore"):
        try:
            out = ufunc(_raw(a), _raw(b))
        except ValueError:
            raise ArgumentError(f"{name}: shapes {np.shape(_raw(a))} and {np.shape(_raw(b))} "
                               f"cannot be broadcast together") from None
    out = np.asarray(out)
    rg = [t for t in (a, b) if isinstance(t, Tensor) and t.requires_grad]
    if rg and out.dtype.kind == "f" and grad_mode._enabled:
        # the value `out`, a zero gradient to each input (never 0 · ∞ = NaN in the value)
        ref = rg[0] if len(rg) == 1 else rg[0] + rg[1]
        return where(Tensor._make(np.ones(out.shape, bool), None), Tensor._make(out, None), ref)
    return Tensor._make(out, None)


def _floor_divide(a, b):
    """⌊a / b⌋ as PyTorch computes it for floats: (a − fmod(a, b)) / b, rounded to the
    nearest integer below, so ``-inf // 0 = -inf`` and ``3 // -inf = -1`` (NumPy: NaN, -0)."""
    dtype = np.result_type(a, b)                  # (Python scalars are weak, as in PyTorch)
    a, b = np.asarray(a), np.asarray(b)
    if dtype.kind != "f":
        return np.floor_divide(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        mod = np.fmod(a, b)
        div = (a - mod) / b
        div = np.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
        floor = np.floor(div)
        floor = np.where(div - floor > 0.5, floor + 1, floor)
        out = np.where(div != 0, floor, np.copysign(0.0, a / b))
        return np.where(b == 0, a / b, out).astype(dtype, copy=False)


def _bitwise(ufunc, a, b, name):
    a, b = promote(name, a, b)
    if np.asarray(_raw(a)).dtype.kind not in "biu":
        raise TypeError(f"{name}: only integer and bool tensors are supported, got "
                        f"{np.asarray(_raw(a)).dtype}")
    return Tensor._make(np.asarray(ufunc(_raw(a), _raw(b))), None)


def _compare(ufunc, a, b, name):
    if not isinstance(b, (Tensor, np.ndarray, int, float, bool, np.generic, complex)):
        if isinstance(b, (list, tuple)):
            b = as_array(b)
        else:
            return NotImplemented
    a_, b_ = promote(name, a, b)
    try:
        return Tensor._make(np.asarray(ufunc(_raw(a_), _raw(b_))), None)
    except ValueError:
        sa, sb = a.shape, np.shape(_raw(b))
        raise ArgumentError(f"{name}: shapes {sa} and {sb} cannot be broadcast together "
                           f"(each axis, aligned from the right, must be equal or 1)") from None


def _matmul(a, b):
    if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a._array.dtype == b._array.dtype):
        if not isinstance(a, (Tensor, np.ndarray)) or not isinstance(b, (Tensor, np.ndarray)):
            bad = b if isinstance(a, (Tensor, np.ndarray)) else a
            raise TypeError(f"matmul: operands must be tensors, got {type(bad).__name__}")
        a, b = promote("matmul", a, b)
    sa, sb = np.shape(_raw(a)), np.shape(_raw(b))
    if len(sa) == 0 or len(sb) == 0:
        raise ArgumentError(f"matmul: both operands must have at least 1 dimension, got shapes "
                           f"{sa} and {sb}")
    try:
        return _la.MatMul.apply(a, b)
    except ValueError:
        k1 = sa[-1]
        k2 = sb[-2] if len(sb) > 1 else sb[0]
        if k1 != k2:
            raise ArgumentError(f"matmul: shapes {sa} and {sb} do not match: the last axis of "
                                f"the first ({k1}) must equal the "
                                f"{'second-to-last' if len(sb) > 1 else 'only'} axis of the "
                                f"second ({k2})") from None
        raise ArgumentError(f"matmul: the batch axes of shapes {sa} and {sb} cannot be "
                           f"broadcast together") from None


def _check_nonempty(t, name, dim):
    if t._array.size == 0 and (dim is None or (any(t.shape[d] == 0 for d in dim)
                                               if isinstance(dim, tuple) else t.shape[dim] == 0)
                               if t.ndim else True):
        raise ArgumentError(f"{name}: cannot reduce over an empty axis (dim={dim}) of a "
                           f"tensor of shape {t.shape}")


def _nan_first(fn, x, axis):
    """argmax/argmin where a NaN counts as the extreme (its first index), as PyTorch."""
    idx = fn(x, axis=axis)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        if nan.any():
            idx = np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), idx)
    return idx


def _argsort(x, dim, descending):
    """Stable argsort along ``dim``; NaN is the largest value (as PyTorch)."""
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        key = np.where(nan, np.inf, x)
        if descending:
            key = np.where(nan, -np.inf, -x)
            return np.argsort(key, axis=dim, kind="stable")
        order = np.argsort(key, axis=dim, kind="stable")
        # NaN after +inf: a stable sort on (isnan, value)
        return np.take_along_axis(order, np.argsort(np.take_along_axis(nan, order, dim),
                                                    axis=dim, kind="stable"), dim)
    key = -x.astype(np.int64) if descending and x.dtype.kind in "bu" else (
        -x if descending else x)
    return np.argsort(key, axis=dim, kind="stable")


def _safe_sqrt(sq):
    """√sq with gradient 0 (not ∞ · 0 = NaN) where sq = 0: the norm of a zero vector."""
    zero = sq._array == 0
    safe = where(zero, 1.0, sq)
    return where(zero, 0.0, _ew.Sqrt.apply(safe))


def _tri_mask(t, diagonal, fn):
    if t.ndim < 2:
        raise ArgumentError(f"tril/triu: input tensor must have at least 2 dimensions, got "
                           f"shape {t.shape}")
    n, m = t.shape[-2:]
    return fn(np.ones((n, m), dtype=bool), k=diagonal)


def _reshape(t, shape, name):
    size = t._array.size
    unknown = shape.count(-1)
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    fits = unknown <= 1 and all(n >= -1 for n in shape) and (
        known == size if unknown == 0 else known > 0 and size % known == 0)
    if not fits:
        raise ArgumentError(f"{name}: cannot reshape a tensor of shape {t.shape} "
                            f"({size} elements) into shape {shape}")
    out = _shp.Reshape.apply(t, shape)
    if out._array.size == 0 or np.shares_memory(out._array, t._array):
        _mark_view(out, t, _shp.Reshape, (out.shape,))
    return out


def _mark_view(out, base, op, args):
    """Record that ``out`` is a view of ``base`` made by ``op(base, *args)``: it shares the
    version counter, and an in-place op on it can update the base's history."""
    out._vc = base._vc
    out._base = base._base if base._base is not None else base
    out._view = base._view + ((op, args),)


def broadcast_tensors(*tensors: TensorLike | Sequence[TensorLike]) -> tuple[Tensor, ...]:
    """The tensors broadcast to their common shape (views, as ``torch.broadcast_tensors``)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    try:
        shape = np.broadcast_shapes(*(np.shape(_raw(t)) for t in tensors))
    except ValueError:
        raise ArgumentError(f"broadcast_tensors: shapes {[np.shape(_raw(t)) for t in tensors]} "
                            f"cannot be broadcast together") from None
    return tuple(broadcast_to(t if isinstance(t, Tensor) else Tensor(t), shape) for t in tensors)


def broadcast_to(t: Tensor, shape: Sequence[int]) -> Tensor:
    """``t`` broadcast to ``shape`` (a view; the gradient is summed back)."""
    shape = tuple(int(n) for n in shape)
    try:
        if np.broadcast_shapes(t.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ArgumentError(f"broadcast_to: cannot broadcast shape {t.shape} to "
                            f"{shape}") from None
    out = _shp.BroadcastTo.apply(t, shape)
    out._vc = t._vc
    return out


@overload
def where(condition: TensorLike | np.generic, x: None = None,
          y: None = None) -> tuple[Tensor, ...]: ...
@overload
def where(condition: TensorLike | np.generic, x: TensorLike | np.generic,
          y: TensorLike | np.generic) -> Tensor: ...
def where(condition: TensorLike | np.generic, x: TensorLike | np.generic | None = None,
          y: TensorLike | np.generic | None = None) -> Tensor | tuple[Tensor, ...]:
    """``x`` where ``condition`` is true, else ``y`` (broadcasting all three);
    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``, as in PyTorch."""
    if x is None and y is None:
        return (condition if isinstance(condition, Tensor) else Tensor(condition)).nonzero(
            as_tuple=True)
    if x is None or y is None:
        raise TypeError("where: give both x and y, or neither")
    c = np.asarray(_raw(condition))
    if c.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {c.dtype}")
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = Tensor._make(np.asarray(as_array(x) if not isinstance(x, np.ndarray) else x),
                         None)
    x, y = promote("where", x, y)
    try:
        np.broadcast_shapes(c.shape, np.shape(_raw(x)), np.shape(_raw(y)))
    except ValueError:
        raise ArgumentError(f"where: shapes {c.shape} (condition), {np.shape(_raw(x))} (x) "
                           f"and {np.shape(_raw(y))} (y) cannot be broadcast "
                           f"together") from None
    return _ew.Where.apply(c, x, y)


def maximum(x: TensorLike, y: TensorLike) -> Tensor:
    """Elementwise maximum; where ``x == y`` each gets half of the gradient."""
    return _binary(_ew.Maximum, x, y, "maximum")


def minimum(x: TensorLike, y: TensorLike) -> Tensor:
    """Elementwise minimum; where ``x == y`` each gets half of the gradient."""
    return _binary(_ew.Minimum, x, y, "minimum")


@_with_out
def cat(tensors: Sequence[TensorLike], dim: int = 0, *, axis: int | None = None,
        out: Tensor | None = None) -> Tensor:
    """Join tensors along an existing axis ``dim``; all other axes must match."""
    ts = _as_tensor_list(tensors, "cat")
    dim = dim if axis is None else axis
    # PyTorch's legacy rule: a 1-D empty tensor joins tensors of any shape; it is given the
    # others' shape with 0 along dim (a reshape, so it still gets its empty gradient)
    legacy = [t.ndim == 1 and t.shape[0] == 0 for t in ts]
    others = [t for t, is_legacy in zip(ts, legacy) if not is_legacy]
    if any(legacy) and others and others[0].ndim != 1:
        ref = others[0].shape
        d = normalize_axis(dim, len(ref), "cat")
        ts = [t.reshape(ref[:d] + (0,) + ref[d + 1:]) if is_legacy else t
              for t, is_legacy in zip(ts, legacy)]
    shapes = [t.shape for t in ts]
    ndim = ts[0].ndim
    if ndim == 0 or any(t.ndim != ndim for t in ts):
        raise ArgumentError(f"cat: all tensors must have the same number (>= 1) of "
                           f"dimensions, got shapes {shapes}")
    dim = normalize_axis(dim, ndim, "cat")
    rest = {s[:dim] + s[dim + 1:] for s in shapes}
    if len(rest) > 1:
        raise ArgumentError(f"cat: shapes {shapes} differ outside axis {dim}")
    if len({t.dtype for t in ts}) > 1:
        dtype = result_type(*ts)
        ts = [t.to(dtype) for t in ts]
    if len(ts) == 1:
        return ts[0].clone()
    return _shp.Concatenate.apply(*ts, axis=dim)


@_with_out
def stack(tensors: Sequence[TensorLike], dim: int = 0, *, axis: int | None = None,
          out: Tensor | None = None) -> Tensor:
    """Join same-shaped tensors along a new axis ``dim``."""
    ts = _as_tensor_list(tensors, "stack")
    dim = dim if axis is None else axis
    shapes = [t.shape for t in ts]
    if len(set(shapes)) > 1:
        raise ArgumentError(f"stack: all tensors must have the same shape, got {shapes}")
    if len({t.dtype for t in ts}) > 1:
        dtype = result_type(*ts)
        ts = [t.to(dtype) for t in ts]
    dim = normalize_axis(dim, ts[0].ndim + 1, "stack")
    return _shp.Stack.apply(*ts, axis=dim)


def _as_tensor_list(tensors, name):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: expected a list or tuple of tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ArgumentError(f"{name}: expected a non-empty list of Tensors")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


# ---------------------------------------------------------------------- indexing
def _index_arg(index):
    """Tensors in an index become arrays; lists become integer (or bool) arrays."""
    def one(i):
        if isinstance(i, Tensor):
            return i._array
        if isinstance(i, list):
            arr = np.asarray([_raw(v) for v in i])
            return arr
        return i
    if isinstance(index, tuple):
        return tuple(one(i) for i in index)
    return one(index)


def _index_error(op, e, t, index):
    return IndexError(f"{op}: {e}; index {_short_index(index)} (tensor shape {t.shape})")


def _short_index(index):
    text = repr(index)
    return text if len(text) < 100 else text[:97] + "..."


def _is_adv(i):
    return isinstance(i, np.ndarray) or isinstance(i, (bool, np.bool_))


def _torch_index(shape, index):
    """NumPy's index for PyTorch's meaning of ``index``.

    They differ in one place: NumPy counts an integer as an advanced index when the
    index also holds arrays, so ``x[0, :, idx]`` puts the indexed axis first; PyTorch
    takes the integer as a plain selection and keeps ``idx``'s axis where it is. An
    index mixing both is therefore split in two: first the integers (a view), then the
    arrays. Returns the index, or a tuple ``("two", first, second)``.
    """
    items = index if isinstance(index, tuple) else (index,)
    if not any(_is_adv(i) for i in items) or not any(
            isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))
            for i in items):
        return index
    first: list[Any] = []         # ints, None, Ellipsis, slices
    second: list[Any] = []        # arrays, None, Ellipsis, slices
    for i in items:
        if isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
            first.append(i)
        elif i is None:
            first.append(None)
            second.append(slice(None))
        elif i is Ellipsis:
            first.append(Ellipsis)
            second.append(Ellipsis)
        elif _is_adv(i):
            n = np.ndim(i) if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1
            first.extend([slice(None)] * n)
            second.append(i)
        else:
            first.append(slice(None))
            second.append(i)
    return ("two", tuple(first), tuple(second))


def _getitem(t, index):
    index = _index_arg(index)
    try:
        index = _torch_index(t.shape, index)
        if type(index) is tuple and len(index) == 3 and isinstance(index[0], str):
            _, first, second = index
            return _getitem_one(_getitem_one(t, first), second)
        return _getitem_one(t, index)
    except IndexError as e:
        raise _index_error("getitem", e, t, index) from None


def _getitem_one(t, index):
    if isinstance(index, np.ndarray) and index.dtype.kind not in "biu":
        raise IndexError(f"tensors used as indices must be long, int, bool or uint8, got "
                         f"{index.dtype}")
    if _shp.is_basic(index):
        return t._view_op(_shp.GetItem, index)
    return _shp.GetItem.apply(t, index)
