"""PyTorch's ``out=``: the result written into the given tensor (resized, in its dtype when
the result casts to it), which is returned; never accepted and silently ignored."""
import numpy as np
import pytest

import minidl as md


def test_reductions_and_joins_write_into_out():
    x = md.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = md.empty(0)
    assert md.sum(x, 0, out=out) is out
    np.testing.assert_array_equal(out.numpy(), [4.0, 6.0])       # resized from (0,)
    version = out._version
    assert x.mean(1, out=out) is out and out._version == version + 1
    np.testing.assert_array_equal(out.numpy(), [1.5, 3.5])
    idx = md.zeros(2, dtype=md.int64)
    assert md.argmax(x, 1, out=idx) is idx and idx.tolist() == [1, 1]
    joined = md.empty(0)
    assert md.cat([x, x], out=joined) is joined and joined.shape == (4, 2)
    assert md.stack([x, x], 1, out=md.empty(0)).shape == (2, 2, 2)
    flags = md.zeros(2, dtype=md.bool)
    assert (x > 2).any(1, out=flags) is flags and flags.tolist() == [False, True]


def test_factories_make_the_values_in_outs_dtype():
    t = md.zeros(0, dtype=md.int64)
    assert md.ones(2, 3, out=t) is t
    assert t.dtype == md.int64 and t.shape == (2, 3) and int(t.sum()) == 6
    assert md.arange(4, out=md.empty(0, dtype=md.int64)).tolist() == [0, 1, 2, 3]
    f = md.empty(0)
    assert md.full((2,), 7.5, out=f).tolist() == [7.5, 7.5] and f.dtype == md.float32


def test_resizing_an_out_with_elements_warns_as_pytorch():
    with pytest.warns(UserWarning, match="was resized"):
        md.sum(md.ones(2, 3), 0, out=md.zeros(5))
    t = md.zeros(3)
    md.sum(md.ones(2, 3), 0, out=t)                                 # the right shape: silent


def test_out_errors_as_pytorch():
    x = md.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="can't be cast"):
        md.sum(x, 0, out=md.zeros(1, dtype=md.int64))               # float into int64
    with pytest.raises(RuntimeError, match="dtype int64"):
        md.argmax(x, 1, out=md.zeros(2))                            # indices: int64 only
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        md.sum(md.tensor([1.0, 2.0], requires_grad=True), 0, out=md.empty(0))
    with pytest.raises(TypeError, match="out must be a Tensor"):
        md.cat([x, x], out=np.zeros(4))
    with md.no_grad():                                              # no gradient wanted: fine
        md.sum(md.tensor([1.0, 2.0], requires_grad=True), 0, out=md.empty(0))


def test_out_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.arange(6.0).reshape(2, 3)
    for lib in (torch, md):
        x = lib.tensor(a)
        o1, o2, o3 = lib.empty(0, dtype=lib.float64), lib.empty(0), lib.empty(0, dtype=lib.int64)
        lib.sum(x, 1, out=o1), lib.cat([x, x], 1, out=o2), lib.argmin(x, 0, out=o3)
        if lib is torch:
            want = [o1.numpy(), o2.numpy(), o3.numpy(), str(o2.dtype)]
    np.testing.assert_array_equal(o1.numpy(), want[0])
    np.testing.assert_array_equal(o2.numpy(), want[1])
    np.testing.assert_array_equal(o3.numpy(), want[2])
    assert str(o2.dtype) == want[3].replace("torch.", "")
