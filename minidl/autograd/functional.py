"""``md.autograd.functional``: derivatives of whole functions, as
``torch.autograd.functional``: ``vjp jvp jacobian hessian hvp vhp``.

Each is a few calls of :func:`minidl.autograd.grad`. Forward-mode products come from
reverse mode by the "double-vjp" trick: with g(u) = uᵀJ (linear in u), ∂⟨g(u), v⟩/∂u
= J v. The inputs are fresh leaves (``x.detach().requires_grad_()``), so the results
do not depend on the inputs' own history unless ``create_graph=True``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence, Union

import numpy as np

from . import engine, grad_mode
from .function import tensor_type

if TYPE_CHECKING:
    from ..tensor import Tensor

    Tensors = Union[Tensor, Sequence[Tensor]]       # one input (output), or several
    Func = Callable[..., Union[Tensor, Sequence[Tensor]]]
    Result = Union[Tensor, tuple[Tensor, ...]]      # a tuple when the argument was one

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prepare(inputs, create_graph, op):
    T = tensor_type()
    xs, is_tuple = _tuple(inputs)
    out = []
    for x in xs:
        if not isinstance(x, T):
            raise TypeError(f"{op}: inputs must be Tensors, got {type(x).__name__}")
        if create_graph and x.requires_grad:
            out.append(x * 1)         # keeps the history, so the result can be differentiated
        else:
            out.append(x.detach().requires_grad_(True))
    return tuple(out), is_tuple


def _grads(outputs, inputs, grad_outputs, create_graph):
    T = tensor_type()
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return tuple(T._make(np.zeros(x.shape, x.dtype), None) for x in inputs)
    gs = engine.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                     create_graph=create_graph, retain_graph=True, allow_unused=True)
    return tuple(T._make(np.zeros(x.shape, x.dtype), None) if g is None else g
                 for x, g in zip(inputs, gs))


def _ones_like_scalar(outputs, v, op):
    T = tensor_type()
    if v is None:
        for o in outputs:
            if o._array.size != 1:
                raise RuntimeError(f"{op}: v can only be omitted for a function with a "
                                   f"single-element output, got shape {o.shape}")
        return tuple(T._make(np.ones_like(o._array), None) for o in outputs)
    vs, _ = _tuple(v)
    return tuple(x if isinstance(x, T) else T._make(np.asarray(x, o.dtype), None)
                 for x, o in zip(vs, outputs))


def vjp(func: Func, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Result, Result]:
    """``(func(inputs), vᵀ J)``: the vector-Jacobian product at ``inputs``."""
    with grad_mode.enable_grad():
        xs, is_tuple = _prepare(inputs, create_graph, "vjp")
        out = func(*xs)
        outs, out_tuple = _tuple(out)
        vs = _ones_like_scalar(outs, v, "vjp")
        g = _grads(outs, xs, vs, create_graph)
    result = tuple(o if create_graph else o.detach() for o in outs)
    return (result if out_tuple else result[0]), (g if is_tuple else g[0])


def jvp(func: Func, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Result, Result]:
    """``(func(inputs), J v)``: the Jacobian-vector product (by the double-vjp trick)."""
    T = tensor_type()
    with grad_mode.enable_grad():
        xs, is_tuple = _prepare(inputs, create_graph, "jvp")
        out = func(*xs)
        outs, out_tuple = _tuple(out)
        if v is None:
            v = tuple(T._make(np.ones_like(x._array), None) for x in xs)
        vs, _ = _tuple(v)
        us = tuple(T._make(np.zeros_like(o._array), None).requires_grad_(True) for o in outs)
        g = _grads(outs, xs, us, True)                          # uᵀJ, linear in u
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        if pairs:
            found = engine.grad([gi for gi, _ in pairs], us, [vi for _, vi in pairs],
                                create_graph=create_graph, allow_unused=True)
        else:
            found = (None,) * len(us)
        jv = tuple(T._make(np.zeros_like(o._array), None) if j is None else j
                   for o, j in zip(outs, found))
    result = tuple(o if create_graph else o.detach() for o in outs)
    return (result if out_tuple else result[0]), (jv if out_tuple else jv[0])


def jacobian(func: Func, inputs: Tensors, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """∂func/∂inputs: one reverse pass per output element. For one input and one output
    it is a Tensor of shape ``output.shape + input.shape``; tuples give tuples (per
    output, per input)."""
    T = tensor_type()
    from .. import functions  # the stack of the rows (imported when called: one-way)
    with grad_mode.enable_grad():
        xs, is_tuple = _prepare(inputs, create_graph, "jacobian")
        out = func(*xs)
        outs, out_tuple = _tuple(out)
        table = []
        for o in outs:
            rows: list[list[Tensor]] = [[] for _ in xs]
            flat = o._array.size
            for k in range(flat):
                e = np.zeros(o._array.size, o.dtype)
                e[k] = 1
                g = _grads((o,), xs, (T._make(e.reshape(o.shape), None),), create_graph)
                for j, gj in enumerate(g):
                    rows[j].append(gj)
            per_input = []
            for j, x in enumerate(xs):
                if flat == 0:
                    J = T._make(np.zeros(o.shape + x.shape, x.dtype), None)
                else:
                    J = functions.stack(rows[j]).reshape(o.shape + x.shape)
                per_input.append(J if create_graph else J.detach())
            table.append(tuple(per_input) if is_tuple else per_input[0])
    return tuple(table) if out_tuple else table[0]


def hessian(func: Callable[..., Tensor], inputs: Tensors, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: ``input.shape + input.shape`` (tuples of tuples
    for several inputs)."""
    xs, is_tuple = _tuple(inputs)

    def gradient(*args: Tensor) -> Result:
        with grad_mode.enable_grad():
            out = func(*args)
            if out._array.size != 1:
                raise RuntimeError(f"hessian: the function must return a single-element "
                                   f"Tensor, got shape {out.shape}")
            g = _grads((out.reshape(()),), args, (tensor_type()._make(
                np.ones((), out.dtype), None),), True)
        return g if is_tuple else g[0]

    return jacobian(gradient, inputs if is_tuple else xs[0], create_graph=create_graph)


def vhp(func: Callable[..., Tensor], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Result]:
    """``(func(inputs), vᵀ H)`` for a scalar function."""
    with grad_mode.enable_grad():
        xs, is_tuple = _prepare(inputs, True, "vhp")
        out = func(*xs)
        if out._array.size != 1:
            raise RuntimeError(f"vhp: the function must return a single-element Tensor, "
                               f"got shape {out.shape}")
        g = _grads((out,), xs, (tensor_type()._make(np.ones_like(out._array), None),), True)
        vs, _ = _tuple(v)
        h = _grads(g, xs, vs, create_graph)
    value = out if create_graph else out.detach()
    return value, (h if is_tuple else h[0])


def hvp(func: Callable[..., Tensor], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Result]:
    """``(func(inputs), H v)``; the Hessian is symmetric, so H v = vᵀ H."""
    return vhp(func, inputs, v, create_graph, strict)
