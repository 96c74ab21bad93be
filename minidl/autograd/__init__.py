"""``md.autograd``: the engine, on its own.

    grad_mode.py    no_grad enable_grad set_grad_enabled inference_mode: whether ops record
    function.py     Function: how an op is made, the node it leaves, saved values
    engine.py       backward and grad: the walk from the outputs to the leaves
    functional.py   vjp jvp jacobian hessian hvp vhp
    gradcheck.py    gradcheck gradgradcheck: analytic against numerical derivatives
    variable.py     Variable: PyTorch's old wrapper (a detached Tensor), for old programs

Read in that order; nothing here imports the Tensor class (it registers itself).
"""
from . import functional
from .engine import backward, grad
from .function import Function
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["Function", "backward", "grad", "functional", "gradcheck", "gradgradcheck",
           "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "is_inference_mode_enabled", "Variable"]
