"""F3, the fully connected layer, as a literal loop (forward only, NumPy only).

Shape legend: N batch, D in_features, O out_features. Weights are stored (O, D), so the
formula's ``W x`` is row ``W[o]`` dotted with ``x``.
"""
from __future__ import annotations

import numpy as np

from .conv import _result_dtype


def linear(input: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    r"""The fully connected layer, one output unit at a time.

    The formula, per sample n and output unit o::

        y[n, o] = Σ_d W[o, d] · x[n, d] + b[o]

    that is y = W x + b for each sample, ``x @ W.T + b`` for the batch.

    Args:
        input: (N, D).
        weight: (O, D).
        bias: (O,) or None.

    Returns:
        (N, O).

    Raises:
        ValueError: wrong ranks or mismatched D.

    Example:
        >>> linear(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]), np.array([0.5]))
        array([[11.5]])
    """
    x, W = np.asarray(input), np.asarray(weight)
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[1]:
        raise ValueError(f"linear: input must be (N, D) and weight (O, D), got shapes "
                         f"{x.shape} and {W.shape}")
    N, D = x.shape
    O = W.shape[0]
    y = np.zeros((N, O), dtype=np.float64)
    for n in range(N):
        for o in range(O):
            total = 0.0 if bias is None else float(bias[o])
            for d in range(D):
                total += W[o, d] * x[n, d]
            y[n, o] = total
    return y.astype(_result_dtype(x, W, bias))
