"""PyTorch's type promotion: the dtype of an op's result from the dtypes of its operands.

NumPy and PyTorch disagree here (NumPy: int64 + float32 → float64; PyTorch: float32), and
minidl follows PyTorch. Operands fall in categories bool < integer < floating, and in
three tiers: tensors with at least one dimension, zero-dimensional tensors, and Python
numbers. The result takes the highest category present; its dtype comes from the highest
tier that holds an operand of that category (within the tier, the usual promotion:
int32 with int64 is int64). A Python number sets only the category: a float makes an
integer tensor's result the default dtype (float32 unless changed), an int makes a bool
tensor's result int64, and neither up-casts a tensor of its own category
(``float32_tensor * 2.0`` is float32).
"""
import numpy as np

from .autograd.function import tensor_type
from .dtypes import get_default_dtype
from .errors import ArgumentTypeError

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _describe(x):
    """(category, tier, dtype or None) of one operand."""
    T = tensor_type()
    if isinstance(x, T):
        x = x._array
    if isinstance(x, np.ndarray):
        kind = x.dtype.kind
        if kind not in _CATEGORY:
            raise TypeError(f"unsupported dtype {x.dtype}")
        return _CATEGORY[kind], 2 if x.ndim else 1, x.dtype
    if isinstance(x, (bool, np.bool_)):
        return 0, 0, None
    if isinstance(x, (int, np.integer)):
        return 1, 0, None
    if isinstance(x, (float, np.floating)):
        return 2, 0, None
    if isinstance(x, (complex, np.complexfloating)):
        return 3, 0, None
    raise TypeError(f"operands must be tensors, arrays or numbers, got {type(x).__name__}")


def result_type(*operands):
    """The dtype PyTorch gives an elementwise op on ``operands`` (see the module docstring)."""
    described = [_describe(x) for x in operands]
    category = max(c for c, _, _ in described)
    for tier in (2, 1):
        dtypes = [d for c, t, d in described if t == tier and c == category]
        if dtypes:
            return np.result_type(*dtypes)
    return {0: np.dtype(bool), 1: np.dtype(np.int64), 2: get_default_dtype(),
            3: np.dtype(np.complex64 if get_default_dtype() == np.float32
                        else np.complex128)}[category]


def cast_operand(x, dtype):
    """``x`` (Tensor, array or number) in ``dtype``; a Tensor through a differentiable cast,
    a Python number left as it is where NumPy's weak-scalar rule already gives ``dtype``."""
    T = tensor_type()
    if isinstance(x, T):
        return x if x._array.dtype == dtype else x.to(dtype)
    if isinstance(x, np.ndarray):
        return x if x.dtype == dtype else x.astype(dtype)
    if isinstance(x, np.generic):
        x = x.item()
    if dtype.kind in "iub" and not isinstance(x, bool) or dtype.kind == "b":
        return np.array(x).astype(dtype)       # ints wrap around as in PyTorch
    return x


def promote(op, *operands):
    """The operands cast to their PyTorch result dtype (Python numbers stay numbers).

    Raises:
        TypeError: ``sub`` with a bool, tensor or Python bool (as PyTorch; invert a mask
            with ``~``).
    """
    if op == "sub" and any(_describe(x)[0] == 0 for x in operands):
        raise ArgumentTypeError("sub: subtraction, the `-` operator, with a bool tensor is not "
                        "supported (as in PyTorch); to invert a mask use ~ or logical_not()")
    try:
        dtype = result_type(*operands)
    except TypeError as e:
        raise TypeError(f"{op}: {e}") from None
    return tuple(cast_operand(x, dtype) for x in operands)
