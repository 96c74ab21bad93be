"""``LayerNorm`` (layer normalisation with a learned scale and shift, used by F10) and
``BatchNorm1d`` / ``BatchNorm2d`` (batch normalisation with running statistics)."""
from __future__ import annotations

import numbers
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

__all__ = ["LayerNorm", "BatchNorm1d", "BatchNorm2d"]


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
                f"elementwise_affine={self.elementwise_affine}")


class _BatchNorm(Module):
    _layouts: tuple[int, ...] = ()   # the accepted input ranks, e.g. (2, 3) for BatchNorm1d
    _legend = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):
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
            self.bias = Parameter(np.empty(C, dtype=dtype))
        else:
            self.register_parameter("weight", None)
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
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


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
