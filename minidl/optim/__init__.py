"""``minidl.optim``: optimisers with PyTorch's names, arguments and update formulas.

    optimizer.py   Optimizer (parameter groups, zero_grad, state_dict / load_state_dict)
    sgd.py         SGD (momentum, dampening, Nesterov, weight decay)
    adam.py        Adam, AdamW (bias-corrected moments, AMSGrad, L2 / decoupled decay)

A training step reads as in PyTorch::

    opt = optim.Adam(model.parameters(), lr=1e-3)
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]
