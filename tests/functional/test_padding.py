"""F.pad: the pad-tuple order, every mode against NumPy's np.pad, cropping, gradients
(hypothesis, random upstream), PyTorch, bad input."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minidl as md
import minidl.functional as F
from tests.helpers import leaf, torch_vjp, vjp

NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def np_pad(x, pad, mode, value=0.0):
    """np.pad with PyTorch's pad tuple: pairs from the last axis backwards."""
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    kwargs = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, widths, mode=NP_MODE[mode], **kwargs)


def test_pad_tuple_starts_at_the_last_axis():
    x = md.tensor(np.ones((1, 2, 3)))
    assert F.pad(x, (1, 2)).shape == (1, 2, 6)
    assert F.pad(x, (1, 2, 3, 4)).shape == (1, 9, 6)
    assert F.pad(x, (0, 0, 0, 0, 1, 1)).shape == (3, 2, 3)
    y = F.pad(md.tensor(np.array([[1.0, 2.0]])), (0, 1, 1, 0), value=-1.0)
    np.testing.assert_array_equal(y.numpy(), [[-1, -1, -1], [1, 2, -1]])


def test_negative_pads_crop():
    x = np.arange(20.0).reshape(4, 5)
    y = F.pad(md.tensor(x), (-1, 2, 1, -2))
    np.testing.assert_array_equal(y.numpy(), np.pad(x[:2, 1:], ((1, 0), (0, 2))))


def test_integer_input_keeps_its_dtype():
    y = F.pad(md.tensor(np.array([1, 2])), (1, 1), value=7)
    assert y.dtype == np.int64 and y.tolist() == [7, 1, 2, 7]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((2, 5), (2, 3)), ((1, 2, 5), (4, 1)),
                                        ((2, 4, 5), (1, 2, 3, 0)),
                                        ((1, 2, 4, 5), (2, 2, 1, 3)),
                                        ((1, 2, 3, 4, 5), (1, 0, 2, 1, 2, 2))])
def test_modes_match_numpy_pad(mode, shape, pad):
    x = np.random.default_rng(0).standard_normal(shape)
    value = 0.5 if mode == "constant" else None
    y = F.pad(md.tensor(x), pad, mode=mode, value=value)
    np.testing.assert_array_equal(y.numpy(), np_pad(x, pad, mode, value or 0.0))


@given(data=st.data(), mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
       seed=st.integers(0, 2 ** 16))
def test_gradient(data, mode, seed):
    k = data.draw(st.integers(1, 2), label="axes padded")
    ndim = k + data.draw(st.integers(1, 2 if mode != "constant" else 1))
    shape = tuple(data.draw(st.lists(st.integers(2, 4), min_size=ndim, max_size=ndim)))
    low = -1 if mode == "constant" else 0
    pad = []
    for a in range(k):
        n = shape[ndim - 1 - a]
        high = n - 1 if mode == "reflect" else n
        pad += data.draw(st.lists(st.integers(low, high), min_size=2, max_size=2))
    x = np.random.default_rng(seed).standard_normal(shape)
    assert md.gradcheck(lambda t: F.pad(t, tuple(pad), mode=mode, value=1.5 if mode ==
                                        "constant" else None), (leaf(x),), seed=seed)


def test_replicate_edge_collects_every_copy():
    t = md.tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    F.pad(t, (2, 1), mode="replicate").sum().backward()
    np.testing.assert_array_equal(np.asarray(t.grad), [[3.0, 1.0, 2.0]])


@pytest.mark.parametrize("mode, pad, shape", [("constant", (1, -1, 2, 0), (2, 3, 4)),
                                               ("reflect", (2, 1, 1, 2), (2, 3, 4, 5)),
                                               ("replicate", (3, 1), (2, 3, 4)),
                                               ("circular", (1, 2, 2, 1), (2, 3, 4, 5))])
def test_against_torch(mode, pad, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal(shape)
    out, (g,), u = vjp(lambda t: F.pad(t, pad, mode=mode), x)
    t_out, (tg,) = torch_vjp(torch, lambda t: torch.nn.functional.pad(t, pad, mode=mode), x,
                             upstream=u)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_allclose(g, tg, rtol=1e-14, atol=1e-15)


def test_bad_input():
    x = md.ones(2, 3)
    with pytest.raises(TypeError, match="pad: input must be a Tensor"):
        F.pad(np.ones(3), (1, 1))
    with pytest.raises(ValueError, match=r"pad: pad must have an even length"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match=r"pads 3 axes but the input has only 2"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match=r"pad: mode must be one of .* got 'symmetric'"):
        F.pad(x, (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match=r"mode 'reflect' needs each amount < the axis length"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match=r"mode 'replicate' with a pad of length 4 needs a "
                                         r"3-D or 4-D input, got shape \(2, 3\)"):
        F.pad(x, (1, 1, 1, 1), mode="replicate")
    with pytest.raises(ValueError, match="takes no value"):
        F.pad(x, (1, 1), mode="reflect", value=2.0)
    with pytest.raises(NotImplementedError, match="negative amounts .* mode 'circular'"):
        F.pad(x, (-1, 1), mode="circular")
    with pytest.raises(ValueError, match=r"negative size -1 on axis 1"):
        F.pad(x, (-2, -2))
    with pytest.raises(TypeError, match="pad must be a tuple of ints"):
        F.pad(x, (1.5, 1))
