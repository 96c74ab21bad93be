"""Activations and softmax.

relu, tanh, sigmoid, gelu, softmax and log_softmax are thin public wrappers over the
primitives in ``minidl/ops``; silu, leaky_relu, elu and softplus are composites written
as their formulas from those primitives (no backward of their own).
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..ops import elementwise as _ew
from ..ops import softmax as _sm
from ..ops.special import Gelu
from ..arguments import normalize_axis as _normalize_axis
from ..tensor import Tensor, _floating, stack, where

if TYPE_CHECKING:
    from .._typing import DType

__all__ = ["relu", "tanh", "sigmoid", "gelu", "softmax", "log_softmax", "silu", "leaky_relu",
           "elu", "softplus"]


def _check(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """relu(x) = max(x, 0); the gradient is 1 where x > 0 and 0 elsewhere (relu'(0) = 0).

    ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor.
    """
    _check("relu", input)
    return _ew.Relu.apply(input)


def tanh(input: Tensor) -> Tensor:
    """tanh(x); tanh'(x) = 1 − tanh²(x)."""
    _check("tanh", input)
    return _ew.Tanh.apply(_floating(input))


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^−x), stable for any x; σ' = σ(1 − σ)."""
    _check("sigmoid", input)
    return _ew.Sigmoid.apply(_floating(input))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU(x) = x Φ(x) (``approximate="tanh"``: PyTorch's tanh approximation).

    >>> import minidl as md, minidl.functional as F
    >>> F.gelu(md.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.15865526,  0.        ,  0.8413447 ])
    """
    _check("gelu", input)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(_floating(input), approximate)


def _implicit_dim(op, ndim, stacklevel):
    """PyTorch's legacy choice when ``dim`` is omitted: 0 for 0-, 1- and 3-D inputs, else 1."""
    warnings.warn(f"{op}: implicit dimension choice is deprecated (as in PyTorch); pass dim=",
                  UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(op, input, dim, dtype, stacklevel):
    _check(op, input)
    if dim is None:
        dim = _implicit_dim(op, input.ndim, stacklevel + 1)
    x = _floating(input) if dtype is None else input.to(dtype)   # dtype: cast first, as PyTorch
    return x, _normalize_axis(dim, max(input.ndim, 1), op)


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: DType | None = None
) -> Tensor:
    """softmax(x)_i = exp(x_i) / Σ_j exp(x_j) along ``dim``, stable for logits of any size.

    The VJP is y ⊙ (dy − Σ_j dy_j y_j): it sums to zero along ``dim``. Without ``dim``
    the axis is PyTorch's legacy choice (0 for 0-, 1- and 3-D inputs, else 1), with a
    warning; ``dtype`` casts the input first.

    >>> import minidl as md, minidl.functional as F
    >>> F.softmax(md.tensor([0.0, 0.0]), dim=0)
    tensor([0.5, 0.5])
    """
    x, axis = _softmax_input("softmax", input, dim, dtype, _stacklevel)
    if x.ndim == 0:
        return x * 0.0 + 1.0                                  # softmax of one value is 1
    return _sm.Softmax.apply(x, axis)


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: DType | None = None
) -> Tensor:
    """log_softmax(x)_i = x_i − log Σ_j exp(x_j) along ``dim``, stable for any logits.

    ``dim`` and ``dtype`` as in :func:`softmax`.

    >>> import minidl as md, minidl.functional as F
    >>> F.log_softmax(md.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931472, -0.6931472])
    """
    x, axis = _softmax_input("log_softmax", input, dim, dtype, _stacklevel)
    if x.ndim == 0:
        return x * 0.0                                        # log 1
    return _sm.LogSoftmax.apply(x, axis)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU (swish): silu(x) = x σ(x); silu'(x) = σ(x)(1 + x(1 − σ(x))).

    ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor.

    >>> import minidl as md, minidl.functional as F
    >>> F.silu(md.tensor([-1.0, 0.0, 2.0]))
    tensor([-0.2689414,  0.       ,  1.761594 ])
    """
    _check("silu", input)
    x = _floating(input)
    return x * _ew.Sigmoid.apply(x)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """leaky_relu(x) = x for x > 0, else negative_slope · x.

    Gradient: 1 for x > 0 and ``negative_slope`` for x <= 0 (at the kink x = 0 the
    slope of the negative side, as PyTorch).

    >>> import minidl as md, minidl.functional as F
    >>> F.leaky_relu(md.tensor([-2.0, 0.0, 3.0]), 0.1)
    tensor([-0.2,  0. ,  3. ])
    """
    _check("leaky_relu", input)
    x = _floating(input)
    return where(x > 0, x, x * negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """elu(x) = x for x > 0, else α (eᕽ − 1).

    Gradient: 1 for x > 0 and α eᕽ for x <= 0 (α at x = 0, as PyTorch). The negative
    branch is evaluated at min(x, 0) only, so a large positive x never makes eᕽ
    overflow into the gradient.

    >>> import minidl as md, minidl.functional as F
    >>> F.elu(md.tensor([-1.0, 0.0, 2.0]))
    tensor([-0.6321206,  0.       ,  2.       ])
    """
    _check("elu", input)
    x = _floating(input)
    positive = x > 0
    x_neg = where(positive, 0.0, x)                            # min(x, 0), gradient 1 where x <= 0
    return where(positive, x, (x_neg.exp() - 1.0) * alpha)


def _softplus(z):
    """log(1 + eᶻ) for any z, with gradient σ(z) everywhere (½ at 0).

    From the stable log-softmax of the pair (0, z): log_softmax((0, z))₀ = −log(1 + eᶻ),
    whose backward gives σ(z) to full precision. Its *value* loses relative precision
    where eᶻ ≪ 1 (1 + eᶻ rounds), so a constant correction (no gradient) brings it to
    NumPy's ``logaddexp(0, z)``, which uses log1p; a log1p primitive would replace it.
    """
    pair = stack([z * 0.0, z], dim=-1)                         # (*, 2)
    sp = -_sm.LogSoftmax.apply(pair, pair.ndim - 1)[..., 0]
    exact = np.logaddexp(0.0, np.asarray(z))
    return sp + Tensor(exact - np.asarray(sp))                 # rounding-size, constant


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """softplus(x) = (1/β) log(1 + e^{βx}); x itself where βx > threshold (as PyTorch).

    Gradient: σ(βx) (and 1 where βx > threshold). Stable for any x.

    >>> import minidl as md, minidl.functional as F
    >>> F.softplus(md.tensor([-30.0, 0.0, 30.0]))
    tensor([9.357623e-14, 6.931472e-01, 3.000000e+01])
    """
    _check("softplus", input)
    x = _floating(input)
    z = x * beta
    return where(z > threshold, x, _softplus(z) / beta)
