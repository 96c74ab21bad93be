"""``md.exp(x)``, ``md.sum(x, dim)``, ...: the function forms of the Tensor methods, as
``torch.exp`` is of ``Tensor.exp``, plus the functions that have no method form
(``cat stack where`` live in ``tensor.py``).

Each ``md.name(input, *args, **kwargs)`` is ``input.name(*args, **kwargs)`` after turning
``input`` into a Tensor (numbers, lists and arrays are accepted, as ``torch.exp(2.0)``
is not, but it costs nothing to be kind here).
"""
from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .tensor import Tensor, broadcast_tensors, broadcast_to, cat, maximum, minimum, stack, where

if TYPE_CHECKING:
    from ._typing import TensorLike

# methods whose function form is the method applied to the first argument
_METHODS = """
abs absolute acos add addbmm addcdiv addcmul addmm addmv all allclose amax amin any argmax
argmin argsort baddbmm bmm ceil chunk clamp clip clone cos count_nonzero cross cumprod cumsum
detach diag diagonal div divide dot eq equal erf erfc exp expm1 flatten flip float_power floor
floor_divide fmod gather ge ger greater greater_equal gt hypot index_add index_select isclose
isfinite isinf isnan le lerp less less_equal median nan_to_num outer std_mean trace unique
var_mean
log log10 log1p log2 logical_and logical_not logical_or logical_xor logsumexp lt
masked_fill masked_select matmul max mean min mm moveaxis movedim mul multiply mv
nansum narrow ne neg negative nonzero norm numel permute pow prod reciprocal scatter scatter_add
relu remainder repeat_interleave reshape roll round rsqrt select sigmoid sign sin
softmax log_softmax sort split sqrt square squeeze std sub subtract sum swapaxes
swapdims t take_along_dim tan tanh tensor_split tile topk transpose tril triu true_divide
trunc unbind unflatten unsqueeze var
asin atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh
atan2 arctan2 exp2 logaddexp logaddexp2 xlogy sinc deg2rad rad2deg frac fix sgn signbit
copysign heaviside logit erfinv lgamma digamma fmax fmin positive isneginf isposinf isreal
nextafter ldexp
ravel fliplr flipud rot90 hsplit vsplit dsplit take index_copy index_fill masked_scatter
diag_embed diagflat inner vdot addr dist renorm aminmax cummax cummin logcumsumexp diff
nanmean argwhere msort kthvalue bincount histc unique_consecutive bitwise_and bitwise_or
bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift gcd lcm adjoint is_nonzero
is_same_size is_signed quantile nanquantile nanmedian mode scatter_reduce not_equal
split_with_sizes narrow_copy conj resolve_conj resolve_neg is_conj is_neg mvlgamma frexp
""".split()

_OTHERS = ["concat", "concatenate", "is_tensor", "hstack", "vstack", "einsum", "clamp_min",
           "clamp_max", "cdist", "meshgrid", "atleast_2d", "finfo", "iinfo", "isin",
           "broadcast_shapes", "tensordot", "searchsorted", "bucketize", "Size", "polygamma",
           "column_stack", "dstack", "row_stack", "kron", "block_diag", "triu_indices",
           "tril_indices", "cartesian_prod", "combinations", "vander", "result_type",
           "can_cast", "promote_types", "atleast_1d", "atleast_3d"]
__all__ = sorted(set(_METHODS)) + [
    "cat", "stack", "where", "maximum", "minimum", "broadcast_to", "broadcast_tensors",
    "numel", "flatten"] + _OTHERS


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
__all__ = [n for n in __all__ if n in globals() or n in _OTHERS]

concat = concatenate = cat


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def polygamma(n: int, input: Tensor) -> Tensor:
    """ψ⁽ⁿ⁾(input), the n-th derivative of digamma (``torch.polygamma(n, input)``: n first)."""
    return _as_tensor(input).polygamma(n)


def clamp_min(input: Tensor, min: TensorLike) -> Tensor:
    return input.clamp(min=min)


def clamp_max(input: Tensor, max: TensorLike) -> Tensor:
    return input.clamp(max=max)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in tensors]       # atleast_1d
    return cat(tensors, 1 if tensors[0].ndim > 1 else 0)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([atleast_2d(t) for t in tensors], 0)


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """``vstack`` (PyTorch's alias)."""
    return vstack(tensors)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """1-d (and 0-d) tensors as columns, then concatenated along dim 1."""
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], 1)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenated along dim 2, after making each at least 3-d."""
    return cat([atleast_3d(t) for t in tensors], 2)


def atleast_1d(t: Tensor) -> Tensor:
    return t.reshape(1) if t.ndim == 0 else t


def atleast_3d(t: Tensor) -> Tensor:
    """0-d → (1, 1, 1), (n,) → (1, n, 1), (m, n) → (m, n, 1)."""
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.reshape(1, -1, 1)
    return t.unsqueeze(-1) if t.ndim == 2 else t


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: ``out[i·p + k, j·q + l] = a[i, j] · b[k, l]`` (any dims)."""
    a, b = _as_tensor(input), _as_tensor(other)
    nd = builtins.max(a.ndim, b.ndim)
    a = a.reshape((1,) * (nd - a.ndim) + a.shape)
    b = b.reshape((1,) * (nd - b.ndim) + b.shape)
    # a as (m₁, 1, m₂, 1, ...) times b as (1, p₁, 1, p₂, ...), then merged pairwise
    prod = a.reshape([n for m in a.shape for n in (m, 1)]) * \
        b.reshape([n for p in b.shape for n in (1, p)])
    return prod.reshape([m * p for m, p in zip(a.shape, b.shape)])


def block_diag(*tensors: Tensor) -> Tensor:
    """The matrices (0-d and 1-d as one row) on the diagonal of a zero matrix."""
    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in map(_as_tensor, tensors)]
    if builtins.any(t.ndim != 2 for t in mats):
        raise ValueError("block_diag: every input must have at most 2 dimensions")
    from .promotion import result_type as _result_type
    dtype = _result_type(*mats)
    rows = builtins.sum(t.shape[0] for t in mats)
    cols = builtins.sum(t.shape[1] for t in mats)
    out = Tensor(np.zeros((rows, cols), dtype))
    r = c = 0
    for t in mats:
        out[r:r + t.shape[0], c:c + t.shape[1]] = t
        r, c = r + t.shape[0], c + t.shape[1]
    return out


def _tri_indices(row, col, offset, dtype, fn):
    from .dtypes import as_dtype
    rows, cols = np.nonzero(fn(np.ones((row, col), bool), offset))
    return Tensor(np.stack([rows, cols]).astype(as_dtype(dtype or np.int64, "tri_indices")))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle (``j − i ≥ offset``)."""
    return _tri_indices(row, col, offset, dtype, np.triu)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle (``j − i ≤ offset``)."""
    return _tri_indices(row, col, offset, dtype, np.tril)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows (1 tensor: itself)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-r combinations of a 1-d tensor's elements, as rows (itertools' order)."""
    import itertools
    pick = itertools.combinations_with_replacement if with_replacement \
        else itertools.combinations
    idx = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input[Tensor(idx)]


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """Columns x^(N−1), ..., x, 1 (``increasing``: 1, x, ..., x^(N−1))."""
    n = x.shape[0] if N is None else N
    powers = [x.new_ones(x.shape) if k == 0 else x ** k for k in range(n)]
    if not increasing:
        powers = powers[::-1]
    return stack(powers, 1) if powers else x.new_zeros((x.shape[0], 0))


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_types(type1: Any, type2: Any) -> np.dtype[Any]:
    """PyTorch's promotion of two dtypes: the higher category (bool < integer < floating
    < complex) wins; within one, the wider (uint8 with int8: int16)."""
    from .dtypes import as_dtype
    a, b = as_dtype(type1, "promote_types"), as_dtype(type2, "promote_types")
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def result_type(tensor1: Any, tensor2: Any) -> np.dtype[Any]:
    """The dtype of an arithmetic op on the two operands (tensors or numbers)."""
    from .promotion import result_type as _result_type
    return _result_type(tensor1, tensor2)


def can_cast(from_: Any, to: Any) -> bool:
    """Is the cast allowed by PyTorch's promotion rule (never to a lower category:
    floating → integer, or anything but bool → bool, is refused)?"""
    from .dtypes import as_dtype
    a, b = as_dtype(from_, "can_cast"), as_dtype(to, "can_cast")
    return _CATEGORY[a.kind] <= _CATEGORY[b.kind]


def atleast_2d(t: Tensor) -> Tensor:
    return t.reshape(1, -1) if t.ndim < 2 else t


def meshgrid(*tensors: Tensor, indexing: str = "ij") -> tuple[Tensor, ...]:
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


def finfo(type: Any = None) -> np.finfo[Any]:
    """Machine limits of a floating dtype (default: the default dtype): ``eps``, ``max``,
    ``min``, ``tiny``, ``smallest_normal``, ``resolution``, ``bits``, as ``torch.finfo``."""
    from .dtypes import as_dtype, get_default_dtype
    dtype = get_default_dtype() if type is None else as_dtype(type, "finfo")
    if dtype.kind not in "fc":
        raise TypeError(f"finfo: expected a floating dtype, got {dtype}")
    return np.finfo(dtype)


def iinfo(type: Any) -> np.iinfo[Any]:
    """Limits of an integer dtype (``max``, ``min``, ``bits``), as ``torch.iinfo``."""
    from .dtypes import as_dtype
    dtype = as_dtype(type, "iinfo")
    if dtype.kind not in "iub":
        raise TypeError(f"iinfo: expected an integer dtype, got {dtype}")
    return np.iinfo(np.uint8 if dtype.kind == "b" else dtype)


def isin(
    elements: TensorLike,
    test_elements: TensorLike,
    *,
    assume_unique: bool = False,
    invert: bool = False,
) -> Tensor:
    """A bool tensor: is each element among ``test_elements``? (no gradient)"""
    def raw(x):
        return x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    return Tensor(np.isin(raw(elements), raw(test_elements), assume_unique=assume_unique,
                          invert=invert))


class Size(tuple):
    """A shape, as ``torch.Size``: a tuple of ints (``Tensor.shape`` gives a plain tuple,
    which compares equal)."""

    def numel(self) -> int:
        n = 1
        for k in self:
            n *= k
        return n

    def __repr__(self):
        return f"minidl.Size({list(self)})"


def broadcast_shapes(*shapes: int | Sequence[int]) -> Size:
    """The shape that ``shapes`` broadcast to."""
    tuples = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*tuples))
    except ValueError:
        raise ValueError(f"broadcast_shapes: shapes {shapes} cannot be broadcast "
                         f"together") from None


def tensordot(a: Tensor, b: Tensor, dims: int | Sequence[Any] = 2) -> Tensor:
    """Σ over the last ``dims`` axes of ``a`` and the first ``dims`` of ``b`` (or the axis
    lists ``dims = ([a axes], [b axes])``), written as permute, reshape and matmul."""
    a, b = _as_tensor(a), _as_tensor(b)
    if isinstance(dims, int):
        if dims < 0:
            raise ValueError(f"tensordot: dims must be non-negative, got {dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    if len(dims_a) != len(dims_b) or builtins.any(a.shape[i] != b.shape[j]
                                         for i, j in zip(dims_a, dims_b)):
        raise ValueError(f"tensordot: contracted dimensions {dims_a} of {a.shape} and "
                         f"{dims_b} of {b.shape} do not match")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = 1
    for d in dims_a:
        k *= a.shape[d]
    left = a.permute(free_a + dims_a).reshape(-1, k)
    right = b.permute(dims_b + free_b).reshape(k, -1)
    return (left @ right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def searchsorted(
    sorted_sequence: Tensor,
    input: TensorLike,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """For each value, the index where it would be inserted to keep the sequence sorted
    (per row for an N-D sequence); ``right``/``side='right'``: after equal values."""
    if sorter is not None:
        raise NotImplementedError("searchsorted: sorter= is not supported by minidl")
    side = side or ("right" if right else "left")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    seq = np.asarray(sorted_sequence.numpy() if isinstance(sorted_sequence, Tensor)
                     else sorted_sequence)
    values = np.asarray(input.numpy() if isinstance(input, Tensor) else input)
    if seq.ndim <= 1:
        out = np.searchsorted(seq, values, side=side)  # type: ignore[call-overload, unused-ignore]
    else:
        if seq.shape[:-1] != values.shape[:-1]:
            raise ValueError(f"searchsorted: the leading dimensions of sorted_sequence "
                             f"{seq.shape} and input {values.shape} must match")
        flat_s, flat_v = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=side)  # type: ignore[call-overload, unused-ignore]
                        for s, v in zip(flat_s, flat_v)])
        out = out.reshape(values.shape)
    return Tensor(out.astype(np.int32 if out_int32 else np.int64))


def bucketize(
    input: TensorLike, boundaries: Tensor, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each value: i with ``boundaries[i−1] < x ≤ boundaries[i]``
    (``right=True``: ``boundaries[i−1] ≤ x < boundaries[i]``)."""
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p=p, dim=-1)


def einsum(equation: str, *operands: Tensor) -> Tensor:
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
        counts: dict[str, int] = {}
        for s in inputs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        rhs = "".join(sorted(c for c, n in counts.items() if n == 1))
    letters = list(dict.fromkeys(rhs + "".join(inputs)))
    sizes: dict[str, int] = {}
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
