"""The order in which PyTorch sorts the lengths of a batch (``enforce_sorted=False``).

``pack_padded_sequence(..., enforce_sorted=False)`` sorts the lengths in descending order
and packs the sequences in that order; which of several sequences of the *same* length
comes first decides the row order of ``packed.data`` and ``sorted_indices``. PyTorch's
CPU sort is not stable: ``torch.sort(lengths, descending=True)`` is the C++ standard
library's ``std::sort`` (introsort) on (length, index) pairs, compared by length only.
For at most 16 sequences that is a plain insertion sort, so equal lengths keep their
order; for more, the partitioning steps reorder ties.

:func:`descending_order` reproduces that order exactly, so ``packed.data`` matches
PyTorch's row for row (tested against ``torch.sort`` for batches of 1 to 400 with
ties). It is the GNU libstdc++ introsort (the one PyTorch's Linux builds use), written
out step by step; when the lengths have no ties, or there are at most 16 of them, every
correct sort gives the same order and NumPy's stable argsort is used instead.
"""
from __future__ import annotations

import numpy as np

__all__ = ["descending_order"]

_INSERTION_LIMIT = 16          # introsort leaves runs of at most this many to insertion sort


def descending_order(lengths: np.ndarray) -> np.ndarray:
    """The indices that sort ``lengths`` (1-D ints) in descending order, ties ordered as
    ``torch.sort(lengths, descending=True)`` orders them on the CPU.

    >>> import numpy as np
    >>> descending_order(np.array([2, 3, 2, 1])).tolist()
    [1, 0, 2, 3]
    """
    lengths = np.asarray(lengths)
    B = lengths.shape[0]
    if B <= _INSERTION_LIMIT or np.unique(lengths).size == B:
        return np.argsort(-lengths, kind="stable")
    return np.array(_introsort([int(n) for n in lengths]), dtype=np.int64)


def _introsort(keys: list[int]) -> list[int]:
    """libstdc++'s ``std::sort`` of the indices 0..B-1 by ``keys[i] > keys[j]``."""
    a = list(range(len(keys)))

    def before(i: int, j: int) -> bool:          # the comparator: longer first
        return keys[i] > keys[j]

    def median_to_first(result: int, x: int, y: int, z: int) -> None:
        # the median of a[x], a[y], a[z] is swapped into a[result] (the pivot)
        if before(a[x], a[y]):
            m = y if before(a[y], a[z]) else z if before(a[x], a[z]) else x
        else:
            m = x if before(a[x], a[z]) else z if before(a[y], a[z]) else y
        a[result], a[m] = a[m], a[result]

    def partition(first: int, last: int, pivot: int) -> int:
        # Hoare's scheme, no bounds checks: the pivot's neighbours stop both scans
        while True:
            while before(a[first], a[pivot]):
                first += 1
            last -= 1
            while before(a[pivot], a[last]):
                last -= 1
            if first >= last:
                return first
            a[first], a[last] = a[last], a[first]
            first += 1

    def sift(first: int, hole: int, n: int, value: int) -> None:
        # move the hole down to a leaf along the larger children, then push value up
        top, child = hole, hole
        while child < (n - 1) // 2:
            child = 2 * (child + 1)
            if before(a[first + child], a[first + child - 1]):
                child -= 1
            a[first + hole] = a[first + child]
            hole = child
        if n % 2 == 0 and child == (n - 2) // 2:
            child = 2 * (child + 1)
            a[first + hole] = a[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and before(a[first + parent], value):
            a[first + hole] = a[first + parent]
            hole, parent = parent, (parent - 1) // 2
        a[first + hole] = value

    def heapsort(first: int, last: int) -> None:     # when the recursion gets too deep
        n = last - first
        for parent in range((n - 2) // 2, -1, -1):
            sift(first, parent, n, a[first + parent])
        while last - first > 1:
            last -= 1
            value, a[last] = a[last], a[first]
            sift(first, 0, last - first, value)

    def introsort_loop(first: int, last: int, depth: int) -> None:
        while last - first > _INSERTION_LIMIT:
            if depth == 0:
                heapsort(first, last)
                return
            depth -= 1
            median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
            cut = partition(first + 1, last, first)
            introsort_loop(cut, last, depth)
            last = cut

    def linear_insert(i: int) -> None:               # unguarded: a smaller key is to the left
        value, j = a[i], i - 1
        while before(value, a[j]):
            a[i] = a[j]
            i, j = j, j - 1
        a[i] = value

    B = len(a)
    introsort_loop(0, B, 2 * (B.bit_length() - 1))
    for i in range(1, _INSERTION_LIMIT):             # guarded insertion sort of the head
        value = a[i]
        if before(value, a[0]):
            a[1:i + 1] = a[0:i]
            a[0] = value
        else:
            linear_insert(i)
    for i in range(_INSERTION_LIMIT, B):
        linear_insert(i)
    return a
