"""Containers (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict) and the
Module methods PyTorch code relies on: names and state-dict keys as PyTorch's."""
from collections import OrderedDict

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn


def test_sequential_indexing_slicing_and_editing_like_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 4),
                                 torch.nn.Tanh())
    for net in (ours, theirs):
        net.append(type(net[1])())
        net.insert(1, type(net[3])())
        del net[0]
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert type(ours[1:3]).__name__ == "Sequential" and len(ours[1:3]) == 2
    assert list(ours[1:3].state_dict()) == list(theirs[1:3].state_dict())
    assert isinstance(ours[-1], nn.ReLU)
    with pytest.raises(IndexError):
        ours[10]


def test_sequential_from_ordered_dict_runs_in_order():
    net = nn.Sequential(OrderedDict([("scale", nn.Linear(1, 1, bias=False)), ("act", nn.ReLU())]))
    nn.init.constant_(net.scale.weight, -2.0)
    assert net(md.tensor([[1.0]])).item() == 0.0
    assert list(net.state_dict()) == ["scale.weight"]
    with pytest.raises(KeyError, match="attribute 'double' already exists"):   # a method name
        nn.Sequential(OrderedDict([("double", nn.ReLU())]))


def test_module_list_operations_and_names():
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.ReLU()).extend([nn.Linear(2, 3)])
    layers.insert(1, nn.Tanh())
    layers += [nn.Sigmoid()]
    assert [type(m).__name__ for m in layers] == ["Linear", "Tanh", "ReLU", "Linear", "Sigmoid"]
    assert list(layers.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    popped = layers.pop(0)
    assert isinstance(popped, nn.Linear) and list(layers.state_dict()) == ["2.weight", "2.bias"]
    layers[0] = nn.Linear(1, 1)
    assert "0.weight" in layers.state_dict()
    assert len(layers[1:]) == 3 and isinstance(layers[1:], nn.ModuleList)


def test_module_dict():
    torch = pytest.importorskip("torch")
    ours = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    theirs = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 2), "b": torch.nn.ReLU()})
    for d, lin in ((ours, nn.Linear), (theirs, torch.nn.Linear)):
        d.update([("c", lin(2, 1))])
        d["a"] = lin(2, 5)
        del d["b"]
    assert list(ours.keys()) == list(theirs.keys()) == ["a", "c"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "c" in ours and len(ours) == 2 and ours.pop("c").out_features == 1
    assert [k for k, _ in ours.items()] == ["a"]


def test_parameter_list_and_dict():
    ps = nn.ParameterList([md.ones(2), nn.Parameter(md.zeros(3))])
    ps.append(md.ones(1))
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ps)
    assert [n for n, _ in ps.named_parameters()] == ["0", "1", "2"]

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = nn.ParameterList([md.ones(2)])
            self.pd = nn.ParameterDict({"scale": md.ones(3)})

    h = Holder()
    h.pd["shift"] = md.zeros(3)
    assert list(h.state_dict()) == ["ps.0", "pd.scale", "pd.shift"]
    assert len(list(h.parameters())) == 3
    with pytest.raises(TypeError, match="ParameterList: entries must be Parameters"):
        nn.ParameterList([1.0])


def test_apply_visits_children_before_parents_as_torch():
    torch = pytest.importorskip("torch")

    def build(lib):
        return lib.Sequential(lib.Sequential(lib.Linear(1, 1), lib.ReLU()), lib.Tanh())

    seen_ours, seen_theirs = [], []
    build(nn).apply(lambda m: seen_ours.append(type(m).__name__))
    build(torch.nn).apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs == ["Linear", "ReLU", "Sequential", "Tanh", "Sequential"]


def test_named_modules_buffers_and_non_persistent_buffers():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(2)
            self.register_buffer("mask", md.ones(2), persistent=False)
            self.shared = self.bn

    net = Net()
    assert [n for n, _ in net.named_modules()] == ["", "bn"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "bn", "shared"]
    assert [n for n, _ in net.named_buffers()] == ["mask", "bn.running_mean", "bn.running_var",
                                                   "bn.num_batches_tracked"]
    assert "mask" not in net.state_dict() and "bn.running_mean" in net.state_dict()
    assert net.get_submodule("bn") is net.bn and net.get_buffer("bn.running_var").shape == (2,)
    net.mask = md.zeros(2)                                    # assigning keeps it a buffer
    assert "mask" in dict(net.named_buffers()) and "mask" not in net.state_dict()
    del net.mask
    assert "mask" not in dict(net.named_buffers())


def test_registration_errors_as_torch():
    m = nn.Module()
    m.x = 1
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.register_buffer("x", md.ones(1))
    with pytest.raises(KeyError, match="parameter name can.*contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="cannot assign int object to buffer"):
        m.register_buffer("y", 3)
    m.register_parameter("w", nn.Parameter(md.ones(2)))
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'w'"):
        m.w = md.ones(2)


def test_to_requires_grad_and_zero_grad():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert net.to("cpu") is net and net.to(md.float64) is net
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net[1].num_batches_tracked.dtype == np.int64
    net.to(device="cpu", dtype=np.float32)
    assert net[0].weight.dtype == np.float32
    with pytest.raises(ValueError, match="CPU only"):
        net.to("cuda")
    with pytest.raises(ValueError, match="CPU only"):
        nn.Linear(2, 2, device="cuda:0")
    net(md.randn(4, 2)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(np.asarray(p.grad) == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
