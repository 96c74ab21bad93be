r"""Resampling images: ``interpolate`` (``nn.Upsample``), ``pixel_shuffle``, ``pixel_unshuffle``.

Every mode of ``interpolate`` is **separable**: resampling an (N, C, H, W) image is
resampling each row, then each column. Along one axis of input size n and output size m,

- ``"nearest"`` / ``"nearest-exact"`` copy one source element per output element,
  ``src(i) = min(floor(i·scale), n − 1)`` / ``min(floor((i + ½)·scale), n − 1)``, a gather;
- ``"linear"`` (``"bilinear"``, ``"trilinear"``), ``"bicubic"`` and ``"area"`` are a
  linear map ``y = M x`` with M (m, n) a small interpolation matrix: row i holds the
  weights output i gives to its 2 (linear) or 4 (cubic) source neighbours, or the
  averaging window (area, which is adaptive average pooling).

so ``interpolate`` is a gather or a matrix product per spatial axis, and its gradient is
the transposed gather (scatter-add) or ``Mᵀ ȳ``: composites, differentiable to any order.
The source coordinate of output i is PyTorch's: with ``align_corners=True`` the corner
pixel centres are aligned, ``src = i·(n − 1)/(m − 1)``; otherwise pixel areas are,
``src = (i + ½)·scale − ½`` (clamped at 0 for linear), with ``scale = 1/scale_factor``
when a scale factor is given and ``n/m`` otherwise.

Shapes legend: N batch, C channels, L length, H/W height and width, r the upscale factor.
"""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np

from ..arguments import check_tensor, is_int
from ..tensor import Tensor, where
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

if TYPE_CHECKING:
    from typing import Any

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "affine_grid", "grid_sample"]

_MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 3, "bilinear": 4,
          "bicubic": 4, "trilinear": 5}
_CUBIC_A = -0.75                                            # PyTorch's bicubic coefficient


def _source_scale(n, m, align_corners, scale):
    """PyTorch's ``area_pixel_compute_scale``: the step in source coordinates per output."""
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n / m


def _linear_matrix(n, m, align_corners, scale, dtype):
    """M (m, n): y_i = (1 − λ) x_{i0} + λ x_{i1}, i0 = floor(src), i1 = min(i0 + 1, n − 1)."""
    step = _source_scale(n, m, align_corners, scale)
    M = np.zeros((m, n), dtype=np.float64)
    for i in range(m):
        src = step * i if align_corners else max(step * (i + 0.5) - 0.5, 0.0)
        i0 = min(int(src), n - 1)
        i1 = i0 + (1 if i0 < n - 1 else 0)
        lam = min(max(src - i0, 0.0), 1.0)
        M[i, i0] += 1.0 - lam
        M[i, i1] += lam
    return M.astype(dtype)


def _cubic_matrix(n, m, align_corners, scale, dtype):
    """M (m, n): the 4-tap cubic convolution (A = −0.75) at src, taps i0 − 1 .. i0 + 2
    clamped to the border (a clamped tap adds its weight to the edge element)."""
    A = _CUBIC_A
    step = _source_scale(n, m, align_corners, scale)

    def near(x):                                            # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):                                             # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    M = np.zeros((m, n), dtype=np.float64)
    for i in range(m):
        src = step * i if align_corners else step * (i + 0.5) - 0.5
        i0 = math.floor(src)
        t = src - i0
        for tap, w in zip(range(i0 - 1, i0 + 3), (far(t + 1), near(t), near(1 - t), far(2 - t))):
            M[i, min(max(tap, 0), n - 1)] += w
    return M.astype(dtype)


def _nearest_index(n, m, scale, exact, dtype):
    """PyTorch's nearest source index ``min(floor(i·step), n − 1)`` (``exact``:
    ``floor((i + ½)·step)``), with the step in the input's precision as PyTorch computes it
    (float32 for a float32 input)."""
    real = np.float64 if dtype == np.float64 else np.float32
    step = real(1.0 / scale) if scale is not None and scale > 0 else real(n) / real(m)
    i = np.arange(m, dtype=real)
    src = np.floor(((i + real(0.5)) if exact else i) * step).astype(np.int64)
    return np.minimum(src, n - 1)


def _along(x, axis, M):
    """Apply the matrix M (m, n) along ``axis`` of x: y[..., i, ...] = Σ_j M[i, j] x[..., j, ...]."""
    last = x.ndim - 1
    moved = x if axis == last else x.transpose(axis, last)
    y = moved @ Tensor(M).T
    return y if axis == last else y.transpose(axis, last)


def _sizes(op, input, size, scale_factor, k):
    """Output sizes and the scale factors passed on to the index computation."""
    in_sizes = input.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    if size is not None:
        sizes = (size,) * k if is_int(size) else size
        if not isinstance(sizes, (tuple, list)) or len(sizes) != k or not all(
                is_int(s) for s in sizes):
            raise ValueError(f"{op}: size must be an int or a tuple of {k} ints for a "
                             f"{input.ndim}-D input (shape {input.shape}), got {size!r}")
        sizes = tuple(int(s) for s in sizes)
        scales = (None,) * k
    else:
        scales = (scale_factor,) * k if isinstance(scale_factor, numbers.Real) else scale_factor
        if isinstance(scale_factor, bool) or not isinstance(scales, (tuple, list)) or len(
                scales) != k or not all(isinstance(s, numbers.Real) for s in scales):
            raise ValueError(f"{op}: scale_factor must be a number or a tuple of {k} numbers for "
                             f"a {input.ndim}-D input (shape {input.shape}), got "
                             f"{scale_factor!r}")
        scales = tuple(float(s) for s in scales)
        if min(scales) <= 0:
            raise ValueError(f"{op}: scale_factor must be > 0, got {scale_factor!r}")
        sizes = tuple(math.floor(float(n) * s) for n, s in zip(in_sizes, scales))
    if min(sizes) < 1:
        raise ValueError(f"{op}: the output size {sizes} would be empty (input shape "
                         f"{input.shape}, size={size!r}, scale_factor={scale_factor!r})")
    return sizes, scales


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    r"""Resize the spatial axes of ``input`` (PyTorch's ``F.interpolate``).

    Separable (module docstring): along each spatial axis of size n → m,

    - ``"nearest"``: ``y_i = x_{min(floor(i·scale), n − 1)}``; ``"nearest-exact"``:
      ``y_i = x_{min(floor((i + ½)·scale), n − 1)}``;
    - ``"linear"``/``"bilinear"``/``"trilinear"``: ``y_i = (1 − λ) x_{i0} + λ x_{i1}`` with
      ``src = i·(n − 1)/(m − 1)`` (``align_corners=True``) or ``max((i + ½)·scale − ½, 0)``,
      ``i0 = floor(src)``, ``i1 = min(i0 + 1, n − 1)``, ``λ = src − i0``;
    - ``"bicubic"``: the 4-tap cubic convolution with A = −0.75 around src (taps clamped
      to the border), as PyTorch (values may overshoot the input's range);
    - ``"area"``: adaptive average pooling to the output size.

    ``scale = 1/scale_factor`` when a scale factor is given (unless
    ``recompute_scale_factor=True``), else ``n/m``. As PyTorch, the linear modes leave an
    axis whose size does not change as it is (even when a scale factor such as 1.3 would
    otherwise shift the samples).

    Gradient: linear in the input, no kinks: nearest modes scatter-add ȳ back to the
    copied elements; the others send ``Mᵀ ȳ`` along each axis. (PyTorch's "nearest"
    backward kernel treats an output of size n or 2n as a copy or a doubling even when a
    ``scale_factor`` such as 1.3 or 2.1 made its forward copy other elements; there its
    gradient is not its forward's derivative. minidl's always is.)

    Args:
        input: (N, C, L), (N, C, H, W) or (N, C, D, H, W).
        size: an int or a tuple of output sizes (exactly one of size / scale_factor).
        scale_factor: a number or a tuple; output size ``floor(n · scale_factor)``.
        mode: ``"nearest"`` (default), ``"nearest-exact"``, ``"linear"`` (3-D input),
            ``"bilinear"``/``"bicubic"`` (4-D), ``"trilinear"`` (5-D), ``"area"`` (3-D/4-D).
        align_corners: only for the interpolating modes (default False).
        recompute_scale_factor: True computes the index scale from the sizes instead.
        antialias: only False is implemented.

    Returns:
        (N, C, *out_sizes).

    Raises:
        TypeError: ``input`` is not a Tensor.
        ValueError: both or neither of size / scale_factor, sizes of the wrong length, an
            empty output, an unknown mode, a mode that does not fit the input's rank,
            ``align_corners`` with a non-interpolating mode.
        NotImplementedError: ``antialias=True``, ``"area"`` on a 5-D input.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[[1.0, 2.0]]]))
    >>> F.interpolate(x, scale_factor=2)
    tensor([[[1., 1., 2., 2.]]], dtype=float64)
    >>> F.interpolate(x, size=4, mode="linear")
    tensor([[[1.  , 1.25, 1.75, 2.  ]]], dtype=float64)
    >>> F.interpolate(x, size=3, mode="linear", align_corners=True)
    tensor([[[1. , 1.5, 2. ]]], dtype=float64)
    """
    op = "interpolate"
    check_tensor(input, op, "input")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if input.ndim not in (3, 4, 5):
        raise ValueError(f"{op}: input must be (N, C, L), (N, C, H, W) or (N, C, D, H, W), got "
                         f"shape {input.shape}")
    rank = _MODES[mode]
    if rank is not None and input.ndim != rank:
        want = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}[rank]
        raise ValueError(f"{op}: mode {mode!r} needs a {rank}-D input {want}, got shape "
                         f"{input.shape}")
    interpolating = mode in ("linear", "bilinear", "bicubic", "trilinear")
    if align_corners is not None and not interpolating:
        raise ValueError(f"{op}: align_corners can only be set with the interpolating modes "
                         f"linear, bilinear, bicubic and trilinear, got mode={mode!r}")
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not implemented in minidl")
    align = bool(align_corners) if interpolating else False
    k = input.ndim - 2
    sizes, scales = _sizes(op, input, size, scale_factor, k)
    if recompute_scale_factor:
        scales = (None,) * k
    if min(input.shape[2:]) < 1:
        raise ValueError(f"{op}: input has an empty spatial axis (shape {input.shape})")

    if mode == "area":
        if k == 3:
            raise NotImplementedError(f"{op}: mode 'area' on a 5-D input is not implemented in "
                                      f"minidl")
        return (adaptive_avg_pool1d if k == 1 else adaptive_avg_pool2d)(input, sizes)
    y = input
    if mode in ("nearest", "nearest-exact"):
        for a, (n, m, s) in enumerate(zip(input.shape[2:], sizes, scales)):
            index = _nearest_index(n, m, s, mode == "nearest-exact", input.dtype)
            if not np.array_equal(index, np.arange(n)):
                y = y[(slice(None),) * (a + 2) + (index,)]          # gather along axis a + 2
        return y
    if input.dtype.kind != "f":
        raise ValueError(f"{op}: mode {mode!r} needs a floating input, got dtype {input.dtype}")
    build = _cubic_matrix if mode == "bicubic" else _linear_matrix
    for a, (n, m, s) in enumerate(zip(input.shape[2:], sizes, scales)):
        if m == n and mode != "bicubic":
            continue            # PyTorch's linear modes copy an axis whose size is unchanged
        y = _along(y, a + 2, build(n, m, align, s, input.dtype))
    return y


def upsample(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """The deprecated ``F.upsample``: :func:`interpolate` with the same arguments."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def _factor(op, name, value):
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{op}: {name} must be >= 1, got {value}")
    return int(value)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    r"""Rearrange (*, C·r², H, W) into (*, C, H·r, W·r) (sub-pixel convolution upsampling).

    ``y[..., c, h·r + i, w·r + j] = x[..., c·r² + i·r + j, h, w]``: a reshape and a
    permutation, so the gradient is the inverse rearrangement (:func:`pixel_unshuffle`).

    Args:
        input: (*, C·r², H, W), at least 3-D.
        upscale_factor: r, an int >= 1.

    Returns:
        (*, C, H·r, W·r).

    Raises:
        TypeError: ``input`` is not a Tensor or r is not an int.
        ValueError: fewer than 3 dimensions, or channels not divisible by r².

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.pixel_shuffle(md.tensor(np.arange(4.0).reshape(4, 1, 1)), 2)
    tensor([[[0., 1.],
             [2., 3.]]], dtype=float64)
    """
    op = "pixel_shuffle"
    check_tensor(input, op, "input")
    r = _factor(op, "upscale_factor", upscale_factor)
    if input.ndim < 3:
        raise ValueError(f"{op}: input must be (*, C·r², H, W) with at least 3 dimensions, got "
                         f"shape {input.shape}")
    *lead, C_r2, H, W = input.shape
    if C_r2 % (r * r):
        raise ValueError(f"{op}: the channels ({C_r2}) must be divisible by upscale_factor² = "
                         f"{r * r}; input shape {input.shape}")
    C, b = C_r2 // (r * r), len(lead)
    x = input.reshape(*lead, C, r, r, H, W)                      # (*, C, i, j, H, W)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)      # (*, C, H, i, W, j)
    return x.reshape(*lead, C, H * r, W * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    r"""Rearrange (*, C, H·r, W·r) into (*, C·r², H, W), the inverse of :func:`pixel_shuffle`.

    ``y[..., c·r² + i·r + j, h, w] = x[..., c, h·r + i, w·r + j]``; the gradient is
    :func:`pixel_shuffle` of ȳ.

    Args:
        input: (*, C, H·r, W·r), at least 3-D.
        downscale_factor: r, an int >= 1.

    Returns:
        (*, C·r², H, W).

    Raises:
        TypeError: ``input`` is not a Tensor or r is not an int.
        ValueError: fewer than 3 dimensions, or H or W not divisible by r.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.pixel_unshuffle(md.tensor(np.arange(4.0).reshape(1, 2, 2)), 2).flatten()
    tensor([0., 1., 2., 3.], dtype=float64)
    """
    op = "pixel_unshuffle"
    check_tensor(input, op, "input")
    r = _factor(op, "downscale_factor", downscale_factor)
    if input.ndim < 3:
        raise ValueError(f"{op}: input must be (*, C, H·r, W·r) with at least 3 dimensions, "
                         f"got shape {input.shape}")
    *lead, C, Hr, Wr = input.shape
    if Hr % r or Wr % r:
        raise ValueError(f"{op}: height ({Hr}) and width ({Wr}) must be divisible by "
                         f"downscale_factor={r}; input shape {input.shape}")
    H, W, b = Hr // r, Wr // r, len(lead)
    x = input.reshape(*lead, C, H, r, W, r)                      # (*, C, H, i, W, j)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)      # (*, C, i, j, H, W)
    return x.reshape(*lead, C * r * r, H, W)


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    r"""The sampling grid of a batch of 2-D affine maps (spatial transformer networks).

    For output pixel (i, j) of an (H, W) image, its normalised coordinates (x_j, y_i) in
    [−1, 1] (pixel centres with ``align_corners=False``: x_j = (2j + 1)/W − 1; the corner
    pixels' centres at ±1 with ``align_corners=True``) are mapped by θ (N, 2, 3)::

        grid[n, i, j] = θ[n] · (x_j, y_i, 1)ᵀ          # (x, y) to sample the input at

    Gradient: linear in θ: ∂L/∂θ[n] = Σ_{i,j} ḡ[n, i, j] (x_j, y_i, 1).

    Args:
        theta: (N, 2, 3), floating.
        size: the output size (N, C, H, W).
        align_corners: as :func:`grid_sample` (default False).

    Returns:
        (N, H, W, 2), the last axis (x, y).

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> identity = md.tensor(np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]))
    >>> F.affine_grid(identity, (1, 1, 1, 2), align_corners=False)[0, 0]
    tensor([[-0.5,  0. ],
            [ 0.5,  0. ]], dtype=float64)
    """
    op = "affine_grid"
    check_tensor(theta, op, "theta")
    if not isinstance(size, (tuple, list)) or len(size) != 4:
        raise NotImplementedError(f"{op}: only 2-D grids are implemented in minidl: size must be "
                                  f"(N, C, H, W), got {size!r}")
    N, _, H, W = (int(v) for v in size)
    if theta.ndim != 3 or theta.shape[1:] != (2, 3) or theta.shape[0] != N:
        raise ValueError(f"{op}: theta must be (N, 2, 3) = ({N}, 2, 3) for size {tuple(size)}, "
                         f"got shape {theta.shape}")
    if theta.dtype.kind != "f":
        raise TypeError(f"{op}: theta must be floating, got dtype {theta.dtype}")

    def axis(n):
        if align_corners:
            return np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
        return (2.0 * np.arange(n) + 1.0) / n - 1.0

    base = np.empty((H, W, 3), dtype=theta.dtype)
    base[..., 0] = axis(W)[None, :]
    base[..., 1] = axis(H)[:, None]
    base[..., 2] = 1.0
    flat = Tensor(base.reshape(1, H * W, 3))                        # (1, H·W, 3)
    return (flat @ theta.transpose(1, 2)).reshape(N, H, W, 2)     # (N, H, W, 2)


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    r"""Sample ``input`` at the normalised positions of ``grid`` (spatial transformers).

    Position (x, y) ∈ [−1, 1]² becomes pixel coordinates ``u = ((x + 1)·W − 1)/2`` (pixel
    areas, ``align_corners=False``) or ``u = (x + 1)(W − 1)/2`` (corner centres), v alike;
    then ``"bilinear"``::

        out[n, c, i, j] = Σ_{a, b ∈ {0, 1}} (1 − |u − u₀ − a|)(1 − |v − v₀ − b|) x[n, c, v₀ + b, u₀ + a]

    with u₀ = floor(u), v₀ = floor(v), and ``"nearest"`` takes x at (round(v), round(u))
    (halves to even, as PyTorch). ``padding_mode="zeros"`` reads 0 outside the image;
    ``"border"`` clamps (u, v) into the image first.

    Gradient: to ``input``, each output's ȳ times its four weights scattered to the four
    corners; to ``grid`` (bilinear), through the weights' dependence on (u, v) (the corners
    u₀, v₀ are constants: at integer u the right-hand slope, as PyTorch). Clamped
    coordinates (``"border"``) get no grid gradient.

    Args:
        input: (N, C, H, W).
        grid: (N, H_out, W_out, 2), the last axis (x, y).
        mode: ``"bilinear"`` or ``"nearest"``.
        padding_mode: ``"zeros"`` or ``"border"``.
        align_corners: default False.

    Returns:
        (N, C, H_out, W_out).

    Raises:
        ValueError: shapes that do not fit, unknown mode or padding_mode.
        NotImplementedError: ``mode="bicubic"``, ``padding_mode="reflection"``, 5-D inputs.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[[[0.0, 10.0]]]]))
    >>> F.grid_sample(x, md.tensor(np.array([[[[0.0, 0.0]]]])), align_corners=True)
    tensor([[[[5.]]]], dtype=float64)
    """
    op = "grid_sample"
    check_tensor(input, op, "input")
    check_tensor(grid, op, "grid")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"{op}: mode must be 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"{op}: padding_mode must be 'zeros', 'border' or 'reflection', got "
                         f"{padding_mode!r}")
    if mode == "bicubic" or padding_mode == "reflection":
        raise NotImplementedError(f"{op}: mode={mode!r} with padding_mode={padding_mode!r} is not "
                                  f"implemented in minidl (bilinear/nearest with zeros/border)")
    if input.ndim != 4:
        raise NotImplementedError(f"{op}: only 4-D inputs (N, C, H, W) are implemented in minidl, "
                                  f"got shape {input.shape}")
    if grid.ndim != 4 or grid.shape[0] != input.shape[0] or grid.shape[-1] != 2:
        raise ValueError(f"{op}: grid must be (N, H_out, W_out, 2) with N = {input.shape[0]}, got "
                         f"shape {grid.shape}")
    N, C, H, W = input.shape
    g = grid if grid.dtype == input.dtype else grid.to(input.dtype)

    def pixel(coord, n):                                          # normalised → pixel units
        if align_corners:
            return (coord + 1.0) * ((n - 1) / 2.0)
        return ((coord + 1.0) * n - 1.0) / 2.0

    u, v = pixel(g[..., 0], W), pixel(g[..., 1], H)               # (N, H_out, W_out)
    if padding_mode == "border":
        u, v = _clipped_coordinate(u, W - 1), _clipped_coordinate(v, H - 1)
    batch = np.arange(N)[:, None, None]
    x_nhwc = input.permute(0, 2, 3, 1)                            # (N, H, W, C)

    def read(rows, cols):
        """x at integer (rows, cols), 0 outside: (N, H_out, W_out, C), and the mask."""
        inside = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)
        values = x_nhwc[batch, np.clip(rows, 0, H - 1), np.clip(cols, 0, W - 1)]
        return values * Tensor(inside[..., None].astype(input.dtype))

    if mode == "nearest":
        out = read(np.rint(np.asarray(v)).astype(np.int64), np.rint(np.asarray(u)).astype(np.int64))
        return out.permute(0, 3, 1, 2)
    u0, v0 = np.floor(np.asarray(u)), np.floor(np.asarray(v))
    fu, fv = u - Tensor(u0), v - Tensor(v0)                       # fractional parts, with gradient
    c0, r0 = u0.astype(np.int64), v0.astype(np.int64)
    out = (read(r0, c0) * ((1.0 - fu) * (1.0 - fv))[..., None]
           + read(r0, c0 + 1) * (fu * (1.0 - fv))[..., None]
           + read(r0 + 1, c0) * ((1.0 - fu) * fv)[..., None]
           + read(r0 + 1, c0 + 1) * (fu * fv)[..., None])         # (N, H_out, W_out, C)
    return out.permute(0, 3, 1, 2)                                # (N, C, H_out, W_out)


def _clipped_coordinate(t: Tensor, high: int) -> Tensor:
    """clamp(t, 0, high) with gradient 1 strictly inside and 0 where clamped (PyTorch's
    clip_coordinates)."""
    inside = (t > 0) & (t < high)
    return where(inside, t, t.detach().clamp(0, high))
