"""``Variable``: PyTorch's pre-0.4 wrapper, kept because old programs still import it.

Since PyTorch 0.4 a Tensor does everything a Variable did; ``Variable(t)`` returns a new
Tensor that shares ``t``'s memory, cut off from the graph, with ``requires_grad`` as given,
and ``isinstance(t, Variable)`` is true of every Tensor. minidl does the same.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .function import tensor_type

if TYPE_CHECKING:
    from .._typing import TensorLike
    from ..tensor import Tensor

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, tensor_type())


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)``: ``data`` detached, sharing its memory.

    >>> import minidl as md
    >>> from minidl.autograd import Variable
    >>> t = md.ones(2)
    >>> v = Variable(t, requires_grad=True)
    >>> v.requires_grad, t.requires_grad, isinstance(t, Variable)
    (True, False, True)
    """

    def __new__(cls, data: TensorLike, requires_grad: bool = False,  # type: ignore[misc]
                volatile: bool = False) -> Tensor:   # a Tensor, not a Variable
        T = tensor_type()
        t = data if isinstance(data, T) else T(data)
        return t.detach().requires_grad_(bool(requires_grad))
