"""``torch.nn.utils.rnn``: a batch of sequences of different lengths, padded or packed.

Padded: ``pad_sequence`` stacks sequences (L_b, *) into (T, B, *) (or (B, T, *) with
``batch_first``), filling the missing steps with ``padding_value``; ``unpad_sequence``
cuts them back out. Both are written with ``F.pad``, ``stack`` and slicing, so gradients
flow to every sequence (the padding gets none).

Packed (PyTorch's ``PackedSequence``): ``pack_padded_sequence`` and ``pack_sequence`` keep
only the real steps, step 0 of every sequence, then step 1 of those long enough, and so
on; ``pad_packed_sequence`` and ``unpack_sequence`` undo it. Each direction is one gather
(a flat index into the rows of the input), so it is differentiable with respect to the
data. ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` accept a PackedSequence (see
``_packed_forward``) and return one, as in PyTorch::

    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    output, (h_n, c_n) = lstm(packed)             # h_n[:, b]: sequence b's own last step
    y, lengths = pad_packed_sequence(output, batch_first=True)
"""
from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ...errors import ArgumentError
from ...functional.padding import pad
from ...tensor import Tensor, cat, stack
from ._sort_order import descending_order

if TYPE_CHECKING:
    from typing import Sequence

__all__ = ["pad_sequence", "unpad_sequence", "PackedSequence", "pack_padded_sequence",
           "pad_packed_sequence", "pack_sequence", "unpack_sequence", "invert_permutation"]


def _check_sequences(op: str, sequences: Any) -> tuple[int, ...]:
    """Check a non-empty list or tuple of (L_b, *) Tensors sharing their trailing shape *;
    return that shape."""
    if not isinstance(sequences, (list, tuple)) or not all(
            isinstance(s, Tensor) for s in sequences):
        raise TypeError(f"{op}: sequences must be a list or tuple of Tensors, got "
                        f"{type(sequences).__name__}")
    if len(sequences) == 0:
        raise ArgumentError(f"{op}: received an empty list of sequences")
    trailing = sequences[0].shape[1:]
    for i, s in enumerate(sequences):
        if s.ndim == 0 or s.shape[1:] != trailing:
            raise ArgumentError(f"{op}: every sequence must be (L_b, *) with the same trailing "
                                f"shape {trailing}; sequence {i} has shape {s.shape}")
    return trailing


def pad_sequence(
    sequences: Sequence[Tensor] | Tensor,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    r"""Stack sequences of different lengths into one tensor, padded with ``padding_value``.

    ``out[t, b] = sequences[b][t]`` for t < L_b and ``padding_value`` for L_b <= t < L_max
    (``padding_side="left"`` puts the padding first: the sequences end together).

    Gradient: each output step that came from a sequence sends its gradient back to that
    step; the padding gets none.

    Args:
        sequences: a list (or tuple) of B Tensors (L_b, *), the same trailing shape *.
        batch_first: output (B, L_max, *) instead of (L_max, B, *).
        padding_value: the fill value (default 0).
        padding_side: ``"right"`` (default) or ``"left"``.

    Returns:
        (L_max, B, *), or (B, L_max, *) with ``batch_first``.

    Raises:
        TypeError: not a sequence of Tensors.
        ValueError: no sequences, different trailing shapes or ranks, or a bad padding_side.

    >>> import numpy as np, minidl as md
    >>> from minidl.nn.utils.rnn import pad_sequence
    >>> a, b = md.tensor(np.array([1.0, 2.0, 3.0])), md.tensor(np.array([4.0]))
    >>> pad_sequence([a, b], batch_first=True)
    tensor([[1., 2., 3.],
            [4., 0., 0.]], dtype=float64)
    >>> pad_sequence([a, b], batch_first=True, padding_value=-1, padding_side="left")
    tensor([[ 1.,  2.,  3.],
            [-1., -1.,  4.]], dtype=float64)
    """
    op = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))              # PyTorch accepts a tensor too
    trailing = _check_sequences(op, sequences)
    if padding_side not in ("right", "left"):
        raise ValueError(f"{op}: padding_side must be 'right' or 'left', got {padding_side!r}")
    L_max = max(s.shape[0] for s in sequences)
    rest = (0, 0) * len(trailing)                           # F.pad lists the last axis first
    padded = []
    for s in sequences:
        missing = L_max - s.shape[0]
        amounts = (0, missing) if padding_side == "right" else (missing, 0)
        padded.append(pad(s, rest + amounts, value=padding_value) if missing else s)
    return stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(
    padded_sequences: Tensor,
    lengths: Any,
    batch_first: bool = False,
) -> list[Tensor]:
    r"""The inverse of :func:`pad_sequence` (right padding): sequence b is the first
    ``lengths[b]`` steps of column b.

    Args:
        padded_sequences: (L_max, B, *) or (B, L_max, *) with ``batch_first``.
        lengths: B ints (a list or a 1-D Tensor).

    Returns:
        a list of B Tensors (L_b, *).

    >>> import numpy as np, minidl as md
    >>> from minidl.nn.utils.rnn import unpad_sequence
    >>> tuple(s.shape for s in unpad_sequence(md.zeros(4, 2, 3), [4, 1]))
    ((4, 3), (1, 3))
    """
    op = "unpad_sequence"
    if not isinstance(padded_sequences, Tensor):
        raise TypeError(f"{op}: padded_sequences must be a Tensor, got "
                        f"{type(padded_sequences).__name__}")
    sizes = [int(n) for n in (lengths.tolist() if isinstance(lengths, Tensor) else lengths)]
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)   # (B, L_max, *)
    if len(sizes) != x.shape[0] or any(not 0 <= n <= x.shape[1] for n in sizes):
        raise ValueError(f"{op}: lengths {sizes} do not fit padded sequences of shape "
                         f"{padded_sequences.shape} (batch_first={batch_first})")
    return [x[b, :n] for b, n in enumerate(sizes)]


# ---------------------------------------------------------------------- packed sequences
#
# Legend: B sequences of lengths L_b, T = the longest; in the *sorted* batch (longest
# first) sequence j is the caller's sequence π(j) = sorted_indices[j], of length L_j.
# Packed row o_t + j holds step t of sorted sequence j, o_t = Σ_{s<t} batch_sizes[s].

class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    r"""A batch of sequences of different lengths, packed step by step: PyTorch's
    ``PackedSequence``, a named tuple ``(data, batch_sizes, sorted_indices,
    unsorted_indices)``.

    With the sequences sorted by length, longest first (sorted sequence j is the caller's
    sequence π(j) = ``sorted_indices[j]``, of length L_j):

    .. math::

        \text{batch\_sizes}[t] = \#\{j : L_j > t\}, \qquad
        \text{data}[o_t + j] = x_{\pi(j)}[t] \ \ (j < \text{batch\_sizes}[t]), \qquad
        o_t = \sum_{s<t} \text{batch\_sizes}[s]

    — step 0 of every sequence, then step 1 of those long enough, and so on: no padding.

    Fields:
        data: (sum(batch_sizes), *) the steps, in that order.
        batch_sizes: (T,) int64, the number of sequences that have a step t (T = max L_b).
        sorted_indices: (B,) int64 π, or None when the batch came sorted
            (``enforce_sorted=True``).
        unsorted_indices: (B,) int64 π⁻¹ (computed from ``sorted_indices`` when not
            given), or None.

    Made by :func:`pack_padded_sequence` and :func:`pack_sequence` (as in PyTorch, not
    meant to be built by hand; ``PackedSequence(data, batch_sizes)`` and
    ``PackedSequence((data, batch_sizes))`` both work); ``nn.RNN``, ``nn.LSTM`` and
    ``nn.GRU`` take one and return one; :func:`pad_packed_sequence` and
    :func:`unpack_sequence` undo it. ``to``, ``double``, ``float``, ``long``, ... apply
    to ``data`` (the indices stay int64); ``is_cuda`` is False.

    >>> import numpy as np, minidl as md
    >>> from minidl.nn.utils.rnn import pack_sequence
    >>> p = pack_sequence([md.tensor(np.array([1, 2, 3])), md.tensor(np.array([4, 5]))])
    >>> p
    PackedSequence(data=tensor([1, 4, 2, 5, 3]), batch_sizes=tensor([2, 2, 1]),
                   sorted_indices=None, unsorted_indices=None)
    >>> p.double().data.dtype
    dtype('float64')
    """

    __slots__ = ()

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if batch_sizes is None:                       # PackedSequence((data, batch_sizes))
            if not (isinstance(data, (tuple, list)) and len(data) == 2):
                raise TypeError("PackedSequence: give data and batch_sizes, or one pair "
                                f"(data, batch_sizes); got {type(data).__name__}")
            data, batch_sizes = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(*args, **kwargs)`` in a PackedSequence with the same indices; itself
        when ``data`` does not change (as PyTorch)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        raise RuntimeError("PackedSequence.cuda: minidl runs on the CPU only")

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False

    def double(self) -> PackedSequence:
        return self.to(np.float64)

    def float(self) -> PackedSequence:
        return self.to(np.float32)

    def half(self) -> PackedSequence:
        return self.to(np.float16)

    def long(self) -> PackedSequence:
        return self.to(np.int64)

    def int(self) -> PackedSequence:
        return self.to(np.int32)

    def short(self) -> PackedSequence:
        return self.to(np.int16)

    def char(self) -> PackedSequence:
        return self.to(np.int8)

    def byte(self) -> PackedSequence:
        return self.to(np.uint8)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation π⁻¹ (``out[π[j]] = j``) as an int64 Tensor; None for None.

    >>> import numpy as np, minidl as md
    >>> from minidl.nn.utils.rnn import invert_permutation
    >>> invert_permutation(md.tensor(np.array([2, 0, 1])))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    pi = np.asarray(permutation).astype(np.int64, copy=False)
    inverse = np.empty_like(pi)
    inverse[pi] = np.arange(pi.shape[0])
    return Tensor(inverse)


def _lengths_array(op: str, lengths: Any) -> np.ndarray:
    """``lengths`` (a list, tuple, Tensor or array of B numbers) as a 1-D int64 array
    (fractions are cut off, as PyTorch's int64 cast does)."""
    try:
        arr = np.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{op}: lengths must be a list or 1-D Tensor of ints, got "
                        f"{type(lengths).__name__}") from e
    if arr.dtype.kind not in "iufb":
        raise TypeError(f"{op}: lengths must be a list or 1-D Tensor of ints, got {lengths!r}")
    if arr.ndim != 1:
        raise ArgumentError(f"{op}: lengths must be 1-D (one length per sequence), got shape "
                            f"{arr.shape}")
    return arr.astype(np.int64)


def _sort_lengths(op: str, lengths: np.ndarray, enforce_sorted: bool
                  ) -> tuple[np.ndarray | None, np.ndarray]:
    """Check B lengths and sort them, longest first: (π or None, the sorted lengths).

    The order of equal lengths is PyTorch's (its sort is not stable beyond 16
    sequences; see :mod:`minidl.nn.utils._sort_order`)."""
    if (lengths <= 0).any():
        b = int(np.flatnonzero(lengths <= 0)[0])
        raise ArgumentError(f"{op}: every sequence length must be greater than 0, got "
                            f"lengths[{b}] = {lengths[b]}")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise ArgumentError(
                f"{op}: lengths must be sorted in decreasing order when enforce_sorted=True, "
                f"got {lengths.tolist()}; pass enforce_sorted=False to have them sorted")
        return None, lengths
    order = descending_order(lengths)
    return order, lengths[order]


def _packed_steps(sorted_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t, j) of every packed row, in packed order: t-major, then j (sorted sequence)."""
    T = int(sorted_lengths[0])
    t, j = np.nonzero(sorted_lengths[None, :] > np.arange(T)[:, None])     # (T, B) mask
    return t, j


def _gather(rows: Tensor, index: np.ndarray) -> Tensor:
    """``rows[index]`` (one gather, differentiable); a reshape when index is 0, 1, 2, ..."""
    if index.size == rows.shape[0] and (index.reshape(-1) == np.arange(index.size)).all():
        return rows.reshape(*index.shape, *rows.shape[1:])
    return rows[index]


def _make_packed(rows: Tensor, flat: np.ndarray, t: np.ndarray,
                 order: np.ndarray | None) -> PackedSequence:
    """The PackedSequence whose row k is ``rows[flat[k]]``, for steps t of the sorted batch."""
    batch_sizes = np.bincount(t).astype(np.int64)           # batch_sizes[t] = #{j : L_j > t}
    return PackedSequence(_gather(rows, flat), Tensor(batch_sizes),
                          None if order is None else Tensor(order.astype(np.int64)), None)


def pack_padded_sequence(
    input: Tensor,
    lengths: Any,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    r"""Pack a padded batch of sequences: only the first L_b steps of column b are kept.

    .. math::

        \text{data}[o_t + j] = \text{input}[t, \pi(j)] \quad (t < L_{\pi(j)}), \qquad
        \text{batch\_sizes}[t] = \#\{b : L_b > t\}

    (π sorts the lengths longest first; with ``enforce_sorted=True`` they must already
    be, and π is the identity). Computed as one gather from the (T·B, *) rows of the
    input. Equal lengths are ordered as PyTorch orders them.

    Gradient: each packed row sends its gradient back to the step it came from; the
    padded steps (t ≥ L_b) get zero.

    Args:
        input: (T, B, *), or (B, T, *) with ``batch_first`` (at least 2-D).
        lengths: B positive ints, a list or a 1-D Tensor (int64 in PyTorch's sense:
            fractions are cut off), each at most T.
        batch_first: the input is (B, T, *).
        enforce_sorted: the lengths must be in decreasing order (default True); False
            sorts the batch, and the PackedSequence records the order.

    Returns:
        a :class:`PackedSequence`; ``data`` is (ΣL_b, *), ``batch_sizes`` (max L_b,) int64.

    Raises:
        TypeError: input is not a Tensor, or lengths are not numbers.
        ValueError (also a RuntimeError, as PyTorch raises): an input with fewer than 2
            axes or no values, len(lengths) ≠ B, a length ≤ 0 or > T, unsorted lengths
            with ``enforce_sorted=True``.

    >>> import numpy as np, minidl as md
    >>> from minidl.nn.utils.rnn import pack_padded_sequence
    >>> x = md.tensor(np.array([[1, 2, 0], [3, 0, 0], [4, 5, 6]]))   # (B, T) = (3, 3)
    >>> p = pack_padded_sequence(x, [2, 1, 3], batch_first=True, enforce_sorted=False)
    >>> p.data, p.batch_sizes, p.sorted_indices
    (tensor([4, 1, 3, 5, 2, 6]), tensor([3, 2, 1]), tensor([2, 0, 1]))
    """
    op = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    layout = "(B, T, *)" if batch_first else "(T, B, *)"
    if input.ndim < 2:
        raise ArgumentError(f"{op}: input must be {layout}, at least 2-D, got shape "
                            f"{input.shape}")
    if input.numel() == 0:
        raise ArgumentError(f"{op}: cannot pack empty tensors; input shape {input.shape}")
    B, T = (input.shape[0], input.shape[1]) if batch_first else (input.shape[1], input.shape[0])
    lengths_b = _lengths_array(op, lengths)
    if lengths_b.shape[0] != B:
        raise ArgumentError(f"{op}: lengths has {lengths_b.shape[0]} entries but the input "
                            f"{layout} = {input.shape} holds B = {B} sequences")
    order, sorted_lengths = _sort_lengths(op, lengths_b, bool(enforce_sorted))
    if sorted_lengths.max() > T:
        longest = int(np.argmax(lengths_b))
        raise ArgumentError(f"{op}: lengths[{longest}] = {lengths_b[longest]} is longer than "
                            f"the input's T = {T} steps; input {layout} = {input.shape}")
    t, j = _packed_steps(sorted_lengths)
    b = j if order is None else order[j]                     # the caller's sequence π(j)
    flat = b * T + t if batch_first else t * B + b           # its row in the (T·B, *) rows
    rows = input.reshape(B * T, *input.shape[2:])
    return _make_packed(rows, flat, t, order)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    r"""Pack a list of B sequences (L_b, *) of different lengths into a PackedSequence.

    The same as ``pack_padded_sequence(pad_sequence(sequences), [L_b ...],
    enforce_sorted=enforce_sorted)``, computed without padding: one gather from the
    sequences joined end to end, ``data[o_t + j] = sequences[π(j)][t]``.

    Gradient: each packed row back to its step of its sequence.

    Args:
        sequences: a list (or tuple) of B Tensors (L_b, *), the same trailing shape *,
            every L_b > 0.
        enforce_sorted: the sequences must come longest first (default True).

    Returns:
        a :class:`PackedSequence`.

    Raises:
        TypeError: not a list of Tensors.
        ValueError (also a RuntimeError): no sequences, a 0-d Tensor, different trailing
            shapes, an empty sequence, or unsorted lengths with ``enforce_sorted=True``.

    >>> import numpy as np, minidl as md
    >>> from minidl.nn.utils.rnn import pack_sequence
    >>> a, b = md.tensor(np.array([1, 2])), md.tensor(np.array([3, 4, 5]))
    >>> pack_sequence([a, b], enforce_sorted=False).data
    tensor([3, 1, 4, 2, 5])
    """
    op = "pack_sequence"
    _check_sequences(op, sequences)
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    order, sorted_lengths = _sort_lengths(op, lengths, bool(enforce_sorted))
    starts = np.cumsum(lengths) - lengths                    # where sequence b begins
    t, j = _packed_steps(sorted_lengths)
    b = j if order is None else order[j]
    rows = sequences[0] if len(sequences) == 1 else cat(list(sequences), dim=0)  # (ΣL_b, *)
    return _make_packed(rows, starts[b] + t, t, order)


def _batch_sizes(op: str, sequence: PackedSequence) -> np.ndarray:
    """The checked ``batch_sizes`` of a PackedSequence as an int64 array."""
    sizes = np.asarray(sequence.batch_sizes)
    n_rows = sequence.data.shape[0] if isinstance(sequence.data, Tensor) else None
    if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu" \
            or (sizes <= 0).any() or (np.diff(sizes) > 0).any() or sizes.sum() != n_rows:
        raise ArgumentError(f"{op}: sequence.batch_sizes must be a non-increasing 1-D int "
                            f"Tensor of positive sizes adding up to the {n_rows} rows of "
                            f"sequence.data, got {sizes.tolist()}")
    return sizes.astype(np.int64)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    r"""Unpack a PackedSequence into a padded batch, in the caller's order of sequences:
    the inverse of :func:`pack_padded_sequence`.

    .. math::

        \text{out}[t, b] = \begin{cases} \text{data}[o_t + \pi^{-1}(b)] & t < L_b \\
        \text{padding\_value} & L_b \le t < T \end{cases}

    with T = ``total_length`` or the longest length. One gather from the rows of
    ``data`` and one extra row holding ``padding_value`` (cast to data's dtype).

    Gradient: each output step that came from the data sends its gradient to that
    packed row; the padding sends nothing.

    Args:
        sequence: a :class:`PackedSequence`, data (ΣL_b, *).
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value of the padded steps (default 0).
        total_length: pad to this many steps (at least the longest length); default the
            longest length.

    Returns:
        (padded, lengths): (T, B, *) or (B, T, *), and the B lengths as an int64 Tensor,
        both in the order the sequences were given to ``pack_*``.

    Raises:
        TypeError: sequence is not a PackedSequence, or total_length is not an int.
        ValueError: ``total_length`` shorter than the longest sequence, or inconsistent
            ``batch_sizes``.

    >>> import numpy as np, minidl as md
    >>> from minidl.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    >>> x = md.tensor(np.array([[1, 2, 0], [3, 0, 0], [4, 5, 6]]))
    >>> p = pack_padded_sequence(x, [2, 1, 3], batch_first=True, enforce_sorted=False)
    >>> pad_packed_sequence(p, batch_first=True, padding_value=-1)
    (tensor([[ 1,  2, -1],
            [ 3, -1, -1],
            [ 4,  5,  6]]), tensor([2, 1, 3]))
    """
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}: sequence must be a PackedSequence, got "
                        f"{type(sequence).__name__}")
    data = sequence.data
    batch_sizes = _batch_sizes(op, sequence)
    T_max = batch_sizes.shape[0]
    T = T_max
    if total_length is not None:
        try:
            T = operator.index(total_length)
        except TypeError:
            raise TypeError(f"{op}: total_length must be an int or None, got "
                            f"{total_length!r}") from None
        if T < T_max:
            raise ArgumentError(f"{op}: expected total_length to be at least the length of "
                                f"the longest sequence in input, but got total_length={T} "
                                f"and max sequence length being {T_max}")
    B = int(batch_sizes[0])
    sorted_lengths = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(1)  # L_j = #{t : B_t > j}
    offsets = np.cumsum(batch_sizes) - batch_sizes                         # o_t
    j = np.arange(B) if sequence.unsorted_indices is None \
        else np.asarray(sequence.unsorted_indices).astype(np.int64)       # π⁻¹(b)
    steps = np.arange(T)[:, None]                                          # (T, 1)
    inside = steps < sorted_lengths[j][None, :]                            # (T, B)
    index = np.where(inside, offsets[np.minimum(steps, T_max - 1)] + j[None, :],
                     data.shape[0])                        # the padding row after the data
    if batch_first:
        index = index.T                                                    # (B, T)
    if inside.all():
        padded = _gather(data, index)
    else:
        fill = Tensor(np.full((1, *data.shape[1:]), padding_value, dtype=data.dtype))
        padded = cat([data, fill], dim=0)[index]
    return padded, Tensor(sorted_lengths[j].astype(np.int64))


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of B sequences (L_b, *) in a PackedSequence, in the caller's order: the
    inverse of :func:`pack_sequence` (``pad_packed_sequence`` then ``unpad_sequence``).

    >>> import numpy as np, minidl as md
    >>> from minidl.nn.utils.rnn import pack_sequence, unpack_sequence
    >>> a, b = md.tensor(np.array([1, 2])), md.tensor(np.array([3, 4, 5]))
    >>> unpack_sequence(pack_sequence([a, b], enforce_sorted=False))
    [tensor([1, 2]), tensor([3, 4, 5])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


# ---------------------------------------------------------------------- RNNs over packed input

def _packed_forward(module: Any, packed: PackedSequence, hx: Any) -> Any:
    r"""``module(packed, hx)`` for ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``, with PyTorch's
    meaning: every sequence runs over its own L_b steps only, so the reverse direction of
    a bidirectional layer starts at the sequence's own last step and h_n (c_n) holds each
    sequence's own last state.

    How: the sequences of the sorted batch that have the same length form one sub-batch
    (L, n, D) — gathered from ``data`` in one step, no padding — which runs through the
    module's own forward (its fast paths, its dropout); the sub-batches' outputs go back
    into packed order in one gather, their states into the caller's order. ``hx`` is in
    the caller's order, as in PyTorch; ``batch_first`` does not apply to packed data.

    Returns:
        (PackedSequence with the input's batch_sizes and indices, data (ΣL_b,
        num_directions · H); h_n, or (h_n, c_n) for an LSTM, each (num_layers ·
        num_directions, B, H) in the caller's order).
    """
    from ..recurrent import LSTM        # at call time: nn.recurrent imports this module
    name = type(module).__name__
    if not isinstance(packed.data, Tensor):
        raise TypeError(f"{name}: the PackedSequence's data must be a Tensor, got "
                        f"{type(packed.data).__name__}")
    data = packed.data
    batch_sizes = _batch_sizes(name, packed)
    D, H = module.input_size, module.hidden_size
    if data.ndim != 2 or data.shape[1] != D:
        raise ArgumentError(f"{name}: a packed input's data must be (sum(batch_sizes), D) = "
                            f"({data.shape[0]}, {D}), got shape {data.shape}")
    B = int(batch_sizes[0])
    K = module.num_layers * (2 if module.bidirectional else 1)
    lstm = isinstance(module, LSTM)
    if lstm:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{name}: hx must be a pair (h_0, c_0) of Tensors or None, got "
                            f"{type(hx).__name__}")
        names, states = ["h_0", "c_0"], [None, None] if hx is None else list(hx)
    else:
        names, states = ["h_0"], [hx]
    order = None if packed.sorted_indices is None \
        else np.asarray(packed.sorted_indices).astype(np.int64)
    for i, (state_name, s) in enumerate(zip(names, states)):
        if s is None:
            continue
        if not isinstance(s, Tensor):
            raise TypeError(f"{name}: {state_name} must be a Tensor, got {type(s).__name__}")
        if s.shape != (K, B, H):
            raise ArgumentError(f"{name}: {state_name} must be (num_layers * num_directions, "
                                f"N, H) = {(K, B, H)} for a packed batch of N = {B} "
                                f"sequences, got shape {s.shape}")
        states[i] = s if order is None else s[:, order]     # into the sorted order
    sorted_lengths = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(1)  # L_j, descending
    offsets = np.cumsum(batch_sizes) - batch_sizes                         # o_t
    bounds = [0, *(np.flatnonzero(np.diff(sorted_lengths)) + 1).tolist(), B]
    rows, outputs, finals = [], [], []
    for a, b in zip(bounds[:-1], bounds[1:]):               # sorted sequences a..b-1, length L
        L = int(sorted_lengths[a])
        index = offsets[:L, None] + np.arange(a, b)[None, :]          # (L, n) packed rows
        if module.batch_first:
            index = index.T                                            # (n, L)
        group_hx = [None if s is None else s[:, a:b] for s in states]
        if lstm:
            out, state = module.forward(_gather(data, index),
                                        None if hx is None else tuple(group_hx))
        else:
            out, state = module.forward(_gather(data, index), group_hx[0])
        rows.append(index.reshape(-1))
        outputs.append(out.reshape(-1, out.shape[-1]))              # (L·n, directions·H)
        finals.append(state)
    where = np.empty(data.shape[0], dtype=np.int64)
    where[np.concatenate(rows)] = np.arange(data.shape[0])   # packed row k is output row where[k]
    joined = outputs[0] if len(outputs) == 1 else cat(outputs, dim=0)
    output = PackedSequence(_gather(joined, where), packed.batch_sizes, packed.sorted_indices,
                            packed.unsorted_indices)
    unsort = None if packed.unsorted_indices is None \
        else np.asarray(packed.unsorted_indices).astype(np.int64)

    def caller_order(parts: list[Tensor]) -> Tensor:        # (K, B, H) in the caller's order
        s = parts[0] if len(parts) == 1 else cat(parts, dim=1)
        return s if unsort is None else s[:, unsort]

    if lstm:
        return output, (caller_order([f[0] for f in finals]),
                        caller_order([f[1] for f in finals]))
    return output, caller_order(finals)
