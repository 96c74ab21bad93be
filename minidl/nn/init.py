"""Weight initialisation, ``torch.nn.init``: the same distributions, fans and gains.

All draws come from minidl's generator (``md.manual_seed``), so a seeded run repeats
(the numbers are not PyTorch's draws, the distributions are). Each ``…_`` function
fills a Tensor in place and returns it; a tensor with no elements is left alone.

Fans of a weight (C_out, C_in, k1, k2, …) — (out_features, in_features) for ``Linear`` —
are ``fan_in = C_in·k1·k2⋯`` and ``fan_out = C_out·k1·k2⋯``.

    >>> import minidl as md, minidl.nn as nn
    >>> w = nn.init.kaiming_uniform_(md.zeros(64, 32), nonlinearity="relu")
    >>> bool(abs(w.numpy()).max() <= (6 / 32) ** 0.5)          # bound √2 · √(3 / fan_in)
    True
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .. import random as _random

if TYPE_CHECKING:
    from ..random import Generator
    from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_"]


def _fill(tensor, values):
    """Write ``values`` into the tensor's array in place (no gradient); return the tensor."""
    arr = tensor.numpy()
    arr[...] = np.asarray(values).astype(arr.dtype, copy=False)
    tensor._vc[0] += 1                          # an in-place change, as PyTorch's no_grad fill
    return tensor


def _empty(op, tensor):
    if 0 in tensor.shape:
        warnings.warn(f"init.{op}: initializing a zero-element tensor is a no-op",
                      UserWarning, stacklevel=3)
        return True
    return False


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The recommended gain for a nonlinearity, as PyTorch's table.

    ========================= ===================================
    linear, conv*, sigmoid    1
    tanh                      5/3
    relu                      √2
    leaky_relu                √(2 / (1 + slope²)), slope = param (default 0.01)
    selu                      3/4
    ========================= ===================================

    >>> import minidl.nn as nn
    >>> nn.init.calculate_gain("leaky_relu", 0.2)
    1.386750490563073
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out can not be computed for a tensor with fewer "
                         f"than 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1   # k1·k2⋯
    return shape[1] * receptive, shape[0] * receptive


calculate_fan_in_and_fan_out = _calculate_fan_in_and_fan_out


def _correct_fan(op, tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init.{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with U(a, b). (``generator`` is accepted; draws come from minidl's.)"""
    return _fill(tensor, _random.generator().uniform(a, b, tensor.shape))


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with N(mean, std²)."""
    return _fill(tensor, _random.generator().normal(mean, std, tensor.shape))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (redrawing what falls outside)."""
    if not a < b:
        raise ValueError(f"init.trunc_normal_: need a < b, got a={a}, b={b}")
    rng = _random.generator()
    values = np.empty(tensor.shape)
    flat = values.reshape(-1)
    todo = np.arange(flat.size)
    for _ in range(1000):                       # rejection: each round keeps what fits
        if not todo.size:
            break
        draw = rng.normal(mean, std, todo.size)
        ok = (draw >= a) & (draw <= b)
        flat[todo[ok]] = draw[ok]
        todo = todo[~ok]
    if todo.size:                               # [a, b] far in a tail: fall back to clipping
        flat[todo] = np.clip(rng.normal(mean, std, todo.size), a, b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, as ``np.eye``)."""
    if tensor.ndim != 2:
        raise ValueError(f"init.eye_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    return _fill(tensor, np.eye(tensor.shape[0], tensor.shape[1]))


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """U(−a, a) with a = gain · √(6 / (fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(2.0 / float(fan_in + fan_out)) * math.sqrt(3.0)
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """U(−bound, bound), bound = gain · √(3 / fan) with gain = calculate_gain(nonlinearity, a)
    (He et al.); ``mode`` picks fan_in (default) or fan_out.

    PyTorch's ``Linear`` and ``Conv2d`` use a = √5, which gives bound = 1/√fan_in.
    """
    if _empty("kaiming_uniform_", tensor):
        return tensor
    fan = _correct_fan("kaiming_uniform_", tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """N(0, std²), std = calculate_gain(nonlinearity, a) / √fan (He et al.)."""
    if _empty("kaiming_normal_", tensor):
        return tensor
    fan = _correct_fan("kaiming_normal_", tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal
    draw, signs fixed by diag(R) so it is uniform over orthogonal matrices (as PyTorch);
    a tensor of more than 2 dimensions is treated as (shape[0], rest)."""
    if tensor.ndim < 2:
        raise ValueError(f"init.orthogonal_: only tensors with 2 or more dimensions are "
                         f"supported, got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _random.generator().normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))                  # make the decomposition unique
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))
