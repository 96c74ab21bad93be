r"""Scaled dot-product attention as one fused primitive, a block of the batch at a time.

``minidl.functional.attention`` writes attention as its formula; this op computes the
same formula, with its gradient by hand, for the common case (no dropout, a mask that is
a constant). Why: written as four ops the (..., L, S) score tensor is swept about twenty
times per step and each sweep is a new array the size of all scores; here each block of
the batch (about 128K scores) goes through the whole formula while it is in cache, on
as many threads as :mod:`minidl.parallel` allows.

Shape legend: L target (query) length, S source length, E features, Ev value features.
Forward, per batch index (``bias`` 0 where a position takes part, −inf where not)::

    A   = softmax(q kᵀ · scale + bias)                   (L, S)
    out = A v                                            (L, Ev)

a row whose bias is −inf everywhere has A = 0 (so out = 0). Backward, with dout and
(if the weights were used) dA_out::

    dA  = dout vᵀ + dA_out                               dv = Aᵀ dout
    dS  = A ⊙ (dA − Σ_s dA ⊙ A)                          (softmax's VJP)
    dq  = scale · dS k                                   dk = scale · dSᵀ q

When the backward is itself recorded (``create_graph=True``) the gradient is taken
through :func:`attention_composite`, the same formula from the library's ops, so that it
can be differentiated again (``tests/functional/test_attention.py`` checks the two).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import parallel
from ..autograd import engine
from ..autograd.function import Function
from .softmax import Softmax, _row_sum, _softmax_fill

if TYPE_CHECKING:
    # forward and backward get arrays in an ordinary pass and Tensors when the
    # backward is recorded (create_graph=True): those values are Any
    from typing import Any

__all__ = ["Attention", "attention_composite"]

_BLOCK = 1 << 17              # scores per block (a few hundred KB)


def _dead_rows(bias):
    """(..., L, 1): the rows of ``bias`` that exclude every position, or None."""
    if bias is None:
        return None
    dead = np.isneginf(bias).all(axis=-1, keepdims=True)
    return dead if dead.any() else None


def _leading(a, ndim):
    """``a`` with size-1 axes in front, to ``ndim`` axes (None stays None)."""
    return None if a is None else a.reshape((1,) * (ndim - a.ndim) + a.shape)


def _rows(a, lo, hi):
    """Rows lo .. hi − 1 of axis 0, unless ``a`` broadcasts along it (size 1) or is None."""
    return a if a is None or a.shape[0] == 1 else a[lo:hi]


class Attention(Function):
    """softmax(q kᵀ · scale + bias) v and the weights, fused (module docstring).

    Called as ``Attention.apply(q, k, v, bias, scale)``: q (..., L, E), k (..., S, E),
    v (..., S, Ev) with the same leading axes; ``bias`` None or a constant array
    broadcastable to (..., L, S); returns (out (..., L, Ev), weights (..., L, S)).
    """

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, q: Any, k: Any, v: Any, bias: Any, scale: float) -> Any:
        ctx.set_materialize_grads(False)              # unused weights: no zeros to add
        q_in, k_in, v_in = q, k, v
        ctx.given_bias = bias
        unbatched = q.ndim == 2
        if unbatched:                                 # one (L, E) problem: a batch of one
            q, k, v = q[None], k[None], v[None]
        ndim = q.ndim
        dtype = np.result_type(q, k, v)
        bias = _leading(bias, ndim)
        dead = _dead_rows(bias)
        L, S, Ev = q.shape[-2], k.shape[-2], v.shape[-1]
        weights = np.empty(q.shape[:-2] + (L, S), dtype)
        out = np.empty(q.shape[:-2] + (L, Ev), dtype)
        scale = dtype.type(scale)

        def block(lo, hi):
            A = weights[lo:hi]
            np.matmul(q[lo:hi] * scale, k[lo:hi].swapaxes(-1, -2), out=A)   # q kᵀ · scale
            if bias is not None:
                A += _rows(bias, lo, hi)
            _softmax_fill(A, A, axis=-1)
            if dead is not None:
                np.copyto(A, 0, where=_rows(dead, lo, hi))                   # A = 0, not 0/0
            np.matmul(A, v[lo:hi], out=out[lo:hi])                          # A v
        _by_blocks(block, q.shape, L * S)
        ctx.scale = scale
        if unbatched:
            out, weights = out[0], weights[0]
        ctx.save_for_backward(q_in, k_in, v_in, weights)
        return out, weights

    @staticmethod
    def backward(ctx: Any, dout: Any, dweights: Any) -> Any:
        if ctx._graph:                                # recorded: via the composite
            return _recorded_backward(ctx, dout, dweights)
        q, k, v, weights = ctx.saved_tensors
        scale = ctx.scale
        need_q, need_k, need_v = ctx.needs_input_grad[:3]
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v, weights = q[None], k[None], v[None], weights[None]
            dout = None if dout is None else dout[None]
            dweights = None if dweights is None else dweights[None]
        dtype = weights.dtype
        # (Any: the blocks below write only the ones that are wanted, not None)
        dq: Any = np.empty(q.shape, dtype) if need_q else None
        dk: Any = np.empty(k.shape, dtype) if need_k else None
        dv: Any = np.empty(v.shape, dtype) if need_v else None
        if dout is None:
            dout = np.zeros(weights.shape[:-1] + (v.shape[-1],), dtype)

        def block(lo, hi):
            A, g = weights[lo:hi], dout[lo:hi]
            if need_v:
                np.matmul(A.swapaxes(-1, -2), g, out=dv[lo:hi])              # dv = Aᵀ dout
            if not (need_q or need_k):
                return
            dA = np.matmul(g, v[lo:hi].swapaxes(-1, -2))                    # dout vᵀ
            if dweights is not None:
                dA += dweights[lo:hi]
            # dS = A ⊙ (dA − Σ_s dA ⊙ A), in place in dA
            s = _row_sum(dA * A, -1)
            dA -= s
            dA *= A
            if need_q:
                np.matmul(dA, k[lo:hi], out=dq[lo:hi])
                dq[lo:hi] *= scale                                          # dq = scale · dS k
            if need_k:
                np.matmul(dA.swapaxes(-1, -2), q[lo:hi], out=dk[lo:hi])
                dk[lo:hi] *= scale                                          # dk = scale · dSᵀ q
        _by_blocks(block, weights.shape, weights.shape[-2] * weights.shape[-1])
        if unbatched:
            return (None if dq is None else dq[0], None if dk is None else dk[0],
                    None if dv is None else dv[0], None, None)
        return dq, dk, dv, None, None


def _by_blocks(block, shape, per_matrix):
    """Run ``block(lo, hi)`` over axis 0 of the batch, about _BLOCK scores at a time."""
    per_row = per_matrix * int(np.prod(shape[1:-2], dtype=np.int64))
    parallel.for_blocks(shape[0], block, block=max(1, _BLOCK // max(per_row, 1)), blas=True)


def attention_composite(q: Any, k: Any, v: Any, bias: Any, scale: float) -> tuple[Any, Any]:
    """The formula of :class:`Attention` from the library's ops (recorded): (out, weights)."""
    dead = _dead_rows(None if bias is None else np.asarray(bias))
    scores = (q * scale) @ k.swapaxes(-1, -2)                 # (..., L, S)
    if bias is not None:
        if dead is not None:
            bias = np.where(dead, 0, bias)                    # a finite row: no 0/0
        scores = scores + bias
    weights = Softmax.call(scores, scores.ndim - 1)
    if dead is not None:
        weights = weights * (~dead).astype(weights.dtype)     # zero weights, zero gradient
    return weights @ v, weights


def _recorded_backward(ctx, dout, dweights):
    q, k, v, _ = ctx.saved_tensors
    wanted = [j for j in range(3) if ctx.needs_input_grad[j]]
    inputs = (q, k, v)
    out, weights = attention_composite(q, k, v, ctx.given_bias, ctx.scale)
    outs, grads = [], []
    for o, g in ((out, dout), (weights, dweights)):
        if g is not None:
            outs.append(o)
            grads.append(g)
    found = engine.grad(outs, [inputs[j] for j in wanted], grads, create_graph=True,
                        allow_unused=True)
    result: list[Any] = [None] * 5             # a gradient per forward argument, or None
    for j, g in zip(wanted, found):
        result[j] = g
    return tuple(result)
