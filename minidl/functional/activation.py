"""Activations and softmax.

relu, tanh, sigmoid, gelu, softmax and log_softmax are thin public wrappers over the
primitives in ``minidl/ops``; silu, leaky_relu, elu and softplus are composites written
as their formulas from those primitives (no backward of their own).
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from .. import random as _random
from ..ops import elementwise as _ew
from ..ops import softmax as _sm
from ..ops.special import Gelu
from ..arguments import normalize_axis as _normalize_axis
from ..tensor import Tensor, _floating, stack, where

if TYPE_CHECKING:
    from .._typing import DType

__all__ = ["relu", "tanh", "sigmoid", "gelu", "softmax", "log_softmax", "silu", "leaky_relu",
           "elu", "softplus", "hardtanh", "relu6", "threshold", "hardsigmoid", "hardswish",
           "logsigmoid", "mish", "softsign", "tanhshrink", "hardshrink", "softshrink", "selu",
           "celu", "glu", "softmin", "prelu", "gumbel_softmax"]


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
    za = np.asarray(z)
    infinite = np.isinf(za)
    if infinite.any():             # softplus(∞) = ∞ (gradient 1), softplus(−∞) = 0 (gradient 0)
        finite = _softplus(where(Tensor._make(infinite, None), 0.0, z))
        return where(Tensor._make(za == np.inf, None), z,
                     where(Tensor._make(za == -np.inf, None), 0.0, finite))
    pair = stack([Tensor._make(np.zeros_like(za), None), z], dim=-1)   # (*, 2)
    sp = -_sm.LogSoftmax.apply(pair, pair.ndim - 1)[..., 0]
    exact = np.logaddexp(0.0, za)
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


# ---------------------------------------------------------------------- more of PyTorch's
def _clipped(x, low, high):
    """clamp(x, low, high) with PyTorch's hardtanh gradient: 1 strictly inside (low, high),
    0 outside and at both ends."""
    inside = (x > low) & (x < high)
    return where(inside, x, x.detach().clamp(low, high))


def hardtanh(
    input: Tensor,
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    """hardtanh(x) = clamp(x, min_val, max_val).

    Gradient: 1 for min_val < x < max_val, 0 elsewhere — 0 at both ends, as PyTorch.

    >>> import minidl as md, minidl.functional as F
    >>> F.hardtanh(md.tensor([-2.0, 0.5, 3.0]))
    tensor([-1. ,  0.5,  1. ])
    """
    _check("hardtanh", input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must be <= max_val ({max_val})")
    return _clipped(_floating(input), min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x) = min(max(x, 0), 6) (hardtanh(x, 0, 6)); gradient 1 for 0 < x < 6, else 0.

    >>> import minidl as md, minidl.functional as F
    >>> F.relu6(md.tensor([-1.0, 3.0, 7.0]))
    tensor([0., 3., 6.])
    """
    _check("relu6", input)
    return _clipped(_floating(input), 0.0, 6.0)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """threshold(x) = x where x > threshold, else ``value``; gradient 1 where x > threshold.

    >>> import minidl as md, minidl.functional as F
    >>> F.threshold(md.tensor([0.05, 0.5]), 0.1, 20.0)
    tensor([20. ,  0.5])
    """
    _check("threshold", input)
    return where(input <= threshold, value, input)      # NaN passes on, as PyTorch


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """hardsigmoid(x) = relu6(x + 3)/6: 0 for x <= −3, 1 for x >= 3, x/6 + ½ between.

    Gradient: 1/6 for −3 < x < 3, else 0 (as PyTorch, whose kernel uses 1/6 rounded to
    float32 even for float64, so the two agree to ~5e-8 relative there).

    >>> import minidl as md, minidl.functional as F
    >>> F.hardsigmoid(md.tensor([-4.0, 0.0, 1.5]))
    tensor([0.  , 0.5 , 0.75])
    """
    _check("hardsigmoid", input)
    return _clipped(_floating(input) + 3.0, 0.0, 6.0) / 6.0


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """hardswish(x) = x · relu6(x + 3)/6: 0 for x < −3, x for x > 3, x(x + 3)/6 between.

    Gradient: 0 for x <= −3, x/3 + ½ for −3 < x < 3, 1 for x >= 3 (the outer pieces' slopes
    at the two kinks, as PyTorch).

    >>> import minidl as md, minidl.functional as F
    >>> F.hardswish(md.tensor([-4.0, 1.0, 4.0]))
    tensor([-0.       ,  0.6666667,  4.       ])
    """
    _check("hardswish", input)
    x = _floating(input)
    mid = ~((x <= -3.0) | (x >= 3.0))                   # (NaN: the middle, NaN gradient)
    x_mid = where(mid, x, 0.0)                          # ±∞ never reach the quadratic
    middle = x_mid * (x_mid + 3.0) / 6.0
    return where(x <= -3.0, x * 0.0, where(mid, middle, x))


def logsigmoid(input: Tensor) -> Tensor:
    """logsigmoid(x) = log σ(x) = −softplus(−x), stable for any x; gradient σ(−x) = 1 − σ(x).

    >>> import minidl as md, minidl.functional as F
    >>> F.logsigmoid(md.tensor([-100.0, 0.0]))
    tensor([-100.       ,   -0.6931472])
    """
    _check("logsigmoid", input)
    return -_softplus(-_floating(input))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """mish(x) = x · tanh(softplus(x)); smooth, gradient tanh(sp) + x σ(x)(1 − tanh²(sp)).

    >>> import minidl as md, minidl.functional as F
    >>> F.mish(md.tensor([0.0, 1.0]))
    tensor([0.       , 0.8650984])
    """
    _check("mish", input)
    x = _floating(input)
    return x * _ew.Tanh.apply(_softplus(x))


def softsign(input: Tensor) -> Tensor:
    """softsign(x) = x / (1 + |x|); gradient 1 / (1 + |x|)².

    >>> import minidl as md, minidl.functional as F
    >>> F.softsign(md.tensor([-3.0, 1.0]))
    tensor([-0.75,  0.5 ])
    """
    _check("softsign", input)
    x = _floating(input)
    return x / (x.abs() + 1.0)


def tanhshrink(input: Tensor) -> Tensor:
    """tanhshrink(x) = x − tanh(x); gradient tanh²(x).

    >>> import minidl as md, minidl.functional as F
    >>> F.tanhshrink(md.tensor([0.0, 1.0]))
    tensor([0.       , 0.2384058])
    """
    _check("tanhshrink", input)
    x = _floating(input)
    return x - _ew.Tanh.apply(x)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """hardshrink(x) = x where |x| > λ, else 0; gradient 1 where |x| > λ, else 0.

    >>> import minidl as md, minidl.functional as F
    >>> F.hardshrink(md.tensor([-1.0, 0.3, 0.6]))
    tensor([-1. ,  0. ,  0.6])
    """
    _check("hardshrink", input)
    x = _floating(input)
    return where((x > lambd) | (x < -lambd), x, x * 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """softshrink(x) = x − λ for x > λ, x + λ for x < −λ, else 0; gradient 1 where |x| > λ.

    >>> import minidl as md, minidl.functional as F
    >>> F.softshrink(md.tensor([-1.0, 0.3, 0.75]))
    tensor([-0.5 ,  0.  ,  0.25])
    """
    _check("softshrink", input)
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}")
    x = _floating(input)
    return where(x > lambd, x - lambd, where(x < -lambd, x + lambd, x * 0.0))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """selu(x) = scale · (x for x > 0, else α(eˣ − 1)), α ≈ 1.6733, scale ≈ 1.0507.

    Gradient: scale for x > 0, scale·α·eˣ for x <= 0 (scale·α at 0, as PyTorch).

    >>> import minidl as md, minidl.functional as F
    >>> F.selu(md.tensor([1.0]))
    tensor([1.050701])
    """
    _check("selu", input)
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """celu(x) = x for x > 0, else α(e^{x/α} − 1); gradient 1 for x > 0, e^{x/α} for x <= 0.

    >>> import minidl as md, minidl.functional as F
    >>> F.celu(md.tensor([-1.0, 2.0]), alpha=2.0)
    tensor([-0.7869387,  2.       ])
    """
    _check("celu", input)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (the formula divides by it)")
    x = _floating(input)
    positive = x > 0
    x_neg = where(positive, 0.0, x)
    return where(positive, x, ((x_neg / alpha).exp() - 1.0) * alpha)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``input`` in halves a, b along ``dim``; glu = a ⊙ σ(b).

    Gradient: σ(b) to a, a σ(b)(1 − σ(b)) to b.

    Raises:
        ValueError: the size along ``dim`` is odd.

    >>> import minidl as md, minidl.functional as F
    >>> F.glu(md.tensor([[2.0, 4.0, 0.0, 100.0]]))
    tensor([[1., 4.]])
    """
    _check("glu", input)
    if input.ndim == 0:
        raise ValueError("glu: input must have at least one dimension, got a 0-d tensor")
    axis = _normalize_axis(dim, input.ndim, "glu")
    n = input.shape[axis]
    if n % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {axis} is size {n} "
                         f"(input shape {input.shape})")
    x = _floating(input)
    if n == 0:
        return x.clone()                       # both halves empty (PyTorch's empty result)
    a, b = x.split(n // 2, dim=axis)
    return a * _ew.Sigmoid.apply(b)


def softmin(
    input: Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: DType | None = None,
) -> Tensor:
    """softmin(x) = softmax(−x) along ``dim`` (``dim``/``dtype`` as :func:`softmax`).

    >>> import minidl as md, minidl.functional as F
    >>> F.softmin(md.tensor([0.0, 0.0]), dim=0)
    tensor([0.5, 0.5])
    """
    x, axis = _softmax_input("softmin", input, dim, dtype, _stacklevel)
    if x.ndim == 0:
        return x * 0.0 + 1.0
    return _sm.Softmax.apply(-x, axis)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """prelu(x) = x for x > 0, else a · x, with a learned slope per channel (axis 1) or
    one for all (``weight`` of one element).

    Gradient: 1 for x > 0, a for x <= 0 (a at the kink, as PyTorch); ∂L/∂a = Σ ȳ·x over
    the x <= 0 of its channel.

    Args:
        input: (N, C, *) or any shape when ``weight`` has one element.
        weight: (C,) or (1,) (or a 0-d tensor).

    >>> import minidl as md, minidl.functional as F
    >>> F.prelu(md.tensor([[-2.0, 3.0]]), md.tensor([0.25]))
    tensor([[-0.5,  3. ]])
    """
    _check("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu: weight must be a Tensor, got {type(weight).__name__}")
    x = _floating(input)
    if weight.numel() == 1:
        a = weight.reshape(())
    else:
        if weight.ndim != 1 or x.ndim < 2 or x.shape[1] != weight.shape[0]:
            raise ValueError(f"prelu: weight must have one element or C = input.shape[1] "
                             f"elements; input shape {input.shape}, weight shape {weight.shape}")
        a = weight.reshape((1, weight.shape[0]) + (1,) * (x.ndim - 2))
    return where(x > 0, x, x * a)


def gumbel_softmax(
    logits: Tensor,
    tau: float = 1.0,
    hard: bool = False,
    eps: float = 1e-10,
    dim: int = -1,
) -> Tensor:
    """Samples from the Gumbel-softmax distribution: softmax((logits + g)/τ) along ``dim``
    with g = −log(E), E ~ Exponential(1) drawn from minidl's seeded generator.

    With ``hard=True`` the result is the one-hot of the argmax, with the soft sample's
    gradient (straight-through: y_hard − y_soft.detach() + y_soft). ``eps`` is unused (as
    in PyTorch, kept for compatibility).

    >>> import minidl as md, minidl.functional as F
    >>> _ = md.manual_seed(0)
    >>> y = F.gumbel_softmax(md.zeros(2, 5), tau=0.5, hard=True)
    >>> y.sum(dim=-1)
    tensor([1., 1.])
    """
    _check("gumbel_softmax", logits)
    if not tau > 0:
        raise ValueError(f"gumbel_softmax: tau must be > 0, got {tau}")
    x = _floating(logits)
    axis = _normalize_axis(dim, max(x.ndim, 1), "gumbel_softmax")
    g = -np.log(_random.generator().standard_exponential(x.shape)).astype(x.dtype)
    y_soft = softmax((x + Tensor(g)) / tau, dim=axis)
    if not hard:
        return y_soft
    index = np.argmax(np.asarray(y_soft), axis=axis)
    y_hard = np.zeros(x.shape, dtype=x.dtype)
    np.put_along_axis(y_hard, np.expand_dims(index, axis), 1.0, axis=axis)
    return Tensor(y_hard) - y_soft.detach() + y_soft
