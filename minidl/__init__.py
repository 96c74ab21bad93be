"""minidl: a from-scratch NumPy deep-learning library for reading.

    import minidl as md            # or, to run a PyTorch program: import minidl as torch
    import minidl.functional as F  # also minidl.nn.functional
    import minidl.nn as nn
    import minidl.optim as optim

The engine is the package ``autograd/`` (how an op is made, the backward walk, gradient
checks); ``tensor.py`` is the Tensor API on top of it; primitives with their backward live
in ``ops/``, composites written as formulas in ``functional/``, layers in ``nn/``,
optimisers in ``optim/``, data loading in ``utils/``, and the literal loop references in
``reference/``.
"""
from . import autograd, dtypes
from .autograd import (Function, GradcheckError, enable_grad, gradcheck, gradgradcheck,
                       inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                       set_grad_enabled)
from .dtypes import (bool, bool_, cdouble, complex64, complex128, double, float, float16,
                     float32, float64, get_default_dtype, half, int, int8, int16, int32,
                     int64, long, set_default_dtype, short, uint8)
from .parallel import get_num_threads, set_num_threads
from .factories import *  # noqa: F401,F403
from .functions import *  # noqa: F401,F403
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .serialization import load, save
from .tensor import Tensor, broadcast_to, cat, device, maximum, minimum, return_types, stack, where
from . import functional, linalg, nn, optim, utils, viz  # noqa: E402  (they import the names above)

__version__ = "0.2.0"


def is_floating_point(t):
    return t.is_floating_point()


def numel(t):
    return t.numel()


def use_deterministic_algorithms(mode, warn_only=False):
    """minidl's algorithms are deterministic already."""


class cuda:
    """minidl runs on the CPU only."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0

    @staticmethod
    def manual_seed(seed):
        pass

    manual_seed_all = manual_seed


class backends:
    class mps:
        @staticmethod
        def is_available():
            return False

    class cudnn:
        deterministic = True
        benchmark = False
