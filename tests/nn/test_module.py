"""Tests of Module, Parameter, Sequential and ModuleList: registration, traversal, modes,
dtype, repr and state dicts (names equal to PyTorch's)."""
import numpy as np
import pytest

import minidl as md
import minidl.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.register_buffer("scale", np.full(4, 2.0, dtype=np.float32))
        self.register_buffer("table", np.zeros(2, dtype=np.float32), persistent=False)

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(md.ones(1))
        self.block = Block()
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2, bias=False)])
        self.head = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())

    def forward(self, x):
        h = self.block(x) * self.gain
        for layer in self.layers:
            h = layer(h)
        return self.head(h)


def _torch_net(torch):
    tnn = torch.nn

    class TBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc = tnn.Linear(3, 4)
            self.act = tnn.ReLU()
            self.register_buffer("scale", torch.full((4,), 2.0))
            self.register_buffer("table", torch.zeros(2), persistent=False)

    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.gain = tnn.Parameter(torch.ones(1))
            self.block = TBlock()
            self.layers = tnn.ModuleList([tnn.Linear(4, 4), tnn.Tanh(), tnn.Linear(4, 2, bias=False)])
            self.head = tnn.Sequential(tnn.Linear(2, 2), tnn.Sigmoid())

        def forward(self, x):
            h = torch.relu(self.block.fc(x)) * self.block.scale * self.gain
            for layer in self.layers:
                h = layer(h)
            return self.head(h)

    return TNet()


NET_PARAMS = ["gain", "block.fc.weight", "block.fc.bias", "layers.0.weight", "layers.0.bias",
              "layers.2.weight", "head.0.weight", "head.0.bias"]


# ---------------------------------------------------------------------- registration
def test_registration_and_named_parameters_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == NET_PARAMS
    assert list(net._parameters) == ["gain"]
    assert list(net._modules) == ["block", "layers", "head"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert net.block.fc.weight.shape == (4, 3)
    assert [n for n, _ in net.block.named_parameters(prefix="block")] == NET_PARAMS[1:3]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["gain"]
    assert [n for n, _ in net.named_buffers()] == ["block.scale", "block.table"]


def test_named_parameters_equal_torch():
    torch = pytest.importorskip("torch")
    assert [n for n, _ in _torch_net(torch).named_parameters()] == NET_PARAMS


def test_plain_attribute_does_not_shadow_a_later_parameter_or_module():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = None
            self.w = nn.Parameter(md.ones(2))
            self.sub = None
            self.sub = nn.Linear(2, 2)

    m = M()
    assert isinstance(m.w, nn.Parameter) and isinstance(m.sub, nn.Linear)
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]


def test_reassigning_a_parameter_keeps_its_place():
    lin = nn.Linear(2, 3)
    lin.weight = nn.Parameter(md.zeros(3, 2))
    assert list(lin.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(lin.weight.numpy(), np.zeros((3, 2)))


def test_assigning_wrong_kind_to_registered_names_is_type_error():
    lin = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"Linear: cannot assign Tensor as parameter 'weight'"):
        lin.weight = md.zeros(3, 2)
    seq = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match=r"Sequential: cannot assign int as child module '0'"):
        setattr(seq, "0", 5)
    lin.bias = None  # None is allowed: the layer then has no bias
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="register_parameter: cannot assign ndarray object to parameter 'w'"):
        lin.register_parameter("w", np.ones(2))
    with pytest.raises(TypeError, match="add_module: int is not a Module subclass"):
        lin.add_module("m", 3)


def test_super_init_required():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"Bad: call super\(\).__init__\(\)"):
        Bad()


def test_children_and_modules():
    net = Net()
    assert list(net.children()) == [net.block, net.layers, net.head]
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "block", "block.fc", "block.act", "layers", "layers.0", "layers.1",
                     "layers.2", "head", "head.0", "head.1"]
    assert len(list(net.modules())) == 11


def test_shared_module_and_parameter_counted_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3  # seq, lin, relu
    torch = pytest.importorskip("torch")
    tlin = torch.nn.Linear(2, 2)
    tseq = torch.nn.Sequential(tlin, torch.nn.ReLU(), tlin)
    assert list(seq.state_dict()) == list(tseq.state_dict())


def test_train_eval_propagate():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    net.train(False)
    assert all(not m.training for m in net.modules())


def test_zero_grad():
    net = Net()
    net(md.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    for p in net.parameters():
        np.testing.assert_array_equal(p.grad, np.zeros(p.shape))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_double_float():
    net = Net()
    net.register_buffer("steps", np.arange(3))  # an integer buffer keeps its dtype
    net(md.randn(5, 3)).sum().backward()
    assert net.double() is net
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in net.parameters())
    assert net.block.scale.dtype == np.float64 and net.steps.dtype == np.int64
    assert net(md.randn(5, 3).double()).dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.block.scale.dtype == np.float32 and net.steps.dtype == np.int64
    net.to(np.float64)
    assert all(t.dtype == np.float64 for t in net.state_dict().values() if t.dtype.kind == "f")


def test_parameter():
    p = nn.Parameter(md.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")
    q = nn.Parameter(np.zeros(3), requires_grad=False)
    assert not q.requires_grad and q.dtype == np.float64


# ---------------------------------------------------------------------- repr
def test_repr_equals_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    pairs = [
        (nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.2), nn.Tanh(),
                       nn.GELU(approximate="tanh"), nn.GELU(), nn.Flatten(), nn.Sigmoid(),
                       nn.Linear(3, 2, bias=False), nn.ReLU(inplace=True)),
         tnn.Sequential(tnn.Linear(4, 3), tnn.ReLU(), tnn.Dropout(0.2), tnn.Tanh(),
                        tnn.GELU(approximate="tanh"), tnn.GELU(), tnn.Flatten(), tnn.Sigmoid(),
                        tnn.Linear(3, 2, bias=False), tnn.ReLU(inplace=True))),
        (nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()]),
         tnn.ModuleList([tnn.Linear(2, 2), tnn.Linear(2, 2), tnn.Linear(2, 2), tnn.ReLU()])),
        (nn.Sequential(nn.Sequential(nn.Linear(1, 2)), nn.Flatten(0, 1)),
         tnn.Sequential(tnn.Sequential(tnn.Linear(1, 2)), tnn.Flatten(0, 1))),
        (nn.Softmax(dim=1), tnn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=-1), tnn.LogSoftmax(dim=-1)),
        (nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()),
        (nn.MSELoss(), tnn.MSELoss()),
        (nn.Identity(), tnn.Identity()),
        (nn.Sequential(), tnn.Sequential()),
        (nn.ModuleList(), tnn.ModuleList()),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert repr(Net()).replace("Net(", "TNet(", 1).replace("Block(", "TBlock(", 1) == \
        repr(_torch_net(torch))


# ---------------------------------------------------------------------- containers
def test_sequential_indexing_len_iteration():
    a, b, c = nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3
    assert seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [b, c]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # names kept, as in PyTorch
    x = md.randn(5, 3)
    np.testing.assert_array_equal(seq(x).numpy(), c(b(a(x))).numpy())
    seq.append(nn.Tanh())
    assert len(seq) == 4 and list(seq._modules) == ["0", "1", "2", "3"]
    named = nn.Sequential({"enc": nn.Linear(2, 3), "act": nn.ReLU()})
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"]
    with pytest.raises(IndexError):
        seq[10]


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    new = nn.Linear(2, 2)
    layers[1] = new
    assert layers[1] is new and list(layers)[1] is new
    layers.append(nn.ReLU()).extend([nn.Tanh()])
    assert len(layers) == 5 and isinstance(layers[-1], nn.Tanh)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    with pytest.raises(NotImplementedError, match="ModuleList"):
        layers(md.ones(2))


# ---------------------------------------------------------------------- state dicts
def test_state_dict_names_equal_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    assert list(Net().state_dict()) == list(_torch_net(torch).state_dict())
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    tseq = tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(), tnn.Linear(4, 2))
    assert list(seq.state_dict()) == list(tseq.state_dict())
    for (k, v), tv in zip(seq.state_dict().items(), tseq.state_dict().values()):
        assert v.shape == tuple(tv.shape), k
    assert "block.table" not in Net().state_dict()  # a non-persistent buffer is not saved


def test_state_dict_holds_copies():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    sd["weight"][...] = 7.0
    assert not np.any(lin.weight.numpy() == 7.0)


def test_load_state_dict_from_torch_matches_torch_forward():
    torch = pytest.importorskip("torch")
    tnet = _torch_net(torch).double()
    net = Net().double()
    result = net.load_state_dict(tnet.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == repr(tnet.load_state_dict(tnet.state_dict())) \
        == "<All keys matched successfully>"                  # printed as PyTorch prints it
    partial = dict(list(tnet.state_dict().items())[:1])    # the others missing
    assert repr(net.load_state_dict(partial, strict=False)) == \
        repr(tnet.load_state_dict(partial, strict=False))
    x = np.random.default_rng(0).standard_normal((6, 3))
    np.testing.assert_allclose(net(md.tensor(x)).numpy(), tnet(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-14)


def test_load_state_dict_keeps_model_dtype():
    lin = nn.Linear(2, 3)  # float32
    values = {"weight": np.arange(6.0).reshape(3, 2), "bias": np.ones(3)}
    lin.load_state_dict(values)
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.numpy(), values["weight"])
    # minidl Tensors are accepted too
    lin.load_state_dict({"weight": md.zeros(3, 2), "bias": md.zeros(3)})
    np.testing.assert_array_equal(lin.bias.numpy(), np.zeros(3))


def test_load_state_dict_from_md_load(tmp_path):
    net = Net()
    net.block.scale.numpy()[...] = 5.0
    md.save(net.state_dict(), tmp_path / "net.npz")
    md.manual_seed(123)
    other = Net()
    other.load_state_dict(md.load(tmp_path / "net.npz"))
    for (k, a), b in zip(net.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=k)
    x = md.randn(4, 3)
    np.testing.assert_array_equal(net(x).numpy(), other(x).numpy())


def test_load_state_dict_strict_lists_every_problem_in_one_error():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = net[0].weight.numpy().copy()
    sd = net.state_dict()
    del sd["2.bias"]
    sd["0.weight"] = np.zeros((4, 5))
    sd["extra.weight"] = np.zeros(1)
    with pytest.raises(ValueError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert "load_state_dict" in msg and "Sequential" in msg
    assert "missing keys: 2.bias" in msg
    assert "unexpected keys: extra.weight" in msg
    assert "0.weight: checkpoint shape (4, 5), model shape (4, 3)" in msg
    assert isinstance(info.value, RuntimeError)  # as PyTorch raises
    np.testing.assert_array_equal(net[0].weight.numpy(), before)  # nothing was loaded


def test_load_state_dict_non_strict_returns_keys():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    sd = {"0.weight": np.ones((4, 3)), "9.weight": np.ones(2)}
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert missing == ["0.bias", "2.weight", "2.bias"] and unexpected == ["9.weight"]
    np.testing.assert_array_equal(net[0].weight.numpy(), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"size mismatch: 0.weight"):  # shapes still count
        net.load_state_dict({"0.weight": np.ones((3, 3))}, strict=False)
    with pytest.raises(TypeError, match="load_state_dict: expected a mapping"):
        net.load_state_dict([np.ones(3)])
