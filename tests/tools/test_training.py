"""Training the article's models: learning, reproducibility, checkpoints and resume."""
import io
import os

import numpy as np
import pytest

import minidl as md
from minidl.tools import training as T

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def digits():
    from minidl.models.data import load_digits
    return load_digits()


@pytest.fixture(scope="module")
def small(digits):
    return digits.subset(400, 200)


@pytest.mark.parametrize("name, epochs", [("cnn", 2), ("lstm", 6), ("transformer", 4)])
def test_short_training_beats_chance(small, name, epochs):
    result = T.train(name, small, epochs=epochs, seed=0, progress="off")
    assert result.test_accuracy > 0.5              # chance is 0.1 on 10 classes
    assert result.history["epoch_loss"][-1] < result.history["epoch_loss"][0]
    assert result.parameters == sum(p.numpy().size for p in result.model.parameters())


def test_same_seed_same_weights_other_seed_other_weights(small):
    tiny = small.subset(96, 32)
    runs = [T.train("transformer", tiny, epochs=2, seed=s, progress="off") for s in (3, 3, 4)]
    a, b, c = (r.model.state_dict() for r in runs)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert any(not np.array_equal(a[k], c[k]) for k in a)
    assert runs[0].history["batch_loss"] == runs[1].history["batch_loss"]


def test_evaluate_counts_correct_predictions():
    import minidl.nn as nn

    class Echo(nn.Module):          # logits = the input itself
        def forward(self, x):
            return x
    x = np.eye(4, dtype=np.float32)
    assert T.evaluate(Echo(), x, np.array([0, 1, 2, 0]), batch_size=3) == 0.75


def _weights(path):
    return md.load(path)["model"]


@pytest.mark.parametrize("name", ["transformer", "lstm"])
def test_resume_equals_uninterrupted_run(small, tmp_path, name):
    tiny = small.subset(128, 32)
    full, part = str(tmp_path / "full"), str(tmp_path / "part")
    T.train(name, tiny, epochs=3, seed=5, out=full, progress="off")
    T.train(name, tiny, epochs=1, seed=5, out=part, progress="off")
    T.train(name, tiny, epochs=3, out=part, resume=True, progress="off")
    a, b = _weights(os.path.join(full, "epoch_003.npz")), _weights(os.path.join(part, "epoch_003.npz"))
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])    # exactly, not approximately
    ha = md.load(os.path.join(full, "epoch_003.npz"))["history"]["batch_loss"]
    hb = md.load(os.path.join(part, "epoch_003.npz"))["history"]["batch_loss"]
    np.testing.assert_array_equal(ha, hb)


def test_checkpoint_contents(small, tmp_path):
    out = str(tmp_path / "run")
    T.train("lstm", small.subset(64, 16), epochs=2, seed=7, lr=2e-3, batch_size=16, out=out,
            progress="off")
    assert sorted(f for f in os.listdir(out) if f.endswith(".npz")) == ["epoch_001.npz",
                                                                        "epoch_002.npz"]
    ckpt = md.load(os.path.join(out, "epoch_002.npz"))
    assert ckpt["model_name"] == "lstm" and ckpt["epoch"] == 2 and ckpt["seed"] == 7
    assert ckpt["lr"] == 2e-3 and ckpt["batch_size"] == 16
    assert set(ckpt["model"]) == set(T.build_model("lstm", 0).state_dict())
    assert set(ckpt["optimizer"]) == {"state", "param_groups"}
    assert "state" in ckpt["rng_state"]
    assert len(ckpt["history"]["batch_loss"]) == 2 * 4 and len(ckpt["history"]["epoch_loss"]) == 2
    pytest.importorskip("matplotlib")
    with open(os.path.join(out, "loss.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_train_errors(small, tmp_path):
    tiny = small.subset(32, 8)
    with pytest.raises(T.TrainError, match="unknown model 'rnn'"):
        T.train("rnn", tiny, epochs=1)
    with pytest.raises(T.TrainError, match="epochs must be a positive integer, got 0"):
        T.train("lstm", tiny, epochs=0)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(T.TrainError, match="no checkpoint"):
        T.train("lstm", tiny, epochs=2, out=str(empty), resume=True)
    out = str(tmp_path / "lstm")
    T.train("lstm", tiny, epochs=1, out=out, progress="off")
    with pytest.raises(T.TrainError, match="checkpoint of model 'lstm', not 'transformer'"):
        T.train("transformer", tiny, epochs=2, out=out, resume=True)
    with pytest.raises(T.TrainError, match="already holds checkpoints"):
        T.train("lstm", tiny, epochs=1, out=out)
    with pytest.raises(T.TrainError, match="trained with seed 0, not 1"):
        T.train("lstm", tiny, epochs=2, seed=1, out=out, resume=True)
    assert sorted(os.listdir(out)) == ["epoch_001.npz", "loss.png"] or \
        sorted(os.listdir(out)) == ["epoch_001.npz"]


@pytest.mark.parametrize("mode", ["lines", "bar"])
def test_progress_output(mode):
    stream = io.StringIO()
    bar = T.Progress("cnn", 2, 3, stream=stream, mode=mode)
    for epoch in (1, 2):
        bar.start_epoch(epoch)
        for b in range(1, 4):
            bar.update(b, 10, 0.5)
        bar.end_epoch(0.5, 0.9, 1.0)
    text = stream.getvalue()
    finished = [line for line in text.split("\n") if line.strip()]
    assert "cnn epoch 2/2" in text and "test acc 90.00 %" in text
    if mode == "lines":
        assert len(finished) == 2 and "\r" not in text      # one line per epoch
    else:
        assert "\r" in text and "[" in text and "samples/s" in text


def test_progress_is_lines_when_not_a_terminal():
    assert T.Progress("cnn", 1, 1, stream=io.StringIO()).mode == "lines"


def test_random_shift_moves_images_and_fills_zeros():
    class FixedShifts:                           # dy, dx per image
        def integers(self, low, high, size):
            return np.array([[1, 0], [-1, 2]])
    x = np.arange(2 * 4 * 5, dtype=float).reshape(2, 1, 4, 5) + 1
    got = T.random_shift(x, 2, FixedShifts())
    want0 = np.zeros((4, 5))
    want0[1:, :4] = x[0, 0, :3, 1:]              # down 1, left 1
    want1 = np.zeros((4, 5))
    want1[:, 2:] = x[1, 0, :, :3]                # right 2
    np.testing.assert_array_equal(got[:, 0], np.stack([want0, want1]))
    rows = T.random_shift(x[:, 0], 2, FixedShifts())          # (N, H, W) works too
    np.testing.assert_array_equal(rows, got[:, 0])


def test_resume_past_the_requested_epochs_is_an_error(small, tmp_path):
    out = str(tmp_path / "run")
    T.train("lstm", small.subset(32, 8), epochs=2, out=out, progress="off")
    with pytest.raises(T.TrainError, match="already at epoch 2, past --epochs 1"):
        T.train("lstm", small.subset(32, 8), epochs=1, out=out, resume=True)


# ---------------------------------------------------------------------------- seq2seq

@pytest.fixture(scope="module")
def dates():
    from minidl.models.dates import make_dates
    return make_dates(3200, 300, seed=0)


def test_seq2seq_learns_to_rewrite_dates(dates):
    # 150 steps of the tour's recipe (a fifth of the tour's steps, warm-up 30, 3,200
    # days): about 75 % exact match, where an untrained model writes no date at all.
    import dataclasses
    cfg = dataclasses.replace(T.MODELS["seq2seq"], lr=1e-2, lr_decay=0.5, warmup=30)
    saved = T.MODELS["seq2seq"]
    T.MODELS["seq2seq"] = cfg
    try:
        result = T.train("seq2seq", dates, epochs=3, seed=0, progress="off")
    finally:
        T.MODELS["seq2seq"] = saved
    loss = result.history["epoch_loss"]
    assert loss[0] > 1.0 and loss[-1] < 0.25 * loss[0]        # per character
    assert result.test_accuracy >= 0.5, result.history
    assert result.history["test_accuracy"][-1] >= result.history["test_accuracy"][0]


def test_seq2seq_same_seed_same_run(dates):
    tiny = dates.subset(256, 20)
    runs = [T.train("seq2seq", tiny, epochs=1, seed=s, progress="off") for s in (1, 1, 2)]
    assert runs[0].history["batch_loss"] == runs[1].history["batch_loss"]
    assert runs[0].history["batch_loss"] != runs[2].history["batch_loss"]
    a, b = runs[0].model.state_dict(), runs[1].model.state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_seq2seq_resume_equals_uninterrupted_run(dates, tmp_path):
    tiny = dates.subset(192, 20)
    full, part = str(tmp_path / "full"), str(tmp_path / "part")
    T.train("seq2seq", tiny, epochs=2, seed=3, out=full, progress="off")
    T.train("seq2seq", tiny, epochs=1, seed=3, out=part, progress="off")
    T.train("seq2seq", tiny, epochs=2, out=part, resume=True, progress="off")
    a, b = _weights(os.path.join(full, "epoch_002.npz")), _weights(os.path.join(part, "epoch_002.npz"))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_seq2seq_batches_are_bucketed_and_cover_the_data(dates):
    task = T._Dates(T.MODELS["seq2seq"], dates.subset(1000, 10))
    batches = task.batches(np.random.default_rng(0), 64)
    assert len(batches) == -(-1000 // 64)
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    spread = [np.ptp(task.lengths[b]) for b in batches]
    assert max(spread) <= 3                       # each batch is of nearly one length
    first = [b[0] for b in task.batches(np.random.default_rng(1), 64)]
    assert first != [b[0] for b in batches]       # another epoch, another order


def test_warmup_and_decay_schedule(dates, monkeypatch):
    seen = []
    real_step = md.optim.Adam.step

    def step(self):
        seen.append(self.param_groups[0]["lr"])
        return real_step(self)
    monkeypatch.setattr(md.optim.Adam, "step", step)
    import dataclasses
    monkeypatch.setitem(T.MODELS, "seq2seq", dataclasses.replace(
        T.MODELS["seq2seq"], lr=0.01, lr_decay=0.5, warmup=4))
    T.train("seq2seq", dates.subset(192, 4), epochs=2, progress="off", batch_size=64)
    np.testing.assert_allclose(seen, [0.0025, 0.005, 0.0075, 0.005, 0.005, 0.005])


def test_keep_only_the_last_checkpoints(small, tmp_path):
    out = str(tmp_path / "run")
    T.train("lstm", small.subset(32, 8), epochs=3, out=out, progress="off", keep=1)
    assert sorted(f for f in os.listdir(out) if f.endswith(".npz")) == ["epoch_003.npz"]
    with pytest.raises(T.TrainError, match="keep must be a positive integer"):
        T.train("lstm", small.subset(32, 8), epochs=1, keep=0)


def test_progress_uses_tqdm_on_a_terminal_and_falls_back_without_it(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    pytest.importorskip("tqdm")
    assert T.Progress("cnn", 1, 1, stream=Terminal()).mode == "tqdm"
    monkeypatch.setitem(__import__("sys").modules, "tqdm", None)     # tqdm not installed
    assert T.Progress("cnn", 1, 1, stream=Terminal()).mode == "bar"


def test_progress_tqdm_output():
    pytest.importorskip("tqdm")
    stream = io.StringIO()
    bar = T.Progress("seq2seq", 2, 3, stream=stream, mode="tqdm")
    bar.start_epoch(1)
    for b in range(1, 4):
        bar.update(b, 64, 0.25)
    bar.end_epoch(0.25, 0.975, 1.0)
    text = stream.getvalue()
    assert "seq2seq epoch 1/2" in text and "3/3" in text and "test acc 97.50 %" in text
