"""``torch.linalg``: the norms (vector, matrix, and ``norm`` that picks one), ``matmul`` and
``vecdot``, written with the library's ops so that they are differentiable (twice).

    vector_norm(x, ord)   ‖x‖_p = (Σ |x_i|^p)^(1/p);  ord = ∞: max |x_i|,  −∞: min |x_i|,
                          0: the number of non-zeros
    matrix_norm(A, ord)   "fro": (Σ_ij A_ij²)^(1/2);  1 / −1: the max / min column sum of
                          |A|;  ∞ / −∞: the max / min row sum of |A|

Gradients are those of the formulas, with PyTorch's conventions where they have kinks
(0 at a zero vector for p > 0, shared equally between tied maxima). The decompositions
(``inv``, ``det``, ``solve``, ``svd``, ``qr``, ``eigh``, ``cholesky``...) and the
spectral norms (``ord`` 2, −2, "nuc") are not implemented: they raise NotImplementedError.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from .arguments import ArgumentError, ArgumentTypeError, check_tensor
from .tensor import Tensor

if TYPE_CHECKING:
    from ._typing import DType

__all__ = ["norm", "vector_norm", "matrix_norm", "matmul", "vecdot"]

_INF = float("inf")


def _dims(dim: Any) -> tuple[int, ...] | None:
    if dim is None:
        return None
    return (int(dim),) if not isinstance(dim, (tuple, list)) else tuple(int(d) for d in dim)


def vector_norm(x: Tensor, ord: float = 2, dim: int | tuple[int, ...] | None = None,
                keepdim: bool = False, *, dtype: DType | None = None) -> Tensor:
    """``torch.linalg.vector_norm``: ‖x‖_ord over ``dim`` (every element by default).

    >>> import numpy as np, minidl as md
    >>> md.linalg.vector_norm(md.tensor(np.array([3.0, -4.0])))
    tensor(5., dtype=float64)
    >>> md.linalg.vector_norm(md.tensor(np.array([[3.0, -4.0], [1.0, 0.0]])), ord=1, dim=1)
    tensor([7., 1.], dtype=float64)
    """
    op = "vector_norm"
    check_tensor(x, op, "x")
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise ArgumentTypeError(f"{op}: ord must be a number (a vector norm), got {ord!r}")
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind not in "fc":
        raise ArgumentError(f"{op}: expected a floating point input, got dtype {x.dtype}")
    dims = _dims(dim)
    if ord == _INF or ord == -_INF:
        return x.abs().amax(() if dims is None else dims, keepdim) if ord > 0 else \
            x.abs().amin(() if dims is None else dims, keepdim)
    return x.norm(p=float(ord), dim=dims, keepdim=keepdim)


def matrix_norm(A: Tensor, ord: float | str = "fro", dim: tuple[int, int] = (-2, -1),
                keepdim: bool = False, *, dtype: DType | None = None) -> Tensor:
    """``torch.linalg.matrix_norm`` over the two axes ``dim`` of ``A`` (..., m, n):
    ord "fro" (default), 1, −1, ∞ or −∞ (see the module docstring).

    >>> import numpy as np, minidl as md
    >>> A = md.tensor(np.array([[1.0, -2.0], [3.0, 4.0]]))
    >>> md.linalg.matrix_norm(A, ord=1), md.linalg.matrix_norm(A, ord=float("inf"))
    (tensor(6., dtype=float64), tensor(7., dtype=float64))
    """
    op = "matrix_norm"
    check_tensor(A, op, "A")
    if A.ndim < 2:
        raise ArgumentError(f"{op}: A must have at least 2 dimensions, got shape {A.shape}")
    if dtype is not None:
        A = A.to(dtype)
    elif A.dtype.kind not in "fc":
        raise ArgumentError(f"{op}: expected a floating point input, got dtype {A.dtype}")
    d = _dims(dim)
    if d is None or len(d) != 2:
        raise ArgumentError(f"{op}: dim must be a 2-tuple of axes, got {dim!r}")
    rows, cols = (a % A.ndim for a in d)
    if rows == cols:
        raise ArgumentError(f"{op}: dim must name two different axes, got {dim!r}")
    if ord == "fro":
        return A.norm(p="fro", dim=(rows, cols), keepdim=keepdim)
    if ord in (2, -2, "nuc"):
        raise NotImplementedError(f"{op}: ord={ord!r} (a spectral norm, from the singular "
                                  f"values) is not implemented in minidl; ord may be 'fro', "
                                  f"1, -1, inf or -inf")
    if ord not in (1, -1, _INF, -_INF):
        raise ArgumentError(f"{op}: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got "
                            f"{ord!r}")
    assert not isinstance(ord, str)
    # 1: the columns' sums of |A| (over the rows), ∞: the rows' sums (over the columns)
    over, then = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = A.abs().sum(over, keepdim=True)
    out = sums.amax(then, keepdim=True) if ord > 0 else sums.amin(then, keepdim=True)
    return out if keepdim else out.squeeze((rows, cols))


def norm(A: Tensor, ord: float | str | None = None, dim: int | tuple[int, ...] | None = None,
         keepdim: bool = False, *, dtype: DType | None = None) -> Tensor:
    """``torch.linalg.norm``: a vector norm over one axis (or of every element when ``dim``
    and ``ord`` are None), a matrix norm over two axes (or of a 2-D ``A`` given ``ord``).

    >>> import numpy as np, minidl as md
    >>> md.linalg.norm(md.tensor(np.array([[1.0, 2.0], [2.0, 4.0]])))
    tensor(5., dtype=float64)
    """
    op = "norm"
    check_tensor(A, op, "A")
    dims = _dims(dim)
    if dims is None:
        if ord is None:
            return vector_norm(A.reshape(-1), 2, None, False, dtype=dtype).reshape(
                (1,) * A.ndim if keepdim else ())
        if A.ndim == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)   # type: ignore[arg-type]
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        raise ArgumentError(f"{op}: with ord given and dim None, A must be 1-D or 2-D, got "
                            f"shape {A.shape}")
    if len(dims) == 1:
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim,  # type: ignore[arg-type]
                           dtype=dtype)
    if len(dims) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, (dims[0], dims[1]), keepdim,
                           dtype=dtype)
    raise ArgumentError(f"{op}: dim must be an int or a 2-tuple, got {dim!r}")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """``torch.linalg.matmul``: the same as ``input @ other``."""
    return input @ other


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """``torch.linalg.vecdot``: Σ_i x_i y_i along ``dim`` (broadcasting the rest)."""
    return (x * y).sum(dim)


def _missing(name: str) -> Any:
    def function(*args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(f"linalg.{name} is not implemented in minidl (the "
                                  f"decompositions are not; the norms, matmul and vecdot are)")
    function.__name__ = function.__qualname__ = name
    return function


for _name in ("inv", "det", "slogdet", "solve", "lstsq", "svd", "svdvals", "qr", "eig",
              "eigh", "eigvals", "eigvalsh", "cholesky", "pinv", "matrix_rank", "matrix_power",
              "matrix_exp", "lu", "lu_factor", "cond", "cross", "multi_dot", "householder_product",
              "tensorinv", "tensorsolve"):
    globals()[_name] = _missing(_name)
