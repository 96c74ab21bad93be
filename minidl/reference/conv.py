"""F1, the 2-D convolution, as a literal loop (forward only, NumPy only).

Shape legend: N batch, C_in / C_out channels, H / W height and width, kH / kW kernel size.
"""
from __future__ import annotations

import numpy as np
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._typing import Size2


def _pair(value, op, name):
    """``3 -> (3, 3)``, ``(1, 2) -> (1, 2)``: the int-or-pair hyper-parameters of conv and pooling."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    pair = tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _result_dtype(*arrays):
    """The dtype the result is returned in: the inputs' common float dtype (float64 for ints)."""
    dtype = np.result_type(*[a for a in arrays if a is not None])
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def conv2d(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    dilation: Size2 = 1,
    groups: int = 1,
) -> np.ndarray:
    r"""2-D convolution (cross-correlation, as in PyTorch), one output element at a time.

    The formula, with x_pad the input padded by p_h rows and p_w columns of zeros on each
    side, stride (s_h, s_w), dilation (d_h, d_w) and the C_in/groups input channels of
    output channel o's group::

        y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q x_pad[n, g·C_in/groups + c, i·s_h + p·d_h, j·s_w + q·d_w] · w[o, c, p, q]

        g = o // (C_out/groups),   c = 0 .. C_in/groups − 1,   p = 0 .. kH − 1,   q = 0 .. kW − 1

    The kernel is not flipped (that would be a true convolution); this is what
    ``torch.nn.functional.conv2d`` and every deep-learning library compute, and what the
    article's ``y(x, y) = Σ_i Σ_j x(i, j)·w(i, j)`` says.

    This is a reference: slow on purpose, one Python loop per index of the formula, sums
    accumulated in float64. Use ``minidl.functional.conv2d`` for real work.

    Args:
        input: (N, C_in, H, W), or unbatched (C_in, H, W).
        weight: (C_out, C_in/groups, kH, kW).
        bias: (C_out,) or None.
        stride, padding, dilation: an int, or a pair (for H, for W).
        groups: input and output channels are split into this many groups; output
            channel o only sees the input channels of its group g.

    Returns:
        (N, C_out, H_out, W_out), or (C_out, H_out, W_out) for an unbatched input, in the
        inputs' dtype, with ::

            H_out = floor((H + 2·p_h − d_h·(kH − 1) − 1) / s_h) + 1
            W_out = floor((W + 2·p_w − d_w·(kW − 1) − 1) / s_w) + 1

    Raises:
        ValueError: wrong ranks, channels that do not match the groups, or an empty output.

    Example:
        >>> x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)     # rows 1 2 3 | 4 5 6 | 7 8 9
        >>> w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> conv2d(x, w)[0, 0]                               # 1·1 + 2·2 + 4·3 + 5·4 = 37, ...
        array([[37., 47.],
               [67., 77.]])
    """
    x = np.asarray(input)
    w = np.asarray(weight)
    b = None if bias is None else np.asarray(bias)
    out_dtype = _result_dtype(x, w, b)

    if x.ndim not in (3, 4):
        raise ValueError(f"conv2d: input must be (N, C_in, H, W) or (C_in, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be (C_out, C_in/groups, kH, kW), got shape {w.shape}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]

    N, C_in, H, W = x.shape
    C_out, C_in_g, kH, kW = w.shape
    s_h, s_w = _pair(stride, "conv2d", "stride")
    p_h, p_w = _pair(padding, "conv2d", "padding")
    d_h, d_w = _pair(dilation, "conv2d", "dilation")

    if groups < 1 or C_in % groups or C_out % groups or C_in // groups != C_in_g:
        raise ValueError(
            f"conv2d: input has {C_in} channels but weight expects {C_in_g} per group "
            f"(groups={groups}, C_out={C_out}); input shape {x.shape}, weight shape {w.shape}"
        )
    if b is not None and b.shape != (C_out,):
        raise ValueError(f"conv2d: bias must be (C_out,) = ({C_out},), got shape {b.shape}")
    if min(s_h, s_w, d_h, d_w) < 1 or min(p_h, p_w) < 0:
        raise ValueError(f"conv2d: stride and dilation must be >= 1 and padding >= 0, got "
                         f"stride={stride}, dilation={dilation}, padding={padding}")

    H_out = (H + 2 * p_h - d_h * (kH - 1) - 1) // s_h + 1
    W_out = (W + 2 * p_w - d_w * (kW - 1) - 1) // s_w + 1
    if H_out < 1 or W_out < 1:
        raise ValueError(f"conv2d: output would be empty ({H_out} x {W_out}); input shape "
                         f"{x.shape}, weight shape {w.shape}, padding {padding}, dilation {dilation}")

    # x_pad: the input with p_h zero rows above and below, p_w zero columns left and right.
    x_pad = np.zeros((N, C_in, H + 2 * p_h, W + 2 * p_w))
    x_pad[:, :, p_h:p_h + H, p_w:p_w + W] = x
    w = w.astype(np.float64)

    C_out_g = C_out // groups                       # output channels per group
    y = np.zeros((N, C_out, H_out, W_out))
    for n in range(N):
        for o in range(C_out):
            g = o // C_out_g                        # the group output channel o belongs to
            for i in range(H_out):
                for j in range(W_out):
                    acc = 0.0 if b is None else float(b[o])
                    for c in range(C_in_g):
                        for p in range(kH):
                            for q in range(kW):
                                acc += x_pad[n, g * C_in_g + c, i * s_h + p * d_h, j * s_w + q * d_w] * w[o, c, p, q]
                    y[n, o, i, j] = acc

    if unbatched:
        y = y[0]
    return y.astype(out_dtype)
