r"""``conv1d``, ``conv_transpose2d`` and ``conv_transpose1d``: composites over the 2-D
convolution primitives of ``minidl/ops/conv.py``.

- ``conv1d`` is ``conv2d`` on a signal seen as an image one row high: (N, C, L) becomes
  (N, C, 1, L) and the kernel (C_out, C_in/groups, k) becomes (C_out, C_in/groups, 1, k).
- ``conv_transpose2d`` **is the input-gradient of conv2d**. A convolution y = conv2d(x, w)
  is linear in x, y = A x; its transpose Aᵀ maps an output-sized ȳ back to an input-sized
  x̄, and that is exactly ∂L/∂x = Aᵀ ȳ, which the backward of conv2d already computes
  (``ConvInputGrad``: one GEMM, then col2im). So a "transposed convolution" (sometimes
  wrongly called a deconvolution) is the backward pass of a convolution used as a forward
  pass: each input pixel scatters a copy of the kernel, scaled by its value, into the
  output, at stride s. Its gradients are a convolution (for the input) and the weight
  gradient of a convolution (for the kernel), so gradients of any order stay within the
  three primitives.
- ``conv_transpose1d`` is ``conv_transpose2d`` one row high.
- ``unfold`` (im2col) gathers every sliding block into a column; ``fold`` (col2im), its
  adjoint, sums blocks back into an image: a transposed convolution with one-hot kernels.

Shapes legend: N batch, C_in/C_out channels, L length, H/W height and width, k kernel.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..arguments import check_tensor, is_int
from ..ops.conv import ConvInputGrad, conv2d
from ..tensor import Tensor as _Tensor
from .padding import pad

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["conv1d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _ints(value, n, op, name):
    """An int or an n-tuple of ints as an n-tuple (PyTorch's ``_single``/``_pair``)."""
    if is_int(value):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(is_int(v) for v in value):
        return tuple(int(v) for v in value)
    kind = "an int" if n == 1 else f"an int or a tuple of {n} ints"
    raise TypeError(f"{op}: {name} must be {kind}, got {value!r}")


def _check_common(op, input, weight, bias, ranks, weight_rank, weight_desc, groups):
    check_tensor(input, op, "input")
    check_tensor(weight, op, "weight")
    if bias is not None:
        check_tensor(bias, op, "bias")
    if input.ndim not in ranks:
        batched, unbatched = ranks[1], ranks[0]
        desc = "(N, C_in, L) or (C_in, L)" if batched == 3 else "(N, C_in, H, W) or (C_in, H, W)"
        raise ValueError(f"{op}: input must be {desc} ({batched}-D or {unbatched}-D), got shape "
                         f"{input.shape}")
    if weight.ndim != weight_rank:
        raise ValueError(f"{op}: weight must be {weight_desc}, got shape {weight.shape}")
    if not is_int(groups):
        raise TypeError(f"{op}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{op}: groups must be >= 1, got groups={groups}")
    if min(weight.shape) < 1:
        raise ValueError(f"{op}: weight must have no empty axis, got shape {weight.shape}")


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] | str = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
) -> Tensor:
    r"""1-D convolution (cross-correlation, as in PyTorch) over a batch of signals.

    With ``x_pad`` the input padded with p zeros at each end, stride s, dilation d and
    output channel o seeing the C_in/groups input channels of its group g::

        y[n, o, i] = b[o] + Σ_c Σ_q x_pad[n, g·C_in/groups + c, i·s + q·d] · w[o, c, q]

    computed as :func:`~minidl.functional.conv2d` on (N, C_in, 1, L) with a (1, k) kernel.

    Gradient: linear in each argument (no kinks): ∂L/∂b[o] = Σ_{n,i} ȳ[n, o, i], ∂L/∂w and
    ∂L/∂x as for conv2d with one row.

    Args:
        input: (N, C_in, L), or unbatched (C_in, L).
        weight: (C_out, C_in/groups, k).
        bias: (C_out,) or None.
        stride: an int (or a 1-tuple), >= 1.
        padding: an int (or a 1-tuple) >= 0, or ``"valid"`` or ``"same"`` (stride 1 only;
            the odd padding element at the end, as PyTorch).
        dilation: an int (or a 1-tuple), >= 1.
        groups: C_in and C_out must be divisible by it.

    Returns:
        (N, C_out, L_out) or (C_out, L_out), ``L_out = floor((L + 2p − d(k − 1) − 1) / s) + 1``.

    Raises:
        TypeError: a non-Tensor argument, or a hyper-parameter that is not an int.
        ValueError: wrong ranks, channels that do not match, a bias that is not (C_out,),
            out-of-range hyper-parameters, a kernel longer than the padded input.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[[1.0, 2.0, 3.0, 4.0]]]))
    >>> F.conv1d(x, md.tensor(np.array([[[1.0, -1.0]]])))
    tensor([[[-1., -1., -1.]]], dtype=float64)
    """
    op = "conv1d"
    _check_common(op, input, weight, bias, (2, 3), 3, "(C_out, C_in/groups, k)", groups)
    s = _ints(stride, 1, op, "stride")
    d = _ints(dilation, 1, op, "dilation")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be an int, 'valid' or 'same', got {padding!r}")
        if padding == "same" and s != (1,):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions, "
                             f"got stride={stride!r}")
        pad2: str | tuple[int, int] = padding
        p_total = 0 if padding == "valid" else d[0] * (weight.shape[-1] - 1)
    else:
        (p,) = _ints(padding, 1, op, "padding")
        if p < 0:
            raise ValueError(f"{op}: padding must be >= 0, got padding={padding!r}")
        pad2, p_total = (0, p), 2 * p
    if s[0] < 1 or d[0] < 1:
        raise ValueError(f"{op}: stride and dilation must be >= 1, got stride={stride!r}, "
                         f"dilation={dilation!r}")
    C_in, L = input.shape[-2:]
    C_out, C_in_g, k = weight.shape
    shapes = f"input shape {input.shape}, weight shape {weight.shape}"
    if C_in % groups or C_out % groups or C_in != C_in_g * groups:
        raise ValueError(f"{op}: input has {C_in} channels but weight expects {C_in_g * groups} "
                         f"and C_out={C_out} (groups={groups}; both must be divisible by "
                         f"groups); {shapes}")
    if bias is not None and bias.shape != (C_out,):
        raise ValueError(f"{op}: bias must be (C_out,) = ({C_out},), got shape {bias.shape}")
    if d[0] * (k - 1) + 1 > L + p_total:
        raise ValueError(f"{op}: kernel (length {d[0] * (k - 1) + 1} with dilation {d[0]}) is "
                         f"longer than the padded input ({L + p_total}); {shapes}, padding "
                         f"{padding!r}")
    if input.ndim == 3 and input.shape[0] == 0:
        raise ValueError(f"{op}: the batch is empty (N = 0); {shapes}")
    y = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1,) + s, pad2, (1,) + d,
               int(groups))                                       # (N, C_out, 1, L_out)
    return y.squeeze(-2)


def _transpose_geometry(op, input, weight, stride, padding, output_padding, dilation, groups, n):
    """Checked (stride, padding, output_padding, dilation) n-tuples and the output size."""
    s = _ints(stride, n, op, "stride")
    p = _ints(padding, n, op, "padding")
    op_ = _ints(output_padding, n, op, "output_padding")
    d = _ints(dilation, n, op, "dilation")
    if min(s) < 1 or min(d) < 1:
        raise ValueError(f"{op}: stride and dilation must be >= 1, got stride={stride!r}, "
                         f"dilation={dilation!r}")
    if min(p) < 0 or min(op_) < 0:
        raise ValueError(f"{op}: padding and output_padding must be >= 0, got "
                         f"padding={padding!r}, output_padding={output_padding!r}")
    for a, b, c in zip(op_, s, d):
        if a >= b and a >= c:
            raise ValueError(f"{op}: output_padding must be smaller than either stride or "
                             f"dilation, got output_padding={output_padding!r}, "
                             f"stride={stride!r}, dilation={dilation!r}")
    C_in = input.shape[-1 - n]
    C_in_w, C_out_g = weight.shape[:2]
    shapes = f"input shape {input.shape}, weight shape {weight.shape}"
    if C_in != C_in_w:
        raise ValueError(f"{op}: input has {C_in} channels but weight (C_in, C_out/groups, ...) "
                         f"expects {C_in_w}; {shapes}")
    if C_in % groups:
        raise ValueError(f"{op}: input channels ({C_in}) must be divisible by groups={groups}; "
                         f"{shapes}")
    sizes = input.shape[-n:]
    kernel = weight.shape[2:]
    out = tuple((size - 1) * si - 2 * pi + di * (ki - 1) + oi + 1
                for size, si, pi, di, ki, oi in zip(sizes, s, p, d, kernel, op_))
    if min(out) < 1:
        raise ValueError(f"{op}: output would be empty (size {out}); {shapes}, stride {s}, "
                         f"padding {p}, dilation {d}, output_padding {op_}")
    if input.ndim == n + 2 and input.shape[0] == 0:
        raise ValueError(f"{op}: the batch is empty (N = 0); {shapes}")
    return s, p, op_, d, out


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, ...] = 0,
    groups: int = 1,
    dilation: int | tuple[int, ...] = 1,
) -> Tensor:
    r"""2-D transposed convolution: the input-gradient of :func:`conv2d` used as a layer.

    Each input pixel x[n, c, i, j] adds the kernel w[c, o, :, :], scaled by its value, into
    the output at stride s, dilation d; then p rows/columns are cut from each border::

        y_full[n, g·C_out/groups + o, i·s_h + p·d_h, j·s_w + q·d_w] += x[n, c, i, j] · w[c, o, p, q]
        y = y_full[..., p_h : p_h + H_out, p_w : p_w + W_out] + b

    (c in group g; output_padding adds rows/columns at the bottom/right that no input
    reaches, only the bias.) This is exactly ∂L/∂x of ``conv2d(·, w)`` with ȳ = x, which is
    how it is computed: ``ConvInputGrad`` of ``minidl/ops/conv.py`` (one GEMM, then col2im).

    Gradient: linear in each argument (no kinks). ∂L/∂x = conv2d(ȳ, w) (the forward
    convolution, same stride, padding, dilation, groups); ∂L/∂w = the weight gradient of
    that convolution; ∂L/∂b[o] = Σ_{n,i,j} ȳ[n, o, i, j].

    Args:
        input: (N, C_in, H, W), or unbatched (C_in, H, W).
        weight: (C_in, C_out/groups, kH, kW) (note: C_in first, as PyTorch).
        bias: (C_out,) or None.
        stride: an int or a pair, >= 1.
        padding: an int or a pair, >= 0: d·(k − 1) − padding zeros are implicitly added to
            each side of the input (so conv2d and conv_transpose2d with the same arguments
            invert each other's shapes).
        output_padding: an int or a pair, smaller than stride or dilation: extra size on
            one side of the output (to choose among the input sizes a strided conv2d maps
            to the same output size).
        groups: C_in and C_out must be divisible by it.
        dilation: an int or a pair, >= 1.

    Returns:
        (N, C_out, H_out, W_out) or (C_out, H_out, W_out), with ::

            H_out = (H − 1)·s_h − 2·p_h + d_h·(kH − 1) + output_padding_h + 1

    Raises:
        TypeError: a non-Tensor argument or a hyper-parameter that is not an int or pair.
        ValueError: wrong ranks, channels that do not match the weight, a bias that is not
            (C_out,), out-of-range hyper-parameters, an empty output.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[[[1.0, 2.0]]]]))               # (1, 1, 1, 2)
    >>> w = md.tensor(np.array([[[[1.0, 10.0]]]]))              # (1, 1, 1, 2)
    >>> F.conv_transpose2d(x, w, stride=2)                      # each pixel stamps the kernel
    tensor([[[[ 1., 10.,  2., 20.]]]], dtype=float64)
    """
    op = "conv_transpose2d"
    _check_common(op, input, weight, bias, (3, 4), 4, "(C_in, C_out/groups, kH, kW)", groups)
    s, p, op_, d, (H_out, W_out) = _transpose_geometry(op, input, weight, stride, padding,
                                                     output_padding, dilation, groups, 2)
    C_out = weight.shape[1] * groups
    if bias is not None and bias.shape != (C_out,):
        raise ValueError(f"{op}: bias must be (C_out,) = ({C_out},) for weight shape "
                         f"{weight.shape} and groups={groups}, got shape {bias.shape}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input                       # (N, C_in, H, W)
    # output_padding o adds o rows at the bottom: the first min(o, p) of them are rows the
    # bottom crop would have removed (padding p − e there), the rest lie past every stamped
    # kernel and are zeros. So conv2d's geometry (input H_out − o + e, padding (p, p − e))
    # maps back to exactly H, as ConvInputGrad needs.
    e = (min(op_[0], p[0]), min(op_[1], p[1]))
    x_shape = (x.shape[0], C_out, H_out - op_[0] + e[0], W_out - op_[1] + e[1])
    pads = ((p[0], p[0] - e[0]), (p[1], p[1] - e[1]))
    y = ConvInputGrad.apply(x, weight, x_shape, s, pads, d, int(groups))
    if x_shape[2:] != (H_out, W_out):
        y = pad(y, (0, W_out - x_shape[3], 0, H_out - x_shape[2]))      # the zero rows/columns
    if bias is not None:
        y = y + bias.reshape(1, C_out, 1, 1)
    return y[0] if unbatched else y


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, ...] = 0,
    groups: int = 1,
    dilation: int | tuple[int, ...] = 1,
) -> Tensor:
    r"""1-D transposed convolution: :func:`conv_transpose2d` on a signal one row high.

    ``y_full[n, g·C_out/groups + o, i·s + q·d] += x[n, c, i] · w[c, o, q]``, then p elements
    cut from each end, plus the bias; the input-gradient of :func:`conv1d`.

    Args:
        input: (N, C_in, L) or (C_in, L).
        weight: (C_in, C_out/groups, k).
        bias: (C_out,) or None.
        stride, padding, output_padding, dilation: ints (or 1-tuples), as for
            :func:`conv_transpose2d`.
        groups: C_in and C_out must be divisible by it.

    Returns:
        (N, C_out, L_out) or (C_out, L_out), ``L_out = (L − 1)·s − 2p + d(k − 1) + output_padding + 1``.

    Raises:
        TypeError, ValueError: as :func:`conv_transpose2d`.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[[1.0, 2.0]]]))
    >>> F.conv_transpose1d(x, md.tensor(np.array([[[1.0, 1.0, 1.0]]])), stride=2)
    tensor([[[1., 1., 3., 2., 2.]]], dtype=float64)
    """
    op = "conv_transpose1d"
    _check_common(op, input, weight, bias, (2, 3), 3, "(C_in, C_out/groups, k)", groups)
    s, p, o, d, _ = _transpose_geometry(op, input, weight, stride, padding, output_padding,
                                        dilation, groups, 1)
    C_out = weight.shape[1] * groups
    if bias is not None and bias.shape != (C_out,):
        raise ValueError(f"{op}: bias must be (C_out,) = ({C_out},) for weight shape "
                         f"{weight.shape} and groups={groups}, got shape {bias.shape}")
    y = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1,) + s, (0,) + p,
                         (0,) + o, groups, (1,) + d)
    return y.squeeze(-2)


def _block_geometry(op, kernel_size, dilation, padding, stride):
    k = _ints(kernel_size, 2, op, "kernel_size")
    d = _ints(dilation, 2, op, "dilation")
    p = _ints(padding, 2, op, "padding")
    s = _ints(stride, 2, op, "stride")
    if min(k) < 1 or min(d) < 1 or min(s) < 1:
        raise ValueError(f"{op}: kernel_size, dilation and stride must be >= 1, got "
                         f"kernel_size={kernel_size!r}, dilation={dilation!r}, stride={stride!r}")
    if min(p) < 0:
        raise ValueError(f"{op}: padding must be >= 0, got padding={padding!r}")
    return k, d, p, s


def _blocks(op, size, k, d, p, s):
    """The number of sliding blocks along each axis: floor((n + 2p − d(k − 1) − 1)/s) + 1."""
    counts = tuple((n + 2 * pi - di * (ki - 1) - 1) // si + 1
                   for n, ki, di, pi, si in zip(size, k, d, p, s))
    if min(counts) < 1:
        raise ValueError(f"{op}: no sliding block fits: size {tuple(size)}, kernel_size {k}, "
                         f"dilation {d}, padding {p}, stride {s}")
    return counts


def unfold(
    input: Tensor,
    kernel_size: int | tuple[int, ...],
    dilation: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] = 0,
    stride: int | tuple[int, ...] = 1,
) -> Tensor:
    r"""Extract sliding blocks (im2col): column l of the output is the block at position
    l = i·L_w + j, flattened channel-major::

        out[n, (c·kH + p)·kW + q, i·L_w + j] = x_pad[n, c, i·s_h + p·d_h, j·s_w + q·d_w]

    A gather with index arrays; conv2d is ``W_mat @ unfold(x)`` (with W_mat the weight as
    (C_out, C_in·kH·kW)), the im2col of ``minidl/ops/conv.py``.

    Gradient: each block element's gradient goes back to the input element it copies;
    elements in several blocks add up (that is :func:`fold`).

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        kernel_size, dilation, padding, stride: ints or pairs.

    Returns:
        (N, C·kH·kW, L) or (C·kH·kW, L), L = L_h·L_w with
        ``L_h = floor((H + 2·p_h − d_h·(kH − 1) − 1) / s_h) + 1``.

    Raises:
        TypeError, ValueError: a non-Tensor input, a wrong rank, bad hyper-parameters, no
            block that fits.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.unfold(md.tensor(np.arange(6.0).reshape(1, 1, 2, 3)), 2)
    tensor([[[0., 1.],
             [1., 2.],
             [3., 4.],
             [4., 5.]]], dtype=float64)
    """
    op = "unfold"
    check_tensor(input, op, "input")
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {input.shape}")
    k, d, p, s = _block_geometry(op, kernel_size, dilation, padding, stride)
    L_h, L_w = _blocks(op, input.shape[-2:], k, d, p, s)
    x = pad(input, (p[1], p[1], p[0], p[0])) if max(p) else input      # (*, C, Hp, Wp)
    rows = np.arange(L_h)[None, :] * s[0] + np.arange(k[0])[:, None] * d[0]   # (kH, L_h)
    cols = np.arange(L_w)[None, :] * s[1] + np.arange(k[1])[:, None] * d[1]   # (kW, L_w)
    blocks = x[..., rows[:, None, :, None], cols[None, :, None, :]]    # (*, C, kH, kW, L_h, L_w)
    lead = input.shape[:-3]
    C = input.shape[-3]
    return blocks.reshape(*lead, C * k[0] * k[1], L_h * L_w)


def fold(
    input: Tensor,
    output_size: int | tuple[int, ...],
    kernel_size: int | tuple[int, ...],
    dilation: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] = 0,
    stride: int | tuple[int, ...] = 1,
) -> Tensor:
    r"""Sum sliding blocks back into an image (col2im), the adjoint of :func:`unfold`::

        y_pad[n, c, i·s_h + p·d_h, j·s_w + q·d_w] += x[n, (c·kH + p)·kW + q, i·L_w + j]

    then the padding is cut away; overlapping blocks add up. Computed as
    :func:`conv_transpose2d` of the blocks (N, C·kH·kW, L_h, L_w) with one-hot kernels
    (block element (p, q) stamps a 1 at offset (p, q)), one group per channel.

    Gradient: :func:`unfold` of ȳ (linear, no kinks).

    Args:
        input: (N, C·kH·kW, L) or (C·kH·kW, L).
        output_size: (H, W) (an int or a pair).
        kernel_size, dilation, padding, stride: ints or pairs.

    Returns:
        (N, C, H, W) or (C, H, W).

    Raises:
        TypeError, ValueError: a non-Tensor input, a wrong rank, channels not divisible by
            kH·kW, or L not the number of blocks that fit (H, W).

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.fold(md.ones(1, 4, 2), (2, 3), 2)                  # two 2×2 blocks overlap
    tensor([[[[1., 2., 1.],
              [1., 2., 1.]]]])
    """
    op = "fold"
    check_tensor(input, op, "input")
    if input.ndim not in (2, 3):
        raise ValueError(f"{op}: input must be (N, C·kH·kW, L) or (C·kH·kW, L), got shape "
                         f"{input.shape}")
    size = _ints(output_size, 2, op, "output_size")
    k, d, p, s = _block_geometry(op, kernel_size, dilation, padding, stride)
    K = k[0] * k[1]
    CK, L = input.shape[-2:]
    if CK % K:
        raise ValueError(f"{op}: expected size of input's dimension {input.ndim - 2} to be "
                         f"divisible by the product of kernel_size ({K}), got {CK}; input shape "
                         f"{input.shape}")
    L_h, L_w = _blocks(op, size, k, d, p, s)
    if L != L_h * L_w:
        raise ValueError(f"{op}: given output_size={size}, kernel_size={k}, dilation={d}, "
                         f"padding={p}, stride={s}, expected size of input's dimension "
                         f"{input.ndim - 1} to match the calculated number of sliding blocks "
                         f"{L_h} * {L_w} = {L_h * L_w}, but got {L}")
    C = CK // K
    one_hot = np.zeros((CK, 1) + k, dtype=input.dtype if input.dtype.kind == "f" else np.float64)
    for c in range(C):
        for kp in range(k[0]):
            for kq in range(k[1]):
                one_hot[(c * k[0] + kp) * k[1] + kq, 0, kp, kq] = 1.0
    x = input.reshape(*input.shape[:-1], L_h, L_w)                     # (*, C·K, L_h, L_w)
    extra = tuple(n - ((b - 1) * si - 2 * pi + di * (ki - 1) + 1)
                  for n, b, si, pi, di, ki in zip(size, (L_h, L_w), s, p, d, k))
    return conv_transpose2d(x, _Tensor(one_hot), None, s, p, extra, C, d)
