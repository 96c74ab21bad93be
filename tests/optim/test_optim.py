"""Tests of minidl.optim: trajectories equal to PyTorch's, groups, checkpoints, bad input."""
import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
import minidl.optim as optim

RTOL, ATOL = 1e-10, 1e-12
STEPS = 25


# ---------------------------------------------------------------------- helpers
def _data(loss):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3))
    y = rng.integers(0, 2, 8) if loss == "ce" else rng.standard_normal((8, 2))
    return x, y


def _md_model():
    md.manual_seed(3)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()


def _md_loss(model, x, y, loss):
    out = model(md.tensor(x))
    return nn.CrossEntropyLoss()(out, md.tensor(y)) if loss == "ce" else nn.MSELoss()(out, md.tensor(y))


def _md_step(model, opt, x, y, loss):
    opt.zero_grad()
    _md_loss(model, x, y, loss).backward()
    opt.step()


def _torch_pair(torch, loss):
    """A minidl model and a PyTorch model with the same initial weights (from torch)."""
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                                 torch.nn.Linear(5, 2)).double()
    model = _md_model()
    model.load_state_dict(tmodel.state_dict())
    return model, tmodel


def _torch_step(torch, tmodel, topt, x, y, loss):
    topt.zero_grad()
    out = tmodel(torch.tensor(x))
    if loss == "ce":
        torch.nn.functional.cross_entropy(out, torch.tensor(y)).backward()
    else:
        torch.nn.functional.mse_loss(out, torch.tensor(y)).backward()
    topt.step()


def _assert_same_weights(model, tmodel, step):
    tsd = tmodel.state_dict()
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, tsd[name].numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} after step {step}")


# ---------------------------------------------------------------------- vs PyTorch
CASES = [
    ("SGD", dict(lr=0.1), "mse"),
    ("SGD", dict(lr=0.1, momentum=0.9), "mse"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3), "ce"),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), "mse"),
    ("SGD", dict(lr=0.1, weight_decay=0.05), "ce"),
    ("SGD", dict(lr=0.01, momentum=0.5, dampening=0.1, weight_decay=0.05, maximize=True), "mse"),
    ("Adam", dict(lr=0.01), "mse"),
    ("Adam", dict(lr=0.01, weight_decay=0.1), "ce"),
    ("Adam", dict(lr=0.05, betas=(0.9, 0.6), amsgrad=True), "mse"),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True), "ce"),
    ("AdamW", dict(lr=0.01), "mse"),
    ("AdamW", dict(lr=0.05, betas=(0.9, 0.6), weight_decay=0.1, amsgrad=True), "ce"),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, maximize=True, foreach=False), "mse"),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), "ce"),
    ("RMSprop", dict(lr=0.01), "mse"),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.05), "ce"),
    ("RMSprop", dict(lr=0.01, momentum=0.9), "mse"),
    ("RMSprop", dict(lr=0.005, alpha=0.8, centered=True), "ce"),
    ("RMSprop", dict(lr=0.005, alpha=0.3, eps=1e-4, momentum=0.5, centered=True,
                     weight_decay=0.01, maximize=True), "mse"),
    ("Adagrad", dict(lr=0.1), "mse"),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.02), "ce"),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.3, eps=1e-6, maximize=True), "mse"),
    ("Adadelta", dict(), "mse"),
    ("Adadelta", dict(lr=0.5, rho=0.7, eps=1e-4, weight_decay=0.05), "ce"),
    ("Adadelta", dict(rho=0.95, maximize=True), "mse"),
]


@pytest.mark.parametrize("name, kwargs, loss", CASES)
def test_trajectory_matches_torch(name, kwargs, loss):
    torch = pytest.importorskip("torch")
    x, y = _data(loss)
    model, tmodel = _torch_pair(torch, loss)
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    _assert_same_weights(model, tmodel, 0)
    for step in range(1, STEPS + 1):
        _md_step(model, opt, x, y, loss)
        _torch_step(torch, tmodel, topt, x, y, loss)
        _assert_same_weights(model, tmodel, step)
    # the optimiser's state equals PyTorch's, entry by entry
    tstate = topt.state_dict()["state"]
    state = opt.state_dict()["state"]
    assert sorted(state) == sorted(tstate)
    for i in state:
        assert set(state[i]) == set(tstate[i])
        for key, value in state[i].items():
            if key == "step":
                assert value == int(tstate[i][key]) == STEPS
            else:
                np.testing.assert_allclose(value, tstate[i][key].numpy(), rtol=1e-9, atol=1e-14)
    if kwargs.get("amsgrad"):  # the running maximum really took effect somewhere
        assert any(np.any(s["max_exp_avg_sq"] > s["exp_avg_sq"]) for s in state.values())


def test_param_groups_with_different_lr_match_torch():
    torch = pytest.importorskip("torch")
    x, y = _data("mse")
    model, tmodel = _torch_pair(torch, "mse")
    opt = optim.SGD([{"params": model[0].parameters()},
                     {"params": model[2].parameters(), "lr": 0.01, "momentum": 0.5}],
                    lr=0.2, momentum=0.9)
    topt = torch.optim.SGD([{"params": tmodel[0].parameters()},
                            {"params": tmodel[2].parameters(), "lr": 0.01, "momentum": 0.5}],
                           lr=0.2, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.5]
    for step in range(1, STEPS + 1):
        _md_step(model, opt, x, y, "mse")
        _torch_step(torch, tmodel, topt, x, y, "mse")
        _assert_same_weights(model, tmodel, step)


def test_add_param_group_matches_torch():
    torch = pytest.importorskip("torch")
    x, y = _data("mse")
    model, tmodel = _torch_pair(torch, "mse")
    opt = optim.Adam(model[0].parameters(), lr=0.01)
    topt = torch.optim.Adam(tmodel[0].parameters(), lr=0.01)
    for step in range(1, STEPS + 1):
        if step == 3:  # unfreeze the last layer with its own learning rate
            opt.add_param_group({"params": model[2].parameters(), "lr": 0.03})
            topt.add_param_group({"params": tmodel[2].parameters(), "lr": 0.03})
            assert opt.param_groups[1]["betas"] == (0.9, 0.999)  # defaults filled in
        _md_step(model, opt, x, y, "mse")
        _torch_step(torch, tmodel, topt, x, y, "mse")
        _assert_same_weights(model, tmodel, step)


def test_load_torch_optimizer_state_resumes_like_torch():
    torch = pytest.importorskip("torch")
    x, y = _data("ce")
    model, tmodel = _torch_pair(torch, "ce")
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.01, amsgrad=True)
    for _ in range(3):
        _torch_step(torch, tmodel, topt, x, y, "ce")
    model.load_state_dict(tmodel.state_dict())
    opt = optim.Adam(model.parameters(), lr=0.5)
    opt.load_state_dict(topt.state_dict())
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["amsgrad"] is True
    for step in range(4, STEPS + 1):
        _md_step(model, opt, x, y, "ce")
        _torch_step(torch, tmodel, topt, x, y, "ce")
        _assert_same_weights(model, tmodel, step)


# ---------------------------------------------------------------------- tiny hand cases
def test_sgd_momentum_by_hand():
    # f(w) = w², g = 2w. Step 1: b = g = 2, w = 1 − 0.1·2 = 0.8.
    # Step 2: g = 1.6, b = 0.9·2 + (1 − 0.5)·1.6 = 2.6, w = 0.8 − 0.26 = 0.54.
    w = nn.Parameter(md.tensor([1.0], dtype=np.float64))
    opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.numpy(), [0.54], rtol=1e-14)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [2.6], rtol=1e-14)


def test_adam_first_step_by_hand():
    # step 1: m = (1−β₁)g, v = (1−β₂)g², update = lr·g/(|g| + ε/√(1−β₂))·… ≈ lr·sign(g)
    g = np.array([3.0, -0.5])
    w = nn.Parameter(md.tensor([1.0, 1.0], dtype=np.float64))
    w.grad = md.tensor(g.copy())
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    optim.Adam([w], lr=lr, betas=(b1, b2), eps=eps).step()
    m, v = (1 - b1) * g, (1 - b2) * g * g
    expected = 1.0 - lr / (1 - b1) * m / (np.sqrt(v) / np.sqrt(1 - b2) + eps)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-14)


def test_adamw_decay_is_decoupled_and_adam_decay_is_not():
    # zero gradient: AdamW only shrinks θ by (1 − lr·λ); Adam's λθ becomes the gradient,
    # so its first step moves θ by ≈ lr
    w1 = nn.Parameter(md.tensor([2.0], dtype=np.float64))
    w2 = nn.Parameter(md.tensor([2.0], dtype=np.float64))
    w1.grad = md.zeros(1, dtype=np.float64)
    w2.grad = md.zeros(1, dtype=np.float64)
    optim.AdamW([w1], lr=0.1, weight_decay=0.5).step()
    optim.Adam([w2], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(w1.numpy(), [2.0 * (1 - 0.1 * 0.5)], rtol=1e-14)
    np.testing.assert_allclose(w2.numpy(), [2.0 - 0.1], rtol=1e-7)


# ---------------------------------------------------------------------- behaviour
ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"]
WITH_STATE = {"SGD": dict(lr=0.1, momentum=0.9), "RMSprop": dict(lr=0.1, momentum=0.9,
                                                                  centered=True)}


@pytest.mark.parametrize("name", ALL)
def test_step_skips_params_without_grad_and_updates_in_place(name):
    a = nn.Parameter(md.randn(3, 2))
    b = nn.Parameter(md.randn(4))
    a_before, b_before, a_array = a.numpy().copy(), b.numpy().copy(), a.numpy()
    opt = getattr(optim, name)([a, b], **WITH_STATE.get(name, dict(lr=0.1)))
    a.grad = md.ones(3, 2)
    opt.step()
    assert a.numpy() is a_array and a.numpy().dtype == np.float32       # in place, same dtype
    assert np.all(a.numpy() != a_before)
    np.testing.assert_array_equal(b.numpy(), b_before)                  # b had no grad
    assert a in opt.state
    if name == "Adagrad":            # PyTorch's Adagrad makes its state up front
        assert opt.state[b]["step"] == 0
    else:
        assert b not in opt.state
    if name != "SGD":
        opt.step()
        assert opt.state[a]["step"] == 2


def test_zero_grad():
    a = nn.Parameter(md.randn(3))
    opt = optim.SGD([a], lr=0.1)
    a.grad = md.ones(3)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(np.asarray(a.grad), np.zeros(3))
    assert np.asarray(a.grad).dtype == np.float32
    opt.zero_grad()
    assert a.grad is None


def test_step_closure_returns_loss():
    w = nn.Parameter(md.tensor([1.0, 2.0], dtype=np.float64))
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-14)


def test_float32_params_stay_float32():
    md.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x, y = _data("mse")
    for opt in (optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True),
                optim.AdamW(model.parameters(), lr=0.1, amsgrad=True),
                optim.RMSprop(model.parameters(), momentum=0.5, centered=True),
                optim.Adagrad(model.parameters(), lr_decay=0.1),
                optim.Adadelta(model.parameters(), weight_decay=0.1)):
        opt.zero_grad()
        nn.MSELoss()(model(md.tensor(x.astype(np.float32))),
                     md.tensor(y[:, :1].astype(np.float32))).backward()
        opt.step()
        assert all(p.dtype == np.float32 for p in model.parameters())
        assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values()
                   if isinstance(v, np.ndarray))


# ---------------------------------------------------------------------- checkpoints
def _train(model, opt, x, y, loss, steps):
    for _ in range(steps):
        _md_step(model, opt, x, y, loss)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.01)),
])
@pytest.mark.parametrize("through_file", [False, True])
def test_state_dict_round_trip_resumes_identically(name, kwargs, through_file, tmp_path):
    x, y = _data("mse")
    model = _md_model()
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    _train(model, opt, x, y, "mse", 3)
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}
    if through_file:
        path = tmp_path / "ckpt.npz"
        md.save(checkpoint, path)
        checkpoint = md.load(path)
        assert checkpoint["epoch"] == 3
    _train(model, opt, x, y, "mse", 4)                       # the uninterrupted run

    model2 = _md_model()                                     # a fresh process, in effect
    opt2 = getattr(optim, name)(model2.parameters(), lr=123.0)
    model2.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["optimizer"])
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    _train(model2, opt2, x, y, "mse", 4)
    for (k, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=k)


def test_state_dict_shape():
    x, y = _data("mse")
    model = _md_model()
    opt = optim.Adam([{"params": model[0].parameters()},
                      {"params": model[2].parameters(), "lr": 0.1}], lr=0.01, amsgrad=True)
    _train(model, opt, x, y, "mse", 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][3]["step"] == 2
    assert sd["state"][1]["exp_avg"].shape == (5,)
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert sd["param_groups"][1]["lr"] == 0.1 and sd["param_groups"][0]["lr"] == 0.01
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    # a copy: a further step does not change the saved state
    saved = sd["state"][0]["exp_avg"].copy()
    _train(model, opt, x, y, "mse", 1)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)
    # SGD without momentum keeps no state
    sgd = optim.SGD(model.parameters(), lr=0.1)
    _train(model, sgd, x, y, "mse", 1)
    assert sgd.state_dict()["state"] == {}
    assert set(sgd.state_dict()["param_groups"][0]) == {
        "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "foreach",
        "differentiable", "fused", "params"}


def test_load_state_dict_mismatch():
    model = _md_model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    other = optim.SGD(model[0].parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD\.load_state_dict: parameter group 0 has 2"):
        opt.load_state_dict(other.state_dict())
    two = optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters()}],
                    lr=0.1)
    with pytest.raises(ValueError, match=r"2 parameter groups, the optimiser 1"):
        opt.load_state_dict(two.state_dict())
    bad = opt.state_dict()
    bad["state"] = {0: {"momentum_buffer": np.zeros((2, 2))}}
    with pytest.raises(ValueError, match=r"momentum_buffer of parameter 0 has shape \(2, 2\)"):
        opt.load_state_dict(bad)
    with pytest.raises(TypeError, match="SGD.load_state_dict"):
        opt.load_state_dict([1, 2])


# ---------------------------------------------------------------------- bad input
def _p():
    return [nn.Parameter(md.randn(2))]


@pytest.mark.parametrize("make, match", [
    (lambda: optim.SGD(_p(), lr=-0.1), r"SGD: lr must be >= 0"),
    (lambda: optim.SGD(_p(), momentum=-0.5), r"SGD: momentum must be >= 0"),
    (lambda: optim.SGD(_p(), weight_decay=-1), r"SGD: weight_decay must be >= 0"),
    (lambda: optim.SGD(_p(), nesterov=True), r"SGD: nesterov=True needs momentum > 0"),
    (lambda: optim.SGD(_p(), momentum=0.9, dampening=0.1, nesterov=True),
     r"SGD: nesterov=True needs .* dampening = 0.*dampening=0.1"),
    (lambda: optim.Adam(_p(), lr=-1e-3), r"Adam: lr must be >= 0"),
    (lambda: optim.Adam(_p(), betas=(1.0, 0.999)), r"Adam: betas\[0\] must be in \[0, 1\), got 1.0"),
    (lambda: optim.Adam(_p(), betas=(0.9, -0.1)), r"Adam: betas\[1\] must be in \[0, 1\)"),
    (lambda: optim.AdamW(_p(), betas=(0.9, 1.5)), r"AdamW: betas\[1\] must be in \[0, 1\)"),
    (lambda: optim.Adam(_p(), eps=-1e-8), r"Adam: eps must be >= 0"),
    (lambda: optim.AdamW(_p(), weight_decay=-0.1), r"AdamW: weight_decay must be >= 0"),
    (lambda: optim.SGD([], lr=0.1), r"SGD: got an empty parameter list"),
    (lambda: optim.Adam([{"params": []}]), r"Adam: got an empty parameter list"),
    (lambda: optim.SGD([{"lr": 0.1}]), r"SGD: a parameter group needs a 'params' entry"),
    (lambda: optim.SGD([{"params": _p(), "lr": -2.0}]), r"SGD: lr must be >= 0, got -2.0"),
])
def test_bad_hyper_parameters_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make, match", [
    (lambda: optim.SGD([np.zeros(3)], lr=0.1), r"SGD: params must be Tensors .* ndarray at position 0"),
    (lambda: optim.Adam([nn.Parameter(md.randn(2)), "w"]), r"Adam: params must be Tensors .* str at position 1"),
    (lambda: optim.SGD(nn.Parameter(md.randn(2)), lr=0.1), r"SGD: params must be an iterable .* single Tensor"),
    (lambda: optim.SGD(5, lr=0.1), r"SGD: params must be an iterable .* int"),
    (lambda: optim.SGD(_p(), lr="0.1"), r"SGD: lr must be a number"),
    (lambda: optim.Adam(_p(), betas=0.9), r"Adam: betas must be a pair"),
    (lambda: optim.SGD([nn.Parameter(md.randn(2)), {"params": _p()}], lr=0.1),
     r"SGD: params must hold Tensors or dicts .* not a mix"),
])
def test_bad_params_type_error(make, match):
    with pytest.raises(TypeError, match=match):
        make()


def test_bad_params_value_errors():
    p = nn.Parameter(md.randn(2))
    with pytest.raises(ValueError, match="SGD: a parameter appears twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="Adam: some parameters appear in more than one"):
        optim.Adam([{"params": [p]}, {"params": [p]}])
    with pytest.raises(ValueError, match=r"SGD: params\[0\] is not a leaf"):
        optim.SGD([p * 2], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="SGD: some parameters appear in more than one"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(ValueError, match=r"grad: assigned grad has shape \(3,\) but the tensor has "
                                         r"shape \(2,\)"):
        p.grad = md.ones(3)                      # as PyTorch: refused at the assignment


# ---------------------------------------------------------------------- every optimiser vs PyTorch
GROUP_CASES = [
    ("SGD", dict(lr=0.2, momentum=0.9), dict(lr=0.01, momentum=0.5, nesterov=True)),
    ("Adam", dict(lr=0.01), dict(lr=0.03, betas=(0.8, 0.9), weight_decay=0.1)),
    ("AdamW", dict(lr=0.01), dict(weight_decay=0.0, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, centered=True), dict(lr=0.003, momentum=0.8)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01), dict(initial_accumulator_value=0.5)),
    ("Adadelta", dict(rho=0.8), dict(lr=0.3, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, defaults, second", GROUP_CASES)
def test_param_groups_every_optimizer_match_torch(name, defaults, second):
    torch = pytest.importorskip("torch")
    x, y = _data("ce")
    model, tmodel = _torch_pair(torch, "ce")
    opt = getattr(optim, name)([{"params": model[0].parameters()},
                                {"params": model[2].parameters(), **second}], **defaults)
    topt = getattr(torch.optim, name)([{"params": tmodel[0].parameters()},
                                       {"params": tmodel[2].parameters(), **second}],
                                      **defaults)
    # the same hyper-parameters in every group, key for key (PyTorch's layout)
    for g, tg in zip(opt.state_dict()["param_groups"], topt.state_dict()["param_groups"]):
        assert g == tg
    for step in range(1, STEPS + 1):
        _md_step(model, opt, x, y, "ce")
        _torch_step(torch, tmodel, topt, x, y, "ce")
        _assert_same_weights(model, tmodel, step)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2)),
    ("Adam", dict(lr=0.01, weight_decay=0.05)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adadelta", dict(lr=0.7, rho=0.8)),
])
def test_resume_from_torch_state_dict_mid_run(name, kwargs):
    """Train 10 steps in PyTorch, load its model and optimiser state into minidl, and go
    on side by side: the next steps match (the state, the step count, lr_decay's clock)."""
    torch = pytest.importorskip("torch")
    x, y = _data("mse")
    model, tmodel = _torch_pair(torch, "mse")
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    for _ in range(10):
        _torch_step(torch, tmodel, topt, x, y, "mse")
    model.load_state_dict(tmodel.state_dict())
    opt = getattr(optim, name)(model.parameters(), lr=123.0)
    opt.load_state_dict(topt.state_dict())
    assert opt.param_groups[0]["lr"] == kwargs["lr"]
    for step in range(11, 11 + STEPS):
        _md_step(model, opt, x, y, "mse")
        _torch_step(torch, tmodel, topt, x, y, "mse")
        _assert_same_weights(model, tmodel, step)
    # and back: PyTorch resumes from minidl's state dict
    sd = opt.state_dict()
    topt2 = getattr(torch.optim, name)(tmodel.parameters(), lr=123.0)
    topt2.load_state_dict({"state": {i: {k: torch.tensor(v) if k != "step" else
                                         torch.tensor(float(v)) for k, v in s.items()}
                                     for i, s in sd["state"].items()},
                           "param_groups": sd["param_groups"]})
    _md_step(model, opt, x, y, "mse")
    _torch_step(torch, tmodel, topt2, x, y, "mse")
    _assert_same_weights(model, tmodel, "after PyTorch loaded minidl's state")


@pytest.mark.parametrize("name", ALL)
def test_repr_and_group_keys_match_torch(name):
    torch = pytest.importorskip("torch")
    p, tp = nn.Parameter(md.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt, topt = getattr(optim, name)([p]), getattr(torch.optim, name)([tp])
    assert opt.defaults == topt.defaults
    assert repr(opt) == repr(topt)
    assert opt.state_dict() == {"state": {}, "param_groups": topt.state_dict()["param_groups"]} \
        or name == "Adagrad"


def test_named_parameters_give_param_names_as_torch():
    torch = pytest.importorskip("torch")
    model, tmodel = _torch_pair(torch, "mse")
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    topt = torch.optim.SGD(tmodel.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"]
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_adagrad_state_made_up_front_as_torch():
    torch = pytest.importorskip("torch")
    p, tp = nn.Parameter(md.zeros(2, dtype=np.float64)), torch.nn.Parameter(torch.zeros(2).double())
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    topt = torch.optim.Adagrad([tp], initial_accumulator_value=0.25)
    sd, tsd = opt.state_dict()["state"], topt.state_dict()["state"]
    assert sd[0]["step"] == tsd[0]["step"].item() == 0
    np.testing.assert_array_equal(sd[0]["sum"], tsd[0]["sum"].numpy())
    q, tq = nn.Parameter(md.ones(3)), torch.nn.Parameter(torch.ones(3))
    opt.add_param_group({"params": [q]})        # a later group: state at its first step
    topt.add_param_group({"params": [tq]})
    q.grad, tq.grad = md.ones(3), torch.ones(3)
    opt.step()
    topt.step()
    np.testing.assert_allclose(q.numpy(), tq.detach().numpy(), rtol=1e-6)
    assert opt.state[q]["step"] == 1


# ---------------------------------------------------------------------- formulas by hand
def _one_param(value, grad):
    w = nn.Parameter(md.tensor(np.array(value, dtype=np.float64)))
    w.grad = md.tensor(np.array(grad, dtype=np.float64))
    return w


def test_rmsprop_centered_momentum_by_hand():
    # g = 2, α = 0.5: v = 0.5·4 = 2, ḡ = 0.5·2 = 1, s = √(2 − 1) + ε = 1 + ε,
    # b = 0.9·0 + g/s, θ = 1 − 0.1·b.  Step 2 with g = 2 again: v = 0.5·2 + 0.5·4 = 3,
    # ḡ = 1.5, s = √(3 − 2.25), b = 0.9 b₁ + 2/s.
    lr, alpha, eps, mu = 0.1, 0.5, 1e-3, 0.9
    w = _one_param([1.0], [2.0])
    opt = optim.RMSprop([w], lr=lr, alpha=alpha, eps=eps, momentum=mu, centered=True)
    opt.step()
    b1 = 2.0 / (1.0 + eps)
    np.testing.assert_allclose(w.numpy(), [1 - lr * b1], rtol=1e-15)
    w.grad = md.tensor(np.array([2.0]))
    opt.step()
    b2 = mu * b1 + 2.0 / (np.sqrt(3.0 - 2.25) + eps)
    np.testing.assert_allclose(w.numpy(), [1 - lr * b1 - lr * b2], rtol=1e-15)
    np.testing.assert_allclose(opt.state[w]["square_avg"], [3.0], rtol=1e-15)
    np.testing.assert_allclose(opt.state[w]["grad_avg"], [1.5], rtol=1e-15)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [b2], rtol=1e-15)


def test_rmsprop_plain_with_weight_decay_by_hand():
    # g = 1 + 0.5·2 = 2 (λθ added), v = 0.01·4, θ = 2 − 0.01·2/(√0.04 + ε)
    w = _one_param([2.0], [1.0])
    optim.RMSprop([w], lr=0.01, weight_decay=0.5, eps=1e-8).step()
    np.testing.assert_allclose(w.numpy(), [2.0 - 0.01 * 2.0 / (0.2 + 1e-8)], rtol=1e-15)


def test_adagrad_lr_decay_by_hand():
    # γ_t = γ / (1 + (t − 1)η); s accumulates g² from s₀
    lr, eta, s0, eps = 0.5, 0.25, 1.0, 1e-10
    w = _one_param([0.0, 0.0], [1.0, -3.0])
    opt = optim.Adagrad([w], lr=lr, lr_decay=eta, initial_accumulator_value=s0, eps=eps)
    theta, s = np.zeros(2), np.full(2, s0)
    for t in range(1, 4):
        g = np.array([1.0, -3.0]) * t
        w.grad = md.tensor(g)
        opt.step()
        s = s + g * g
        theta = theta - lr / (1 + (t - 1) * eta) * g / (np.sqrt(s) + eps)
        np.testing.assert_allclose(w.numpy(), theta, rtol=1e-14)
    np.testing.assert_allclose(opt.state[w]["sum"], s, rtol=1e-15)


def test_adadelta_by_hand():
    # Zeiler's rule, two steps with ρ = 0.5, ε = 0.01, γ = 1
    rho, eps = 0.5, 0.01
    w = _one_param([1.0], [2.0])
    opt = optim.Adadelta([w], rho=rho, eps=eps)
    v = u = 0.0
    theta = 1.0
    for g in (2.0, -1.0):
        w.grad = md.tensor(np.array([g]))
        opt.step()
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        theta -= delta
        np.testing.assert_allclose(w.numpy(), [theta], rtol=1e-14)
    np.testing.assert_allclose(opt.state[w]["acc_delta"], [u], rtol=1e-14)
    assert opt.state[w]["step"] == 2


def test_adam_decoupled_weight_decay_is_adamw():
    a, b = _one_param([1.0, -1.0], [0.3, 0.2]), _one_param([1.0, -1.0], [0.3, 0.2])
    optim.Adam([a], lr=0.1, weight_decay=0.2, decoupled_weight_decay=True).step()
    optim.AdamW([b], lr=0.1, weight_decay=0.2).step()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    c = _one_param([1.0, -1.0], [0.3, 0.2])
    optim.Adam([c], lr=0.1, weight_decay=0.2).step()
    assert not np.allclose(a.numpy(), c.numpy())


def test_load_state_dict_takes_the_saved_groups_whole():
    """As in PyTorch, the saved groups replace the current ones: a scheduler's
    ``initial_lr`` comes back too, and tuples saved as lists become tuples again."""
    w = nn.Parameter(md.zeros(2))
    opt = optim.Adam([w], lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][0]["initial_lr"] = 0.5
    sd["param_groups"][0]["betas"] = [0.8, 0.9]
    opt2 = optim.Adam([nn.Parameter(md.zeros(2))], lr=0.3)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["initial_lr"] == 0.5
    assert opt2.param_groups[0]["betas"] == (0.8, 0.9)
    assert opt2.param_groups[0]["lr"] == 0.1


def test_pytorch_style_subclass_runs():
    """A user optimiser written the PyTorch way: defaults, its own step and self.state."""

    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    state["n"] = state.get("n", 0) + 1
                    p.numpy()[...] -= group["lr"] * np.sign(np.asarray(p.grad))

    w = _one_param([1.0, -1.0], [3.0, -0.5])
    opt = SignSGD([w], lr=0.25)
    opt.step()
    np.testing.assert_array_equal(w.numpy(), [0.75, -0.75])
    assert opt.state_dict()["state"] == {0: {"n": 1}}


# ---------------------------------------------------------------------- more bad input
@pytest.mark.parametrize("make, match", [
    (lambda: optim.RMSprop(_p(), lr=-0.1), r"RMSprop: lr must be >= 0"),
    (lambda: optim.RMSprop(_p(), alpha=-0.5), r"RMSprop: alpha must be >= 0, got -0.5"),
    (lambda: optim.RMSprop(_p(), momentum=-1), r"RMSprop: momentum must be >= 0"),
    (lambda: optim.RMSprop(_p(), eps=-1e-8), r"RMSprop: eps must be >= 0"),
    (lambda: optim.Adagrad(_p(), lr_decay=-0.1), r"Adagrad: lr_decay must be >= 0"),
    (lambda: optim.Adagrad(_p(), initial_accumulator_value=-1),
     r"Adagrad: initial_accumulator_value must be >= 0"),
    (lambda: optim.Adagrad(_p(), weight_decay=-1), r"Adagrad: weight_decay must be >= 0"),
    (lambda: optim.Adadelta(_p(), rho=1.5), r"Adadelta: rho must be <= 1, got 1.5"),
    (lambda: optim.Adadelta(_p(), rho=-0.1), r"Adadelta: rho must be >= 0"),
    (lambda: optim.Adadelta(_p(), lr=-1.0), r"Adadelta: lr must be >= 0"),
])
def test_bad_hyper_parameters_new_optimizers(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("name", ALL)
def test_implementation_switches(name):
    cls = getattr(optim, name)
    params = set(__import__("inspect").signature(cls).parameters)
    cls(_p(), foreach=True)                         # the same formula: accepted
    cls(_p(), foreach=False)
    if "fused" in params:
        cls(_p(), fused=True)
        with pytest.raises(RuntimeError, match=f"{name}: fused and foreach"):
            cls(_p(), fused=True, foreach=True)
    with pytest.raises(NotImplementedError, match=f"{name}: differentiable=True"):
        cls(_p(), differentiable=True)
    if "capturable" in params:
        with pytest.raises(NotImplementedError, match=f"{name}: capturable=True"):
            cls(_p(), capturable=True)
    with pytest.raises(TypeError, match=f"{name}: maximize must be a bool"):
        cls(_p(), maximize="yes")


def test_signatures_match_torch():
    torch = pytest.importorskip("torch")
    import inspect
    for name in ALL:
        ours = inspect.signature(getattr(optim, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        assert list(ours) == list(theirs), name
        for key in ours:
            assert ours[key].default == theirs[key].default, (name, key)
            assert ours[key].kind == theirs[key].kind, (name, key)
