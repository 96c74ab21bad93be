r"""F1, the 2-D convolution ``conv2d``: a primitive, its forward beside its backward.

The article's convolution ``y(x, y) = Σ_i Σ_j x(i, j)·w(i, j)`` slides a kernel over the
image and sums the products under it. Like PyTorch (and unlike signal processing) the
kernel is not flipped: this is a cross-correlation. With a batch, channels, stride
(s_h, s_w), zero padding, dilation (d_h, d_w) and ``groups``::

    y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q x_pad[n, g·C_in/groups + c, i·s_h + p·d_h, j·s_w + q·d_w] · w[o, c, p, q]

    g = o // (C_out/groups),  c = 0 .. C_in/groups − 1,  p = 0 .. kH − 1,  q = 0 .. kW − 1

How it is computed (no Python loop over batch elements or output positions):

1. **im2col.** Every window is a strided view of the padded input, so one ``as_strided``
   view holds all of them, laid out (C_in, kH, kW, N, H_out, W_out); one copy makes it
   the column matrix ``X_col`` of shape (K, P), K = (C_in/groups)·kH·kW rows per group,
   P = N·H_out·W_out columns.
2. **one GEMM.** ``W_mat (C_out, K) @ X_col (K, P)`` is the whole output, in the
   short-and-wide orientation BLAS runs fastest (batched over a leading group axis when
   ``groups > 1``). The result (C_out, N, H_out, W_out) is returned as an (N, C_out,
   H_out, W_out) transposed view, without a copy.

The backward is the fully connected layer's again, with Ȳ the upstream gradient as
(C_out, P):

    ∂L/∂b     = Σ_{n,i,j} ȳ[n, o, i, j]
    ∂L/∂W_mat = Ȳ · X_colᵀ                                (one GEMM)
    ∂L/∂X_col = W_matᵀ · Ȳ                                (one GEMM)

and ∂L/∂x is ∂L/∂X_col put back where each window read it ("col2im"): a loop over the
kH·kW kernel offsets adds each offset's slice into the strided slice of the padded input
it came from (overlapping windows add up), and the padding is cut away.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..function import Function
from ..tensor import Tensor

__all__ = ["conv2d"]


# ---------------------------------------------------------------------- shared helpers
# (also used by pool.py)
def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _pair(value, op, name):
    """``3 -> (3, 3)``, ``(1, 2) -> (1, 2)``: an int-or-pair hyper-parameter, type-checked."""
    if _is_int(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        return int(value[0]), int(value[1])
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def _check_tensor(t, op, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def _rows(start, step, count):
    """The slice ``start, start + step, ..., start + (count − 1)·step``."""
    return slice(start, start + step * (count - 1) + 1, step)


def _offset_slices(kH, kW, stride, dilation, H_out, W_out):
    """For each kernel offset (p, q), in row-major order, the strided slices of the
    padded input that offset reads for all H_out × W_out windows: rows
    ``i·s_h + p·d_h`` and columns ``j·s_w + q·d_w``."""
    (s_h, s_w), (d_h, d_w) = stride, dilation
    return [(p, q, _rows(p * d_h, s_h, H_out), _rows(q * d_w, s_w, W_out))
            for p in range(kH) for q in range(kW)]


def _pad(x, pads, value):
    """``x`` (N, C, H, W) with rows (top, bottom) and columns (left, right) of ``value``
    added; ``x`` itself (no copy) when there is nothing to add."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    N, C, H, W = x.shape
    x_pad = np.empty((N, C, H + top + bottom, W + left + right), dtype=x.dtype)
    x_pad[:, :, :top] = value
    x_pad[:, :, H + top:] = value
    x_pad[:, :, :, :left] = value
    x_pad[:, :, :, W + left:] = value
    x_pad[:, :, top:top + H, left:left + W] = x
    return x_pad


# ---------------------------------------------------------------------- the primitive
def _im2col(x_pad, kH, kW, stride, dilation, H_out, W_out):
    """All windows of ``x_pad`` (N, C_in, Hp, Wp) as one contiguous array
    (C_in, kH, kW, N, H_out, W_out): ``cols[c, p, q, n, i, j] = x_pad[n, c, i·s_h + p·d_h,
    j·s_w + q·d_w]``. Built from a strided view (no copy) and copied once."""
    N, C_in = x_pad.shape[:2]
    sN, sC, sH, sW = x_pad.strides
    (s_h, s_w), (d_h, d_w) = stride, dilation
    windows = as_strided(x_pad, (C_in, kH, kW, N, H_out, W_out),
                         (sC, sH * d_h, sW * d_w, sN, sH * s_h, sW * s_w), writeable=False)
    return np.ascontiguousarray(windows)


class Conv2d(Function):
    """conv2d on arrays: x (N, C_in, H, W) or (C_in, H, W), weight, bias or None.

    ``padding`` is ((top, bottom), (left, right)); the arguments are validated by
    :func:`conv2d`."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[np.newaxis]
        dtype = np.result_type(x, weight) if bias is None else np.result_type(x, weight, bias)
        N, C_in, H, W = x.shape
        C_out, C_in_g, kH, kW = weight.shape
        x_pad = _pad(x, padding, 0)                                   # (N, C_in, Hp, Wp)
        Hp, Wp = x_pad.shape[2:]
        (s_h, s_w), (d_h, d_w) = stride, dilation
        H_out = (Hp - d_h * (kH - 1) - 1) // s_h + 1
        W_out = (Wp - d_w * (kW - 1) - 1) // s_w + 1
        K, P = C_in_g * kH * kW, N * H_out * W_out

        cols = _im2col(x_pad, kH, kW, stride, dilation, H_out, W_out)
        X_col = cols.astype(dtype, copy=False).reshape(groups, K, P)          # (g, K, P)
        W_mat = weight.astype(dtype, copy=False).reshape(groups, C_out // groups, K)
        if groups == 1:
            y = W_mat[0] @ X_col[0]                                            # (C_out, P)
        else:
            y = np.matmul(W_mat, X_col)                                        # (g, C_out/g, P)
        y = y.reshape(C_out, N, H_out, W_out)
        if bias is not None:
            y += bias.astype(dtype, copy=False)[:, None, None, None]

        need_x, need_w = ctx.needs_input_grad[:2]
        ctx.save_for_backward(X_col if need_w else None, W_mat if need_x else None)
        ctx.geometry = (x.shape, x_pad.shape, padding, stride, dilation, kH, kW, groups)
        y = y.transpose(1, 0, 2, 3)                                # (N, C_out, H_out, W_out)
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, dy):
        X_col, W_mat = ctx.saved_tensors
        x_shape, xp_shape, ((top, _), (left, _)), stride, dilation, kH, kW, groups = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if ctx.unbatched:
            dy = dy[np.newaxis]
        N, C_out, H_out, W_out = dy.shape
        dY = dy.transpose(1, 0, 2, 3).reshape(groups, C_out // groups, -1)    # (g, C_out/g, P)

        db = dY.sum(axis=-1).reshape(C_out) if need_b else None
        dw = dx = None
        if need_w:                                                  # ∂L/∂W_mat = Ȳ X_colᵀ
            # computed as its transpose X_col Ȳᵀ (K, C_out/g): the same GEMM, in the
            # orientation multi-threaded OpenBLAS handled far better (measured) for this
            # long contraction over P
            dw_T = np.matmul(X_col, dY.swapaxes(-1, -2))            # (g, K, C_out/g)
            C_in_g = X_col.shape[1] // (kH * kW)
            dw = dw_T.swapaxes(-1, -2).reshape(C_out, C_in_g, kH, kW)
        if need_x:                                                  # ∂L/∂X_col = W_matᵀ Ȳ
            W_T = np.ascontiguousarray(W_mat.swapaxes(-1, -2))      # (g, K, C_out/g), small
            d_cols = np.matmul(W_T, dY)                             # (g, K, P)
            C_in, H, W = x_shape[1:]
            d_cols = d_cols.reshape(C_in, kH, kW, N, H_out, W_out)
            # col2im: every offset (p, q) adds back into the slice it read from.
            dx_pad = np.zeros((C_in, N) + xp_shape[2:], dtype=d_cols.dtype)    # (C_in, N, Hp, Wp)
            for p, q, rows, cols in _offset_slices(kH, kW, stride, dilation, H_out, W_out):
                dx_pad[:, :, rows, cols] += d_cols[:, p, q]
            dx = dx_pad[:, :, top:top + H, left:left + W].transpose(1, 0, 2, 3)
            if ctx.unbatched:
                dx = dx[0]
        return dx, dw, db, None, None, None, None


# ---------------------------------------------------------------------- public function
def _conv_padding(padding, kernel, stride, dilation):
    """``padding`` as ((top, bottom), (left, right)); "valid" is 0, "same" keeps the size
    (as PyTorch: total d·(k − 1), the odd one extra at the bottom/right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"conv2d: padding='same' is not supported for strided "
                                 f"convolutions, got stride={stride}")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"conv2d: padding must be an int, a pair of ints, 'valid' or 'same', "
                         f"got {padding!r}")
    p_h, p_w = _pair(padding, "conv2d", "padding")
    if min(p_h, p_w) < 0:
        raise ValueError(f"conv2d: padding must be >= 0, got padding={padding!r}")
    return (p_h, p_h), (p_w, p_w)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""2-D convolution (cross-correlation, as in PyTorch) over a batch of images.

    The formula, with ``x_pad`` the input padded with zeros (p_h rows above and below,
    p_w columns left and right), stride (s_h, s_w), dilation (d_h, d_w), and output
    channel o seeing only the C_in/groups input channels of its group g::

        y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q x_pad[n, g·C_in/groups + c, i·s_h + p·d_h, j·s_w + q·d_w] · w[o, c, p, q]

        g = o // (C_out/groups),  c = 0 .. C_in/groups − 1,  p = 0 .. kH − 1,  q = 0 .. kW − 1

    With one channel, no padding, stride or dilation this is the article's
    ``y(x, y) = Σ_i Σ_j x(x + i, y + j)·w(i, j)``; the kernel is not flipped.

    Gradient: the op is linear in each argument, so there are no kinks.
    ``∂L/∂b[o] = Σ_{n,i,j} ȳ[n, o, i, j]``;
    ``∂L/∂w[o, c, p, q] = Σ_{n,i,j} ȳ[n, o, i, j] · x_pad[n, g·C_in/groups + c, i·s_h + p·d_h, j·s_w + q·d_w]``;
    ``∂L/∂x_pad[n, g·C_in/groups + c, r, t] = Σ ȳ[n, o, i, j] · w[o, c, p, q]`` over every
    (o in group g, i, j, p, q) with ``i·s_h + p·d_h = r`` and ``j·s_w + q·d_w = t``
    (overlapping windows add up); ∂L/∂x is that without the padding.

    Args:
        input: (N, C_in, H, W), or unbatched (C_in, H, W).
        weight: (C_out, C_in/groups, kH, kW).
        bias: (C_out,) or None.
        stride: an int or a pair (s_h, s_w), >= 1.
        padding: an int or a pair (p_h, p_w), >= 0; or ``"valid"`` (no padding) or
            ``"same"`` (stride 1 only: output size = input size, padding d·(k − 1) in
            total, the odd row/column at the bottom/right, as PyTorch).
        dilation: an int or a pair (d_h, d_w), >= 1: the spacing of the kernel taps.
        groups: split input and output channels into this many groups; both C_in and
            C_out must be divisible by it.

    Returns:
        (N, C_out, H_out, W_out), or (C_out, H_out, W_out) for an unbatched input, with ::

            H_out = floor((H + 2·p_h − d_h·(kH − 1) − 1) / s_h) + 1
            W_out = floor((W + 2·p_w − d_w·(kW − 1) − 1) / s_w) + 1

    Raises:
        TypeError: an argument that is not a Tensor, or a hyper-parameter that is not an
            int (or a pair of ints).
        ValueError: wrong ranks; channels that do not match the weight or are not
            divisible by ``groups``; stride or dilation < 1; negative padding; a bias
            that is not (C_out,); a (dilated) kernel larger than the padded input.

    Example:
        >>> import numpy as np, minidl as md, minidl.functional as F
        >>> x = md.tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3))    # rows 1 2 3 | 4 5 6 | 7 8 9
        >>> w = md.tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
        >>> F.conv2d(x, w).data[0, 0]                     # 1·1 + 2·2 + 4·3 + 5·4 = 37, ...
        array([[37., 47.],
               [67., 77.]])
    """
    op = "conv2d"
    _check_tensor(input, op, "input")
    _check_tensor(weight, op, "weight")
    if bias is not None:
        _check_tensor(bias, op, "bias")
    if input.ndim not in (3, 4):
        raise ValueError(f"conv2d: input must be (N, C_in, H, W) or (C_in, H, W), got shape "
                         f"{input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be (C_out, C_in/groups, kH, kW), got shape "
                         f"{weight.shape}")
    if not _is_int(groups):
        raise TypeError(f"conv2d: groups must be an int, got {groups!r}")
    s = _pair(stride, op, "stride")
    d = _pair(dilation, op, "dilation")
    if min(s) < 1:
        raise ValueError(f"conv2d: stride must be >= 1, got stride={stride!r}")
    if min(d) < 1:
        raise ValueError(f"conv2d: dilation must be >= 1, got dilation={dilation!r}")
    if groups < 1:
        raise ValueError(f"conv2d: groups must be >= 1, got groups={groups}")

    C_in, H, W = input.shape[-3:]
    C_out, C_in_g, kH, kW = weight.shape
    shapes = f"input shape {input.shape}, weight shape {weight.shape}"
    if min(C_out, C_in_g, kH, kW) < 1:
        raise ValueError(f"conv2d: weight must have no empty axis, got shape {weight.shape}")
    if C_in % groups:
        raise ValueError(f"conv2d: input channels ({C_in}) must be divisible by "
                         f"groups={groups}; {shapes}")
    if C_out % groups:
        raise ValueError(f"conv2d: weight's output channels C_out={C_out} must be divisible "
                         f"by groups={groups}; {shapes}")
    if C_in != C_in_g * groups:
        raise ValueError(f"conv2d: input has {C_in} channels but weight expects "
                         f"{C_in_g * groups} (groups={groups}); {shapes}")
    if bias is not None and bias.shape != (C_out,):
        raise ValueError(f"conv2d: bias must be (C_out,) = ({C_out},) to match weight shape "
                         f"{weight.shape}, got shape {bias.shape}")
    pads = _conv_padding(padding, (kH, kW), s, d)
    Hp, Wp = H + sum(pads[0]), W + sum(pads[1])
    span_h, span_w = d[0] * (kH - 1) + 1, d[1] * (kW - 1) + 1
    if span_h > Hp or span_w > Wp:
        raise ValueError(f"conv2d: kernel ({span_h} x {span_w} with dilation {d}) is larger "
                         f"than the padded input ({Hp} x {Wp}), so the output would be "
                         f"empty; {shapes}, padding {padding!r}")
    if input.ndim == 4 and input.shape[0] == 0:
        raise ValueError(f"conv2d: the batch is empty (N = 0), so the output would be "
                         f"empty; {shapes}")
    return Conv2d.apply(input, weight, bias, s, pads, d, int(groups))
