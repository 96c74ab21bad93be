"""F9, the sinusoidal positional encoding, as a literal loop (NumPy only)."""
from __future__ import annotations

import math

import numpy as np


def positional_encoding(length: int, d_model: int) -> np.ndarray:
    r"""The table PE (length, d_model), one entry at a time.

    The formula, for position pos and pair index i::

        PE[pos, 2i]     = sin(pos / 10000^(2i / d_model))
        PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))

    Each pair of columns is a sine and a cosine of one frequency ω_i = 10000^(−2i/E),
    i = 0, …, ⌈E/2⌉ − 1 (for odd E the last frequency has a sine column only). The ⌈E/2⌉
    frequencies fall geometrically from ω_0 = 1 to 10000^(−2(⌈E/2⌉ − 1)/E), which is
    10000^(−(E − 2)/E) for even E: close to, but never, 1/10000 (10⁻³ for E = 8).

    Args:
        length: number of positions L.
        d_model: embedding size E.

    Returns:
        (L, E) float64.

    Example:
        >>> pe = positional_encoding(2, 2)
        >>> bool(np.allclose(pe[1], [math.sin(1.0), math.cos(1.0)]))
        True
    """
    pe = np.zeros((length, d_model))
    for pos in range(length):
        for col in range(d_model):
            i = col // 2                                   # the pair this column belongs to
            angle = pos / 10000 ** (2 * i / d_model)
            pe[pos, col] = math.sin(angle) if col % 2 == 0 else math.cos(angle)
    return pe
