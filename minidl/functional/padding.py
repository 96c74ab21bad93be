"""``pad``: PyTorch's ``F.pad``, written with slicing, ``cat`` and index arrays.

The pad tuple lists (before, after) pairs from the **last** axis backwards, as PyTorch:
``(left, right)`` pads the last axis, ``(left, right, top, bottom)`` the last two,
``(left, right, top, bottom, front, back)`` the last three. Negative amounts crop.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor, cat

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(mode, n, before, after):
    """For a padded axis, the input position each output position copies (1-D array)."""
    j = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)                           # x[0] … x[0] x[0] x[1] …
    if mode == "reflect":
        j = np.abs(j)                                         # x[2] x[1] | x[0] x[1] …
        return np.where(j > n - 1, 2 * (n - 1) - j, j)        # … x[n-2] | x[n-3] …
    return j % n                                              # circular: wrap around


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    r"""Pad (or crop, with negative amounts) the trailing axes of ``input``.

    For ``pad = (p_0, q_0, p_1, q_1, …)`` axis ``ndim − 1 − k`` grows by p_k in front and
    q_k behind. ``mode``:

    - ``"constant"``: the new positions hold ``value`` (0 by default); any number of
      axes, negative amounts crop.
    - ``"reflect"``: mirror without repeating the edge, ``… x₂ x₁ | x₀ x₁ x₂ …``
      (each amount < the axis length).
    - ``"replicate"``: repeat the edge value, ``x₀ x₀ | x₀ x₁ …`` (any amount).
    - ``"circular"``: wrap around, ``… x_{n−1} | x₀ x₁ …`` (each amount <= the length).

    As PyTorch, the three non-constant modes pad the last 1, 2 or 3 axes of a
    (N, C, W) / (C, W), (N, C, H, W) / (C, H, W) or (N, C, D, H, W) / (C, D, H, W) input.

    Gradient: each output position's gradient goes back to the input element it copies
    (summed where an element is copied several times, as at a replicated edge); the
    constant padding receives none and a cropped element gets zero.

    Args:
        input: (*), a Tensor.
        pad: a tuple of an even number of ints, at most 2·ndim.
        mode: ``"constant"`` (default), ``"reflect"``, ``"replicate"`` or ``"circular"``.
        value: the fill value of ``"constant"`` mode (default 0).

    Returns:
        input's shape with axis ``ndim − 1 − k`` of size n_k + p_k + q_k.

    Raises:
        TypeError: ``input`` is not a Tensor, or ``pad`` is not a tuple of ints.
        ValueError: an odd or too long ``pad``, an unknown ``mode``, a ``value`` with a
            non-constant mode, an input of a rank that mode does not pad, a reflect or
            circular amount too large for its axis, or a negative resulting size.
        NotImplementedError: negative amounts with a non-constant mode.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[1.0, 2.0, 3.0]]))
    >>> F.pad(x, (1, 2))
    tensor([[0., 1., 2., 3., 0., 0.]], dtype=float64)
    >>> F.pad(x, (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]], dtype=float64)
    >>> F.pad(x, (-1, 0, 1, 0), value=9.0)                 # crop one column, add a row
    tensor([[9., 9.],
            [2., 3.]], dtype=float64)
    """
    op = "pad"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    try:
        amounts = tuple(pad)
    except TypeError:
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}") from None
    if not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in amounts):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}")
    if len(amounts) % 2:
        raise ValueError(f"{op}: pad must have an even length (before, after pairs), got "
                         f"{amounts}")
    k_axes = len(amounts) // 2
    if k_axes > input.ndim:
        raise ValueError(f"{op}: pad {amounts} pads {k_axes} axes but the input has only "
                         f"{input.ndim} (shape {input.shape})")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {', '.join(map(repr, _MODES))}, got "
                         f"{mode!r}")
    if mode != "constant":
        if value is not None and value != 0:
            raise ValueError(f"{op}: mode {mode!r} takes no value, got value={value}")
        if input.ndim not in (k_axes + 1, k_axes + 2):
            raise ValueError(f"{op}: mode {mode!r} with a pad of length {len(amounts)} needs "
                             f"a {k_axes + 1}-D or {k_axes + 2}-D input, got shape "
                             f"{input.shape}")
        if any(p < 0 for p in amounts):
            raise NotImplementedError(f"{op}: negative amounts (cropping) with mode {mode!r} "
                                      f"are not implemented in minidl, got pad {amounts}; "
                                      f"crop by slicing or use mode='constant'")
    value = 0 if value is None else value

    x = input
    for k in range(k_axes):
        axis = input.ndim - 1 - k
        before, after = int(amounts[2 * k]), int(amounts[2 * k + 1])
        n = x.shape[axis]
        if n + before + after < 0:
            raise ValueError(f"{op}: pad {amounts} leaves a negative size {n + before + after}"
                             f" on axis {axis} of length {n} (input shape {input.shape})")
        lead = (slice(None),) * axis
        if mode == "constant":
            # crop first (negative amounts), then add constant blocks
            start, stop = max(-before, 0), n - max(-after, 0)
            if start or stop != n:
                x = x[lead + (slice(start, max(stop, start)),)]
            blocks = []
            for amount in (before, after):
                shape = x.shape[:axis] + (max(amount, 0),) + x.shape[axis + 1:]
                blocks.append(Tensor(np.full(shape, value, dtype=x.dtype)))
            if before > 0 or after > 0:
                x = cat([blocks[0], x, blocks[1]], dim=axis)
            continue
        limit = {"circular": n, "reflect": n - 1, "replicate": None}[mode]
        if n == 0 or limit is not None and (before > limit or after > limit):
            rule = {"circular": "<= the axis length", "reflect": "< the axis length",
                    "replicate": "a non-empty axis"}[mode]
            raise ValueError(f"{op}: mode {mode!r} needs each amount {rule}; pad {amounts}, "
                             f"axis {axis} of length {n} (input shape {input.shape})")
        x = x[lead + (_source_index(mode, n, before, after),)]   # gather along the axis
    return x
