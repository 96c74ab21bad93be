"""``LayerNorm``: layer normalisation with a learned scale and shift (used by F10)."""
import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..functional.normalization import _shape_tuple
from . import init
from .module import Module, Parameter

__all__ = ["LayerNorm"]


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

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple("LayerNorm", normalized_shape)
        if not eps >= 0:
            raise ValueError(f"LayerNorm: eps must be >= 0, got {eps}")
        self.eps = eps
        self.elementwise_affine = bool(elementwise_affine)
        dtype = dtype or get_default_dtype()
        if self.elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype=dtype))
            self.bias = Parameter(np.empty(self.normalized_shape, dtype=dtype)) if bias else None
        else:
            self.weight = None
            self.bias = None
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)                           # γ = 1
        if self.bias is not None:
            init.zeros_(self.bias)                            # β = 0

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
