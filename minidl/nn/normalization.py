"""``LayerNorm`` (layer normalisation with a learned scale and shift, used by F10) and
``BatchNorm1d`` / ``BatchNorm2d`` (batch normalisation with running statistics)."""
from __future__ import annotations

import numbers
import warnings
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from ..functional.normalization import _shape_tuple
from . import init
from .module import Module, Parameter, _check_device

if TYPE_CHECKING:
    from .._typing import DType

__all__ = ["LayerNorm", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "InstanceNorm1d",
           "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm"]


class LayerNorm(Module):
    r"""Normalise over the trailing ``normalized_shape`` axes, then scale and shift.

    .. math::

        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \varepsilon}} \odot \gamma + \beta

    with the mean and the biased variance taken over the last ``len(normalized_shape)``
    axes of each sample (see :func:`minidl.functional.layer_norm` for the indexed
    formula and the gradient).

    Args:
        normalized_shape: an int or a tuple, the trailing shape of the input, e.g. E.
        eps: ε added to the variance (default 1e-5).
        elementwise_affine: learn γ (and β unless ``bias=False``); default True.
        bias: learn β (default True); ignored when ``elementwise_affine=False``.

    Shape:
        input (*, *normalized_shape) → output of the same shape.

    Attributes:
        weight: γ, of shape ``normalized_shape``, initialised to ones (or None).
        bias: β, of shape ``normalized_shape``, initialised to zeros (or None).

    Raises:
        ValueError: a bad ``normalized_shape``, ``eps < 0``, or (in forward) an input whose
            trailing shape is not ``normalized_shape``.

    Examples:
        >>> import minidl as md, minidl.nn as nn
        >>> ln = nn.LayerNorm(4)
        >>> [(k, v.shape) for k, v in ln.state_dict().items()]
        [('weight', (4,)), ('bias', (4,))]
        >>> y = ln(md.randn(3, 2, 4))                    # (L, N, E)
        >>> bool(abs(y.data.mean(axis=-1)).max() < 1e-6)
        True
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__()
        self.normalized_shape = _shape_tuple("LayerNorm", normalized_shape)
        if not eps >= 0:
            raise ValueError(f"LayerNorm: eps must be >= 0, got {eps}")
        self.eps = eps
        self.elementwise_affine = bool(elementwise_affine)
        dtype = dtype or get_default_dtype()
        self.weight: Parameter | None
        self.bias: Parameter | None
        if self.elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype=dtype))
            self.bias = Parameter(np.empty(self.normalized_shape, dtype=dtype)) if bias else None
        else:
            self.weight = None
            self.bias = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)                           # γ = 1
        if self.bias is not None:
            init.zeros_(self.bias)                            # β = 0

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class _BatchNorm(Module):
    _layouts: tuple[int, ...] = ()   # the accepted input ranks, e.g. (2, 3) for BatchNorm1d
    _legend = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        _check_device(type(self).__name__, device)
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) \
                or num_features <= 0:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if momentum is not None and not isinstance(momentum, numbers.Real):
            raise TypeError(f"{name}: momentum must be a number or None, got {momentum!r}")
        self.num_features = int(num_features)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = dtype or get_default_dtype()
        C = self.num_features
        if self.affine:
            self.weight = Parameter(np.empty(C, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if self.affine and bias:                              # bias=False: γ only (PyTorch)
            self.bias = Parameter(np.empty(C, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(C, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(C, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.numpy()[...] = 0
            self.running_var.numpy()[...] = 1
            self.num_batches_tracked.numpy()[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)                           # γ = 1
        if self.bias is not None:
            init.zeros_(self.bias)                            # β = 0

    def forward(self, input):
        if isinstance(input, Tensor) and input.ndim not in self._layouts:
            raise ValueError(f"{type(self).__name__}: expected {self._legend} input, got shape "
                             f"{input.shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.numpy()[...] += 1
            if self.momentum is None:                         # a cumulative average
                factor = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics while training, and in evaluation when none are tracked
        use_batch = self.training or self.running_mean is None
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, float(factor), self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


_BATCH_NORM_DOC = r"""Batch normalisation of {what}, PyTorch's ``{name}``.

    .. math::

        y = \frac{{x - \mathrm{{E}}[x]}}{{\sqrt{{\mathrm{{Var}}[x] + \varepsilon}}}}\, \gamma + \beta

    per channel c, over the batch and {over} (see :func:`minidl.functional.batch_norm`
    for the indexed formula and the gradient). In training mode E[x] and Var[x] are the
    batch's (biased variance) and the running statistics are updated with the
    unbiased variance: ``running ← (1 − momentum)·running + momentum·batch``, or, with
    ``momentum=None``, the cumulative average over the ``num_batches_tracked`` batches
    seen. In evaluation mode they are the running statistics; with
    ``track_running_stats=False`` the batch's are used in both modes.

    Args:
        num_features: C.
        eps: ε added to the variance (default 1e-5).
        momentum: the weight of the new batch in the running averages (default 0.1), or
            None for a cumulative average.
        affine: learn γ and β (default True).
        track_running_stats: keep running statistics (default True).

    Shape:
        input {shape} → output of the same shape.

    Attributes:
        weight: γ (C,), ones.  bias: β (C,), zeros (None when ``affine=False``).
        running_mean (C,) zeros, running_var (C,) ones, num_batches_tracked () int64 —
        buffers, in the state dict (None when ``track_running_stats=False``).

    Raises:
        ValueError: a bad num_features, or (in forward) an input of another rank; the
            channel count and batch size are checked by ``F.batch_norm``.

    >>> import minidl as md, minidl.nn as nn
    >>> bn = nn.{name}(3)
    >>> list(bn.state_dict())
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    >>> y = bn(md.randn({example}))
    >>> bn.num_batches_tracked
    tensor(1)
    """


class BatchNorm1d(_BatchNorm):
    _layouts = (2, 3)
    _legend = "2-D (N, C) or 3-D (N, C, L)"
    __doc__ = _BATCH_NORM_DOC.format(what="(N, C) or (N, C, L) inputs", name="BatchNorm1d",
                                     over="the length L", shape="(N, C) or (N, C, L)",
                                     example="8, 3, 5")


class BatchNorm2d(_BatchNorm):
    _layouts = (4,)
    _legend = "4-D (N, C, H, W)"
    __doc__ = _BATCH_NORM_DOC.format(what="images (N, C, H, W)", name="BatchNorm2d",
                                     over="the positions H, W", shape="(N, C, H, W)",
                                     example="4, 3, 5, 5")


class GroupNorm(Module):
    r"""Group normalisation (PyTorch's ``GroupNorm``): each sample's C channels are split
    into ``num_groups`` groups, each normalised over its channels and positions, then a
    per-channel scale and shift (see :func:`minidl.functional.group_norm`).

    .. math::

        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \varepsilon}}\, \gamma + \beta

    Args:
        num_groups: G, dividing num_channels.
        num_channels: C.
        eps: ε added to the variance (default 1e-5).
        affine: learn γ (ones) and β (zeros) per channel (default True).
        bias: learn β (default True; keyword-only, as PyTorch).

    Shape:
        (N, C, *) → the same.

    Attributes:
        weight: γ (C,), ones; bias: β (C,), zeros (None without ``affine`` / ``bias``).

    >>> import minidl as md, minidl.nn as nn
    >>> gn = nn.GroupNorm(2, 4)
    >>> gn
    GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    >>> gn(md.randn(3, 4, 5, 5)).shape
    (3, 4, 5, 5)
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: DType | None = None,
        *,
        bias: bool = True,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__()
        for name, v in (("num_groups", num_groups), ("num_channels", num_channels)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {v!r}")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, bool(affine)
        dtype = dtype or get_default_dtype()
        if self.affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.num_channels, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(Module):
    _ranks: tuple = ()                 # (unbatched, batched) input ranks

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        _check_device(type(self).__name__, device)
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) \
                or num_features <= 0:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = dtype or get_default_dtype()
        C = self.num_features
        self.register_parameter("weight", Parameter(np.ones(C, dtype=dtype)) if self.affine
                                else None)
        self.register_parameter("bias", Parameter(np.zeros(C, dtype=dtype))
                                if self.affine and bias else None)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(C, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(C, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, input):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in self._ranks:
            raise ValueError(f"{name}: expected {self._ranks[0]}D or {self._ranks[1]}D input "
                             f"(got {input.ndim}D input)")
        C = input.shape[-self._ranks[0]]
        if C != self.num_features:
            message = (f"{name}: expected input's size at dim={input.ndim - self._ranks[0]} to "
                       f"match num_features ({self.num_features}), but got: {C}.")
            if self.affine:
                raise ValueError(message)
            warnings.warn(message + " The running statistics and the affine parameters are "
                          "not used with these channels.", UserWarning, stacklevel=2)
        batched = input.ndim == self._ranks[1]
        x = input if batched else input.unsqueeze(0)
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y if batched else y[0]

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    r"""Instance normalisation of (N, C, L) or (C, L): each (n, c) sequence normalised
    over its length (see :func:`minidl.functional.instance_norm`); ``affine=False`` and
    ``track_running_stats=False`` by default, as PyTorch.

    >>> import minidl as md, minidl.nn as nn
    >>> nn.InstanceNorm1d(3)
    InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """

    _ranks = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    r"""Instance normalisation of (N, C, H, W) or (C, H, W): each (n, c) map normalised
    over its positions, then (with ``affine=True``) a per-channel γ, β; with
    ``track_running_stats=True`` running averages are kept and used in evaluation.

    >>> import minidl as md, minidl.nn as nn
    >>> norm = nn.InstanceNorm2d(3, affine=True)
    >>> list(norm.state_dict())
    ['weight', 'bias']
    >>> norm(md.randn(2, 3, 4, 4)).shape
    (2, 3, 4, 4)
    """

    _ranks = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    r"""Instance normalisation of (N, C, D, H, W) or (C, D, H, W)."""

    _ranks = (4, 5)


class LocalResponseNorm(Module):
    r"""Local response normalisation across neighbouring channels (AlexNet); see
    :func:`minidl.functional.local_response_norm`.

    >>> import minidl as md, minidl.nn as nn
    >>> lrn = nn.LocalResponseNorm(5)
    >>> lrn
    LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=1.0)
    >>> lrn(md.ones(2, 8, 3, 3)).shape
    (2, 8, 3, 3)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
