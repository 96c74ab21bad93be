"""``torch.nn.utils.rnn``: a batch of sequences of different lengths as one padded tensor.

``pad_sequence`` stacks sequences (L_i, *) into (L_max, B, *) (or (B, L_max, *) with
``batch_first``), filling the missing steps with ``padding_value``; ``unpad_sequence``
cuts them back out. Both are written with ``F.pad``, ``stack`` and slicing, so gradients
flow to every sequence (the padding gets none).

PyTorch's packed sequences (``PackedSequence``, ``pack_padded_sequence``,
``pad_packed_sequence``, ``pack_sequence``) are not implemented in minidl: minidl's RNNs
take padded batches (run the sequences at their own lengths, or mask the padded steps).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...functional.padding import pad
from ...tensor import Tensor, stack

if TYPE_CHECKING:
    from typing import Sequence

__all__ = ["pad_sequence", "unpad_sequence", "PackedSequence", "pack_padded_sequence",
           "pad_packed_sequence", "pack_sequence", "unpack_sequence"]


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
    if not isinstance(sequences, (list, tuple)) or not all(
            isinstance(s, Tensor) for s in sequences):
        raise TypeError(f"{op}: sequences must be a list or tuple of Tensors, got "
                        f"{type(sequences).__name__}")
    if len(sequences) == 0:
        raise ValueError(f"{op}: received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"{op}: padding_side must be 'right' or 'left', got {padding_side!r}")
    trailing = sequences[0].shape[1:]
    for i, s in enumerate(sequences):
        if s.ndim == 0 or s.shape[1:] != trailing:
            raise ValueError(f"{op}: every sequence must be (L_b, *) with the same trailing shape "
                             f"{trailing}; sequence {i} has shape {s.shape}")
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


_PACKED = ("{name}: packed sequences are not implemented in minidl; pass a padded batch "
           "(nn.utils.rnn.pad_sequence) to the RNN and run or mask each sequence at its length")


class PackedSequence:
    """Not implemented in minidl (see the module docstring): constructing one raises."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(_PACKED.format(name="PackedSequence"))


def pack_padded_sequence(input: Any, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> Any:
    """Not implemented in minidl: raises NotImplementedError (see the module docstring)."""
    raise NotImplementedError(_PACKED.format(name="pack_padded_sequence"))


def pad_packed_sequence(sequence: Any, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> Any:
    """Not implemented in minidl: raises NotImplementedError (see the module docstring)."""
    raise NotImplementedError(_PACKED.format(name="pad_packed_sequence"))


def pack_sequence(sequences: Any, enforce_sorted: bool = True) -> Any:
    """Not implemented in minidl: raises NotImplementedError (see the module docstring)."""
    raise NotImplementedError(_PACKED.format(name="pack_sequence"))


def unpack_sequence(packed_sequences: Any) -> Any:
    """Not implemented in minidl: raises NotImplementedError (see the module docstring)."""
    raise NotImplementedError(_PACKED.format(name="unpack_sequence"))
