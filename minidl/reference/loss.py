"""F11, softmax, log-softmax and cross-entropy, as literal loops (forward only, NumPy only).

Shape legend: N batch, C classes.
"""
from __future__ import annotations

import math

import numpy as np

from .conv import _result_dtype


def softmax(x: np.ndarray) -> np.ndarray:
    r"""Softmax of each row, written out.

    The formula, per row n and class c::

        softmax(x)[n, c] = exp(x[n, c] − m_n) / Σ_j exp(x[n, j] − m_n),   m_n = max_j x[n, j]

    Subtracting the row maximum m_n changes nothing mathematically (it cancels between
    numerator and denominator) and keeps every ``exp`` at most 1, so no logit is too large.

    Args:
        x: (N, C) logits.

    Returns:
        (N, C), each row positive and summing to 1.

    Example:
        >>> softmax(np.array([[0.0, math.log(3.0)]]))
        array([[0.25, 0.75]])
    """
    x = np.asarray(x)
    N, C = x.shape
    y = np.zeros((N, C), dtype=np.float64)
    for n in range(N):
        m = max(x[n, j] for j in range(C))
        total = 0.0
        for j in range(C):
            total += math.exp(x[n, j] - m)
        for c in range(C):
            y[n, c] = math.exp(x[n, c] - m) / total
    return y.astype(_result_dtype(x))


def log_softmax(x: np.ndarray) -> np.ndarray:
    r"""Log-softmax of each row: log softmax(x)[n, c] = x[n, c] − m_n − log Σ_j exp(x[n, j] − m_n).

    Args:
        x: (N, C) logits.

    Returns:
        (N, C).

    Example:
        >>> log_softmax(np.array([[0.0, 0.0]]))
        array([[-0.69314718, -0.69314718]])
    """
    x = np.asarray(x)
    N, C = x.shape
    y = np.zeros((N, C), dtype=np.float64)
    for n in range(N):
        m = max(x[n, j] for j in range(C))
        log_total = math.log(sum(math.exp(x[n, j] - m) for j in range(C)))
        for c in range(C):
            y[n, c] = x[n, c] - m - log_total
    return y.astype(_result_dtype(x))


def cross_entropy(x: np.ndarray, target: np.ndarray) -> float:
    r"""Mean cross-entropy of logits against integer classes.

    The formula::

        loss = (1/N) Σ_n −log softmax(x)[n, t_n] = (1/N) Σ_n ( −x[n, t_n] + log Σ_j exp(x[n, j]) )

    Args:
        x: (N, C) logits.
        target: (N,) integer classes in [0, C).

    Returns:
        A float.

    Example:
        >>> round(cross_entropy(np.array([[0.0, 0.0]]), np.array([1])), 6)  # log 2
        0.693147
    """
    logp = log_softmax(np.asarray(x, dtype=np.float64))
    N = logp.shape[0]
    total = 0.0
    for n in range(N):
        total += -logp[n, int(target[n])]
    return float(total / N)
