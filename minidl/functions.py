"""``md.exp(x)``, ``md.sum(x, dim)``, ...: the function forms of the Tensor methods, as
``torch.exp`` is of ``Tensor.exp``, plus the functions that have no method form
(``cat stack where`` live in ``tensor.py``).

Each ``md.name(input, *args, **kwargs)`` is ``input.name(*args, **kwargs)`` after turning
``input`` into a Tensor (numbers, lists and arrays are accepted, as ``torch.exp(2.0)``
is not, but it costs nothing to be kind here).
"""
import builtins

import numpy as np

from .tensor import Tensor, broadcast_to, cat, maximum, minimum, stack, where

# methods whose function form is the method applied to the first argument
_METHODS = """
abs absolute acos add addcdiv addcmul all allclose amax amin any argmax argmin argsort
bmm ceil chunk clamp clip clone cos count_nonzero cumprod cumsum detach diagonal div
divide dot eq equal exp expm1 flatten flip floor floor_divide fmod gather ge greater
greater_equal gt index_select isclose isfinite isinf isnan le lerp less less_equal
log log10 log1p log2 logical_and logical_not logical_or logical_xor logsumexp lt
masked_fill masked_select matmul max mean min mm moveaxis movedim mul multiply mv
nansum narrow ne neg negative nonzero norm numel permute pow prod reciprocal scatter scatter_add
relu remainder repeat_interleave reshape roll round rsqrt select sigmoid sign sin
softmax log_softmax sort split sqrt square squeeze std sub subtract sum swapaxes
swapdims t take_along_dim tan tanh tensor_split tile topk transpose tril triu true_divide
trunc unbind unflatten unsqueeze var
""".split()

__all__ = sorted(set(_METHODS) - {"acos", "repeat_interleave"}) + [
    "cat", "concat", "concatenate", "stack", "where", "maximum", "minimum", "broadcast_to",
    "is_tensor", "numel", "hstack", "vstack", "einsum", "outer", "clamp_min", "clamp_max",
    "flatten", "cdist", "diag", "meshgrid", "atleast_2d"]


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _method(name):
    def fn(input, *args, **kwargs):
        return getattr(_as_tensor(input), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``md.{name}(input, ...)`` is ``input.{name}(...)``: see :meth:`Tensor.{name}`."
    return fn


for _name in _METHODS:
    if hasattr(Tensor, _name):
        globals()[_name] = _method(_name)
__all__ = [n for n in __all__ if n in globals() or n in (
    "concat", "concatenate", "is_tensor", "hstack", "vstack", "einsum", "outer",
    "clamp_min", "clamp_max", "cdist", "diag", "meshgrid", "atleast_2d")]

concat = concatenate = cat


def is_tensor(obj):
    return isinstance(obj, Tensor)


def clamp_min(input, min):
    return input.clamp(min=min)


def clamp_max(input, max):
    return input.clamp(max=max)


def hstack(tensors):
    return cat(tensors, 1 if tensors[0].ndim > 1 else 0)


def vstack(tensors):
    return cat([t if t.ndim > 1 else t.unsqueeze(0) for t in tensors], 0)


def outer(a, b):
    return a.reshape(-1, 1) * b.reshape(1, -1)


def diag(input, diagonal=0):
    """The ``diagonal``-th diagonal of a matrix, or a matrix with a vector on it."""
    if input.ndim == 1:
        k = input.shape[0]
        n = k + builtins.abs(diagonal)          # abs, max: the builtins, not md.abs/md.max
        rows = np.arange(k) + builtins.max(0, -diagonal)
        cols = np.arange(k) + builtins.max(0, diagonal)
        out = input.new_zeros(n, n)
        out[rows, cols] = input
        return out
    return input.diagonal(diagonal)


def atleast_2d(t):
    return t.reshape(1, -1) if t.ndim < 2 else t


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = tuple(t.shape[0] for t in tensors)
    if indexing == "xy" and len(shape) >= 2:
        shape = (shape[1], shape[0]) + shape[2:]
    out = []
    for k, t in enumerate(tensors):
        view = [1] * len(shape)
        pos = k if indexing == "ij" or len(shape) < 2 else {0: 1, 1: 0}.get(k, k)
        view[pos] = t.shape[0]
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def cdist(x1, x2, p=2.0):
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p=p, dim=-1)


def einsum(equation, *operands):
    """``torch.einsum`` for the common cases, written with the library's ops: each operand
    is permuted and broadcast to the full index set, multiplied, and the indices that do
    not appear in the output are summed."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise NotImplementedError("einsum: '...' (ellipsis) is not supported by minidl")
    lhs, _, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum: {len(inputs)} operand subscripts but {len(operands)} "
                         f"operands")
    if not _:
        counts = {}
        for s in inputs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        rhs = "".join(sorted(c for c, n in counts.items() if n == 1))
    letters = list(dict.fromkeys(rhs + "".join(inputs)))
    sizes = {}
    aligned = []
    for s, t in zip(inputs, operands):
        t = _as_tensor(t)
        if len(s) != t.ndim:
            raise ValueError(f"einsum: subscripts {s!r} do not match an operand of shape "
                             f"{t.shape}")
        if len(set(s)) != len(s):
            raise NotImplementedError("einsum: repeated subscripts within one operand "
                                      "(diagonals) are not supported by minidl")
        for c, n in zip(s, t.shape):
            sizes[c] = builtins.max(sizes.get(c, 1), n)   # the builtin, not md.max
        order = [s.index(c) for c in letters if c in s]
        t = t.permute(order) if order != list(range(t.ndim)) else t
        shape = [t.shape[[c for c in letters if c in s].index(c)] if c in s else 1
                 for c in letters]
        aligned.append(t.reshape(shape))
    out = aligned[0]
    for t in aligned[1:]:
        out = out * t
    summed = tuple(i for i, c in enumerate(letters) if c not in rhs)
    if summed:
        out = out.sum(summed)
    return out


del _name
