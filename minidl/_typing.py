"""Names for type annotations (read by type checkers only; nothing here runs at import).

Every annotated module starts with ``from __future__ import annotations`` and imports
these under ``if TYPE_CHECKING:``, so annotations add no run-time import and the imports
of the package keep running one way.

    TensorLike   what ``md.tensor`` accepts: a Tensor, an ndarray, a number, nested lists
    ArrayLike    what NumPy accepts (the literal references take arrays)
    Size2        an int or a pair (h, w): kernel_size, stride, padding, dilation
    DType        a dtype, written as NumPy or as minidl's names (``md.float32``, ...)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence, Tuple, Union

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike as ArrayLike  # re-exported
    from numpy.typing import DTypeLike

    from .tensor import Tensor

    TensorLike = Union[Tensor, np.ndarray, float, int, bool, Sequence[Any]]
    Size2 = Union[int, Tuple[int, int]]
    DType = DTypeLike
