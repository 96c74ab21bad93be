"""``gradcheck``: is an op's backward the derivative of its forward?

The check builds the scalar ``L = Σ_k ⟨u_k, f(x)_k⟩`` with a random, non-uniform upstream
gradient ``u`` (never all ones: the gradient of ``softmax(x).sum()`` is zero whatever the
backward does), asks the engine for the analytic ``∂L/∂x`` (one backward pass: the
vector-Jacobian product ``uᵀJ``) and compares it with central differences

    ∂L/∂x_i ≈ (L(x + ε e_i) − L(x − ε e_i)) / 2ε

element by element, in float64. ``fast_mode=True`` instead compares one random
direction ``v`` per input: ``⟨uᵀJ, v⟩`` against ``(L(x + ε v) − L(x − ε v)) / 2ε``, two
forward passes instead of two per element, for inputs too large to check one by one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import engine, grad_mode
from .function import tensor_type

if TYPE_CHECKING:
    from ..tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when an analytic gradient disagrees with the numerical one."""


def _outputs(func, inputs):
    Tensor = tensor_type()
    out = func(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    outs = [o for o in outs if o is not None and not (isinstance(o, Tensor)
                                                      and o.dtype.kind not in "fc")]
    if not outs or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError("gradcheck: func must return a Tensor or a tuple of Tensors")
    return outs


def _objective(func, inputs, upstream):
    """L = Σ_k ⟨u_k, f(x)_k⟩ as a float (recording on: ``func`` may take gradients)."""
    with grad_mode.enable_grad():
        outs = _outputs(func, inputs)
    return float(sum(np.sum(u * o._array) for u, o in zip(upstream, outs)))


def gradcheck(func: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False,
              seed: int = 0) -> bool:
    """Check the analytic gradient of ``func`` at ``inputs`` against central differences.

    Args:
        func: a function of the inputs returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments; every Tensor with ``requires_grad``
            is checked and must be float64.
        eps: the finite-difference step ε.
        atol, rtol: an element passes when ``|analytic − numerical| <= atol + rtol·|numerical|``.
        raise_exception: raise :class:`GradcheckError` on failure (else return False).
        fast_mode: compare the projection ``⟨uᵀJ, v⟩`` on a random direction ``v``
            instead of every element (for large inputs).
        seed: seed of the random upstream gradient and directions.

    Returns:
        True when every checked gradient agrees.

    Raises:
        TypeError: an input to check is not float64, or ``func`` returns no Tensor.
        GradcheckError: naming the input, the worst element's index, the analytic and
            numerical values and the error.

    >>> import minidl as md, numpy as np
    >>> x = md.tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    >>> md.gradcheck(lambda t: (t * t).tanh(), (x,))
    True
    """
    Tensor = tensor_type()
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; gradcheck needs "
                            f"float64 inputs (central differences in float32 are too coarse): "
                            f"pass md.tensor(x, dtype=np.float64)")
    rng = np.random.default_rng(seed)

    # analytic: one backward of L = Σ ⟨u, f(x)⟩, through autograd.grad (.grad untouched)
    with grad_mode.enable_grad():
        outs = _outputs(func, inputs)
        upstream = [rng.uniform(0.5, 1.5, o.shape) * rng.choice([-1.0, 1.0], o.shape)
                    for o in outs]
        pairs = [(o, u) for o, u in zip(outs, upstream) if o.requires_grad]
        grads: Any = [None] * len(checked)
        if pairs:
            grads = engine.grad([o for o, _ in pairs],
                                [inputs[i] for i in checked],
                                [Tensor._make(u.astype(o.dtype), None) for o, u in pairs],
                                allow_unused=True)
    analytic = {i: (np.asarray(g._array) if g is not None else np.zeros(inputs[i].shape))
                for i, g in zip(checked, grads)}

    for i in checked:
        x = inputs[i]._array
        if fast_mode:
            v = rng.standard_normal(x.shape)
            original = x.copy()
            x += eps * v
            plus = _objective(func, inputs, upstream)
            x[...] = original - eps * v
            minus = _objective(func, inputs, upstream)
            x[...] = original
            numerical = np.array((plus - minus) / (2 * eps))
            got = np.array(np.sum(analytic[i] * v))
            where = "the projection ⟨uᵀJ, v⟩ on a random direction v"
        else:
            numerical = np.zeros(x.shape)
            flat = x.reshape(-1)  # a view: x is contiguous unless the caller made it not so
            if not np.shares_memory(flat, x):
                raise ValueError(f"gradcheck: input {i} is not contiguous")
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                plus = _objective(func, inputs, upstream)
                flat[k] = original - eps
                minus = _objective(func, inputs, upstream)
                flat[k] = original
                numerical.reshape(-1)[k] = (plus - minus) / (2 * eps)
            got = analytic[i]
            where = None
        error = np.abs(got - numerical)
        excess = error - (atol + rtol * np.abs(numerical))
        excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN on either side fails
        if np.any(excess > 0):
            worst = np.unravel_index(np.argmax(excess), np.shape(excess)) if np.ndim(excess) else ()
            msg = (f"gradcheck: the gradient of input {i} (shape {x.shape}) is wrong "
                   f"{'in ' + where if where else 'at index ' + str(tuple(int(j) for j in worst))}: "
                   f"analytic {float(got[worst]):.10g}, numerical {float(numerical[worst]):.10g}, "
                   f"error {float(error[worst]):.3g} > atol + rtol·|numerical| = "
                   f"{atol + rtol * abs(float(numerical[worst])):.3g}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func: Callable[..., Any], inputs: Any,
                  grad_outputs: Tensor | tuple[Tensor, ...] | list[Tensor] | None = None,
                  eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  fast_mode: bool = False, seed: int = 0) -> bool:
    """Check the second derivative of ``func``: :func:`gradcheck` of the function
    ``(inputs, v) ↦ ∂⟨v, func(inputs)⟩/∂inputs``, computed with ``create_graph=True``.

    ``grad_outputs`` (the upstream v) is random when not given, and is checked too.

    >>> import minidl as md, numpy as np
    >>> x = md.tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    >>> md.gradgradcheck(lambda t: (t * t).tanh(), (x,))
    True
    """
    Tensor = tensor_type()
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input requires grad; nothing to check")
    with grad_mode.enable_grad():
        outs = _outputs(func, inputs)
    rng = np.random.default_rng(seed + 1)
    if grad_outputs is None:
        grad_outputs = [Tensor._make(np.array(rng.uniform(0.5, 1.5, o.shape)
                                              * rng.choice([-1.0, 1.0], o.shape)), None)
                        .requires_grad_(True) for o in outs]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) \
            else [grad_outputs]
    n = len(inputs)

    def first_derivative(*args: Any) -> tuple[Any, ...]:
        xs, vs = args[:n], args[n:]
        ys = _outputs(func, xs)
        pairs = [(y, v) for y, v in zip(ys, vs) if y.requires_grad]
        grads = engine.grad([y for y, _ in pairs], [xs[i] for i in checked],
                            [v for _, v in pairs], create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor._make(np.zeros(xs[i].shape), None)
                     for i, g in zip(checked, grads))

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps,
                     atol=atol, rtol=rtol, raise_exception=raise_exception,
                     fast_mode=fast_mode, seed=seed)
