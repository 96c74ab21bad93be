"""The default floating dtype, and how Python data become arrays.

A Tensor keeps the dtype of the NumPy array it is given. Python floats (and lists of
them) and freshly initialised parameters get the *default dtype*: float32 unless
changed with ``md.set_default_dtype(np.float64)``. Python ints and bools keep integer
and boolean dtypes (int64, bool), as in PyTorch, so class labels and masks stay what
they are.
"""
import numpy as np

# PyTorch's names for its dtypes; they are NumPy's dtypes
float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = bool_ = np.dtype(np.bool_)
complex64 = np.dtype(np.complex64)
complex128 = cdouble = np.dtype(np.complex128)

_builtin_bool = type(True)

_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype):
    """Set the dtype of new floating tensors and parameters (float32 or float64)."""
    global _default_dtype
    dtype = as_dtype(dtype, "set_default_dtype")
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default_dtype = dtype


def get_default_dtype():
    """Return the dtype new floating tensors and parameters get (float32 unless changed)."""
    return _default_dtype


def as_array(data, dtype=None):
    """Turn ``data`` (array, Python number, nested list) into a fresh ``np.ndarray``.

    NumPy arrays keep their dtype; Python floats become the default dtype, Python ints
    int64 and bools bool, unless ``dtype`` is given.
    """
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data)
    else:
        try:
            arr = np.array(data)
        except ValueError:
            raise ValueError(f"tensor: the data are not rectangular (a nested list whose "
                             f"rows differ in length): {_short(data)}") from None
        if arr.dtype.kind == "f" and dtype is None:
            arr = arr.astype(_default_dtype, copy=False)
        elif arr.dtype.kind in "iu" and dtype is None:
            arr = arr.astype(np.int64, copy=False)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"tensor: cannot make a tensor from data of type {type(data).__name__} "
                        f"(NumPy dtype {arr.dtype}); expected numbers, nested lists of "
                        f"numbers or a numeric array")
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype, "tensor"), copy=False)
    return arr


def as_dtype(dtype, op):
    """``dtype`` as a NumPy dtype (PyTorch's names are NumPy dtypes already)."""
    if dtype is _builtin_bool:
        return bool_
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: dtype must be a dtype such as md.float32, got {dtype!r}") from None
    if dt.kind not in "biufc":
        raise TypeError(f"{op}: unsupported dtype {dt}")
    return dt


def _short(data):
    text = repr(data)
    return text if len(text) < 80 else text[:77] + "..."
