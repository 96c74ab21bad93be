r"""F1, the 2-D convolution ``conv2d``: a primitive, its forward beside its backward.

The article's convolution ``y(x, y) = Σ_i Σ_j x(i, j)·w(i, j)`` slides a kernel over the
image and sums the products under it. Like PyTorch (and unlike signal processing) the
kernel is not flipped: this is a cross-correlation. With a batch, channels, stride
(s_h, s_w), zero padding, dilation (d_h, d_w) and ``groups``::

    y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q x_pad[n, g·C_in/groups + c, i·s_h + p·d_h, j·s_w + q·d_w] · w[o, c, p, q]

    g = o // (C_out/groups),  c = 0 .. C_in/groups − 1,  p = 0 .. kH − 1,  q = 0 .. kW − 1

How it is computed: im2col and one GEMM per chunk of images (no Python loop over output
positions), the chunks shared out over threads.

1. **im2col.** Every window is a strided view of the padded input, so one ``as_strided``
   view holds all of them; one copy makes it the column matrix ``X_col`` (K, P) of a
   chunk of b images: a row per tap (p, q, c), K = kH·kW·C_in/groups rows per group, a
   column per output position.
2. **one GEMM.** ``W_mat (C_out, K) @ X_col (K, P)`` is the chunk's output (batched
   over a leading group axis when ``groups > 1``): copied into y (N, C_out, H_out, W_out)
   in wide rows (below), written in place on the exact grid, where y is the transposed
   view of a (C_out, N, H_out, W_out) array.

**Wide rows (stride 1).** Row i of an output channel reads rows i + p·d_h of the padded
input, and output (i, j) reads the element j + q·d_w of such a row. If the output
positions are numbered m = i·Wp + j, as in the flattened padded image (Wp its width),
tap (p, q) reads ``x_pad_flat[p·d_h·Wp + q·d_w + m]``: for every tap, one *contiguous*
run of L = (H_out − 1)·Wp + W_out elements. So X_col is built from runs of L elements
(instead of H_out·C_in·kH·kW short runs of W_out), which NumPy copies several times
faster, and col2im adds whole runs back. The price: the positions with j ≥ W_out wrap
into the next row; they are computed and thrown away (Wp/W_out − 1 more GEMM work, 8 %
for a 3×3 kernel on 26 × 26), and the output and Ȳ have to be copied between the two
layouts (short rows again, C_out·H_out of them per image). So wide rows are used when
they save more copying than they cost: stride 1 and K ≥ C_out. Otherwise the positions
are the exact H_out × W_out grid.

**Chunks and threads.** A chunk is a few images, so that X_col and the GEMM's result
(about ``_CHUNK`` elements together) stay in the core's cache between the copy that
makes them and the one that reads them. Each thread takes a run of consecutive images and
does all of its chunks, copies and GEMMs alike, with the BLAS held at one thread
(``minidl.parallel``): every core does the whole pipeline on its own images, none waits
for the other's copies, and no BLAS thread team spins on a core another thread needs.

The backward is the fully connected layer's again, per chunk, with Ȳ the upstream
gradient as (C_out, P) (zero at the wrapped positions):

    ∂L/∂b     = Σ_P Ȳ                                     (a row sum)
    ∂L/∂W_mat = Ȳ · X_colᵀ                                (one GEMM; X_col is rebuilt)
    ∂L/∂X_col = W_matᵀ · Ȳ                                (one GEMM)

and ∂L/∂x is ∂L/∂X_col put back where each window read it ("col2im"): for each kernel
offset (p, q) its rows are added into the strided slice of the padded input they came
from (overlapping windows add up), and the padding is cut away. Rebuilding X_col in the
backward (a copy that stays in cache) is cheaper than keeping the forward's (the whole
batch's, written to and read back from memory).

A wrapped position reads a real input element, multiplied by Ȳ's zero there: exact,
unless that element is inf or NaN (0·inf = NaN). So a ∂L/∂w that comes out non-finite
is computed again on the exact grid, and ∂L/∂x is computed on it when w is not finite.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Tuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import parallel
from ..arguments import check_tensor, is_int, pair
from ..autograd.function import Function

if TYPE_CHECKING:
    from .._typing import Size2
    from ..tensor import Tensor

    Pair = Tuple[int, int]
    Pads = Tuple[Tuple[int, int], Tuple[int, int]]

__all__ = ["conv2d"]


# ---------------------------------------------------------------------- shared helpers
# (also used by pooling.py)
def _rows(start: int, step: int, count: int) -> slice:
    """The slice ``start, start + step, ..., start + (count − 1)·step``."""
    return slice(start, start + step * (count - 1) + 1, step)


def _offset_slices(kH: int, kW: int, stride: Pair, dilation: Pair, H_out: int,
                   W_out: int) -> list[tuple[int, int, slice, slice]]:
    """For each kernel offset (p, q), in row-major order, the strided slices of the
    padded input that offset reads for all H_out × W_out windows: rows
    ``i·s_h + p·d_h`` and columns ``j·s_w + q·d_w``."""
    (s_h, s_w), (d_h, d_w) = stride, dilation
    return [(p, q, _rows(p * d_h, s_h, H_out), _rows(q * d_w, s_w, W_out))
            for p in range(kH) for q in range(kW)]


def _pad(x: np.ndarray, pads: Pads, value: float) -> np.ndarray:
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


# ---------------------------------------------------------------------- the column layout
_CHUNK = 1 << 18            # elements of X_col and its GEMM's result per chunk (1 MB in float32)
_SPLIT = 1 << 16            # elements of the whole batch's X_col: below, no threads
_SPLIT_PER_IMAGE = 1 << 13  # nor below this per image


class _Windows:
    """The windows of one convolution and X_col's layout, for chunks of b images.

    ``x_pad`` (b, C_in, Hp, Wp) ↦ X_col (g, K_g, b·L): row (p, q, c) of group g, column
    (n, m), with m one of the L positions of an image: ``i·Wp + j`` in wide rows
    (stride 1; the j ≥ W_out ones wrap), ``i·W_out + j`` on the exact grid.
    """

    def __init__(self, C_in: int, C_out: int, padded_hw: Pair, kernel: Pair, out_hw: Pair,
                 stride: Pair, dilation: Pair, groups: int, wide: bool) -> None:
        self.C_in, self.C_out = C_in, C_out
        (self.Hp, self.Wp), (self.kH, self.kW) = padded_hw, kernel
        (self.H_out, self.W_out), self.dilation, self.groups = out_hw, dilation, groups
        self.C_g, self.wide = C_in // groups, wide
        self.K_g = self.kH * self.kW * self.C_g
        self.positions: tuple[int, ...]
        self.position_steps: tuple[int, ...]
        if wide:
            self.L, self.row = (self.H_out - 1) * self.Wp + self.W_out, self.Wp
            self.positions, self.position_steps = (self.L,), (1,)
        else:
            self.L, self.row = self.H_out * self.W_out, self.W_out
            self.positions = (self.H_out, self.W_out)
            self.position_steps = (stride[0] * self.Wp, stride[1])
        # X_col, and in wide rows the GEMM's result, per image
        self.chunk = _images_per_chunk((groups * self.K_g + (C_out if wide else 0)) * self.L)

    def chunks(self, lo: int, hi: int) -> tuple[int, list[tuple[int, int]]]:
        """Images lo .. hi − 1 cut into chunks: (the largest chunk's size, [(n0, n1), ...])."""
        size = min(self.chunk, hi - lo)
        return size, [(n0, min(n0 + size, hi)) for n0 in range(lo, hi, size)]

    def exact(self, stride: Pair) -> _Windows:
        """The same convolution on the exact grid."""
        return _Windows(self.C_in, self.C_out, (self.Hp, self.Wp), (self.kH, self.kW),
                        (self.H_out, self.W_out), stride, self.dilation, self.groups, False)

    def taps(self, x_pad: np.ndarray, writeable: bool = False) -> np.ndarray:
        """The view (g, kH, kW, C_g, b, *positions) of the C-contiguous ``x_pad``
        (b, C_in, Hp, Wp) that tap (p, q) of channel c reads at each position: X_col's
        entries, in its order."""
        b, e, HW = x_pad.shape[0], x_pad.itemsize, self.Hp * self.Wp
        d_h, d_w = self.dilation
        steps = (self.C_g * HW, d_h * self.Wp, d_w, HW, self.C_in * HW) + self.position_steps
        return as_strided(x_pad, (self.groups, self.kH, self.kW, self.C_g, b) + self.positions,
                          tuple(s * e for s in steps), writeable=writeable)

    def outputs(self, buf: np.ndarray, b: int) -> np.ndarray:
        """The writeable view (b, C, H_out, W_out) of the valid positions of the
        C-contiguous ``buf`` (C, b·L) (a GEMM's result, or Ȳ)."""
        e = buf.itemsize
        return as_strided(buf, (b, buf.size // (b * self.L), self.H_out, self.W_out),
                          (self.L * e, b * self.L * e, self.row * e, e))


def _images_per_chunk(per_image: int) -> int:
    """Images per chunk, ``per_image`` the elements of the scratch arrays per image (X_col's
    K rows, and in wide rows the GEMM's result's C_out rows): about ``_CHUNK`` in all, at
    least one image."""
    return max(1, _CHUNK // per_image)


def _wide_rows(stride: Pair, K: int, C_out: int) -> bool:
    """Whether to lay X_col out in wide rows: stride 1, and X_col has at least as many rows
    K = C_in·kH·kW as the output has channels. (Short rows of W_out elements are what
    NumPy copies slowly: the exact grid has ~3·K·H_out of them per image — im2col twice,
    col2im — wide rows ~2·C_out·H_out — the output's copy and Ȳ's.)"""
    return stride == (1, 1) and K >= C_out


def _take(buf: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The first elements of the flat scratch array ``buf`` as a C-contiguous ``shape``."""
    return buf[:int(np.prod(shape))].reshape(shape)


class _PaddedChunks:
    """x[n0:n1] padded with zeros and C-contiguous in ``dtype``: x's own rows when they
    already are, else copied into a scratch buffer of ``chunk`` images whose border is
    zero (one per thread)."""

    def __init__(self, x: np.ndarray, lay: _Windows, pads: Pads, dtype: np.dtype,
                 chunk: int) -> None:
        (self.top, _), (self.left, _) = pads
        self.x, (self.H, self.W) = x, x.shape[2:]
        as_is = (lay.Hp, lay.Wp) == (self.H, self.W) and x.dtype == dtype \
            and x.flags.c_contiguous
        self.buf = None if as_is else np.zeros((chunk, lay.C_in, lay.Hp, lay.Wp), dtype)

    def __call__(self, n0: int, n1: int) -> np.ndarray:
        if self.buf is None:
            return self.x[n0:n1]
        x_pad = self.buf[:n1 - n0]
        x_pad[:, :, self.top:self.top + self.H, self.left:self.left + self.W] = self.x[n0:n1]
        return x_pad


def _im2col(lay: _Windows, x_pad: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """X_col (g, K_g, b·L) of the chunk ``x_pad`` (b, C_in, Hp, Wp), written into ``buf``."""
    b = x_pad.shape[0]
    cols = _take(buf, (lay.groups, lay.K_g, b * lay.L))
    np.copyto(cols.reshape((lay.groups, lay.kH, lay.kW, lay.C_g, b) + lay.positions),
              lay.taps(x_pad))
    return cols


def _weight_matrix(weight: np.ndarray, groups: int, dtype: np.dtype) -> np.ndarray:
    """W_mat (g, C_out/g, K_g), columns in X_col's row order (p, q, c)."""
    C_out, C_g, kH, kW = weight.shape
    w = weight.astype(dtype, copy=False).reshape(groups, C_out // groups, C_g, kH, kW)
    return w.transpose(0, 1, 3, 4, 2).reshape(groups, C_out // groups, kH * kW * C_g)


def _over_batch(run: Callable[[int, int], None], N: int, work: int) -> None:
    """``run(lo, hi)`` for images lo .. hi − 1: on this thread when the batch's X_col
    (``work`` elements) is small, or an image's is (one input channel: copies of short
    rows that two threads do no faster than one, measured), else one run of consecutive
    images per thread, each calling the BLAS on one thread."""
    if N < 2 or work < _SPLIT or work < N * _SPLIT_PER_IMAGE:
        run(0, N)
    else:
        parallel.for_blocks(N, run, block=-(-N // parallel.get_num_threads()), blas=True)


# ---------------------------------------------------------------------- forward and backward
def _forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair,
             pads: Pads, dilation: Pair, groups: int, dtype: np.dtype) -> np.ndarray:
    """y (N, C_out, H_out, W_out) of a batched x (N, C_in, H, W): per chunk, im2col, one
    GEMM, the bias. In wide rows the valid positions are copied out of the GEMM's result;
    on the exact grid the GEMM writes its columns of y itself, y being the transposed
    view of a (C_out, N, H_out, W_out) array (no copy)."""
    N, C_in, H, W = x.shape
    C_out, _, kH, kW = weight.shape
    (top, bottom), (left, right) = pads
    Hp, Wp = H + top + bottom, W + left + right
    out_hw = _out_hw((Hp, Wp), (kH, kW), stride, dilation)
    lay = _Windows(C_in, C_out, (Hp, Wp), (kH, kW), out_hw, stride, dilation, groups,
                   wide=_wide_rows(stride, C_in * kH * kW, C_out))
    g, L = groups, lay.L
    W_mat = _weight_matrix(weight, g, dtype)                          # (g, C_out/g, K_g)
    b_col = None if bias is None else bias.astype(dtype, copy=False).reshape(g, -1, 1)
    if lay.wide:
        y = np.empty((N, C_out) + out_hw, dtype)
    else:
        y_T = np.empty((g, C_out // g, N, L), dtype)
        y = y_T.reshape((C_out, N) + out_hw).transpose(1, 0, 2, 3)

    def run(lo: int, hi: int) -> None:
        chunk, chunks = lay.chunks(lo, hi)
        padded = _PaddedChunks(x, lay, pads, dtype, chunk)
        cols_buf = np.empty(g * lay.K_g * chunk * L, dtype)
        out_buf = np.empty(C_out * chunk * L if lay.wide else 0, dtype)
        for n0, n1 in chunks:
            b = n1 - n0
            cols = _im2col(lay, padded(n0, n1), cols_buf)              # (g, K_g, b·L)
            if lay.wide:
                out = _take(out_buf, (g, C_out // g, b * L))
            else:
                out = y_T[:, :, n0:n1].reshape(g, C_out // g, b * L)   # a view
            np.matmul(W_mat, cols, out=out)
            if b_col is not None:
                out += b_col
            if lay.wide:
                np.copyto(y[n0:n1], lay.outputs(out.reshape(C_out, -1), b))
    _over_batch(run, N, N * groups * lay.K_g * lay.L)
    return y


def _backward(dy: np.ndarray, x: np.ndarray | None, weight: np.ndarray | None,
              x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Pair, pads: Pads,
              dilation: Pair, groups: int, need_b: bool
              ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(∂L/∂x, ∂L/∂w, ∂L/∂b) from the upstream gradient ``dy`` (N, C_out, H_out, W_out),
    in one pass over the batch: ∂L/∂x if ``weight`` is given, ∂L/∂w if ``x`` is given
    (each None otherwise), ∂L/∂b if ``need_b``."""
    (top, bottom), (left, right) = pads
    _, C_in, H, W = x_shape
    lay = _Windows(C_in, w_shape[0], (H + top + bottom, W + left + right), (w_shape[2], w_shape[3]),
                   (dy.shape[2], dy.shape[3]), stride, dilation, groups,
                   wide=_wide_rows(stride, C_in * w_shape[2] * w_shape[3], w_shape[0]))
    if weight is not None and lay.wide and not np.isfinite(weight).all():
        lay = lay.exact(stride)                 # inf·0 at a wrapped position would be NaN
    dx, dw, db = _backward_pass(lay, dy, x, weight, x_shape, w_shape, pads, need_b)
    if dw is not None and lay.wide and not np.isfinite(dw).all():
        _, dw, _ = _backward_pass(lay.exact(stride), dy, x, None, x_shape, w_shape, pads,
                                  False)
    return dx, dw, db


class _WeightGradRun:
    """One thread's ∂L/∂W_matᵀ = Σ X_col Ȳᵀ (g, K_g, C_out/g) over its chunks, X_col
    rebuilt from x."""

    def __init__(self, x: np.ndarray, lay: _Windows, pads: Pads, dtype: np.dtype,
                 C_out: int, chunk: int) -> None:
        self.lay, self.padded = lay, _PaddedChunks(x, lay, pads, dtype, chunk)
        self.cols_buf = np.empty(lay.groups * lay.K_g * chunk * lay.L, dtype)
        self.dw_T = np.zeros((lay.groups, lay.K_g, C_out // lay.groups), dtype)
        self.tmp = np.empty_like(self.dw_T)

    def add(self, n0: int, n1: int, dY: np.ndarray) -> None:
        cols = _im2col(self.lay, self.padded(n0, n1), self.cols_buf)     # (g, K_g, b·L)
        self.dw_T += np.matmul(cols, dY.swapaxes(-1, -2), out=self.tmp)


class _InputGradRun:
    """One thread's share of ∂L/∂x: ∂L/∂X_col = W_matᵀ Ȳ per chunk, then col2im into
    its images of ``dx`` (through a padded scratch buffer when x was padded)."""

    def __init__(self, W_T: np.ndarray, dx: np.ndarray, lay: _Windows, pads: Pads,
                 chunk: int) -> None:
        self.W_T, self.dx, self.lay = W_T, dx, lay
        (self.top, _), (self.left, _) = pads
        self.d_cols_buf = np.empty(lay.groups * lay.K_g * chunk * lay.L, dx.dtype)
        padded = (lay.Hp, lay.Wp) != dx.shape[2:]
        self.dx_pad_buf = (np.empty((chunk, lay.C_in, lay.Hp, lay.Wp), dx.dtype)
                           if padded else None)

    def add(self, n0: int, n1: int, dY: np.ndarray) -> None:
        lay, b = self.lay, n1 - n0
        d_cols = _take(self.d_cols_buf, (lay.groups, lay.K_g, b * lay.L))
        np.matmul(self.W_T, dY, out=d_cols)                             # ∂L/∂X_col
        dx_pad = self.dx[n0:n1] if self.dx_pad_buf is None else self.dx_pad_buf[:b]
        dx_pad[:] = 0                                   # (here, in cache and on this thread)
        windows = lay.taps(dx_pad, writeable=True)      # col2im: each tap's rows added back
        d_taps = d_cols.reshape(windows.shape)
        for p in range(lay.kH):
            for q in range(lay.kW):
                windows[:, p, q] += d_taps[:, p, q]
        if self.dx_pad_buf is not None:
            H, W = self.dx.shape[2:]
            self.dx[n0:n1] = dx_pad[:, :, self.top:self.top + H, self.left:self.left + W]


def _backward_pass(lay: _Windows, dy: np.ndarray, x: np.ndarray | None,
                   weight: np.ndarray | None, x_shape: tuple[int, ...],
                   w_shape: tuple[int, ...], pads: Pads, need_b: bool
                   ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """:func:`_backward` with the layout ``lay``: per chunk, Ȳ (C_out, b·L), then its row
    sum, the ∂L/∂W_mat GEMM and the ∂L/∂X_col GEMM with col2im."""
    N = x_shape[0]
    C_out, C_g, kH, kW = w_shape
    g = lay.groups
    dtype = np.result_type(*(a for a in (dy, x, weight) if a is not None))
    dx = W_T = None
    if weight is not None:
        W_T = _weight_matrix(weight, g, dtype).swapaxes(-1, -2)        # (g, K_g, C_out/g)
        dx = np.empty(x_shape, dtype)
    runs_w, sums_b = [], []                                            # one per thread

    def run(lo: int, hi: int) -> None:
        chunk, chunks = lay.chunks(lo, hi)
        dY_buf = np.zeros(C_out * chunk * lay.L, dtype)         # wrapped positions stay 0
        laid_for = chunk                                        # ... for chunks of this size
        grad_w = None if x is None else _WeightGradRun(x, lay, pads, dtype, C_out, chunk)
        grad_x = (None if W_T is None or dx is None
                  else _InputGradRun(W_T, dx, lay, pads, chunk))
        db = np.zeros(C_out, dtype)
        for n0, n1 in chunks:
            if n1 - n0 != laid_for:
                dY_buf[:] = 0
                laid_for = n1 - n0
            dY = _take(dY_buf, (g, C_out // g, (n1 - n0) * lay.L))      # Ȳ
            np.copyto(lay.outputs(dY.reshape(C_out, -1), n1 - n0), dy[n0:n1])
            if need_b:
                db += dY.reshape(C_out, -1).sum(axis=1)                 # ∂L/∂b = Σ_P Ȳ
            if grad_w is not None:
                grad_w.add(n0, n1, dY)
            if grad_x is not None:
                grad_x.add(n0, n1, dY)
        if grad_w is not None:
            runs_w.append(grad_w.dw_T)
        sums_b.append(db)
    _over_batch(run, N, N * g * lay.K_g * lay.L)
    dw = None
    if x is not None:                                  # (g, kH, kW, C_g, C_out/g) → w's shape
        dw_T = np.sum(runs_w, axis=0).reshape(g, kH, kW, C_g, C_out // g)
        dw = dw_T.transpose(0, 4, 3, 1, 2).reshape(w_shape)
    return dx, dw, np.sum(sums_b, axis=0) if need_b else None


def _out_hw(xp_hw: Pair, kernel: Pair, stride: Pair, dilation: Pair) -> Pair:
    (Hp, Wp), (kH, kW), (s_h, s_w), (d_h, d_w) = xp_hw, kernel, stride, dilation
    return (Hp - d_h * (kH - 1) - 1) // s_h + 1, (Wp - d_w * (kW - 1) - 1) // s_w + 1


# ---------------------------------------------------------------------- the primitives
class Conv2d(Function):
    """conv2d on arrays: x (N, C_in, H, W) or (C_in, H, W), weight, bias or None.

    ``padding`` is ((top, bottom), (left, right)); the arguments are validated by
    :func:`conv2d`. The backward is two more convolutions, each a primitive of this
    file: ∂L/∂x = :class:`ConvInputGrad` (ȳ, w) and ∂L/∂w = :class:`ConvWeightGrad` (x, ȳ);
    the three are linear in each argument, and each one's backward is made of the other
    two, so gradients of any order stay within them. In an ordinary backward pass both
    are computed in one pass over the batch (Ȳ made once per chunk for both GEMMs)."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
                stride: Pair, padding: Pads, dilation: Pair, groups: int) -> np.ndarray:
        ctx.unbatched = x.ndim == 3
        dtype = np.result_type(x, weight) if bias is None else np.result_type(x, weight, bias)
        y = _forward(x[np.newaxis] if ctx.unbatched else x, weight, bias, stride, padding,
                     dilation, groups, dtype)
        ctx.save_for_backward(x, weight)
        ctx.geometry = (stride, padding, dilation, groups)
        return y[0] if ctx.unbatched else y

    @staticmethod
    def backward(ctx: Any, dy: Any) -> tuple[Any, ...]:
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        geometry = ctx.geometry
        if ctx.unbatched:
            dy = dy.reshape((1,) + tuple(dy.shape))
            x = x.reshape((1,) + tuple(x.shape))
        if not ctx._graph:                             # arrays: all three in one pass
            stride, padding, dilation, groups = geometry
            dx, dw, db = _backward(dy, x if need_w else None, weight if need_x else None,
                                   x.shape, weight.shape, stride, padding, dilation, groups,
                                   need_b)
        else:                                          # Tensors: recorded, as primitives
            db = dy.sum(axis=(0, 2, 3)) if need_b else None       # ∂L/∂b = Σ_{n,i,j} ȳ
            dw = (ConvWeightGrad.call(x, dy, tuple(weight.shape), *geometry)
                  if need_w else None)
            dx = (ConvInputGrad.call(dy, weight, tuple(x.shape), *geometry)
                  if need_x else None)
        if dx is not None and ctx.unbatched:
            dx = dx.reshape(tuple(dx.shape[1:]))
        return dx, dw, db, None, None, None, None


class ConvInputGrad(Function):
    """∂L/∂x of conv2d, from ȳ (N, C_out, H_out, W_out) and w, for an x of ``x_shape``:
    ``W_matᵀ Ȳ`` (one GEMM per chunk), then col2im: every kernel offset (p, q) adds its
    rows back where they were read from (overlapping windows add up)."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, dy: np.ndarray, weight: np.ndarray, x_shape: tuple[int, ...],
                stride: Pair, padding: Pads, dilation: Pair, groups: int) -> np.ndarray:
        ctx.save_for_backward(dy, weight)
        ctx.geometry = (stride, padding, dilation, groups)
        dx, _, _ = _backward(dy, None, weight, tuple(x_shape), weight.shape, stride, padding,
                             dilation, groups, False)
        assert dx is not None                       # (weight was given)
        return dx

    @staticmethod
    def backward(ctx: Any, ddx: Any) -> tuple[Any, ...]:
        dy, weight = ctx.saved_tensors
        need_dy, need_w = ctx.needs_input_grad[:2]
        d_dy = Conv2d.call(ddx, weight, None, *ctx.geometry) if need_dy else None
        d_w = ConvWeightGrad.call(ddx, dy, tuple(weight.shape), *ctx.geometry) if need_w else None
        return d_dy, d_w, None, None, None, None, None


class ConvWeightGrad(Function):
    """∂L/∂w of conv2d, from x and ȳ, for a w of ``w_shape``: ``Ȳ X_colᵀ``, computed as
    its transpose ``X_col Ȳᵀ`` and summed over the chunks."""

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dy: np.ndarray, w_shape: tuple[int, ...],
                stride: Pair, padding: Pads, dilation: Pair, groups: int) -> np.ndarray:
        ctx.save_for_backward(x, dy)
        ctx.geometry = (stride, padding, dilation, groups)
        _, dw, _ = _backward(dy, x, None, x.shape, tuple(w_shape), stride, padding, dilation,
                             groups, False)
        assert dw is not None                       # (x was given)
        return dw

    @staticmethod
    def backward(ctx: Any, ddw: Any) -> tuple[Any, ...]:
        x, dy = ctx.saved_tensors
        need_x, need_dy = ctx.needs_input_grad[:2]
        d_x = ConvInputGrad.call(dy, ddw, tuple(x.shape), *ctx.geometry) if need_x else None
        d_dy = Conv2d.call(x, ddw, None, *ctx.geometry) if need_dy else None
        return d_x, d_dy, None, None, None, None, None


# ---------------------------------------------------------------------- public function
def _conv_padding(padding: Size2 | str, kernel: Pair, stride: Pair,
                  dilation: Pair) -> Pads:
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
            return pads[0], pads[1]
        raise ValueError(f"conv2d: padding must be an int, a pair of ints, 'valid' or 'same', "
                         f"got {padding!r}")
    p_h, p_w = pair(padding, "conv2d", "padding")
    if min(p_h, p_w) < 0:
        raise ValueError(f"conv2d: padding must be >= 0, got padding={padding!r}")
    return (p_h, p_h), (p_w, p_w)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Size2 = 1,
           padding: Size2 | str = 0, dilation: Size2 = 1, groups: int = 1) -> Tensor:
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
