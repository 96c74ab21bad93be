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

from .. import parallel
from ..arguments import check_tensor, is_int, pair
from ..autograd.function import Function

__all__ = ["conv2d"]


# ---------------------------------------------------------------------- shared helpers
# (also used by pooling.py)
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


# ---------------------------------------------------------------------- threads
# The copies (im2col, the transposed ȳ) and col2im's additions are memory-bound and
# NumPy runs them on one core; large ones are split over the batch axis n, whose slices
# are independent, with minidl.parallel (the GEMMs are threaded by the BLAS itself).
_SPLIT = 1 << 16            # elements: smaller arrays are done in one go


def _over_batch(body, N, size):
    """``body(lo, hi)`` for batch elements lo .. hi − 1: in one go when ``size`` (the
    elements the step touches) is small, else split over threads."""
    if size < _SPLIT:
        body(0, N)
    else:
        parallel.for_blocks(N, body, block=-(-N // parallel.get_num_threads()))


def _copy(dst, src, n_axis):
    """``dst[...] = src`` (the same shape), split along the batch axis ``n_axis``."""
    def body(lo, hi):
        index = (slice(None),) * n_axis + (slice(lo, hi),)
        np.copyto(dst[index], src[index])
    _over_batch(body, dst.shape[n_axis], dst.size)
    return dst


# ---------------------------------------------------------------------- the primitive
def _im2col(x_pad, kH, kW, stride, dilation, H_out, W_out, dtype):
    """All windows of ``x_pad`` (N, C_in, Hp, Wp) as one contiguous array
    (C_in, kH, kW, N, H_out, W_out): ``cols[c, p, q, n, i, j] = x_pad[n, c, i·s_h + p·d_h,
    j·s_w + q·d_w]``. Built from a strided view (no copy) and copied once (as ``dtype``)."""
    N, C_in = x_pad.shape[:2]
    sN, sC, sH, sW = x_pad.strides
    (s_h, s_w), (d_h, d_w) = stride, dilation
    shape = (C_in, kH, kW, N, H_out, W_out)
    windows = as_strided(x_pad, shape, (sC, sH * d_h, sW * d_w, sN, sH * s_h, sW * s_w),
                         writeable=False)
    return _copy(np.empty(shape, dtype), windows, n_axis=3)


def _dy_matrix(dy, groups):
    """Ȳ: the upstream gradient (N, C_out, H_out, W_out) as (g, C_out/g, P), P = N·H_out·W_out
    (one transposing copy)."""
    N, C_out, H_out, W_out = dy.shape
    dY = np.empty((C_out, N, H_out, W_out), dy.dtype)
    _copy(dY, dy.transpose(1, 0, 2, 3), n_axis=1)
    return dY.reshape(groups, C_out // groups, -1)


def _out_hw(xp_hw, kernel, stride, dilation):
    (Hp, Wp), (kH, kW), (s_h, s_w), (d_h, d_w) = xp_hw, kernel, stride, dilation
    return (Hp - d_h * (kH - 1) - 1) // s_h + 1, (Wp - d_w * (kW - 1) - 1) // s_w + 1


def _cols(x, kH, kW, stride, padding, dilation, groups, dtype):
    """X_col (g, K, P) of a batched x (N, C_in, H, W), and the output size."""
    x_pad = _pad(x, padding, 0)                                       # (N, C_in, Hp, Wp)
    H_out, W_out = _out_hw(x_pad.shape[2:], (kH, kW), stride, dilation)
    cols = _im2col(x_pad, kH, kW, stride, dilation, H_out, W_out, dtype)
    C_in_g = x.shape[1] // groups
    return cols.reshape(groups, C_in_g * kH * kW, -1), (H_out, W_out)


class Conv2d(Function):
    """conv2d on arrays: x (N, C_in, H, W) or (C_in, H, W), weight, bias or None.

    ``padding`` is ((top, bottom), (left, right)); the arguments are validated by
    :func:`conv2d`. The backward is two more convolutions, each a primitive of this
    file: ∂L/∂x = :class:`ConvInputGrad` (ȳ, w) and ∂L/∂w = :class:`ConvWeightGrad` (x, ȳ);
    the three are linear in each argument, and each one's backward is made of the other
    two, so gradients of any order stay within them."""

    on_arrays = True

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.unbatched = x.ndim == 3
        xb = x[np.newaxis] if ctx.unbatched else x
        dtype = np.result_type(x, weight) if bias is None else np.result_type(x, weight, bias)
        N = xb.shape[0]
        C_out, C_in_g, kH, kW = weight.shape
        X_col, (H_out, W_out) = _cols(xb, kH, kW, stride, padding, dilation, groups, dtype)
        W_mat = weight.astype(dtype, copy=False).reshape(groups, C_out // groups, -1)
        if groups == 1:
            y = W_mat[0] @ X_col[0]                                            # (C_out, P)
        else:
            y = np.matmul(W_mat, X_col)                                        # (g, C_out/g, P)
        y = y.reshape(C_out, N, H_out, W_out)
        if bias is not None:
            y += bias.astype(dtype, copy=False)[:, None, None, None]
        ctx.save_for_backward(x, weight)
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.cols = X_col if ctx.needs_input_grad[1] else None   # reused by ∂L/∂w
        y = y.transpose(1, 0, 2, 3)                                # (N, C_out, H_out, W_out)
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx, dy):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        geometry = ctx.geometry
        if ctx.unbatched:
            dy = dy.reshape((1,) + tuple(dy.shape))
            x = x.reshape((1,) + tuple(x.shape))
        dx = dw = db = None
        # Ȳ as (g, C_out/g, P), made once for both GEMMs (in an ordinary backward pass)
        dY = None if ctx._graph or not (need_w or need_x) else _dy_matrix(dy, geometry[3])
        if need_b:
            db = (dy.sum(axis=(0, 2, 3)) if dY is None                  # ∂L/∂b = Σ_{n,i,j} ȳ
                  else dY.sum(axis=2).reshape(-1))
        if need_w:
            dw = ConvWeightGrad.call(x, dy, tuple(weight.shape), *geometry,
                                     cols=None if ctx._graph else ctx.cols, dY=dY)
        if need_x:
            dx = ConvInputGrad.call(dy, weight, tuple(x.shape), *geometry, dY=dY)
            if ctx.unbatched:
                dx = dx.reshape(tuple(dx.shape[1:]))
        ctx.cols = None
        return dx, dw, db, None, None, None, None


class ConvInputGrad(Function):
    """∂L/∂x of conv2d: ``W_matᵀ Ȳ`` (one GEMM), then col2im: every kernel offset (p, q)
    adds its slice back where it was read from (overlapping windows add up)."""

    on_arrays = True

    @staticmethod
    def forward(ctx, dy, weight, x_shape, stride, padding, dilation, groups, dY=None):
        ctx.save_for_backward(dy, weight)
        ctx.geometry = (stride, padding, dilation, groups)
        N, C_out, H_out, W_out = dy.shape
        _, C_in_g, kH, kW = weight.shape
        C_in, H, W = x_shape[1:]
        ((top, bottom), (left, right)) = padding
        dtype = np.result_type(dy, weight)
        if dY is None:
            dY = _dy_matrix(dy, groups)                                    # (g, C_out/g, P)
        W_T = np.ascontiguousarray(
            weight.astype(dtype, copy=False).reshape(groups, C_out // groups, -1).swapaxes(-1, -2))
        d_cols = np.matmul(W_T, dY).reshape(C_in, kH, kW, N, H_out, W_out)  # ∂L/∂X_col
        xp_shape = (H + top + bottom, W + left + right)
        dx_pad = np.zeros((C_in, N) + xp_shape, dtype=dtype)               # (C_in, N, Hp, Wp)
        offsets = _offset_slices(kH, kW, stride, dilation, H_out, W_out)

        def col2im(lo, hi):                                  # batch elements lo .. hi − 1
            dx_n = dx_pad[:, lo:hi]
            for p, q, rows, cols in offsets:
                dx_n[:, :, rows, cols] += d_cols[:, p, q, lo:hi]
        _over_batch(col2im, N, d_cols.size)
        return dx_pad[:, :, top:top + H, left:left + W].transpose(1, 0, 2, 3)

    @staticmethod
    def backward(ctx, ddx):
        dy, weight = ctx.saved_tensors
        need_dy, need_w = ctx.needs_input_grad[:2]
        d_dy = Conv2d.call(ddx, weight, None, *ctx.geometry) if need_dy else None
        d_w = ConvWeightGrad.call(ddx, dy, tuple(weight.shape), *ctx.geometry) if need_w else None
        return d_dy, d_w, None, None, None, None, None, None


class ConvWeightGrad(Function):
    """∂L/∂w of conv2d: ``Ȳ X_colᵀ``, computed as its transpose ``X_col Ȳᵀ`` (the same
    GEMM, in the orientation multi-threaded OpenBLAS handles far better for this long
    contraction over P)."""

    on_arrays = True

    @staticmethod
    def forward(ctx, x, dy, w_shape, stride, padding, dilation, groups, cols=None, dY=None):
        ctx.save_for_backward(x, dy)
        ctx.geometry = (stride, padding, dilation, groups)
        C_out, C_in_g, kH, kW = w_shape
        dtype = np.result_type(x, dy)
        if cols is None:
            cols, _ = _cols(x, kH, kW, stride, padding, dilation, groups, dtype)
        if dY is None:
            dY = _dy_matrix(dy, groups)                                    # (g, C_out/g, P)
        dw_T = np.matmul(cols, dY.swapaxes(-1, -2))                         # (g, K, C_out/g)
        return dw_T.swapaxes(-1, -2).reshape(w_shape)

    @staticmethod
    def backward(ctx, ddw):
        x, dy = ctx.saved_tensors
        need_x, need_dy = ctx.needs_input_grad[:2]
        d_x = ConvInputGrad.call(dy, ddw, tuple(x.shape), *ctx.geometry) if need_x else None
        d_dy = Conv2d.call(x, ddw, None, *ctx.geometry) if need_dy else None
        return d_x, d_dy, None, None, None, None, None, None, None


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
    p_h, p_w = pair(padding, "conv2d", "padding")
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
        >>> F.conv2d(x, w).numpy()[0, 0]                     # 1·1 + 2·2 + 4·3 + 5·4 = 37, ...
        array([[37., 47.],
               [67., 77.]])
    """
    op = "conv2d"
    check_tensor(input, op, "input")
    check_tensor(weight, op, "weight")
    if bias is not None:
        check_tensor(bias, op, "bias")
    if input.ndim not in (3, 4):
        raise ValueError(f"conv2d: input must be (N, C_in, H, W) or (C_in, H, W), got shape "
                         f"{input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be (C_out, C_in/groups, kH, kW), got shape "
                         f"{weight.shape}")
    if not is_int(groups):
        raise TypeError(f"conv2d: groups must be an int, got {groups!r}")
    s = pair(stride, op, "stride")
    d = pair(dilation, op, "dilation")
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
