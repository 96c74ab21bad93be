"""Weight initialisation: the same distributions as PyTorch's defaults.

All draws come from minidl's generator (``md.manual_seed``). Each function fills a
Tensor in place and returns it. ``fan_in`` of a weight (C_out, C_in, kH, kW) or
(out_features, in_features) is C_in·kH·kW or in_features.
"""
import math

import numpy as np

from .. import random as _random


def _fill(tensor, values):
    tensor._array[...] = values.astype(tensor._array.dtype)
    return tensor


def calculate_fan_in_and_fan_out(tensor):
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out need a tensor of >= 2 dimensions, got {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with U(a, b)."""
    return _fill(tensor, _random.generator().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with N(mean, std²)."""
    return _fill(tensor, _random.generator().normal(mean, std, tensor.shape))


def constant_(tensor, value):
    tensor._array[...] = value
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """U(−a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def kaiming_uniform_(tensor, a=0.0):
    """U(−bound, bound), bound = √(2 / (1 + a²)) · √(3 / fan_in) (leaky-relu gain).

    PyTorch's ``Linear`` and ``Conv2d`` use a = √5, which gives bound = 1/√fan_in.
    """
    fan_in, _ = calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(2.0 / (1 + a * a)) * math.sqrt(3.0 / fan_in) if fan_in else 0.0
    return uniform_(tensor, -bound, bound)
