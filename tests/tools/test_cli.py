"""The command line: ``python -m minidl`` [check | train ...], its errors and its resume."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import minidl as md
from minidl.__main__ import main


def _one_line_error(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_check_command(capsys):
    status = main(["check"])
    out = capsys.readouterr().out
    for row in ("F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11"):
        assert re.search(rf"^{row} ", out, re.M), row
    for op in ("matmul", "conv2d", "layer_norm", "embedding", "gelu"):     # a row of its own
        assert re.search(rf"^\w+ +{op}\b", out, re.M), op
    assert "rows pass" in out
    assert status == 0, "\n".join(line for line in out.splitlines()
                                  if "FAIL" in line or "MISSING" in line or "ERROR" in line)


@pytest.mark.parametrize("argv, message", [
    (["train", "rnn"], "invalid choice: 'rnn'"),
    (["train", "cnn", "--epochs", "0"], "--epochs: must be a positive integer, got 0"),
    (["train", "cnn", "--epochs", "-3"], "--epochs: must be a positive integer, got -3"),
    (["train", "cnn", "--epochs", "two"], "--epochs: must be a positive integer, got 'two'"),
    (["train", "cnn", "--lr", "-1"], "--lr: must be a positive number"),
    (["train", "cnn", "--batch-size", "0"], "--batch-size: must be a positive integer"),
    (["bogus"], "invalid choice: 'bogus'"),
])
def test_bad_arguments_one_line_error(capsys, argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    line = _one_line_error(captured.err)
    assert line.startswith("minidl: error:") and message in line
    assert os.listdir(tmp_path) == []                      # nothing written


def test_bad_model_name_via_python_m():
    proc = subprocess.run([sys.executable, "-m", "minidl", "train", "resnet", "--epochs", "1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid choice: 'resnet'" in _one_line_error(proc.stderr)


def _without_sklearn(monkeypatch):
    for mod in ("sklearn", "sklearn.datasets", "sklearn.model_selection"):
        monkeypatch.setitem(sys.modules, mod, None)       # import sklearn → ImportError


@pytest.mark.parametrize("argv", [[], ["train", "lstm", "--epochs", "1"]])
def test_missing_extra_message(capsys, monkeypatch, tmp_path, argv):
    _without_sklearn(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "scikit-learn" in line
    assert 'pip install "minidl[examples]"' in line and 'pip install -e ".[examples]"' in line
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------- train

@pytest.fixture
def need_sklearn():
    pytest.importorskip("sklearn")


def _weights(out, epoch):
    return md.load(os.path.join(out, f"epoch_{epoch:03d}.npz"))["model"]


def test_train_then_resume_equals_uninterrupted(need_sklearn, tmp_path, capsys):
    full, part = str(tmp_path / "full"), str(tmp_path / "part")
    common = ["train", "transformer", "--seed", "2", "--batch-size", "128"]
    assert main(common + ["--epochs", "2", "--out", full]) == 0
    assert main(common + ["--epochs", "1", "--out", part]) == 0
    assert main(["train", "transformer", "--epochs", "2", "--out", part, "--resume"]) == 0
    out = capsys.readouterr().out
    assert "transformer epoch 2/2" in out and "test accuracy" in out
    a, b = _weights(full, 2), _weights(part, 2)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert os.path.exists(os.path.join(part, "loss.png"))


def test_resume_errors_leave_files_alone(need_sklearn, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "lstm", "--epochs", "1", "--out", str(empty), "--resume"]) == 2
    assert "no checkpoint" in _one_line_error(capsys.readouterr().err)
    assert os.listdir(empty) == []

    out = str(tmp_path / "lstm")
    assert main(["train", "lstm", "--epochs", "1", "--batch-size", "256", "--out", out]) == 0
    capsys.readouterr()
    before = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in os.listdir(out)}
    for argv, message in [
        (["train", "cnn", "--epochs", "2", "--out", out, "--resume"],
         "checkpoint of model 'lstm', not 'cnn'"),
        (["train", "lstm", "--epochs", "1", "--out", out], "already holds checkpoints"),
        (["train", "lstm", "--epochs", "3", "--out", out, "--resume", "--lr", "0.5"],
         "trained with lr"),
    ]:
        assert main(argv) == 2
        line = _one_line_error(capsys.readouterr().err)
        assert line.startswith("minidl: error:") and message in line
    after = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in os.listdir(out)}
    assert after == before                                  # nothing overwritten


# ---------------------------------------------------------------------------- user errors

def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_out_that_cannot_hold_checkpoints_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a_file = tmp_path / "notes.txt"
    _write(a_file, "keep me")
    for out, message in [(a_file, "exists and is not a directory"),
                         (a_file / "sub", "cannot write there: Not a directory")]:
        assert main(["train", "seq2seq", "--epochs", "1", "--out", str(out)]) == 2
        line = _one_line_error(capsys.readouterr().err)
        assert line.startswith("minidl: error: --out ") and message in line
    assert a_file.read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write into a read-only directory")
def test_read_only_out_is_one_line(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["train", "seq2seq", "--epochs", "1", "--out", str(locked)]) == 2
        assert "cannot write there" in _one_line_error(capsys.readouterr().err)
    finally:
        locked.chmod(0o700)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_out_on_a_file_system_that_refuses_is_one_line(capsys):
    assert main(["train", "lstm", "--epochs", "1", "--out", "/proc/minidl-run"]) == 2
    assert "cannot write there" in _one_line_error(capsys.readouterr().err)


def test_etc_passwd_as_out_via_python_m(tmp_path):
    target = "/etc/passwd" if os.path.isfile("/etc/passwd") else str(tmp_path / "f")
    if not os.path.exists(target):
        _write(target, "x")
    proc = subprocess.run([sys.executable, "-m", "minidl", "train", "lstm", "--out", target],
                          capture_output=True, text=True, timeout=60, cwd=str(tmp_path))
    assert proc.returncode == 2
    assert "exists and is not a directory" in _one_line_error(proc.stderr)
    assert proc.stdout == ""


@pytest.mark.parametrize("argv, message", [
    (["train", "seq2seq", "--keep", "0"], "--keep: must be a positive integer, got 0"),
    (["train", "seq2seq", "--keep", "all"], "--keep: must be a positive integer, got 'all'"),
])
def test_bad_keep_one_line(capsys, argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in _one_line_error(capsys.readouterr().err)
    assert os.listdir(tmp_path) == []


def test_damaged_or_foreign_checkpoint_on_resume_is_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    _write(out / "epoch_001.npz", "not a zip file")
    assert main(["train", "seq2seq", "--epochs", "2", "--out", str(out), "--resume"]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert line.startswith("minidl: error: --resume: cannot read") and "epoch_001.npz" in line
    (out / "epoch_001.npz").unlink()
    md.save({"weights": np.zeros(3)}, str(out / "epoch_002.npz"))     # an npz, not ours
    assert main(["train", "seq2seq", "--epochs", "3", "--out", str(out), "--resume"]) == 2
    assert "is not a checkpoint of 'minidl train'" in _one_line_error(capsys.readouterr().err)
    assert sorted(os.listdir(out)) == ["epoch_002.npz"]


# ---------------------------------------------------------------------------- seq2seq, --keep

@pytest.fixture
def small_dates(monkeypatch):
    """The CLI's seq2seq data cut to 320 training and 40 test days (10 steps an epoch)."""
    from minidl.tools import training as T
    monkeypatch.setattr(T, "DATES_TRAIN", 320)
    monkeypatch.setattr(T, "DATES_TEST", 40)


def _epochs_in(out):
    return sorted(f for f in os.listdir(out) if f.endswith(".npz"))


def test_train_seq2seq_keep_and_resume_without_sklearn(small_dates, tmp_path, capsys,
                                                        monkeypatch):
    _without_sklearn(monkeypatch)                          # the dates need no extra
    full, part = str(tmp_path / "full"), str(tmp_path / "part")
    assert main(["train", "seq2seq", "--epochs", "3", "--out", full, "--keep", "2"]) == 0
    assert _epochs_in(full) == ["epoch_002.npz", "epoch_003.npz"]
    assert main(["train", "seq2seq", "--epochs", "1", "--out", part, "--keep", "1"]) == 0
    assert main(["train", "seq2seq", "--epochs", "3", "--out", part, "--resume",
                 "--keep", "1"]) == 0
    assert _epochs_in(part) == ["epoch_003.npz"]
    out = capsys.readouterr().out
    assert "seq2seq epoch 3/3" in out and "test exact match" in out
    a, b = _weights(full, 3), _weights(part, 3)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert os.path.exists(os.path.join(part, "loss.png"))


def test_keep_on_a_digits_model(need_sklearn, tmp_path, capsys):
    out = str(tmp_path / "lstm")
    assert main(["train", "lstm", "--epochs", "3", "--batch-size", "512", "--out", out,
                 "--keep", "2"]) == 0
    assert _epochs_in(out) == ["epoch_002.npz", "epoch_003.npz"]
    assert main(["train", "lstm", "--epochs", "4", "--out", out, "--resume"]) == 0   # keeps all
    assert _epochs_in(out) == ["epoch_002.npz", "epoch_003.npz", "epoch_004.npz"]
    assert md.load(os.path.join(out, "epoch_004.npz"))["epoch"] == 4
