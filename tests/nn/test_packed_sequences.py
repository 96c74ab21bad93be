"""Packed sequences (``nn.utils.rnn``) and the RNNs that take them, against literal loops,
``md.gradcheck`` and PyTorch 2.13 (float64, where installed)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl as md
import minidl.nn as nn
from minidl.nn.utils._sort_order import descending_order
from minidl.nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence,
                                 pack_sequence, pad_packed_sequence, unpack_sequence)


def _t(a, requires_grad=False):
    return md.tensor(np.asarray(a), requires_grad=requires_grad)


def _literal_pack(x, lengths, batch_first):
    """The definition, one loop per index: sort longest first (stable for distinct
    lengths), then for t: for j with L_j > t: data.append(x[t, π(j)])."""
    x = np.swapaxes(x, 0, 1) if batch_first else x              # (T, B, *)
    order = sorted(range(len(lengths)), key=lambda b: -lengths[b])
    data, batch_sizes = [], []
    for t in range(max(lengths)):
        n = 0
        for j in order:
            if lengths[j] > t:
                data.append(x[t, j])
                n += 1
        batch_sizes.append(n)
    return np.array(data), np.array(batch_sizes), order


def _random_padded(rng, lengths, batch_first, trailing=(2,), extra=0):
    T = max(lengths) + extra
    B = len(lengths)
    return rng.standard_normal((B, T, *trailing) if batch_first else (T, B, *trailing))


# ---------------------------------------------------------------------- formula tests
def test_pack_padded_sequence_is_the_literal_loop():
    rng = np.random.default_rng(0)
    lengths = [2, 5, 1, 4]                                      # distinct: no tie order
    for batch_first in (False, True):
        x = _random_padded(rng, lengths, batch_first, trailing=(3,), extra=1)
        p = pack_padded_sequence(_t(x), lengths, batch_first=batch_first, enforce_sorted=False)
        data, batch_sizes, order = _literal_pack(x, lengths, batch_first)
        np.testing.assert_array_equal(p.data.numpy(), data)
        np.testing.assert_array_equal(p.batch_sizes.numpy(), batch_sizes)
        np.testing.assert_array_equal(p.sorted_indices.numpy(), order)
        np.testing.assert_array_equal(p.unsorted_indices.numpy(), np.argsort(order))
        assert p.batch_sizes.dtype == np.int64 and p.sorted_indices.dtype == np.int64


def test_a_tiny_case_by_hand():
    x = _t(np.array([[1, 2, 0], [3, 0, 0], [4, 5, 6]]))        # (B, T), lengths 2, 1, 3
    p = pack_padded_sequence(x, [2, 1, 3], batch_first=True, enforce_sorted=False)
    assert p.data.tolist() == [4, 1, 3, 5, 2, 6]
    assert p.batch_sizes.tolist() == [3, 2, 1]
    assert p.sorted_indices.tolist() == [2, 0, 1] and p.unsorted_indices.tolist() == [1, 2, 0]
    padded, lengths = pad_packed_sequence(p, batch_first=True, padding_value=-7, total_length=4)
    assert padded.tolist() == [[1, 2, -7, -7], [3, -7, -7, -7], [4, 5, 6, -7]]
    assert lengths.tolist() == [2, 1, 3] and lengths.dtype == np.int64
    sorted_p = pack_padded_sequence(x[[2, 0, 1]], md.tensor(np.array([3, 2, 1])),
                                    batch_first=True)
    assert sorted_p.sorted_indices is None and sorted_p.unsorted_indices is None
    assert sorted_p.data.tolist() == [4, 1, 3, 5, 2, 6]


def test_round_trip_without_torch():
    rng = np.random.default_rng(1)
    lengths = [3, 3, 1, 4, 2, 4]
    for batch_first in (False, True):
        x = _random_padded(rng, lengths, batch_first, trailing=(2, 2))
        p = pack_padded_sequence(_t(x), lengths, batch_first=batch_first, enforce_sorted=False)
        y, out_lengths = pad_packed_sequence(p, batch_first=batch_first, padding_value=0.5)
        assert out_lengths.tolist() == lengths
        for b, n in enumerate(lengths):
            xb = x[b] if batch_first else x[:, b]
            yb = y.numpy()[b] if batch_first else y.numpy()[:, b]
            np.testing.assert_array_equal(yb[:n], xb[:n])
            assert (yb[n:] == 0.5).all()


def test_pack_sequence_and_unpack_sequence():
    rng = np.random.default_rng(2)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 4, 1, 4)]
    p = pack_sequence([_t(s) for s in seqs], enforce_sorted=False)
    padded = np.zeros((4, 4, 3))
    for b, s in enumerate(seqs):
        padded[:len(s), b] = s
    q = pack_padded_sequence(_t(padded), [2, 4, 1, 4], enforce_sorted=False)
    np.testing.assert_array_equal(p.data.numpy(), q.data.numpy())
    np.testing.assert_array_equal(p.batch_sizes.numpy(), q.batch_sizes.numpy())
    for a, b in zip(unpack_sequence(p), seqs):
        np.testing.assert_array_equal(a.numpy(), b)
    one = pack_sequence([_t(seqs[0])])
    assert one.batch_sizes.tolist() == [1, 1] and one.sorted_indices is None


def test_packed_sequence_is_pytorchs_named_tuple():
    p = pack_sequence([_t(np.ones((3, 2))), _t(np.ones((1, 2)))])
    assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices",
                                                  "unsorted_indices")
    data, batch_sizes, s, u = p
    assert batch_sizes.tolist() == [2, 1, 1] and s is None and u is None and len(p) == 4
    assert p.is_cuda is False and p.is_pinned() is False and p.cpu() is p
    assert p.to(md.float64) is p and p.double() is p and p.to("cpu") is p
    f = p.float()
    assert f.data.dtype == np.float32 and f.batch_sizes is p.batch_sizes
    assert p.long().data.dtype == np.int64 and p.half().data.dtype == np.float16
    assert p.int().data.dtype == np.int32 and p.short().data.dtype == np.int16
    assert p.char().data.dtype == np.int8 and p.byte().data.dtype == np.uint8
    assert p.to(md.zeros(1, dtype=md.float32)).data.dtype == np.float32
    with pytest.raises(RuntimeError, match="CPU only"):
        p.cuda()
    q = PackedSequence(p.data, p.batch_sizes, _t(np.array([1, 0])))
    assert q.unsorted_indices.tolist() == [1, 0]                 # computed from sorted_indices
    r = PackedSequence((p.data, p.batch_sizes))
    assert r.batch_sizes is p.batch_sizes and r.sorted_indices is None
    assert repr(r).startswith("PackedSequence(data=tensor(")
    assert invert_permutation(None) is None
    assert invert_permutation(_t(np.array([3, 0, 2, 1]))).tolist() == [1, 3, 2, 0]


def test_lengths_forms():
    x = _t(np.arange(12.0).reshape(4, 3))
    a = pack_padded_sequence(x, [4, 2, 1])
    for lengths in ((4, 2, 1), np.array([4, 2, 1]), _t(np.array([4, 2, 1])),
                    [4.7, 2.2, 1.0], _t(np.array([4.7, 2.2, 1.0]))):      # fractions cut off
        b = pack_padded_sequence(x, lengths)
        np.testing.assert_array_equal(a.data.numpy(), b.data.numpy())
        np.testing.assert_array_equal(a.batch_sizes.numpy(), b.batch_sizes.numpy())


# ---------------------------------------------------------------------- gradients
def test_gradcheck_pack_then_pad():
    rng = np.random.default_rng(3)
    lengths = [2, 4, 1, 4]
    for batch_first in (False, True):
        x = md.tensor(_random_padded(rng, lengths, batch_first, extra=1), requires_grad=True)

        def f(x, batch_first=batch_first):
            p = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
            return pad_packed_sequence(p, batch_first=batch_first, padding_value=0.3,
                                       total_length=6)[0]
        assert md.gradcheck(f, (x,))
    seqs = tuple(md.tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (3, 1, 3))
    assert md.gradcheck(lambda *s: pack_sequence(list(s), enforce_sorted=False).data, seqs)


def test_pack_sends_no_gradient_to_the_padding():
    x = md.tensor(np.ones((3, 2)), requires_grad=True)
    p = pack_padded_sequence(x, [3, 1])
    p.data.backward(md.tensor(np.arange(1.0, 5.0)))
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 2], [3, 0], [4, 0]])


def test_gradcheck_through_a_packed_lstm_and_gru():
    rng = np.random.default_rng(4)
    lengths = [2, 3, 1]
    x = md.tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)   # (T, B, D)
    h0 = md.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    c0 = md.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    lstm = nn.LSTM(2, 2, bidirectional=True).double()
    gru = nn.GRU(2, 2, bidirectional=True).double()

    def f_lstm(x, h0, c0):
        out, (h, c) = lstm(pack_padded_sequence(x, lengths, enforce_sorted=False), (h0, c0))
        return pad_packed_sequence(out)[0], h, c

    def f_gru(x, h0):
        out, h = gru(pack_padded_sequence(x, lengths, enforce_sorted=False), h0)
        return out.data, h

    assert md.gradcheck(f_lstm, (x, h0, c0))
    assert md.gradcheck(f_gru, (x, h0))


# ---------------------------------------------------------------------- the RNNs' meaning
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_rnn_is_each_sequence_alone(kind):
    """Without torch: sequence b through the packed module = sequence b alone, unpadded."""
    rng = np.random.default_rng(5)
    md.manual_seed(1)
    m = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    lengths = [3, 1, 4, 3]
    x = rng.standard_normal((4, 4, 3))
    out, state = m(pack_padded_sequence(_t(x), lengths, batch_first=True, enforce_sorted=False))
    y, _ = pad_packed_sequence(out, batch_first=True)
    h = state[0] if kind == "LSTM" else state
    for b, n in enumerate(lengths):
        out_b, state_b = m(_t(x[b:b + 1, :n]))
        h_b = state_b[0] if kind == "LSTM" else state_b
        np.testing.assert_allclose(y.numpy()[b, :n], out_b.numpy()[0], rtol=0, atol=1e-13)
        np.testing.assert_allclose(h.numpy()[:, b], h_b.numpy()[:, 0], rtol=0, atol=1e-13)
    assert out.batch_sizes is not None and out.data.shape == (sum(lengths), 8)


def test_packed_output_keeps_the_input_indices_and_float32_runs():
    m = nn.GRU(2, 3)
    p = pack_sequence([md.randn(4, 2), md.randn(2, 2), md.randn(5, 2)], enforce_sorted=False)
    out, h = m(p)
    assert isinstance(out, PackedSequence) and out.batch_sizes is p.batch_sizes
    assert out.sorted_indices is p.sorted_indices and out.unsorted_indices is p.unsorted_indices
    assert out.data.dtype == np.float32 and out.data.shape == (11, 3) and h.shape == (1, 3, 3)
    m.train()
    drop = nn.LSTM(2, 3, num_layers=2, dropout=0.5)
    out, (h, c) = drop(p)
    assert out.data.shape == (11, 3) and h.shape == c.shape == (2, 3, 3)


# ---------------------------------------------------------------------- errors
def test_errors_name_the_function_and_argument():
    x = md.zeros(4, 3)
    both = (ValueError, RuntimeError)
    with pytest.raises(both, match=r"pack_padded_sequence: lengths must be sorted in "
                                   r"decreasing order when enforce_sorted=True"):
        pack_padded_sequence(x, [2, 3, 1])
    with pytest.raises(both, match=r"pack_padded_sequence: every sequence length must be "
                                   r"greater than 0, got lengths\[1\] = 0"):
        pack_padded_sequence(x, [3, 0, 1], enforce_sorted=False)
    with pytest.raises(both, match=r"lengths\[0\] = 5 is longer than the input's T = 4"):
        pack_padded_sequence(x, [5, 3, 1])
    with pytest.raises(both, match=r"lengths has 2 entries but the input \(T, B, \*\) = "
                                   r"\(4, 3\) holds B = 3"):
        pack_padded_sequence(x, [3, 3])
    with pytest.raises(both, match="pack_padded_sequence: cannot pack empty tensors"):
        pack_padded_sequence(md.zeros(0, 2), [1, 1])
    with pytest.raises(both, match="pack_padded_sequence: input must be"):
        pack_padded_sequence(md.zeros(4), [4])
    with pytest.raises(both, match="pack_padded_sequence: lengths must be 1-D"):
        pack_padded_sequence(x, md.tensor(np.array([[3, 2, 1]])))
    with pytest.raises(TypeError, match="pack_padded_sequence: input must be a Tensor"):
        pack_padded_sequence(np.zeros((4, 3)), [3, 2, 1])
    with pytest.raises(TypeError, match="pack_padded_sequence: lengths must be"):
        pack_padded_sequence(x, ["a", "b", "c"])
    p = pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match=r"pad_packed_sequence: expected total_length to be "
                                         r"at least .* total_length=3 and max sequence length "
                                         r"being 4"):
        pad_packed_sequence(p, total_length=3)
    with pytest.raises(TypeError, match="pad_packed_sequence: total_length must be an int"):
        pad_packed_sequence(p, total_length=5.0)
    with pytest.raises(TypeError, match="pad_packed_sequence: sequence must be a PackedSeq"):
        pad_packed_sequence(x)
    with pytest.raises(both, match="pad_packed_sequence: sequence.batch_sizes must be"):
        pad_packed_sequence(PackedSequence(p.data, _t(np.array([2, 3]))))
    with pytest.raises(both, match="pack_sequence: received an empty list"):
        pack_sequence([])
    with pytest.raises(both, match="pack_sequence: every sequence must be .* sequence 1 has "
                                   r"shape \(3, 2\)"):
        pack_sequence([md.ones(2, 1), md.ones(3, 2)], enforce_sorted=False)
    with pytest.raises(both, match="pack_sequence: lengths must be sorted"):
        pack_sequence([md.ones(2), md.ones(3)])
    with pytest.raises(both, match="pack_sequence: every sequence length must be greater"):
        pack_sequence([md.ones(2), md.ones(0)])
    with pytest.raises(TypeError, match="PackedSequence: give data and batch_sizes"):
        PackedSequence(md.ones(3))


def test_rnn_errors_on_packed_input():
    p = pack_sequence([md.randn(3, 2), md.randn(2, 2)])
    lstm, gru = nn.LSTM(2, 4, num_layers=2), nn.GRU(2, 4)
    with pytest.raises((ValueError, RuntimeError), match=r"LSTM: h_0 must be \(num_layers \* "
                                                         r"num_directions, N, H\) = \(2, 2, 4\)"):
        lstm(p, (md.zeros(2, 3, 4), md.zeros(2, 2, 4)))
    with pytest.raises((ValueError, RuntimeError), match=r"LSTM: c_0 must be"):
        lstm(p, (md.zeros(2, 2, 4), md.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match="LSTM: hx must be a pair"):
        lstm(p, md.zeros(2, 2, 4))
    with pytest.raises((ValueError, RuntimeError), match=r"GRU: a packed input's data must be "
                                                         r"\(sum\(batch_sizes\), D\) = \(5, 2\)"):
        gru(pack_sequence([md.randn(3, 3), md.randn(2, 3)]))
    with pytest.raises(TypeError, match="GRU: h_0 must be a Tensor"):
        gru(p, np.zeros((1, 2, 4)))


# ---------------------------------------------------------------------- PyTorch
def _torch():
    return pytest.importorskip("torch")


def _same_packed(torch_p, ours):
    np.testing.assert_array_equal(ours.data.numpy(), torch_p.data.detach().numpy())
    np.testing.assert_array_equal(ours.batch_sizes.numpy(), torch_p.batch_sizes.numpy())
    assert ours.batch_sizes.dtype == np.int64
    for name in ("sorted_indices", "unsorted_indices"):
        t, o = getattr(torch_p, name), getattr(ours, name)
        assert (t is None) == (o is None), name
        if t is not None:
            np.testing.assert_array_equal(o.numpy(), t.numpy())
            assert o.dtype == np.int64


lengths_st = st.lists(st.integers(1, 5), min_size=1, max_size=6)


@settings(max_examples=25)
@given(lengths=lengths_st, batch_first=st.booleans(), enforce_sorted=st.booleans(),
       extra=st.integers(0, 2), trailing=st.sampled_from([(), (2,), (1, 3)]),
       seed=st.integers(0, 2**31 - 1))
def test_pack_and_pad_match_pytorch(lengths, batch_first, enforce_sorted, extra, trailing, seed):
    torch = _torch()
    from torch.nn.utils import rnn as trnn
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    x = _random_padded(np.random.default_rng(seed), lengths, batch_first, trailing, extra=1)
    theirs = trnn.pack_padded_sequence(torch.tensor(x), lengths, batch_first=batch_first,
                                       enforce_sorted=enforce_sorted)
    ours = pack_padded_sequence(_t(x), lengths, batch_first=batch_first,
                                enforce_sorted=enforce_sorted)
    _same_packed(theirs, ours)
    total = max(lengths) + extra
    y_t, len_t = trnn.pad_packed_sequence(theirs, batch_first, -2.5, total)
    y_o, len_o = pad_packed_sequence(ours, batch_first, -2.5, total)
    np.testing.assert_array_equal(y_o.numpy(), y_t.numpy())
    np.testing.assert_array_equal(len_o.numpy(), len_t.numpy())
    assert len_o.dtype == np.int64 and y_o.dtype == np.float64
    seqs = [x[b, :n] if batch_first else x[:n, b] for b, n in enumerate(lengths)]
    _same_packed(trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted),
                 pack_sequence([_t(s) for s in seqs], enforce_sorted))


@settings(max_examples=15)
@given(B=st.integers(17, 80), top=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_ties_are_ordered_as_pytorch_orders_them(B, top, seed):
    """PyTorch's sort is not stable for more than 16 sequences; packed.data must still match."""
    torch = _torch()
    from torch.nn.utils import rnn as trnn
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, top + 1, B).tolist()
    x = rng.standard_normal((top, B))
    theirs = trnn.pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    ours = pack_padded_sequence(_t(x), lengths, enforce_sorted=False)
    _same_packed(theirs, ours)


def test_descending_order_is_torch_sort_on_hard_cases():
    torch = _torch()
    rng = np.random.default_rng(6)
    cases = [rng.integers(1, 4, 300), np.sort(rng.integers(1, 30, 200)),
             np.arange(100) % 7 + 1, np.r_[np.arange(1, 41), np.arange(40, 0, -1)],
             rng.integers(1, 1000, 500), np.ones(50, dtype=np.int64)]
    # "organ pipes" 1, 2, ..., k, k, ..., 2, 1 of these sizes drive introsort into its heapsort
    cases += [np.r_[np.arange(n // 2), np.arange(n - n // 2)[::-1]] + 1 for n in (94, 186, 187)]
    for keys in cases:
        keys = np.array(keys, dtype=np.int64)
        expected = torch.sort(torch.tensor(keys), descending=True)[1].numpy()
        np.testing.assert_array_equal(descending_order(keys), expected)


_RNN_CASES = [(kind, layers, bi, bf, hx) for kind in ("RNN", "LSTM", "GRU")
              for layers in (1, 2) for bi in (False, True) for bf in (False, True)
              for hx in (False, True)]


def _cross_check(torch, kind, layers, bi, bf, with_hx, lengths, enforce_sorted, seed,
                 D=3, H=4):
    from torch.nn.utils import rnn as trnn
    rng = np.random.default_rng(seed)
    B, T = len(lengths), max(lengths) + 1
    x = _random_padded(rng, lengths, bf, (D,), extra=1)
    theirs = getattr(torch.nn, kind)(D, H, num_layers=layers, bidirectional=bi,
                                     batch_first=bf).double()
    ours = getattr(nn, kind)(D, H, num_layers=layers, bidirectional=bi, batch_first=bf).double()
    ours.load_state_dict(theirs.state_dict())
    K = layers * (2 if bi else 1)
    init = [rng.standard_normal((K, B, H)) for _ in range(2 if kind == "LSTM" else 1)]
    x_t, x_o = torch.tensor(x, requires_grad=True), md.tensor(x, requires_grad=True)
    s_t = [torch.tensor(s, requires_grad=True) for s in init]
    s_o = [md.tensor(s, requires_grad=True) for s in init]

    def hx(states):
        if not with_hx:
            return None
        return tuple(states) if kind == "LSTM" else states[0]

    p_t = trnn.pack_padded_sequence(x_t, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    p_o = pack_padded_sequence(x_o, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    out_t, fin_t = theirs(p_t, hx(s_t))
    out_o, fin_o = ours(p_o, hx(s_o))
    assert isinstance(out_o, PackedSequence)
    np.testing.assert_array_equal(out_o.batch_sizes.numpy(), out_t.batch_sizes.numpy())
    fin_t = list(fin_t) if kind == "LSTM" else [fin_t]
    fin_o = list(fin_o) if kind == "LSTM" else [fin_o]
    y_t, _ = trnn.pad_packed_sequence(out_t, batch_first=bf, total_length=T)
    y_o, _ = pad_packed_sequence(out_o, batch_first=bf, total_length=T)
    np.testing.assert_allclose(out_o.data.numpy(), out_t.data.detach().numpy(), rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(y_o.numpy(), y_t.detach().numpy(), rtol=0, atol=1e-12)
    for a, b in zip(fin_o, fin_t):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=0, atol=1e-12)
    # a random upstream gradient on the padded output and on every final state
    g_y = rng.standard_normal(y_t.shape)
    g_s = [rng.standard_normal(s.shape) for s in fin_t]
    loss_t = (y_t * torch.tensor(g_y)).sum() + sum(
        (s * torch.tensor(g)).sum() for s, g in zip(fin_t, g_s))
    loss_o = (y_o * md.tensor(g_y)).sum() + sum(
        (s * md.tensor(g)).sum() for s, g in zip(fin_o, g_s))
    loss_t.backward()
    loss_o.backward()
    np.testing.assert_allclose(x_o.grad.numpy(), x_t.grad.numpy(), rtol=0, atol=1e-12)
    params_o = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(params_o[name].grad.numpy(), p.grad.numpy(), rtol=0,
                                   atol=1e-12, err_msg=name)
    if with_hx:
        for a, b in zip(s_o, s_t):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind,layers,bi,bf,with_hx", _RNN_CASES)
def test_packed_rnns_match_pytorch(kind, layers, bi, bf, with_hx):
    torch = _torch()
    seed = _RNN_CASES.index((kind, layers, bi, bf, with_hx))
    _cross_check(torch, kind, layers, bi, bf, with_hx, [3, 5, 1, 5, 2], False, seed)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_rnns_match_pytorch_on_a_sorted_batch(kind):
    _cross_check(_torch(), kind, 2, True, False, True, [4, 4, 2, 1], True, 7)


@settings(max_examples=10)
@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=5),
       kind=st.sampled_from(["RNN", "LSTM", "GRU"]), bi=st.booleans(), bf=st.booleans(),
       with_hx=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_packed_rnns_match_pytorch_over_lengths(lengths, kind, bi, bf, with_hx, seed):
    _cross_check(_torch(), kind, 1, bi, bf, with_hx, lengths, False, seed, D=2, H=3)


# ---------------------------------------------------------------------- a PyTorch program
_PROGRAM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence


class Tagger(nn.Module):
    """Tag every character: embedding -> packed 2-layer bidirectional LSTM -> linear."""

    def __init__(self, vocab, emb, hidden, tags):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.rnn = nn.LSTM(emb, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(2 * hidden, hidden)
        self.out = nn.Linear(2 * hidden, tags)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.emb(tokens), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, (h, c) = self.rnn(packed)
        summary, h_gru = self.gru(out)                  # packed in, packed out
        y, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        return self.out(y), summary.data, h[-1] + h_gru[0]


def train(model, seqs, tags, steps):
    tokens = pad_sequence([torch.tensor(s) for s in seqs], batch_first=True)
    targets = pad_sequence([torch.tensor(t) for t in tags], batch_first=True, padding_value=-100)
    lengths = torch.tensor([len(s) for s in seqs])
    packed_targets = pack_padded_sequence(targets, lengths, batch_first=True,
                                          enforce_sorted=False).data
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        logits, summary, last = model(tokens, lengths)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                               ignore_index=-100)
        loss = loss + 0.1 * (summary[:, 0] * packed_targets).mean() + last.pow(2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
'''


def test_a_pytorch_tagger_with_packed_batches_trains_the_same():
    """The program above, run as written and with only its imports switched to minidl,
    from the same weights: the same losses and weights after three Adam steps (float64).
    20 sequences with ties in their lengths, so PyTorch's tie order matters too."""
    _torch()
    from tests.programs.switch import swap_imports
    rng = np.random.default_rng(8)
    lengths = rng.integers(1, 6, 20)
    seqs = [rng.integers(1, 7, n) for n in lengths]
    tags = [rng.integers(0, 3, n) for n in lengths]
    runs = []
    for source in (_PROGRAM, swap_imports(_PROGRAM)):
        ns = {}
        exec(compile(source, "<tagger>", "exec"), ns)
        runs.append(ns)
    theirs = runs[0]["Tagger"](7, 4, 5, 3).double()
    ours = runs[1]["Tagger"](7, 4, 5, 3).double()
    ours.load_state_dict(theirs.state_dict())
    losses_t = runs[0]["train"](theirs, seqs, tags, 3)
    losses_o = runs[1]["train"](ours, seqs, tags, 3)
    np.testing.assert_allclose(losses_o, losses_t, rtol=1e-11, atol=0)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=0, atol=1e-11,
                                   err_msg=name)
