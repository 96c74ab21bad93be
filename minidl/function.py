"""``Function``: how every differentiable op in minidl is made.

An op is a subclass with two static methods that work on plain NumPy arrays::

    class Square(md.Function):
        @staticmethod
        def forward(ctx, x):              # x: np.ndarray
            ctx.save_for_backward(x)
            return x * x                  # y = x²

        @staticmethod
        def backward(ctx, dy):            # dy = ∂L/∂y
            (x,) = ctx.saved_tensors
            return 2 * x * dy             # ∂L/∂x = 2x · ∂L/∂y

    y = Square.apply(t)                   # t: md.Tensor → y: md.Tensor

``apply`` unwraps the Tensors, runs ``forward`` and, when any input requires grad (and
grad mode is on), wraps the result in a Tensor that remembers this ``ctx`` as the node
that made it. ``Tensor.backward`` later calls ``backward(ctx, dy)``, which returns one
gradient per argument of ``forward`` (``None`` for arguments that are not Tensors or
need no gradient). The engine, not the op, sums a gradient back over broadcast axes,
casts it to its input's dtype, checks its shape and accumulates it; see ``tensor.py``.

The ctx is the instance of the Function subclass made for this one call, so it can
carry whatever ``forward`` wants to hand to ``backward`` (``ctx.axis = axis``).
``ctx.needs_input_grad`` tells ``backward`` which inputs want a gradient.
"""
import numpy as np

from . import grad_mode
from .tensor import Tensor


class Function:
    """Base class of differentiable ops (``torch.autograd.Function``-style).

    Subclasses define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as
    static methods on NumPy arrays, and are called as ``MyOp.apply(*args)``.
    ``forward`` returns one array; ``backward`` returns one gradient per argument.
    Tensors returned by either are unwrapped to their arrays.
    """

    # Set by apply (and cleared by the engine once backward has used them):
    #   parents           tuple, per forward argument the Tensor that wants a gradient, else None
    #   needs_input_grad  tuple of bools, one per forward argument
    #   saved_tensors     what forward passed to save_for_backward
    parents = None
    saved_tensors = ()

    def save_for_backward(self, *arrays):
        """Keep ``arrays`` for ``backward``; read them back as ``ctx.saved_tensors``."""
        self.saved_tensors = tuple(a.data if isinstance(a, Tensor) else a for a in arrays)

    def mark_non_differentiable(self, *args):
        """Accepted for PyTorch compatibility; outputs of minidl ops are single arrays."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arrays of ``args`` and record the node if needed."""
        ctx = cls()
        arrays = []
        needs = []
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                needs.append(a.requires_grad)
            else:
                arrays.append(a)
                needs.append(False)
        ctx.needs_input_grad = needs = tuple(needs)
        out = cls.forward(ctx, *arrays, **kwargs)
        if type(out) is not np.ndarray:
            out = out.data if isinstance(out, Tensor) else np.asarray(out)
        if grad_mode._enabled and True in needs:
            ctx.parents = tuple(a if n else None for a, n in zip(args, needs))
            return Tensor._make(out, ctx)
        return Tensor._make(out, None)

    def __repr__(self):
        return f"<{type(self).__name__} node>"
