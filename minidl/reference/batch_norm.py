"""Batch normalisation, as literal loops (forward only, NumPy only).

Shape legend: N batch, C channels, and any trailing axes (L, or H and W) flattened to
P positions: an (N, C, *) input is read as x[n, c, p].
"""
from __future__ import annotations

import numpy as np

from .conv import _result_dtype


def batch_norm(
    input: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Batch normalisation, PyTorch's ``F.batch_norm``, one channel at a time.

    For channel c, over its m = N·P values::

        training:   μ_c  = (1/m) Σ_{n,p} x[n, c, p]
                    σ²_c = (1/m) Σ_{n,p} (x[n, c, p] − μ_c)²              (biased)
                    running_mean[c] ← (1 − momentum)·running_mean[c] + momentum·μ_c
                    running_var[c]  ← (1 − momentum)·running_var[c]
                                      + momentum·σ²_c · m / (m − 1)       (unbiased)
        evaluation: μ_c = running_mean[c],  σ²_c = running_var[c]

        y[n, c, p] = (x[n, c, p] − μ_c) / √(σ²_c + ε) · γ_c + β_c

    This is a reference: slow on purpose, sums accumulated in float64, and — unlike
    ``minidl.functional.batch_norm`` — it does not change its arguments: it returns the
    updated running statistics.

    Args:
        input: (N, C) or (N, C, *).
        running_mean, running_var: (C,) arrays, or None (batch statistics, nothing
            to update; required in evaluation).
        weight: γ (C,) or None.  bias: β (C,) or None.
        training, momentum, eps: as ``F.batch_norm``.

    Returns:
        (y, new_running_mean, new_running_var): y of the input's shape; the new
        statistics (C,), or None where none were given, or unchanged in evaluation.

    Example:
        >>> y, m, v = batch_norm(np.array([[1.0], [3.0]]), np.zeros(1), np.ones(1),
        ...                      training=True, eps=0.0)
        >>> y[:, 0], m, v                       # μ = 2, σ² = 1, unbiased 2
        (array([-1.,  1.]), array([0.2]), array([1.1]))
    """
    x = np.asarray(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, *), got shape {x.shape}")
    out_dtype = _result_dtype(x)
    N, C = x.shape[:2]
    xs = x.reshape(N, C, -1).astype(np.float64)                   # x[n, c, p]
    P = xs.shape[2]
    m = N * P
    gamma = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    beta = np.zeros(C) if bias is None else np.asarray(bias, dtype=np.float64)
    new_mean = None if running_mean is None else np.array(running_mean, dtype=np.float64)
    new_var = None if running_var is None else np.array(running_var, dtype=np.float64)
    if not training and (new_mean is None or new_var is None):
        raise ValueError("batch_norm: running_mean and running_var are needed in evaluation")

    y = np.zeros((N, C, P))
    for c in range(C):
        if training:
            total = 0.0
            for n in range(N):
                for p in range(P):
                    total += xs[n, c, p]
            mu = total / m
            squares = 0.0
            for n in range(N):
                for p in range(P):
                    squares += (xs[n, c, p] - mu) ** 2
            var = squares / m                                     # biased: normalises
            if new_mean is not None:
                new_mean[c] = (1 - momentum) * new_mean[c] + momentum * mu
            if new_var is not None:
                new_var[c] = (1 - momentum) * new_var[c] + momentum * squares / (m - 1)
        else:
            mu, var = new_mean[c], new_var[c]
        for n in range(N):
            for p in range(P):
                y[n, c, p] = (xs[n, c, p] - mu) / np.sqrt(var + eps) * gamma[c] + beta[c]
    return y.reshape(x.shape).astype(out_dtype), new_mean, new_var
