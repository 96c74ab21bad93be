"""The seq2seq tour model: the generated date data and the cached greedy decoder."""
import datetime

import numpy as np
import pytest

import minidl as md
from minidl.models import dates as D
from minidl.models.seq2seq import (DateTransformer, DecoderCache, _decoder_step,
                                   cross_attention_weights, exact_match, greedy_decode)


def test_formats_write_the_same_day():
    d = datetime.date(1998, 3, 3)
    assert D.format_date(d, "ordinal_of") == "3rd of March 1998"
    assert D.format_date(d, "us_short_yy") == "Mar 3, 98"
    assert D.format_date(d, "dotted") == "03.03.1998"
    assert D.format_date(d, "weekday_long") == "Tuesday, March 3, 1998"
    assert D.format_date(datetime.date(2011, 12, 22), "upper") == "DECEMBER 22ND, 2011"
    assert [D._ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]


def test_split_is_disjoint_seeded_and_encodes_round_trip():
    d = D.make_dates(2000, 500, seed=3)
    assert set(d.train_tgt).isdisjoint(d.test_tgt)          # no test day is seen in training
    assert len(set(d.train_tgt)) == 2000
    again = D.make_dates(2000, 500, seed=3)
    assert again.train_src == d.train_src and again.test_src == d.test_src
    assert D.make_dates(2000, 500, seed=4).train_src != d.train_src
    for tgt, ids in zip(d.test_tgt[:50], d.y_test):
        assert D.decode_target(ids) == tgt
        datetime.date.fromisoformat(tgt)                     # a real day
    assert {len(set(D.FORMATS))} == {10}
    with pytest.raises(ValueError, match="make_dates: n_train"):
        D.make_dates(40000, 1000)


@pytest.mark.parametrize("norm_first", [False, True])
def test_cached_decoder_step_equals_full_recomputation(norm_first):
    md.set_default_dtype(np.float64)
    md.manual_seed(1)
    model = DateTransformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=2,
                            dim_feedforward=24, dropout=0.0)
    if norm_first:
        for layer in model.transformer.decoder.layers:
            layer.norm_first = True
    data = D.make_dates(8, 6, seed=0)
    src = data.x_test
    model.eval()
    with md.no_grad():
        memory, padding = model.encode(src)
        cache = DecoderCache(model, memory, padding)
        tgt = data.y_test[:, :-1]                                # teacher-forced prefix
        full = np.asarray(model.generator(model.decode(tgt, memory, padding)))   # (N, T, V)
        for t in range(tgt.shape[1]):
            step = np.asarray(_decoder_step(model, tgt[:, t], t, cache))
            np.testing.assert_allclose(step, full[:, t], rtol=1e-10, atol=1e-12)
    model.train()
    a = greedy_decode(model, src, cached=True)
    b = greedy_decode(model, src, cached=False)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (6, D.TGT_LEN + 1) and model.training       # mode restored


def _untrained(d_model=16):
    md.manual_seed(0)
    return DateTransformer(d_model=d_model, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=24, dropout=0.0, norm_first=True)


def test_source_positions_count_from_both_ends_and_padding_changes_nothing():
    model = _untrained().eval()
    src, lengths = D.encode_source(["3 May 98", "Tuesday, March 3, 1998"])   # row 0 padded
    with md.no_grad():
        batch, padding = model.encode(src)
        alone, _ = model.encode(src[:1, :lengths[0]])
        longer, _ = model.encode(np.pad(src[:1], ((0, 0), (0, 5))))
    np.testing.assert_allclose(batch.numpy()[0, :8], alone.numpy()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(longer.numpy()[0, :8], alone.numpy()[0], rtol=1e-5, atol=1e-6)
    assert padding[0].tolist() == [False] * 8 + [True] * (src.shape[1] - 8)
    # the input of the encoder: embedding·√E + [P(s) ‖ P(L − 1 − s)], P of width E/2
    P = model.src_positions.pe.numpy()
    L = int(lengths[1])
    with md.no_grad():
        emb = model.src_embedding(src[1:]).numpy()[0] * np.sqrt(16)
    want = emb + np.concatenate([P[:L], P[L - 1::-1]], axis=1)
    seen = []
    layer = model.transformer.encoder.layers[0]
    real = layer.forward

    def spy(x, **kwargs):                       # what the first encoder layer receives
        seen.append(x.numpy().copy())
        return real(x, **kwargs)
    layer.forward = spy
    try:
        with md.no_grad():
            model.encode(src[1:])
    finally:
        layer.forward = real
    np.testing.assert_allclose(seen[0][0], want, rtol=1e-6, atol=1e-6)


def test_exact_match_is_strict():
    model = _untrained()
    data = D.make_dates(8, 12, seed=5)
    written = greedy_decode(model, data.x_test, max_len=D.TGT_LEN + 1)       # (N, ≤ 11)
    written = np.pad(written, ((0, 0), (0, D.TGT_LEN + 1 - written.shape[1])))
    own = np.concatenate([np.full((12, 1), D.BOS), written], axis=1)        # its own output
    assert exact_match(model, data.x_test, own, batch_size=5) == 1.0
    own[3, 4] = (own[3, 4] + 1) % len(D.TGT_VOCAB)                           # one character off
    assert exact_match(model, data.x_test, own, batch_size=5) == 11 / 12
    assert exact_match(model, data.x_test, data.test_tgt) == 0.0             # untrained


def test_cross_attention_weights_read_only_the_source():
    model = _untrained()
    src, lengths = D.encode_source(["3 May 98", "03.03.1998"])
    ids, weights = cross_attention_weights(model, src)
    assert weights.shape == (2, ids.shape[1], src.shape[1])
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(weights[0, :, lengths[0]:] == 0)                           # padding: nothing


def test_odd_d_model_is_refused():
    with pytest.raises(ValueError, match="DateTransformer: d_model must be even"):
        DateTransformer(d_model=15, nhead=3)
