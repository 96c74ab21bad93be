"""The tour: four models one after the other, a row each in the table."""
import io

import pytest

from minidl.tools import training as T
from minidl.tools.tour import format_table, run_tour


def test_the_tour_trains_four_models_in_order():
    assert list(T.MODELS) == ["cnn", "lstm", "transformer", "seq2seq"]
    assert T.MODELS["seq2seq"].task == "dates"
    assert {T.MODELS[n].task for n in ("cnn", "lstm", "transformer")} == {"digits"}


def test_seq2seq_row_in_the_tour(monkeypatch):
    monkeypatch.setattr(T, "DATES_TRAIN", 320)     # 5 steps an epoch: the row, not the score
    monkeypatch.setattr(T, "DATES_TEST", 40)
    stream = io.StringIO()
    assert run_tour(seed=0, check=False, stream=stream, progress="off", models=["seq2seq"]) == 0
    text = stream.getvalue()
    assert "encoder–decoder on generated dates (320 train / 40 test days, disjoint)" in text
    rows = [line for line in text.splitlines() if line.startswith("Seq2seq dates (F8) ")]
    assert len(rows) == 1, text
    fields = rows[0].split()
    params = sum(p.numpy().size for p in T.build_model("seq2seq", 0).parameters())
    assert fields[3] == f"{params:,}" and fields[4] == str(T.MODELS["seq2seq"].epochs)
    assert fields[5].endswith("s") and fields[6].endswith("%")
    assert 0.0 <= float(fields[6][:-1]) <= 100.0
    assert "exact match of the whole date" in text and "tour total" in text


def test_table_has_a_row_per_model_in_order(monkeypatch):
    pytest.importorskip("sklearn")
    calls = []

    def fake_train(name, data, seed=None, progress="auto", stream=None):
        calls.append((name, type(data).__name__))
        return T.TrainResult(name, 1000 + len(calls), T.MODELS[name].epochs, 1.5, 0.98)
    monkeypatch.setattr(T, "train", fake_train)
    monkeypatch.setattr(T, "DATES_TRAIN", 64)
    monkeypatch.setattr(T, "DATES_TEST", 8)
    stream = io.StringIO()
    run_tour(check=False, stream=stream)
    assert calls == [("cnn", "Digits"), ("lstm", "Digits"), ("transformer", "Digits"),
                     ("seq2seq", "Dates")]
    table = stream.getvalue().split("model ")[1].splitlines()
    titles = [line[:20].strip() for line in table[2:6]]
    assert titles == ["CNN (4.1)", "LSTM (4.2)", "Transformer (4.3)", "Seq2seq dates (F8)"]
    assert all(line.rstrip().endswith("98.00%") for line in table[2:6])


def test_format_table_columns():
    text = format_table([("Seq2seq dates (F8)", T.TrainResult("seq2seq", 18190, 4, 14.04, 0.9875))])
    assert text.splitlines()[2] == ("Seq2seq dates (F8)       18,190      4      14.0s        "
                                    "98.75%")
