"""``minidl.optim``: optimisers and learning-rate schedulers with PyTorch's names,
arguments and update formulas.

    optimizer.py     Optimizer (parameter groups, zero_grad, state_dict / load_state_dict)
    sgd.py           SGD (momentum, dampening, Nesterov, weight decay)
    adam.py          Adam, AdamW (bias-corrected moments, AMSGrad, L2 / decoupled decay)
    rmsprop.py       RMSprop (running mean square; momentum, centered)
    adagrad.py       Adagrad (sum of squared gradients; lr decay)
    adadelta.py      Adadelta (ratio of running RMS of updates and gradients)
    lr_scheduler.py  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR,
                     LinearLR, OneCycleLR, ReduceLROnPlateau

A training step reads as in PyTorch::

    opt = optim.Adam(model.parameters(), lr=1e-3)
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
           "lr_scheduler"]
