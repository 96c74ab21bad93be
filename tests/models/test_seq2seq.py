"""The seq2seq tour model: the generated date data and the cached greedy decoder."""
import datetime

import numpy as np
import pytest

import minidl as md
from minidl.models import dates as D
from minidl.models.seq2seq import DateTransformer, _decoder_step, DecoderCache, greedy_decode


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
