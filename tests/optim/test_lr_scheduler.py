"""Tests of minidl.optim.lr_scheduler: PyTorch's learning rate at every step, state dicts,
resuming, closed forms, bad input."""
import math
import warnings

import numpy as np
import pytest

import minidl as md
import minidl.nn as nn
import minidl.optim as optim
from minidl.optim import lr_scheduler as S

STEPS = 30
LRS = [0.1, 0.02, 0.5]          # three parameter groups, three starting rates


# ---------------------------------------------------------------------- helpers
def _md_opt(kind="SGD"):
    groups = [{"params": [nn.Parameter(md.zeros(2))], "lr": lr} for lr in LRS]
    if kind == "Adam":
        return optim.Adam(groups, lr=0.1)
    return optim.SGD(groups, lr=0.1, momentum=0.9)


def _torch_opt(torch, kind="SGD"):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in LRS]
    if kind == "Adam":
        return torch.optim.Adam(groups, lr=0.1)
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def _lambda_a(epoch):
    return 0.9 ** epoch


def _lambda_b(epoch):
    return 1.0 / (1 + epoch)


# name, kwargs (callables: made per library), optimiser kind
CASES = [
    ("StepLR", dict(step_size=4), "SGD"),
    ("StepLR", dict(step_size=3, gamma=0.5), "SGD"),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 11, 20], gamma=0.3), "SGD"),
    ("ExponentialLR", dict(gamma=0.9), "SGD"),
    ("CosineAnnealingLR", dict(T_max=7), "SGD"),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.003), "Adam"),
    ("LambdaLR", dict(lr_lambda=_lambda_a), "SGD"),
    ("LambdaLR", dict(lr_lambda=[_lambda_a, _lambda_b, _lambda_a]), "Adam"),
    ("LinearLR", dict(), "SGD"),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.6, total_iters=12), "Adam"),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=8), "SGD"),
    ("OneCycleLR", dict(max_lr=[1.0, 0.2, 0.7], total_steps=STEPS), "SGD"),
    ("OneCycleLR", dict(max_lr=0.5, epochs=3, steps_per_epoch=10, pct_start=0.25,
                        anneal_strategy="linear", div_factor=10.0), "Adam"),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=STEPS + 1, three_phase=True,
                        base_momentum=0.8, max_momentum=0.9), "SGD"),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=STEPS, cycle_momentum=False,
                        final_div_factor=100.0), "SGD"),
]


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _assert_same(sched, tsched, opt, topt, where):
    np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-14,
                               atol=1e-17, err_msg=where)
    np.testing.assert_allclose([g["lr"] for g in opt.param_groups],
                               [g["lr"] for g in topt.param_groups], rtol=1e-14, atol=1e-17,
                               err_msg=where)
    np.testing.assert_allclose(_momenta(opt), _momenta(topt), rtol=1e-14, err_msg=where)
    assert sched.last_epoch == tsched.last_epoch, where


def _steps(sched, opt, n):
    for _ in range(n):
        opt.step()
        sched.step()


# ---------------------------------------------------------------------- vs PyTorch
@pytest.mark.parametrize("name, kwargs, kind", CASES)
def test_lr_at_every_step_matches_torch(name, kwargs, kind):
    torch = pytest.importorskip("torch")
    opt, topt = _md_opt(kind), _torch_opt(torch, kind)
    sched = getattr(S, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    # the groups get PyTorch's extra keys (initial_lr; OneCycleLR's max_lr, min_lr, …)
    for g, tg in zip(opt.param_groups, topt.param_groups):
        assert set(g) == set(tg)
        for key in set(tg) - {"params"}:
            if isinstance(tg[key], (int, float)) and not isinstance(tg[key], bool):
                assert g[key] == pytest.approx(tg[key], rel=1e-15), key
            else:                                # None, flags, names: equal as they are
                assert g[key] == tg[key], key
    _assert_same(sched, tsched, opt, topt, "after construction")
    seen = {round(sched.get_last_lr()[0], 12)}
    for step in range(1, STEPS + 1):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        _assert_same(sched, tsched, opt, topt, f"step {step}")
        seen.add(round(sched.get_last_lr()[0], 12))
    assert len(seen) > 2           # the lr really changed (doing nothing would pass above)
    # the state dict has PyTorch's keys
    assert set(sched.state_dict()) == set(tsched.state_dict()) - {"_get_lr_called_within_step"}


@pytest.mark.parametrize("name, kwargs, kind", [c for c in CASES if c[0] != "OneCycleLR"])
@pytest.mark.parametrize("through_file", [False, True])
def test_resume_mid_run_matches_uninterrupted_torch(name, kwargs, kind, through_file,
                                                    tmp_path):
    """Checkpoint optimiser and scheduler after 12 steps; a fresh optimiser and scheduler
    that load them (PyTorch's recipe: make the scheduler, then load both) continue with
    PyTorch's uninterrupted run."""
    torch = pytest.importorskip("torch")
    opt, topt = _md_opt(kind), _torch_opt(torch, kind)
    sched = getattr(S, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    _steps(sched, opt, 12)
    _steps(tsched, topt, 12)
    checkpoint = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}
    if through_file:
        if name == "LambdaLR":
            checkpoint["scheduler"]["lr_lambdas"] = [None] * 3   # plain functions: None
        md.save(checkpoint, tmp_path / "ckpt.npz")
        checkpoint = md.load(tmp_path / "ckpt.npz")
    opt2 = _md_opt(kind)
    sched2 = getattr(S, name)(opt2, **kwargs)
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2.load_state_dict(checkpoint["scheduler"])
    _assert_same(sched2, tsched, opt2, topt, "after loading")
    for step in range(13, STEPS + 1):
        _steps(sched2, opt2, 1)
        _steps(tsched, topt, 1)
        _assert_same(sched2, tsched, opt2, topt, f"step {step}")


def test_onecycle_resume_mid_run_matches_torch():
    torch = pytest.importorskip("torch")
    kwargs = dict(max_lr=[1.0, 0.2, 0.7], total_steps=STEPS, three_phase=True)
    opt, topt = _md_opt(), _torch_opt(torch)
    sched, tsched = S.OneCycleLR(opt, **kwargs), torch.optim.lr_scheduler.OneCycleLR(topt, **kwargs)
    _steps(sched, opt, 9)
    _steps(tsched, topt, 9)
    osd, ssd = opt.state_dict(), sched.state_dict()
    opt2 = _md_opt()
    sched2 = S.OneCycleLR(opt2, **kwargs)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    for step in range(10, STEPS):
        _steps(sched2, opt2, 1)
        _steps(tsched, topt, 1)
        _assert_same(sched2, tsched, opt2, topt, f"step {step}")


@pytest.mark.parametrize("name, kwargs, kind", [c for c in CASES if c[0] != "OneCycleLR"])
def test_resume_with_last_epoch_matches_torch(name, kwargs, kind):
    """The other way to resume: load the optimiser (it carries initial_lr), then make the
    scheduler with last_epoch = the epochs done."""
    torch = pytest.importorskip("torch")
    opt, topt = _md_opt(kind), _torch_opt(torch, kind)
    sched = getattr(S, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    _steps(sched, opt, 6)
    _steps(tsched, topt, 6)
    opt2, topt2 = _md_opt(kind), _torch_opt(torch, kind)
    opt2.load_state_dict(opt.state_dict())
    topt2.load_state_dict(topt.state_dict())
    sched2 = getattr(S, name)(opt2, last_epoch=6, **kwargs)
    tsched2 = getattr(torch.optim.lr_scheduler, name)(topt2, last_epoch=6, **kwargs)
    _assert_same(sched2, tsched2, opt2, topt2, "after construction")
    for step in range(8, 20):
        _steps(sched2, opt2, 1)
        _steps(tsched2, topt2, 1)
        _assert_same(sched2, tsched2, opt2, topt2, f"step {step}")


def test_load_torch_scheduler_state_dict():
    torch = pytest.importorskip("torch")
    opt, topt = _md_opt(), _torch_opt(torch)
    tsched = torch.optim.lr_scheduler.MultiStepLR(topt, milestones=[3, 6], gamma=0.5)
    _steps(tsched, topt, 4)
    sched = S.MultiStepLR(opt, milestones=[1], gamma=0.9)
    opt.load_state_dict(topt.state_dict())
    sched.load_state_dict(tsched.state_dict())
    for step in range(5, 12):
        _steps(sched, opt, 1)
        _steps(tsched, topt, 1)
        _assert_same(sched, tsched, opt, topt, f"step {step}")


def test_two_schedulers_chain_as_in_torch():
    """Chainable schedulers compose: warm-up LinearLR and ExponentialLR on one optimiser."""
    torch = pytest.importorskip("torch")
    opt, topt = _md_opt(), _torch_opt(torch)
    a, b = S.LinearLR(opt, start_factor=0.2, total_iters=5), S.ExponentialLR(opt, gamma=0.9)
    ta = torch.optim.lr_scheduler.LinearLR(topt, start_factor=0.2, total_iters=5)
    tb = torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.9)
    for step in range(STEPS):
        for scheduled in (opt, a, b, topt, ta, tb):
            scheduled.step()
        _assert_same(b, tb, opt, topt, f"step {step}")


def test_lr_changed_by_hand_carries_on_as_in_torch():
    torch = pytest.importorskip("torch")
    opt, topt = _md_opt(), _torch_opt(torch)
    sched = S.CosineAnnealingLR(opt, T_max=6)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=6)
    for step in range(STEPS):
        if step == 4:
            opt.param_groups[1]["lr"] = topt.param_groups[1]["lr"] = 0.3
        _steps(sched, opt, 1)
        _steps(tsched, topt, 1)
        _assert_same(sched, tsched, opt, topt, f"step {step}")


@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 4, 4], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.8)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ("LinearLR", dict(start_factor=0.5, total_iters=4)),
])
def test_step_with_epoch_uses_closed_form_as_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    opt, topt = _md_opt(), _torch_opt(torch)
    sched = getattr(S, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 1, 12]:
            sched.step(epoch)
            tsched.step(epoch)
            _assert_same(sched, tsched, opt, topt, f"epoch {epoch}")
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(2)


PLATEAU = [
    (dict(), [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
    (dict(mode="max", patience=2, factor=0.5, cooldown=2),
     [1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
    (dict(patience=1, threshold=0.1, threshold_mode="abs", min_lr=[0.05, 0.001, 0.2]),
     [10, 9.95, 9.9, 9.7, 9.65, 9.6, 9.6, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5]),
    (dict(mode="max", patience=0, threshold=0.05, factor=0.3, eps=1e-3),
     [1, 1.01, 1.2, 1.21, 1.3, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37]),
]


@pytest.mark.parametrize("kwargs, metrics", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(kwargs, metrics):
    torch = pytest.importorskip("torch")
    opt, topt = _md_opt(), _torch_opt(torch)
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    for j, m in enumerate(metrics):
        sched.step(md.tensor(float(m)) if j % 2 else m)     # a number or a 1-element Tensor
        tsched.step(m)
        _assert_same(sched, tsched, opt, topt, f"epoch {j}")
        assert sched.num_bad_epochs == tsched.num_bad_epochs
        assert sched.cooldown_counter == tsched.cooldown_counter
    assert sched.get_last_lr() != LRS                  # it did reduce
    # resume through a file
    state = sched.state_dict()
    assert set(state) == set(tsched.state_dict()) - {"_get_lr_called_within_step"}


def test_reduce_lr_on_plateau_state_dict_through_file(tmp_path):
    opt = _md_opt()
    sched = S.ReduceLROnPlateau(opt, patience=1)
    for m in [3.0, 3.0, 3.0, 2.0]:
        sched.step(m)
    md.save(sched.state_dict(), tmp_path / "s.npz")
    sched2 = S.ReduceLROnPlateau(_md_opt(), patience=7)
    sched2.load_state_dict(md.load(tmp_path / "s.npz"))
    assert sched2.patience == 1 and sched2.best == 2.0 and sched2.last_epoch == 4
    assert sched2.mode_worse == math.inf


# ---------------------------------------------------------------------- formulas, no torch
def test_step_lr_formula():
    opt = _md_opt()
    sched = S.StepLR(opt, step_size=3, gamma=0.5)
    for t in range(1, 20):
        _steps(sched, opt, 1)
        expected = [lr * 0.5 ** (t // 3) for lr in LRS]
        np.testing.assert_allclose(sched.get_last_lr(), expected, rtol=1e-15)


def test_cosine_formula_through_two_periods():
    opt = _md_opt()
    T, eta_min = 5, 0.01
    sched = S.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min)
    for t in range(1, 4 * T):
        _steps(sched, opt, 1)
        expected = [eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T)) / 2
                    for lr in LRS]
        np.testing.assert_allclose(sched.get_last_lr(), expected, rtol=1e-12, atol=1e-15)


def test_linear_and_onecycle_formulas():
    opt = _md_opt()
    sched = S.LinearLR(opt, start_factor=0.25, end_factor=0.75, total_iters=4)
    for t in range(1, 8):
        _steps(sched, opt, 1)
        factor = 0.25 + 0.5 * min(t, 4) / 4
        np.testing.assert_allclose(sched.get_last_lr(), [lr * factor for lr in LRS], rtol=1e-14)
    opt = _md_opt()
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=20, anneal_strategy="linear")
    lrs = [sched.get_last_lr()[0]]
    for _ in range(19):
        _steps(sched, opt, 1)
        lrs.append(sched.get_last_lr()[0])
    assert lrs[0] == pytest.approx(1.0 / 25)
    assert max(lrs) == pytest.approx(1.0) and lrs.index(max(lrs)) == 5     # at 0.3·20 − 1
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    _steps(sched, opt, 1)          # step 20 = total_steps: still allowed, as in PyTorch
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 21 times; total_steps is 20"):
        _steps(sched, opt, 1)


def test_lambda_lr_keeps_callable_objects_state():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    opt = _md_opt()
    sched = S.LambdaLR(opt, [Warmup(4), _lambda_a, Warmup(2)])
    _steps(sched, opt, 2)
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"n": 4}, None, {"n": 2}]
    sched2 = S.LambdaLR(_md_opt(), [Warmup(99), _lambda_a, Warmup(99)])
    sched2.load_state_dict(sd)
    assert [f.n for f in (sched2.lr_lambdas[0], sched2.lr_lambdas[2])] == [4, 2]
    assert sched2.last_epoch == 2


def test_initial_lr_set_once():
    opt = _md_opt()
    opt.param_groups[0]["initial_lr"] = 7.0          # already there: kept (setdefault)
    sched = S.ExponentialLR(opt, gamma=0.5)
    assert sched.base_lrs == [7.0, LRS[1], LRS[2]]
    assert [g["initial_lr"] for g in opt.param_groups] == [7.0, LRS[1], LRS[2]]


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, error, match", [
    (lambda o: S.StepLR("opt", step_size=2), TypeError, r"StepLR: optimizer must be a minidl"),
    (lambda o: S.StepLR(o, step_size=0), ValueError, r"StepLR: step_size must be >= 1, got 0"),
    (lambda o: S.StepLR(o, step_size=2.5), TypeError, r"StepLR: step_size must be an int"),
    (lambda o: S.MultiStepLR(o, milestones=[1, "2"]), TypeError, r"MultiStepLR: milestones"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), ValueError, r"CosineAnnealingLR: T_max must be >= 1"),
    (lambda o: S.LinearLR(o, start_factor=0), ValueError, r"LinearLR: start_factor must be > 0"),
    (lambda o: S.LinearLR(o, end_factor=1.5), ValueError, r"LinearLR: end_factor must be <= 1"),
    (lambda o: S.LambdaLR(o, [_lambda_a]), ValueError, r"LambdaLR: expected 3 lr_lambdas"),
    (lambda o: S.LambdaLR(o, 0.5), TypeError, r"LambdaLR: lr_lambda must be callable"),
    (lambda o: S.StepLR(o, step_size=2, last_epoch=3), KeyError, r"initial_lr"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0), ValueError, r"OneCycleLR: give total_steps"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=0), ValueError,
     r"OneCycleLR: total_steps must be >= 1"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1), ValueError,
     r"OneCycleLR: pct_start must be a float"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
     ValueError, r"OneCycleLR: anneal_strategy must be 'cos' or 'linear'"),
    (lambda o: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=10), ValueError,
     r"OneCycleLR: max_lr has 2 values, the optimizer 3 parameter groups"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError,
     r"ReduceLROnPlateau: factor must be < 1.0"),
    (lambda o: S.ReduceLROnPlateau(o, mode="low"), ValueError,
     r"ReduceLROnPlateau: mode must be 'min' or 'max'"),
    (lambda o: S.ReduceLROnPlateau(o, threshold_mode="x"), ValueError,
     r"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs'"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError,
     r"ReduceLROnPlateau: min_lr has 1 values"),
])
def test_bad_input(make, error, match):
    with pytest.raises(error, match=match):
        make(_md_opt())


def test_onecycle_needs_momentum():
    opt = optim.Adagrad([nn.Parameter(md.zeros(2))])
    with pytest.raises(ValueError, match="OneCycleLR: cycle_momentum=True needs an optimizer"):
        S.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    S.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False)
