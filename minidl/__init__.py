"""minidl: a from-scratch NumPy deep-learning library for reading.

    import minidl as md
    import minidl.functional as F
    import minidl.nn as nn
    import minidl.optim as optim

The engine is ``tensor.py`` (Tensor and the backward walk), ``function.py`` (how an op
is made) and ``gradcheck.py``; primitives with their backward live in ``ops/``,
composites written as formulas in ``functional/``, layers in ``nn/``, optimisers in
``optim/``, and the literal loop references in ``reference/``.
"""
from . import dtypes
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int32, int64,
                     set_default_dtype)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .random import manual_seed
from .tensor import (Tensor, arange, broadcast_to, cat, full, maximum, ones, ones_like, rand,
                     randn, stack, tensor, where, zeros, zeros_like)
from .function import Function
from .gradcheck import GradcheckError, gradcheck
from .serialization import load, save
from . import viz

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "randn", "rand",
    "arange", "cat", "stack", "where", "maximum", "broadcast_to", "Function", "gradcheck",
    "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "save", "load", "manual_seed", "set_default_dtype", "get_default_dtype", "float16",
    "float32", "float64", "int32", "int64", "bool_", "dtypes", "viz",
]
