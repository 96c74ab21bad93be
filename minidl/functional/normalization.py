"""Layer normalisation (used by F10) and batch normalisation, written as their formulas
from primitives."""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

from ..ops.normalization import LayerNorm
from ..tensor import Tensor
from .padding import pad

__all__ = ["layer_norm", "batch_norm", "group_norm", "instance_norm", "local_response_norm"]


def _shape_tuple(op, normalized_shape):
    """``normalized_shape`` as a tuple of positive ints (an int means ``(int,)``)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else normalized_shape
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{op}: normalized_shape must be an int or a tuple of ints, got "
                        f"{normalized_shape!r}") from None
    if not shape or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                            and n > 0 for n in shape):
        raise ValueError(f"{op}: normalized_shape must be a non-empty tuple of positive ints, "
                         f"got {normalized_shape!r}")
    return tuple(int(n) for n in shape)


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    r"""Layer normalisation over the trailing ``normalized_shape`` axes, as PyTorch.

    For every leading index n (one "row" of D = prod(normalized_shape) elements e):

    .. math::

        \mu_n = \frac{1}{D}\sum_e x_{n,e}, \qquad
        \sigma^2_n = \frac{1}{D}\sum_e (x_{n,e} - \mu_n)^2 \quad\text{(biased)},

        y_{n,e} = \frac{x_{n,e} - \mu_n}{\sqrt{\sigma^2_n + \varepsilon}}\,\gamma_e + \beta_e

    Gradient (:class:`minidl.ops.normalization.LayerNorm`, one node; the composite below
    it, for mixed dtypes, gives the same): with
    x̂ = (x − μ)/√(σ² + ε) and g = ȳ ⊙ γ, per row
    ``x̄ = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / √(σ² + ε)``, ``γ̄ = Σ_n ȳ ⊙ x̂``,
    ``β̄ = Σ_n ȳ``. x̄ sums to zero over the normalised axes (orthogonal to a constant
    shift, exactly); it is orthogonal to x̂ only for ε = 0:
    x̂ · x̄ = ε/(σ² + ε) · D/√(σ² + ε) · mean(g ⊙ x̂), negligible only when σ² ≫ ε.
    A constant row (σ² = 0) is fine while ε > 0 keeps the division finite.

    Args:
        input: (*, *normalized_shape), e.g. (L, N, E) with normalized_shape (E,).
        normalized_shape: an int or a tuple: the trailing shape to normalise over.
        weight: γ of shape ``normalized_shape``, or None (γ = 1).
        bias: β of shape ``normalized_shape``, or None (β = 0).
        eps: ε >= 0, added to the variance (default 1e-5, as PyTorch).

    Returns:
        a Tensor of the input's shape.

    Raises:
        TypeError: ``input`` is not a Tensor.
        ValueError: the input's trailing shape is not ``normalized_shape``, or
            ``weight``/``bias`` do not have that shape, or ``eps < 0``.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.layer_norm(md.tensor(np.array([[1.0, 3.0], [2.0, 6.0]])), 2, eps=0.0)
    tensor([[-1.,  1.],
            [-1.,  1.]], dtype=float64)
    >>> x = md.tensor(np.array([[1.0, 2.0, 6.0]]))
    >>> F.layer_norm(x, (3,), weight=md.tensor(np.array([1.0, 2.0, 0.5])), bias=md.ones(3))
    tensor([[0.0741..., 0.0741..., 1.6943...]], dtype=float64)
    """
    op = "layer_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    shape = _shape_tuple(op, normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"{op}: input's trailing shape must be normalized_shape {shape}, got "
                         f"input shape {input.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (not isinstance(t, Tensor) or t.shape != shape):
            got = t.shape if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"{op}: {name} must be a Tensor of normalized_shape {shape}, "
                             f"got {got}")
    if not eps >= 0:
        raise ValueError(f"{op}: eps must be >= 0, got {eps}")

    axes = tuple(range(input.ndim - k, input.ndim))           # the normalised axes
    dtype = input.dtype
    if dtype.kind == "f" and all(t is None or t.dtype == dtype for t in (weight, bias)):
        return LayerNorm.apply(input, weight, bias, axes, eps)  # one node (ops/normalization.py)
    mu = input.mean(axis=axes, keepdims=True)                 # (*, 1, ..., 1)
    centred = input - mu                                      # x − μ
    var = (centred * centred).mean(axis=axes, keepdims=True)  # σ², biased
    x_hat = centred / (var + eps).sqrt()                      # (*, *normalized_shape)
    y = x_hat if weight is None else x_hat * weight
    return y if bias is None else y + bias


def batch_norm(
    input: Tensor,
    running_mean: Tensor,
    running_var: Tensor,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Batch normalisation over every axis but the channel axis 1, as PyTorch.

    For channel c, with the m = N·L (or N·H·W, …) values x_{n,c,…} of the batch:

    .. math::

        \mu_c = \frac{1}{m}\sum_{n,\dots} x_{n,c,\dots}, \qquad
        \sigma^2_c = \frac{1}{m}\sum_{n,\dots} (x_{n,c,\dots} - \mu_c)^2 \quad\text{(biased)},

        y_{n,c,\dots} = \frac{x_{n,c,\dots} - \mu_c}{\sqrt{\sigma^2_c + \varepsilon}}\,
        \gamma_c + \beta_c

    ``training=True``: μ and σ² are the batch's, and the running statistics (when
    given) are updated **in place** with the momentum m_r:
    ``running_mean ← (1 − m_r)·running_mean + m_r·μ`` and
    ``running_var ← (1 − m_r)·running_var + m_r·σ²·m/(m − 1)`` — the *unbiased*
    variance, while the normalisation itself uses the biased one (PyTorch's rule).
    ``training=False``: μ = running_mean and σ² = running_var, constants.

    Gradient (the engine derives it from the formula): in training, with
    x̂ = (x − μ)/√(σ² + ε) and g = ȳ ⊙ γ, per channel
    ``x̄ = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / √(σ² + ε)`` (means over the m values),
    which sums to zero over the channel's m values (orthogonal to a constant shift); it is
    orthogonal to x̂ only for ε = 0 (x̂ · x̄ = ε/(σ² + ε) · m/√(σ² + ε) · mean(g ⊙ x̂));
    in evaluation simply x̄ = g / √(running_var + ε). Both modes: γ̄_c = Σ ȳ ⊙ x̂,
    β̄_c = Σ ȳ. The running statistics get no gradient.

    Args:
        input: (N, C) or (N, C, *), e.g. (N, C, L) or (N, C, H, W).
        running_mean, running_var: (C,) Tensors, or None (then the batch statistics
            are used and nothing is updated).
        weight: γ (C,) or None (1).  bias: β (C,) or None (0).
        training: use and update batch statistics (default False).
        momentum: m_r, the weight of the new batch in the running averages (0.1).
        eps: ε added to the variance (1e-5); > 0 in training, >= 0 otherwise.

    Returns:
        a Tensor of the input's shape.

    Raises:
        TypeError: input (or a statistic or weight) is not a Tensor.
        ValueError: fewer than 2 axes, a (C,) argument of the wrong length, a bad eps,
            a single value per channel in training, or evaluation without running
            statistics.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[1.0, 10.0], [3.0, 30.0]]))             # (N, C) = (2, 2)
    >>> mean, var = md.zeros(2, dtype=np.float64), md.ones(2, dtype=np.float64)
    >>> F.batch_norm(x, mean, var, training=True, eps=1e-12)        # μ = (2, 20), σ² = (1, 100)
    tensor([[-1., -1.],
            [ 1.,  1.]], dtype=float64)
    >>> mean, var                       # 0.9·0 + 0.1·μ and 0.9·1 + 0.1·(unbiased σ²)
    (tensor([0.2, 2. ], dtype=float64), tensor([ 1.1, 20.9], dtype=float64))
    """
    op = "batch_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"{op}: input must be (N, C) or (N, C, *), got shape {input.shape}")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(t).__name__}")
        if t.shape != (C,):
            raise ValueError(f"{op}: {name} must be (C,) = ({C},) for input shape "
                             f"{input.shape}, got shape {t.shape}")
    if not isinstance(eps, numbers.Real) or not (eps > 0 if training else eps >= 0):
        rule = "> 0 in training" if training else ">= 0"
        raise ValueError(f"{op}: eps must be {rule}, got {eps}")
    axes = (0,) + tuple(range(2, input.ndim))                   # every axis but C
    m = input.numel() // max(C, 1)                              # values per channel
    view = (1, C) + (1,) * (input.ndim - 2)                     # (C,) → (1, C, 1, …)

    if training:
        if m <= 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got "
                             f"input shape {input.shape}")
        if not isinstance(momentum, numbers.Real):
            raise TypeError(f"{op}: momentum must be a number, got {momentum!r}")
        mu = input.mean(dim=axes, keepdim=True)                  # (1, C, 1, …)
        centred = input - mu
        var = (centred * centred).mean(dim=axes, keepdim=True)   # σ², biased
        x_hat = centred / (var + eps).sqrt()
        x_arr = np.asarray(input)
        if running_mean is not None:                              # in place, no gradient
            r = running_mean.numpy()
            r[...] = (1 - momentum) * r + momentum * x_arr.mean(axis=axes)
        if running_var is not None:
            r = running_var.numpy()
            r[...] = (1 - momentum) * r + momentum * x_arr.var(axis=axes, ddof=1)   # unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: running_mean and running_var are needed in evaluation "
                             f"(training=False)")
        mu = Tensor(np.array(running_mean.numpy(), dtype=input.dtype).reshape(view))
        var = Tensor(np.array(running_var.numpy(), dtype=input.dtype).reshape(view))
        x_hat = (input - mu) / (var + eps).sqrt()
    y = x_hat if weight is None else x_hat * weight.reshape(view)
    return y if bias is None else y + bias.reshape(view)


def _channel_params(op, input, named):
    """Each of ``named`` must be None or a (C,) Tensor, C = input.shape[1]."""
    C = input.shape[1]
    for name, t in named:
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(t).__name__}")
        if t.shape != (C,):
            raise ValueError(f"{op}: {name} must be (C,) = ({C},) for input shape "
                             f"{input.shape}, got shape {t.shape}")


def _affine(x_hat, weight, bias):
    view = (1, x_hat.shape[1]) + (1,) * (x_hat.ndim - 2)       # (C,) → (1, C, 1, …)
    y = x_hat if weight is None else x_hat * weight.reshape(view)
    return y if bias is None else y + bias.reshape(view)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    r"""Group normalisation: normalise each sample over groups of C/G channels (and all
    positions), then scale and shift per channel, as PyTorch.

    .. math::

        \mu_{n,g} = \operatorname{mean}_{c \in g,\, *} x_{n,c,*}, \qquad
        \sigma^2_{n,g} = \operatorname{mean}_{c \in g,\, *} (x_{n,c,*} - \mu_{n,g})^2
        \quad\text{(biased)},

        y_{n,c,*} = \frac{x_{n,c,*} - \mu_{n,g(c)}}{\sqrt{\sigma^2_{n,g(c)} + \varepsilon}}\,
                    \gamma_c + \beta_c

    G = 1 is layer norm over (C, *) with per-channel γ, β; G = C is instance norm.

    Gradient: as layer norm's within each (n, g) group (the engine derives it from the
    formula), γ̄_c = Σ ȳ ⊙ x̂, β̄_c = Σ ȳ.

    Args:
        input: (N, C, *).
        num_groups: G, dividing C.
        weight, bias: γ, β of shape (C,), or None.
        eps: ε > 0 added to the variance (default 1e-5).

    Returns:
        input's shape.

    Raises:
        TypeError: non-Tensor arguments, or num_groups not an int.
        ValueError: fewer than 2 dimensions, C not divisible by G, (C,) shapes, eps < 0.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.array([[1.0, 3.0, 10.0, 20.0]]))        # (N, C) = (1, 4), G = 2
    >>> F.group_norm(x, 2, eps=0.0)
    tensor([[-1.,  1., -1.,  1.]], dtype=float64)
    """
    op = "group_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(num_groups, (int, np.integer)) or isinstance(num_groups, bool):
        raise TypeError(f"{op}: num_groups must be an int, got {num_groups!r}")
    if input.ndim < 2:
        raise ValueError(f"{op}: input must be (N, C, *), got shape {input.shape}")
    N, C = input.shape[:2]
    if num_groups < 1 or C % num_groups:
        raise ValueError(f"{op}: the number of channels C = {C} must be divisible by "
                         f"num_groups = {num_groups}; input shape {input.shape}")
    _channel_params(op, input, (("weight", weight), ("bias", bias)))
    if not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{op}: eps must be >= 0, got {eps!r}")
    x = input.reshape(N, num_groups, -1)                        # (N, G, C/G · Π*)
    mu = x.mean(dim=2, keepdim=True)
    centred = x - mu
    var = (centred * centred).mean(dim=2, keepdim=True)        # σ², biased
    x_hat = (centred / (var + eps).sqrt()).reshape(input.shape)
    return _affine(x_hat, weight, bias)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Instance normalisation: each (n, c) map normalised over its own positions, as
    PyTorch.

    .. math::

        y_{n,c,*} = \frac{x_{n,c,*} - \mu_{n,c}}{\sqrt{\sigma^2_{n,c} + \varepsilon}}\,
                    \gamma_c + \beta_c

    with μ, σ² (biased) over the positions * of x[n, c] when ``use_input_stats``, else
    the running statistics (C,). With ``use_input_stats`` and running statistics given,
    they are updated in place as PyTorch does: ``running_mean ← (1 − m)·running_mean +
    m·mean_n μ_{n,c}`` and ``running_var ← (1 − m)·running_var + m·mean_n s²_{n,c}``, s²
    the unbiased variance of each map.

    Gradient: as layer norm's over each map's positions (derived from the formula); the
    running statistics get none.

    Args:
        input: (N, C, *) with at least one position axis.
        running_mean, running_var: (C,) Tensors or None.
        weight, bias: γ, β (C,) or None.
        use_input_stats: normalise with each map's own statistics (default True).
        momentum: m, the weight of the new statistics (default 0.1).
        eps: ε added to the variance (default 1e-5).

    Returns:
        input's shape.

    Raises:
        TypeError: non-Tensor arguments.
        ValueError: fewer than 3 dimensions, (C,) shapes, a single position per map while
            using input statistics, missing running statistics without input statistics.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.instance_norm(md.tensor(np.array([[[1.0, 3.0], [5.0, 9.0]]])), eps=0.0)
    tensor([[[-1.,  1.],
             [-1.,  1.]]], dtype=float64)
    """
    op = "instance_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 3:
        raise ValueError(f"{op}: input must be (N, C, *) with at least one position axis, got "
                         f"shape {input.shape}")
    _channel_params(op, input, (("running_mean", running_mean), ("running_var", running_var),
                                ("weight", weight), ("bias", bias)))
    if not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{op}: eps must be >= 0, got {eps!r}")
    axes = tuple(range(2, input.ndim))                          # the positions
    view = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if use_input_stats:
        positions = int(np.prod(input.shape[2:]))
        if positions <= 1:
            raise ValueError(f"{op}: expected more than 1 spatial element when training, got "
                             f"input shape {input.shape}")
        mu = input.mean(dim=axes, keepdim=True)                 # (N, C, 1, …)
        centred = input - mu
        var = (centred * centred).mean(dim=axes, keepdim=True)  # σ², biased
        x_hat = centred / (var + eps).sqrt()
        x_arr = np.asarray(input)
        if running_mean is not None:                             # in place, no gradient
            r = running_mean.numpy()
            r[...] = (1 - momentum) * r + momentum * x_arr.mean(axis=axes).mean(axis=0)
        if running_var is not None:
            r = running_var.numpy()
            unbiased = x_arr.var(axis=axes, ddof=1).mean(axis=0)
            r[...] = (1 - momentum) * r + momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: running_mean and running_var are needed when "
                             f"use_input_stats=False")
        mu = Tensor(np.array(running_mean.numpy(), dtype=input.dtype).reshape(view))
        var = Tensor(np.array(running_var.numpy(), dtype=input.dtype).reshape(view))
        x_hat = (input - mu) / (var + eps).sqrt()
    return _affine(x_hat, weight, bias)


def local_response_norm(
    input: Tensor,
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Tensor:
    r"""Local response normalisation across channels (AlexNet), as PyTorch:

    .. math::

        y_c = x_c \Big/ \Big(k + \frac{α}{n} \sum_{c' = c - a}^{c + b} x_{c'}^2\Big)^{β},
        \qquad a = \lfloor n/2 \rfloor,\; b = \lfloor (n-1)/2 \rfloor

    with n = ``size`` and channels outside 0 .. C − 1 counting as zeros (the sum is always
    divided by n).

    Gradient: that of the formula (the engine derives it).

    Args:
        input: (N, C, *) with at least 3 dimensions.
        size: n, the number of neighbouring channels.
        alpha, beta, k: the formula's constants.

    Returns:
        input's shape.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> y = F.local_response_norm(md.tensor(np.ones((1, 3, 1, 1))), 2, alpha=2.0, beta=1.0)
    >>> y.flatten()                                   # 1 / (1 + 2·(0 + 1)/2), then 1 / (1 + 2·2/2)
    tensor([0.5       , 0.33333333, 0.33333333], dtype=float64)
    """
    op = "local_response_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 3:
        raise ValueError(f"{op}: expected 3D or higher dimensionality input (N, C, *), got shape "
                         f"{input.shape}")
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
        raise ValueError(f"{op}: size must be a positive int, got {size!r}")
    if input.numel() == 0:
        return input
    C = input.shape[1]
    sq = input * input                                          # (N, C, *)
    amounts = (0, 0) * (input.ndim - 2) + (size // 2, (size - 1) // 2)
    padded = pad(sq, amounts)                                   # (N, C + n − 1, *)
    window = padded[:, 0:C]
    for offset in range(1, size):                               # Σ over the n channels
        window = window + padded[:, offset:offset + C]
    return input / (window * (alpha / size) + k) ** beta
