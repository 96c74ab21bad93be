"""Elementwise primitives: each forward next to its vector-Jacobian product.

Every rule is one line of a table of derivatives, multiplied by the upstream gradient
``dy = ∂L/∂y``. Broadcasting needs no code here: ``backward`` returns gradients of the
broadcast shape and the engine sums them back to each input's shape. The backward
formulas are written with operators and the library's own ops (``Exp.call``...), so the
same line runs on arrays in an ordinary backward pass and on Tensors — recorded, hence
differentiable again — with ``create_graph=True``. Masks (``x > 0``) are constants.

Conventions at kinks and NaN (the value used where the derivative does not exist), as
PyTorch: ``relu'(0) = 0`` and ``relu'(NaN) = 1`` (the NaN passes through); ``|x|'(0) = 0``,
``|x|'(NaN) = 0``; ``clamp`` passes the gradient at its bounds (``lo <= x <= hi``) and at
NaN; ``maximum(x, y)`` splits it equally where ``x == y`` and sends it to both where a
NaN is involved (as ``torch.maximum``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..autograd.function import Function, array_of

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any, Callable


class _Primitive(Function):
    on_arrays = True


class Add(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return x + y                                          # y = a + b

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return dy, dy                                         # ∂/∂a = 1, ∂/∂b = 1


class Sub(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return x - y

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return dy, (-dy if ctx.needs_input_grad[1] else None)


class Mul(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        need_x, need_y = ctx.needs_input_grad
        ctx.save_for_backward(x if need_y else None, y if need_x else None)
        return x * y

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return (dy * y if need_x else None), (dy * x if need_y else None)


class Div(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        return x / y

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        dx = dy / y if need_x else None                       # ∂(x/y)/∂x = 1/y
        dy_ = -dy * x / (y * y) if need_y else None           # ∂(x/y)/∂y = -x/y²
        return dx, dy_


class Remainder(_Primitive):
    """``x mod y`` with the sign of ``y`` (Python's ``%``, ``torch.remainder``).

    ``x - y ⌊x/y⌋``: ∂/∂x = 1 and ∂/∂y = -⌊x/y⌋ (the quotient is piecewise constant), as
    PyTorch.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            ctx.q = np.floor_divide(x, y) if ctx.needs_input_grad[1] else None
            return np.remainder(x, y)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return dy, (-dy * ctx.q if ctx.needs_input_grad[1] else None)


class Fmod(_Primitive):
    """``x mod y`` with the sign of ``x`` (C's ``fmod``): ``x - y trunc(x/y)``;
    ∂/∂x = 1, ∂/∂y = -trunc(x/y), as PyTorch."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            ctx.q = np.trunc(np.true_divide(x, y)) if ctx.needs_input_grad[1] else None
            return np.fmod(x, y)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return dy, (-dy * ctx.q if ctx.needs_input_grad[1] else None)


class Neg(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return -dy


class Pow(_Primitive):
    """``x ** p`` with a tensor or number exponent ``p``.

    At the points where the formulas below give 0 · ∞ the gradient is 0, as in PyTorch:
    ∂/∂x when p = 0, and ∂/∂p at x = 0 (for p >= 0). For x < 0, ln x is NaN.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, p: Any) -> Any:
        if isinstance(x, (np.ndarray, np.generic)) and isinstance(p, (np.ndarray, np.generic)) \
                and x.dtype != p.dtype:
            dtype = np.result_type(x, p)      # float32 with float64: compute in float64
            x, p = x.astype(dtype, copy=False), p.astype(dtype, copy=False)
        if type(p) is np.ndarray and p.dtype.kind in "iu" and np.asarray(x).dtype.kind in "iu" \
                and (p < 0).any():
            return _integer_pow(np.asarray(x), p)     # (no gradient: integers)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = x ** p
        ctx.save_for_backward(x, p, out)
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        x, p, out = ctx.saved_tensors
        need_x, need_p = ctx.needs_input_grad
        dx = dp = None
        pa, xa = array_of(p), array_of(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if need_x:                                         # ∂/∂x = p x^(p-1); 0 if p = 0
                if isinstance(pa, (int, float)) and pa == 2:
                    dx = dy * (2 * x)                          # the common square, exactly
                else:
                    dx = Where.call(pa == 0, 0.0, dy * p * x ** (p - 1))
            if need_p:                                         # ∂/∂p = x^p ln x; 0 at x = 0
                dp = Where.call((xa == 0) & (pa >= 0), 0.0, dy * out * Log.call(x))
        return dx, dp


def _integer_pow(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Integers to integer tensor powers as PyTorch: a negative power gives 1 for x = 1,
    ±1 for x = −1 (by the power's parity) and 0 otherwise (NumPy refuses)."""
    negative = p < 0
    out = x ** np.where(negative, 0, p)
    at_negative = np.where(x == 1, 1, np.where(x == -1, np.where(p % 2 == 0, 1, -1), 0))
    return np.where(negative, at_negative, out).astype(np.result_type(x, p))


class Exp(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        with np.errstate(over="ignore"):
            out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (out,) = ctx.saved_tensors
        return dy * out                                       # (eˣ)' = eˣ


class Log(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return dy / x                                     # (ln x)' = 1/x


class Log1p(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return dy / (x + 1)                               # (ln(1 + x))' = 1/(1 + x)


class Sqrt(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        with np.errstate(invalid="ignore"):
            out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return dy / (2 * out)                             # (√x)' = 1/(2√x)


class Sin(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        return dy * Cos.call(x)                               # sin' = cos


class Cos(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        return -dy * Sin.call(x)                              # cos' = −sin


class Tanh(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (out,) = ctx.saved_tensors
        return dy - dy * out * out                            # tanh' = 1 − tanh²


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed without overflow for any x."""
    e = np.exp(-np.abs(x))                                    # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = sigmoid_array(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (out,) = ctx.saved_tensors
        return dy * out * (1 - out)                           # σ' = σ(1 − σ)


class Relu(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = np.maximum(x, 0)                                # NaN stays NaN
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (out,) = ctx.saved_tensors
        return dy * ~(array_of(out) <= 0)                     # 1 if y > 0 (or NaN), else 0


class Abs(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        s = np.sign(array_of(x))
        return dy * np.where(np.isnan(s), 0, s).astype(s.dtype)   # sign(x); 0 at 0 and NaN


class Sign(_Primitive):
    """sign(x), and its relatives that are flat almost everywhere (floor, ceil, round,
    trunc): the gradient is zero."""

    fn: Callable[..., Any] = staticmethod(np.sign)       # y = fn(x), the subclasses' too

    @classmethod
    def forward(cls, ctx: Any, x: Any) -> Any:
        return cls.fn(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return dy * 0


class Floor(Sign):
    fn = staticmethod(np.floor)


class Ceil(Sign):
    fn = staticmethod(np.ceil)


class Round(Sign):
    fn = staticmethod(np.round)


class Trunc(Sign):
    fn = staticmethod(np.trunc)


class Clip(_Primitive):
    """``clamp(x, lo, hi)``; either bound may be None (numbers or arrays)."""

    @staticmethod
    def forward(ctx: Any, x: Any, lo: Any, hi: Any) -> Any:
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        out = x
        if lo is not None:
            out = np.maximum(out, lo) if np.ndim(lo) else np.where(out < lo, lo, out)
        if hi is not None:
            out = np.minimum(out, hi) if np.ndim(hi) else np.where(out > hi, hi, out)
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        xa = array_of(x)
        inside = ~np.isnan(xa)                                 # NaN: gradient 0, as PyTorch
        if ctx.lo is not None:
            inside &= xa >= ctx.lo
        if ctx.hi is not None:
            inside &= xa <= ctx.hi
        return dy * inside, None, None                         # 1 on [lo, hi], ends included


class Maximum(_Primitive):
    """``maximum(x, y)`` (``np.maximum`` propagates NaN, as torch.maximum)."""

    compare: Callable[..., Any] = staticmethod(np.greater)
    fn: Callable[..., Any] = staticmethod(np.maximum)

    @classmethod
    def forward(cls, ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        return cls.fn(x, y)

    @classmethod
    def backward(cls, ctx: Any, dy: Any) -> Any:
        x, y = ctx.saved_tensors
        xa, ya = array_of(x), array_of(y)
        nan = np.isnan(xa) | np.isnan(ya) if np.result_type(xa, ya).kind == "f" else False
        share_x = cls.compare(xa, ya) + 0.5 * (xa == ya) + nan    # ties split; NaN: both
        share_y = 1 - share_x + nan
        need_x, need_y = ctx.needs_input_grad
        dtype = np.result_type(xa, ya)
        return ((dy * share_x.astype(dtype) if need_x else None),
                (dy * np.asarray(share_y).astype(dtype) if need_y else None))


class Minimum(Maximum):
    compare = staticmethod(np.less)
    fn = staticmethod(np.minimum)


class Where(_Primitive):
    """``where(condition, x, y)``: x where condition holds, else y."""

    @staticmethod
    def forward(ctx: Any, condition: Any, x: Any, y: Any) -> Any:
        ctx.condition = condition
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        c = ctx.condition
        need_x, need_y = ctx.needs_input_grad[1:]
        return (None,
                Where.call(c, dy, 0.0) if need_x else None,
                Where.call(c, 0.0, dy) if need_y else None)


class Cast(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, dtype: Any) -> Any:
        ctx.source_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        if ctx.source_dtype.kind not in "fc":
            return None, None
        return Cast.call(dy, ctx.source_dtype), None


class Clone(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x.copy()

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return dy


# ---------------------------------------------------------------------- inverse trigonometric
# and hyperbolic functions: each derivative is one line of the table, written with the
# primitives above so that it can be recorded (create_graph=True) and differentiated again.
class Atan(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        return dy / (1 + x * x)                               # atan' = 1/(1 + x²)


class Asin(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arcsin(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return dy / Sqrt.call(1 - x * x)                  # asin' = 1/√(1 − x²)


class Acos(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccos(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return -dy / Sqrt.call(1 - x * x)                 # acos' = −1/√(1 − x²)


class Sinh(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.sinh(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return dy * Cosh.call(x)                          # sinh' = cosh


class Cosh(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.cosh(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return dy * Sinh.call(x)                          # cosh' = sinh


class Asinh(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return dy / Sqrt.call(x * x + 1)                  # asinh' = 1/√(x² + 1)


class Acosh(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccosh(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return dy / Sqrt.call((x - 1) * (x + 1))          # acosh' = 1/√(x² − 1)


class Atanh(_Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arctanh(x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return dy / (1 - x * x)                           # atanh' = 1/(1 − x²)


class Atan2(_Primitive):
    """``atan2(y, x)``: the angle of the point (x, y), in (−π, π].

    ∂/∂y = x / (x² + y²), ∂/∂x = −y / (x² + y²) (NaN at the origin, as PyTorch).
    """

    @staticmethod
    def forward(ctx: Any, y: Any, x: Any) -> Any:
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        y, x = ctx.saved_tensors
        need_y, need_x = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = x * x + y * y
            return (dy * x / r2 if need_y else None), (-dy * y / r2 if need_x else None)


class Logit(_Primitive):
    """``logit(x) = ln(x / (1 − x))``, with x first clamped to [eps, 1 − eps] if eps is a
    number.

    Gradient 1 / (x (1 − x)); with eps: 0 outside [eps, 1 − eps] (the ends included in the
    inside), without: NaN outside [0, 1] — as PyTorch.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, eps: Any) -> Any:
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x if eps is None else np.clip(x, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        (x,) = ctx.saved_tensors
        xa = array_of(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = dy / (x * (1 - x))
            if ctx.eps is None:
                outside, fill = (xa < 0) | (xa > 1), np.nan
            else:
                outside, fill = (xa < ctx.eps) | (xa > 1 - ctx.eps), 0.0
            if outside.any():
                g = Where.call(outside, fill, g)
        return g, None


class Copysign(_Primitive):
    """``copysign(a, b)``: |a| with the sign of b. ∂/∂a = copysign(a, b)/a (±1; 0 at a = 0),
    ∂/∂b = 0, as PyTorch."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        out = np.copysign(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            ctx.ratio = np.where(a == 0, 0.0, out / a).astype(out.dtype)
        return out

    @staticmethod
    def backward(ctx: Any, dy: Any) -> Any:
        return (dy * ctx.ratio if ctx.needs_input_grad[0] else None), (
            dy * 0 if ctx.needs_input_grad[1] else None)
