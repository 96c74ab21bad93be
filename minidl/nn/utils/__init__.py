"""``torch.nn.utils``: gradient clipping and parameters ↔ one flat vector; ``nn.utils.rnn``
(batches of sequences of different lengths, padded or packed: ``pad_sequence``,
``pack_padded_sequence``, ``PackedSequence``, ...) is the submodule :mod:`minidl.nn.utils.rnn`.

Gradients are read with ``np.asarray(p.grad)`` and changed in place through
:func:`_grad_array`, the one place that knows how ``.grad`` is stored.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from ...tensor import Tensor, cat
from . import rnn  # noqa: F401  (nn.utils.rnn, as PyTorch)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _grad_array(p):
    """The array behind ``p.grad`` (a Tensor or an array), to scale or clamp in place."""
    g = p.grad
    return g.numpy() if isinstance(g, Tensor) else g


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    .. math::

        \|g\|_p = \Big(\sum_{\text{params}} \|g_i\|_p^{\,p}\Big)^{1/p}, \qquad
        g_i \leftarrow g_i \cdot \min\Big(1, \frac{\text{max\_norm}}{\|g\|_p + 10^{-6}}\Big)

    (p = ∞: the largest |g|), in place, as PyTorch — the norm of all gradients as if
    concatenated into one vector; parameters without a gradient are skipped.

    Args:
        parameters: a Tensor or an iterable of Tensors.
        max_norm: the largest norm allowed.
        norm_type: p (default 2.0; ``float("inf")`` or ``"inf"`` for the max norm).
        error_if_nonfinite: raise if the total norm is NaN or infinite (default False).
        foreach: accepted for PyTorch compatibility.

    Returns:
        the total norm before clipping, a 0-d Tensor (0 if no gradient).

    Raises:
        RuntimeError: a non-finite total norm with ``error_if_nonfinite=True``.

    >>> import numpy as np, minidl as md, minidl.nn as nn
    >>> w = md.tensor(np.zeros(2), requires_grad=True)
    >>> (w * md.tensor(np.array([3.0, 4.0]))).sum().backward()     # grad (3, 4), norm 5
    >>> nn.utils.clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    >>> np.asarray(w.grad).round(6)
    array([0.6, 0.8])
    """
    params = [p for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not params:
        return Tensor(np.array(0.0, dtype=np.float32))
    grads = [np.asarray(p.grad) for p in params]
    dtype = np.result_type(*grads)
    if math.isinf(norm_type):
        per_param = np.array([np.abs(g).max() if g.size else 0.0 for g in grads], dtype=dtype)
        total = per_param.max()
    else:
        per_param = np.array([np.linalg.norm(g.reshape(-1), ord=norm_type) for g in grads],
                             dtype=dtype)
        total = np.linalg.norm(per_param, ord=norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is non-finite ({float(total)}), so it cannot be clipped; "
                           f"pass error_if_nonfinite=False to scale anyway")
    coef = min(max_norm / (float(total) + 1e-6), 1.0)
    for p in params:
        g = _grad_array(p)
        g *= np.asarray(coef, dtype=g.dtype)
    return Tensor(total)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient to [−clip_value, clip_value], in place.

    >>> import numpy as np, minidl as md, minidl.nn as nn
    >>> w = md.tensor(np.zeros(3), requires_grad=True)
    >>> (w * md.tensor(np.array([-5.0, 0.5, 2.0]))).sum().backward()
    >>> nn.utils.clip_grad_value_([w], 1.0)
    >>> np.asarray(w.grad)
    array([-1. ,  0.5,  1. ])
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            g = _grad_array(p)
            np.clip(g, -clip_value, clip_value, out=g)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one vector (differentiable, like
    PyTorch's ``torch.cat([p.view(-1) for p in parameters])``).

    >>> import minidl as md, minidl.nn as nn
    >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
    (8,)
    """
    return cat([p.reshape(-1) for p in _as_list(parameters)])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in place (the inverse of
    :func:`parameters_to_vector`).

    Raises:
        TypeError: ``vec`` is not a Tensor.
        ValueError: ``vec`` is not 1-D or its length is not the total number of values.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vector_to_parameters: vec must be 1-D of length {total} (the number "
                         f"of parameter values), got shape {tuple(vec.shape)}")
    values, start = np.asarray(vec), 0
    for p in params:
        n = p.numel()
        p.numpy()[...] = values[start:start + n].reshape(p.shape)
        start += n
