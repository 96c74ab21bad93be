"""The default floating dtype, and how Python data become arrays.

A Tensor keeps the dtype of the NumPy array it is given. Python floats (and lists of
them) and freshly initialised parameters get the *default dtype*: float32 unless
changed with ``md.set_default_dtype(np.float64)``. Python ints and bools keep integer
and boolean dtypes (int64, bool), as in PyTorch, so class labels and masks stay what
they are.
"""
import numpy as np

float16 = np.float16
float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
bool_ = np.bool_

_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype):
    """Set the dtype of new floating tensors and parameters (float32 or float64)."""
    global _default_dtype
    dtype = np.dtype(dtype)
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
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        arr = arr.astype(_default_dtype, copy=False)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64, copy=False)
    elif arr.dtype.kind not in "b":
        raise TypeError(f"tensor: cannot make a tensor from data of type {type(data).__name__} "
                        f"(NumPy dtype {arr.dtype})")
    return arr
