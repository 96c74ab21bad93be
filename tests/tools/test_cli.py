"""The command line: ``python -m minidl`` [check | train ...], its errors and its resume."""
import os
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
    for row in ("F1 ", "F2 ", "F3 ", "F4 ", "F5 ", "F6 ", "F7 ", "F8 ", "F9 ", "F10", "F11",
                "op   matmul", "op   conv2d", "op   layer_norm", "op   embedding", "op   gelu"):
        assert row in out
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
