"""Tests of md.save / md.load: round trips, checkpoints, and refusing what is not ours."""
import os
import zipfile

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
import minidl.optim as optim


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))


def test_model_state_dict_round_trip(tmp_path):
    model = _model()
    model[0].bias.data = model[0].bias.numpy().astype(np.float64)  # mixed dtypes survive
    sd = model.state_dict()
    path = tmp_path / "model.npz"
    md.save(sd, path)
    loaded = md.load(path)
    assert list(loaded) == list(sd) == ["0.weight", "0.bias", "2.weight"]
    for k in sd:
        assert loaded[k].dtype == sd[k].dtype and loaded[k].shape == sd[k].shape, k
        np.testing.assert_array_equal(loaded[k], sd[k])
    md.manual_seed(99)
    other = _model()
    other[0].bias.data = other[0].bias.numpy().astype(np.float64)  # load keeps the model's dtypes
    other.load_state_dict(loaded)
    x = md.randn(5, 3)
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())


def test_checkpoint_with_optimizer_state(tmp_path):
    model = _model()
    opt = optim.Adam([{"params": model[0].parameters()},
                      {"params": model[2].parameters(), "lr": 0.1}], lr=0.01, amsgrad=True)
    x, y = md.randn(8, 3), md.randn(8, 2)
    for _ in range(2):
        opt.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        opt.step()
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2,
                  "name": "run-1", "best": None, "history": [0.5, 0.25], "flags": (True, 3)}
    md.save(checkpoint, tmp_path / "ckpt")
    loaded = md.load(tmp_path / "ckpt")
    assert loaded["epoch"] == 2 and loaded["name"] == "run-1" and loaded["best"] is None
    assert loaded["history"] == [0.5, 0.25] and loaded["flags"] == (True, 3)
    osd, lsd = opt.state_dict(), loaded["optimizer"]
    assert list(lsd["state"]) == [0, 1, 2]  # int keys stay ints
    assert all(isinstance(k, int) for k in lsd["state"])
    for i, s in osd["state"].items():
        assert set(lsd["state"][i]) == set(s)
        assert lsd["state"][i]["step"] == s["step"] == 2
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            np.testing.assert_array_equal(lsd["state"][i][key], s[key])
            assert lsd["state"][i][key].dtype == s[key].dtype
    assert lsd["param_groups"] == osd["param_groups"]
    assert lsd["param_groups"][1]["betas"] == (0.9, 0.999)
    opt2 = optim.Adam([{"params": model[0].parameters()},
                       {"params": model[2].parameters()}])
    opt2.load_state_dict(lsd)
    assert opt2.param_groups[1]["lr"] == 0.1


def test_int_and_str_keys_kept_apart(tmp_path):
    md.save({0: np.ones(1), "0": np.zeros(1), "nested": {1: {"a": 2.5}}}, tmp_path / "k.npz")
    loaded = md.load(tmp_path / "k.npz")
    assert list(loaded) == [0, "0", "nested"]
    np.testing.assert_array_equal(loaded[0], [1.0])
    np.testing.assert_array_equal(loaded["0"], [0.0])
    assert loaded["nested"][1]["a"] == 2.5


def test_tensors_are_saved_as_arrays(tmp_path):
    t = md.tensor([1.0, 2.0], requires_grad=True)
    md.save({"t": t, "p": nn.Parameter(md.ones(2))}, tmp_path / "t.npz")
    loaded = md.load(tmp_path / "t.npz")
    assert isinstance(loaded["t"], np.ndarray) and loaded["t"].dtype == np.float32
    np.testing.assert_array_equal(loaded["t"], [1.0, 2.0])


def test_written_file_is_exactly_the_path(tmp_path):
    for name in ("model.ckpt", "noext", "weights.npz"):
        path = tmp_path / name
        md.save({"w": np.ones(2)}, str(path))
        assert path.exists()
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt", "noext", "weights.npz"]
    assert zipfile.is_zipfile(tmp_path / "noext")  # an ordinary .npz inside


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match=r"save: cannot save a/b of type object"):
        md.save({"a": {"b": object()}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="save: w is an object array"):
        md.save({"w": np.array([1, None], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"save: dict keys must be str or int, got 1.5"):
        md.save({1.5: np.ones(1)}, tmp_path / "x.npz")


# ---------------------------------------------------------------------- refusing files
def test_object_npy_needs_pickle_and_is_refused(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([1, "a", None], dtype=object))
    with pytest.raises(ValueError, match=rf"load: {path} .*needs pickle"):
        md.load(path)


def test_object_npz_needs_pickle_and_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, w=np.ones(2), objs=np.array([{}, []], dtype=object))
    with pytest.raises(ValueError, match=rf"load: {path} holds objects that need pickle"):
        md.load(path)
    # even with a minidl marker in it
    marked = tmp_path / "marked.npz"
    np.savez(marked, __minidl__=np.array('{"version": 1, "structure": {"value": 1}}'),
             a0=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match=rf"load: {marked} holds objects that need pickle"):
        md.load(marked)


def test_loading_never_unpickles(tmp_path, monkeypatch):
    import pickle
    calls = []

    class Evil:
        def __reduce__(self):
            return (calls.append, ("ran",))

    path = tmp_path / "evil.npz"
    np.savez(path, __minidl__=np.array('{"version": 1, "structure": {"array": "a0"}}'),
             a0=np.array([Evil()], dtype=object))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append("loads"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: calls.append("load"))
    with pytest.raises(ValueError, match="pickle"):
        md.load(path)
    assert calls == []


def test_plain_npz_without_marker_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, weight=np.ones((2, 2)))
    with pytest.raises(ValueError, match=rf"load: {path} is an .npz file but not one written "
                                         rf"by md.save"):
        md.load(path)


@pytest.mark.parametrize("content", [b"hello, I am a text file\n", bytes(range(256)) * 3, b""])
def test_text_random_and_empty_files_are_refused(tmp_path, content):
    path = tmp_path / "file.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"load: {path} is not a minidl file"):
        md.load(path)


def test_npy_is_refused(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.arange(4))
    with pytest.raises(ValueError, match=rf"load: {path} is a single .npy array, not a minidl file"):
        md.load(path)


def test_damaged_marker_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, __minidl__=np.array("{not json"))
    with pytest.raises(ValueError, match=rf"load: {path} is not a minidl file"):
        md.load(path)
    np.savez(path, __minidl__=np.array('{"version": 1, "structure": {"array": "a7"}}'))
    with pytest.raises(ValueError, match=rf"load: {path} has a damaged __minidl__ entry"):
        md.load(path)
    np.savez(path, __minidl__=np.array('{"version": 99, "structure": {"value": 1}}'))
    with pytest.raises(ValueError, match=rf"load: {path} has a __minidl__ entry .*\(version 99\)"):
        md.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        md.load(tmp_path / "nothing.npz")


def test_hostile_files_are_refused_without_allocating_or_recursing(tmp_path):
    import io
    import json
    import zipfile

    import pytest

    # metadata nested 10^5 levels deep
    deep = tmp_path / "deep.npz"
    structure = "[" * 100_000 + "]" * 100_000
    meta = '{"version": 1, "structure": ' + structure + "}"
    md_arrays = {"__minidl__": np.array(meta)}
    with open(deep, "wb") as f:
        np.savez(f, **md_arrays)
    with pytest.raises(ValueError, match="deep.npz"):
        md.load(deep)
    # a member whose header declares a 745 GiB array
    huge = tmp_path / "huge.npz"
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": (10_000, 10_000_000)})
    with zipfile.ZipFile(huge, "w") as zf:
        zf.writestr("a0.npy", b"\x93NUMPY\x01\x00" + buf.getvalue()[8:] + b"\x00" * 64)
        zf.writestr("__minidl__.npy", _npy_bytes(np.array(json.dumps(
            {"version": 1, "structure": {"array": "a0"}}))))
    with pytest.raises(ValueError, match="huge.npz.*declares"):
        md.load(huge)


def _npy_bytes(arr):
    import io
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()
