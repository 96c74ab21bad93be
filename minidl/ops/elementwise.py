"""Elementwise primitives: each forward next to its vector-Jacobian product.

Every rule is one line of a table of derivatives, multiplied by the upstream gradient
``dy = ∂L/∂y``. Broadcasting needs no code here: ``backward`` returns gradients of the
broadcast shape and the engine sums them back to each input's shape.

Conventions at kinks (the value used where the derivative does not exist), as PyTorch:
``relu'(0) = 0``, ``|x|'(0) = 0``, ``clip`` passes the gradient at its bounds
(``lo <= x <= hi``), and ``maximum(x, y)`` splits it equally where ``x == y``.
"""
import numpy as np

from ..function import Function


class Add(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y                                          # y = a + b

    @staticmethod
    def backward(ctx, dy):
        return dy, dy                                         # ∂/∂a = 1, ∂/∂b = 1


class Sub(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, dy):
        return dy, (-dy if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, dy):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return (dy * y if need_x else None), (dy * x if need_y else None)


class Div(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def backward(ctx, dy):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        dx = dy / y if need_x else None                       # ∂(x/y)/∂x = 1/y
        dy_ = -dy * x / (y * y) if need_y else None           # ∂(x/y)/∂y = -x/y²
        return dx, dy_


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, dy):
        return -dy


class Pow(Function):
    """``x ** p`` with a tensor or number exponent ``p``.

    At the points where the formulas below give 0 · ∞ the gradient is 0, as in PyTorch:
    ∂/∂x when p = 0, and ∂/∂p at x = 0 (for p >= 0). For x < 0, ln x is NaN.
    """

    @staticmethod
    def forward(ctx, x, p):
        out = x ** p
        ctx.save_for_backward(x, p, out)
        return out

    @staticmethod
    def backward(ctx, dy):
        x, p, out = ctx.saved_tensors
        need_x, need_p = ctx.needs_input_grad
        dx = dp = None
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** (p-1) and ln 0: masked
            if need_x:
                dx = np.where(p == 0, 0, dy * p * x ** (p - 1))    # ∂/∂x = p x^(p-1); 0 if p = 0
            if need_p:
                dp = np.where((x == 0) & (p >= 0), 0,
                              dy * out * np.log(x))              # ∂/∂p = x^p ln x; 0 at x = 0
        return dx, dp


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, dy):
        (out,) = ctx.saved_tensors
        return dy * out                                       # (eˣ)' = eˣ


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy / x                                         # (ln x)' = 1/x


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, dy):
        (out,) = ctx.saved_tensors
        return dy / (2 * out)                                 # (√x)' = 1/(2√x)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, dy):
        (out,) = ctx.saved_tensors
        return dy * (1 - out * out)                           # tanh' = 1 - tanh²


def sigmoid_array(x):
    """σ(x) = 1 / (1 + e^-x), computed without overflow for any x."""
    e = np.exp(-np.abs(x))                                    # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        out = sigmoid_array(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, dy):
        (out,) = ctx.saved_tensors
        return dy * out * (1 - out)                           # σ' = σ(1 - σ)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * (x > 0)                                   # relu'(x) = 1 if x > 0 else 0


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * np.sign(x)                                # |x|' = sign(x), 0 at 0


class Clip(Function):
    """``clip(x, lo, hi)``; either bound may be None."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        inside = np.ones(x.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= x >= ctx.lo
        if ctx.hi is not None:
            inside &= x <= ctx.hi
        return dy * inside, None, None                        # 1 inside [lo, hi], 0 outside


class Maximum(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, dy):
        x, y = ctx.saved_tensors
        share_x = (x > y) + 0.5 * (x == y)                    # ties split the gradient
        need_x, need_y = ctx.needs_input_grad
        return (dy * share_x if need_x else None), (dy * (1 - share_x) if need_y else None)


class Where(Function):
    """``where(condition, x, y)``: x where condition holds, else y."""

    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.condition = condition
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx, dy):
        c = ctx.condition
        need_x, need_y = ctx.needs_input_grad[1:]
        return (None,
                np.where(c, dy, 0) if need_x else None,
                np.where(c, 0, dy) if need_y else None)


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.source_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, dy):
        return dy.astype(ctx.source_dtype), None


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, dy):
        return dy
