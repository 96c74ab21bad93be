"""``minidl.utils.data``: datasets, samplers and the DataLoader, as in PyTorch.

A *dataset* maps an index to a sample (``dataset[i]``, ``len(dataset)``); a *sampler*
yields indices (in order, or shuffled); a *batch sampler* groups them into lists; the
DataLoader fetches each list's samples and *collates* them into one batch::

    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    for xb, yb in loader:          # xb: (64, ...) Tensor, yb: (64,) Tensor
        ...

Everything runs in the calling process (``num_workers`` is accepted and ignored).
Shuffling draws from minidl's generator (``md.manual_seed``), or from the ``generator``
given, so a seeded run repeats exactly; the orders differ from PyTorch's, whose generator
is another algorithm.
"""
from __future__ import annotations

import bisect
import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sized

import numpy as np

import minidl as _md
from .. import random as _random

if TYPE_CHECKING:
    from ..random import Generator
    from ..tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "DataLoader", "default_collate",
           "default_convert", "get_worker_info"]


# ---------------------------------------------------------------------- datasets
class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(i)`` and ``__len__()``.

    ``a + b`` is the :class:`ConcatDataset` of the two.
    """

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (no indices, no shuffling)."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        raise TypeError("IterableDataset: + of iterable datasets is not supported")


class TensorDataset(Dataset):
    """Samples that are rows of Tensors: ``dataset[i] = (t[i] for t in tensors)``.

    Args:
        *tensors: Tensors (NumPy arrays are made into Tensors) with the same first
            dimension N.

    Raises:
        ValueError: no tensors, a 0-d tensor, or first dimensions that differ.

    >>> import minidl as md
    >>> from minidl.utils.data import TensorDataset
    >>> ds = TensorDataset(md.arange(6).reshape(3, 2), md.tensor([0, 1, 0]))
    >>> x, y = ds[1]
    >>> len(ds), x.tolist(), y.item()
    (3, [2, 3], 1)
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        tensors = tuple(t if isinstance(t, _md.Tensor) else _md.tensor(np.asarray(t))
                        for t in tensors)
        if any(t.ndim == 0 for t in tensors):
            raise ValueError("TensorDataset: every tensor needs a first dimension N, got "
                             f"shapes {[tuple(t.shape) for t in tensors]}")
        if len({t.shape[0] for t in tensors}) != 1:
            raise ValueError("TensorDataset: every tensor must have the same first dimension "
                             f"N (size mismatch), got shapes {[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    >>> from minidl.utils.data import Subset
    >>> s = Subset(list("abcde"), [4, 0])
    >>> len(s), s[0], s[1]
    (2, 'e', 'a')
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another.

    Raises:
        ValueError: no datasets.  TypeError: an IterableDataset among them.
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset: does not support IterableDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError(f"ConcatDataset: index {index} out of range for length "
                                 f"{len(self)}")
            index += len(self)
        j = bisect.bisect_right(self.cumulative_sizes, index)
        start = 0 if j == 0 else self.cumulative_sizes[j - 1]
        return self.datasets[j][index - start]


def random_split(
    dataset: Any, lengths: Sequence[int | float], generator: Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s.

    Args:
        dataset: a map-style dataset of length n.
        lengths: the subsets' lengths (ints summing to n), or fractions summing to 1:
            each gets ⌊f·n⌋ samples and the r left over go one each to the first r
            subsets (PyTorch's rule).
        generator: the random stream (default: minidl's, seeded by ``md.manual_seed``).

    Returns:
        A list of Subsets; together their indices are a permutation of 0 … n−1.

    Raises:
        ValueError: lengths that neither sum to n nor are fractions summing to 1.
        TypeError: a length that is not a number.

    >>> import minidl as md
    >>> from minidl.utils.data import random_split
    >>> a, b = random_split(range(10), [0.7, 0.3], generator=md.random.Generator().manual_seed(0))
    >>> len(a), len(b), sorted(list(a) + list(b)) == list(range(10))
    (7, 3, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    for x in lengths:
        if not isinstance(x, numbers.Real) or isinstance(x, bool):
            raise TypeError(f"random_split: lengths must be ints or fractions, got {x!r}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and len(lengths) <= n \
            and not all(isinstance(x, numbers.Integral) for x in lengths):
        for j, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {j} is not between 0 "
                                 f"and 1, got {frac}")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for j in range(n - sum(counts)):          # the remainder, round-robin
            counts[j % len(counts)] += 1
        for j, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"random_split: length of split at index {j} is 0; this "
                              f"might result in an empty dataset", UserWarning, stacklevel=2)
        lengths = counts
    if any(not float(x).is_integer() or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths {lengths} does not equal the "
                         f"length of the input dataset ({n}), and they are not fractions "
                         f"summing to 1")
    rng = _random._numpy_generator("random_split", generator)
    order = rng.permutation(n).tolist()
    subsets, start = [], 0
    for length in lengths:
        length = int(length)
        subsets.append(Subset(dataset, order[start:start + length]))
        start += length
    return subsets


# ---------------------------------------------------------------------- samplers
class Sampler:
    """Yields indices into a dataset; subclasses define ``__iter__`` (and ``__len__``)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, …, len(data_source) − 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices, new at each pass (each ``iter``).

    Args:
        data_source: the dataset (its length n).
        replacement: draw ``num_samples`` indices with replacement instead of a
            permutation.
        num_samples: how many indices a pass yields (default n; more than n without
            replacement gives several permutations one after another, as in PyTorch).
        generator: the random stream (default: minidl's).

    Raises:
        ValueError: ``num_samples`` ≤ 0.  TypeError: a non-bool ``replacement``.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got "
                            f"{type(replacement).__name__}")
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, numbers.Integral) or isinstance(
                self.num_samples, bool) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples must be a positive int, got "
                             f"{self.num_samples!r}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = len(self.data_source), self.num_samples
        rng = _random._numpy_generator("RandomSampler", self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=k).tolist()
            return
        for _ in range(k // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:k % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, new at each pass."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = _random._numpy_generator("SubsetRandomSampler", self.generator)
        for j in rng.permutation(len(self.indices)).tolist():
            yield self.indices[j]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: any iterable of indices.
        batch_size: an int ≥ 1.
        drop_last: leave out a last batch smaller than ``batch_size``.

    Raises:
        ValueError: ``batch_size`` not a positive int.  TypeError: ``drop_last`` not a bool.

    >>> from minidl.utils.data import BatchSampler
    >>> list(BatchSampler(range(5), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    sampler: Any
    batch_size: int
    drop_last: bool

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) \
                or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, "
                             f"got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise TypeError(f"BatchSampler: drop_last should be a bool, got "
                            f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ---------------------------------------------------------------------- collate
def _is_numeric_array(x):
    return isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "biufc"


def default_convert(data: Any) -> Any:
    """What the DataLoader does to samples when it does not batch (``batch_size=None``):
    NumPy arrays and scalars become Tensors, containers are converted element-wise, and
    everything else (Python numbers, strings, Tensors) is left as it is."""
    if _is_numeric_array(data):
        return _md.tensor(np.asarray(data))
    if isinstance(data, Mapping):
        converted = {k: default_convert(v) for k, v in data.items()}
        return type(data)(converted) if _rebuildable(data) else converted  # type: ignore[call-arg]
    if isinstance(data, tuple) and hasattr(data, "_fields"):       # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def _rebuildable(mapping):
    try:
        type(mapping)()
        return True
    except TypeError:
        return False


def default_collate(batch: Sequence[Any]) -> Any:
    """Make one batch from a list of samples, as PyTorch's ``default_collate``:

    =========================  ==================================================
    samples are                the batch is
    =========================  ==================================================
    Tensors of shape S         ``md.stack(batch)``, shape (B, *S)
    NumPy arrays / scalars     a Tensor of shape (B, *S), the arrays' dtype
    Python floats              a float64 Tensor of shape (B,)  (PyTorch's choice)
    Python ints (bools)        an int64 (bool) Tensor of shape (B,)
    strings, bytes             the list of them, unchanged
    dicts                      a dict: each key's values collated
    namedtuples                the namedtuple of the collated fields
    tuples, lists              a list: each position's values collated
    =========================  ==================================================

    Args:
        batch: a list of B samples of the same structure.

    Raises:
        RuntimeError: sequences of different lengths in one batch (as PyTorch).
        TypeError: a sample of a kind not in the table.

    >>> from minidl.utils.data import default_collate
    >>> labels, weights = default_collate([(1, 0.5), (2, 1.5)])
    >>> labels.tolist(), str(labels.dtype), weights.tolist(), str(weights.dtype)
    ([1, 2], 'int64', [0.5, 1.5], 'float64')
    """
    elem = batch[0]
    if isinstance(elem, _md.Tensor):
        return _md.stack(list(batch), 0)
    if isinstance(elem, (np.ndarray, np.generic)):
        if not _is_numeric_array(elem):
            if isinstance(elem, (np.str_, np.bytes_)):
                return list(batch)
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, "
                            f"numbers, dicts or lists; found an array of dtype {elem.dtype}")
        return _md.tensor(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, float):
        return _md.tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, bool):
        return _md.tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return _md.tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if _rebuildable(elem) and type(elem) is not dict:
            out: Any = type(elem)()
            out.update(collated)
            return out
        return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):       # a namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               f"equal size, got lengths {[len(b) for b in batch]}")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem)}")


def get_worker_info() -> None:
    """None: the DataLoader always runs in the calling process (PyTorch's answer there)."""
    return None


# ---------------------------------------------------------------------- loader
class DataLoader:
    """Batches of a dataset, shuffled or in order, as PyTorch's ``DataLoader``.

    One pass (``for batch in loader``) takes the indices from the sampler (a new random
    order each pass if ``shuffle``), groups them by ``batch_size``, fetches the samples
    and collates each group with ``collate_fn`` (:func:`default_collate` unless given).

    Args:
        dataset: a map-style :class:`Dataset` (anything with ``__getitem__`` and
            ``__len__``) or an :class:`IterableDataset`.
        batch_size: samples per batch (default 1); None yields samples one by one,
            converted by :func:`default_convert`.
        shuffle: a new random order each pass, drawn from ``generator``.
        sampler: an iterable of indices to use instead (excludes ``shuffle``).
        batch_sampler: an iterable of lists of indices (excludes ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: accepted and ignored: minidl loads in the calling process, so
            ``num_workers=2`` gives the same batches as 0, one after another.
        collate_fn: makes a batch from a list of samples.
        pin_memory: accepted; there is no device memory to pin (CPU only).
        drop_last: leave out a last batch smaller than ``batch_size``.
        timeout, worker_init_fn, multiprocessing_context, prefetch_factor,
            persistent_workers, pin_memory_device, in_order: PyTorch's worker options;
            accepted with PyTorch's checks, no effect (there are no workers).
        generator: the random stream for shuffling: a :class:`minidl.random.Generator`;
            default minidl's own, seeded by ``md.manual_seed``.

    Raises:
        ValueError: ``sampler`` with ``shuffle``; ``batch_sampler`` with ``batch_size``,
            ``shuffle``, ``sampler`` or ``drop_last``; ``drop_last`` without batching;
            ``num_workers`` or ``timeout`` < 0; ``prefetch_factor`` or
            ``persistent_workers`` without workers; ``shuffle`` or a sampler with an
            IterableDataset; a ``batch_size`` that is not a positive int.
        TypeError: ``collate_fn`` not callable.

    Examples:
        >>> import minidl as md
        >>> from minidl.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(md.arange(10).reshape(5, 2), md.arange(5))
        >>> [tuple(y.tolist()) for _, y in DataLoader(ds, batch_size=2)]
        [(0, 1), (2, 3), (4,)]
        >>> len(DataLoader(ds, batch_size=2, drop_last=True))
        2
        >>> _ = md.manual_seed(0); first = [y.tolist() for _, y in DataLoader(ds, 2, shuffle=True)]
        >>> _ = md.manual_seed(0); again = [y.tolist() for _, y in DataLoader(ds, 2, shuffle=True)]
        >>> first == again                             # a seeded run repeats
        True
    """

    dataset: Any
    batch_size: int | None
    drop_last: bool
    sampler: Any
    batch_sampler: Any
    collate_fn: Callable[[Any], Any]
    _iterable: bool

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable[Any] | None = None,
        batch_sampler: Sampler | Iterable[Any] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        name = "DataLoader"
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"{name}: num_workers option should be a non-negative int, got "
                             f"{num_workers!r}")
        if timeout < 0:
            raise ValueError(f"{name}: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(f"{name}: prefetch_factor option could only be specified in "
                             f"multiprocessing; let num_workers > 0 to enable it")
        if persistent_workers and num_workers == 0:
            raise ValueError(f"{name}: persistent_workers option needs num_workers > 0")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"{name}: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral)
                                       or isinstance(batch_size, bool) or batch_size <= 0):
            raise ValueError(f"{name}: batch_size should be a positive int or None, got "
                             f"batch_size={batch_size!r}")
        if not isinstance(dataset, IterableDataset) and not (
                hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            if not hasattr(dataset, "__iter__"):
                raise TypeError(f"{name}: dataset must have __getitem__ and __len__ (a "
                                f"Dataset) or __iter__ (an IterableDataset), got "
                                f"{type(dataset).__name__}")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset) or not (
            hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"))

        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"{name}: shuffle option must not be specified with an "
                                 f"IterableDataset, got shuffle={shuffle!r}")
            if sampler is not None:
                raise ValueError(f"{name}: sampler option must not be specified with an "
                                 f"IterableDataset")
            if batch_sampler is not None:
                raise ValueError(f"{name}: batch_sampler option must not be specified with "
                                 f"an IterableDataset")
        if sampler is not None and shuffle:
            raise ValueError(f"{name}: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(f"{name}: batch_sampler option is mutually exclusive with "
                                 f"batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(f"{name}: batch_size=None option disables auto-batching and is "
                             f"mutually exclusive with drop_last")
        if not isinstance(drop_last, bool):
            raise TypeError(f"{name}: drop_last must be a bool, got {type(drop_last).__name__}")

        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable
                                                             and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __iter__(self) -> Iterator[Any]:
        if self._iterable:
            yield from self._iter_stream()
            return
        if self.batch_sampler is None:              # batch_size=None: one sample at a time
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        for indices in self.batch_sampler:
            yield self._fetch(list(indices))

    def _fetch(self, indices):
        """Collate the samples at ``indices`` (a TensorDataset is indexed at once)."""
        ds = self.dataset
        if type(ds) is TensorDataset and self.collate_fn is default_collate:
            rows = np.asarray(indices, dtype=np.int64)
            return [t[rows] for t in ds.tensors]   # = stacking t[i], as default_collate would
        getitems = getattr(ds, "__getitems__", None)
        samples = getitems(indices) if getitems else [ds[i] for i in indices]
        return self.collate_fn(samples)

    def _iter_stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)
