"""Tests of minidl.utils.data: batching, shuffling from the seeded generator, PyTorch's
default collate, random_split, samplers, bad input."""
import collections

import numpy as np
import pytest

import minidl as md
import minidl.random
from minidl.utils import data
from minidl.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset,
                               IterableDataset, RandomSampler, SequentialSampler, Subset,
                               TensorDataset, default_collate, random_split)


def _dataset(n=10):
    x = md.tensor(np.arange(n * 3, dtype=np.float64).reshape(n, 3))
    y = md.tensor(np.arange(n))
    return TensorDataset(x, y), x.numpy(), y.numpy()


class Squares(Dataset):
    """A map-style dataset returning (array, int, float) samples."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full(2, i, dtype=np.float32), i, float(i) ** 2


# ---------------------------------------------------------------------- batching
@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True),
                                                     (9, 3, False), (9, 3, True),
                                                     (4, 10, False), (5, 1, False)])
def test_batches_in_order(n, batch_size, drop_last):
    ds, x, y = _dataset(n)
    loader = DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    expected = n // batch_size if drop_last else -(-n // batch_size)
    assert len(loader) == len(batches) == expected
    for j, (xb, yb) in enumerate(batches):
        rows = np.arange(j * batch_size, min((j + 1) * batch_size, n))
        assert isinstance(xb, md.Tensor) and isinstance(yb, md.Tensor)
        np.testing.assert_array_equal(xb.numpy(), x[rows])
        np.testing.assert_array_equal(yb.numpy(), y[rows])
        assert xb.dtype == np.float64 and yb.dtype == np.int64
    if drop_last:
        assert all(len(yb) == batch_size for _, yb in batches)


def test_tensor_dataset_fast_path_equals_stacking():
    ds, _, _ = _dataset(7)
    fast = list(DataLoader(ds, batch_size=3))
    slow = list(DataLoader(ds, batch_size=3, collate_fn=lambda b: default_collate(b)))
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())
        assert a.dtype == c.dtype and b.dtype == d.dtype


def test_map_dataset_collated_per_field():
    loader = DataLoader(Squares(5), batch_size=2)
    arrays, ints, floats = next(iter(loader))
    assert arrays.shape == (2, 2) and arrays.dtype == np.float32
    assert ints.dtype == np.int64 and ints.tolist() == [0, 1]
    assert floats.dtype == np.float64 and floats.tolist() == [0.0, 1.0]
    assert len(loader) == 3


def test_batch_size_none_yields_converted_samples():
    samples = list(DataLoader(Squares(3), batch_size=None))
    assert len(samples) == 3
    array, i, sq = samples[2]
    assert isinstance(array, md.Tensor) and array.tolist() == [2.0, 2.0]
    assert i == 2 and sq == 4.0          # Python numbers are left as they are


def test_custom_collate_and_batch_sampler():
    ds, _, y = _dataset(6)
    loader = DataLoader(ds, batch_sampler=[[5, 0], [2], [1, 3, 4]],
                        collate_fn=lambda batch: [int(s[1].item()) for s in batch])
    assert list(loader) == [[5, 0], [2], [1, 3, 4]]
    assert len(loader) == 3


def test_num_workers_and_pin_memory_accepted():
    ds, x, _ = _dataset(5)
    a = [xb.numpy() for xb, _ in DataLoader(ds, batch_size=2, num_workers=2, pin_memory=True,
                                             persistent_workers=True, prefetch_factor=2)]
    b = [xb.numpy() for xb, _ in DataLoader(ds, batch_size=2)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert data.get_worker_info() is None


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="DataLoader: shuffle option must not be specified"):
        DataLoader(Stream(), shuffle=True)


# ---------------------------------------------------------------------- shuffling
def _order(loader):
    return [int(v) for _, yb in loader for v in yb.tolist()]


def test_shuffle_repeats_under_manual_seed_and_differs_between_epochs():
    ds, _, _ = _dataset(20)
    md.manual_seed(5)
    loader = DataLoader(ds, batch_size=4, shuffle=True)
    epoch1, epoch2 = _order(loader), _order(loader)
    md.manual_seed(5)
    again = DataLoader(ds, batch_size=4, shuffle=True)
    assert _order(again) == epoch1 and _order(again) == epoch2     # a seeded run repeats
    assert sorted(epoch1) == list(range(20))                       # a permutation
    assert epoch1 != epoch2                                        # a new order each epoch
    assert epoch1 != list(range(20))
    md.manual_seed(6)
    assert _order(DataLoader(ds, batch_size=4, shuffle=True)) != epoch1


def test_shuffle_with_own_generator():
    ds, _, _ = _dataset(15)
    a = _order(DataLoader(ds, batch_size=4, shuffle=True,
                          generator=md.random.Generator().manual_seed(1)))
    md.manual_seed(123)            # the global generator plays no part
    b = _order(DataLoader(ds, batch_size=4, shuffle=True,
                          generator=md.random.Generator().manual_seed(1)))
    assert a == b and sorted(a) == list(range(15))
    g = md.random.Generator().manual_seed(1)
    state = g.get_state()
    first = list(RandomSampler(range(15), generator=g))
    g.set_state(state)
    assert list(RandomSampler(range(15), generator=g)) == first == a


def test_generator_class():
    g = md.random.Generator()
    seed = g.seed()
    assert g.initial_seed() == seed
    assert g.manual_seed(42) is g and g.initial_seed() == 42
    md.manual_seed(3)
    assert md.random.initial_seed() == 3 == md.random.default_generator.initial_seed()
    with pytest.raises(TypeError, match="Generator.manual_seed: seed must be an int"):
        g.manual_seed(1.5)
    with pytest.raises(NotImplementedError, match="Generator: device='cuda'"):
        md.random.Generator("cuda")


def test_random_sampler_options():
    md.manual_seed(0)
    with_replacement = list(RandomSampler(range(5), replacement=True, num_samples=50))
    assert len(with_replacement) == 50 and set(with_replacement) <= set(range(5))
    assert len(set(with_replacement)) > 1
    several = list(RandomSampler(range(4), num_samples=10))
    assert len(several) == 10 and sorted(several[:4]) == sorted(several[4:8]) == [0, 1, 2, 3]
    assert len(RandomSampler(range(4), num_samples=10)) == 10
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    sub = list(data.SubsetRandomSampler([7, 8, 9]))
    assert sorted(sub) == [7, 8, 9]


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2
    loader = DataLoader(_dataset(6)[0], sampler=[5, 4, 3, 2, 1, 0], batch_size=4)
    assert _order(loader) == [5, 4, 3, 2, 1, 0]


# ---------------------------------------------------------------------- collate
def test_default_collate_table():
    assert default_collate([1, 2, 3]).dtype == np.int64
    assert default_collate([1.0, 2.5]).dtype == np.float64        # PyTorch: float64
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    assert default_collate([np.int32(1)]).dtype == np.int32
    assert default_collate(["a", "b"]) == ["a", "b"]
    t = default_collate([md.tensor([1.0, 2.0]), md.tensor([3.0, 4.0])])
    assert t.shape == (2, 2) and t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    a = default_collate([np.zeros((2, 3)), np.ones((2, 3))])
    assert isinstance(a, md.Tensor) and a.shape == (2, 2, 3) and a.dtype == np.float64


def test_default_collate_nested():
    batch = [{"x": np.array([1.0, 2.0]), "label": 0, "name": "a", "meta": (1, 2.0)},
             {"x": np.array([3.0, 4.0]), "label": 1, "name": "b", "meta": (3, 4.0)}]
    out = default_collate(batch)
    assert set(out) == {"x", "label", "name", "meta"}
    assert out["x"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert out["label"].tolist() == [0, 1] and out["name"] == ["a", "b"]
    assert isinstance(out["meta"], list)                 # tuples collate to lists, as PyTorch
    assert out["meta"][0].tolist() == [1, 3] and out["meta"][1].dtype == np.float64
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]
    od = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert isinstance(od, collections.OrderedDict) and od["a"].tolist() == [1, 2]
    assert [v.tolist() for v in default_collate([[1, 2], [3, 4]])] == [[1, 3], [2, 4]]


def test_default_collate_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    batch = [(np.arange(3, dtype=np.float32) + i, i, 0.5 * i, {"k": [i, 2.0 * i]})
             for i in range(4)]
    ours, theirs = default_collate(batch), torch_collate(batch)

    def compare(a, b):
        if isinstance(b, torch.Tensor):
            assert str(a.dtype) == str(b.dtype).replace("torch.", "")
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        elif isinstance(b, dict):
            assert type(a) is type(b) and set(a) == set(b)
            for k in b:
                compare(a[k], b[k])
        else:
            assert type(a) is type(b) and len(a) == len(b)
            for u, v in zip(a, b):
                compare(u, v)

    compare(ours, theirs)


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: .* dtype object"):
        default_collate([np.array([None]), np.array([None])])


# ---------------------------------------------------------------------- datasets
def test_tensor_dataset_and_subset():
    ds, x, y = _dataset(5)
    assert len(ds) == 5
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert yi.item() == 3
    sub = Subset(ds, [4, 1])
    assert len(sub) == 2 and sub[0][1].item() == 4
    arrays = TensorDataset(np.zeros((3, 2)), np.arange(3))   # arrays become Tensors
    assert isinstance(arrays[0][0], md.Tensor)
    with pytest.raises(ValueError, match=r"TensorDataset: every tensor must have the same "
                                         r"first dimension .* \[\(5, 3\), \(4,\)\]"):
        TensorDataset(md.zeros(5, 3), md.zeros(4))
    with pytest.raises(ValueError, match="TensorDataset: give at least one tensor"):
        TensorDataset()


def test_concat_dataset():
    both = Squares(3) + Squares(2)
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert both[3][1] == 0 and both[-1][1] == 1 and both[2][1] == 2
    assert [b.tolist() for b in (x for _, x, _ in DataLoader(both, batch_size=2))] == \
        [[0, 1], [2, 0], [1]]


def test_random_split_lengths_and_fractions():
    g = md.random.Generator().manual_seed(0)
    a, b, c = random_split(range(10), [5, 3, 2], generator=g)
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    assert sorted(list(a) + list(b) + list(c)) == list(range(10))
    parts = random_split(range(10), [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]                # PyTorch's remainder rule
    assert [len(p) for p in random_split(range(11), [0.5, 0.5])] == [6, 5]
    first = [list(p) for p in random_split(range(10), [0.5, 0.5],
                                           generator=md.random.Generator().manual_seed(3))]
    again = [list(p) for p in random_split(range(10), [0.5, 0.5],
                                           generator=md.random.Generator().manual_seed(3))]
    assert first == again
    md.manual_seed(1)
    x = [list(p) for p in random_split(range(10), [7, 3])]
    md.manual_seed(1)
    assert [list(p) for p in random_split(range(10), [7, 3])] == x


def test_random_split_fraction_lengths_match_torch():
    pytest.importorskip("torch")
    from torch.utils.data import random_split as torch_split
    for n, fracs in [(10, [0.33, 0.33, 0.34]), (17, [0.1, 0.2, 0.7]), (5, [0.5, 0.5]),
                     (100, [0.8, 0.1, 0.1])]:
        assert [len(p) for p in random_split(range(n), fracs)] == \
            [len(p) for p in torch_split(range(n), fracs)]


def test_random_split_errors():
    with pytest.raises(ValueError, match=r"random_split: sum of input lengths \[5, 4\] does "
                                         r"not equal the length of the input dataset \(10\)"):
        random_split(range(10), [5, 4])
    with pytest.raises(TypeError, match="random_split: lengths must be ints or fractions"):
        random_split(range(10), ["5", 5])
    with pytest.raises(TypeError, match="random_split: generator must be a minidl.random.Generator"):
        random_split(range(10), [5, 5], generator=7)
    with pytest.warns(UserWarning, match="length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(shuffle=True, sampler=[0, 1]), ValueError, "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), ValueError, "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), ValueError, "mutually exclusive with drop_last"),
    (dict(batch_size=0), ValueError, "DataLoader: batch_size should be a positive int or None, got batch_size=0"),
    (dict(batch_size=2.5), ValueError, "DataLoader: batch_size should be a positive int"),
    (dict(num_workers=-1), ValueError, "DataLoader: num_workers option should be a non-negative"),
    (dict(timeout=-1), ValueError, "DataLoader: timeout option should be non-negative"),
    (dict(prefetch_factor=2), ValueError, "DataLoader: prefetch_factor option could only be"),
    (dict(persistent_workers=True), ValueError, "DataLoader: persistent_workers option needs"),
    (dict(collate_fn=5), TypeError, "DataLoader: collate_fn must be callable"),
    (dict(drop_last="yes"), TypeError, "DataLoader: drop_last must be a bool"),
    (dict(shuffle=True, generator="seed"), TypeError, "RandomSampler: generator must be"),
])
def test_dataloader_bad_input(kwargs, error, match):
    ds, _, _ = _dataset(4)
    with pytest.raises(error, match=match):
        list(DataLoader(ds, **kwargs))


def test_dataloader_bad_dataset_and_samplers():
    with pytest.raises(TypeError, match="DataLoader: dataset must have __getitem__ and __len__"):
        DataLoader(5)
    with pytest.raises(ValueError, match="BatchSampler: batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(TypeError, match="BatchSampler: drop_last should be a bool"):
        BatchSampler(range(3), 2, 1)
    with pytest.raises(ValueError, match="RandomSampler: num_samples must be a positive int"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="RandomSampler: replacement must be a bool"):
        RandomSampler(range(3), replacement=1)
