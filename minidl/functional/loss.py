"""Losses (F11), written as their formulas from primitives."""
import numpy as np

from ..tensor import Tensor
from .activation import log_softmax

__all__ = ["cross_entropy", "nll_loss", "mse_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, weights, reduction):
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if weights == 0:  # every target ignored: NaN, and a zero gradient (as PyTorch)
        return total + Tensor._make(np.array(np.nan, dtype=total.dtype), None)
    return total / weights  # 'mean': divide by the total weight of the counted targets


def _class_last(input):
    """(N, C, d1, ...) → (N·d1·…, C); (C,) → (1, C)."""
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim == 2:
        return input
    C = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(*axes).reshape(-1, C)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits against integer class targets (or class probabilities).

    For one example with logits x (C,) and class t:

        loss = −log softmax(x)_t = −x_t + log Σ_c exp(x_c)

    computed as ``-log_softmax(x)[t]``, so it stays finite for logits of ±1e4 and beyond.
    With ``weight``, example i counts ``weight[t_i]`` times and 'mean' divides by the sum
    of those weights; targets equal to ``ignore_index`` count zero times. With
    ``label_smoothing`` ε the target is (1 − ε)·one_hot(t) + ε/C.

    Args:
        input: logits (N, C), (C,) or (N, C, d1, ...)
        target: integer classes (N,), () or (N, d1, ...) in [0, C); or probabilities of
            ``input``'s shape
        weight: (C,) class weights, or None
        reduction: 'mean' (default), 'sum' or 'none' (per-example losses)

    Raises:
        ValueError: batch sizes differ, or a target is outside [0, C).

    >>> import minidl as md, minidl.functional as F, numpy as np
    >>> F.cross_entropy(md.tensor([[0.0, 0.0]]), md.tensor([1])).item()  # log 2
    0.6931471...
    """
    _check_reduction("cross_entropy", reduction)
    if not isinstance(input, Tensor):
        raise TypeError(f"cross_entropy: input must be a Tensor of logits, got "
                        f"{type(input).__name__}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must be (N, C) or (C,) logits, got a scalar")
    t = np.asarray(target._array if isinstance(target, Tensor) else target)
    C = input.shape[1] if input.ndim > 1 else input.shape[0]
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    w = None
    if weight is not None:
        w = np.asarray(weight._array if isinstance(weight, Tensor) else weight)
        if w.shape != (C,):
            raise ValueError(f"cross_entropy: weight must be ({C},) for {C} classes, got {w.shape}")

    logp = _class_last(log_softmax(input, dim=1 if input.ndim > 1 else 0))   # (M, C)

    if t.dtype.kind == "f":  # class probabilities
        if t.shape != input.shape:
            raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                             f"{input.shape}, got {t.shape}")
        p = _class_last(Tensor._make(t.astype(input.dtype), None))._array
        if label_smoothing:
            p = p * (1 - label_smoothing) + label_smoothing / C
        if w is not None:
            p = p * w
        loss = -(logp * Tensor._make(p.astype(input.dtype), None)).sum(axis=1)
        loss = loss.reshape(input.shape[:1] + input.shape[2:]) if input.ndim > 1 else loss.reshape(())
        return _reduce(loss, loss._array.size if reduction == "mean" else 1, reduction)

    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class indices (or float "
                        f"probabilities), got dtype {t.dtype}")
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if t.shape != expected:
        raise ValueError(f"cross_entropy: input batch shape {expected} does not match target "
                         f"shape {t.shape}; input shape {input.shape} (N, C), target shape "
                         f"{t.shape} (N,)")
    counted = t != ignore_index
    bad = counted & ((t < 0) | (t >= C))
    if np.any(bad):
        raise ValueError(f"cross_entropy: target values must be in [0, {C}) for {C} classes "
                         f"(or ignore_index={ignore_index}), got {t[bad].ravel()[:5].tolist()}")
    t = np.where(counted, t, 0).reshape(-1)                    # (M,)
    m = counted.reshape(-1).astype(input.dtype)                 # 1 for counted targets
    w_t = m if w is None else m * w[t].astype(input.dtype)     # weight of each example
    picked = logp[np.arange(t.size), t]                        # log p_{i, t_i}   (M,)
    loss = -picked * Tensor._make(w_t, None)
    if label_smoothing:
        w_c = np.ones(C, input.dtype) if w is None else w.astype(input.dtype)
        smooth = -(logp * Tensor._make(w_c, None)).sum(axis=1) * Tensor._make(m / C, None)
        loss = loss * (1 - label_smoothing) + smooth * label_smoothing
    loss = loss.reshape(expected)
    return _reduce(loss, float(w_t.sum()), reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities: loss_i = −input[i, t_i]."""
    _check_reduction("nll_loss", reduction)
    t = np.asarray(target._array if isinstance(target, Tensor) else target)
    if input.ndim != 2 or t.shape != input.shape[:1]:
        raise ValueError(f"nll_loss: input must be (N, C) and target (N,), got {input.shape} "
                         f"and {t.shape}")
    C = input.shape[1]
    counted = t != ignore_index
    if np.any(counted & ((t < 0) | (t >= C))):
        raise ValueError(f"nll_loss: target values must be in [0, {C})")
    t = np.where(counted, t, 0)
    w_t = counted.astype(input.dtype)
    if weight is not None:
        w_t = w_t * np.asarray(weight._array if isinstance(weight, Tensor) else weight)[t]
    loss = -input[np.arange(t.size), t] * Tensor._make(w_t.astype(input.dtype), None)
    return _reduce(loss, float(w_t.sum()), reduction)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error: mean((x − y)²) (or the sum, or the elementwise squares).

    Raises:
        ValueError: ``input`` and ``target`` shapes differ.
    """
    _check_reduction("mse_loss", reduction)
    if not isinstance(input, Tensor):
        raise TypeError(f"mse_loss: input must be a Tensor, got {type(input).__name__}")
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} "
                         f"differ")
    diff = input - target
    sq = diff * diff
    if reduction == "none":
        return sq
    return sq.sum() if reduction == "sum" else sq.mean()
