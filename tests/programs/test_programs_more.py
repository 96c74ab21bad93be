"""Three more PyTorch-style programs run with PyTorch and with minidl (imports swapped):
custom autograd Functions (gradcheck, OneCycleLR, gradient clipping), a tiny ViT (patch
embedding by reshapes, class token, pre-norm encoder, AdamW with warm-up, ``no_grad``
accuracy) and a hand-stepped char-RNN (truncated BPTT, RMSprop, ReduceLROnPlateau, a
model + optimiser checkpoint written with ``torch.save`` and read back with ``torch.load``).

Both runs start from the same weights (PyTorch's state dict loaded into the minidl
model) in float64, and every recorded loss, learning rate, gradient and final weight
agrees to rounding.
"""
import pytest

from .switch import HERE, assert_same_record, load, swap_imports

torch = pytest.importorskip("torch")

PROGRAMS = ["custom_function", "vit_patch", "char_rnn"]


def _pair(name):
    theirs, ours = load(name, "torch"), load(name, "minidl")
    torch_model, model = theirs.build(), ours.build()
    assert list(model.state_dict()) == list(torch_model.state_dict())
    model.load_state_dict(torch_model.state_dict())
    return theirs, ours, torch_model, model


@pytest.mark.parametrize("name", PROGRAMS)
def test_only_import_lines_change(name):
    source = (HERE / f"{name}.py").read_text()
    changed = [(a, b) for a, b in zip(source.splitlines(), swap_imports(source).splitlines())
               if a != b]
    assert changed and all(a.lstrip().startswith(("import torch", "from torch")) for a, _ in changed)


def test_custom_function():
    theirs, ours, torch_model, model = _pair("custom_function")
    assert ours.gradcheck_ok() and theirs.gradcheck_ok()
    record = ours.train(model)
    assert_same_record(record, theirs.train(torch_model))
    assert record["lr.0"] < record["lr.5"]                  # OneCycleLR warms up
    assert all(record[f"norm.{k}"] >= 0 for k in range(12))


def test_vit_patch():
    theirs, ours, torch_model, model = _pair("vit_patch")
    record = ours.train(model)
    assert_same_record(record, theirs.train(torch_model))
    assert record["patches"].shape == (2, 4, 32)


def test_char_rnn_with_checkpoint(tmp_path):
    theirs, ours, torch_model, model = _pair("char_rnn")
    record = ours.train(model, tmp_path / "minidl.pt")
    reference = theirs.train(torch_model, tmp_path / "torch.pt")
    assert_same_record(record, reference)
    assert list(record["decoded"]) == list(reference["decoded"])
    assert record["loss.1.4"] < record["loss.0.0"]
